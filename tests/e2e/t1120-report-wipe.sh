#!/usr/bin/env bash
# cardtrail report on a card's whole life (issue 11): a FAT card on a loop
# device imaged as a split E01, extracted, wiped; the report's evidence
# section against the card and the files themselves (hashes of the card's
# bytes taken before the wipe, each segment's size and sha256 from the
# disk), the wipe section against the certificate (every field, the
# passes, the certificate files' sha256), the custody table against the
# log, the PDF's text, and the flight's map against its track
# (report_map.py: the grid gives the projection, through which the track,
# its start, end and home markers must fall where their coordinates put
# them; the scale bar's label is its ground length; north is up).
. "$CT_TOP"/tests/e2e/lib.sh
need_loop

PATH=$PATH:/usr/sbin:/sbin
for t in mkfs.fat mcopy mmd jq pdftotext python3 md5sum sha1sum; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs dosfstools, mtools, jq, poppler-utils, python3)"
done
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null CARDTRAIL_EXAMINER=tester
unset CARDTRAIL_SIGN_KEY
{ cat "$CT_TOP/tests/lsan.supp"; printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n'; } >"$T/lsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"
sum() { "${2:-sha256}sum" <"$1" | cut -d' ' -f1; }

# ---- the card: FAT16, a subtitle track and a photo, random bytes after them ---------
img=$(mktemp /dev/shm/ct-rwipe.XXXXXX)
at_exit "rm -f $img"
truncate -s 16M "$img"
mkfs.fat -F 16 -n DJI_CARD --invariant "$img" >/dev/null &&
	mmd -i "$img" ::/DCIM &&
	mcopy -i "$img" "$CT_TOP/fixtures/flight/gen-home-gps.SRT" ::/DCIM/DJI_0001.SRT &&
	mcopy -i "$img" "$CT_TOP/fixtures/flight/DJI_0001.JPG" ::/DCIM/DJI_0001.JPG &&
	gen_bytes rwipe $((6 << 20)) | dd of="$img" bs=1M seek=9 conv=notrunc status=none ||
	{ not_ok "the card"; done_testing; exit; }
MD5=$(sum "$img" md5) SHA1=$(sum "$img" sha1) SHA256=$(sum "$img")
mkloop dev "$img" || skip_all "losetup failed"
C=$T/case
"$CARDTRAIL" image --progress none --format e01 --compress fast --split 2M --case-number K-11 \
	--description "seized at the <gate> & searched" \
	"$dev" "$C" >"$T/image.out" 2>&1 &&
	"$CARDTRAIL" extract --progress none --examiner "Bob Example" "$C" E1 >"$T/extract.out" 2>&1 &&
	"$CARDTRAIL" wipe --progress none --case "$C" --force --yes --method zero --verify all \
		"$dev" >"$T/wipe.out" 2>&1
check_eq "setup: image (E01, 2 MiB segments), extract, wipe" 0 $?
check_eq "the card reads zeros after the wipe" "$(head -c 16M /dev/zero | sha256sum | cut -d' ' -f1)" \
	"$(dd if="$dev" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)"
nseg=$(ls "$C" | grep -c '^E1\.E[0-9][0-9]$')
check_eq "the image is split into several segments" yes "$([ "$nseg" -ge 3 ] && echo yes)"

"$CARDTRAIL" report "$C" >"$T/rep.out" 2>"$T/rep.err"
check_eq "report exits 0" 0 $?
grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/rep.err" &&
	{ not_ok "report: sanitizer report"; head -n 30 "$T/rep.err" | sed 's/^/#   /'; }
check_eq "report: the verdict counts the 5 records (open, image, extract, wipe-start, wipe)" \
	"verdict    VERIFIED: 5 records, chain intact, every output as recorded" \
	"$(grep '^verdict' "$T/rep.out")"
H=$C/report.html
sed -e "s|$C/|CASE/|" -e 's/^\(chain head\) [0-9a-f]\{64\}$/\1 HEAD/' "$T/rep.out" >"$T/rep.golden"
check_file "report: golden summary (case folder and chain head masked)" "$CT_TOP/tests/golden/report-summary.txt" "$T/rep.golden"
check_eq "report: the chain head it names is the head the report record follows" \
	"$(sed -n 's/^chain head //p' "$T/rep.out")" "$(tail -n 1 "$C/custody.log" | jq -r .prev)"

# one line per check: "ok" or what is wrong
cat >"$T/check.py" <<'EOF'
import hashlib, html.parser, json, os, sys

class Cells(html.parser.HTMLParser):
    """Every heading and table row of the report, in order."""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items, self.cell, self.row, self.head = [], None, None, None
    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "h3", "h4"):
            self.head = ""
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""
    def handle_endtag(self, tag):
        if tag in ("h2", "h3", "h4") and self.head is not None:
            self.items.append(("h", self.head))
            self.head = None
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.items.append(("r", self.row))
            self.row = None
    def handle_data(self, d):
        if self.cell is not None:
            self.cell += d
        elif self.head is not None:
            self.head += d

case, what = sys.argv[1], sys.argv[2]
p = Cells()
p.feed(open(os.path.join(case, "report.html"), encoding="utf-8").read())
items = p.items
log = [json.loads(l) for l in open(os.path.join(case, "custody.log"))]

def section(start, stop_levels=("h",)):
    """The rows after the heading that starts with START, to the next heading."""
    out, on = [], False
    for k, v in items:
        if k == "h":
            if on:
                break
            on = v.startswith(start)
        elif on:
            out.append(v)
    return out

def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()

bad = []
if what == "evidence":
    rows = section("Evidence E1")
    kv = {}
    for r in rows:
        if len(r) >= 2:
            kv.setdefault(r[0], r[1:])
    segs = sorted(f for f in os.listdir(case) if f[:4] == "E1.E" and f[4:].isdigit())
    if kv.get("image", [""])[0] != "e01, %d segments (E1.acquisition.json)" % len(segs):
        bad.append("image row: %r" % kv.get("image"))
    if kv.get("case number", [""])[0] != "K-11":
        bad.append("case number: %r" % kv.get("case number"))
    for name in ("md5", "sha1", "sha256"):
        want = sys.argv[3 + ("md5", "sha1", "sha256").index(name)]
        if kv.get(name, [""])[0] != want:
            bad.append("%s: %r, the card's bytes give %s" % (name, kv.get(name), want))
    have = [r for r in rows if len(r) == 3 and r[0] in segs]
    want = [[s, str(os.path.getsize(os.path.join(case, s))), sha(os.path.join(case, s))] for s in segs]
    if have != want:
        bad.append("segments: %r, on disk %r" % (have, want))
elif what == "wipe":
    cert = json.load(open(os.path.join(case, "E1.wipe.json")))
    rec = [r for r in log if r["action"] == "wipe"][-1]
    head = "Wipe (custody record %d, %s): %s" % (rec["seq"], rec["time"], rec["result"]["status"])
    if ("h", head) not in items:
        bad.append("no heading %r" % head)
    rows = section(head)
    seen = {}
    for r in rows:
        if len(r) == 2:
            seen.setdefault(r[0], r[1])
    # labelled rows, never JSON
    for r in rows:
        for cell in r:
            if any(ch in cell for ch in '{}[]"'):
                bad.append("JSON in a cell: %r" % cell)
    def secs(v):
        a = abs(v)
        f = "%.0f s" if a >= 100 else "%.1f s" if a >= 10 else "%.2f s" if a >= 1 else "%.3f s"
        return f % v
    def leaf(label, v):
        cell = seen.get(label)
        if isinstance(v, dict):
            if not v:
                ok = cell == "none"
            else:
                for k2, v2 in v.items():
                    leaf("%s %s" % (label, k2.replace("_", " ")), v2)
                return
        elif isinstance(v, list):
            if v and all(isinstance(x, list) and len(x) == 2 for x in v):
                want = "; ".join("bytes %d to %d (%d byte%s)" % (o, o + n - 1, n, "" if n == 1 else "s")
                                 for o, n in v)
                ok = cell == want
            else:
                ok = cell == "none" if not v else True
        elif v is None:
            ok = cell == "\u2013"
        elif isinstance(v, bool):
            ok = cell == ("yes" if v else "no")
        elif isinstance(v, int):
            # a count, bytes ("N bytes (…)") or an offset ("byte N"), never
            # another number
            ok = cell is not None and (cell == str(v) or cell.startswith("%d byte" % v) or
                                       cell == "byte %d" % v)
        elif isinstance(v, float):
            ok = cell in (secs(v), "%.3f" % v)
        else:
            ok = cell == v
        if not ok:
            bad.append("%s: %r, certificate %r" % (label, cell, v))
    for k, v in cert.items():
        if k == "passes":
            continue
        if k == "result":
            res, _, why = v.partition(": ")
            if seen.get("result") != res or (why and seen.get("reason") != why):
                bad.append("result %r reason %r, certificate %r" % (seen.get("result"), seen.get("reason"), v))
            continue
        leaf(k.replace("_", " "), v)
    try:
        i = rows.index(["pass", "pattern", "bytes written", "read back", "result", "write", "read", "notes"])
    except ValueError:
        bad.append("no table of passes")
        i = None
    if i is not None:
        cap = cert["media"]["capacity"]
        for p, r in zip(cert["passes"], rows[i + 1:i + 1 + len(cert["passes"])]):
            back = "%d bytes: every byte" % p["bytes_read_back"] if p["bytes_read_back"] == cap else \
                   "%d of %d bytes" % (p["bytes_read_back"], cap)
            want = [str(p["pass"]), p["pattern"], str(p["bytes_written"]), back, p["verified"],
                    secs(p["write_seconds"]), secs(p["verify_seconds"])]
            if r[:7] != want:
                bad.append("pass %d: %r, certificate gives %r" % (p["pass"], r[:7], want))
    for f in ("E1.wipe.json", "E1.wipe.txt"):
        if [f, sha(os.path.join(case, f))] not in rows:
            bad.append("certificate file %s with its sha256 not listed" % f)
elif what == "case":
    kv = dict(r for r in section("Case") if len(r) == 2)
    recs = [r for r in log if r["action"] != "report"]
    names = []
    for r in recs:
        if r["examiner"] not in names:
            names.append(r["examiner"])
    want = {
        "case id": log[0]["case"],
        "case number": "K-11",
        "description": "seized at the <gate> & searched",
        "examiners": ", ".join(names),
        "first custody event": "%s %s" % (recs[0]["time"], recs[0]["action"]),
        "last custody event": "%s %s (record %d)" % (recs[-1]["time"], recs[-1]["action"], recs[-1]["seq"]),
    }
    for k, v in want.items():
        if kv.get(k) != v:
            bad.append("%s: %r, the log says %r" % (k, kv.get(k), v))
elif what == "custody":
    rows = section("Custody")
    have = [r[:4] + [r[4]] for r in rows if len(r) == 8 and r[0].isdigit()]
    want = [[str(r["seq"]), r["time"], r["examiner"], r["action"], (r.get("subject") or {}).get("evidence") or "-"]
            for r in log if r["action"] != "report"]
    if have != want:
        bad.append("custody rows %r, log %r" % (have, want))
    head = hashlib.sha256(open(os.path.join(case, "custody.log"), "rb").read().splitlines()[-2]).hexdigest()
    if ["chain head", head] not in rows:
        bad.append("chain head %s not shown" % head)
print("\n".join(bad) if bad else "ok")
EOF
check_eq "case: id, case number, description (escaped in the HTML, read back as given), both examiners in order, first and last custody event" \
	ok "$(python3 "$T/check.py" "$C" case)"
check_eq "evidence: E01 with its segments, case number, the card's md5, sha1, sha256 (from its bytes), each segment's size and sha256 (from the disk)" \
	ok "$(python3 "$T/check.py" "$C" evidence "$MD5" "$SHA1" "$SHA256")"
check_eq "wipe: headed by its custody record, time and status; every field of the certificate as a labelled row (no JSON: bytes, offsets, seconds in words, ranges decoded), the passes as a table (pattern, bytes written, read back, result, seconds rounded), the certificate files' sha256" \
	ok "$(python3 "$T/check.py" "$C" wipe)"
check_eq "custody: every record (seq, time, examiner, action, evidence) and the chain head the report was made on" \
	ok "$(python3 "$T/check.py" "$C" custody)"

# ---- the flight's map, against its track and home point ------------------------------
mkdir "$T/u" && tar -xf "$C/E1.evidence.tar" -C "$T/u"
home=$(jq -r '.[] | select(.file == "files/DCIM/DJI_0001.SRT") | "\(.home.lat) \(.home.lon)"' "$T/u/flights.json")
check_eq "flights.json: the SRT's home point" "47.3769 8.5417" "$home"
fl=$(grep -o 'id="clip-map-flight-[0-9]*"' "$H" | head -n 1 | tr -dc 0-9)
check_eq "map of flight ${fl:-?}: labelled meridians and parallels of one scale (Web Mercator, north up); the track, its start, end and home markers where the grid puts their coordinates; the scale bar's label its ground length (1 %); a north arrow" \
	ok "$(python3 "$CT_TOP/tests/e2e/report_map.py" "$H" "${fl:-1}" \
		"$(track_of "$T/u" files/DCIM/DJI_0001.SRT).csv" $home 2>&1 | tail -n 5)"

# the PDF: the wipe's heading and result, every segment's and certificate's sha256
pdftotext -layout "$C/report.pdf" "$T/rep.txt"
tr -s ' \n' ' ' <"$T/rep.txt" >"$T/rep.flat"
wseq=$(jq -r 'select(.action == "wipe") | .seq' "$C/custody.log")
check_eq "PDF: the wipe section, its result" "1 VERIFIED" \
	"$(grep -c "Wipe (custody record $wseq, " "$T/rep.txt") $(jq -r .result "$C/E1.wipe.json")"
missing=
for f in "$C"/E1.E[0-9][0-9] "$C/E1.wipe.json" "$C/E1.wipe.txt"; do
	grep -qF "$(sum "$f")" "$T/rep.flat" || missing+=" ${f##*/}"
done
check_eq "PDF: every segment's and certificate file's sha256" "" "$missing"
check_eq "PDF: the wipe section is labelled rows, no JSON (no braces, brackets or quotes)" "" \
	"$(sed -n '/^Wipe (custody record/,/^certificate  *sha256/p' "$T/rep.txt" | grep '[][{}"]')"
check_eq "PDF: the passes table, seconds rounded" \
	"$(jq -r '.passes[] | "\(.pass) \(.pattern) \(.bytes_written)"' "$C/E1.wipe.json" | paste -sd'|')" \
	"$(awk '/^ *pass +pattern +bytes written/ { on = 1; next } on && /^ *[0-9]+ / { print $1, $2, $3 } on && /^certificate/ { exit }' "$T/rep.txt" | paste -sd'|')"
check_eq "PDF: the wipe certificate's final state" 1 \
	"$(grep -cF "$(jq -r .final_state "$C/E1.wipe.json")" "$T/rep.flat")"

# the timeline: the wipe's two custody events
check_eq "timeline.csv: wipe-start and wipe at their record times" \
	"$(jq -r 'select(.action | startswith("wipe")) | "\(.time) \(.action)"' "$C/custody.log" | paste -sd'|')" \
	"$(awk -F, '$4 ~ /^"custody #[0-9]+ wipe/ { gsub(/"/, "", $4); sub(/^custody #[0-9]+ /, "", $4); print $1, $4 }' "$C/timeline.csv" | paste -sd'|')"
done_testing
