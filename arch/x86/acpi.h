/* The ACPI tables pvos reads (arch/x86/acpi.c): the FADT to power off, the MADT for CPUs. */
#ifndef PVOS_ACPI_H
#define PVOS_ACPI_H

#include "kernel/types.h"

/* A table by its signature ("FACP", "APIC"), or NULL. */
const uint8_t *acpi_find_table(const char *sig);

/*
 * The local APIC ids of the usable CPUs in the MADT, boot CPU first: how
 * many there are (up to max), or -1 if there is no MADT.
 */
int acpi_cpu_apic_ids(uint32_t *ids, int max, uint32_t boot_id);

#endif
