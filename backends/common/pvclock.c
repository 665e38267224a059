/*
 * Reading a pvclock record (see pvclock.h).  The hypervisor updates it as a
 * seqlock: version is odd while an update is in progress and changes with
 * every update, so the reader retries until it sees the same even version
 * before and after reading the fields.
 *
 *   ns = system_time + ((tsc - tsc_timestamp) << tsc_shift) * mul >> 32
 */
#include "backends/common/pvclock.h"
#include "arch/x86/cpu.h"

static uint64_t scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t pvclock_read_ns(const volatile struct vcpu_time_info *t)
{
	uint32_t version;
	uint64_t ns;

	do {
		version = t->version;
		asm volatile("" ::: "memory");	/* read the fields after the version */
		ns = t->system_time +
		     scale_delta(native_rdtsc() - t->tsc_timestamp, t->tsc_to_system_mul,
				 t->tsc_shift);
		asm volatile("" ::: "memory");
	} while ((version & 1) || version != t->version);
	return ns;
}

/* CPU frequency (Hz) = ((10^9 << 32) / tsc_to_system_mul) >> tsc_shift. */
uint64_t pvclock_tsc_khz(const volatile struct vcpu_time_info *t)
{
	uint64_t khz = (1000000ULL << 32) / t->tsc_to_system_mul;

	return t->tsc_shift < 0 ? khz << -t->tsc_shift : khz >> t->tsc_shift;
}
