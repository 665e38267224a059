# Shared by the tools tests and tests/kvm/kvm-probe.t (sourced first
# thing): they run in the
# repository's top directory, with a scratch directory $work that goes
# away at exit, and report with check(), one TAP line per command.
REPO=$(cd "$(dirname "${BASH_SOURCE[1]}")/../.." && pwd)
cd "$REPO"
work=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "${BASH_SOURCE[1]}" .t)-t.XXXXXX")
trap 'rm -rf "$work"' EXIT

n=0 failed=0
check() {  # check DESCRIPTION COMMAND... : one TAP line from the command's status
    local desc=$1
    shift
    n=$((n + 1))
    if "$@"; then echo "ok $n - $desc"
    else echo "not ok $n - $desc"; failed=$((failed + 1)); fi
}
