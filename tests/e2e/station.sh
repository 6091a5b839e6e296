# Helpers for the station tests (tests/e2e/t13*.sh).  Source AFTER lib.sh.
#
# The station only ever sees loop devices this test binds, at fixed numbers
# that were free (from 200 up), and admits only those (--allow).  A device
# of ours is never unbound while a station runs (someone's `losetup -f`
# could take it in between): a card goes in and out of a "slot", a loop
# device bound for the whole test to a file of ours that holds the card or
# nothing (size 0: a reader without a card), resized with `losetup -c`.
#
#   pick_loops N          N loop device numbers from 200 up that do not exist
#   attach_loop VAR N FILE
#                         bind FILE to /dev/loopN (made when missing); VAR is
#                         set to /dev/loopN.  The cleanup releases it.  When
#                         binding fails, a running station is killed at
#                         once: it might see someone else's device
#   slot_loop VAR N       /dev/loopN bound to an empty slot file
#   slot_insert N FILE    the card FILE goes into slot N (copied in)
#   slot_eject N          slot N empty again
#   loop_release N        detach /dev/loopN (if this test bound it), wait
#                         until it is unbound, and remove the device
#   station_start ARGS... `cardtrail station --progress json ARGS` in the
#                         background: events in $ST_EV, stdout in $ST_OUT,
#                         pid ST_PID; waits for its first event and says
#                         which watch it took (ST_WATCH: udev or sysfs)
#   wait_event FILTER [SECONDS]
#                         wait until an event matches the jq FILTER
#   station_wait [SECONDS]
#                         wait for the station to end; ST_RC its exit status
#   station_show          the station's events and stdout, as '#' lines

ST_N=0

pick_loops() {
	local want=$1 n=200 got=()
	while [ ${#got[@]} -lt "$want" ] && [ $n -lt 1000 ]; do
		if [ ! -e /sys/block/loop$n ] && { [ ! -e /dev/loop$n ] ||
			[ "$(stat -c %t:%T /dev/loop$n 2>/dev/null)" = "7:$(printf %x $n)" ]; }; then
			got+=("$n")
		fi
		n=$((n + 1))
	done
	[ ${#got[@]} -eq "$want" ] || return 1
	printf '%s\n' "${got[*]}"
}

loop_remove() {
	python3 -c 'import fcntl, os, sys
fd = os.open("/dev/loop-control", os.O_RDWR)
fcntl.ioctl(fd, 0x4C81, int(sys.argv[1]))' "$1" 2>/dev/null
}

# The loop devices this test bound and did not see unbound yet: only those
# are ever detached (a number released may be someone else's a moment later).
loop_bound() { grep -qx "$1" "$T/.loops" 2>/dev/null; }

# Detach /dev/loopN when this test bound it; wait until it is unbound (a
# detach is deferred while another program has it open), then remove it.
loop_release() {
	local i
	loop_bound "$1" || return 0
	losetup -d /dev/loop$1 2>/dev/null
	for i in $(seq 100); do
		[ -e /sys/block/loop$1/loop/backing_file ] || break
		sleep 0.1
	done
	if [ -e /sys/block/loop$1/loop/backing_file ]; then
		printf '# /dev/loop%s is still bound 10 s after its detach\n' "$1"
		return 1
	fi
	grep -vx "$1" "$T/.loops" >"$T/.loops.new"; mv "$T/.loops.new" "$T/.loops"
	loop_remove "$1"
}

attach_loop() {
	local __var=$1 n=$2 file=$3
	if [ ! -e /dev/loop$n ]; then
		mknod /dev/loop$n b 7 "$n" || return 1
		at_exit "rm -f /dev/loop$n"
	fi
	if ! losetup /dev/loop$n "$file" 2>"$T/.losetup.err"; then
		[ -n "${ST_PID:-}" ] && kill -KILL "$ST_PID" 2>/dev/null
		printf '# losetup /dev/loop%s %s: %s\n' "$n" "$file" "$(cat "$T/.losetup.err")"
		return 1
	fi
	printf '%s\n' "$n" >>"$T/.loops"
	at_exit "loop_release $n"
	printf -v "$__var" '%s' "/dev/loop$n"
}

slot_loop() {
	: >"$T/slot$2.img"
	attach_loop "$1" "$2" "$T/slot$2.img"
}

slot_insert() {
	cat "$2" >"$T/slot$1.img" && losetup -c /dev/loop$1
}

slot_eject() {
	truncate -s 0 "$T/slot$1.img" && losetup -c /dev/loop$1
}

station_start() {
	ST_N=$((ST_N + 1))
	ST_EV=$T/station$ST_N.events
	ST_OUT=$T/station$ST_N.out
	: >"$ST_EV"
	"$CARDTRAIL" station --progress json "$@" >"$ST_OUT" 2>"$ST_EV" &
	ST_PID=$!
	at_exit "kill -KILL $ST_PID"
	wait_event 'select(.event == "station")' 30 || return 1
	ST_WATCH=$(jq -r 'select(.event == "station") | .watch' "$ST_EV" 2>/dev/null | head -n 1)
	printf '# station %d: watching by %s\n' "$ST_N" "$ST_WATCH"
}

# Does an event match the jq filter?  (Lines read raw: the station may be
# writing the last one.)
event_seen() {
	jq -c -R "fromjson? | $1" "$ST_EV" 2>/dev/null | grep -q .
}

wait_event() {
	local filter=$1 secs=${2:-120} i
	for i in $(seq $((secs * 10))); do
		event_seen "$filter" && return 0
		kill -0 "$ST_PID" 2>/dev/null || { event_seen "$filter"; return; }
		sleep 0.1
	done
	printf '# no event %s within %ss\n' "$filter" "$secs"
	return 1
}

station_wait() {
	local secs=${1:-300} i
	ST_RC=
	for i in $(seq $((secs * 10))); do
		if ! kill -0 "$ST_PID" 2>/dev/null; then
			wait "$ST_PID"
			ST_RC=$?
			return 0
		fi
		sleep 0.1
	done
	printf '# the station did not end within %ss\n' "$secs"
	kill -TERM "$ST_PID" 2>/dev/null
	wait "$ST_PID"
	ST_RC=$?
	return 1
}

# show the station's stderr and summary (after a failed assertion)
station_show() {
	grep -v '"progress"' "$ST_EV" | cut -c1-300 | sed 's/^/#   /' | tail -n 30
	sed 's/^/#   /' "$ST_OUT" | tail -n 30
}
