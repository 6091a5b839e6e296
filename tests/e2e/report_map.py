#!/usr/bin/env python3
"""Check a flight's map in report.html against its track, independently of
the C code: the labelled grid lines give the projection (Web Mercator: one
scale on both axes, north up); every vertex of the track, its start, end
and home markers must fall where their coordinates put them; the scale
bar's label must be its length on the ground at the map's centre (1 %);
a north arrow points up.  Prints "ok" or what is wrong.

    report_map.py REPORT.html FLIGHT TRACK.csv HOME_LAT HOME_LON
"""
import csv
import math
import re
import sys

NUM = r"(-?[0-9.]+)"
R_WEB_MERCATOR = 6378137.0


def merc(lat):
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def near(a, b, tol=0.6):
    return abs(a[0] - b[0]) <= tol and abs(a[1] - b[1]) <= tol


def main():
    html, flight, track = sys.argv[1], sys.argv[2], sys.argv[3]
    hlat, hlon = float(sys.argv[4]), float(sys.argv[5])
    m = re.search(r'<svg class="map"[^>]*>\s*<defs><clipPath id="clip-map-flight-%s">.*?</svg>' % flight,
                  open(html, encoding="utf-8").read(), re.S)
    if not m:
        return ["no map of flight %s" % flight]
    svg = m.group(0)
    w, h = (float(v) for v in re.search(r'viewBox="0 0 %s %s"' % (NUM, NUM), svg).groups())
    bad = []
    # the grid: a line across the map, then its label
    lon_lines = [(float(x), float(v) * (-1 if s == "W" else 1)) for x, v, s in re.findall(
        r'<polyline points="%s,0\.0 \1,%.1f"[^>]*/>\s*<text[^>]*>([0-9.]+)\u00b0([EW]?)</text>' % (NUM, h), svg)]
    lat_lines = [(float(y), float(v) * (-1 if s == "S" else 1)) for y, v, s in re.findall(
        r'<polyline points="0\.0,%s %.1f,\1"[^>]*/>\s*<text[^>]*>([0-9.]+)\u00b0([NS]?)</text>' % (NUM, w), svg)]
    if len(lon_lines) < 2 or len(lat_lines) < 2:
        return ["grid: %d labelled meridians, %d labelled parallels" % (len(lon_lines), len(lat_lines))]
    (x0, l0), (x1, l1) = lon_lines[0], lon_lines[-1]
    (y0, p0), (y1, p1) = lat_lines[0], lat_lines[-1]
    ax = (x1 - x0) / (l1 - l0)
    ay = (y1 - y0) / (merc(p1) - merc(p0))

    def proj(lat, lon):
        return x0 + ax * (lon - l0), y0 + ay * (merc(lat) - merc(p0))

    for x, lon in lon_lines:
        if abs(x0 + ax * (lon - l0) - x) > 0.3:
            bad.append("meridian %g at x %.1f, off the others' line" % (lon, x))
    for y, lat in lat_lines:
        if abs(y0 + ay * (merc(lat) - merc(p0)) - y) > 0.3:
            bad.append("parallel %g at y %.1f, off the others' Mercator scale" % (lat, y))
    # Web Mercator: one scale on both axes; north up (y grows southwards)
    if abs(ay + ax * 180 / math.pi) > 0.01 * abs(ax * 180 / math.pi):
        bad.append("not one scale: %.3f units per degree of longitude, %.3f per Mercator unit" % (ax, ay))
    pts = [(float(r["lat"]), float(r["lon"])) for r in csv.DictReader(open(track))]
    want = [proj(*p) for p in pts]
    # the track: the polyline in the flight's colour, drawn thick
    lines = re.findall(r'<polyline points="([^"]*)"[^>]*stroke="#[0-9a-f]{6}" stroke-width="2\.6"', svg)
    if len(lines) != 1:
        return bad + ["%d track lines on the map of one flight" % len(lines)]
    drawn = [tuple(map(float, v.split(","))) for v in lines[0].split()]
    i = 0
    for v in drawn:
        while i < len(want) and not near(v, want[i]):
            i += 1
        if i == len(want):
            bad.append("track vertex %s is no track point where the grid puts it" % (v,))
            break
    if not drawn or not near(drawn[0], want[0]) or not near(drawn[-1], want[-1]):
        bad.append("the track does not run from the first point to the last")
    m = re.search(r'<circle cx="%s" cy="%s" r="4\.5"' % (NUM, NUM), svg)
    if not m or not near((float(m.group(1)), float(m.group(2))), want[0]):
        bad.append("start marker %s, first point at %s" % (m and m.groups(), want[0]))
    m = re.search(r'<rect x="%s" y="%s" width="8\.0" height="8\.0"' % (NUM, NUM), svg)
    if not m or not near((float(m.group(1)) + 4, float(m.group(2)) + 4), want[-1]):
        bad.append("end marker %s, last point at %s" % (m and m.groups(), want[-1]))
    m = re.search(r'<rect x="%s" y="%s" width="12\.0" height="12\.0"[^>]*/>\s*<text[^>]*>H</text>' % (NUM, NUM), svg)
    if not m or not near((float(m.group(1)) + 6, float(m.group(2)) + 6), proj(hlat, hlon)):
        bad.append("home marker %s, home at %s" % (m and m.groups(), proj(hlat, hlon)))
    # the scale bar: two halves, "0" and its length at their ends
    m = re.search(r'<rect x="%s" y="%s" width="%s" height="6\.0"[^>]*/>\s*<rect x="%s" y="\2" width="\3" '
                  r'height="6\.0"[^>]*/>\s*<text[^>]*>0</text>\s*<text x="%s"[^>]*>([0-9.]+) (m|km)</text>'
                  % ((NUM,) * 5), svg)
    if not m:
        bad.append("no scale bar")
    else:
        bx, bw = float(m.group(1)), 2 * float(m.group(3))
        label = float(m.group(6)) * (1000 if m.group(7) == "km" else 1)
        if abs(float(m.group(5)) - (bx + bw)) > 0.15:
            bad.append("the scale bar's label is not at its end")
        # metres per unit at the map's centre latitude
        latc = math.degrees(2 * math.atan(math.exp(merc(p0) + (h / 2 - y0) / ay)) - math.pi / 2)
        mpu = math.radians(1) * R_WEB_MERCATOR * math.cos(math.radians(latc)) / ax
        if abs(bw * mpu - label) > 0.01 * label:
            bad.append("scale bar: %.1f units are %.2f m on the ground, labelled %g m" % (bw, bw * mpu, label))
    m = re.search(r'<polygon points="%s,%s %s,%s %s,%s"[^>]*/>\s*<text[^>]*>N</text>' % ((NUM,) * 6), svg)
    if not m or not (float(m.group(2)) < float(m.group(4)) and m.group(4) == m.group(6)):
        bad.append("no north arrow pointing up")
    return bad


if __name__ == "__main__":
    problems = main()
    print("\n".join(problems) if problems else "ok")
