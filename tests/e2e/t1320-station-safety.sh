#!/usr/bin/env bash
# t1320-station-safety: what the station must not do.  A loop device that
# does not match --allow and one that is mounted are never written (their
# hash before and after), while a card it may take, next to them, is wiped.
# A card processed before is flagged before anything is written (skipped,
# or processed again as the policy says); a card with the same first and
# last MiB but other bytes is not one.  A chain without an image step works
# in the case that imaged the card.  Ctrl-C mid-run stops the steps at a
# safe point and leaves every case verifiable.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
. "$CT_TOP/tests/e2e/station.sh"
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY
need_loop
command -v mkfs.fat >/dev/null && command -v mcopy >/dev/null && command -v sfdisk >/dev/null ||
	skip_all "mkflightcard.sh needs dosfstools, mtools and fdisk"
"$CT_TOP/fixtures/mkflightcard.sh" "$T" superfloppy >/dev/null 2>&1 || skip_all "mkflightcard.sh failed"
"$CT_TOP/fixtures/mkflightcard.sh" "$T" mbr >/dev/null 2>&1 || skip_all "mkflightcard.sh mbr failed"
xz -dc "$CT_TOP/fixtures/card-demo.img.xz" >"$T/demo.img"
read -r -a N <<<"$(pick_loops 4)" || skip_all "no four free loop device numbers from 200 up"
sha() { sha256sum <"$1" | cut -d' ' -f1; }
devsha() { dd if="$1" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1; }
printf 'steps = image, extract, wipe, report\n' >"$T/wipe.conf"
printf 'steps = image, extract, report\n' >"$T/keep.conf"

# ---- never written: not allowed, mounted -------------------------------------------------
# M: ext4, mounted, and matching --allow; X: a card, not matching --allow;
# W: a card matching --allow, which is wiped (the test could fail).
truncate -s 32M "$T/ext.img"
mkfs.ext4 -q -L EVID "$T/ext.img" || skip_all "mkfs.ext4 failed"
attach_loop M "${N[0]}" "$T/ext.img" || skip_all "losetup failed"
mkdir "$T/mnt"
mount "$M" "$T/mnt" 2>/dev/null || skip_all "cannot mount ext4 here"
at_exit "umount '$T/mnt'"
echo "evidence of another case" >"$T/mnt/keep.txt"
sync
slot_loop X "${N[1]}" || skip_all "losetup failed"
slot_loop W "${N[2]}" || skip_all "losetup failed"
m_before=$(devsha "$M")
station_start --cases "$T/cases" --mission safety --policy "$T/wipe.conf" --allow "loop${N[0]}" \
	--allow "loop${N[2]}" --max-cards 1
slot_insert "${N[1]}" "$T/demo.img"
slot_insert "${N[2]}" "$T/flightcard-superfloppy.img"
station_wait 600
check_eq "safety: the station exits 0" 0 "$ST_RC"
[ "$ST_RC" = 0 ] || station_show
S=$T/cases/mission-safety.json
check_eq "safety: one card taken, W" "$W" "$(jq -r '[.cards[].device] | join(" ")' "$S")"
check_eq "safety: the mounted device, not taken" \
	"loop${N[0]}: a filesystem on it is mounted (the station never takes a mounted card: unmount it, then insert it again)" \
	"$(jq -r --arg r "loop${N[0]}" '.not_taken[] | select(.reader == $r) | .reason' "$S")"
check_eq "safety: the device not matching --allow, not taken" \
	"loop${N[1]}: a loop device (admitted only by --allow)" \
	"$(jq -r --arg r "loop${N[1]}" '.not_taken[] | select(.reader == $r) | .reason' "$S")"
check_eq "safety: the mounted device unchanged" "$m_before" "$(devsha "$M")"
check_eq "safety: its file still there" "evidence of another case" "$(cat "$T/mnt/keep.txt")"
check_eq "safety: the device not matching --allow unchanged" "$(sha "$T/demo.img")" "$(devsha "$X")"
check_eq "safety: the card it took is wiped" "$(head -c "$(stat -c %s "$T/flightcard-superfloppy.img")" /dev/zero |
	sha256sum | cut -d' ' -f1)" "$(devsha "$W")"
umount "$T/mnt"
loop_release "${N[0]}"
loop_release "${N[1]}"
loop_release "${N[2]}"

# ---- a card processed before --------------------------------------------------------------
# D1: the flight card, processed (image, extract, report: it keeps its bytes).
# D2: a copy of it (the same card again): flagged, skipped, nothing written.
# D3: the same first and last MiB, one other byte inside: not a duplicate.
cp "$T/flightcard-mbr.img" "$T/near.img"
printf '\x5a' | dd of="$T/near.img" bs=1 seek=$((20 << 20)) conv=notrunc status=none
check_eq "the near copy differs" 1 "$(cmp -s "$T/near.img" "$T/flightcard-mbr.img"; echo $?)"
for i in 0 1 2; do slot_loop D$i "${N[$i]}" || skip_all "losetup failed"; done
station_start --cases "$T/dup" --mission first --policy "$T/keep.conf" --allow "loop${N[0]}" --max-cards 1
slot_insert "${N[0]}" "$T/flightcard-mbr.img"
station_wait 600
check_eq "duplicates: the first run exits 0" 0 "$ST_RC"
first_case=$(jq -r '.cards[0].case' "$T/dup/mission-first.json")
cases_before=$(ls "$T/dup" | grep -vc '^mission-')
d1_sha=$(sha "$T/slot${N[1]}.img")
station_start --cases "$T/dup" --mission again --policy "$T/keep.conf" --allow "loop${N[1]}" \
	--allow "loop${N[2]}" --max-cards 2
slot_insert "${N[1]}" "$T/flightcard-mbr.img"
slot_insert "${N[2]}" "$T/near.img"
station_wait 600
check_eq "duplicates: the station exits 0 (a skipped duplicate is no failure)" 0 "$ST_RC"
[ "$ST_RC" = 0 ] || station_show
S=$T/dup/mission-again.json
c=$(jq -c --arg d "$D1" '.cards[] | select(.device == $d)' "$S")
check_eq "duplicates: the copy is skipped as a duplicate of the first case's E1, by SHA-256" \
	"skipped $T/dup/$first_case E1 SHA-256" \
	"$(jq -r '"\(.state) \(.duplicate_of.case) \(.duplicate_of.evidence) \(.duplicate_of.by)"' <<<"$c")"
check_eq "duplicates: flagged before anything was written (no case)" "null" "$(jq -r .case <<<"$c")"
check_eq "duplicates: the event says so" 1 \
	"$(jq -c -R 'fromjson? | select(.event == "duplicate" and .action == "skip")' "$ST_EV" | wc -l)"
c=$(jq -c --arg d "$D2" '.cards[] | select(.device == $d)' "$S")
check_eq "duplicates: the same edges, another byte: processed" "done null" \
	"$(jq -r '"\(.state) \(.duplicate_of)"' <<<"$c")"
check_eq "duplicates: one new case (the near copy's)" $((cases_before + 1)) "$(ls "$T/dup" | grep -vc '^mission-')"
check_eq "duplicates: the skipped card unchanged" "$(sha "$T/flightcard-mbr.img")" "$(sha "$T/slot${N[1]}.img")"
slot_eject "${N[1]}"
# duplicate = process: a new case that says whose duplicate it is
printf 'steps = image, report\nduplicate = process\n' >"$T/process.conf"
station_start --cases "$T/dup" --mission process --policy "$T/process.conf" --allow "loop${N[1]}" --max-cards 1
slot_insert "${N[1]}" "$T/flightcard-mbr.img"
station_wait 600
check_eq "duplicate = process: exit 0" 0 "$ST_RC"
c=$(jq -c '.cards[0]' "$T/dup/mission-process.json")
check_eq "duplicate = process: processed again, flagged" "done $T/dup/$first_case" \
	"$(jq -r '"\(.state) \(.duplicate_of.case)"' <<<"$c")"
jq -r 'select(.action == "note") | .result.text' "$T/dup/$(jq -r .case <<<"$c")/custody.log" |
	grep -q "processed before: E1 in $T/dup/$first_case (same SHA-256), processed again" &&
	ok "duplicate = process: its custody log says whose duplicate it is" ||
	not_ok "duplicate = process: its custody log says whose duplicate it is"

# a chain without image: the card is found in the case that imaged it
printf 'steps = wipe, report\n' >"$T/wipeonly.conf"
slot_eject "${N[0]}"
station_start --cases "$T/dup" --mission wipeonly --policy "$T/wipeonly.conf" --allow "loop${N[0]}" \
	--max-cards 1
slot_insert "${N[0]}" "$T/near.img"
station_wait 600
check_eq "wipe only: exit 0" 0 "$ST_RC"
[ "$ST_RC" = 0 ] || station_show
# the near copy's case holds it (the first case has the same edges)
c=$(jq -c '.cards[0]' "$T/dup/mission-wipeonly.json")
near_case=$(jq -r --arg d "$D2" '.cards[] | select(.device == $d) | .case' "$T/dup/mission-again.json")
check_eq "wipe only: in the case that imaged it, wiped" "$near_case E1 VERIFIED" \
	"$(jq -r '"\(.case) \(.evidence) \(.wipe.result)"' <<<"$c")"
check_eq "wipe only: its case has the wipe" "VERIFIED" "$(jq -r .result "$T/dup/$near_case/E1.wipe.json")"
"$CARDTRAIL" verify "$T/dup/$near_case" >"$T/v.out" 2>&1
check_eq "wipe only: the case verifies" 0 $?
slot_eject "${N[0]}"
station_start --cases "$T/dup" --mission never --policy "$T/wipeonly.conf" --allow "loop${N[0]}" --max-cards 1
slot_insert "${N[0]}" "$T/demo.img"
station_wait 600
check_eq "wipe only, a card never imaged: exit 1" 1 "$ST_RC"
check_eq "wipe only, a card never imaged: refused, nothing written" "refused $(sha "$T/demo.img")" \
	"$(jq -r '.cards[0].state' "$T/dup/mission-never.json") $(sha "$T/slot${N[0]}.img")"
for i in 0 1 2; do loop_release "${N[$i]}"; done

# ---- Ctrl-C mid-run -----------------------------------------------------------------------
if [ -e /dev/fuse ] && [ -x "${FAULTFS:-}" ] && command -v fusermount3 >/dev/null; then
	# three slow cards (50 ms a request): every one is mid-image when the
	# signal comes
	cp "$T/demo.img" "$T/i1.img"
	cp "$T/flightcard-superfloppy.img" "$T/i2.img"
	cp "$T/flightcard-mbr.img" "$T/i3.img"
	for i in 1 2 3; do
		faultfs_mount "$T/i$i.img" "$T/mi$i" --writable --delay-us 50000 || not_ok "faultfs $i mounts"
		attach_loop I$i "${N[$((i - 1))]}" "$T/mi$i/disk" || skip_all "losetup failed"
	done
	station_start --cases "$T/int" --mission interrupted --policy "$T/wipe.conf" --allow "loop${N[0]}" \
		--allow "loop${N[1]}" --allow "loop${N[2]}"
	wait_event 'select(.event == "progress" and .phase == "image" and .card == 1)' 120
	wait_event 'select(.event == "progress" and .phase == "image" and .card == 2)' 120
	wait_event 'select(.event == "progress" and .phase == "image" and .card == 3)' 120
	kill -INT "$ST_PID"
	t0=$(date +%s)
	station_wait 120
	printf '# the station ended %s s after SIGINT\n' $(($(date +%s) - t0))
	check_eq "Ctrl-C: exit 1" 1 "$ST_RC"
	S=$T/int/mission-interrupted.json
	check_eq "Ctrl-C: the summary says so" "signal 3 stopped stopped stopped" \
		"$(jq -r '"\(.ended_by) \(.counts.stopped) \([.cards[].state] | join(" "))"' "$S")"
	grep -q "^time .* ended by signal" "$ST_OUT" && ok "Ctrl-C: the summary is printed" ||
		not_ok "Ctrl-C: the summary is printed"
	for i in 1 2 3; do
		c=$(jq -c ".cards[] | select(.card == $i)" "$S")
		case=$T/int/$(jq -r .case <<<"$c")
		check_eq "Ctrl-C, card $i: image stopped, nothing after it" "image:stopped extract:pending" \
			"$(jq -r '[.steps[0:2][] | "\(.step):\(.status)"] | join(" ")' <<<"$c")"
		check_eq "Ctrl-C, card $i: the image record says incomplete" false \
			"$(jq -r 'select(.action == "image") | .result.complete' "$case/custody.log")"
		jq -r 'select(.action == "note") | .result.text' "$case/custody.log" | grep -q "stopped by a signal during image" &&
			ok "Ctrl-C, card $i: the custody log says it was stopped" ||
			not_ok "Ctrl-C, card $i: the custody log says it was stopped"
		"$CARDTRAIL" verify "$case" >"$T/v$i.out" 2>&1
		check_eq "Ctrl-C, card $i: the case verifies" 0 $?
		[ -e "$case/E1.wipe.json" ] && not_ok "Ctrl-C, card $i: not wiped" || ok "Ctrl-C, card $i: not wiped"
	done
else
	skip "Ctrl-C mid-run" "no FUSE (faultfs) for slow cards"
fi
done_testing
