#!/usr/bin/env bash
# t1310-station-faults: cards that go wrong under the station, made with the
# FUSE fault injector under loop devices at fixed free numbers: unreadable
# sectors (imaged with exit-4 semantics; no wipe unless the policy says
# wipe.damaged = yes), a card that vanishes mid-image and comes back (in
# another reader: resumed, the hashes of an uninterrupted run), a counterfeit
# card whose addresses wrap (the wipe fails; the summary names the capacity).
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
. "$CT_TOP/tests/e2e/station.sh"
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY
need_loop
need_fuse
command -v mkfs.fat >/dev/null && command -v mcopy >/dev/null && command -v sfdisk >/dev/null ||
	skip_all "mkflightcard.sh needs dosfstools, mtools and fdisk"
"$CT_TOP/fixtures/mkflightcard.sh" "$T" superfloppy >/dev/null 2>&1 || skip_all "mkflightcard.sh failed"
"$CT_TOP/fixtures/mkflightcard.sh" "$T" mbr >/dev/null 2>&1 || skip_all "mkflightcard.sh mbr failed"
read -r -a N <<<"$(pick_loops 3)" || skip_all "no three free loop device numbers from 200 up"
MiB=1048576
sha() { sha256sum <"$1" | cut -d' ' -f1; }
printf 'steps = image, extract, wipe, report\nimage.hash = md5, sha256\nimage.retries = 0\n' >"$T/chain.conf"
# card C: the summary's JSON object of the card in reader DEV
card() { jq -c --arg d "$2" '.cards[] | select(.device == $d)' "$1"; }

# ---- unreadable sectors ---------------------------------------------------------------
cp "$T/flightcard-superfloppy.img" "$T/bad.img"
want_bad=$(sha "$T/bad.img")
# what the image must hold: the card with its 4 KiB at 40 MiB zero-filled
cp "$T/bad.img" "$T/bad-zeroed.img"
dd if=/dev/zero of="$T/bad-zeroed.img" bs=4096 seek=$((40 * MiB / 4096)) count=1 conv=notrunc status=none
faultfs_mount "$T/bad.img" "$T/mb" --writable --bad $((40 * MiB)):4096 || not_ok "faultfs --bad mounts"
attach_loop B "${N[0]}" "$T/mb/disk" || skip_all "losetup failed"
station_start --cases "$T/cases" --mission bad --policy "$T/chain.conf" --allow "loop${N[0]}" --max-cards 1
station_wait 600
check_eq "unreadable sectors: the station exits 4" 4 "$ST_RC"
[ "$ST_RC" = 4 ] || station_show
c=$(card "$T/cases/mission-bad.json" "$B")
check_eq "unreadable sectors: steps (no wipe: wipe.damaged = no)" \
	"image:unreadable-sectors:4 extract:ok:0 wipe:skipped:null report:ok:0" \
	"$(jq -r '[.steps[] | "\(.step):\(.status):\(.exit)"] | join(" ")' <<<"$c")"
check_eq "unreadable sectors: the wipe says why it did not run" \
	"not run: the card has unreadable sectors (4096 bytes) and the policy says wipe.damaged = no" \
	"$(jq -r '.steps[] | select(.step == "wipe") | .text' <<<"$c")"
check_eq "unreadable sectors: bad_bytes" 4096 "$(jq -r .bad_bytes <<<"$c")"
check_eq "unreadable sectors: sha256 of the card with them zero-filled" "$(sha "$T/bad-zeroed.img")" \
	"$(jq -r .hashes.sha256 <<<"$c")"
jq -r '.attention[]' <<<"$c" | grep -q "^unreadable sectors: 4096 bytes zero-filled" &&
	ok "unreadable sectors: needs a person's attention" || not_ok "unreadable sectors: needs a person's attention"
case=$T/cases/$(jq -r .case <<<"$c")
check_eq "unreadable sectors: no wipe record in the case" 0 \
	"$(jq -r .action "$case/custody.log" | grep -c '^wipe')"
check_eq "unreadable sectors: the card was never written" "$want_bad" "$(sha "$T/bad.img")"
"$CARDTRAIL" verify "$case" >"$T/v.out" 2>&1
check_eq "unreadable sectors: the case verifies" 0 $?
loop_release "${N[0]}"
faultfs_umount "$T/mb"

# wipe.damaged = yes: the wipe runs (on this card, whose sectors stay
# unreadable, it then fails and says so)
printf 'steps = image, extract, wipe, report\nimage.retries = 0\nwipe.damaged = yes\n' >"$T/damaged.conf"
cp "$T/flightcard-superfloppy.img" "$T/bad.img"
faultfs_mount "$T/bad.img" "$T/mb" --writable --bad $((40 * MiB)):4096 || not_ok "faultfs --bad mounts"
attach_loop B "${N[0]}" "$T/mb/disk" || skip_all "losetup failed"
station_start --cases "$T/cases" --mission damaged --policy "$T/damaged.conf" --allow "loop${N[0]}" \
	--max-cards 1
station_wait 600
c=$(card "$T/cases/mission-damaged.json" "$B")
check_eq "wipe.damaged = yes: the wipe ran" "yes" \
	"$(jq -r '.steps[] | select(.step == "wipe") | if .status != "skipped" and .status != "pending" and .runs == 1
		then "yes" else .status end' <<<"$c")"
case=$T/cases/$(jq -r .case <<<"$c")
check_eq "wipe.damaged = yes: the wipe is in the custody log" 1 \
	"$(jq -r .action "$case/custody.log" | grep -c '^wipe-start$')"
printf '# wipe.damaged = yes: wipe %s: %s\n' "$(jq -r '.steps[] | select(.step == "wipe") | .status' <<<"$c")" \
	"$(jq -r '.steps[] | select(.step == "wipe") | .text' <<<"$c")"
loop_release "${N[0]}"
faultfs_umount "$T/mb"

# ---- a card that vanishes mid-image, and comes back --------------------------------------
# It vanishes at 24 MiB served (ENXIO: the card answers no more) in reader
# A, and comes back in reader B (a slot: the card's bytes copied in).
cp "$T/flightcard-mbr.img" "$T/van.img"
want_sha=$(sha "$T/van.img")
want_md5=$(md5sum <"$T/van.img" | cut -d' ' -f1)
faultfs_mount "$T/van.img" "$T/mv" --writable --vanish-after 24M --vanish-errno ENXIO ||
	not_ok "faultfs --vanish-after mounts"
attach_loop A "${N[0]}" "$T/mv/disk" || skip_all "losetup failed"
slot_loop S "${N[1]}" || skip_all "losetup failed"
station_start --cases "$T/cases" --mission vanish --policy "$T/chain.conf" --allow "loop${N[0]}" \
	--allow "loop${N[1]}" --max-cards 1
wait_event 'select(.event == "removed" and .step == "image")' 300 &&
	ok "vanish: the station says the card left during image" ||
	{ not_ok "vanish: the station says the card left during image"; station_show; }
kill -0 "$ST_PID" 2>/dev/null && ok "vanish: the station waits for it" || not_ok "vanish: the station waits for it"
slot_insert "${N[1]}" "$T/flightcard-mbr.img"
wait_event 'select(.event == "back")' 60 && ok "vanish: it is back" || not_ok "vanish: it is back"
station_wait 600
check_eq "vanish and back: the station exits 0" 0 "$ST_RC"
[ "$ST_RC" = 0 ] || station_show
c=$(jq -c '.cards[0]' "$T/cases/mission-vanish.json")
check_eq "vanish: one card, done, in reader B now" "1 done $S" \
	"$(jq -r '.cards | length' "$T/cases/mission-vanish.json") $(jq -r '"\(.state) \(.device)"' <<<"$c")"
check_eq "vanish: recognised by its edges" "the same size and first and last MiB" "$(jq -r .came_back <<<"$c")"
check_eq "vanish: image ran twice (the second a resume)" 2 "$(jq -r '.steps[] | select(.step == "image") | .runs' <<<"$c")"
check_eq "vanish: sha256 of an uninterrupted run" "$want_sha" "$(jq -r .hashes.sha256 <<<"$c")"
check_eq "vanish: md5 of an uninterrupted run" "$want_md5" "$(jq -r .hashes.md5 <<<"$c")"
case=$T/cases/$(jq -r .case <<<"$c")
check_eq "vanish: E1.raw is the card" "$want_sha" "$(sha "$case/E1.raw")"
from=$(jq -r '.resumed[0].from_offset // empty' "$case/E1.acquisition.json")
if [ -n "$from" ] && [ "$from" -gt 0 ]; then ok "vanish: resumed from offset $from, not from 0"
else not_ok "vanish: resumed, not started over (resumed: $(jq -c .resumed "$case/E1.acquisition.json"))"; fi
check_eq "vanish: the custody log says it left, came back, and the image resumed" \
	"note image:false note:left note:back image:true extract wipe-start wipe report" \
	"$(jq -r 'if .action == "image" then "image:\(.result.complete)" elif .action == "note" and
		(.result.text | test("left reader")) then "note:left" elif .action == "note" and
		(.result.text | test("came back")) then "note:back" else .action end' "$case/custody.log" |
		grep -v '^open$' | tr '\n' ' ' | sed 's/ $//')"
"$CARDTRAIL" verify "$case" >"$T/v.out" 2>&1
check_eq "vanish: the case verifies" 0 $?
cmp -s -n "$(stat -c %s "$T/van.img")" "$S" /dev/zero && ok "vanish: the card is wiped where it came back" ||
	not_ok "vanish: the card is wiped where it came back"
check_eq "vanish: nothing written where it vanished" "$want_sha" "$(sha "$T/van.img")"
loop_release "${N[0]}"
loop_release "${N[1]}"
faultfs_umount "$T/mv"

# ---- a counterfeit card: 32 MiB claimed, 8 MiB real --------------------------------------
mkfs.fat -C "$T/cf.img" 8192 >/dev/null 2>&1 || skip_all "mkfs.fat failed"
mcopy -i "$T/cf.img" "$CT_TOP/fixtures/flight/gen.ulg" ::/ || not_ok "mcopy onto the counterfeit card"
faultfs_mount "$T/cf.img" "$T/mc" --writable --size 32M --wrap 8M || not_ok "faultfs --wrap mounts"
attach_loop C "${N[2]}" "$T/mc/disk" || skip_all "losetup failed"
check_eq "counterfeit: the loop device claims 32 MiB" $((32 * MiB)) "$(blockdev --getsize64 "$C")"
station_start --cases "$T/cases" --mission counterfeit --policy "$T/chain.conf" --allow "loop${N[2]}" \
	--max-cards 1
station_wait 600
check_eq "counterfeit: the station exits 3" 3 "$ST_RC"
[ "$ST_RC" = 3 ] || station_show
c=$(card "$T/cases/mission-counterfeit.json" "$C")
check_eq "counterfeit: steps (the chain stops at the wipe)" \
	"image:ok extract:ok wipe:mismatch report:pending" \
	"$(jq -r '[.steps[] | "\(.step):\(.status)"] | join(" ")' <<<"$c")"
check_eq "counterfeit: the summary's wipe names the real capacity" \
	"true 8388608" "$(jq -r '"\(.wipe.addresses_wrap) \(.wipe.apparent_real_capacity)"' <<<"$c")"
check_eq "counterfeit: the certificate says so" "8388608" \
	"$(jq -r .apparent_real_capacity "$T/cases/$(jq -r .case <<<"$c")/E1.wipe.json")"
jq -r '.attention[]' <<<"$c" | grep -qF "apparent real capacity 8388608 bytes (8.0 MiB) of the 33554432 it claims" &&
	ok "counterfeit: needs a person's attention, with the capacity" ||
	{ not_ok "counterfeit: needs a person's attention, with the capacity"; jq -r '.attention[]' <<<"$c" | sed 's/^/#   /'; }
grep -qF "apparent real capacity 8388608 bytes (8.0 MiB)" "$T/cases/mission-counterfeit.txt" &&
	ok "counterfeit: the text summary names the capacity" || not_ok "counterfeit: the text summary names the capacity"
"$CARDTRAIL" verify "$T/cases/$(jq -r .case <<<"$c")" >"$T/v.out" 2>&1
check_eq "counterfeit: the case verifies (the failed wipe is recorded as such)" 0 $?
done_testing
