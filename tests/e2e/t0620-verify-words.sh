#!/usr/bin/env bash
# t0620-verify-words: `cardtrail verify` says exactly what it checked.
#   --quick on a tampered image must not say "verified" for the outputs it
#   did not re-hash, and names them; a failing full verify counts the
#   outputs that are not as recorded; files in the case folder that no
#   record lists are reported as unrecorded (exit 3 with --strict); a
#   custody log that is not a regular file is refused by every command,
#   without blocking.
. "$CT_TOP/tests/e2e/lib.sh"
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY

gen_bytes words $((3 << 20)) >"$T/card.bin"
C=$T/case
"$CARDTRAIL" image --hash md5 --split 1MiB --hash-window 256KiB --progress none "$T/card.bin" "$C" \
	>/dev/null 2>&1
check_eq "image into a new case exits 0" 0 $?
cp -a "$C" "$T/pristine"
restore() { rm -rf "$C"; cp -a "$T/pristine" "$C"; }
# outputs_line FILE: the "outputs:" summary line of a verify report
outputs_line() { sed -n 's/^outputs: //p' "$1"; }

# ---- a pristine case -----------------------------------------------------------
"$CARDTRAIL" verify "$C" >"$T/v.out" 2>&1
check_eq "pristine: exit 0" 0 $?
check_eq "pristine: outputs counted" "5 listed: 5 as recorded" "$(outputs_line "$T/v.out")"
check_eq "pristine: every segment re-hashed, ok" "ok ok ok" \
	"$(awk '$1 ~ /^E1\.00[123]$/ { printf "%s%s", s, $2; s = " " }' "$T/v.out")"
check_eq "pristine: the last line says verified" \
	"verified: 2 records, chain intact, every output re-hashed as recorded" "$(tail -n 1 "$T/v.out")"
check_eq "pristine: no unrecorded file" 0 "$(grep -c '^unrecorded' "$T/v.out")"

# ---- --quick on a tampered image ---------------------------------------------------
printf '\x55' | dd of="$C/E1.002" bs=1 seek=1000 conv=notrunc status=none
"$CARDTRAIL" verify --quick "$C" >"$T/q.out" 2>&1
check_eq "--quick, tampered segment: exit 0 (sizes as recorded, nothing re-hashed)" 0 $?
check_eq "--quick: no line says verified" 0 "$(grep -ci '^verified' "$T/q.out")"
check_eq "--quick: no output listed ok" 0 "$(awk '$2 == "ok"' "$T/q.out" | wc -l)"
check_eq "--quick: outputs counted as not re-hashed" "5 listed: 5 NOT re-hashed (--quick)" \
	"$(outputs_line "$T/q.out")"
check_eq "--quick: each output 'not re-hashed'" 5 "$(grep -c '^  E1\.[0-9a-z.]* *not re-hashed' "$T/q.out")"
check_eq "--quick: the last line names what was not re-hashed" \
	"chain intact: 2 records; outputs NOT verified (--quick did not re-hash E1.001, E1.002, E1.003, E1.acquisition.json, E1.map)" \
	"$(tail -n 1 "$T/q.out")"
"$CARDTRAIL" verify --quick --json "$C" >"$T/q.json" 2>&1
check_eq "--quick --json: counts" '{"listed":5,"as_recorded":0,"not_as_recorded":0,"not_rehashed":5}' \
	"$(jq -c '.counts | {listed: .outputs, as_recorded: .outputs_ok, not_as_recorded: .outputs_bad, not_rehashed: .outputs_not_rehashed}' "$T/q.json")"

# ---- a failing full verify counts what is not as recorded ------------------------------
"$CARDTRAIL" verify "$C" >"$T/f.out" 2>&1
check_eq "tampered segment: exit 3" 3 $?
check_eq "tampered segment: outputs counted" "5 listed: 4 as recorded, 1 NOT as recorded" \
	"$(outputs_line "$T/f.out")"
check_eq "tampered segment: E1.002 is MISMATCH with its window" "MISMATCH window #4" \
	"$(awk '$1 == "E1.002" { $1 = ""; sub(/^ +/, ""); print }' "$T/f.out")"
check_eq "tampered segment: the others ok" "ok ok" \
	"$(awk '$1 == "E1.001" || $1 == "E1.003" { printf "%s%s", s, $2; s = " " }' "$T/f.out")"
"$CARDTRAIL" verify --json "$C" >"$T/f.json" 2>&1
check_eq "tampered segment --json: counts" '{"listed":5,"as_recorded":4,"not_as_recorded":1,"not_rehashed":0}' \
	"$(jq -c '.counts | {listed: .outputs, as_recorded: .outputs_ok, not_as_recorded: .outputs_bad, not_rehashed: .outputs_not_rehashed}' "$T/f.json")"
check_eq "tampered segment --json: E1.002 status" MISMATCH \
	"$(jq -r '.outputs[] | select(.path == "E1.002") | .status' "$T/f.json")"
restore
# an acquisition record changed: the segments cannot be checked against it
echo '{}' >"$C/E1.acquisition.json"
"$CARDTRAIL" verify "$C" >"$T/a.out" 2>&1
check_eq "acquisition record changed: exit 3" 3 $?
check_eq "acquisition record changed: outputs counted" \
	"5 listed: 1 as recorded, 1 NOT as recorded, 3 NOT re-hashed" "$(outputs_line "$T/a.out")"
check_eq "acquisition record changed: the segments say why they were not re-hashed" 3 \
	"$(grep -c '^  E1\.00[123] *not re-hashed *its acquisition record changed$' "$T/a.out")"
restore
rm "$C/E1.003"
"$CARDTRAIL" verify "$C" >"$T/m.out" 2>&1
check_eq "a missing segment: exit 3" 3 $?
check_eq "a missing segment: outputs counted" "5 listed: 2 as recorded, 1 NOT as recorded, 2 NOT re-hashed" \
	"$(outputs_line "$T/m.out")"
check_eq "a missing segment: E1.003 missing" missing "$(awk '$1 == "E1.003" { print $2 }' "$T/m.out")"
restore

# ---- files no record lists ----------------------------------------------------------
# a record cut from the tail leaves its file behind: a note's cannot, so
# the file of an extra (forged or orphaned) certificate stands in for it
"$CARDTRAIL" note --evidence E1 "$C" "sealed" >/dev/null
echo '{"result":"VERIFIED"}' >"$C/E1.wipe.json"
mkdir "$C/extra"
head -n 2 "$C/custody.log" >"$T/cut" && cp "$T/cut" "$C/custody.log"
"$CARDTRAIL" verify "$C" >"$T/u.out" 2>&1
check_eq "unrecorded files: exit 0 without --strict" 0 $?
check_eq "unrecorded files: counted" "unrecorded: 2 files in the case folder that no record lists" \
	"$(grep '^unrecorded' "$T/u.out")"
check_eq "unrecorded files: each named" "E1.wipe.json extra/" \
	"$(awk '$2 == "unrecorded" { printf "%s%s", s, $1; s = " " }' "$T/u.out")"
check_eq "unrecorded files: the last line says so" \
	"verified: 2 records, chain intact, every output re-hashed as recorded; 2 unrecorded files (see above)" \
	"$(tail -n 1 "$T/u.out")"
"$CARDTRAIL" verify --strict "$C" >"$T/s.out" 2>&1
check_eq "unrecorded files with --strict: exit 3" 3 $?
check_eq "unrecorded files with --strict: each a problem" 2 \
	"$(grep -c "^  - .* is in the case folder but no record lists it" "$T/s.out")"
"$CARDTRAIL" verify --json "$C" >"$T/u.json" 2>&1
check_eq "unrecorded files --json" '["E1.wipe.json","extra/"]' "$(jq -c '[.unrecorded[]]' "$T/u.json")"
restore
"$CARDTRAIL" verify --strict "$C" >"$T/s.out" 2>&1
check_eq "pristine with --strict: exit 0" 0 $?
# a repaired torn tail: the side file is listed by the repair record
"$CARDTRAIL" note "$C" "to be torn" >/dev/null
size=$(stat -c %s "$C/custody.log")
truncate -s $((size - 9)) "$C/custody.log"
"$CARDTRAIL" verify --repair "$C" >/dev/null 2>&1
"$CARDTRAIL" verify --strict "$C" >"$T/r.out" 2>&1
check_eq "a repaired case with --strict: exit 0 (the torn side file is recorded)" 0 $?
restore

# ---- a custody log that is not a regular file ----------------------------------------
# every command must refuse it at once: a FIFO would block a reader forever
fifo_case() { rm -rf "$T/fc"; mkdir "$T/fc"; mkfifo "$T/fc/custody.log"; }
# refuses DESC ARGS...: cardtrail ARGS exits 1 within 10 s, says why
refuses() {
	local desc=$1 rc
	shift
	timeout 10 "$CARDTRAIL" "$@" >"$T/fifo.out" 2>"$T/fifo.err" </dev/null
	rc=$?
	check_eq "$desc: exit 1, not blocked" 1 $rc
	if grep -q "custody.log' is not a regular file" "$T/fifo.err"; then ok "$desc: says why"
	else not_ok "$desc: says why"; sed 's/^/#   /' "$T/fifo.err" | head -n 5; fi
}
fifo_case; refuses "FIFO log: log" log "$T/fc"
fifo_case; refuses "FIFO log: verify" verify "$T/fc"
fifo_case; refuses "FIFO log: verify --repair" verify --repair "$T/fc"
fifo_case; refuses "FIFO log: note" note "$T/fc" "a note"
fifo_case; refuses "FIFO log: image (before imaging)" image --progress none "$T/card.bin" "$T/fc"
check_eq "FIFO log: image wrote nothing" "custody.log" "$(ls "$T/fc")"
fifo_case; refuses "FIFO log: wipe" wipe --case "$T/fc" --yes --progress none "$T/card.bin"
fifo_case; mkdir -p "$T/fc"
cp "$T/pristine/"E1.* "$T/fc/"
refuses "FIFO log: extract" extract "$T/fc" E1
fifo_case; refuses "FIFO log: adopt" adopt --progress none "$T/card.bin" "$T/fc"
check_eq "FIFO log: adopt wrote nothing" "custody.log" "$(ls "$T/fc")"
fifo_case; refuses "FIFO log: report" report "$T/fc"
check_eq "FIFO log: report wrote nothing" "custody.log" "$(ls "$T/fc")"
if command -v python3 >/dev/null; then
	rm -rf "$T/sc"; mkdir "$T/sc"
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/sc/custody.log"
	timeout 10 "$CARDTRAIL" verify "$T/sc" >"$T/fifo.out" 2>"$T/fifo.err"
	check_eq "socket log: verify exit 1" 1 $?
	grep -q "custody.log' is not a regular file" "$T/fifo.err" && ok "socket log: says why" ||
		not_ok "socket log: says why"
fi
rm -rf "$T/dc"; mkdir -p "$T/dc/custody.log"
timeout 10 "$CARDTRAIL" log "$T/dc" >"$T/fifo.out" 2>"$T/fifo.err"
check_eq "directory log: log exit 1" 1 $?
grep -q "custody.log' is not a regular file" "$T/fifo.err" && ok "directory log: says why" ||
	not_ok "directory log: says why"

done_testing
