# `cardtrail image` against a failing card (FUSE fault injector): unreadable
# sectors, flaky sectors and retries, a card that vanishes mid-run, and an
# acquisition killed with SIGKILL, both continued with --resume.
# KEEP=DIR: copy the work folder (cases, faultfs logs, outputs) to DIR at the end.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
need_root
need_fuse

S=512
MiB=1048576
SIZE=$((8 * MiB))
gen_bytes 300 $SIZE >"$T/orig.img"
ORIG_MD5=$(md5sum <"$T/orig.img" | cut -d' ' -f1)
ORIG_SHA256=$(sha256sum <"$T/orig.img" | cut -d' ' -f1)

# map_blocks MAPFILE STATUS: the blocks with STATUS as decimal "pos:size" lines.
# (Block lines are the non-comment lines after the current_pos status line.)
map_blocks() {
	awk -v s="$2" '/^[ \t]*#/ || NF == 0 { next } !st { st = 1; next } $3 == s { print $1, $2 }' "$1" |
		while read -r a b; do printf '%d:%d\n' "$a" "$b"; done
}
# map_total MAPFILE: bytes covered by the blocks.
map_total() {
	awk '/^[ \t]*#/ || NF == 0 { next } !st { st = 1; next } { print $2 }' "$1" |
		{ t=0; while read -r b; do t=$((t + b)); done; echo $t; }
}
rec_bad() { jq -r '(.bad_ranges // [])[] | "\(.offset):\(.length)"' "$1"; }
same_file() { # DESC A B
	if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1"; cmp "$2" "$3" 2>&1 | sed 's/^/#   /'; fi
}
# ct_image LOGNAME ARGS...: run cardtrail image, stdout+stderr to $T/LOGNAME.out;
# returns its status.  On an unexpected status the caller prints the output.
ct_image() {
	local name=$1; shift
	"$CARDTRAIL" image --progress none "$@" >"$T/$name.out" 2>&1
}
show() { sed 's/^/#   /' "$T/$1.out" | tail -n 20; }
check_rc() { # DESC EXPECTED ACTUAL LOGNAME
	check_eq "$1" "$2" "$3"
	[ "$2" = "$3" ] || show "$4"
}

# --- unreadable sectors -------------------------------------------------------------
# First sector, one sector in the middle, the last sector, and a 1 MiB + 512
# region that starts and ends off the 1 MiB block grid.
B_FIRST="0:$S"
B_MID="$((4 * MiB + 5 * S)):$S"
B_REGION="$((5 * MiB + 3 * S)):$((MiB + S))"
B_LAST="$((SIZE - S)):$S"
BAD="$B_FIRST $B_MID $B_REGION $B_LAST"
cp "$T/orig.img" "$T/ref.img"
for r in $BAD; do
	dd if=/dev/zero of="$T/ref.img" bs=1 seek="${r%%:*}" count="${r##*:}" conv=notrunc status=none
done
REF_MD5=$(md5sum <"$T/ref.img" | cut -d' ' -f1)
REF_SHA256=$(sha256sum <"$T/ref.img" | cut -d' ' -f1)
expected_bad=$(printf '%s\n' $BAD)
BAD_BYTES=0
for r in $BAD; do BAD_BYTES=$((BAD_BYTES + ${r##*:})); done

M=$T/mnt-bad
fopts=()
for r in $BAD; do fopts+=(--bad "$r"); done
if faultfs_mount "$T/orig.img" "$M" "${fopts[@]}" --log "$T/bad.log"; then
	C=$T/case-bad
	ct_image bad --hash md5,sha256 --retries 1 --verify image "$M/disk" "$C"
	check_rc "bad sectors: exit 4" 4 $? bad
	R=$C/E1.acquisition.json
	if [ -f "$R" ]; then
		check_eq "bad sectors: bad_ranges are exactly the unreadable bytes" "$expected_bad" "$(rec_bad "$R")"
		check_eq "bad sectors: record says complete" "true" "$(jf "$R" .complete)"
		check_eq "bad sectors: md5 is of the zero-filled image" "$REF_MD5" "$(jf "$R" .hashes.md5)"
		check_eq "bad sectors: sha256 is of the zero-filled image" "$REF_SHA256" "$(jf "$R" .hashes.sha256)"
	else
		not_ok "bad sectors: acquisition record written"
		show bad
	fi
	if [ -f "$C/E1.map" ]; then
		check_eq "bad sectors: mapfile '-' blocks are exactly the unreadable bytes" "$expected_bad" "$(map_blocks "$C/E1.map" -)"
		check_eq "bad sectors: mapfile covers the whole card" "$SIZE" "$(map_total "$C/E1.map")"
		check_eq "bad sectors: mapfile has nothing but '+' and '-'" "" \
			"$(awk '/^[ \t]*#/ || NF == 0 { next } !st { st = 1; next } $3 != "+" && $3 != "-"' "$C/E1.map")"
	else
		not_ok "bad sectors: mapfile written"
	fi
	same_file "bad sectors: image equals the source with bad sectors zeroed" "$T/ref.img" "$C/E1.raw"
	check_eq "bad sectors: md5sum of the image" "$REF_MD5" "$(md5sum <"$C/E1.raw" | cut -d' ' -f1)"

	# --verify both: the image is re-read and hashed; the source is re-read
	# around the known bad ranges and compared byte for byte with the image
	# (src/image/acquire.c, compare_consume): a match, still exit 4.
	C=$T/case-bad-both
	ct_image bad-both --hash md5,sha256 --retries 0 --verify both "$M/disk" "$C"
	check_rc "bad sectors, --verify both: exit 4" 4 $? bad-both
	R=$C/E1.acquisition.json
	check_eq "bad sectors, --verify both: bad_ranges" "$expected_bad" "$(rec_bad "$R" 2>/dev/null)"
	check_eq "bad sectors, --verify both: image re-read matches" "true" "$(jf "$R" .verify.image.match 2>/dev/null)"
	check_eq "bad sectors, --verify both: source comparison matches" "true" "$(jf "$R" .verify.source.match 2>/dev/null)"
	check_eq "bad sectors, --verify both: bad bytes skipped in the comparison" "$BAD_BYTES" \
		"$(jf "$R" .verify.source.skipped_bad_bytes 2>/dev/null)"
	check_eq "bad sectors, --verify both: every other byte compared" "$((SIZE - BAD_BYTES))" \
		"$(jf "$R" .verify.source.compared_bytes 2>/dev/null)"
	check_eq "bad sectors, --verify both: md5 of the zero-filled image" "$REF_MD5" "$(jf "$R" .hashes.md5 2>/dev/null)"
	same_file "bad sectors, --verify both: image equals the reference" "$T/ref.img" "$C/E1.raw"

	# --verify source: the source re-read (bad ranges zero-filled) is hashed.
	C=$T/case-bad-source
	ct_image bad-source --hash md5,sha256 --retries 0 --verify source "$M/disk" "$C"
	check_rc "bad sectors, --verify source: exit 4" 4 $? bad-source
	R=$C/E1.acquisition.json
	check_eq "bad sectors, --verify source: source re-read matches" "true" "$(jf "$R" .verify.source.match 2>/dev/null)"
	check_eq "bad sectors, --verify source: sha256 of the zero-filled image" "$REF_SHA256" "$(jf "$R" .hashes.sha256 2>/dev/null)"
	faultfs_umount "$M"
else
	not_ok "faultfs mounts (bad sectors)"
fi

# --- flaky sector and --retries ----------------------------------------------------------
# --retries N is "extra reads of a failing sector": before them, the failing
# 1 MiB read is narrowed down by halves, and each narrowing read that covers
# the sector counts as a failure of a --flaky range too.  So first measure K,
# the reads of the sector up to and including its own single-sector read,
# from a run where it never recovers (--retries 0); then a sector that fails
# K + 1 times (its own read and the first retry) needs exactly --retries 2.
FS=$((3 * MiB + 17 * S))
M=$T/mnt-flaky
# n_reads LOG: reads that covered sector FS.
n_reads() { awk -v s=$FS -v e=$((FS + S)) '$1 == "R" && $2 < e && $2 + $3 > s' "$1" | wc -l; }
flaky_run() { # NAME N RETRIES: image through a --flaky sector; returns cardtrail's status
	local rc=99
	if faultfs_mount "$T/orig.img" "$M" --flaky "$FS:$S:$2" --log "$T/$1.log"; then
		ct_image "$1" --hash md5,sha256 --retries "$3" --verify image "$M/disk" "$T/case-$1"
		rc=$?
		faultfs_umount "$M"
	else
		not_ok "faultfs mounts ($1)"
	fi
	return $rc
}
flaky_good() { # NAME: checks of a run that recovered the sector
	local R=$T/case-$1/E1.acquisition.json
	check_eq "$1: no bad ranges" "" "$(rec_bad "$R" 2>/dev/null)"
	check_eq "$1: md5 of the original" "$ORIG_MD5" "$(jf "$R" .hashes.md5 2>/dev/null)"
	check_eq "$1: sha256 of the original" "$ORIG_SHA256" "$(jf "$R" .hashes.sha256 2>/dev/null)"
	same_file "$1: image equals the source" "$T/orig.img" "$T/case-$1/E1.raw"
}
flaky_bad() { # NAME: checks of a run where the sector stayed bad
	check_eq "$1: the sector is the one bad range" "$FS:$S" "$(rec_bad "$T/case-$1/E1.acquisition.json" 2>/dev/null)"
	check_eq "$1: mapfile '-' block" "$FS:$S" "$(map_blocks "$T/case-$1/E1.map" - 2>/dev/null)"
}

flaky_run flaky-2x-r2 2 2
check_rc "flaky, fails 2 times, --retries 2: exit 0" 0 $? flaky-2x-r2
flaky_good flaky-2x-r2

flaky_run flaky-never-r0 1000000 0
check_rc "flaky, never recovers, --retries 0: exit 4" 4 $? flaky-never-r0
flaky_bad flaky-never-r0
K=$(n_reads "$T/flaky-never-r0.log")
if [ "$K" -ge 1 ]; then ok "flaky: the sector was read $K times without retries"; else not_ok "flaky: the sector was read at all (K=$K)"; K=1; fi

flaky_run flaky-r0 $((K + 1)) 0
check_rc "flaky, fails K+1 times, --retries 0: exit 4" 4 $? flaky-r0
flaky_bad flaky-r0
check_eq "flaky, --retries 0: no extra read of the sector" "$K" "$(n_reads "$T/flaky-r0.log")"

flaky_run flaky-r2 $((K + 1)) 2
check_rc "flaky, fails K+1 times, --retries 2: exit 0" 0 $? flaky-r2
flaky_good flaky-r2
check_eq "flaky, --retries 2: recovered on the second retry" "$((K + 2))" "$(n_reads "$T/flaky-r2.log")"

flaky_run flaky-r2-bad $((K + 2)) 2
check_rc "flaky, fails K+2 times, --retries 2: exit 4" 4 $? flaky-r2-bad
flaky_bad flaky-r2-bad
check_eq "flaky, --retries 2: two extra reads of the sector" "$((K + 2))" "$(n_reads "$T/flaky-r2-bad.log")"

# --- the card vanishes at 3 MiB, then --resume ---------------------------------------------
# faultfs serves 3 MiB in all (the identity probe's reads included), then
# every read fails with ENXIO.  The image must stop (exit 1), keep what it
# got, and say so consistently in E1.raw, the mapfile and the record.
VAN=$((3 * MiB))
M=$T/mnt-vanish
C=$T/case-vanish
W=0
if faultfs_mount "$T/orig.img" "$M" --vanish-after 3M --vanish-errno ENXIO --log "$T/vanish.log"; then
	ct_image vanish --hash md5,sha256 --verify image "$M/disk" "$C"
	check_rc "vanish: exit 1" 1 $? vanish
	R=$C/E1.acquisition.json
	cp "$C/E1.map" "$T/vanish.map" 2>/dev/null
	check_eq "vanish: record says complete false" "false" "$(jf "$R" .complete 2>/dev/null)"
	check_eq "vanish: record lists no bad ranges" "" "$(rec_bad "$R" 2>/dev/null)"
	W=$(stat -c %s "$C/E1.raw" 2>/dev/null || echo 0)
	if [ "$W" -gt 0 ] && [ "$W" -le $VAN ] && [ $((W % S)) -eq 0 ]; then
		ok "vanish: E1.raw holds a multiple of 512 bytes in (0, 3 MiB] ($W)"
	else
		not_ok "vanish: E1.raw holds a multiple of 512 bytes in (0, 3 MiB] (got $W)"
	fi
	if [ "$W" -gt 0 ] && head -c "$W" "$T/orig.img" | cmp -s - "$C/E1.raw"; then
		ok "vanish: E1.raw equals the original's prefix"
	else
		not_ok "vanish: E1.raw equals the original's prefix"
	fi
	# The mapfile vouches for exactly what E1.raw holds, '?' for the rest.
	check_eq "vanish: mapfile '+' is what E1.raw holds" "0:$W" "$(map_blocks "$C/E1.map" + 2>/dev/null)"
	check_eq "vanish: mapfile '?' for the rest" "$W:$((SIZE - W))" "$(map_blocks "$C/E1.map" '?' 2>/dev/null)"
	check_eq "vanish: mapfile has no bad blocks" "" "$(map_blocks "$C/E1.map" - 2>/dev/null)"
	check_eq "vanish: record's bytes is what E1.raw holds" "$W" "$(jf "$R" .bytes 2>/dev/null)"
	faultfs_umount "$M"
else
	not_ok "faultfs mounts (vanish)"
fi
if faultfs_mount "$T/orig.img" "$M" --log "$T/vanish-resume.log"; then
	ct_image vanish-resume --hash md5,sha256 --verify image --resume --evidence-id E1 "$M/disk" "$C"
	check_rc "vanish, --resume: exit 0" 0 $? vanish-resume
	R=$C/E1.acquisition.json
	check_eq "vanish, --resume: complete" "true" "$(jf "$R" .complete 2>/dev/null)"
	check_eq "vanish, --resume: md5 of the whole card" "$ORIG_MD5" "$(jf "$R" .hashes.md5 2>/dev/null)"
	check_eq "vanish, --resume: sha256 of the whole card" "$ORIG_SHA256" "$(jf "$R" .hashes.sha256 2>/dev/null)"
	same_file "vanish, --resume: E1.raw equals the original" "$T/orig.img" "$C/E1.raw"
	check_eq "vanish, --resume: mapfile all '+'" "0:$SIZE" "$(map_blocks "$C/E1.map" + 2>/dev/null)"
	# The resumed run reads the rest of the card from the source, not the
	# part acquired before (it re-hashes that from E1.raw).
	check_eq "vanish, --resume: no bulk re-read of the acquired part" "" \
		"$(awk -v w="$W" '$1 == "R" && $2 < w && $3 >= 65536' "$T/vanish-resume.log" | head -n 3)"
	# the interrupted run's record lists no files (they changed on
	# --resume): nothing to re-hash there, and the chain verifies
	"$CARDTRAIL" verify "$C" >"$T/vanish-verify.out" 2>&1
	rc=$?
	check_eq "vanish, --resume: the case verifies" 0 $rc
	[ $rc -eq 0 ] || sed 's/^/#   /' "$T/vanish-verify.out" | tail -n 6
	faultfs_umount "$M"
else
	not_ok "faultfs mounts (vanish resume)"
fi

# --- SIGKILL mid-run, then --resume ----------------------------------------------------------
M=$T/mnt-slow
C=$T/case-kill
if faultfs_mount "$T/orig.img" "$M" --delay-us 20000; then
	"$CARDTRAIL" image --progress none --hash md5,sha256 --verify image --block-size 64K \
		"$M/disk" "$C" >"$T/kill.out" 2>&1 &
	pid=$!
	for i in $(seq 50); do
		[ -f "$C/E1.map" ] && [ -n "$(map_blocks "$C/E1.map" + 2>/dev/null)" ] && break
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
	before=$(map_blocks "$C/E1.map" + 2>/dev/null)
	if [ -n "$before" ] && [ "$before" != "0:$SIZE" ]; then ok "kill: mapfile shows partial progress ($before)"; else not_ok "kill: mapfile shows partial progress (got: $(echo $before))"; fi
	# What the mapfile vouches for must be in E1.raw, intact.
	v=${before#0:}
	case "$v" in ''|*[!0-9]*) v=0 ;; esac
	raw=$(stat -c %s "$C/E1.raw" 2>/dev/null || echo 0)
	if [ "$v" -gt 0 ] && [ "$raw" -ge "$v" ] && head -c "$v" "$T/orig.img" | cmp -s - <(head -c "$v" "$C/E1.raw"); then
		ok "kill: E1.raw holds what the mapfile vouches for ($v of $raw bytes)"
	else
		not_ok "kill: E1.raw holds what the mapfile vouches for ($v, E1.raw $raw bytes)"
	fi
	check_eq "kill: record says complete false" "false" "$(jf "$C/E1.acquisition.json" .complete 2>/dev/null)"
	faultfs_umount "$M"
else
	not_ok "faultfs mounts (slow)"
fi
if faultfs_mount "$T/orig.img" "$M"; then
	ct_image kill-resume --hash md5,sha256 --verify image --block-size 64K --resume --evidence-id E1 "$M/disk" "$C"
	check_rc "kill, --resume: exit 0" 0 $? kill-resume
	R=$C/E1.acquisition.json
	ct_image full --hash md5,sha256 --verify image --block-size 64K "$M/disk" "$T/case-full"
	check_rc "uninterrupted run: exit 0" 0 $? full
	check_eq "kill, --resume: md5 as an uninterrupted run" "$(jf "$T/case-full/E1.acquisition.json" .hashes.md5 2>/dev/null)" "$(jf "$R" .hashes.md5 2>/dev/null)"
	check_eq "kill, --resume: sha256 as an uninterrupted run" "$(jf "$T/case-full/E1.acquisition.json" .hashes.sha256 2>/dev/null)" "$(jf "$R" .hashes.sha256 2>/dev/null)"
	check_eq "kill, --resume: md5 of the card" "$ORIG_MD5" "$(jf "$R" .hashes.md5 2>/dev/null)"
	check_eq "kill, --resume: sha256 of the card" "$ORIG_SHA256" "$(jf "$R" .hashes.sha256 2>/dev/null)"
	same_file "kill, --resume: image equals the source" "$T/orig.img" "$C/E1.raw"
	faultfs_umount "$M"
else
	not_ok "faultfs mounts (kill resume)"
fi

# --- SIGTERM mid-run: a clean stop, then --resume -------------------------------------------
M=$T/mnt-term
C=$T/case-term
if faultfs_mount "$T/orig.img" "$M" --delay-us 20000; then
	"$CARDTRAIL" image --progress none --hash md5,sha256 --verify image --block-size 64K \
		"$M/disk" "$C" >"$T/term.out" 2>&1 &
	pid=$!
	for i in $(seq 100); do	# until 1 MiB is in E1.raw (the identity probe comes first)
		[ "$(stat -c %s "$C/E1.raw" 2>/dev/null || echo 0)" -ge $MiB ] && break
		sleep 0.1
	done
	kill -TERM $pid 2>/dev/null
	wait $pid
	check_rc "SIGTERM: exit 1" 1 $? term
	R=$C/E1.acquisition.json
	check_eq "SIGTERM: record says complete false" "false" "$(jf "$R" .complete 2>/dev/null)"
	W=$(stat -c %s "$C/E1.raw" 2>/dev/null || echo 0)
	if [ "$W" -gt 0 ] && [ "$W" -lt $SIZE ] && head -c "$W" "$T/orig.img" | cmp -s - "$C/E1.raw"; then
		ok "SIGTERM: E1.raw holds a prefix of the card ($W bytes)"
	else
		not_ok "SIGTERM: E1.raw holds a prefix of the card ($W bytes)"
	fi
	check_eq "SIGTERM: mapfile '+' is what E1.raw holds" "0:$W" "$(map_blocks "$C/E1.map" + 2>/dev/null)"
	check_eq "SIGTERM: record's bytes is what E1.raw holds" "$W" "$(jf "$R" .bytes 2>/dev/null)"
	faultfs_umount "$M"
else
	not_ok "faultfs mounts (SIGTERM)"
fi
if faultfs_mount "$T/orig.img" "$M"; then
	ct_image term-resume --hash md5,sha256 --verify image --block-size 64K --resume --evidence-id E1 "$M/disk" "$C"
	check_rc "SIGTERM, --resume: exit 0" 0 $? term-resume
	check_eq "SIGTERM, --resume: sha256 of the card" "$ORIG_SHA256" "$(jf "$C/E1.acquisition.json" .hashes.sha256 2>/dev/null)"
	same_file "SIGTERM, --resume: image equals the source" "$T/orig.img" "$C/E1.raw"
	faultfs_umount "$M"
else
	not_ok "faultfs mounts (SIGTERM resume)"
fi

[ -n "${KEEP:-}" ] && cp -r "$T" "$KEEP"
done_testing
