#!/usr/bin/env python3
"""Read a cardtrail report.html the way the report tests need (stdlib only).

  report_html.py FILE verdict    class and text of the body's first element
  report_html.py FILE colours    the overview legend: "N #rrggbb" per flight
  report_html.py FILE flights    the flights table, one row per line, cells
                                 separated by TAB
  report_html.py FILE check      "ok", or what makes the file not
                                 self-contained or not well nested
  report_html.py FILE tracks DIR "ok", or the flights whose distance, points
                                 or max height differ from those computed
                                 here from the tracks of the unpacked
                                 bundle DIR (haversine, mean earth radius)
"""
import csv
import glob
import math
import re
import sys
from html.parser import HTMLParser

VOID = {"meta", "col", "br", "img", "hr", "input", "link"}
SVG_EMPTY = {"rect", "polyline", "polygon", "circle", "line", "image", "path"}


class Report(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.problems = []
        self.first = None          # [class, text] of body's first element
        self.in_first = 0
        self.colours = []
        self.legend_no = 0
        self.in_flights_h2 = False
        self.flights_table = 0     # 1 waiting, 2 inside, 3 done
        self.row = None
        self.cell = None
        self.rows = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.problems.append("a <script> element")
        for k, v in attrs:
            if k.startswith("on"):
                self.problems.append("an event handler attribute " + k)
            if k in ("src", "href") and v is not None and not (
                    v.startswith("data:") or v.startswith("#")):
                self.problems.append("an external reference %s=%r" % (k, v[:60]))
        if tag == "link":
            self.problems.append("a <link> element")
        if self.stack and self.stack[-1] == "body" and self.first is None:
            self.first = [a.get("class", ""), ""]
            self.in_first = 1
        elif self.in_first:
            self.in_first += 1
        if tag == "ul" and a.get("class") == "legend":
            self.legend_no += 1
        if tag == "li" and self.legend_no == 1 and "data-colour" in a:
            self.colours.append("%s %s" % (a.get("data-flight"), a["data-colour"]))
        if tag == "h2" and a.get("id") == "flights":
            self.flights_table = 1
        if tag == "table" and self.flights_table == 1:
            self.flights_table = 2
        if self.flights_table == 2 and tag == "tr":
            self.row = []
        if self.flights_table == 2 and tag in ("td", "th") and self.row is not None:
            self.cell = ""
        if tag not in VOID and tag not in SVG_EMPTY:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and tag not in SVG_EMPTY:
            self.stack.pop()
        if self.in_first:
            self.in_first -= 1

    def handle_endtag(self, tag):
        if tag in VOID or tag in SVG_EMPTY:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
            return
        self.stack.pop()
        if self.in_first:
            self.in_first -= 1
        if self.flights_table == 2:
            if tag in ("td", "th") and self.row is not None and self.cell is not None:
                self.row.append(" ".join(self.cell.split()))
                self.cell = None
            elif tag == "tr" and self.row is not None:
                self.rows.append(self.row)
                self.row = None
            elif tag == "table":
                self.flights_table = 3

    def handle_data(self, data):
        if self.in_first:
            self.first[1] += data
        if self.cell is not None:
            self.cell += data


def haversine(a, b):
    p1, p2 = math.radians(float(a["lat"])), math.radians(float(b["lat"]))
    dl = math.radians(float(b["lon"]) - float(a["lon"]))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def as_printed(text, value, scale_of):
    """Is value (metres) what text ("850 m", "2.5 km", "14914 km") says, to
    the precision it shows?"""
    v, unit = text.split()[:2]
    decimals = len(v.split(".")[1]) if "." in v else 0
    return abs(float(v) - value / scale_of[unit]) <= 0.5 * 10 ** -decimals + 1e-9


REFS = {"above mean sea level": "msl", "above the WGS84 ellipsoid": "ellipsoid",
        "above the take-off point": "takeoff", "reference not stated by the format": "unknown"}


def per_track(cell):
    """'[1] 89 m; [2] 60 m' -> ['89 m', '60 m']; '89 m' -> ['89 m']"""
    return [re.sub(r"^\[\d+\] ", "", v) for v in cell.split("; ")]


def check_tracks(rows, bundle):
    """Every track's distance and points (per track when a flight has
    several), and each height over all the flight's tracks, per reference
    (a take-off height from height_above_takeoff_m where a track has it)."""
    tracks = {}
    for p in glob.glob(bundle + "/tracks/*.csv"):
        t = list(csv.DictReader(open(p, newline="")))
        tracks[t[0]["source"]] = t
    bad = []
    for c in rows:
        srcs = re.findall(r"(?:^|; )(?:\[\d+\] )?E\d+:(\S+) \(", c[9])
        dists, pts = per_track(c[6]), per_track(c[8])
        if len(dists) != len(srcs) or len(pts) != len(srcs):
            bad.append("%s: %d sources, %d distances, %d point counts" % (c[0], len(srcs), len(dists), len(pts)))
            continue
        heights = {}
        for src, dist, np in zip(srcs, dists, pts):
            t = tracks[src]
            d = sum(haversine(t[i], t[i + 1]) for i in range(len(t) - 1))
            if not as_printed(dist, d, {"m": 1, "km": 1000}):
                bad.append("%s: distance %s, computed %.3f m" % (src, dist, d))
            if np != str(len(t)):
                bad.append("%s: points %s, the track has %d" % (src, np, len(t)))
            for r in t:
                if r["alt_m"] and r["alt_ref"]:
                    heights[r["alt_ref"]] = max(heights.get(r["alt_ref"], -1e300), float(r["alt_m"]))
                if r.get("height_above_takeoff_m"):
                    heights["takeoff"] = max(heights.get("takeoff", -1e300), float(r["height_above_takeoff_m"]))
        shown = {}
        if c[7] != "no heights":
            for h in c[7].split("; "):
                v, ref = h.split(" m ", 1)
                shown[REFS.get(ref, ref)] = v + " m"
        if set(shown) != set(heights):
            bad.append("%s: heights for %s, the tracks have %s" % (c[0], sorted(shown), sorted(heights)))
        for ref, v in shown.items():
            if ref in heights and not as_printed(v, heights[ref], {"m": 1}):
                bad.append("%s: height %s %s, computed %.3f m" % (c[0], v, ref, heights[ref]))
    return bad


def main():
    path, what = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    p = Report()
    p.feed(text)
    p.close()
    if what == "verdict":
        print("%s|%s" % (p.first[0], " ".join(p.first[1].split())) if p.first else "none|")
    elif what == "colours":
        print("\n".join(p.colours))
    elif what == "flights":
        for r in p.rows[1:]:
            print("\t".join(r))
    elif what == "tracks":
        bad = check_tracks(p.rows[1:], sys.argv[3])
        print("\n".join(bad) if bad else "ok")
    elif what == "check":
        probs = list(p.problems)
        if p.stack:
            probs.append("unclosed: " + " ".join(p.stack))
        print("\n".join(probs) if probs else "ok")
    else:
        sys.exit("unknown request " + what)


main()
