/* The empty symbol table of the first link pass (see the Makefile). */
	.section .ksyms, "a"
	.balign 8
	.globl ksyms_count, ksyms_table
ksyms_count:	.quad 0
ksyms_table:
