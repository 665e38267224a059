/*
 * The paravirtual clock record that Xen (vcpu_time_info in the shared info
 * page) and KVM (kvmclock, MSR_KVM_SYSTEM_TIME_NEW) both publish: the same
 * 32-byte layout, so one reader serves both backends.  The type comes from
 * libxen-dev's <xen/xen.h>.
 */
#ifndef PVOS_PVCLOCK_H
#define PVOS_PVCLOCK_H

#include "kernel/types.h"
#include <xen/xen.h>

uint64_t pvclock_read_ns(const volatile struct vcpu_time_info *t);
uint64_t pvclock_tsc_khz(const volatile struct vcpu_time_info *t);

#endif
