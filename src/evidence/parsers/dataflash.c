/*
 * dataflash.c — ArduPilot DataFlash logs (.BIN): a GPS track, firmware
 * and board from MSG texts, the VER message, the number of parameters.
 *
 * Every message is A3 95, a one-byte type, then a payload whose layout the
 * log itself defines in FMT messages (type 128, 89 bytes: Type, Length,
 * Name[4], Format[16], Columns[64]).  Nothing here assumes a layout: the
 * GPS, MSG, PARM and VER columns are found by name in the log's FMTs.
 *
 * Corruption: when the bytes at the current position are not A3 95 with
 * a known type, scan forward to the next A3 95 followed by a known type
 * and warn with the offset.  The file is read in bounded pieces.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cardtrail/flight.h"
#include "parsers.h"

#define HEAD0		0xa3
#define HEAD1		0x95
#define FMT_TYPE	128
#define FMT_LEN		89
#define WINDOW		(256u << 10)
#define MAX_COLS	64

/*
 * GPS time: the GPS epoch is 1980-01-06T00:00:00Z (315964800 s after the
 * Unix epoch) and GPS time does not count leap seconds.  UTC = GPS - 18 s
 * for any date since 2017-01-01 (the leap second count in force then and
 * still, as of this writing).  The count is a known constant, not read
 * from the log: logs from before 2017 will be up to a few seconds off.
 */
#define GPS_EPOCH_UNIX	315964800LL
#define GPS_LEAP_S	18

/* Format characters: size in bytes.  0: not a format character. */
static size_t
fc_size(char c)
{
	switch (c) {
	case 'b': case 'B': case 'M':
		return 1;
	case 'h': case 'H': case 'c': case 'C':
		return 2;
	case 'i': case 'I': case 'f': case 'e': case 'E': case 'L': case 'n':
		return 4;
	case 'd': case 'q': case 'Q':
		return 8;
	case 'N':
		return 16;
	case 'Z': case 'a':
		return 64;
	default:
		return 0;
	}
}

struct dfmt {
	int known;
	uint8_t len;		/* whole message, header included */
	char name[5];
	char format[17];
	uint8_t off[MAX_COLS];	/* payload offset of each column */
	char cols[65];
	int ncols;
};

/* A column of a format, by name. */
struct col {
	int ok;
	char t;
	size_t off;
};

static void
col_find(const struct dfmt *d, const char *name, struct col *c)
{
	const char *s = d->cols, *e;
	size_t n = strlen(name);
	int i;

	c->ok = 0;
	for (i = 0; i < d->ncols && *s; i++) {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		if ((size_t)(e - s) == n && !memcmp(s, name, n)) {
			c->ok = 1;
			c->t = d->format[i];
			c->off = d->off[i];
			return;
		}
		s = *e ? e + 1 : e;
	}
}

/*
 * A numeric column as stored (*iv, integers) and as a value in its unit
 * (*v: c/C/e/E are hundredths, L is degrees ×1e7).  0 if not numeric.
 */
static int
col_num(const struct col *c, const unsigned char *pl, int64_t *iv, double *v)
{
	const unsigned char *p;
	double scale = 1;

	if (!c->ok)
		return 0;
	p = pl + c->off;
	switch (c->t) {
	case 'b': *iv = (int8_t)p[0]; break;
	case 'B': case 'M': *iv = p[0]; break;
	case 'h': case 'c': *iv = (int16_t)(p[0] | p[1] << 8); break;
	case 'H': case 'C': *iv = (uint16_t)(p[0] | p[1] << 8); break;
	case 'i': case 'e': case 'L': *iv = (int32_t)ct_le32(p); break;
	case 'I': case 'E': *iv = ct_le32(p); break;
	case 'q': *iv = (int64_t)ct_le64(p); break;
	case 'Q': *iv = (int64_t)(ct_le64(p) & INT64_MAX); break;
	case 'f': {
		uint32_t u = ct_le32(p);
		float fl;
		memcpy(&fl, &u, sizeof(fl));
		*v = fl;
		*iv = (int64_t)(fl >= -9e18 && fl <= 9e18 ? fl : 0);
		return 1;
	}
	case 'd': {
		uint64_t u = ct_le64(p);
		memcpy(v, &u, sizeof(*v));
		*iv = (int64_t)(*v >= -9e18 && *v <= 9e18 ? *v : 0);
		return 1;
	}
	default:
		return 0;
	}
	if (c->t == 'c' || c->t == 'C' || c->t == 'e' || c->t == 'E')
		scale = 0.01;
	else if (c->t == 'L')
		scale = 1e-7;
	*v = (double)*iv * scale;
	return 1;
}

/* A text column copied into buf (NUL-terminated). */
static int
col_str(const struct col *c, const unsigned char *pl, char *buf, size_t len)
{
	size_t n = fc_size(c->t);

	if (!c->ok || !(c->t == 'n' || c->t == 'N' || c->t == 'Z') || len == 0)
		return 0;
	if (n > len - 1)
		n = len - 1;
	memcpy(buf, pl + c->off, n);
	buf[n] = '\0';
	return 1;
}

struct df {
	const struct ct_input *in;
	struct ct_flight *f;
	struct ct_window rd;
	struct dfmt fmts[256];
	struct gpscols {
		int type;	/* -1 until a GPS FMT is seen */
		struct col ts, tms, inst, status, gwk, gms, lat, lng, alt;
	} gps;
	int msg_type, parm_type, ver_type;
	struct col msg_text, parm_name;
	struct col ver_fws, ver_bt, ver_gh;
	struct ct_ranked cand;	/* GPS points, ranked by receiver instance */
	uint32_t *params;
	size_t nparams;
};

static int
define_fmt(struct df *d, uint64_t off, const unsigned char *pl)
{
	struct dfmt nf;
	unsigned type = pl[0];
	size_t i, sz = 0, nc;
	const char *s;

	memset(&nf, 0, sizeof(nf));
	nf.len = pl[1];
	memcpy(nf.name, pl + 2, 4);
	memcpy(nf.format, pl + 6, 16);
	memcpy(nf.cols, pl + 22, 64);
	for (i = 0; nf.format[i]; i++) {
		size_t cs = fc_size(nf.format[i]);
		if (cs == 0) {
			ct_flight_warn(d->f, off, "format for type %u has a bad character, ignored",
				       type);
			return 0;
		}
		nf.off[i] = (uint8_t)sz;
		sz += cs;
	}
	nf.ncols = (int)i;
	for (nc = 0, s = nf.cols; *s; s++)
		nc += *s == ',';
	if (nf.cols[0])
		nc++;
	if (sz + 3 != nf.len || nc != (size_t)nf.ncols || !nf.name[0]) {
		ct_flight_warn(d->f, off, "inconsistent format for type %u, ignored", type);
		return 0;
	}
	if (type == FMT_TYPE) {
		if (nf.len != FMT_LEN || strcmp(nf.format, "BBnNZ"))
			ct_flight_warn(d->f, off, "unexpected definition of FMT ignored");
		return 0;
	}
	nf.known = 1;
	if (d->fmts[type].known) {
		/* The columns of GPS, MSG, PARM and VER were found in the first
		 * layout: a second one for the same type would be read with
		 * them.  The same layout again is harmless, another is refused. */
		const struct dfmt *old = &d->fmts[type];
		if (old->len != nf.len || strcmp(old->name, nf.name) ||
		    strcmp(old->format, nf.format) || strcmp(old->cols, nf.cols))
			ct_flight_warn(d->f, off, "format for type %u redefined (%s, %u bytes; "
				       "was %s, %u bytes): the first definition kept", type,
				       nf.name, nf.len, old->name, old->len);
		return 0;
	}
	d->fmts[type] = nf;
	if (!strcmp(nf.name, "GPS")) {
		struct gpscols *g = &d->gps;
		g->type = (int)type;
		col_find(&nf, "TimeUS", &g->ts);
		col_find(&nf, "TimeMS", &g->tms);
		col_find(&nf, "I", &g->inst);
		col_find(&nf, "Status", &g->status);
		col_find(&nf, "GWk", &g->gwk);
		col_find(&nf, "GMS", &g->gms);
		col_find(&nf, "Lat", &g->lat);
		col_find(&nf, "Lng", &g->lng);
		col_find(&nf, "Alt", &g->alt);
		if (!g->status.ok || !g->lat.ok || !g->lng.ok) {
			ct_flight_warn(d->f, off, "GPS format without Status/Lat/Lng");
			g->type = -1;
		}
	} else if (!strcmp(nf.name, "MSG")) {
		d->msg_type = (int)type;
		col_find(&nf, "Message", &d->msg_text);
	} else if (!strcmp(nf.name, "PARM")) {
		d->parm_type = (int)type;
		col_find(&nf, "Name", &d->parm_name);
	} else if (!strcmp(nf.name, "VER")) {
		d->ver_type = (int)type;
		col_find(&nf, "FWS", &d->ver_fws);
		col_find(&nf, "BT", &d->ver_bt);
		col_find(&nf, "GH", &d->ver_gh);
	}
	return 0;
}

static int
gps_msg(struct df *d, uint64_t off, const unsigned char *pl)
{
	const struct gpscols *g = &d->gps;
	struct ct_point pt;
	int64_t iv, wk, ms;
	double v;
	int inst = 0;

	if (col_num(&g->inst, pl, &iv, &v))
		inst = iv >= 0 && iv < CT_RANKED_RANKS ? (int)iv : CT_RANKED_RANKS - 1;
	if (!col_num(&g->status, pl, &iv, &v))
		return 0;
	if (iv < 2) {	/* 0: no GPS, 1: no fix, 2: 2D fix, 3: 3D, more: better */
		ct_ranked_nofix(&d->cand, off, inst);
		return 0;
	}
	memset(&pt, 0, sizeof(pt));
	if (!col_num(&g->lat, pl, &iv, &pt.lat) || !col_num(&g->lng, pl, &iv, &pt.lon))
		return 0;
	if (g->lat.t == 'i') {	/* old logs: integer degrees ×1e7 without 'L' */
		pt.lat *= 1e-7;
		pt.lon *= 1e-7;
	}
	if (col_num(&g->alt, pl, &iv, &pt.alt_m))
		pt.alt_ref = CT_ALT_MSL;
	if (col_num(&g->gwk, pl, &wk, &v) && col_num(&g->gms, pl, &ms, &v) && wk > 0 &&
	    wk < 10000 && ms >= 0 && ms < 7 * 86400 * 1000LL) {
		pt.t_us = ((GPS_EPOCH_UNIX + wk * 7 * 86400 - GPS_LEAP_S) * 1000 + ms) * 1000;
		pt.basis = CT_TIME_UTC;
	} else if (col_num(&g->ts, pl, &iv, &v)) {
		pt.t_us = iv;
		pt.basis = CT_TIME_BOOT;
	} else if (col_num(&g->tms, pl, &iv, &v) && iv < INT64_MAX / 1000) {
		pt.t_us = iv * 1000;
		pt.basis = CT_TIME_BOOT;
	}
	pt.offset = off;
	pt.reclen = d->fmts[d->gps.type].len;
	return ct_ranked_add(&d->cand, &pt, inst);
}

/* Is s "<board> XXXXXXXX XXXXXXXX XXXXXXXX" (the board line with the MCU
 * unique id)?  *blen gets the board name's length. */
static int
board_line(const char *s, size_t *blen)
{
	const char *sp = strchr(s, ' ');
	int groups = 0;
	size_t n;

	if (sp == NULL || sp == s)
		return 0;
	*blen = (size_t)(sp - s);
	for (s = sp; *s == ' '; s = sp) {
		s++;
		n = strspn(s, "0123456789abcdefABCDEF");
		if (n != 8)
			return 0;
		groups++;
		sp = s + n;
	}
	return *s == '\0' && groups >= 2;
}

static int
msg_text(struct df *d, const char *t)
{
	static const char *const fw[] = {
		"ArduPlane ", "ArduCopter ", "ArduRover ", "ArduSub ", "ArduHeli ",
		"AntennaTracker ", "Blimp ", "AP_Periph ", "APM:", NULL,
	};
	char buf[80];
	size_t i, bl;

	for (i = 0; fw[i]; i++)
		if (!strncmp(t, fw[i], strlen(fw[i])))
			return ct_flight_fact(d->f, "firmware", t);
	if (!strncmp(t, "ChibiOS: ", 9) || !strncmp(t, "NuttX: ", 7))
		return ct_flight_fact(d->f, "os", t);
	if (!strncmp(t, "Frame: ", 7))
		return ct_flight_fact(d->f, "frame", t + 7);
	if (board_line(t, &bl)) {
		int rc;
		snprintf(buf, sizeof(buf), "%.*s", (int)(bl < 64 ? bl : 64), t);
		if ((rc = ct_flight_fact(d->f, "hardware", buf)) < 0)
			return rc;
		return ct_flight_fact(d->f, "vehicle_uuid", t + bl + 1);
	}
	return 0;
}

static int
count_param(struct df *d, const char *name)
{
	return ct_name_set_add(&d->params, &d->nparams, name, strlen(name));
}

static int
ver_msg(struct df *d, const unsigned char *pl)
{
	char buf[80];
	int64_t iv;
	double v;
	int rc;

	if (col_str(&d->ver_fws, pl, buf, sizeof(buf)) &&
	    (rc = ct_flight_fact(d->f, "firmware", buf)) < 0)
		return rc;
	if (col_num(&d->ver_bt, pl, &iv, &v)) {
		snprintf(buf, sizeof(buf), "%" PRId64, iv);
		if ((rc = ct_flight_fact(d->f, "board_type", buf)) < 0)
			return rc;
	}
	if (col_num(&d->ver_gh, pl, &iv, &v)) {
		snprintf(buf, sizeof(buf), "%08" PRIx64, iv);
		if ((rc = ct_flight_fact(d->f, "git_hash", buf)) < 0)
			return rc;
	}
	return 0;
}

/* From pos, find the next A3 95 with a known type (*out), or the end. */
static int
resync(struct df *d, uint64_t pos, uint64_t *out)
{
	const unsigned char *p;
	size_t avail, i;
	int rc;

	for (;;) {
		rc = ct_window_get(&d->rd, pos, 3, &p, &avail);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			*out = d->in->size;
			return 0;
		}
		for (i = 0; i + 3 <= avail; i++)
			if (p[i] == HEAD0 && p[i + 1] == HEAD1 && d->fmts[p[i + 2]].known) {
				*out = pos + i;
				return 0;
			}
		pos += avail - 2;
	}
}

int
ct_dataflash_probe(const char *path, const unsigned char *head, size_t headlen)
{
	size_t n;

	/* every log starts with FMT for FMT: A3 95 80 80 59 "FMT" */
	if (headlen >= 8 && head[0] == HEAD0 && head[1] == HEAD1 && head[2] == FMT_TYPE &&
	    !memcmp(head + 5, "FMT", 3))
		return 100;
	if (headlen >= 3 && head[0] == HEAD0 && head[1] == HEAD1)
		return 60;
	if (path != NULL && (n = strlen(path)) >= 4 && !strcasecmp(path + n - 4, ".bin"))
		return 10;
	return 0;
}

int
ct_dataflash_parse(const struct ct_input *in, struct ct_flight *f)
{
	struct df *d;
	const unsigned char *p;
	uint64_t pos, next;
	size_t avail;
	unsigned type;
	char text[80];
	int rc, ret = 1;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->in = in;
	d->f = f;
	d->rd.in = in;
	d->gps.type = d->msg_type = d->parm_type = d->ver_type = -1;
	d->rd.cap = WINDOW;
	d->rd.buf = malloc(WINDOW);
	if (d->rd.buf == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	/* the one layout not read from the log: FMT itself */
	d->fmts[FMT_TYPE].known = 1;
	d->fmts[FMT_TYPE].len = FMT_LEN;
	snprintf(d->fmts[FMT_TYPE].name, sizeof(d->fmts[FMT_TYPE].name), "FMT");

	pos = 0;
	for (;;) {
		rc = ct_window_get(&d->rd, pos, 3, &p, &avail);
		if (rc < 0) {
			ret = rc;
			goto out;
		}
		if (rc == 1) {
			if (avail > 0)
				ct_flight_warn(f, pos, "truncated message header (%zu bytes)", avail);
			break;
		}
		type = p[2];
		if (p[0] != HEAD0 || p[1] != HEAD1 || !d->fmts[type].known) {
			if ((rc = resync(d, pos + 1, &next)) < 0) {
				ret = rc;
				goto out;
			}
			ct_flight_warn(f, pos, "%s, skipped %" PRIu64 " bytes",
				       p[0] != HEAD0 || p[1] != HEAD1 ? "no message header" :
				       "unknown message type", next - pos);
			pos = next;
			continue;
		}
		rc = ct_window_get(&d->rd, pos, d->fmts[type].len, &p, &avail);
		if (rc < 0) {
			ret = rc;
			goto out;
		}
		if (rc == 1) {
			ct_flight_warn(f, pos, "truncated %s message: %zu of %u bytes",
				       d->fmts[type].name, avail, d->fmts[type].len);
			break;
		}
		p += 3;
		rc = 0;
		if (type == FMT_TYPE)
			rc = define_fmt(d, pos, p);
		else if ((int)type == d->gps.type)
			rc = gps_msg(d, pos, p);
		else if ((int)type == d->msg_type && col_str(&d->msg_text, p, text, sizeof(text)))
			rc = msg_text(d, text);
		else if ((int)type == d->parm_type &&
			 col_str(&d->parm_name, p, text, sizeof(text)))
			rc = count_param(d, text);
		else if ((int)type == d->ver_type)
			rc = ver_msg(d, p);
		if (rc < 0) {
			ret = rc;
			goto out;
		}
		pos += d->fmts[type].len;
		f->bytes_parsed = pos;
	}

	if (f->bytes_parsed == 0)
		ct_flight_warn(f, 0, "no dataflash message found");

	/* the first receiver present (instance 0 unless it never had a fix) */
	if ((rc = ct_ranked_keep_best(&d->cand, f)) < 0) {
		ret = rc;
		goto out;
	}
	if (d->nparams > 0) {
		snprintf(text, sizeof(text), "%zu", d->nparams);
		if ((rc = ct_flight_fact(f, "param_count", text)) < 0) {
			ret = rc;
			goto out;
		}
	}
	ret = (f->npts > 0 || f->nfacts > 0) ? 0 : 1;
out:
	if (d != NULL) {
		ct_ranked_release(&d->cand);
		free(d->params);
		free(d->rd.buf);
		free(d);
	}
	return ret;
}
