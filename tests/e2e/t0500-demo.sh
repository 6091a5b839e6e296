#!/usr/bin/env bash
# The bundled demo card: fixtures/mkcard.sh regenerates it byte for byte, the
# committed .xz holds the same bytes, the FAT32 volume holds the expected
# files (and the deleted one), and `make demo` (fixtures/demo.sh) runs clean.
. "$CT_TOP"/tests/e2e/lib.sh

PATH=$PATH:/usr/sbin:/sbin
for t in sfdisk mkfs.fat mcopy mmd mdel mdir mtype openssl xz sha256sum; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not found (needs fdisk, dosfstools, mtools, openssl, xz-utils)"
done
export LC_ALL=C TZ=UTC MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null \
	MTOOLS_TWENTY_FOUR_HOUR_CLOCK=1 MTOOLS_DATE_STRING=yyyy-mm-dd

fx=$CT_TOP/fixtures
want=$(cut -d' ' -f1 "$fx/card-demo.img.sha256")
check_eq "card-demo.img.sha256 names card-demo.img" "card-demo.img" "$(cut -d' ' -f3 "$fx/card-demo.img.sha256")"

# 1. the generator is reproducible (into $T: the committed files stay untouched)
if "$fx/mkcard.sh" "$T/gen" >"$T/mkcard.out" 2>&1; then
	ok "mkcard.sh runs"
else
	not_ok "mkcard.sh runs"; sed 's/^/#   /' "$T/mkcard.out" | tail -n 20
fi
img=$T/gen/card-demo.img
check_eq "regenerated image has the committed sha256" "$want" "$(sha256sum <"$img" | cut -d' ' -f1)"
check_eq "mkcard.sh wrote the same .sha256 file" "$(cat "$fx/card-demo.img.sha256")" "$(cat "$T/gen/card-demo.img.sha256" 2>/dev/null)"
check_eq "regenerated .xz decompresses to it" "$want" "$(xz -dc "$T/gen/card-demo.img.xz" | sha256sum | cut -d' ' -f1)"

# 2. the committed compressed image holds the same bytes, and stays small
check_eq "committed card-demo.img.xz decompresses to the committed sha256" "$want" \
	"$(xz -dc "$fx/card-demo.img.xz" | sha256sum | cut -d' ' -f1)"
xzsize=$(stat -c %s "$fx/card-demo.img.xz")
if [ "$xzsize" -le 204800 ]; then ok "card-demo.img.xz is small ($xzsize bytes)"; else not_ok "card-demo.img.xz is $xzsize bytes (> 200 KiB)"; fi

# 3. the layout
check_eq "image is 64 MiB" 67108864 "$(stat -c %s "$img")"
check_eq "MBR: one FAT32 (0x0c) partition at 1 MiB" \
	"$img""1 : start=        2048, size=      129024, type=c" \
	"$(sfdisk -d "$img" 2>/dev/null | grep '^/\|start=')"
check_eq "volume label and id" "DJI_CARD   |0D1A2024" \
	"$(minfo -i "$img@@1M" 2>/dev/null | sed -n 's/^disk label="\(.*\)"$/\1/p')|$(minfo -i "$img@@1M" 2>/dev/null | sed -n 's/^serial number: //p')"
cat >"$T/want.ls" <<'EOF'
::/DCIM/
::/DCIM/100MEDIA/
::/DCIM/100MEDIA/DJI_0001.JPG
::/DCIM/100MEDIA/DJI_0002.SRT
::/DCIM/100MEDIA/DJI_0003.JPG
::/LOG/
::/MISC/
::/MISC/FILLER.BIN
EOF
mdir -/ -b -i "$img@@1M" :: 2>&1 | sort >"$T/have.ls"
check_file "mdir lists the expected files" "$T/want.ls" "$T/have.ls"
mdir -a -/ -b -i "$img@@1M" :: 2>&1 | sort >"$T/have-a.ls"
check_file "mdir -a lists the same (no hidden files)" "$T/want.ls" "$T/have-a.ls"
check_eq "mdir -a: DJI_0001.JPG size and time" "DJI_0001 JPG 234 2024-05-18 9:13" \
	"$(mdir -a -i "$img@@1M" ::/DCIM/100MEDIA 2>/dev/null | grep "^DJI_0001" | tr -s " " | sed "s/ *$//")"
check_eq "DJI_0001.JPG starts with a JPEG SOI and APP0" "ffd8ffe0" \
	"$(mtype -i "$img@@1M" ::/DCIM/100MEDIA/DJI_0001.JPG | head -c 4 | od -An -tx1 | tr -d ' \n')"
check_eq "DJI_0002.SRT has 5 frames with coordinates" 5 \
	"$(mtype -i "$img@@1M" ::/DCIM/100MEDIA/DJI_0002.SRT | grep -c '\[latitude: 47\.[0-9]*\] \[longitude: 8\.[0-9]*\]')"
check_eq "FILLER.BIN is 4096 bytes" 4096 "$(mtype -i "$img@@1M" ::/MISC/FILLER.BIN | wc -c)"

# 4. the deleted file: its entry starts with 0xE5 and its text is still there
check_eq "deleted DJI_0004.SRT entry (0xE5) in 100MEDIA" 1 \
	"$(grep -caUP '\xe5JI_0004SRT' "$img" || true)"
check_eq "deleted DJI_0004.SRT content remains in unallocated space" 1 \
	"$(grep -ca '\[latitude: 47\.398210\] \[longitude: 8\.546330\]' "$img" || true)"

# 5. `make demo` end to end, once cardtrail is built
if [ ! -x "$CARDTRAIL" ]; then
	skip "demo.sh images the card" "$CARDTRAIL not built"
else
	mkdir "$T/demo"
	# its work folder in $T: the loop device check below sees only this
	# run's, not one of a demo another checkout runs at the same time
	if (cd "$T/demo" && TMPDIR=$T "$fx/demo.sh" "$CARDTRAIL") >"$T/demo.out" 2>&1; then
		ok "demo.sh exits 0"
	else
		not_ok "demo.sh exits 0"; sed 's/^/#   /' "$T/demo.out" | tail -n 30
	fi
	check_eq "demo.sh reports matching sha256" 1 "$(grep -c "^sha256 matches sha256sum: $want " "$T/demo.out")"
	check_eq "demo.sh made one case folder" 1 "$(find "$T/demo" -mindepth 1 -maxdepth 1 -name 'demo-case-*' -type d | wc -l)"
	check_eq "demo.sh reproduces the evidence bundle from the image" 1 \
		"$(grep -c '^  E1.evidence.tar  *reproduced  *sha256 as recorded$' "$T/demo.out")"
	if [ "$(id -u)" -eq 0 ] && command -v losetup >/dev/null; then
		check_eq "demo.sh left no loop device behind" 0 "$(losetup -a 2>/dev/null | grep -cF "$T/cardtrail-demo." || true)"
	fi
fi

done_testing
