#!/bin/sh
# Turn `nm -n` output of a linked pvos.elf into an assembly file holding a
# sorted table of its text symbols, so exception dumps and panics can name
# functions.  Used by the Makefile's two-pass link.
#   usage: nm -n build/pvos.stage1.elf | tools/gen-ksyms.sh > build/ksyms.S
set -eu
awk '
$2 ~ /^[tTwW]$/ && $3 !~ /^\.L/ && $3 !~ /^__pv_/ { addr[n] = $1; name[n] = $3; n++ }
END {
	print "\t.section .ksyms, \"a\""
	print "\t.balign 8"
	print "\t.globl ksyms_count, ksyms_table"
	print "ksyms_count:\t.quad " n
	print "ksyms_table:"
	for (i = 0; i < n; i++)
		printf "\t.quad 0x%s, .Lname%d\n", addr[i], i
	for (i = 0; i < n; i++)
		printf ".Lname%d:\t.asciz \"%s\"\n", i, name[i]
}'
