/*
 * report_int.h — what the parts of the report share: the case as read
 * (case.c, bundle.c), its flights (flights.c), the timeline (timeline.c),
 * the document (doc.c: sections, tables, maps as neutral blocks), the maps
 * (map.c: a scene drawn through a canvas), the tiles (tiles.c), and the two
 * writers (html.c, pdf.c) that render the same document.
 */
#ifndef CARDTRAIL_REPORT_INT_H
#define CARDTRAIL_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cardtrail/custody.h"
#include "cardtrail/report.h"

struct json_object;

/* ---- the case ---- */

/* A point kept for drawing. */
struct rp_pt {
	double lat, lon;
};

/* Points kept per source for the maps; statistics use every point. */
#define RP_KEEP_POINTS 4096

struct rp_source {
	size_t ev;			/* evidence index */
	struct json_object *entry;	/* its flights.json entry (held by the evidence) */
	const char *file, *state, *format;	/* borrowed from entry */
	const char *aircraft, *camera, *model;	/* identity, or NULL */
	int photo;			/* a photo (one position) */
	int flight;			/* flight index, -1: none */
	/* other evidence items of the same content that hold this entry too */
	size_t *also;
	size_t nalso;
	/* the whole track */
	int have_track;			/* its tracks/NNNN_NAME.csv was read */
	size_t npts;
	int64_t t0, t1;			/* first and last time (see basis) */
	int basis;			/* enum ct_time_basis of every point, -1 mixed */
	double dist_m;			/* along the track */
	double max_alt[5];		/* per enum ct_alt_ref */
	int has_alt[5];
	double minlat, minlon, maxlat, maxlon;
	int has_home;
	double home_lat, home_lon;
	/* decimated for drawing: every stride-th point, first and last kept */
	struct rp_pt *pts;
	size_t nkept, stride, seen;
	struct rp_pt last;
};

struct rp_flight {
	size_t *src;			/* its sources: tracks, then photos */
	size_t nsrc, ntracks;
	size_t first, last;		/* the tracks its start and its end come from */
	int64_t t0, t1;
	int basis;			/* -1 mixed, CT_TIME_NONE/BOOT: no absolute time */
	double max_alt[5];		/* over all its tracks */
	int has_alt[5];
	double minlat, minlon, maxlat, maxlon;
	unsigned colour;		/* 0xRRGGBB */
	int dashed;			/* colours repeat after the palette: dashed then */
};

struct rp_wipe {
	struct json_object *rec;	/* custody record (held by the log) */
	struct json_object *cert;	/* E1.wipe.json (owned), NULL if unreadable */
	const char *cert_name;
};

struct rp_evidence {
	char id[64];
	struct json_object *image_rec;		/* custody records, held by the log */
	struct json_object *extract_rec;	/* the last one */
	size_t nextract;
	struct json_object *acq;		/* its acquisition record (owned) */
	char acq_name[256];
	char bundle_name[256];
	struct json_object *manifest;		/* MANIFEST.json (owned) */
	struct json_object *flights;		/* flights.json (owned) */
	struct json_object *photos;		/* bundle paths of its JPEG files (owned) */
	char bundle_error[512];
	struct rp_wipe *wipes;
	size_t nwipes;
	/* identical image content (same size, every hash both name equal, a
	 * SHA-256 among them): the first such item, itself when none */
	size_t same;
	size_t nsame;			/* items of this content, itself included */
	char same_how[96];		/* the hashes compared: "sha256, md5" */
};

enum rp_event_kind { RP_EV_CUSTODY, RP_EV_FLIGHT, RP_EV_PHOTO, RP_EV_FILE };

struct rp_event {
	int64_t t;			/* microseconds (local times as if UTC) */
	int basis;			/* CT_TIME_UTC or CT_TIME_LOCAL */
	int date_only;			/* a FAT access date */
	enum rp_event_kind kind;
	size_t order;			/* insertion order: ties keep it */
	char *time;			/* as shown */
	char *evidence, *what, *state, *path, *detail;
};

struct rp_tiles;

struct rp_case {
	const char *casedir;
	struct json_object *verify;	/* ct_custody_verify's report */
	struct ct_custody_log log;
	const char *caseid, *head;
	int verified;
	struct rp_evidence *ev;
	size_t nev;
	struct rp_source *src;
	size_t nsrc;
	struct rp_flight *fl;
	size_t nfl;
	size_t nphotos, loose_photos;	/* photos with a position, those outside every flight */
	size_t nphotos_all;		/* JPEG files, with a position or not */
	struct rp_event *tl;
	size_t ntl;
	struct rp_tiles *tiles;
	char error[1024];
};

int rp_case_load(struct rp_case *c, const char *casedir, const struct ct_verify_opts *vo);
void rp_case_release(struct rp_case *c);
/* Read an evidence bundle: manifest, flights, sources with their tracks. */
int rp_bundle_read(struct rp_case *c, size_t ev);
/* Which evidence items hold the same image content; an entry found in
 * several of them becomes one source that says where else it was found. */
int rp_same_content(struct rp_case *c);
/* The other items a source was found in: lead, "E2, E3", tail (nothing
 * when none). */
void rp_source_also(const struct rp_case *c, const struct rp_source *s, const char *lead,
		    const char *tail, FILE *f);
/* Group the sources into flights, with their statistics and colours. */
int rp_flights_build(struct rp_case *c);
int rp_timeline_build(struct rp_case *c);
int rp_timeline_csv(const struct rp_case *c, FILE *f);
int rp_timeline_body(const struct rp_case *c, FILE *f);

/* ---- small helpers (text.c) ---- */

/* Parse "2024-05-18T09:13:40[.ffffff][Z|+hh:mm]", "2024-05-18" or
 * "+12.5s": 0, or -EINVAL. *basis: UTC when a zone is named, LOCAL when
 * not, BOOT for "+…s"; *date_only for a bare date. */
int rp_parse_time(const char *s, int64_t *us, int *basis, int *date_only);
/* ISO 8601, seconds only when there is no fraction; "Z" only for UTC. */
void rp_time_str(int64_t us, int basis, char *buf, size_t len);
/* "1 h 02 min 05 s", "12.3 s" */
void rp_duration_str(int64_t us, char *buf, size_t len);
/* A malloc'd copy of card text as valid UTF-8 without control characters. */
char *rp_clean(const char *s);
/* printf into a new string (never NULL: "" when memory runs out is not an
 * option, so NULL means ENOMEM and callers check). */
char *rp_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *rp_alt_ref_text(int ref);
const char *rp_basis_text(int basis);

/* ---- the document: what both writers render ---- */

enum rp_block_kind {
	RB_VERDICT,		/* text, ok */
	RB_HEADING,		/* text, level 1-3, id */
	RB_PARA,		/* text */
	RB_NOTE,		/* text, smaller */
	RB_TABLE,		/* cols, cells (kv: no header) */
	RB_MAP,			/* map index */
	RB_BREAK,		/* a new page in print */
};

/* Column flags */
#define RC_MONO 1u		/* hashes, offsets */
#define RC_RIGHT 2u		/* numbers */
#define RC_SWATCH 4u		/* the cell is a colour "#rrggbb[ dashed]" */

struct rp_block {
	enum rp_block_kind kind;
	int level, ok, map;
	char *text;
	char id[32];
	size_t ncols, nrows;
	char **head;		/* ncols, or NULL (a key/value list) */
	unsigned *flags;	/* ncols */
	double *width;		/* ncols: share of the page width */
	char **cells;		/* nrows * ncols */
	size_t cap;
};

struct rp_map;

struct rp_doc {
	struct rp_block *b;
	size_t n, cap;
	struct rp_map **maps;
	size_t nmaps;
	char *title;
	char *footer_case, *footer_head;	/* every page's footer (PDF) */
	int oom;
};

int rp_doc_build(const struct rp_case *c, struct rp_doc *d);
/* A map legend's line: "flight N: " and every source of flight k (malloc'd). */
char *rp_flight_legend(const struct rp_case *c, size_t k);
void rp_doc_release(struct rp_doc *d);

/* ---- maps: a scene drawn through a canvas ---- */

#define RP_MAP_W 720.0
#define RP_MAP_H 480.0

struct rp_canvas {
	void *ctx;
	/* colours are 0xRRGGBB; widths and sizes in map units */
	void (*rect)(void *ctx, double x, double y, double w, double h, unsigned fill, int filled,
		     unsigned stroke, double sw);
	void (*polyline)(void *ctx, const double *xy, size_t n, unsigned colour, double w,
			 int dashed, int closed, int filled);
	void (*circle)(void *ctx, double x, double y, double r, unsigned fill, unsigned stroke,
		       double sw);
	/* anchor: 0 start, 1 middle, 2 end; the text is ours (no card text) */
	void (*text)(void *ctx, double x, double y, const char *s, double size, int anchor,
		     unsigned colour, int bold, int halo);
	/* a tile (PNG or JPEG bytes) stretched over the rectangle */
	void (*image)(void *ctx, const unsigned char *data, size_t len, double x, double y,
		      double w, double h);
	void (*clip)(void *ctx, double x, double y, double w, double h);
	void (*unclip)(void *ctx);
};

/* Frame colour of every map: tests find the maps by it. */
#define RP_FRAME_COLOUR 0x2f3b69u
#define RP_MAP_BG 0xf4f2ecu

int rp_maps_build(const struct rp_case *c, struct rp_doc *d);
void rp_map_free(struct rp_map *m);
const char *rp_map_title(const struct rp_map *m);
const char *rp_map_id(const struct rp_map *m);
/* The flights drawn on a map (for its legend), and how many. */
size_t rp_map_flights(const struct rp_map *m, const int **idx);
const char *rp_map_note(const struct rp_map *m);
void rp_map_draw(const struct rp_map *m, const struct rp_case *c, const struct rp_canvas *cv);

/* ---- tiles (tiles.c): MBTiles, read-only ---- */

int rp_tiles_open(const char *path, struct rp_tiles **t, char *err, size_t errlen);
void rp_tiles_close(struct rp_tiles *t);
/* The zoom to draw at for px per Mercator metre, within what the file has. */
int rp_tiles_zoom(const struct rp_tiles *t, double upm);
/* A tile's bytes (XYZ numbering; MBTiles stores TMS rows), malloc'd; 1 if absent. */
int rp_tiles_get(struct rp_tiles *t, int z, long x, long y, unsigned char **data, size_t *len);
const char *rp_tiles_describe(const struct rp_tiles *t);
/* How many tiles were not drawn (not 256 or 512 pixels square), and the
 * size the first of them declares (0x0: not a PNG or JPEG header). */
unsigned rp_tiles_refused(const struct rp_tiles *t, uint32_t *w, uint32_t *h);

/* ---- writers ---- */

int rp_html_write(const struct rp_case *c, const struct rp_doc *d, FILE *f);
int rp_pdf_write(const struct rp_case *c, const struct rp_doc *d, char **out, size_t *len,
		 char *err, size_t errlen);

#endif
