#!/usr/bin/env bash
# A case folder that is too small: refused before anything is written; a
# disk that fills up during the run: exit 1, an incomplete record, and the
# bytes already written intact.
. "$CT_TOP/tests/e2e/lib.sh"
need_root
mkdir "$T/small"
mount -t tmpfs -o size=8M tmpfs "$T/small" 2>/dev/null || skip_all "cannot mount tmpfs"
at_exit "umount '$T/small'"
gen_bytes full $((16 << 20)) >"$T/card.bin"

"$CARDTRAIL" image --progress none "$T/card.bin" "$T/small/case" >/dev/null 2>"$T/err"
check_eq "too small: exit 1" 1 $?
check_eq "too small: clear message" 1 "$(grep -c "not enough space in '$T/small/case'" "$T/err")"
check_eq "too small: nothing written" no "$([ -e "$T/small/case" ] && echo yes || echo no)"

"$CARDTRAIL" image --no-space-check --hash md5 --progress none "$T/card.bin" "$T/small/case" >/dev/null 2>"$T/err"
check_eq "disk full during the run: exit 1" 1 $?
check_eq "disk full: message names the file and the error" 1 "$(grep -c "cannot write '$T/small/case/E1.raw' at offset [0-9]* (offset [0-9]* of the source): No space left on device" "$T/err")"
rec=$T/small/case/E1.acquisition.json
check_eq "record exists and is valid JSON" 0 "$(jq -e . "$rec" >/dev/null 2>&1; echo $?)"
check_eq "record: complete false" false "$(jf "$rec" .complete)"
check_eq "record: status failed" failed "$(jf "$rec" .status)"
check_eq "record: no hashes claimed" null "$(jf "$rec" .hashes)"
n=$(stat -c %s "$T/small/case/E1.raw")
check_eq "something was written" 1 "$([ "$n" -gt 0 ] && echo 1 || echo 0)"
check_eq "what was written equals the source" "" "$(head -c "$n" "$T/card.bin" | cmp - "$T/small/case/E1.raw" 2>&1)"
vouched=0
while read -r pos size st; do
	[ "$st" = + ] && vouched=$((vouched + size))
done < <(grep -v '^#' "$T/small/case/E1.map" | awk 'NF == 3')
check_eq "mapfile vouches for no more than was written" 1 "$([ "$vouched" -le "$n" ] && echo 1 || echo 0)"

# The same with an E01: libewf's write fails, what was written stays, the
# record says so, and nothing claims a complete image.
rm -rf "$T/small/case"
"$CARDTRAIL" image --format e01 --no-space-check --hash md5 --progress none "$T/card.bin" "$T/small/case-e01" >/dev/null 2>"$T/err"
check_eq "E01, disk full during the run: exit 1" 1 $?
check_eq "E01, disk full: message names the files and the error" 1 \
	"$(grep -c "cannot write '$T/small/case-e01/E1.E01' (at offset [0-9]* of the source): .*No space left on device" "$T/err")"
rec=$T/small/case-e01/E1.acquisition.json
check_eq "E01, disk full: record exists and is valid JSON" 0 "$(jq -e . "$rec" >/dev/null 2>&1; echo $?)"
check_eq "E01, disk full: record: complete false" false "$(jf "$rec" .complete)"
check_eq "E01, disk full: record: no hashes claimed" null "$(jf "$rec" .hashes)"
log=$T/small/case-e01/custody.log
check_eq "E01, disk full: no custody record claims an image" 0 \
	"$(if [ -s "$log" ]; then tail -n 1 "$log" | jq '[.outputs[] | select(.role == "image")] | length'; else echo 0; fi)"
done_testing
