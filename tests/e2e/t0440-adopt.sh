#!/usr/bin/env bash
# cardtrail adopt: images made elsewhere (ewfacquire's E01, split and not;
# a raw image; split raw; in place) brought into a case, their stored
# hashes checked, verified and extracted with the same files and tracks as
# the raw image of the same card; damaged chunks, a missing segment, an
# E01 with acquisition errors, refusals, usage errors.
. "$CT_TOP/tests/e2e/lib.sh"
PATH=$PATH:/usr/sbin:/sbin
for t in ewfacquire ewfinfo jq mkfs.fat mcopy sfdisk split; do
	command -v $t >/dev/null || skip_all "$t not installed (ewf-tools, jq, dosfstools, mtools, fdisk)"
done
export CARDTRAIL_EXAMINER="Lab Intake" MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
unset CARDTRAIL_SIGN_KEY
# libtsk (extract) leaks in image-format probes it is not asked for here;
# as in t0800, nothing of ours is suppressed.
printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n' >"$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"

"$CT_TOP/fixtures/mkflightcard.sh" "$T" mbr >/dev/null 2>"$T/mk.err" ||
	{ not_ok "mkflightcard.sh mbr"; sed 's/^/#   /' "$T/mk.err"; done_testing; exit; }
CARD=$T/flightcard-mbr.img
MD5=$(md5sum <"$CARD" | cut -d' ' -f1)
SHA1=$(sha1sum <"$CARD" | cut -d' ' -f1)
SHA256=$(sha256sum <"$CARD" | cut -d' ' -f1)
sums() { tar -xOf "$1" SHA256SUMS | grep -v ' MANIFEST.json$'; }
# stored_chunk E01 N: "k offset" of the N-th chunk (from 0) of the card whose
# 32 KiB are stored as they are in the segment file E01, and found there once
# (not zeros, not a repeat): a byte flipped there is in chunk k.
stored_chunk() {
	python3 - "$1" "$CARD" "$2" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read(); s = open(sys.argv[2], "rb").read()
want = int(sys.argv[3])
for k in range(len(s) // 32768):
    c = s[k * 32768:(k + 1) * 32768]
    if len(set(c)) < 32 or d.count(c) != 1:
        continue
    if want == 0:
        print(k, d.find(c))
        break
    want -= 1
EOF
}

# the reference: our own raw image of the card, extracted
"$CARDTRAIL" image --progress none "$CARD" "$T/ref" >/dev/null 2>&1 &&
	"$CARDTRAIL" extract "$T/ref" E1 >/dev/null 2>&1
check_eq "reference image and extract: exit 0" 0 $?
REF=$(sums "$T/ref/E1.evidence.tar")

# ewfacquire, unattended (-u), with case data
mkdir -p "$T/ewf1" "$T/ewf2"
ewfacquire -u -q -c fast -d sha1 -C "CASE-2026-17" -D "controller card" -e "Field Officer" \
	-E "BAG-4411" -N "from the RC" -t "$T/ewf1/card" "$CARD" >"$T/ewf1.log" 2>&1
check_eq "ewfacquire (compressed, one segment): exit 0" 0 $?
ewfacquire -u -q -c none -S 8M -t "$T/ewf2/card" "$CARD" >"$T/ewf2.log" 2>&1
check_eq "ewfacquire (uncompressed, 8 MiB segments): exit 0" 0 $?
check_eq "ewfacquire wrote several segments" 1 "$([ "$(ls "$T"/ewf2/card.E* | wc -l)" -ge 8 ] && echo 1)"

# adopt NAME ARGS...: run adopt, output in $T/NAME.out, status in RC
adopt() {
	local n=$1; shift
	"$CARDTRAIL" adopt --progress none "$@" >"$T/$n.out" 2>&1
	RC=$?
	if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/$n.out"; then
		not_ok "$n: sanitizer report"; head -n 30 "$T/$n.out" | sed 's/^/#   /'
	fi
}
# adopted_ok NAME CASE: the checks every good adoption passes
adopted_ok() {
	local n=$1 C=$2 R=$2/E1.acquisition.json
	check_eq "$n: exit 0" 0 "$RC"
	[ "$RC" = 0 ] || sed 's/^/#   /' "$T/$n.out" | tail -n 5
	check_eq "$n: sha256 of the card" "$SHA256" "$(jf "$R" .hashes.sha256)"
	check_eq "$n: record complete" true "$(jf "$R" .complete)"
	check_eq "$n: custody record says adopt" adopt "$(tail -n 1 "$C/custody.log" | jq -r .action)"
	check_eq "$n: custody record has the sha256" "$SHA256" "$(tail -n 1 "$C/custody.log" | jq -r .result.hashes.sha256)"
	"$CARDTRAIL" verify "$C" >"$T/$n.verify" 2>&1
	check_eq "$n: verify passes" 0 $?
	"$CARDTRAIL" extract "$C" E1 >"$T/$n.extract" 2>&1
	check_eq "$n: extract: exit 0" 0 $?
	check_eq "$n: the same files and tracks as the raw image" "$REF" "$(sums "$C/E1.evidence.tar" 2>/dev/null)"
	"$CARDTRAIL" verify "$C" >"$T/$n.verify2" 2>&1
	check_eq "$n: verify passes after the extract" 0 $?
}

# --- an E01 from ewfacquire, one compressed segment -------------------------------
adopt e1 "$T/ewf1/card.E01" "$T/c1"
adopted_ok e1 "$T/c1"
R=$T/c1/E1.acquisition.json
check_eq "e1: copied in as E1.E01" "$(sha256sum <"$T/ewf1/card.E01" | cut -d' ' -f1)" \
	"$(sha256sum <"$T/c1/E1.E01" | cut -d' ' -f1)"
check_eq "e1: stored MD5 matches" "true $MD5" "$(jf "$R" '"\(.adopted.stored_hashes.md5.match) \(.adopted.stored_hashes.md5.stored)"')"
check_eq "e1: stored SHA-1 matches" "true $SHA1" "$(jf "$R" '"\(.adopted.stored_hashes.sha1.match) \(.adopted.stored_hashes.sha1.stored)"')"
check_eq "e1: what ewfacquire wrote is recorded" "CASE-2026-17|controller card|Field Officer|BAG-4411|from the RC" \
	"$(jf "$R" '.adopted.found | "\(.case_number)|\(.description)|\(.examiner_name)|\(.evidence_number)|\(.notes)"')"
check_eq "e1: the tool version" "$(ewfacquire -V 2>/dev/null | awk '/ewfacquire/ { print $2; exit }')" \
	"$(jf "$R" .adopted.found.acquiry_software_version)"
check_eq "e1: the format" "EnCase 6" "$(jf "$R" .adopted.media.ewf_format)"
check_eq "e1: case data taken from the E01" "CASE-2026-17|BAG-4411|Lab Intake" \
	"$(jf "$R" '.metadata | "\(.case_number)|\(.evidence_number)|\(.examiner)"')"
check_eq "e1: the custody input is the original with its sha256" \
	"$(realpath "$T/ewf1/card.E01") $(sha256sum <"$T/ewf1/card.E01" | cut -d' ' -f1)" \
	"$(tail -n 2 "$T/c1/custody.log" | head -n 1 | jq -r '.inputs[0] | "\(.path) \(.sha256)"')"
check_eq "e1: summary says the stored md5 matches" 1 "$(grep -c "^  stored     md5 $MD5  matches the image$" "$T/e1.out")"

# --- the same card, uncompressed in 8 MiB segments (the first names the set) -------
adopt e2 --case-number "K-1" "$T/ewf2/card.E01" "$T/c2"
adopted_ok e2 "$T/c2"
check_eq "e2: every segment copied" "$(cd "$T/ewf2" && ls card.E* | sed 's/^card/E1/' | tr '\n' ' ')" \
	"$(cd "$T/c2" && ls E1.E[0-9]* | tr '\n' ' ')"
check_eq "e2: --case-number wins over the E01's" K-1 "$(jf "$T/c2/E1.acquisition.json" .metadata.case_number)"

# --- a raw image, and split raw found from its .001 ------------------------------
cp "$CARD" "$T/card.dd"
adopt raw "$T/card.dd" "$T/c3"
adopted_ok raw "$T/c3"
check_eq "raw: E1.raw is the card" "" "$(cmp "$T/c3/E1.raw" "$CARD" 2>&1)"
check_eq "raw: no stored hashes to check" 0 "$(jf "$T/c3/E1.acquisition.json" '.adopted.stored_hashes // {} | length')"
check_eq "raw: summary says so" 1 "$(grep -c 'no hashes stored in the image' "$T/raw.out")"
mkdir -p "$T/split"
split -b 16M -d -a 3 --numeric-suffixes=1 "$CARD" "$T/split/card."
adopt split "$T/split/card.001" "$T/c4"
adopted_ok split "$T/c4"
check_eq "split: the segments found" "$(ls "$T"/split | wc -l)" "$(jf "$T/c4/E1.acquisition.json" '.segments | length')"
check_eq "split: segment 2 is the original's" "$(sha256sum <"$T/split/card.002" | cut -d' ' -f1)" \
	"$(jf "$T/c4/E1.acquisition.json" '.segments[1].hashes.sha256')"

# --- in place: referenced where it lies, re-hashed there by verify ----------------
cp -a "$T/ewf2" "$T/ewf3"
adopt inplace --in-place "$T/ewf3/card.E01" "$T/c5"
adopted_ok inplace "$T/c5"
check_eq "in place: nothing copied" "" "$(cd "$T/c5" && ls E1.E* 2>/dev/null)"
check_eq "in place: the record names the files where they lie" "$(realpath "$T/ewf3/card.E01")" \
	"$(jf "$T/c5/E1.acquisition.json" '.segments[0].path')"
read -r k at <<<"$(stored_chunk "$T/ewf3/card.E01" 0)"
check_eq "in place: a chunk found as it is in the segment" 1 "$([ "${at:--1}" -gt 0 ] && echo 1)"
printf '\x01' | dd of="$T/ewf3/card.E01" bs=1 seek=$((at + 77)) conv=notrunc status=none
"$CARDTRAIL" verify "$T/c5" >"$T/inplace-bad.out" 2>&1
check_eq "in place, a byte changed where it lies: verify exit 3" 3 $?
check_eq "in place: the damaged chunk named" 1 \
	"$(grep -c "^  - record [0-9]*: the image is damaged: chunk $k (bytes $((k * 32768))-$(((k + 1) * 32768 - 1))) fails its checksum" "$T/inplace-bad.out")"

# --- a damaged chunk before adoption: adopted, recorded as such, exit 3 ------------
cp -a "$T/ewf2" "$T/ewf4"
read -r k at <<<"$(stored_chunk "$T/ewf4/card.E01" 1)"
printf '\x01' | dd of="$T/ewf4/card.E01" bs=1 seek=$((at + 5)) conv=notrunc status=none
adopt damaged "$T/ewf4/card.E01" "$T/c6"
check_eq "damaged: exit 3" 3 "$RC"
check_eq "damaged: the chunk named" 1 \
	"$(grep -c "^cardtrail: chunk $k (bytes $((k * 32768))-$(((k + 1) * 32768 - 1))) fails its checksum" "$T/damaged.out")"
check_eq "damaged: record status" stored-hash-mismatch "$(jf "$T/c6/E1.acquisition.json" .status)"
check_eq "damaged: the stored MD5 does not match what was read" false \
	"$(jf "$T/c6/E1.acquisition.json" .adopted.stored_hashes.md5.match)"
check_eq "damaged: logged with exit 3" 3 "$(tail -n 1 "$T/c6/custody.log" | jq .result.exit)"

# --- a missing segment: reported as missing --------------------------------------
cp -a "$T/ewf2" "$T/ewf5"
rm "$T/ewf5/card.E03"
adopt missing "$T/ewf5/card.E01" "$T/c7"
check_eq "missing segment: not adopted (exit 1)" 1 "$RC"
check_eq "missing segment: reported as missing" 1 \
	"$(grep -c "^cardtrail: the E01 set of '$T/ewf5/card.E01' is incomplete: the segment after '$T/ewf5/card.E02' is missing" "$T/missing.out")"
check_eq "missing segment: nothing made" no "$([ -e "$T/c7" ] && echo yes || echo no)"
adopt missing2 "$T/ewf5/card.E01" "$T/ewf5/card.E02" "$T/ewf5/card.E04" "$T/c8"
check_eq "missing segment named by hand: not adopted" 1 "$RC"

# --- an E01 with acquisition errors (ewfacquire over a failing card) ---------------
# (ewfacquire gives up on a failing file; on a device it lists the errors:
# a read-only loop device over the FUSE file)
if [ "$(id -u)" -eq 0 ] && [ -e /dev/fuse ] && [ -x "${FAULTFS:-}" ] && command -v fusermount3 >/dev/null &&
	command -v losetup >/dev/null && [ -e /dev/loop-control ]; then
	. "$CT_TOP/tests/e2e/faultfs.sh"
	if faultfs_mount "$CARD" "$T/mnt" --bad 40M:4096 && mkloop fdev "$T/mnt/disk" ro; then
		mkdir -p "$T/ewf6"
		ewfacquire -u -q -c fast -r 0 -t "$T/ewf6/card" "$fdev" >"$T/ewf6.log" 2>&1
		check_eq "ewfacquire over the failing card: exit 0" 0 $?
		losetup -d "$fdev"
		faultfs_umount "$T/mnt"
		adopt acqerr "$T/ewf6/card.E01" "$T/c9"
		check_eq "acquisition errors: exit 4" 4 "$RC"
		check_eq "acquisition errors: the range from the E01 in the record" 1 \
			"$(jq -r '.bad_ranges[] | "\(.offset) \(.length)"' "$T/c9/E1.acquisition.json" |
				awk -v o=$((40 << 20)) '$1 <= o && $1 + $2 >= o + 4096' | wc -l)"
		"$CARDTRAIL" verify "$T/c9" >/dev/null 2>&1
		check_eq "acquisition errors: verify passes" 0 $?
	else
		not_ok "faultfs mounts, a loop device over it"
	fi
else
	skip "E01 with acquisition errors" "needs root, FUSE, loop devices and the faultfs helper"
fi

# --- refusals and usage errors ---------------------------------------------------
"$CARDTRAIL" adopt --progress none "$T/nonexistent.E01" "$T/c10" >/dev/null 2>"$T/err"
check_eq "missing file: exit 1" 1 $?
check_eq "missing file: says so" "cardtrail: cannot open '$T/nonexistent.E01': No such file or directory" "$(cat "$T/err")"
check_eq "missing file: nothing made" no "$([ -e "$T/c10" ] && echo yes || echo no)"
head -c 1000 "$CARD" >"$T/s.001"; head -c 2000 "$CARD" >"$T/s.002"
"$CARDTRAIL" adopt --progress none "$T/s.001" "$T/c11" >/dev/null 2>"$T/err"
check_eq "split raw with a larger last segment: exit 1" 1 $?
check_eq "... says why" 1 "$(grep -c 'must all have the size of the first' "$T/err")"
"$CARDTRAIL" adopt --evidence-id E1 --progress none "$T/card.dd" "$T/c3" >/dev/null 2>"$T/err"
check_eq "an evidence id in use: exit 1" 1 $?
check_eq "... nothing overwritten" "" "$(cmp "$T/c3/E1.raw" "$CARD" 2>&1)"
for args in "" "onlyone" "--bogus x y" "--hash crc x y" "--evidence-id ../x x y"; do
	# shellcheck disable=SC2086
	"$CARDTRAIL" adopt $args >/dev/null 2>&1
	check_eq "usage error '$args' exits 2" 2 $?
done
"$CARDTRAIL" help adopt >"$T/help-adopt.txt"
check_file "cardtrail help adopt golden" "$CT_TOP/tests/golden/help-adopt.txt" "$T/help-adopt.txt"
[ -n "${KEEP:-}" ] && cp -r "$T" "$KEEP"
done_testing
