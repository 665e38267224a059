#!/usr/bin/env python3
# The monitor natively (QEMU TCG, two CPUs, serial on a pipe): every command,
# a live re-patch native -> off -> native with the self-tests passing after
# each (the other CPU stopped while the sites change), and bad input.  Saves
# the transcript as build/samples/monitor-native.log, which docs/monitor.md
# quotes (tools/snippets.py).  About 40 s.
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import drive, check_patching, check_bad  # noqa: E402
from monitor import Tap  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ELF = os.path.join(ROOT, 'build', 'pvos.elf')
LOG = os.path.join(ROOT, 'build', 'monitor', 'native.log')
SAMPLE = os.path.join(ROOT, 'build', 'samples', 'monitor-native.log')

tap = Tap()
if not os.path.exists(ELF):
    print('1..0 # SKIP %s not built' % ELF)
    sys.exit(0)
os.makedirs(os.path.dirname(LOG), exist_ok=True)
argv = [os.environ.get('QEMU', 'qemu-system-x86_64'), '-machine', 'pc', '-smp', '2',
        '-m', '256', '-display', 'none', '-no-reboot', '-kernel', ELF, '-append', 'monitor',
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=4']
pairs, text, boot, status = drive(tap, argv, LOG, ELF, 'native', 'xen')
hv = [a for t, a in pairs if t == 'hv']
tap.ok(hv and any('hv: native backend' in l for l in hv[0]), 'hv: no hypervisor interface')
lazy = [a for t, a in pairs if t.startswith('lazy ')]
tap.ok(len(lazy) == 2 and all(len(a) == 1 and 'does not batch' in a[0] for a in lazy),
       'lazy: natively an error line: nothing batches', str(lazy))
check_patching(tap, pairs, boot, 'native')
check_bad(tap, pairs, 'xen', r'xen: that backend is not the one running here')
tap.ok(status == 1, 'exit: pvos ends passing (QEMU status %s, want 1)' % status)
if tap.failed:
    print('# transcript: %s' % LOG)
else:
    os.makedirs(os.path.dirname(SAMPLE), exist_ok=True)
    shutil.copy(LOG, SAMPLE)
tap.done()
