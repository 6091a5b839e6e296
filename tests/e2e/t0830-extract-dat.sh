#!/usr/bin/env bash
# cardtrail extract on a card with DJI aircraft logs (FLY###.DAT) from the
# seeded generator tests/tools/gen-djidat: an allocated V3, a deleted V1, an
# encrypted (LOGH) one, and two that only carving finds, written into free
# space at sector boundaries (a V3 followed by junk, a V1 followed by
# zeros).  Each carved DAT must end where its last record whose CRC holds
# ends: byte for byte the generated file.  Every track must equal the one
# the second decoder (tests/tools/djidat_ref.py) computes, row by row.
. "$CT_TOP"/tests/e2e/lib.sh

PATH=$PATH:/usr/sbin:/sbin
for t in mkfs.fat mcopy mdel jq sha256sum tar python3; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs dosfstools, mtools, jq, python3)"
done
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n' >"$T/lsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"

GEN=$CT_BUILD/tools/gen-djidat
REF=$CT_TOP/tests/tools/djidat_ref.py
sum() { sha256sum <"$1" | cut -d' ' -f1; }
points() { grep -c '^point ' "$1"; }

"$GEN" v3 -s 21 -n 40 -c 3 -o "$T/A.DAT" -e "$T/A.exp" &&
	"$GEN" v1 -s 22 -n 20 -o "$T/B.DAT" -e "$T/B.exp" &&
	"$GEN" v3 -s 23 -n 25 -c 5 -o "$T/C.DAT" -e "$T/C.exp" &&
	"$GEN" v1 -s 24 -n 10 -g nogps -o "$T/D.DAT" -e "$T/D.exp" &&
	"$GEN" logh -s 25 -o "$T/E.DAT" || { not_ok "gen-djidat"; done_testing; exit; }

# the card: FAT32, 512-byte clusters, 64 MiB
img=$T/card.img
truncate -s 64M "$img"
mkfs.fat -F 32 -S 512 -s 1 -n DJI_CARD --invariant -i 0D1A2030 "$img" >/dev/null
m() { local c=$1; shift; SOURCE_DATE_EPOCH=1716023520 "$c" -i "$img" "$@"; }
m mcopy "$T/A.DAT" ::/FLY001.DAT
m mcopy "$T/B.DAT" ::/FLY002.DAT
m mcopy "$T/E.DAT" ::/FLY003.DAT
m mdel ::/FLY002.DAT
# carving only: nothing names these sectors
C_OFF=$(( 40 << 20 )) D_OFF=$(( 48 << 20 ))
dd if="$T/C.DAT" of="$img" bs=512 seek=$(( C_OFF / 512 )) conv=notrunc status=none
gen_bytes dat-junk 5000 | tr '\000' '\001' |
	dd of="$img" bs=1 seek=$(( C_OFF + $(stat -c %s "$T/C.DAT") )) conv=notrunc status=none
dd if="$T/D.DAT" of="$img" bs=512 seek=$(( D_OFF / 512 )) conv=notrunc status=none
ok "card with five DAT files"

"$CARDTRAIL" extract "$img" "$T/out" >"$T/ex.out" 2>"$T/ex.err"
check_eq "extract exits 0" 0 $?
grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/ex.err" &&
	{ not_ok "sanitizer report"; head -n 30 "$T/ex.err" | sed 's/^/#   /'; }
U=$T/u
mkdir -p "$U"
tar -x --no-same-owner -f "$T/out/card.img.evidence.tar" -C "$U" 2>"$T/tar.err" ||
	{ not_ok "bundle unpacks"; sed 's/^/#   /' "$T/tar.err"; }
M=$U/MANIFEST.json F=$U/flights.json
man() { jf "$M" ".files[] | select(.bundle_path == \"$1\") | $2"; }
fl() { jf "$F" ".[] | select(.file == \"$1\") | $2"; }

# what each member is: its bytes, parser, points
for row in "files/FLY001.DAT A allocated" "deleted/_LY002.DAT B deleted" \
	"carved/$C_OFF.DAT C carved" "carved/$D_OFF.DAT D carved"; do
	set -- $row
	check_eq "$1: the generated $2.DAT, byte for byte" "$(sum "$T/$2.DAT")" "$(sum "$U/$1" 2>/dev/null)"
	check_eq "$1: state, parser, points" "$3|dji-dat|$(points "$T/$2.exp")" \
		"$(man "$1" '"\(.state)|\(.parser)|\(.points)"')"
done
check_eq "carved: exactly the two DATs" "$C_OFF.DAT $D_OFF.DAT" "$(cd "$U/carved" && ls | sort -n | xargs)"
check_eq "carved V3: its end is its last valid record's (junk after it left out)" \
	"$(stat -c %s "$T/C.DAT")|1" \
	"$(man "carved/$C_OFF.DAT" '"\(.size)|\([.warnings[] | select(test("carved to the end of its last record whose checksum holds"))] | length)"')"
check_eq "carved V3: no fragment warning" 0 \
	"$(man "carved/$C_OFF.DAT" '[.warnings[] | select(test("end of a free run"))] | length')"
check_eq "encrypted DAT: identified, no points, the warning" 'dji-dat|0|1' \
	"$(man files/FLY003.DAT '"\(.parser)|\(.points)|\([.warnings[] | select(test("the mark of the logs DJI encrypts"))] | length)"')"
check_eq "encrypted DAT in flights.json: its kind" 'encrypted (LOGH)' \
	"$(fl files/FLY003.DAT .identity.log_version)"

# facts: counts as the generator wrote them
for row in "files/FLY001.DAT A" "carved/$C_OFF.DAT C"; do
	set -- $row
	want=$(awk '$1 == "records" || $1 == "crc_failures" || $1 == "unknown_types" { printf "%s|", $2 }' "$T/$2.exp")
	check_eq "$1: records, CRC failures, unknown types" "$want" \
		"$(fl "$1" '"\(.identity.records)|\(.identity.crc_failures)|\(.identity.unknown_types)|"')"
done
check_eq "V3: product, time source" "Mavic Pro|GPS UTC and ticks" \
	"$(fl files/FLY001.DAT '"\(.identity.model)|\(.identity.time_source)"' | sed 's/ (.*//')"

# every track, row by row, against the Python decoder
for row in "files/FLY001.DAT A" "deleted/_LY002.DAT B" "carved/$C_OFF.DAT C" "carved/$D_OFF.DAT D"; do
	set -- $row
	python3 "$REF" --csv "$1" "$T/$2.DAT" >"$T/$2.ref.csv"
	check_file "$1: track = djidat_ref.py's" "$T/$2.ref.csv" "$(track_of "$U" "$1").csv"
done
check_eq "V1 without GPS: OSD track, boot times, heights above take-off" "boot|takeoff" \
	"$(sed -n 2p "$(track_of "$U" "carved/$D_OFF.DAT").csv" | cut -d, -f2,6 | tr , '|')"
done_testing
