#!/usr/bin/env bash
# t0635-log-actions: every action the tool writes to a custody log is one
# `cardtrail log` knows.  One case goes through every command that appends
# (image, note, extract, adopt, report, wipe-start, wipe, repair); log then
# shows no "(unknown action)", and says something for each record.
. "$CT_TOP/tests/e2e/lib.sh"
PATH=$PATH:/usr/sbin:/sbin
for t in jq mkfs.fat mcopy sfdisk; do
	command -v $t >/dev/null || skip_all "$t not installed (jq, dosfstools, mtools, fdisk)"
done
need_loop
export CARDTRAIL_EXAMINER=alice MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
unset CARDTRAIL_SIGN_KEY
printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n' >"$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"

"$CT_TOP/fixtures/mkflightcard.sh" "$T" mbr >/dev/null 2>"$T/mk.err" ||
	{ not_ok "mkflightcard.sh mbr"; sed 's/^/#   /' "$T/mk.err"; done_testing; exit; }
SHM=/dev/shm/ct-t0635.$$
at_exit "rm -f $SHM.img"
cp "$T/flightcard-mbr.img" "$SHM.img"
mkloop dev "$SHM.img" || skip_all "losetup failed"
C=$T/case
run() { # run NAME ARGS...: cardtrail ARGS, must exit 0
	local n=$1; shift
	"$CARDTRAIL" "$@" >"$T/$n.out" 2>&1
	check_eq "$n: exit 0" 0 $?
}
run image image --progress none "$dev" "$C"
run note note --evidence E1 "$C" "sealed in bag 4411"
run extract extract "$C" E1
run adopt adopt --progress none "$T/flightcard-mbr.img" "$C"
run report report --format html "$C"
run wipe wipe --progress none --case "$C" --force --yes --method zero --verify all "$dev"
# a torn last record, set aside by verify --repair
printf '{"seq":99,"torn' >>"$C/custody.log"
"$CARDTRAIL" verify --repair "$C" >"$T/repair.out" 2>&1
check_eq "the case has every action the tool writes" "adopt extract image note open repair report wipe wipe-start" \
	"$(jq -r .action "$C/custody.log" | sort -u | tr '\n' ' ' | sed 's/ $//')"
"$CARDTRAIL" log "$C" >"$T/log.out" 2>&1
check_eq "log: exit 0" 0 $?
check_eq "log: no unknown action" 0 "$(grep -c 'unknown action' "$T/log.out")"
check_eq "log: one line per record" "$(wc -l <"$C/custody.log")" "$(grep -c '^[0-9-]*T[0-9:]*Z  #' "$T/log.out")"
check_eq "log: the adopt record names the evidence and where it came from" 1 \
	"$(grep -c "adopt .*E2 adopted from $(realpath "$T/flightcard-mbr.img") (raw, " "$T/log.out")"
check_eq "log: the report record names the files" 1 \
	"$(grep -cE "report .*report on [0-9]+ records: report.html" "$T/log.out")"
done_testing
