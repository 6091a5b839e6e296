#!/usr/bin/env bash
# cardtrail extract on a card with two filesystems (FAT16 and exFAT, built
# by tests/tools/gen-cardimg), in an MBR and in a GPT: every file under its
# partition (p1/…, p2/…: the same path on both is two members, not "~2"),
# each manifest entry with its volume, flight data carved from the space
# outside the partitions (before the first, between, after the last), and
# exFAT times converted with the UTC offset stored beside them.
. "$CT_TOP"/tests/e2e/lib.sh
CT_FULL_STACKS=1
. "$CT_TOP"/tests/e2e/extract-lib.sh

PATH=$PATH:/usr/sbin:/sbin
for t in sfdisk jq sha256sum tar; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs fdisk, jq)"
done
fx=$CT_TOP/fixtures/flight
MiB=1048576
gen -t fat16 -s 1 --files 2 -o "$T/p1.img"
gen -t exfat -s 2 --files 2 --tz 120 -o "$T/p2.img"
# where the carved ULogs go: inside the MBR gap, between, after
U0=$((64 * 1024)) U1=$((9 * MiB + 4096)) U2=$((18 * MiB + 8192))

for label in dos gpt; do
	img=$T/two-$label.img
	rm -f "$img"
	truncate -s $((20 * MiB)) "$img"
	if [ $label = dos ]; then
		printf 'label: dos\nstart=2048, size=16384, type=6\nstart=20480, size=16384, type=7\n' |
			sfdisk -q "$img" >/dev/null
	else
		printf 'label: gpt\nstart=2048, size=16384, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\nstart=20480, size=16384, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n' |
			sfdisk -q "$img" >/dev/null
	fi
	check_eq "$label: partition table written" 0 $?
	dd if="$T/p1.img" of="$img" bs=1M seek=1 conv=notrunc status=none
	dd if="$T/p2.img" of="$img" bs=1M seek=10 conv=notrunc status=none
	for u in $U0 $U1 $U2; do
		dd if="$fx/gen.ulg" of="$img" bs=512 seek=$((u / 512)) conv=notrunc status=none
	done

	ct ex-$label extract "$img" "$T/out-$label"
	check_eq "$label: extract exits 0" 0 "$RC"
	U=$T/u-$label
	unpack "$T/out-$label/two-$label.img.evidence.tar" "$U"
	check_eq "$label: bundle unpacks and verifies" 0 $?
	check_eq "$label: MANIFEST lists both volumes (partition, table, offset, type)" \
		"1 $label 1048576 fat16|2 $label 10485760 exfat" \
		"$(mj "$U" '[.volumes[] | "\(.partition) \(.partition_table) \(.offset) \(.fs_type)"] | join("|")')"
	check_eq "$label: the same path on both partitions: two members under p1/ and p2/" \
		"p1/files/DCIM/100MEDIA/DJI_0001.SRT|p2/files/DCIM/100MEDIA/DJI_0001.SRT" \
		"$(mj "$U" '[.files[] | select(.path == "DCIM/100MEDIA/DJI_0001.SRT") | .bundle_path] | sort | join("|")')"
	check_eq "$label: no member renamed with ~N" "" "$(tar tf "$T/out-$label/two-$label.img.evidence.tar" | grep '~')"
	check_eq "$label: every walked file names its partition, offset and type" "" \
		"$(mj "$U" '.files[] | select(.state != "carved") |
			select((.bundle_path | startswith("p\(.volume.partition)/")) | not or .volume.offset == null or .volume.fs_type == null) | .path')"
	check_eq "$label: files carry their volume's filesystem" "fat16 fat16 exfat exfat" \
		"$(mj "$U" '[.files[] | select(.state != "carved") | .volume.fs_type] | join(" ")')"
	check_eq "$label: the ULogs outside the partitions are carved" "$U0 $U1 $U2" \
		"$(mj "$U" '[.files[] | select(.state == "carved" and .parser == "ulog" and .points == 40) | .source_offset] | sort | map(tostring) | join(" ")')"
	check_eq "$label: the carved ULog before the first partition has gen.ulg's bytes" "$(sum "$fx/gen.ulg")" \
		"$(head -c 4209 "$U/carved/$U0.ulg" | sha256sum | cut -d' ' -f1)"
	# exFAT: modified time stored as 09:13:40.50 with +02:00: 07:13:40.50 UTC;
	# the created time's offset is not stated: local, as stored
	check_eq "$label: exFAT modified time converted with its offset" \
		"2024-05-18T07:13:40.50Z|utc|+02:00" \
		"$(mj "$U" '.files[] | select(.bundle_path == "p2/files/DCIM/100MEDIA/DJI_0001.SRT") | .times | "\(.modified)|\(.modified_basis)|\(.modified_utc_offset)"')"
	check_eq "$label: exFAT created time without an offset: local" "2024-05-18T09:13:40.50|local" \
		"$(mj "$U" '.files[] | select(.bundle_path == "p2/files/DCIM/100MEDIA/DJI_0001.SRT") | .times | "\(.created)|\(.created_basis)"')"
	check_eq "$label: FAT16 times: local, access a date" "2024-05-18T09:13:40|local|2024-05-18" \
		"$(mj "$U" '.files[] | select(.bundle_path == "p1/files/DCIM/100MEDIA/DJI_0001.SRT") | .times | "\(.modified)|\(.modified_basis)|\(.accessed)"')"
	check_eq "$label: tracks name the partition's member" 2 \
		"$(grep -l ',p2/files/DCIM/100MEDIA/' "$U"/tracks/*.csv | wc -l)"
done

# The GPT card under LeakSanitizer without tests/lsan.supp: libtsk leaks,
# and every leak is the one the suppression names (the DOS probe's volume
# system, allocated under tsk_vs_dos_open: its table, tsk_vs_part_add,
# tsk_vs_part_unused), so that the suppression hides nothing else.  (The
# walk's child's whole report: its stderr is read to the end.)  Only in the sanitized build.
if ldd "$CARDTRAIL" 2>/dev/null | grep -q libasan; then
	ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0" LSAN_OPTIONS=print_suppressions=0 \
		timeout -k 5 120 "$CARDTRAIL" extract "$T/two-gpt.img" "$T/out-leak" >"$T/leak.out" 2>"$T/leak.err"
	blocks=$(grep -c '^\(Direct\|Indirect\) leak of' "$T/leak.err")
	others=$(awk '/^(Direct|Indirect) leak of/ { if (b) n += !ok; b = 1; ok = 0; prev = ""; next }
		b && / in tsk_vs_dos_open / { ok = 1 }
		END { if (b) n += !ok; print n + 0 }' "$T/leak.err")
	if [ "$blocks" -gt 0 ]; then ok "gpt without tests/lsan.supp: libtsk leaks ($blocks reports)"; else
		not_ok "gpt without tests/lsan.supp: libtsk leaks (none reported: is the suppression still needed?)"; fi
	check_eq "gpt without tests/lsan.supp: every leak is under tsk_vs_dos_open" 0 "$others"
	ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0" \
		LSAN_OPTIONS="suppressions=$CT_TOP/tests/lsan.supp:print_suppressions=1" \
		timeout -k 5 120 "$CARDTRAIL" extract "$T/two-gpt.img" "$T/out-leak2" >"$T/leak2.out" 2>"$T/leak2.err"
	rc=$?
	check_eq "gpt with tests/lsan.supp: exit 0, no leak report" "0|0" \
		"$rc|$(grep -c 'ERROR: LeakSanitizer' "$T/leak2.err")"
	check_eq "gpt with tests/lsan.supp: the only suppression used is tsk_vs_dos_open" "tsk_vs_dos_open" \
		"$(awk '/^  count +bytes template/ { t = 1; next } t && NF == 3 { print $3 }' "$T/leak2.err" | sort -u | xargs)"
else
	skip "gpt: the libtsk leak and its suppression" "not a sanitized build"
fi

done_testing
