# Self-test of the FUSE fault injector (tests/tools/faultfs.c) that the
# imaging and wiping tests rely on.  Does not run cardtrail.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
need_root
need_fuse

S=512
gen_bytes 100 $((2 * 1024 * 1024)) >"$T/back.img"
SIZE=$(stat -c %s "$T/back.img")

# rsec FILE SECTOR OUT: one direct 512-byte read; status of dd.
rsec() { dd if="$1" of="$3" iflag=direct bs=$S skip="$2" count=1 status=none 2>"$T/dd.err"; }
# ref SECTOR: that sector of the backing file on stdout.
ref() { dd if="$T/back.img" bs=$S skip="$1" count=1 status=none; }

# --- plain pass-through ------------------------------------------------------
M=$T/plain
if faultfs_mount "$T/back.img" "$M"; then
	check_eq "disk size equals backing size" "$SIZE" "$(stat -c %s "$M/disk")"
	check_eq "disk is read-only 0444 by default" "444" "$(stat -c %a "$M/disk")"
	if cmp -s "$T/back.img" "$M/disk"; then ok "content equals the backing file"; else not_ok "content equals the backing file"; fi
	if dd if="$M/disk" of="$T/direct.img" iflag=direct bs=64k status=none && cmp -s "$T/back.img" "$T/direct.img"; then
		ok "O_DIRECT reads equal the backing file"
	else
		not_ok "O_DIRECT reads equal the backing file"
	fi
	if ( : >>"$M/disk" ) 2>/dev/null; then not_ok "open for write fails when not --writable"; else ok "open for write fails when not --writable"; fi
	check_eq "directory lists only disk" "disk" "$(ls "$M")"
	faultfs_umount "$M"
	if [ -e "$M/disk" ]; then not_ok "faultfs_umount unmounts"; else ok "faultfs_umount unmounts"; fi
else
	not_ok "faultfs mounts"
fi

# --- --bad, --size, --log ------------------------------------------------------
M=$T/bad
B1=100 B2=2000
if faultfs_mount "$T/back.img" "$M" --bad $((B1 * S)):$S --bad 0x$(printf %x $((B2 * S))):0x400 \
	--log "$T/bad.log"; then
	if rsec "$M/disk" $B1 "$T/s"; then not_ok "bad sector $B1 fails"; else ok "bad sector $B1 fails"; fi
	if grep -q "Input/output error" "$T/dd.err"; then ok "bad sector error is EIO"; else not_ok "bad sector error is EIO"; sed 's/^/#   /' "$T/dd.err"; fi
	for k in $((B1 - 1)) $((B1 + 1)); do
		if rsec "$M/disk" $k "$T/s" && ref $k | cmp -s - "$T/s"; then
			ok "neighbour sector $k reads fine"
		else
			not_ok "neighbour sector $k reads fine"
		fi
	done
	for k in $B2 $((B2 + 1)); do
		if rsec "$M/disk" $k "$T/s"; then not_ok "hex range: sector $k fails"; else ok "hex range: sector $k fails"; fi
	done
	if rsec "$M/disk" $((B2 + 2)) "$T/s"; then ok "hex range: sector $((B2 + 2)) reads"; else not_ok "hex range: sector $((B2 + 2)) reads"; fi
	# A larger read that covers a bad sector fails whole (no partial data).
	if dd if="$M/disk" of="$T/s" iflag=direct bs=4096 skip=$((B1 * S / 4096)) count=1 status=none 2>/dev/null; then
		not_ok "4 KiB read covering a bad sector fails"
	else
		ok "4 KiB read covering a bad sector fails"
	fi
	check_eq "bad read still fails on retry" "EIO" \
		"$(rsec "$M/disk" $B1 "$T/s"; tail -n 1 "$T/bad.log" | awk '{print $4}')"
	check_eq "log line for a bad read" "R $((B1 * S)) $S EIO" "$(grep "^R $((B1 * S)) " "$T/bad.log" | head -n 1)"
	check_eq "log line for a good read" "R $(((B1 + 1) * S)) $S $S" "$(grep "^R $(((B1 + 1) * S)) " "$T/bad.log" | head -n 1)"
	faultfs_umount "$M"
else
	not_ok "faultfs mounts with --bad"
fi

M=$T/size
if faultfs_mount "$T/back.img" "$M" --size 1M; then
	check_eq "--size sets the apparent size" "1048576" "$(stat -c %s "$M/disk")"
	if head -c 1048576 "$T/back.img" | cmp -s - "$M/disk"; then ok "--size: content is the backing prefix"; else not_ok "--size: content is the backing prefix"; fi
	faultfs_umount "$M"
else
	not_ok "faultfs mounts with --size"
fi

# --- --flaky -----------------------------------------------------------------------
M=$T/flaky
F=300
if faultfs_mount "$T/back.img" "$M" --flaky $((F * S)):$S:2; then
	res=
	for i in 1 2 3 4; do
		if rsec "$M/disk" $F "$T/s.$i"; then res="$res ok"; else res="$res fail"; fi
	done
	check_eq "flaky sector fails twice then succeeds" " fail fail ok ok" "$res"
	if ref $F | cmp -s - "$T/s.3"; then ok "flaky sector data correct after recovery"; else not_ok "flaky sector data correct after recovery"; fi
	if rsec "$M/disk" $((F + 1)) "$T/s"; then ok "flaky neighbour unaffected"; else not_ok "flaky neighbour unaffected"; fi
	faultfs_umount "$M"
else
	not_ok "faultfs mounts with --flaky"
fi

# --- --vanish-after ------------------------------------------------------------------
M=$T/vanish
if faultfs_mount "$T/back.img" "$M" --vanish-after 1M --vanish-errno ENXIO; then
	dd if="$M/disk" of="$T/v.img" iflag=direct bs=64k status=none 2>"$T/dd.err"
	rc=$?
	check_eq "reading past the vanish point fails" "1" "$rc"
	check_eq "exactly 1 MiB served before vanishing" "1048576" "$(stat -c %s "$T/v.img")"
	if head -c 1048576 "$T/back.img" | cmp -s - "$T/v.img"; then ok "bytes before vanishing are correct"; else not_ok "bytes before vanishing are correct"; fi
	if grep -q "No such device or address" "$T/dd.err"; then ok "vanish errno is ENXIO"; else not_ok "vanish errno is ENXIO"; sed 's/^/#   /' "$T/dd.err"; fi
	if rsec "$M/disk" 0 "$T/s"; then not_ok "after vanishing even sector 0 fails"; else ok "after vanishing even sector 0 fails"; fi
	faultfs_umount "$M"
else
	not_ok "faultfs mounts with --vanish-after"
fi

# --- --delay-us ------------------------------------------------------------------------
M=$T/slow
if faultfs_mount "$T/back.img" "$M" --delay-us 50000; then
	t0=$(date +%s%N)
	dd if="$M/disk" of=/dev/null iflag=direct bs=$S count=10 status=none
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	if [ "$ms" -ge 450 ]; then ok "--delay-us 50000: 10 reads take >= 0.45 s ($ms ms)"; else not_ok "--delay-us 50000: 10 reads take >= 0.45 s ($ms ms)"; fi
	faultfs_umount "$M"
else
	not_ok "faultfs mounts with --delay-us"
fi

# --- writes: --writable, --wrap, --lose-writes-after, --write-bad -----------------------------
cp "$T/back.img" "$T/w.img"
gen_bytes 101 4096 >"$T/pat"
M=$T/wrap
# A "4 MiB card" with 1 MiB real capacity: addresses wrap modulo 1 MiB.
head -c 1048576 "$T/back.img" >"$T/w.img"
if faultfs_mount "$T/w.img" "$M" --writable --size 4M --wrap 1M; then
	check_eq "--wrap: apparent size is --size" "4194304" "$(stat -c %s "$M/disk")"
	check_eq "--writable: mode 0644" "644" "$(stat -c %a "$M/disk")"
	X=8192
	if dd if="$T/pat" of="$M/disk" oflag=direct bs=4096 seek=$(((1048576 + X) / 4096)) conv=notrunc status=none; then
		ok "write at WRAP+x succeeds"
	else
		not_ok "write at WRAP+x succeeds"
	fi
	if dd if="$M/disk" iflag=direct bs=4096 skip=$((X / 4096)) count=1 status=none | cmp -s - "$T/pat"; then
		ok "write at WRAP+x shows up at x"
	else
		not_ok "write at WRAP+x shows up at x"
	fi
	if dd if="$T/w.img" bs=4096 skip=$((X / 4096)) count=1 status=none | cmp -s - "$T/pat"; then
		ok "write at WRAP+x lands at x in the backing file"
	else
		not_ok "write at WRAP+x lands at x in the backing file"
	fi
	if dd if="$M/disk" iflag=direct bs=4096 skip=$((3 * 256 + X / 4096)) count=1 status=none | cmp -s - "$T/pat"; then
		ok "and reads back at 3*WRAP+x"
	else
		not_ok "and reads back at 3*WRAP+x"
	fi
	check_eq "backing file keeps its real size" "1048576" "$(stat -c %s "$T/w.img")"
	# A write that straddles the wrap point is split.
	if dd if="$T/pat" of="$M/disk" bs=4096 seek=$((2 * 1048576 - 2048)) oflag=seek_bytes,direct conv=notrunc status=none &&
		{ tail -c 2048 "$T/w.img"; head -c 2048 "$T/w.img"; } | cmp -s - "$T/pat"; then
		ok "write across the wrap point is split"
	else
		not_ok "write across the wrap point is split"
	fi
	if dd if="$T/pat" of="$M/disk" bs=4096 seek=1024 conv=notrunc status=none 2>/dev/null; then
		not_ok "write past the apparent size fails"
	else
		ok "write past the apparent size fails"
	fi
	faultfs_umount "$M"
else
	not_ok "faultfs mounts with --writable --wrap"
fi

cp "$T/back.img" "$T/w.img"
M=$T/lose
if faultfs_mount "$T/w.img" "$M" --writable --lose-writes-after 1M --write-bad 4096:512 --log "$T/w.log"; then
	if dd if="$T/pat" of="$M/disk" oflag=direct bs=4096 seek=$((1048576 / 4096 + 1)) conv=notrunc status=none; then
		ok "write past --lose-writes-after reports success"
	else
		not_ok "write past --lose-writes-after reports success"
	fi
	if cmp -s "$T/back.img" "$M/disk"; then ok "... but is dropped"; else not_ok "... but is dropped"; fi
	if dd if="$T/pat" of="$M/disk" oflag=direct bs=4096 seek=2 conv=notrunc status=none && \
		dd if="$M/disk" iflag=direct bs=4096 skip=2 count=1 status=none | cmp -s - "$T/pat"; then
		ok "write before --lose-writes-after is kept"
	else
		not_ok "write before --lose-writes-after is kept"
	fi
	if dd if="$T/pat" of="$M/disk" oflag=direct bs=4096 seek=1 conv=notrunc status=none 2>/dev/null; then
		not_ok "--write-bad: overlapping write fails"
	else
		ok "--write-bad: overlapping write fails"
	fi
	if rsec "$M/disk" 8 "$T/s"; then ok "--write-bad range still reads"; else not_ok "--write-bad range still reads"; fi
	check_eq "log line for a failed write" "W 4096 4096 EIO" "$(grep '^W 4096 ' "$T/w.log")"
	faultfs_umount "$M"
else
	not_ok "faultfs mounts with --lose-writes-after"
fi

# --- startup errors -------------------------------------------------------------------
if faultfs_mount "$T/nonexistent" "$T/nomnt" >"$T/mount.out"; then
	not_ok "faultfs_mount fails for a missing backing file"
else
	ok "faultfs_mount fails for a missing backing file"
fi
if "$FAULTFS" --bad 12 "$T/back.img" "$T/nomnt" 2>/dev/null; then not_ok "bad --bad syntax is refused"; else ok "bad --bad syntax is refused"; fi

done_testing
