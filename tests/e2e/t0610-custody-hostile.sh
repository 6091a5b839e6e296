#!/usr/bin/env bash
# Review findings that must stay fixed: a mistaken --resume never touches a
# finished image's record; a crafted acquisition record or a NUL in the log
# cannot crash verify or extract; --quick says what it did not do.
. "$CT_TOP/tests/e2e/lib.sh"
export CARDTRAIL_EXAMINER=alice
gen_bytes hostile $((3 << 20)) >"$T/card.bin"
C=$T/case
"$CARDTRAIL" image --hash md5 --split 1MiB --hash-window 256KiB --progress none "$T/card.bin" "$C" >/dev/null 2>&1
check_eq "image exits 0" 0 $?
rec_before=$(sha256sum <"$C/E1.acquisition.json")
lines_before=$(wc -l <"$C/custody.log")

# --resume of a complete image: refused, nothing rewritten, nothing logged
"$CARDTRAIL" image --resume --evidence-id E1 --progress none "$T/card.bin" "$C" >/dev/null 2>"$T/err"
check_eq "resume of a complete image: exit 1" 1 $?
check_eq "says it is complete" 1 "$(grep -c 'E1 is already complete' "$T/err")"
check_eq "the record is untouched" "$rec_before" "$(sha256sum <"$C/E1.acquisition.json")"
check_eq "nothing appended to the custody log" "$lines_before" "$(wc -l <"$C/custody.log")"
# --resume from another card (other size): refused the same way
head -c $((2 << 20)) "$T/card.bin" >"$T/other.bin"
"$CARDTRAIL" image --resume --evidence-id E1 --progress none "$T/other.bin" "$C" >/dev/null 2>&1
check_eq "resume from another card: exit 1" 1 $?
check_eq "…record still untouched" "$rec_before" "$(sha256sum <"$C/E1.acquisition.json")"
"$CARDTRAIL" verify "$C" >/dev/null
check_eq "the case still verifies" 0 $?

# --quick does not pretend to have re-hashed
cp -a "$C" "$T/q"
printf '\x55' | dd of="$T/q/E1.002" bs=1 seek=1000 conv=notrunc status=none
"$CARDTRAIL" verify --quick "$T/q" >"$T/v.out"
check_eq "--quick: exit 0 (sizes match)" 0 $?
check_eq "--quick says the segments were not re-hashed" 3 "$(grep -c '^  E1\.00[123] *not re-hashed *size as recorded (--quick)$' "$T/v.out")"
"$CARDTRAIL" verify "$T/q" >/dev/null
check_eq "without --quick the damage is found" 3 $?

# a crafted acquisition record (unequal segments): no crash, a clear verdict
cp -a "$C" "$T/x"
jq '.segments[0].bytes = 512 | .segments[1].offset = 512 | .segments[1].bytes = 2096640' \
	"$T/x/E1.acquisition.json" >"$T/x/acq" && mv "$T/x/acq" "$T/x/E1.acquisition.json"
"$CARDTRAIL" verify "$T/x" >"$T/v.out" 2>"$T/v.err"
check_eq "crafted record: verify exit 3" 3 $?
check_eq "crafted record: reported as changed" 1 "$(grep -c '^  - record 1: output E1.acquisition.json has changed' "$T/v.out")"
check_eq "crafted record: no sanitizer report" 0 "$(grep -c 'AddressSanitizer\|runtime error' "$T/v.err")"
"$CARDTRAIL" extract "$T/x" E1 >/dev/null 2>"$T/e.err"
rc=$?
check_eq "crafted record: extract refuses (exit 3)" 3 $rc
check_eq "crafted record: extract says why" 1 "$(grep -c 'not one cardtrail writes' "$T/e.err")"
check_eq "crafted record: extract no sanitizer report" 0 "$(grep -c 'AddressSanitizer\|runtime error' "$T/e.err")"

# a NUL byte inside a log line: not a record, and no crash
cp -a "$C" "$T/n"
{ head -n 1 "$T/n/custody.log"; sed -n 2p "$T/n/custody.log" | sed 's/"alice"/"ali\x00ce"/'; } >"$T/nul"
cp "$T/nul" "$T/n/custody.log"
"$CARDTRAIL" verify "$T/n" >"$T/v.out" 2>"$T/v.err"
check_eq "NUL in a line: verify exit 3" 3 $?
check_eq "NUL in a line: named as not a record" 1 "$(grep -c '^  - line 2 (record 1) is not a JSON record' "$T/v.out")"
check_eq "NUL in a line: no sanitizer report" 0 "$(grep -c 'AddressSanitizer\|runtime error' "$T/v.err")"
done_testing
