# Helpers of the extract tests (tests/e2e/t08*.sh), sourced after lib.sh.
#
#   ct NAME ARGS...   cardtrail under a time limit (CT_LIMIT, default 120 s);
#                     output in $T/NAME.out/.err, status in RC; a sanitizer
#                     report or a crash fails on its own
#   gen ARGS...       tests/tools/gen-cardimg (structure-aware card images)
#   sum FILE          its SHA-256
#   unpack TAR DIR    tar -x into DIR; SHA256SUMS must verify
#   mj DIR JQ         jq over DIR/MANIFEST.json
#
# Leaks inside libtsk that are not ours are suppressed by tests/lsan.supp,
# exactly those and nothing else (a suppression matches a frame inside
# libtsk, which has no frame pointers: CT_FULL_STACKS=1, set before
# sourcing, unwinds every malloc slowly so that the frames are there; tests
# that open a volume system need it).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
[ "${CT_FULL_STACKS:-0}" = 1 ] && ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$CT_TOP/tests/lsan.supp:print_suppressions=0"
GEN=$CT_BUILD/tools/gen-cardimg
[ -x "$GEN" ] || skip_all "tests/tools/gen-cardimg not built"

sum() { sha256sum <"$1" | cut -d' ' -f1; }
gen() { "$GEN" "$@" 2>"$T/gen.err" || { not_ok "gen-cardimg $*"; sed 's/^/#   /' "$T/gen.err"; }; }
ct() {
	local n=$1; shift
	timeout -k 5 "${CT_LIMIT:-120}" "$CARDTRAIL" "$@" >"$T/$n.out" 2>"$T/$n.err"
	RC=$?
	if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/$n.err"; then
		not_ok "$n: sanitizer report"; grep -m1 -A14 'ERROR\|runtime error' "$T/$n.err" | sed 's/^/#   /'
	fi
	[ "$RC" -ge 124 ] && { not_ok "$n: timed out or crashed (exit $RC)"; tail -n 5 "$T/$n.err" | sed 's/^/#   /'; }
	return 0
}
unpack() {
	mkdir -p "$2"
	tar -x --no-same-owner -f "$1" -C "$2" 2>/dev/null &&
		(cd "$2" && sha256sum -c --quiet SHA256SUMS >/dev/null 2>&1)
}
mj() { jq -r "$2" "$1/MANIFEST.json"; }
