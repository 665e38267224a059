# Lab 4 (docs/labs/lab4.md): break an invariant on purpose, and see what
# catches it.  Sourced by tests/labs/grade.sh.  The student keeps each
# breakage as a patch in labs/lab4/ and says in labs/lab4.txt what caught
# it.  Each patch is applied to a copy of this tree (never to the tree),
# which is built, run through check-sites and booted with `selftest`
# (hidden-site also under Xen); what really caught it must be what the
# notes say.

LAB4_BREAKS="short-site wrong-clobber hidden-site"
LAB4_CATCHERS="build check-sites patcher selftest"

# lab4_kind NAME PATCH: is the patch that kind of breakage, from its diff alone?
lab4_kind() {
	case $1 in
	short-site)	# a row of PV_OP_LIST whose room got smaller
		awk 'match($0, /^[-+][ \t]*(ASM|FN)\([a-z]+, [a-z_0-9]+, (C|CALLEE), [0-9]+/) {
			split(substr($0, RSTART + 1, RLENGTH - 1), f, /[(,][ \t]*/)
			if (substr($0, 1, 1) == "-") old[f[2] "." f[3]] = f[5]; else new[f[2] "." f[3]] = f[5] }
			END { for (op in new) if (op in old && new[op] + 0 < old[op] + 0) found = 1; exit !found }' "$2" ;;
	wrong-clobber)	# a line that states what a call or its code clobbers
		grep -qE '^[-+].*(PV_CLB_|PV_C_SCRATCH|PV_C_CLOBBERS|DEF_PV_INSN)' "$2" ;;
	hidden-site)	# known by what check-sites says of it (lab4_break)
		return 0 ;;
	esac
}

# lab4_break NAME PATCH: apply it to a copy; print what caught it, in LAB4_CATCHERS
# order ("nothing" if none), and for hidden-site the Xen boot's "xen=pass|fail".
lab4_break() {
	local w=$TMP/tree-$1 caught="" st refused
	copy_tree "$w"
	(cd "$w" && git apply "$2") || { echo "does-not-apply"; return 0; }
	if ! nice make -s -C "$w" -j2 build/pvos.elf >"$TMP/$1.make" 2>&1; then
		echo "build"
		return 0
	fi
	nice make -s -C "$w" check-sites >"$TMP/$1.cs" 2>&1 || caught="$caught check-sites"
	st=$(boot "$w/build/pvos.elf" selftest "$TMP/$1.log")
	refused=$(sites_field "$TMP/$1.log" 5)
	[ "${refused:-0}" = 0 ] || caught="$caught patcher"
	[ "$st" = 1 ] && selftests_ok "$TMP/$1.log" || caught="$caught selftest"
	echo "${caught:- nothing}"
	if [ "$1" = hidden-site ]; then
		grep -q 'is not a recorded site' "$TMP/$1.cs" && echo "unrecorded"
		st=$(boot_xen "$w/build/pvos.elf" selftest "$TMP/$1.xen.log")
		[ "$st" = 1 ] && selftests_ok "$TMP/$1.xen.log" && echo "xen=pass" || echo "xen=fail"
	fi
}

# lab4_said NAME: the notes' catchers for NAME, in LAB4_CATCHERS order.
lab4_said() {
	local said c out=""
	said=" $(answer "$ANS/lab4.txt" "$1" | tr ',' ' ') "
	for c in $LAB4_CATCHERS nothing; do
		case $said in *" $c "*) out="$out $c" ;; esac
	done
	echo "$out"
}

lab4_one() {	# lab4_one NAME: the criteria of one breakage
	local p=$ANS/lab4/$1.patch seen caught said
	if [ ! -f "$p" ]; then
		miss "labs/lab4/$1.patch: make the breakage in your tree, then git diff > labs/lab4/$1.patch (and undo it)"
		return 0
	fi
	lab4_kind "$1" "$p"
	check $? "labs/lab4/$1.patch is a $1 breakage" "docs/labs/lab4.md says what a $1 patch must change"
	seen=$(lab4_break "$1" "$p")
	caught=$(awk 'NR == 1' <<<"$seen")
	if [ "$caught" = does-not-apply ]; then
		miss "labs/lab4/$1.patch applies to this tree: make it again from this tree (git diff)"
		return 0
	fi
	[ "$caught" != " nothing" ]
	check $? "pvos or its tools catch $1 (caught by:$caught)" \
		"this one goes unnoticed: the lab asks for a breakage that is refused or caught"
	said=$(lab4_said "$1")
	[ "$said" = "$caught" ]
	check $? "labs/lab4.txt: $1 names what caught it" \
		"it says${said:- nothing usable}; find out again (build, check-sites, a selftest boot)"
	[ "$(words "$(answer "$ANS/lab4.txt" "$1-why")")" -ge 8 ]
	check $? "labs/lab4.txt: $1-why explains it (8 words or more)" "say which invariant broke and why that check sees it"
	if [ "$1" = hidden-site ]; then
		grep -qx unrecorded <<<"$seen"
		check $? "check-sites names the call as not a recorded site" \
			"hidden-site must be an indirect call through pv_ops that no entry records"
		said=$(answer "$ANS/lab4.txt" hidden-site-xen)
		[ -n "$said" ] && grep -qx "xen=$said" <<<"$seen"
		check $? "labs/lab4.txt: hidden-site-xen says how its Xen boot went ($(sed -n 's/^xen=//p' <<<"$seen"))" \
			"boot your broken tree under Xen with selftest (pass or fail)"
	fi
}

lab4() {
	local b
	[ -f "$ANS/lab4.txt" ]
	check $? "labs/lab4.txt exists" "write your notes there, in the form docs/labs/lab4.md shows"
	build "$ROOT" build/pvos.elf build/xen/xen ||
		{ miss "the tree builds as it is: $(tail -n 3 "$TMP/make.log")"; return 0; }
	pass "the tree builds as it is"
	for b in $LAB4_BREAKS; do
		lab4_one "$b"
	done
}
