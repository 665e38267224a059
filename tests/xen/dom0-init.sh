#!/bin/sh
# dom0-init.sh - /init of the dom0 built by build-dom0.sh.
#
# Debian's Linux, booted by Xen 4.17 as a PV dom0, becomes a one-shot Xen
# host: load the Xen modules, start xenstored, xen-init-dom0 and xenconsoled
# (which logs every guest's console ring to /var/log/xen/console/), run
# pvos as a domU with `xl create` on pvos.xl.cfg once per guest listed in
# /pvos/runs, and power off.  run-domu.sh appends /pvos/pvos.elf,
# /pvos/runs and /etc/xen/*.xl.cfg (iso/*.xl.cfg themselves) per run.
#
# /pvos/runs, one key=value a line:
#   mode=batch|interactive   batch: the guests below, one after the other;
#                            interactive: the first guest only, with
#                            `xl create -c` on this terminal
#   timeout=SECS             default limit for each guest (then `xl destroy`)
#   guest=CMDLINE            one domU: xl create ... extra="CMDLINE"
#   send=LINE                type LINE and a CR at the last guest's console
#                            (through `xl console`) once it has booted
#   limit=SECS               the last guest's own limit (from its start; with
#                            send=, from the moment the line is typed)
#   config=FILE              the last guest's config, in /etc/xen (default
#                            pvos.xl.cfg)
#
# Our lines share hvc0 (-> Xen's console -> COM1) with the kernel and Xen,
# so each carries a prefix that run-domu.sh picks out:
#   DOM0-UP <secs>           /init started, at this dom0 uptime
#   XL-RUN <n> <cmdline>     guest n starts
#   XL| <n> <text>           a line of xl's own output (the shutdown reason)
#   DOMU| <n> <text>         a line of guest n's console, from xenconsoled's log
#   DOMU-SEND <n> <how>      the line was typed at guest n's console
#   CONSOLE| <n> <text>      a line the console client (`xl console`) showed
#   DOMU-TIMEOUT <n> <secs>  guest n outlived its limit and was destroyed
#   DOMU-END <n>             guest n is gone and all its lines are out
#   DOM0-NOTE <text>         something worth saying
#   DOM0-FAIL <reason>       the harness failed (not pvos)
#   DOM0-DONE <secs>         last line before poweroff
# Busybox ash, no bash.

PATH=/bin:/usr/bin:/usr/lib/xen-4.17/bin
export PATH
CFG=/etc/xen/pvos.xl.cfg	# the default; a guest's config= names another
NAME=pvos
LOG=/var/log/xen/console/guest-$NAME.log
# A guest that floods its console can log megabytes, and hvc0 carries only
# ~5 KB/s: show at most MAX_LINES of a log, its first and its last lines.
MAX_LINES=400
TAIL_LINES=100

up() { cut -d' ' -f1 /proc/uptime; }

# Xen turns dom0's ACPI power-off into its own (S5): QEMU exits.
halt_dom0() {
	echo "DOM0-DONE $(up)"
	sync
	poweroff -f
	exit 1
}

fail() {
	echo "DOM0-FAIL $*"
	halt_dom0
}

mount_fs() {
	mount -t proc proc /proc || fail "cannot mount /proc"
	mount -t sysfs sysfs /sys || fail "cannot mount /sys"
	mount -t devtmpfs devtmpfs /dev || fail "cannot mount /dev"
	mkdir -p /dev/pts
	mount -t devpts devpts /dev/pts || fail "cannot mount /dev/pts"
	mount -t tmpfs tmpfs /run || fail "cannot mount /run"
	mount -t tmpfs tmpfs /tmp || fail "cannot mount /tmp"
	# xl's console client locks under /var/lock; the daemons want the rest.
	mkdir -p /run/lock /run/xen /run/xenstored /var/lib/xen /var/lib/xenstored \
		/var/log/xen/console
	ln -s /run/lock /var/lock
}

# Dependency order, checked against each module by build-dom0.sh.
load_modules() {
	for m in xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc; do
		insmod "/lib/modules/$m.ko" ||
			fail "insmod $m.ko failed: $(dmesg | tail -n 3 | tr '\n' ' ')"
	done
	mount -t xenfs xenfs /proc/xen || fail "cannot mount xenfs on /proc/xen"
}

# xenstored daemonizes once its socket is up; xen-init-dom0 writes dom0's
# own entries; xenconsoled then serves every domU's console ring.
start_daemons() {
	xenstored --pid-file /run/xenstored.pid || fail "xenstored did not start"
	xen-init-dom0 > /tmp/init-dom0.out 2>&1 ||
		fail "xen-init-dom0 failed: $(tr '\n' ' ' < /tmp/init-dom0.out)"
	xenconsoled --log=guest --pid-file=/run/xenconsoled.pid ||
		fail "xenconsoled did not start"
}

size_of() { if [ -f "$1" ]; then wc -c < "$1"; else echo 0; fi; }

# emit PREFIX FILE [OFFSET [MAX [TAIL]]]: FILE's lines from byte OFFSET on,
# prefixed; past MAX (default MAX_LINES) lines, only the first MAX - TAIL
# and the last TAIL (default TAIL_LINES) of them, and a note.
emit() {
	max=${4:-$MAX_LINES} tl=${5:-$TAIL_LINES}
	tail -c +$(( ${3:-0} + 1 )) "$2" 2>/dev/null | tr -d '\r' > /tmp/emit
	total=$(wc -l < /tmp/emit)
	if [ "$total" -le "$max" ]; then
		prefix_lines "$1" < /tmp/emit
		return
	fi
	head -n $((max - tl)) /tmp/emit | prefix_lines "$1"
	echo "DOM0-NOTE $1: $((total - max)) lines of $2 not shown, $total in all"
	tail -n "$tl" /tmp/emit | prefix_lines "$1"
}

prefix_lines() {
	while IFS= read -r l || [ -n "$l" ]; do printf '%s %s\n' "$1" "$l"; done
}

# xenconsoled writes the log as it drains the ring, asynchronously: wait
# until the file stops growing (at most ~3 s).
settle() {
	last=-1 k=0
	while [ "$k" -lt 15 ]; do
		s=$(size_of "$1")
		[ "$s" = "$last" ] && return 0
		last=$s
		sleep 0.2
		k=$((k + 1))
	done
}

# What guest n wrote since its run began (byte $off of the log).
guest_says() { tail -c +$((off + 1)) "$LOG" 2>/dev/null | grep -q "$1"; }

alive() { kill -0 "$xlpid" 2>/dev/null; }

# wait_for SECS CMD...: poll CMD every 0.2 s while xl (the domain) lives.
wait_for() {
	k=0 lim=$(($1 * 5))
	shift
	while [ "$k" -lt "$lim" ]; do
		"$@" && return 0
		alive || return 1
		sleep 0.2
		k=$((k + 1))
	done
	return 1
}

wait_gone() {
	k=0
	while alive && [ "$k" -lt "$(($1 * 5))" ]; do sleep 0.2; k=$((k + 1)); done
}

booted() { guest_says '^echo: ready' || guest_says '^monitor: ready' || guest_says '^pvos: boot complete'; }

# send_line N LINE: attach `xl console` as a user would; once the guest
# has booted (pvos's "boot complete", or the echo or monitor prompt), type LINE and a
# CR (the Enter key of a terminal in raw mode).  xenconsole reads its
# keyboard only when stdin and stdout are a terminal, so it runs under
# `script`, on a pty whose keyboard side is a FIFO here.  The client stays
# attached until the domain is gone (finish_console).
send_line() {
	if ! wait_for 20 xl domid "$NAME" > /dev/null 2>&1; then
		echo "DOM0-NOTE guest $1: no domain $NAME to attach a console to"; return
	fi
	mkfifo "/tmp/keys.$1"
	script -q -c "xl console $NAME" /dev/null < "/tmp/keys.$1" > "/tmp/console.$1" 2>&1 &
	conpid=$!
	exec 5> "/tmp/keys.$1"
	wait_for 30 booted || echo "DOM0-NOTE guest $1: no 'boot complete' or echo prompt seen; typing anyway"
	# A \r in LINE is another Enter: several lines for a prompt such as `monitor`.
	if printf '%b\r' "$2" >&5; then echo "DOMU-SEND $1 xl-console"
	else echo "DOM0-NOTE guest $1: writing to xl console failed"; fi
}

# After the domain is gone the client sees its pty close and exits.
finish_console() {
	[ -n "$conpid" ] || return 0
	exec 5>&-
	k=0
	while kill -0 "$conpid" 2>/dev/null && [ "$k" -lt 10 ]; do sleep 0.2; k=$((k + 1)); done
	kill "$conpid" 2>/dev/null && echo "DOM0-NOTE guest $1: xl console still attached after the domain ended"
	wait "$conpid" 2>/dev/null
	# The guest's log has it all; these lines only show the client was attached.
	emit "CONSOLE| $1" "/tmp/console.$1" 0 20 0
	conpid=''
}

# run_guest N CMDLINE SEND LIMIT CONFIG: one domU, its config overridden on xl's
# command line as a user would.  -F: xl stays in the foreground, prints the
# shutdown reason and returns once the domain is destroyed.
run_guest() {
	echo "XL-RUN $1 $2"
	off=$(size_of "$LOG") conpid=''
	: > "/tmp/xl.$1"
	xl create -F "/etc/xen/$5" 'kernel="/pvos/pvos.elf"' "extra=\"$2\"" >> "/tmp/xl.$1" 2>&1 &
	xlpid=$!
	# With a line to type, the limit counts from the typing.
	[ -z "$3" ] || send_line "$1" "$3"
	wait_gone "$4"
	if alive; then
		echo "DOMU-TIMEOUT $1 $4"
		xl destroy "$NAME" >> "/tmp/xl.$1" 2>&1
		wait_gone 10
		kill "$xlpid" 2>/dev/null && echo "DOM0-NOTE guest $1: xl create still running after xl destroy"
	fi
	wait "$xlpid"
	xl domid "$NAME" > /dev/null 2>&1 &&
		echo "DOM0-NOTE guest $1: domain $NAME still exists after xl create returned"
	settle "$LOG"
	emit "XL| $1" "/tmp/xl.$1"
	emit "DOMU| $1" "$LOG" "$off"
	finish_console "$1"
	echo "DOMU-END $1"
}

run_batch() {
	n=0 cmd='' send='' limit='' cfg=''
	while IFS= read -r kv || [ -n "$kv" ]; do
		case "$kv" in
			guest=*)
				[ "$n" = 0 ] || run_guest "$n" "$cmd" "$send" "${limit:-$timeout}" "${cfg:-pvos.xl.cfg}"
				n=$((n + 1)) cmd=${kv#guest=} send='' limit='' cfg='' ;;
			send=*) send=${kv#send=} ;;
			limit=*) limit=${kv#limit=} ;;
			config=*) cfg=${kv#config=} ;;
		esac
	done < /pvos/runs
	[ "$n" = 0 ] || run_guest "$n" "$cmd" "$send" "${limit:-$timeout}" "${cfg:-pvos.xl.cfg}"
}

# The console is this terminal: xl's console client has it until the guest
# ends (or Ctrl-] detaches it; then we wait for the guest).  Without -F,
# xl's child logs the shutdown reason to /var/log/xen/xl-pvos.log.
run_interactive() {
	cmd=$(sed -n 's/^guest=//p' /pvos/runs | head -n 1)
	cfg=$(sed -n 's/^config=//p' /pvos/runs | head -n 1)
	echo "XL-RUN 1 $cmd"
	echo "dom0: the guest's console follows: Ctrl-] detaches, Ctrl-A X quits QEMU"
	xl create -c "/etc/xen/${cfg:-pvos.xl.cfg}" 'kernel="/pvos/pvos.elf"' "extra=\"$cmd\""
	while xl domid "$NAME" > /dev/null 2>&1; do sleep 1; done
	k=0
	while pidof xl > /dev/null && [ "$k" -lt 25 ]; do sleep 0.2; k=$((k + 1)); done
	echo
	emit "XL| 1" "/var/log/xen/xl-$NAME.log"
	echo "DOMU-END 1"
}

main() {
	mount_fs
	echo "DOM0-UP $(up)"
	load_modules
	# Quiet the kernel from now on so its messages don't split our lines.
	echo 1 > /proc/sys/kernel/printk
	start_daemons
	[ -r /pvos/pvos.elf ] && [ -r /pvos/runs ] && [ -r "$CFG" ] ||
		fail "no /pvos/pvos.elf, /pvos/runs or $CFG: run-domu.sh appends them"
	timeout=$(sed -n 's/^timeout=//p' /pvos/runs)
	case "$(sed -n 's/^mode=//p' /pvos/runs)" in
		interactive) run_interactive ;;
		*) run_batch ;;
	esac
	halt_dom0
}

main
