#!/usr/bin/env bash
# t0750-wipe-resume-bound: a resume cannot manufacture a VERIFIED.
#   The start of a wipe is recorded (the plan: method, verify mode, each
#   pass's pattern or key fingerprint; the device) before anything is
#   written; a resume is made only from a state file bound to that record
#   whose plan and device match it, and the card must hold what the
#   interrupted run can have left there; the resume is recorded.  A planted
#   state file (the card still holding the evidence) gets nothing.  Loop
#   devices over files this script creates, a slow card through faultfs.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/wipelib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
need_loop
command -v xxd >/dev/null || skip_all "xxd missing"

MiB=1048576
SIZE=$((8 * MiB))
SHM=/dev/shm/ct-wbound-$$
at_exit "rm -f $SHM-*.img"

records() { jq -s -c "[.[] | select(.action == \"$2\")] | length" "$1/custody.log"; }

# ---- a planted state file on a card that still holds the evidence ------------------
gen_bytes bound $SIZE >$SHM-a.img
mkloop dev $SHM-a.img || skip_all "losetup failed"
"$CARDTRAIL" image --progress none --hash md5 "$dev" "$T/case" >"$T/image.out" 2>&1 ||
	{ sed 's/^/#   /' "$T/image.out"; skip_all "cannot image the card"; }
# the attacker zeroes the first MiB and plants a state file saying pass 2
# (0x00) of nist-clear was written to the end, pass 1 read back, nothing
# to read back any more (--verify none)
dd if=/dev/zero of="$dev" bs=1M count=1 oflag=direct status=none
rest() { tail -c +$((MiB + 1)) $SHM-a.img | sha256sum | cut -d' ' -f1; }
R0=$(rest)
cat >"$T/case/E1.wipe.state" <<EOF
{ "device": "$dev", "size": $SIZE, "card": { "size": $SIZE }, "method": "nist-clear", "verify": 0,
  "plans": [ { "kind": "keystream", "key": "00000000000000000000000000000000", "nonce": "0000000000000000" },
             { "kind": "pattern", "pattern": "00" } ],
  "pass": 1, "phase": "write", "offset": $SIZE,
  "passes_done": [ { "pass": 1, "written": true, "verified": "match" } ],
  "started": "2026-01-01T00:00:00Z", "complete": false }
EOF
lines=$(wc -l <"$T/case/custody.log")
wipe planted --case "$T/case" --force --yes --resume "$dev"
check_rc "a planted state file: exit 1" 1 $? planted
check_msg "a planted state file: nothing to resume" planted \
	"nothing to resume: no unfinished wipe of this device in the custody log of '$T/case'"
check_eq "a planted state file: no certificate" no "$([ -e "$T/case/E1.wipe.json" ] && echo yes || echo no)"
check_eq "a planted state file: the evidence still on the card, untouched" "$R0" "$(rest)"
check_eq "a planted state file: nothing recorded" "$lines" "$(wc -l <"$T/case/custody.log")"
rm "$T/case/E1.wipe.state"
wipe nocase --no-image-check --cert-dir "$T/certs" --force --yes --resume "$dev"
check_rc "--resume without a case: exit 1" 1 $? nocase
check_msg "--resume without a case: says why" nocase "--resume needs --case"

# ---- the start record carries the plan, never a key -----------------------------------
gen_bytes bound $SIZE | dd of="$dev" bs=1M oflag=direct status=none
rm -rf "$T/case"
"$CARDTRAIL" image --progress none --hash md5 "$dev" "$T/case" >/dev/null 2>&1 || not_ok "image again"
wipe full --case "$T/case" --force --yes --method dod3 --verify last "$dev"
check_rc "a wipe in a case: exit 0" 0 $? full
jq -s -c '.[] | select(.action == "wipe-start")' "$T/case/custody.log" >"$T/start.json"
check_eq "one start record, before the wipe record" "2 3" \
	"$(jq -s -r '[.[] | select(.action == "wipe-start" or .action == "wipe") | .seq] | join(" ")' "$T/case/custody.log")"
check_eq "start record: method, verify, evidence" "dod3 last E1" \
	"$(jq -r '"\(.result.method) \(.result.verify) \(.subject.evidence)"' "$T/start.json")"
check_eq "start record: the passes, each with a fingerprint" "0x00,0xff,keystream 3" \
	"$(jq -r '"\([.result.passes[].kind] | join(",")) \([.result.passes[].fingerprint | select(test("^sha256:[0-9a-f]{64}$"))] | length)"' "$T/start.json")"
check_eq "start record: the device" "$SIZE 512 $SHM-a.img" \
	"$(jq -r '.result.device | "\(.size) \(.logical_sector_size) \(.loop.backing_file)"' "$T/start.json")"
check_eq "start record: no key anywhere" 0 "$(grep -c '"key"' "$T/start.json")"
check_eq "start record: the state file it binds" E1.wipe.state "$(jq -r .result.state_file "$T/start.json")"
check_eq "the wipe record names its start" 2 \
	"$(jq -s -r '.[] | select(.action == "wipe") | .result.start' "$T/case/custody.log")"
"$CARDTRAIL" verify "$T/case" >"$T/v.out" 2>&1
check_rc "the case verifies (wipe-start is a known action)" 0 $? v
"$CARDTRAIL" log "$T/case" >"$T/log.out" 2>&1
check_eq "log shows the start of the wipe" 1 \
	"$(grep -c '#2   wipe-start .* E1: wipe started, dod3 (3 passes, verify last), matched sampled to the image (record 1)$' "$T/log.out")"

# ---- a real interrupted wipe, its state file tampered with --------------------------------
if ! { [ -e /dev/fuse ] && [ -x "${FAULTFS:-}" ] && command -v fusermount3 >/dev/null; }; then
	skip "a tampered state file" "no FUSE or faultfs"
	done_testing
	exit
fi
SLOW=$((32 * MiB))
gen_bytes slow $SLOW >"$T/slow.img"
faultfs_mount "$T/slow.img" "$T/m" --writable --delay-us 40000 || skip_all "faultfs did not come up"
mkloop sdev "$T/m/disk" || skip_all "losetup over faultfs failed"
C=$T/case-s
"$CARDTRAIL" image --progress none --hash md5 "$sdev" "$C" >/dev/null 2>&1 || not_ok "image of the slow card"
# (--match full: on this slow card one sequential read costs far less than
# 1024 reads at random offsets)
"$CARDTRAIL" wipe --case "$C" --force --yes --method nist-clear --match full --progress none "$sdev" \
	>"$T/k.out" 2>"$T/k.err" &
pid=$!
at_exit "kill -9 $pid"
st=$C/E1.wipe.state
for i in $(seq 1200); do
	case "$(jq -r '"\(.pass) \(.phase) \(.offset)"' "$st" 2>/dev/null)" in "0 write "[1-9]*) break ;; esac
	kill -0 $pid 2>/dev/null || break
	sleep 0.05
done
kill -KILL $pid
wait $pid 2>/dev/null
off=$(jf "$st" .offset)
# the same card, no longer slow: the checks below read it at random offsets
losetup -d "$sdev"
faultfs_umount "$T/m"
faultfs_mount "$T/slow.img" "$T/m" --writable || not_ok "faultfs again"
mkloop sdev "$T/m/disk" || not_ok "losetup over faultfs again"
[ "$off" -gt 0 ] 2>/dev/null && [ "$off" -lt $SLOW ] && ok "killed inside pass 1 (offset $off)" ||
	not_ok "killed inside pass 1 (offset $off)"
start=$(jq -s -r '.[] | select(.action == "wipe-start") | .seq' "$C/custody.log")
check_eq "the state file names its start record by number and hash" \
	"$start $(sed -n "$((start + 1))p" "$C/custody.log" | tr -d '\n' | sha256sum | cut -d' ' -f1)" \
	"$(jq -r '"\(.start.seq) \(.start.sha256)"' "$st")"
# the fingerprint of pass 1 in the record is SHA-256("keystream" key nonce)
# of the key in the state file
fp=$( { printf keystream; jf "$st" '.plans[0].key' | xxd -r -p; jf "$st" '.plans[0].nonce' | xxd -r -p; } |
	sha256sum | cut -d' ' -f1)
check_eq "the start record's fingerprint is the state file key's" "sha256:$fp" \
	"$(sed -n "$((start + 1))p" "$C/custody.log" | jq -r '.result.passes[0].fingerprint')"
"$CARDTRAIL" verify --strict "$C" >"$T/vs.out" 2>&1
check_rc "an unfinished wipe: its state file is not 'unrecorded' (verify --strict exits 0)" 0 $? vs
cp "$st" "$T/genuine.state"
hs=$(h "$T/slow.img")
n0=$(wc -l <"$C/custody.log")
# tampered NAME DESC JQ REGEX: the state file changed by JQ is refused,
# nothing written, nothing recorded
tampered() {
	jq "$3" "$T/genuine.state" >"$st" || { not_ok "$2: jq"; return; }
	wipe "$1" --case "$C" --force --yes --resume "$sdev"
	check_rc "$2: exit 1" 1 $? "$1"
	check_msg "$2: says why" "$1" "$4"
	check_eq "$2: nothing written" "$hs" "$(h "$T/slow.img")"
	check_eq "$2: nothing recorded" "$n0" "$(wc -l <"$C/custody.log")"
}
tampered t1 "offset moved to the end (pass 1 'written')" ".offset = $SLOW" \
	"does not hold what the interrupted wipe \\(started in custody record $start\\) left there"
tampered t2 "pass 2 claimed, pass 1 'read back'" \
	'.pass = 1 | .offset = 0 | .passes_done = [{"pass":1,"written":true,"verified":"match"}]' \
	"does not hold what the interrupted wipe \\(started in custody record $start\\) left there"
tampered t3 "another key for pass 1" '.plans[0].key = "00112233445566778899aabbccddeeff"' \
	"pass 1 is not the pass the wipe started in custody record $start planned \\(its fingerprint differs\\)"
tampered t4 "--verify none instead of all" '.verify = 0' \
	"the method or the verify mode is not the one the wipe started in custody record $start planned"
tampered t5 "another method" '.method = "zero"' \
	"the method or the verify mode is not the one the wipe started in custody record $start planned"
tampered t6 "bound to another record" '.start.sha256 = "'"$(printf 'a%.0s' $(seq 64))"'"' \
	"is not the state of the wipe started in custody record $start"
tampered t7 "another device" '.device.loop.backing_file = "/elsewhere"' \
	"names another device than the wipe started in custody record $start"
rm -f "$st"
wipe t8 --case "$C" --force --yes --resume "$sdev"
check_rc "no state file: exit 1" 1 $? t8
check_msg "no state file: nothing to resume" t8 "nothing to resume: no $st"
# the genuine one resumes, and the resume is recorded
cp "$T/genuine.state" "$st"
wipe res --case "$C" --force --yes --resume "$sdev"
check_rc "the genuine state file: --resume exits 0" 0 $? res
cert=$C/E1.wipe.json
check_eq "resumed: VERIFIED" VERIFIED "$(jf "$cert" .result)"
check_eq "resumed: pass 1 from the saved offset" "$off $off" \
	"$(jq -r '.passes[0] | "\(.resumed_at) \(.bytes_written_before_resume)"' "$cert")"
check_eq "resumed: the last pass read back over every byte by this run" "$SLOW match" \
	"$(jq -r '.passes[-1] | "\(.bytes_read_back) \(.verified)"' "$cert")"
check_eq "resumed: the resume record (start, pass, offset)" "1 $start 1 write $off" \
	"$(jq -s -r '[.[] | select(.action == "wipe-resume")] | "\(length) \(.[0].result.start) \(.[0].result.pass) \(.[0].result.phase) \(.[0].result.offset)"' "$C/custody.log")"
check_eq "resumed: the wipe record names its start" "$start" \
	"$(jq -s -r '.[] | select(.action == "wipe") | .result.start' "$C/custody.log")"
check_eq "resumed: the certificate says how the card was matched again" "$start" "$(jf "$cert" .match.resume_of)"
"$CARDTRAIL" log "$C" >"$T/log.out" 2>&1
check_eq "resumed: log shows the resume" 1 \
	"$(grep -c "wipe-resume .* E1: wipe of record $start resumed at pass 1, write from offset $off\$" "$T/log.out")"
"$CARDTRAIL" verify --strict "$C" >"$T/v2.out" 2>&1
check_rc "resumed: the case verifies (--strict: the state file is gone)" 0 $? v2
check_eq "resumed: the state file is gone" no "$([ -e "$st" ] && echo yes || echo no)"

done_testing
