#!/usr/bin/env bash
# cardtrail image --format e01: what ewf-tools (libewf's own tools) say of
# every E01 we write (compressed and not, split and not), the case metadata
# in ewfinfo, the record and the custody log (raw images too), the bytes
# ewfexport gives back, a damaged chunk and a missing segment found by
# verify, extract on an E01, refusals and usage errors.
. "$CT_TOP/tests/e2e/lib.sh"
for t in ewfverify ewfinfo ewfexport jq python3; do
	command -v $t >/dev/null || skip_all "$t not installed (ewf-tools, jq, python3)"
done
export CARDTRAIL_EXAMINER="Jo Examiner"
unset CARDTRAIL_SIGN_KEY

MiB=1048576
# A card-like source: random stretches between zeros, 24 MiB.
{
	gen_bytes e01a $((5 * MiB))
	head -c $((7 * MiB)) /dev/zero
	gen_bytes e01b $((3 * MiB))
	head -c $((9 * MiB)) /dev/zero
} >"$T/card.bin"
SIZE=$(stat -c %s "$T/card.bin")
MD5=$(md5sum <"$T/card.bin" | cut -d' ' -f1)
SHA1=$(sha1sum <"$T/card.bin" | cut -d' ' -f1)
SHA256=$(sha256sum <"$T/card.bin" | cut -d' ' -f1)

# ewfinfo_field FILE LABEL: the value after "LABEL:" in ewfinfo's output
ewfinfo_field() { ewfinfo "$1" 2>/dev/null | sed -n "s/^[[:space:]]*$2:[[:space:]]*//p" | head -n 1; }
# exported NAME E01: ewfexport the set to raw, print the raw file's path
exported() {
	ewfexport -u -q -f raw -t "$T/$1" "$2" >"$T/$1.log" 2>&1 && printf '%s' "$T/$1.raw"
}

# --- every combination: compressed or not, split or not -------------------------
for c in none fast best; do
	for split in 0 4MiB; do
		name=$c-$split
		args=(--format e01 --compress "$c" --hash md5,sha1,sha256 --case-number "CASE-17/$c"
		      --description "DJI Mini 3 card, slot A" --notes "sealed in bag 4411"
		      --evidence-number "item-$name")
		[ "$split" = 0 ] || args+=(--split "$split")
		"$CARDTRAIL" image "${args[@]}" --progress none "$T/card.bin" "$T/c-$name" >"$T/$name.out" 2>&1
		check_eq "$name: exit 0" 0 $?
		C=$T/c-$name
		R=$C/E1.acquisition.json
		ewfverify -q "$C/E1.E01" >"$T/$name.verify" 2>&1
		check_eq "$name: ewfverify accepts it" 0 $?
		check_eq "$name: ewfverify's MD5 is the source's" "$MD5" \
			"$(sed -n 's/^MD5 hash calculated over data:[[:space:]]*//p' "$T/$name.verify")"
		check_eq "$name: MD5 stored in the E01" "$MD5" \
			"$(sed -n 's/^MD5 hash stored in file:[[:space:]]*//p' "$T/$name.verify")"
		check_eq "$name: SHA-1 stored in the E01" "$SHA1" "$(ewfinfo_field "$C/E1.E01" SHA1)"
		check_eq "$name: case number in ewfinfo" "CASE-17/$c" "$(ewfinfo_field "$C/E1.E01" 'Case number')"
		check_eq "$name: evidence number in ewfinfo" "item-$name" "$(ewfinfo_field "$C/E1.E01" 'Evidence number')"
		check_eq "$name: examiner in ewfinfo" "Jo Examiner" "$(ewfinfo_field "$C/E1.E01" 'Examiner name')"
		check_eq "$name: description in ewfinfo" "DJI Mini 3 card, slot A" "$(ewfinfo_field "$C/E1.E01" Description)"
		check_eq "$name: notes in ewfinfo" "sealed in bag 4411" "$(ewfinfo_field "$C/E1.E01" Notes)"
		raw=$(exported "exp-$name" "$C/E1.E01")
		check_eq "$name: ewfexport gives back the source's bytes" "" "$(cmp "$raw" "$T/card.bin" 2>&1)"
		check_eq "$name: the exported bytes have the record's MD5" "$(jf "$R" .hashes.md5)" \
			"$(md5sum <"$raw" | cut -d' ' -f1)"
		check_eq "$name: record sha256 is the source's" "$SHA256" "$(jf "$R" .hashes.sha256)"
		check_eq "$name: record says e01, $c" "e01 $c" "$(jf "$R" '"\(.options.format) \(.options.compress)"')"
		# the record lists every segment file with its size and SHA-256
		files=$(cd "$C" && ls E1.E[0-9A-Z][0-9A-Z] | tr '\n' ' ')
		check_eq "$name: record lists the segment files" "$files" "$(jf "$R" '[.segments[].path] | join(" ")') "
		bad=0
		for f in $files; do
			[ "$(jf "$R" ".segments[] | select(.path == \"$f\") | .hashes.sha256")" = \
			  "$(sha256sum <"$C/$f" | cut -d' ' -f1)" ] || bad=1
			[ "$(jf "$R" ".segments[] | select(.path == \"$f\") | .bytes")" = "$(stat -c %s "$C/$f")" ] || bad=1
		done
		check_eq "$name: each segment's sha256 and size in the record" 0 $bad
		"$CARDTRAIL" verify "$C" >"$T/$name.v" 2>&1
		check_eq "$name: cardtrail verify passes" 0 $?
		rm -f "$raw"
	done
done
check_eq "split 4MiB gives several segments" 1 "$([ "$(ls "$T"/c-none-4MiB/E1.E0* | wc -l)" -gt 2 ] && echo 1)"
check_eq "compression shrinks the zeros" 1 "$([ "$(du -b "$T"/c-fast-0/E1.E01 | cut -f1)" -lt $((SIZE / 2)) ] && echo 1)"
check_eq "none stores every byte" 1 "$([ "$(du -b "$T"/c-none-0/E1.E01 | cut -f1)" -gt "$SIZE" ] && echo 1)"
check_eq "ewfinfo: compression level fast" "good (fast) compression" "$(ewfinfo_field "$T/c-fast-0/E1.E01" 'Compression level')"
check_eq "ewfinfo: media size" "$SIZE" "$(ewfinfo_field "$T/c-fast-0/E1.E01" 'Media size' | sed 's/.*(\([0-9]*\) bytes)/\1/')"

# --- the metadata in the record and the custody log, raw images too ---------------
C=$T/c-fast-0
check_eq "record metadata" '{"case_number":"CASE-17/fast","evidence_number":"item-fast-0","examiner":"Jo Examiner","description":"DJI Mini 3 card, slot A","notes":"sealed in bag 4411"}' \
	"$(jq -c .metadata "$C/E1.acquisition.json")"
check_eq "custody record carries the same metadata" "$(jq -c .metadata "$C/E1.acquisition.json")" \
	"$(tail -n 1 "$C/custody.log" | jq -c .subject.metadata)"
check_eq "custody record's examiner is the E01's" "Jo Examiner" "$(tail -n 1 "$C/custody.log" | jq -r .examiner)"
"$CARDTRAIL" image --case-number K-9 --notes "from the controller" --progress none "$T/card.bin" "$T/c-raw" >/dev/null 2>&1
check_eq "raw with case data: exit 0" 0 $?
check_eq "raw: metadata in the record" '{"case_number":"K-9","evidence_number":"E1","examiner":"Jo Examiner","notes":"from the controller"}' \
	"$(jq -c .metadata "$T/c-raw/E1.acquisition.json")"
check_eq "raw: metadata in the custody record" '{"case_number":"K-9","evidence_number":"E1","examiner":"Jo Examiner","notes":"from the controller"}' \
	"$(tail -n 1 "$T/c-raw/custody.log" | jq -c .subject.metadata)"
"$CARDTRAIL" image --format e01 --examiner "Ann Other" --progress none "$T/card.bin" "$T/c-ex" >/dev/null 2>&1
check_eq "--examiner goes into the E01" "Ann Other" "$(ewfinfo_field "$T/c-ex/E1.E01" 'Examiner name')"
check_eq "--examiner goes into the custody record" "Ann Other" "$(tail -n 1 "$T/c-ex/custody.log" | jq -r .examiner)"
check_eq "evidence number defaults to the evidence id" E1 "$(ewfinfo_field "$T/c-ex/E1.E01" 'Evidence number')"
check_eq "without --compress: stored" "no compression" "$(ewfinfo_field "$T/c-ex/E1.E01" 'Compression level')"
check_eq "E01 always stores MD5 and SHA-1" '["md5","sha1","sha256"]' "$(jq -c '.hashes | keys' "$T/c-ex/E1.acquisition.json")"
check_eq "E01: no SHA-256 windows by default (the chunks have checksums)" "0 0" \
	"$(jf "$T/c-ex/E1.acquisition.json" '"\(.window_size) \(.windows | length)"')"
"$CARDTRAIL" image --format e01 --hash-window 4MiB --progress none "$T/card.bin" "$T/c-win" >/dev/null 2>&1
check_eq "E01 with --hash-window: the windows" "$((4 * MiB)) 6" \
	"$(jf "$T/c-win/E1.acquisition.json" '"\(.window_size) \(.windows | length)"')"
check_eq "E01 window 2 is the SHA-256 of those bytes" \
	"$(tail -c +$((8 * MiB + 1)) "$T/card.bin" | head -c $((4 * MiB)) | sha256sum | cut -d' ' -f1)" \
	"$(jf "$T/c-win/E1.acquisition.json" '.windows[2].sha256')"

# --- a flipped byte inside a chunk: verify exit 3 naming the chunk ----------------
# Uncompressed, chunk k's 32 KiB lie in the segment as they are: find chunk 100's.
cp -a "$T/c-none-0" "$T/dmg"
k=100
at=$(python3 -c '
import sys
d = open(sys.argv[1], "rb").read(); s = open(sys.argv[2], "rb").read()
o = int(sys.argv[3]) * 32768
print(d.find(s[o:o + 32768]))' "$T/dmg/E1.E01" "$T/card.bin" $k)
check_eq "chunk $k found in the segment" 1 "$([ "$at" -gt 0 ] && echo 1)"
printf '\x5a' | dd of="$T/dmg/E1.E01" bs=1 seek=$((at + 1000)) conv=notrunc status=none
"$CARDTRAIL" verify "$T/dmg" >"$T/dmg.out" 2>&1
check_eq "damaged chunk: verify exit 3" 3 $?
check_eq "damaged chunk: named with its byte range" 1 \
	"$(grep -c "^  - record 1: the image is damaged: chunk $k (bytes $((k * 32768))-$(((k + 1) * 32768 - 1))) fails its checksum" "$T/dmg.out")"
check_eq "damaged chunk: the segment file is named" 1 "$(grep -c '^  - record 1: image segment E1.E01 does not match' "$T/dmg.out")"
"$CARDTRAIL" extract "$T/dmg" E1 >/dev/null 2>"$T/dmg-x.err"
check_eq "damaged chunk: extract refuses (exit 3)" 3 $?
check_eq "damaged chunk: extract names the chunk" 1 "$(grep -c "chunk $k (bytes" "$T/dmg-x.err")"
# compressed: a byte in the middle of the data, whichever chunk that is
cp -a "$T/c-fast-0" "$T/dmg2"
printf '\x5a' | dd of="$T/dmg2/E1.E01" bs=1 seek=$((MiB + 12345)) conv=notrunc status=none
"$CARDTRAIL" verify "$T/dmg2" >"$T/dmg2.out" 2>&1
check_eq "damaged compressed chunk: verify exit 3" 3 $?
check_eq "damaged compressed chunk: a chunk named" 1 \
	"$(grep -Ec '^  - record 1: the image is damaged: chunk [0-9]+ \(bytes [0-9]+-[0-9]+\) fails its checksum' "$T/dmg2.out")"

# --- a missing segment: reported as missing -------------------------------------
cp -a "$T/c-fast-4MiB" "$T/miss"
rm "$T/miss/E1.E02"
"$CARDTRAIL" verify "$T/miss" >"$T/miss.out" 2>&1
check_eq "missing segment: verify exit 3" 3 $?
check_eq "missing segment: named as missing" 1 "$(grep -c '^  - record 1: output E1.E02 is missing' "$T/miss.out")"
"$CARDTRAIL" extract "$T/miss" E1 >/dev/null 2>"$T/miss-x.err"
check_eq "missing segment: extract refuses" 3 $?

# --- a changed header (the case data) is a changed file -------------------------
cp -a "$T/c-fast-0" "$T/hdr"
python3 - "$T/hdr/E1.E01" <<'EOF'
import sys
p = sys.argv[1]; d = bytearray(open(p, "rb").read())
d[100] ^= 0xff              # inside the header section, before any chunk
open(p, "wb").write(d)
EOF
"$CARDTRAIL" verify "$T/hdr" >"$T/hdr.out" 2>&1
check_eq "changed E01 header: verify exit 3" 3 $?

# --- refusals and usage errors ----------------------------------------------------
gen_bytes odd 1000000 >"$T/odd.bin"
"$CARDTRAIL" image --format e01 --progress none "$T/odd.bin" "$T/c-odd" >/dev/null 2>"$T/err"
check_eq "E01 of a size that is not whole sectors: exit 1" 1 $?
check_eq "... says why" "cardtrail: an E01 holds whole 512-byte sectors: '$T/odd.bin' is 1000000 bytes; image it as raw" "$(cat "$T/err")"
check_eq "... nothing written" no "$([ -e "$T/c-odd" ] && echo yes || echo no)"
"$CARDTRAIL" image --format e01 --split 64K --progress none "$T/card.bin" "$T/c-small" >/dev/null 2>"$T/err"
check_eq "E01 segment below libewf's 1 MiB: exit 1" 1 $?
check_eq "... says why" 1 "$(grep -c 'at least 1 MiB' "$T/err")"
"$CARDTRAIL" image --format e01 --block-size 16K --progress none "$T/card.bin" "$T/c-bs" >/dev/null 2>"$T/err"
check_eq "E01 with a block size below the chunk: exit 1" 1 $?
mkdir -p "$T/c-stray" && echo keep >"$T/c-stray/E1.E02"
"$CARDTRAIL" image --format e01 --evidence-id E1 --progress none "$T/card.bin" "$T/c-stray" >/dev/null 2>"$T/err"
check_eq "a stray E1.E02: refused" 1 $?
check_eq "... untouched" keep "$(cat "$T/c-stray/E1.E02")"
check_eq "... says so" 1 "$(grep -c "E1.E02' is in the way" "$T/err")"
for args in "--format vmdk" "--compress fast" "--format e01 --compress max" "--format raw --compress best"; do
	# shellcheck disable=SC2086
	"$CARDTRAIL" image $args --progress none "$T/card.bin" "$T/c-usage" >/dev/null 2>&1
	check_eq "usage error '$args' exits 2" 2 $?
done
check_eq "usage errors wrote nothing" no "$([ -e "$T/c-usage" ] && echo yes || echo no)"

# --- extract reads an E01 as it reads the raw image -----------------------------
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
if command -v mkfs.fat >/dev/null && command -v mcopy >/dev/null && command -v sfdisk >/dev/null &&
	"$CT_TOP/fixtures/mkflightcard.sh" "$T" mbr >/dev/null 2>&1; then
	"$CARDTRAIL" image --progress none "$T/flightcard-mbr.img" "$T/x-raw" >/dev/null 2>&1
	"$CARDTRAIL" image --format e01 --compress best --split 1M --progress none "$T/flightcard-mbr.img" "$T/x-e01" >/dev/null 2>&1
	check_eq "flight card as E01: exit 0" 0 $?
	"$CARDTRAIL" extract "$T/x-raw" E1 >/dev/null 2>&1
	"$CARDTRAIL" extract "$T/x-e01" E1 >/dev/null 2>"$T/x.err"
	check_eq "extract of the E01: exit 0" 0 $?
	# every file and track the same (the manifest names the image it came from)
	sums() { tar -xOf "$1" SHA256SUMS | grep -v ' MANIFEST.json$'; }
	check_eq "the same files and tracks from the E01 as from the raw image" \
		"$(sums "$T/x-raw/E1.evidence.tar")" "$(sums "$T/x-e01/E1.evidence.tar")"
	check_eq "the manifest names the E01 (by its file name: where the case lies is the run's)" "E1.E01" \
		"$(tar -xOf "$T/x-e01/E1.evidence.tar" MANIFEST.json | jq -r .image.path)"
	"$CARDTRAIL" verify "$T/x-e01" >/dev/null 2>&1
	check_eq "image + extract of an E01: verify passes" 0 $?
	mkdir -p "$T/bare"
	"$CARDTRAIL" extract "$T/x-e01/E1.E01" "$T/bare" >/dev/null 2>&1
	check_eq "extract of a bare .E01 (its segments found): exit 0" 0 $?
	check_eq "bare .E01: the same files and tracks" "$(sums "$T/x-raw/E1.evidence.tar")" \
		"$(sums "$T/bare/E1.E01.evidence.tar")"
else
	skip "extract of an E01" "mkflightcard.sh needs dosfstools, mtools and fdisk"
fi
[ -n "${KEEP:-}" ] && cp -r "$T" "$KEEP"
done_testing
