#!/usr/bin/env bash
# t0720-wipe-resume: a dod3 wipe of a slow card (faultfs --delay-us under a
# loop device) interrupted with SIGINT during pass 2, and killed with
# SIGKILL during pass 3 (the keystream pass), each continued with --resume:
# the resumed run starts where the state file says, keeps the first run's
# keys (the keystream read back matches), and a finished wipe cannot be
# resumed again.
#
# The card is 64 MiB: the writer's ring holds 32 MiB (8 x 4 MiB) and a
# signal is only noticed when the generator asks for the next buffer, so
# on a card of 32 MiB or less every write of a pass is queued before a
# signal can stop it.  SIGINT is sent as soon as pass 2 has started (the
# generator is then still 32 MiB short of the end); SIGKILL once the state
# file shows an offset inside pass 3 (the delay makes a pass's write take
# more than the 1 s between state saves).
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/wipelib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
need_loop
need_fuse
command -v xxd >/dev/null || skip_all "xxd missing"
command -v openssl >/dev/null || skip_all "openssl missing"

MiB=1048576
SIZE=$((64 * MiB))

# ks_stats FILE ORIG: "sectors duplicated zero common-with-ORIG"
ks_stats() {
	xxd -p -c 512 "$1" >"$T/ks.a"
	xxd -p -c 512 "$2" | sort -u >"$T/ks.o"
	printf '%s %s %s %s\n' "$(wc -l <"$T/ks.a")" "$(sort "$T/ks.a" | uniq -d | wc -l)" \
		"$(grep -c '^0*$' "$T/ks.a")" "$(sort -u "$T/ks.a" | comm -12 - "$T/ks.o" | wc -l)"
}
# wait_state STATEFILE PASS PID [0]: until the state file shows PASS
# (0-based) being written at an offset past 0 (with 0: at its start);
# 1 if PID ends or 60 s pass first
wait_state() {
	local i s want="$2 write [1-9]*"
	[ "${4:-}" = 0 ] && want="$2 write 0"
	for i in $(seq 1200); do
		s=$(jq -r '"\(.pass) \(.phase) \(.offset)"' "$1" 2>/dev/null)
		# shellcheck disable=SC2254
		case "$s" in $want) return 0 ;; esac
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
wipe_records() { jq -s '[.[] | select(.action == "wipe")] | length' "$1/custody.log"; }

gen_bytes resume $SIZE >"$T/card.img"
faultfs_mount "$T/card.img" "$T/m" --writable --delay-us 15000 || skip_all "faultfs did not come up"
mkloop dev "$T/m/disk" || skip_all "losetup over faultfs failed"
check_eq "the slow card has 64 MiB" $SIZE "$(blockdev --getsize64 "$dev")"

# =========================== SIGINT during pass 2 ===========================
case=$T/case1
"$CARDTRAIL" image --progress none --hash md5 "$dev" "$case" >"$T/image.out" 2>&1 ||
	{ sed 's/^/#   /' "$T/image.out"; skip_all "cannot image the slow card"; }
# --match full: on this slow card one sequential read costs far less than
# 1024 reads at random offsets
WIPE=(--case "$case" --force --yes --method dod3 --match full)
"$CARDTRAIL" wipe "${WIPE[@]}" --progress json "$dev" >"$T/int.out" 2>"$T/int.err" &
pid=$!
at_exit "kill -9 $pid"
if wait_state "$case/E1.wipe.state" 1 $pid 0; then
	ok "SIGINT: the state file shows pass 2 started"
else
	not_ok "SIGINT: the state file shows pass 2 started"
	jq -c . "$case/E1.wipe.state" 2>&1 | sed 's/^/#   /'
fi
kill -INT $pid
wait $pid
check_rc "SIGINT: exit 1" 1 $? int
grep '^{' "$T/int.err" >"$T/int.progress"
check_eq "SIGINT: --progress json lines are JSON" "$(wc -l <"$T/int.progress")" \
	"$(jq -c . "$T/int.progress" 2>/dev/null | wc -l)"
check_eq "SIGINT: the progress showed pass 1 verified to the end" 1 \
	"$(jq -c 'select(.pass == 1 and .passes == 3 and .phase == "verify" and .done == .total and .total == '$SIZE')' \
		"$T/int.progress" 2>/dev/null | wc -l)"
check_msg "SIGINT: message says --resume" int "interrupted during pass 2 at offset [0-9]+; run the same command with --resume"
check_msg "SIGINT: message names the state file" int "state kept in $case/E1.wipe.state"
off=$(sed -n 's/.*interrupted during pass 2 at offset \([0-9]*\);.*/\1/p' "$T/int.err")
st=$case/E1.wipe.state
check_eq "SIGINT: state file exists" yes "$([ -f "$st" ] && echo yes || echo no)"
check_eq "SIGINT: state: pass 2 (0-based 1), write, the offset of the message, not complete" \
	"1 write ${off:-?} false" "$(jq -r '"\(.pass) \(.phase) \(.offset) \(.complete)"' "$st")"
check_eq "SIGINT: state: pass 1 done and matched" "1 match" \
	"$(jq -r '"\(.passes_done | length) \(.passes_done[0].verified)"' "$st")"
[ -n "$off" ] && [ "$off" -lt $SIZE ] && [ $((off % 512)) -eq 0 ] &&
	ok "SIGINT: stopped inside pass 2 at a sector boundary ($off)" ||
	not_ok "SIGINT: stopped inside pass 2 at a sector boundary (${off:-none})"
check_eq "SIGINT: no certificate" no "$([ -e "$case/E1.wipe.json" ] && echo yes || echo no)"
check_eq "SIGINT: no wipe record in the custody log" 0 "$(wipe_records "$case")"
# what the state file says is on the card: pass 2 (0xff) up to the offset
if [ -n "$off" ] && [ "$off" -gt 0 ]; then
	check_eq "SIGINT: the card reads 0xff up to the saved offset" "" \
		"$(cmp <(dd if="$dev" bs=1M iflag=direct status=none | head -c "$off") \
			<(head -c "$off" /dev/zero | tr '\000' '\377') 2>&1)"
fi
# a new wipe (not --resume) of the card is refused and writes nothing
hb=$(sha256sum <"$T/card.img")
wipe again "${WIPE[@]}" --progress none "$dev"
check_rc "SIGINT: a new wipe without --resume: exit 1" 1 $? again
check_msg "SIGINT: a new wipe without --resume: says --resume" again "started and not finished.*--resume"
check_eq "SIGINT: a new wipe without --resume: nothing written" "$hb" "$(sha256sum <"$T/card.img")"

started=$(jf "$st" .started)
wipe res1 "${WIPE[@]}" --progress none --resume "$dev"
check_rc "SIGINT: --resume exits 0" 0 $? res1
cert=$case/E1.wipe.json
check_eq "SIGINT resumed: result VERIFIED" VERIFIED "$(jf "$cert" .result)"
check_eq "SIGINT resumed: 3 passes, all match (pass 1 by the interrupted run)" \
	"3 match (by the interrupted run),match,match" \
	"$(jq -r '"\(.passes | length) \([.passes[].verified] | join(","))"' "$cert")"
check_eq "SIGINT resumed: the passes" "0x00,0xff,keystream" "$(jq -r '[.passes[].pattern] | join(",")' "$cert")"
check_eq "SIGINT resumed: pass 2 resumed at the saved offset" "${off:-?}" "$(jf "$cert" '.passes[1].resumed_at')"
check_eq "SIGINT resumed: passes 1 and 3 not resumed" "null null" \
	"$(jq -r '"\(.passes[0].resumed_at) \(.passes[2].resumed_at)"' "$cert")"
check_eq "SIGINT resumed: certificate started when the wipe started" "$started" "$(jf "$cert" .started)"
# the state file (with the pass keys) is a working file: removed once the
# certificate is written, so it cannot block the next wipe of this card
check_eq "SIGINT resumed: state file removed after the certificate" no "$([ -e "$st" ] && echo yes || echo no)"
readdev "$dev" "$T/after.bin"
check_eq "SIGINT resumed: final content keystream (sectors dup zero orig)" "$((SIZE / 512)) 0 0 0" \
	"$(ks_stats "$T/after.bin" "$case/E1.raw")"
check_eq "SIGINT resumed: one wipe record in the custody log" "1 VERIFIED E1" \
	"$(jq -s -r '[.[] | select(.action == "wipe")] | "\(length) \(.[0].result.status) \(.[0].subject.evidence)"' "$case/custody.log")"
"$CARDTRAIL" verify "$case" >"$T/verify1.out" 2>&1
check_rc "SIGINT resumed: cardtrail verify exits 0" 0 $? verify1

# a finished wipe cannot be resumed
hb=$(sha256sum <"$T/card.img")
wipe res1b "${WIPE[@]}" --progress none --resume "$dev"
check_rc "finished wipe: --resume again exits 1" 1 $? res1b
check_msg "finished wipe: says there is nothing to resume" res1b "nothing to resume"
check_eq "finished wipe: --resume again writes nothing" "$hb" "$(sha256sum <"$T/card.img")"
check_eq "finished wipe: no second certificate" no "$([ -e "$case/E1-2.wipe.json" ] && echo yes || echo no)"
check_eq "finished wipe: still one wipe record" 1 "$(wipe_records "$case")"

# ========================= SIGKILL during pass 3 ============================
case=$T/case2
"$CARDTRAIL" image --progress none --hash md5 "$dev" "$case" >"$T/image.out" 2>&1 ||
	{ sed 's/^/#   /' "$T/image.out"; not_ok "image for the SIGKILL run"; }
WIPE=(--case "$case" --force --yes --method dod3 --match full)
wipe nothing "${WIPE[@]}" --progress none --resume "$dev"
check_rc "--resume with nothing to resume: exit 1" 1 $? nothing
check_msg "--resume with nothing to resume: says so" nothing "nothing to resume"
"$CARDTRAIL" wipe "${WIPE[@]}" --progress json "$dev" >"$T/kill.out" 2>"$T/kill.err" &
pid=$!
at_exit "kill -9 $pid"
if wait_state "$case/E1.wipe.state" 2 $pid; then
	ok "SIGKILL: the state file shows pass 3 being written"
else
	not_ok "SIGKILL: the state file shows pass 3 being written"
	jq -c . "$case/E1.wipe.state" 2>&1 | sed 's/^/#   /'
fi
kill -KILL $pid
wait $pid 2>/dev/null
check_eq "SIGKILL: killed" 137 $?
st=$case/E1.wipe.state
off=$(jf "$st" .offset)
check_eq "SIGKILL: state: pass 3 (0-based 2), write, not complete" "2 write false" \
	"$(jq -r '"\(.pass) \(.phase) \(.complete)"' "$st")"
[ "$off" -gt 0 ] 2>/dev/null && [ "$off" -lt $SIZE ] && ok "SIGKILL: saved offset inside pass 3 ($off)" ||
	not_ok "SIGKILL: saved offset inside pass 3 ($off)"
# pass 3's keystream is AES-128-CTR with the key and nonce of the state
# file, the counter the byte offset / 16: regenerate it with openssl
key=$(jf "$st" '.plans[2].key')
nonce=$(jf "$st" '.plans[2].nonce')
check_eq "SIGKILL: state: pass 3 is keystream with a key and a nonce" "keystream 32 16" \
	"$(jf "$st" '.plans[2].kind') ${#key} ${#nonce}"
keystream() { # BYTES
	head -c "$1" /dev/zero | openssl enc -aes-128-ctr -nosalt -K "$key" -iv "${nonce}0000000000000000" 2>/dev/null
}
if [ "$off" -gt 0 ] 2>/dev/null; then
	check_eq "SIGKILL: the card holds pass 3's keystream up to the saved offset" "" \
		"$(cmp <(dd if="$dev" bs=1M iflag=direct status=none | head -c "$off") <(keystream "$off") 2>&1)"
fi
check_eq "SIGKILL: no certificate" no "$([ -e "$case/E1.wipe.json" ] && echo yes || echo no)"
check_eq "SIGKILL: no wipe record" 0 "$(wipe_records "$case")"
# resumed without --method (the default would be nist-clear)
wipe res2 --case "$case" --force --yes --progress none --match full --resume "$dev"
check_rc "SIGKILL: --resume exits 0" 0 $? res2
cert=$case/E1.wipe.json
check_eq "SIGKILL resumed: result VERIFIED" VERIFIED "$(jf "$cert" .result)"
# the keystream written after the resume continues the first run's: with
# another key the part written before the kill would not read back
check_eq "SIGKILL resumed: 3 passes, all match (passes 1 and 2 by the interrupted run)" \
	"3 match (by the interrupted run),match (by the interrupted run),match" \
	"$(jq -r '"\(.passes | length) \([.passes[].verified] | join(","))"' "$cert")"
check_eq "SIGKILL resumed: pass 3 resumed at the saved offset" "$off" "$(jf "$cert" '.passes[2].resumed_at')"
check_eq "SIGKILL resumed: final state" "every addressable byte holds the keystream of the last pass (verified)" \
	"$(jf "$cert" .final_state)"
readdev "$dev" "$T/after.bin"
check_eq "SIGKILL resumed: final content keystream (sectors dup zero orig)" "$((SIZE / 512)) 0 0 0" \
	"$(ks_stats "$T/after.bin" "$case/E1.raw")"
check_eq "SIGKILL resumed: the card is pass 3's keystream of the first run's key" "" \
	"$(cmp "$T/after.bin" <(keystream $SIZE) 2>&1)"
check_eq "SIGKILL resumed: one wipe record" 1 "$(wipe_records "$case")"
# the resumed run ran without --method: the method is the first run's
check_eq "SIGKILL resumed: certificate method.spec is the first run's (dod3)" "dod3 dod3" \
	"$(jq -r '"\(.method.spec) \(.method.name)"' "$cert")"
check_eq "SIGKILL resumed: custody record result.method dod3" dod3 \
	"$(jq -s -r '.[] | select(.action == "wipe") | .result.method' "$case/custody.log")"
"$CARDTRAIL" verify "$case" >"$T/verify2.out" 2>&1
check_rc "SIGKILL resumed: cardtrail verify exits 0" 0 $? verify2
wipe res2b "${WIPE[@]}" --progress none --resume "$dev"
check_rc "finished wipe (SIGKILL run): --resume again exits 1" 1 $? res2b
check_msg "finished wipe (SIGKILL run): says there is nothing to resume" res2b "nothing to resume"

done_testing
