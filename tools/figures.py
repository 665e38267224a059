#!/usr/bin/env python3
"""tools/figures.py: the figures in README.md and docs/ come from `make bench`.

Every number those pages quote from a measurement is written between two
markers, with the expression that computes it from build/*.csv:

    set_pte costs <!--fig b('set_pte','xen') | ,.0f-->854<!--/fig--> instructions

and every generated table, or block of what the build or a boot shows, sits
between

    <!--fig-table bench-->  ...  <!--/fig-table-->
    <!--fig-block boot-native-->  ...  <!--/fig-block-->

The blocks that are not measurements (the worked site's bytes, sample
boots) come from tools/snippets.py, which says where each is cut from.

`figures.py --check` (run by `make test`) recomputes each one and fails,
naming the page, line and expression, when the text differs from what the
CSV files say: prose cannot drift from the code.  `figures.py --update`
(`make docs`) rewrites them.  Markers are HTML comments, so the rendered
page shows only the number.

In an expression:
    b(op, variant)      instructions per op         (build/bench.csv)
    n(op)               b(op,'native') - b(op,'nopv'): what patched native costs more
    over(op)            n(op) beyond one NOP per op (PAIRS hold two ops)
    h(op, variant)      hypercalls per op           (build/bench-hypercalls.csv)
    ht(op, variant)     hypercalls in all
    k(measure, column)  KVM exits per 1,000 events  (build/bench-kvm.csv, nested mode)
    l(setup, pvspin)    lock acquisitions per second (build/bench-locks.csv; setup
                        native, xen-credit, xen-credit2; pvspin 'on' or 'off')
    lk(pvspin)          the same under nested KVM (build/bench-locks-kvm.csv)
    sz(build, column)   text and site bytes (build/bench-size.csv; build nopv or pvos)
    lx(op)              Linux's instructions for an op under Xen, counted from its
                        source (tools/linux-xen-asm.csv: not measured, not in build/)
    MICRO               the micro benchmarks, for mean()/max()/min()/all()
    site(key)           the worked site of docs/pvops.md (tools/snippets.py):
                        'where', 'room', 'nop', 'native_pad', 'int3s', ...
The format after `|` is Python's (",.0f", ".3f"); by default one decimal,
dropped when it is 0.  An expression may also
give a word ('met' if ... else 'missed'): a verdict drifts like a number.
"""
import argparse
import csv
import os
import re
import sys

# Missing: a figure whose CSV file (or row), or a snippet whose log, is not there.
from snippets import Missing, Snippets, masked

MICRO = ['irq_save_restore', 'irq_disable_enable', 'read_cr2', 'read_cr3', 'write_cr3',
         'set_pte', 'flush_tlb_one', 'spin_lock_unlock']
PAIRS = ['irq_save_restore', 'irq_disable_enable', 'spin_lock_unlock']    # two ops per step
VARIANTS = ['nopv', 'off', 'native', 'native-pvspin', 'xen-off', 'xen', 'xen-unbatched',
            'xen-batched']
KVM_ROWS = [('exits_per_1000_timer_interrupts', 'timer interrupt (PV EOI; `-kvm-pv-eoi`)'),
            ('exits_per_1000_io_delays', '`io_delay` call (NOP io_delay; `-kvm-nopiodelay`)')]
KVM_MODE = 'nested'     # the pages quote nested kvm-amd, the trusted path
LINUX_CSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'linux-xen-asm.csv')
MACRO = ['map_touch_unmap', 'page_fault', 'pte_update']

# The goals docs/performance.md measures pvos against: (goal, the figures,
# the verdict), each an expression as in a page.  `make bench` prints them
# (--goals) and the page's goals table is made from them.
GOALS = [
    ('patched native within 1 instruction of nopv, every micro benchmark',
     "', '.join('%s +%s' % (o, fmt(n(o), '')) for o in MICRO)",
     "'met' if all(n(o) <= 1 for o in MICRO) else "
     "'missed for ' + ', '.join(o for o in MICRO if n(o) > 1)"),
    ('macro workloads: patched native at most 1.01x nopv',
     "', '.join('%s %.2fx' % (o, b(o, 'native') / b(o, 'nopv')) for o in MACRO)",
     "'met' if max(b(o, 'native') / b(o, 'nopv') for o in MACRO) <= 1.01 else 'missed'"),
    ('Xen patched: irq_disable_enable at most 6, irq_save_restore at most 10',
     "'%s and %s (Linux 5.10, direct calls: %s and %s)' % (fmt(b('irq_disable_enable', 'xen'), ''),"
     " fmt(b('irq_save_restore', 'xen'), ''), fmt(lx('irq_disable_enable'), ''),"
     " fmt(lx('irq_save_restore'), ''))",
     "'met' if b('irq_disable_enable', 'xen') <= 6 and b('irq_save_restore', 'xen') <= 10 "
     "else 'missed'"),
    ('Xen patched irq ops clearly cheaper than xen-off (at most half)',
     "', '.join('%s %s against %s' % (o, fmt(b(o, 'xen'), ''), fmt(b(o, 'xen-off'), ''))"
     " for o in ['irq_save_restore', 'irq_disable_enable'])",
     "'met' if all(b(o, 'xen') <= b(o, 'xen-off') / 2 for o in "
     "['irq_save_restore', 'irq_disable_enable']) else 'missed'"),
    ('link-time calls: no instruction more per call than a recorded direct-call site',
     "'sched_clock natively %s through a link-time call, %s through a recorded site; "
     "under Xen %s and %s' % (fmt(b('sched_clock_call', 'native'), ''),"
     " fmt(b('sched_clock_site', 'native'), ''), fmt(b('sched_clock_call', 'xen'), ''),"
     " fmt(b('sched_clock_site', 'xen'), ''))",
     "'met' if all(b('sched_clock_call', v) <= b('sched_clock_site', v) for v in "
     "['native', 'xen']) else 'missed'"),
    ('link-time discovery finds calls that no wrapper macro writes',
     "'%s link-time calls found, %s of them tail-call jmps from assembly' % ("
     "format(sz('pvos', 'calls'), ',.0f'), format(sz('pvos', 'jmps'), ',.0f'))",
     "'met' if sz('pvos', 'jmps') > 0 else 'missed'"),
    ('batched Xen at least 32x fewer hypercalls per pte update',
     "'%.0fx (%s against %s)' % (ht('pte_update', 'xen-unbatched') / ht('pte_update', 'xen-batched'),"
     " format(ht('pte_update', 'xen-unbatched'), ',.0f'), format(ht('pte_update', 'xen-batched'), ',.0f'))",
     "'met' if ht('pte_update', 'xen-unbatched') >= 32 * ht('pte_update', 'xen-batched') else 'missed'"),
    ('PV wait/kick at least 5x the lock throughput of plain spinning, Xen 4:1 overcommit',
     "'credit %.1fx, credit2 %.1fx' % (l('xen-credit', 'on') / l('xen-credit', 'off'),"
     " l('xen-credit2', 'on') / l('xen-credit2', 'off'))",
     "', '.join(('met' if l(x, 'on') >= 5 * l(x, 'off') else 'missed') + ' under ' + x[4:]"
     " for x in ['xen-credit', 'xen-credit2'])"),
    ('PV wait/kick more than plain spinning, nested KVM 4:1',
     "'more' if lk('on') > lk('off') else 'not more'",
     "'met' if lk('on') > lk('off') else 'missed'"),
    ('the PV lock costs at most 1% more than the plain one without overcommit (natively)',
     "'map_touch_unmap %.2fx' % (b('map_touch_unmap', 'native-pvspin') / b('map_touch_unmap', 'native'))",
     "'met' if b('map_touch_unmap', 'native-pvspin') <= 1.01 * b('map_touch_unmap', 'native') "
     "else 'missed: pvos installs it only under a hypervisor'"),
    ('PV EOI removes the EOI exit of every timer interrupt',
     "'%.0f exits per interrupt without it, %.0f with it' % ("
     "k('exits_per_1000_timer_interrupts', 'without_pv') / 1000,"
     " k('exits_per_1000_timer_interrupts', 'with_pv') / 1000)",
     "'met' if round(k('exits_per_1000_timer_interrupts', 'without_pv') / 1000) - "
     "round(k('exits_per_1000_timer_interrupts', 'with_pv') / 1000) >= 1 else 'missed'"),
]

INLINE = re.compile(r'<!--fig (?P<expr>.*?)(?:\|(?P<fmt>[^|]*?))?\s*-->(?P<text>.*?)<!--/fig-->')
TABLE = re.compile(r'(?P<open><!--fig-(?P<kind>table|block) (?P<name>[\w-]+)-->\n)(?P<body>.*?)'
                   r'(?P<close><!--/fig-(?P=kind)-->)', re.S)




def read_csv(path):
    if not os.path.exists(path):
        raise Missing('%s is missing' % path)
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


class Figures:
    """The CSV files of one build directory, read when first needed."""

    def __init__(self, build):
        self.build = build
        self.cache = {}
        self.snip = Snippets(build)

    def rows(self, name):
        if name not in self.cache:
            try:
                self.cache[name] = read_csv(os.path.join(self.build, name))
            except Missing as e:
                self.cache[name] = e
        if isinstance(self.cache[name], Missing):
            raise self.cache[name]
        return self.cache[name]

    def lookup(self, name, key, column):
        for row in self.rows(name):
            if tuple(row[k] for k in key) == tuple(key.values()):
                return float(row[column])
        raise Missing('%s has no row %s' % (os.path.join(self.build, name),
                                            ','.join(key.values())))

    def b(self, op, variant):
        return self.lookup('bench.csv', {'op': op, 'variant': variant}, 'instructions_per_op')

    def h(self, op, variant):
        return self.lookup('bench-hypercalls.csv', {'op': op, 'variant': variant},
                           'hypercalls_per_op')

    def ht(self, op, variant):
        return self.lookup('bench-hypercalls.csv', {'op': op, 'variant': variant}, 'hypercalls')

    def k(self, measure, column):
        rows = self.rows('bench-kvm.csv')
        modes = {r.get('mode') for r in rows}
        if modes != {KVM_MODE}:
            raise Missing('bench-kvm.csv holds %s figures; the pages quote %s KVM'
                          % ('/'.join(sorted(m or '?' for m in modes)), KVM_MODE))
        return self.lookup('bench-kvm.csv', {'measure': measure}, column)

    def l(self, setup, pvspin):
        return self.lookup('bench-locks.csv', {'setup': setup, 'pvspin': pvspin},
                           'acquisitions_per_sec')

    def lk(self, pvspin):
        return self.lookup('bench-locks-kvm.csv', {'setup': 'kvm-nested', 'pvspin': pvspin},
                           'acquisitions_per_sec')

    def sz(self, build, column):
        return self.lookup('bench-size.csv', {'build': build}, column)

    def lx(self, op):
        rows = read_csv(LINUX_CSV)
        for row in rows:
            if row['op'] == op:
                return float(row['instructions'])
        raise Missing('%s has no row %s' % (LINUX_CSV, op))

    def env(self):
        n = lambda op: self.b(op, 'native') - self.b(op, 'nopv')
        return {'b': self.b, 'n': n, 'sz': self.sz, 'lx': self.lx, 'fmt': fmt, 'over': lambda op: n(op) - (2 if op in PAIRS else 1),
                'h': self.h, 'l': self.l, 'lk': self.lk, 'PAIRS': PAIRS, 'all': all, 'any': any, 'ht': self.ht, 'k': self.k, 'MICRO': MICRO,
                'mean': lambda xs: sum(xs) / len(xs), 'max': max, 'min': min, 'abs': abs,
                'round': round, 'site': self.snip.value}


def fmt(value, spec):
    spec = (spec or '').strip()
    if isinstance(value, str):
        return value
    if spec:
        return format(value, spec)
    text = '%.1f' % value      # counts are per op: one decimal, and none if it is 0
    return text[:-2] if text.endswith('.0') else text


def ratio(x):
    return '%.1fx' % x if x >= 10 else '%.2fx' % x


def table_bench(fig):
    """Instructions per op, every variant; off and native with their ratio to nopv."""
    ops = []
    for row in fig.rows('bench.csv'):
        if row['op'] not in ops:
            ops.append(row['op'])
    out = ['| op | ' + ' | '.join(VARIANTS) + ' |',
           '| --- |' + ' ---: |' * len(VARIANTS)]
    for op in ops:
        cells = []
        for v in VARIANTS:
            try:
                x = fig.b(op, v)
            except Missing:
                cells.append('' if v.startswith('xen-') and v != 'xen-off' else '-')
                continue
            cell = fmt(x, '')
            if v in ('off', 'native') and op != 'patch_site':
                cell += ' (%s)' % ratio(x / fig.b(op, 'nopv'))
            cells.append(cell)
        out.append('| %s | %s |' % (op, ' | '.join(cells)))
    return '\n'.join(out) + '\n'


def table_kvm(fig):
    """KVM's own exit counts, per event, rounded: the stable part of a noisy figure."""
    out = ['| exits per event (KVM\'s `exits` counter, rounded) | with the pv op | without |',
           '| --- | ---: | ---: |']
    for measure, label in KVM_ROWS:
        on, off = fig.k(measure, 'with_pv'), fig.k(measure, 'without_pv')
        out.append('| %s | %.0f | %.0f |' % (label, on / 1000, off / 1000))
    return '\n'.join(out) + '\n'


def table_locks(fig):
    """Lock throughput, plain spinning against paravirtual waiting (deterministic rows only)."""
    rows = [('native', 'native: 4 vCPUs take turns on one QEMU thread', 'pv lock, spinning only'),
            ('xen-credit', 'Xen, credit scheduler: 4 vCPUs on 1 CPU', 'wait/kick'),
            ('xen-credit2', 'Xen, credit2 scheduler: 4 vCPUs on 1 CPU', 'wait/kick')]
    out = ['| lock acquisitions per second of guest time | plain spinning | paravirtual | ratio |',
           '| --- | ---: | ---: | ---: |']
    for setup, label, how in rows:
        off, on = fig.l(setup, 'off'), fig.l(setup, 'on')
        out.append('| %s | %s | %s (%s) | %.1fx |' % (label, format(off, ',.0f'),
                                                    format(on, ',.0f'), how, on / off))
    return '\n'.join(out) + '\n'


def goal_rows(fig):
    """(goal, figures, verdict) per goal; a figure whose CSV is missing says so."""
    env = dict(fig.env(), __builtins__={}, MACRO=MACRO, format=format)
    for goal, figures, verdict in GOALS:
        try:
            yield goal, eval(figures, env), eval(verdict, env)
        except Missing as e:
            yield goal, str(e), 'not measured'


def table_goals(fig):
    """The goals with their figures; a table whose CSV is missing is unchecked."""
    out = ['| goal | result | |', '| --- | --- | --- |']
    for goal, figures, verdict in goal_rows(fig):
        if verdict == 'not measured':
            raise Missing(figures)
        out.append('| %s | %s | %s |' % (goal, figures, verdict))
    return '\n'.join(out) + '\n'


def table_size(fig):
    """What the pv_ops sites cost in text."""
    out = ['| build | .text bytes | recorded sites | bytes in sites | of which padding |',
           '| --- | ---: | ---: | ---: | ---: |']
    for build, label in [('nopv', '`PARAVIRT=0`'), ('pvos', 'pvos (PARAVIRT=1)')]:
        cells = [format(fig.sz(build, c), ',.0f') for c in
                 ('text_bytes', 'sites', 'site_bytes', 'padding_bytes')]
        out.append('| %s | %s |' % (label, ' | '.join(cells)))
    return '\n'.join(out) + '\n'


def boot_lines(variant):
    """A boot's pvops lines as an indented code block: what the page shows it prints."""
    def block(fig):
        path = os.path.join(fig.build, 'boot-%s.txt' % variant)
        if not os.path.exists(path):
            raise Missing('%s is missing' % path)
        return ''.join('    %s\n' % line.rstrip('\n') for line in open(path) if line.strip())
    return block


TABLES = {'bench': table_bench, 'kvm': table_kvm, 'locks': table_locks, 'goals': table_goals,
          'size': table_size, 'boot-native': boot_lines('native'),
          'boot-xen': boot_lines('xen')}


def render_table(name, fig):
    snippet = fig.snip.block(name)
    if snippet:
        return snippet()
    if name not in TABLES:
        raise Missing('no table named %s (known: %s, verbose-FUNCTION)' % (
            name, ', '.join(list(TABLES) + list(fig.snip.blocks()))))
    return TABLES[name](fig)


def line_of(text, pos):
    return text.count('\n', 0, pos) + 1


def process(path, fig):
    """(problems, unchecked, new text) for one page."""
    text = open(path).read()
    problems, unchecked = [], []

    def inline(m):
        where = '%s:%d: %s' % (path, line_of(mid, m.start()), m.group('expr').strip())
        try:
            value = eval(m.group('expr'), dict(fig.env(), __builtins__={}))
            want = fmt(value, m.group('fmt'))
        except Missing as e:
            unchecked.append('%s: %s' % (where, e))
            return m.group(0)
        except Exception as e:  # a broken expression is the page's bug
            problems.append('%s: cannot evaluate: %s' % (where, e))
            return m.group(0)
        if want != m.group('text'):
            problems.append('%s is %s on the page, %s in %s' % (where, m.group('text'), want,
                                                               fig.build))
        return m.group(0).replace('-->' + m.group('text') + '<!--/fig-->',
                                  '-->' + want + '<!--/fig-->')

    def table(m):
        where = '%s:%d: table %s' % (path, line_of(text, m.start()), m.group('name'))
        try:
            want = render_table(m.group('name'), fig)
        except Missing as e:
            unchecked.append('%s: %s' % (where, e))
            return m.group(0)
        if masked(want) != masked(m.group('body')):
            problems.append('%s differs from %s' % (where, fig.build))
        elif want != m.group('body'):
            want = m.group('body')  # only numbers that change from run to run: keep the page's
        return m.group('open') + want + m.group('close')

    mid = TABLE.sub(table, text)
    return problems, unchecked, INLINE.sub(inline, mid)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', action='store_true', help='fail if a figure differs (default)')
    ap.add_argument('--update', action='store_true', help='rewrite the figures in place')
    ap.add_argument('--build', default='build', help='where the CSV files are (build)')
    ap.add_argument('--allow-missing', metavar='CSV', action='append', default=[],
                    help='a CSV that may be absent: its figures are reported unchecked')
    ap.add_argument('--goals', action='store_true', help='print the goals with their figures')
    ap.add_argument('pages', nargs='*')
    args = ap.parse_args()
    if args.goals:
        for goal, figures, verdict in goal_rows(Figures(args.build)):
            print('goal: %s\n      %s\n      (%s)' % (goal, verdict, figures))
        return 0
    pages = args.pages or ['README.md'] + sorted(
        os.path.join(d, p) for d, _, files in os.walk('docs') for p in files if p.endswith('.md'))
    fig = Figures(args.build)
    problems, unchecked, count = [], [], 0
    for page in pages:
        p, u, new = process(page, fig)
        count += len(INLINE.findall(new)) + len(TABLE.findall(new))
        problems += p
        unchecked += u
        if args.update and new != open(page).read():
            open(page, 'w').write(new)
            print('figures: rewrote %s' % page)
    allowed = [u for u in unchecked if any(a in u for a in args.allow_missing)]
    for u in unchecked:
        print('figures: %s: %s' % ('not checked' if u in allowed else 'error', u),
              file=sys.stderr)
    if args.update:
        return 1 if set(unchecked) - set(allowed) else 0
    for p in problems:
        print('figures: drift: %s' % p, file=sys.stderr)
    bad = problems or set(unchecked) - set(allowed)
    print('figures: %d figures and tables in %d pages: %s' % (
        count, len(pages), 'DRIFT (run `make docs` after `make bench`, or fix the page)'
        if problems else 'unchecked ones above' if bad else
        'all match %s' % args.build + (' (%d not checked)' % len(allowed) if allowed else '')))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
