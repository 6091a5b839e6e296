#!/usr/bin/env bash
# Progress where long work happens (issue 11): `wipe --progress json|bar`
# gives each pass's percentage and ETA; the numbers are checked against
# each other (done never goes back, the last line of a phase is done =
# total with ETA 0, ETA = what is left at the rate so far).
. "$CT_TOP"/tests/e2e/lib.sh

command -v jq >/dev/null || skip_all "jq not found"
export CARDTRAIL_EXAMINER=tester
unset CARDTRAIL_SIGN_KEY

# ---- wipe -------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ] || ! command -v losetup >/dev/null || [ ! -e /dev/loop-control ]; then
	skip "wipe progress" "needs root and loop devices"
else
	img=$(mktemp /dev/shm/ct-progress.XXXXXX)
	at_exit "rm -f $img"
	head -c $((256 << 20)) /dev/zero >"$img"
	if mkloop dev "$img"; then
		"$CARDTRAIL" wipe --no-image-check --cert-dir "$T/certs" --force --yes --method nist-clear \
			--verify all --progress json "$dev" >"$T/wipe.out" 2>"$T/wipe.json"
		check_eq "wipe --progress json exits 0" 0 $?
		grep -v '^{' "$T/wipe.json" | sed 's/^/#   /' | head -n 5
		check_eq "wipe: every progress line is JSON with pass, passes, phase, done, total, rate, eta" "" \
			"$(grep '^{' "$T/wipe.json" | jq -c 'select([has("pass", "passes", "phase", "done", "total", "rate", "eta")] | all | not)' 2>&1 | head -n 3)"
		check_eq "wipe: pass 1 written, read back, then pass 2, in that order" \
			"1 write,1 verify,2 write,2 verify" \
			"$(grep '^{' "$T/wipe.json" | jq -rs '[.[] | "\(.pass) \(.phase)"] |
				reduce .[] as $x ([]; if length > 0 and .[-1] == $x then . else . + [$x] end) | join(",")')"
		check_eq "wipe: each phase of each pass ends at done = total with ETA 0" \
			"1 verify 268435456 0|1 write 268435456 0|2 verify 268435456 0|2 write 268435456 0" \
			"$(grep '^{' "$T/wipe.json" | jq -rs 'group_by([.pass, .phase]) |
				map(last | "\(.pass) \(.phase) \(.done) \(.eta)") | join("|")')"
		check_eq "wipe: within a phase done never goes back and never passes total" "" \
			"$(grep '^{' "$T/wipe.json" | jq -rs 'group_by([.pass, .phase])[] | . as $g |
				range(1; length) | select($g[.].done < $g[. - 1].done or $g[.].done > $g[.].total) |
				"\($g[.].pass) \($g[.].phase)"')"
		check_eq "wipe: ETA is what is left at the rate so far (within a second)" "" \
			"$(grep '^{' "$T/wipe.json" | jq -r 'select(.rate > 0) |
				select(((.total - .done) / .rate - .eta) | fabs > 1) | tostring')"
		"$CARDTRAIL" wipe --no-image-check --cert-dir "$T/certs" --force --yes --method zero \
			--verify last --progress bar "$dev" >"$T/wipe2.out" 2>"$T/wipe.bar"
		check_eq "wipe --progress bar exits 0" 0 $?
		check_eq "wipe: the bar shows the pass, its percentage and its ETA" "yes yes" \
			"$(tr '\r' '\n' <"$T/wipe.bar" | grep -qE '^pass 1/1 write .* 100\.0% ETA +0 s' && echo yes) $(tr '\r' '\n' <"$T/wipe.bar" | grep -qE '^pass 1/1 verify .* 100\.0% ETA +0 s' && echo yes)"
	else
		skip "wipe progress" "losetup failed"
	fi
fi

done_testing
