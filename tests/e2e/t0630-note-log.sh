#!/usr/bin/env bash
# t0630-note-log: `note` names only what the case has, never opens a case
# by mistake; `log` and `verify` never create anything; `log` shows what
# each note is about.
. "$CT_TOP/tests/e2e/lib.sh"
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY

gen_bytes notes $((1 << 20)) >"$T/card.bin"
C=$T/case
"$CARDTRAIL" image --hash md5 --progress none "$T/card.bin" "$C" >/dev/null 2>&1
check_eq "image into a new case exits 0" 0 $?
lines() { wc -l <"$C/custody.log"; }
n0=$(lines)

# ---- --evidence must be an evidence of the case ---------------------------------------
"$CARDTRAIL" note --evidence E1 "$C" "sealed in bag 4411" >"$T/n.out" 2>&1
check_eq "note --evidence E1 (imaged): exit 0" 0 $?
check_eq "note --evidence E1: subject.evidence" E1 "$(tail -n 1 "$C/custody.log" | jq -r .subject.evidence)"
"$CARDTRAIL" note --evidence E9 "$C" "about a card we do not have" >"$T/n.out" 2>"$T/n.err"
check_eq "note --evidence E9 (not in the case): exit 1" 1 $?
check_eq "note --evidence E9: says so and what to use" \
	"cardtrail: the case '$C' has no evidence 'E9' (it has E1): name a card not imaged yet with --item" \
	"$(cat "$T/n.err")"
check_eq "note --evidence E9: nothing appended" $((n0 + 1)) "$(lines)"
"$CARDTRAIL" note --evidence '../E1' "$C" "bad id" >/dev/null 2>"$T/n.err"
check_eq "note --evidence '../E1': exit 2 (not an evidence id)" 2 $?
check_eq "note --evidence '../E1': nothing appended" $((n0 + 1)) "$(lines)"
"$CARDTRAIL" note --item "SanDisk 64 GB, bag 4412" "$C" "received from the unit, not imaged yet" >/dev/null 2>&1
check_eq "note --item: exit 0" 0 $?
check_eq "note --item: subject.item, no evidence" '{"item":"SanDisk 64 GB, bag 4412"}' \
	"$(tail -n 1 "$C/custody.log" | jq -c .subject)"
"$CARDTRAIL" note --item "x" --evidence E1 "$C" "both" >/dev/null 2>&1
check_eq "note --item with --evidence: exit 2" 2 $?
"$CARDTRAIL" note --item "" "$C" "empty item" >/dev/null 2>&1
check_eq "note --item '': exit 2" 2 $?
check_eq "refused notes appended nothing" $((n0 + 2)) "$(lines)"

# ---- no custody log: refused unless --new-case ----------------------------------------
"$CARDTRAIL" note "$T/typo" "card received" >"$T/n.out" 2>"$T/n.err"
check_eq "note on a folder without a log: exit 1" 1 $?
check_eq "note on a folder without a log: says --new-case" \
	"cardtrail: no custody log in '$T/typo': not a case (--new-case opens one with this note)" \
	"$(cat "$T/n.err")"
check_eq "note on a folder without a log: nothing created" no "$([ -e "$T/typo" ] && echo yes || echo no)"
mkdir "$T/empty"
"$CARDTRAIL" note "$T/empty" "card received" >/dev/null 2>&1
check_eq "note on an empty folder: exit 1" 1 $?
check_eq "note on an empty folder: still empty" "" "$(ls -A "$T/empty")"
"$CARDTRAIL" note --new-case --item "card in bag 4413" "$T/new" "card received from the unit" >"$T/n.out" 2>&1
check_eq "note --new-case: exit 0" 0 $?
check_eq "note --new-case: open and note" "open note" "$(jq -r .action "$T/new/custody.log" | tr '\n' ' ' | sed 's/ $//')"
"$CARDTRAIL" note --new-case "$C" "again" >/dev/null 2>"$T/n.err"
check_eq "note --new-case on an existing case: exit 1" 1 $?
check_eq "note --new-case on an existing case: says so" \
	"cardtrail: '$C' is already a case (its custody log exists): drop --new-case" "$(cat "$T/n.err")"
check_eq "note --new-case on an existing case: nothing appended" $((n0 + 2)) "$(lines)"
# --evidence on a new case: it has no evidence yet
"$CARDTRAIL" note --new-case --evidence E1 "$T/new2" "x" >/dev/null 2>&1
check_eq "note --new-case --evidence E1: exit 1 (a new case has no evidence)" 1 $?
check_eq "note --new-case --evidence E1: nothing created" no "$([ -e "$T/new2" ] && echo yes || echo no)"

# ---- log and verify never create anything -----------------------------------------------
for cmd in log verify "verify --repair" "verify --quick" "log --json"; do
	# shellcheck disable=SC2086
	"$CARDTRAIL" $cmd "$T/nothing" >/dev/null 2>&1
	check_eq "$cmd on a missing folder: exit 1" 1 $?
	check_eq "$cmd on a missing folder: nothing created" no "$([ -e "$T/nothing" ] && echo yes || echo no)"
	# shellcheck disable=SC2086
	"$CARDTRAIL" $cmd "$T/empty" >/dev/null 2>&1
	check_eq "$cmd on an empty folder: exit 1" 1 $?
	check_eq "$cmd on an empty folder: still empty" "" "$(ls -A "$T/empty")"
done
before=$(cd "$C" && ls -A | sort | tr '\n' ' ')
"$CARDTRAIL" log "$C" >/dev/null 2>&1
"$CARDTRAIL" verify "$C" >/dev/null 2>&1
"$CARDTRAIL" verify --repair "$C" >/dev/null 2>&1
check_eq "log, verify and verify --repair on a sound case: nothing new in it" "$before" \
	"$(cd "$C" && ls -A | sort | tr '\n' ' ')"

# ---- log shows what each note is about --------------------------------------------------
"$CARDTRAIL" note "$C" "a general remark" >/dev/null 2>&1
"$CARDTRAIL" log "$C" >"$T/log.out"
check_eq "log exits 0" 0 $?
check_eq "log: the note about E1 names it" 1 "$(grep -c 'note     alice *on E1: "sealed in bag 4411"$' "$T/log.out")"
check_eq "log: the note about an item names it" 1 \
	"$(grep -c 'note     alice *on "SanDisk 64 GB, bag 4412": "received from the unit, not imaged yet"$' "$T/log.out")"
check_eq "log: a note about nothing in particular" 1 "$(grep -c 'note     alice *note: "a general remark"$' "$T/log.out")"

done_testing
