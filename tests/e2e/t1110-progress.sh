#!/usr/bin/env bash
# Progress where long work happens (issue 11): `extract --progress json|bar`
# gives files walked, free space carved and files bundled with rate and
# ETA; `wipe --progress json|bar` gives each pass's percentage and ETA.
# The numbers are checked against each other (done never goes back, the
# last line of a phase is done = total with ETA 0, ETA = what is left at
# the rate so far) and against what the command reports when done.
. "$CT_TOP"/tests/e2e/lib.sh

command -v jq >/dev/null || skip_all "jq not found"
export CARDTRAIL_EXAMINER=tester
unset CARDTRAIL_SIGN_KEY

# ---- extract ----------------------------------------------------------------------
PATH=$PATH:/usr/sbin:/sbin
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n' >"$T/lsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"
if ! command -v mkfs.fat >/dev/null || ! command -v mcopy >/dev/null || ! command -v numfmt >/dev/null; then
	skip "extract progress" "needs dosfstools, mtools, coreutils"
elif ! "$CT_TOP/fixtures/mkflightcard.sh" "$T" superfloppy >/dev/null 2>"$T/mk.err"; then
	not_ok "mkflightcard.sh"; sed 's/^/#   /' "$T/mk.err"
else
	card=$T/flightcard-superfloppy.img
	"$CARDTRAIL" extract --progress json "$card" "$T/x1" >"$T/x1.out" 2>"$T/x1.json"
	check_eq "extract --progress json exits 0" 0 $?
	check_eq "extract: stderr holds progress lines only, each JSON with phase, unit, done, total, bytes, elapsed, rate, eta, final" "" \
		"$(grep -v '^{' "$T/x1.json" | head -n 3; grep '^{' "$T/x1.json" | jq -c 'select([has("phase", "unit", "done", "total", "bytes", "elapsed", "rate", "eta", "final")] | all | not)' 2>&1 | head -n 3)"
	P=$(grep '^{' "$T/x1.json")
	check_eq "extract: walk (files), carve (bytes), bundle (files), in that order" \
		"walk files,carve bytes,bundle files" \
		"$(jq -rs '[.[] | "\(.phase) \(.unit)"] |
			reduce .[] as $x ([]; if length > 0 and .[-1] == $x then . else . + [$x] end) | join(",")' <<<"$P")"
	check_eq "extract: one final line per phase, the last of its phase" "walk|carve|bundle" \
		"$(jq -rs '[group_by(.phase)[] | select(map(.final) | (map(select(.)) | length) == 1 and last) | .[0].phase] |
			sort_by({"walk": 0, "carve": 1, "bundle": 2}[.]) | join("|")' <<<"$P")"
	# what the summary says at the end
	sumline=$(grep '^files ' "$T/x1.out")
	nfiles=$(sed -n 's/^files *\([0-9]*\) (.*/\1/p' <<<"$sumline")
	ncarved=$(sed -n 's/.*, \([0-9]*\) carved)$/\1/p' <<<"$sumline")
	check_eq "extract: walk ends at the files the walk found (summary: $nfiles files, $ncarved carved), no total, no ETA" \
		"$((nfiles - ncarved)) null null" \
		"$(jq -r 'select(.phase == "walk" and .final) | "\(.done) \(.total) \(.eta)"' <<<"$P")"
	final_carve=$(jq -r 'select(.phase == "carve" and .final) | "\(.done) \(.total) \(.eta)"' <<<"$P")
	cbytes=${final_carve%% *}
	check_eq "extract: carving ends at done = total with ETA 0" "$cbytes $cbytes 0" "$final_carve"
	check_eq "extract: the bytes carved are the summary's free space scanned" \
		"$(grep -o '^carving *[0-9.]* [KMG]iB' "$T/x1.out" | sed 's/^carving *//; s/ //')" \
		"$(numfmt --to=iec-i --suffix=B --round=nearest --format=%.1f "$cbytes")"
	check_eq "extract: the card's free space is a good part of its 64 MiB" yes \
		"$([ "$cbytes" -gt $((32 << 20)) ] && [ "$cbytes" -le $((64 << 20)) ] && echo yes)"
	mkdir "$T/u1" && tar -xf "$T/x1/flightcard-superfloppy.img.evidence.tar" -C "$T/u1"
	check_eq "extract: bundling ends at done = total = every file of MANIFEST.json, ETA 0" \
		"$(jq '.files | length' "$T/u1/MANIFEST.json") $(jq '.files | length' "$T/u1/MANIFEST.json") 0" \
		"$(jq -r 'select(.phase == "bundle" and .final) | "\(.done) \(.total) \(.eta)"' <<<"$P")"
	check_eq "extract: ...and the files' count is the summary's" "$nfiles" \
		"$(jq -r 'select(.phase == "bundle" and .final) | .done' <<<"$P")"
	# the bytes bundled with the files: every member but the three written after them
	check_eq "extract: the bytes bundled are the members' (files, tracks) before MANIFEST.json, flights.json, SHA256SUMS" \
		"$(tar -tvf "$T/x1/flightcard-superfloppy.img.evidence.tar" | awk '$6 != "MANIFEST.json" && $6 != "flights.json" && $6 != "SHA256SUMS" { s += $3 } END { print s }')" \
		"$(jq -r 'select(.phase == "bundle" and .final) | .bytes' <<<"$P")"
	check_eq "extract: within a phase done never goes back, never passes a known total" "" \
		"$(jq -rs 'group_by(.phase)[] | . as $g | range(1; length) |
			select($g[.].done < $g[. - 1].done or ($g[.].total != null and $g[.].done > $g[.].total)) |
			$g[.].phase' <<<"$P")"
	check_eq "extract: ETA is what is left at the rate so far (within a second)" "" \
		"$(jq -r 'select(.rate > 0 and .total != null) | select(((.total - .done) / .rate - .eta) | fabs > 1) | tostring' <<<"$P")"
	check_eq "extract: rate is done over elapsed" "" \
		"$(jq -r 'select(.elapsed >= 1) | select(((.done / .elapsed - .rate) | fabs) > 0.06 * .rate + 1) | tostring' <<<"$P")"

	"$CARDTRAIL" extract --progress bar "$card" "$T/x2" >"$T/x2.out" 2>"$T/x2.bar"
	check_eq "extract --progress bar exits 0" 0 $?
	tr '\r' '\n' <"$T/x2.bar" | grep -v '^$' >"$T/x2.lines"
	check_eq "extract bar: files walked, carving at 100.0% with ETA 0:00, every file bundled" \
		"walk $((nfiles - ncarved)) files walked|carve 100.0% ETA 0:00|bundle $nfiles / $nfiles files 100.0% ETA 0:00" \
		"$(sed -n 's/^\(walk\) *\([0-9]*\) files walked .*/\1 \2 files walked/p' "$T/x2.lines" | tail -n 1)|carve $(grep '^carve' "$T/x2.lines" | tail -n 1 | grep -o ' [0-9.]*% .*ETA [0-9:]*' | sed 's/^ //; s/%.*ETA/% ETA/')|$(grep '^bundle' "$T/x2.lines" | tail -n 1 | sed 's/^\(bundle\) *\([0-9]*\) \/ \([0-9]*\) *files *\([0-9.]*%\).*\(ETA [0-9:]*\).*/\1 \2 \/ \3 files \4 \5/')"
	check_eq "extract bar: each phase's last state on its own line (a newline ends it)" 3 \
		"$(tr -cd '\n' <"$T/x2.bar" | wc -c)"
	norm() { sed "s|$T/x[0-9]|OUT|; s/in [0-9.]* s ([0-9]* MB\/s)/in X s (X MB\/s)/" "$1"; }
	check_eq "extract: the summary is the same with json progress and with the bar" "$(norm "$T/x1.out")" "$(norm "$T/x2.out")"

	"$CARDTRAIL" extract --progress none "$card" "$T/x3" >/dev/null 2>"$T/x3.err"
	check_eq "extract --progress none: exit 0, nothing on stderr" "0|" "$?|$(cat "$T/x3.err")"
	"$CARDTRAIL" extract "$card" "$T/x4" >/dev/null 2>"$T/x4.err"
	check_eq "extract, stderr not a terminal: no progress by default" "0|" "$?|$(cat "$T/x4.err")"
	"$CARDTRAIL" extract --progress xml "$card" "$T/x5" >/dev/null 2>"$T/x5.err"
	check_eq "extract --progress xml: usage error, says what it takes, nothing written" \
		"2|cardtrail: --progress: 'xml' is not none, bar or json|no" \
		"$?|$(head -n 1 "$T/x5.err")|$([ -e "$T/x5" ] && echo yes || echo no)"
fi

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
