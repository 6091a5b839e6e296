/*
 * flight.c — the parser table's chooser and the helpers parsers share.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
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

int
ct_flight_point(struct ct_flight *f, const struct ct_point *p)
{
	if (!(p->lat >= -90 && p->lat <= 90 && p->lon >= -180 && p->lon <= 180) ||
	    (p->lat == 0 && p->lon == 0))
		return 0;
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
