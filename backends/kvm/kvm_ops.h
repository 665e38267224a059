/* The ops the KVM backend installs when KVM offers them (backends/kvm/kvm_ops.c, kvm_smp.c). */
#ifndef PVOS_KVM_OPS_H
#define PVOS_KVM_OPS_H

#include "kernel/types.h"
#include "backends/common/pvclock.h"
#include <asm/kvm_para.h>

void kvm_install_clock(void);
void kvm_install_steal_time(void);
void kvm_install_pv_eoi(void);
void kvm_install_io_delay(void);
void kvm_cpu_init(int cpu);		/* another CPU starts: its own records */
uint64_t kvm_clock_read(void);

/* The SMP features (kvm_smp.c); after the hypercall probe and steal time. */
void kvm_install_send_ipi(void);
void kvm_install_tlb_flush(void);
void kvm_install_unhalt(void);

/* The records registered with KVM, one per CPU (for the flush, and the self-tests). */
const volatile struct vcpu_time_info *kvm_clock_record(int cpu);
volatile struct kvm_steal_time *kvm_steal_record(int cpu);
const volatile uint32_t *kvm_eoi_word_addr(int cpu);

#endif
