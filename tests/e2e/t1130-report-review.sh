#!/usr/bin/env bash
# cardtrail report against an examiner's review (issue 11): what the report
# says must be what the evidence holds.
#   H1  flights: different aircraft (model, serial) or cards never make one
#       flight; a flight of several tracks gives every track's figures,
#       says which track its start and end come from, and its legend and
#       timeline name every source.
. "$CT_TOP"/tests/e2e/lib.sh

PATH=$PATH:/usr/sbin:/sbin
for t in mkfs.fat mcopy mmd mdel jq pdftotext python3 split md5sum sha1sum; do
	command -v "$t" >/dev/null 2>&1 ||
		skip_all "$t not found (needs dosfstools, mtools, jq, poppler-utils, python3)"
done
GENDAT=$CT_BUILD/tools/gen-djidat
[ -x "$GENDAT" ] || skip_all "test tool gen-djidat not built"
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null CARDTRAIL_EXAMINER=tester
unset CARDTRAIL_SIGN_KEY
{ cat "$CT_TOP/tests/lsan.supp"; printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n'; } >"$T/lsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"
HTMLPY=$CT_TOP/tests/e2e/report_html.py
G=$CT_TOP/tests/golden

ct() {
	local n=$1; shift
	"$CARDTRAIL" "$@" >"$T/$n.out" 2>"$T/$n.err"
	RC=$?
	if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/$n.err"; then
		not_ok "$n: sanitizer report"; head -n 30 "$T/$n.err" | sed 's/^/#   /'
	fi
}
# card IMG: a 32 MiB FAT32 image with MISC/
card() {
	mkfs.fat -F 32 -s 1 -i 5A3D0001 --invariant -C "$1" 65536 >/dev/null && mmd -i "$1" ::MISC
}
# legend HTML: the overview legend's lines, as text
legend() {
	python3 - "$1" <<'EOF'
import re, sys, html
t = open(sys.argv[1], encoding="utf-8").read()
ul = re.search(r'<ul class="legend">(.*?)</ul>', t, re.S).group(1)
for li in re.findall(r"<li[^>]*>(.*?)</li>", ul, re.S):
    print(" ".join(html.unescape(re.sub(r"<[^>]*>", "", li)).split()))
EOF
}

# ---- H1: two cards, two aircraft (Mavic Pro, product 16; Mavic Air, 24) ------
"$GENDAT" v3 -s 21 -n 30 -o "$T/A.DAT" && "$GENDAT" v3 -s 22 -n 30 -p 24 -o "$T/B.DAT"
for x in A B; do
	card "$T/card$x.img" && mcopy -i "$T/card$x.img" "$T/$x.DAT" ::MISC/FLY001.DAT
done
C=$T/c70
"$CARDTRAIL" image --progress none "$T/cardA.img" "$C" >/dev/null 2>&1 &&
	"$CARDTRAIL" image --progress none "$T/cardB.img" "$C" >/dev/null 2>&1 &&
	"$CARDTRAIL" extract "$C" E1 >/dev/null 2>&1 && "$CARDTRAIL" extract "$C" E2 >/dev/null 2>&1
check_eq "H1 setup: two cards imaged and extracted" 0 $?
ct two report "$C"
check_eq "H1 two cards: report exits 0" 0 "$RC"
python3 "$HTMLPY" "$C/report.html" flights >"$T/two.tsv"
check_file "H1 two cards, two models: two flights, each its own card's figures (golden)" \
	"$G/report-h1-two-cards.tsv" "$T/two.tsv"
check_eq "H1 two cards: each flight's points are its own card's (flights.json)" \
	"$(for e in E1 E2; do tar -xOf "$C/$e.evidence.tar" flights.json | jq -r '.[0].points'; done | paste -sd' ')" \
	"$(cut -f9 "$T/two.tsv" | paste -sd' ')"
check_eq "H1 two cards: the summary counts two flights" 1 \
	"$(grep -c '^contents   2 evidence, 2 flights (grouped from 2 tracks), 0 photos' "$T/two.out")"
check_eq "H1 two cards: the legend names each flight's source" \
	"flight 1: E1:files/MISC/FLY001.DAT|flight 2: E2:files/MISC/FLY001.DAT" \
	"$(legend "$C/report.html" | paste -sd'|')"

# ---- H1: one card, one aircraft model in two logs, another in a deleted log ----
"$GENDAT" v3 -s 24 -n 40 -o "$T/C.DAT" && "$GENDAT" v3 -s 23 -n 30 -p 6 -o "$T/D.DAT"
card "$T/cardO.img" && mcopy -i "$T/cardO.img" "$T/A.DAT" ::MISC/FLY001.DAT &&
	mcopy -i "$T/cardO.img" "$T/D.DAT" ::MISC/FLY002.DAT &&
	mcopy -i "$T/cardO.img" "$T/C.DAT" ::MISC/FLY003.DAT && mdel -i "$T/cardO.img" ::MISC/FLY002.DAT
O=$T/one
"$CARDTRAIL" image --progress none "$T/cardO.img" "$O" >/dev/null 2>&1 &&
	"$CARDTRAIL" extract "$O" E1 >/dev/null 2>&1
check_eq "H1 setup: one card imaged and extracted" 0 $?
ct one report "$O"
check_eq "H1 one card: report exits 0" 0 "$RC"
python3 "$HTMLPY" "$O/report.html" flights >"$T/one.tsv"
check_file "H1 one card: Mavic Pro (two logs, per-track figures, start and end named) and Phantom 3 apart (golden)" \
	"$G/report-h1-one-card.tsv" "$T/one.tsv"
mkdir "$T/uo" && tar -xf "$O/E1.evidence.tar" -C "$T/uo"
check_eq "H1 one card: every track's distance and points, heights over all tracks (computed apart)" ok \
	"$(python3 "$HTMLPY" "$O/report.html" tracks "$T/uo")"
check_eq "H1 one card: the legend names every source of a flight" \
	"flight 1: [1] E1:files/MISC/FLY001.DAT; [2] E1:files/MISC/FLY003.DAT|flight 2: E1:deleted/MISC/_LY002.DAT" \
	"$(legend "$O/report.html" | paste -sd'|')"
pdftotext -layout "$O/report.pdf" - 2>/dev/null | tr -s ' \n' '  ' >"$T/one.pdf.txt"
check_eq "H1 one card: the PDF legend too" 1 \
	"$(grep -cF 'flight 1: [1] E1:files/MISC/FLY001.DAT; [2] E1:files/MISC/FLY003.DAT' "$T/one.pdf.txt")"
# the timeline's flight start and end: the time, card and file they come from
python3 - "$O/report.html" "$T/uo/flights.json" "$O/timeline.csv" >"$T/one.tl" <<'EOF'
import csv, json, sys
fl = {f["file"]: f for f in json.load(open(sys.argv[2]))}
for r in csv.DictReader(open(sys.argv[3], newline="")):
    if r["event"].startswith("flight "):
        end = "last" if r["event"].endswith("end") else "first"
        print(r["event"], r["evidence"], r["path"], r["time"] == fl[r["path"]][end]["time"])
EOF
check_eq "H1 one card: timeline flight start and end name the track they come from, at its time" \
	"$(printf '%s\n' "flight 1 start E1 files/MISC/FLY001.DAT True" "flight 1 end E1 files/MISC/FLY003.DAT True" \
	"flight 2 start E1 deleted/MISC/_LY002.DAT True" "flight 2 end E1 deleted/MISC/_LY002.DAT True" | sort)" \
	"$(sort "$T/one.tl")"

# ---- M1: the files' extraction warnings ------------------------------------------
"$GENDAT" logh -s 5 -n 10 -o "$T/L.DAT"
{ printf 'garbled!'; head -c 20000 "$T/A.DAT"; } >"$T/K.DAT"
card "$T/cardW.img" && mcopy -i "$T/cardW.img" "$T/L.DAT" ::MISC/FLY010.DAT &&
	mcopy -i "$T/cardW.img" "$T/K.DAT" ::MISC/FLY011.DAT && mcopy -i "$T/cardW.img" "$T/A.DAT" ::MISC/FLY001.DAT
W=$T/warn
"$CARDTRAIL" image --progress none "$T/cardW.img" "$W" >/dev/null 2>&1 &&
	"$CARDTRAIL" extract "$W" E1 >/dev/null 2>&1
check_eq "M1 setup: a card with an encrypted and a garbled DAT" 0 $?
"$CARDTRAIL" note --evidence E1 "$W" "card returned to evidence store" >/dev/null 2>&1 &&
	"$CARDTRAIL" note "$W" 'seal <7> "intact"' >/dev/null 2>&1
check_eq "M5 setup: two notes" 0 $?
ct warn report "$W"
check_eq "M1: report exits 0" 0 "$RC"
tar -xOf "$W/E1.evidence.tar" MANIFEST.json >"$T/warn.manifest"
check_eq "M1: MANIFEST.json warns about the LOGH DAT and the garbled one" "2" \
	"$(jq '[.files[] | select(.path | test("FLY01[01]")) | select((.warnings | length) > 0)] | length' "$T/warn.manifest")"
python3 - "$T/warn.manifest" "$W/report.html" >"$T/warn.check" <<'EOF'
import html, json, re, sys
m = json.load(open(sys.argv[1]))
t = open(sys.argv[2], encoding="utf-8").read()
rows = {tuple(html.unescape(c) for c in r)
        for r in re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td></tr>", t)}
bad = [f["path"] + ": " + w for f in m["files"] for w in f.get("warnings") or []
       if (f["path"], w) not in rows]
n = sum(len(f.get("warnings") or []) for f in m["files"])
print("\n".join(bad) if bad else "ok %d" % n)
EOF
check_eq "M1: the HTML shows every warning of every file, with its path, word for word" \
	"ok $(jq '[.files[].warnings // [] | length] | add' "$T/warn.manifest")" "$(cat "$T/warn.check")"
pdftotext "$W/report.pdf" - 2>/dev/null | tr -s ' \n' '  ' >"$T/warn.pdf.txt"
check_eq "M1: the PDF too (the encrypted and the unknown DAT)" "1 1" \
	"$(grep -c 'and no plain header; file identified, hashed and bundled, not decoded' "$T/warn.pdf.txt") $(grep -c "$(jq -r '.files[] | select(.path == "MISC/FLY011.DAT") | .warnings[0]' "$T/warn.manifest" | cut -c1-40)" "$T/warn.pdf.txt")"

# ---- M5: the notes' text ----------------------------------------------------------
check_eq "M5: the custody section lists both notes with their text (HTML)" "1 1" \
	"$(grep -c '<td>E1</td><td>card returned to evidence store</td>' "$W/report.html") $(grep -c '<td>the case</td><td>seal &lt;7&gt; &quot;intact&quot;</td>' "$W/report.html")"
python3 - "$W/timeline.csv" >"$T/notes.tl" <<'EOF'
import csv, sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if r["event"].endswith(" note"):
        print("|".join([r["event"], r["evidence"], r["detail"]]))
EOF
check_eq "M5: timeline.csv: each note's text in its custody event" \
	"custody #3 note|E1|by tester; record ok; note: card returned to evidence store
custody #4 note||by tester; record ok; note: seal <7> \"intact\"" "$(cat "$T/notes.tl")"
check_eq "M5: the PDF has the notes' text" "1 1" \
	"$(grep -c 'card returned to evidence store' "$T/warn.pdf.txt") $(grep -c 'seal <7> "intact"' "$T/warn.pdf.txt")"

# ---- M9 and the lower findings: what each count counts, plurals, PDF columns ------
check_eq "M9: the summary says flights are grouped from tracks; singulars" \
	"contents   1 evidence, 1 flight (grouped from 1 track), 0 photos (0 with a position), $(jq -r .result.events <<<"$(tail -n 1 "$W/custody.log")") timeline events" \
	"$(grep '^contents' "$T/warn.out")"
check_eq "M9: the case table and the extraction say what they count" \
	"1 1" \
	"$(grep -c '<td>flights</td><td>1, grouped from 1 track (files with positions over time; a file found in several images of one content counted once)</td>' "$W/report.html") $(grep -c '<td>positions</td><td>1 file with positions: 1 track and 0 photos with a position (before grouping into flights), 143 points</td>' "$W/report.html")"
check_eq "PDF: no header word broken inside a column ('evide nce')" 0 \
	"$(pdftotext -layout "$W/report.pdf" - 2>/dev/null | grep -cw 'evide')"

# ---- "not re-hashed" said once: a split image with a segment cut short -----------
mkdir "$T/split"
split -b 16M -d -a 3 --numeric-suffixes=1 "$T/cardA.img" "$T/split/card."
S=$T/splitcase
"$CARDTRAIL" adopt --progress none "$T/split/card.001" "$S" >/dev/null 2>&1
check_eq "split adopt: 4 segments" 4 "$(jq '.segments | length' "$S/E1.acquisition.json")"
truncate -s 1M "$S/E1.002"
ct rh report "$S"
check_eq "a cut segment: report exits 3" 3 "$RC"
check_eq "a cut segment: the others are 'not re-hashed' once, with why" \
	"E1.003: not re-hashed: another segment of the image is missing or has the wrong size|0" \
	"$(grep -o '<td>checked now</td><td>E1.003: [^<]*' "$S/report.html" | sed 's/.*<td>//')|$(grep -c 'not re-hashed, not re-hashed' "$S/report.html")"

# ---- M2: an adopted E01: what the adopt record holds, labelled as such ------------
if ! command -v ewfacquire >/dev/null; then
	skip "M2: an adopted E01 in the report" "ewfacquire is not installed (ewf-tools)"
else
	mkdir "$T/ewf"
	ewfacquire -u -q -c fast -d sha1 -C "CASE-9" -D "card nine" -e "Field Officer" -E "BAG-9" \
		-N "from the RC" -t "$T/ewf/card9" "$T/cardA.img" >"$T/ewf.log" 2>&1 &&
		"$CARDTRAIL" adopt --progress none "$T/ewf/card9.E01" "$T/adopted" >"$T/adopt.out" 2>&1
	check_eq "M2 setup: ewfacquire and adopt" 0 $?
	A=$T/adopted
	AJ=$A/E1.acquisition.json
	ct adr report "$A"
	check_eq "M2: report exits 0" 0 "$RC"
	python3 "$HTMLPY" "$A/report.html" check >"$T/adr.check"
	check_eq "M2: the HTML is well formed" ok "$(cat "$T/adr.check")"
	# the evidence table's rows as "key|value"
	python3 - "$A/report.html" >"$T/adr.kv" <<'EOF'
import html, re, sys
t = open(sys.argv[1], encoding="utf-8").read()
for k, v in re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td></tr>", t):
    print(html.unescape(k) + "|" + html.unescape(v))
EOF
	kvrow() { grep "^$1|" "$T/adr.kv" | cut -d'|' -f2- | paste -sd'#'; }
	check_eq "M2: the source is the E01, of kind image" "$T/ewf/card9.E01 (image)" "$(kvrow source)"
	check_eq "M2: sectors of 512 bytes, as the E01 states" \
		"67108864 bytes (64.0 MiB), sectors 512 bytes (as the image file states)" "$(kvrow size)"
	check_eq "M2: the adoption time is labelled as such, not as the acquisition" \
		"$(jq -r '"\(.started) .. \(.finished), \(.status)"' "$AJ") (cardtrail adopt: when the image was brought into the case, not when it was made)|" \
		"$(kvrow adopted)|$(kvrow acquired)"
	check_eq "M2: the E01's own header: examiner, acquisition date and software (ewfacquire names its version), labelled" \
		"examiner: Field Officer (as the image file states, not checked)#acquired: $(jq -r .adopted.found.acquiry_date "$AJ") (as the image file states, not checked)#software version: $(jq -r .adopted.found.acquiry_software_version "$AJ") (as the image file states, not checked)" \
		"$(kvrow 'image header' | tr '#' '\n' | grep -E '^(examiner|acquired|software version):' | paste -sd'#')"
	check_eq "M2: the stored MD5 and SHA-1 (computed apart) match the image as read" \
		"md5 $(md5sum <"$T/cardA.img" | cut -d' ' -f1): matches the image as read at adoption#sha1 $(sha1sum <"$T/cardA.img" | cut -d' ' -f1): matches the image as read at adoption" \
		"$(kvrow 'stored hash')"
	check_eq "M2: no verification called 'not done' when the stored hashes were checked" \
		"no re-read by cardtrail: the image was made elsewhere; its stored hashes are above" \
		"$(kvrow 'verification of the image')"
	# unreadable ranges in words: the record with a range, the log re-chained
	X=$T/adopted-bad
	cp -a "$A" "$X"
	jq '.bad_ranges = [{offset: 2089472, length: 512}] | .bad_bytes = 512' "$AJ" >"$X/E1.acquisition.json"
	python3 - "$X" <<'EOF'
import hashlib, json, sys
case = sys.argv[1]
lines = open(case + "/custody.log", "rb").read().decode().splitlines()
acq = open(case + "/E1.acquisition.json", "rb").read()
out, prev = [], "0" * 64
for l in lines:
    r = json.loads(l)
    for o in r.get("outputs", []):
        if o.get("path") == "E1.acquisition.json":
            o["sha256"], o["bytes"] = hashlib.sha256(acq).hexdigest(), len(acq)
    r["prev"] = prev
    l = json.dumps(r, separators=(",", ":"), ensure_ascii=False)
    prev = hashlib.sha256(l.encode()).hexdigest()
    out.append(l)
open(case + "/custody.log", "w").write("\n".join(out) + "\n")
EOF
	ct adb report "$X"
	check_eq "M2: unreadable ranges in words, no JSON" "1 0" \
		"$(grep -c '<td>bytes 2089472 to 2089983 (512 bytes)</td>' "$X/report-2.html") $(grep -c '{&quot;offset&quot;\|{"offset"' "$X/report-2.html")"
fi

done_testing
