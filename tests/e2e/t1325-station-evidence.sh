#!/usr/bin/env bash
# t1325-station-evidence: the station never takes a loop device whose
# backing file is a case's evidence, --allow or not: another case's E1.raw
# under --cases, a case's E1.raw outside --cases, a hard link to one, a
# loop device over such a loop device.  Each is in the summary's not-taken
# list with the reason naming the file; the images' SHA-256 are unchanged
# and their cases verify.  A card next to them is taken and wiped (the
# test could fail).
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/station.sh"
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY
need_loop
command -v mkfs.fat >/dev/null && command -v mcopy >/dev/null && command -v sfdisk >/dev/null ||
	skip_all "mkflightcard.sh needs dosfstools, mtools and fdisk"
"$CT_TOP/fixtures/mkflightcard.sh" "$T" superfloppy >/dev/null 2>&1 || skip_all "mkflightcard.sh failed"
"$CT_TOP/fixtures/mkflightcard.sh" "$T" mbr >/dev/null 2>&1 || skip_all "mkflightcard.sh mbr failed"
read -r -a N <<<"$(pick_loops 6)" || skip_all "no six free loop device numbers from 200 up"
sha() { sha256sum <"$1" | cut -d' ' -f1; }
devsha() { dd if="$1" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1; }
# duplicate = process: the evidence cards are copies of a case's image, and
# the duplicate rule must not be what keeps them from being wiped
printf 'steps = image, wipe\nduplicate = process\n' >"$T/wipe.conf"

# two cases of the same card: one under --cases, one elsewhere
"$CARDTRAIL" image --progress none "$T/flightcard-mbr.img" "$T/cases/old" >/dev/null 2>&1 ||
	skip_all "cannot image the card into a case"
"$CARDTRAIL" image --progress none "$T/flightcard-mbr.img" "$T/elsewhere" >/dev/null 2>&1 ||
	skip_all "cannot image the card into a second case"
OLD=$T/cases/old/E1.raw
ELSE=$T/elsewhere/E1.raw
h_old=$(sha "$OLD")
h_else=$(sha "$ELSE")
mkdir "$T/links"
ln "$OLD" "$T/links/h.raw"

attach_loop A "${N[0]}" "$OLD" || skip_all "losetup failed"
attach_loop B "${N[1]}" "$ELSE" || skip_all "losetup failed"
attach_loop H "${N[2]}" "$T/links/h.raw" || skip_all "losetup failed"
# a second loop device over the same file, under the chain: the one a loop
# device is over is refused for that already (a loop device is backed by it)
attach_loop A2 "${N[5]}" "$OLD" || skip_all "losetup failed"
attach_loop L "${N[3]}" "$A2" || skip_all "losetup failed"
slot_loop W "${N[4]}" || skip_all "losetup failed"
allow=()
for n in "${N[@]}"; do allow+=(--allow "loop$n"); done
station_start --cases "$T/cases" --mission evidence --policy "$T/wipe.conf" "${allow[@]}" --max-cards 1
slot_insert "${N[4]}" "$T/flightcard-superfloppy.img"
station_wait 600
check_eq "the station exits 0" 0 "$ST_RC"
[ "$ST_RC" = 0 ] || station_show
S=$T/cases/mission-evidence.json
check_eq "one card taken: the card in the slot" "$W" "$(jq -r '[.cards[].device] | join(" ")' "$S")"
reason() { jq -r --arg r "loop$1" '.not_taken[] | select(.reader == $r) | .reason' "$S"; }
NEVER="the evidence of a case is never taken"
check_eq "another case's E1.raw under --cases: not taken" \
	"loop${N[0]}: a loop device over '$OLD', a file of the case in '$T/cases/old': $NEVER" "$(reason "${N[0]}")"
check_eq "a case's E1.raw outside --cases: not taken" \
	"loop${N[1]}: a loop device over '$ELSE', a file of the case in '$T/elsewhere': $NEVER" "$(reason "${N[1]}")"
check_eq "a hard link to a case's E1.raw: not taken" \
	"loop${N[2]}: a loop device over '$T/links/h.raw' (the same file as '$OLD'), a file of the case in '$T/cases/old': $NEVER" \
	"$(reason "${N[2]}")"
check_eq "a loop device over such a loop device: not taken" \
	"loop${N[3]}: a loop device over $A2, a loop device over '$OLD', a file of the case in '$T/cases/old': $NEVER" \
	"$(reason "${N[3]}")"
check_eq "the loop device under that one: not taken either" "loop${N[5]}: a loop device is backed by it" \
	"$(reason "${N[5]}")"
check_eq "the image under --cases unchanged" "$h_old" "$(sha "$OLD")"
check_eq "the image outside --cases unchanged" "$h_else" "$(sha "$ELSE")"
"$CARDTRAIL" verify "$T/cases/old" >"$T/v1.out" 2>&1
check_eq "the case under --cases verifies" 0 $?
"$CARDTRAIL" verify "$T/elsewhere" >"$T/v2.out" 2>&1
check_eq "the case outside --cases verifies" 0 $?
check_eq "the card it took is wiped" "$(head -c "$(stat -c %s "$T/flightcard-superfloppy.img")" /dev/zero |
	sha256sum | cut -d' ' -f1)" "$(devsha "$W")"
check_eq "the card it took: its case verifies" 0 \
	"$("$CARDTRAIL" verify "$T/cases/$(jq -r '.cards[0].case' "$S")" >/dev/null 2>&1; echo $?)"
for i in 4 3 5 2 1 0; do loop_release "${N[$i]}"; done
done_testing
