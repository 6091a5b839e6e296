#!/usr/bin/env bash
# The walk's child under its seccomp filter (src/evidence/sandbox.c):
# every fixture card (FAT12/16/32, exFAT, MBR, GPT, the demo card, an E01
# in segments, a raw image split in 20 segments: more than the 15 libtsk
# keeps open, so it reopens them by name, and the hostile cards of t0860
# that do not crash libtsk) gives the same bundle, byte for byte, as the
# walk in the process itself (CARDTRAIL_WALK_IN_PROCESS=1, no filter), and
# no warning that the filter is missing; strace shows each child load it;
# the card that makes libtsk assert still ends by SIGABRT, not the filter.
. "$CT_TOP"/tests/e2e/lib.sh
CT_FULL_STACKS=1
. "$CT_TOP"/tests/e2e/extract-lib.sh

PATH=$PATH:/usr/sbin:/sbin
for t in sfdisk jq sha256sum tar xz; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs fdisk, jq, xz)"
done
export CARDTRAIL_EXAMINER=tester
unset CARDTRAIL_SIGN_KEY CARDTRAIL_WALK_IN_PROCESS
MiB=1048576

# ---- the cards ----
mkdir -p "$T/cards"
xz -dc "$CT_TOP/fixtures/card-demo.img.xz" >"$T/cards/demo.img"
gen -t fat12 -s 3 -o "$T/cards/fat12.img"
gen -t fat16 -s 4 --files 3 -o "$T/cards/fat16.img"
gen -t fat32 -s 5 -o "$T/cards/fat32.img"
gen -t exfat -s 6 --files 3 --tz -300 -o "$T/cards/exfat.img"
gen -t exfat --size $((4 * MiB)) --claim-sectors 4294967296 -o "$T/cards/claim.img"
gen -t fat12 --dag 12 -o "$T/cards/dag.img"
gen -t fat16 -s 1 --files 2 -o "$T/p1.img"
gen -t exfat -s 2 --files 2 --tz 120 -o "$T/p2.img"
for label in dos gpt; do
	truncate -s $((20 * MiB)) "$T/cards/two-$label.img"
	if [ $label = dos ]; then
		printf 'label: dos\nstart=2048, size=16384, type=6\nstart=20480, size=16384, type=7\n'
	else
		printf 'label: gpt\nstart=2048, size=16384, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\nstart=20480, size=16384, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n'
	fi | sfdisk -q "$T/cards/two-$label.img" >/dev/null
	dd if="$T/p1.img" of="$T/cards/two-$label.img" bs=1M seek=1 conv=notrunc status=none
	dd if="$T/p2.img" of="$T/cards/two-$label.img" bs=1M seek=10 conv=notrunc status=none
done
rm -f "$T/p1.img" "$T/p2.img"
# an E01 in 6 segments and a raw image in 20
"$CARDTRAIL" image --progress none --format e01 --split 4MiB "$T/cards/two-dos.img" "$T/e01" \
	>"$T/img.out" 2>&1 || { not_ok "image --format e01"; sed 's/^/#   /' "$T/img.out"; }
"$CARDTRAIL" image --progress none --split 1MiB "$T/cards/two-gpt.img" "$T/split" \
	>"$T/img.out" 2>&1 || { not_ok "image --split"; sed 's/^/#   /' "$T/img.out"; }
check_eq "the split image has 20 segments (more than libtsk keeps open)" 20 \
	"$(ls "$T/split"/E1.0[0-9][0-9] | wc -l)"

# ---- in the child, filtered, against in the process, not ----
# same NAME ARGS...: extract ARGS (ending in the output place) both ways
same() {
	local n=$1 b1 b2; shift
	ct "$n-child" extract "$@" "$T/o-$n-child"
	rc1=$RC
	CARDTRAIL_WALK_IN_PROCESS=1 ct "$n-in" extract "$@" "$T/o-$n-in"
	check_eq "$n: exits alike in the child and in the process" "$rc1" "$RC"
	b1=$T/o-$n-child/$n.img.evidence.tar
	b2=$T/o-$n-in/$n.img.evidence.tar
	[ -f "$b1" ] && [ -f "$b2" ] || { not_ok "$n: no bundle"; sed 's/^/#   /' "$T/$n-child.err"; return; }
	check_eq "$n: the same bundle, byte for byte" "$(sum "$b2")" "$(sum "$b1")"
	check_eq "$n: no warning of a walk without its filter, no SIGSYS" 0 \
		"$(tar -xOf "$b1" MANIFEST.json | grep -c 'seccomp\|signal 31')"
}
for img in "$T"/cards/*.img; do
	n=${img##*/}
	same "${n%.img}" "$img"
done
# a case: extract CASEDIR ID writes CASEDIR/ID.evidence.tar; one case per way
for c in e01 split; do
	cp -a "$T/$c" "$T/$c-in"
	ct "$c-child" extract "$T/$c" E1
	rc1=$RC
	CARDTRAIL_WALK_IN_PROCESS=1 ct "$c-in" extract "$T/$c-in" E1
	check_eq "$c: exits alike in the child and in the process" "$rc1" "$RC"
	check_eq "$c: the same bundle, byte for byte" "$(sum "$T/$c-in/E1.evidence.tar")" \
		"$(sum "$T/$c/E1.evidence.tar")"
	check_eq "$c: no warning of a walk without its filter, no SIGSYS" 0 \
		"$(tar -xOf "$T/$c/E1.evidence.tar" MANIFEST.json | grep -c 'seccomp\|signal 31')"
	check_eq "$c: the walk found the card's 4 files (2 per volume), all allocated" \
		"allocated allocated allocated allocated" \
		"$(tar -xOf "$T/$c/E1.evidence.tar" MANIFEST.json | jq -r '[.files[] | select(.state == "allocated")] | map(.state) | join(" ")')"
done

# ---- libtsk's assertion is still an abort, not the filter ----
gen -t exfat --zero-name --files 3 -o "$T/zero.img"
ct zero extract "$T/zero.img" "$T/o-zero"
check_eq "asserting card: exit 4" 4 "$RC"
check_eq "asserting card: ended by SIGABRT (a signal to itself is allowed)" 1 \
	"$(tar -xOf "$T/o-zero/zero.img.evidence.tar" MANIFEST.json | jq '[.warnings[] | select(test("ended by signal 6 \\(ABRT"))] | length')"

# ---- each child loads the filter ----
if command -v strace >/dev/null 2>&1; then
	# (LeakSanitizer does not run under ptrace: not here)
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=seccomp,execve -o "$T/strace" \
		"$CARDTRAIL" extract "$T/cards/two-dos.img" "$T/o-strace" >"$T/strace.out" 2>&1
	check_eq "strace: extract exits 0" 0 $?
	check_eq "strace: both children (two volumes) load a filter" 2 \
		"$(grep -c 'seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=[0-9]*, filter=0x[0-9a-f]*}) = 0$' "$T/strace")"
	# (its pid execs '__walk' first)
	check_eq "strace: the processes that load it are the walk's children (cardtrail __walk)" \
		"__walk __walk" \
		"$(for p in $(awk '/SECCOMP_SET_MODE_FILTER, 0, \{len=/ { print $1 }' "$T/strace" | sort -u); do
			grep -m1 "^$p  *execve(" "$T/strace" | grep -o '"__walk"' | tr -d '"'; done | xargs)"
	check_eq "strace: the bundle is the one without strace" "$(sum "$T/o-two-dos-child/two-dos.img.evidence.tar")" \
		"$(sum "$T/o-strace/two-dos.img.evidence.tar")"
else
	skip "strace: each child loads the filter" "strace not installed"
fi

done_testing
