#!/usr/bin/env bash
# t0760-wipe-cert: a certificate says what happened, also when it failed.
#   Every pass of the method is listed with the bytes actually written, how
#   far it was read back and how that ended, the first error with its
#   offset; a FAILED certificate says why on its first line; the NIST SP
#   800-88 Appendix G form names the organisation and a validator, or
#   leaves lines to sign by hand.  Loop devices over files this script
#   creates (faultfs for the faults).
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/wipelib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
need_loop

MiB=1048576
SIZE=$((8 * MiB))
SHM=/dev/shm/ct-wcert-$$
at_exit "rm -f $SHM-*.img"

check_line() { # DESC FILE REGEX: a line of FILE matches
	if grep -Eq -e "$3" "$2"; then ok "$1"; else not_ok "$1"; printf '#   wanted /%s/\n' "$3"; sed 's/^/#   /' "$2" | head -n 40; fi
}
ct_image() { "$CARDTRAIL" image --progress none --hash md5 "$@" >"$T/image.out" 2>&1; }

# ---- who, and the validator --------------------------------------------------------
gen_bytes cert $SIZE >$SHM-a.img
mkloop dev $SHM-a.img || skip_all "losetup failed"
ct_image "$dev" "$T/case1" || skip_all "cannot image the card"
wipe org --case "$T/case1" --force --yes --method dod3 --verify last --examiner "Alice Example" \
	--organization "State Police, Drone Unit" --validator "Bob Checker" "$dev"
check_rc "--organization and --validator: exit 0" 0 $? org
cert=$T/case1/E1.wipe.json txt=$T/case1/E1.wipe.txt
check_eq "JSON: examiner, organization, validator" "Alice Example|State Police, Drone Unit|Bob Checker" \
	"$(jq -r '"\(.examiner)|\(.organization)|\(.validation.name)"' "$cert")"
check_eq "text: the first line is the result" "CERTIFICATE OF SANITIZATION: VERIFIED" "$(head -n 1 "$txt")"
check_line "text: the person's organization" "$txt" "^  Organization:   State Police, Drone Unit$"
check_line "text: a validation section naming the validator" "$txt" "^  Name:           Bob Checker$"
check_eq "text: lines to sign by hand (person and validator: signature, date; validator's organization)" 5 \
	"$(grep -cE '^  (Signature|Date|Organization): +_{30}$' "$txt")"
check_eq "text: the passes, each with what was written and read back" \
	"pass 1 0x00 8388608 of 8388608 bytes written; read back: 0 bytes, not read back|pass 2 0xff 8388608 of 8388608 bytes written; read back: 0 bytes, not read back|pass 3 keystream 8388608 of 8388608 bytes written; read back: 8388608 bytes, match" \
	"$(sed -n 's/^    \(pass\) *\([0-9]*\) *\([^ ]*\) *\(.*\)/\1 \2 \3 \4/p' "$txt" | paste -sd'|')"
check_eq "JSON: --verify last: the verification names what was read back" \
	"read back with O_DIRECT after fsync and BLKFLSBUF and compared with the regenerated pattern: pass 3 (every byte, by this run, match)" \
	"$(jf "$cert" .verification)"
check_eq "no 'per pass' claim anywhere" 0 "$(grep -c 'per pass' "$txt" "$cert" | awk -F: '{ s += $2 } END { print s }')"
# the tool string names every library with its version (cardtrail --version)
v=$("$CARDTRAIL" --version)
check_eq "JSON: the tool is the version string" "$v" "$(jf "$cert" .tool)"
check_line "text: the tool is the version string" "$txt" "^  Tool: +$(printf '%s' "$v" | sed 's/[].[()*+?^$|\\]/\\&/g')$"
check_eq "the wipe-start and wipe records' tool is the version string" "$v|$v" \
	"$(jq -s -r '[.[] | select(.action == "wipe-start" or .action == "wipe") | .tool] | join("|")' "$T/case1/custody.log")"
case "$v" in
*"libtsk "[0-9]*", libexif "[0-9]*", expat "[0-9]*) ok "the tool string names libtsk, libexif and expat with versions" ;;
*) not_ok "the tool string names libtsk, libexif and expat with versions"; printf '#   %s\n' "$v" ;;
esac

# ---- the media type, from the device's identity (a loop device is no flash card) ------------
check_eq "JSON: the media type of a loop device names its file, not a flash card" \
	"not known to the host: loop device over the file '$SHM-a.img'|null" \
	"$(jq -r '"\(.media.type)|\(.media.technology)"' "$cert")"
check_line "text: the media type of a loop device" "$txt" \
	"^  Media type:     not known to the host: loop device over the file '$SHM-a\\.img'$"
check_eq "no 'flash memory card' or 'flash memory cards remap' claim for a loop device" 0 \
	"$(cat "$txt" "$cert" | grep -ci 'flash memory card')"
case "$(jf "$cert" .method_note)" in
"Clear, not Purge: "*"This device is a loop device over the file '$SHM-a.img': what was overwritten is the whole of that file"*)
	ok "JSON: the Clear/Purge note speaks of the loop device's file" ;;
*) not_ok "JSON: the Clear/Purge note speaks of the loop device's file"; printf '#   %s\n' "$(jf "$cert" .method_note)" ;;
esac
check_line "text: the note is the JSON's" "$txt" "^  Note:           Clear, not Purge: .*This device is a loop device over the file"

# ---- --force is recorded: what it overrode (a loop device is not a removable card) ----------
over="'$dev' is not a removable card (transport loop): refusing unless --force"
check_eq "JSON: force, and the refusal it overrode" "true|$over" \
	"$(jq -r '"\(.force)|\(.force_overrode | join(";"))"' "$cert")"
check_line "text: --force and the refusal it overrode" "$txt" \
	"^  Safety checks:  --force overrode the refusal: '$dev' is not a removable card \\(transport loop\\): refusing unless --force$"
check_eq "custody: wipe-start and wipe records hold force and what it overrode" \
	"wipe-start true $over|wipe true $over" \
	"$(jq -s -r '[.[] | select(.action == "wipe-start" or .action == "wipe") | "\(.action) \(.result.force) \(.result.force_overrode | join(";"))"] | join("|")' "$T/case1/custody.log")"

wipe dry --case "$T/case1" --force --dry-run --no-image-check "$dev"
check_eq "--dry-run: the plan names the media type and what --force overrides" \
	"media      not known to the host: loop device over the file '$SHM-a.img'|force      overrides: $over" \
	"$(grep -E '^(media|force) ' "$T/dry.out" | paste -sd'|')"

# ---- the sampling seed in full: the offsets can be recomputed from the text form -----------
seed=$(jf "$cert" .match.sampled.seed)
check_eq "the match was sampled, with a 64-digit seed" "sampled 64" "$(jf "$cert" .match.method) ${#seed}"
check_line "text: the whole seed" "$txt" "^  Imaged first:   .* drawn from the seed $seed, "

gen_bytes cert $SIZE | dd of="$dev" bs=1M oflag=direct status=none
ct_image "$dev" "$T/case2" || not_ok "image again"
wipe noorg --case "$T/case2" --force --yes --method zero "$dev"
check_rc "without them: exit 0" 0 $? noorg
txt=$T/case2/E1.wipe.txt
check_eq "without them: organization and validator null" "null null" \
	"$(jq -r '"\(.organization) \(.validation.name)"' "$T/case2/E1.wipe.json")"
check_eq "without them: blank lines to fill in by hand (organization twice, validator, signatures, dates)" 7 \
	"$(grep -cE '^  (Name|Signature|Date|Organization): +_{30}$' "$txt")"

# ---- which bytes of the file: a partition, an offset and size limit ------------------------
# A partition of a loop device (losetup -P) starts 1 MiB into the file: the
# first MiB (the MBR) is not written, and the certificate says which bytes
# were.  --force lifted two refusals there: "is a partition" and "not a
# removable card", both recorded.
gen_bytes part $SIZE >$SHM-p.img
printf 'label: dos\nstart=2048, type=c\n' | sfdisk -q $SHM-p.img >/dev/null 2>&1 || not_ok "sfdisk on the card image"
head -c $MiB $SHM-p.img >"$T/p-mbr"
pl=$(losetup -P -f --show $SHM-p.img) && at_exit "loop_release $pl '$SHM-p.img'"
pn=${pl#/dev/} pp=
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e "/sys/block/$pn/${pn}p1/dev" ] && break; sleep 0.2; done
# the kernel may not scan it (loop max_part 0): partx adds the partitions
[ -n "$pl" ] && [ ! -e "/sys/block/$pn/${pn}p1/dev" ] && partx -a "$pl" 2>/dev/null && at_exit "partx -d $pl 2>/dev/null"
if [ -n "$pl" ] && [ -e "/sys/block/$pn/${pn}p1/dev" ]; then
	pp=/dev/${pn}p1
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b "$pp" ] && break; sleep 0.2; done
	if [ ! -b "$pp" ]; then
		mknod "$pp" b $(tr : ' ' <"/sys/block/$pn/${pn}p1/dev") && at_exit "rm -f $pp" || pp=
	fi
fi
if [ -z "$pp" ]; then
	skip "a partition of a loop device: the certificate" "losetup -P gave no partition device here"
else
	mkdir "$T/pcert"
	wipe pw --no-image-check --cert-dir "$T/pcert" --force --yes --method zero "$pp"
	check_rc "partition: exit 0" 0 $? pw
	cert=$T/pcert/${pn}p1.wipe.json txt=$T/pcert/${pn}p1.wipe.txt
	psize=$((SIZE - MiB))
	check_eq "partition: the file's first MiB (the MBR) unchanged" "" "$(cmp "$T/p-mbr" <(head -c $MiB $SHM-p.img) 2>&1)"
	check_eq "partition: the rest of the file zeroed" "" "$(cmp <(tail -c $psize $SHM-p.img) <(head -c $psize /dev/zero) 2>&1)"
	check_eq "partition: --force overrode both refusals it lifted" \
		"'$pp' is a partition: name the whole card (or --force)|'$pp' is not a removable card (transport loop): refusing unless --force" \
		"$(jq -r '.force_overrode | join("|")' "$cert")"
	check_line "partition: text: the second refusal --force overrode" "$txt" \
		"^                  and: '$pp' is not a removable card \\(transport loop\\): refusing unless --force$"
	check_eq "partition: the identity: loop offset and size limit, the partition's number, start and size" \
		"0 0 1 $MiB $psize" \
		"$(jq -r '.media.identity | "\(.loop.offset) \(.loop.sizelimit) \(.partition.number) \(.partition.start) \(.partition.size)"' "$cert")"
	case "$(jf "$cert" .method_note)" in
	*"what was overwritten is bytes $MiB to $((SIZE - 1)) of that file ($psize of its $SIZE bytes; the rest of it was not written)"*)
		ok "partition: the note says which bytes of the file were overwritten" ;;
	*) not_ok "partition: the note says which bytes of the file were overwritten"; printf '#   %s\n' "$(jf "$cert" .method_note)" ;;
	esac
	check_eq "partition: no claim that the whole file was overwritten" 0 \
		"$(cat "$txt" "$cert" | grep -c 'what was overwritten is that file\|the whole of that file')"
	check_line "partition: text: the loop device's file, offset, size limit and partition" "$txt" \
		"^  Loop device:    over '$SHM-p\\.img', offset 0, no size limit; partition 1 from byte $MiB, $psize bytes$"
fi

# the same file again, through -o 1 MiB --sizelimit 4 MiB
gen_bytes off $SIZE >$SHM-o.img
cp $SHM-o.img "$T/o-orig"
ol=$(losetup -o $MiB --sizelimit $((4 * MiB)) -f --show $SHM-o.img) && at_exit "loop_release $ol '$SHM-o.img'"
mkdir "$T/ocert"
wipe ow --no-image-check --cert-dir "$T/ocert" --force --yes --method zero "$ol"
check_rc "offset and size limit: exit 0" 0 $? ow
cert=$T/ocert/${ol#/dev/}.wipe.json txt=$T/ocert/${ol#/dev/}.wipe.txt
check_eq "offset and size limit: the first MiB unchanged" "" \
	"$(cmp <(head -c $MiB "$T/o-orig") <(head -c $MiB $SHM-o.img) 2>&1)"
check_eq "offset and size limit: bytes 1 MiB to 5 MiB zeroed" "" \
	"$(cmp <(tail -c +$((MiB + 1)) $SHM-o.img | head -c $((4 * MiB))) <(head -c $((4 * MiB)) /dev/zero) 2>&1)"
check_eq "offset and size limit: the last 3 MiB unchanged" "" \
	"$(cmp <(tail -c $((3 * MiB)) "$T/o-orig") <(tail -c $((3 * MiB)) $SHM-o.img) 2>&1)"
check_eq "offset and size limit: the identity holds both" "$MiB $((4 * MiB)) null" \
	"$(jq -r '.media.identity | "\(.loop.offset) \(.loop.sizelimit) \(.partition)"' "$cert")"
case "$(jf "$cert" .method_note)" in
*"what was overwritten is bytes $MiB to $((5 * MiB - 1)) of that file ($((4 * MiB)) of its $SIZE bytes; the rest of it was not written)"*)
	ok "offset and size limit: the note says which bytes of the file" ;;
*) not_ok "offset and size limit: the note says which bytes of the file"; printf '#   %s\n' "$(jf "$cert" .method_note)" ;;
esac
check_line "offset and size limit: text: offset and size limit" "$txt" \
	"^  Loop device:    over '$SHM-o\\.img', offset $MiB, size limit $((4 * MiB))$"

# ---- --verify none: the note says it was not read back ---------------------------------------
gen_bytes nv $SIZE >$SHM-n.img
mkloop nl $SHM-n.img || not_ok "losetup for --verify none"
mkdir "$T/ncert"
wipe nv --no-image-check --cert-dir "$T/ncert" --force --yes --method zero --verify none "$nl"
check_rc "--verify none: exit 0" 0 $? nv
cert=$T/ncert/${nl#/dev/}.wipe.json
check_eq "--verify none: the result" "COMPLETED, NOT READ BACK" "$(jf "$cert" .result)"
case "$(jf "$cert" .method_note)" in
*"verified by read-back, is"*|*"verified by read-back, is"*) not_ok "--verify none: the note claims no read-back"; printf '#   %s\n' "$(jf "$cert" .method_note)" ;;
*"This overwrite was not read back (--verify none)"*) ok "--verify none: the note claims no read-back" ;;
*) not_ok "--verify none: the note claims no read-back"; printf '#   %s\n' "$(jf "$cert" .method_note)" ;;
esac
check_eq "--verify none: the whole file, and said so" 1 \
	"$(jf "$cert" .method_note | grep -c 'what was overwritten is the whole of that file')"

if ! { [ -e /dev/fuse ] && [ -x "${FAULTFS:-}" ] && command -v fusermount3 >/dev/null; }; then
	skip "failed certificates" "no FUSE or faultfs"
	done_testing
	exit
fi

# ---- a card that loses writes past 4 MiB: nist-clear fails in pass 1 ---------------------
gen_bytes lose $((16 * MiB)) >"$T/lose.img"
if faultfs_mount "$T/lose.img" "$T/m-lose" --writable --lose-writes-after 4M && mkloop ldev "$T/m-lose/disk"; then
	ct_image "$ldev" "$T/case-l" || not_ok "image of the card that loses writes"
	wipe l --case "$T/case-l" --force --yes --method nist-clear "$ldev"
	check_rc "lost writes: exit 3" 3 $? l
	cert=$T/case-l/E1.wipe.json txt=$T/case-l/E1.wipe.txt
	check_eq "lost writes: both passes of the method listed" "2 2" \
		"$(jq -r '"\(.method.passes) \(.passes | length)"' "$cert")"
	check_eq "lost writes: pass 1 as it went" "true 16777216 16777216 MISMATCH 12582912 4194304" \
		"$(jq -r '.passes[0] | "\(.written) \(.bytes_written) \(.bytes_read_back) \(.verified) \(.mismatch_bytes) \(.first_mismatch)"' "$cert")"
	check_eq "lost writes: pass 2 not reached, nothing written" "false 0 0 not reached" \
		"$(jq -r '.passes[1] | "\(.written) \(.bytes_written) \(.bytes_read_back) \(.verified)"' "$cert")"
	check_eq "lost writes: the first line says FAILED and why" \
		"CERTIFICATE OF SANITIZATION: FAILED: read-back mismatch (pass 1 did not read back as written: 12582912 bytes differ, first at offset 4194304)" \
		"$(head -n 1 "$txt")"
	check_line "lost writes: text: 2 passes" "$txt" "^  Method used:    nist-clear \\(.*\\), 2 passes$"
	check_line "lost writes: text: pass 1's bytes and where it differs" "$txt" \
		"^    pass 1   keystream    16777216 of 16777216 bytes written; read back: 16777216 bytes, MISMATCH; 12582912 bytes differ, the first at offset 4194304$"
	check_line "lost writes: text: pass 2 not reached" "$txt" "^    pass 2   0x00         not reached$"
	check_eq "lost writes: the JSON's first member is the result" result "$(jq -r 'keys_unsorted[0]' "$cert")"
	check_eq "lost writes: the custody record's bytes written" 16777216 \
		"$(jq -s -r '.[] | select(.action == "wipe") | .result.bytes_written' "$T/case-l/custody.log")"
else
	not_ok "faultfs --lose-writes-after under a loop device"
fi

# ---- a write error at 5 MiB in pass 1 of dod3 ------------------------------------------------
gen_bytes wbad $((16 * MiB)) >"$T/wbad.img"
if faultfs_mount "$T/wbad.img" "$T/m-wbad" --writable --write-bad 5M:4096 && mkloop bdev "$T/m-wbad/disk"; then
	ct_image "$bdev" "$T/case-b" || not_ok "image of the card with a write error"
	wipe b --case "$T/case-b" --force --yes --method dod3 "$bdev"
	rc=$?
	cert=$T/case-b/E1.wipe.json txt=$T/case-b/E1.wipe.txt
	check_eq "write error: all 3 passes listed, 2 and 3 not reached" "3 not reached not reached" \
		"$(jq -r '"\(.passes | length) \(.passes[1].verified) \(.passes[2].verified)"' "$cert")"
	if [ "$rc" -eq 1 ]; then
		# the kernel reported it: pass 1 stopped at the failing sector
		check_eq "write error: pass 1 written up to the failing sector, not read back" \
			"false 5242880 0 5242880" \
			"$(jq -r '.passes[0] | "\(.written) \(.bytes_written) \(.bytes_read_back) \(.write_error_offset)"' "$cert")"
		check_eq "write error: the first line says FAILED and why" \
			"CERTIFICATE OF SANITIZATION: FAILED: write error (write error in pass 1 at offset 5242880: Input/output error)" \
			"$(head -n 1 "$txt")"
		check_line "write error: text: pass 1's bytes and the error" "$txt" \
			"^    pass 1   0x00         5242880 of 16777216 bytes written; read back: 0 bytes, not read back: the run stopped; write error at offset 5242880: Input/output error$"
	elif [ "$rc" -eq 3 ]; then
		# swallowed below us (loop over FUSE): the read-back finds it
		ok "write error: swallowed below us, caught by the read-back: exit 3"
		check_line "write error: the first line says FAILED and why" "$txt" \
			"^CERTIFICATE OF SANITIZATION: FAILED: read-back mismatch \\(pass 1 did not read back as written: "
	else
		not_ok "write error: exit 1 (or 3 when the kernel swallows it), got $rc"
	fi
else
	not_ok "faultfs --write-bad under a loop device"
fi

done_testing
