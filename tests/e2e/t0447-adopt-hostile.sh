#!/usr/bin/env bash
# cardtrail adopt against hostile images (an attacker's review):
#  - an E01 whose stored MD5 does not match its data (a segment swapped in
#    from another acquisition): adopt says so with both hashes side by side,
#    and afterwards verify, report and extract never call the case verified;
#  - an E01 whose damaged chunk reads back as the zeros it held: the stored
#    MD5 matches what was read, and adopt says what that match is worth;
#  - a split raw set with a gap (.003 missing, .004 there), or a segment the
#    set names left out: refused, naming the segment; a set cut short whose
#    filesystem runs past its end: extract says so;
#  - control characters in the case metadata (they would shift the E01
#    header's tab-separated fields): refused, and what is written reads back
#    in ewfinfo exactly as given.
. "$CT_TOP/tests/e2e/lib.sh"
PATH=$PATH:/usr/sbin:/sbin
for t in ewfacquire ewfinfo ewfverify jq mkfs.fat mcopy sfdisk split; do
	command -v $t >/dev/null || skip_all "$t not installed (ewf-tools, jq, dosfstools, mtools, fdisk)"
done
export CARDTRAIL_EXAMINER="Lab Intake" MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
unset CARDTRAIL_SIGN_KEY
printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n' >"$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"

"$CT_TOP/fixtures/mkflightcard.sh" "$T" mbr >/dev/null 2>"$T/mk.err" ||
	{ not_ok "mkflightcard.sh mbr"; sed 's/^/#   /' "$T/mk.err"; done_testing; exit; }
CARD=$T/flightcard-mbr.img
MD5=$(md5sum <"$CARD" | cut -d' ' -f1)

# ct NAME ARGS...: run cardtrail, stdout in $T/NAME.out, stderr in $T/NAME.err, status in RC
ct() {
	local n=$1; shift
	"$CARDTRAIL" "$@" >"$T/$n.out" 2>"$T/$n.err"
	RC=$?
	if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/$n.err"; then
		not_ok "$n: sanitizer report"; head -n 30 "$T/$n.err" | sed 's/^/#   /'
	fi
}
verdict() { python3 "$CT_TOP/tests/e2e/report_html.py" "$1" verdict; }

# --- F1: an E01 whose stored MD5 does not match its data ----------------------------
# the card in 8 MiB segments, and another 64 MiB of other data acquired the
# same way: its E02 replaces the card's E02 (every chunk checksum holds)
mkdir -p "$T/sw" "$T/other"
gen_bytes other "$(stat -c %s "$CARD")" >"$T/other.img"
ewfacquire -u -q -c none -S 8M -t "$T/sw/card" "$CARD" >"$T/ewf-sw.log" 2>&1 &&
	ewfacquire -u -q -c none -S 8M -t "$T/other/card" "$T/other.img" >"$T/ewf-o.log" 2>&1
check_eq "ewfacquire the card and the other data: exit 0" 0 $?
cp "$T/other/card.E02" "$T/sw/card.E02"
ewfverify -q "$T/sw/card.E01" >"$T/ewfverify.out" 2>&1
check_eq "swapped segment: ewfverify fails" 1 "$(grep -c 'ewfverify: FAILURE' "$T/ewfverify.out")"
ct sw adopt --progress none "$T/sw/card.E01" "$T/csw"
check_eq "swapped segment: adopt exit 3" 3 "$RC"
COMP=$(jf "$T/csw/E1.acquisition.json" .hashes.md5)
check_eq "swapped segment: the md5 computed is not the card's" 1 "$([ "$COMP" != "$MD5" ] && echo 1)"
check_eq "swapped segment: record status" stored-hash-mismatch "$(jf "$T/csw/E1.acquisition.json" .status)"
check_eq "swapped segment: stored and computed side by side" \
	"  stored     md5 $MD5  DIFFERS: the image reads as $COMP" \
	"$(grep '^  stored     md5' "$T/sw.out")"
check_eq "swapped segment: the error names both" \
	"cardtrail: the md5 stored in the image ($MD5) differs from the md5 of what it holds ($COMP)" \
	"$(cat "$T/sw.err")"

ct swv verify "$T/csw"
check_eq "swapped segment: verify exit 3" 3 "$RC"
check_eq "swapped segment: verify does not say verified" 0 "$(grep -c '^verified' "$T/swv.out")"
check_eq "swapped segment: verify re-states what adopt found" 1 \
	"$(grep -c "^  - record 1: E1 failed its own checks when adopted (exit 3): the md5 stored in the image ($MD5) differs from the md5 of what it holds ($COMP)$" "$T/swv.out")"
check_eq "swapped segment: verify re-checks it, both hashes side by side" 1 \
	"$(grep -c "^  - record 1: re-checked: the md5 stored in E1 is $MD5, the image reads as $COMP$" "$T/swv.out")"
check_eq "swapped segment: the record's verdict" FAILED \
	"$("$CARDTRAIL" verify --json "$T/csw" 2>/dev/null | jq -r '.records[1].verdict')"

ct swq verify --quick "$T/csw"
check_eq "swapped segment: verify --quick still exit 3, the adopt record re-stated" "3 1" \
	"$RC $(grep -c "^  - record 1: E1 failed its own checks when adopted (exit 3)" "$T/swq.out")"
ct swr report --format html "$T/csw"
check_eq "swapped segment: report exit 3" 3 "$RC"
check_eq "swapped segment: the report's first line says NOT VERIFIED and why" \
	"verdict bad|NOT VERIFIED: this case does not verify: record 1: E1 failed its own checks when adopted (exit 3): the md5 stored in the image ($MD5) differs from the md5 of what it holds ($COMP) (and 1 more: see Verification below)" \
	"$(verdict "$T/csw/report.html")"

nrec=$(wc -l <"$T/csw/custody.log")
ct swx extract "$T/csw" E1
check_eq "swapped segment: extract exit 3" 3 "$RC"
check_eq "swapped segment: extract says why" \
	"cardtrail: the image of E1 failed its own checks (the md5 stored in E1 is $MD5, the image reads as $COMP): nothing extracted (--force extracts anyway and records it)" \
	"$(cat "$T/swx.err")"
check_eq "swapped segment: no bundle" "" "$(cd "$T/csw" && ls ./*.tar 2>/dev/null)"
check_eq "swapped segment: no custody record" "$nrec" "$(wc -l <"$T/csw/custody.log")"
ct swf extract --force "$T/csw" E1
check_eq "swapped segment: extract --force exit 0" 0 "$RC"
check_eq "swapped segment: --force warns" 1 "$(grep -c '^WARNING    extracted from an image that does NOT match' "$T/swf.out")"
mkdir -p "$T/swf" && tar -x -f "$T/csw/E1.evidence.tar" -C "$T/swf" MANIFEST.json 2>/dev/null
check_eq "swapped segment: MANIFEST forced, not verified, and why" \
	"true|false|the md5 stored in E1 is $MD5, the image reads as $COMP" \
	"$(jf "$T/swf/MANIFEST.json" '"\(.image.forced)|\(.image.verified_against_record)|\(.image.check_error)"')"
ct swv2 verify "$T/csw"
check_eq "swapped segment: still exit 3 after the forced extract" 3 "$RC"

# --- F1: a damaged chunk that held zeros: read back as zeros ----------------------
# (an uncompressed chunk is stored as it is, then its Adler-32: a zero
# chunk's checksum 01 00 00 80 changed makes the chunk fail its checksum
# while the zeros libewf hands back are the chunk's own)
mkdir -p "$T/z"
ewfacquire -u -q -c none -t "$T/z/card" "$CARD" >"$T/ewf-z.log" 2>&1
at=$(python3 - "$T/z/card.E01" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read()
i = d.find(b"\0" * 32768 + b"\x01\x00\x00\x80", 1 << 20)
print(i + 32768 if i > 0 else -1)
EOF
)
check_eq "zero chunk found stored as it is" 1 "$([ "$at" -gt 0 ] && echo 1)"
printf '\x02' | dd of="$T/z/card.E01" bs=1 seek="$at" conv=notrunc status=none
ct z adopt --progress none "$T/z/card.E01" "$T/cz"
check_eq "damaged zero chunk: adopt exit 3" 3 "$RC"
check_eq "damaged zero chunk: the chunk named" 1 "$(grep -c '^  DAMAGED    chunk [0-9]* (bytes [0-9]*-[0-9]*) fails its checksum' "$T/z.out")"
check_eq "damaged zero chunk: the md5 of what was read is the card's" "$MD5" "$(jf "$T/cz/E1.acquisition.json" .hashes.md5)"
check_eq "damaged zero chunk: never just 'matches the image'" 0 "$(grep -c 'matches the image' "$T/z.out")"
check_eq "damaged zero chunk: what the match is worth" \
	"  stored     md5 $MD5  matches what was read, but the DAMAGED chunks below were read as libewf gave them back: the match does not vouch for them" \
	"$(grep '^  stored     md5' "$T/z.out")"
ct zv verify "$T/cz"
check_eq "damaged zero chunk: verify exit 3" 3 "$RC"

# --- F2: a split raw set with a gap --------------------------------------------------
mkdir -p "$T/sp"
split -b 16M -d -a 3 --numeric-suffixes=1 "$CARD" "$T/sp/card."
rm "$T/sp/card.003"
ct gap adopt --progress none "$T/sp/card.001" "$T/cgap"
check_eq "gap: adopt exit 1" 1 "$RC"
check_eq "gap: the missing segment named" \
	"cardtrail: the split raw set of '$T/sp/card.001' is incomplete: '$T/sp/card.003' is missing, '$T/sp/card.004' is there" \
	"$(cat "$T/gap.err")"
check_eq "gap: nothing made" no "$([ -e "$T/cgap" ] && echo yes || echo no)"
ct gap2 adopt --progress none "$T/sp/card.001" "$T/sp/card.002" "$T/sp/card.004" "$T/cgap2"
check_eq "gap named by hand: adopt exit 1" 1 "$RC"
check_eq "gap named by hand: the missing segment named" \
	"cardtrail: the split raw set of '$T/sp/card.001' is incomplete: '$T/sp/card.003' is missing, '$T/sp/card.004' is there" \
	"$(cat "$T/gap2.err")"
split -b 16M -d -a 3 --numeric-suffixes=1 "$CARD" "$T/sp/card."
ct left adopt --progress none "$T/sp/card.001" "$T/sp/card.002" "$T/cleft"
check_eq "a segment of the set left out: adopt exit 1" 1 "$RC"
check_eq "a segment of the set left out: named" \
	"cardtrail: the split raw set of '$T/sp/card.001' is incomplete: '$T/sp/card.003' is there but not given" \
	"$(cat "$T/left.err")"
ct order adopt --progress none "$T/sp/card.001" "$T/sp/card.003" "$T/sp/card.002" "$T/sp/card.004" "$T/corder"
check_eq "segments out of order: adopt exit 1" 1 "$RC"
check_eq "segments out of order: named" \
	"cardtrail: '$T/sp/card.003' is not segment 2 of the split raw set of '$T/sp/card.001' ('$T/sp/card.002')" \
	"$(cat "$T/order.err")"
ct all adopt --progress none "$T"/sp/card.0* "$T/call"
check_eq "the whole set named by hand: adopt exit 0" 0 "$RC"
check_eq "the whole set named by hand: the card" "$(sha256sum <"$CARD" | cut -d' ' -f1)" \
	"$(jf "$T/call/E1.acquisition.json" .hashes.sha256)"

# a set cut short (.003 and after gone): nothing says so but the filesystem
rm "$T"/sp/card.00[3-9]
ct short adopt --progress none "$T/sp/card.001" "$T/cshort"
check_eq "a set cut short: adopted (32 MiB)" "0 33554432" "$RC $(jf "$T/cshort/E1.acquisition.json" .bytes)"
ct shortx extract "$T/cshort" E1
check_eq "a set cut short: extract exit 0 (a filesystem that claims more than it has looks the same)" 0 "$RC"
check_eq "a set cut short: the summary says the volume runs past the image's end" 1 \
	"$(grep -c '^WARNING    a volume runs past the end of the image: the image is cut short, or its filesystem claims more than it has' "$T/shortx.out")"
mkdir -p "$T/shx" && tar -x -f "$T/cshort/E1.evidence.tar" -C "$T/shx" MANIFEST.json 2>/dev/null
check_eq "a set cut short: MANIFEST warns that volume 1 runs past the image's end" 1 \
	"$(jq -r '.warnings[]' "$T/shx/MANIFEST.json" | grep -c '^volume 1: the fat32 filesystem at byte 1048576 says it has 67108864 bytes, the image holds 32505856 of them: what lies beyond the image was not read$')"

# --- F5: control characters in the case metadata ----------------------------------
n=0
for opt in --case-number --evidence-number --description --notes; do
	for c in $'\t' $'\n' $'\r' $'\x01' $'\x7f'; do
		n=$((n + 1))
		ct meta$n image --progress none --format e01 "$opt" "A${c}B" "$CARD" "$T/cm$n"
		[ "$RC" = 2 ] && [ ! -e "$T/cm$n" ] &&
			grep -q "^cardtrail: $opt: control character 0x$(printf '%s' "$c" | od -An -tx1 | tr -d ' ') at byte 2 is not allowed" "$T/meta$n.err" ||
			{ not_ok "image $opt with 0x$(printf '%s' "$c" | od -An -tx1 | tr -d ' '): exit 2, nothing made, says why"; cat "$T/meta$n.err" | sed 's/^/#   /'; continue; }
		ok "image $opt with 0x$(printf '%s' "$c" | od -An -tx1 | tr -d ' '): exit 2, nothing made, says why"
	done
done
ct ameta adopt --progress none --description $'line1\nline2' "$T/sw/card.E01" "$T/cam"
check_eq "adopt --description with a newline: exit 2" 2 "$RC"
check_eq "adopt: nothing made" no "$([ -e "$T/cam" ] && echo yes || echo no)"
CARDTRAIL_EXAMINER=$'Lab\tIntake' "$CARDTRAIL" image --progress none --format e01 "$CARD" "$T/cmx" >/dev/null 2>"$T/mx.err"
check_eq "an examiner with a tab: exit 2" 2 $?
check_eq "an examiner with a tab: nothing made" no "$([ -e "$T/cmx" ] && echo yes || echo no)"
ct meta image --progress none --format e01 --case-number 'C-1 "Süd"; x=y' --evidence-number 'BAG 44/11' \
	--description 'Mavic 3 — SD, slot B' --notes 'sealed <bag> & tagged' "$CARD" "$T/cmeta"
check_eq "printable metadata: exit 0" 0 "$RC"
ewfinfo "$T/cmeta/E1.E01" >"$T/ewfinfo.out" 2>&1
check_eq "ewfinfo reads each field exactly as given" \
	"Case number:	C-1 \"Süd\"; x=y|Description:	Mavic 3 — SD, slot B|Examiner name:	Lab Intake|Evidence number:	BAG 44/11|Notes:	sealed <bag> & tagged" \
	"$(grep -E '^[[:space:]]+(Case number|Description|Examiner name|Evidence number|Notes):' "$T/ewfinfo.out" | sed 's/^[[:space:]]*//; s/:[[:space:]]*/:\t/' | paste -sd'|')"
check_eq "ewfinfo still finds the acquisition date" 1 "$(grep -c 'Acquisition date:' "$T/ewfinfo.out")"
[ -n "${KEEP:-}" ] && cp -r "$T" "$KEEP"
done_testing
