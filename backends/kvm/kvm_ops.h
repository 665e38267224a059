/* The ops the KVM backend installs when KVM offers them (backends/kvm/kvm_ops.c). */
#ifndef PVOS_KVM_OPS_H
#define PVOS_KVM_OPS_H

#include "kernel/types.h"
#include <asm/kvm_para.h>

void kvm_install_clock(void);
void kvm_install_steal_time(void);
void kvm_install_pv_eoi(void);
void kvm_install_io_delay(void);
uint64_t kvm_clock_read(void);

/* For the self-tests: the records registered with KVM. */
const volatile struct kvm_steal_time *kvm_steal_record(void);
const volatile void *kvm_eoi_word_addr(void);

#endif
