#!/usr/bin/env bash
# cardtrail report against an examiner's review (issue 11): what the report
# says must be what the evidence holds.
#   H1  flights: different aircraft (model, serial) or cards never make one
#       flight; a flight of several tracks gives every track's figures,
#       says which track its start and end come from, and its legend and
#       timeline name every source.
. "$CT_TOP"/tests/e2e/lib.sh

PATH=$PATH:/usr/sbin:/sbin
for t in mkfs.fat mcopy mmd mdel jq pdftotext python3; do
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
	"$(grep -c '^contents   2 evidence, 2 flights from 2 sources' "$T/two.out")"
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

done_testing
