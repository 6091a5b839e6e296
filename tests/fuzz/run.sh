#!/usr/bin/env bash
# Run the fuzz targets of tests/fuzz/ (built by `make fuzz-bin`).
#
#   tests/fuzz/run.sh FUZZDIR SECONDS [TARGET...]
#
# For each target FUZZDIR/fuzz-NAME (all of them without TARGET):
#   1. replay its committed regressions, tests/fuzz/regressions/NAME/*:
#      each must run clean (a fixed crash stays fixed);
#   2. fuzz for SECONDS with the seeds of its kind (fixtures/, generated
#      images; ../shared/samples too when it is there: read in place, never
#      copied) into the corpus FUZZDIR/corpus/NAME (CT_FUZZ_FRESH=1: a new
#      temporary one, so that a run does not depend on the ones before);
#      what it finds goes to FUZZDIR/artifacts/NAME/.
# Prints one line per target: executions, executions per second, the
# coverage libFuzzer reached (cov: edges, ft: features) and the verdict;
# with CT_FUZZ_TAP=1 as TAP lines (tests/e2e/t0890-fuzz.sh).  Exits 1 when
# a target crashed, leaked, timed out or failed a regression.
set -u
fdir=${1:?usage: tests/fuzz/run.sh FUZZDIR SECONDS [TARGET...]}
secs=${2:?usage: tests/fuzz/run.sh FUZZDIR SECONDS [TARGET...]}
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
samples=$top/../shared/samples
tap=${CT_FUZZ_TAP:-0}
status=0

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for b in "$fdir"/fuzz-*; do [ -x "$b" ] && targets+=("${b##*/fuzz-}"); done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets in $fdir (make fuzz-bin)" >&2; exit 1; }

say() { # OK|FAIL TEXT
	if [ "$tap" = 1 ]; then
		if [ "$1" = OK ]; then printf 'ok - %s\n' "$2"; else printf 'not ok - %s\n' "$2"; fi
	else
		printf '%-4s %s\n' "$1" "$2"
	fi
}

# seeds NAME: the seed folders of a target, one per line
seeds() {
	case $1 in
	parser-*)
		printf '%s\n' "$top/fixtures/flight"
		[ -d "$samples" ] && printf '%s\n' "$samples"
		;;
	walk*)
		[ -d "$fdir/seeds/walk" ] && printf '%s\n' "$fdir/seeds/walk"
		;;
	esac
	return 0
}

# max_len NAME: the largest input a target is given
max_len() {
	case $1 in
	parser-*) echo 65536 ;;
	*) echo 2162688 ;;
	esac
}

for t in "${targets[@]}"; do
	bin=$fdir/fuzz-$t
	[ -x "$bin" ] || { say FAIL "fuzz-$t: not built"; status=1; continue; }
	log=$(mktemp /tmp/ct-fuzz.XXXXXX)
	# 1. regressions
	# (the two walk targets run one harness on the same inputs: each
	# replays the regressions of both)
	regs=()
	case $t in walk*) rdirs=(walk walk-struct) ;; *) rdirs=("$t") ;; esac
	for r in "${rdirs[@]}"; do
		[ -d "$top/tests/fuzz/regressions/$r" ] || continue
		while IFS= read -r f; do regs+=("$f"); done < <(find "$top/tests/fuzz/regressions/$r" -type f ! -name '*.md' | sort)
	done
	if [ ${#regs[@]} -gt 0 ]; then
		if "$bin" -rss_limit_mb=2048 -timeout=20 "${regs[@]}" >"$log" 2>&1; then
			say OK "fuzz-$t: ${#regs[@]} regression inputs replayed clean"
		else
			say FAIL "fuzz-$t: a regression input fails again"
			grep -m1 -A12 'ERROR\|SUMMARY\|timeout' "$log" | sed 's/^/#   /'
			status=1
		fi
	fi
	# 2. fuzzing
	if [ "${CT_FUZZ_FRESH:-0}" = 1 ]; then
		corpus=$(mktemp -d /tmp/ct-fuzz-corpus.XXXXXX)
	else
		corpus=$fdir/corpus/$t
		mkdir -p "$corpus"
	fi
	arts=$fdir/artifacts/$t
	mkdir -p "$arts"
	mapfile -t sd < <(seeds "$t")
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" -artifact_prefix="$arts/" "$corpus" "${sd[@]}" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	line="fuzz-$t: ${secs} s, ${execs:-?} executions (${rate:-?}/s), cov: ${cov:-?} ft: ${ft:-?}"
	if [ $rc -eq 0 ]; then
		say OK "$line"
	else
		say FAIL "$line: exit $rc, see $arts"
		grep -m1 -A14 'ERROR\|SUMMARY\|deadly\|timeout' "$log" | sed 's/^/#   /'
		status=1
	fi
	[ "${CT_FUZZ_FRESH:-0}" = 1 ] && rm -rf "$corpus"
	rm -f "$log"
done
exit $status
