#!/usr/bin/env bash
# The libFuzzer targets of tests/fuzz/ (built by `make check` into
# $CT_BUILD/fuzz): each replays its committed regressions and then fuzzes
# for CT_FUZZ_SECONDS (default 10) from a fresh corpus seeded from the
# fixtures; any crash, leak, sanitizer report or timeout fails.  The lines
# give the executions per second and the coverage reached.
. "$CT_TOP"/tests/e2e/lib.sh

fdir=$CT_BUILD/fuzz
ls "$fdir"/fuzz-* >/dev/null 2>&1 || skip_all "no fuzz targets in $fdir (make check builds them with clang)"
CT_FUZZ_TAP=1 CT_FUZZ_FRESH=1 "$CT_TOP/tests/fuzz/run.sh" "$fdir" "${CT_FUZZ_SECONDS:-10}" ||
	CT_FAILS=$((CT_FAILS + 1))
done_testing
