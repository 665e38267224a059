#!/usr/bin/env python3
"""tests/tools/plan-vs-log.py PLAN LOG: does `pvsites --plan` say what the kernel did?

PLAN is the output of `build/tools/pvsites --plan BACKEND build/pvos.elf`;
LOG a boot of the same image with pvops.verbose, whose patcher printed
every site it rewrote ("pvops: site ADDR <fn+off> OP: BEFORE -> AFTER (how)")
and its two count lines.  Each site must be in both, with the same op, the
same new bytes and the same outcome, and the counts must agree.  Prints
each difference (and a summary line) and exits 1 if there is any; used by
tests/tools/plan.t.
"""
import re
import sys

PLAN_SITE = re.compile(r'^ *\d+ ([0-9a-f]{16}) \S+ +(\S+) +(inline|direct|left|refused) +'
                       r'((?:cc\*\d+|[0-9a-f]{2})(?: (?:cc\*\d+|[0-9a-f]{2}))*)')
LOG_SITE = re.compile(r'^pvops: site ([0-9a-f]+) <[^>]*> (\S+): [0-9a-f ]+ -> ([0-9a-f ]+) '
                      r'\((inline|direct|left indirect|refused)\)')
COUNTS = re.compile(r'(\d+ sites: .*|\d+ link-time calls: .*)$')


def expand(tokens):
    """'eb 0c cc*12 9c 58' -> 'eb 0c cc cc ... 9c 58'."""
    out = []
    for t in tokens.split():
        out += ['cc'] * int(t[3:]) if t.startswith('cc*') else [t]
    return ' '.join(out)


def read(path, site_re, fields):
    sites, counts = {}, []
    for line in open(path, errors='replace'):
        line = line.rstrip('\r\n')
        m = site_re.match(line)
        if m:
            sites[int(m.group(1), 16)] = fields(m)
        elif line.startswith(('pvsites: plan', 'pvops: ')) and COUNTS.search(line):
            counts.append(COUNTS.search(line).group(1))
    return sites, counts


def main(plan_path, log_path):
    plan, plan_counts = read(plan_path, PLAN_SITE,
                             lambda m: (m.group(2), expand(m.group(4)), m.group(3)))
    log, log_counts = read(log_path, LOG_SITE,
                           lambda m: (m.group(2), m.group(3).strip(), m.group(4).split()[0]))
    bad = ['site %x: only in the %s' % (a, 'plan' if a in plan else 'log')
           for a in sorted(set(plan) ^ set(log))]
    bad += ['site %x: plan says %s, boot wrote %s' % (a, plan[a], log[a])
            for a in sorted(set(plan) & set(log)) if plan[a] != log[a]]
    if not plan:
        bad.append('no site lines in %s' % plan_path)
    if plan_counts != log_counts[:2]:
        bad.append('counts: plan %s, boot %s' % (plan_counts, log_counts[:2]))
    for b in bad:
        print(b)
    print('%d sites compared, %d differences' % (len(set(plan) & set(log)), len(bad)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
