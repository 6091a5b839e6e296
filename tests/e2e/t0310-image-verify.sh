#!/usr/bin/env bash
# Verification that fails: a source that does not deliver the same data
# twice (faultfs --change-after flips one byte once the first read is done)
# is exit 3, naming the offset and the window; and --progress json.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
need_root
need_fuse

gen_bytes verify $((8 << 20)) >"$T/orig.img"
flip=$((5 * 1048576 + 20))

faultfs_mount "$T/orig.img" "$T/mnt" --change-after 8M:$flip || skip_all "faultfs did not start"
"$CARDTRAIL" image --hash md5 --hash-window 1MiB --verify both --progress none "$T/mnt/disk" "$T/case" >"$T/out" 2>"$T/err"
check_eq "source differs on re-read (verify both): exit 3" 3 $?
check_eq "message names offset and window" 1 "$(grep -c "the source re-read differs from the image at offset $flip (window #5)" "$T/err")"
rec=$T/case/E1.acquisition.json
check_eq "image itself verified" true "$(jf "$rec" .verify.image.match)"
check_eq "source comparison failed" false "$(jf "$rec" .verify.source.match)"
check_eq "first mismatch recorded" "$flip" "$(jf "$rec" .verify.source.first_mismatch)"
check_eq "window recorded" 5 "$(jf "$rec" .verify.source.window)"
check_eq "status verify-mismatch" verify-mismatch "$(jf "$rec" .status)"
check_eq "acquired hash is the original's" "$(md5sum <"$T/orig.img" | cut -d' ' -f1)" "$(jf "$rec" .hashes.md5)"
check_eq "custody record says verify source false" false "$(tail -n 1 "$T/case/custody.log" | jq .result.verify.source)"
"$CARDTRAIL" verify "$T/case" >/dev/null
check_eq "the chain and files still verify (the image is right)" 0 $?
faultfs_umount "$T/mnt"

faultfs_mount "$T/orig.img" "$T/mnt2" --change-after 8M:$flip || skip_all "faultfs did not start"
"$CARDTRAIL" image --hash md5 --hash-window 1MiB --verify source --progress none "$T/mnt2/disk" "$T/case" >/dev/null 2>"$T/err"
check_eq "source differs on re-read (verify source): exit 3" 3 $?
check_eq "message names the window" 1 "$(grep -c "first differing window: #5 at offset 5242880" "$T/err")"
check_eq "mismatched window listed" 5 "$(jf "$T/case/E2.acquisition.json" '.verify.source.mismatched_windows[0].index')"
faultfs_umount "$T/mnt2"

# unreadable sectors of an interrupted run still count after --resume (exit 4)
faultfs_mount "$T/orig.img" "$T/mnt3" --bad 1M:4096 --vanish-after 3M --vanish-errno ENXIO ||
	skip_all "faultfs did not start"
"$CARDTRAIL" image --hash md5 --verify image --progress none "$T/mnt3/disk" "$T/case-r" >/dev/null 2>&1
check_eq "vanishing card with a bad sector: exit 1" 1 $?
faultfs_umount "$T/mnt3"
faultfs_mount "$T/orig.img" "$T/mnt4" || skip_all "faultfs did not start"
"$CARDTRAIL" image --resume --evidence-id E1 --verify image --progress none "$T/mnt4/disk" "$T/case-r" >/dev/null 2>&1
check_eq "resumed: exit 4 (the earlier bad sector is still zero-filled)" 4 $?
check_eq "resumed: bad_bytes counts it" 4096 "$(jf "$T/case-r/E1.acquisition.json" .bad_bytes)"
check_eq "resumed: status says so" complete-with-unreadable-sectors "$(jf "$T/case-r/E1.acquisition.json" .status)"
check_eq "resumed: how the prefix was hashed is recorded" "the image file written by the earlier run" \
	"$(jf "$T/case-r/E1.acquisition.json" '.resumed[0].prefix_hashed_from')"
faultfs_umount "$T/mnt4"

# --progress json: one JSON object per line on stderr, both phases, a final line each
"$CARDTRAIL" image --progress json --hash md5 "$T/orig.img" "$T/case-p" >/dev/null 2>"$T/prog"
check_eq "--progress json run exits 0" 0 $?
check_eq "every progress line is JSON" 0 "$(jq -c . "$T/prog" >/dev/null 2>&1; echo $?)"
check_eq "final image line reports every byte" "$((8 << 20))" "$(jq -r 'select(.phase == "image" and .final) | .done' "$T/prog")"
check_eq "a final verify line" 1 "$(jq -r 'select(.phase == "verify" and .final) | .phase' "$T/prog" | wc -l)"
done_testing
