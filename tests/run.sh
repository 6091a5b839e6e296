#!/usr/bin/env bash
# Run every test: cmocka unit binaries and tests/e2e/t*.sh scripts.
# Every test prints TAP-style lines ("ok - …", "not ok - …", "ok - … # SKIP …");
# this runner counts them and ends with "N passed, N failed, N skipped".
# Usage: tests/run.sh BUILD_DIR [PATTERN]
set -u
build=${1:?usage: tests/run.sh BUILD_DIR [PATTERN]}
pattern=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
export CT_TOP=$top CT_BUILD=$build
export CARDTRAIL=$build/cardtrail FAULTFS=$build/tools/faultfs
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}
export CMOCKA_MESSAGE_OUTPUT=TAP
export LC_ALL=C TZ=UTC
pass=0 fail=0 skip=0
failed_names=()
log=$(mktemp /tmp/ct-run.XXXXXX)
trap 'rm -f "$log"' EXIT

run_one() {
	local name=$1; shift
	[ -n "$pattern" ] && [[ "$name" != *$pattern* ]] && return
	printf '== %s\n' "$name"
	# a deadlock must fail the run, not hang it
	timeout --kill-after=10 "${CT_TEST_TIMEOUT:-900}" "$@" >"$log" 2>&1
	local rc=$? p=0 f=0 s=0
	[ $rc -eq 124 ] && printf 'not ok - %s timed out after %ss\n' "$name" "${CT_TEST_TIMEOUT:-900}" >>"$log"
	while IFS= read -r line; do
		case "$line" in
		"ok"*"# SKIP"*|"ok"*"# skip"*|"not ok"*"# SKIP"*|"not ok"*"# skip"*)
			# (cmocka 1.1 prints a skipped test as "not ok N # SKIP")
			s=$((s + 1)); printf '   %s\n' "$line" ;;
		"not ok"*) f=$((f + 1)); printf '   %s\n' "$line" ;;
		"ok"*) p=$((p + 1)) ;;
		esac
	done <"$log"
	if [ $rc -ne 0 ] && [ $f -eq 0 ]; then
		f=1; printf '   not ok - %s exited %d without a failing assertion\n' "$name" "$rc"
	fi
	if [ $f -gt 0 ]; then
		failed_names+=("$name")
		sed 's/^/   | /' "$log" | tail -n 40
	fi
	printf '   %d passed, %d failed, %d skipped\n' $p $f $s
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/${t##*/}" "$t"
done
for t in "$top"/tests/e2e/t[0-9]*.sh; do
	[ -f "$t" ] || continue
	run_one "e2e/${t##*/}" bash "$t"
done

if [ ${#failed_names[@]} -gt 0 ]; then
	printf 'failed: %s\n' "${failed_names[*]}"
fi
printf '%d passed, %d failed, %d skipped\n' $pass $fail $skip
[ $fail -eq 0 ]
