#!/usr/bin/env bash
# t0200-devices: `cardtrail devices` lists a loop device we create, with its
# size, backing file, partition table and filesystem label, and sees mounts.
# Only loop devices this script creates over files in $T are touched.
. "$CT_TOP"/tests/e2e/lib.sh
need_loop
export PATH=$PATH:/usr/sbin:/sbin
for tool in sfdisk mkfs.fat mkfs.ext4 jq; do
	command -v "$tool" >/dev/null || skip_all "$tool missing"
done

# --help and a bad option
"$CARDTRAIL" devices --help >"$T/help" 2>&1
check_eq "devices --help exits 0" 0 $?
grep -q 'usage: cardtrail devices' "$T/help" && ok "devices --help prints usage" ||
	not_ok "devices --help prints usage"
"$CARDTRAIL" devices --no-such-option >/dev/null 2>&1
check_eq "unknown option is a usage error" 2 $?

# A 32 MiB card image: DOS label, one FAT partition at 1 MiB.
img=$T/card.img
truncate -s 32M "$img"
printf 'label: dos\nlabel-id: 0x2c0ffee5\nstart=2048, type=c\n' | sfdisk -q "$img" ||
	skip_all "sfdisk failed"
mkfs.fat -F 16 -n DRONE -i 2C0FFEE5 --offset 2048 "$img" >/dev/null || skip_all "mkfs.fat failed"
mkloop dev "$img" || skip_all "losetup failed"

"$CARDTRAIL" devices --json >"$T/list.json" 2>"$T/err"
check_eq "devices --json exits 0" 0 $?
jq -e . "$T/list.json" >/dev/null 2>&1 && ok "devices --json is valid JSON" ||
	not_ok "devices --json is valid JSON"
sel=".[] | select(.path == \"$dev\")"
check_eq "our loop device is listed" "$dev" "$(jf "$T/list.json" "$sel | .path")"
check_eq "kind is loop" loop "$(jf "$T/list.json" "$sel | .kind")"
check_eq "transport is loop" loop "$(jf "$T/list.json" "$sel | .transport")"
check_eq "size" 33554432 "$(jf "$T/list.json" "$sel | .size")"
check_eq "backing file" "$img" "$(jf "$T/list.json" "$sel | .loop.backing_file")"
check_eq "partition table type" dos "$(jf "$T/list.json" "$sel | .partition_table.type")"
check_eq "partition table id" 2c0ffee5 "$(jf "$T/list.json" "$sel | .partition_table.id")"
check_eq "partition 1 start" 1048576 "$(jf "$T/list.json" "$sel | .partitions[0].start")"
check_eq "partition 1 filesystem" vfat "$(jf "$T/list.json" "$sel | .partitions[0].filesystem.type")"
check_eq "vfat label" DRONE "$(jf "$T/list.json" "$sel | .filesystems[0].label")"
check_eq "no CID on a loop device" null "$(jf "$T/list.json" "$sel | .sd")"
check_eq "not mounted" false "$(jf "$T/list.json" "$sel | .mounted")"

"$CARDTRAIL" devices >"$T/list.txt" 2>&1
check_eq "devices exits 0" 0 $?
grep -q "^$dev " "$T/list.txt" && ok "text output names $dev" || not_ok "text output names $dev"
grep -q "vfat" "$T/list.txt" && ok "text output shows vfat" || not_ok "text output shows vfat"
grep -q 'label "DRONE"' "$T/list.txt" && ok "text output shows the label" ||
	not_ok "text output shows the label"
grep -q "loop device over $img" "$T/list.txt" && ok "text output shows the backing file" ||
	not_ok "text output shows the backing file"

# Mount detection: an ext4 file on a second loop device, mounted in $T.
ext=$T/evid.img
truncate -s 16M "$ext"
mkfs.ext4 -q -L EVID "$ext" || skip_all "mkfs.ext4 failed"
mkloop dev2 "$ext" || skip_all "losetup failed"
mkdir "$T/mnt"
if mount "$dev2" "$T/mnt" 2>"$T/mount.err"; then
	at_exit "umount '$T/mnt'"
	"$CARDTRAIL" devices --json >"$T/list2.json"
	sel2=".[] | select(.path == \"$dev2\")"
	check_eq "mounted ext4 is mounted" true "$(jf "$T/list2.json" "$sel2 | .mounted")"
	check_eq "mountpoint" "$T/mnt" "$(jf "$T/list2.json" "$sel2 | .mounts[0].mountpoint")"
	check_eq "mount fstype" ext4 "$(jf "$T/list2.json" "$sel2 | .mounts[0].fstype")"
	check_eq "mount is read-write" true "$(jf "$T/list2.json" "$sel2 | .mounts[0].rw")"
	check_eq "ext4 label" EVID "$(jf "$T/list2.json" "$sel2 | .filesystems[0].label")"
	check_eq "the FAT card is still not mounted" false "$(jf "$T/list2.json" "$sel | .mounted")"
	"$CARDTRAIL" devices >"$T/list2.txt"
	grep -q "mounted: .* on $T/mnt (ext4, read-write)" "$T/list2.txt" &&
		ok "text output shows the mount" || not_ok "text output shows the mount"
else
	skip "mount detection" "cannot mount: $(head -n 1 "$T/mount.err")"
fi

done_testing
