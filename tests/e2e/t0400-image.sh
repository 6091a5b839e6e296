#!/usr/bin/env bash
# cardtrail image on regular files: hashes against coreutils, split output,
# odd sizes, the record's fields, evidence ids, refusals and usage errors.
. "$CT_TOP/tests/e2e/lib.sh"

gen_bytes img 5000000 >"$T/card.bin"          # not a multiple of 512
gen_bytes odd 1000 >"$T/tiny.bin"

# --- hashes equal coreutils' -------------------------------------------------
"$CARDTRAIL" image --hash md5,sha1,sha256,sha512 --progress none "$T/card.bin" "$T/case" >"$T/out" 2>"$T/err"
check_eq "image exits 0" 0 $?
rec=$T/case/E1.acquisition.json
for h in md5 sha1 sha256 sha512; do
	check_eq "$h equals ${h}sum" "$(${h}sum <"$T/card.bin" | cut -d' ' -f1)" "$(jf "$rec" ".hashes.$h")"
done
check_eq "E1.raw is byte-identical to the source" "" "$(cmp "$T/card.bin" "$T/case/E1.raw" 2>&1)"
check_eq "bytes recorded" 5000000 "$(jf "$rec" .bytes)"
check_eq "complete" true "$(jf "$rec" .complete)"
check_eq "no bad ranges" 0 "$(jf "$rec" '.bad_ranges | length')"
check_eq "image verified" true "$(jf "$rec" .verify.image.match)"
check_eq "source verified byte for byte" 5000000 "$(jf "$rec" .verify.source.compared_bytes)"
check_eq "summary names the sha256" 1 "$(grep -c "sha256 *$(sha256sum <"$T/card.bin" | cut -d' ' -f1)" "$T/out")"
check_eq "mapfile says all finished" "0x00000000  0x004C4B40  +" "$(grep -v '^#' "$T/case/E1.map" | tail -n 1)"

# --- default hash is sha256 only; windows ------------------------------------
"$CARDTRAIL" image --hash-window 1MiB --progress none "$T/card.bin" "$T/case" >/dev/null 2>&1
check_eq "second image gets E2" 0 $?
rec2=$T/case/E2.acquisition.json
check_eq "default hash list is sha256" '["sha256"]' "$(jq -c '.hashes | keys' "$rec2")"
check_eq "5 windows of 1 MiB" 5 "$(jf "$rec2" '.windows | length')"
w4=$(tail -c +$((4 * 1048576 + 1)) "$T/card.bin" | sha256sum | cut -d' ' -f1)
check_eq "last window hash is sha256 of the tail" "$w4" "$(jf "$rec2" '.windows[4].sha256')"
check_eq "last window length" $((5000000 - 4 * 1048576)) "$(jf "$rec2" '.windows[4].length')"

# --- split output reassembles; segment hashes -------------------------------
"$CARDTRAIL" image --split 2MiB --hash md5,sha256 --evidence-id S1 --progress none "$T/card.bin" "$T/case" >/dev/null 2>&1
check_eq "split image exits 0" 0 $?
check_eq "three segments" "S1.001 S1.002 S1.003" "$(cd "$T/case" && echo S1.0*)"
check_eq "segments reassemble to the source" "" "$(cat "$T"/case/S1.0* | cmp - "$T/card.bin" 2>&1)"
recs=$T/case/S1.acquisition.json
for i in 0 1 2; do
	f=$(jf "$recs" ".segments[$i].path")
	check_eq "segment $f md5" "$(md5sum <"$T/case/$f" | cut -d' ' -f1)" "$(jf "$recs" ".segments[$i].hashes.md5")"
	check_eq "segment $f sha256" "$(sha256sum <"$T/case/$f" | cut -d' ' -f1)" "$(jf "$recs" ".segments[$i].hashes.sha256")"
done
check_eq "last segment size" $((5000000 - 4194304)) "$(stat -c %s "$T/case/S1.003")"

# --- a tiny file and an empty one --------------------------------------------
"$CARDTRAIL" image --hash md5 --progress none "$T/tiny.bin" "$T/case2" >/dev/null 2>&1
check_eq "1000-byte file image exits 0" 0 $?
check_eq "1000-byte file md5" "$(md5sum <"$T/tiny.bin" | cut -d' ' -f1)" "$(jf "$T/case2/E1.acquisition.json" .hashes.md5)"
: >"$T/empty.bin"
"$CARDTRAIL" image --progress none "$T/empty.bin" "$T/case3" >/dev/null 2>&1
check_eq "empty file image exits 0" 0 $?
check_eq "empty image sha256" e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 "$(jf "$T/case3/E1.acquisition.json" .hashes.sha256)"
check_eq "empty E1.raw exists" 0 "$(stat -c %s "$T/case3/E1.raw")"

# --- --json prints the record with the documented fields ---------------------
"$CARDTRAIL" image --json --progress none "$T/tiny.bin" "$T/case4" >"$T/j.json" 2>/dev/null
check_eq "--json exits 0" 0 $?
check_eq "--json is the record as written" "$(jq -S . "$T/case4/E1.acquisition.json")" "$(jq -S . "$T/j.json")"
for k in evidence source identity hashes windows segments bad_ranges started finished bytes verify complete tool; do
	check_eq "record has $k" true "$(jq "has(\"$k\")" "$T/j.json")"
done
for k in path kind size logical_sector_size physical_sector_size; do
	check_eq "source has $k" true "$(jq ".source | has(\"$k\")" "$T/j.json")"
done
check_eq "tool names libgcrypt's version" "$(jf "$T/j.json" .tool.libraries.libgcrypt)" \
	"$("$CARDTRAIL" --version | sed -n 's/.*libgcrypt \([^,]*\),.*/\1/p')"
check_eq "started is UTC ISO 8601" 1 "$(jf "$T/j.json" .started | grep -Ec '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$')"

# --- nothing is overwritten ---------------------------------------------------
before=$(sha256sum "$T/case/S1.acquisition.json")
"$CARDTRAIL" image --evidence-id S1 --progress none "$T/tiny.bin" "$T/case" >/dev/null 2>"$T/err"
check_eq "existing evidence id refused with exit 1" 1 $?
check_eq "refusal says it exists" 1 "$(grep -c 'S1 already exists' "$T/err")"
check_eq "existing record untouched" "$before" "$(sha256sum "$T/case/S1.acquisition.json")"
: >"$T/case5.E1.raw"; mkdir -p "$T/case5"; echo keep >"$T/case5/E1.raw"
"$CARDTRAIL" image --progress none "$T/tiny.bin" "$T/case5" >/dev/null 2>&1
check_eq "a stray E1.raw makes the next image E2" E2 "$(cd "$T/case5" && ls *.acquisition.json | sed 's/\..*//')"
check_eq "stray E1.raw untouched" keep "$(cat "$T/case5/E1.raw")"

# --- usage errors: exit 2, nothing written -------------------------------------
for args in "--hash crc32" "--verify maybe" "--split 0" "--block-size 1000" "--progress loud" "--bogus" "--retries x" "onlyone"; do
	# shellcheck disable=SC2086
	"$CARDTRAIL" image $args "$T/tiny.bin" "$T/usage-case" >/dev/null 2>"$T/err"
	rc=$?
	[ "$args" = onlyone ] && { "$CARDTRAIL" image "$T/tiny.bin" >/dev/null 2>"$T/err"; rc=$?; }
	check_eq "usage error '$args' exits 2" 2 $rc
done
check_eq "usage errors wrote nothing" no "$([ -e "$T/usage-case" ] && echo yes || echo no)"
"$CARDTRAIL" image --progress none "$T/nonexistent" "$T/case6" >/dev/null 2>"$T/err"
check_eq "missing source exits 1" 1 $?
check_eq "missing source message" "cardtrail: cannot open '$T/nonexistent': No such file or directory" "$(cat "$T/err")"
check_eq "missing source wrote nothing" no "$([ -e "$T/case6" ] && echo yes || echo no)"
"$CARDTRAIL" image --progress none /dev/null "$T/case7" >/dev/null 2>"$T/err"
check_eq "character device refused" 1 $?
"$CARDTRAIL" image --resume --progress none "$T/tiny.bin" "$T/case8" >/dev/null 2>"$T/err"
check_eq "--resume without --evidence-id refused" 1 $?

# --- golden help texts ---------------------------------------------------------
"$CARDTRAIL" --help >"$T/help.txt"
check_file "cardtrail --help golden" "$CT_TOP/tests/golden/help.txt" "$T/help.txt"
"$CARDTRAIL" help image >"$T/help-image.txt"
check_file "cardtrail help image golden" "$CT_TOP/tests/golden/help-image.txt" "$T/help-image.txt"
"$CARDTRAIL" image --help >"$T/help-image2.txt"
check_file "image --help equals help image" "$T/help-image.txt" "$T/help-image2.txt"
"$CARDTRAIL" help devices >"$T/help-devices.txt"
check_file "cardtrail help devices golden" "$CT_TOP/tests/golden/help-devices.txt" "$T/help-devices.txt"
"$CARDTRAIL" frobnicate >/dev/null 2>&1
check_eq "unknown command exits 2" 2 $?
"$CARDTRAIL" --version >"$T/v"
check_eq "--version names the libraries" 1 "$(grep -Ec '^cardtrail [0-9.]+ \(libgcrypt [0-9.]+, libblkid [0-9.]+, libarchive [0-9.]+, json-c [0-9.]+(, [a-z0-9-]+ [0-9.]+)*\)$' "$T/v")"
if [ -w /dev/full ]; then
	"$CARDTRAIL" image --progress none "$T/tiny.bin" "$T/case9" >/dev/full 2>/dev/null
	check_eq "a summary that cannot be printed is a failure" 1 $?
fi
done_testing
