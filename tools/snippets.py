"""tools/snippets.py: what README.md and docs/ show of the build and of boots.

tools/figures.py quotes measurements from build/*.csv; this module gives it
everything else a page shows that the build decides: the worked site of
docs/pvops.md (its disassembly, its .pv_sites entry as objdump dumps it,
the pvsites line, what pvops.verbose says natively and under Xen, what
`pvsites --plan` says each backend writes there) and the sample boots of
each way to run pvos.  Each comes from the tools a student
would run (objdump, build/tools/pvsites) or from a real boot's log:

    build/samples/*.log          tools/samples.sh: TCG and Xen dom0 boots
    build/samples/monitor-native.log   tests/monitor/native.t's session
    build/kvm/nested-full.log    tests/kvm/pvos-kvm.t's first boot (selftest)
    build/xen-domu/t-domu/1.console   tests/xen/domu.t's first guest (selftest)

Some numbers in a boot differ from run to run on any machine (the TSC's
measured rate, ticks, how many EOIs the host let pvos skip).  VOLATILE
lists them: the check compares those as "any number", and `make docs`
still writes the real ones.
"""
import os
import re
import subprocess

# The worked site: the first irq.save_fl site in expect_fault().
SITE_FUNCTION, SITE_OP = 'expect_fault', 'irq.save_fl'
# The backends `pvsites --plan` is shown for, in the pages and the pictures.
BACKENDS = ['native', 'xen', 'kvm']

VOLATILE = [
    r'TSC [\d.]+ [kM]Hz',
    r'\(\d+ ticks so far\)',
    r'\d+ of \d+ EOIs',
    r'PV IPIs \(\d+',
    r'\d+ of \d+ remote flushes',
    r'\d+ sleeps in lock\.wait, \d+ kicks',
    r'total=\d+ per_op=[\d.]+',
]

# What docs/monitor.md shows of the monitor session (tests/monitor/native.t):
# these commands, each with its whole answer, the first time it was typed.
# (and the walk of a kernel address, whichever the build put kmain at).
MONITOR_SHOWN = ['help', 'sites expect_fault', 'bench read_cr3', 'walk 0x100000000000',
                 'hv', 'patch off', 'patch native', 'frobnicate', 'walk', 'walk 0xzz12']


class Missing(Exception):
    """Something a snippet is made from is not there (yet)."""


def masked(text):
    """The text with every volatile number replaced by '#'."""
    for pat in VOLATILE:
        text = re.sub(pat, lambda m: re.sub(r'\d[\d.]*', '#', m.group(0)), text)
    return text


def code(lines):
    return ''.join('    %s\n' % l.rstrip('\n').expandtabs(8).rstrip() for l in lines)


def read_log(path, hint, image=None):
    """A boot's lines; Missing if there is none, or if it is older than IMAGE
    (a log of another build would put stale addresses and counts in a page)."""
    if not os.path.exists(path):
        raise Missing('%s is missing (%s)' % (path, hint))
    if image and os.path.exists(image) and os.path.getmtime(path) < os.path.getmtime(image):
        raise Missing('%s is older than %s: a boot of another build (%s)' % (path, image, hint))
    return open(path, errors='replace').read().replace('\r', '').split('\n')


def boot_lines(lines):
    """pvos's own lines of a boot, from its banner on: no TAP, no (XEN), no GRUB."""
    start = next((i for i, l in enumerate(lines) if l.startswith('pvos 0.')), None)
    if start is None:
        raise Missing('no pvos banner in the log')
    keep = []
    for l in lines[start:]:
        if re.match(r'(ok|not ok) \d|#|\(XEN\)|1\.\.\d', l) or not l.strip():
            continue
        keep.append(l)
        if l.startswith('pvos: boot complete') or l.startswith('pvos: exit status'):
            break
    return keep


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


class Snippets:
    def __init__(self, build):
        self.build = build
        self.cache = {}

    def path(self, *p):
        return os.path.join(self.build, *p)

    def once(self, key, fn):
        if key not in self.cache:
            try:
                self.cache[key] = fn()
            except Missing as e:
                self.cache[key] = e
        if isinstance(self.cache[key], Missing):
            raise self.cache[key]
        return self.cache[key]

    # --- the worked site, from the image ---
    def elf(self):
        p = self.path('pvos.elf')
        if not os.path.exists(p):
            raise Missing('%s is missing (make build/pvos.elf)' % p)
        return p

    def pvsites(self):
        def get():
            tool = self.path('tools', 'pvsites')
            if not os.path.exists(tool):
                raise Missing('%s is missing (make build/tools/pvsites)' % tool)
            return run(tool, self.elf()).split('\n')
        return self.once('pvsites', get)

    def plan(self, backend):
        """`pvsites --plan BACKEND`'s lines (tools/pvplan.c)."""
        def get():
            tool = self.path('tools', 'pvsites')
            if not os.path.exists(tool):
                raise Missing('%s is missing (make build/tools/pvsites)' % tool)
            return run(tool, '--plan', backend, self.elf()).split('\n')
        return self.once('plan-' + backend, get)

    def plan_line(self, backend):
        """The worked site's line of BACKEND's plan."""
        key = ' %016x ' % self.site()['addr']
        for line in self.plan(backend):
            if key in line:
                return line
        raise Missing('pvsites --plan %s has no line for the worked site' % backend)

    def site(self):
        def get():
            out = self.pvsites()
            for line in out:
                f = line.split()
                if len(f) > 6 and f[2].startswith(SITE_FUNCTION + '+') and f[3] == SITE_OP:
                    return {'line': line, 'header': out[0], 'index': int(f[0]),
                            'addr': int(f[1], 16), 'where': f[2], 'len': int(f[5])}
            raise Missing('pvsites lists no %s site in %s' % (SITE_OP, SITE_FUNCTION))
        return self.once('site', get)

    def entry_addr(self):
        for line in run('objdump', '-h', self.elf()).split('\n'):
            f = line.split()
            if len(f) > 3 and f[1] == '.pv_sites':
                return int(f[3], 16) + 16 * self.site()['index']
        raise Missing('no .pv_sites section in %s' % self.elf())

    def entry_bytes(self):
        line = self.entry_dump()[-1]
        return bytes.fromhex(''.join(line.split()[1:5]))

    def entry_dump(self):
        a = self.entry_addr()
        out = run('objdump', '-s', '-j', '.pv_sites', '--start-address=0x%x' % a,
                  '--stop-address=0x%x' % (a + 16), self.elf())
        return [l for l in out.split('\n') if l.strip()]

    def disassembly(self):
        """objdump -dw of the site's instructions, one line either side."""
        s = self.site()
        out = run('objdump', '-dw', '--disassemble=' + SITE_FUNCTION, self.elf()).split('\n')
        insns = [l for l in out if re.match(r'ffffffff[0-9a-f]+:\t', l)]
        at = [int(l.split(':')[0], 16) for l in insns]
        inside = [i for i, a in enumerate(at) if s['addr'] <= a < s['addr'] + s['len']]
        return insns[inside[0] - 1:inside[-1] + 2]

    def verbose(self, log):
        lines = read_log(self.path('samples', log + '.log'), 'tools/samples.sh ' + log, self.path('pvos.elf'))
        key = 'pvops: site %x <' % self.site()['addr']
        for l in lines:
            if l.startswith(key):
                return l
        raise Missing('%s has no line for the site' % log)

    def patched(self, log):
        return bytes.fromhex(self.verbose(log).split(' -> ')[1].split(' (')[0].replace(' ', ''))

    def value(self, key):
        """An inline figure about the site: site('where'), site('room'), ..."""
        s = self.site()
        def native_pad():   # the padding in front of the native code: a jmp rel8 over int3s
            native = self.patched('tcg-verbose')
            if native[0] != 0xeb:
                raise Missing('the native site does not start with a jmp over int3s')
            return native[1] + 2
        values = {'where': lambda: s['where'], 'room': lambda: s['len'],
                  'function': lambda: SITE_FUNCTION, 'index': lambda: s['index'],
                  'nop': lambda: s['len'] - 6, 'native_pad': native_pad,
                  'int3s': lambda: native_pad() - 2}
        if key not in values:
            raise Missing('no site value %r (known: %s)' % (key, ', '.join(values)))
        return values[key]()

    # --- blocks ---
    def block_objdump(self):
        return code(['$ objdump -dw --disassemble=%s build/pvos.elf' % SITE_FUNCTION, '...']
                    + self.disassembly() + ['...'])

    def block_entry(self):
        a = self.entry_addr()
        return code(['$ objdump -s -j .pv_sites --start-address=0x%x --stop-address=0x%x '
                     'build/pvos.elf' % (a, a + 16)] + self.entry_dump())

    def block_fields(self):
        e = self.entry_bytes()
        hx = lambda b: ' '.join('%02x' % x for x in b)
        addr, op, ln = int.from_bytes(e[0:8], 'little'), int.from_bytes(e[8:10], 'little'), e[10]
        clb = int.from_bytes(e[12:14], 'little')
        rows = [(e[0:8], 'addr     = %x' % addr),
                (e[8:10], 'op       = %d (%s)' % (op, SITE_OP)),
                (e[10:11], 'len      = %d' % ln),
                (e[11:12], 'flags    = %d (reserved)' % e[11]),
                (e[12:14], 'clobbers = 0x%03x (%s)' % (clb, 'rax only: callee-save'
                                                       if clb == 1 else 'C convention')),
                (e[14:16], 'reserved')]
        return code('%-25s %s' % (hx(b), what) for b, what in rows)

    def block_pvsites(self):
        s = self.site()
        return code(['$ build/tools/pvsites build/pvos.elf', s['header'], '...', s['line'], '...'])

    def block_plan(self):
        """The worked site under each backend, as `pvsites --plan` shows it."""
        lines = []
        for b in BACKENDS:
            header = next((l for l in self.plan(b) if l.startswith('   # address')), None)
            if header is None:
                raise Missing('pvsites --plan %s prints no column header' % b)
            lines += ['$ build/tools/pvsites --plan %s build/pvos.elf' % b, '...', header,
                      '...', self.plan_line(b), '...']
        return code(lines)

    def block_verbose(self, log):
        return lambda: code([self.verbose(log)])

    def block_direct(self):
        """The first patch pass's first direct calls natively, and its count line."""
        lines = read_log(self.path('samples', 'tcg-verbose.log'), 'tools/samples.sh tcg-verbose', self.path('pvos.elf'))
        end = next((i for i, l in enumerate(lines) if re.match(r'pvops: \d+ sites:', l)), None)
        if end is None:
            raise Missing('tcg-verbose.log has no count line')
        direct = [l for l in lines[:end] if l.endswith('(direct)')]
        return code(direct[:2] + ['...', lines[end]])

    def block_inside(self, gdb):
        """docs/inside.md's monitor or gdb commands, at the site's native code."""
        def block():
            x = ['x/16xb SITE', 'x/2i SITE+%d' % self.value('native_pad')]
            if not gdb:
                return code(x)
            return code(["gdb build/pvos.elf -ex 'target remote :1234'",
                         '(gdb) hbreak pvops_patch_all', '(gdb) continue',
                         '(gdb) ' + x[0], '(gdb) finish'] + ['(gdb) ' + c for c in x])
        return block

    def sample(self, path, hint, first=None):
        def block():
            lines = boot_lines(read_log(self.path(*path), hint, self.path('pvos.elf')))
            if first:
                lines = [l for l in lines if re.match(first, l)]
            return code(lines)
        return block

    def block_verbose_in(self, function):
        """'verbose-FUNCTION': what pvops.verbose said natively of FUNCTION's first site."""
        def block():
            lines = read_log(self.path('samples', 'tcg-verbose.log'), 'tools/samples.sh tcg-verbose', self.path('pvos.elf'))
            for l in lines:
                if re.match(r'pvops: site [0-9a-f]+ <%s\+0x[0-9a-f]+> ' % re.escape(function), l):
                    return code([l])
            raise Missing('tcg-verbose.log has no site in %s' % function)
        return block

    def block(self, name):
        """The block NAME renders to, as a function; None if there is no such block."""
        if name.startswith('verbose-'):
            return self.block_verbose_in(name[len('verbose-'):])
        return self.blocks().get(name)

    def block_monitor(self):
        """The native monitor session, cut to the commands of MONITOR_SHOWN."""
        lines = read_log(self.path('samples', 'monitor-native.log'),
                         'prove tests/monitor/native.t', self.path('pvos.elf'))
        keep, on, seen = [], False, set()
        for l in lines:
            if l.startswith('pvos> '):
                typed = l[len('pvos> '):]
                on = typed not in seen and (typed in MONITOR_SHOWN or
                                            typed.startswith('walk 0xffffffff'))
                seen.add(typed)
            if on and l.strip():
                keep.append(l)
        if not keep:
            raise Missing('no monitor session in build/samples/monitor-native.log')
        return code(keep)

    def blocks(self):
        tests = 'run make test (or make %s) first'
        return {
            'site-objdump': self.block_objdump, 'site-entry': self.block_entry,
            'site-fields': self.block_fields, 'site-pvsites': self.block_pvsites,
            'site-native': self.block_verbose('tcg-verbose'),
            'site-xen': self.block_verbose('xen-verbose'),
            'direct-native': self.block_direct, 'plan-site': self.block_plan,
            'inside-monitor': self.block_inside(False), 'inside-gdb': self.block_inside(True),
            'sample-tcg': self.sample(('samples', 'tcg.log'), 'tools/samples.sh tcg'),
            'sample-xen': self.sample(('samples', 'xen.log'), 'tools/samples.sh xen'),
            'calls-native': self.sample(('samples', 'tcg.log'), 'tools/samples.sh tcg',
                                        r'pvops: \d+ link-time calls'),
            'kvm-fallback': self.sample(('samples', 'tcg-pvops-kvm.log'), 'tools/samples.sh tcg-pvops-kvm',
                                        r'pvops: pvops=kvm asked for'),
            'sample-kvm': self.sample(('kvm', 'nested-full.log'), tests % 'kvm-test'),
            'kvm-report': self.sample(('kvm', 'nested-full.log'), tests % 'kvm-test', r'kvm: (in use|offered)'),
            'kvm-report-smp': self.sample(('kvm', 'nested-smp.log'), tests % 'kvm-test', r'kvm: in use'),
            'sample-domu': self.sample(('xen-domu', 't-domu', '1.console'), tests % 'xen-test'),
            'monitor-native': self.block_monitor,
            'xen-bad-update': self.sample(('xen', 'dom0-bad-update.log'), tests % 'xen-test',
                                          r'pvos: PANIC'),
        }
