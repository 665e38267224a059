#!/usr/bin/env bash
# tools/check-refs.py can fail: in a scratch git repository, a comment or a
# page that names a missing file, or a path outside the repository, is
# reported with its place; names of existing files, system headers and
# allowed paths are not.  Then the real tree, which must pass.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHECK="python3 $ROOT/tools/check-refs.py"
T=$(mktemp -d /tmp/pvos-refs.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
echo "1..9"

mkdir -p "$T/repo/pvops" "$T/repo/docs" "$T/repo/tools"
cd "$T/repo" || exit 1
git init -q .
printf '/* see pvops/patch.c and <asm/kvm_para.h> */\nint x;\n' >pvops/patch.c
printf '# Guide\n\npvops/patch.c and docs/ exist.\n' >docs/good.md
git add -A
$CHECK >out 2>err; ok $? "a tree whose references all exist passes"

printf '/* the template syntax is in pvops/insn.h */\nint y;\n' >pvops/stale.c
git add -A
$CHECK >out 2>err; st=$?
ok $((st == 0)) "a comment naming a missing file fails (status $st)"
grep -q 'pvops/stale.c:1: pvops/insn.h: no such file' err; ok $? "the message names the place and the path"
git rm -q --cached pvops/stale.c && rm pvops/stale.c

printf 'The threads are in `../shared/seeds/`.\n' >docs/outside.md
git add -A
$CHECK >out 2>err; st=$?
grep -q 'docs/outside.md:1: ../shared/seeds/: a path outside the repository' err && [ "$st" != 0 ]
ok $? "a path outside the repository fails"
git rm -q --cached docs/outside.md && rm docs/outside.md

printf "Linux's init/initramfs.c unpacks them.\n" >docs/linux.md
git add -A
$CHECK >out 2>err; st=$?
ok $((st == 0)) "another project's path fails while it is not allowed (status $st)"
printf 'init/initramfs.c\tLinux\n' >tools/check-refs.allow
git add -A
$CHECK >out 2>err; ok $? "tools/check-refs.allow lets it through"

printf 'Each of pvops/*.c, and every docs/*.png.\n' >docs/glob.md
git add -A
$CHECK >out 2>err; st=$?
grep -q 'docs/glob.md:1: docs/\*.png: no file matches it' err && [ "$st" != 0 ] &&
	! grep -q 'pvops/\*.c' err
ok $? "a glob must match some file (pvops/*.c does, docs/*.png does not)"
printf 'pic\n' >docs/a.png
git add -A
$CHECK >out 2>err; ok $? "and passes once one does"
git rm -q --cached docs/glob.md docs/a.png && rm docs/glob.md docs/a.png

cd "$ROOT" || exit 1
$CHECK >"$T/real.out" 2>"$T/real.err"; st=$?
[ "$st" = 0 ] || sed 's/^/# /' "$T/real.err"
ok "$st" "every file pvos's own comments and pages name exists"
