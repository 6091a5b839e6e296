#!/usr/bin/env bash
# cardtrail adopt: the acquisition date an E01 states, recorded and printed
# for what it is.  An EnCase 4+ E01 (header2) keeps it as seconds since 1970:
# an instant, recorded in UTC with Z whatever the adopting machine's zone.
# An EnCase 2 E01 (header only) keeps the acquiring machine's wall clock with
# no zone: recorded as that wall clock, without Z, and said so.
. "$CT_TOP/tests/e2e/lib.sh"
for t in ewfacquire jq; do
	command -v $t >/dev/null || skip_all "$t not installed (ewf-tools, jq)"
done
export CARDTRAIL_EXAMINER="Lab Intake"
unset CARDTRAIL_SIGN_KEY

gen_bytes date 4194304 >"$T/card.img"
# adopt NAME ZONE ARGS...: adopt under TZ=ZONE, output in $T/NAME.out
adopt() {
	local n=$1 z=$2; shift 2
	TZ=$z "$CARDTRAIL" adopt --progress none "$@" >"$T/$n.out" 2>&1
	check_eq "$n: exit 0" 0 $?
}
near() { # near ISO-DATE ZONE: 1 when the date, read in ZONE, is within 10 min of now
	local s; s=$(TZ=$2 date -d "$1" +%s 2>/dev/null) || { echo "unreadable: $1"; return; }
	[ $(( $(date +%s) - s )) -lt 600 ] && [ $(( s - $(date +%s) )) -lt 60 ] && echo 1
}

# --- EnCase 6 (ewfacquire's default): header2 keeps a timestamp -------------------
mkdir -p "$T/e6"
TZ=Asia/Tokyo ewfacquire -u -q -c fast -t "$T/e6/card" "$T/card.img" >"$T/e6.log" 2>&1
check_eq "ewfacquire encase6: exit 0" 0 $?
adopt ny America/New_York --in-place "$T/e6/card.E01" "$T/c1"
adopt utc UTC --in-place "$T/e6/card.E01" "$T/c2"
d=$(jf "$T/c1/E1.acquisition.json" .adopted.found.acquiry_date)
check_eq "encase6: the date in ISO 8601 UTC with Z" 1 "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<<"$d")"
check_eq "encase6: the same date adopted under New York and under UTC" "$d" \
	"$(jf "$T/c2/E1.acquisition.json" .adopted.found.acquiry_date)"
check_eq "encase6: the date is when ewfacquire ran" 1 "$(near "$d" UTC)"
check_eq "encase6: the basis is said" timestamp "$(jf "$T/c1/E1.acquisition.json" .adopted.found.acquiry_date_basis)"
check_eq "encase6: the stored value is kept (seconds since 1970)" "$(date -u -d "$d" +%s)" \
	"$(jf "$T/c1/E1.acquisition.json" .adopted.found.acquiry_date_stored)"
check_eq "encase6: printed as recorded" 1 "$(grep -c "^  acquired   $d (" "$T/ny.out")"

# --- EnCase 2: header only, the acquiring machine's wall clock, no zone -----------
mkdir -p "$T/e2"
TZ=Asia/Tokyo ewfacquire -u -q -f encase2 -t "$T/e2/card" "$T/card.img" >"$T/e2.log" 2>&1
check_eq "ewfacquire encase2: exit 0" 0 $?
adopt ny2 America/New_York --in-place "$T/e2/card.E01" "$T/c3"
adopt utc2 UTC --in-place "$T/e2/card.E01" "$T/c4"
d=$(jf "$T/c3/E1.acquisition.json" .adopted.found.acquiry_date)
check_eq "encase2: a wall clock without a zone (no Z)" 1 "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$' <<<"$d")"
check_eq "encase2: the same under New York and under UTC" "$d" \
	"$(jf "$T/c4/E1.acquisition.json" .adopted.found.acquiry_date)"
check_eq "encase2: the wall clock of the acquiring machine (Tokyo)" 1 "$(near "$d" Asia/Tokyo)"
check_eq "encase2: the basis is said" "local, zone not stated" "$(jf "$T/c3/E1.acquisition.json" .adopted.found.acquiry_date_basis)"
check_eq "encase2: the stored text is kept" "$(date -d "$d" '+%Y %m %d %H %M %S')" \
	"$(jf "$T/c3/E1.acquisition.json" .adopted.found.acquiry_date_stored)"
check_eq "encase2: printed with what it is" 1 \
	"$(grep -c "^  acquired   $d (the acquiring machine's clock; the E01 states no time zone)$" "$T/ny2.out")"
done_testing
