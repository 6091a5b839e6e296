#!/usr/bin/env bash
# t1300-station: `cardtrail station` with three cards attached while it runs
# (loop devices at fixed free numbers over copies of the bundled cards, the
# only devices it admits): all three imaged, extracted, wiped and reported,
# each case verifying, what the summary says checked against independent
# tools; the same three at once finish in no more time than one after
# another (cards read at a card's speed through faultfs); peak RSS with three
# cards at most three times a single image run's.  Also: the options, the
# policy's errors, the golden help, the JSON events.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
. "$CT_TOP/tests/e2e/station.sh"
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY

# ---- without devices: options, policy, help ---------------------------------------
"$CARDTRAIL" help station >"$T/help.txt"
check_file "cardtrail help station golden" "$CT_TOP/tests/golden/help-station.txt" "$T/help.txt"
"$CARDTRAIL" station --help >"$T/help2.txt"
check_file "station --help equals help station" "$T/help.txt" "$T/help2.txt"
usage() { # DESC ARGS...: exit 2, a message, nothing made
	local desc=$1 rc
	shift
	"$CARDTRAIL" station "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	check_eq "$desc: exit 2" 2 $rc
	[ -s "$T/err" ] && ok "$desc: says why" || not_ok "$desc: says why"
}
usage "no --cases" --max-cards 1
usage "--watch sometimes" --cases "$T/c" --watch sometimes
usage "--poll-interval 5" --cases "$T/c" --poll-interval 5
usage "--progress loud" --cases "$T/c" --progress loud
usage "an argument" --cases "$T/c" /dev/sdb
check_eq "bad options: no cases folder made" no "$([ -e "$T/c" ] && echo yes || echo no)"

printf 'steps = image, extract, wipe, report\nwipe.methd = dod3\n' >"$T/bad.conf"
"$CARDTRAIL" station --cases "$T/c" --policy "$T/bad.conf" >"$T/out" 2>"$T/err"
check_eq "a policy with an unknown key: exit 2" 2 $?
check_eq "the error names the file and the line" \
	"cardtrail: $T/bad.conf:2: unknown key 'wipe.methd' (see station(5))" "$(cat "$T/err")"
printf 'steps = image, wipe\nimage.verify = none\n' >"$T/bad2.conf"
"$CARDTRAIL" station --check-policy --policy "$T/bad2.conf" >"$T/out" 2>"$T/err"
check_eq "a wipe after an image not read back: exit 2" 2 $?
grep -q "a chain that wipes reads the image and the card back first" "$T/err" &&
	ok "the error says why" || not_ok "the error says why"
"$CARDTRAIL" station --cases "$T/c" --policy "$T/nonexistent.conf" >"$T/out" 2>"$T/err"
check_eq "a policy that cannot be read: exit 1" 1 $?
check_eq "bad policies: no cases folder made" no "$([ -e "$T/c" ] && echo yes || echo no)"
"$CARDTRAIL" station --check-policy >"$T/pol.json"
check_eq "--check-policy: the defaults take no wipe" '["image","extract","report"]' \
	"$(jq -c .steps "$T/pol.json")"
check_eq "--check-policy: duplicates skipped, damaged cards never wiped" "skip false" \
	"$(jq -r '"\(.duplicate) \(."wipe.damaged")"' "$T/pol.json")"
if [ ! -e /run/udev/control ]; then
	"$CARDTRAIL" station --cases "$T/c" --watch udev >"$T/out" 2>"$T/err"
	check_eq "--watch udev without a udev daemon: exit 1" 1 $?
	grep -q "no udev daemon runs" "$T/err" && ok "--watch udev: says there is no udev daemon" ||
		not_ok "--watch udev: says there is no udev daemon"
fi

# ---- three cards --------------------------------------------------------------------
need_loop
command -v mkfs.fat >/dev/null && command -v mcopy >/dev/null && command -v sfdisk >/dev/null ||
	skip_all "mkflightcard.sh needs dosfstools, mtools and fdisk"
xz -dc "$CT_TOP/fixtures/card-demo.img.xz" >"$T/card1.img"
"$CT_TOP/fixtures/mkflightcard.sh" "$T" mbr >/dev/null 2>&1 && mv "$T/flightcard-mbr.img" "$T/card2.img" ||
	skip_all "mkflightcard.sh mbr failed"
"$CT_TOP/fixtures/mkflightcard.sh" "$T" superfloppy >/dev/null 2>&1 &&
	mv "$T/flightcard-superfloppy.img" "$T/card3.img" || skip_all "mkflightcard.sh superfloppy failed"
for i in 1 2 3; do
	SHA[$i]=$(sha256sum <"$T/card$i.img" | cut -d' ' -f1)
	MD5[$i]=$(md5sum <"$T/card$i.img" | cut -d' ' -f1)
	SIZE[$i]=$(stat -c %s "$T/card$i.img")
done
read -r -a N <<<"$(pick_loops 4)" || skip_all "no four free loop device numbers from 200 up"
printf '# the chain of t1300\nsteps = image, extract, wipe, report\nimage.hash = md5, sha256\n' \
	>"$T/station.conf"

# one card imaged alone: the RSS bound's reference (ASan's quarantine off
# in both runs, or it keeps every freed buffer)
cp "$T/card1.img" "$T/ref.img"
attach_loop ref "${N[3]}" "$T/ref.img" || skip_all "losetup /dev/loop${N[3]} failed"
ASAN_OPTIONS=${ASAN_OPTIONS:-}:quarantine_size_mb=0 /usr/bin/time -f %M -o "$T/image.rss" \
	"$CARDTRAIL" image --hash md5,sha256 --progress none "$ref" "$T/refcase" >/dev/null 2>&1
check_eq "a single image run (the RSS reference) exits 0" 0 $?
loop_release "${N[3]}"

# three empty readers; the cards go in while the station runs
for i in 1 2 3; do
	slot_loop DEV$i "${N[$((i - 1))]}" || skip_all "losetup /dev/loop${N[$((i - 1))]} failed"
done
ASAN_OPTIONS=${ASAN_OPTIONS:-}:quarantine_size_mb=0 /usr/bin/time -f %M -o "$T/station.rss" \
	"$CARDTRAIL" station --progress json --cases "$T/cases" --mission "Patrol 2026-12-02" \
	--policy "$T/station.conf" --allow "loop${N[0]}" --allow "loop${N[1]}" --allow "loop${N[2]}" \
	--max-cards 3 >"$T/st.out" 2>"$T/st.ev" &
ST_PID=$! ST_EV=$T/st.ev ST_OUT=$T/st.out
at_exit "kill -KILL $ST_PID"
wait_event 'select(.event == "station")' 30 || not_ok "the station starts"
watch=$(jq -r 'select(.event == "station") | .watch' "$T/st.ev" | head -n 1)
printf '# the station watched by %s\n' "$watch"
if [ -e /run/udev/control ]; then exp=udev; else exp=sysfs; fi
check_eq "the watch is $exp (udev daemon: $([ -e /run/udev/control ] && echo yes || echo no))" "$exp" "$watch"
check_eq "empty readers are no cards" 0 "$(jq -c 'select(.event == "card" or .event == "refused")' "$T/st.ev" |
	grep -cE "\"loop(${N[0]}|${N[1]}|${N[2]})\"")"
for i in 1 2 3; do slot_insert "${N[$((i - 1))]}" "$T/card$i.img" || not_ok "card $i goes in"; done
station_wait 600
check_eq "three cards: the station exits 0" 0 "$ST_RC"
[ "$ST_RC" = 0 ] || station_show
SUM=$T/cases/mission-patrol-2026-12-02.json
check_eq "the mission summary: three cards done" "3 done done done" \
	"$(jq -r '"\(.counts.ok) \([.cards[].state] | join(" "))"' "$SUM" 2>/dev/null)"
check_eq "the summary's text and HTML are there" "yes yes" \
	"$([ -s "${SUM%.json}.txt" ] && echo yes) $([ -s "${SUM%.json}.html" ] && echo yes)"
check_eq "the summary printed is the text written" "" "$(head -n "$(wc -l <"${SUM%.json}.txt")" "$T/st.out" |
	diff - "${SUM%.json}.txt")"
for i in 1 2 3; do
	dev=DEV$i
	dev=${!dev}
	c=$(jq -c --arg d "$dev" '.cards[] | select(.device == $d)' "$SUM")
	case=$T/cases/$(jq -r .case <<<"$c")
	check_eq "card $i: admitted by --allow, one case" "--allow yes" \
		"$(jq -r .admitted_by <<<"$c") $([ -f "$case/custody.log" ] && echo yes)"
	check_eq "card $i: sha256 as sha256sum" "${SHA[$i]}" "$(jq -r .hashes.sha256 <<<"$c")"
	check_eq "card $i: md5 as md5sum" "${MD5[$i]}" "$(jq -r .hashes.md5 <<<"$c")"
	check_eq "card $i: the image is the card" "${SHA[$i]}" "$(sha256sum <"$case/E1.raw" | cut -d' ' -f1)"
	check_eq "card $i: steps" "image:ok extract:ok wipe:ok report:ok" \
		"$(jq -r '[.steps[] | "\(.step):\(.status)"] | join(" ")' <<<"$c")"
	check_eq "card $i: custody log, in order" "open note image extract wipe-start wipe report" \
		"$(jq -r .action "$case/custody.log" | tr '\n' ' ' | sed 's/ $//')"
	check_eq "card $i: the extract record's tracks are the summary's" \
		"$(jq -r 'select(.action == "extract") | .result.flights' "$case/custody.log")" "$(jq -r .tracks <<<"$c")"
	check_eq "card $i: the report record's flights are the summary's" \
		"$(jq -r 'select(.action == "report") | .result.flights' "$case/custody.log")" "$(jq -r .flights <<<"$c")"
	check_eq "card $i: wipe VERIFIED (certificate and summary)" "VERIFIED VERIFIED" \
		"$(jq -r .result "$case/E1.wipe.json") $(jq -r .wipe.result <<<"$c")"
	cmp -s -n "${SIZE[$i]}" "$dev" /dev/zero && ok "card $i: every byte reads 0x00 now" ||
		not_ok "card $i: every byte reads 0x00 now"
	"$CARDTRAIL" verify "$case" >"$T/verify$i.out" 2>&1
	check_eq "card $i: cardtrail verify of its case exits 0" 0 $?
	check_eq "card $i: the summary's chain head is verify's" \
		"$(sed -n 's/^chain head: //p' "$T/verify$i.out")" "$(jq -r .chain_head <<<"$c")"
	grep -q "href=\"$(jq -r .case <<<"$c")/report.html\"" "${SUM%.json}.html" &&
		ok "card $i: the HTML index links its report" || not_ok "card $i: the HTML index links its report"
	check_eq "card $i: events: its steps started and ended in order" \
		"image:started image:ok extract:started extract:ok wipe:started wipe:ok report:started report:ok" \
		"$(jq -r --argjson n "$(jq .card <<<"$c")" 'select(.event == "step" and .card == $n) |
			"\(.step):\(.status)"' "$T/st.ev" | tr '\n' ' ' | sed 's/ $//')"
done
check_eq "every event line is JSON with a time and a text" 0 \
	"$(grep -c . "$T/st.ev" | awk -v n="$(jq -c 'select(.time and .text)' "$T/st.ev" | wc -l)" '{ print $1 - n }')"
check_eq "progress events for the three cards" 3 \
	"$(jq -r 'select(.event == "progress" and .phase == "image") | .card' "$T/st.ev" | sort -u | wc -l)"
# other loop devices on this machine may come and go: never taken
check_eq "nothing else taken" 3 "$(jq '.cards | length' "$SUM")"
check_eq "what was not taken is never a device of ours" "" \
	"$(jq -r '.not_taken[].reader' "$SUM" | grep -E "^loop(${N[0]}|${N[1]}|${N[2]})\$")"

# memory: bounded per card
img_rss=$(tail -n 1 "$T/image.rss")
st_rss=$(tail -n 1 "$T/station.rss")
printf '# peak RSS: image of one card %s KiB, station with three cards %s KiB (%s)\n' "$img_rss" "$st_rss" \
	"$(awk -v a="$st_rss" -v b="$img_rss" 'BEGIN { printf "%.2fx", a / b }')"
if [ "$st_rss" -le $((3 * img_rss)) ]; then ok "peak RSS with three cards <= 3 x a single image run's"
else not_ok "peak RSS with three cards <= 3 x a single image run's ($st_rss > 3 x $img_rss KiB)"; fi
for i in 1 2 3; do loop_release "${N[$((i - 1))]}"; done

# ---- at once, or one after another ----------------------------------------------------
# Each card behind its own faultfs, 2 ms per request (the card's speed: about
# 30 MB/s for 64 KiB requests): what the station overlaps is the waiting.
# The cards are in their readers when the station starts; one after another
# is three stations of one card each.  The chains' time is the summary's
# chains_seconds (first arrival to last end, the station's own monotonic
# clock), so startup and the summary are left out on both sides.
if [ -e /dev/fuse ] && [ -x "${FAULTFS:-}" ] && command -v fusermount3 >/dev/null; then
	read -r -a M <<<"$(pick_loops 3)" || skip_all "no three more free loop device numbers"
	slow() { # mount the three slow cards, fresh copies
		local i
		for i in 1 2 3; do
			cp "$T/card$i.img" "$T/slow$i.img"
			faultfs_mount "$T/slow$i.img" "$T/ms$i" --writable --delay-us 2000 ||
				not_ok "faultfs $i mounts"
		done
	}
	# at_once and one_by_one: the chains' seconds (fresh copies each time)
	at_once() {
		local i
		slow
		for i in 1 2 3; do attach_loop S$i "${M[$((i - 1))]}" "$T/ms$i/disk" || return 1; done
		rm -rf "$T/par"
		station_start --cases "$T/par" --mission par --policy "$T/station.conf" --max-cards 3 \
			--allow "loop${M[0]}" --allow "loop${M[1]}" --allow "loop${M[2]}"
		station_wait 900
		check_eq "at once: exit 0" 0 "$ST_RC"
		[ "$ST_RC" = 0 ] || station_show
		jq -r '.cards[] | "# at once, card \(.card): \([.steps[] | "\(.step) \(.seconds) s"] | join(", "))"' \
			"$T/par/mission-par.json"
		par=$(jq -r .chains_seconds "$T/par/mission-par.json")
		for i in 1 2 3; do loop_release "${M[$((i - 1))]}"; faultfs_umount "$T/ms$i"; done
	}
	one_by_one() {
		local i
		slow
		seq=0
		rm -rf "$T/seq"
		for i in 1 2 3; do
			attach_loop S$i "${M[$((i - 1))]}" "$T/ms$i/disk" || return 1
			station_start --cases "$T/seq" --mission "seq $i" --policy "$T/station.conf" \
				--max-cards 1 --allow "loop${M[$((i - 1))]}"
			station_wait 600
			check_eq "one after another, card $i: exit 0" 0 "$ST_RC"
			[ "$ST_RC" = 0 ] || station_show
			loop_release "${M[$((i - 1))]}"
			jq -r '.cards[] | "# alone, card \(.card): \([.steps[] | "\(.step) \(.seconds) s"] | join(", "))"' \
				"$T/seq/mission-seq-$i.json"
			seq=$(awk -v a="$seq" -v b="$(jq -r .chains_seconds "$T/seq/mission-seq-$i.json")" \
				'BEGIN { printf "%.3f", a + b }')
		done
		for i in 1 2 3; do faultfs_umount "$T/ms$i"; done
	}
	# the machine is shared: when at once comes out slower, both are
	# measured once more and the faster of each is compared
	at_once; one_by_one
	if awk -v p="$par" -v s="$seq" 'BEGIN { exit !(p > s) }'; then
		printf '# at once %s s, one after another %s s: measured again\n' "$par" "$seq"
		p1=$par s1=$seq
		at_once; one_by_one
		par=$(awk -v a="$p1" -v b="$par" 'BEGIN { print (a < b ? a : b) }')
		seq=$(awk -v a="$s1" -v b="$seq" 'BEGIN { print (a < b ? a : b) }')
	fi
	printf '# image, extract, wipe, report of the three cards: at once %s s, one after another %s s\n' \
		"$par" "$seq"
	if awk -v p="$par" -v s="$seq" 'BEGIN { exit !(p > 0 && p <= s) }'; then
		ok "the three at once finish in no more time than one after another"
	else
		not_ok "the three at once finish in no more time than one after another ($par s > $seq s)"
	fi
else
	skip "the three at once against one after another" "no FUSE (faultfs) to read at a card's speed"
fi
done_testing
