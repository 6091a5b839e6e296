#!/usr/bin/env bash
# cardtrail report on the flight card of fixtures/mkflightcard.sh, the demo
# card and (when ../shared/samples is there) a card of real flight logs:
# the custody record and verify, byte-reproducible output, a self-contained
# HTML, flights grouped, distances and heights against an independent
# computation, the timeline against MANIFEST.json, mactime -b and fls -m,
# the PDF's hashes and footers, the maps' pixels in a real browser
# (chromium) and in the rendered PDF (pdftoppm), MBTiles under the tracks,
# an altered image, --out, refusals and usage errors.
. "$CT_TOP"/tests/e2e/lib.sh

PATH=$PATH:/usr/sbin:/sbin
for t in mkfs.fat mcopy mmd jq sha256sum tar pdftotext pdftoppm pdfinfo mactime fls python3 xz; do
	command -v "$t" >/dev/null 2>&1 ||
		skip_all "$t not found (needs dosfstools, mtools, jq, poppler-utils, sleuthkit, python3, xz-utils)"
done
PNGPIX=$CT_BUILD/tools/pngpix MKMBTILES=$CT_BUILD/tools/mkmbtiles
[ -x "$PNGPIX" ] && [ -x "$MKMBTILES" ] || skip_all "test tools pngpix, mkmbtiles not built"
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null CARDTRAIL_EXAMINER=tester
unset CARDTRAIL_SIGN_KEY
# the setup extracts (libtsk's probes leak, see t0800); the report's own
# libraries: tests/lsan.supp
{ cat "$CT_TOP/tests/lsan.supp"; printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n'; } >"$T/lsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"

HTMLPY=$CT_TOP/tests/e2e/report_html.py
FRAME=2f3b69		# RP_FRAME_COLOUR: how the tests find a map
sum() { sha256sum <"$1" | cut -d' ' -f1; }
# ct NAME ARGS...: run cardtrail, output in $T/NAME.out/.err, status in RC
ct() {
	local n=$1; shift
	"$CARDTRAIL" "$@" >"$T/$n.out" 2>"$T/$n.err"
	RC=$?
	if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/$n.err"; then
		not_ok "$n: sanitizer report"; head -n 30 "$T/$n.err" | sed 's/^/#   /'
	fi
}
last_rec() { tail -n 1 "$1/custody.log"; }
head_of() { tail -n 1 "$1/custody.log" | tr -d '\n' | sha256sum | cut -d' ' -f1; }

# ---- the case: the flight card imaged and extracted --------------------------
"$CT_TOP/fixtures/mkflightcard.sh" "$T" superfloppy >/dev/null 2>"$T/mk.err" ||
	{ not_ok "mkflightcard.sh"; sed 's/^/#   /' "$T/mk.err"; done_testing; exit; }
C0=$T/case0
"$CARDTRAIL" image --progress none "$T/flightcard-superfloppy.img" "$C0" >/dev/null 2>&1 &&
	"$CARDTRAIL" extract "$C0" E1 >/dev/null 2>&1
check_eq "setup: image and extract" 0 $?
mkdir "$T/u" && tar -xf "$C0/E1.evidence.tar" -C "$T/u"
M=$T/u/MANIFEST.json
HEAD0=$(head_of "$C0")
CASEID=$(head -n 1 "$C0/custody.log" | jq -r .case)

# ---- 1. the report and its custody record -------------------------------------
C=$T/case
cp -a "$C0" "$C"
ct rep report "$C"
check_eq "report exits 0 on a case that verifies" 0 "$RC"
[ "$RC" -eq 0 ] || sed 's/^/#   /' "$T/rep.err"
for f in report.html report.pdf timeline.csv timeline.body; do
	[ -s "$C/$f" ] && ok "wrote $f" || not_ok "wrote $f"
done
check_eq "summary: verdict line" "verdict    VERIFIED: 3 records, chain intact, every output as recorded" \
	"$(grep '^verdict' "$T/rep.out")"
check_eq "summary: chain head reported on" "chain head $HEAD0" "$(grep '^chain head' "$T/rep.out")"
rec=$(last_rec "$C")
check_eq "custody record: report, after record 2, reporting on the head of 3 records; 9 flights, 3 photos (NOGPS.JPG without a position counted too)" \
	"report|3|custody.log|$HEAD0|3|true|0|9|3" \
	"$(jq -r '"\(.action)|\(.seq)|\(.inputs[0].path)|\(.inputs[0].head)|\(.inputs[0].records)|\(.result.verified)|\(.result.problems)|\(.result.flights)|\(.result.photos)"' <<<"$rec")"
want=""
for f in report.html report.pdf timeline.csv timeline.body; do want+="$f $(sum "$C/$f") $(stat -c %s "$C/$f");"; done
check_eq "custody record: every file with its sha256 and size" "$want" \
	"$(jq -r '[.outputs[] | "\(.path) \(.sha256) \(.bytes)"] | join(";")' <<<"$rec");"
check_eq "custody record: roles" "report-html report-pdf timeline-csv timeline-body" \
	"$(jq -r '[.outputs[].role] | join(" ")' <<<"$rec")"
ct ver verify "$C"
check_eq "verify accepts the report record and re-hashes its files" "0|4" \
	"$RC|$(grep -cE '^  (report|timeline)\.[a-z]+ +ok' "$T/ver.out")"

# a second report: new names, the first files untouched
sha1=$(sum "$C/report.html")
ct rep2 report "$C"
check_eq "second report exits 0" 0 "$RC"
check_eq "second report: report-2.*, timeline-2.*; the first unchanged" "4|$sha1" \
	"$(ls "$C" | grep -cE '^(report|timeline)-2\.(html|pdf|csv|body)$')|$(sum "$C/report.html")"
cmp -s "$C/report.html" "$C/report-2.html"
check_eq "the second report differs (it lists the first one's record)" 1 $?

# ---- 2. reproducible ------------------------------------------------------------
mkdir -p "$T/r1" "$T/r2/deep/er"
cp -a "$C0" "$T/r1/case" && cp -a "$C0" "$T/r2/deep/er/case"
(cd "$T/r1" && TZ=Pacific/Kiritimati LC_ALL=C umask 022 &&
	"$CARDTRAIL" report case >/dev/null 2>&1)
sleep 1
(cd "$T/r2/deep" && TZ=America/Los_Angeles LC_ALL=C.UTF-8 LANG=de_DE.UTF-8 &&
	umask 077 && CARDTRAIL_EXAMINER=someone-else "$CARDTRAIL" report er/case >/dev/null 2>&1)
bad=""
for f in report.html report.pdf timeline.csv timeline.body; do
	[ "$(sum "$T/r1/case/$f")" = "$(sum "$T/r2/deep/er/case/$f")" ] || bad+=" $f"
	[ "$(sum "$T/r1/case/$f")" = "$(sum "$C/$f")" ] || bad+=" $f(vs first)"
done
check_eq "same case state, other TZ, locale, umask, folder, time and examiner: same bytes" "" "$bad"
check_eq "...while the custody records say when and who" "tester someone-else" \
	"$(jq -r .examiner <<<"$(last_rec "$T/r1/case")") $(jq -r .examiner <<<"$(last_rec "$T/r2/deep/er/case")")"

# ---- 3. the HTML ----------------------------------------------------------------
H=$C/report.html
check_eq "HTML: self-contained, no script, tags nested" ok "$(python3 "$HTMLPY" "$H" check)"
check_eq "HTML: the first element is the verdict" \
	"verdict ok|VERIFIED: the custody chain of case $CASEID verifies: 3 records, chain intact, every output as recorded." \
	"$(python3 "$HTMLPY" "$H" verdict)"
check_eq "HTML: no http(s) reference but the SVG namespace" "" \
	"$(grep -o 'https\?://[^"]*' "$H" | grep -v '^http://www.w3.org/2000/svg$' | sort -u)"
check_eq "HTML: card text is escaped (a TXT record names its aircraft 'gen-v7 <script>\"')" "0 yes" \
	"$(grep -c '<script' "$H") $(grep -q 'gen-v7 &lt;script&gt;&quot;' "$H" && echo yes)"
check_eq "HTML: prints on A4" 1 "$(grep -c '@page{size:A4' "$H")"
python3 "$HTMLPY" "$H" flights >"$T/flights.tsv"
check_eq "flights: 9 (5 SRT, 2 TXT of two aircraft, the DataFlash log, the ULog)" 9 "$(wc -l <"$T/flights.tsv")"
check_eq "flights: the deleted ULog and its carved copy are one flight" 1 \
	"$(grep -c 'deleted/log/_9_12_33.ulg (deleted, ulog, 40 points); \[2\] E1:carved/[0-9]*.ulg (carved, ulog, 40 points)' "$T/flights.tsv")"
check_eq "flights: two aircraft at the same time stay two flights" \
	"Phantom3Standard, named gen-v7 <script>\", aircraft 03ZGEN0007, camera CAMGEN0007|Phantom3Pro, named gen-v4, aircraft 03ZGEN0004, camera CAMGEN0004" \
	"$(grep 'dji-txt' "$T/flights.tsv" | cut -f3 | paste -sd'|')"
check_eq "flights: a time since the recorder started is no absolute time" \
	"no absolute time (time since the recorder started)" \
	"$(grep '_JI_0003.SRT' "$T/flights.tsv" | cut -f4)"
check_eq "flights: local SRT times say so" "2017-06-04 18:23:19 local (zone unknown)" \
	"$(grep 'DJI_0005.SRT' "$T/flights.tsv" | cut -f4)"
# distance, points and height of every flight against the bundle's track
# CSV, computed apart (report_html.py: haversine, mean radius)
check_eq "flights: distance, points and max height agree with the tracks (computed apart)" ok \
	"$(python3 "$HTMLPY" "$H" tracks "$T/u")"

# ---- 4. the timeline: CSV against MANIFEST.json, body file against mactime and fls
TL=$C/timeline.csv
check_eq "timeline.csv header" "time,time_basis,evidence,event,state,path,detail" "$(head -n 1 "$TL")"
jq -r '.files[] | select(.times) | . as $f | ["created","modified","accessed"][] as $k |
	select($f.times[$k]) | "\($f.times[$k])|file \($k)|\($f.state)|\($f.path)"' "$M" | sort >"$T/tl.want"
python3 -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if r["event"].startswith("file "):
        print("|".join([r["time"], r["event"], r["state"], r["path"]]))' "$TL" | sort >"$T/tl.have"
check_file "timeline.csv: every file time of MANIFEST.json, exact, with its state" "$T/tl.want" "$T/tl.have"
check_eq "timeline.csv: file times are local (FAT has no zone)" 0 \
	"$(grep -c ',utc,"E1","file ' "$TL")"
check_eq "timeline.csv: custody events at their record times" \
	"$(jq -r '.time' "$C0/custody.log" | paste -sd' ')" \
	"$(grep '"custody #' "$TL" | cut -d, -f1 | paste -sd' ')"
check_eq "timeline.csv: flight 2 starts at its record's first time (flights.json)" \
	"$(jq -r '.[] | select(.file | test("13-51-18")) | .first.time' "$T/u/flights.json")" \
	"$(grep '"flight 2 start"' "$TL" | cut -d, -f1)"
check_eq "timeline.csv: sorted by time" "" \
	"$(tail -n +2 "$TL" | cut -d, -f1 | sed 's/Z$//' | sort -c 2>&1 | head -n 1)"
B=$C/timeline.body
mactime -b "$B" -z UTC -d >"$T/mactime.out" 2>"$T/mactime.err"
check_eq "mactime -b reads the body file" "0|" "$?|$(head -c 200 "$T/mactime.err")"
python3 - "$M" "$T/mactime.out" >"$T/mac.check" <<'EOF'
import csv, json, sys, datetime
files = json.load(open(sys.argv[1]))["files"]
rows = list(csv.reader(open(sys.argv[2], newline="")))
bad = []
for f in files:
    m = (f.get("times") or {}).get("modified")
    if not m:
        continue
    d = datetime.datetime.strptime(m, "%Y-%m-%dT%H:%M:%S").strftime("%a %b %d %Y %H:%M:%S")
    name = "E1:/" + f["path"] + ("" if f["state"] == "allocated" else " (%s)" % f["state"])
    if not any(r[0] == d and r[2].startswith("m") and r[7] == name and r[1] == str(f["size"])
               for r in rows[1:]):
        bad.append("%s at %s" % (name, d))
print("\n".join(bad) if bad else "ok")
EOF
check_eq "mactime: every file's modified time (m), size and state as MANIFEST.json has them" ok \
	"$(cat "$T/mac.check")"
# The Sleuth Kit's own body file of the card: the same three times per file
fls -r -m / "$T/flightcard-superfloppy.img" 2>/dev/null | awk -F'|' '$4 ~ /^r/ && $2 !~ /Volume Label/ {
	n = $2; sub(/^\//, "", n); print n "|" $8 "|" $9 "|" $11 }' | sort >"$T/fls.times"
awk -F'|' '$2 ~ /^E1:\// { n = $2; sub(/^E1:\//, "", n); print n "|" $8 "|" $9 "|" $11 }' "$B" |
	sort >"$T/body.times"
check_file "body file: atime, mtime, crtime and state of every file as fls -m gives them" \
	"$T/fls.times" "$T/body.times"

# ---- 5. the PDF ------------------------------------------------------------------
P=$C/report.pdf
pdftotext -layout "$P" "$T/pdf.txt" 2>/dev/null
check_eq "PDF: first line is the verdict" "VERIFIED: the custody chain of case $CASEID" \
	"$(grep -m 1 . "$T/pdf.txt" | sed 's/^ *//')"
missing=""
for h in $( (jq -r '.files[].sha256' "$M"; jq -r '.hashes[], .segments[].hashes.sha256' "$C0/E1.acquisition.json";
	     jq -r '.outputs[]?.sha256' "$C0/custody.log"; echo "$HEAD0") | sort -u); do
	grep -q "$h" "$T/pdf.txt" || missing+=" $h"
done
check_eq "PDF: every hash (files, image, custody outputs) and the chain head, unbroken" "" "$missing"
pages=$(pdfinfo "$P" | awk '/^Pages:/ { print $2 }')
bad=""
for ((p = 1; p <= pages; p++)); do
	t=$(pdftotext -f $p -l $p "$P" - 2>/dev/null)
	grep -q "case $CASEID" <<<"$t" && grep -q "chain head $HEAD0" <<<"$t" &&
		grep -q "page $p of $pages" <<<"$t" || bad+=" $p"
done
check_eq "PDF: A4" "595.276 x 841.89" "$(pdfinfo "$P" | sed -n 's/^Page size: *\([0-9.]* x [0-9.]*\) pts.*/\1/p')"
check_eq "PDF: every one of $pages pages has the case id, the chain head and 'page N of $pages'" "" "$bad"
check_eq "PDF: no time of generation (its date is the last record's)" \
	"$(jq -r .time <<<"$(sed -n 3p "$C0/custody.log")" | sed 's/[-:TZ]//g')" \
	"$(pdfinfo -rawdates "$P" | sed -n 's/^CreationDate: *\(D:\)\{0,1\}\([0-9]\{14\}\).*/\2/p')"

# ---- 6. maps: pixels of each flight's colour, in the PDF and in a browser ---------
mapfind() {	# mapfind IMAGE.png -> "map X0 Y0 X1 Y1 N1..N9" lines, then checks
	"$PNGPIX" "$1" "$FRAME" "${COLS[@]}" | grep '^map' >"$T/maps.out"
	local bad="" k j line n
	n=$(wc -l <"$T/maps.out")
	[ "$n" -eq "$2" ] || bad+=" $n maps, not $2"
	# the overview (first map): every flight's colour
	line=($(sed -n 1p "$T/maps.out"))
	for ((k = 0; k < ${#COLS[@]}; k++)); do
		[ "${line[$((5 + k))]:-0}" -gt 0 ] || bad+=" overview lacks flight $((k + 1))"
	done
	# then flight k's map: its colour and no other flight's
	for ((j = 2; j <= n; j++)); do
		line=($(sed -n "${j}p" "$T/maps.out"))
		k=$((j - 2 + ${3:-0}))
		for ((i = 0; i < ${#COLS[@]}; i++)); do
			if [ $i -eq $k ]; then [ "${line[$((5 + i))]}" -gt 0 ] || bad+=" map $j lacks flight $((k + 1))"
			else [ "${line[$((5 + i))]}" -eq 0 ] || bad+=" map $j shows flight $((i + 1))"; fi
		done
	done
	printf '%s\n' "$bad"
}
COLS=($(python3 "$HTMLPY" "$H" colours | sed 's/^[0-9]* #//'))
check_eq "overview legend: 9 flights, 9 colours" "9 9" "${#COLS[@]} $(printf '%s\n' "${COLS[@]}" | sort -u | wc -l)"
# in the PDF, rendered by poppler: the overview's page, and flight 1's and 2's
op=""
for ((p = 1; p <= pages; p++)); do
	pdftotext -f $p -l $p "$P" - 2>/dev/null | grep -q '^Overview: every flight' && { op=$p; break; }
done
pdftoppm -r 100 -f "$op" -l $((op + 1)) -png "$P" "$T/pdfmap" 2>/dev/null
ls "$T"/pdfmap-*.png 2>/dev/null | head -n 2 >"$T/pdfpages"
"$PNGPIX" "$(sed -n 1p "$T/pdfpages")" "$FRAME" >/dev/null
check_eq "PDF overview page ($op): every flight's colour in the map" "" \
	"$(mapfind "$(sed -n 1p "$T/pdfpages")" 1 | sed 's/^ *//')"
check_eq "PDF page $((op + 1)): flight maps 1 and 2, each its own colour only" "" \
	"$("$PNGPIX" "$(sed -n 2p "$T/pdfpages")" "$FRAME" "${COLS[@]}" | grep '^map' | awk -v c="${#COLS[@]}" '
	{ for (i = 0; i < c; i++) if ((i == NR - 1) != ($(6 + i) > 0)) printf " map %d colour %d: %d", NR, i + 1, $(6 + i) }
	END { if (NR != 2) printf " %d maps", NR }')"

if ! command -v chromium >/dev/null; then
	skip "chromium: maps and verdict in a real browser" "chromium is not installed (CI installs it)"
else
	shot() {	# shot HTML PNG HEIGHT
		timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
			--disable-background-networking --disable-component-update --disable-sync \
			--user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" --force-color-profile=srgb \
			--hide-scrollbars --window-size="800,$3" --screenshot="$2" "file://$1" >/dev/null 2>&1
	}
	shot "$H" "$T/shot.png" 8000
	if [ -s "$T/shot.png" ]; then
		check_eq "chromium: 10 maps; overview with all 9 colours; each flight map only its own" "" \
			"$(mapfind "$T/shot.png" 10 | sed 's/^ *//')"
		check_eq "chromium: the green verdict banner is drawn, not the red one" "yes 0" \
			"$("$PNGPIX" "$T/shot.png" "$FRAME" 1b7a3a b00020 | awk '/^all/ { print ($4 > 500 ? "yes" : "no"), $5 }')"
		timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-sync \
			--disable-background-networking --disable-component-update \
			--user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" --dump-dom "file://$H" 2>/dev/null >"$T/dom.html"
		check_eq "chromium's DOM: the verdict is the body's first element" \
			"verdict ok|VERIFIED: the custody chain of case $CASEID verifies: 3 records, chain intact, every output as recorded." \
			"$(python3 "$HTMLPY" "$T/dom.html" verdict)"
	else
		not_ok "chromium made a screenshot"
	fi
	# printed by the browser: A4, and every page carries the footer
	timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-sync \
		--disable-background-networking --disable-component-update --no-pdf-header-footer \
		--user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" --print-to-pdf="$T/printed.pdf" \
		"file://$H" >/dev/null 2>&1
	pp=$(pdfinfo "$T/printed.pdf" 2>/dev/null | awk '/^Pages:/ { print $2 }')
	bad=""
	for ((p = 1; p <= ${pp:-0}; p++)); do
		t=$(pdftotext -f $p -l $p "$T/printed.pdf" - 2>/dev/null)
		grep -q "case $CASEID" <<<"$t" && grep -q "chain head $HEAD0" <<<"$t" &&
			grep -q "page $p of $pp" <<<"$t" || bad+=" $p"
	done
	check_eq "chromium prints the HTML on A4, every one of its ${pp:-0} pages with case id, chain head, page N of M" \
		"A4|" "$(pdfinfo "$T/printed.pdf" 2>/dev/null | sed -n 's/^Page size:.*(\(A4\)).*/\1/p')|$bad"
fi

# ---- 7. an altered image: the report says so on its first line ----------------
X=$T/altered
cp -a "$C0" "$X"
printf '\x5a' | dd of="$X/E1.raw" bs=1 seek=$((3 << 20)) conv=notrunc status=none
ct alt report "$X"
check_eq "altered image: report exits 3 (written, does not verify)" 3 "$RC"
check_eq "altered image: summary verdict" \
	"verdict    NOT VERIFIED: record 1: image segment E1.raw does not match the acquisition hashes in window #0 (1 problem; the report says so on its first line)" \
	"$(grep '^verdict' "$T/alt.out")"
check_eq "altered image: the HTML's first element says it does not verify, and why" \
	"verdict bad|NOT VERIFIED: this case does not verify: record 1: image segment E1.raw does not match the acquisition hashes in window #0" \
	"$(python3 "$HTMLPY" "$X/report.html" verdict)"
check_eq "altered image: the PDF's first line says so" "NOT VERIFIED: this case does not verify: record 1:" \
	"$(pdftotext "$X/report.pdf" - 2>/dev/null | grep -m 1 . | cut -c1-50)"
check_eq "altered image: recorded as not verified" "report|false|1" \
	"$(jq -r '"\(.action)|\(.result.verified)|\(.result.problems)"' <<<"$(last_rec "$X")")"
if command -v chromium >/dev/null; then
	shot "$X/report.html" "$T/shot-bad.png" 600
	check_eq "chromium: altered image: the red banner, not the green" "0 yes" \
		"$("$PNGPIX" "$T/shot-bad.png" "$FRAME" 1b7a3a b00020 | awk '/^all/ { print $4, ($5 > 500 ? "yes" : "no") }')"
fi

# a damaged bundle: cut in the middle of a member
X=$T/cutbundle
cp -a "$C0" "$X"
truncate -s $(( $(stat -c %s "$X/E1.evidence.tar") / 2 + 77 )) "$X/E1.evidence.tar"
ct cut report "$X"
check_eq "cut bundle: exit 3, the verdict names the bundle" \
	"3|verdict bad|NOT VERIFIED: this case does not verify: record 2: output E1.evidence.tar has changed" \
	"$RC|$(python3 "$HTMLPY" "$X/report.html" verdict | sed 's/ (.*//')"
check_eq "cut bundle: the evidence section says the bundle could not be read whole" 1 \
	"$(grep -c 'NOT READ: E1.evidence.tar: ' "$X/report.html")"
check_eq "cut bundle: the HTML is still well formed" ok "$(python3 "$HTMLPY" "$X/report.html" check)"

# hostile names from the card (escapes, controls, lone surrogates, 900-byte paths)
"$CT_TOP/fixtures/mkflightcard.sh" "$T" hostile >/dev/null 2>&1
HC=$T/hostilecase
"$CARDTRAIL" image --progress none "$T/flightcard-hostile.img" "$HC" >/dev/null 2>&1 &&
	"$CARDTRAIL" extract "$HC" E1 >/dev/null 2>&1
ct hos report "$HC"
check_eq "hostile card: report exits 0" 0 "$RC"
check_eq "hostile card: HTML self-contained and well nested" ok "$(python3 "$HTMLPY" "$HC/report.html" check)"
check_eq "hostile card: no control character reaches the HTML or the CSV" "0 0" \
	"$(tr -d '\n\t' <"$HC/report.html" | LC_ALL=C grep -c '[[:cntrl:]]') $(tr -d '\n' <"$HC/timeline.csv" | LC_ALL=C grep -c '[[:cntrl:]]')"
check_eq "hostile card: the HTML and the CSV are valid UTF-8" "ok ok" \
	"$(iconv -f UTF-8 -t UTF-8 "$HC/report.html" >/dev/null 2>&1 && echo ok) $(iconv -f UTF-8 -t UTF-8 "$HC/timeline.csv" >/dev/null 2>&1 && echo ok)"
check_eq "hostile card: mactime reads its body file" 0 "$(mactime -b "$HC/timeline.body" -z UTC -d >/dev/null 2>&1; echo $?)"
check_eq "hostile card: pdftotext reads the PDF, the first line is the verdict" "VERIFIED:" \
	"$(pdftotext "$HC/report.pdf" - 2>/dev/null | grep -m 1 . | cut -d' ' -f1)"

# a card seen in a native SD host behind... no: an SD card's registers as
# 'image' records them from sysfs (src/dev/identity.c), and a USB reader,
# put into the acquisition record; the log re-chained to match (no
# signatures: anyone can, which is why signing exists)
X=$T/sdcase
cp -a "$C0" "$X"
jq '.identity.sd = {type: "SD", cid: "035344535530384780123456780136e1",
	csd: "400e00325b590000734f7f800a400000", manfid: 3, manufacturer: "SanDisk", oemid: "SD",
	name: "SU08G", revision: "8.0", serial: "0x12345678", serial_decimal: 305419896,
	manufactured: "2013-06", crc_ok: true, csd_capacity: 7948206080, perm_write_protect: false,
	tmp_write_protect: true}
	| .identity.usb = {vendor_id: "0bda", product_id: "0129", manufacturer: "Generic",
	product: "USB2.0-CRW", serial: "20100201396000000"}' "$C0/E1.acquisition.json" >"$X/E1.acquisition.json"
python3 - "$X" <<'EOF'
import hashlib, json, os, sys
case = sys.argv[1]
lines = open(case + "/custody.log", "rb").read().decode().splitlines()
acq = open(case + "/E1.acquisition.json", "rb").read()
out, prev = [], "0" * 64
for l in lines:
    r = json.loads(l)
    for o in r.get("outputs", []):
        if o.get("role") == "acquisition-record":
            o["sha256"], o["bytes"] = hashlib.sha256(acq).hexdigest(), len(acq)
    r["prev"] = prev
    l = json.dumps(r, separators=(",", ":"), ensure_ascii=False)
    prev = hashlib.sha256(l.encode()).hexdigest()
    out.append(l)
open(case + "/custody.log", "w").write("\n".join(out) + "\n")
EOF
ct sd report "$X"
check_eq "SD card: the re-chained case verifies and reports" 0 "$RC"
# the PDF's text with its runs of blanks and line ends (a wrapped cell) as one space
sdtxt=$(pdftotext -layout "$X/report.pdf" - 2>/dev/null | tr -s ' \n' '  ')
for want in "card (SD CID) SanDisk (MID 0x03), OEM SD, product SU08G, revision 8.0, serial 0x12345678, made 2013-06, CRC ok" \
	"CID register 035344535530384780123456780136e1" \
	"card (SD CSD) capacity 7948206080 bytes, write-protect: permanent no, temporary SET" \
	"USB reader 0bda:0129 Generic USB2.0-CRW, serial 20100201396000000"; do
	check_eq "SD card: the PDF says: $want" 1 "$(grep -oF "$want" <<<"$sdtxt" | wc -l)"
done
check_eq "SD card: the HTML too" 1 \
	"$(grep -c '<td>card (SD CID)</td><td>SanDisk (MID 0x03), OEM SD, product SU08G, revision 8.0, serial 0x12345678, made 2013-06, CRC ok</td>' "$X/report.html")"

# ---- 8. MBTiles under the tracks --------------------------------------------------
"$MKMBTILES" "$T/tiles.mbtiles" c8e6c9 0 4 && ok "mkmbtiles made a 5-level MBTiles" || not_ok "mkmbtiles"
TC=$T/tilecase
cp -a "$C0" "$TC"
ct til report --tiles "$T/tiles.mbtiles" "$TC"
check_eq "--tiles: exit 0" 0 "$RC"
check_eq "--tiles: the custody record names the tiles with their sha256" \
	"$T/tiles.mbtiles|$(sum "$T/tiles.mbtiles")|tiles" \
	"$(jq -r '.inputs[1] | "\(.path)|\(.sha256)|\(.role)"' <<<"$(last_rec "$TC")")"
check_eq "--tiles: HTML embeds them (data: URIs) and names the source" "yes 1" \
	"$([ "$(grep -c 'href="data:image/png;base64,' "$TC/report.html")" -gt 0 ] && echo yes) $(grep -c 'Background: cardtrail test tiles' "$TC/report.html" | awk '{ print ($1 > 0) }')"
pdftoppm -r 100 -f "$op" -l "$op" -png "$TC/report.pdf" "$T/tilepdf" 2>/dev/null
check_eq "--tiles: the PDF's overview map is drawn over the tiles, tracks on top" "yes|" \
	"$("$PNGPIX" "$T"/tilepdf-*.png "$FRAME" c8e6c9 | awk '/^map/ { print ($6 > 20000 ? "yes" : "no"); exit }')|$(mapfind "$T"/tilepdf-*.png 1 | sed 's/^ *//')"
check_eq "without --tiles: none of the tile colour (a few edge pixels of tracks at most)" yes \
	"$("$PNGPIX" "$(sed -n 1p "$T/pdfpages")" "$FRAME" c8e6c9 | awk '/^map/ { print ($6 < 100 ? "yes" : "no " $6); exit }')"
if command -v chromium >/dev/null; then
	shot "$TC/report.html" "$T/shot-tiles.png" 3000
	check_eq "chromium: --tiles: the overview shows the tiles" yes \
		"$("$PNGPIX" "$T/shot-tiles.png" "$FRAME" c8e6c9 | awk '/^map/ { print ($6 > 50000 ? "yes" : "no"); exit }')"
fi
"$MKMBTILES" "$T/vector.mbtiles" c8e6c9 0 1 pbf
n0=$(wc -l <"$TC/custody.log")
ct vec report --tiles "$T/vector.mbtiles" "$TC"
check_eq "--tiles with vector tiles: refused, nothing written or recorded" \
	"1|cardtrail: '$T/vector.mbtiles' holds pbf tiles: only raster tiles (png, jpg) can be drawn|$n0|0" \
	"$RC|$(cat "$T/vec.err")|$(wc -l <"$TC/custody.log")|$(ls "$TC" | grep -c -- '-2\.')"
printf 'not a database' >"$T/junk.mbtiles"
ct junk report --tiles "$T/junk.mbtiles" "$TC"
check_eq "--tiles with a file that is not SQLite: exit 1, says so" "1|1" \
	"$RC|$(grep -c "is not an MBTiles file" "$T/junk.err")"

# ---- 9. --out, --format ------------------------------------------------------------
O=$T/outcase
cp -a "$C0" "$O"
mkdir "$T/outdir"
ct out report --format html --out "$T/outdir/r.html" "$O"
check_eq "--out outside the case: exit 0, the HTML there, no PDF" "0|yes|no" \
	"$RC|$([ -s "$T/outdir/r.html" ] && echo yes)|$([ -e "$T/outdir/r.pdf" ] || [ -e "$O/report.pdf" ] && echo yes || echo no)"
check_eq "--out: the case gets the timeline; the record names the outside file with its sha256" \
	"timeline.csv timeline.body|$T/outdir/r.html $(sum "$T/outdir/r.html") report-html" \
	"$(jq -r '[.outputs[].path] | join(" ")' <<<"$(last_rec "$O")")|$(jq -r '.result.outside_case[0] | "\(.path) \(.sha256) \(.role)"' <<<"$(last_rec "$O")")"
cmp -s "$T/outdir/r.html" "$C/report.html"
check_eq "--out: the same bytes as the report in the case" 0 $?
n0=$(wc -l <"$O/custody.log")
ct out2 report --format html --out "$T/outdir/r.html" "$O"
check_eq "--out onto an existing file: exit 1, nothing overwritten, no record" \
	"1|$(sum "$C/report.html")|$n0" "$RC|$(sum "$T/outdir/r.html")|$(wc -l <"$O/custody.log")"
grep -q "exists (nothing is overwritten)" "$T/out2.err" && ok "--out onto an existing file: says why" ||
	not_ok "--out onto an existing file: says why"
ct out3 report --out "$T/outdir/both" "$O"
check_eq "--out with both formats: FILE.html and FILE.pdf" "0|yes" \
	"$RC|$([ -s "$T/outdir/both.html" ] && [ -s "$T/outdir/both.pdf" ] && echo yes)"

# ---- 10. usage and refusals ---------------------------------------------------------
ct u1 report --format xml "$C0"
check_eq "--format xml: usage error" "2|cardtrail: unknown format 'xml' (html, pdf or both)" "$RC|$(head -n 1 "$T/u1.err")"
ct u2 report
check_eq "no CASEDIR: usage error" 2 "$RC"
mkdir "$T/notacase"
ct u3 report "$T/notacase"
check_eq "a folder without a custody log: exit 1, says so, writes nothing" \
	"1|cardtrail: no custody log in '$T/notacase': not a case folder|0" \
	"$RC|$(cat "$T/u3.err")|$(ls "$T/notacase" | wc -l)"
"$CARDTRAIL" help report >"$T/help.txt"
check_file "cardtrail help report golden" "$CT_TOP/tests/golden/help-report.txt" "$T/help.txt"

# ---- 11. the same card in an MBR partition, and the demo card ---------------------------
"$CT_TOP/fixtures/mkflightcard.sh" "$T" mbr >/dev/null 2>&1
MB=$T/mbrcase
"$CARDTRAIL" image --progress none "$T/flightcard-mbr.img" "$MB" >/dev/null 2>&1 &&
	"$CARDTRAIL" extract "$MB" E1 >/dev/null 2>&1
ct mbr report "$MB"
python3 "$HTMLPY" "$MB/report.html" flights | sed 's|carved/[0-9]*\.ulg|carved/N.ulg|' >"$T/mbr.tsv"
sed 's|carved/[0-9]*\.ulg|carved/N.ulg|' "$T/flights.tsv" >"$T/sf.tsv"
check_eq "MBR card: report exits 0" 0 "$RC"
check_file "MBR card: the same flights as the superfloppy card" "$T/sf.tsv" "$T/mbr.tsv"

xz -dc "$CT_TOP/fixtures/card-demo.img.xz" >"$T/demo.img"
D=$T/democase
"$CARDTRAIL" image --progress none --case-number 'CT-2026/0042' --description 'Drone found at the <fence>' \
	"$T/demo.img" "$D" >/dev/null 2>&1 && "$CARDTRAIL" extract "$D" E1 >/dev/null 2>&1
ct demo report "$D"
check_eq "demo card: report exits 0; 2 flights (the SRT and the deleted one), 2 photos (JPEGs without a position: photos all the same)" \
	"0|contents   1 evidence, 2 flights (grouped from 2 tracks), 2 photos (0 with a position), $(jq -r .result.events <<<"$(last_rec "$D")") timeline events" \
	"$RC|$(grep '^contents' "$T/demo.out")"
check_eq "demo card: the case table counts both photos, neither with a position" 1 \
	"$(grep -c '<td>photos</td><td>2 (0 with a position, 0 of them outside any flight)</td>' "$D/report.html")"
check_eq "demo card: the case number and description given at acquisition, in the case table" "2 2" \
	"$(grep -c '<td>case number</td><td>CT-2026/0042</td>' "$D/report.html") $(grep -c '<td>description</td><td>Drone found at the &lt;fence&gt;</td>' "$D/report.html")"
check_eq "demo card: ... and in the PDF" "2 2" \
	"$(pdftotext -layout "$D/report.pdf" - | grep -c 'case number  *CT-2026/0042') $(pdftotext -layout "$D/report.pdf" - | grep -c 'description  *Drone found at the <fence>')"

# ---- 12. a card of real flight logs (../shared/samples) --------------------------------
S=$CT_TOP/../shared/samples
if [ ! -d "$S" ]; then
	skip "report on a card of ../shared/samples" "../shared/samples is absent"
else
	part=$T/samples.img
	truncate -s 64M "$part"
	mkfs.fat -F 32 -S 512 -s 1 --invariant -i 5A3D0001 -n SAMPLES "$part" >/dev/null
	mmd -i "$part" ::/log ::/APM ::/APM/LOGS ::/DCIM ::/DCIM/100MEDIA ::/FlightRecord
	mcopy -i "$part" "$S/px4/sample_log_small.ulg" ::/log/
	mcopy -i "$part" "$S/ardupilot/center_0003.bin" ::/APM/LOGS/
	mcopy -i "$part" "$S"/dji-srt/mavic_pro.SRT "$S"/dji-srt/p4p_sample.SRT ::/DCIM/100MEDIA/
	mcopy -i "$part" "$S"/dji-txt/*.txt ::/FlightRecord/
	SC=$T/samplecase
	"$CARDTRAIL" image --progress none "$part" "$SC" >/dev/null 2>&1 && "$CARDTRAIL" extract "$SC" E1 >/dev/null 2>&1
	check_eq "samples: image and extract" 0 $?
	ct smp report "$SC"
	check_eq "samples: report exits 0" 0 "$RC"
	mkdir "$T/us" && tar -xf "$SC/E1.evidence.tar" -C "$T/us"
	python3 "$HTMLPY" "$SC/report.html" flights >"$T/sflights.tsv"
	check_eq "samples: one flight per log (sources with a track in flights.json)" \
		"$(jq '[.[] | select(.points > 0)] | length' "$T/us/flights.json")" "$(wc -l <"$T/sflights.tsv")"
	check_eq "samples: the v4 record: its aircraft (dji-log-parser: moo, 03Z0265508, 048LA08500), points as extracted" \
		"Phantom3Pro, named moo, aircraft 03Z0265508, camera 048LA08500|$(jq '.[] | select(.file | test("19-05-48")) | .points' "$T/us/flights.json")" \
		"$(grep '19-05-48' "$T/sflights.tsv" | cut -f3,9 | tr '\t' '|')"
	check_eq "samples: every flight's distance, points, height agree with its track (computed apart)" ok \
		"$(python3 "$HTMLPY" "$SC/report.html" tracks "$T/us")"
	COLS=($(python3 "$HTMLPY" "$SC/report.html" colours | sed 's/^[0-9]* #//'))
	sp=""
	pn=$(pdfinfo "$SC/report.pdf" | awk '/^Pages:/ { print $2 }')
	for ((p = 1; p <= pn; p++)); do
		pdftotext -f $p -l $p "$SC/report.pdf" - 2>/dev/null | grep -q '^Overview: every flight' && { sp=$p; break; }
	done
	pdftoppm -r 100 -f "$sp" -l "$sp" -png "$SC/report.pdf" "$T/spdf" 2>/dev/null
	check_eq "samples: the PDF overview shows every flight's colour" "" \
		"$(mapfind "$T"/spdf-*.png 1 | sed 's/^ *//')"
fi

done_testing
