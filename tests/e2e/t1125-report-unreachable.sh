#!/usr/bin/env bash
# t1125-report-unreachable: a case folder whose absolute path cannot be
# resolved (run as a user who cannot search an ancestor folder, the case
# given relative to the working folder).  report still knows that its files
# are in the case (by the folder itself, not by its path), records them by
# name, and verify finds nothing unrecorded.
. "$CT_TOP/tests/e2e/lib.sh"
need_root
for t in jq runuser; do command -v $t >/dev/null || skip_all "$t not installed"; done
id nobody >/dev/null 2>&1 || skip_all "no user nobody"
# the binary under test must be reachable by nobody
runuser -u nobody -- test -x "$CARDTRAIL" || skip_all "nobody cannot run $CARDTRAIL"
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY

gen_bytes unreach $((1 << 20)) >"$T/card.bin"
"$CARDTRAIL" image --hash md5 --progress none "$T/card.bin" "$T/locked/work/case" >/dev/null 2>&1
check_eq "image: exit 0" 0 $?
# $T/locked: root's, 0700, an ancestor nobody cannot search; nobody works in
# $T/locked/work (its working folder, inherited), the case is work/case
chmod 0700 "$T" "$T/locked"
chmod 0755 "$T/locked/work"
chown -R nobody "$T/locked/work/case"
runuser -u nobody -- test -x "$T/locked" && skip_all "nobody can search $T/locked (not a test of this)"
(cd "$T/locked/work" && runuser -u nobody -- "$CARDTRAIL" report --format html case \
	>"$T/rep.out" 2>"$T/rep.err")
check_eq "report as nobody, the case given as 'case': exit 0" 0 $?
[ -s "$T/rep.err" ] && sed 's/^/#   /' "$T/rep.err" | head -n 10
check_eq "report.html said to be in the case" 0 "$(grep -c 'outside the case' "$T/rep.out")"
check_eq "the record names report.html in the case" "report.html" \
	"$(tail -n 1 "$T/locked/work/case/custody.log" | jq -r '[.outputs[]?.path] | map(select(. == "report.html")) | .[0]')"
(cd "$T/locked/work" && runuser -u nobody -- "$CARDTRAIL" verify case >"$T/v.out" 2>&1)
check_eq "verify as nobody: exit 0" 0 $?
check_eq "verify: no unrecorded file" 0 "$(grep -ci 'unrecorded\|not recorded' "$T/v.out")"
done_testing
