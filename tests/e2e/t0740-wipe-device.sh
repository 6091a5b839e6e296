#!/usr/bin/env bash
# t0740-wipe-device: the device written is the one that was checked.
#   A device that backs a loop device is in use (mounted or not); a
#   read-only card is refused before anything is written; --dry-run makes
#   every check the real run makes, the exclusive open included; the
#   identity, the checks, the wipe and --format act on one open
#   descriptor: a path that names another device half-way through changes
#   nothing.  Loop devices over files this script creates only.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/wipelib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
need_loop

MiB=1048576
SIZE=$((16 * MiB))
SHM=/dev/shm/ct-wdev-$$
at_exit "rm -f $SHM-*.img"

wipes() { jq -s '[.[] | select(.action | startswith("wipe"))] | length' "$1/custody.log"; }

gen_bytes dev $SIZE >$SHM-a.img
mkloop dev $SHM-a.img || skip_all "losetup failed"
"$CARDTRAIL" image --progress none --hash md5 "$dev" "$T/case" >"$T/image.out" 2>&1 ||
	{ sed 's/^/#   /' "$T/image.out"; skip_all "cannot image the card"; }
H0=$(h $SHM-a.img)
# refused NAME DESC REGEX ARGS...: the wipe of $dev exits 1, says REGEX,
# writes nothing and records nothing
refused() {
	local name=$1 desc=$2 re=$3
	shift 3
	wipe "$name" --case "$T/case" --force --yes --method zero "$@" "$dev"
	check_rc "$desc: exit 1" 1 $? "$name"
	check_msg "$desc: says why" "$name" "$re"
	check_eq "$desc: nothing written" "$H0" "$(h $SHM-a.img)"
	nothing_new "$desc: no certificate or state" "$T/case"
	check_eq "$desc: no wipe record" 0 "$(wipes "$T/case")"
}

# ---- a device that backs a loop device is in use -----------------------------------
# a "partition" of the card at 1 MiB as a loop device over the card
part=$(losetup -f --show -o $MiB --sizelimit $((8 * MiB)) "$dev") || not_ok "losetup -o over the card"
at_exit "loop_release $part $dev"
refused lb "the card backs a loop device" \
	"'$dev' is in use: $part is a loop device over $dev at offset 1048576; detach it first \\(losetup -d\\)"
refused lbd "the card backs a loop device (--dry-run)" "'$dev' is in use: $part is a loop device over $dev" \
	--dry-run
if command -v mkfs.ext4 >/dev/null; then
	# no lazy inode table or journal init: the kernel would write them after
	# the hash below is taken, and a change the wipe did not make would show
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$part" >/dev/null 2>&1
	mkdir "$T/mnt"
	if mount "$part" "$T/mnt" 2>"$T/mount.err"; then
		at_exit "umount '$T/mnt'"
		echo evidence >"$T/mnt/f" && sync
		H0=$(h $SHM-a.img)
		refused lbm "the card's partition loop-mounted read-write" \
			"'$dev' is in use: $part is a loop device over $dev at offset 1048576 and mounted read-write at $T/mnt"
		check_eq "the loop-mounted filesystem still mounted" yes "$(mountpoint -q "$T/mnt" && echo yes || echo no)"
		umount "$T/mnt"
	else
		skip "a loop-mounted partition" "cannot mount ext4: $(head -n 1 "$T/mount.err")"
	fi
fi
losetup -d "$part"
# restore the card as imaged (mkfs.ext4 wrote into it)
gen_bytes dev $SIZE | dd of="$dev" bs=1M oflag=direct status=none
H0=$(h $SHM-a.img)

# ---- a read-only card is refused before anything is written --------------------------------
rodev=$(losetup -f --show -r $SHM-a.img) || not_ok "losetup -r"
at_exit "loop_release $rodev $SHM-a.img"
wipe ro --case "$T/case" --force --yes --method nist-clear "$rodev"
check_rc "a read-only card (losetup -r): exit 1" 1 $? ro
check_msg "a read-only card: says why" ro \
	"'$rodev' is read-only \\(the kernel marks it read-only \\(BLKROGET, sysfs ro\\): the card's lock switch, the reader's write protection, or blockdev --setro\\): nothing was written"
check_eq "a read-only card: nothing written" "$H0" "$(h $SHM-a.img)"
nothing_new "a read-only card: no certificate" "$T/case"
check_eq "a read-only card: no wipe record" 0 "$(wipes "$T/case")"
wipe rod --case "$T/case" --force --yes --dry-run "$rodev"
check_rc "a read-only card (--dry-run): exit 1" 1 $? rod
losetup -d "$rodev"
blockdev --setro "$dev"
at_exit "blockdev --setrw $dev"
wipe setro --case "$T/case" --force --yes --method zero "$dev"
check_rc "blockdev --setro: exit 1" 1 $? setro
check_msg "blockdev --setro: says why" setro "is read-only \\(the kernel marks it read-only \\(BLKROGET, sysfs ro\\)"
check_eq "blockdev --setro: nothing written" "$H0" "$(h $SHM-a.img)"
blockdev --setrw "$dev"

# ---- --dry-run opens the device exclusively, as the real run -----------------------------
if command -v python3 >/dev/null; then
	python3 -c 'import os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL); print("held", flush=True); time.sleep(60)' \
		"$dev" >"$T/hold.out" 2>&1 &
	holder=$!
	at_exit "kill $holder"
	for i in $(seq 50); do grep -q held "$T/hold.out" && break; sleep 0.1; done
	refused excl "--dry-run while another program holds the card exclusively" \
		"'$dev' is in use \\(mounted, or open exclusively by another program\\)" --dry-run
	kill $holder
	wait $holder 2>/dev/null
else
	skip "--dry-run and O_EXCL" "python3 missing"
fi

# ---- one descriptor: a path that changes half-way does not redirect anything --------------
# the card is slow (faultfs) so that the path can be pointed elsewhere while
# it is written; --format must still format the card that was wiped
if [ -e /dev/fuse ] && [ -x "${FAULTFS:-}" ] && command -v fusermount3 >/dev/null &&
	command -v mkfs.fat >/dev/null && command -v blkid >/dev/null; then
	gen_bytes slow $((40 * MiB)) >"$T/slow.img"
	gen_bytes other $((40 * MiB)) >$SHM-o.img
	if faultfs_mount "$T/slow.img" "$T/m" --writable --delay-us 2000 && mkloop sdev "$T/m/disk" &&
		mkloop odev $SHM-o.img; then
		"$CARDTRAIL" image --progress none --hash md5 "$sdev" "$T/case-s" >/dev/null 2>&1 ||
			not_ok "image of the slow card"
		ln -s "$sdev" "$T/card"
		ho=$(h $SHM-o.img)
		"$CARDTRAIL" wipe --case "$T/case-s" --force --yes --method zero --format fat32 --label WIPED \
			--progress json "$T/card" >"$T/swap.out" 2>"$T/swap.err" &
		pid=$!
		at_exit "kill -9 $pid"
		for i in $(seq 600); do
			grep -q '"phase":"write"' "$T/swap.err" 2>/dev/null && break
			kill -0 $pid 2>/dev/null || break
			sleep 0.05
		done
		# the path now names the other device
		ln -sfn "$odev" "$T/card"
		wait $pid
		check_rc "the path pointed elsewhere while writing: exit 0" 0 $? swap
		cert=$T/case-s/E1.wipe.json
		check_eq "the path pointed elsewhere: the other device untouched" "$ho" "$(h $SHM-o.img)"
		check_eq "the path pointed elsewhere: the wiped card got the filesystem" "vfat WIPED" \
			"$(blkid -p -o value -s TYPE "$sdev") $(blkid -p -o value -s LABEL "$sdev")"
		check_eq "the path pointed elsewhere: format result and device" \
			"formatted /dev/fd/3: the wiped device, held open by cardtrail" \
			"$(jq -r '.format | "\(.result) \(.device)"' "$cert")"
		check_eq "the path pointed elsewhere: the identity is the wiped card's" "$T/m/disk" \
			"$(jf "$cert" .media.identity.loop.backing_file)"
		check_eq "the path pointed elsewhere: VERIFIED" VERIFIED "$(jf "$cert" .result)"
	else
		not_ok "a slow card under a loop device"
	fi
else
	skip "one descriptor (--format after the path changed)" "no FUSE, faultfs, mkfs.fat or blkid"
fi

done_testing
