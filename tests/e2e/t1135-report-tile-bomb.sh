#!/usr/bin/env bash
# report --tiles with an MBTiles file whose PNG tiles declare 5000x5000
# pixels (a few KB each, 100 MB each once decoded): each tile's size is read
# from its header before it is decoded; tiles that are not 256 or 512
# pixels square are not drawn, a warning says how many, and the peak memory
# stays bounded (an attacker's review: 2.7 GB and 76 s before).
. "$CT_TOP/tests/e2e/lib.sh"
for t in python3 jq mkfs.fat mcopy; do
	command -v $t >/dev/null || skip_all "$t not installed"
done
[ -x /usr/bin/time ] || skip_all "/usr/bin/time not installed (peak RSS)"
export CARDTRAIL_EXAMINER="Lab Intake" MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
unset CARDTRAIL_SIGN_KEY
# the setup extracts (libtsk's probes leak, see t0800); the report's own
# libraries: tests/lsan.supp (fontconfig)
{ cat "$CT_TOP/tests/lsan.supp"; printf 'leak:aff_open\nleak:vhdi_open\nleak:vmdk_open\n'; } >"$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"

"$CT_TOP/fixtures/mkflightcard.sh" "$T" superfloppy >/dev/null 2>"$T/mk.err" ||
	{ not_ok "mkflightcard.sh superfloppy"; sed 's/^/#   /' "$T/mk.err"; done_testing; exit; }
C=$T/case
"$CARDTRAIL" image --progress none "$T/flightcard-superfloppy.img" "$C" >/dev/null 2>&1 &&
	"$CARDTRAIL" extract "$C" E1 >/dev/null 2>&1
check_eq "setup: image and extract" 0 $?

# mkbomb OUT SIZE FORMAT: every tile of zoom 0-3, one PNG of SIZE x SIZE
# transparent pixels (zlib makes 100 MB of zeros about 100 KB)
mkbomb() {
	python3 - "$@" <<'PY'
import sqlite3, struct, sys, zlib
out, w = sys.argv[1], int(sys.argv[2])
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
z = zlib.compressobj(9)
row = b'\0' * (1 + 4 * w)
data = b''.join(z.compress(row) for _ in range(w)) + z.flush()
png = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, w, 8, 6, 0, 0, 0)) +
       chunk(b'IDAT', data) + chunk(b'IEND', b''))
db = sqlite3.connect(out)
db.execute('create table metadata(name text, value text)')
db.execute('create table tiles(zoom_level integer, tile_column integer, tile_row integer, tile_data blob)')
for k, v in (('name', 'bomb'), ('format', 'png'), ('minzoom', '0'), ('maxzoom', '3')):
    db.execute('insert into metadata values(?, ?)', (k, v))
for zl in range(4):
    for x in range(2 ** zl):
        for y in range(2 ** zl):
            db.execute('insert into tiles values(?, ?, ?, ?)', (zl, x, y, png))
db.commit()
PY
}
mkbomb "$T/bomb.mbtiles" 5000
mkbomb "$T/ok.mbtiles" 256
check_eq "the bomb file is small" 1 "$([ "$(stat -c %s "$T/bomb.mbtiles")" -lt $((16 << 20)) ] && echo 1)"

cp -a "$C" "$T/c256"
/usr/bin/time -v "$CARDTRAIL" report --format pdf --tiles "$T/ok.mbtiles" "$T/c256" >"$T/ok.out" 2>"$T/ok.err"
check_eq "256-pixel tiles: exit 0, no warning" "0|0" "$?|$(grep -c 'not drawn' "$T/ok.err")"
base=$(awk '/Maximum resident/ { print $6 }' "$T/ok.err")

/usr/bin/time -v "$CARDTRAIL" report --format pdf --tiles "$T/bomb.mbtiles" "$C" >"$T/bomb.out" 2>"$T/bomb.err"
check_eq "5000-pixel tiles: exit 0" 0 $?
check_eq "5000-pixel tiles: a warning says they were not drawn, and why" 1 \
	"$(grep -c "^cardtrail: warning: tiles of '$T/bomb.mbtiles' not drawn ([0-9]* times): a tile declares 5000x5000 pixels, not 256 or 512 square$" "$T/bomb.err")"
peak=$(awk '/Maximum resident/ { print $6 }' "$T/bomb.err")
check_eq "5000-pixel tiles: peak RSS within 64 MiB of the 256-pixel run (${peak} KiB against ${base} KiB)" 1 \
	"$([ "${peak:-999999999}" -le $((${base:-0} + 65536)) ] && echo 1)"
if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$T/bomb.err" "$T/ok.err"; then
	not_ok "sanitizer report"; grep -h -A20 'Sanitizer\|runtime error' "$T/bomb.err" "$T/ok.err" | head -n 30 | sed 's/^/#   /'
fi
done_testing
