/*
 * probe.c - smallest useful guest for the nested-KVM harness (tests/kvm).
 *
 * It proves, without any of pvos, that the harness really runs a guest
 * under KVM and that both directions of the serial handshake work:
 *   1. prints CPUID 0x40000000 (hypervisor signature, "KVMKVMKVM" under
 *      KVM) and CPUID 0x40000001 eax (KVM paravirtual feature bits);
 *   2. prints "kvmstat: snapshot probe" and spins on COM1 until the host
 *      side answers with one byte (after it has read KVM's exit counters);
 *   3. writes 0 to isa-debug-exit (port 0xf4), so QEMU exits with 1 = pass.
 * Its command line (from PVH's hvm_start_info) steers the harness's own
 * tests: "probe-fail" writes 1 instead (QEMU exits 3), "probe-hang" never
 * exits (to test timeouts).
 */

#define COM1            0x3f8
#define COM_LSR         (COM1 + 5)
#define LSR_DATA_READY  0x01
#define LSR_THR_EMPTY   0x20
#define DEBUG_EXIT_PORT 0xf4

typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned char u8;

/* The start of Xen's struct hvm_start_info (xen/arch-x86/hvm/start_info.h),
 * which QEMU's pvh.bin passes in %ebx. */
#define HVM_START_MAGIC 0x336ec578
struct hvm_start_info {
    u32 magic;
    u32 version;
    u32 flags;
    u32 nr_modules;
    u64 modlist_paddr;
    u64 cmdline_paddr;
};

static inline void outb(unsigned short port, u8 v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(unsigned short port)
{
    u8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void cpuid(u32 leaf, u32 r[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(0));
}

/* 115200 8N1, FIFOs on: QEMU doesn't care, real 16550s and pvos do. */
static void serial_init(void)
{
    outb(COM1 + 1, 0x00);   /* no interrupts: we poll */
    outb(COM1 + 3, 0x80);   /* DLAB on */
    outb(COM1 + 0, 0x01);   /* divisor 1 = 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8N1, DLAB off */
    outb(COM1 + 2, 0xc7);   /* FIFO on, cleared */
    outb(COM1 + 4, 0x03);   /* DTR | RTS */
}

static void putc(char c)
{
    while (!(inb(COM_LSR) & LSR_THR_EMPTY))
        ;
    outb(COM1, (u8)c);
}

static void puts(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            putc('\r');
        putc(*s);
    }
}

static void puthex(u32 v)
{
    static const char digits[] = "0123456789abcdef";
    puts("0x");
    for (int shift = 28; shift >= 0; shift -= 4)
        putc(digits[(v >> shift) & 0xf]);
}

/* A register's 4 bytes as text; NULs (e.g. the padding in "KVMKVMKVM\0\0\0")
 * and other unprintables are skipped so the line stays greppable. */
static void putreg_ascii(u32 v)
{
    for (int i = 0; i < 4; i++) {
        char c = (char)(v >> (8 * i));
        if (c >= 0x20 && c < 0x7f)
            putc(c);
    }
}

/* Every LSR read is an I/O exit, and the host reads KVM's counters while
 * we wait here, so poll slowly: this keeps the handshake's own share of
 * the counted exits small.  POLL_SPINS is a knob, not a timing. */
#ifndef POLL_SPINS
#define POLL_SPINS 20000
#endif

static u8 getc_blocking(void)
{
    while (!(inb(COM_LSR) & LSR_DATA_READY))
        for (volatile int i = 0; i < POLL_SPINS; i++)
            __asm__ volatile("pause");
    return inb(COM1);
}

/* Protocol of tests/kvm/README.md: announce, then wait for one byte. */
static void kvmstat_snapshot(const char *label)
{
    puts("kvmstat: snapshot ");
    puts(label);
    puts("\n");
    (void)getc_blocking();
}

static int contains(const char *s, const char *word)
{
    for (; *s; s++) {
        const char *a = s, *b = word;
        while (*b && *a == *b)
            a++, b++;
        if (!*b)
            return 1;
    }
    return 0;
}

/* Paging is off, so the physical address is the pointer (below 4 GiB). */
static const char *boot_cmdline(const struct hvm_start_info *si)
{
    if (!si || si->magic != HVM_START_MAGIC || !si->cmdline_paddr)
        return "";
    return (const char *)(unsigned long)si->cmdline_paddr;
}

void probe_main(const struct hvm_start_info *si)
{
    const char *cmdline = boot_cmdline(si);
    u32 r[4];

    serial_init();
    puts("probe: hello from the PVH probe guest\n");
    puts("probe: cmdline=");
    puts(cmdline);
    puts("\n");

    cpuid(0x40000000, r);
    puts("probe: cpuid 0x40000000 max=");
    puthex(r[0]);
    puts(" signature=");
    putreg_ascii(r[1]);
    putreg_ascii(r[2]);
    putreg_ascii(r[3]);
    puts("\n");

    cpuid(0x40000001, r);
    puts("probe: cpuid 0x40000001 eax=");
    puthex(r[0]);
    puts("\n");

    kvmstat_snapshot("probe");
    puts("probe: resumed after kvmstat snapshot\n");

    /* Back-to-back snapshot: the difference between the two is what one
     * handshake (plus the line above) costs in exits. */
    kvmstat_snapshot("probe-end");

    if (contains(cmdline, "probe-hang")) {
        puts("probe: hanging as asked\n");
        for (;;)
            __asm__ volatile("pause");
    }
    if (contains(cmdline, "probe-fail")) {
        puts("probe: failing as asked\n");
        outb(DEBUG_EXIT_PORT, 1);   /* QEMU exits with (1 << 1) | 1 = 3 */
    }
    puts("probe: done\n");
    outb(DEBUG_EXIT_PORT, 0);   /* QEMU exits with (0 << 1) | 1 = 1 */
}
