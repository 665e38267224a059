#!/usr/bin/env python3
# The monitor under real KVM, nested (tests/kvm/run-nested.sh: QEMU TCG runs
# Linux, which runs pvos with -enable-kvm): one L1 boot.  L1 cannot type in
# lockstep, so run-nested.sh's --send-file types the whole session once pvos
# says "monitor: ready"; the guest's UART takes it as fast as pvos reads.
# Every command, kvm -> off -> kvm and kvm -> native -> kvm (allowed under
# KVM: the CPU runs the native ops) with the self-tests after each, and bad
# input.  About 60 s.
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import script, check_look, check_walk, check_patching, check_bad  # noqa: E402
from monitor import Tap, parse, count_lines, answer  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ELF = os.path.join(ROOT, 'build', 'pvos.elf')
LOG = os.path.join(ROOT, 'build', 'monitor', 'kvm-nested.log')

if not os.path.exists(ELF):
    print('1..0 # SKIP %s not built' % ELF)
    sys.exit(0)
os.makedirs(os.path.dirname(LOG), exist_ok=True)
extra = [('patch native', 'patch native'), ('selftest', 'selftest native'),
         ('patch kvm', 'patch kvm again')]
lines = script(ELF, 'kvm', 'xen', extra) + [('exit', 'exit')]
with tempfile.NamedTemporaryFile(prefix='pvos-monitor-input.') as f:
    f.write(b''.join((l.encode() if isinstance(l, str) else l) + b'\r' for l, _ in lines))
    f.flush()
    r = subprocess.run([os.path.join(ROOT, 'tests', 'kvm', 'run-nested.sh'),
                        '--send-file', f.name, '--send-after', 'monitor: ready',
                        '--timeout', '300', ELF, 'monitor'],
                       env=dict(os.environ, PVOS_KVM_MODE='nested'),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
text = r.stdout.decode('latin-1')
with open(LOG, 'w') as out:
    out.write(text)
if r.returncode == 77:
    why = (text.split('SKIP', 1)[1].strip() if 'SKIP' in text else 'nested KVM cannot run here')
    print('1..0 # SKIP ' + why)
    subprocess.run([os.path.join(ROOT, 'tools', 'test-skips.sh'), 'record',
                    'tests/monitor/kvm-nested.t', 'setup', why])
    sys.exit(0)

tap = Tap()
pairs = parse(text)
tap.ok('monitor: ready on kvm' in text, 'the monitor is up on the kvm backend (nested)',
       r.stderr.decode('latin-1')[-2000:])
tap.ok(len(pairs) >= len(lines) - 1, 'every line typed was answered (%d of %d)'
       % (len(pairs), len(lines) - 1))
boot = count_lines(text)[:2]
check_look(tap, pairs, 'kvm', boot)
check_walk(tap, pairs, ELF)
hv = answer(pairs, 'hv') or []
tap.ok(any('"KVMKVMKVM' in l for l in hv) and
       any(l.startswith('hv: kvm: CPUID 0x40000000+1 offers features') for l in hv) and
       any(l.startswith('kvm: in use: ') for l in hv),
       'hv: KVM signature, features offered, features in use', '\n'.join(hv))
c = answer(pairs, 'counts') or []
tap.ok(any(l.startswith('counts: kvm: hypercalls since boot') for l in c) and
       any('counted only by the host' in l for l in c),
       'counts: what the guest counts, and that exits are the host\'s', '\n'.join(c))
lazy = [a for t, a in pairs if t.startswith('lazy ')]
tap.ok(len(lazy) == 2 and all(len(a) == 1 and 'does not batch' in a[0] for a in lazy),
       'lazy: under KVM an error line: nothing batches', str(lazy))
check_patching(tap, pairs, boot, 'kvm')
nat = answer(pairs, 'patch native') or []
tap.ok(any(l == 'pvops: backend native, patched' for l in nat) and
       re.search(r'sites: \d+ inline, \d+ direct, 0 left indirect, 0 refused',
                 '\n'.join(count_lines('\n'.join(nat)))),
       'patch native under KVM: allowed, every site patched', '\n'.join(nat))
st = answer(pairs, 'selftest', 2) or []
tap.ok('monitor: selftest: all passed' in st, 'selftest passes on the native ops under KVM',
       '\n'.join(l for l in st if l.startswith('not ok') or l.startswith('selftest:')))
again = answer(pairs, 'patch kvm', 1) or []
tap.ok(count_lines('\n'.join(again)) == boot, 'patch kvm again: the count lines are those of boot',
       '\n'.join(again))
check_bad(tap, pairs, 'xen', r'xen: that backend is not the one running here')
tap.ok(r.returncode == 1, 'exit: pvos ends passing (L2 QEMU status %s, want 1)' % r.returncode)
if tap.failed:
    print('# transcript: %s' % LOG)
tap.done()
