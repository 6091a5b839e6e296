# Helpers the wipe tests (t07*) share.  Source AFTER lib.sh.
#
#   wipe NAME ARGS...       cardtrail wipe --progress none ARGS, stdout to
#                           $T/NAME.out, stderr to $T/NAME.err; its status
#   show NAME               the end of NAME's output, as '#' lines
#   check_rc DESC EXPECTED ACTUAL NAME   check_eq, showing NAME's output when not
#   check_msg DESC NAME REGEX            NAME's output (stderr and stdout) matches
#   h FILE                  the SHA-256 of FILE
#   readdev DEV FILE        the device's content, read with O_DIRECT (not the cache)
#   nothing_new DESC DIR    no certificate or state file appeared in DIR

wipe() {
	local name=$1
	shift
	"$CARDTRAIL" wipe --progress none "$@" >"$T/$name.out" 2>"$T/$name.err"
}
show() { cat "$T/$1.err" "$T/$1.out" 2>/dev/null | sed "s/^/#   /" | tail -n 15; }
check_rc() {
	check_eq "$1" "$2" "$3"
	[ "$2" = "$3" ] || show "$4"
}
check_msg() {
	if cat "$T/$2.err" "$T/$2.out" 2>/dev/null | grep -Eq -e "$3"; then ok "$1"
	else not_ok "$1"; printf '#   wanted /%s/\n' "$3"; show "$2"; fi
}
h() { sha256sum <"$1" | cut -d' ' -f1; }
readdev() { dd if="$1" of="$2" bs=1M iflag=direct status=none; }
nothing_new() { check_eq "$1" 0 "$(find "$2" -maxdepth 1 -name '*.wipe.*' 2>/dev/null | wc -l)"; }
