#!/usr/bin/env bash
# bench/run.sh CARDTRAIL — side-by-side timing against the peer tools.
#
# What `make bench` runs.  Not a test: it prints a table, ratios and the
# targets from the issues with PASS/MISS, and exits 0 whatever the numbers
# are.  It exits non-zero only when a command itself fails (or the bench
# cannot be set up).
#
# Sections (one function each; add a later one to SECTIONS and BENCH_SECTIONS):
#   image   imaging a page-cached random file with md5+sha1+sha256 into a
#           case on the same disk: cardtrail against dc3dd, dcfldd and
#           ewfacquire; the cost of sha1+sha256 on top of md5
#   e01     --format e01 --compress fast against ewfacquire -c fast with the
#           same hashes, on the random source and on a card-like one (FAT32,
#           mostly zeros, small files): time and the size of the output
#   rss     peak RSS of cardtrail on the random file and on sparse sources
#   verify  `cardtrail verify CASE` re-hashing a page-cached image against
#           its record, next to sha256sum over the same image
#   wipe    BENCH_SIZE loop devices backed by /dev/shm: cardtrail wipe (the
#           sampled match of the card included) against nwipe and shred,
#           and its peak RSS (root and loop devices needed; skipped with a
#           message otherwise)
#   extract a BENCH_SIZE FAT32 card image (MBR, one partition) built from
#           BENCH_SEED with mkfs.fat and mtools: 300 flight logs, subtitles
#           and photos from fixtures/flight (30 of them deleted again) and
#           five videos of BENCH_SIZE/10 each, about half the card left free
#           and full of seeded random bytes; `cardtrail extract` on the bare
#           image: total time, the carving scan's rate over the free space
#           (target >= 1 GB/s) and peak RSS (the videos must be streamed);
#           the cost of walking the card in a child process (against
#           CARDTRAIL_WALK_IN_PROCESS=1, target < 5 %); and an 8 MiB FAT16
#           card with 250,000 directory entries, all named DUP.SRT
#           (tests/tools/gen-cardimg, BENCH_GEN): in seconds
#   report  the extract section's card imaged and extracted into a case:
#           `cardtrail report CASE` (verify included; target < 2 s) next to
#           `cardtrail verify CASE` alone, and its peak RSS (<= 64 MiB); and
#           `cardtrail verify --reproduce CASE` (the extraction run again:
#           what --reproduce costs over verify)
#   station three 64 MiB flight cards (the bundled demo card and two made
#           by fixtures/mkflightcard.sh) on loop devices over /dev/shm:
#           `cardtrail station` taking them through image (md5+sha256, read
#           back twice), extract, wipe and report at once, against three
#           stations of one card each (the chains' own time, median of the
#           runs; target: at once <= one after another), and its peak RSS
#           against one `cardtrail image` of one card (target <= 3x).  The
#           cards are RAM: this is the chains' CPU and memory, not a card's
#           speed (root and loop devices needed; skipped otherwise)
#
# Environment:
#   BENCH_DIR       work folder (default build/bench in the repository, so
#                   that the case is on the same disk as the repository)
#   BENCH_SIZE      size of the random source (default 2G; try 256M)
#   BENCH_SPARSE    size of the large sparse source for the RSS line
#                   (default 16G; skipped unless BENCH_SPARSE + 4G is free)
#   BENCH_RUNS      timed runs per command, at least 3 (default 3)
#   BENCH_SECTIONS  sections to run (default "image e01 rss verify wipe extract
#                   report station")
#   BENCH_SEED      seed of the extract section's card image (default 1)
#   BENCH_SYNC      1 (default): each peer run ends with `sync` on its output,
#                   because cardtrail fsyncs everything it writes; 0: time
#                   the peers as they are
#   BENCH_HYPERFINE 1 (default when hyperfine and jq are installed): time with
#                   hyperfine; 0: a plain loop with the same medians
set -euo pipefail
export LC_ALL=C

usage() { printf 'usage: bench/run.sh CARDTRAIL\n' >&2; exit 2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
note() { printf '%s\n' "$*" >&2; }

[ $# -eq 1 ] || usage
top=$(cd "$(dirname "$0")/.." && pwd)
CT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$CT" ] || die "'$1' is not an executable"

to_bytes() {
	local s=${1%iB}
	s=${s%B}
	numfmt --from=iec "$s" 2>/dev/null || die "bad size '$1'"
}

BENCH_DIR=${BENCH_DIR:-$top/build/bench}
BENCH_SIZE=${BENCH_SIZE:-2G}
BENCH_SPARSE=${BENCH_SPARSE:-16G}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_SECTIONS=${BENCH_SECTIONS:-image e01 rss verify wipe extract report station}
BENCH_SEED=${BENCH_SEED:-1}
BENCH_SYNC=${BENCH_SYNC:-1}
if [ -z "${BENCH_HYPERFINE:-}" ]; then
	if command -v hyperfine >/dev/null && command -v jq >/dev/null; then
		BENCH_HYPERFINE=1
	else
		BENCH_HYPERFINE=0
	fi
fi
SIZE=$(to_bytes "$BENCH_SIZE")
SPARSE=$(to_bytes "$BENCH_SPARSE")
[ "$BENCH_RUNS" -ge 3 ] 2>/dev/null || die "BENCH_RUNS must be at least 3"

mkdir -p "$BENCH_DIR"
W=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
OUT=$W/out
SRC=$W/source.bin
# The wipe and station sections' loop devices and their /dev/shm backing files.
WIPE_DEVS=() WIPE_IMGS=()
cleanup() {
	local d
	for d in "${WIPE_DEVS[@]}"; do
		losetup -d "$d" 2>/dev/null || note "bench: cannot detach $d"
	done
	for d in "${WIPE_IMGS[@]}"; do rm -rf "$d"; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Time a private copy: a rebuild of ./cardtrail during the bench must not mix
# two versions in one table.
cp "$CT" "$W/cardtrail"
CT=$W/cardtrail

q() { printf '%q' "$1"; }
free_bytes() { df -B1 --output=avail "$1" | tail -n 1 | tr -d ' '; }
human() {	# 268435456 -> "256 MiB", 2147483648 -> "2 GiB", 1610612736 -> "1.5 GiB"
	awk -v n="$1" 'BEGIN { split("B KiB MiB GiB TiB PiB", u, " "); i = 1
		while (n >= 1024 && i < 6) { n /= 1024; i++ }
		s = sprintf("%.1f", n); sub(/\.0$/, "", s); print s " " u[i] }'
}

# ---------------------------------------------------------------------------
# Timing groups: commands timed side by side in one invocation.
#   group_begin PREPARE     PREPARE runs (untimed) before every run
#   group_add NAME CMD      CMD is a shell command line
#   group_run               fills MEDIAN[NAME] (seconds) and, with
#                           hyperfine, CPU[NAME] (mean user+system seconds)
declare -A MEDIAN=() CPU=()
G_PREP='' G_NAMES=() G_CMDS=()
group_begin() { G_PREP=$1; G_NAMES=(); G_CMDS=(); }
group_add() { G_NAMES+=("$1"); G_CMDS+=("$2"); }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

group_run() {
	local i
	if [ "$BENCH_HYPERFINE" = 1 ]; then
		local json=$W/hyperfine.json args=()
		for i in "${!G_NAMES[@]}"; do
			args+=(-n "${G_NAMES[$i]}" "${G_CMDS[$i]}")
		done
		# hyperfine fails (and so does the bench) when a command fails.
		hyperfine --runs "$BENCH_RUNS" --style basic --prepare "$G_PREP" \
			--export-json "$json" "${args[@]}" >&2
		for i in "${!G_NAMES[@]}"; do
			MEDIAN[${G_NAMES[$i]}]=$(jq -r ".results[$i].median" "$json")
			CPU[${G_NAMES[$i]}]=$(jq -r ".results[$i] | .user + .system" "$json")
		done
		rm -f "$json"
	else
		local r t0 t1 times
		for i in "${!G_NAMES[@]}"; do
			times=
			note "Benchmark: ${G_NAMES[$i]}"
			for ((r = 0; r < BENCH_RUNS; r++)); do
				bash -c "$G_PREP" >/dev/null 2>&1 || die "prepare failed: $G_PREP"
				t0=$(date +%s.%N)
				bash -c "${G_CMDS[$i]}" </dev/null >/dev/null 2>"$W/stderr" ||
					{ cat "$W/stderr" >&2; die "command failed: ${G_CMDS[$i]}"; }
				t1=$(date +%s.%N)
				times+="$(echo "$t1 - $t0" | bc -l)"$'\n'
			done
			MEDIAN[${G_NAMES[$i]}]=$(printf '%s' "$times" | median)
			note "  median ${MEDIAN[${G_NAMES[$i]}]} s"
		done
	fi
	bash -c "$G_PREP" >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------------------
# The report: rows are collected, printed at the end.
REPORT=()
# shellcheck disable=SC2059 # row FORMAT ARGS... is printf
row() { REPORT+=("$(printf "$@")"); }
TFMT='%-58s %8s %6s %6s %6s  %s'
row_time() {	# NAME LABEL BYTES [RATIO-TEXT [TARGET-TEXT]]
	local s=${MEDIAN[$1]} cpu=-
	[ -n "${CPU[$1]:-}" ] && cpu=$(printf '%.1f' "${CPU[$1]}")
	row "$TFMT" "$2" "$(printf '%.2f' "$s")" "$cpu" \
		"$(awk -v b="$3" -v s="$s" 'BEGIN { printf "%.0f", b / s / 1e6 }')" "${4:-}" "${5:-}"
}
# verdict VALUE OP LIMIT -> PASS or MISS (OP is >= or <=)
verdict() {
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
		ok = (op == ">=") ? (v >= l) : (v <= l); print ok ? "PASS" : "MISS" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# ---------------------------------------------------------------------------
make_source() {
	local need=$((SIZE * 3 + (1 << 30)))
	local free
	free=$(free_bytes "$BENCH_DIR")
	[ "$free" -ge "$need" ] ||
		die "$(human "$free") free in $BENCH_DIR, need $(human "$need") for a $(human "$SIZE") source and its copies"
	note "bench: writing a $(human "$SIZE") random source in $W"
	if command -v openssl >/dev/null; then
		openssl enc -aes-128-ctr -nosalt -pass pass:cardtrail-bench -pbkdf2 \
			-in /dev/zero 2>/dev/null | head -c "$SIZE" >"$SRC" || true
	else
		head -c "$SIZE" /dev/urandom >"$SRC"
	fi
	[ "$(stat -c %s "$SRC")" -eq "$SIZE" ] || die "could not write $SRC"
	sync "$SRC"
	# Page-cache the source: every tool then reads it from memory.
	cat "$SRC" >/dev/null
}

# Runs untimed before every run: remove the previous output so every run
# writes a fresh file, flush it so its write-back does not land in the next
# run, and touch the source again so it stays page-cached.
PREPARE="rm -rf $(q "$OUT") && mkdir $(q "$OUT") && sync && cat $(q "$SRC") >/dev/null"

# ct_cmd CASE ARGS...: cardtrail image into a fresh case folder
ct_cmd() {
	local c=$1; shift
	printf '%q image %s --progress none %q %q' "$CT" "$*" "$SRC" "$OUT/$c"
}
# peer_sync FILES...: what ends a peer's run when BENCH_SYNC=1
peer_sync() { if [ "$BENCH_SYNC" = 1 ]; then printf ' && sync %s' "$*"; fi; }

# ct_hashes ARGS...: the algorithms cardtrail image really computes with
# ARGS (the keys of "hashes" in the record of a 1 MiB run), e.g. md5,sha256.
ct_hashes() {
	local d=$W/probe
	rm -rf "$d" && mkdir -p "$d"
	head -c 1048576 "$SRC" >"$d/src.bin"
	"$CT" image "$@" --verify none --progress none "$d/src.bin" "$d/case" >/dev/null ||
		die "cardtrail image $* failed on a 1 MiB file"
	jq -r '.hashes | keys_unsorted | join(",")' "$d/case/E1.acquisition.json"
	rm -rf "$d"
}

section_image() {
	local peers=() p h1=md5 h3=md5,sha1,sha256
	note "bench: image section"
	[ -f "$SRC" ] || make_source
	if command -v jq >/dev/null; then
		h1=$(ct_hashes --hash md5)
		h3=$(ct_hashes --hash md5,sha1,sha256)
	fi
	group_begin "$PREPARE"
	group_add ct3 "$(ct_cmd case3 --hash md5,sha1,sha256 --verify none)"
	group_add ct1 "$(ct_cmd case1 --hash md5 --verify none)"
	group_add ctnowin "$(ct_cmd casenowin --hash md5,sha1,sha256 --hash-window 0 --verify none)"
	group_add ctboth "$(ct_cmd caseboth --hash md5,sha1,sha256)"
	if command -v dc3dd >/dev/null; then
		peers+=(dc3dd)
		group_add dc3dd "dc3dd if=$(q "$SRC") of=$(q "$OUT/dc3dd.raw") hash=md5 hash=sha1 hash=sha256 nwspc=on log=$(q "$OUT/dc3dd.log")$(peer_sync "$(q "$OUT/dc3dd.raw")")"
	fi
	if command -v dcfldd >/dev/null; then
		peers+=(dcfldd)
		group_add dcfldd "dcfldd if=$(q "$SRC") of=$(q "$OUT/dcfldd.raw") hash=md5,sha1,sha256 hashlog=$(q "$OUT/dcfldd.hash") bs=1M status=off$(peer_sync "$(q "$OUT/dcfldd.raw")")"
	fi
	if command -v ewfacquire >/dev/null; then
		peers+=(ewfacquire)
		# -u: unattended (no questions, defaults for case data); -q: quiet;
		# md5 is always computed, -d adds sha1 and sha256.  The source
		# must be given with a directory (libsmraw wants a basename).
		group_add ewfacquire "ewfacquire -u -q -c none -d sha1,sha256 -l $(q "$OUT/ewf.log") -t $(q "$OUT/ewf") $(q "$SRC")$(peer_sync "$(q "$OUT")/ewf.E*")"
	fi
	group_run

	local ct=${MEDIAN[ct3]}
	row "imaging a page-cached %s random file into %s (%s), median of %d runs" \
		"$(human "$SIZE")" "$BENCH_DIR" "$(findmnt -n -o SOURCE,FSTYPE -T "$BENCH_DIR" | tr -s ' ' ' ')" "$BENCH_RUNS"
	row "%s; %s CPUs; load average before: %s" "$("$CT" version 2>/dev/null | head -n 1)" \
		"$(nproc)" "$LOAD0"
	if [ "$BENCH_SYNC" = 1 ]; then
		row "(peers end with 'sync OUTPUT', as cardtrail fsyncs its output; BENCH_SYNC=0 to drop)"
	fi
	row ""
	row "$TFMT" "tool" "median s" "cpu s" "MB/s" "ratio" "target"
	row "$TFMT" "----" "--------" "-----" "----" "-----" "------"
	row_time ct3 "cardtrail --hash md5,sha1,sha256 --verify none" "$SIZE" "1.00"
	row_time ctnowin "  [extra] same, --hash-window 0 (no piecewise SHA-256)" "$SIZE"
	row_time ctboth "  [extra] same, default --verify both" "$SIZE"
	row_time ct1 "cardtrail --hash md5 --verify none" "$SIZE"
	[ "$h1" = md5 ] || row "  (--hash md5 computes %s)" "$h1"
	local label target r
	for p in dc3dd dcfldd ewfacquire; do
		case $p in
		dc3dd) label="dc3dd hash=md5 hash=sha1 hash=sha256"; target=2.5 ;;
		dcfldd) label="dcfldd hash=md5,sha1,sha256 bs=1M"; target= ;;
		ewfacquire) label="ewfacquire -u -c none -d sha1,sha256"; target=1.5 ;;
		esac
		if [ -z "${MEDIAN[$p]:-}" ]; then
			row "$TFMT" "$label" "-" "-" "-" "-" "skipped: $p is not installed"
			continue
		fi
		r=$(ratio "${MEDIAN[$p]}" "$ct")
		if [ -n "$target" ]; then
			row_time "$p" "$label" "$SIZE" "$r" ">= ${target}x  $(verdict "$r" '>=' "$target")"
		else
			row_time "$p" "$label" "$SIZE" "$r" "(no target)"
		fi
	done
	local cost
	cost=$(awk -v a="$ct" -v b="${MEDIAN[ct1]}" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
	row ""
	row "cost of sha1+sha256 on top of md5: %+.1f%% wall time (target <= 15%%: %s)" \
		"$cost" "$(verdict "$cost" '<=' 15)"
	[ "$h1" = md5 ] || row "  (measured as %s against %s: --hash md5 computes %s)" "$h3" "$h1" "$h1"
	row "ratio = peer median / median of cardtrail --hash md5,sha1,sha256 --verify none"
	row "cpu s = mean user+system seconds; [extra] rows are not used for ratios"
}

# A card-like source: a FAT32 card of BENCH_SIZE, mostly zeros, with the
# small file set of fixtures/flight (300 logs, subtitles and photos) on it;
# written out (not sparse) and page-cached, as make_source's random one.
CARDLIKE=$W/cardlike.bin
make_cardlike() {
	local stage=$W/cardlike-src fx=$top/fixtures/flight i mt=$CARDLIKE@@1M
	local jpgs=(DJI_0001.JPG DJI_0002.JPG NOGPS.JPG)
	for t in sfdisk mkfs.fat mcopy; do
		command -v $t >/dev/null || return 1
	done
	note "bench: writing a $(human "$SIZE") card-like source (mostly zeros, small files)"
	truncate -s "$SIZE" "$W/cardlike.sparse"
	printf 'label: dos\nstart=2048, type=c\n' | sfdisk -q "$W/cardlike.sparse" >/dev/null || return 1
	mkfs.fat -F 32 --invariant --offset=2048 -n CARDTRAIL "$W/cardlike.sparse" \
		$(((SIZE - (1 << 20)) / 1024)) >/dev/null || return 1
	rm -rf "$stage"
	mkdir -p "$stage/DCIM/100MEDIA" "$stage/APM/LOGS" "$stage/log"
	for ((i = 1; i <= 100; i++)); do
		cp "$fx/${jpgs[i % 3]}" "$stage/DCIM/100MEDIA/$(printf 'DJI_%04d.JPG' "$i")"
		cp "$fx/gen.bin" "$stage/APM/LOGS/$(printf '%08d.BIN' "$i")"
		cp "$fx/gen.ulg" "$stage/log/$(printf 'log_%03d.ulg' "$i")"
	done
	MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null mcopy -s -m -i "$W/cardlike.sparse@@1M" "$stage"/* ::/ ||
		return 1
	rm -rf "$stage"
	cp --sparse=never "$W/cardlike.sparse" "$CARDLIKE" && rm -f "$W/cardlike.sparse" || return 1
	sync "$CARDLIKE"
	cat "$CARDLIKE" >/dev/null
}

# e01_size DIR BASE: bytes of the segment files BASE.E01, BASE.E02, ...
e01_size() { cat "$1"/"$2".E[0-9A-Z][0-9A-Z] | wc -c; }

section_e01() {
	local src label sz_ct sz_ew r d need free
	note "bench: e01 section"
	command -v ewfacquire >/dev/null || { row ""; row "E01: skipped, ewfacquire (ewf-tools) is not installed"; return; }
	[ -f "$SRC" ] || make_source
	need=$((SIZE * 3 + (1 << 30)))
	free=$(free_bytes "$BENCH_DIR")
	[ "$free" -ge "$need" ] || { row ""; row "E01: skipped, %s free in %s, need %s" \
		"$(human "$free")" "$BENCH_DIR" "$(human "$need")"; return; }
	make_cardlike || { row ""; row "E01: card-like source skipped (needs dosfstools, mtools, fdisk)"; }
	row ""
	row "E01: imaging a page-cached %s source into %s, md5+sha1+sha256, median of %d runs" \
		"$(human "$SIZE")" "$BENCH_DIR" "$BENCH_RUNS"
	row "(the same hashes: ewfacquire computes md5 and, with -d, sha1 and sha256; cardtrail"
	row " --verify none, as ewfacquire does not verify, and without SHA-256 windows, its E01"
	row " default; both with 1500 MiB segment files; the [extra] row adds the windows)"
	row ""
	row "$TFMT" "tool" "median s" "cpu s" "MB/s" "ratio" "target"
	row "$TFMT" "----" "--------" "-----" "----" "-----" "------"
	for src in "$SRC" "$CARDLIKE"; do
		[ -f "$src" ] || continue
		if [ "$src" = "$SRC" ]; then label=random; else label=card-like; fi
		group_begin "rm -rf $(q "$OUT") && mkdir $(q "$OUT") && sync && cat $(q "$src") >/dev/null"
		group_add "e01ct-$label" "$(q "$CT") image --format e01 --compress fast --hash md5,sha1,sha256 --verify none --progress none $(q "$src") $(q "$OUT/ct")"
		group_add "e01ctw-$label" "$(q "$CT") image --format e01 --compress fast --hash md5,sha1,sha256 --hash-window 256MiB --verify none --progress none $(q "$src") $(q "$OUT/ctw")"
		group_add "e01ew-$label" "ewfacquire -u -q -c fast -d sha1,sha256 -t $(q "$OUT/ewf") $(q "$src") >/dev/null$(peer_sync "$(q "$OUT")/ewf.E*")"
		group_run
		# the sizes, from one more run of each
		d=$W/e01size
		rm -rf "$d" && mkdir -p "$d"
		"$CT" image --format e01 --compress fast --hash md5,sha1,sha256 --verify none --progress none \
			"$src" "$d/ct" </dev/null >/dev/null || die "cardtrail image --format e01 of $src failed"
		ewfacquire -u -q -c fast -d sha1,sha256 -t "$d/ewf" "$src" </dev/null >/dev/null 2>&1 ||
			die "ewfacquire of $src failed"
		sz_ct=$(e01_size "$d/ct" E1)
		sz_ew=$(e01_size "$d" ewf)
		[ "$(jq -r .hashes.md5 "$d/ct/E1.acquisition.json")" = "$(md5sum <"$src" | cut -d' ' -f1)" ] ||
			die "cardtrail's E01 md5 of $src is wrong"
		rm -rf "$d"
		r=$(ratio "${MEDIAN[e01ew-$label]}" "${MEDIAN[e01ct-$label]}")
		row_time "e01ct-$label" "$label: cardtrail --format e01 --compress fast" "$SIZE" "1.00"
		row_time "e01ctw-$label" "  [extra] same, --hash-window 256MiB (as raw)" "$SIZE" \
			"$(ratio "${MEDIAN[e01ew-$label]}" "${MEDIAN[e01ctw-$label]}")"
		row_time "e01ew-$label" "$label: ewfacquire -u -c fast -d sha1,sha256" "$SIZE" "$r" \
			">= 1.5x  $(verdict "$r" '>=' 1.5)"
		r=$(awk -v a="$sz_ct" -v b="$sz_ew" 'BEGIN { printf "%+.2f", (a / b - 1) * 100 }')
		row "  output: cardtrail %s bytes, ewfacquire %s bytes: %s%% (target <= +2%%: %s)" \
			"$sz_ct" "$sz_ew" "$r" "$(verdict "$r" '<=' 2)"
	done
	row "ratio = ewfacquire median / cardtrail median; compression runs in %s worker threads" "$(nproc)"
	rm -f "$CARDLIKE"
}

# rss_run LABEL SOURCE ARGS...: peak RSS of one cardtrail image run, output
# deleted right after.
rss_run() {
	local label=$1 src=$2 kib
	shift 2
	rm -rf "$OUT" && mkdir "$OUT"
	note "bench: peak RSS: $label"
	/usr/bin/time -f %M -o "$W/rss" "$CT" image "$@" --progress none "$src" "$OUT/case" \
		</dev/null >/dev/null || die "cardtrail image $* $src failed"
	rm -rf "$OUT"
	kib=$(tail -n 1 "$W/rss")
	row '%-60s %8s  %s' "$label" "$(awk -v k="$kib" 'BEGIN { printf "%.1f MiB", k / 1024 }')" \
		"<= 64 MiB  $(verdict "$kib" '<=' 65536)"
}

section_rss() {
	local sparse=$W/sparse.bin free
	[ -x /usr/bin/time ] || { row "peak RSS: skipped, GNU time (/usr/bin/time) is not installed"; return; }
	[ -f "$SRC" ] || make_source
	row ""
	row "peak RSS of cardtrail image (GNU time %%M)"
	rss_run "$(human "$SIZE") random, --hash md5,sha1,sha256 --verify none" "$SRC" \
		--hash md5,sha1,sha256 --verify none
	rss_run "$(human "$SIZE") random, --hash md5,sha1,sha256 (verify both)" "$SRC" \
		--hash md5,sha1,sha256
	truncate -s "$SIZE" "$sparse"
	rss_run "$(human "$SIZE") sparse, --hash md5 --verify none" "$sparse" --hash md5 --verify none
	rm -f "$sparse"
	free=$(free_bytes "$BENCH_DIR")
	if [ "$free" -lt $((SPARSE + (4 << 30))) ]; then
		row '%-60s %8s  %s' "$(human "$SPARSE") sparse" "-" \
			"skipped: $(human "$free") free in $BENCH_DIR, need $(human $((SPARSE + (4 << 30))))"
		return
	fi
	truncate -s "$SPARSE" "$sparse"
	rss_run "$(human "$SPARSE") sparse, --hash md5 --verify none" "$sparse" --hash md5 --verify none
	rm -f "$sparse"
}

# ---------------------------------------------------------------------------
# verify: re-hashing an image goes through the imaging pipeline, at hash
# speed.  Two cases imaged once from the random source (SHA-256 only, no
# read-back): one without the piecewise windows, compared with sha256sum,
# and one with the default 256 MiB windows for reference.  Both images are
# page-cached before every run, so both tools hash memory.
section_verify() {
	local c0=$W/vcase0 cw=$W/vcasewin free need=$((SIZE * 2 + (1 << 30))) r
	note "bench: verify section"
	[ -f "$SRC" ] || make_source
	free=$(free_bytes "$BENCH_DIR")
	if [ "$free" -lt "$need" ]; then
		row ""
		row "cardtrail verify: skipped, %s free in %s, need %s for two images" \
			"$(human "$free")" "$BENCH_DIR" "$(human "$need")"
		return
	fi
	rm -rf "$c0" "$cw"
	note "bench: imaging the source twice for the verify section"
	"$CT" image --hash sha256 --hash-window 0 --verify none --progress none "$SRC" "$c0" \
		</dev/null >/dev/null || die "cardtrail image --hash-window 0 of $SRC failed"
	"$CT" image --hash sha256 --hash-window 256MiB --verify none --progress none "$SRC" "$cw" \
		</dev/null >/dev/null || die "cardtrail image --hash-window 256MiB of $SRC failed"
	"$CT" verify "$c0" >/dev/null || die "cardtrail verify $c0 fails before timing"
	group_begin "cat $(q "$c0/E1.raw") $(q "$cw/E1.raw") >/dev/null"
	group_add vct "$(q "$CT") verify $(q "$c0")"
	group_add vctwin "$(q "$CT") verify $(q "$cw")"
	group_add vsum "sha256sum $(q "$c0/E1.raw")"
	# another SHA-256 for reference: coreutils' may not use the CPU's
	# SHA instructions, libgcrypt's (and OpenSSL's) do
	if command -v openssl >/dev/null; then
		group_add vossl "openssl dgst -sha256 $(q "$c0/E1.raw")"
	fi
	group_run
	r=$(ratio "${MEDIAN[vsum]}" "${MEDIAN[vct]}")
	row ""
	row "re-hashing a page-cached %s image (cardtrail verify CASE), median of %d runs" \
		"$(human "$SIZE")" "$BENCH_RUNS"
	row "(cases imaged once with --hash sha256 --verify none; images cat to /dev/null before each run)"
	row ""
	row "$TFMT" "tool" "median s" "cpu s" "MB/s" "ratio" "target"
	row "$TFMT" "----" "--------" "-----" "----" "-----" "------"
	row_time vct "cardtrail verify (image with --hash-window 0)" "$SIZE" "1.00"
	row_time vsum "sha256sum E1.raw" "$SIZE" "$r" ">= 0.90x  $(verdict "$r" '>=' 0.9)"
	if [ -n "${MEDIAN[vossl]:-}" ]; then
		row_time vossl "  [extra] openssl dgst -sha256 E1.raw" "$SIZE" \
			"$(ratio "${MEDIAN[vossl]}" "${MEDIAN[vct]}")"
	fi
	row_time vctwin "  [extra] cardtrail verify (default --hash-window 256MiB)" "$SIZE" \
		"$(ratio "${MEDIAN[vsum]}" "${MEDIAN[vctwin]}")"
	row "ratio = sha256sum median / median of cardtrail verify (1.00 = at hash speed)"
	rm -rf "$c0" "$cw"
}

# ---------------------------------------------------------------------------
# wipe: two BENCH_SIZE loop devices backed by files in /dev/shm, one for
# cardtrail and one for the peers.  cardtrail's is imaged once into a case
# (cardtrail wipes only a card imaged and verified in the case); every run
# after the first finds it as the last wipe left it and is linked to the
# evidence through that wipe's record, by the same sampled match.  The peers
# get a device of their own: what they write is not what a cardtrail wipe
# left, and a card changed behind cardtrail's back is refused, as it must
# be.  nwipe and shred are given their loop device and nothing else; nwipe
# also gets every other disk in --exclude.
wipe_device() {	# VAR FILE: a zero-filled BENCH_SIZE loop device over FILE
	local d
	WIPE_IMGS+=("$2")
	# filled, not sparse: every run then writes into allocated memory
	head -c "$SIZE" /dev/zero >"$2" || die "cannot write $2"
	d=$(losetup -f --show "$2" 2>"$W/losetup.err") || return 1
	WIPE_DEVS+=("$d")
	[ "$(blockdev --getsize64 "$d")" -eq "$SIZE" ] || die "$d is not $(human "$SIZE")"
	printf -v "$1" '%s' "$d"
}

section_wipe() {
	local img=/dev/shm/cardtrail-bench-wipe.$$ dev pdev case=$W/wcase free need excl
	local prep ctw peers=() r kib
	note "bench: wipe section"
	row ""
	if [ "$(id -u)" != 0 ]; then
		row "wipe: skipped, needs root (a loop device is wiped)"
		return
	fi
	if ! command -v losetup >/dev/null || [ ! -e /dev/loop-control ]; then
		row "wipe: skipped, no loop devices (losetup or /dev/loop-control missing)"
		return
	fi
	free=$(df -B1 --output=avail /dev/shm 2>/dev/null | tail -n 1 | tr -d ' ')
	need=$((2 * SIZE + (256 << 20)))
	if [ -z "$free" ] || [ "$free" -lt "$need" ]; then
		row "wipe: skipped, %s free in /dev/shm, need %s" "$(human "${free:-0}")" "$(human "$need")"
		return
	fi
	note "bench: writing two $(human "$SIZE") /dev/shm files for the loop devices"
	if ! wipe_device dev "$img.ct" || ! wipe_device pdev "$img.peers"; then
		row "wipe: skipped, losetup failed: %s" "$(head -n 1 "$W/losetup.err")"
		return
	fi
	note "bench: imaging $dev into $case (the image-before-wipe rule)"
	# --verify source: a record whose image was not verified does not
	# satisfy the rule (--verify none is refused by cardtrail wipe)
	"$CT" image --hash md5 --hash-window 0 --verify source --progress none "$dev" "$case" \
		</dev/null >/dev/null || die "cardtrail image $dev failed"
	# every other disk, for nwipe --exclude (at most ten)
	excl=$(lsblk -dnpo NAME 2>/dev/null | grep -vxF "$pdev" | head -n 10 | paste -sd, -)

	prep="sync"
	ctw="$(q "$CT") wipe --case $(q "$case") --force --yes --progress none"

	group_begin "$prep"
	group_add wct "$ctw --method random --verify last $(q "$dev")"
	group_add wdry "$ctw --dry-run $(q "$dev")"
	if command -v nwipe >/dev/null; then
		peers+=(nwipe)
		group_add wnwipe "nwipe --autonuke --nogui --nowait --method=random --verify=last --noblank${excl:+ --exclude=$excl} $(q "$pdev")"
	fi
	if command -v shred >/dev/null; then
		peers+=(shred)
		group_add wshred "shred -n 1 $(q "$pdev")"
	fi
	group_run

	group_begin "$prep"
	group_add wct3 "$ctw --method dod3 --verify all $(q "$dev")"
	if [ -n "${MEDIAN[wnwipe]:-}" ]; then
		group_add wnwipe3 "nwipe --autonuke --nogui --nowait --method=dodshort --verify=all --noblank${excl:+ --exclude=$excl} $(q "$pdev")"
	fi
	group_run

	row "wiping a %s loop device backed by /dev/shm (cardtrail %s, peers %s), median of %d runs" \
		"$(human "$SIZE")" "$dev" "$pdev" "$BENCH_RUNS"
	row "(every cardtrail run includes the chain check and the sampled match of the card)"
	row ""
	row "$TFMT" "tool" "median s" "cpu s" "MB/s" "ratio" "target"
	row "$TFMT" "----" "--------" "-----" "----" "-----" "------"
	row_time wct "cardtrail wipe --method random --verify last" "$SIZE" "1.00"
	row_time wdry "  [extra] cardtrail wipe --dry-run (checks and match alone)" "$SIZE" \
		"$(ratio "${MEDIAN[wdry]}" "${MEDIAN[wct]}")"
	if [ -n "${MEDIAN[wnwipe]:-}" ]; then
		r=$(ratio "${MEDIAN[wnwipe]}" "${MEDIAN[wct]}")
		row_time wnwipe "nwipe --method=random --verify=last --noblank" "$SIZE" "$r" \
			">= 5x  $(verdict "$r" '>=' 5)"
	else
		row "$TFMT" "nwipe --method=random --verify=last --noblank" "-" "-" "-" "-" \
			"skipped: nwipe is not installed (apt-get install nwipe)"
	fi
	if [ -n "${MEDIAN[wshred]:-}" ]; then
		r=$(ratio "${MEDIAN[wshred]}" "${MEDIAN[wct]}")
		row_time wshred "shred -n 1 (no verification)" "$SIZE" "$r" "(reported)"
	else
		row "$TFMT" "shred -n 1" "-" "-" "-" "-" "skipped: shred (coreutils) is not installed"
	fi
	row_time wct3 "cardtrail wipe --method dod3 --verify all" "$SIZE" "1.00"
	if [ -n "${MEDIAN[wnwipe3]:-}" ]; then
		r=$(ratio "${MEDIAN[wnwipe3]}" "${MEDIAN[wct3]}")
		row_time wnwipe3 "nwipe --method=dodshort --verify=all --noblank" "$SIZE" "$r" "(reported)"
	else
		row "$TFMT" "nwipe --method=dodshort --verify=all --noblank" "-" "-" "-" "-" \
			"skipped: nwipe is not installed (apt-get install nwipe)"
	fi
	row "ratio = peer median / median of the cardtrail row above it; MB/s = device bytes / time"
	row "(a wipe's time covers every pass and read-back; nwipe's includes its exit wait)"

	if [ -x /usr/bin/time ]; then
		row ""
		row "peak RSS of cardtrail wipe (GNU time %%M)"
		bash -c "$prep" || die "prepare failed: $prep"
		note "bench: peak RSS: cardtrail wipe --method random --verify last"
		/usr/bin/time -f %M -o "$W/rss" bash -c "exec $ctw --method random --verify last $(q "$dev")" \
			</dev/null >/dev/null || die "cardtrail wipe $dev failed"
		kib=$(tail -n 1 "$W/rss")
		row '%-60s %8s  %s' "$(human "$SIZE") loop device, --method random --verify last" \
			"$(awk -v k="$kib" 'BEGIN { printf "%.1f MiB", k / 1024 }')" \
			"<= 64 MiB  $(verdict "$kib" '<=' 65536)"
	else
		row "peak RSS of cardtrail wipe: skipped, GNU time (/usr/bin/time) is not installed"
	fi
	for r in "${WIPE_DEVS[@]}"; do losetup -d "$r" || note "bench: cannot detach $r"; done
	for r in "${WIPE_IMGS[@]}"; do rm -f "$r"; done
	WIPE_DEVS=() WIPE_IMGS=()
	rm -rf "$case"
}

# ---------------------------------------------------------------------------
# extract: a card image as a drone leaves it, built without mounting: the
# whole file filled with seeded random bytes first, then an MBR with one
# FAT32 partition at 1 MiB (sfdisk, mkfs.fat --offset), which writes only
# the boot sectors, the FATs and the root directory, so every cluster no file
# takes keeps its random bytes and the carver scans real data.  Files go in
# with mtools (SOURCE_DATE_EPOCH and mcopy -m: fixed times).  The bundle is
# written into a fresh folder on every run (removed by the prepare step,
# which also page-caches the image).

# seeded NAME BYTES: BYTES pseudo-random bytes that depend only on NAME
seeded() {
	openssl enc -aes-128-ctr -nosalt -pass "pass:cardtrail-bench-$1" -pbkdf2 \
		-in /dev/zero 2>/dev/null | head -c "$2" || true
}

# The card's file set, from fixtures/flight: 100 photos and 50 subtitles in
# DCIM/100MEDIA, 50 DataFlash logs in APM/LOGS, 50 ULogs in log/, 50 DJI
# flight records in FlightRecord/; every tenth is deleted again afterwards.
XCARD_SMALL=300 XCARD_DELETED=30 XCARD_VIDEOS=5
# (no [brackets] in the names, unlike DJI's: mdel takes them as a pattern)
make_card() {	# make_card IMAGE: prints "FREE-BYTES CLUSTER-BYTES"
	local img=$1 stage=$W/cardsrc fx=$top/fixtures/flight i k vsize
	local jpgs=(DJI_0001.JPG DJI_0002.JPG NOGPS.JPG)
	local srts=(gen-framecnt.SRT gen-framecnt-longtitude.SRT gen-home-gps.SRT gen-matrice.SRT
		gen-single-line.SRT)
	local txts=(gen-v4.txt gen-v7.txt) dels=() free csize mt=$img@@1M
	seeded "card-$BENCH_SEED" "$SIZE" >"$img"
	[ "$(stat -c %s "$img")" -eq "$SIZE" ] || die "could not write $img"
	printf 'label: dos\nstart=2048, type=c\n' | sfdisk -q "$img" >/dev/null ||
		die "sfdisk $img failed"
	mkfs.fat -F 32 --invariant --offset=2048 -n CARDTRAIL "$img" $(((SIZE - (1 << 20)) / 1024)) \
		>/dev/null || die "mkfs.fat $img failed"
	rm -rf "$stage"
	mkdir -p "$stage/DCIM/100MEDIA" "$stage/APM/LOGS" "$stage/log" "$stage/FlightRecord"
	for ((i = 1; i <= 100; i++)); do
		cp "$fx/${jpgs[i % 3]}" "$stage/DCIM/100MEDIA/$(printf 'DJI_%04d.JPG' "$i")"
	done
	for ((i = 1; i <= 50; i++)); do
		cp "$fx/${srts[i % 5]}" "$stage/DCIM/100MEDIA/$(printf 'DJI_%04d.SRT' $((100 + i)))"
		cp "$fx/gen.bin" "$stage/APM/LOGS/$(printf '%08d.BIN' "$i")"
		cp "$fx/gen.ulg" "$stage/log/$(printf 'log_%03d.ulg' "$i")"
		cp "$fx/${txts[i % 2]}" \
			"$stage/FlightRecord/$(printf 'DJIFlightRecord_2024-05-18_09-%02d-00.txt' "$i")"
	done
	find "$stage" -type f -exec touch -d '2024-05-18 09:30:00 UTC' {} +
	export SOURCE_DATE_EPOCH=1716024600
	mcopy -s -m -i "$mt" "$stage"/* ::/ || die "mcopy into $img failed"
	vsize=$((SIZE / 10 / 4096 * 4096))
	for ((k = 1; k <= XCARD_VIDEOS; k++)); do
		seeded "video-$BENCH_SEED-$k" "$vsize" |
			mcopy -i "$mt" - "::/DCIM/100MEDIA/$(printf 'DJI_%04d.MP4' $((200 + k)))" ||
			die "mcopy of a video into $img failed"
	done
	# every tenth small file deleted: its clusters are free again, its
	# bytes still there (a deleted file cardtrail calls plausibly complete)
	while IFS= read -r i; do dels+=("::/${i#"$stage"/}"); done < <(find "$stage" -type f | sort | awk 'NR % 10 == 0')
	mdel -i "$mt" "${dels[@]}" || die "mdel in $img failed"
	unset SOURCE_DATE_EPOCH
	rm -rf "$stage"
	free=$(mdir -i "$mt" ::/ | awk '/bytes free/ { gsub(/[^0-9]/, ""); print }')
	csize=$(minfo -i "$mt" :: | awk '/^cluster size:/ { print $3 * 512 }')
	printf '%s %s\n' "$free" "$csize"
}

section_extract() {
	local img=$W/card.img out=$W/xout free need t0 t1 built fr cs line carve_s carve_mbps
	local counts kib diff rate2 vsize=$((SIZE / 10 / 4096 * 4096)) tool
	note "bench: extract section"
	row ""
	for tool in mkfs.fat mcopy mdel mdir minfo sfdisk openssl; do
		if ! command -v "$tool" >/dev/null; then
			row "extract: skipped, %s is not installed (apt-get install dosfstools mtools fdisk openssl)" "$tool"
			return
		fi
	done
	free=$(free_bytes "$BENCH_DIR")
	need=$((SIZE * 2 + (1 << 30)))
	if [ "$free" -lt "$need" ]; then
		row "extract: skipped, %s free in %s, need %s for the card and a bundle" \
			"$(human "$free")" "$BENCH_DIR" "$(human "$need")"
		return
	fi
	note "bench: building a $(human "$SIZE") FAT32 card image (seed $BENCH_SEED) in $img"
	t0=$(date +%s.%N)
	make_card "$img" >"$W/card.info"
	read -r fr cs <"$W/card.info"
	t1=$(date +%s.%N)
	built=$(echo "$t1 - $t0" | bc -l)
	[ "${fr:-0}" -gt 0 ] || die "cannot read the free space of $img"
	sync "$img"
	cat "$img" >/dev/null

	# one untimed run: the counts, cardtrail's own carving timing, peak RSS
	rm -rf "$out"
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %M -o "$W/rss" "$CT" extract "$img" "$out" </dev/null >"$W/summary" ||
			die "cardtrail extract $img failed"
		kib=$(tail -n 1 "$W/rss")
	else
		"$CT" extract "$img" "$out" </dev/null >"$W/summary" || die "cardtrail extract $img failed"
		kib=
	fi
	rm -rf "$out"
	counts=$(sed -n 's/^files *//p' "$W/summary")
	# "carving    1.0 GiB of free space scanned in 0.95 s (1130 MB/s)"
	line=$(grep '^carving ' "$W/summary" || true)
	carve_s=$(printf '%s\n' "$line" | sed -nE 's/.* in ([0-9.]+) s \(([0-9]+) MB\/s\).*/\1/p')
	carve_mbps=$(printf '%s\n' "$line" | sed -nE 's/.* in ([0-9.]+) s \(([0-9]+) MB\/s\).*/\2/p')

	group_begin "rm -rf $(q "$out") && sync && cat $(q "$img") >/dev/null"
	group_add xct "$(q "$CT") extract --json $(q "$img") $(q "$out")"
	group_add xnocarve "$(q "$CT") extract --json --no-carve $(q "$img") $(q "$out")"
	group_add xinproc "CARDTRAIL_WALK_IN_PROCESS=1 $(q "$CT") extract --json $(q "$img") $(q "$out")"
	group_run
	diff=$(awk -v a="${MEDIAN[xct]}" -v b="${MEDIAN[xnocarve]}" 'BEGIN { printf "%.3f", a - b }')
	rate2=$(awk -v f="$fr" -v d="$diff" 'BEGIN { if (d > 0) printf "%.0f", f / d / 1e6; else print "-" }')

	row "extracting a page-cached %s card image: cardtrail extract --json IMAGE OUTDIR, median of %d runs" \
		"$(human "$SIZE")" "$BENCH_RUNS"
	row "card: MBR, FAT32 at 1 MiB (%s clusters); %d small files from fixtures/flight (%d of them deleted)," \
		"$(human "$cs")" "$XCARD_SMALL" "$XCARD_DELETED"
	row "  %d videos of %s; %s free (mdir), seeded random bytes (BENCH_SEED=%s); built in %.1f s" \
		"$XCARD_VIDEOS" "$(human "$vsize")" "$(human "$fr")" "$BENCH_SEED" "$built"
	row "  cardtrail: files %s" "$counts"
	row "  cardtrail: flights %s" "$(sed -n 's/^flights *//p' "$W/summary")"
	row "  (expected %d allocated, %d deleted)" "$((XCARD_SMALL - XCARD_DELETED + XCARD_VIDEOS))" \
		"$XCARD_DELETED"
	row ""
	row "$TFMT" "run" "median s" "cpu s" "MB/s" "ratio" "target"
	row "$TFMT" "---" "--------" "-----" "----" "-----" "------"
	row_time xct "cardtrail extract --json IMAGE OUTDIR" "$SIZE" "1.00" "(reported)"
	row_time xnocarve "  [extra] same, --no-carve" "$SIZE" "$(ratio "${MEDIAN[xnocarve]}" "${MEDIAN[xct]}")"
	row_time xinproc "  [extra] same, the walk in-process (CARDTRAIL_WALK_IN_PROCESS=1)" "$SIZE" \
		"$(ratio "${MEDIAN[xinproc]}" "${MEDIAN[xct]}")"
	row "MB/s = card image bytes / median time (the bundle is written and fsynced into %s)" "$BENCH_DIR"
	row ""
	if [ -n "$carve_mbps" ]; then
		row '%-60s %8s  %s' "carving scan over $(human "$fr") free (cardtrail's summary)" \
			"$carve_mbps MB/s" ">= 1000 MB/s  $(verdict "$carve_mbps" '>=' 1000)  ($carve_s s)"
	else
		row '%-60s %8s  %s' "carving scan (cardtrail's summary)" "-" "no 'carving' line in the summary"
	fi
	row '%-60s %8s  %s' "carving scan: free bytes / (median - median --no-carve)" "$rate2 MB/s" \
		"(${diff} s; reported, noisy: a difference of two medians)"
	if [ -n "$kib" ]; then
		row '%-60s %8s  %s' "peak RSS of cardtrail extract (GNU time %M)" \
			"$(awk -v k="$kib" 'BEGIN { printf "%.1f MiB", k / 1024 }')" \
			"<= 64 MiB  $(verdict "$kib" '<=' 65536)  (videos of $(human "$vsize") streamed)"
	else
		row "peak RSS of cardtrail extract: skipped, GNU time (/usr/bin/time) is not installed"
	fi
	iso=$(awk -v a="${MEDIAN[xct]}" -v b="${MEDIAN[xinproc]}" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
	row '%-60s %8s  %s' "cost of the walk in child processes (median vs in-process)" "$iso %" \
		"< 5 %  $(verdict "$iso" '<=' 5)  (noisy: a difference of two medians)"
	if [ -n "${CPU[xct]:-}" ] && [ -n "${CPU[xinproc]:-}" ]; then
		iso=$(awk -v a="${CPU[xct]}" -v b="${CPU[xinproc]}" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
		row '%-60s %8s  %s' "  the same in CPU time (user + system, children included)" "$iso %" \
			"< 5 %  $(verdict "$iso" '<=' 5)"
	fi
	rm -f "$img"
	extract_many_entries
}

# extract of a card whose folders hold 250,000 entries, all named DUP.SRT
# (62,500 in each of 4 folders of an 8 MiB FAT16 card): naming every
# duplicate, the walk and the manifest must stay linear.
extract_many_entries() {
	local gen=${BENCH_GEN:-$top/build/release/tools/gen-cardimg} img=$W/dups.img out=$W/dout kib=
	if [ ! -x "$gen" ]; then
		row "250,000-entry card: skipped, %s is not built (make %s)" "$gen" "${gen#"$top"/}"
		return
	fi
	"$gen" -t fat16 --dups 250000 -o "$img" || die "gen-cardimg failed"
	group_begin "rm -rf $(q "$out")"
	group_add xdups "$(q "$CT") extract --json --no-carve $(q "$img") $(q "$out")"
	group_run
	if [ -x /usr/bin/time ]; then
		rm -rf "$out"
		/usr/bin/time -f %M -o "$W/rss" "$CT" extract --no-carve "$img" "$out" </dev/null >/dev/null ||
			die "cardtrail extract $img failed"
		kib=$(tail -n 1 "$W/rss")
	fi
	row '%-60s %8s  %s' "extract 8 MiB FAT16, 250,000 entries named DUP.SRT (--no-carve)" \
		"$(printf '%.2f s' "${MEDIAN[xdups]}")" "<= 10 s  $(verdict "${MEDIAN[xdups]}" '<=' 10)  (median of $BENCH_RUNS)"
	[ -n "$kib" ] && row '%-60s %8s  %s' "  its peak RSS (GNU time %M)" \
		"$(awk -v k="$kib" 'BEGIN { printf "%.1f MiB", k / 1024 }')" "(reported)"
	rm -rf "$img" "$out"
}

# ---------------------------------------------------------------------------
# report: the extract section's card (make_card: 300 small files from
# fixtures/flight, 30 of them deleted, five videos), imaged (sha256, no
# read-back) and extracted into a case once; then `cardtrail report CASE`
# (HTML, PDF and the timeline files, the case verified first) timed next to
# `cardtrail verify CASE` alone, which is what the report runs first.  Before
# every run the case gets its custody log back and loses the report files,
# so every run reports the same case state.
section_report() {
	local img=$W/rcard.img case=$W/rcase free need tool kib rec prep own bytes
	note "bench: report section"
	row ""
	for tool in mkfs.fat mcopy mdel mdir minfo sfdisk openssl jq; do
		if ! command -v "$tool" >/dev/null; then
			row "report: skipped, %s is not installed (apt-get install dosfstools mtools fdisk openssl jq)" "$tool"
			return
		fi
	done
	free=$(free_bytes "$BENCH_DIR")
	need=$((SIZE * 4 + (1 << 30)))
	if [ "$free" -lt "$need" ]; then
		row "report: skipped, %s free in %s, need %s for the card, its image and two bundles" \
			"$(human "$free")" "$BENCH_DIR" "$(human "$need")"
		return
	fi
	note "bench: building a $(human "$SIZE") card (seed $BENCH_SEED), imaging and extracting it into $case"
	make_card "$img" >/dev/null
	"$CT" image --hash sha256 --verify none --progress none "$img" "$case" </dev/null >/dev/null ||
		die "cardtrail image $img failed"
	rm -f "$img"
	"$CT" extract "$case" E1 </dev/null >/dev/null || die "cardtrail extract $case E1 failed"
	cp "$case/custody.log" "$W/rcase.log"
	prep="cp $(q "$W/rcase.log") $(q "$case/custody.log") && rm -f $(q "$case")/report*.html"
	prep+=" $(q "$case")/report*.pdf $(q "$case")/timeline*.csv $(q "$case")/timeline*.body && sync"
	prep+=" && cat $(q "$case/E1.raw") $(q "$case/E1.evidence.tar") >/dev/null"
	group_begin "$prep"
	group_add rct "$(q "$CT") report $(q "$case")"
	group_add rver "$(q "$CT") verify $(q "$case")"
	group_add rrep "TMPDIR=$(q "$W") $(q "$CT") verify --reproduce $(q "$case")"
	group_run
	# one more run: what it reported, and its peak RSS
	bash -c "$prep" || die "prepare failed: $prep"
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %M -o "$W/rss" "$CT" report "$case" </dev/null >/dev/null ||
			die "cardtrail report $case failed"
		kib=$(tail -n 1 "$W/rss")
	else
		"$CT" report "$case" </dev/null >/dev/null || die "cardtrail report $case failed"
		kib=
	fi
	rec=$(tail -n 1 "$case/custody.log")
	bytes=$(($(stat -c %s "$case/E1.raw") + $(stat -c %s "$case/E1.evidence.tar")))
	own=$(awk -v a="${MEDIAN[rct]}" -v b="${MEDIAN[rver]}" 'BEGIN { printf "%.2f", a - b }')

	row "reporting the %s extract card as a case: cardtrail report CASE, median of %d runs" \
		"$(human "$SIZE")" "$BENCH_RUNS"
	row "  %s files, %s flights, %s photos, %s timeline events; HTML %s, PDF %s" \
		"$(sed -n 3p "$W/rcase.log" | jq -r .result.files)" "$(jq -r .result.flights <<<"$rec")" \
		"$(jq -r .result.photos <<<"$rec")" "$(jq -r .result.events <<<"$rec")" \
		"$(human "$(stat -c %s "$case/report.html")")" "$(human "$(stat -c %s "$case/report.pdf")")"
	row "  the case is verified first: image and bundle (%s) re-hashed, page-cached" "$(human "$bytes")"
	row ""
	row "$TFMT" "run" "median s" "cpu s" "MB/s" "ratio" "target"
	row "$TFMT" "---" "--------" "-----" "----" "-----" "------"
	row_time rct "cardtrail report CASE (verify included)" "$bytes" "1.00" \
		"< 2 s  $(verdict "${MEDIAN[rct]}" '<=' 2)"
	row_time rver "  [extra] cardtrail verify CASE (what report runs first)" "$bytes" \
		"$(ratio "${MEDIAN[rver]}" "${MEDIAN[rct]}")"
	row '%-60s %8s  %s' "the report's own work: report - verify (medians)" "$own s" "(reported)"
	row_time rrep "  [extra] cardtrail verify --reproduce CASE" "$bytes" \
		"$(ratio "${MEDIAN[rrep]}" "${MEDIAN[rct]}")"
	row '%-60s %8s  %s' "what --reproduce adds, one extraction: its median - verify's" \
		"$(awk -v a="${MEDIAN[rrep]}" -v b="${MEDIAN[rver]}" 'BEGIN { printf "%.2f", a - b }') s" \
		"(reported; cpu s: $(awk -v a="${CPU[rrep]:-0}" -v b="${CPU[rver]:-0}" 'BEGIN { printf "%.1f", a - b }'))"
	row "MB/s = image and bundle bytes / median time"
	if [ -n "$kib" ]; then
		row '%-60s %8s  %s' "peak RSS of cardtrail report (GNU time %M)" \
			"$(awk -v k="$kib" 'BEGIN { printf "%.1f MiB", k / 1024 }')" \
			"<= 64 MiB  $(verdict "$kib" '<=' 65536)"
	else
		row "peak RSS of cardtrail report: skipped, GNU time (/usr/bin/time) is not installed"
	fi
	rm -rf "$case"
}

# ---------------------------------------------------------------------------
# station: three flight cards at once against one after another.
station_cards() {	# make the three cards in /dev/shm: prints their paths
	local d=/dev/shm/cardtrail-bench-station.$$ i
	mkdir -p "$d" && WIPE_IMGS+=("$d")
	xz -dc "$top/fixtures/card-demo.img.xz" >"$d/card1.img" &&
		"$top/fixtures/mkflightcard.sh" "$d" mbr >/dev/null &&
		"$top/fixtures/mkflightcard.sh" "$d" superfloppy >/dev/null &&
		mv "$d/flightcard-mbr.img" "$d/card2.img" && mv "$d/flightcard-superfloppy.img" "$d/card3.img" ||
		return 1
	for i in 1 2 3; do printf '%s\n' "$d/card$i.img"; done
}

# detach_dev DEV: detach a loop device of ours, and forget it
detach_dev() {
	local i
	losetup -d "$1" || note "bench: cannot detach $1"
	for i in "${!WIPE_DEVS[@]}"; do [ "${WIPE_DEVS[$i]}" = "$1" ] && unset "WIPE_DEVS[$i]"; done
}

# station_run CASES MISSION CARD...: fresh copies of the cards on loop
# devices, one station over them; prints its chains' seconds
station_run() {
	local cases=$1 mission=$2 args=() devs=() card d n=0
	shift 2
	for card in "$@"; do
		n=$((n + 1))
		cp "$card" "$card.run" || return 1
		d=$(losetup -f --show "$card.run" 2>"$W/losetup.err") || return 1
		WIPE_DEVS+=("$d") devs+=("$d") args+=(--allow "${d#/dev/}")
	done
	/usr/bin/time -f %M -o "$W/station.rss" "$CT" station --cases "$cases" --mission "$mission" \
		--policy "$W/station.conf" --max-cards "$n" --progress none "${args[@]}" \
		</dev/null >/dev/null 2>"$W/station.err" || return 1
	for d in "${devs[@]}"; do detach_dev "$d"; done
	jq -r .chains_seconds "$cases/mission-$mission.json"
}

section_station() {
	local cards r par seq t kib d all=() ser=() rss=() tool
	note "bench: station section"
	row ""
	if [ "$(id -u)" != 0 ] || ! command -v losetup >/dev/null || [ ! -e /dev/loop-control ]; then
		row "station: skipped, needs root and loop devices (cards appear as loop devices)"
		return
	fi
	for tool in mkfs.fat mcopy sfdisk xz jq /usr/bin/time; do
		command -v "$tool" >/dev/null || { row "station: skipped, %s is not installed" "$tool"; return; }
	done
	mapfile -t cards < <(station_cards) && [ ${#cards[@]} -eq 3 ] ||
		{ row "station: skipped, the flight cards could not be made"; return; }
	printf 'steps = image, extract, wipe, report\nimage.hash = md5, sha256\n' >"$W/station.conf"
	for r in $(seq "$BENCH_RUNS"); do
		note "bench: station run $r of $BENCH_RUNS"
		rm -rf "$W/st"
		par=$(station_run "$W/st/at-once" "at-once" "${cards[@]}") || die "cardtrail station failed: $(cat "$W/station.err")"
		all+=("$par") rss+=("$(tail -n 1 "$W/station.rss")")
		seq=0
		for t in 1 2 3; do
			# a folder of its own: in the first, the card is a duplicate
			t=$(station_run "$W/st/alone-$t" "alone-$t" "${cards[$((t - 1))]}") ||
				die "cardtrail station failed: $(cat "$W/station.err")"
			seq=$(awk -v a="$seq" -v b="$t" 'BEGIN { print a + b }')
		done
		ser+=("$seq")
	done
	cp "${cards[0]}" "${cards[0]}.run" && d=$(losetup -f --show "${cards[0]}.run") && WIPE_DEVS+=("$d") ||
		die "losetup failed"
	/usr/bin/time -f %M -o "$W/image.rss" "$CT" image --hash md5,sha256 --progress none "$d" "$W/st/one" \
		</dev/null >/dev/null || die "cardtrail image $d failed"
	detach_dev "$d"
	kib=$(tail -n 1 "$W/image.rss")
	par=$(printf '%s\n' "${all[@]}" | median)
	seq=$(printf '%s\n' "${ser[@]}" | median)
	row "station: three 64 MiB flight cards on loop devices over /dev/shm, image (md5+sha256, read"
	row "  back twice), extract, wipe (nist-clear), report; the chains' own seconds, median of %d runs" \
		"$BENCH_RUNS"
	row '%-60s %8s' "three at once (one station)" "$par s"
	row '%-60s %8s  %s' "one after another (three stations)" "$seq s" \
		"at once / one after another $(ratio "$par" "$seq")  <= 1  $(verdict "$par" '<=' "$seq")"
	row '%-60s %8s' "peak RSS: cardtrail image of one card" "$(awk -v k="$kib" 'BEGIN { printf "%.1f MiB", k / 1024 }')"
	t=$(printf '%s\n' "${rss[@]}" | sort -g | tail -n 1)
	row '%-60s %8s  %s' "peak RSS: the station with three cards (the largest run)" \
		"$(awk -v k="$t" 'BEGIN { printf "%.1f MiB", k / 1024 }')" \
		"$(ratio "$t" "$kib")x  <= 3x  $(verdict "$(ratio "$t" "$kib")" '<=' 3)"
	rm -rf "$W/st"
}

# ---------------------------------------------------------------------------
SECTIONS=(image e01 rss verify wipe extract report station)
for s in $BENCH_SECTIONS; do
	case " ${SECTIONS[*]} " in *" $s "*) ;; *) die "unknown section '$s' (${SECTIONS[*]})" ;; esac
done
note "bench: $("$CT" version 2>/dev/null | head -n 1 || echo "$CT")"
LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg)
for s in $BENCH_SECTIONS; do
	"section_$s"
done

printf '\n'
printf '%s\n' "${REPORT[@]}"
