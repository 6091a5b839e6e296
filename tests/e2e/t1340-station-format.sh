#!/usr/bin/env bash
# t1340-station-format: the policy's format step.  A card taken through
# image, extract, wipe, format and report comes out with a fresh FAT32
# filesystem under the policy's label (blkid, fsck.fat), nothing of the
# card left in it, the format in its certificate, the summary and the
# custody log, and its case verifies.  Its case folder is named by the
# date, the reader and the card's fingerprint.  A loop device at a fixed free number,
# the only device the station admits.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/station.sh"
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY
need_loop
command -v blkid >/dev/null && command -v fsck.fat >/dev/null && command -v mdir >/dev/null ||
	skip_all "needs blkid, fsck.fat and mtools"
command -v mkfs.fat >/dev/null && command -v mcopy >/dev/null && command -v sfdisk >/dev/null ||
	skip_all "mkflightcard.sh needs dosfstools, mtools and fdisk"
"$CT_TOP/fixtures/mkflightcard.sh" "$T" superfloppy >/dev/null 2>&1 || skip_all "mkflightcard.sh failed"
read -r -a N <<<"$(pick_loops 1)" || skip_all "no free loop device number from 200 up"
printf 'steps = image, extract, wipe, format, report\nwipe.method = zero\nformat.fs = fat32\nformat.label = DRONE7\n' \
	>"$T/format.conf"
"$CARDTRAIL" station --check-policy --policy "$T/format.conf" >"$T/pol.json"
check_eq "the policy: fat32, labelled DRONE7" "fat32 DRONE7" "$(jq -r '"\(."format.fs") \(."format.label")"' "$T/pol.json")"

cp "$T/flightcard-superfloppy.img" "$T/card.img"
files_before=$(mdir -i "$T/card.img" -b -/ :: 2>/dev/null | wc -l)
slot_loop F "${N[0]}" || skip_all "losetup failed"
day=$(date -u +%F)
station_start --cases "$T/cases" --mission format --policy "$T/format.conf" --allow "loop${N[0]}" --max-cards 1
slot_insert "${N[0]}" "$T/card.img"
station_wait 600
check_eq "format: the station exits 0" 0 "$ST_RC"
[ "$ST_RC" = 0 ] || station_show
c=$(jq -c '.cards[0]' "$T/cases/mission-format.json")
case=$T/cases/$(jq -r .case <<<"$c")
# the case folder: date, reader (a loop device has no CID), the first 8
# hex digits of the fingerprint: SHA-256 of a tag, the size (u64 LE), the
# first and the last MiB (computed here with python's hashlib)
fp=$(python3 -c 'import hashlib, struct, sys
d = open(sys.argv[1], "rb").read()
print(hashlib.sha256(b"cardtrail-station-fingerprint-v1" + struct.pack("<Q", len(d)) +
                     d[:1 << 20] + d[-(1 << 20):]).hexdigest())' "$T/card.img")
check_eq "format: the fingerprint, as hashlib computes it" "$fp" "$(jq -r .fingerprint <<<"$c")"
case "$(jq -r .case <<<"$c")" in
"$day-loop${N[0]}-${fp:0:8}"|"$(date -u +%F)-loop${N[0]}-${fp:0:8}")
	ok "format: the case is named by date, reader and fingerprint" ;;
*) not_ok "format: the case is named by date, reader and fingerprint ($(jq -r .case <<<"$c"), fingerprint $fp)" ;;
esac
check_eq "format: the steps" "image:ok extract:ok wipe:ok format:ok report:ok" \
	"$(jq -r '[.steps[] | "\(.step):\(.status)"] | join(" ")' <<<"$c")"
check_eq "format: blkid says vfat, DRONE7" "vfat DRONE7" \
	"$(blkid -p -o value -s TYPE "$F") $(blkid -p -o value -s LABEL "$F")"
fsck.fat -n "$F" >"$T/fsck.out" 2>&1
check_eq "format: fsck.fat finds nothing wrong" 0 $?
check_eq "format: the card had files, the new filesystem has none" "yes 0" \
	"$([ "$files_before" -gt 0 ] && echo yes) $(mdir -i "$F" -b -/ :: 2>/dev/null | wc -l)"
check_eq "format: the certificate says formatted, fat32" "formatted fat32" \
	"$(jq -r '"\(.format.result) \(.format.filesystem)"' "$case/E1.wipe.json")"
check_eq "format: the summary's wipe result" "VERIFIED" "$(jq -r .wipe.result <<<"$c")"
check_eq "format: the custody log" "open note image extract wipe-start wipe report" \
	"$(jq -r .action "$case/custody.log" | tr '\n' ' ' | sed 's/ $//')"
check_eq "format: the wipe record says what is left on the card" "formatted after the wipe" \
	"$(jq -r 'select(.action == "wipe") | .result.left_on_card_note' "$case/custody.log")"
check_eq "format: the wipe record lists the certificate, hashed" "$(sha256sum <"$case/E1.wipe.json" | cut -d' ' -f1)" \
	"$(jq -r 'select(.action == "wipe") | .outputs[] | select(.role == "certificate") | .sha256' "$case/custody.log")"
"$CARDTRAIL" verify "$case" >"$T/v.out" 2>&1
check_eq "format: the case verifies" 0 $?
done_testing
