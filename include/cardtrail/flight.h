/*
 * flight.h — flight-data parsers: a table of formats that bid on a file
 * (libarchive style: each probe() scores the path and first bytes, the
 * highest score wins) and turn it into normalized track points and
 * identity facts.
 *
 * Text in the files is untrusted.  A truncated or corrupt file yields what
 * was read plus a warning with the byte offset; parsers never crash, never
 * read outside what they were given, and never allocate without bound.
 */
#ifndef CARDTRAIL_FLIGHT_H
#define CARDTRAIL_FLIGHT_H

#include <stddef.h>
#include <stdint.h>

/* Where a point's time comes from. */
enum ct_time_basis {
	CT_TIME_NONE = 0,	/* no time */
	CT_TIME_UTC,		/* t_us: microseconds since 1970-01-01T00:00:00Z */
	CT_TIME_LOCAL,		/* t_us: the wall clock of an unknown zone, as if it were UTC */
	CT_TIME_BOOT,		/* t_us: microseconds since the recorder started */
};

/* Altitude references. */
enum ct_alt_ref {
	CT_ALT_NONE = 0,	/* no altitude */
	CT_ALT_MSL,		/* above mean sea level (GPS) */
	CT_ALT_ELLIPSOID,	/* above the WGS84 ellipsoid */
	CT_ALT_TAKEOFF,		/* above the take-off point (barometric, relative) */
	CT_ALT_UNKNOWN,		/* a number whose reference the format does not say */
};

struct ct_point {
	int64_t t_us;
	enum ct_time_basis basis;
	double lat, lon;	/* degrees, WGS84 */
	double alt_m;
	enum ct_alt_ref alt_ref;
	uint64_t offset;	/* byte offset of the record in the file */
	uint32_t reclen;	/* bytes of the record the point was decoded from
				 * (0: only the byte at offset is known) */
};

/*
 * No fix: a receiver without a fix reports 0, 0 (DJI: a few 1e-10 degrees
 * of noise around it).  A point whose latitude and longitude are both
 * within CT_NOFIX_DEG of 0 (about 11 cm) is not a position.
 */
#define CT_NOFIX_DEG 1e-6

/* A range of a file's bytes that holds no data from the card: zeros the
 * reader put there (unreadable sectors of the image, clusters past the
 * end of the volume).  Points decoded from such bytes are dropped. */
struct ct_hole {
	uint64_t off, len;
};

/* Identity facts: well-known keys are listed in ct_fact_keys below. */
struct ct_fact {
	char *key;
	char *value;
};

struct ct_flight {
	const char *format;	/* parser name, e.g. "ulog" */
	struct ct_point *pts;
	size_t npts, cap;
	struct ct_point home;
	int has_home;
	struct ct_fact *facts;
	size_t nfacts, factcap;
	char **warnings;	/* "offset N: text" */
	size_t nwarnings, warncap;
	uint64_t bytes_parsed;	/* how far the parser got */
	/* Set by the caller before parsing (may be NULL): sorted, disjoint. */
	const struct ct_hole *holes;
	size_t nholes;
	/* Points not kept, counted by ct_flight_point / ct_flight_nofix and
	 * reported by ct_flight_finish (first: file offset of the first). */
	struct ct_drops {
		size_t n;
		uint64_t first;
	} nofix, badpos, unreadable;
};

/*
 * Keys a parser may set with ct_flight_fact (others are allowed too and
 * go into flights.json as they are):
 *   aircraft_serial, camera_serial, rc_serial, battery_serial, model,
 *   firmware, name (the aircraft's user-given name), app_version,
 *   hardware, vehicle_uuid, start_time (ISO 8601 as stored), log_version
 */
extern const char *const ct_fact_keys[];

/*
 * The bytes of one file, as a parser sees them.  read() fills buf with up
 * to len bytes at off and sets *got (short only at the end); it returns 0
 * or -errno.  size is the file's size.  Files may be large (videos):
 * parsers read what they need, in pieces, and never the whole of a file
 * bigger than CT_PARSE_MAX_WHOLE.
 */
#define CT_PARSE_MAX_WHOLE (256u << 20)

struct ct_input {
	const char *path;	/* as on the card, e.g. "DCIM/100MEDIA/DJI_0001.SRT" */
	uint64_t size;
	int (*read)(void *ctx, void *buf, size_t len, uint64_t off, size_t *got);
	void *ctx;
};

struct ct_parser {
	const char *name;		/* "ulog", "dataflash", "dji-srt", … */
	const char *description;
	/*
	 * Score 0 (not mine) to 100 (certainly mine) from the path (may be
	 * NULL for carved data) and the first bytes (headlen may be short).
	 */
	int (*probe)(const char *path, const unsigned char *head, size_t headlen);
	/*
	 * Parse into f (already initialised with f->format = name).  Returns
	 * 0 (something parsed, maybe with warnings), 1 (nothing of use found),
	 * or -errno (I/O, memory).  Truncation and corruption are warnings,
	 * not errors.
	 */
	int (*parse)(const struct ct_input *in, struct ct_flight *f);
	/*
	 * Optional, for carved data: set *end to the length that the format's
	 * own structure vouches for (DJI DAT: the end of its last record whose
	 * CRC holds).  Returns 0, 1 (no such structure found) or -errno.
	 */
	int (*carve_end)(const struct ct_input *in, uint64_t *end);
};

extern const struct ct_parser ct_parsers[];
extern const size_t ct_parser_count;

/*
 * Run parser p over in into f (initialised by the caller, holes set if
 * any), then ct_flight_finish(f).  Returns what p->parse returns.
 */
int ct_parse(const struct ct_parser *p, const struct ct_input *in, struct ct_flight *f);

/* The best parser for a file (score > 0), or NULL. *score gets its bid. */
const struct ct_parser *ct_parser_choose(const char *path, const unsigned char *head,
					 size_t headlen, int *score);
const struct ct_parser *ct_parser_find(const char *name);

/* ---- helpers for parsers (src/evidence/flight.c) ---- */

void ct_flight_init(struct ct_flight *f, const char *format);
void ct_flight_release(struct ct_flight *f);
/*
 * Append a point; -ENOMEM.  Not kept, and counted in f's drops: a
 * position outside [-90,90]/[-180,180] (badpos), one without a fix
 * (both coordinates within CT_NOFIX_DEG of 0: nofix), and a point whose
 * record [offset, offset + max(reclen, 1)) touches one of f's holes
 * (unreadable).
 */
int ct_flight_point(struct ct_flight *f, const struct ct_point *p);
/* A record whose own fix or satellite field says there is no fix: not a
 * position, counted as nofix at off. */
void ct_flight_nofix(struct ct_flight *f, uint64_t off);
/* Does [off, off + len) touch one of f's holes?  (len 0 counts as 1.) */
int ct_flight_in_hole(const struct ct_flight *f, uint64_t off, uint64_t len);
/* One warning per kind of dropped point, with the count and the offset of
 * the first; called once after parsing (ct_parse does). */
int ct_flight_finish(struct ct_flight *f);
/* Set a fact (the first value of a key wins; later different values are
 * kept as key_2, key_3…); the value is sanitised (control characters
 * replaced, at most 256 bytes). */
int ct_flight_fact(struct ct_flight *f, const char *key, const char *value);
const char *ct_flight_get_fact(const struct ct_flight *f, const char *key);
/* Add a warning "offset N: text" (at most 1000 kept, then one "more" line). */
int ct_flight_warn(struct ct_flight *f, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Points from several sources in one log (GPS receiver instances, topics):
 * each candidate carries its source's rank (lower is better, 0 to
 * CT_RANKED_RANKS - 1; others count as the last).  At the end,
 * ct_ranked_keep_best hands the points of the best rank that has a fix to
 * the flight in file order (ct_flight_point counts what it drops), and
 * counts the records of that rank that had no fix.  At most CT_RANKED_MAX
 * candidates are kept (later ones are ignored).
 */
#define CT_RANKED_MAX (8u << 20)
#define CT_RANKED_RANKS 512
struct ct_ranked {
	struct ct_ranked_point {
		struct ct_point p;
		int rank;
	} *v;
	size_t n, cap;
	struct ct_drops nofix[CT_RANKED_RANKS];
};
int ct_ranked_add(struct ct_ranked *r, const struct ct_point *p, int rank);
/* A record of a source of this rank without a fix, at file offset off. */
void ct_ranked_nofix(struct ct_ranked *r, uint64_t off, int rank);
int ct_ranked_keep_best(struct ct_ranked *r, struct ct_flight *f);
void ct_ranked_release(struct ct_ranked *r);

/* A struct ct_input over a memory buffer (tests, carved data). */
struct ct_mem_input {
	const unsigned char *data;
	size_t len;
};
void ct_input_from_mem(struct ct_input *in, struct ct_mem_input *m, const char *path);

/* Read up to len bytes at off, clamped to the end of the file (in->size):
 * *got is 0 at or past the end.  Returns 0 or -errno (from in->read). */
int ct_input_read_at(const struct ct_input *in, void *buf, size_t len, uint64_t off,
		     size_t *got);

/*
 * A bounded window over an input, for parsers that walk a file in pieces.
 * Set in, buf (cap bytes, the caller's) and cap; zero base and len.
 * ct_window_get makes [off, off+n) available at *p (n <= cap): it returns
 * 0, 1 when the file ends first (*avail, if not NULL, gets the bytes there
 * are from off), or -errno.  The window is refilled with up to cap bytes
 * from off whenever [off, off+n) is not already in it.
 */
struct ct_window {
	const struct ct_input *in;
	unsigned char *buf;
	size_t cap;		/* size of buf */
	uint64_t base;		/* file offset of buf[0] */
	size_t len;		/* valid bytes in buf */
};
int ct_window_get(struct ct_window *w, uint64_t off, size_t n, const unsigned char **p,
		  size_t *avail);

/* Little-endian loads of 2, 4 and 8 bytes, and of an IEEE 754 double. */
uint16_t ct_le16(const unsigned char *p);
uint32_t ct_le32(const unsigned char *p);
uint64_t ct_le64(const unsigned char *p);
double ct_ledouble(const unsigned char *p);

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m 1-12,
 * d 1-31; no range check); negative before 1970. */
int64_t ct_days_from_civil(int64_t y, unsigned m, unsigned d);

/*
 * A set of names kept as 32-bit FNV-1a hashes (parameter counting):
 * *set is a table of CT_NAME_SET_SLOTS hashes, allocated on first use
 * (free() it), *count the names in it.  Adds the n bytes at name unless
 * the set holds them already or is half full.  Returns 0 or -ENOMEM.
 */
#define CT_NAME_SET_SLOTS 65536
int ct_name_set_add(uint32_t **set, size_t *count, const void *name, size_t n);

/* ISO 8601 of t_us ("2021-04-21T06:30:58.600345Z" for UTC; no Z for local;
 * "+12.345s" for boot).  buf >= 40. */
void ct_point_time_str(const struct ct_point *p, char *buf, size_t len);

#endif
