#!/usr/bin/env bash
# check-sites.sh: prove that every use of pv_ops in a pvos kernel is patchable.
#
#   tools/check-sites.sh [--strict] [--objdir DIR] [--allow FUNC]... build/pvos.elf
#
# The patcher (pvops/patcher.c) rewrites only the call sites recorded in
# .pv_sites (each is padding, then the call, which ends at the site's end).  An indirect call through pv_ops that is not recorded stays an
# indirect call forever, and code that loads a slot into a register (gcc
# CSE-ing pv_ops.irq.irq_enable, Fitzhardinge's "worry 4", docs/sources.md) can call it later where
# no patcher can see.  So this script disassembles the whole linked image
# (objdump -d, once) and fails, naming function+offset and instruction, if
#
#   - an indirect call or jump through a pv_ops slot is not a recorded site
#     (or is recorded with another op), or a recorded site has no such call;
#     an unrecorded call inside the allowed functions below (pvops/selftests.c
#     calls a slot from C on purpose) is only listed as a note, unless
#     --strict is given;
#   - any other instruction loads, stores or takes the address of pv_ops
#     outside the functions allowed to touch the table: those defined by the
#     objects DIR/pvops/*.o and DIR/backends/*/*.o (DIR defaults to obj/
#     next to the ELF), plus any --allow FUNC.  Functions are matched to the
#     image by source file, name and size, so a static function elsewhere
#     that shares a name with one in pvops/ is not let off;
#   - the link-time call sites (pvops/calls.h) disagree with the image: a
#     direct call or jmp to a trampoline (pvcall_*, between
#     __start_pv_trampolines and __stop_pv_trampolines) that .pv_calls does
#     not list, or lists with another op or kind; an entry that is no such
#     branch; or, outside pvops/ and backends/, an instruction that takes a
#     trampoline's address.  Each trampoline's one jmp through pv_ops is
#     its own, and not a site.
#
# The recorded sites come from `build/tools/pvsites --raw` (PVSITES= to
# override), which also checks every entry the way the kernel does; the
# link-time calls from `pvsites --raw-calls`, the same way.
# Exit status: 0 clean, 1 offenders or bad entries, 2 usage or tool failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PVSITES=${PVSITES:-$here/../build/tools/pvsites}
objdir='' allow=() strict=0

die() { echo "check-sites: $*" >&2; exit 2; }
usage() { die "usage: check-sites.sh [--strict] [--objdir DIR] [--allow FUNC]... KERNEL.elf"; }

while [ $# -gt 1 ]; do
    case $1 in
    --objdir) objdir=$2; shift 2 ;;
    --allow) allow+=("$2"); shift 2 ;;
    --strict) strict=1; shift ;;
    *) usage ;;
    esac
done
[ $# -eq 1 ] || usage
elf=$1
[ -r "$elf" ] || die "$elf: cannot read"
: "${objdir:=$(dirname "$elf")/obj}"
[ -x "$PVSITES" ] || die "$PVSITES missing: make build/tools/pvsites"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-sites.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# pv_ops: address and size (16 hex digits each), from the symbol table.
read -r pv_addr pv_size < <(nm -S "$elf" 2>/dev/null | awk '$NF == "pv_ops" && NF == 4 { print $1, $2 }') || true
if [ -z "${pv_addr:-}" ]; then
    if nm "$elf" 2>/dev/null | grep -qw pv_ops; then
        die "$elf: pv_ops has no size in the symbol table"
    fi
    echo "check-sites: $elf has no pv_ops table (PARAVIRT=0 build?): nothing to check"
    exit 0
fi

# The recorded sites, "addr op len" per line; pvsites reports bad entries itself.
if ! "$PVSITES" --raw "$elf" > "$tmp/sites" 2> "$tmp/pvsites.err"; then
    cat "$tmp/pvsites.err" >&2
    echo "check-sites: FAIL: $PVSITES rejects the site table of $elf" >&2
    exit 1
fi

# The link-time calls, "addr op kind" per line (none in an image without .pv_calls).
if ! "$PVSITES" --raw-calls "$elf" > "$tmp/calls" 2> "$tmp/pvcalls.err"; then
    cat "$tmp/pvcalls.err" >&2
    echo "check-sites: FAIL: $PVSITES rejects the link-time call table of $elf" >&2
    exit 1
fi

# The trampolines' addresses: pvcall_* functions between the bounds, if any.
nm "$elf" 2>/dev/null | awk '
    $3 == "__start_pv_trampolines" { start = $1 } $3 == "__stop_pv_trampolines" { stop = $1 }
    $3 ~ /^pvcall_/ { a[$3] = $1 }
    END { for (n in a) if (start != "" && a[n] >= start && a[n] < stop) print a[n] }' > "$tmp/tramps"

# Function keys (FILE:name:size for locals, name:size for globals) from readelf -sW.
func_keys() {
    readelf -sW "$@" 2>/dev/null | awk '
        $4 == "FILE" { file = $8 }
        $4 == "FUNC" && $7 != "UND" { print $2, ($5 == "LOCAL" ? file ":" : "") $8 ":" $3 }'
}

# Start addresses, in the image, of the functions allowed to touch pv_ops.
shopt -s nullglob
objs=("$objdir"/pvops/*.o "$objdir"/backends/*/*.o)
if [ ${#objs[@]} -eq 0 ]; then
    echo "check-sites: note: no objects under $objdir/pvops or $objdir/backends: no function may touch pv_ops" >&2
    : > "$tmp/allowed.keys"
else
    func_keys "${objs[@]}" | awk '{ print $2 }' > "$tmp/allowed.keys"
fi
printf '%s\n' "${allow[@]+"${allow[@]}"}" > "$tmp/allowed.names"
func_keys "$elf" | awk '
    FILENAME == ARGV[1] { key[$1] = 1; next }
    FILENAME == ARGV[2] { if ($1 != "") name[$1] = 1; next }
    { n = $2; sub(/:[^:]*$/, "", n); sub(/^.*:/, "", n) }
    ($2 in key) || (n in name) { print $1 }' "$tmp/allowed.keys" "$tmp/allowed.names" - \
    > "$tmp/allowed.addrs"

objdump -d -w --no-show-raw-insn -M att "$elf" > "$tmp/dis" 2> "$tmp/objdump.err" ||
    { cat "$tmp/objdump.err" >&2; die "objdump failed on $elf"; }

awk -v pv_addr="$pv_addr" -v pv_size="$pv_size" -v strict="$strict" '
function hex(s,    i, v) {		# hex digits to a number; exact up to 13 digits
    s = tolower(s); sub(/^0x/, "", s); v = 0
    for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
    return v
}
function pad16(s) { while (length(s) < 16) s = "0" s; return s }
# A displacement or immediate as a 64-bit address: -0x7fef3f80 is ffffffff8010c080.
function addr64(tok,    neg) {
    neg = tok ~ /^-/; sub(/^-?0x/, "", tok)
    if (!neg) return pad16(tok)
    return "ffffffff" sprintf("%08x", 4294967296 - hex(tok))
}
# Offset of a 16-digit address in pv_ops, or -1 when it lies outside.
function pv_off(a,    d) {
    if (substr(a, 1, 4) != substr(pv_addr, 1, 4)) return -1
    d = hex(substr(a, 5)) - hex(substr(pv_addr, 5))
    return (d >= 0 && d < pv_size) ? d : -1
}
function where() { return sprintf("%s+0x%x", fn, hex(substr(addr, 5)) - hex(substr(fn_addr, 5))) }
function offend(why) { bad++; printf "check-sites: %s %s: %s\n        %s\n", addr, where(), why, insn }
BEGIN { pv_addr = pad16(pv_addr); pv_size = hex(pv_size); bad = 0; calls = 0; other = 0; notes = 0; nsites = 0
        nlisted = 0; nlinked = 0; ntramps = 0; tother = 0 }
# A site is padding, then its call, which ends where the site ends: key it by the call.
FILENAME == ARGV[1] { a = pad16($1); a = substr(a, 1, 8) sprintf("%08x", hex(substr(a, 9)) + $3 - 6)
                      if (a in site) { addr = a; fn = "?"; fn_addr = a; insn = "";
                          offend("recorded twice in .pv_sites") }
                      site[a] = $2; start[a] = pad16($1); nsites++; next }
FILENAME == ARGV[2] { allowed[pad16($1)] = 1; next }
FILENAME == ARGV[3] { listed[pad16($1)] = $2; lkind[pad16($1)] = $3; nlisted++; next }
FILENAME == ARGV[4] { tramp[pad16($1)] = 1; next }
/^[0-9a-f]+ <.*>:$/ { fn_addr = pad16($1); fn = $2; gsub(/^<|>:$/, "", fn); next }
/^ *[0-9a-f]+:\t/ {
    addr = $0; sub(/^ */, "", addr); sub(/:.*/, "", addr); addr = pad16(addr)
    insn = $0; sub(/^ *[0-9a-f]+:\t/, "", insn); gsub(/[ \t]+/, " ", insn); sub(/ $/, "", insn)
    check(insn)
}
function check(text,    comment, ops, mnem, n, refs, r, i, tok, off, imm, lastop, how) {
    comment = ""
    if (index(text, "#")) { comment = substr(text, index(text, "#") + 1); text = substr(text, 1, index(text, "#") - 1) }
    gsub(/<[^>]*>/, "", text); sub(/ +$/, "", text)
    while (match(text, /^(notrack|bnd|lock|rep|repz|repnz|repe|repne|data16|addr32|[c-gs]s|rex[.A-Z0-9]*) /))
        text = substr(text, RLENGTH + 1)
    mnem = text; sub(/ .*/, "", mnem)
    ops = (index(text, " ") ? substr(text, index(text, " ") + 1) : "")
    if (mnem ~ /^(call|jmp)q?$/ && (pad16(ops) in tramp)) { linked(pad16(ops), mnem); return }
    if (mnem ~ /^(j|call|loop)/ && ops !~ /^\*/) return	# direct branch: a code address
    n = 0
    if (ops ~ /\(%rip\)/ && match(comment, /^ *[0-9a-f]+/)) { tok = substr(comment, RSTART, RLENGTH); gsub(/ /, "", tok); refs[++n] = pad16(tok); isimm[n] = 0 }
    r = ops
    while (match(r, /\$?-?0x[0-9a-f]+/)) {
        tok = substr(r, RSTART, RLENGTH); r = substr(r, RSTART + RLENGTH)
        if (r ~ /^\(%rip\)/) continue		# rip-relative: the comment has its target
        imm = tok ~ /^\$/; sub(/^\$/, "", tok)
        refs[++n] = addr64(tok); isimm[n] = imm
    }
    for (i = 1; i <= n; i++) {
        if ((refs[i] in tramp) && !(fn_addr in tramp)) {
            tother++
            if (fn_addr in allowed) return
            offend(sprintf("takes the address of trampoline %s outside pvops/ and backends/: a call the patcher cannot see", refs[i]))
            return
        }
        off = pv_off(refs[i])
        if (off < 0) continue
        if ((fn_addr in tramp) && mnem ~ /^jmp/ && ops ~ /^\*/ && !isimm[i]) { tramp_op[fn_addr] = off / 8; ntramps++; return }
        if (mnem ~ /^(call|jmp)/ && ops ~ /^\*/ && !isimm[i]) { branch(off); return }
        other++
        if (fn_addr in allowed) return
        lastop = ops; sub(/.*,/, "", lastop)
        if (isimm[i] || mnem ~ /^lea/) how = "takes the address of"
        else if (ops ~ /\([^)]*,%/) how = "indexes the table at"
        else how = lastop ~ /^%/ ? "loads the slot" : "stores to or uses the slot"
        offend(sprintf("%s pv_ops+0x%x outside pvops/ and backends/: a way to reach ops the patcher cannot see", how, off))
        return
    }
}
# A direct call or jmp to a trampoline: a link-time call site, to check in END.
function linked(to, mnem) {
    nlinked++; lto[addr] = to; lwant[addr] = (mnem ~ /^call/ ? 1 : 2); lwhere[addr] = where(); linsn[addr] = insn
}
function branch(off) {
    calls++
    if (!(addr in site) && (fn_addr in allowed) && !strict) {
        notes++; printf "check-sites: note: %s %s: unrecorded call through pv_ops+0x%x (op %d), allowed in pvops/ and backends/\n        %s\n", addr, where(), off, int(off / 8), insn
        return
    }
    if (!(addr in site)) { offend(sprintf("indirect call through pv_ops+0x%x (op %d) is not a recorded site", off, int(off / 8))); return }
    if (site[addr] != off / 8) offend(sprintf("recorded as op %d but calls through pv_ops+0x%x (op %d)", site[addr], off, off / 8))
    seen[addr] = 1
}
END {
    for (a in site) if (!(a in seen)) {
        bad++; printf "check-sites: recorded site %s (op %d) does not end with an indirect call through pv_ops\n", start[a], site[a]
    }
    for (a in lto) {
        why = ""
        if (!(a in listed)) why = "is not in .pv_calls"
        else if (lkind[a] != lwant[a]) why = sprintf("is listed as kind %d, but is kind %d (1 call, 2 jmp)", lkind[a], lwant[a])
        else if (!(lto[a] in tramp_op)) why = "branches to a trampoline with no jmp through pv_ops"
        else if (listed[a] != tramp_op[lto[a]]) why = sprintf("is listed as op %d, but its trampoline is op %d", listed[a], tramp_op[lto[a]])
        if (why != "") { bad++; printf "check-sites: %s %s: link-time call %s\n        %s\n", a, lwhere[a], why, linsn[a] }
    }
    for (a in listed) if (!(a in lto)) {
        bad++; printf "check-sites: .pv_calls entry %s (op %d) is not a call or jmp to a trampoline\n", a, listed[a]
    }
    if (bad) { printf "check-sites: FAIL: %d offender(s); %d sites recorded, %d indirect calls through pv_ops\n", bad, nsites, calls; exit 1 }
    if (notes) printf "check-sites: %d sites recorded, %d indirect calls through pv_ops, all recorded but %d deliberate one(s) in pvops/ or backends/ (noted above)\n", nsites, calls, notes
    else printf "check-sites: %d sites recorded, %d indirect calls through pv_ops, all recorded\n", nsites, calls
    printf "check-sites: %d other references to pv_ops, all in pvops/ and backends/\n", other
    printf "check-sites: %d link-time calls listed, %d calls or jmps to %d trampolines, all listed; %d other references to trampolines, all in pvops/ and backends/\n", nlisted, nlinked, ntramps, tother
}' "$tmp/sites" "$tmp/allowed.addrs" "$tmp/calls" "$tmp/tramps" "$tmp/dis"
