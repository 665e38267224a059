#!/usr/bin/env python3
# The monitor as a Xen PV dom0 (Xen 4.17 in QEMU TCG; pvos reads the serial
# line through console_io): every command, `patch native` refused (a PV
# kernel runs in ring 3), a live re-patch xen -> off -> xen with the
# self-tests passing after each, lazy-MMU batching off and on with the
# hypercall counts of one pte loop, and bad input.  About 40 s.
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import drive, kernel_address, check_patching, check_bad  # noqa: E402
from monitor import Tap, answer  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ELF = os.path.join(ROOT, 'build', 'pvos.elf')
XEN_GZ = '/boot/xen-4.17-amd64.gz'
XEN = os.path.join(ROOT, 'build', 'xen', 'xen')
LOG = os.path.join(ROOT, 'build', 'monitor', 'xen-dom0.log')


def skip(why):
    print('1..0 # SKIP ' + why)
    subprocess.run([os.path.join(ROOT, 'tools', 'test-skips.sh'), 'record',
                    'tests/monitor/xen-dom0.t', 'setup', why])
    sys.exit(0)


if not os.path.exists(XEN_GZ):
    skip(XEN_GZ + ' missing (xen-hypervisor-4.17-amd64; make deps)')
if not os.path.exists(ELF):
    skip(ELF + ' not built')
os.makedirs(os.path.dirname(XEN), exist_ok=True)
os.makedirs(os.path.dirname(LOG), exist_ok=True)
if not os.path.exists(XEN) or os.path.getmtime(XEN_GZ) > os.path.getmtime(XEN):
    with open(XEN + '.tmp', 'wb') as f:
        subprocess.run(['zcat', XEN_GZ], stdout=f, check=True)
    os.rename(XEN + '.tmp', XEN)

tap = Tap()
argv = ['qemu-system-x86_64', '-machine', 'pc', '-cpu', 'max,-smap', '-m', '512',
        '-smp', '1', '-display', 'none', '-no-reboot',
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-kernel', XEN,
        '-append', 'console=com1 com1=115200,8n1 dom0_mem=64M noreboot=false',
        '-initrd', ELF + ' monitor']
pairs, text, boot, status = drive(tap, argv, LOG, ELF, 'xen', 'native', 120, 120)
w = [l for l in answer(pairs, 'walk ' + kernel_address(ELF)) or [] if l.startswith('  L')]
frames = [re.search(r'mfn (0x[0-9a-f]+) pfn (0x[0-9a-f]+)', l).groups() for l in w]
tap.ok(frames and any(m != p for m, p in frames),
       'walk under Xen: the tables hold machine frames, pvos reads pseudo-physical ones',
       '\n'.join(w))
hv = answer(pairs, 'hv') or []
tap.ok(any(re.match(r'hv: xen: Xen 4\.17\S*, pvos is a PV dom0', l) for l in hv) and
       any(l.startswith('hv: xen: features 0x') for l in hv) and
       any("CPUID lines above are the CPU's" in l for l in hv),
       'hv: Xen version and features; CPUID is the CPU\'s own in a PV guest',
       '\n'.join(hv))
c = answer(pairs, 'counts') or []
tap.ok(any(re.match(r'  mmu_update +[1-9]\d* ', l) for l in c) and
       any(re.match(r'counts: xen: [1-9]\d* in all', l) for l in c),
       'counts: hypercalls by hypercall, with the ops that make each', '\n'.join(c))
lazy = {}
for t in ('lazy off', 'lazy on'):
    a = answer(pairs, t) or []
    m = re.match(r'lazy: batching (on|off): 64 pte updates in a lazy-MMU section took (\d+) '
                 r'hypercalls$', a[0] if len(a) == 1 else '')
    lazy[t] = int(m.group(2)) if m else None
tap.ok(lazy['lazy off'] is not None and lazy['lazy off'] >= 64 and
       lazy['lazy on'] is not None and lazy['lazy on'] <= 2,
       'lazy off: a hypercall per pte (%s); lazy on: one batch (%s)' %
       (lazy['lazy off'], lazy['lazy on']))
check_patching(tap, pairs, boot, 'xen')
check_bad(tap, pairs, 'native', r'native: a Xen PV kernel runs in ring 3')
tap.ok(status == 1, 'exit: pvos ends passing (QEMU status %s, want 1)' % status)
if tap.failed:
    print('# transcript: %s' % LOG)
tap.done()
