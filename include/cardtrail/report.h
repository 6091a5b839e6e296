/*
 * report.h — `cardtrail report`: the case report (HTML and PDF) with its
 * maps and timeline, and the timeline files (timeline.csv, a Sleuth Kit
 * body file).
 *
 * The report is made from the case as it is on disk: the custody chain is
 * verified first (ct_custody_verify) and its verdict heads the report;
 * acquisition records, evidence bundles (MANIFEST.json, flights.json,
 * tracks/NNNN_NAME.csv) and wipe certificates are read as JSON, tolerant of fields
 * they do not have.  Everything read from a bundle is card data: hostile.
 *
 * Reproducible: the same case state gives the same bytes (no time of
 * generation, host, examiner or path of the case folder in the output;
 * UTC and the C locale whatever the environment).  When the report was
 * made goes into its custody record ("action":"report").
 *
 * Library convention: 0, 1 (nothing found) or -errno; nothing prints.
 */
#ifndef CARDTRAIL_REPORT_H
#define CARDTRAIL_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct ct_verify_opts;

/* ---- geometry (geo.c): Web Mercator, distances, map furniture ---- */

#define CT_EARTH_RADIUS_M 6378137.0	/* WGS84 semi-major axis (EPSG:3857) */
#define CT_EARTH_MEAN_M 6371008.8	/* mean radius, for great-circle distances */
#define CT_MERCATOR_MAX_LAT 85.0511287798	/* where Web Mercator is square */

/* Web Mercator (EPSG:3857) metres; latitudes are clamped to +-MAX_LAT. */
void ct_merc_fwd(double lat, double lon, double *x, double *y);
void ct_merc_inv(double x, double y, double *lat, double *lon);

/* Great-circle distance in metres (haversine, mean earth radius). */
double ct_distance_m(double lat1, double lon1, double lat2, double lon2);

/* The 1-2-5 step (…, 0.1, 0.2, 0.5, 1, 2, 5, …) closest above span/target. */
double ct_nice_step(double span, int target);

/* The largest 1-2-5 length (…, 10, 20, 50, 100, … metres) <= max_m (>= 1). */
double ct_scale_bar_m(double max_m);

/*
 * A map view: a Web Mercator window drawn into a frame of w x h units
 * (SVG pixels; the PDF scales them), north up.  ct_map_fit centres the
 * bounding box (degrees) and scales it to fit inside the frame less margin
 * units on every side, with at least min_span_m metres (on the ground) across
 * the smaller side, so that a hover or a single photo is not a point at
 * infinite zoom.
 */
struct ct_map_view {
	double w, h;		/* frame, units */
	double cx, cy;		/* Mercator metres at the frame's centre */
	double upm;		/* units per Mercator metre */
};
int ct_map_fit(double minlat, double minlon, double maxlat, double maxlon, double w, double h,
	       double margin, double min_span_m, struct ct_map_view *v);
void ct_map_project(const struct ct_map_view *v, double lat, double lon, double *px, double *py);
void ct_map_unproject(const struct ct_map_view *v, double px, double py, double *lat,
		      double *lon);
/* Ground metres per unit at latitude lat (Mercator's scale is 1/cos(lat)). */
double ct_map_ground_m_per_unit(const struct ct_map_view *v, double lat);

/* "47.3980°N", "8.5450°E": decimals enough for step (degrees). */
void ct_format_lat(double lat, double step, char *buf, size_t len);
void ct_format_lon(double lon, double step, char *buf, size_t len);
/* "850 m", "1.2 km", "25 km" */
void ct_format_metres(double m, char *buf, size_t len);

/* ---- grouping sources into flights (flights.c) ---- */

/*
 * Sources that touch in time belong to one flight when nothing says they
 * are different aircraft: gaps up to this many seconds still touch.
 */
#define CT_FLIGHT_TOUCH_S 30

/* One source of positions: a track file or a photo. */
struct ct_group_item {
	int64_t t0_us, t1_us;	/* first and last time */
	int basis;		/* enum ct_time_basis of both (NONE/BOOT: no absolute time) */
	const char *aircraft;	/* aircraft serial, or NULL */
	const char *camera;	/* camera serial, or NULL */
	int photo;		/* a photo: joins a flight, never makes one */
	const char *model;	/* aircraft model as the file names it ("A / B": one
				 * of them), or NULL; tracks only */
	size_t card;		/* the evidence (card) it was found on */
};

/*
 * Group items into flights.  Two tracks are one flight when their times
 * (of one basis) overlap or touch, nothing contradicts it, and either they
 * share an aircraft or a camera serial, or one side has no serial at all
 * (a DJI SRT next to its flight record).  Contradictions: two different
 * aircraft (or camera) serials, two different models (compared without
 * case, spaces or punctuation: "Phantom 3" is not "Phantom3Standard"), two
 * different cards (only the same aircraft serial joins sources of two
 * cards; a photo joins a flight of another card only by it too).  A source
 * without a serial that touches several aircraft joins the one it overlaps
 * longest.  Tracks without an absolute time are flights
 * of their own.  A photo joins the flight whose time (+- the touch gap)
 * holds it, preferring one that shares its serials; a photo outside every
 * flight gets -1.  group[i] gets the flight index of item i (flights are
 * numbered by start time, then by first item); *nflights their number.
 * Returns 0 or -ENOMEM.
 */
int ct_flights_group(const struct ct_group_item *items, size_t n, int *group, size_t *nflights);

/* ---- the report (report.c) ---- */

enum {
	CT_REPORT_HTML = 1,
	CT_REPORT_PDF = 2,
};

struct ct_report_opts {
	const char *casedir;
	const struct ct_verify_opts *verify;	/* the checks made first */
	unsigned formats;		/* CT_REPORT_HTML | CT_REPORT_PDF */
	const char *out;		/* NULL: CASEDIR/report.html, .pdf (then report-2.…);
					 * else this file (with both formats: its extension
					 * replaced by .html and .pdf) */
	const char *tiles;		/* an MBTiles file drawn under the tracks, or NULL */
};

struct ct_report_file {
	char path[4096];		/* as written (CASEDIR/… or --out) */
	char name[256];			/* its name inside the case, or "" when outside */
	char sha256[65];
	uint64_t bytes;
	const char *role;		/* "report-html", "report-pdf", "timeline-csv", "timeline-body" */
};

struct ct_report_result {
	int verified;			/* the case verified */
	size_t problems;		/* what verify found */
	char head[65];			/* chain head reported on */
	char caseid[64];
	size_t records, evidences, flights, sources, photos, events;
	size_t photos_located;		/* photos with a position */
	struct ct_report_file files[4];
	size_t nfiles;
	char tiles_sha256[65];		/* of --tiles, when given */
	unsigned tiles_refused;		/* tiles not drawn: not 256 or 512 px square */
	uint32_t tile_w, tile_h;	/* the first of those declares (0: unreadable) */
	char first_problem[1024];
	char error[1024];
};

/*
 * Verify the case, read it, write the report and the timeline files (all
 * created O_EXCL, fsynced; nothing is overwritten).  Returns 0 (look at
 * res->verified), 1 if CASEDIR has no custody log, -errno with res->error.
 * Files written before an error stay (they are in no custody record).
 */
int ct_report_run(const struct ct_report_opts *o, struct ct_report_result *res);

/* The custody record of a report run (action "report"): inputs (the chain
 * head and record count reported on, the tiles with their sha256),
 * outputs (files inside the case), result (verdict, counts, files written
 * outside the case with their sha256).  New object. */
struct json_object *ct_report_custody_record(const struct ct_report_opts *o,
					     const struct ct_report_result *res);

#endif
