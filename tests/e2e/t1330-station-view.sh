#!/usr/bin/env bash
# t1330-station-view: the live status on a terminal.  One line per reader
# (card, step, %, rate, ETA, result) under a header, redrawn in place: each
# redraw first moves the cursor up over exactly the lines drawn last time
# and clears them, events are printed above the block, and the block is
# gone when the station ends.  On a terminal (script(1)) it is the default.
# A slow card (faultfs, 10 ms a request) on a loop device at a fixed free
# number, the only device the station admits.
. "$CT_TOP/tests/e2e/lib.sh"
. "$CT_TOP/tests/e2e/faultfs.sh"
. "$CT_TOP/tests/e2e/station.sh"
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY
need_loop
need_fuse
command -v python3 >/dev/null || skip_all "needs python3"
command -v mkfs.fat >/dev/null && command -v mcopy >/dev/null && command -v sfdisk >/dev/null ||
	skip_all "mkflightcard.sh needs dosfstools, mtools and fdisk"
"$CT_TOP/fixtures/mkflightcard.sh" "$T" superfloppy >/dev/null 2>&1 || skip_all "mkflightcard.sh failed"
read -r -a N <<<"$(pick_loops 1)" || skip_all "no free loop device number from 200 up"
printf 'steps = image, extract, report\n' >"$T/keep.conf"

# view FILE: what the status view drew, checked; prints "redraws
# redraws-with-our-row rows-with-%-rate-ETA steps..." and exits 1 (with why on
# stderr) when a redraw is not in place or holds our reader twice; our rows
# go to FILE.rows
view() {
	python3 - "$1" "loop${N[0]}" <<'EOF'
import re, sys
data = open(sys.argv[1], 'rb').read().decode('utf-8', 'replace').replace('\r\n', '\n')
reader = sys.argv[2]
parts = re.split(r'\x1b\[(\d+)A\x1b\[J', data)
texts, erases = parts[0::2], [int(n) for n in parts[1::2]]
bad, rows, steps, pct_rate, ours = [], 0, [], 0, []
for i, n in enumerate(erases):
    lines = texts[i].split('\n')
    if lines[-1] != '':
        bad.append('erase %d: the cursor is not at a line start' % i)
        continue
    block = lines[:-1][-n:]
    if len(block) != n or not block[0].startswith('READER ') or \
       not all(l.endswith('\x1b[K') for l in block[1:]):
        bad.append('erase %d: %d lines up, but the block above is %r' % (i, n, block[:3]))
        continue
    mine = [l for l in block[1:] if l.split()[:1] == [reader]]
    if len(mine) > 1:
        bad.append('erase %d: %d rows of %s' % (i, len(mine), reader))
    rows += len(mine) > 0
    for l in mine:
        ours.append(l[:-3])
        st = l[45:55].strip()
        if st and (not steps or steps[-1] != st):
            steps.append(st)
        if re.search(r'\d+%\s+[\d.]+ \S+/s\s+\d+:\d\d', l[45:]):
            pct_rate += 1
# after the last erase: no block left on the screen
if 'READER ' in texts[-1]:
    bad.append('a status block is left on the terminal at the end')
open(sys.argv[1] + '.rows', 'w').write('\n'.join(ours) + '\n')
if bad:
    sys.stderr.write('\n'.join(bad) + '\n')
print(len(erases), rows, pct_rate, ' '.join(steps))
sys.exit(1 if bad else 0)
EOF
}

cp "$T/flightcard-superfloppy.img" "$T/slow.img"
faultfs_mount "$T/slow.img" "$T/ms" --writable --delay-us 10000 || skip_all "faultfs does not mount"
attach_loop S "${N[0]}" "$T/ms/disk" || skip_all "losetup failed"
"$CARDTRAIL" station --progress status --cases "$T/c1" --mission view --policy "$T/keep.conf" \
	--allow "loop${N[0]}" --max-cards 1 >"$T/v1.out" 2>"$T/v1.err"
check_eq "--progress status: exit 0" 0 $?
if out=$(view "$T/v1.err"); then ok "every redraw is in place, nothing left at the end"
else not_ok "every redraw is in place, nothing left at the end"; fi
read -r redraws rows pct steps <<<"$out"
printf '# %s redraws, %s rows of %s, %s with %%, rate and ETA; steps seen: %s\n' "$redraws" "$rows" \
	"loop${N[0]}" "$pct" "$steps"
[ "${redraws:-0}" -ge 3 ] && ok "redrawn again and again ($redraws)" || not_ok "redrawn again and again ($redraws)"
[ "${rows:-0}" -ge 3 ] && ok "the reader's row in $rows of them (once each)" ||
	not_ok "the reader's row in at least 3 redraws ($rows)"
grep -m1 -E '^\S+ +\S+ +image ' "$T/v1.err.rows" | sed 's/^/# a row while imaging: /'
grep -m1 -E '^\S+ +\S+ +extract ' "$T/v1.err.rows" | sed 's/^/# a row while extracting: /'
[ "${pct:-0}" -ge 1 ] && ok "rows with %, rate and ETA while imaging" || not_ok "rows with %, rate and ETA while imaging"
case "$steps" in
*image*extract*report*) ok "the row follows the chain: image, extract, report" ;;
*) not_ok "the row follows the chain: image, extract, report (saw: $steps)" ;;
esac
sed 's/\x1b\[[0-9]*[AJK]//g' "$T/v1.err" | grep -q "^[0-9:]\{8\}Z\?  card 1 in /dev/loop${N[0]}" && ok "events are printed above the block, with their time" ||
	not_ok "events are printed above the block, with their time"
check_eq "the summary still goes to stdout" 1 "$(grep -c '^mission ' "$T/v1.out")"

# on a terminal, the status view is the default
if command -v script >/dev/null; then
	loop_release "${N[0]}"
	faultfs_umount "$T/ms"
	cp "$T/flightcard-superfloppy.img" "$T/slow.img"
	faultfs_mount "$T/slow.img" "$T/ms" --writable --delay-us 10000 || not_ok "faultfs mounts again"
	attach_loop S "${N[0]}" "$T/ms/disk" || skip_all "losetup failed"
	script -qefc "$(printf '%q ' "$CARDTRAIL" station --cases "$T/c2" --mission tty --policy "$T/keep.conf" \
		--allow "loop${N[0]}" --max-cards 1)" /dev/null </dev/null >"$T/tty.out" 2>&1
	check_eq "on a terminal: exit 0" 0 $?
	if out=$(view "$T/tty.out"); then ok "on a terminal: the status view, by default"
	else not_ok "on a terminal: the status view, by default"; fi
	read -r redraws rows pct steps <<<"$out"
	[ "${redraws:-0}" -ge 1 ] && ok "on a terminal: redrawn ($redraws)" || not_ok "on a terminal: redrawn ($redraws)"
else
	skip "on a terminal, the status view is the default" "script(1) is missing"
fi
done_testing
