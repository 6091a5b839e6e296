#!/usr/bin/env bash
# t0460-image-source-kind: `image` of an E01 file says it is one and points
# to `adopt` (the container is imaged as bytes only with
# --container-as-bytes); a case folder given with a trailing slash gives
# paths without a double slash.
. "$CT_TOP/tests/e2e/lib.sh"
for t in ewfacquire jq; do
	command -v $t >/dev/null || skip_all "$t not installed (ewf-tools, jq)"
done
export CARDTRAIL_EXAMINER=alice
unset CARDTRAIL_SIGN_KEY

gen_bytes kind $((2 << 20)) >"$T/card.img"
mkdir -p "$T/ewf"
ewfacquire -u -q -t "$T/ewf/card9" "$T/card.img" >"$T/ewf.log" 2>&1
check_eq "ewfacquire: exit 0" 0 $?

# ---- an E01 given to image: refused, nothing made -----------------------------
"$CARDTRAIL" image --progress none "$T/ewf/card9.E01" "$T/c1" >"$T/e1.out" 2>"$T/e1.err"
check_eq "image of an E01: exit 1" 1 $?
check_eq "image of an E01: says so and points to adopt" \
	"cardtrail: '$T/ewf/card9.E01' is an E01 (Expert Witness) image, not a card: bring it into the case with 'cardtrail adopt $T/ewf/card9.E01 $T/c1' (--container-as-bytes images the E01 file itself, as bytes)" \
	"$(cat "$T/e1.err")"
check_eq "image of an E01: no case folder made" 0 "$(ls -d "$T/c1" 2>/dev/null | wc -l)"
# the signature at offset 0 decides, not the name
cp "$T/ewf/card9.E01" "$T/evidence.bin"
"$CARDTRAIL" image --progress none "$T/evidence.bin" "$T/c2" >/dev/null 2>"$T/e2.err"
check_eq "an E01 named .bin: exit 1" 1 $?
check_eq "an E01 named .bin: said to be an E01" 1 "$(grep -c "is an E01 (Expert Witness) image" "$T/e2.err")"
# asked for: the container's bytes
"$CARDTRAIL" image --container-as-bytes --progress none "$T/ewf/card9.E01" "$T/c3" >"$T/e3.out" 2>&1
check_eq "--container-as-bytes: exit 0" 0 $?
check_eq "--container-as-bytes: E1.raw is the E01 file" "" "$(cmp "$T/c3/E1.raw" "$T/ewf/card9.E01" 2>&1)"
check_eq "--container-as-bytes: recorded as asked" true \
	"$(jf "$T/c3/E1.acquisition.json" .options.container_as_bytes)"
# a raw card image is not affected
"$CARDTRAIL" image --progress none "$T/card.img" "$T/c4" >/dev/null 2>&1
check_eq "a raw file: exit 0" 0 $?

# ---- a trailing slash on the case folder: no double slash ----------------------
"$CARDTRAIL" image --progress none "$T/card.img" "$T/case17/" >"$T/s1.out" 2>&1
check_eq "image into case17/: exit 0" 0 $?
"$CARDTRAIL" note "$T/case17/" "sealed" >>"$T/s1.out" 2>&1
"$CARDTRAIL" log "$T/case17/" >>"$T/s1.out" 2>&1
"$CARDTRAIL" verify "$T/case17/" >>"$T/s1.out" 2>&1
check_eq "the record path printed without a double slash" 1 \
	"$(grep -c "^  record     $T/case17/E1.acquisition.json$" "$T/s1.out")"
check_eq "no double slash anywhere in what was printed" 0 "$(grep -c '//' "$T/s1.out")"
check_eq "no double slash in the case's files" 0 "$(cat "$T/case17"/*.json "$T/case17/custody.log" | grep -c "$T/case17//")"
done_testing
