#!/usr/bin/env bash
# cardtrail extract on hostile cards (fixtures/mkflightcard.sh hostile and
# dirloop, tests/tools/gen-cardimg, and damaged copies of the flight card):
# names from the card never escape or collide in the bundle or when it is
# unpacked, a directory loop ends, truncated and overwritten filesystems
# never crash it (the test build is sanitized: any report is a failure),
# entries that claim more than the card holds cost at most the volume's
# size in zeros, and what it writes verifies.
. "$CT_TOP"/tests/e2e/lib.sh

PATH=$PATH:/usr/sbin:/sbin
for t in mkfs.fat mcopy mshowfat jq sha256sum tar timeout; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs dosfstools, mtools, jq)"
done
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
# libtsk leaks in its image-format probes (aff/vhdi/vmdk): not ours, see t0800
printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n' >"$T/lsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"

sum() { sha256sum <"$1" | cut -d' ' -f1; }
# ct NAME ARGS...: cardtrail under a 60 s limit; status in RC; a sanitizer
# report or a crash fails on its own.
ct() {
	local n=$1; shift
	timeout -k 5 60 "$CARDTRAIL" "$@" >"$T/$n.out" 2>"$T/$n.err"
	RC=$?
	if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/$n.err"; then
		not_ok "$n: sanitizer report"; grep -m1 -A12 'ERROR\|runtime error' "$T/$n.err" | sed 's/^/#   /'
	fi
}
# members_ok TAR DESC: every member name safe (no '..' component, not
# absolute, no control character, components <= 255 bytes), none twice.
members_ok() {
	local bad
	bad=$(tar tf "$1" | LC_ALL=C awk '{
		if ($0 ~ /^\//) print "absolute: " $0
		if ($0 ~ /[\001-\037\177]/) print "control: " $0
		n = split($0, c, "/")
		for (i = 1; i <= n; i++) {
			if (c[i] == "..") print "dotdot: " $0
			if (length(c[i]) > 255) print "component > 255 bytes: " substr(c[i], 1, 60) "..."
		}
	}')
	check_eq "$2: member names safe" "" "$bad"
	check_eq "$2: no member twice" "" "$(tar tf "$1" | sort | uniq -d | head -c 400)"
}
# unpack_ok TAR DIR DESC: unpack with tar, nothing lands outside DIR,
# SHA256SUMS verifies, every MANIFEST sha256 matches its member.
unpack_ok() {
	local before after bad
	before=$(find "$T" -path "$2" -prune -o -print | sort)
	mkdir -p "$2"
	tar -x --no-same-owner -f "$1" -C "$2" 2>"$T/tar.err"
	check_eq "$3: tar -x exits 0" 0 $?
	[ -s "$T/tar.err" ] && sed 's/^/#   /' "$T/tar.err" | head -n 5
	after=$(find "$T" -path "$2" -prune -o -print | grep -v "^$T/tar.err$" | sort)
	check_eq "$3: nothing written outside the unpack folder" "" \
		"$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after"))"
	(cd "$2" && sha256sum -c --quiet SHA256SUMS) >"$T/sums.out" 2>&1
	check_eq "$3: sha256sum -c SHA256SUMS" 0 $?
	[ -s "$T/sums.out" ] && sed 's/^/#   /' "$T/sums.out" | cut -c1-160 | head -n 6
	bad=$(jq -r '.files[] | "\(.sha256) \(.bundle_path)"' "$2/MANIFEST.json" | while read -r h p; do
		[ "$(sum "$2/$p" 2>/dev/null)" = "$h" ] || printf ' %s' "$p"
	done)
	check_eq "$3: every MANIFEST sha256 matches its member" "" "$bad"
}

mk() { "$CT_TOP/fixtures/mkflightcard.sh" "$T" "$1" >/dev/null 2>"$T/mk.err" ||
	{ not_ok "mkflightcard.sh $1"; sed 's/^/#   /' "$T/mk.err"; }; }
mk hostile; mk dirloop; mk superfloppy

# ---- hostile names ----
ct host extract "$T/flightcard-hostile.img" "$T/out"
check_eq "hostile names: extract exits 0" 0 "$RC"
[ "$RC" -eq 0 ] || sed 's/^/#   /' "$T/host.err" | head
tarf=$T/out/flightcard-hostile.img.evidence.tar
members_ok "$tarf" "hostile names"
unpack_ok "$tarf" "$T/u" "hostile names"
M=$T/u/MANIFEST.json
bp() { jq -r --arg p "$1" '.files[] | select(.path == $p) | .bundle_path' "$M"; }
check_eq "hostile: '../../../../tmp/…' kept as the card's name in MANIFEST" 1 \
	"$(jq --arg p 'EVIL1/../../../../tmp/ct-escape-1.SRT' '[.files[] | select(.path == $p)] | length' "$M")"
# a '/' inside a file name is part of that one name: no folders made from it
check_eq "hostile: a name with '/' is one component in EVIL1/" "files/EVIL1/.._.._.._.._tmp_ct-escape-1.SRT" \
	"$(bp 'EVIL1/../../../../tmp/ct-escape-1.SRT')"
check_eq "hostile: '/etc/…' is one component in EVIL1/" "files/EVIL1/_etc_ct-escape-2.SRT" \
	"$(bp 'EVIL1//etc/ct-escape-2.SRT')"
check_eq "hostile: backslashes replaced" "files/EVIL1/.._.._ct-escape-3.SRT" "$(bp 'EVIL1/..\..\ct-escape-3.SRT')"
check_eq "hostile: control characters replaced" "files/EVIL2/ctl__[31mred__.SRT" \
	"$(bp 'EVIL2/ctl%01%1B[31mred%7F%0A.SRT')"
# MANIFEST.json shows such a name escaped (valid JSON, nothing hidden)
check_eq "hostile: MANIFEST marks the escaped name" true \
	"$(jq -r '.files[] | select(.path == "EVIL2/ctl%01%1B[31mred%7F%0A.SRT") | .path_escaped' "$M")"
check_eq "hostile: a name equal to a sanitised one gets its own member" "files/EVIL2/ctl__[31mred__.SRT~2" \
	"$(bp 'EVIL2/ctl__[31mred__.SRT')"
check_eq "hostile: duplicate 8.3 names get distinct members" "files/EVIL2/DUP.SRT files/EVIL2/DUP.SRT~2" \
	"$(jq -r '[.files[] | select(.path == "EVIL2/DUP.SRT") | .bundle_path] | sort | join(" ")' "$M")"
check_eq "hostile: '..a' is an ordinary name" "files/EVIL3/..a" "$(bp 'EVIL3/..a')"
check_eq "hostile: a 255-character name cut to 128 bytes" 128 \
	"$(jq -r '.files[] | select(.path | startswith("EVIL3/LLLL")) | .bundle_path' "$M" | sed 's|.*/||' | tr -d '\n' | wc -c)"
check_eq "hostile: the file under a path over 900 bytes is there" 1 \
	"$(jq '[.files[] | select(.path | endswith("/deep.SRT"))] | length' "$M")"
for f in T/A_B.SRT T_A/B.SRT; do
	check_eq "hostile: $f keeps its own track after unpacking (T/A_B vs T_A/B)" 1 \
		"$(grep -l ",files/$f," "$T"/u/tracks/*.csv 2>/dev/null | wc -l)"
done
ntracks=$(jq '[.[] | select(.points > 0)] | length' "$T/u/flights.json")
check_eq "hostile: a csv track per source with points (distinct names)" "$ntracks" \
	"$(tar tf "$tarf" | grep '^tracks/.*\.csv$' | sort -u | wc -l)"
check_eq "hostile: all 24 damaged copies in BAD/ extracted" 24 \
	"$(jq '[.files[] | select(.path | startswith("BAD/"))] | length' "$M")"
check_eq "hostile: truncated ULog parsed with a warning" "ulog|true" \
	"$(jq -r '.files[] | select(.path == "BAD/cut-gen.ulg") | "\(.parser)|\(.warnings | length > 0)"' "$M")"
# exFAT names its allocation bitmap and up-case table so; on FAT these are
# files like any other
for n in '$UPCASE_TABLE gen-matrice.SRT' '$ALLOC_BITMAP gen-home-gps.SRT'; do
	set -- $n
	check_eq "hostile: $1 at the root of a FAT volume is an ordinary file, with its bytes" \
		"allocated|files/$1|$(sum "$CT_TOP/fixtures/flight/$2")|$(sum "$CT_TOP/fixtures/flight/$2")" \
		"$(jq -r --arg p "$1" '.files[] | select(.path == $p) | "\(.state)|\(.bundle_path)|\(.sha256)"' "$M")|$(sum "$T/u/files/$1" 2>/dev/null)"
done

# a non-ASCII name (mtools in a UTF-8 locale writes it as a VFAT long name)
cp "$T/flightcard-hostile.img" "$T/uni.img"
printf '1\n00:00:00,000 --> 00:00:01,000\nhello\n\n' >"$T/uni.srt"
LC_ALL=C.UTF-8 mcopy -i "$T/uni.img" "$T/uni.srt" '::/EVIL3/ünïcode-Ωmega.SRT' 2>/dev/null
ct uni extract --no-carve "$T/uni.img" "$T/out-uni"
check_eq "non-ASCII name: extract exits 0" 0 "$RC"
[ "$RC" -eq 0 ] || sed 's/^/#   /' "$T/uni.err" | head -n 3
check_eq "non-ASCII name: member keeps its UTF-8 name" 1 \
	"$(LC_ALL=C.UTF-8 tar tf "$T/out-uni/uni.img.evidence.tar" 2>/dev/null | grep -c '^files/EVIL3/ünïcode-Ωmega.SRT$')"

# ---- directory loops ----
ct loop extract "$T/flightcard-dirloop.img" "$T/out-loop"
check_eq "directory loop: extract ends with exit 0 (what the walk found)" 0 "$RC"
members_ok "$T/out-loop/flightcard-dirloop.img.evidence.tar" "directory loop"
unpack_ok "$T/out-loop/flightcard-dirloop.img.evidence.tar" "$T/ul" "directory loop"
nf=$(jq '.files | length' "$T/ul/MANIFEST.json")
if [ "${nf:-0}" -ge 4 ] && [ "$nf" -le 40 ]; then ok "directory loop: a bounded walk ($nf files)"; else
	not_ok "directory loop: a bounded walk ($nf files)"; fi
check_eq "directory loop: the ordinary files are there" "2" \
	"$(jq '[.files[] | select(.path == "DCIM/100MEDIA/DJI_0001.JPG" or .path == "DCIM/100MEDIA/DJI_0001.SRT")] | length' "$T/ul/MANIFEST.json")"
check_eq "directory loop: the looped FAT chain file is read to its size" 2966 \
	"$(jq '.files[] | select(.path == "LOOPED.SRT") | .size' "$T/ul/MANIFEST.json")"

# ---- entries that claim more than the card holds ----
GEN=$CT_BUILD/tools/gen-cardimg
if [ -x "$GEN" ]; then
	# a deleted file whose first cluster is the last but one of the
	# volume: partial, with what the volume holds, not zero-filled
	for t in fat16 exfat; do
		"$GEN" -t $t --past-end -o "$T/past-$t.img"
		ct past-$t extract "$T/past-$t.img" "$T/out-past-$t"
		check_eq "past the end ($t): extract exits 0" 0 "$RC"
		mkdir -p "$T/up-$t" && tar -x -f "$T/out-past-$t/past-$t.img.evidence.tar" -C "$T/up-$t" 2>/dev/null
		n=$([ $t = fat16 ] && echo _ASTEND.SRT || echo PASTEND.SRT)
		cs=$([ $t = fat16 ] && echo 512 || echo 4096)
		check_eq "past the end ($t): deleted, partial, size the readable length, claimed size kept" \
			"deleted|$((2 * cs))|$((2 * cs + 65536))|partial: $((2 * cs)) of $((2 * cs + 65536)) bytes readable, the entry runs past the end of the volume" \
			"$(jq -r --arg p "$n" '.files[] | select(.path == $p) | "\(.state)|\(.size)|\(.claimed_size)|\(.content)"' "$T/up-$t/MANIFEST.json")"
		check_eq "past the end ($t): the member holds the readable bytes" $((2 * cs)) \
			"$(stat -c %s "$T/up-$t/deleted/$n" 2>/dev/null)"
	done
	# 50 files that each say they are 7 MiB over one cluster, on an
	# 8 MiB card: zero-fill adds at most the volume's size in all
	"$GEN" -t fat16 --big-claims 50 -o "$T/big.img"
	ct big extract --no-carve "$T/big.img" "$T/out-big"
	check_eq "claims: extract exits 0" 0 "$RC"
	bsz=$(stat -c %s "$T/out-big/big.img.evidence.tar")
	if [ "$bsz" -le $((2 * 8 * 1048576 + 2 * 1048576)) ]; then ok "claims: bundle $bsz bytes, at most twice the card"; else
		not_ok "claims: bundle $bsz bytes, at most twice the card"; fi
	mkdir -p "$T/ub" && tar -x -f "$T/out-big/big.img.evidence.tar" -C "$T/ub" 2>/dev/null
	zf=$(jq '[.files[] | .zero_filled // 0] | add' "$T/ub/MANIFEST.json")
	if [ "$zf" -gt 0 ] && [ "$zf" -le 8388608 ]; then ok "claims: $zf bytes zero-filled, at most the volume's size"; else
		not_ok "claims: $zf bytes zero-filled, at most the volume's size"; fi
	check_eq "claims: the first file zero-filled to its claim, with the range in a warning" \
		"7340032|incomplete: 7339520 bytes are zeros (0 unreadable on the card, 7339520 not on the card)|1" \
		"$(jq -r '.files[] | select(.path == "BIG/BIG0.SRT") | "\(.size)|\(.content)|\([.warnings[] | select(test("bytes 512-7340031 are zeros"))] | length)"' "$T/ub/MANIFEST.json")"
	check_eq "claims: once the budget is spent, files are bundled with what the card holds" \
		"512|7340032" \
		"$(jq -r '.files[] | select(.path == "BIG/BIG49.SRT") | "\(.size)|\(.claimed_size)"' "$T/ub/MANIFEST.json")"
	check_eq "claims: a warning for the whole extraction says so" 1 \
		"$(jq '[.warnings[] | select(test("bundled shorter than their entries say"))] | length' "$T/ub/MANIFEST.json")"
else
	skip "entries that claim more than the card holds" "gen-cardimg not built"
fi

# ---- damaged cards: truncated, FAT and root directory overwritten ----
img=$T/flightcard-superfloppy.img
size=$(stat -c %s "$img")
u16() { od -An -tu2 -j "$1" -N 2 "$img" | tr -d ' '; }
u32() { od -An -tu4 -j "$1" -N 4 "$img" | tr -d ' '; }
fat0=$(( $(u16 14) * 512 )) fatsz=$(( $(u32 36) * 512 ))
data=$(( fat0 + 2 * fatsz ))
dmg() { # NAME: $T/d-NAME.img from the card, then the edit given as the rest
	local n=$1; shift
	cp "$img" "$T/d-$n.img"
	"$@"
}
over() { # FILE OFFSET BYTES SEED: seeded random bytes over a range
	gen_bytes "$4" "$3" | dd of="$1" bs=512 seek=$(( $2 / 512 )) conv=notrunc status=none
}
dmg cut1m truncate -s $((1024 * 1024)) "$T/d-cut1m.img"
dmg cuthalf truncate -s $((size / 2)) "$T/d-cuthalf.img"
dmg cutsector truncate -s $((size - 512)) "$T/d-cutsector.img"
dmg cutfat truncate -s $((fat0 + fatsz / 2)) "$T/d-cutfat.img"
dmg fat over "$T/d-fat.img" "$fat0" 8192 t0810-fat
dmg fatall over "$T/d-fatall.img" "$fat0" "$fatsz" t0810-fatall
dmg root over "$T/d-root.img" "$data" 512 t0810-root
dmg dirs over "$T/d-dirs.img" "$data" 65536 t0810-dirs
dmg both over "$T/d-both.img" "$fat0" $(( 2 * fatsz + 16384 )) t0810-both
dmg boot over "$T/d-boot.img" 512 3584 t0810-boot
for n in cut1m cuthalf cutsector cutfat fat fatall root dirs both boot; do
	ct "d-$n" extract "$T/d-$n.img" "$T/out-d-$n"
	case $RC in
	0|1) ok "damaged ($n): exit $RC" ;;
	*) not_ok "damaged ($n): exit $RC (crash or timeout)"; tail -n 5 "$T/d-$n.err" | sed 's/^/#   /' ;;
	esac
	if [ "$RC" -eq 0 ]; then
		mkdir -p "$T/ud-$n"
		tar -x -f "$T/out-d-$n/d-$n.img.evidence.tar" -C "$T/ud-$n" 2>/dev/null
		(cd "$T/ud-$n" && sha256sum -c --quiet SHA256SUMS >/dev/null 2>&1)
		check_eq "damaged ($n): SHA256SUMS verifies" 0 $?
	fi
	rm -rf "$T/ud-$n" "$T/out-d-$n" "$T/d-$n.img"
done

done_testing
