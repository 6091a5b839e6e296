#!/usr/bin/env bash
# allowed_signers files, hostile ones above all, read by cardtrail verify
# and by ssh-keygen -Y verify: for every record of a case signed by four
# keys (Ed25519 on file, Ed25519, RSA and ECDSA in ssh-agent), both must
# come to the same verdict on every file.  Lines of any length are read
# whole: the 8 KiB fgets this replaces split a long line, and its tail was
# trusted as a second principal/key pair.
. "$CT_TOP/tests/e2e/lib.sh"
for c in ssh-agent ssh-add ssh-keygen base64; do
	command -v $c >/dev/null || skip_all "$c is not installed"
done
unset CARDTRAIL_SIGN_KEY SSH_AUTH_SOCK SSH_AGENT_PID CARDTRAIL_EXAMINER

out=$(ssh-agent -s -a "$T/agent.sock") || skip_all "ssh-agent does not start"
at_exit "kill $(printf '%s\n' "$out" | sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p')"
export SSH_AUTH_SOCK=$T/agent.sock
ssh-keygen -q -t ed25519 -N '' -C a -f "$T/ka"
ssh-keygen -q -t ed25519 -N '' -C b -f "$T/kb"
ssh-keygen -q -t rsa -b 2048 -N '' -C r -f "$T/kr"
ssh-keygen -q -t ecdsa -b 256 -N '' -C e -f "$T/ke"
ssh-add "$T/kb" "$T/kr" "$T/ke" 2>/dev/null
KA=$(cut -d' ' -f1,2 "$T/ka.pub") KB=$(cut -d' ' -f1,2 "$T/kb.pub")
KR=$(cut -d' ' -f1,2 "$T/kr.pub") KE=$(cut -d' ' -f1,2 "$T/ke.pub")

# records: 0 open and 1 by alice (ka on file), 2 bob (kb), 3 carol (kr), 4 dave (ke)
C=$T/case
"$CARDTRAIL" note --new-case --examiner alice --sign-key "$T/ka" "$C" "by alice" >/dev/null &&
"$CARDTRAIL" note --examiner bob --sign-key "$T/kb.pub" "$C" "by bob" >/dev/null &&
"$CARDTRAIL" note --examiner carol --sign-key "$T/kr.pub" "$C" "by carol" >/dev/null &&
"$CARDTRAIL" note --examiner dave --sign-key "$T/ke.pub" "$C" "by dave" >/dev/null
check_eq "a case of five records, each signed" "5 5" "$(wc -l <"$C/custody.log") $(jq -r 'select(.sig) | .seq' "$C/custody.log" | wc -l)"
n=0
while IFS= read -r line; do
	printf '%s' "$line" | jq -r .sig >"$T/sig.$n"
	printf '%s' "$line" | sed 's/,"sig":"[^"]*"}$/}/' | tr -d '\n' >"$T/msg.$n"
	printf '%s' "$line" | jq -r .examiner >"$T/who.$n"
	# the record's time as ssh-keygen's -Overify-time (cardtrail checks
	# valid-after/valid-before against the signed time of the record)
	printf '%s' "$line" | jq -r .time | tr -d ':TZ-' | sed 's/$/Z/' >"$T/when.$n"
	n=$((n + 1))
done <"$C/custody.log"

# verdicts FILE: one y/n per record, from ssh-keygen and from cardtrail
ssh_verdicts() {
	local i v=
	for i in 0 1 2 3 4; do
		if ssh-keygen -Y verify -f "$1" -I "$(cat "$T/who.$i")" -n cardtrail-custody \
			-s "$T/sig.$i" -Overify-time="$(cat "$T/when.$i")" <"$T/msg.$i" >/dev/null 2>&1; then
			v=${v}y
		else
			v=${v}n
		fi
	done
	printf '%s' "$v"
}
ct_verdicts() {
	if "$CARDTRAIL" verify --allowed-signers "$1" --allow-unsigned --quick --json "$C" \
		>"$T/v.json" 2>"$T/v.err" || [ $? -eq 3 ]; then
		jq -r '[.records[] | if .signature == "valid" then "y" else "n" end] | join("")' "$T/v.json"
	else
		printf 'nnnnn'	# the file refused: nothing is trusted
	fi
}
# case NAME EXPECTED: the file $T/as.NAME, written by the caller
case_() {
	local s c
	s=$(ssh_verdicts "$T/as.$1")
	c=$(ct_verdicts "$T/as.$1")
	check_eq "$1: ssh-keygen's verdicts are as expected" "$2" "$s"
	check_eq "$1: cardtrail agrees with ssh-keygen" "$s" "$c"
}
# b64 BYTES-FILE: base64 on one line
b64() { base64 -w0 <"$1"; }
# be32 N: four bytes, big-endian
be32() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }
blob() { printf '%s' "$1" | cut -d' ' -f2 | base64 -d; }

printf 'alice %s\nbob %s\ncarol %s\ndave %s\n' "$KA" "$KB" "$KR" "$KE" >"$T/as.plain"
case_ plain yyyyy

# --- length ---------------------------------------------------------------------------
# "bob KEY" at every offset around 8 KiB inside alice's comment: one line
for pad in 8100 8147 8175 8183 8184 8185 8186 8200; do
	{ printf 'alice %s ' "$KA"; head -c $((pad - ${#KA} - 7)) /dev/zero | tr '\0' x; printf 'bob %s\n' "$KB"; } >"$T/as.long$pad"
	case_ long$pad yynnn
done
{ printf 'alice %s ' "$KA"; head -c $((1 << 20)) /dev/zero | tr '\0' c; printf '\nbob %s\n' "$KB"; } >"$T/as.mib-comment"
case_ mib-comment yyynn
{ head -c $((1 << 20)) /dev/zero | tr '\0' ,; printf 'alice %s\n' "$KA"; } >"$T/as.mib-principals"
case_ mib-principals yynnn
{ head -c 1022 /dev/zero | tr '\0' z; printf ',alice %s\n' "$KA"; } >"$T/as.pattern1022"
case_ pattern1022 yynnn
{ head -c 1023 /dev/zero | tr '\0' z; printf ',alice %s\n' "$KA"; } >"$T/as.pattern1023"
case_ pattern1023 nnnnn
{ printf 'alice namespaces="cardtrail-custody,'; head -c 9000 /dev/zero | tr '\0' n; printf '" %s\n' "$KA"; } >"$T/as.long-namespaces"
case_ long-namespaces nnnnn

# --- bytes that split lines and tokens --------------------------------------------------
{ printf 'alice %s' "$KA"; printf '\0'; printf ' bob %s\n' "$KB"; } >"$T/as.nul"
case_ nul yynnn
{ printf 'bob'; printf '\0'; printf ' %s\nalice %s\n' "$KB" "$KA"; } >"$T/as.nul-principal"
case_ nul-principal yynnn
printf 'alice\r%s\nbob\r%s\r\n' "$KA" "$KB" >"$T/as.cr"
case_ cr yyynn
printf ' \talice %s\r\n\tbob\t%s\ttrailing\r\n' "$KA" "$KB" >"$T/as.blanks"
case_ blanks yyynn
printf '"alice bob" %s\nbob %s\n' "$KA" "$KB" >"$T/as.quoted"
case_ quoted nnynn
printf '"alice %s\nbob %s\n' "$KA" "$KB" >"$T/as.unterminated"
case_ unterminated nnynn
printf '"alice"%s\n' "$KA" >"$T/as.quote-glued"
case_ quote-glued yynnn
printf 'al"ice,b"ob %s\n' "$KA" >"$T/as.quote-inside"
case_ quote-inside nnnnn
printf 'bob %s %s\n' "$KA" "$KB" >"$T/as.two-keys"
case_ two-keys nnnnn
printf 'alice junk\nalice %s\n' "$KA" >"$T/as.bad-then-good"
case_ bad-then-good yynnn
printf '# nothing here\n\n' >"$T/as.empty"
case_ empty nnnnn

# --- principals and options ---------------------------------------------------------------
printf 'a?ice,b* %s\n*o* %s\n' "$KA" "$KB" >"$T/as.wildcards"
case_ wildcards yyynn
printf 'Alice %s\n' "$KA" >"$T/as.case"
case_ case nnnnn
printf '!alice,* %s\n*,!bob %s\n' "$KA" "$KB" >"$T/as.negated"
case_ negated nnnnn
for o in 'namespaces="cardtrail-custody"' 'NAMESPACES="cardtrail-*"' 'namespaces="file,cardtrail-custody"' \
	'namespaces="x\"y,cardtrail-custody"' ',namespaces="cardtrail-custody"' 'valid-after="20200101"' \
	'valid-before="20990101Z"' 'valid-after="20200101000000UTC",valid-before="209901010000"'; do
	printf 'alice %s %s\n' "$o" "$KA" >"$T/as.allows-$o"
	case_ "allows-$o" yynnn
done
for o in 'namespaces="file"' 'namespaces="!cardtrail-custody,*"' 'valid-after="20990101"' \
	'valid-before="20200101"' 'cert-authority' 'foo' 'namespaces=cardtrail-custody' \
	'namespaces="cardtrail-custody",' 'valid-before="2099010a"' 'cert-authorityx' \
	'namespaces="a",namespaces="cardtrail-custody"' 'valid-after="20990101",valid-before="20200101"'; do
	printf 'alice %s %s\n' "$o" "$KA" >"$T/as.denies-$o"
	case_ "denies-$o" nnnnn
done
printf 'alice  namespaces="cardtrail-custody"   %s\n' "$KA" >"$T/as.opt-blanks"
case_ opt-blanks yynnn
printf 'alice\tnamespaces="x"\t%s\n' "$KA" >"$T/as.opt-tabs"
case_ opt-tabs nnnnn
printf 'alice namespaces="a b %s\n' "$KA" >"$T/as.opt-open-quote"
case_ opt-open-quote nnnnn

# --- keys as OpenSSH reads them -----------------------------------------------------------
printf 'carol rsa-sha2-512 %s\ndave %s\n' "${KR#* }" "$KE" >"$T/as.rsa-alias"
case_ rsa-alias nnnyy
printf 'alice ssh-rsa %s\n' "${KA#* }" >"$T/as.type-mismatch"
case_ type-mismatch nnnnn
printf 'dave ecdsa-sha2-nistp384 %s\n' "${KE#* }" >"$T/as.curve-mismatch"
case_ curve-mismatch nnnnn
# a blob that names its type "ED25519" / "RSA" / "ECDSA"
{ be32 7; printf ED25519; blob "$KA" | tail -c 36; } >"$T/ka.short"
{ be32 3; printf rsa; blob "$KR" | tail -c +12; } >"$T/kr.short"
{ be32 5; printf ECDSA; blob "$KE" | tail -c +24; } >"$T/ke.short"
printf 'alice ssh-ed25519 %s\ncarol ssh-rsa %s\ndave ecdsa-sha2-nistp256 %s\n' \
	"$(b64 "$T/ka.short")" "$(b64 "$T/kr.short")" "$(b64 "$T/ke.short")" >"$T/as.short-names"
case_ short-names yynyn
# RSA's e with leading zero bytes: the same key by value
{ blob "$KR" | head -c 11; elen=$(blob "$KR" | tail -c +12 | head -c 4 | od -An -tu1 | awk '{print $4}');
  be32 $((elen + 2)); printf '\0\0'; blob "$KR" | tail -c +16; } >"$T/kr.zeros"
printf 'carol ssh-rsa %s\n' "$(b64 "$T/kr.zeros")" >"$T/as.rsa-leading-zeros"
case_ rsa-leading-zeros nnnyn
{ blob "$KA"; printf 'X'; } >"$T/ka.trailing"
printf 'alice ssh-ed25519 %s\n' "$(b64 "$T/ka.trailing")" >"$T/as.blob-trailing"
case_ blob-trailing nnnnn

# --- base64 as b64_pton reads it ---------------------------------------------------------
e=${KE#* }
printf 'alice ssh-ed25519 %s\r%s\n' "$(printf '%s' "${KA#* }" | head -c 20)" "$(printf '%s' "${KA#* }" | tail -c +21)" >"$T/as.b64-cr"
case_ b64-cr yynnn
printf 'dave ecdsa-sha2-nistp256 %s\n' "${e%=}" >"$T/as.b64-unpadded"
case_ b64-unpadded nnnnn
printf 'dave ecdsa-sha2-nistp256 %s\r=\n' "${e%=}" >"$T/as.b64-cr-pad"
case_ b64-cr-pad nnnny
printf 'dave ecdsa-sha2-nistp256 %s=\n' "$e" >"$T/as.b64-overpadded"
case_ b64-overpadded nnnnn
printf 'dave ecdsa-sha2-nistp256 %s\tx=\n' "${e%=}" >"$T/as.b64-tab"
case_ b64-tab nnnnn

# --- the bug itself, at the old buffer's edge: before, bob was trusted ----------------------
{ printf 'alice %s ' "$KA"; head -c $((8191 - ${#KA} - 7)) /dev/zero | tr '\0' x; printf 'bob %s\n' "$KB"; } >"$T/as.edge"
check_eq "the edge case puts 'bob' at byte 8191 of the line" 8191 "$(grep -bo 'bob ssh' "$T/as.edge" | cut -d: -f1)"
"$CARDTRAIL" verify --allowed-signers "$T/as.edge" --allow-unsigned --quick "$C" >"$T/v.out" 2>&1
check_eq "bob's record is not trusted through alice's comment (exit 3)" 3 $?
check_eq "…named untrusted" 1 "$(grep -c "^  - record 2 is signed by $(ssh-keygen -lf "$T/kb.pub" | cut -d' ' -f2), which is not a trusted key for examiner 'bob'" "$T/v.out")"
# skipped lines are reported, as ssh-keygen logs them
"$CARDTRAIL" verify --allowed-signers "$T/as.bad-then-good" --allow-unsigned --quick "$C" >/dev/null 2>"$T/v.err"
check_eq "a skipped line is reported with its number" "cardtrail: warning: '$T/as.bad-then-good' line 1: missing key; the line is ignored, as ssh-keygen ignores it" "$(cat "$T/v.err")"
done_testing
