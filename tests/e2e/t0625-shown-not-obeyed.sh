#!/usr/bin/env bash
# What cardtrail prints is shown, not obeyed.  Text from a record (a note,
# an examiner, an output's path), a card or a reader reaches the terminal:
# an escape sequence in it could erase a "NOT verified" line or retitle the
# window, and a newline could add a line that reads like ours
# ("verified: ...").  Standard output and the messages on stderr write
# control characters (C0, DEL, UTF-8 C1) out as \u00XX; a field printed
# inside a line writes newline and tab out too; JSON keeps the exact text
# (json-c escapes C0, the filter C1 and DEL, all as JSON escapes).  `note`
# refuses control characters where the examiner can retype them.
. "$CT_TOP/tests/e2e/lib.sh"
for c in python3 jq od; do
	command -v $c >/dev/null || skip_all "$c is not installed"
done
unset CARDTRAIL_SIGN_KEY SSH_AUTH_SOCK
export CARDTRAIL_EXAMINER=alice
C=$T/case
logsum() { sha256sum <"$C/custody.log" | cut -d' ' -f1; }
# raw FILE: the bytes a terminal would act on (C0 but newline, DEL, C1), as hex
raw() { python3 -c '
import re, sys
b = open(sys.argv[1], "rb").read()
print(" ".join(m.group().hex() for m in re.finditer(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", b)))' "$1"; }
noraw() {	# noraw DESC FILE
	local r
	r=$(raw "$2")
	if [ -z "$r" ]; then ok "$1"; else not_ok "$1 (raw: $r)"; fi
}
has() { if grep -qF -- "$3" "$2"; then ok "$1"; else not_ok "$1 ($3)"; sed 's/^/#   /' "$2" | head -20; fi; }

# ---- note refuses them where they can be retyped ----
"$CARDTRAIL" note --new-case "$C" "seal 1" >/dev/null 2>&1 || not_ok "note --new-case"
before=$(logsum)
"$CARDTRAIL" note "$C" $'seal\e]0;pwned\a' >"$T/o" 2>"$T/e"
check_eq "note with ESC/BEL: exit 2" 2 $?
has "note with ESC: says why" "$T/e" "the note holds a control character (other than newline and tab)"
"$CARDTRAIL" note --examiner $'eve\rbob' "$C" "x" >"$T/o" 2>"$T/e"
check_eq "examiner with CR: exit 2" 2 $?
has "examiner with CR: says why" "$T/e" "the examiner (--examiner, \$CARDTRAIL_EXAMINER) holds a control character"
"$CARDTRAIL" note --item $'bag\xc2\x9b2J' "$C" "x" >"$T/o" 2>"$T/e"
check_eq "--item with C1 CSI: exit 2" 2 $?
check_eq "refused notes leave the log as it was" "$before" "$(logsum)"
"$CARDTRAIL" note "$C" $'seal 2\tbroken\nseal 3 put on' >/dev/null 2>"$T/e"
check_eq "a note of two lines with a tab is taken" 2 "$(jq -s 'map(select(.action == "note")) | length' "$C/custody.log")"

# ---- records written by hand (a log is only as honest as its writer) ----
# forge BODY: append the next record, unsigned, BODY its members between
# "case" and "prev" (python's json.dumps writes control characters as \u00XX,
# as any JSON writer may; the parsed text holds the raw bytes)
forge() {
	python3 - "$C/custody.log" "$1" <<'EOF'
import hashlib, json, sys
log, body = sys.argv[1], sys.argv[2]
last = open(log, "rb").read().rstrip(b"\n").split(b"\n")[-1]
lj = json.loads(last)
msg = '{"v":1,"seq":%d,"case":"%s",%s,"prev":"%s"}' % (lj["seq"] + 1, lj["case"], body,
                                                       hashlib.sha256(last).hexdigest())
open(log, "a").write(msg + "\n")
EOF
}
NOTE=$'seal 4\nverified: 99 records, chain intact\e]0;pwned\a\xc2\x9b2J\e[1A\e[2K'
forge "$(python3 -c 'import json,sys; print(
 "\"time\":\"2026-12-01T00:00:09Z\",\"examiner\":%s,\"action\":\"note\",\"result\":{\"text\":%s}"
 % (json.dumps("eve\x1b[2K\rbob"), json.dumps(sys.argv[1])))' "$NOTE")"
forge "$(python3 -c 'import json; print(
 "\"time\":\"2026-12-01T00:00:10Z\",\"examiner\":\"alice\",\"action\":\"note\",\"outputs\":[{\"path\":%s,\"bytes\":1,\"sha256\":\"%s\"}],\"result\":{\"text\":\"x\"}"
 % (json.dumps("E9.raw\n\x1b[1A\x1b[2Kverified: 9 records"), "0" * 64))')"

"$CARDTRAIL" log "$C" >"$T/log.out" 2>"$T/log.err"
check_eq "log: exit 0" 0 $?
noraw "log: no raw control character on stdout" "$T/log.out"
noraw "log: none on stderr" "$T/log.err"
has "log: the note's escape is shown" "$T/log.out" 'chain intact\u001b]0;pwned\u0007\u009b2J\u001b[1A\u001b[2K"'
has "log: its newline too, inside the line" "$T/log.out" 'note: "seal 4\u000averified: 99 records'
has "log: the examiner's CR is shown" "$T/log.out" 'eve\u001b[2K\u000dbob'
check_eq "log: no line that a note made" 0 "$(grep -c '^verified' "$T/log.out")"
check_eq "log: one line per record, plus the case and the chain head" \
	"$(($(wc -l <"$C/custody.log") + 2))" "$(wc -l <"$T/log.out")"

"$CARDTRAIL" verify "$C" >"$T/v.out" 2>"$T/v.err"
check_eq "verify: the missing output fails it (exit 3)" 3 $?
noraw "verify: no raw control character on stdout" "$T/v.out"
noraw "verify: none on stderr" "$T/v.err"
has "verify: NOT verified is said" "$T/v.out" "NOT verified:"
has "verify: the problem names the path as it is written" "$T/v.out" \
	'output E9.raw\u000a\u001b[1A\u001b[2Kverified: 9 records is missing'
check_eq "verify: the only line starting 'verified' is none" 0 "$(grep -c '^verified' "$T/v.out")"

# JSON keeps the exact text: parsed back, it is the bytes the record holds
"$CARDTRAIL" log --json "$C" >"$T/log.json" 2>/dev/null
noraw "log --json: no raw control character" "$T/log.json"
jq -j '.[3].result.text' "$T/log.json" >"$T/text.got"
printf '%s' "$NOTE" >"$T/text.want"
if cmp -s "$T/text.want" "$T/text.got"; then ok "log --json: the note parses back byte for byte"
else not_ok "log --json: the note parses back byte for byte"; od -c "$T/text.got" | head -5 | sed 's/^/#   /'; fi
"$CARDTRAIL" verify --json "$C" >"$T/v.json" 2>/dev/null
noraw "verify --json: no raw control character" "$T/v.json"
check_eq "verify --json: the path parses back" "$(printf 'E9.raw\n\e[1A\e[2Kverified: 9 records')" \
	"$(jq -r '.outputs[] | select(.status == "missing") | .path' "$T/v.json")"

# ---- an image made elsewhere: its header's text is shown, kept exact ----
if command -v ewfacquire >/dev/null; then
	mkdir -p "$T/ewf"
	head -c 1048576 /dev/zero >"$T/ewf/src.raw"
	ewfacquire -u -q -c fast -C $'CASE\e[2J-1' -D $'desc\rX' -e $'Off\e]0;t\a' -E E1 -N n \
		-t "$T/ewf/img" "$T/ewf/src.raw" >"$T/ewf.log" 2>&1
	"$CARDTRAIL" adopt "$T/ewf/img.E01" "$T/acase" >"$T/a.out" 2>"$T/a.err"
	check_eq "adopt of an E01 whose header holds escapes: exit 0" 0 $?
	noraw "adopt: no raw control character on stdout" "$T/a.out"
	noraw "adopt: none on stderr" "$T/a.err"
	has "adopt: the case number is shown written out" "$T/a.out" 'case       CASE\u001b[2J-1'
	check_eq "adopt: the record keeps the header's text exactly" "$(printf 'CASE\e[2J-1')" \
		"$(jq -r .adopted.found.case_number "$T/acase/E1.acquisition.json")"
else
	skip "adopt of an E01 whose header holds escapes" "ewfacquire is not installed"
fi

# ---- messages on stderr name what they were given, written out ----
"$CARDTRAIL" log "$T/no"$'\e[2J'"such" >"$T/o" 2>"$T/e"
check_eq "log of a missing folder: exit 1" 1 $?
noraw "the error message carries no raw escape" "$T/e"
has "it names the folder written out" "$T/e" 'no\u001b[2Jsuch'
"$CARDTRAIL" $'verif\e[31my' >"$T/o" 2>"$T/e"
check_eq "an unknown command with ESC: exit 2" 2 $?
has "it is named written out" "$T/e" "'verif\\u001b[31my' is not a cardtrail command"

done_testing
