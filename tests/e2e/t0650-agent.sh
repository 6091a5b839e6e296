#!/usr/bin/env bash
# Signing through ssh-agent (issue 16): keys made by ssh-keygen, one with a
# passphrase added through SSH_ASKPASS, their private files removed; image
# and note with --sign-key KEY.pub; the records verify with cardtrail and
# with ssh-keygen -Y verify, for Ed25519, RSA and ECDSA keys.  No agent, an
# agent without the key, a killed or wedged agent and a declined
# confirmation each stop the command with a clear error and leave the
# custody log byte for byte as it was.
. "$CT_TOP/tests/e2e/lib.sh"
for c in ssh-agent ssh-add ssh-keygen setsid; do
	command -v $c >/dev/null || skip_all "$c is not installed (openssh-client, util-linux)"
done
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY SSH_AUTH_SOCK SSH_AGENT_PID DISPLAY

# SSH_ASKPASS answers passphrases and confirmations from files, and logs
# each question
cat >"$T/askpass" <<EOF
#!/bin/sh
echo "\${SSH_ASKPASS_PROMPT:-passphrase}" >>"$T/askpass.log"
case "\$SSH_ASKPASS_PROMPT" in
confirm) cat "$T/confirm-answer" ;;
*) cat "$T/passphrase" ;;
esac
EOF
chmod +x "$T/askpass"
printf 'correct horse battery\n' >"$T/passphrase"
printf 'no\n' >"$T/confirm-answer"
: >"$T/askpass.log"

# start_agent NAME: an agent at $T/NAME.sock that asks $T/askpass to
# confirm; sets SSH_AUTH_SOCK and AGENT_PID, killed at exit
start_agent() {
	local out
	out=$(SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:99 \
		ssh-agent -s -a "$T/$1.sock") || return 1
	AGENT_PID=$(printf '%s\n' "$out" | sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p')
	at_exit "kill $AGENT_PID"
	export SSH_AUTH_SOCK=$T/$1.sock
}
# add_key FILE [ssh-add options]: through askpass, without a terminal
# (FILE empty: no file, for -x and -X)
add_key() {
	local f=$1
	shift
	SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force setsid -w ssh-add "$@" ${f:+"$f"} </dev/null >/dev/null 2>&1
}
fp() { ssh-keygen -l -f "$1" | cut -d' ' -f2; }
logsum() { sha256sum <"$1/custody.log" | cut -d' ' -f1; }
# record_ok CASE N ALLOWED: ssh-keygen -Y verify accepts record N for its examiner
record_ok() {
	local line
	line=$(sed -n "$(($2 + 1))p" "$1/custody.log")
	printf '%s' "$line" | jq -r .sig >"$T/rec.sig"
	printf '%s' "$line" | sed 's/,"sig":"[^"]*"}$/}/' | tr -d '\n' >"$T/rec.msg"
	ssh-keygen -Y verify -f "$3" -I "$(printf '%s' "$line" | jq -r .examiner)" \
		-n cardtrail-custody -s "$T/rec.sig" <"$T/rec.msg" >"$T/rec.out" 2>&1
}

start_agent agent || skip_all "ssh-agent does not start"
for t in ed25519:ked rsa:krsa ecdsa:kec256 ecdsa-384:kec384 ecdsa-521:kec521; do
	type=${t%%:*} name=${t#*:} bits=
	case $type in ecdsa-*) bits="-b ${type#ecdsa-}" type=ecdsa ;; rsa) bits="-b 3072" ;; esac
	ssh-keygen -q -t $type $bits -N '' -C "$name" -f "$T/$name"
done
ssh-keygen -q -t ed25519 -N "$(cat "$T/passphrase")" -C kpw -f "$T/kpw"
ssh-keygen -q -t ed25519 -N '' -C kother -f "$T/kother"
echo "alice $(cat "$T/ked.pub")" >"$T/allowed"

# --- a passphrase-protected key file before it is in the agent ---------------------
"$CARDTRAIL" note --new-case --sign-key "$T/kpw" "$T/pre" "first" >/dev/null 2>"$T/err"
check_eq "protected key not in the agent: exit 1" 1 $?
check_eq "…says to load it with ssh-add" 1 "$(grep -c "passphrase-protected, so cardtrail signs with it through ssh-agent, and the agent at '$SSH_AUTH_SOCK' does not hold it; load it with 'ssh-add $T/kpw'" "$T/err")"
check_eq "…and made no case" 0 "$(ls "$T/pre" 2>/dev/null | wc -l)"

# --- keys into the agent, private files gone ---------------------------------------
for k in ked krsa kec256 kec384 kec521; do add_key "$T/$k"; done
add_key "$T/kpw"
check_eq "the passphrase was asked through SSH_ASKPASS" 1 "$(grep -c '^passphrase$' "$T/askpass.log")"
check_eq "the agent holds the six keys" 6 "$(ssh-add -l | wc -l)"
cp "$T/kpw" "$T/kpw.protected"
rm "$T"/ked "$T"/krsa "$T"/kec256 "$T"/kec384 "$T"/kec521 "$T"/kpw

# --- cardtrail key list: what the agent holds --------------------------------------
"$CARDTRAIL" key list >"$T/list" 2>"$T/list.err"
check_eq "key list: exit 0" 0 $?
check_eq "key list names every key the agent holds" "$(ssh-add -l | cut -d' ' -f2 | sort)" \
	"$(tail -n +2 "$T/list" | cut -d' ' -f1 | sort)"
check_eq "…each usable" 6 "$(tail -n +2 "$T/list" | awk '$3 == "yes"' | wc -l)"
check_eq "…with type and size" "RSA-3072" "$(grep "$(fp "$T/krsa.pub")" "$T/list" | awk '{print $2}')"
check_eq "…and says how many" "the ssh-agent at $SSH_AUTH_SOCK holds 6 keys, 6 of them usable by cardtrail" "$(cat "$T/list.err")"
# the whole output, fingerprints and the socket's folder masked (widths kept)
mask() { sed -e 's|SHA256:[A-Za-z0-9+/]\{43\}|SHA256:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx|g' -e "s|$T/|T/|g"; }
cat "$T/list" "$T/list.err" | mask >"$T/list.all"
check_file "key list: golden output (stdout, then stderr)" "$CT_TOP/tests/golden/key-list.txt" "$T/list.all"
"$CARDTRAIL" key list --public >"$T/list.pub" 2>/dev/null
check_eq "key list --public prints what ssh-add -L prints" "$(ssh-add -L | cut -d' ' -f1,2 | sort)" \
	"$(cut -d' ' -f1,2 "$T/list.pub" | sort)"

# --- image and notes signed by the agent ------------------------------------------
gen_bytes agent $((2 << 20)) >"$T/card.bin"
C=$T/case
"$CARDTRAIL" image --sign-key "$T/ked.pub" --progress none "$T/card.bin" "$C" >/dev/null 2>"$T/err"
check_eq "image signed through the agent: exit 0" 0 $?
i=2
for k in ked krsa kec256 kec384 kec521; do
	"$CARDTRAIL" note --sign-key "$T/$k.pub" "$C" "signed with $k" >/dev/null 2>>"$T/err"
	check_eq "note signed by the agent's $k: exit 0" 0 $?
	echo "alice $(cat "$T/$k.pub")" >>"$T/allowed-all"
	eval "seq_$k=$i"
	i=$((i + 1))
done
CARDTRAIL_SIGN_KEY=$T/kpw.protected "$CARDTRAIL" note "$C" "signed with the protected key file" >/dev/null 2>>"$T/err"
check_eq "the passphrase-protected private file itself, its key in the agent: exit 0" 0 $?
CARDTRAIL_SIGN_KEY=$T/kpw.pub "$CARDTRAIL" note "$C" "signed with the passphrase key, named by its public key" >/dev/null 2>>"$T/err"
check_eq "the passphrase key named by its public key in CARDTRAIL_SIGN_KEY: exit 0" 0 $?
echo "alice $(cat "$T/kpw.pub")" >>"$T/allowed-all"
check_eq "9 records, every one signed" "9 9" "$(wc -l <"$C/custody.log") $(jq -r 'select(.sig) | .seq' "$C/custody.log" | wc -l)"
"$CARDTRAIL" verify --allowed-signers "$T/allowed-all" --json "$C" >"$T/v.json"
check_eq "cardtrail verify --allowed-signers: exit 0" 0 $?
check_eq "…every signature valid" 9 "$(jq '[.records[] | select(.signature == "valid")] | length' "$T/v.json")"
check_eq "the open and image records were signed by ked" "$(fp "$T/ked.pub") $(fp "$T/ked.pub")" \
	"$(jq -r '.records[0,1].signer' "$T/v.json" | tr '\n' ' ' | sed 's/ $//')"
for k in krsa kec256 kec384 kec521; do
	eval "s=\$seq_$k"
	check_eq "record $s was signed by $k" "$(fp "$T/$k.pub")" "$(jq -r ".records[$s].signer" "$T/v.json")"
done
for n in 7 8; do
	check_eq "record $n was signed by the passphrase key" "$(fp "$T/kpw.pub")" "$(jq -r ".records[$n].signer" "$T/v.json")"
done
for n in 0 1 2 3 4 5 6 7 8; do
	record_ok "$C" $n "$T/allowed-all"
	check_eq "ssh-keygen -Y verify accepts record $n" 0 $?
done
check_eq "…naming the RSA key" 1 "$(record_ok "$C" 3 "$T/allowed-all"; grep -c "Good \"cardtrail-custody\" signature for alice with RSA key $(fp "$T/krsa.pub")" "$T/rec.out")"
sed -i "$((seq_krsa + 1))s/signed with krsa/signed with krsb/" "$C/custody.log"
record_ok "$C" $seq_krsa "$T/allowed-all"
check_eq "ssh-keygen rejects the RSA record once edited" 255 $?
"$CARDTRAIL" verify --allowed-signers "$T/allowed-all" "$C" >"$T/v.out"
check_eq "…and so does cardtrail (exit 3)" 3 $?
check_eq "…naming it" 1 "$(grep -c "^  - record $seq_krsa: the signature does not verify" "$T/v.out")"
sed -i "$((seq_krsa + 1))s/signed with krsb/signed with krsa/" "$C/custody.log"
"$CARDTRAIL" verify --allowed-signers "$T/allowed" --allow-unsigned "$C" >"$T/v.out"
check_eq "only ked allowed: the other keys' records are untrusted (exit 3)" 3 $?
check_eq "…the six records of the other keys" 6 "$(grep -c '^  - record [0-9] is signed by SHA256:.*not a trusted key' "$T/v.out")"

# --- failures: nothing appended, the log unchanged ---------------------------------
# fails DESC PATTERN CMD...: exit 1, PATTERN on stderr, custody.log unchanged
fails() {
	local desc=$1 pat=$2 before rc
	shift 2
	before=$(logsum "$C")
	"$@" >/dev/null 2>"$T/err"
	rc=$?
	check_eq "$desc: exit 1" 1 $rc
	if grep -qF -- "$pat" "$T/err"; then ok "$desc: says so"; else not_ok "$desc: says so ($pat)"; sed 's/^/#   /' "$T/err"; fi
	check_eq "$desc: custody.log byte-identical" "$before" "$(logsum "$C")"
}
fails "no agent (SSH_AUTH_SOCK unset)" "no agent is running (SSH_AUTH_SOCK is not set)" \
	env -u SSH_AUTH_SOCK "$CARDTRAIL" note --sign-key "$T/ked.pub" "$C" "no agent"
fails "an agent without the key" "the ssh-agent at '$SSH_AUTH_SOCK' does not hold that key" \
	"$CARDTRAIL" note --sign-key "$T/kother.pub" "$C" "wrong key"
fails "SSH_AUTH_SOCK naming nothing" "no ssh-agent answers at '$T/none.sock'" \
	env SSH_AUTH_SOCK="$T/none.sock" "$CARDTRAIL" note --sign-key "$T/ked.pub" "$C" "no socket"

# a key the agent holds that cardtrail does not sign with (DSA): listed as
# not usable, refused when named
if ssh-keygen -q -t dsa -N '' -C kdsa -f "$T/kdsa" 2>/dev/null && add_key "$T/kdsa"; then
	"$CARDTRAIL" key list >"$T/list2" 2>"$T/list2.err"
	check_eq "key list with a DSA key: exit 0, its row says not usable" "0|ssh-dss no kdsa" \
		"$?|$(grep "^$(fp "$T/kdsa.pub") " "$T/list2" | awk '{ print $2, $3, $4 }')"
	check_eq "…and the count says so" "the ssh-agent at $SSH_AUTH_SOCK holds 7 keys, 6 of them usable by cardtrail" \
		"$(cat "$T/list2.err")"
	fails "a DSA key the agent holds" "cardtrail signs with ssh-ed25519, ssh-rsa (rsa-sha2-512) and ecdsa-sha2-nistp256/384/521 keys, not FIDO (sk-), DSA or certificate keys" \
		"$CARDTRAIL" note --sign-key "$T/kdsa.pub" "$C" "dsa"
	ssh-add -d "$T/kdsa.pub" >/dev/null 2>&1
else
	skip "a DSA key in the agent" "this OpenSSH makes or loads no DSA keys"
fi

# a key whose every use must be confirmed (ssh-add -c), the examiner says no
ssh-keygen -q -t ed25519 -N '' -C kconf -f "$T/kconf"
add_key "$T/kconf" -c
rm "$T/kconf"
echo "alice $(cat "$T/kconf.pub")" >>"$T/allowed-all"
: >"$T/askpass.log"
fails "confirmation declined" "refused (a confirmation was declined, or the key was removed from the agent)" \
	"$CARDTRAIL" note --sign-key "$T/kconf.pub" "$C" "declined"
check_eq "…the agent did ask for the confirmation" 1 "$(grep -c '^confirm$' "$T/askpass.log")"
# image(1): an unusable key stops the run before the source is opened, so
# a refusal is known before any acquisition, not after the image is made
: >"$T/askpass.log"
fails "confirmation declined: image stops before the source is opened" \
	"cannot sign with $(fp "$T/kconf.pub"): the ssh-agent at '$SSH_AUTH_SOCK' refused (a confirmation was declined, or the key was removed from the agent); the key is tried before the source is opened: nothing was read or written" \
	"$CARDTRAIL" image --sign-key "$T/kconf.pub" --progress none "$T/card.bin" "$C"
check_eq "…no image made, nothing in the log" "0 0" \
	"$(ls "$C" | grep -c '^E2\.') $(grep -c '"E2' "$C/custody.log")"
check_eq "…nothing said of an image on disk" 0 "$(grep -c 'on disk but NOT' "$T/err")"
check_eq "…the agent was asked once" 1 "$(grep -c '^confirm$' "$T/askpass.log")"
"$CARDTRAIL" image --sign-key "$T/kconf.pub" --progress none "$T/card.bin" "$T/newcase" >/dev/null 2>"$T/err"
check_eq "confirmation declined, new case: exit 1" 1 $?
check_eq "…no case folder made" 0 "$(ls -d "$T/newcase" 2>/dev/null | wc -l)"
printf 'yes\n' >"$T/confirm-answer"
"$CARDTRAIL" note --sign-key "$T/kconf.pub" "$C" "confirmed" >/dev/null 2>"$T/err"
check_eq "confirmation given: exit 0" 0 $?
check_eq "…the record is signed by kconf" "$(fp "$T/kconf.pub")" \
	"$("$CARDTRAIL" verify --allowed-signers "$T/allowed-all" --quick --json "$C" | jq -r '.records[-1].signer')"

# a locked agent lists no key and signs nothing
add_key "" -x
fails "a locked agent" "a locked agent shows nothing: 'ssh-add -X' unlocks it" \
	"$CARDTRAIL" note --sign-key "$T/ked.pub" "$C" "locked"
add_key "" -X
"$CARDTRAIL" note --sign-key "$T/ked.pub" "$C" "unlocked" >/dev/null 2>"$T/err"
check_eq "…unlocked, it signs again: exit 0" 0 $?

# a key type cardtrail does not sign with (FIDO), named as a public key
printf 'sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIBdyOA0iDgNGNj5rmjcZN8v3v8fy9RrZ1ZbCs9Nj5fSNAAAABHNzaDo= token\n' >"$T/ksk.pub"
fails "a FIDO key" "cardtrail signs with ssh-ed25519, ssh-rsa (rsa-sha2-512) and ecdsa-sha2-nistp256/384/521 keys, not FIDO" \
	"$CARDTRAIL" note --sign-key "$T/ksk.pub" "$C" "fido"

# the agent killed: its socket file stays behind
kill -9 "$AGENT_PID"
for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
check_eq "the killed agent left its socket" 1 "$([ -S "$SSH_AUTH_SOCK" ] && echo 1)"
fails "a killed agent" "no ssh-agent answers at '$SSH_AUTH_SOCK' (SSH_AUTH_SOCK): it is not running, or was stopped" \
	"$CARDTRAIL" note --sign-key "$T/ked.pub" "$C" "killed agent"
"$CARDTRAIL" key list >/dev/null 2>"$T/err"
check_eq "key list with a killed agent: exit 1" 1 $?
check_eq "…says so" 1 "$(grep -c "no ssh-agent answers at '$SSH_AUTH_SOCK'" "$T/err")"

# a wedged agent: accepts, never answers; given up after 10 s, not hung
if command -v python3 >/dev/null; then
	python3 - "$T/wedged.sock" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(4)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
EOF
	wpid=$!
	at_exit "kill $wpid"
	for i in $(seq 50); do [ -S "$T/wedged.sock" ] && break; sleep 0.1; done
	start=$(date +%s)
	fails "a wedged agent" "the ssh-agent at '$T/wedged.sock' did not answer within 10 s" \
		env SSH_AUTH_SOCK="$T/wedged.sock" "$CARDTRAIL" note --sign-key "$T/ked.pub" "$C" "wedged"
	took=$(($(date +%s) - start))
	check_eq "…given up after about 10 s (took ${took}s)" 1 "$([ $took -ge 9 ] && [ $took -le 20 ] && echo 1)"
else
	skip "a wedged agent" "python3 is not installed"
fi

# --- key generate says how to protect the key; doing so works ------------------------
start_agent agent2
( cd "$T" && "$CARDTRAIL" key generate --comment gen "my key" >"$T/gen.out" 2>"$T/gen.err" )
check_eq "key generate: exit 0" 0 $?
mask <"$T/gen.err" >"$T/gen.all"
check_file "key generate: golden output (stderr)" "$CT_TOP/tests/golden/key-generate.txt" "$T/gen.all"
check_eq "…prints the public key on stdout, as in my key.pub" "$(cat "$T/my key.pub")" "$(cat "$T/gen.out")"
check_eq "…its fingerprint is the key's" "fingerprint: $(fp "$T/my key.pub")" "$(grep '^fingerprint:' "$T/gen.err")"
check_eq "…prints the ssh-keygen -p command" 1 "$(grep -cx "  ssh-keygen -p -f 'my key'" "$T/gen.err")"
check_eq "…and the ssh-add command" 1 "$(grep -cx "  ssh-add 'my key'" "$T/gen.err")"
ssh-keygen -q -p -f "$T/my key" -P '' -N "$(cat "$T/passphrase")" >/dev/null
check_eq "ssh-keygen -p puts a passphrase on cardtrail's key" 1 "$(ssh-keygen -y -P '' -f "$T/my key" >/dev/null 2>&1 || echo 1)"
add_key "$T/my key"
rm "$T/my key"
"$CARDTRAIL" note --new-case --sign-key "$T/my key.pub" "$T/gencase" "signed with the protected cardtrail key" >/dev/null 2>"$T/err"
check_eq "…and the agent signs with it: exit 0" 0 $?
echo "alice $(cat "$T/my key.pub")" >"$T/allowed-gen"
"$CARDTRAIL" verify --allowed-signers "$T/allowed-gen" "$T/gencase" >/dev/null
check_eq "…records that verify" 0 $?
record_ok "$T/gencase" 1 "$T/allowed-gen"
check_eq "…with ssh-keygen too" 0 $?
done_testing
