/*
 * pvos's command-line options, parsed once at boot (kernel/options.c).
 * README.md lists them for users.
 */
#ifndef PVOS_OPTIONS_H
#define PVOS_OPTIONS_H

enum pvops_choice { PVOPS_AUTO, PVOPS_NATIVE, PVOPS_XEN, PVOPS_KVM, PVOPS_OFF };
enum crash_choice { CRASH_NONE, CRASH_PF, CRASH_UD, CRASH_GP, CRASH_DE, CRASH_TEXT, CRASH_PANIC };

struct options {
	int selftest;		/* run the self-tests, print TAP, exit */
	int bench;		/* count instructions per op and workload, exit */
	int pvops;		/* enum pvops_choice */
	int pvops_verbose;	/* print every site as it is patched */
	int pvops_pause;	/* wait for a key after patching (inspection) */
	int pvops_corrupt;	/* test: corrupt site entries before patching */
	int crash;		/* test: provoke an exception (enum crash_choice) */
	int xen_bad_update;	/* test: a bad mmu_update under Xen PV (must panic) */
	int kvm_fake_rewrite;	/* test: the KVM hypercall probe meets a rewriting host */
	int hoststat;		/* pause around workloads for the host's counters */
};

extern struct options opt;
extern const char *const pvops_choices[];

void options_parse(const char *cmdline);

#endif
