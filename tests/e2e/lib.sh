# Shared helpers for the end-to-end tests (sourced by tests/e2e/t*.sh).
#
# Each assertion prints one TAP-style line; tests/run.sh counts them.
#   ok DESC / not_ok DESC     record a result
#   check_eq DESC EXPECTED ACTUAL
#   check_file DESC GOLDEN ACTUAL   (diff shown on failure)
#   skip DESC REASON          one skipped assertion
#   skip_all REASON           skip the rest of the script
#   at_exit CMD               run CMD when the script ends, even on failure
#                             (last registered runs first)
#   need_root / need_fuse / need_loop   skip_all unless available
# $T is a fresh temporary folder, removed at exit.
set -u
: "${CARDTRAIL:?set CARDTRAIL to the binary under test}"
: "${CT_TOP:?}"
CT_FAILS=0
T=$(mktemp -d /tmp/ct-e2e.XXXXXX)
CT_EXIT_CMDS=()
at_exit() { CT_EXIT_CMDS=("$*" "${CT_EXIT_CMDS[@]}"); }
ct_cleanup() {
	local c
	for c in "${CT_EXIT_CMDS[@]}"; do eval "$c" >/dev/null 2>&1; done
	rm -rf "$T"
}
trap ct_cleanup EXIT
trap 'exit 130' INT TERM

ok() { printf 'ok - %s\n' "$*"; }
not_ok() { printf 'not ok - %s\n' "$*"; CT_FAILS=$((CT_FAILS + 1)); }
skip() { printf 'ok - %s # SKIP %s\n' "$1" "$2"; }
skip_all() { printf 'ok - %s # SKIP %s\n' "${0##*/}" "$*"; exit 0; }
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; printf '#   expected: %s\n#   actual:   %s\n' "$2" "$3"; fi
}
check_file() {
	if diff -u "$2" "$3" >"$T/.diff" 2>&1; then ok "$1"; else not_ok "$1"; sed 's/^/#   /' "$T/.diff" | head -n 40; fi
}
need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root"; }
need_loop() {
	need_root
	command -v losetup >/dev/null && [ -e /dev/loop-control ] || skip_all "no loop devices"
}
need_fuse() {
	[ -e /dev/fuse ] || skip_all "no /dev/fuse"
	[ -x "${FAULTFS:-}" ] || skip_all "faultfs helper not built"
	command -v fusermount3 >/dev/null || skip_all "fusermount3 missing"
}
# mkloop VAR FILE [ro]: create a loop device over FILE (read-only with ro),
# store its path in VAR and register its removal.  (Not in $(...): the
# cleanup must be registered in this shell, not a subshell.)
mkloop() {
	local __dev
	if [ "${3:-}" = ro ]; then __dev=$(losetup -f --show -r "$2"); else __dev=$(losetup -f --show "$2"); fi || return 1
	at_exit "loop_release $__dev '$(realpath -m "$2")'"
	printf -v "$1" '%s' "$__dev"
}
# loop_release DEV FILE: detach DEV only while it is still the loop device
# over FILE.  A test that detached DEV itself may find the number given to
# another test (another worktree's run) by the time its exit handler runs.
loop_release() {
	local back
	back=$(losetup -n -O BACK-FILE "$1" 2>/dev/null) || return 0
	[ "$back" = "$2" ] && losetup -d "$1"
	return 0
}
# Seeded pseudo-random bytes: gen_bytes SEED BYTES > file
gen_bytes() {
	openssl enc -aes-128-ctr -nosalt -pass "pass:cardtrail-$1" -pbkdf2 -in /dev/zero 2>/dev/null | head -c "$2"
}
# JSON field via jq.
jf() { jq -r "$2" "$1"; }
# track_of DIR SOURCE: the track of an unpacked bundle in DIR whose source
# column names SOURCE, without its extension (DIR/tracks/NNNN_NAME).
track_of() {
	local f
	for f in "$1"/tracks/*.csv; do
		[ "$(sed -n 2p "$f" | cut -d, -f7)" = "$2" ] && { printf '%s\n' "${f%.csv}"; return; }
	done
	printf '%s\n' "$1/tracks/none-for-$2"
}
# Call at the end of every script.
done_testing() { [ "$CT_FAILS" -eq 0 ]; }
