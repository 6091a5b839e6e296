#!/usr/bin/env bash
# Records appended by hand (signed with ssh-keygen -Y sign, as an attacker
# who holds a key would) that verify must refuse, with the reason; and
# the signing failures of an ssh-agent that must leave the log as it was.
#  - a retired key (allowed_signers valid-before) signs a record claiming
#    an old time, earlier than the records before it: the time going back
#    fails the log with or without keys, and the key's window is checked at
#    the latest time of the records before, which the signer cannot choose;
#    cardtrail's own records never go back (a clock behind the last record
#    stamps the last record's time, and keeps what it read as "clock");
#  - a record with a member twice ("examiner":"alice" … "examiner":"mallory");
#  - a signature made for another namespace (git) says so;
#  - verify --repair through an agent that dies or refuses moves nothing;
#  - an agent that accepts and never answers a signature is given up on
#    after $CARDTRAIL_AGENT_TIMEOUT seconds.
. "$CT_TOP/tests/e2e/lib.sh"
for c in ssh-keygen python3 jq; do
	command -v $c >/dev/null || skip_all "$c is not installed"
done
unset CARDTRAIL_SIGN_KEY SSH_AUTH_SOCK SSH_AGENT_PID CARDTRAIL_AGENT_TIMEOUT
export CARDTRAIL_EXAMINER=alice
for k in old new alice mallory; do ssh-keygen -q -t ed25519 -N '' -C $k -f "$T/$k"; done
fp() { ssh-keygen -l -f "$1" | cut -d' ' -f2; }
logsum() { sha256sum <"$1/custody.log" | cut -d' ' -f1; }

# forge LOG KEY BODY [NS]: append the next record, BODY its members between
# "case" and "prev", signed with KEY (none: unsigned) in namespace NS
forge() {
	python3 - "$@" <<'EOF'
import hashlib, json, os, subprocess, sys
log, key, body = sys.argv[1], sys.argv[2], sys.argv[3]
ns = sys.argv[4] if len(sys.argv) > 4 else "cardtrail-custody"
last = open(log, "rb").read().rstrip(b"\n").split(b"\n")[-1]
lj = json.loads(last)
msg = '{"v":1,"seq":%d,"case":"%s",%s,"prev":"%s"}' % (lj["seq"] + 1, lj["case"], body,
                                                       hashlib.sha256(last).hexdigest())
if key:
    m = log + ".msg"
    open(m, "w").write(msg)
    if os.path.exists(m + ".sig"):
        os.remove(m + ".sig")
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", key, "-n", ns, m], check=True)
    msg = msg[:-1] + ',"sig":' + json.dumps(open(m + ".sig").read()) + "}"
    os.remove(m); os.remove(m + ".sig")
open(log, "a").write(msg + "\n")
EOF
}
# sshverify LINE-NO ALLOWED [ssh-keygen options]: ssh-keygen -Y verify on that record
sshverify() {
	local line
	line=$(sed -n "$1p" "$C/custody.log")
	shift
	printf '%s' "$line" | jq -r .sig >"$T/rec.sig"
	printf '%s' "$line" | sed 's/,"sig":"[^"]*"}$/}/' | tr -d '\n' >"$T/rec.msg"
	ssh-keygen -Y verify -f "$1" -I "$(printf '%s' "$line" | jq -r .examiner)" \
		-n cardtrail-custody -s "$T/rec.sig" "${@:2}" <"$T/rec.msg" >"$T/ssh.out" 2>&1
}
has() { grep -qF -- "$2" "$1"; }
says() {	# says DESC FILE TEXT
	if has "$2" "$3"; then ok "$1"; else not_ok "$1 ($3)"; sed 's/^/#   /' "$2"; fi
}

# --- F6: a retired key, a chosen old time ---------------------------------------------
# keys rotated 30 days ago; the forged record claims 15 days before that
rot=$(date -u -d '30 days ago' +%Y%m%d)
old_time=$(date -u -d "$rot 15 days ago" +%Y-%m-%dT09:00:00Z)
{
	echo "alice valid-before=\"${rot}Z\" $(cut -d' ' -f1,2 "$T/old.pub")"
	echo "alice valid-after=\"${rot}Z\" $(cut -d' ' -f1,2 "$T/new.pub")"
} >"$T/rotated"
C=$T/rot
"$CARDTRAIL" note --new-case --sign-key "$T/new" "$C" "case opened" >/dev/null &&
"$CARDTRAIL" note --sign-key "$T/new" "$C" "seal 1234 intact" >/dev/null
check_eq "the case signed with the new key verifies" 0 \
	"$("$CARDTRAIL" verify --allowed-signers "$T/rotated" "$C" >/dev/null; echo $?)"
forge "$C/custody.log" "$T/old" '"time":"'"$old_time"'","action":"note","examiner":"alice","host":"vm","tool":"cardtrail 0.1.0","result":{"text":"seal 1234 was already broken on receipt"}'
"$CARDTRAIL" verify --allowed-signers "$T/rotated" "$C" >"$T/v.out" 2>&1
check_eq "a record by the retired key claiming an old time: verify exits 3" 3 $?
says "…its time going back is named" "$T/v.out" "record 3: its time $old_time is earlier than record 2's ("
says "…the retired key is not trusted for it" "$T/v.out" "record 3 is signed by $(fp "$T/old.pub"), which is not a trusted key for examiner 'alice'"
check_eq "…the verdict line says NOT verified" 1 "$(grep -c '^NOT verified: 2 problems$' "$T/v.out")"
sshverify 4 "$T/rotated"
check_eq "…ssh-keygen -Y verify (the current time) rejects it too" 255 $?
says "…as expired" "$T/ssh.out" "expired"
"$CARDTRAIL" verify "$C" >"$T/v.out" 2>&1
check_eq "without keys, the time going back still fails verify (exit 3)" 3 $?
says "…and is named" "$T/v.out" "record 3: its time $old_time is earlier than record 2's"
"$CARDTRAIL" verify --json --allowed-signers "$T/rotated" "$C" >"$T/v.json" 2>/dev/null
check_eq "--json: record 3 untrusted and FAILED, the others ok" "valid ok valid ok valid ok untrusted FAILED" \
	"$(jq -r '[.records[] | .signature, .verdict] | join(" ")' "$T/v.json")"

# the retired key's record with a time in order (not earlier than record 2)
# is still refused: at the time the chain had reached, the key was retired
C=$T/rot2
"$CARDTRAIL" note --new-case --sign-key "$T/new" "$C" "case opened" >/dev/null
last_time=$(tail -1 "$C/custody.log" | jq -r .time)
forge "$C/custody.log" "$T/old" '"time":"'"$last_time"'","action":"note","examiner":"alice","host":"vm","tool":"x","result":{"text":"in order, by the retired key"}'
"$CARDTRAIL" verify --allowed-signers "$T/rotated" "$C" >"$T/v.out" 2>&1
check_eq "the retired key, a time in order: exit 3" 3 $?
says "…untrusted" "$T/v.out" "record 2 is signed by $(fp "$T/old.pub"), which is not a trusted key"
check_eq "…and no time problem" 0 "$(grep -c 'is earlier than' "$T/v.out")"

# a case that ran before the rotation: the old key's records verify, in
# cardtrail (at their times) and in ssh-keygen with -Overify-time
C=$T/before
mkdir -p "$C"
python3 - "$C/custody.log" "$(date -u -d "$rot 20 days ago" +%Y-%m-%dT08:00:00Z)" <<'EOF'
import sys
open(sys.argv[1], "w").write('{"v":1,"seq":0,"time":"%s","case":"0c0c0c0c-0000-4000-8000-000000000000","action":"open","examiner":"alice","host":"vm","tool":"x","result":{"case_dir":"x"},"prev":"%s"}\n' % (sys.argv[2], "0" * 64))
EOF
forge "$C/custody.log" "$T/old" '"time":"'"$old_time"'","action":"note","examiner":"alice","host":"vm","tool":"x","result":{"text":"before the rotation"}'
"$CARDTRAIL" verify --allowed-signers "$T/rotated" --allow-unsigned "$C" >"$T/v.out" 2>&1
check_eq "a record by the old key before its rotation, in order: verified (exit 0)" 0 $?
sshverify 2 "$T/rotated" -Overify-time="$(printf '%s' "$old_time" | tr -d ':TZ-')Z"
check_eq "…ssh-keygen -Overify-time=RECORD-TIME agrees" 0 $?

# cardtrail's own records never go back: the last record ahead of the clock
C=$T/clock
"$CARDTRAIL" note --new-case "$C" "opened" >/dev/null
ahead=$(date -u -d '2 days' +%Y-%m-%dT%H:%M:%SZ)
forge "$C/custody.log" "" '"time":"'"$ahead"'","action":"note","examiner":"alice","host":"other","tool":"x","result":{"text":"from a machine whose clock runs ahead"}'
now=$(date -u +%s)
"$CARDTRAIL" note "$C" "written after it" >/dev/null
check_eq "a record after one ahead of the clock takes its time" "$ahead" "$(tail -1 "$C/custody.log" | jq -r .time)"
clock=$(tail -1 "$C/custody.log" | jq -r .clock)
clk=$(date -u -d "$clock" +%s 2>/dev/null || echo 0)
check_eq "…and keeps what the clock read as \"clock\" ($clock)" 1 "$([ "$clk" -ge "$now" ] && [ "$clk" -le $((now + 60)) ] && echo 1)"
"$CARDTRAIL" verify "$C" >"$T/v.out" 2>&1
check_eq "…the log verifies (exit 0)" 0 $?
check_eq "…a record written with the clock in order has no \"clock\"" null "$(sed -n 2p "$C/custody.log" | jq -r .clock)"

# --- F10: a member twice -------------------------------------------------------------------
{ echo "alice $(cut -d' ' -f1,2 "$T/alice.pub")"; echo "mallory $(cut -d' ' -f1,2 "$T/mallory.pub")"; } >"$T/am"
C=$T/dup
"$CARDTRAIL" note --new-case --sign-key "$T/alice" "$C" "opened" >/dev/null
forge "$C/custody.log" "$T/mallory" '"time":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'","action":"note","examiner":"alice","host":"vm","tool":"x","result":{"text":"handed over"},"examiner":"mallory"'
"$CARDTRAIL" verify --allowed-signers "$T/am" "$C" >"$T/v.out" 2>&1
check_eq "\"examiner\":\"alice\" … \"examiner\":\"mallory\", signed by mallory: exit 3" 3 $?
says "…names the record and the member" "$T/v.out" "record 2 is malformed: member 'examiner' appears twice"
C=$T/dup2
"$CARDTRAIL" note --new-case "$C" "opened" >/dev/null
forge "$C/custody.log" "" '"time":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'","action":"note","examiner":"alice","host":"vm","tool":"x","outputs":[{"path":"a","path":"b"}],"result":{"text":"one","t\u0065xt":"two"}'
"$CARDTRAIL" verify --json "$C" >"$T/v.json" 2>/dev/null
check_eq "nested members twice (one name escaped): exit 3" 3 $?
check_eq "…the first is named, with its path" "record 2 is malformed: member 'outputs[].path' appears twice (cardtrail would read the last, a reader the first)" \
	"$(jq -r '.records[2].problems[0]' "$T/v.json")"
C=$T/dup3
"$CARDTRAIL" note --new-case "$C" "opened" >/dev/null
forge "$C/custody.log" "" '"time":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'","action":"note","examiner":"alice","host":"vm","tool":"x","result":{"text":"one","t\u0065xt":"two","n":[{"a":1},{"a":2}]}'
"$CARDTRAIL" verify --json "$C" >"$T/v.json" 2>/dev/null
check_eq "a name escaped is the same name: result.text" "record 2 is malformed: member 'result.text' appears twice (cardtrail would read the last, a reader the first)" \
	"$(jq -r '.records[2].problems[0]' "$T/v.json")"
check_eq "…one problem: the same name in two array elements is no duplicate" 1 "$(jq -r '.problems | length' "$T/v.json")"

# --- F13: a signature for another namespace ---------------------------------------------
echo "alice $(cut -d' ' -f1,2 "$T/alice.pub")" >"$T/a"
C=$T/ns
"$CARDTRAIL" note --new-case --sign-key "$T/alice" "$C" "opened" >/dev/null
forge "$C/custody.log" "$T/alice" '"time":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'","action":"note","examiner":"alice","host":"vm","tool":"x","result":{"text":"git-namespace signature"}' git
"$CARDTRAIL" verify --allowed-signers "$T/a" "$C" >"$T/v.out" 2>&1
check_eq "a signature made for namespace git: exit 3" 3 $?
says "…says the namespace does not match, as ssh-keygen does" "$T/v.out" "record 2: the signature does not verify: namespace does not match (git, expected cardtrail-custody)"

# --- a fake agent: lists alice's key, then dies, refuses or never answers a signature ----
# agent MODE: started on $T/MODE.sock, killed at exit
agent() {
	python3 - "$T/$1.sock" "$1" "$T/alice.pub" <<'EOF' &
import base64, os, socket, struct, sys, time
path, mode = sys.argv[1], sys.argv[2]
blob = base64.b64decode(open(sys.argv[3]).read().split()[1])
def s(b): return struct.pack(">I", len(b)) + b
def recvn(c, n):
    d = b""
    while len(d) < n:
        x = c.recv(n - len(d))
        if not x: raise EOFError
        d += x
    return d
def send(c, b): c.sendall(s(b))
L = socket.socket(socket.AF_UNIX); L.bind(path); L.listen(4)
while True:
    c, _ = L.accept()
    try:
        while True:
            b = recvn(c, struct.unpack(">I", recvn(c, 4))[0])
            if b[0] == 11:
                send(c, bytes([12]) + struct.pack(">I", 1) + s(blob) + s(b"alice"))
            elif b[0] == 13 and mode == "die":
                c.close(); os._exit(0)
            elif b[0] == 13 and mode == "hang":
                time.sleep(3600)
            else:
                send(c, bytes([5]))	# SSH_AGENT_FAILURE
    except (EOFError, OSError):
        pass
    c.close()
EOF
	at_exit "kill $!"
	for i in $(seq 50); do [ -S "$T/$1.sock" ] && break; sleep 0.1; done
}

# --- F14: verify --repair when the agent cannot sign: nothing moves -----------------------
C=$T/torn
"$CARDTRAIL" note --new-case "$C" "opened" >/dev/null
"$CARDTRAIL" note "$C" "second" >/dev/null
printf '{"v":1,"seq":2,"time":"2026-11' >>"$C/custody.log"
for mode in die refuse; do
	agent $mode
	before=$(logsum "$C")
	SSH_AUTH_SOCK=$T/$mode.sock "$CARDTRAIL" verify --repair --sign-key "$T/alice.pub" "$C" >"$T/r.out" 2>"$T/r.err"
	check_eq "repair, the agent's signature fails ($mode): exit 1" 1 $?
	says "…says nothing was changed" "$T/r.err" "nothing was changed: the torn record is still at the end of $C/custody.log"
	check_eq "…custody.log byte-identical" "$before" "$(logsum "$C")"
	check_eq "…nothing set aside" "" "$(cd "$C" && ls custody.log.torn-* 2>/dev/null)"
done
says "…the agent that died is named" "$T/r.err" "cannot sign with $(fp "$T/alice.pub")"
"$CARDTRAIL" verify --repair --sign-key "$T/alice" "$C" >/dev/null 2>"$T/r.err"
check_eq "repair with a key that signs: exit 0" 0 $?
off=$(head -3 "$C/custody.log" | wc -c)
check_eq "…the torn bytes set aside" '{"v":1,"seq":2,"time":"2026-11' "$(cat "$C/custody.log.torn-$off")"
check_eq "…and a signed repair record appended" "repair 3 torn-$off true" \
	"$(tail -1 "$C/custody.log" | jq -r '[.action, (.seq | tostring), "torn-\(.result.torn_offset)", (.sig != null | tostring)] | join(" ")')"
"$CARDTRAIL" verify --key "$T/alice.pub" --allow-unsigned "$C" >"$T/v.out" 2>&1
check_eq "…and the case verifies" 0 $?

# --- an agent that never answers a signature: given up after CARDTRAIL_AGENT_TIMEOUT -------
agent hang
C=$T/hang
"$CARDTRAIL" note --new-case "$C" "opened" >/dev/null
before=$(logsum "$C")
start=$(date +%s)
CARDTRAIL_AGENT_TIMEOUT=2 SSH_AUTH_SOCK=$T/hang.sock timeout 60 "$CARDTRAIL" note --sign-key "$T/alice.pub" "$C" "never signed" >/dev/null 2>"$T/h.err"
rc=$? took=$(($(date +%s) - start))
check_eq "an agent that never answers, CARDTRAIL_AGENT_TIMEOUT=2: exit 1" 1 $rc
says "…says so" "$T/h.err" "the ssh-agent at '$T/hang.sock' did not answer within 2 s"
check_eq "…given up after about 2 s (took ${took}s)" 1 "$([ $took -ge 2 ] && [ $took -le 15 ] && echo 1)"
check_eq "…custody.log byte-identical" "$before" "$(logsum "$C")"
CARDTRAIL_AGENT_TIMEOUT=soon SSH_AUTH_SOCK=$T/none.sock "$CARDTRAIL" note --sign-key "$T/alice.pub" "$C" "x" >/dev/null 2>"$T/h.err"
says "a CARDTRAIL_AGENT_TIMEOUT that is not seconds is named and ignored" "$T/h.err" "CARDTRAIL_AGENT_TIMEOUT='soon' is not a number of seconds from 1 to 3600: ignored"
done_testing
