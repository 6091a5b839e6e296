#!/usr/bin/env python3
"""djidat_ref.py - a second, independent decoder of DJI aircraft logs
(FLY###.DAT, V1 and V3), written in Python with struct from the format
description in cardtrail-extract(1) and src/evidence/parsers/djidat.c's
header comment, not from the C code.  The tests decode the same generated
files with both and compare them point by point, so that one misreading
cannot hide in both the generator and the decoder.

usage: djidat_ref.py [--csv SOURCE] FILE.DAT

Prints a canonical dump: "key value" lines for the facts (in a fixed
order, only those set), "home LAT LON BASIS T_US" or "home none", and one
"point OFFSET BASIS T_US LAT LON ALT REF" line per track point.  Floats are
printed with %.17g so that the comparison is exact.  With --csv, prints
the track as cardtrail extract's CSV writer does, SOURCE in its source
column.
"""
import math
import struct
import sys

# ---- checksums -------------------------------------------------------

def _crc16_table():
    tab = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x8408 if c & 1 else c >> 1
        tab.append(c)
    return tab

CRC16 = _crc16_table()
# the table the public descriptions print (DatCon, comm_dat2pcap, ALEAPP)
assert CRC16[1] == 0x1189 and CRC16[2] == 0x2312 and CRC16[128] == 0x8408 \
    and CRC16[255] == 0x0f78


def crc16(data, crc=0x3692):
    for b in data:
        crc = (crc >> 8) ^ CRC16[(crc ^ b) & 0xff]
    return crc


# the standard check value of this CRC with seed 0 (CRC-16/KERMIT)
assert crc16(b"123456789", 0) == 0x2189

# ---- tables ------------------------------------------------------------

# product code (header byte 0) -> (name, tick rates to try, in order)
PRODUCTS = {
    5: ("Matrice 100", [85e6]),
    6: ("Phantom 3 / Inspire 1", [600, 4.5e6]),
    9: ("Phantom 4", [4.5e6]),
    11: ("Phantom 4", [4.5e6]),
    14: ("Matrice 600", [4.5e6]),
    16: ("Mavic Pro", [4.5e6]),
    17: ("Inspire 2", [4.5e6]),
    18: ("Phantom 4 Pro", [4.5e6]),
    20: ("S900", [4.5e6]),
    21: ("Spark", [4.5e6]),
    23: ("Matrice 600 Pro", [4.5e6]),
    24: ("Mavic Air", [3.85e6, 4.5e6]),
    25: ("Matrice 200", [4.5e6]),
    27: ("Phantom 4 Advanced", [4.5e6]),
    28: ("Matrice", [4.5e6]),
    36: ("Phantom 4 Pro V2", [4.5e6]),
    39: ("Tello", [4.5e6]),
    40: ("Phantom 4 RTK", [4.5e6]),
    41: ("Mavic 2", [3847700, 4.5e6]),
    51: ("Mavic 2 Enterprise", [3847700, 4.5e6]),
    53: ("Mavic Mini", [8014713.88506, 4.5e6]),
    58: ("Mavic Air 2", [3.83e6, 4.5e6]),
    63: ("Mini 2", [8014713.88506, 4.5e6]),
    85: ("Mavic Air 2", [3.83e6, 4.5e6]),
}

OSD_RANK = 4
# (version, type) -> (kind, rank, payload bytes needed)
TYPES = {
    ("V3", 2096): ("gps", 0, 66), ("V3", 2097): ("gps", 1, 66),
    ("V3", 2098): ("gps", 2, 66), ("V1", 5): ("gps", 0, 66),
    ("V3", 5): ("gps", 3, 66),
    ("V1", 12): ("osd", OSD_RANK, 37), ("V3", 12): ("osd", OSD_RANK, 37),
    ("V1", 13): ("home", -1, 16), ("V3", 13): ("home", -1, 16),
}
SOURCE_NAMES = {0: "GPS (receiver 0)", 1: "GPS (type 2097)", 2: "GPS (type 2098)",
                3: "GPS (type 5)", OSD_RANK: "OSD (type 12)"}
TOL = 0.2
DEG = 180.0 / math.pi
NOFIX_DEG = 1e-6    # both coordinates this close to 0: no fix (the receivers' 0, 0)

FACT_ORDER = ["log_version", "build", "firmware", "product_code", "model", "records", "crc_failures",
              "unknown_types", "unknown_type_records", "skipped_bytes", "padding_bytes",
              "tick_rate", "time_source", "track_source"]

# ---- helpers -----------------------------------------------------------


def utc_seconds(date, tod):
    """yyyymmdd, hhmmss -> seconds since 1970, or None."""
    y, mo, d = date // 10000, date // 100 % 100, date % 100
    h, mi, s = tod // 10000, tod // 100 % 100, tod % 100
    if not (1980 <= y <= 2099 and 1 <= mo <= 12 and tod <= 235959 and mi <= 59 and s <= 59):
        return None
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    mdays = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if not 1 <= d <= mdays[mo - 1]:
        return None
    # days since 1970-01-01 by counting (another way than the C code's)
    days = sum(366 if (yy % 4 == 0 and yy % 100 != 0) or yy % 400 == 0 else 365
               for yy in range(1970, y))
    days += sum(mdays[:mo - 1]) + d - 1
    return days * 86400 + h * 3600 + mi * 60 + s


def to_us(sec):
    v = sec * 1e6 + 0.5
    if not -9e15 < v < 9e15:
        return None
    return math.floor(v)


def fmt_rate(r):
    return "%.15g" % r

# ---- the decoder ---------------------------------------------------------


class Dat:
    def __init__(self, buf):
        self.buf = buf
        self.n = len(buf)
        self.facts = {}
        self.points = []
        self.home = None

    # what starts at pos: ("ok", length) ("pad",) ("none",) ("trunc",) ("bad", length)
    def at(self, pos):
        b = self.buf
        if pos >= self.n:
            return ("none",)
        if b[pos] == 0:
            return ("pad",)
        if b[pos] != 0x55:
            return ("none",)
        if pos + 3 > self.n:
            return ("trunc",)
        lv, = struct.unpack_from("<H", b, pos + 1)
        length = lv & 0x3ff
        if lv >> 10 or length < 12:
            return ("none",)
        if pos + length > self.n:
            return ("trunc",)
        stored, = struct.unpack_from("<H", b, pos + length - 2)
        if crc16(b[pos:pos + length - 2]) != stored:
            return ("bad", length)
        return ("ok", length)

    def next_valid(self, q):
        while q < self.n:
            q = self.buf.find(b"\x55", q)
            if q < 0:
                return self.n
            if self.at(q)[0] == "ok":
                return q
            q += 1
        return self.n

    def records(self):
        """Yield (offset, length) of every valid record; count the rest."""
        pos = self.start
        while pos < self.n:
            what = self.at(pos)
            if what[0] == "ok":
                yield pos, what[1]
                pos += what[1]
            elif what[0] == "pad":
                self.padding += 1
                pos += 1
            elif what[0] == "trunc":
                self.skipped += self.n - pos
                pos = self.n
            elif what[0] == "bad":
                self.crc_failures += 1
                nxt = pos + what[1]
                if nxt == self.n or self.at(nxt)[0] in ("ok", "pad", "bad", "trunc"):
                    self.skipped += what[1]
                    pos = nxt
                else:
                    q = self.next_valid(pos + 1)
                    self.skipped += q - pos
                    pos = q
            else:
                q = self.next_valid(pos + 1)
                self.skipped += q - pos
                pos = q

    def decode(self):
        b = self.buf
        # the plain header's marks before LOGH (four bytes written over a
        # plain log do not make it encrypted)
        if b[242:252] == b"DJI_LOG_V3":
            self.kind = "V3"
        elif b[16:21] == b"BUILD":
            self.kind = "V1"
        elif b[:4] == b"LOGH":
            self.kind = "encrypted (LOGH)"
        else:
            return
        self.facts["log_version"] = self.kind
        if b[16:21] == b"BUILD":
            s = bytearray()
            for c in b[16:16 + 64]:
                if c < 0x20 or c > 0x7e:
                    break
                s.append(c)
            self.facts["build"] = s.decode("ascii").rstrip(" ")
            date = self.facts["build"][5:].lstrip(" ")[:24]
            if date:
                self.facts["firmware"] = "built " + date
        if self.kind.startswith("encrypted") or self.n == 0:
            return
        product = b[0]
        self.facts["product_code"] = str(product)
        if product in PRODUCTS:
            self.facts["model"] = PRODUCTS[product][0]
        rates = [600] if self.kind == "V1" else PRODUCTS.get(product, ("", [4.5e6]))[1]
        self.start = 256 if self.kind == "V3" else 128
        if self.start >= self.n:
            return

        self.padding = self.skipped = self.crc_failures = 0
        nrec = 0
        unknown = set()
        unknown_records = 0
        best = None
        cands = []          # (tick, utc or None, lat, lon, alt, offset) of the best source
        home = None
        prev_raw = prev = first = None
        for off, length in self.records():
            nrec += 1
            typ, raw = struct.unpack_from("<HI", b, off + 4)
            if prev is None:
                first = prev = raw
            else:
                d = (raw - prev_raw) & 0xffffffff
                prev += d - (1 << 32) if d >= 1 << 31 else d
            prev_raw = raw
            tick = prev
            t = TYPES.get((self.kind, typ))
            if t is None:
                unknown.add(typ)
                unknown_records += 1
                continue
            kind, rank, need = t
            pl = bytes(x ^ (raw & 0xff) for x in b[off + 10:off + length - 2])
            if len(pl) < need:
                continue
            if kind == "home":
                lon, lat = struct.unpack_from("<dd", pl, 0)
                lat, lon = lat * DEG, lon * DEG
                if home is None and -90 <= lat <= 90 and -180 <= lon <= 180 \
                        and not (lat == 0 and lon == 0):
                    home = (tick, lat, lon, off)
                continue
            if kind == "gps":
                date, tod, lon, lat, hmsl = struct.unpack_from("<IIiii", pl, 0)
                sats, = struct.unpack_from("<H", pl, 64)
                lat, lon = lat / 1e7, lon / 1e7
                if sats == 0 or (abs(lat) < NOFIX_DEG and abs(lon) < NOFIX_DEG):
                    cand = None
                else:
                    cand = (tick, utc_seconds(date, tod), lat, lon, hmsl / 1000.0, off)
            else:
                lon, lat = struct.unpack_from("<dd", pl, 0)
                lat, lon = lat * DEG, lon * DEG
                height, = struct.unpack_from("<h", pl, 16)
                sats = pl[36]
                if sats == 0 or (abs(lat) < NOFIX_DEG and abs(lon) < NOFIX_DEG):
                    cand = None
                else:
                    cand = (tick, None, lat, lon, height / 10.0, off)
            if cand is None:
                continue
            if best is None or rank < best:
                best, cands = rank, []
            if rank == best:
                cands.append(cand)

        self.facts.update({
            "records": str(nrec), "crc_failures": str(self.crc_failures),
            "unknown_types": str(len(unknown)), "unknown_type_records": str(unknown_records),
            "skipped_bytes": str(self.skipped), "padding_bytes": str(self.padding)})
        if nrec == 0 or self.crc_failures > nrec:
            self.facts["understood"] = "no"
            return

        # the clock
        how, rate, ref, a = "ticks", rates[0], None, 0.0
        fixes = [c for c in cands if c[1] is not None] if best is not None and best < OSD_RANK \
            else []
        def fit(r):
            xs = [(c[0] - first) / r for c in fixes]
            lo = max(float(c[1] - ref) - x for c, x in zip(fixes, xs))
            hi = min(float(c[1] - ref) + 1.0 - x for c, x in zip(fixes, xs))
            return (lo + hi) / 2 if lo - hi <= 2 * TOL else None

        confirmed = True
        if fixes:
            how = "seconds"
            ref = fixes[0][1]
            for r in rates:
                a = fit(r)
                if a is not None:
                    how, rate = "gps", r
                    # one fix, or fixes a second apart, fit any rate: confirmed
                    # only when rates 10 % off do not fit
                    confirmed = fit(r * 1.1) is None and fit(r / 1.1) is None
                    break
        self.facts["tick_rate"] = fmt_rate(rate)
        if how == "gps" and not confirmed:
            utcs = [c[1] for c in fixes]
            self.facts["time_source"] = ("GPS UTC and ticks at the rate assumed for the "
                                         "product (%d GPS times over %d s cannot confirm it)"
                                         % (len(fixes), max(utcs) - min(utcs)))
        elif how == "gps":
            self.facts["time_source"] = ("GPS UTC and ticks (the tick rate agrees with %d GPS "
                                         "times within %.1f s)" % (len(fixes), TOL))
        elif how == "seconds":
            self.facts["time_source"] = ("GPS UTC, whole seconds (no tick rate of product %d "
                                         "agrees with the GPS times)" % product)
        else:
            self.facts["time_source"] = "ticks since the first record (no GPS time)"
        if best is not None:
            self.facts["track_source"] = SOURCE_NAMES[best]

        def when(tick, utc):
            x = (tick - first) / rate
            if how == "gps":
                us = to_us(a + x)
                return ("none", 0) if us is None else ("utc", ref * 1000000 + us)
            if how == "seconds" and utc is not None:
                return ("utc", utc * 1000000)
            us = to_us(x)
            return ("none", 0) if us is None else ("boot", us)

        ref_name = "takeoff" if best == OSD_RANK else "msl"
        for tick, utc, lat, lon, alt, off in cands:
            if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
                continue
            basis, t_us = when(tick, utc)
            self.points.append((off, basis, t_us, lat, lon, alt, ref_name))
        if home is not None:
            basis, t_us = when(home[0], None)
            self.home = (home[1], home[2], basis, t_us)


def dump(d, out):
    for k in FACT_ORDER + ["understood"]:
        if k in d.facts:
            out.write("%s %s\n" % (k, d.facts[k]))
    if d.home is None:
        out.write("home none\n")
    else:
        out.write("home %.17g %.17g %s %d\n" % d.home)
    for p in d.points:
        out.write("point %d %s %d %.17g %.17g %.17g %s\n" % p)


def time_str(basis, t_us):
    """A point's time as the track CSV writes it."""
    if basis == "utc":
        s, us = divmod(t_us, 1000000)
        days, sod = divmod(s, 86400)
        # civil date from days since 1970 (Howard Hinnant's algorithm)
        z = days + 719468
        era = z // 146097
        doe = z - era * 146097
        yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
        doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
        mp = (5 * doy + 2) // 153
        d = doy - (153 * mp + 2) // 5 + 1
        m = mp + 3 if mp < 10 else mp - 9
        y = yoe + era * 400 + (1 if m <= 2 else 0)
        return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (y, m, d, sod // 3600, sod // 60 % 60,
                                                       sod % 60, us)
    if basis == "boot":
        a = abs(t_us)
        return "%s%d.%06ds" % ("-" if t_us < 0 else "+", a // 1000000, a % 1000000)
    return ""


def csv(d, source, out):
    """The track as cardtrail extract writes tracks/NNNN_NAME.csv."""
    out.write("time,time_basis,lat,lon,alt_m,alt_ref,source,offset\n")
    for off, basis, t_us, lat, lon, alt, ref in d.points:
        out.write("%s,%s,%.7f,%.7f,%.3f,%s,%s,%d\n" % (time_str(basis, t_us), basis, lat, lon,
                                                      alt, ref, source, off))


def main():
    args = sys.argv[1:]
    source = None
    if len(args) == 3 and args[0] == "--csv":
        source, args = args[1], args[2:]
    if len(args) != 1:
        sys.stderr.write("usage: djidat_ref.py [--csv SOURCE] FILE.DAT\n")
        return 2
    with open(args[0], "rb") as f:
        d = Dat(f.read())
    d.decode()
    if source is None:
        dump(d, sys.stdout)
    else:
        csv(d, source, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
