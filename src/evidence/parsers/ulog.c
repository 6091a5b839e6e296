/*
 * ulog.c — PX4 ULog (.ulg): identity from the info messages, a GPS track
 * from vehicle_gps_position / sensor_gps.
 *
 * The file is a 16-byte header ("ULog" 01 12 35, version, uint64 start
 * timestamp) and then messages: uint16 size, uint8 type, size bytes.  All
 * little endian.  Formats ('F') describe topics as "name:type field;…";
 * subscriptions ('A') bind a msg_id to a topic; data ('D') carries the
 * msg_id and the topic's bytes.  Fields are looked up by name in the log's
 * own formats (nested types and arrays included), never at fixed offsets.
 *
 * The file is read in bounded pieces through in->read: a message is at
 * most 65535 + 3 bytes, the window is larger than that.  Corruption: an
 * unknown message type means we lost the framing, so scan forward to the
 * next sync message ('S' with its 8-byte magic) and warn with the offset.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardtrail/flight.h"
#include "parsers.h"

#define HDR_LEN		16
#define WINDOW		(256u << 10)
#define MAX_FORMATS	8192
#define MAX_SUBS	256
#define MAX_NEST	8
#define FMT_SLOTS	(2 * MAX_FORMATS)

static const unsigned char ulog_magic[7] = { 'U', 'L', 'o', 'g', 0x01, 0x12, 0x35 };
static const unsigned char sync_magic[8] = { 0x2f, 0x73, 0x13, 0x20, 0x25, 0x0c, 0xbb, 0x12 };

/* ---- primitive types ---- */

enum prim { P_NONE, P_I8, P_U8, P_I16, P_U16, P_I32, P_U32, P_I64, P_U64, P_F32, P_F64,
	    P_BOOL, P_CHAR };

static const struct {
	const char *name;
	enum prim prim;
	size_t size;
} prims[] = {
	{ "int8_t", P_I8, 1 },	   { "uint8_t", P_U8, 1 },   { "int16_t", P_I16, 2 },
	{ "uint16_t", P_U16, 2 },  { "int32_t", P_I32, 4 },  { "uint32_t", P_U32, 4 },
	{ "int64_t", P_I64, 8 },   { "uint64_t", P_U64, 8 }, { "float", P_F32, 4 },
	{ "double", P_F64, 8 },	   { "bool", P_BOOL, 1 },    { "char", P_CHAR, 1 },
};

/* The primitive named by s[0..n), P_NONE for a nested type. */
static enum prim
prim_lookup(const char *s, size_t n, size_t *size)
{
	size_t i;

	for (i = 0; i < sizeof(prims) / sizeof(prims[0]); i++)
		if (strlen(prims[i].name) == n && !memcmp(prims[i].name, s, n)) {
			*size = prims[i].size;
			return prims[i].prim;
		}
	return P_NONE;
}

static int
prim_num(enum prim t, const unsigned char *p, double *d, int64_t *i)
{
	switch (t) {
	case P_I8: *i = (int8_t)p[0]; break;
	case P_U8: case P_BOOL: case P_CHAR: *i = p[0]; break;
	case P_I16: *i = (int16_t)ct_le16(p); break;
	case P_U16: *i = ct_le16(p); break;
	case P_I32: *i = (int32_t)ct_le32(p); break;
	case P_U32: *i = ct_le32(p); break;
	case P_I64: *i = (int64_t)ct_le64(p); break;
	case P_U64: *i = (int64_t)(ct_le64(p) & INT64_MAX); break;
	case P_F32: {
		uint32_t u = ct_le32(p);
		float f;
		memcpy(&f, &u, sizeof(f));
		*d = f;
		*i = 0;
		return 1;
	}
	case P_F64: {
		uint64_t u = ct_le64(p);
		memcpy(d, &u, sizeof(*d));
		*i = 0;
		return 1;
	}
	default:
		return -1;
	}
	*d = (double)*i;
	return 0;
}

/* ---- formats ---- */

/*
 * A format as defined, and what resolve_fmt makes of it once: its size
 * and how deep its nested types go.  Each format is resolved once (a
 * cycle or a nesting deeper than MAX_NEST makes its size unknown), so the
 * work is linear in the formats' text however the types nest.
 */
struct fmt {
	char *name;	/* NUL-terminated topic name */
	char *fields;	/* NUL-terminated "type name;type name;…" */
	size_t size;	/* bytes; 0 when it cannot be known */
	int height;	/* levels of nested types below it */
	int state;	/* FMT_NEW, FMT_RESOLVING, FMT_DONE */
};

enum { FMT_NEW, FMT_RESOLVING, FMT_DONE };

/* One parsed field of a format. */
struct field {
	const char *type;	/* base type, not NUL-terminated */
	size_t typelen;
	size_t count;		/* array length, 1 for scalars */
	const char *name;
	size_t namelen;
};

/*
 * Parse the field at *s ("type[N] name;"), advancing *s.  Returns 1 for a
 * field, 0 at the end, -1 for garbage.
 */
static int
next_field(const char **s, struct field *fl)
{
	const char *p = *s, *sp, *semi, *br;

	if (*p == '\0')
		return 0;
	semi = strchr(p, ';');
	if (semi == NULL)
		semi = p + strlen(p);
	sp = memchr(p, ' ', (size_t)(semi - p));
	if (sp == NULL || sp == p || sp + 1 >= semi)
		return -1;
	fl->name = sp + 1;
	fl->namelen = (size_t)(semi - sp - 1);
	fl->type = p;
	fl->count = 1;
	br = memchr(p, '[', (size_t)(sp - p));
	if (br != NULL) {
		size_t n = 0;
		const char *q;
		for (q = br + 1; q < sp && *q >= '0' && *q <= '9'; q++) {
			n = n * 10 + (size_t)(*q - '0');
			if (n > 65535)
				return -1;
		}
		if (q == br + 1 || q >= sp || *q != ']')
			return -1;
		fl->count = n;
		fl->typelen = (size_t)(br - p);
	} else {
		fl->typelen = (size_t)(sp - p);
	}
	if (fl->typelen == 0)
		return -1;
	*s = *semi ? semi + 1 : semi;
	return 1;
}

struct loc {
	size_t off;
	enum prim t;
	int ok;
};

/* Where the fields of a GPS topic are (found once per topic). */
struct gps_locs {
	int resolved;		/* 0 not yet, 1 ok, -1 unusable */
	struct loc ts, utc, lat, lon, alt, latd, lond, altm, fix;
};

struct ulog {
	const struct ct_input *in;
	struct ct_flight *f;
	struct ct_window rd;
	struct fmt *fmts;
	size_t nfmts, fmtcap;
	int32_t *fmt_index;	/* FMT_SLOTS: index into fmts by name, -1 empty */
	struct gps_locs topics[2];	/* 0 vehicle_gps_position, 1 sensor_gps */
	struct sub {
		uint16_t msg_id;
		int rank;		/* lower is better */
		int topic;		/* 0 vehicle_gps_position, 1 sensor_gps */
	} subs[MAX_SUBS];
	size_t nsubs;
	struct ct_ranked cand;	/* GPS points, ranked by their topic */
	uint64_t appended[3];
	uint32_t *params;	/* hash set of parameter-name hashes */
	size_t nparams;
	char ver_sw[64], ver_rel[32];
};

static uint32_t
fmt_hash(const char *name, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return h;
}

/* The slot of name in the index: its format's, or the empty one where it
 * would go. */
static size_t
fmt_slot(const struct ulog *u, const char *name, size_t n)
{
	size_t i = fmt_hash(name, n) % FMT_SLOTS;
	int32_t k;

	while ((k = u->fmt_index[i]) >= 0) {
		if (strlen(u->fmts[k].name) == n && !memcmp(u->fmts[k].name, name, n))
			break;
		i = (i + 1) % FMT_SLOTS;
	}
	return i;
}

static struct fmt *
fmt_find(const struct ulog *u, const char *name, size_t n)
{
	int32_t k;

	if (u->fmt_index == NULL)
		return NULL;
	k = u->fmt_index[fmt_slot(u, name, n)];
	return k >= 0 ? &u->fmts[k] : NULL;
}

/*
 * Size and nesting height of fm, once.  The recursion goes at most as deep
 * as there are formats (each is on the stack once: one met again is a
 * cycle, and unknown).
 */
static void
resolve_fmt(struct ulog *u, struct fmt *fm)
{
	const char *s = fm->fields;
	struct field fl;
	size_t total = 0, es;
	int rc = 0, height = 0, ok = 1;

	if (fm->state != FMT_NEW)
		return;
	fm->state = FMT_RESOLVING;
	while (ok && (rc = next_field(&s, &fl)) == 1) {
		if (prim_lookup(fl.type, fl.typelen, &es) == P_NONE) {
			struct fmt *sub = fmt_find(u, fl.type, fl.typelen);
			if (sub == NULL) {
				ok = 0;
				break;
			}
			resolve_fmt(u, sub);
			if (sub->state != FMT_DONE || sub->size == 0) {
				ok = 0;	/* a cycle, or unknown */
				break;
			}
			es = sub->size;
			if (sub->height + 1 > height)
				height = sub->height + 1;
		}
		if (es * fl.count > 65535 || total + es * fl.count > 65535)
			ok = 0;
		else
			total += es * fl.count;
	}
	if (rc < 0 || height > MAX_NEST)
		ok = 0;
	fm->size = ok ? total : 0;
	fm->height = height;
	fm->state = FMT_DONE;
}

/* Where the top-level scalar field name is in topic fm. */
static void
fmt_locate(struct ulog *u, const struct fmt *fm, const char *name, struct loc *l)
{
	const char *s = fm->fields;
	struct field fl;
	size_t off = 0, es;
	enum prim t;

	l->ok = 0;
	while (next_field(&s, &fl) == 1) {
		t = prim_lookup(fl.type, fl.typelen, &es);
		if (t == P_NONE) {
			struct fmt *sub = fmt_find(u, fl.type, fl.typelen);
			if (sub == NULL)
				return;
			resolve_fmt(u, sub);
			if ((es = sub->size) == 0)
				return;
		}
		if (t != P_NONE && fl.count == 1 && fl.namelen == strlen(name) &&
		    !memcmp(fl.name, name, fl.namelen)) {
			l->off = off;
			l->t = t;
			l->ok = 1;
			return;
		}
		off += es * fl.count;
		if (off > 65535)
			return;
	}
}

static int
add_format(struct ulog *u, uint64_t off, const unsigned char *b, size_t n)
{
	const unsigned char *colon = memchr(b, ':', n);
	struct fmt fm;
	size_t nl, slot;

	if (colon == NULL || colon == b) {
		ct_flight_warn(u->f, off, "format without a name, ignored");
		return 0;
	}
	nl = (size_t)(colon - b);
	if (memchr(b, '\0', n) != NULL) {
		ct_flight_warn(u->f, off, "format with a NUL byte, ignored");
		return 0;
	}
	if (u->fmt_index == NULL) {
		if ((u->fmt_index = malloc(FMT_SLOTS * sizeof(*u->fmt_index))) == NULL)
			return -ENOMEM;
		memset(u->fmt_index, 0xff, FMT_SLOTS * sizeof(*u->fmt_index));
	}
	slot = fmt_slot(u, (const char *)b, nl);
	if (u->fmt_index[slot] >= 0) {
		ct_flight_warn(u->f, off, "format '%.*s' defined twice, first kept",
			       (int)(nl > 64 ? 64 : nl), (const char *)b);
		return 0;
	}
	if (u->nfmts >= MAX_FORMATS) {
		ct_flight_warn(u->f, off, "too many formats, ignored");
		return 0;
	}
	if (u->nfmts == u->fmtcap) {
		size_t cap = u->fmtcap ? u->fmtcap * 2 : 64;
		struct fmt *nf = realloc(u->fmts, cap * sizeof(*nf));
		if (nf == NULL)
			return -ENOMEM;
		u->fmts = nf;
		u->fmtcap = cap;
	}
	memset(&fm, 0, sizeof(fm));
	fm.name = strndup((const char *)b, nl);
	fm.fields = strndup((const char *)colon + 1, n - nl - 1);
	if (fm.name == NULL || fm.fields == NULL) {
		free(fm.name);
		free(fm.fields);
		return -ENOMEM;
	}
	u->fmt_index[slot] = (int32_t)u->nfmts;
	u->fmts[u->nfmts++] = fm;
	return 0;
}

/* Rank of a GPS topic: vehicle_gps_position (the selected receiver)
 * before sensor_gps; lower multi_id first.  -1 for other topics. */
static int
gps_rank(const unsigned char *name, size_t n, unsigned multi)
{
	if (n == 20 && !memcmp(name, "vehicle_gps_position", 20))
		return (int)multi;
	if (n == 10 && !memcmp(name, "sensor_gps", 10))
		return 256 + (int)multi;
	return -1;
}

static void
add_sub(struct ulog *u, uint64_t off, const unsigned char *b, size_t n)
{
	uint16_t id;
	size_t i;
	int rank;

	if (n < 4) {
		ct_flight_warn(u->f, off, "short subscription message");
		return;
	}
	id = ct_le16(b + 1);
	for (i = 0; i < u->nsubs; i++)
		if (u->subs[i].msg_id == id) {
			/* a msg_id bound twice: the later binding wins */
			u->subs[i] = u->subs[--u->nsubs];
			break;
		}
	rank = gps_rank(b + 3, n - 3, b[0]);
	if (rank < 0)
		return;
	if (u->nsubs >= MAX_SUBS) {
		ct_flight_warn(u->f, off, "too many gps subscriptions, ignored");
		return;
	}
	memset(&u->subs[u->nsubs], 0, sizeof(u->subs[0]));
	u->subs[u->nsubs].msg_id = id;
	u->subs[u->nsubs].rank = rank;
	/* the fields are located at the first data message */
	u->subs[u->nsubs].topic = rank >= 256;
	u->nsubs++;
}

/* The fields of a GPS topic, found once per topic. */
static const struct gps_locs *
topic_locs(struct ulog *u, int topic, uint64_t off)
{
	static const char *const names[] = { "vehicle_gps_position", "sensor_gps" };
	struct gps_locs *g = &u->topics[topic];
	const struct fmt *fm;

	if (g->resolved != 0)
		return g;
	g->resolved = -1;
	fm = fmt_find(u, names[topic], strlen(names[topic]));
	if (fm == NULL) {
		ct_flight_warn(u->f, off, "no format for subscribed topic '%s'", names[topic]);
		return g;
	}
	fmt_locate(u, fm, "timestamp", &g->ts);
	fmt_locate(u, fm, "time_utc_usec", &g->utc);
	fmt_locate(u, fm, "lat", &g->lat);
	fmt_locate(u, fm, "lon", &g->lon);
	fmt_locate(u, fm, "alt", &g->alt);
	fmt_locate(u, fm, "latitude_deg", &g->latd);
	fmt_locate(u, fm, "longitude_deg", &g->lond);
	fmt_locate(u, fm, "altitude_msl_m", &g->altm);
	fmt_locate(u, fm, "fix_type", &g->fix);
	if (!g->fix.ok || !((g->lat.ok && g->lon.ok) || (g->latd.ok && g->lond.ok))) {
		ct_flight_warn(u->f, off, "topic '%s' has no fix_type/lat/lon fields",
			       names[topic]);
		return g;
	}
	g->resolved = 1;
	return g;
}

/* Field l of a data payload d (n bytes): 1 with *v set, 0 when absent. */
static int
get_field(const struct loc *l, const unsigned char *d, size_t n, double *v, int64_t *iv)
{
	size_t es;

	if (!l->ok)
		return 0;
	switch (l->t) {
	case P_I8: case P_U8: case P_BOOL: case P_CHAR: es = 1; break;
	case P_I16: case P_U16: es = 2; break;
	case P_I32: case P_U32: case P_F32: es = 4; break;
	default: es = 8; break;
	}
	if (l->off + es > n)
		return 0;
	prim_num(l->t, d + l->off, v, iv);
	return 1;
}

static int
data_msg(struct ulog *u, uint64_t off, const unsigned char *b, size_t n)
{
	struct ct_point pt;
	const struct gps_locs *g;
	struct sub *s = NULL;
	const unsigned char *d;
	double v, lat, lon;
	int64_t iv, fix;
	size_t i;

	if (n < 2)
		return 0;
	for (i = 0; i < u->nsubs; i++)
		if (u->subs[i].msg_id == ct_le16(b)) {
			s = &u->subs[i];
			break;
		}
	if (s == NULL)
		return 0;
	g = topic_locs(u, s->topic, off);
	if (g->resolved != 1)
		return 0;
	d = b + 2;
	n -= 2;
	if (!get_field(&g->fix, d, n, &v, &fix))
		return 0;
	if (fix < 2) {
		ct_ranked_nofix(&u->cand, off, s->rank);
		return 0;
	}
	memset(&pt, 0, sizeof(pt));
	if (get_field(&g->lat, d, n, &v, &iv) && g->lat.t != P_F32 && g->lat.t != P_F64) {
		lat = (double)iv * 1e-7;
		if (!get_field(&g->lon, d, n, &v, &iv))
			return 0;
		lon = (double)iv * 1e-7;
	} else if (get_field(&g->latd, d, n, &lat, &iv) && get_field(&g->lond, d, n, &lon, &iv)) {
		;
	} else {
		return 0;
	}
	pt.lat = lat;
	pt.lon = lon;
	if (get_field(&g->alt, d, n, &v, &iv) && g->alt.t != P_F32 && g->alt.t != P_F64) {
		pt.alt_m = (double)iv / 1000.0;
		pt.alt_ref = CT_ALT_MSL;
	} else if (get_field(&g->altm, d, n, &v, &iv)) {
		pt.alt_m = v;
		pt.alt_ref = CT_ALT_MSL;
	}
	if (get_field(&g->utc, d, n, &v, &iv) && iv > 0) {
		pt.t_us = iv;
		pt.basis = CT_TIME_UTC;
	} else if (get_field(&g->ts, d, n, &v, &iv)) {
		pt.t_us = iv;
		pt.basis = CT_TIME_BOOT;
	}
	pt.offset = off;
	pt.reclen = (uint32_t)(n + 2 + 3);
	return ct_ranked_add(&u->cand, &pt, s->rank);
}

static int
count_param(struct ulog *u, const unsigned char *name, size_t n)
{
	return ct_name_set_add(&u->params, &u->nparams, name, n);
}

/* Info key_len/key/value: "type name" then the value bytes. */
static int
info_msg(struct ulog *u, uint64_t off, const unsigned char *b, size_t n, int param)
{
	const unsigned char *key, *val, *sp, *br;
	size_t kl, vl, tl, es;
	char str[257], num[32];
	enum prim t;
	double d;
	int64_t iv;
	int isnum;
	static const struct {
		const char *info, *fact;
	} keys[] = {
		{ "sys_name", "sys_name" },	{ "ver_hw", "hardware" },
		{ "ver_hw_subtype", "hardware_subtype" }, { "sys_uuid", "vehicle_uuid" },
		{ "sys_mcu", "mcu" },		{ "ver_sw_branch", "firmware_branch" },
		{ "sys_os_name", "os" },	{ "sys_os_ver", "os_version" },
		{ "sys_toolchain", "toolchain" }, { "vehicle_name", "name" },
	};
	size_t i;

	if (n < 1 || (kl = b[0]) == 0 || kl > n - 1) {
		ct_flight_warn(u->f, off, "malformed info message");
		return 0;
	}
	key = b + 1;
	val = key + kl;
	vl = n - 1 - kl;
	sp = memchr(key, ' ', kl);
	if (sp == NULL) {
		ct_flight_warn(u->f, off, "info key without a type");
		return 0;
	}
	tl = (size_t)(sp - key);
	if (param)
		return count_param(u, sp + 1, kl - tl - 1);
	br = memchr(key, '[', tl);
	t = prim_lookup((const char *)key, br ? (size_t)(br - key) : tl, &es);
	isnum = 0;
	if (t == P_CHAR) {
		size_t m = vl < sizeof(str) - 1 ? vl : sizeof(str) - 1;
		memcpy(str, val, m);
		str[m] = '\0';
	} else if (t != P_NONE && br == NULL && vl >= es) {
		isnum = prim_num(t, val, &d, &iv);
		if (isnum == 1)
			snprintf(num, sizeof(num), "%g", d);
		else
			snprintf(num, sizeof(num), "%" PRId64, iv);
		snprintf(str, sizeof(str), "%s", num);
		isnum = 1;
	} else {
		return 0;
	}
	kl -= tl + 1;
	sp++;
	if (kl == 6 && !memcmp(sp, "ver_sw", 6) && t == P_CHAR) {
		snprintf(u->ver_sw, sizeof(u->ver_sw), "%.63s", str);
		return 0;
	}
	if (kl == 14 && !memcmp(sp, "ver_sw_release", 14) && isnum && vl >= 4) {
		/* 0xAABBCCTT: major, minor, patch, type (255 release) */
		uint32_t r = ct_le32(val);
		unsigned ty = r & 0xff;
		snprintf(u->ver_rel, sizeof(u->ver_rel), "v%u.%u.%u%s", r >> 24,
			 (r >> 16) & 0xff, (r >> 8) & 0xff,
			 ty == 255 ? "" : ty >= 192 ? " rc" : ty >= 128 ? " beta" :
			 ty >= 64 ? " alpha" : " dev");
		return 0;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].info) == kl && !memcmp(keys[i].info, sp, kl))
			return ct_flight_fact(u->f, keys[i].fact, str);
	return 0;
}

/* Multi info: is_continued, then like info.  Only checked for sanity: no
 * multi-part key is an identity fact. */
static void
multi_msg(struct ulog *u, uint64_t off, const unsigned char *b, size_t n)
{
	if (n < 2 || b[1] == 0 || b[1] > n - 2)
		ct_flight_warn(u->f, off, "malformed multi info message");
}

static void
flag_bits(struct ulog *u, uint64_t off, const unsigned char *b, size_t n)
{
	int i;

	if (n < 40) {
		ct_flight_warn(u->f, off, "short flag bits message");
		return;
	}
	if (b[8] & ~1u)
		ct_flight_warn(u->f, off, "unknown incompatible flags 0x%02x", b[8]);
	for (i = 9; i < 16; i++)
		if (b[i]) {
			ct_flight_warn(u->f, off, "unknown incompatible flags in byte %d", i - 8);
			break;
		}
	if (b[8] & 1)
		for (i = 0; i < 3; i++)
			u->appended[i] = ct_le64(b + 16 + 8 * i);
}

/* Scan forward for the sync magic; the 'S' message starts 3 bytes before
 * it.  *out gets a position after pos (the corrupt header), or the file
 * size when there is no sync left. */
static int
find_sync(struct ulog *u, uint64_t pos, uint64_t *out)
{
	const unsigned char *p, *hit;
	size_t avail;
	int rc;

	for (;;) {
		rc = ct_window_get(&u->rd, pos, sizeof(sync_magic), &p, &avail);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			*out = u->in->size;
			return 0;
		}
		hit = memmem(p, avail, sync_magic, sizeof(sync_magic));
		if (hit != NULL) {
			uint64_t at = pos + (uint64_t)(hit - p);
			*out = at >= 3 ? at - 3 : 0;
			return 0;
		}
		pos += avail - sizeof(sync_magic) + 1;
	}
}

static int
is_known_type(unsigned t)
{
	return t != 0 && strchr("BFIMPQARDLCSO", (int)t) != NULL;
}

int
ct_ulog_probe(const char *path, const unsigned char *head, size_t headlen)
{
	size_t n;

	if (headlen >= sizeof(ulog_magic) && !memcmp(head, ulog_magic, sizeof(ulog_magic)))
		return 100;
	if (path != NULL && (n = strlen(path)) >= 4 && !strcasecmp(path + n - 4, ".ulg"))
		return 10;
	return 0;
}

int
ct_ulog_parse(const struct ct_input *in, struct ct_flight *f)
{
	struct ulog *u;
	const unsigned char *p;
	uint64_t pos, next;
	size_t avail, i, n;
	int rc, ret = 1;
	unsigned type;
	char buf[32];

	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	u->in = in;
	u->f = f;
	u->rd.in = in;
	u->rd.cap = WINDOW;
	u->rd.buf = malloc(WINDOW);
	if (u->rd.buf == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	rc = ct_window_get(&u->rd, 0, HDR_LEN, &p, &avail);
	if (rc < 0) {
		ret = rc;
		goto out;
	}
	if (avail < sizeof(ulog_magic) || memcmp(p, ulog_magic, sizeof(ulog_magic))) {
		ct_flight_warn(f, 0, "not a ulog file");
		goto out;
	}
	if (rc == 1) {
		ct_flight_warn(f, avail, "truncated header");
		f->bytes_parsed = avail;
		goto out;
	}
	snprintf(buf, sizeof(buf), "%u", p[7]);
	if ((rc = ct_flight_fact(f, "log_version", buf)) < 0) {
		ret = rc;
		goto out;
	}
	pos = HDR_LEN;
	for (;;) {
		rc = ct_window_get(&u->rd, pos, 3, &p, &avail);
		if (rc < 0) {
			ret = rc;
			goto out;
		}
		if (rc == 1) {
			if (avail > 0)
				ct_flight_warn(f, pos, "truncated message header (%zu bytes)", avail);
			break;
		}
		n = ct_le16(p);
		type = p[2];
		if (!is_known_type(type) || (type == 'D' && n < 2) || (type == 'A' && n < 4)) {
			rc = find_sync(u, pos + 4, &next);
			if (rc < 0) {
				ret = rc;
				goto out;
			}
			ct_flight_warn(f, pos, "corrupt message, skipped %" PRIu64
				       " bytes to the next sync", next - pos);
			pos = next;
			continue;
		}
		/* appended data: a message crossing an appended offset was cut
		 * short when the log was closed; continue at the offset */
		for (i = 0; i < 3; i++)
			if (u->appended[i] > pos && pos + 3 + n > u->appended[i]) {
				ct_flight_warn(f, pos, "message cut by appended data at %" PRIu64,
					       u->appended[i]);
				pos = u->appended[i];
				break;
			}
		if (i < 3)
			continue;
		rc = ct_window_get(&u->rd, pos, 3 + n, &p, &avail);
		if (rc < 0) {
			ret = rc;
			goto out;
		}
		if (rc == 1) {
			ct_flight_warn(f, pos, "truncated '%c' message: %zu of %zu bytes", type,
				       avail, n + 3);
			break;
		}
		p += 3;
		rc = 0;
		switch (type) {
		case 'B':
			if (pos == HDR_LEN)
				flag_bits(u, pos, p, n);
			break;
		case 'F':
			rc = add_format(u, pos, p, n);
			break;
		case 'I':
			rc = info_msg(u, pos, p, n, 0);
			break;
		case 'M':
			multi_msg(u, pos, p, n);
			break;
		case 'P':
			rc = info_msg(u, pos, p, n, 1);
			break;
		case 'A':
			add_sub(u, pos, p, n);
			break;
		case 'R':
			if (n >= 2)
				for (i = 0; i < u->nsubs; i++)
					if (u->subs[i].msg_id == ct_le16(p)) {
						u->subs[i] = u->subs[--u->nsubs];
						break;
					}
			break;
		case 'D':
			rc = data_msg(u, pos, p, n);
			break;
		default:
			break;
		}
		if (rc < 0) {
			ret = rc;
			goto out;
		}
		pos += 3 + n;
		f->bytes_parsed = pos;
	}
	if (f->bytes_parsed < pos)
		f->bytes_parsed = pos > in->size ? in->size : pos;

	/* the best GPS source present, in file order */
	if ((rc = ct_ranked_keep_best(&u->cand, f)) < 0) {
		ret = rc;
		goto out;
	}
	if (u->ver_rel[0] || u->ver_sw[0]) {
		char fw[128];
		if (u->ver_rel[0] && u->ver_sw[0])
			snprintf(fw, sizeof(fw), "%s (%s)", u->ver_rel, u->ver_sw);
		else
			snprintf(fw, sizeof(fw), "%s", u->ver_rel[0] ? u->ver_rel : u->ver_sw);
		if ((rc = ct_flight_fact(f, "firmware", fw)) < 0) {
			ret = rc;
			goto out;
		}
	}
	if (u->nparams > 0) {
		snprintf(buf, sizeof(buf), "%zu", u->nparams);
		if ((rc = ct_flight_fact(f, "param_count", buf)) < 0) {
			ret = rc;
			goto out;
		}
	}
	ret = (f->npts > 0 || f->nfacts > 1) ? 0 : 1;
out:
	if (u != NULL) {
		for (i = 0; i < u->nfmts; i++) {
			free(u->fmts[i].name);
			free(u->fmts[i].fields);
		}
		free(u->fmts);
		free(u->fmt_index);
		ct_ranked_release(&u->cand);
		free(u->params);
		free(u->rd.buf);
		free(u);
	}
	return ret;
}
