#!/usr/bin/env bash
# t0710-wipe-safety: what `cardtrail wipe` refuses, and that a refusal
# writes nothing (the backing file's sha256 before and after): a regular
# file, a mounted device, a fixed disk without --force, no --case, a case
# with no custody log, a case imaged from another card, no terminal to
# confirm on, a wrong typed confirmation (and a right one); --dry-run;
# usage errors; --no-image-check with --cert-dir.
# Only loop devices this script creates over files in /dev/shm and $T.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/wipelib.sh"
need_loop

MiB=1048576
SIZE=$((8 * MiB))
SHM=/dev/shm/ct-wsafe-$$
at_exit "rm -f $SHM-*.img"

gen_bytes safe $SIZE >$SHM-a.img
mkloop dev $SHM-a.img || skip_all "losetup failed"
"$CARDTRAIL" image --progress none --hash md5 "$dev" "$T/case" >"$T/image.out" 2>&1 ||
	{ sed 's/^/#   /' "$T/image.out"; skip_all "cannot image the loop device"; }
custody_lines=$(wc -l <"$T/case/custody.log")
H0=$(h $SHM-a.img)

# ---- a regular file -----------------------------------------------------------
gen_bytes file $((1 * MiB)) >"$T/file.img"
hf=$(h "$T/file.img")
wipe file --no-image-check --cert-dir "$T/certs-file" --force --yes --progress none "$T/file.img"
check_rc "regular file: exit 1" 1 $? file
check_msg "regular file: says it is not a block device" file "'$T/file.img' is not a block device"
check_eq "regular file: unchanged" "$hf" "$(h "$T/file.img")"
check_eq "regular file: no certificate directory" no "$([ -e "$T/certs-file" ] && echo yes || echo no)"
wipe file2 --case "$T/case" --force --yes --progress none "$T/file.img"
check_rc "regular file with a case: exit 1" 1 $? file2
check_eq "regular file with a case: unchanged" "$hf" "$(h "$T/file.img")"

# ---- a mounted device --------------------------------------------------------
if command -v mkfs.ext4 >/dev/null; then
	truncate -s $SIZE "$T/ext.img"
	mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 -L EVID "$T/ext.img" 2>/dev/null
	mkloop edev "$T/ext.img" || not_ok "losetup for ext4"
	"$CARDTRAIL" image --progress none --hash md5 "$edev" "$T/case-e" >/dev/null 2>&1 ||
		not_ok "image of the ext4 device"
	mkdir "$T/mnt"
	if mount "$edev" "$T/mnt" 2>"$T/mount.err"; then
		at_exit "umount '$T/mnt'"
		sync
		he=$(h "$T/ext.img")
		wipe mounted --case "$T/case-e" --force --yes --progress none "$edev"
		check_rc "mounted: exit 1" 1 $? mounted
		check_msg "mounted: says so" mounted "mounted"
		sync
		check_eq "mounted: nothing written" "$he" "$(h "$T/ext.img")"
		nothing_new "mounted: no certificate or state" "$T/case-e"
		check_eq "mounted: still mounted" yes "$(mountpoint -q "$T/mnt" && echo yes || echo no)"
		umount "$T/mnt"
		mount -o ro "$edev" "$T/mnt"
		he=$(h "$T/ext.img")
		wipe mounted-ro --case "$T/case-e" --force --yes --progress none "$edev"
		check_rc "mounted read-only: exit 1" 1 $? mounted-ro
		check_msg "mounted read-only: says so" mounted-ro "mounted"
		check_eq "mounted read-only: nothing written" "$he" "$(h "$T/ext.img")"
		umount "$T/mnt"
	else
		skip "mounted device" "cannot mount ext4: $(head -n 1 "$T/mount.err")"
	fi
else
	skip "mounted device" "mkfs.ext4 missing"
fi

# ---- the other refusals: each exit 1, nothing written -----------------------------
# refuse NAME DESC REGEX ARGS...: wipe ARGS on $dev must exit 1 with REGEX
refuse() {
	local name=$1 desc=$2 re=$3
	shift 3
	wipe "$name" "$@"
	check_rc "$desc: exit 1" 1 $? "$name"
	check_msg "$desc: message" "$name" "$re"
	check_eq "$desc: nothing written" "$H0" "$(h $SHM-a.img)"
}
refuse noforce "no --force on a loop device" "not a removable card \(transport loop\).*--force" \
	--case "$T/case" --yes --progress none "$dev"
refuse nocase "no --case" "--case is required" --force --yes --progress none "$dev"
mkdir "$T/empty"
refuse nolog "a case with no custody log" "no custody log in '$T/empty'" \
	--case "$T/empty" --force --yes --progress none "$dev"
check_eq "a case with no custody log: still no custody log" no "$([ -e "$T/empty/custody.log" ] && echo yes || echo no)"
# a case whose image is of a 4 MiB card
gen_bytes other $((4 * MiB)) >$SHM-o.img
mkloop odev $SHM-o.img || not_ok "losetup for the other card"
"$CARDTRAIL" image --progress none --hash md5 "$odev" "$T/case-o" >/dev/null 2>&1 || not_ok "image of the other card"
refuse mismatch "a case imaged from another card" \
	"matches no verified image in '$T/case-o'; imaged there: E1 \(4194304 bytes\)" \
	--case "$T/case-o" --force --yes --progress none "$dev"
nothing_new "a case imaged from another card: no certificate or state" "$T/case-o"
check_eq "a case imaged from another card: custody log unchanged" 2 "$(wc -l <"$T/case-o/custody.log")"
# an image that was not verified does not count
"$CARDTRAIL" image --progress none --hash md5 --verify none "$dev" "$T/case-nv" >/dev/null 2>&1 || not_ok "unverified image"
refuse unverified "a case whose image was not verified" "not verified" \
	--case "$T/case-nv" --force --yes --progress none "$dev"

# ---- no serial: the first MiB must be the image's ---------------------------------
# a loop device has no CID or serial: the size alone does not make it the
# imaged card; one byte changed in its first MiB (sector 8) is refused
flip() { # DEV SECTOR: invert byte 100 of that sector, with O_DIRECT
	dd if="$1" of="$T/sec.bin" bs=512 skip="$2" count=1 iflag=direct status=none
	perl -e 'open(my $f, "+<", $ARGV[0]) or die; sysseek($f, 100, 0); sysread($f, my $b, 1);
		sysseek($f, 100, 0); syswrite($f, chr(ord($b) ^ 0xff));' "$T/sec.bin"
	dd if="$T/sec.bin" of="$1" bs=512 seek="$2" count=1 oflag=direct conv=notrunc status=none
}
flip "$dev" 8
H1=$(h $SHM-a.img)
[ "$H1" != "$H0" ] && ok "content check: one byte changed" || not_ok "content check: one byte changed"
wipe changed --case "$T/case" --force --yes --progress none "$dev"
check_rc "changed first MiB: exit 1" 1 $? changed
check_msg "changed first MiB: message" changed \
	"'$dev' \($SIZE bytes\) matches no verified image in '$T/case': it differs from the image of E1 at offset 4096; .*not the imaged card, or it changed since; image it first \(or --no-image-check\)"
check_eq "changed first MiB: nothing written" "$H1" "$(h $SHM-a.img)"
nothing_new "changed first MiB: no certificate or state" "$T/case"
flip "$dev" 8
check_eq "content check: the byte restored" "$H0" "$(h $SHM-a.img)"
# another card of the same size (and no serial either)
gen_bytes same-size $SIZE >$SHM-s.img
mkloop sdev $SHM-s.img || not_ok "losetup for the same-size card"
hs=$(h $SHM-s.img)
wipe samesize --case "$T/case" --force --yes --progress none "$sdev"
check_rc "another card of the same size: exit 1" 1 $? samesize
check_msg "another card of the same size: message" samesize \
	"'$sdev' \($SIZE bytes\) matches no verified image in '$T/case': it differs from the image of E1 at offset 0"
check_eq "another card of the same size: nothing written" "$hs" "$(h $SHM-s.img)"
check_eq "another card of the same size: the imaged card untouched" "$H0" "$(h $SHM-a.img)"
nothing_new "another card of the same size: no certificate or state" "$T/case"
# with --no-image-check it is wiped, as the message says
wipe samesize-nic --no-image-check --cert-dir "$T/certs-ss" --force --yes --progress none --method zero "$sdev"
check_rc "another card, --no-image-check: exit 0" 0 $? samesize-nic
check_eq "another card, --no-image-check: VERIFIED, no evidence" "VERIFIED null" \
	"$(jq -r '"\(.result) \(.evidence)"' "$T/certs-ss/${sdev##*/}.wipe.json" 2>/dev/null)"

# no terminal to confirm on
if command -v setsid >/dev/null; then
	setsid -w "$CARDTRAIL" wipe --case "$T/case" --force --progress none --method zero "$dev" \
		</dev/null >"$T/notty.out" 2>"$T/notty.err"
	check_rc "no terminal: exit 1" 1 $? notty
	check_msg "no terminal: message" notty "no terminal to confirm on"
	check_eq "no terminal: nothing written" "$H0" "$(h $SHM-a.img)"
else
	skip "no terminal" "setsid missing"
fi
nothing_new "refusals left no certificate or state in the case" "$T/case"
check_eq "refusals left the custody log alone" "$custody_lines" "$(wc -l <"$T/case/custody.log")"

# a typed confirmation through a pty (script from util-linux)
if command -v script >/dev/null; then
	script -qec "$CARDTRAIL wipe --case $T/case --force --progress none --method zero $dev" /dev/null \
		<<<"wrong" >"$T/wrong.out" 2>&1
	check_rc "wrong confirmation: exit 1" 1 $? wrong
	check_msg "wrong confirmation: asks for the size in bytes" wrong "Type the card's size in bytes \($SIZE\)"
	check_msg "wrong confirmation: not confirmed" wrong "not confirmed"
	check_eq "wrong confirmation: nothing written" "$H0" "$(h $SHM-a.img)"
	nothing_new "wrong confirmation: no certificate or state" "$T/case"
	script -qec "$CARDTRAIL wipe --case $T/case --force --progress none --method zero $dev" /dev/null \
		<<<"$SIZE" >"$T/right.out" 2>&1
	check_rc "right confirmation: exit 0" 0 $? right
	check_eq "right confirmation: certificate VERIFIED" VERIFIED "$(jf "$T/case/E1.wipe.json" .result)"
	check_eq "right confirmation: the card reads zeros" "" "$(cmp $SHM-a.img <(head -c $SIZE /dev/zero) 2>&1)"
	# put the original content back for the rest
	gen_bytes safe $SIZE | dd of="$dev" bs=1M oflag=direct status=none
	check_eq "original content restored" "$H0" "$(h $SHM-a.img)"
else
	skip "typed confirmation" "script (util-linux) missing"
fi

# ---- --dry-run ---------------------------------------------------------------
"$CARDTRAIL" image --progress none --hash md5 "$dev" "$T/case-dry" >/dev/null 2>&1 || not_ok "image for the dry run"
wipe dry --case "$T/case-dry" --force --dry-run --method dod3 "$dev"
check_rc "--dry-run: exit 0" 0 $? dry
check_eq "--dry-run: nothing written" "$H0" "$(h $SHM-a.img)"
check_msg "--dry-run: says so" dry "^dry run: every check passed, nothing was written$"
check_msg "--dry-run: prints the passes" dry "pass 3 +keystream +read back and compared"
check_msg "--dry-run: names the evidence" dry "^evidence +E1$"
check_msg "--dry-run: prints the size" dry "\($SIZE bytes\)"
nothing_new "--dry-run: no certificate or state" "$T/case-dry"
check_eq "--dry-run: no custody record" 2 "$(wc -l <"$T/case-dry/custody.log")"
wipe dryj --case "$T/case-dry" --force --dry-run --json --method dod3 --verify last "$dev"
check_rc "--dry-run --json: exit 0" 0 $? dryj
if jq -e . "$T/dryj.out" >/dev/null 2>&1; then ok "--dry-run --json: valid JSON"; else not_ok "--dry-run --json: valid JSON"; show dryj; fi
check_eq "--dry-run --json: the passes" '[{"pattern":"0x00","verify":false},{"pattern":"0xff","verify":false},{"pattern":"keystream","verify":true}]' \
	"$(jq -c .passes "$T/dryj.out")"
check_eq "--dry-run --json: method" dod3 "$(jf "$T/dryj.out" .method)"
check_eq "--dry-run --json: capacity" $SIZE "$(jf "$T/dryj.out" .media.capacity)"
check_eq "--dry-run --json: evidence" E1 "$(jf "$T/dryj.out" .evidence)"
check_eq "--dry-run --json: nothing written" "$H0" "$(h $SHM-a.img)"
nothing_new "--dry-run --json: no certificate or state" "$T/case-dry"

# ---- usage errors: exit 2, nothing written --------------------------------------
usage() { # NAME DESC REGEX ARGS...
	local name=$1 desc=$2 re=$3
	shift 3
	wipe "$name" "$@"
	check_rc "$desc: exit 2" 2 $? "$name"
	check_msg "$desc: message" "$name" "$re"
	check_eq "$desc: nothing written" "$H0" "$(h $SHM-a.img)"
}
usage u1 "--method nope" "unknown method 'nope'" --case "$T/case-dry" --force --yes --method nope "$dev"
usage u2 "--method custom:0xZZ" "'0xZZ' is not a pass" --case "$T/case-dry" --force --yes --method custom:0xZZ "$dev"
usage u3 "--verify sometimes" "'sometimes' is not none, last or all" --case "$T/case-dry" --force --yes --verify sometimes "$dev"
usage u4 "--format ntfs" "'ntfs' is not fat32 or exfat" --case "$T/case-dry" --force --yes --format ntfs "$dev"
usage u5 "--label without --format" "--label goes with --format" --case "$T/case-dry" --force --yes --label X "$dev"
usage u6 "no DEVICE" "expected one DEVICE" --case "$T/case-dry" --force --yes
usage u7 "two DEVICEs" "expected one DEVICE" --case "$T/case-dry" --force --yes "$dev" "$dev"
usage u8 "--method custom: with no pass" "at least one pass" --case "$T/case-dry" --force --yes --method custom: "$dev"
nothing_new "usage errors: no certificate or state" "$T/case-dry"
"$CARDTRAIL" help wipe >"$T/help-wipe.txt"
check_file "cardtrail help wipe golden" "$CT_TOP/tests/golden/help-wipe.txt" "$T/help-wipe.txt"
"$CARDTRAIL" wipe --help >"$T/help-wipe2.txt"
check_file "cardtrail wipe --help equals help wipe" "$T/help-wipe.txt" "$T/help-wipe2.txt"

# ---- --no-image-check --cert-dir DIR, no case -----------------------------------
mkdir "$T/cwd"
logs_before=$(find "$T" -name custody.log | sort | tr '\n' ' ')
( cd "$T/cwd" && "$CARDTRAIL" wipe --no-image-check --cert-dir "$T/certs" --force --yes --progress none \
	--method zero "$dev" >"$T/nic.out" 2>"$T/nic.err" )
check_rc "--no-image-check: exit 0" 0 $? nic
# no serial on a loop device: the certificate is named after the device
name=${dev##*/}
check_eq "--no-image-check: certificate named after the device" "$name.wipe.json $name.wipe.txt" \
	"$(cd "$T/certs" && ls $name.wipe.json $name.wipe.txt 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
cert=$T/certs/$name.wipe.json
check_eq "--no-image-check: no_image_check true" true "$(jf "$cert" .no_image_check)"
check_eq "--no-image-check: no evidence" null "$(jf "$cert" .evidence)"
check_eq "--no-image-check: image_check says so" "NOT checked: --no-image-check was given" "$(jf "$cert" .image_check)"
check_eq "--no-image-check: result VERIFIED" VERIFIED "$(jf "$cert" .result)"
grep -q "Imaged first: *NOT checked" "$T/certs/$name.wipe.txt" && ok "--no-image-check: text certificate says so" ||
	not_ok "--no-image-check: text certificate says so"
check_eq "--no-image-check: no custody log in the cert dir" no "$([ -e "$T/certs/custody.log" ] && echo yes || echo no)"
check_eq "--no-image-check: nothing written in the working directory" "" "$(ls -A "$T/cwd")"
check_eq "--no-image-check: the card reads zeros" "" "$(cmp $SHM-a.img <(head -c $SIZE /dev/zero) 2>&1)"
check_eq "--no-image-check: custody log of the imaged case untouched" 2 "$(wc -l <"$T/case-dry/custody.log")"
check_eq "--no-image-check: no new custody log anywhere" "$logs_before" \
	"$(find "$T" -name custody.log | sort | tr '\n' ' ')"

done_testing
