#!/usr/bin/env bash
# The custody chain: tampering of every kind is detected and named, a cut
# tail changes the head, concurrent appends keep the chain, a torn line
# blocks appends until repaired.
. "$CT_TOP/tests/e2e/lib.sh"
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY

gen_bytes cust $((3 << 20)) >"$T/card.bin"
C=$T/case
"$CARDTRAIL" image --hash md5 --split 1MiB --hash-window 256KiB --progress none "$T/card.bin" "$C" >/dev/null 2>&1
check_eq "image into a new case exits 0" 0 $?
"$CARDTRAIL" note "$C" "card sealed in bag 4411" >/dev/null
"$CARDTRAIL" note --evidence E1 "$C" "handed to lab" >/dev/null
log=$C/custody.log
check_eq "open + image + 2 notes = 4 records" 4 "$(wc -l <"$log")"
check_eq "record 0 is open" open "$(sed -n 1p "$log" | jq -r .action)"
check_eq "record 0 prev is 64 zeros" "$(printf '0%.0s' $(seq 64))" "$(sed -n 1p "$log" | jq -r .prev)"
check_eq "record 1 prev is sha256 of line 1" "$(sed -n 1p "$log" | tr -d '\n' | sha256sum | cut -d' ' -f1)" "$(sed -n 2p "$log" | jq -r .prev)"
check_eq "case uuid carried by every record" 1 "$(jq -r .case "$log" | sort -u | wc -l)"
check_eq "image record: sha256 of E1.001 as output" "$(sha256sum <"$C/E1.001" | cut -d' ' -f1)" \
	"$(sed -n 2p "$log" | jq -r '.outputs[] | select(.path == "E1.001") | .sha256')"
check_eq "image record: examiner from CARDTRAIL_EXAMINER" alice "$(sed -n 2p "$log" | jq -r .examiner)"
"$CARDTRAIL" verify "$C" >"$T/v.out"
check_eq "pristine case verifies (exit 0)" 0 $?
head0=$(sed -n 's/^chain head: //p' "$T/v.out")
check_eq "printed head is sha256 of the last line" "$(tail -n 1 "$log" | tr -d '\n' | sha256sum | cut -d' ' -f1)" "$head0"
cp -a "$C" "$T/pristine"

restore() { rm -rf "$C"; cp -a "$T/pristine" "$C"; }
verify_fails() { # DESC PATTERN: verify exits 3 and prints PATTERN
	"$CARDTRAIL" verify "$C" >"$T/v.out" 2>&1
	local rc=$?
	check_eq "$1: exit 3" 3 $rc
	if grep -q -- "$2" "$T/v.out"; then ok "$1: names it"; else not_ok "$1: names it ($2)"; sed 's/^/#   /' "$T/v.out"; fi
}

# --- chain tampering ----------------------------------------------------------
sed -i '3s/bag 4411/bag 4412/' "$log"
verify_fails "one byte changed in record 2" "record 3: prev does not match"
restore
sed -i '3d' "$log"
verify_fails "a middle record deleted" "says seq 3, expected 2"
restore
{ sed -n 1,2p "$log"; sed -n 4p "$log"; sed -n 3p "$log"; } >"$T/swapped" && cp "$T/swapped" "$log"
verify_fails "two records swapped" "record 3: prev does not match"
restore
good_prev=$(sed -n 4p "$log" | jq -r .prev)
sed -i "4s/$good_prev/$(printf 'f%.0s' $(seq 64))/" "$log"
verify_fails "prev edited" "record 3: prev does not match"
restore

# Truncating the tail is not detectable by a chain alone: it verifies, but
# the head the examiner wrote down no longer matches.
sed -i '$d' "$log"
"$CARDTRAIL" verify "$C" >"$T/v.out"
check_eq "a cut tail still verifies (documented limit)" 0 $?
check_eq "…but the printed head changes" 1 "$([ "$(sed -n 's/^chain head: //p' "$T/v.out")" != "$head0" ] && echo 1 || echo 0)"
restore

# --- artifacts -------------------------------------------------------------------
printf '\x55' | dd of="$C/E1.002" bs=1 seek=$((300 * 1024)) conv=notrunc status=none
verify_fails "one byte of segment E1.002 changed" "image segment E1.002 does not match the acquisition hashes in window #5"
restore
rm "$C/E1.003"
verify_fails "a missing segment" "output E1.003 is missing"
grep -q "E1.003 *missing" "$T/v.out" && ok "missing output listed as missing, not OK" || not_ok "missing output listed as missing"
restore
echo '{}' >"$C/E1.acquisition.json"
verify_fails "acquisition record replaced" "output E1.acquisition.json has changed"
restore

# --- signatures ------------------------------------------------------------------
"$CARDTRAIL" key generate "$T/ka" >"$T/ka.line" 2>/dev/null
check_eq "key generate exits 0" 0 $?
check_eq "private key mode 0600" 600 "$(stat -c %a "$T/ka")"
check_eq "printed public key equals ka.pub" "$(cut -d' ' -f1-2 "$T/ka.pub")" "$(cut -d' ' -f1-2 "$T/ka.line")"
check_eq "ssh-keygen reads the public key" 1 "$(ssh-keygen -l -f "$T/ka.pub" 2>/dev/null | grep -c ED25519)"
"$CARDTRAIL" key generate "$T/ka" >/dev/null 2>&1
check_eq "key generate never overwrites" 1 $?
"$CARDTRAIL" key generate "$T/kb" >/dev/null 2>&1

"$CARDTRAIL" note --sign-key "$T/ka" "$C" "signed by a" >/dev/null
CARDTRAIL_SIGN_KEY=$T/ka "$CARDTRAIL" note "$C" "signed by a via env" >/dev/null
check_eq "record 4 carries a signature" true "$(sed -n 5p "$log" | jq 'has("sig")')"
check_eq "record 5 signed through CARDTRAIL_SIGN_KEY" true "$(sed -n 6p "$log" | jq 'has("sig")')"
"$CARDTRAIL" verify --key "$T/ka.pub" "$C" >"$T/v.out"
check_eq "with a key, unsigned records fail: exit 3" 3 $?
check_eq "each unsigned record named" 4 "$(grep -c '^  - record [0-3] is unsigned (keys were given' "$T/v.out")"
"$CARDTRAIL" verify --key "$T/ka.pub" --allow-unsigned "$C" >"$T/v.out"
check_eq "signed records verify with the right key (--allow-unsigned)" 0 $?
check_eq "unsigned records are named unsigned" 4 "$(grep -c ' unsigned  *ok$' "$T/v.out")"
"$CARDTRAIL" verify --key "$T/kb.pub" --allow-unsigned "$C" >"$T/v.out"
check_eq "another key: exit 3" 3 $?
check_eq "another key: untrusted named" 1 "$(grep -c '^  - record 4 is signed by SHA256:.*not a trusted key' "$T/v.out")"
echo "alice $(cat "$T/ka.pub")" >"$T/allowed"
echo "bob $(cat "$T/kb.pub")" >>"$T/allowed"
"$CARDTRAIL" verify --allowed-signers "$T/allowed" --allow-unsigned "$C" >/dev/null
check_eq "allowed_signers with alice's key: exit 0" 0 $?
echo "bob $(cat "$T/ka.pub")" >"$T/allowed-bob"
"$CARDTRAIL" verify --allowed-signers "$T/allowed-bob" --allow-unsigned "$C" >/dev/null
check_eq "key allowed only for another principal: exit 3" 3 $?

# OpenSSH checks the same record without cardtrail.
line=$(sed -n 5p "$log")
printf '%s' "$line" | jq -r .sig >"$T/sig"
printf '%s' "$line" | sed 's/,"sig":"[^"]*"}$/}/' | tr -d '\n' >"$T/msg"
ssh-keygen -Y verify -f "$T/allowed" -I alice -n cardtrail-custody -s "$T/sig" <"$T/msg" >/dev/null 2>&1
check_eq "ssh-keygen -Y verify accepts a good record" 0 $?
sed 's/signed by a/signed by b/' "$T/msg" >"$T/msg2"
ssh-keygen -Y verify -f "$T/allowed" -I alice -n cardtrail-custody -s "$T/sig" <"$T/msg2" >/dev/null 2>&1
check_eq "ssh-keygen -Y verify rejects a tampered record" 255 $?

cp -a "$C" "$T/signed"
restore_signed() { rm -rf "$C"; cp -a "$T/signed" "$C"; }
# an edited signed record (chain re-linked by the forger): signature fails
sed -i '5s/signed by a"/signed by z"/' "$log"
newprev=$(sed -n 5p "$log" | tr -d '\n' | sha256sum | cut -d' ' -f1)
oldprev=$(sed -n 6p "$log" | jq -r .prev)
sed -i "6s/$oldprev/$newprev/" "$log"
"$CARDTRAIL" verify --key "$T/ka.pub" --allow-unsigned "$C" >"$T/v.out"
check_eq "signature over an edited record: exit 3" 3 $?
check_eq "edited record named" 1 "$(grep -c '^  - record 4: the signature does not verify' "$T/v.out")"
check_eq "re-linked successor then fails its own signature" 1 "$(grep -c '^  - record 5: the signature does not verify' "$T/v.out")"
restore_signed
# an unsigned record after signed ones
"$CARDTRAIL" note "$C" "unsigned after signed" >/dev/null
"$CARDTRAIL" verify --key "$T/ka.pub" --allow-unsigned "$C" >"$T/v.out"
check_eq "unsigned record after signed ones: exit 3" 3 $?
check_eq "unsigned record named" 1 "$(grep -c '^  - record 6 is unsigned but follows signed records' "$T/v.out")"
restore_signed
# an unsigned record inserted between signed ones, chain re-linked around it
fake=$(sed -n 4p "$log" | jq -c --arg p "$(sed -n 5p "$log" | tr -d '\n' | sha256sum | cut -d' ' -f1)" '.seq = 5 | .result.text = "forged" | .prev = $p')
{ sed -n 1,5p "$log"; printf '%s\n' "$fake"; sed -n 6p "$log"; } >"$T/ins" && cp "$T/ins" "$log"
"$CARDTRAIL" verify --key "$T/ka.pub" --allow-unsigned "$C" >"$T/v.out"
check_eq "inserted unsigned record: exit 3" 3 $?
check_eq "inserted record flagged" 1 "$(grep -c '^  - record 5 is unsigned but follows signed records' "$T/v.out")"
restore_signed

# every record signed, then every signature stripped and the chain re-linked
# (a forger without the key): with the key given, that is not "verified"
S=$T/allsigned
CARDTRAIL_SIGN_KEY=$T/ka "$CARDTRAIL" note --new-case "$S" "first" >/dev/null
CARDTRAIL_SIGN_KEY=$T/ka "$CARDTRAIL" note "$S" "second" >/dev/null
"$CARDTRAIL" verify --key "$T/ka.pub" "$S" >/dev/null
check_eq "a fully signed case verifies with its key" 0 $?
prev=$(printf '0%.0s' $(seq 64))
while IFS= read -r l; do
	l=$(printf '%s' "$l" | sed 's/,"sig":"[^"]*"}$/}/' | jq -c --arg p "$prev" '.prev = $p | .examiner = "mallory"')
	printf '%s\n' "$l"
	prev=$(printf '%s' "$l" | sha256sum | cut -d' ' -f1)
done <"$S/custody.log" >"$T/stripped" && cp "$T/stripped" "$S/custody.log"
"$CARDTRAIL" verify "$S" >/dev/null
check_eq "stripped log: the chain itself is intact (exit 0 without keys)" 0 $?
"$CARDTRAIL" verify --key "$T/ka.pub" "$S" >"$T/v.out"
check_eq "stripped log with the key given: exit 3" 3 $?
check_eq "stripped log: every record named unsigned" 3 "$(grep -c '^  - record [0-2] is unsigned (keys were given' "$T/v.out")"
# allowed_signers options restrict a key as they do for ssh-keygen (t0660
# compares the two at length): a key allowed for namespace "file" only
# signs no custody record
echo "alice namespaces=\"file\" $(cat "$T/ka.pub")" >"$T/allowed-opt"
"$CARDTRAIL" verify --allowed-signers "$T/allowed-opt" --allow-unsigned "$T/signed" >"$T/v.out" 2>"$T/err"
check_eq "allowed_signers key for another namespace: exit 3" 3 $?
check_eq "…both signed records named as signed by an untrusted key" 2 \
	"$(grep -c '^  - record [45] is signed by SHA256:.*not a trusted key' "$T/v.out")"

# --- torn line ------------------------------------------------------------------
size=$(stat -c %s "$log")
truncate -s $((size - 17)) "$log"
"$CARDTRAIL" verify "$C" >"$T/v.out"
check_eq "torn tail: verify exit 3" 3 $?
check_eq "torn tail reported" 1 "$(grep -c 'ends with a torn record' "$T/v.out")"
torn_sha=$(tail -c +$(( $(head -n -1 "$log" | wc -c) + 1 )) "$log" | sha256sum | cut -d' ' -f1)
"$CARDTRAIL" note "$C" "on top of a torn line" >/dev/null 2>"$T/err"
check_eq "append refuses on a torn log" 1 $?
check_eq "refusal says how to repair" 1 "$(grep -c "run 'cardtrail verify --repair" "$T/err")"
check_eq "refused append wrote nothing" $((size - 17)) "$(stat -c %s "$log")"
"$CARDTRAIL" verify --repair "$C" >"$T/v.out" 2>"$T/err"
check_eq "repaired log verifies" 0 $?
side=$(ls "$C" | grep '^custody.log.torn-')
check_eq "torn bytes kept in a side file" "$torn_sha" "$(sha256sum <"$C/$side" | cut -d' ' -f1)"
check_eq "repair record names the side file" "$side" "$(tail -n 1 "$log" | jq -r '.outputs[0].path')"
check_eq "repair record is an action repair" repair "$(tail -n 1 "$log" | jq -r .action)"
"$CARDTRAIL" note "$C" "after the repair" >/dev/null
check_eq "appends work again after repair" 0 $?

# --- concurrency -----------------------------------------------------------------
# both writers try to open the case at once: exactly one --new-case wins
# (the other is told the case exists), then both append
notes() { # EXAMINER
	"$CARDTRAIL" note --new-case --examiner "$1" "$T/conc" "$1 0" >/dev/null 2>&1 && echo opened
	for i in $(seq 50); do "$CARDTRAIL" note --examiner "$1" "$T/conc" "$1 $i" >/dev/null || echo fail; done
}
notes reader1 >"$T/c1" &
p1=$!
notes reader2 >"$T/c2" &
p2=$!
wait $p1 $p2
check_eq "one of two concurrent --new-case notes opened the case" opened "$(cat "$T/c1" "$T/c2" | grep -v fail)"
check_eq "no append failed" "" "$(cat "$T/c1" "$T/c2" | grep -v opened)"
check_eq "102 records (open + the opening note + 2 x 50)" 102 "$(wc -l <"$T/conc/custody.log")"
check_eq "one open record" 1 "$(jq -r .action "$T/conc/custody.log" | grep -c '^open$')"
"$CARDTRAIL" verify "$T/conc" >/dev/null
check_eq "the concurrent chain verifies" 0 $?

# --- log ---------------------------------------------------------------------------
"$CARDTRAIL" log "$T/pristine" >"$T/log.out"
check_eq "log exits 0" 0 $?
check_eq "log shows the image with its sha256 prefix" 1 "$(grep -c "image    alice  .*E1 from $T/card.bin .*sha256 $(sha256sum <"$T/card.bin" | cut -c1-12)" "$T/log.out")"
check_eq "log shows the note" 1 "$(grep -c 'note: "card sealed in bag 4411"' "$T/log.out")"
"$CARDTRAIL" log --json "$T/pristine" >"$T/log.json"
check_eq "log --json is an array of the records" 4 "$(jq length "$T/log.json")"
"$CARDTRAIL" log "$T/nocase" >/dev/null 2>&1
check_eq "log of a folder without a log: exit 1" 1 $?
"$CARDTRAIL" verify "$T/nocase" >/dev/null 2>&1
check_eq "verify of a folder without a log: exit 1" 1 $?
for c in verify log key note; do
	"$CARDTRAIL" help $c >"$T/h"
	check_file "help $c golden" "$CT_TOP/tests/golden/help-$c.txt" "$T/h"
done
done_testing
