"""tests/monitor/checks.py: what every mode types at the monitor, and the checks
of its answers (native.t, xen-dom0.t, kvm-nested.t).

The same session everywhere: look (help, ops, sites, bench, walk, hv,
counts, lazy), re-patch live to off and back with the self-tests after each,
then bad input, each of which must get exactly one line "monitor: ...: ..."
and the prompt back, and a `help` at the end to show pvos still answers.
"""
import re
import subprocess

from monitor import STORM, Session, answer, count_lines, parse

OVERLONG = 'x' * 200
UNMAPPED = '0x100000000000'		# user half, PML4 slot 32: pvos maps nothing there
COMMANDS = ['help', 'exit', 'quit', 'selftest', 'bench', 'hv', 'ops', 'sites', 'patch',
            'walk', 'counts', 'lazy']


def kernel_address(elf, symbol='kmain'):
    out = subprocess.run(['nm', elf], check=True, capture_output=True, text=True).stdout
    return '0x' + next(l.split()[0] for l in out.splitlines() if l.endswith(' ' + symbol))


def script(elf, backend, bad_patch, extra=()):
    """(line to type, what it is) in order; the session ends with `exit`."""
    return [('help', 'help'), ('ops', 'ops'), ('sites irq.save_fl', 'sites of one op'),
            ('sites expect_fault', 'sites of one function'), ('sites all', 'every site'),
            ('bench read_cr3', 'bench'), ('walk ' + kernel_address(elf), 'walk mapped'),
            ('walk ' + UNMAPPED, 'walk unmapped'), ('hv', 'hv'), ('counts', 'counts'),
            ('lazy off', 'lazy off'), ('lazy on', 'lazy on'),
            ('patch off', 'patch off'), ('selftest', 'selftest off'),
            ('patch ' + backend, 'patch back'), ('selftest', 'selftest back'),
            *extra,
            ('frobnicate', 'unknown'), ('walk', 'missing'), ('walk 0xzz12', 'malformed'),
            ('walk 0x8000000000000000', 'non-canonical'), ('bench nosuch', 'bad bench'),
            ('patch ' + bad_patch, 'bad patch'), (OVERLONG, 'overlong'),
            (STORM, 'storm'), ('help', 'help again')]


def typed_as(line):
    """How a typed line comes back in the transcript's echo."""
    if isinstance(line, bytes):
        return ''
    return line[:127]


def one_error(tap, pairs, line, what, pattern):
    a = answer(pairs, typed_as(line))
    tap.ok(a is not None and len(a) == 1 and re.match(r'monitor: [^:]+: ' + pattern, a[0]),
           'bad input (%s): one error line, then the prompt' % what, '\n'.join(a or ['no answer']))


def check_look(tap, pairs, backend, boot_counts):
    h = answer(pairs, 'help') or []
    tap.ok(len(h) == len(COMMANDS) and all(any(re.match(r'  %s\b' % c, l) for l in h)
                                            for c in COMMANDS),
           'help: one line for each of the %d commands' % len(COMMANDS), '\n'.join(h))
    o = answer(pairs, 'ops') or []
    tap.ok(any(re.match(r'  irq\.save_fl +-> \S', l) for l in o) and
           any(l.startswith('ops: ') and 'backend ' + backend in l for l in o),
           'ops: each slot with the function in it now', '\n'.join(o[:5] + o[-2:]))
    s = answer(pairs, 'sites irq.save_fl') or []
    tap.ok(any('now:' in l for l in s) and any('<pv_ops.irq.save_fl>' in l for l in s if 'unpatched:' in l)
           and all(' irq.save_fl ' in l for l in s if l.startswith('  #')),
           'sites <op>: bytes and code now and unpatched', '\n'.join(s[:6]))
    s = answer(pairs, 'sites expect_fault') or []
    tap.ok(s and all('<expect_fault+' in l for l in s if l.startswith('  #')) and
           re.match(r'sites: [1-9]\d* of \d+$', s[-1]), 'sites <function>: only its sites',
           '\n'.join(s[:6]))
    s = answer(pairs, 'sites all') or []
    bad = [l for l in s if 'not an instruction pvos writes' in l]
    tap.ok(s and not bad and re.match(r'sites: (\d+) of \1$', s[-1]),
           'sites all: every site, and the decoder knows every instruction in them',
           '\n'.join(bad[:6] or s[-3:]))
    b = answer(pairs, 'bench read_cr3') or []
    tap.ok(len(b) == 2 and 'instructions under qemu -icount, cycles otherwise' in b[0] and
           re.match(r'bench: read_cr3 n=1000 total=\d+ per_op=\d+\.\d{3}$', b[1]),
           'bench <op>: one count, saying what it counts', '\n'.join(b))
    return boot_counts


def check_walk(tap, pairs, elf):
    w = answer(pairs, 'walk ' + kernel_address(elf)) or []
    tap.ok(any(re.match(r'  L4 PML4 \[\s*\d+\] = [0-9a-f]{16}  mfn 0x[0-9a-f]+ pfn 0x[0-9a-f]+', l)
               for l in w) and w and re.match(r'walk: [0-9a-f]+ -> physical [0-9a-f]+$', w[-1]),
           'walk of a kernel address: each level, machine and pseudo-physical frames',
           '\n'.join(w))
    w = answer(pairs, 'walk ' + UNMAPPED) or []
    tap.ok(w and re.match(r'monitor: walk: 100000000000 is not mapped at level 4$', w[-1]),
           'walk of an unmapped address: not mapped at level 4', '\n'.join(w))


def check_patching(tap, pairs, boot_counts, backend):
    off = answer(pairs, 'patch off') or []
    c = count_lines('\n'.join(off))
    tap.ok(len(c) == 2 and re.search(r'sites: 0 inline, 0 direct, \d+ left indirect, 0 refused', c[0])
           and re.search(r'calls: 0 direct, 0 nop, \d+ left indirect, 0 refused', c[1]),
           'patch off: every site and link-time call left indirect', '\n'.join(off))
    for nth, when in ((0, 'after patch off'), (1, 'after patching back')):
        st = answer(pairs, 'selftest', nth) or []
        tap.ok(any(l == 'monitor: selftest: all passed' for l in st) and
               not any(l.startswith('not ok') for l in st),
               'selftest passes %s' % when, '\n'.join(l for l in st if l.startswith('not ok')
                                                     or l.startswith('selftest:')))
    back = answer(pairs, 'patch ' + backend) or []
    tap.ok(count_lines('\n'.join(back)) == boot_counts and boot_counts,
           'patch %s: the count lines are those of boot' % backend,
           '\n'.join(back + ['boot:'] + boot_counts))


def check_bad(tap, pairs, bad_patch, patch_error):
    one_error(tap, pairs, 'frobnicate', 'unknown command', r'unknown command')
    one_error(tap, pairs, 'walk', 'missing argument', r'missing argument')
    one_error(tap, pairs, 'walk 0xzz12', 'malformed number', r"'0xzz12' is not a hex number")
    one_error(tap, pairs, 'walk 0x8000000000000000', 'non-canonical address', r'.*not a canonical')
    one_error(tap, pairs, 'bench nosuch', 'unknown benchmark', r"no benchmark 'nosuch'")
    one_error(tap, pairs, 'patch ' + bad_patch, 'patch ' + bad_patch, patch_error)
    one_error(tap, pairs, OVERLONG, 'overlong line', r'line longer than 127')
    a = answer(pairs, typed_as(STORM)) or []	# nothing of it is echoed
    tap.ok(len(a) == 1 and re.match(r'monitor: input: \d+ bytes that are not printable', a[0]),
           'bad input (binary byte storm): one error line, then the prompt', '\n'.join(a))
    h = answer(pairs, 'help', 1) or []
    tap.ok(len(h) == len(COMMANDS), 'help still answers after all of that', '\n'.join(h))


def drive(tap, argv, log, elf, backend, bad_patch, timeout=60, prompt_timeout=90):
    """Boot ARGV with `monitor`, type the whole script, and check what every
    mode shares: up on BACKEND, every line answered, ops/sites/bench, walk.
    Returns (pairs, text, boot count lines, QEMU's status)."""
    s = Session(argv, log, timeout=timeout)
    up = s.wait_prompt(prompt_timeout)
    lines = script(elf, backend, bad_patch) if up else []
    answered = all(s.cmd(line, 120) for line, _ in lines)
    status = s.finish()
    text = open(log).read()
    pairs = parse(text)
    tap.ok(up and 'monitor: ready on %s' % backend in text,
           'the monitor is up on the %s backend' % backend)
    tap.ok(answered, 'every line typed got the prompt back (%d lines)' % len(lines))
    boot = count_lines(text)[:2]
    check_look(tap, pairs, backend, boot)
    check_walk(tap, pairs, elf)
    return pairs, text, boot, status
