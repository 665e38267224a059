# Lab 3 (docs/labs/lab3.md): Xen hypercall batching in lazy-MMU mode.
# Sourced by tests/labs/grade.sh.  The student's labs/lab3.txt holds the
# hypercall counts of the pte-update bench and of the direct map, with
# xen.lazy_mmu on and off, and the number that explains the batched count;
# each is checked against two Xen dom0 `bench` boots of this tree.

# The batched loop's sections: ceil(MACRO_PAGES / PTE_BATCH), from kernel/bench.c.
lab3_sections() {
	awk '$1 == "#define" && $2 == "MACRO_PAGES" { n = $3 } $1 == "#define" && $2 == "PTE_BATCH" { b = $3 }
		END { if (n && b) print int((n + b - 1) / b) }' "$ROOT/kernel/bench.c"
}

# The "paging: ... N hypercalls" line of a Xen boot: the direct map's cost.
lab3_direct_map() { sed -n 's/^paging: Xen.s boot tables adopted;.*, \([0-9]*\) hypercalls$/\1/p' "$1"; }

lab3() {
	local f=$ANS/lab3.txt on off sections
	has_answers 3 "the hypercall counts" || return 0
	build "$ROOT" build/pvos.elf build/xen/xen ||
		{ miss "the tree builds: $(tail -n 3 "$TMP/make.log")"; return 0; }
	pass "the tree builds"
	on=$TMP/on.log off=$TMP/off.log
	# Both at once: each is one QEMU thread, and -icount makes them exact anyway.
	icount_boot "$on" xen "$XEN_ARGS" "pvos.elf bench" >/dev/null &
	icount_boot "$off" xen "$XEN_ARGS" "pvos.elf bench xen.lazy_mmu=off" >/dev/null &
	wait
	asks "$f" unbatched_hypercalls "$(total "$on" pte_update_unbatched_hypercalls)" \
		"pte_update_unbatched_hypercalls' total, make run-xen ARGS=bench"
	asks "$f" batched_hypercalls "$(total "$on" pte_update_batched_hypercalls)" \
		"pte_update_batched_hypercalls' total, make run-xen ARGS=bench"
	asks "$f" batched_hypercalls_lazy_off "$(total "$off" pte_update_batched_hypercalls)" \
		"the same with ARGS=\"bench xen.lazy_mmu=off\""
	asks "$f" direct_map_hypercalls "$(lab3_direct_map "$on")" "the paging: line of the first boot"
	asks "$f" direct_map_hypercalls_lazy_off "$(lab3_direct_map "$off")" \
		"the paging: line of the lazy_mmu=off boot"
	sections=$(lab3_sections)
	asks "$f" lazy_sections "$sections" "how many lazy-MMU sections does the batched loop of kernel/bench.c open?"
	[ -n "$sections" ] && [ "$(total "$on" pte_update_batched_hypercalls)" = "$sections" ]
	check $? "the batched count is one hypercall per section, as the lab says" \
		"a change to kernel/bench.c or backends/xen/mmu.c broke it: read them again"
	[ "$(words "$(answer "$f" explanation)")" -ge 12 ]
	check $? "labs/lab3.txt: explanation says why (12 words or more)" \
		"what one section costs, what fills the queue, and why off gives one per update"
}
