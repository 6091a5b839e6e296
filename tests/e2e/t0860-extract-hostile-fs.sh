#!/usr/bin/env bash
# cardtrail extract on hostile card filesystems, each built by
# tests/tools/gen-cardimg (not committed images): a volume that claims
# more than the image holds, a folder DAG (2^N paths), 100,001 entries of
# one name in one folder, an entry set that makes libtsk assert, the file
# cap and the time budget of the walk's child process.  Each ends within
# seconds, in bounded memory, with a bundle bounded by the image, the right
# warning and the documented exit status.
. "$CT_TOP"/tests/e2e/lib.sh
. "$CT_TOP"/tests/e2e/extract-lib.sh

for t in jq sha256sum tar; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs jq)"
done
TIME=/usr/bin/time
[ -x $TIME ] || TIME=
MiB=1048576
CT_LIMIT=120
# run NAME ARGS...: cardtrail ARGS under GNU time; RSS in KiB (empty without time)
run() {
	local n=$1; shift
	if [ -n "$TIME" ]; then
		ct "$n" "$TIME" -f %M -o "$T/$n.rss" "$CARDTRAIL" "$@"
		RSS=$(tail -n 1 "$T/$n.rss" 2>/dev/null)
	else
		ct "$n" "$CARDTRAIL" "$@"
		RSS=
	fi
}
# ct NAME COMMAND...: COMMAND under a time limit, SECS and RC set
ct() {
	local n=$1; shift
	local t0 t1
	t0=$(date +%s.%N)
	timeout -k 5 "$CT_LIMIT" "$@" >"$T/$n.out" 2>"$T/$n.err"
	RC=$?
	t1=$(date +%s.%N)
	SECS=$(echo "$t1 - $t0" | bc -l)
	if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/$n.err"; then
		not_ok "$n: sanitizer report"; grep -m1 -A14 'ERROR\|runtime error' "$T/$n.err" | sed 's/^/#   /'
	fi
	return 0
}
bounded() { # DESC VALUE MAX
	if [ -n "$2" ] && [ "$2" -le "$3" ]; then ok "$1 ($2 <= $3)"; else not_ok "$1 ($2 <= $3)"; fi
}
fast() { # DESC SECONDS
	if awk -v s="$SECS" -v m="$2" 'BEGIN { exit !(s <= m) }'; then ok "$1 ($(printf %.1f "$SECS") s)"; else
		not_ok "$1 ($SECS s, more than $2)"; fi
}
bundle() { ls "$1"/*.evidence.tar; }

# ---- 1. claimed size beyond the image ----
gen -t exfat --size $((4 * MiB)) --claim-sectors 4294967296 -o "$T/claim.img"
run claim extract "$T/claim.img" "$T/o-claim"
check_eq "claim (exFAT, 2^32 sectors on 4 MiB): exit 0" 0 "$RC"
fast "claim: ends within seconds" 30
bounded "claim: peak RSS in KiB" "${RSS:-0}" $((300 * 1024))
unpack "$(bundle "$T/o-claim")" "$T/u-claim"
check_eq "claim: bundle verifies" 0 $?
bounded "claim: bundle at most twice the image" "$(stat -c %s "$(bundle "$T/o-claim")")" $((8 * MiB))
check_eq "claim: the volume says what it claims and what the image holds" "2199023255552|4194304" \
	"$(mj "$T/u-claim" '"\(.volumes[0].size)|\(.volumes[0].in_image)"')"
check_eq "claim: a warning says so" 1 \
	"$(mj "$T/u-claim" '[.warnings[] | select(test("says it has 2199023255552 bytes, the image holds 4194304"))] | length')"
check_eq "claim: no orphan search over the blocks it claims (libtsk sizes a bitmap by them)" 1 \
	"$(mj "$T/u-claim" '[.warnings[] | select(test("no search for orphan files: the volume claims 2199023255552 bytes"))] | length')"
check_eq "claim: the carver scanned at most the image" 1 \
	"$(sed -n 's/^carving    \([0-9.]*\) MiB.*/\1/p' "$T/claim.out" | awk '{ print ($1 <= 4.0) }')"

# FAT12 with 4096-byte sectors and 128 sectors per cluster on a floppy that
# claims 2880 of them (11.8 MB), a ULog header in its last cluster
gen -t fat12 --sector 4096 --cluster 128 --claim-sectors 2880 --files 0 --sig-at-end -o "$T/f12.img"
run f12 extract "$T/f12.img" "$T/o-f12"
check_eq "claim (FAT12, 4096 x 128): exit 0" 0 "$RC"
fast "claim (FAT12): ends within seconds" 30
bounded "claim (FAT12): peak RSS in KiB" "${RSS:-0}" $((300 * 1024))
unpack "$(bundle "$T/o-f12")" "$T/u-f12"
bounded "claim (FAT12): bundle at most twice the image" "$(stat -c %s "$(bundle "$T/o-f12")")" $((2 * 1474560))
check_eq "claim (FAT12): the carved ULog ends at the image's end, nothing zero-filled" "1|0" \
	"$(mj "$T/u-f12" '[.files[] | select(.state == "carved")] | "\(length)|\(map(.zero_filled // 0) | add)"')"
check_eq "claim (FAT12): a warning says what it claims and what the image holds" 1 \
	"$(mj "$T/u-f12" '[.warnings[] | select(test("says it has 11796480 bytes, the image holds 1474560"))] | length')"
off=$(mj "$T/u-f12" '.files[] | select(.state == "carved") | .source_offset')
check_eq "claim (FAT12): its size is what the image holds after it" $((1474560 - off)) \
	"$(mj "$T/u-f12" '.files[] | select(.state == "carved") | .size')"

# ---- 2. a folder DAG: D1..D20, each holding the next twice ----
gen -t fat12 --dag 20 -o "$T/dag.img"
run dag extract "$T/dag.img" "$T/o-dag"
check_eq "DAG (depth 20, 2^20 paths): exit 0" 0 "$RC"
fast "DAG: ends within seconds" 30
bounded "DAG: peak RSS in KiB" "${RSS:-0}" $((400 * 1024))
unpack "$(bundle "$T/o-dag")" "$T/u-dag"
bounded "DAG: bundle at most twice the image" "$(stat -c %s "$(bundle "$T/o-dag")")" $((2 * 1474560))
check_eq "DAG: DEEP.SRT extracted once, under the first path" \
	"D1/D2/D3/D4/D5/D6/D7/D8/D9/D10/D11/D12/D13/D14/D15/D16/D17/D18/D19/D20/DEEP.SRT" \
	"$(mj "$T/u-dag" '[.files[] | select(.path | endswith("DEEP.SRT")) | .path] | join(" ")')"
check_eq "DAG: every shared folder listed once, its other path in also_at" 19 \
	"$(mj "$T/u-dag" '[.directories[] | select(.also_at | length == 1)] | length')"
check_eq "DAG: D20 is also at .../D19/X20" \
	"D1/D2/D3/D4/D5/D6/D7/D8/D9/D10/D11/D12/D13/D14/D15/D16/D17/D18/D19/X20" \
	"$(mj "$T/u-dag" '.directories[] | select(.path | endswith("/D20")) | .also_at[0]')"
check_eq "DAG: a warning says the tree leads to folders by several paths (19 entries)" 1 \
	"$(mj "$T/u-dag" '[.warnings[] | select(test("^volume 1: 19 folder entries lead to a folder reached before by another path"))] | length')"

# ---- 3. 100,001 entries named DUP.SRT in one folder ----
gen -t fat16 --dups 100001 --dups-per-folder 200000 -o "$T/dups.img"
run dups extract --no-carve "$T/dups.img" "$T/o-dups"
check_eq "duplicates (100,001 in one folder): exit 0" 0 "$RC"
fast "duplicates: ends within a minute (sanitized build)" 100
bounded "duplicates: peak RSS in KiB" "${RSS:-0}" $((600 * 1024))
tarf=$(bundle "$T/o-dups")
n=$(tar tf "$tarf" | grep -c '^files/DUP1/DUP.SRT')
check_eq "duplicates: every one a member of its own" 100001 "$n"
check_eq "duplicates: the last is DUP.SRT~100001" 1 "$(tar tf "$tarf" | grep -c '^files/DUP1/DUP.SRT~100001$')"
check_eq "duplicates: no member twice" "" "$(tar tf "$tarf" | sort | uniq -d | head -n 3)"
tar -xOf "$tarf" MANIFEST.json >"$T/dups.json"
check_eq "duplicates: a warning counts the files bundled as NAME~N" 1 \
	"$(jq '[.warnings[] | select(test("^100000 files are bundled as NAME~N: the card holds their path more than once"))] | length' "$T/dups.json")"
# bounded by the image: the files' bytes (none here) plus about 1.5 KiB a file
bounded "duplicates: bundle at most 2 x image + 1.5 KiB per file" "$(stat -c %s "$tarf")" \
	$((2 * 8 * MiB + 1536 * (n + 2)))

# ---- 4. libtsk asserts: a deleted exFAT entry set whose name has 0 characters ----
gen -t exfat --zero-name --files 3 -o "$T/zero.img"
run zero extract "$T/zero.img" "$T/o-zero"
check_eq "libtsk assertion: exit 4, a bundle with what was gathered" 4 "$RC"
fast "libtsk assertion: ends within seconds" 30
bounded "libtsk assertion: peak RSS in KiB" "${RSS:-0}" $((300 * 1024))
bounded "libtsk assertion: bundle at most twice the image" "$(stat -c %s "$(bundle "$T/o-zero")")" $((2 * 8 * MiB))
unpack "$(bundle "$T/o-zero")" "$T/u-zero"
check_eq "libtsk assertion: bundle verifies" 0 $?
check_eq "libtsk assertion: the files reported before the crash are there" \
	"DCIM/100MEDIA/DJI_0001.SRT DCIM/100MEDIA/DJI_0002.SRT DCIM/100MEDIA/DJI_0003.SRT" \
	"$(mj "$T/u-zero" '[.files[] | select(.state != "carved") | .path] | join(" ")')"
check_eq "libtsk assertion: a warning names the volume, the signal, libtsk's words, how far it got" 1 \
	"$(mj "$T/u-zero" '[.warnings[] | select(test("^volume 1: the walk of this volume stopped: it was ended by signal 6 \\(ABRT.*Assertion .a_src_len > 0. failed.*it had reported 3 files \\(the last: .DCIM/100MEDIA/DJI_0003.SRT.\\)"))] | length')"
check_eq "libtsk assertion: MANIFEST says incomplete" false "$(mj "$T/u-zero" .complete)"
check_eq "libtsk assertion: the summary says so" 1 \
	"$(grep -c '^WARNING    incomplete: a filesystem could not be walked to its end' "$T/zero.out")"
check_eq "libtsk assertion: the volume was carved as a whole" 8.0 \
	"$(sed -n 's/^carving    \([0-9.]*\) MiB.*/\1/p' "$T/zero.out")"

# ---- 5. the file cap ----
gen -t fat16 --dups 500 -o "$T/cap.img"
run cap extract --no-carve --max-files 100 "$T/cap.img" "$T/o-cap"
check_eq "--max-files 100: exit 4" 4 "$RC"
unpack "$(bundle "$T/o-cap")" "$T/u-cap"
check_eq "--max-files 100: 100 files, a warning, incomplete" "100|1|false" \
	"$(mj "$T/u-cap" '"\(.files | length)|\([.warnings[] | select(test("the cap of 100 files"))] | length)|\(.complete)"')"

# ---- 6. the time budget ----
run slow extract --no-carve --walk-timeout 0.05 "$T/dups.img" "$T/o-slow"
check_eq "--walk-timeout 0.05 on 100,001 entries: exit 4" 4 "$RC"
unpack "$(bundle "$T/o-slow")" "$T/u-slow"
check_eq "--walk-timeout: a warning names the budget and how far the walk got" 1 \
	"$(mj "$T/u-slow" '[.warnings[] | select(test("^volume 1: the walk of this volume stopped: it ran over its time budget of 0.05 s \\(--walk-timeout\\); it had reported [0-9]+ files"))] | length')"

# usage
ct u1 "$CARDTRAIL" extract --walk-timeout 0 "$T/cap.img" "$T/o-u1"
check_eq "--walk-timeout 0: usage error" 2 "$RC"
ct u2 "$CARDTRAIL" extract --max-files x "$T/cap.img" "$T/o-u2"
check_eq "--max-files x: usage error" 2 "$RC"

done_testing
