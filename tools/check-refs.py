#!/usr/bin/env python3
"""tools/check-refs.py: every file that a comment or a page names exists.

pvos's comments and docs point readers at files ("see pvops/patch.c",
"backends/xen/mmu.c does ...").  When a file moves, those pointers rot
silently.  This check reads every tracked source, script and page, takes
each word that names a file of this repository (a path with a `/`, or a
name with a source extension), and fails, naming the place, when no such
file exists.  Words that name a file outside the repository fail too: a
reader who clones pvos has only pvos.

Not repository files, so not checked: generated ones (build/, build-nopv/),
system paths (/usr, /boot, /dev, ...), headers found in the system include
directories (<asm/kvm_para.h>, xen/io/console.h), URLs, and the names in
tools/check-refs.allow (files of other projects that a page cites by their
own path, each with the project it belongs to).

    tools/check-refs.py [--root DIR]     exit 0: all found; 1: some missing
"""
import argparse
import fnmatch
import os
import re
import subprocess
import sys

EXTS = 'c|h|S|sh|t|md|py|ld|cfg|txt|csv|png'
# A word made of path characters that ends in a known extension, or holds a '/'.
# A '*' in it is a glob (iso/*.xl.cfg): some file must match it.
WORD = re.compile(r'(?<![\w./<*-])(\.{0,2}/?(?:[\w.+*-]+/)*[\w+*-][\w.+*-]*\.(?:%s))(?![\w/-]|\.\w)' % EXTS)
DIRWORD = re.compile(r'(?<![\w./<:-])((?:\.\./)+[\w./-]+|[a-z][\w+-]*(?:/[\w+-]+)*/[\w+-]*)(?![\w/-]|\.\w)')
SKIP_PREFIX = ('build/', 'build-nopv/', '/usr/', '/boot/', '/dev/', '/sys/', '/proc/', '/tmp/',
               '/var/', '/run/', '/etc/', '/lib/', '/bin/', '/sbin/', '/root/', '/work/',
               '/init', '/pvos/')
SYSTEM_INCLUDE = ['/usr/include', '/usr/include/x86_64-linux-gnu']
TEXT = re.compile(r'\.(c|h|S|sh|t|md|py|ld|cfg|txt)$|(^|/)(Makefile|README[^/]*|run)$')


def tracked(root):
    out = subprocess.run(['git', '-C', root, 'ls-files', '--cached', '--others',
                          '--exclude-standard'], capture_output=True, text=True, check=True)
    return [f for f in out.stdout.split('\n') if f and os.path.exists(os.path.join(root, f))]


def allowed(root):
    path = os.path.join(root, 'tools', 'check-refs.allow')
    if not os.path.exists(path):
        return set()
    return {line.split()[0] for line in open(path) if line.strip() and not line.startswith('#')}


class Repo:
    def __init__(self, root):
        self.root = root
        self.files = set(tracked(root))
        self.dirs = {os.path.dirname(f) for f in self.files}
        for d in list(self.dirs):
            while d:
                self.dirs.add(d)
                d = os.path.dirname(d)
        self.names = {os.path.basename(f) for f in self.files}
        self.allow = allowed(root)

    def system_header(self, word):
        return word.endswith('.h') and any(os.path.exists(os.path.join(d, word))
                                           for d in SYSTEM_INCLUDE)

    def problem(self, word, here):
        """Why `word`, seen in file `here`, names no file; None if it does."""
        w = word.rstrip('/')
        if word.startswith('../') or '/../' in word:
            return 'a path outside the repository'
        if word.startswith(SKIP_PREFIX) or w in self.allow or self.system_header(w):
            return None
        if w.startswith('./'):
            w = w[2:]
        if '*' in w:
            pool = self.files if '/' in w else self.names
            return None if fnmatch.filter(pool, w) else 'no file matches it'
        if '/' not in w:
            return None if w in self.names or w in self.dirs else 'no file of that name'
        rel = os.path.normpath(os.path.join(os.path.dirname(here), w))
        if w in self.files or w in self.dirs or rel in self.files or rel in self.dirs:
            return None
        return 'no such file'


def words(line):
    for m in WORD.finditer(line):
        yield m.group(1)
    for m in DIRWORD.finditer(line):
        w = m.group(1)
        if w.startswith('../') or (w.count('/') >= 1 and w.split('/')[0] in TOP):
            yield w


TOP = set()


C_LIKE = re.compile(r'\.(c|h|S|ld)$')


def prose(path, text):
    """(line number, text) of what a reader reads: a page whole, a program's comments."""
    lines = text.split('\n')
    if path.endswith(('.md', '.txt', '.cfg')) or os.path.basename(path).startswith('README'):
        return list(enumerate(lines, 1))
    if C_LIKE.search(path):
        out, in_comment = [], False
        for n, line in enumerate(lines, 1):
            kept = ''
            while line:
                if in_comment:
                    end = line.find('*/')
                    kept += line if end < 0 else line[:end]
                    line = '' if end < 0 else line[end + 2:]
                    in_comment = end < 0
                else:
                    start = line.find('/*')
                    if line.find('//') >= 0 and (start < 0 or line.find('//') < start):
                        kept += line[line.find('//'):]
                        break
                    if start < 0:
                        break
                    line, in_comment = line[start + 2:], True
            out.append((n, kept))
        return out
    return [(n, l[l.index('#'):]) for n, l in enumerate(lines, 1) if l.lstrip().startswith('#')]


def check(repo, path):
    problems = []
    in_url = re.compile(r'\w+://\S+')
    text = open(os.path.join(repo.root, path), errors='replace').read()
    for n, line in prose(path, text):
        line = in_url.sub(' ', line)
        line = re.sub(r'#\s*include\s*<[^>]*>', ' ', line)
        seen = set()
        for w in words(line):
            if w in seen:
                continue
            seen.add(w)
            why = repo.problem(w, path)
            if why:
                problems.append('%s:%d: %s: %s' % (path, n, w, why))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--root', default='.')
    args = ap.parse_args()
    repo = Repo(args.root)
    TOP.update(f.split('/')[0] for f in repo.files if '/' in f)
    problems, pages = [], 0
    for f in sorted(repo.files):
        if TEXT.search(f) and f != 'tools/check-refs.allow':
            pages += 1
            problems += check(repo, f)
    for p in problems:
        print('check-refs: %s' % p, file=sys.stderr)
    print('check-refs: %d files read: %s' % (pages, '%d references name no file of this repository'
                                             % len(problems) if problems else
                                             'every file they name exists'))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
