#!/usr/bin/env bash
# cardtrail extract on an image with unreadable sectors: the flight card
# (fixtures/mkflightcard.sh superfloppy) imaged through faultfs with one
# bad sector inside DJI_0001.SRT (file bytes 2048-2559: the end of
# subtitle block 7 after its position, blocks 8 and the start of 9), one
# inside the deleted
# _JI_0003.SRT and one inside the ULog only carving finds.  Each file and
# carved block that covers one says which of its bytes are zeros and where
# in the image they were (MANIFEST.json and flights.json), the summary
# counts them, no track point is decoded from the zeros, the deleted file
# is not "plausibly complete", and the exit status is 4.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
need_root
need_fuse
. "$CT_TOP"/tests/e2e/extract-lib.sh

PATH=$PATH:/usr/sbin:/sbin
for t in mkfs.fat mcopy jq sha256sum tar; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs dosfstools, mtools, jq)"
done
export CARDTRAIL_EXAMINER=tester
unset CARDTRAIL_SIGN_KEY
"$CT_TOP/fixtures/mkflightcard.sh" "$T" superfloppy >/dev/null 2>"$T/mk.err" ||
	{ not_ok "mkflightcard.sh"; sed 's/^/#   /' "$T/mk.err"; done_testing; exit; }
img=$T/flightcard-superfloppy.img

# where things are, from an extract of the intact image
ct ref extract "$img" "$T/ref"
unpack "$T/ref/flightcard-superfloppy.img.evidence.tar" "$T/uref"
off_of() { mj "$T/uref" ".files[] | select(.path == \"$1\") | .source_offset"; }
SRT=$(off_of DCIM/100MEDIA/DJI_0001.SRT) DEL=$(off_of DCIM/100MEDIA/_JI_0003.SRT)
CARV=$(mj "$T/uref" '.files[] | select(.state == "carved") | .source_offset')
for v in SRT DEL CARV; do [ -n "${!v}" ] && [ "${!v}" != null ] || { not_ok "offset of $v"; done_testing; exit; }; done
B1=$((SRT + 2048)) B2=$((DEL + 512)) B3=$((CARV + 1024))

faultfs_mount "$img" "$T/mnt" --bad "$B1:512" --bad "$B2:512" --bad "$B3:512" ||
	{ not_ok "faultfs mount"; done_testing; exit; }
C=$T/case
"$CARDTRAIL" image --progress none --retries 0 "$T/mnt/disk" "$C" >"$T/img.out" 2>&1
check_eq "image: exit 4 (unreadable sectors)" 4 $?
check_eq "image: the record lists the three bad sectors" "$B3:512 $B1:512 $B2:512" \
	"$(jq -r '[.bad_ranges[] | "\(.offset):\(.length)"] | join(" ")' "$C/E1.acquisition.json")"
faultfs_umount "$T/mnt"

ct ex extract "$C" E1
check_eq "extract: exit 4 (done, the card had unreadable sectors)" 4 "$RC"
[ "$RC" -eq 4 ] || sed 's/^/#   /' "$T/ex.err"
U=$T/u
unpack "$C/E1.evidence.tar" "$U"
check_eq "bundle unpacks and verifies" 0 $?
check_eq "summary: the files holding unreadable bytes counted" \
	"unreadable 3 files hold 1536 bytes the card could not give (zeros, listed in MANIFEST.json)" \
	"$(grep '^unreadable' "$T/ex.out")"
check_eq "summary: says the extraction is incomplete" 1 "$(grep -c '^WARNING    incomplete: the image has unreadable sectors' "$T/ex.out")"
check_eq "MANIFEST: the image's unreadable ranges, not complete" "3|false" \
	"$(mj "$U" '"\(.image.unreadable_ranges)|\(.complete)"')"

q() { mj "$U" ".files[] | select(.path == \"$1\") | $2"; }
check_eq "DJI_0001.SRT: the unreadable range, as file bytes and image bytes" "2048|512|$B1" \
	"$(q DCIM/100MEDIA/DJI_0001.SRT '.unreadable[] | "\(.file_offset)|\(.length)|\(.image_offset)"')"
check_eq "DJI_0001.SRT: a warning names the byte range of the file that is zeros" 1 \
	"$(q DCIM/100MEDIA/DJI_0001.SRT "[.warnings[] | select(. == \"offset 2048: bytes 2048-2559 are zeros: the card could not be read there (image bytes $B1-$((B1 + 511)))\")] | length")"
check_eq "DJI_0001.SRT: the same warning in flights.json" 1 \
	"$(jq "[.[] | select(.file == \"files/DCIM/100MEDIA/DJI_0001.SRT\") | .warnings[] | select(startswith(\"offset 2048: bytes 2048-2559 are zeros\"))] | length" "$U/flights.json")"
check_eq "DJI_0001.SRT: its content is incomplete, with the count" \
	"incomplete: 512 bytes are zeros (512 unreadable on the card, 0 not on the card)" \
	"$(q DCIM/100MEDIA/DJI_0001.SRT .content)"
# no point from a record that touches the zeros: the blocks that hold file
# bytes 2048-2559 (they start at or before 2559 and end after 2048).  Block
# 7 keeps its position but not its abs_alt: read as it is, it is a point
# with the relative altitude as its only one; blocks 7-9 run together once
# their blank lines are zeros.
starts=$(grep -a -b -o '^[0-9]*$' "$U/files/DCIM/100MEDIA/DJI_0001.SRT" | cut -d: -f1)
csv=$(grep -l ',files/DCIM/100MEDIA/DJI_0001.SRT,' "$U"/tracks/*.csv)
bad=""
while IFS=, read -r _ _ _ _ _ _ _ o; do
	[ "$o" = offset ] && continue
	end=$(printf '%s\n' $starts | awk -v o="$o" '$1 > o { print $1; exit }')
	[ -z "$end" ] && end=2966
	[ "$o" -le 2559 ] && [ "$end" -gt 2048 ] && bad+=" $o"
done <"$csv"
check_eq "DJI_0001.SRT: no track point decoded from a block that holds zeros" "" "$bad"
check_eq "DJI_0001.SRT: the points dropped are counted in a warning" 1 \
	"$(q DCIM/100MEDIA/DJI_0001.SRT '[.warnings[] | select(test("decoded from bytes the card could not give"))] | length')"
check_eq "DJI_0001.SRT: the other points are there (blocks 1-6 and 10)" "7|7" \
	"$(jq '[.[] | select(.file == "files/DCIM/100MEDIA/DJI_0001.SRT") | .points] | .[0]' "$U/flights.json")|$(( $(wc -l <"$csv") - 1 ))"
check_eq "_JI_0003.SRT (deleted): incomplete, never 'plausibly complete' with zeros" \
	"deleted|incomplete: 512 bytes are zeros (512 unreadable on the card, 0 not on the card)|512" \
	"$(q DCIM/100MEDIA/_JI_0003.SRT '"\(.state)|\(.content)|\(.unreadable_bytes)"')"
check_eq "carved ULog: the unreadable range mapped onto it" "1024|512|$B3" \
	"$(mj "$U" ".files[] | select(.state == \"carved\" and .source_offset == $CARV) | .unreadable[] | \"\(.file_offset)|\(.length)|\(.image_offset)\"")"
check_eq "files without unreadable bytes say nothing of it" 3 \
	"$(mj "$U" '[.files[] | select(.unreadable)] | length')"
check_eq "custody record: not complete, 3 files with unreadable bytes" "false|3" \
	"$(tail -n 1 "$C/custody.log" | jq -r '"\(.result.complete)|\(.result.unreadable_files)"')"
"$CARDTRAIL" verify "$C" >"$T/verify.out" 2>&1
check_eq "verify after extract exits 0" 0 $?

done_testing
