#!/usr/bin/env bash
# cardtrail image --format e01 against a failing card (FUSE fault injector):
# unreadable sectors become the E01's acquisition errors (ewfinfo lists
# them), and an E01 interrupted by a vanishing card or SIGKILL is continued
# with --resume from libewf's last complete segment, ending as an
# uninterrupted run would.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
need_root
need_fuse
for t in ewfverify ewfinfo ewfexport jq; do
	command -v $t >/dev/null || skip_all "$t not installed (ewf-tools, jq)"
done

S=512
MiB=1048576
SIZE=$((8 * MiB))
gen_bytes e01f $SIZE >"$T/orig.img"
ORIG_MD5=$(md5sum <"$T/orig.img" | cut -d' ' -f1)
ORIG_SHA256=$(sha256sum <"$T/orig.img" | cut -d' ' -f1)

ct_image() {	# LOGNAME ARGS...
	local name=$1; shift
	"$CARDTRAIL" image --progress none "$@" >"$T/$name.out" 2>&1
}
show() { sed 's/^/#   /' "$T/$1.out" | tail -n 20; }
check_rc() { check_eq "$1" "$2" "$3"; [ "$2" = "$3" ] || show "$4"; }
stored_md5() { ewfverify "$1" 2>/dev/null | sed -n 's/^MD5 hash stored in file:[[:space:]]*//p'; }
export_cmp() {	# DESC E01 REFERENCE
	ewfexport -u -q -f raw -t "$T/exp" "$2" >/dev/null 2>&1
	check_eq "$1" "" "$(cmp "$T/exp.raw" "$3" 2>&1)"
	rm -f "$T/exp.raw" "$T/exp.raw.info"
}

# --- unreadable sectors: acquisition errors in the E01 ------------------------------
B1="$((2 * MiB + 7 * S)):$S"
B2="$((5 * MiB)):$((8 * S))"
cp "$T/orig.img" "$T/ref.img"
for r in $B1 $B2; do
	dd if=/dev/zero of="$T/ref.img" bs=1 seek="${r%%:*}" count="${r##*:}" conv=notrunc status=none
done
M=$T/mnt-bad
if faultfs_mount "$T/orig.img" "$M" --bad "$B1" --bad "$B2"; then
	C=$T/case-bad
	ct_image bad --format e01 --compress fast --hash md5 --retries 0 --verify both "$M/disk" "$C"
	check_rc "bad sectors: exit 4" 4 $? bad
	R=$C/E1.acquisition.json
	check_eq "bad sectors: the record lists them" "$(printf '%s\n' $B1 $B2)" \
		"$(jq -r '.bad_ranges[] | "\(.offset):\(.length)"' "$R")"
	ewfinfo "$C/E1.E01" >"$T/bad.info" 2>&1
	check_eq "bad sectors: ewfinfo lists two acquisition errors" "total number: 2" \
		"$(sed -n '/Read errors during acquiry/{n;s/^[[:space:]]*//p}' "$T/bad.info")"
	check_eq "bad sectors: ewfinfo's first range" \
		"at sector(s): $(((2 * MiB + 7 * S) / S)) - $(((2 * MiB + 7 * S) / S)) number: 1" \
		"$(grep 'at sector(s):' "$T/bad.info" | sed -n '1s/^[[:space:]]*//p')"
	check_eq "bad sectors: ewfinfo's second range" \
		"at sector(s): $((5 * MiB / S)) - $((5 * MiB / S + 7)) number: 8" \
		"$(grep 'at sector(s):' "$T/bad.info" | sed -n '2s/^[[:space:]]*//p')"
	ewfverify -q "$C/E1.E01" >/dev/null 2>&1
	check_eq "bad sectors: ewfverify accepts the E01" 0 $?
	export_cmp "bad sectors: ewfexport gives the card with the sectors zeroed" "$C/E1.E01" "$T/ref.img"
	check_eq "bad sectors: md5 of the zero-filled card" "$(md5sum <"$T/ref.img" | cut -d' ' -f1)" \
		"$(jf "$R" .hashes.md5)"
	check_eq "bad sectors: the E01 stores that md5" "$(jf "$R" .hashes.md5)" "$(stored_md5 "$C/E1.E01")"
	check_eq "bad sectors: the source comparison matched around them" true "$(jf "$R" .verify.source.match)"
	check_eq "bad sectors: the image re-read matched" true "$(jf "$R" .verify.image.match)"
	faultfs_umount "$M"
else
	not_ok "faultfs mounts (bad sectors)"
fi

# --- the card vanishes at 3 MiB, then --resume -----------------------------------------
# 1 MiB segments: libewf can go on from the end of the last complete one.
M=$T/mnt-vanish
C=$T/case-vanish
BV="$((MiB + 7 * S)):$S"	# read before the card goes
cp "$T/orig.img" "$T/ref1.img"
dd if=/dev/zero of="$T/ref1.img" bs=1 seek="${BV%%:*}" count=$S conv=notrunc status=none
if faultfs_mount "$T/orig.img" "$M" --vanish-after 4M --vanish-errno ENXIO --bad "$BV"; then
	ct_image vanish --format e01 --compress fast --split 1M --hash md5,sha256 --retries 0 \
		--verify image "$M/disk" "$C"
	check_rc "vanish: exit 1" 1 $? vanish
	check_eq "vanish: says which segment files are kept" 1 \
		"$(grep -c 'the complete E01 segment files E1.E01 to E1.E0[0-9] are kept; continue with --resume --evidence-id E1' "$T/vanish.out")"
	check_eq "vanish: record says complete false" false "$(jf "$C/E1.acquisition.json" .complete)"
	check_eq "vanish: the unreadable sector is in the mapfile" 1 \
		"$(grep -c "^0x$(printf '%08X' "${BV%%:*}")  0x00000200  -" "$C/E1.map")"
	faultfs_umount "$M"
else
	not_ok "faultfs mounts (vanish)"
fi
if faultfs_mount "$T/orig.img" "$M" --bad "$BV" --log "$T/vanish-resume.log"; then
	ct_image vanish-resume --resume --evidence-id E1 --retries 0 --verify image "$M/disk" "$C"
	check_rc "vanish, --resume: exit 4 (the sector stays unreadable)" 4 $? vanish-resume
	R=$C/E1.acquisition.json
	from=$(jf "$R" '.resumed[0].from_offset')
	check_eq "vanish, --resume: went on from a chunk boundary past 0" 1 \
		"$([ "$from" -gt 0 ] && [ $((from % 32768)) -eq 0 ] && echo 1)"
	check_eq "vanish, --resume: md5 of the card with the sector zeroed" \
		"$(md5sum <"$T/ref1.img" | cut -d' ' -f1)" "$(jf "$R" .hashes.md5)"
	check_eq "vanish, --resume: the E01 stores the md5" "$(jf "$R" .hashes.md5)" "$(stored_md5 "$C/E1.E01")"
	ewfverify -q "$C/E1.E01" >/dev/null 2>&1
	check_eq "vanish, --resume: ewfverify accepts the E01" 0 $?
	export_cmp "vanish, --resume: ewfexport gives the card" "$C/E1.E01" "$T/ref1.img"
	check_eq "vanish, --resume: the first run's unreadable sector is an acquisition error" 1 \
		"$(ewfinfo "$C/E1.E01" 2>/dev/null | grep -c "at sector(s): $((${BV%%:*} / S)) - ")"
	check_eq "vanish, --resume: compression kept from the first run" fast "$(jf "$R" .options.compress)"
	check_eq "vanish, --resume: no bulk re-read of the kept part" "" \
		"$(awk -v w="$from" '$1 == "R" && $2 < w && $3 >= 65536' "$T/vanish-resume.log" | head -n 3)"
	"$CARDTRAIL" verify "$C" >"$T/vanish-verify.out" 2>&1
	rc=$?
	check_eq "vanish, --resume: the case verifies" 0 $rc
	[ $rc -eq 0 ] || sed 's/^/#   /' "$T/vanish-verify.out" | tail -n 8
	faultfs_umount "$M"
else
	not_ok "faultfs mounts (vanish resume)"
fi

# --- SIGKILL mid-run, then --resume ------------------------------------------------------
M=$T/mnt-slow
C=$T/case-kill
if faultfs_mount "$T/orig.img" "$M" --delay-us 20000; then
	# 3 MiB segments of 64 KiB buffers: the mapfile is flushed before the
	# buffer that may end a segment, not before every buffer
	"$CARDTRAIL" image --progress none --format e01 --compress best --split 3M --hash md5 \
		--verify none --block-size 64K "$M/disk" "$C" >"$T/kill.out" 2>&1 &
	pid=$!
	for i in $(seq 150); do	# until libewf has started the second segment
		[ -e "$C/E1.E02" ] && break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		kill -9 $pid
		wait $pid 2>/dev/null
		ok "kill: image was still running when killed"
	else
		wait $pid
		not_ok "kill: image was still running when killed (exited $?)"
		show kill
	fi
	faultfs_umount "$M"
else
	not_ok "faultfs mounts (slow)"
fi
# a set libewf cannot go on with (its first segment cut short): a clear
# refusal, nothing touched
cp -a "$C" "$T/case-cut"
truncate -s 100 "$T/case-cut/E1.E01"
before=$(cd "$T/case-cut" && sha256sum E1.* | sha256sum)
ct_image cut-resume --resume --evidence-id E1 "$T/orig.img" "$T/case-cut"
check_rc "a set libewf cannot continue: exit 1" 1 $? cut-resume
check_eq "... says so" 1 "$(grep -c "cannot resume the E01 of E1: libewf $(ewfinfo -V 2>/dev/null | awk 'NR == 1 { print $2 }') cannot continue it" "$T/cut-resume.out")"
check_eq "... nothing touched" "$before" "$(cd "$T/case-cut" && sha256sum E1.* | sha256sum)"
if faultfs_mount "$T/orig.img" "$M"; then
	ct_image kill-resume --resume --evidence-id E1 --block-size 64K --verify image "$M/disk" "$C"
	check_rc "kill, --resume: exit 0" 0 $? kill-resume
	R=$C/E1.acquisition.json
	check_eq "kill, --resume: md5 of the card" "$ORIG_MD5" "$(jf "$R" .hashes.md5)"
	check_eq "kill, --resume: sha256 of the card" "$ORIG_SHA256" "$(jf "$R" .hashes.sha256)"
	check_eq "kill, --resume: went on from past 0" 1 "$([ "$(jf "$R" '.resumed[0].from_offset')" -gt 0 ] && echo 1)"
	check_eq "kill, --resume: the E01 stores the md5" "$ORIG_MD5" "$(stored_md5 "$C/E1.E01")"
	ewfverify -q "$C/E1.E01" >/dev/null 2>&1
	check_eq "kill, --resume: ewfverify accepts the E01" 0 $?
	export_cmp "kill, --resume: ewfexport gives the card" "$C/E1.E01" "$T/orig.img"
	check_eq "kill, --resume: compression kept (best)" "best compression" \
		"$(ewfinfo "$C/E1.E01" 2>/dev/null | sed -n 's/^[[:space:]]*Compression level:[[:space:]]*//p')"
	faultfs_umount "$M"
else
	not_ok "faultfs mounts (kill resume)"
fi
[ -n "${KEEP:-}" ] && cp -r "$T" "$KEEP"
done_testing
