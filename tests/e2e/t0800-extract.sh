#!/usr/bin/env bash
# cardtrail extract on the flight cards of fixtures/mkflightcard.sh (FAT32,
# without and with an MBR): every file with its bytes, the deleted ULog and
# SRT, the ULog only carving finds, tracks, flights.json, the golden summary,
# the custody record, bare image mode, a second bundle, a corrupt image
# (exit 3, --force), usage errors.
. "$CT_TOP"/tests/e2e/lib.sh

PATH=$PATH:/usr/sbin:/sbin
for t in mkfs.fat mcopy mdir mtype mshowfat sfdisk jq sha256sum tar; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs dosfstools, mtools, fdisk, jq)"
done
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null CARDTRAIL_EXAMINER=tester
unset CARDTRAIL_SIGN_KEY
# libtsk leaks in its image-format probes (aff/vhdi/vmdk) when asked to
# detect the image type: not ours, see the report; nothing else is suppressed.
printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n' >"$T/lsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"

fx=$CT_TOP/fixtures/flight
sum() { sha256sum <"$1" | cut -d' ' -f1; }

# ct NAME ARGS...: run cardtrail, stdout/stderr in $T/NAME.out/.err, status in RC;
# a sanitizer report is a failure of its own.
ct() {
	local n=$1; shift
	"$CARDTRAIL" "$@" >"$T/$n.out" 2>"$T/$n.err"
	RC=$?
	if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/$n.err"; then
		not_ok "$n: sanitizer report"; head -n 30 "$T/$n.err" | sed 's/^/#   /'
	fi
}

for v in superfloppy mbr; do
	"$CT_TOP/fixtures/mkflightcard.sh" "$T" $v >/dev/null 2>"$T/mk.err" ||
		{ not_ok "mkflightcard.sh $v"; sed 's/^/#   /' "$T/mk.err"; done_testing; exit; }
done
ok "mkflightcard.sh builds both cards"
# the generator is reproducible
"$CT_TOP/fixtures/mkflightcard.sh" "$T/again" superfloppy >/dev/null 2>&1
check_eq "mkflightcard.sh: same bytes on a second run" "$(sum "$T/flightcard-superfloppy.img")" \
	"$(sum "$T/again/flightcard-superfloppy.img")"
rm -rf "$T/again"

# expected tracks: bundle path -> points (tests/unit/test_parse_*.c)
declare -A PTS=(
	[files/DCIM/100MEDIA/DJI_0001.JPG]=1 [files/DCIM/100MEDIA/DJI_0002.JPG]=1
	[files/DCIM/100MEDIA/DJI_0001.SRT]=10 [files/DCIM/100MEDIA/DJI_0002.SRT]=9
	[deleted/DCIM/100MEDIA/_JI_0003.SRT]=10 [files/DCIM/100MEDIA/DJI_0004.SRT]=10
	[files/DCIM/100MEDIA/DJI_0005.SRT]=10 [files/APM/LOGS/00000012.BIN]=40
	[deleted/log/_9_12_33.ulg]=40
	['files/FlightRecord/DJIFlightRecord_2016-09-15_[13-51-18].txt']=30
	['files/FlightRecord/DJIFlightRecord_2016-09-15_[11-02-07].txt']=30
)
HDR='time,time_basis,lat,lon,alt_m,alt_ref,source,offset'

for v in superfloppy mbr; do
	img=$T/flightcard-$v.img
	if [ $v = mbr ]; then mi="$img@@1M"; base=1048576; else mi=$img; base=0; fi
	C=$T/case-$v U=$T/u-$v
	"$CARDTRAIL" image --progress none "$img" "$C" >"$T/img.out" 2>&1
	check_eq "$v: image exits 0" 0 $?
	ct ex-$v extract "$C" E1
	check_eq "$v: extract exits 0" 0 "$RC"
	[ "$RC" -eq 0 ] || sed 's/^/#   /' "$T/ex-$v.err"
	tarf=$C/E1.evidence.tar
	check_eq "$v: bundle is CASE/E1.evidence.tar" "bundle     $tarf" "$(head -n 1 "$T/ex-$v.out")"
	mkdir -p "$U"
	if tar -x --no-same-owner -f "$tarf" -C "$U" 2>"$T/tar.err"; then ok "$v: bundle unpacks"; else
		not_ok "$v: bundle unpacks"; sed 's/^/#   /' "$T/tar.err"; fi
	if (cd "$U" && sha256sum -c --quiet SHA256SUMS) >"$T/sums.out" 2>&1; then ok "$v: sha256sum -c SHA256SUMS"; else
		not_ok "$v: sha256sum -c SHA256SUMS"; sed 's/^/#   /' "$T/sums.out" | head; fi
	check_eq "$v: SHA256SUMS covers every member but itself" \
		"$(tar tf "$tarf" | grep -vx SHA256SUMS | sort)" "$(cut -c67- "$U/SHA256SUMS" | sort)"
	M=$U/MANIFEST.json F=$U/flights.json

	# every allocated file of the card, byte for byte (mtools reads the image;
	# one recursive copy: mtools takes [..] in names for wildcards)
	rm -rf "$T/card" && mkdir "$T/card"
	mcopy -s -n -i "$mi" '::*' "$T/card/" 2>/dev/null
	(cd "$T/card" && find . -type f | sed 's|^\./||' | sort) >"$T/card.ls"
	bad=""
	while IFS= read -r p; do
		cmp -s "$T/card/$p" "$U/files/$p" || bad+=" $p"
		[ "$(jf "$M" ".files[] | select(.path == \"$p\") | .state")" = allocated ] || bad+=" $p(state)"
		[ "$(jf "$M" ".files[] | select(.path == \"$p\") | .sha256")" = "$(sum "$T/card/$p")" ] || bad+=" $p(sha256)"
	done <"$T/card.ls"
	check_eq "$v: card has 12 files" 12 "$(wc -l <"$T/card.ls")"
	check_eq "$v: every card file in files/ with its bytes, state and sha256" "" "$bad"
	check_eq "$v: files/ holds exactly the card's files" "$(cat "$T/card.ls")" \
		"$(cd "$U/files" && find . -type f | sed 's|^\./||' | sort)"
	# FAT keeps local wall-clock times without a zone: as stored, basis
	# local; the access time is a date, nothing more
	check_eq "$v: times of DJI_0001.JPG as stored, basis local, access a date" \
		"2024-05-18T09:13:40|local|2024-05-18|local" \
		"$(jf "$M" '.files[] | select(.path == "DCIM/100MEDIA/DJI_0001.JPG") | .times |
			"\(.modified)|\(.modified_basis)|\(.accessed)|\(.accessed_basis)"')"
	check_eq "$v: every time in MANIFEST states its basis" "" \
		"$(jf "$M" '.files[] | select(.times) | .times as $t | ["modified", "accessed", "created"][] |
			select($t[.] != null and ($t[. + "_basis"] | IN("local", "utc") | not)) | .')"
	check_eq "$v: no access time with a made-up time of day" 0 \
		"$(jf "$M" '[.files[] | select(.times.accessed // "" | test("T"))] | length')"
	check_eq "$v: every volume in MANIFEST, one FAT32" \
		"1|fat32|$base|$([ $v = mbr ] && echo 1 || echo null)" \
		"$(jf "$M" '"\(.volumes | length)|\(.volumes[0].fs_type)|\(.volumes[0].offset)|\(.volumes[0].partition)"')"
	check_eq "$v: every walked file names its volume" "" \
		"$(jf "$M" '.files[] | select(.state != "carved") | select(.volume.fs_type != "fat32") | .path')"
	[ $v = mbr ] && check_eq "mbr: one partition: bundle paths without a partition prefix" 0 \
		"$(jf "$M" '[.files[] | select(.bundle_path | test("^p[0-9]"))] | length')"
	check_eq "$v: source offset of DJI_0001.JPG is where its bytes are" "$(sum "$fx/DJI_0001.JPG")" \
		"$(dd if="$img" bs=1 skip="$(jf "$M" '.files[] | select(.path == "DCIM/100MEDIA/DJI_0001.JPG") | .source_offset')" \
			count=1861 status=none | sha256sum | cut -d' ' -f1)"

	# deleted
	for d in "DCIM/100MEDIA/_JI_0003.SRT gen-single-line.SRT" "log/_9_12_33.ulg gen.ulg"; do
		set -- $d
		cmp -s "$fx/$2" "$U/deleted/$1"
		check_eq "$v: deleted/$1 has the bytes of $2" 0 $?
		check_eq "$v: $1 state, content" "deleted|plausibly complete: its clusters are still free" \
			"$(jf "$M" ".files[] | select(.path == \"$1\") | \"\(.state)|\(.content)\"")"
	done
	check_eq "$v: two deleted files" 2 "$(jf "$M" '[.files[] | select(.state == "deleted")] | length')"

	# carved: the ULog nothing points at any more
	carved=$(cd "$U" && ls carved 2>/dev/null)
	check_eq "$v: one carved file, a .ulg" "1 ulg" "$(printf '%s\n' $carved | grep -c .) ${carved##*.}"
	off=${carved%%.*}
	check_eq "$v: carved offset = image offset of the old ULog" "$(sum "$fx/gen.ulg")" \
		"$(dd if="$img" bs=512 skip=$(( ${off:-0} / 512 )) count=9 status=none | head -c 4209 | sha256sum | cut -d' ' -f1)"
	check_eq "$v: carved ULog starts with all of gen.ulg" "$(sum "$fx/gen.ulg")" \
		"$(head -c 4209 "$U/carved/$carved" 2>/dev/null | sha256sum | cut -d' ' -f1)"
	check_eq "$v: carved: runs to the next file (9 sectors)" 4608 "$(stat -c %s "$U/carved/$carved" 2>/dev/null)"
	check_eq "$v: carved in MANIFEST: state, offset, parser, points" "carved|$off|ulog|40" \
		"$(jf "$M" ".files[] | select(.bundle_path == \"carved/$carved\") | \"\(.state)|\(.source_offset)|\(.parser)|\(.points)\"")"
	[ $v = superfloppy ] && sf_off=$off
	[ $v = mbr ] && check_eq "mbr: carved offset is the superfloppy's + 1 MiB" $(( sf_off + base )) "$off"
	[ -n "${prev_carved:-}" ] && unset "PTS[carved/$prev_carved]"
	PTS[carved/$carved]=40
	prev_carved=$carved

	# tracks
	bad="" n=0
	# a track is named tracks/NNNN_<file name>; find each by its source column
	for b in "${!PTS[@]}"; do
		t=$(track_of "$U" "$b")
		[ "$(head -n 1 "$t.csv" 2>/dev/null)" = "$HDR" ] || bad+=" $b(header)"
		[ "$(( $(wc -l <"$t.csv" 2>/dev/null || echo 0) - 1 ))" = "${PTS[$b]}" ] || bad+=" $b(rows)"
		for e in geojson kml gpx; do [ -s "$t.$e" ] || bad+=" $b($e)"; done
		jq -e . "$t.geojson" >/dev/null 2>&1 || bad+=" $b(geojson json)"
		n=$((n + 1))
	done
	check_eq "$v: a track per point source, header exact, rows = points" "" "$bad"
	check_eq "$v: no other tracks" $((n * 4)) "$(ls "$U/tracks" | wc -l)"
	check_eq "$v: tracks: source column names the bundle member" "files/APM/LOGS/00000012.BIN,1" \
		"$(sed -n 2p "$(track_of "$U" files/APM/LOGS/00000012.BIN).csv" | cut -d, -f7- | sed 's/,[0-9]*$/,1/')"
	check_eq "$v: track names are numbered and short" "" \
		"$(ls "$U/tracks" | grep -Ev '^[0-9]{4}_[^/]{1,100}\.(csv|geojson|kml|gpx)$')"

	# flights.json
	check_eq "$v: flights.json: one entry per track source" "$n" "$(jf "$F" '[.[] | select(.points > 0)] | length')"
	bad=""
	for b in "${!PTS[@]}"; do
		[ "$(jf "$F" ".[] | select(.file == \"$b\") | .points")" = "${PTS[$b]}" ] || bad+=" $b"
	done
	check_eq "$v: flights.json points per file" "" "$bad"
	q() { jf "$F" ".[] | select(.file == \"$1\") | $2"; }
	v7='files/FlightRecord/DJIFlightRecord_2016-09-15_[13-51-18].txt'
	v4='files/FlightRecord/DJIFlightRecord_2016-09-15_[11-02-07].txt'
	check_eq "$v: v7 TXT identity" 'dji-txt|allocated|03ZGEN0007|CAMGEN0007|RCGEN00007|BATGEN0007|Phantom3Standard|gen-v7 <script>"' \
		"$(q "$v7" '"\(.format)|\(.state)|\(.identity.aircraft_serial)|\(.identity.camera_serial)|\(.identity.rc_serial)|\(.identity.battery_serial)|\(.identity.model)|\(.identity.name)"')"
	check_eq "$v: v4 TXT identity" 'dji-txt|03ZGEN0004|Phantom3Pro|gen-v4' \
		"$(q "$v4" '"\(.format)|\(.identity.aircraft_serial)|\(.identity.model)|\(.identity.name)"')"
	check_eq "$v: v7 TXT home" "51.5 -0.12" "$(q "$v7" '"\(.home.lat) \(.home.lon)"')"
	check_eq "$v: DJI_0001.JPG identity and fix" 'jpeg|CTTEST0001AIR|CTTEST0001CAM|2024-05-18T09:13:40.500000Z|47.39765' \
		"$(q files/DCIM/100MEDIA/DJI_0001.JPG '"\(.format)|\(.identity.aircraft_serial)|\(.identity.camera_serial)|\(.first.time)|\(.first.lat)"')"
	check_eq "$v: DJI_0002.JPG identity, XMP warning" 'CTTEST0002AIR|CTTEST0002CAM|1' \
		"$(q files/DCIM/100MEDIA/DJI_0002.JPG '"\(.identity.aircraft_serial)|\(.identity.camera_serial)|\(.warnings | length)"')"
	check_eq "$v: deleted ULog: state, format, firmware, first fix" \
		'deleted|ulog|v1.14.3 (7eb9055861e0a8b31e86cdcf75b7a4adc7c518c6)|2023-10-27T21:08:09.000000Z' \
		"$(q deleted/log/_9_12_33.ulg '"\(.state)|\(.format)|\(.identity.firmware)|\(.first.time)"')"
	check_eq "$v: deleted SRT: state, format, boot time basis" 'deleted|dji-srt|boot' \
		"$(q deleted/DCIM/100MEDIA/_JI_0003.SRT '"\(.state)|\(.format)|\(.first.time_basis)"')"
	check_eq "$v: carved ULog: state, format" 'carved|ulog' "$(q "carved/$carved" '"\(.state)|\(.format)"')"
	check_eq "$v: DataFlash: format, firmware" 'dataflash|ArduCopter V4.5.7 (2a3dc4b7)' \
		"$(q files/APM/LOGS/00000012.BIN '"\(.format)|\(.identity.firmware)"')"
	# NOGPS.JPG: no position, but its camera facts (the jpeg parser returns 1:
	# "nothing for a track, facts kept")
	check_eq "$v: NOGPS.JPG in flights.json with its model (facts, no track)" 'jpeg|0|DJI FC3411' \
		"$(q files/DCIM/100MEDIA/NOGPS.JPG '"\(.format)|\(.points)|\(.identity.model)"')"
	check_eq "$v: NOGPS.JPG parser in MANIFEST" jpeg \
		"$(jf "$M" '.files[] | select(.path == "DCIM/100MEDIA/NOGPS.JPG") | .parser')"

	# the image, the record
	check_eq "$v: MANIFEST image: sha256, verified, not forced" "$(sum "$img")|true|false" \
		"$(jf "$M" '"\(.image.sha256)|\(.image.verified_against_record)|\(.image.forced)"')"
	"$CARDTRAIL" verify "$C" >"$T/verify.out" 2>&1
	check_eq "$v: verify after extract exits 0" 0 $?
	rec=$(tail -n 1 "$C/custody.log")
	check_eq "$v: custody record: extract, image sha256 in, bundle sha256 out" \
		"extract|E1|$(sum "$img")|true|E1.evidence.tar|$(sum "$tarf")|evidence-bundle" \
		"$(jq -r '"\(.action)|\(.inputs[0].path)|\(.inputs[0].sha256)|\(.inputs[0].verified)|\(.outputs[0].path)|\(.outputs[0].sha256)|\(.outputs[0].role)"' <<<"$rec")"
	check_eq "$v: custody record: counts" '15|12|2|1|12|231|false' \
		"$(jq -r '.result | "\(.files)|\(.allocated)|\(.deleted)|\(.carved)|\(.flights)|\(.points)|\(.forced)"' <<<"$rec")"

	# the golden summary (bundle path, custody seq and carving speed filtered)
	# (the MBR card's free space has the 1 MiB before its partition too)
	check_eq "$v: carving scans the free space and the space outside the partition" \
		"$([ $v = mbr ] && echo 64.0 || echo 63.0) MiB" \
		"$(sed -n 's/^carving    \(.*\) of free space.*/\1/p' "$T/ex-$v.out")"
	sed -e "s|$T/case-$v|CASE|g" -e 's/custody    record [0-9]*/custody    record N/' \
		-e 's/scanned in .*/scanned in S/' -e "s|carved/$off\.|carved/$sf_off.|" \
		-e 's/^carving    .* of free space/carving    F of free space/' \
		"$T/ex-$v.out" >"$T/summary-$v.txt"
	check_file "$v: summary matches tests/golden/extract-summary.txt" \
		"$CT_TOP/tests/golden/extract-summary.txt" "$T/summary-$v.txt"
done

# a second extract: a new bundle, the first untouched
C=$T/case-superfloppy
first=$(sum "$C/E1.evidence.tar")
ct ex2 extract --no-carve "$C" E1
check_eq "second extract exits 0" 0 "$RC"
check_eq "second extract writes E1.evidence-2.tar" "bundle     $C/E1.evidence-2.tar" "$(head -n 1 "$T/ex2.out")"
check_eq "first bundle untouched" "$first" "$(sum "$C/E1.evidence.tar")"
check_eq "--no-carve: nothing carved" 0 "$(tar tf "$C/E1.evidence-2.tar" | grep -c '^carved/')"
check_eq "custody: second record names E1.evidence-2.tar" "E1.evidence-2.tar|$(sum "$C/E1.evidence-2.tar")" \
	"$(tail -n 1 "$C/custody.log" | jq -r '"\(.outputs[0].path)|\(.outputs[0].sha256)"')"

# bare image mode
ct bare extract "$T/flightcard-superfloppy.img" "$T/out"
check_eq "bare image: exits 0" 0 "$RC"
check_eq "bare image: OUTDIR/<imgname>.evidence.tar" "bundle     $T/out/flightcard-superfloppy.img.evidence.tar" \
	"$(head -n 1 "$T/bare.out")"
check_eq "bare image: no custody line" 0 "$(grep -c '^custody' "$T/bare.out")"
mkdir "$T/ub" && tar -x -f "$T/out/flightcard-superfloppy.img.evidence.tar" -C "$T/ub" 2>/dev/null
(cd "$T/ub" && sha256sum -c --quiet SHA256SUMS >/dev/null 2>&1)
check_eq "bare image: sha256sum -c" 0 $?
check_eq "bare image: same files as from the case" \
	"$(cd "$T/u-superfloppy" && find files deleted carved -type f -exec sha256sum {} + | sort)" \
	"$(cd "$T/ub" && find files deleted carved -type f -exec sha256sum {} + | sort)"
check_eq "bare image: MANIFEST image not verified against a record" "false|null" \
	"$(jf "$T/ub/MANIFEST.json" '"\(.image.verified_against_record)|\(.image.evidence)"')"

# a corrupt image: exit 3, nothing written; --force: written and recorded
off=$(jf "$T/u-superfloppy/MANIFEST.json" '.files[] | select(.path == "DCIM/100MEDIA/DJI_0001.SRT") | .source_offset')
printf 'X' | dd of="$C/E1.raw" bs=1 seek=$(( off + 100 )) conv=notrunc status=none
nrec=$(wc -l <"$C/custody.log")
ct bad extract "$C" E1
check_eq "corrupt image: exit 3" 3 "$RC"
grep -q 'does not match' "$T/bad.err"
check_eq "corrupt image: says the image does not match its record" 0 $?
check_eq "corrupt image: no new bundle" "E1.evidence-2.tar E1.evidence.tar" "$(cd "$C" && echo *.tar)"
check_eq "corrupt image: no custody record" "$nrec" "$(wc -l <"$C/custody.log")"
ct force extract --force "$C" E1
check_eq "--force: exit 0" 0 "$RC"
check_eq "--force: E1.evidence-3.tar" "bundle     $C/E1.evidence-3.tar" "$(head -n 1 "$T/force.out")"
grep -q 'WARNING.*NOT match' "$T/force.out"
check_eq "--force: the summary warns" 0 $?
mkdir "$T/uf" && tar -x -f "$C/E1.evidence-3.tar" -C "$T/uf" 2>/dev/null
check_eq "--force: MANIFEST image forced, not verified" "true|false" \
	"$(jf "$T/uf/MANIFEST.json" '"\(.image.forced)|\(.image.verified_against_record)"')"
check_eq "--force: flights still there" 12 "$(jf "$T/uf/flights.json" '[.[] | select(.points > 0)] | length')"
check_eq "--force: the custody record says so" "true|false" \
	"$(tail -n 1 "$C/custody.log" | jq -r '"\(.result.forced)|\(.inputs[0].verified)"')"

# usage and failures
ct u0 extract
check_eq "no arguments: exit 2" 2 "$RC"
ct u1 extract --bogus "$C" E1
check_eq "unknown option: exit 2" 2 "$RC"
ct u2 extract "$C"
check_eq "one argument: exit 2" 2 "$RC"
ct e9 extract "$C" E9
check_eq "missing evidence id: exit 1" 1 "$RC"
grep -q 'no acquisition record.*E9' "$T/e9.err"
check_eq "missing evidence id: clear message" 0 $?
ct nofile extract "$T/nonexistent.img" "$T/o2"
check_eq "missing image: exit 1" 1 "$RC"
gen_bytes t0800-random $((4 * 1024 * 1024)) >"$T/random.img"
ct rnd extract "$T/random.img" "$T/o3"
check_eq "random bytes: exit 1" 1 "$RC"
grep -q 'no FAT or exFAT filesystem' "$T/rnd.err"
check_eq "random bytes: 'no FAT or exFAT filesystem'" 0 $?
check_eq "random bytes: no bundle left behind" "" "$(ls "$T/o3" 2>/dev/null)"

done_testing
