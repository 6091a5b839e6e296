/*
 * flight.c — the parser table's chooser and the helpers parsers share.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cardtrail/flight.h"

#define MAX_WARNINGS 1000
#define MAX_FACT_LEN 256

const char *const ct_fact_keys[] = {
	"aircraft_serial", "camera_serial", "rc_serial", "battery_serial", "model",
	"firmware", "name", "app_version", "hardware", "vehicle_uuid", "start_time",
	"log_version", NULL,
};

const struct ct_parser *
ct_parser_choose(const char *path, const unsigned char *head, size_t headlen, int *score)
{
	const struct ct_parser *best = NULL;
	int bs = 0;
	size_t i;

	for (i = 0; i < ct_parser_count; i++) {
		int s = ct_parsers[i].probe(path, head, headlen);
		if (s > bs) {
			bs = s;
			best = &ct_parsers[i];
		}
	}
	if (score)
		*score = bs;
	return best;
}

int
ct_parse(const struct ct_parser *p, const struct ct_input *in, struct ct_flight *f)
{
	int ret = p->parse(in, f), rc;

	if ((rc = ct_flight_finish(f)) < 0 && ret >= 0)
		ret = rc;
	return ret;
}

const struct ct_parser *
ct_parser_find(const char *name)
{
	size_t i;

	for (i = 0; i < ct_parser_count; i++)
		if (!strcmp(ct_parsers[i].name, name))
			return &ct_parsers[i];
	return NULL;
}

void
ct_flight_init(struct ct_flight *f, const char *format)
{
	memset(f, 0, sizeof(*f));
	f->format = format;
}

void
ct_flight_release(struct ct_flight *f)
{
	size_t i;

	if (f == NULL)
		return;
	free(f->pts);
	for (i = 0; i < f->nfacts; i++) {
		free(f->facts[i].key);
		free(f->facts[i].value);
	}
	free(f->facts);
	for (i = 0; i < f->nwarnings; i++)
		free(f->warnings[i]);
	free(f->warnings);
	memset(f, 0, sizeof(*f));
}

static void
drop(struct ct_drops *d, uint64_t off)
{
	if (d->n++ == 0 || off < d->first)
		d->first = off;
}

int
ct_flight_in_hole(const struct ct_flight *f, uint64_t off, uint64_t len)
{
	size_t lo = 0, hi = f->nholes;

	if (len == 0)
		len = 1;
	/* the first hole that ends after off */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->holes[mid].off + f->holes[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->nholes && f->holes[lo].off < off + len && off + len > off;
}

void
ct_flight_nofix(struct ct_flight *f, uint64_t off)
{
	drop(&f->nofix, off);
}

int
ct_flight_point(struct ct_flight *f, const struct ct_point *p)
{
	if (!(p->lat >= -90 && p->lat <= 90 && p->lon >= -180 && p->lon <= 180)) {
		drop(&f->badpos, p->offset);
		return 0;
	}
	if (fabs(p->lat) < CT_NOFIX_DEG && fabs(p->lon) < CT_NOFIX_DEG) {
		drop(&f->nofix, p->offset);
		return 0;
	}
	if (f->nholes && ct_flight_in_hole(f, p->offset, p->reclen)) {
		drop(&f->unreadable, p->offset);
		return 0;
	}
	if (f->npts == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;
		struct ct_point *n = realloc(f->pts, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		f->pts = n;
		f->cap = cap;
	}
	f->pts[f->npts++] = *p;
	return 0;
}

/* Copy at most MAX_FACT_LEN bytes, control characters replaced by '?',
 * trailing spaces and NULs dropped. */
static char *
sanitise(const char *v)
{
	size_t n = strnlen(v, MAX_FACT_LEN), i;
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		s[i] = ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) ? '?' : v[i];
	while (n > 0 && s[n - 1] == ' ')
		n--;
	s[n] = '\0';
	return s;
}

const char *
ct_flight_get_fact(const struct ct_flight *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->nfacts; i++)
		if (!strcmp(f->facts[i].key, key))
			return f->facts[i].value;
	return NULL;
}

int
ct_flight_fact(struct ct_flight *f, const char *key, const char *value)
{
	char *v, k2[96];
	const char *old;
	int n;

	if (value == NULL)
		return 0;
	v = sanitise(value);
	if (v == NULL)
		return -ENOMEM;
	if (*v == '\0') {
		free(v);
		return 0;
	}
	snprintf(k2, sizeof(k2), "%s", key);
	for (n = 2; (old = ct_flight_get_fact(f, k2)) != NULL; n++) {
		if (!strcmp(old, v) || n > 20) {
			free(v);
			return 0;
		}
		snprintf(k2, sizeof(k2), "%s_%d", key, n);
	}
	if (f->nfacts == f->factcap) {
		size_t cap = f->factcap ? f->factcap * 2 : 16;
		struct ct_fact *nf = realloc(f->facts, cap * sizeof(*nf));
		if (nf == NULL) {
			free(v);
			return -ENOMEM;
		}
		f->facts = nf;
		f->factcap = cap;
	}
	f->facts[f->nfacts].key = strdup(k2);
	if (f->facts[f->nfacts].key == NULL) {
		free(v);
		return -ENOMEM;
	}
	f->facts[f->nfacts++].value = v;
	return 0;
}

int
ct_flight_warn(struct ct_flight *f, uint64_t offset, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (f->nwarnings > MAX_WARNINGS)
		return 0;
	if (f->nwarnings == MAX_WARNINGS) {
		snprintf(buf, sizeof(buf), "more warnings not kept");
	} else {
		n = snprintf(buf, sizeof(buf), "offset %" PRIu64 ": ", offset);
		va_start(ap, fmt);
		vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	if (f->nwarnings == f->warncap) {
		size_t cap = f->warncap ? f->warncap * 2 : 8;
		char **nw = realloc(f->warnings, cap * sizeof(*nw));
		if (nw == NULL)
			return -ENOMEM;
		f->warnings = nw;
		f->warncap = cap;
	}
	f->warnings[f->nwarnings] = sanitise(buf);
	if (f->warnings[f->nwarnings] == NULL)
		return -ENOMEM;
	f->nwarnings++;
	return 0;
}

int
ct_flight_finish(struct ct_flight *f)
{
	static const struct {
		size_t off;
		const char *what;
	} kinds[] = {
		{ offsetof(struct ct_flight, nofix),
		  "without a GPS fix (0, 0 or the record's own fix field) dropped" },
		{ offsetof(struct ct_flight, badpos),
		  "with a latitude or longitude out of range dropped" },
		{ offsetof(struct ct_flight, unreadable),
		  "decoded from bytes the card could not give (zero-filled) dropped" },
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct ct_drops *d = (const void *)((const char *)f + kinds[i].off);
		if (d->n == 0)
			continue;
		rc = ct_flight_warn(f, d->first, "%zu point%s %s, the first here", d->n,
				    d->n == 1 ? "" : "s", kinds[i].what);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
mem_read(void *ctx, void *buf, size_t len, uint64_t off, size_t *got)
{
	struct ct_mem_input *m = ctx;

	*got = 0;
	if (off >= m->len)
		return 0;
	if (len > m->len - off)
		len = (size_t)(m->len - off);
	memcpy(buf, m->data + off, len);
	*got = len;
	return 0;
}

void
ct_input_from_mem(struct ct_input *in, struct ct_mem_input *m, const char *path)
{
	in->path = path;
	in->size = m->len;
	in->read = mem_read;
	in->ctx = m;
}

void
ct_point_time_str(const struct ct_point *p, char *buf, size_t len)
{
	struct tm tm;
	time_t s;
	int64_t us;

	switch (p->basis) {
	case CT_TIME_UTC:
	case CT_TIME_LOCAL:
		s = (time_t)(p->t_us >= 0 ? p->t_us / 1000000 : (p->t_us - 999999) / 1000000);
		us = p->t_us - (int64_t)s * 1000000;
		if (gmtime_r(&s, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
			snprintf(buf, len, "%s", "");	/* not a time anybody can read */
			break;
		}
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06" PRId64 "%s",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, us, p->basis == CT_TIME_UTC ? "Z" : "");
		break;
	case CT_TIME_BOOT: {
		uint64_t a = p->t_us < 0 ? (uint64_t)0 - (uint64_t)p->t_us : (uint64_t)p->t_us;
		snprintf(buf, len, "%c%" PRIu64 ".%06" PRIu64 "s", p->t_us < 0 ? '-' : '+',
			 a / 1000000, a % 1000000);
		break;
	}
	default:
		snprintf(buf, len, "%s", "");
	}
}

int
ct_input_read_at(const struct ct_input *in, void *buf, size_t len, uint64_t off, size_t *got)
{
	*got = 0;
	if (off >= in->size)
		return 0;
	if (len > in->size - off)
		len = (size_t)(in->size - off);
	return in->read(in->ctx, buf, len, off, got);
}

int
ct_window_get(struct ct_window *w, uint64_t off, size_t n, const unsigned char **p,
	      size_t *avail)
{
	size_t got, want;
	int rc;

	if (avail)
		*avail = 0;
	if (off < w->base || off + n > w->base + w->len) {
		w->base = off;
		w->len = 0;
		if (off >= w->in->size)
			return 1;
		want = w->cap;
		if (want > w->in->size - off)
			want = (size_t)(w->in->size - off);
		while (w->len < want) {
			rc = w->in->read(w->in->ctx, w->buf + w->len, want - w->len,
					 off + w->len, &got);
			if (rc < 0)
				return rc;
			if (got == 0)
				break;
			w->len += got;
		}
	}
	*p = w->buf + (off - w->base);
	if (avail)
		*avail = (size_t)(w->base + w->len - off);
	return off + n > w->base + w->len ? 1 : 0;
}

uint16_t
ct_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t
ct_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint64_t
ct_le64(const unsigned char *p)
{
	return (uint64_t)ct_le32(p) | (uint64_t)ct_le32(p + 4) << 32;
}

double
ct_ledouble(const unsigned char *p)
{
	uint64_t v = ct_le64(p);
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

int64_t
ct_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* FNV-1a; 0 is the empty slot, so a hash of 0 becomes 1. */
static uint32_t
name_hash(const unsigned char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 16777619u;
	return h ? h : 1;
}

int
ct_name_set_add(uint32_t **set, size_t *count, const void *name, size_t n)
{
	uint32_t h = name_hash(name, n);
	size_t i;

	if (*count >= CT_NAME_SET_SLOTS / 2)
		return 0;
	if (*set == NULL) {
		*set = calloc(CT_NAME_SET_SLOTS, sizeof(**set));
		if (*set == NULL)
			return -ENOMEM;
	}
	for (i = h % CT_NAME_SET_SLOTS; (*set)[i] != 0; i = (i + 1) % CT_NAME_SET_SLOTS)
		if ((*set)[i] == h)
			return 0;
	(*set)[i] = h;
	(*count)++;
	return 0;
}

int
ct_ranked_add(struct ct_ranked *r, const struct ct_point *p, int rank)
{
	if (r->n >= CT_RANKED_MAX)
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct ct_ranked_point *nv = realloc(r->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		r->v = nv;
		r->cap = cap;
	}
	r->v[r->n].p = *p;
	r->v[r->n].rank = rank;
	r->n++;
	return 0;
}

static int
rank_slot(int rank)
{
	return rank >= 0 && rank < CT_RANKED_RANKS ? rank : CT_RANKED_RANKS - 1;
}

void
ct_ranked_nofix(struct ct_ranked *r, uint64_t off, int rank)
{
	drop(&r->nofix[rank_slot(rank)], off);
}

int
ct_ranked_keep_best(struct ct_ranked *r, struct ct_flight *f)
{
	const struct ct_drops *nf = NULL;
	size_t i;
	int best = -1, rc;

	for (i = 0; i < r->n; i++)
		if (best < 0 || r->v[i].rank < best)
			best = r->v[i].rank;
	for (i = 0; i < r->n; i++)
		if (r->v[i].rank == best && (rc = ct_flight_point(f, &r->v[i].p)) < 0)
			return rc;
	/* the records without a fix of the source kept, or (no source had a
	 * fix) of the best source there is */
	if (best >= 0) {
		nf = &r->nofix[rank_slot(best)];
	} else {
		for (i = 0; i < CT_RANKED_RANKS && nf == NULL; i++)
			if (r->nofix[i].n)
				nf = &r->nofix[i];
	}
	if (nf != NULL && nf->n) {
		if (f->nofix.n == 0 || nf->first < f->nofix.first)
			f->nofix.first = nf->first;
		f->nofix.n += nf->n;
	}
	return 0;
}

void
ct_ranked_release(struct ct_ranked *r)
{
	if (r == NULL)
		return;
	free(r->v);
	memset(r, 0, sizeof(*r));
}
