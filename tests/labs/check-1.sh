# Lab 1 (docs/labs/lab1.md): the site table, and what patching saves.
# Sourced by tests/labs/grade.sh.  The student's labs/lab1.txt holds what
# they read from pvsites and the boot lines, and the figures of make bench;
# each is checked against this tree's own pvsites and three icount boots
# (nopv, pvops=off, patched), the boots make bench makes for those columns.

LAB1_OPS="read_cr3 irq_save_restore"

lab1() {
	local f=$ANS/lab1.txt room op v
	has_answers 1 "the figures" || return 0
	build "$ROOT" build/pvos.elf build/tools/pvsites && build "$ROOT" PARAVIRT=0 build-nopv/pvos.elf ||
		{ miss "the tree builds (pvos and the PARAVIRT=0 baseline): $(tail -n 3 "$TMP/make.log")"; return 0; }
	pass "the tree builds (pvos and the PARAVIRT=0 baseline)"
	"$ROOT/build/tools/pvsites" --raw "$ROOT/build/pvos.elf" >"$TMP/raw"
	asks "$f" sites "$(wc -l <"$TMP/raw")" "count the entries build/tools/pvsites lists"
	# irq.save_fl is op 0 (its slot is the table's first).
	room=$(awk '$2 == 0 { print $3 }' "$TMP/raw" | sort -u)
	asks "$f" save_fl_room "$room" "the len pvsites prints for an irq.save_fl site"
	for v in nopv off native; do
		case $v in
		nopv) icount_boot "$TMP/$v.log" nopv.elf bench >/dev/null ;;
		off) icount_boot "$TMP/$v.log" pvos.elf "bench pvops=off" >/dev/null ;;
		native) icount_boot "$TMP/$v.log" pvos.elf bench >/dev/null ;;
		esac
		for op in $LAB1_OPS; do
			asks "$f" "${op}_$v" "$(per_op "$TMP/$v.log" "$op")" \
				"instructions per op, the $v column of make bench"
		done
	done
	asks "$f" inline "$(sites_field "$TMP/native.log" 2)" "the inline count of a patched boot's pvops line"
	asks "$f" direct "$(sites_field "$TMP/native.log" 3)" "the direct count of a patched boot's pvops line"
	asks "$f" off_left_indirect "$(sites_field "$TMP/off.log" 4)" \
		"the left-indirect count of a pvops=off boot's pvops line"
	[ "$(words "$(answer "$f" why_off_costs_more)")" -ge 8 ]
	check $? "labs/lab1.txt: why_off_costs_more explains it (8 words or more)" \
		"say what a site holds with pvops=off, and what that costs against patched"
}
