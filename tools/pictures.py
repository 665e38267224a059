#!/usr/bin/env python3
"""tools/pictures.py: the pictures docs/pvops.md shows, drawn from the real build.

    docs/pictures/ops.svg        the op table: one row per op, a column per
                                 backend, what each backend puts in the slot
                                 (from `pvsites --plan`'s override records)
    docs/pictures/site.svg       the worked site of section 3 before patching
                                 and after, under each backend (`pvsites` and
                                 `pvsites --plan`: bytes and disassembly)
    docs/pictures/boot-flow.svg  from each entry point (multiboot2, PVH, Xen
                                 PV) to the patcher: the direct calls in
                                 `objdump -d build/pvos.elf` on a path from an
                                 entry to pvops_patch_all

Graphviz's `dot` draws them.  Its SVG is the same for the same input but
for a comment naming its version, which is dropped, so that `make docs`
writes them and `make docs-check` can regenerate them into build/pictures/
and compare byte for byte (--check, which names each picture that differs).

    tools/pictures.py [--check] [--build build] [--out docs/pictures]
"""
import argparse
import filecmp
import html
import os
import re
import subprocess
import sys

from snippets import BACKENDS, SITE_FUNCTION, SITE_OP, Missing, Snippets, run

PICTURES = ['ops.svg', 'site.svg', 'boot-flow.svg']
ENTRIES = ['mb2_entry', 'pvh_entry', 'xen_start']
PATCHER = 'pvops_patch_all'
FONT = 'fontname="DejaVu Sans Mono" fontsize=10'


def dot_svg(source):
    """dot's SVG for source, without the comments that name its version."""
    svg = subprocess.run(['dot', '-Tsvg'], input=source, check=True, capture_output=True,
                         text=True).stdout
    return re.sub(r'<!--.*?-->\n?', '', svg, flags=re.S)


def esc(text):
    return html.escape(text, quote=True)


# ---- the op table ----

def overrides(snip, backend):
    """{op: (function, condition)} of a backend's records, as --plan lists them."""
    found = {}
    for line in snip.plan(backend):
        m = re.match(r'  override (\S+) +(\S+) +if (.*?) +(applied|not applied)$', line)
        if m:
            fn, cond = m.group(2), m.group(3)
            if m.group(1) in found:     # two records for one slot: both, one per line
                fn = found[m.group(1)][0] + ' | ' + fn
                cond = found[m.group(1)][1] + ' | ' + cond
            found[m.group(1)] = (fn, cond)
    return found


def native_functions(snip):
    """{op: the native function} from the plan's view of pv_native_ops: the op list."""
    ops = []
    for line in snip.plan('native'):
        m = re.match(r' *\d+ [0-9a-f]{16} \S+ +(\S+) ', line)
        if m and m.group(1) not in ops:
            ops.append(m.group(1))
    return ops


def op_rows():
    """Every op in PV_OP_LIST's order, from pvops/pv_ops.h."""
    text = open(os.path.join(os.path.dirname(__file__), '..', 'pvops', 'pv_ops.h')).read()
    return ['%s.%s' % m for m in re.findall(r'^\s*(?:ASM|FN)\((\w+), (\w+),', text, re.M)]


def ops_picture(snip):
    over = {b: overrides(snip, b) for b in BACKENDS}
    head = ''.join('<td bgcolor="#dddddd"><b>%s</b></td>' % b for b in BACKENDS)
    rows = ['<tr><td bgcolor="#dddddd"><b>op</b></td>%s</tr>' % head]
    for op in op_rows():
        cells = []
        for b in BACKENDS:
            if op in over[b]:
                fn, cond = over[b][op]
                note = '' if cond == 'always' else '<br/><font point-size="8">if %s</font>' % esc(cond)
                cells.append('<td bgcolor="#ffe0a0">%s%s</td>' % (esc(fn), note))
            else:
                cells.append('<td>native</td>')
        rows.append('<tr><td align="left">%s</td>%s</tr>' % (esc(op), ''.join(cells)))
    return dot_svg('digraph ops {\n node [shape=plaintext %s];\n t [label=<<table border="0" '
                   'cellborder="1" cellspacing="0" cellpadding="3">%s</table>>];\n}\n'
                   % (FONT, ''.join(rows)))


# ---- the worked site ----

def site_row(label, line, at):
    """A row: the label, then the bytes and disassembly of a pvsites line from column at."""
    rest = line[at:].strip()
    bytes_, _, insns = rest.partition('  ')
    why = re.search(r'\((inline|direct|left|refused)[^()]*\)$', insns)
    insns = insns[:why.start()].strip() if why else insns
    return ('<tr><td align="left"><b>%s</b></td><td align="left">%s</td><td align="left">%s</td>'
            '<td align="left">%s</td></tr>' % (esc(label), esc(bytes_), esc(insns).replace(' ; ', '<br align="left"/>') + '<br align="left"/>',
                                               esc(why.group(0)[1:-1]) if why else 'as built'))


def site_picture(snip):
    s = snip.site()
    before = s['line'].index(' rax ') + len(' rax ')
    rows = [site_row('before', s['line'], before)]
    for b in BACKENDS:
        line = snip.plan_line(b)
        at = re.search(r' (inline|direct|left|refused) ', line).end()
        rows.append(site_row(b, line, at))
    title = '%s at %s: %d bytes' % (SITE_OP, s['where'], s['len'])
    return dot_svg('digraph site {\n node [shape=plaintext %s];\n t [label=<<table border="0" '
                   'cellborder="1" cellspacing="0" cellpadding="4"><tr><td colspan="4" '
                   'bgcolor="#dddddd"><b>%s</b></td></tr>%s</table>>];\n}\n'
                   % (FONT, esc(title), ''.join(rows)))


# ---- the boot flow ----

def symbols(elf):
    """{address: name} of the code symbols, a name without a leading __ first."""
    names = {}
    for line in run('nm', '-n', elf).split('\n'):
        f = line.split()
        if len(f) == 3 and f[1] in 'tT':
            a = int(f[0], 16)
            if a not in names or (names[a].startswith('__') and not f[2].startswith('__')):
                names[a] = f[2]
    return names


def load_offset(elf):
    """Virtual minus physical address of the image: a far jump in 32-bit code is physical."""
    for line in run('readelf', '-lW', elf).split('\n'):
        f = line.split()
        if f[:1] == ['LOAD']:
            return int(f[2], 16) - int(f[3], 16)
    raise Missing('%s has no LOAD segment' % elf)


def disassembly(elf, names):
    """objdump -d, with the 32-bit entry code (mb2_entry up to boot64) decoded as i386."""
    addr = {n: a for a, n in names.items()}
    if 'mb2_entry' not in addr or 'boot64' not in addr:
        raise Missing('%s: no mb2_entry or boot64 symbol' % elf)
    lo, hi = addr['mb2_entry'], addr['boot64']
    code32 = run('objdump', '-d', '-M', 'i386', '--no-show-raw-insn', '--start-address=%#x' % lo,
                 '--stop-address=%#x' % hi, elf).split('\n')
    rest = run('objdump', '-d', '--no-show-raw-insn', elf).split('\n')
    at = lambda l: int(l.split(':')[0].split()[0], 16) if re.match(r'[0-9a-f]+[ :]', l) else None
    keep = lambda lines, ok: [l for l in lines if at(l) is not None and ok(at(l))]
    return keep(rest, lambda a: a < lo) + keep(code32, lambda a: True) + \
        keep(rest, lambda a: a >= hi)


def edge_of(insn, prev, names, offset):
    """(target, how) of one instruction that hands control to another function, or None."""
    m = re.search(r'\t(call|jmp)\s+([0-9a-f]+) <', insn)
    if m:       # 32-bit code prints a target's low 32 bits only
        high = int(insn.split(':')[0], 16) & ~0xffffffff
        to = int(m.group(2), 16)
        return names.get(to, names.get(high | to)), None
    m = re.search(r'\tljmp\s+\$0x[0-9a-f]+,\$(0x[0-9a-f]+)', insn)
    if m:
        return names.get(int(m.group(1), 16) + offset), 'ljmp: long mode'
    m = re.search(r'movabs \$(0x[0-9a-f]+),%rax', prev or '')
    if m and re.search(r'\tjmp\s+\*%rax', insn):
        return names.get(int(m.group(1), 16)), 'jmp *%rax: higher half'
    return None


def call_graph(elf):
    """{function: {callee: how}}: direct calls and jumps, far jumps, fall-throughs."""
    names, offset = symbols(elf), load_offset(elf)
    graph, fn, prev = {}, None, None
    for line in disassembly(elf, names):
        m = re.match(r'([0-9a-f]+) <[^>]+>:$', line)
        if m:
            new = names.get(int(m.group(1), 16), m.group(0))
            if fn and prev and not re.search(r'\t(jmp|ljmp|ret|ud2|call|hlt)', prev):
                graph[fn].setdefault(new, 'falls through')
            fn, prev = new, None
            graph.setdefault(fn, {})
            continue
        if not fn or not re.match(r'\s*[0-9a-f]+:\t', line):
            continue
        e = edge_of(line, prev, names, offset)
        if e and e[0] and e[0] != fn:
            graph[fn].setdefault(e[0], e[1])
        if not re.search(r'\t(nop|int3|xchg\s+%ax,%ax|cs nop|data16)', line):
            prev = line     # padding after the last instruction does not fall through
    return graph


def reach(graph, starts):
    seen, todo = set(), list(starts)
    while todo:
        f = todo.pop()
        if f not in seen:
            seen.add(f)
            todo += list(graph.get(f, {}))
    return seen


def boot_graph(elf):
    graph = call_graph(elf)
    back = {}
    for f, callees in graph.items():
        for c in callees:
            back.setdefault(c, {})[f] = None
    keep = reach(graph, ENTRIES) & reach(back, [PATCHER])
    if not set(ENTRIES) <= keep:
        raise Missing('no path from %s to %s in %s' % (', '.join(sorted(set(ENTRIES) - keep)),
                                                      PATCHER, elf))
    return graph, keep


def boot_picture(elf):
    graph, keep = boot_graph(elf)
    out = ['digraph boot {', ' rankdir=TB;', ' node [shape=box %s];' % FONT,
           ' edge [fontname="DejaVu Sans Mono" fontsize=8];']
    for f in sorted(keep):
        style = ' style=filled fillcolor="#ffe0a0"' if f in ENTRIES + [PATCHER] else ''
        out.append(' "%s"%s;' % (f, ' [%s]' % style.strip() if style else ''))
    for f in sorted(keep):
        for c, how in sorted(graph[f].items()):
            if c in keep:
                out.append(' "%s" -> "%s"%s;' % (f, c, ' [style=dashed label="%s"]' % how
                                                   if how else ''))
    return dot_svg('\n'.join(out) + '\n}\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', action='store_true',
                    help='draw into BUILD/pictures and fail if one differs from OUT')
    ap.add_argument('--build', default='build')
    ap.add_argument('--out', default=os.path.join('docs', 'pictures'))
    args = ap.parse_args()
    snip = Snippets(args.build)
    where = os.path.join(args.build, 'pictures') if args.check else args.out
    os.makedirs(where, exist_ok=True)
    try:
        drawn = {'ops.svg': ops_picture(snip), 'site.svg': site_picture(snip),
                 'boot-flow.svg': boot_picture(snip.elf())}
    except Missing as e:
        print('pictures: cannot draw: %s' % e, file=sys.stderr)
        return 1
    for name in PICTURES:
        with open(os.path.join(where, name), 'w') as f:
            f.write(drawn[name])
    if not args.check:
        print('pictures: wrote %s' % ', '.join(os.path.join(where, p) for p in PICTURES))
        return 0
    stale = [p for p in PICTURES if not os.path.exists(os.path.join(args.out, p)) or
             not filecmp.cmp(os.path.join(where, p), os.path.join(args.out, p), shallow=False)]
    for p in stale:
        print('pictures: %s is not the picture of this build: run make docs'
              % os.path.join(args.out, p), file=sys.stderr)
    if not stale:
        print('pictures: %s are the pictures of this build' % ', '.join(PICTURES))
    return 1 if stale else 0


if __name__ == '__main__':
    sys.exit(main())
