#!/usr/bin/env bash
# cardtrail verify --reproduce: every recorded extraction is run again from
# the case's image and compared with the recorded bundle.  An intact case
# reproduces (its temporary folder removed after); a bundle altered by one
# digit in a track CSV under a custody log re-chained to match (no
# signatures) passes plain verify, as documented, but --reproduce exits 3
# naming the member and line; a changed byte in a card file is named by
# its offset; the same members repacked by another tar writer, and a
# record whose hash was changed over a genuine bundle, are told apart; a
# bundle another cardtrail version made is said to be one,
# with the members that differ, and not called altered; a missing image
# fails.  Golden outputs (version as VERSION).
. "$CT_TOP"/tests/e2e/lib.sh
CT_FULL_STACKS=1
. "$CT_TOP"/tests/e2e/extract-lib.sh

for t in jq sha256sum tar xz python3; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs jq, xz, python3)"
done
export CARDTRAIL_EXAMINER=tester TMPDIR=$T/tmp
unset CARDTRAIL_SIGN_KEY
mkdir -p "$TMPDIR"
G=$CT_TOP/tests/golden
TAMPER=$CT_TOP/tests/tools/tamper.py
VER=$("$CARDTRAIL" --version | awk '{ print $2 }')
# the part of verify's output that --reproduce adds, and the verdict
tailpart() { sed -n '/^reproduce:/,$p' "$1" | sed "s/cardtrail $VER/cardtrail VERSION/g"; }
# rechain CASE: the bundle's new hash into the log, every prev recomputed
rechain() {
	python3 "$TAMPER" rechain "$1" "$2" "$(sum "$1/E1.evidence.tar")" "${@:3}"
}

xz -dc "$CT_TOP/fixtures/card-demo.img.xz" >"$T/card.img"
"$CARDTRAIL" image --progress none "$T/card.img" "$T/case" >"$T/img.out" 2>&1 || not_ok "image"
ct ex extract "$T/case" E1
check_eq "extract exits 0" 0 "$RC"
orig=$(sum "$T/case/E1.evidence.tar")

# ---- an intact case ----
ct ok verify --reproduce "$T/case"
check_eq "intact: verify --reproduce exits 0" 0 "$RC"
tailpart "$T/ok.out" >"$T/ok.tail"
check_file "intact: reproduced (golden)" "$G/verify-reproduce-ok.txt" "$T/ok.tail"
check_eq "the temporary folder is removed" "" "$(ls -A "$TMPDIR")"
ct okj verify --reproduce --json "$T/case"
check_eq "intact --json: status, the reproduction's sha256 is the recorded one" \
	"reproduced $orig $orig true" \
	"$(jq -r '.reproduce.bundles[0] | "\(.status) \(.sha256) \(.recorded_sha256) \(.sha256 == .recorded_sha256)"' "$T/okj.out")"
check_eq "intact --json: the version and parser set of the bundle's maker" \
	"$VER ulog,dataflash,dji-srt,dji-txt,dji-dat,jpeg" \
	"$(jq -r '.reproduce.bundles[0] | "\(.made_by) \(.parsers)"' "$T/okj.out")"
check_eq "the log is as it was (verify appends nothing)" 3 "$(wc -l <"$T/case/custody.log")"

# ---- one digit of a track CSV, the log re-chained ----
cp -a "$T/case" "$T/alt"
line3() { tar -x -O -f "$1" tracks/0001_DJI_0002.SRT.csv | sed -n 3p; }
python3 "$TAMPER" digit "$T/alt/E1.evidence.tar" tracks/0001_DJI_0002.SRT.csv 3
check_eq "altered: one digit of the latitude on line 3" \
	"2024-05-18T09:14:02.156674,local,47.3976621,8.5451080" \
	"$(line3 "$T/alt/E1.evidence.tar" | cut -d, -f1-4)"
check_eq "altered: it was 47.3976620" "47.3976620" "$(line3 "$T/case/E1.evidence.tar" | cut -d, -f3)"
rechain "$T/alt" "$orig"
ct plain verify "$T/alt"
check_eq "altered, re-chained: plain verify passes (it proves the chain, not the derivation)" \
	"0 verified: 3 records, chain intact, every output re-hashed as recorded" \
	"$RC $(tail -n 1 "$T/plain.out")"
ct alt verify --reproduce "$T/alt"
check_eq "altered: verify --reproduce exits 3" 3 "$RC"
tailpart "$T/alt.out" >"$T/alt.tail"
check_file "altered: member and line named (golden)" "$G/verify-reproduce-altered.txt" "$T/alt.tail"
ct altj verify --reproduce --json "$T/alt"
check_eq "altered --json: first difference" "tracks/0001_DJI_0002.SRT.csv content 3 false" \
	"$(jq -r '.reproduce.bundles[0].first | "\(.member) \(.what) \(.line) \(.offset == null)"' "$T/altj.out")"
check_eq "altered --json: the reproduction is the original bundle" "$orig" \
	"$(jq -r '.reproduce.bundles[0].sha256' "$T/altj.out")"
check_eq "altered: the temporary folder is removed" "" "$(ls -A "$TMPDIR")"

# ---- one byte of a card file: named by its offset ----
cp -a "$T/case" "$T/byte"
python3 "$TAMPER" byte "$T/byte/E1.evidence.tar" files/MISC/FILLER.BIN 1000
rechain "$T/byte" "$orig"
ct byte verify --reproduce "$T/byte"
check_eq "a card file altered: exit 3, member and byte offset" \
	"3 not what the image yields: first difference in member files/MISC/FILLER.BIN, at byte 1000" \
	"$RC $(grep '^  E1.evidence.tar  *NOT REPRODUCED  ' "$T/byte.out" | sed 's/^  E1.evidence.tar  *NOT REPRODUCED  //')"

# ---- a bundle another version made ----
cp -a "$T/case" "$T/old"
python3 "$TAMPER" replace "$T/old/E1.evidence.tar" MANIFEST.json "\"version\":\"$VER\"" '"version":"0.0.1"'
rechain "$T/old" "$orig" "cardtrail $VER (" 'cardtrail 0.0.1 (' "\"version\":\"$VER\"" '"version":"0.0.1"'
ct plainold verify "$T/old"
check_eq "other version: plain verify passes" 0 "$RC"
ct old verify --reproduce "$T/old"
check_eq "other version: verify --reproduce exits 3" 3 "$RC"
tailpart "$T/old.out" >"$T/old.tail"
check_file "other version: says so, lists the members, claims no alteration (golden)" \
	"$G/verify-reproduce-version.txt" "$T/old.tail"
check_eq "other version: not called 'not what the image yields'" 0 \
	"$(grep -c 'not what the image yields' "$T/old.out")"

# ---- the same members, packed by another tar writer ----
cp -a "$T/case" "$T/repack"
python3 -c '
import sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as i, tarfile.open(dst, "w", format=tarfile.GNU_FORMAT) as o:
    for m in i.getmembers():
        o.addfile(m, i.extractfile(m))
' "$T/case/E1.evidence.tar" "$T/repack.tar" && mv "$T/repack.tar" "$T/repack/E1.evidence.tar"
rechain "$T/repack" "$orig"
ct repack verify --reproduce "$T/repack"
check_eq "repacked: exit 3, every member the same, the tar's bytes not" \
	"3 not what the image yields: every member is the same, the tar's own bytes differ (tar headers or padding)" \
	"$RC $(grep '^  E1.evidence.tar  *NOT REPRODUCED  ' "$T/repack.out" | sed 's/^  E1.evidence.tar  *NOT REPRODUCED  //')"

# ---- the genuine bundle, its record's hash changed ----
cp -a "$T/case" "$T/rec"
python3 "$TAMPER" rechain "$T/rec" "$orig" "$(printf '%064d' 0)"
ct rec verify --reproduce "$T/rec"
check_eq "record changed, bundle genuine: exit 3, says which" \
	"3 the bundle in the case is what the image yields, but its record names another sha256" \
	"$RC $(grep '^  E1.evidence.tar  *NOT REPRODUCED  ' "$T/rec.out" | sed 's/^  E1.evidence.tar  *NOT REPRODUCED  //')"

# ---- the image is gone: nothing to re-run ----
cp -a "$T/case" "$T/noimg"
rm "$T/noimg/E1.raw"
ct noimg verify --reproduce "$T/noimg"
check_eq "no image: exit 3" 3 "$RC"
check_eq "no image: the extraction could not be re-run" 1 \
	"$(grep -c '^  E1.evidence.tar  *FAILED  *the extraction of E1 could not be re-run: ' "$T/noimg.out")"
check_eq "no image: the temporary folder is removed" "" "$(ls -A "$TMPDIR")"

done_testing
