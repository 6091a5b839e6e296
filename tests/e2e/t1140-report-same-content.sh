#!/usr/bin/env bash
# cardtrail report on one card imaged several times (examiner review 2):
# a card imaged raw (E1) and E01 (E2), a raw copy of it adopted (E3), and a
# second card that differs only in its last MiB adopted (E4); E1, E2, E4
# extracted; the card wiped (the wipe matches one of E1..E3).
#   1. E1..E3 are flagged as the same content (identical hashes and size),
#      E4 is not; the flight of E1 and E2 is counted and listed once and
#      says where else it was found; E4's flight stays its own; the wipe
#      is shown for each item of the wiped content, and E4 says no wipe.
#   3. photos: every JPEG, with a position or not, counted once per content;
#      the extraction's "files with positions" split into tracks and photos.
#   4. the timeline gives each acquisition's start and end from its record.
#   The report stays byte-reproducible.
. "$CT_TOP"/tests/e2e/lib.sh
need_loop

PATH=$PATH:/usr/sbin:/sbin
for t in mkfs.fat mcopy mmd jq pdftotext python3; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs dosfstools, mtools, jq, poppler-utils, python3)"
done
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null CARDTRAIL_EXAMINER=tester
unset CARDTRAIL_SIGN_KEY
{ cat "$CT_TOP/tests/lsan.supp"; printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n'; } >"$T/lsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"

ct() {
	local n=$1; shift
	"$CARDTRAIL" "$@" >"$T/$n.out" 2>"$T/$n.err"
	RC=$?
	if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/$n.err"; then
		not_ok "$n: sanitizer report"; head -n 30 "$T/$n.err" | sed 's/^/#   /'
	fi
	[ $RC -eq 0 ] || sed 's/^/#   /' "$T/$n.err" | head -n 5
}

# ---- the card: a subtitle track, a photo with a position, one without ----
img=$(mktemp /dev/shm/ct-rsame.XXXXXX)
at_exit "rm -f $img"
truncate -s 16M "$img"
mkfs.fat -F 16 -n DJI_CARD --invariant "$img" >/dev/null &&
	mmd -i "$img" ::/DCIM &&
	mcopy -i "$img" "$CT_TOP/fixtures/flight/gen-home-gps.SRT" ::/DCIM/DJI_0001.SRT &&
	mcopy -i "$img" "$CT_TOP/fixtures/flight/DJI_0001.JPG" ::/DCIM/DJI_0001.JPG &&
	mcopy -i "$img" "$CT_TOP/fixtures/flight/NOGPS.JPG" ::/DCIM/NOGPS.JPG &&
	gen_bytes rsame $((6 << 20)) | dd of="$img" bs=1M seek=10 conv=notrunc status=none ||
	{ not_ok "the card"; done_testing; exit; }
cp "$img" "$T/copy.raw"
cp "$img" "$T/other.raw"
gen_bytes rsame-other $((1 << 20)) | dd of="$T/other.raw" bs=1M seek=15 conv=notrunc status=none
mkloop dev "$img" || skip_all "losetup failed"
C=$T/case
ct img1 image --progress none --hash md5,sha256 "$dev" "$C" &&
	ct img2 image --progress none --format e01 --compress fast --hash md5,sha256 "$dev" "$C" &&
	ct adopt3 adopt --hash md5,sha256 "$T/copy.raw" "$C" &&
	ct adopt4 adopt --hash md5,sha256 "$T/other.raw" "$C" &&
	ct x1 extract --progress none "$C" E1 && ct x2 extract --progress none "$C" E2 &&
	ct x4 extract --progress none "$C" E4 &&
	ct wipe wipe --progress none --case "$C" --force --yes --method zero --verify all "$dev"
check_eq "setup: image raw and E01, adopt a copy and another card, extract E1 E2 E4, wipe" 0 $RC
W=$(jq -r 'select(.action == "wipe") | .subject.evidence' "$C/custody.log")
check_eq "the wipe matched one of the three images of the card" yes \
	"$(case "$W" in E1|E2|E3) echo yes ;; *) echo "no: $W" ;; esac)"
check_eq "E1..E3 have one sha256, E4 another" "1 2" \
	"$(for e in E1 E2 E3; do jq -r .hashes.sha256 "$C/$e.acquisition.json"; done | sort -u | wc -l) $(
		for e in E1 E2 E3 E4; do jq -r .hashes.sha256 "$C/$e.acquisition.json"; done | sort -u | wc -l)"
cp -a "$C" "$T/case2"

ct rep report "$C"
check_eq "report exits 0" 0 $RC
check_eq "summary: 4 evidence, 2 flights from 2 tracks (the card's once, E4's), 4 photos (2 per content)" \
	"contents   4 evidence, 2 flights (grouped from 2 tracks), 4 photos (2 with a position), " \
	"$(grep -o '^contents .*position), ' "$T/rep.out")"

# one line per fact: "SECTION | LABEL | VALUE" from the HTML's key/value rows,
# notes as "SECTION | note | TEXT", the flights table as "flights | row | CELLS"
cat >"$T/rows.py" <<'EOF'
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sec, self.h, self.row, self.cell, self.p, self.out = "", None, None, None, None, []
    def handle_starttag(self, tag, a):
        if tag in ("h2", "h3"):
            self.h = ""
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""
        elif tag == "p":
            self.p = ""
    def handle_endtag(self, tag):
        if tag in ("h2", "h3") and self.h is not None:
            self.sec, self.h = self.h.strip(), None
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip()); self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.sec == "Flights" and len(self.row) == 10 and self.row[0].isdigit():
                self.out.append("flights | row | " + "\t".join(self.row))
            elif len(self.row) == 2:
                self.out.append("%s | %s | %s" % (self.sec, self.row[0], self.row[1]))
            self.row = None
        elif tag == "p" and self.p is not None:
            self.out.append("%s | note | %s" % (self.sec, self.p.strip())); self.p = None
    def handle_data(self, d):
        for k in ("cell", "h", "p"):
            if getattr(self, k) is not None:
                setattr(self, k, getattr(self, k) + d)
                return
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
print("\n".join(p.out))
EOF
python3 "$T/rows.py" "$C/report.html" >"$T/rows"
val() { grep -F "$1 | $2 | " "$T/rows" | head -n 1 | sed "s/^[^|]*| [^|]*| //"; }

# 1. the same content, flagged; E4 not
for e in E1 E2 E3; do
	others=$(printf '%s\n' E1 E2 E3 | grep -v "^$e\$" | paste -sd, | sed 's/,/, /')
	check_eq "Evidence $e: same content as $others (identical md5, sha256 and size)" \
		"$others: identical md5, sha256 and size (16777216 bytes)" \
		"$(val "Evidence $e" "same content as" | sed 's/: one card.*//')"
done
check_eq "Evidence E4 (its last MiB differs): no same-content row" "" "$(val "Evidence E4" "same content as")"
grep -F 'flights | row | ' "$T/rows" >"$T/flights"
check_eq "flights table: 2 flights (the card's once, E4's)" 2 "$(wc -l <"$T/flights")"
check_eq "flights: the card's SRT listed once, found in E1 and E2" \
	"1 E1:files/DCIM/DJI_0001.SRT (allocated, dji-srt, 9 points; also found in E2: same image content)" \
	"$(grep -c 'E1:files/DCIM/DJI_0001.SRT' "$T/flights") $(grep -o 'E1:files/DCIM/DJI_0001.SRT ([^)]*)' "$T/flights")"
check_eq "flights: E4's SRT a flight of its own, found only in E4" \
	"E4:files/DCIM/DJI_0001.SRT (allocated, dji-srt, 9 points)" \
	"$(grep -o 'E4:files/DCIM/DJI_0001.SRT ([^)]*)' "$T/flights")"
for e in E1 E2 E3; do
	if [ "$e" = "$W" ]; then
		check_eq "Evidence $e: its own wipe, no 'No wipe' note" "1 0" \
			"$(grep -c "^Evidence $e | result | VERIFIED" "$T/rows") $(grep -c "^Evidence $e | note | No wipe" "$T/rows")"
	else
		check_eq "Evidence $e: wiped as $W (same image content), no 'No wipe' note" \
			"wiped as $W: same image content (identical md5, sha256); 0" \
			"$(val "Evidence $e" wipe | sed 's/; custody record.*//'); $(grep -c "^Evidence $e | note | No wipe" "$T/rows")"
	fi
done
check_eq "Evidence E4: no wipe recorded (another card's content)" "1 0" \
	"$(grep -c '^Evidence E4 | note | No wipe of this card is recorded.' "$T/rows") $(grep -c '^Evidence E4 | wipe |' "$T/rows")"

# 3. photos
check_eq "Case: photos: 4, 2 with a position (each content's NOGPS.JPG counted)" \
	"4 (2 with a position," "$(val Case photos | cut -d' ' -f1-5)"
check_eq "Case: flights say what they count" "2, grouped from 2 tracks (files with positions over time;" \
	"$(val Case flights | cut -d' ' -f1-10)"
check_eq "Evidence E1: extraction's files with positions split into tracks and photos" \
	"2 files with positions: 1 track and 1 photo with a position (before grouping into flights), 10 points" \
	"$(val "Evidence E1" positions)"

# 4. the timeline: each acquisition's start and end from its record
want= got=
for e in E1 E2 E3; do
	a=$C/$e.acquisition.json
	kind=acquisition; [ "$e" = E3 ] && kind=adoption
	want+="$(jq -r .started "$a") $e $kind started|$(jq -r .finished "$a") $e $kind finished|"
done
got=$(awk -F, '$4 ~ /^"(acquisition|adoption) (started|finished)"$/ { gsub(/"/, ""); print $1, $3, $4 }' \
	"$C/timeline.csv" | grep -v ' E4 ' | tr '\n' '|')
check_eq "timeline.csv: start and end of each acquisition (E1, E2) and adoption (E3), from its record" "$want" "$got"
check_eq "timeline: the image record of E1 says when its acquisition ran" 1 \
	"$(grep -c "custody #1 image.*acquisition ran $(jq -r .started "$C/E1.acquisition.json") .. $(jq -r .finished "$C/E1.acquisition.json") (E1.acquisition.json)" "$C/timeline.csv")"
check_eq "timeline: each flight starts once (the card's found in E1 and E2)" \
	'"E1, E2","flight 1 start"|"E4","flight 2 start"' \
	"$(grep -o '"E[0-9, E]*","flight [0-9] start"' "$C/timeline.csv" | sort | paste -sd'|')"

# the PDF says the same
pdftotext -layout "$C/report.pdf" "$T/rep.txt"
check_eq "PDF: same content rows for E1..E3, the wipe shown for the other two" "3 2 1" \
	"$(grep -c '^same content as' "$T/rep.txt") $(grep -c "wiped as $W: same image content" "$T/rep.txt") $(
		grep -c 'No wipe of this card is recorded' "$T/rep.txt")"

# reproducible: the same case state gives the same bytes
ct rep2 report "$T/case2"
check_eq "the same case state in another folder: the same HTML and PDF" "" \
	"$(cmp "$C/report.html" "$T/case2/report.html" 2>&1; cmp "$C/report.pdf" "$T/case2/report.pdf" 2>&1)"
done_testing
