#!/usr/bin/env bash
# t0715-wipe-evidence-loop: a loop device whose backing file is evidence
# is never wiped.  The sampled match of a loop device over the case's own
# E1.raw matches trivially ("the card" is the image), so the wipe must look
# at what backs the device: E1.raw itself, a hard link to it outside the
# case (also one whose name was removed since: "(deleted)"), a loop device
# over a loop device over it, another case's E1.raw, an image adopted in
# place where it lies, a partition of a loop device over it (losetup -P:
# a partition has no loop/ folder in sysfs) and a loop device over that
# partition.  Each is refused with exit 1 and a message naming
# the file, --dry-run too, before anything is written: the image's SHA-256
# is unchanged and the case still verifies.  The card itself (a loop device
# over a file outside any case) is still wiped.
# Only loop devices this script creates over files in /dev/shm and $T.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/wipelib.sh"
need_loop

MiB=1048576
SIZE=$((8 * MiB))
SHM=/dev/shm/ct-wevid-$$
at_exit "rm -f $SHM-*.img"

gen_bytes evidence-loop $SIZE >$SHM-card.img
mkloop card $SHM-card.img || skip_all "losetup failed"
"$CARDTRAIL" image --progress none --hash md5 "$card" "$T/case" >"$T/image.out" 2>&1 ||
	{ sed 's/^/#   /' "$T/image.out"; skip_all "cannot image the loop device"; }
E1=$T/case/E1.raw
H_E1=$(h "$E1")
check_eq "the image holds the card" "$(h $SHM-card.img)" "$H_E1"
lines=$(wc -l <"$T/case/custody.log")

# untouched DESC: E1.raw unchanged, the case verifies, no certificate,
# state or custody record appeared
untouched() {
	check_eq "$1: E1.raw unchanged" "$H_E1" "$(h "$E1")"
	"$CARDTRAIL" verify "$T/case" >"$T/verify.out" 2>&1
	check_rc "$1: the case still verifies" 0 $? verify
	nothing_new "$1: no certificate or state" "$T/case"
	check_eq "$1: no custody record" "$lines" "$(wc -l <"$T/case/custody.log")"
}
# refused NAME DESC REGEX DEVICE [ARGS...]: wipe and --dry-run both exit 1
# with REGEX, nothing written
refused() {
	local name=$1 desc=$2 re=$3 dev=$4
	shift 4
	wipe "$name" --case "$T/case" --force --yes --method zero "$@" "$dev"
	check_rc "$desc: exit 1" 1 $? "$name"
	check_msg "$desc: the message names the file" "$name" "$re"
	check_msg "$desc: says nothing was written" "$name" "nothing was written"
	untouched "$desc"
	wipe "$name-dry" --case "$T/case" --force --dry-run --method zero "$@" "$dev"
	check_rc "$desc, --dry-run: exit 1" 1 $? "$name-dry"
	check_msg "$desc, --dry-run: the message" "$name-dry" "$re"
	if grep -q "every check passed" "$T/$name-dry.out" "$T/$name-dry.err"; then
		not_ok "$desc, --dry-run: does not say every check passed"
	else
		ok "$desc, --dry-run: does not say every check passed"
	fi
	untouched "$desc, --dry-run"
}
NEVER="the evidence of a case is never wiped"

# ---- the case's own image -------------------------------------------------------
mkloop ev "$E1" || not_ok "losetup over E1.raw"
refused own "a loop device over the case's E1.raw" \
	"^cardtrail: '$ev' is a loop device over '$E1', a file of the case in '$T/case': $NEVER" "$ev"

# ---- a loop device over that loop device ------------------------------------------
mkloop ev2 "$ev" || not_ok "losetup over the loop device"
refused chain "a loop device over a loop device over E1.raw" \
	"'$ev2' is a loop device over $ev, a loop device over '$E1', a file of the case in '$T/case': $NEVER" "$ev2"
loop_release "$ev2" "$ev"
loop_release "$ev" "$E1"

# ---- a hard link to E1.raw outside the case ------------------------------------------
mkdir "$T/out"
ln "$E1" "$T/out/link.raw"
mkloop hl "$T/out/link.raw" || not_ok "losetup over the hard link"
refused link "a hard link to E1.raw outside the case" \
	"'$hl' is a loop device over '$T/out/link.raw' \(the same file as '$E1'\), a file of the case in '$T/case': $NEVER" "$hl"
# its name removed: sysfs says "(deleted)", the device and inode still tell
ln "$E1" "$T/out/gone.raw"
mkloop hd "$T/out/gone.raw" || not_ok "losetup over the second hard link"
rm "$T/out/gone.raw"
at_exit "loop_release $hd '$(realpath -m "$T/out")/gone.raw (deleted)'"	# its name changed
check_eq "the removed link: sysfs says deleted" "$T/out/gone.raw (deleted)" "$(cat /sys/block/${hd#/dev/}/loop/backing_file)"
refused gone "a hard link to E1.raw, its name removed" \
	"'$hd' is a loop device over '$T/out/gone.raw \(deleted\)' \(the same file as '$E1'\), a file of the case in '$T/case': $NEVER" "$hd"
# a file deeper in the case folder
mkdir "$T/case/work"
cp "$E1" "$T/case/work/copy.raw"
mkloop wc "$T/case/work/copy.raw" || not_ok "losetup over a copy in a subfolder"
refused sub "a copy of E1.raw in a subfolder of the case" \
	"'$wc' is a loop device over '$T/case/work/copy.raw', a file of the case in '$T/case': $NEVER" "$wc"

# ---- another case's image ----------------------------------------------------------------
# the same card imaged into a second case: its E1.raw matches this case's
# image, so only what backs the device refuses it
"$CARDTRAIL" image --progress none --hash md5 "$card" "$T/other" >/dev/null 2>&1 || not_ok "image into another case"
H_O=$(h "$T/other/E1.raw")
mkloop oe "$T/other/E1.raw" || not_ok "losetup over the other case's E1.raw"
refused other "a loop device over another case's E1.raw" \
	"'$oe' is a loop device over '$T/other/E1.raw', a file of the case in '$T/other': $NEVER" "$oe"
check_eq "the other case's image unchanged" "$H_O" "$(h "$T/other/E1.raw")"
"$CARDTRAIL" verify "$T/other" >"$T/vo.out" 2>&1
check_rc "the other case still verifies" 0 $? vo

# ---- an image adopted in place, outside the case --------------------------------------
mkdir "$T/lab"
cp $SHM-card.img "$T/lab/card.raw"
"$CARDTRAIL" adopt --in-place --progress none "$T/lab/card.raw" "$T/case" >"$T/adopt.out" 2>&1
check_rc "adopt --in-place: exit 0" 0 $? adopt
lines=$(wc -l <"$T/case/custody.log")
H_L=$(h "$T/lab/card.raw")
mkloop ip "$T/lab/card.raw" || not_ok "losetup over the adopted image"
refused inplace "a loop device over an image adopted in place" \
	"'$ip' is a loop device over '$T/lab/card.raw', image E2 of the case in '$T/case' \(adopted where it lies\): $NEVER" "$ip"
check_eq "the image adopted in place unchanged" "$H_L" "$(h "$T/lab/card.raw")"

# ---- a partition of a loop device over a case's image ------------------------------------
# losetup -P exposes /dev/loopNp1: a partition has no loop/ folder in sysfs,
# its whole disk (the sysfs folder above it) is the loop device to look at.
# The partition is smaller than the image: --no-image-check, and --force
# lifts "is a partition"; the evidence refusal is not lifted.
gen_bytes evidence-part $SIZE >$SHM-part.img
printf 'label: dos\nstart=2048, type=c\n' | sfdisk -q $SHM-part.img >/dev/null 2>&1 ||
	not_ok "sfdisk: a partition table on the card image"
"$CARDTRAIL" image --progress none --hash md5 $SHM-part.img "$T/pcase" >"$T/pimage.out" 2>&1 ||
	not_ok "image the partitioned card into a second case"
PE1=$T/pcase/E1.raw
H_P=$(h "$PE1")
plines=$(wc -l <"$T/pcase/custody.log")
pl=$(losetup -P -f --show "$PE1") && at_exit "loop_release $pl '$PE1'"
pn=${pl#/dev/}
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e "/sys/block/$pn/${pn}p1/dev" ] && break; sleep 0.2; done
# the kernel may not scan it (loop max_part 0): partx adds the partitions
[ -n "$pl" ] && [ ! -e "/sys/block/$pn/${pn}p1/dev" ] && partx -a "$pl" 2>/dev/null && at_exit "partx -d $pl 2>/dev/null"
pp=
if [ -n "$pl" ] && [ -e "/sys/block/$pn/${pn}p1/dev" ]; then
	pp=/dev/${pn}p1
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b "$pp" ] && break; sleep 0.2; done
	if [ ! -b "$pp" ]; then
		# no udev: the node from sysfs, removed at exit
		mknod "$pp" b $(tr : ' ' <"/sys/block/$pn/${pn}p1/dev") && at_exit "rm -f $pp" || pp=
	fi
fi
# prefused NAME DESC REGEX DEVICE: a wipe of DEVICE in the case of the
# partitioned image, and its --dry-run, refused; nothing written
prefused() {
	local name=$1 desc=$2 re=$3 dev=$4 dry
	for dry in --yes --dry-run; do
		wipe "$name$dry" --case "$T/pcase" --no-image-check --force $dry --method zero "$dev"
		check_rc "$desc ($dry): exit 1" 1 $? "$name$dry"
		check_msg "$desc ($dry): the message names the file" "$name$dry" "$re"
		check_eq "$desc ($dry): the image unchanged" "$H_P" "$(h "$PE1")"
		"$CARDTRAIL" verify "$T/pcase" >"$T/pverify.out" 2>&1
		check_rc "$desc ($dry): the case still verifies" 0 $? pverify
		check_eq "$desc ($dry): no custody record" "$plines" "$(wc -l <"$T/pcase/custody.log")"
		nothing_new "$desc ($dry): no certificate or state" "$T/pcase"
	done
}
if [ -z "$pp" ]; then
	skip "a partition of a loop device over the evidence" "losetup -P gave no partition device here"
else
	prefused part "a partition of a loop device over E1.raw" \
		"^cardtrail: '$pp' is partition 1 of $pl, a loop device over '$PE1', a file of the case in '$T/pcase': $NEVER" "$pp"
	# a loop device over that partition: the chain goes on through it
	mkloop pq "$pp" || not_ok "losetup over the partition"
	prefused partchain "a loop device over a partition of a loop device over E1.raw" \
		"^cardtrail: '$pq' is a loop device over $pp, partition 1 of $pl, a loop device over '$PE1', a file of the case in '$T/pcase': $NEVER" "$pq"
	loop_release "$pq" "$pp"
fi

# ---- the card itself is wiped -----------------------------------------------------
wipe card --case "$T/case" --force --yes --method zero "$card"
check_rc "the card (a loop device over a file outside any case): exit 0" 0 $? card
check_eq "the card: certificate VERIFIED" VERIFIED "$(jf "$T/case/E1.wipe.json" .result)"
check_eq "the card reads zeros" "" "$(cmp $SHM-card.img <(head -c $SIZE /dev/zero) 2>&1)"
check_eq "after the card's wipe: E1.raw unchanged" "$H_E1" "$(h "$E1")"
"$CARDTRAIL" verify "$T/case" >"$T/vend.out" 2>&1
check_rc "after the card's wipe: the case verifies" 0 $? vend

done_testing
