#!/usr/bin/env python3
# Every command README.md and docs/*.md show is run by make test, so the
# course cannot drift from what pvos and its tools do.  The commands are
# taken from the pages themselves: each line of an indented code block that
# starts with a command (`make`, `prove`, `build/...`, `qemu-system-...`,
# `objdump`, `xl`, ...), or with a `$ ` prompt; a trailing `\` joins the next
# line and a trailing `# comment` is dropped.  In a block that has `$ `
# lines (every generated <!--fig-block--> does) only those are commands,
# and the lines after one are its output, which must come out as shown.
#
# Each distinct command gets one TAP line naming every page that shows it,
# and is run under a rule for its kind (RULES below): a boot target is
# booted and judged by its last line, or stopped once pvos is up; a tool
# runs as shown.  The few that make test already runs elsewhere (a nested
# KVM boot, a Debian dom0 for a domU, the stages themselves) are listed in
# COVERED, each with its reason and a check that the claim holds.  A
# command no rule knows fails, so a new one on a page cannot go unrun.
# docs/labs/, docs/answers/ and docs/inside.md have their own tests
# (SEPARATE).
import concurrent.futures, os, re, shlex, signal, socket, subprocess, sys, tempfile, time

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..'))
os.chdir(ROOT)
TMP = tempfile.mkdtemp(prefix='pvos-doccmd.')

# Pages (or folders) whose commands another test runs.
SEPARATE = {
    'docs/labs/': 'tests/labs/labs.t',
    'docs/answers/': 'tests/boot/85-answers.t',
    'docs/inside.md': 'tests/boot/75-inside.t',
}
# The first word of a line that is a command.
COMMAND = re.compile(r'^(make|prove|xl|objdump|gdb|git|python3|bash|sh|sudo|apt-get|cat|ls|grep|'
                     r'nm|readelf|cd|qemu-system-\S+|(build|build-nopv|tools|tests|\.)/\S+)(\s|$)')
# Words of pvos's command line by what a boot with them does.
IDLE = re.compile(r'^(pvops(=\S+|\.verbose)|cpus=\d+|lockdebug|pvspin=\S+|xen\.lazy_mmu=\S+)$')
FAILS = re.compile(r'^(xen\.bad_update|selftest\.fail|crash=\S+)$')

# ---- the pages and their commands ----

def pages():
    found = ['README.md']
    for d, _, files in sorted(os.walk('docs')):
        found += sorted(os.path.join(d, f) for f in files if f.endswith('.md'))
    return found

def separate(page):
    """The test that runs this page's commands, if not this one."""
    return next((t for p, t in SEPARATE.items() if page.startswith(p)), None)

def blocks(path):
    """Each indented code block as [(line number, text, in a fig-block)]."""
    out, cur, fig, prev = [], [], False, ''
    for n, line in enumerate(open(path, encoding='utf-8'), 1):
        line = line.rstrip('\n')
        if line.startswith('<!--fig-block'):
            fig = True
        elif line.startswith('<!--/fig-block'):
            fig = False
        if line.startswith('    ') and (cur or prev.strip() == '' or prev.startswith('<!--fig-block')):
            cur.append((n, line, fig))
        elif cur:
            out.append(cur)
            cur = []
        prev = line
    return out + ([cur] if cur else [])

def join_continued(lines):
    """[(n, text, fig)] with trailing-backslash lines joined to the next."""
    out = []
    for n, text, fig in lines:
        if out and out[-1][1].endswith('\\'):
            out[-1] = (out[-1][0], out[-1][1][:-1].rstrip() + ' ' + text.strip(), fig)
        else:
            out.append((n, text, fig))
    return out

def commands_of(path):
    """(line, command, shown output lines) for each command of the page."""
    found = []
    for block in blocks(path):
        lines = join_continued(block)
        prompts = any(t.strip().startswith('$ ') for _, t, _ in lines)
        for i, (n, text, fig) in enumerate(lines):
            t = text.strip()
            if prompts or fig:
                if not t.startswith('$ '):
                    continue
                t = t[2:]
            elif not COMMAND.match(t):
                continue	# code or output, not a command
            shown = []
            for _, later, _ in lines[i + 1:]:
                if later.strip().startswith('$ '):
                    break
                shown.append(later[4:].rstrip())
            found.append((n, re.sub(r'\s+#\s.*$', '', t), shown if prompts else []))
    return found

def all_commands():
    """{command: {'pages': [page:line...], 'shown': [...]}} in page order."""
    cmds = {}
    for page in pages():
        if separate(page):
            continue
        for n, cmd, shown in commands_of(page):
            key = ' '.join(cmd.split())
            c = cmds.setdefault(key, {'pages': [], 'shown': []})
            if page not in c['pages']:
                c['pages'].append(page)
            c['shown'] = c['shown'] or shown
    return cmds

# ---- running a command as a reader would ----

# A reader's shell: no make of ours around it (make test's MAKEFLAGS would
# add "Entering directory" lines and its jobserver).
ENV = {k: v for k, v in os.environ.items() if k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL')}

def stop(p):
    """End the command's whole process group (make, QEMU, ...)."""
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            return p.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    return p.poll()

def session(cmd, until=None, send=None, timeout=150):
    """Run CMD with a pipe for stdin.  Once UNTIL (a regex) shows in its
    output: type SEND, or without SEND stop it.  Returns (status or
    'timeout' or 'stopped', output, whether UNTIL was seen)."""
    fd, log = tempfile.mkstemp(dir=TMP, prefix='out.')	# two sessions may run at once
    os.close(fd)
    with open(log, 'wb') as out:
        p = subprocess.Popen(['bash', '-c', cmd], stdin=subprocess.PIPE, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True, env=ENV)
    seen, st, t0 = False, None, time.time()
    while st is None:
        text = open(log, 'rb').read().decode('utf-8', 'replace').replace('\r', '')
        if until and not seen and re.search(until, text, re.M):
            seen = True
            if send is None:
                stop(p)
                st = 'stopped'
                break
            time.sleep(0.3)
            p.stdin.write(send.encode())
            p.stdin.flush()
        if time.time() - t0 > timeout:
            stop(p)
            st = 'timeout'
            break
        time.sleep(0.1)
        st = p.poll()
    text = open(log, 'rb').read().decode('utf-8', 'replace').replace('\r', '')
    return st, text, seen

def last_line(text):
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1] if lines else ''

# What a boot target's last line says when pvos passed / failed.
PASSED = r'^(run|run-kvm|run-xen): (QEMU exited with|exit status) 1 \(1 = pvos passed|' \
         r'^run-domu: pvos shut down with reason poweroff'
FAILED = r'^(run|run-kvm|run-xen): (QEMU exited with|exit status) 3 \('

def outcome(words):
    """What a boot with these command-line words must do, or None."""
    if any(FAILS.match(w) for w in words):
        return 'fail'
    rest = [w for w in words if not IDLE.match(w)]
    if rest == ['selftest']:
        return 'pass'
    if rest == ['monitor']:
        return 'monitor'
    return 'idle' if not rest else None

def judge_boot(cmd, want):
    """Boot as shown and judge it by WANT; (ok, detail)."""
    if want == 'idle':
        st, text, seen = session(cmd, until=r'^pvos: boot complete')
        return seen, 'reached "pvos: boot complete", then stopped' if seen else last_line(text)
    if want == 'monitor':
        st, text, seen = session(cmd, until=r'^monitor: ready', send='exit\r')
        ok = seen and re.search(PASSED, last_line(text), re.M) is not None
        return ok, 'typed exit at "monitor: ready"; ' + last_line(text)
    st, text, _ = session(cmd)
    ok = re.search(PASSED if want == 'pass' else FAILED, last_line(text), re.M) is not None
    return ok, last_line(text)

# ---- the rules, one per kind of command: each returns (ok, detail) ----

def make_parts(cmd):
    """`make TARGET VAR=value...` -> (target, {VAR: value}), or None."""
    words = shlex.split(cmd)
    if len(words) < 2 or '=' in words[1] or any('=' not in w for w in words[2:]):
        return None
    return words[1], dict(w.split('=', 1) for w in words[2:])

def rule_make_boot(cmd, _shown):
    parts = make_parts(cmd)
    if not parts:
        return None
    var = parts[1]
    if set(var) - {'ARGS', 'ACCEL', 'SMP', 'XEN_CMDLINE'}:
        return None
    want = outcome(var.get('ARGS', '').split())
    return judge_boot(cmd, want) if want else None

def rule_qemu(cmd, _shown):
    words = shlex.split(cmd)
    if '-append' not in words:
        return None
    want = outcome(words[words.index('-append') + 1].split())
    if want not in ('pass', 'idle'):
        return None
    if want == 'idle':
        return judge_boot(cmd, want)
    st, text, _ = session(cmd, timeout=120)
    return st == 1, f'QEMU exited with {st} (1 = pvos passed)'

def rule_tool(cmd, shown):
    """A tool on the build: exit 0, and the lines the page shows after it
    (`...` elides) come out in that order."""
    p = subprocess.run(['bash', '-c', cmd], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=120, env=ENV)
    out = [l.expandtabs().rstrip() for l in p.stdout.splitlines()]	# as the pages show it
    want = [l for l in shown if l.strip() != '...']
    i = 0
    for line in out:
        if i < len(want) and line == want[i]:
            i += 1
    if p.returncode != 0:
        return False, f'exit status {p.returncode}: {p.stderr.strip()[:200]}'
    if i < len(want):
        return False, f'the page shows a line the output lacks: {want[i]!r}'
    return True, f'exit 0, and the {len(want)} lines the page shows'

def listening(port):
    """Is something listening on this TCP port (from /proc/net/tcp)?"""
    for f in ('/proc/net/tcp', '/proc/net/tcp6'):
        for row in open(f).read().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            if state == '0A' and int(local.split(':')[1], 16) == port:
                return True
    return False

def rule_debug(cmd, _shown):
    """make debug prints the gdb command and waits halted: the stub must be
    listening, and that very gdb command must stop at kmain."""
    gdb_line = r'^    (gdb build/pvos\.elf .*)$'
    log = os.path.join(TMP, 'debug')
    with open(log, 'wb') as out:
        p = subprocess.Popen(['bash', '-c', cmd], stdin=subprocess.PIPE, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True, env=ENV)
    try:
        for _ in range(300):
            text = open(log).read()
            if re.search(gdb_line, text, re.M) and listening(1234):
                break
            time.sleep(0.1)
        m = re.search(gdb_line, text, re.M)
        if not m or not listening(1234):
            return False, 'no gdb line, or nothing listening on :1234: ' + last_line(text)
        g = subprocess.run(['bash', '-c', 'gdb -batch -nx ' + m.group(1)[4:]], capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        hit = re.search(r'^Breakpoint 1, kmain', g.stdout, re.M) is not None
        return hit, f'gdbstub on :1234; `{m.group(1)}` ' + ('stops at kmain' if hit else 'did not stop at kmain')
    finally:
        stop(p)

RULES = [	# (command regex, rule)
    (r'^make (run|run-xen|debug)( |$)', lambda c, s: rule_debug(c, s) if c == 'make debug' else rule_make_boot(c, s)),
    (r'^make run-kvm ARGS=selftest$', rule_make_boot),	# the one run-kvm boot (COVERED)
    (r'^make run-xen-domu ARGS=monitor$', rule_make_boot),	# the one domU boot (COVERED)
    (r'^qemu-system-x86_64 ', rule_qemu),
    (r'^(objdump|build/tools/pvsites) ', rule_tool),
]

# ---- commands that make test runs elsewhere: each claim checked here ----

RESULTS = {}	# command -> ok, of the commands run here

def read(path):
    return open(path, encoding='utf-8').read() if os.path.exists(path) else ''

def make_recipe(target):
    """The recipe lines of a Makefile target."""
    m = re.search(r'^' + re.escape(target) + r':[^\n]*\n((?:\t[^\n]*\n)*)', read('Makefile'), re.M)
    return m.group(1) if m else ''

def stages():
    """{directory: stage} of every `prove` line in the stages make test runs."""
    test = make_recipe('test')
    out = {}
    for stage in re.findall(r'\$\(MAKE\) ([a-z-]+)', test):
        for line in re.findall(r'^\tprove (.*)$', make_recipe(stage), re.M):
            for d in line.split():
                out[d.rstrip('/') + '/'] = stage
    return out

def check_prove(cmd):
    """`prove X`: X exists and a make test stage proves it."""
    for x in cmd.split()[1:]:
        d = x if x.endswith('/') else os.path.dirname(x) + '/'
        if not os.path.exists(x) or d not in stages() or not (x.endswith('/') or x.endswith('.t')):
            return False, f'{x} is not a test of a make test stage ({sorted(stages())})'
    return True, 'make ' + stages()[d]

def check_ran(cmd, also=()):
    """The same target's real run here passed, and the named tests exist."""
    missing = [t for t in also if not os.path.exists(t)]
    if not RESULTS.get(cmd) or missing:
        return False, f'{cmd} did not pass here, or missing: {missing}'
    return True, 'passed above'

def options():
    """The words README.md's option table lists (`pvops=native|...` -> pvops)."""
    return set(re.findall(r'^\| `([a-z_.]+)', read('README.md'), re.M))

def check_domu(cmd):
    """As domu.t runs a guest: an iso/ config it uses, kernel= and extra=
    overridden on xl's command line as dom0-init.sh does, and each extra=
    word an option pvos takes; says which words domu.t itself boots."""
    domu, init = read('tests/xen/domu.t'), read('tests/xen/dom0-init.sh')
    words = shlex.split(cmd)
    if words[0] == 'make':
        var = make_parts(cmd)[1]
        cfg = 'pvos-smp.xl.cfg' if var.get('SMP') == '2' else 'pvos.xl.cfg'
        extra, keys = var.get('ARGS', ''), ['extra']
    else:
        cfg = os.path.basename(next(w for w in words if w.endswith('.xl.cfg')))
        over = dict(w.split('=', 1) for w in words[2:] if '=' in w)
        keys = list(over) or ['extra']
        extra = over.get('extra', re.search(r'^extra *= *(.*)$', read('iso/' + cfg), re.M).group(1)).strip('"')
    if not os.path.exists('iso/' + cfg) or (cfg != 'pvos.xl.cfg' and '--config ' + cfg not in domu):
        return False, f'iso/{cfg}: missing, or not a config domu.t runs'
    bad = [k for k in keys if not re.search(k + r'=\\?"', init)]
    unknown = [w for w in extra.split() if w.split('=')[0] not in options()]
    if bad or unknown:
        return False, f'not overridden as dom0-init.sh does: {bad}; not options of README.md: {unknown}'
    booted = [w for w in extra.split() if re.search(r'\b' + re.escape(w) + r'\b', domu)]
    return True, f'iso/{cfg}; words domu.t boots: {booted or "-"}; the rest options pvos takes'

def check_bench(_cmd):
    ok = 'tools/bench.sh' in make_recipe('bench') and 'bench.sh' in read('tests/boot/80-bench.t')
    return ok, 'make bench and 80-bench.t both run tools/bench.sh'

def check_docs(_cmd):
    tools = re.findall(r'(tools/\S+\.(?:sh|py))', make_recipe('docs'))
    ok = bool(tools) and all(t in make_recipe('docs-check') for t in tools)
    return ok, f'make docs-check runs what make docs runs ({", ".join(sorted(set(tools)))})'

def check_test(_cmd):
    ok = 'boot-test' in make_recipe('test') and 'tests/boot/' in stages()
    return ok, 'this test is part of it (make boot-test)'

KVM = 'make run-kvm ARGS=selftest'
DOMU = 'make run-xen-domu ARGS=monitor'
COVERED = [	# (command regex, covered by, why, check)
    (r'^make run-kvm( ARGS=(monitor|bench))?$', f'{KVM} and tests/kvm/',
     'same target; off a usable /dev/kvm each boot is nested (60 s or more)',
     lambda c: check_ran(KVM, ['tests/kvm/pvos-kvm.t'] + (['tests/monitor/kvm-nested.t'] if 'monitor' in c else []))),
    (r'^make run-xen-domu$', f'{DOMU} and tests/xen/domu.t',
     'the same interactive boot, with no words on the command line',
     lambda c: check_ran(DOMU, ['tests/xen/domu.t'])),
    (r'^(make run-xen-domu( SMP=2)?( ARGS=\S+)?|xl create -c iso/\S+\.xl\.cfg( .*)?)$', 'tests/xen/domu.t',
     'a Debian dom0 boot (15 s or more) each; domu.t runs the same guests through the same script',
     check_domu),
    (r'^prove ', 'its stage of make test', 'make test proves it', check_prove),
    (r'^make bench$', 'tests/boot/80-bench.t and tests/kvm/', 'minutes; the same boots, the KVM ones nested',
     check_bench),
    (r'^make docs$', 'make docs-check', 'it rewrites the pages; make test checks what it would write', check_docs),
    (r'^make test$', 'make test', 'it is the whole run', check_test),
]

# ---- the TAP lines ----

def where(c):
    return ', '.join(c['pages'])

def run_one(cmd, c):
    """(ok, line) for a command a rule runs here, or a failing 'no rule'."""
    for pattern, rule in RULES:
        if re.search(pattern, cmd):
            t0 = time.time()
            res = rule(cmd, c['shown'])
            if res is not None:
                RESULTS[cmd] = res[0]
                return res[0], f'{where(c)}: {cmd} ({res[1]}; {time.time() - t0:.0f} s)'
    return False, f'no rule for this command: {cmd} on {where(c)}'

def cover_one(cmd, c, entry):
    _, by, why, check = entry
    ok, detail = check(cmd)
    return ok, f'{where(c)}: {cmd} # covered by {by}: {why} ({detail})'

def main():
    missing = [t for t in SEPARATE.values() if not os.path.exists(t)]
    cmds = all_commands()
    print(f'1..{len(cmds) + 1}')
    n = 1
    print(('not ok' if missing else 'ok') + f' 1 - docs/labs/, docs/answers/, docs/inside.md: their commands run in '
          f'{", ".join(SEPARATE.values())}' + (f' (missing: {missing})' if missing else ''))
    covered = {k: None if k in (KVM, DOMU) else next((e for e in COVERED if re.search(e[0], k)), None)
               for k in cmds}
    # The commands run here first: some claims of COVERED rest on them.
    order = [k for k in cmds if not covered[k]] + [k for k in cmds if covered[k]]
    failed = bool(missing)
    # Two at a time (most boots are one QEMU thread, the machine has two
    # cores), printed in order; `make debug` alone, since it holds :1234.
    here = [k for k in order if not covered[k]]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        debug = [k for k in here if re.match(r'make debug\b', k)]
        runs = {k: pool.submit(run_one, k, cmds[k]) for k in here if k not in debug}
        results = {k: f.result() for k, f in runs.items()}
    results.update({k: run_one(k, cmds[k]) for k in debug})
    for k in order:
        ok, line = cover_one(k, cmds[k], covered[k]) if covered[k] else results[k]
        n += 1
        print(('ok' if ok else 'not ok') + f' {n} - {line}', flush=True)
        failed |= not ok
    subprocess.run(['rm', '-rf', TMP])
    return 1 if failed else 0

sys.exit(main())
