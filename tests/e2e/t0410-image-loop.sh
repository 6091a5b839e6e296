#!/usr/bin/env bash
# cardtrail image on a loop device: BLKROSET during the run and restored
# after, the card's own read-only state, refusal of a mounted source and of
# a case folder on the source itself.
. "$CT_TOP/tests/e2e/lib.sh"
need_loop

gen_bytes loop $((96 << 20)) >/dev/shm/ct-loop-$$.img
at_exit "rm -f /dev/shm/ct-loop-$$.img"
mkloop dev /dev/shm/ct-loop-$$.img || skip_all "losetup failed"
check_eq "loop device starts writable" 0 "$(blockdev --getro "$dev")"

# Watch the kernel's read-only flag while the image runs (-verify both makes
# the run long enough to see; the watcher records every value it saw).
( while :; do blockdev --getro "$dev"; sleep 0.01; done ) >"$T/ro.log" 2>/dev/null &
watcher=$!
at_exit "kill $watcher"
"$CARDTRAIL" image --hash md5,sha256 --progress none "$dev" "$T/case" >"$T/out" 2>"$T/err"
rc=$?
kill $watcher; wait $watcher 2>/dev/null
check_eq "image of a loop device exits 0" 0 $rc
check_eq "the device was read-only during the run" 1 "$(grep -c '^1$' "$T/ro.log" | awk '{print ($1 > 0)}')"
check_eq "read-only flag restored after the run" 0 "$(blockdev --getro "$dev")"
rec=$T/case/E1.acquisition.json
check_eq "record: kind block" block "$(jf "$rec" .source.kind)"
check_eq "record: O_DIRECT used" true "$(jf "$rec" .source.direct_io)"
check_eq "record: ro_before false" false "$(jf "$rec" .write_block.ro_before)"
check_eq "record: ro_during true" true "$(jf "$rec" .write_block.ro_during)"
check_eq "record: restored" true "$(jf "$rec" .write_block.restored)"
check_eq "record: identity is the loop device" "/dev/shm/ct-loop-$$.img" "$(jf "$rec" .identity.loop.backing_file)"
check_eq "md5 equals md5sum of the backing file" "$(md5sum </dev/shm/ct-loop-$$.img | cut -d' ' -f1)" "$(jf "$rec" .hashes.md5)"
check_eq "image equals the backing file" "" "$(cmp "$T/case/E1.raw" /dev/shm/ct-loop-$$.img 2>&1)"
check_eq "source re-read compared every byte" $((96 << 20)) "$(jf "$rec" .verify.source.compared_bytes)"

# The same guarantees with --format e01: write-blocked, restored, the E01
# what libewf's own tools expect, the source compared byte for byte.
( while :; do blockdev --getro "$dev"; sleep 0.01; done ) >"$T/ro-e01.log" 2>/dev/null &
watcher=$!
at_exit "kill $watcher"
"$CARDTRAIL" image --format e01 --compress fast --hash md5 --progress none "$dev" "$T/case-e01" >"$T/out" 2>"$T/err"
rc=$?
kill $watcher; wait $watcher 2>/dev/null
check_eq "E01 of a loop device exits 0" 0 $rc
check_eq "E01: the device was read-only during the run" 1 "$(grep -c '^1$' "$T/ro-e01.log" | awk '{print ($1 > 0)}')"
check_eq "E01: read-only flag restored after the run" 0 "$(blockdev --getro "$dev")"
rec=$T/case-e01/E1.acquisition.json
check_eq "E01: record: ro_during true, restored" "true true" "$(jf "$rec" '"\(.write_block.ro_during) \(.write_block.restored)"')"
check_eq "E01: md5 equals md5sum of the backing file" "$(md5sum </dev/shm/ct-loop-$$.img | cut -d' ' -f1)" "$(jf "$rec" .hashes.md5)"
check_eq "E01: source re-read compared every byte" $((96 << 20)) "$(jf "$rec" .verify.source.compared_bytes)"
if command -v ewfverify >/dev/null; then
	ewfverify -q "$T/case-e01/E1.E01" >/dev/null 2>&1
	check_eq "E01 of a loop device: ewfverify accepts it" 0 $?
fi

# A card whose own switch says read-only: stays read-only afterwards.
mkloop rodev /dev/shm/ct-loop-$$.img ro || skip_all "losetup -r failed"
"$CARDTRAIL" image --hash md5 --verify none --progress none "$rodev" "$T/case" >/dev/null 2>&1
check_eq "image of a read-only loop device exits 0" 0 $?
check_eq "record: ro_before true" true "$(jf "$T/case/E2.acquisition.json" .write_block.ro_before)"
check_eq "read-only device still read-only" 1 "$(blockdev --getro "$rodev")"
# cardtrail did not set the block device's own flag: attached again
# read-write, the same loop device is writable (a "restore" to 1 would stick)
losetup -d "$rodev" && losetup "$rodev" /dev/shm/ct-loop-$$.img
check_eq "same loop device re-attached read-write is writable" 0 "$(blockdev --getro "$rodev")"

# A mounted source is refused; nothing is written.
truncate -s 32M "$T/ext.img"
mkfs.ext4 -q -L EVID "$T/ext.img" || skip_all "mkfs.ext4 failed"
mkloop extdev "$T/ext.img" || skip_all "losetup failed"
mkdir "$T/mnt"
mount "$extdev" "$T/mnt" 2>/dev/null || skip_all "cannot mount ext4 here"
at_exit "umount '$T/mnt'"
"$CARDTRAIL" image --progress none "$extdev" "$T/case-m" >/dev/null 2>"$T/err"
check_eq "mounted read-write source refused with exit 1" 1 $?
check_eq "refusal names the reason" 1 "$(grep -c "is mounted read-write" "$T/err")"
check_eq "refusal wrote nothing" no "$([ -e "$T/case-m" ] && echo yes || echo no)"
check_eq "refused device left writable" 0 "$(blockdev --getro "$extdev")"

# The case folder on the source itself is refused even with --allow-mounted.
"$CARDTRAIL" image --allow-mounted --progress none "$extdev" "$T/mnt/case" >/dev/null 2>"$T/err"
check_eq "case folder on the source refused" 1 $?
check_eq "refusal says why" 1 "$(grep -c "onto the source" "$T/err")"
check_eq "nothing written onto the source" no "$([ -e "$T/mnt/case" ] && echo yes || echo no)"

# --allow-mounted images a mounted source elsewhere.
"$CARDTRAIL" image --allow-mounted --hash md5 --verify image --progress none "$extdev" "$T/case-m" >/dev/null 2>&1
check_eq "--allow-mounted images it" 0 $?
check_eq "record shows it was mounted" true "$(jf "$T/case-m/E1.acquisition.json" .identity.mounted)"

# A read-only mount is not a live filesystem: allowed without the flag.
umount "$T/mnt" && mount -o ro "$extdev" "$T/mnt"
"$CARDTRAIL" image --hash md5 --verify none --progress none "$extdev" "$T/case-ro" >/dev/null 2>&1
check_eq "read-only mounted source allowed" 0 $?
check_eq "md5 of the ro-mounted source" "$(md5sum <"$T/ext.img" | cut -d' ' -f1)" "$(jf "$T/case-ro/E1.acquisition.json" .hashes.md5)"
done_testing
