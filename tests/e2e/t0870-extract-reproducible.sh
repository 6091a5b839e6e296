#!/usr/bin/env bash
# Reproducible evidence: every fixture card extracted twice, the second run
# under another TZ, LC_ALL (a German locale, its decimal comma, built with
# localedef when it can be), umask, working folder, CPU set and a second
# later, gives a byte-identical bundle; generated members carry the time
# the evidence fixes (the acquisition's end, 0 for a bare image), owner
# 0/0 and mode 0444, and nothing of the run (the image's path as typed,
# library versions) is inside.  The custody record names the version and
# the parser set.  The report of one case state is the same too (HTML, PDF
# dated by the case, timelines), its time of generation in its record.
. "$CT_TOP"/tests/e2e/lib.sh
CT_FULL_STACKS=1
. "$CT_TOP"/tests/e2e/extract-lib.sh

PATH=$PATH:/usr/sbin:/sbin
for t in mkfs.fat mcopy sfdisk jq sha256sum tar xz; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs dosfstools, mtools, fdisk, jq, xz)"
done
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null CARDTRAIL_EXAMINER=tester
unset CARDTRAIL_SIGN_KEY
MiB=1048576
fx=$CT_TOP/fixtures/flight

# the second run's locale: de_DE.UTF-8 (decimal comma, other collation)
LOC1=C.UTF-8 LOC2=POSIX
mkdir -p "$T/loc"
if command -v localedef >/dev/null 2>&1 &&
	localedef -i de_DE -f UTF-8 "$T/loc/de_DE.UTF-8" >/dev/null 2>&1; then
	LOC2=de_DE.UTF-8
	check_eq "localedef: de_DE.UTF-8 writes a decimal comma" "3,50" \
		"$(LOCPATH=$T/loc LC_ALL=de_DE.UTF-8 /usr/bin/printf '%.2f' 3.5 2>/dev/null)"
	# glibc's newlocale (called by json-c and libp11-kit) leaks its
	# path list when LOCPATH is set: not ours
	{ cat "$CT_TOP/tests/lsan.supp"; printf 'leak:__newlocale\n'; } >"$T/lsan.supp"
	export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"
else
	skip "a German locale" "localedef or its sources (package locales) missing: C.UTF-8 against POSIX"
fi
CPU2=()
command -v taskset >/dev/null 2>&1 && CPU2=(taskset -c 0)

# ---- the cards ----
mkdir -p "$T/cards"
for v in superfloppy mbr hostile dirloop; do
	"$CT_TOP/fixtures/mkflightcard.sh" "$T/cards" $v >/dev/null 2>"$T/mk.err" ||
		{ not_ok "mkflightcard.sh $v"; sed 's/^/#   /' "$T/mk.err"; }
done
# a name that is not ASCII (a pax header of its own)
cp "$T/cards/flightcard-superfloppy.img" "$T/cards/unicode.img"
LC_ALL=C.UTF-8 mcopy -i "$T/cards/unicode.img" "$fx/gen-matrice.SRT" '::/DCIM/ünïcode-Ωmega.SRT' 2>/dev/null ||
	not_ok "mcopy a non-ASCII name"
xz -dc "$CT_TOP/fixtures/card-demo.img.xz" >"$T/cards/demo.img"
gen -t fat12 -s 3 -o "$T/cards/fat12.img"
gen -t fat16 -s 4 --files 3 -o "$T/cards/fat16.img"
gen -t fat32 -s 5 -o "$T/cards/fat32.img"
gen -t exfat -s 6 --files 3 --tz -300 -o "$T/cards/exfat.img"
# two filesystems in an MBR, flight data carved between them
gen -t fat16 -s 1 --files 2 -o "$T/p1.img"
gen -t exfat -s 2 --files 2 --tz 120 -o "$T/p2.img"
truncate -s $((20 * MiB)) "$T/cards/two.img"
printf 'label: dos\nstart=2048, size=16384, type=6\nstart=20480, size=16384, type=7\n' |
	sfdisk -q "$T/cards/two.img" >/dev/null
dd if="$T/p1.img" of="$T/cards/two.img" bs=1M seek=1 conv=notrunc status=none
dd if="$T/p2.img" of="$T/cards/two.img" bs=1M seek=10 conv=notrunc status=none
dd if="$fx/gen.ulg" of="$T/cards/two.img" bs=512 seek=$((9 * MiB / 512 + 8)) conv=notrunc status=none
rm -f "$T/p1.img" "$T/p2.img"

# run2 DIR ARGS...: cardtrail from DIR under the second run's conditions
run2() {
	local d=$1; shift
	(cd "$d" && umask 077 && TZ=America/St_Johns LOCPATH=$T/loc LC_ALL=$LOC2 LANG=$LOC2 \
		"${CPU2[@]}" "$CARDTRAIL" "$@") >"$T/run2.out" 2>"$T/run2.err"
}

# ---- bare images: bundle of IMAGE into OUT, from two working folders ----
mkdir -p "$T/w1" "$T/w2/deeper"
for img in "$T"/cards/*.img; do
	n=${img##*/}
	(cd "$T/w1" && umask 022 && TZ=UTC LC_ALL=$LOC1 "$CARDTRAIL" extract "../cards/$n" out) \
		>"$T/run1.out" 2>"$T/run1.err"
	rc1=$?
	sleep 1.1	# a second later: a time of the run would show
	run2 "$T/w2/deeper" extract "$T/cards/$n" "$T/w2/out"
	rc2=$?
	check_eq "$n: both runs exit alike" "$rc1" "$rc2"
	if grep -q 'Sanitizer\|runtime error' "$T/run1.err" "$T/run2.err"; then
		not_ok "$n: sanitizer report"; grep -h -m1 -A8 'ERROR\|runtime error' "$T/run1.err" "$T/run2.err" | sed 's/^/#   /'
	fi
	[ "$rc1" -le 4 ] && [ -f "$T/w1/out/$n.evidence.tar" ] || {
		not_ok "$n: first run made no bundle"; sed 's/^/#   /' "$T/run1.err"; continue; }
	check_eq "$n: the same bundle, byte for byte" "$(sum "$T/w1/out/$n.evidence.tar")" \
		"$(sum "$T/w2/out/$n.evidence.tar" 2>/dev/null)"
	if ! cmp -s "$T/w1/out/$n.evidence.tar" "$T/w2/out/$n.evidence.tar"; then
		mkdir -p "$T/d1" "$T/d2"
		tar -x -f "$T/w1/out/$n.evidence.tar" -C "$T/d1" 2>/dev/null
		tar -x -f "$T/w2/out/$n.evidence.tar" -C "$T/d2" 2>/dev/null
		diff -r "$T/d1" "$T/d2" | head -n 8 | sed 's/^/#   /'
		rm -rf "$T/d1" "$T/d2"
	fi
done

# what a bundle's members carry: one line per member, name, owner, mode, time
members() { tar --list --verbose --numeric-owner --full-time -f "$1" | awk '{ print $1, $2, $4, $5, $6 }'; }
B=$T/w1/out/flightcard-superfloppy.img.evidence.tar
check_eq "bare image: generated members dated 0 (1970), owner 0/0, mode 0444" \
	"-r--r--r-- 0/0 1970-01-01 00:00:00 MANIFEST.json" \
	"$(members "$B" | grep ' MANIFEST.json$')"
check_eq "bare image: every member owned by 0/0, mode 0444" "" \
	"$(members "$B" | grep -v '^-r--r--r-- 0/0 ')"
check_eq "a card's file keeps its own time" "-r--r--r-- 0/0 2024-05-18 09:14:10 files/DCIM/100MEDIA/DJI_0001.SRT" \
	"$(members "$B" | grep ' files/DCIM/100MEDIA/DJI_0001.SRT$')"
check_eq "no pax record of the run (atime, ctime) and no process id in a header name" 0 \
	"$(grep -a -c -E '[0-9]+ (atime|ctime)=|PaxHeaders\.[0-9]' "$T/w1/out/unicode.img.evidence.tar")"
check_eq "the non-ASCII name is in the bundle" 1 \
	"$(tar --quoting-style=literal -t -f "$T/w1/out/unicode.img.evidence.tar" | grep -c 'ünïcode-Ωmega.SRT$')"
mkdir -p "$T/u"
unpack "$B" "$T/u"
check_eq "MANIFEST names the image by its file name, not as typed" "flightcard-superfloppy.img" \
	"$(mj "$T/u" .image.path)"
check_eq "MANIFEST names the version and parser set, no library versions" \
	"cardtrail 0.1.0 ulog,dataflash,dji-srt,dji-txt,dji-dat,jpeg null" \
	"$(mj "$T/u" '"\(.tool.name) \(.tool.version) \(.tool.parsers | join(",")) \(.tool.libraries)"' |
		sed "s/ $("$CARDTRAIL" --version | awk '{ print $2 }') / 0.1.0 /")"

# ---- a case: two copies of one acquisition, extracted in each ----
img=$T/cards/flightcard-mbr.img
"$CARDTRAIL" image --progress none "$img" "$T/c1" >"$T/img.out" 2>&1 || not_ok "image"
cp -a "$T/c1" "$T/w2/c2"
(cd "$T" && umask 022 && TZ=UTC LC_ALL=$LOC1 "$CARDTRAIL" extract c1 E1) >"$T/run1.out" 2>&1
check_eq "case: extract exits 0" 0 $?
sleep 1.1
run2 "$T/w2/c2" extract . E1
check_eq "case: second extract exits 0" 0 $?
grep -q 'Sanitizer' "$T/run2.err" && { not_ok "case: sanitizer report"; head -n 12 "$T/run2.err" | sed 's/^/#   /'; }
check_eq "case: the same bundle, byte for byte" "$(sum "$T/c1/E1.evidence.tar")" \
	"$(sum "$T/w2/c2/E1.evidence.tar")"
fin=$(jq -r .finished "$T/c1/E1.acquisition.json")
check_eq "case: generated members dated the acquisition's end ($fin)" \
	"$(date -u -d "$fin" '+%Y-%m-%d %H:%M:%S') MANIFEST.json" \
	"$(members "$T/c1/E1.evidence.tar" | awk '$5 == "MANIFEST.json" { print $3, $4, $5 }')"
check_eq "case: the bundles' hashes in both custody logs" "$(sum "$T/c1/E1.evidence.tar")" \
	"$(tail -n 1 "$T/w2/c2/custody.log" | jq -r '.outputs[0].sha256')"
rec=$(tail -n 1 "$T/c1/custody.log")
check_eq "custody extract record: version and parser set of the bundle's maker" \
	"$("$CARDTRAIL" --version | awk '{ print $2 }') ulog,dataflash,dji-srt,dji-txt,dji-dat,jpeg" \
	"$(jq -r '"\(.result.producer.version) \(.result.producer.parsers | join(","))"' <<<"$rec")"
check_eq "custody extract record: the options that shape the bundle" "true null" \
	"$(jq -r '"\(.result.options.carve) \(.result.options.max_files)"' <<<"$rec")"
check_eq "custody extract record: the run's facts (time, host, tool with libraries)" "true true true" \
	"$(jq -r '"\(.time != null) \(.host != null) \(.tool | test("libtsk"))"' <<<"$rec")"

# ---- the report of one case state, twice ----
head_time=$(tail -n 1 "$T/c1/custody.log" | jq -r .time)
cp -a "$T/c1" "$T/w2/r2"
(cd "$T" && umask 022 && TZ=UTC LC_ALL=$LOC1 "$CARDTRAIL" report c1) >"$T/rep1.out" 2>&1
check_eq "report exits 0" 0 $?
sleep 1.1
run2 "$T/w2/r2" report .
check_eq "report: second run exits 0" 0 $?
for f in report.html report.pdf timeline.csv timeline.body; do
	check_eq "report: $f byte for byte the same" "$(sum "$T/c1/$f")" "$(sum "$T/w2/r2/$f" 2>/dev/null)"
done
if command -v pdfinfo >/dev/null 2>&1; then
	check_eq "report: the PDF is dated by the case (the last record before it), not by the run" \
		"$head_time" "$(TZ=UTC pdfinfo -isodates "$T/c1/report.pdf" | sed -n 's/^CreationDate: *//p')"
else
	skip "report: the PDF's date" "pdfinfo (poppler-utils) missing"
fi
check_eq "report: the time of generation is in its custody record" "report true" \
	"$(tail -n 1 "$T/c1/custody.log" | jq -r '"\(.action) \(.time | test("^[0-9-]+T[0-9:]+Z$"))"')"

done_testing
