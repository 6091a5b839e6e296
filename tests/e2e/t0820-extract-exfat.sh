#!/usr/bin/env bash
# cardtrail extract on an exFAT card (mkfs.exfat, files copied in through
# exfat-fuse on a loop device, one deleted), imaged from the loop device.
# Needs root, loop devices, /dev/fuse, exfatprogs and exfat-fuse.
. "$CT_TOP"/tests/e2e/lib.sh

PATH=$PATH:/usr/sbin:/sbin
need_loop
[ -e /dev/fuse ] || skip_all "no /dev/fuse"
for t in mkfs.exfat mount.exfat-fuse jq sha256sum tar; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs exfatprogs, exfat-fuse, jq)"
done
export CARDTRAIL_EXAMINER=tester
unset CARDTRAIL_SIGN_KEY
printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n' >"$T/lsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"
fx=$CT_TOP/fixtures/flight
sum() { sha256sum <"$1" | cut -d' ' -f1; }

truncate -s 64M "$T/card.img"
mkloop dev "$T/card.img" || skip_all "losetup failed"
mkfs.exfat -L DJI_CARD "$dev" >/dev/null 2>&1 || { not_ok "mkfs.exfat"; done_testing; exit; }
mkdir "$T/mnt"
mount.exfat-fuse "$dev" "$T/mnt" >/dev/null 2>&1 || skip_all "mount.exfat-fuse failed (FUSE not usable here)"
at_exit "fusermount -u '$T/mnt' || umount '$T/mnt'"
mkdir -p "$T/mnt/DCIM/100MEDIA" "$T/mnt/FlightRecord" "$T/mnt/log"
cp "$fx/DJI_0001.JPG" "$fx/NOGPS.JPG" "$T/mnt/DCIM/100MEDIA/"
cp "$fx/gen-framecnt.SRT" "$T/mnt/DCIM/100MEDIA/DJI_0001.SRT"
cp "$fx/gen-home-gps.SRT" "$T/mnt/DCIM/100MEDIA/DJI_0002.SRT"
cp "$fx/gen-v7.txt" "$T/mnt/FlightRecord/DJIFlightRecord_2016-09-15_[13-51-18].txt"
cp "$fx/gen.ulg" "$T/mnt/log/09_12_33.ulg"
sync
rm "$T/mnt/DCIM/100MEDIA/DJI_0002.SRT"
sync
fusermount -u "$T/mnt" 2>/dev/null || umount "$T/mnt"
check_eq "exFAT card built and unmounted" "" "$(grep " $T/mnt " /proc/mounts)"

"$CARDTRAIL" image --progress none "$dev" "$T/case" >"$T/img.out" 2>&1
check_eq "image of the loop device exits 0" 0 $?
"$CARDTRAIL" extract "$T/case" E1 >"$T/ex.out" 2>"$T/ex.err"
check_eq "extract exits 0" 0 $?
grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/ex.err" && { not_ok "sanitizer report"; head -n 20 "$T/ex.err" | sed 's/^/#   /'; }
mkdir "$T/u"
tar -x -f "$T/case/E1.evidence.tar" -C "$T/u" 2>/dev/null
(cd "$T/u" && sha256sum -c --quiet SHA256SUMS >/dev/null 2>&1)
check_eq "sha256sum -c SHA256SUMS" 0 $?
M=$T/u/MANIFEST.json
bad=""
for p in "DCIM/100MEDIA/DJI_0001.JPG DJI_0001.JPG" "DCIM/100MEDIA/NOGPS.JPG NOGPS.JPG" \
	"DCIM/100MEDIA/DJI_0001.SRT gen-framecnt.SRT" "FlightRecord/DJIFlightRecord_2016-09-15_[13-51-18].txt gen-v7.txt" \
	"log/09_12_33.ulg gen.ulg"; do
	set -- $p
	cmp -s "$fx/$2" "$T/u/files/$1" || bad+=" $1"
	[ "$(jq -r --arg p "$1" '.files[] | select(.path == $p) | .state' "$M")" = allocated ] || bad+=" $1(state)"
done
check_eq "exFAT: every file in files/ with its bytes, allocated" "" "$bad"
jq -r '.files[] | select(.state == "allocated") | .path' "$M" >"$T/alloc.ls"
sed 's/^/# allocated: /' "$T/alloc.ls"
# the volume's own allocation bitmap and up-case table are metadata, not files
check_eq "exFAT: no other allocated files" "" \
	"$(grep -v '^DCIM/100MEDIA/DJI_0001\|^DCIM/100MEDIA/NOGPS\|^FlightRecord/\|^log/09_12_33' "$T/alloc.ls")"
check_eq "exFAT: exFAT's allocation bitmap and up-case table are not files" 0 \
	"$(jq '[.files[] | select(.path == "$ALLOC_BITMAP" or .path == "$UPCASE_TABLE")] | length' "$M")"
# exfat-fuse writes each time with a valid UTC offset: converted, basis utc
check_eq "exFAT: the times are UTC (offsets stated by the volume)" "utc|utc|Z" \
	"$(jq -r '.files[] | select(.path == "log/09_12_33.ulg") | .times | "\(.modified_basis)|\(.created_basis)|\(.modified[-1:])"' "$M")"
# libtsk keeps a deleted exFAT entry's name, size and first cluster: the
# file comes back under deleted/ with its bytes (its clusters are still free)
check_eq "exFAT: the deleted SRT is listed as deleted" "deleted|deleted/DCIM/100MEDIA/DJI_0002.SRT" \
	"$(jq -r '.files[] | select(.path == "DCIM/100MEDIA/DJI_0002.SRT") | "\(.state)|\(.bundle_path)"' "$M")"
cmp -s "$fx/gen-home-gps.SRT" "$T/u/deleted/DCIM/100MEDIA/DJI_0002.SRT"
check_eq "exFAT: the deleted SRT has its bytes" 0 $?
F=$T/u/flights.json
check_eq "exFAT: tracks (ulog 40, SRT 10, deleted SRT 9, v7 30, JPEG 1)" "1 9 10 30 40" \
	"$(jq -r "[.[] | select(.points > 0) | .points] | sort | map(tostring) | join(\" \")" "$F")"
check_eq "exFAT: v7 aircraft serial" 03ZGEN0007 \
	"$(jq -r '.[] | select(.format == "dji-txt") | .identity.aircraft_serial' "$F")"
check_eq "exFAT: csv header" 'time,time_basis,lat,lon,alt_m,alt_ref,source,offset' \
	"$(head -n 1 "$(ls "$T"/u/tracks/*_09_12_33.ulg.csv | head -n 1)" 2>/dev/null)"
"$CARDTRAIL" verify "$T/case" >/dev/null 2>&1
check_eq "verify after extract exits 0" 0 $?

done_testing
