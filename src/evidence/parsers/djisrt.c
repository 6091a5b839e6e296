/*
 * djisrt.c — DJI video telemetry subtitles (DJI_0001.SRT).
 *
 * Every generation seen in public samples (DJI_SRT_Parser's set):
 *   HOME(lon,lat) 2017.08.05 14:11:51 / GPS(lon,lat,sats) BAROMETER:1.9
 *   F/3.2, SS 160, …, GPS (lon, lat, sats), [HOME (lon, lat, altm),] D 49.21m, H 45.60m
 *   FrameCnt/SrtCnt … / 2020-08-12 08:55:21,745,078 / [latitude : x]
 *       [longitude : y] (also misspelt "longtitude") [rel_alt: r abs_alt: a]
 *       or [altitude: a]
 *   Matrice / Zenmuse: GPS(lat,lon,48M) — latitude first, altitude in M
 * The date line is the camera's wall clock of an unknown zone (basis
 * local); without one, the cue start time counts from the recording's
 * start (basis boot).
 *
 * The text is untrusted: numbers are parsed by hand (no locale, no
 * inf/nan/hex), blocks are bounded, and anything unreadable is a warning.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cardtrail/flight.h"
#include "parsers.h"

#define MAX_BLOCK	8192	/* longer "blocks" are garbage, cut here */
#define MAX_BLOCK_WARN	50	/* per-block warnings kept before summarising */

struct srt_block {
	uint64_t off;		/* byte offset of the block in the file */
	size_t len;		/* its length in the file */
	char *s;		/* NUL-terminated copy, tags blanked */
	size_t n;
};

/* A decimal number: [+-]digits[.digits].  Returns the end or NULL. */
static const char *
num(const char *p, double *v)
{
	double x = 0, scale = 1;
	int neg = 0, digits = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; isdigit((unsigned char)*p) && digits < 20; p++, digits++)
		x = x * 10 + (*p - '0');
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (scale > 1e-15) {
				scale /= 10;
				x += (*p - '0') * scale;
				digits++;
			}
		}
	}
	if (digits == 0 || isdigit((unsigned char)*p))
		return NULL;
	*v = neg ? -x : x;
	return p;
}

/* Case-insensitive search for key; returns the text after it and its
 * separators (spaces, ':' or '='), or NULL. */
static const char *
after_key(const char *s, const char *key)
{
	const char *p = s;
	size_t kl = strlen(key);

	while ((p = strcasestr(p, key)) != NULL) {
		/* A whole word: "latitude" must not match inside another name. */
		if (p == s || !isalnum((unsigned char)p[-1])) {
			const char *q = p + kl;

			if (!isalnum((unsigned char)*q) && *q != '_' && *q != '.') {
				while (*q == ' ' || *q == ':' || *q == '=')
					q++;
				return q;
			}
		}
		p += kl;
	}
	return NULL;
}

static int
key_num(const char *s, const char *key, double *v)
{
	const char *p = after_key(s, key);

	return p != NULL && num(p, v) != NULL;
}

/*
 * "NAME(a, b, c…)" or "NAME (a, b, c…)": up to 3 numbers; *unit gets the
 * character after the third number (M, m or other).  Returns the count.
 */
static int
tuple(const char *s, const char *name, double v[3], char *unit)
{
	const char *p = s, *q;
	size_t nl = strlen(name);
	int k = 0;

	*unit = '\0';
	while ((p = strstr(p, name)) != NULL) {
		const char *start = p;

		q = p + nl;
		p = q;
		/* a whole word: not the end of another one */
		if (start > s && isalpha((unsigned char)start[-1]))
			continue;
		while (*q == ' ')
			q++;
		if (*q != '(')
			continue;
		q++;
		for (k = 0; k < 3; k++) {
			if ((q = num(q, &v[k])) == NULL)
				return k;
			if (k == 2)
				*unit = *q;
			while (*q == ' ')
				q++;
			if (*q != ',')
				return k + 1;
			q++;
		}
		return k;
	}
	return 0;
}

/* Read up to maxd digits as an int; -1 if none. */
static int
digits(const char **pp, int maxd)
{
	const char *p = *pp;
	int v = 0, n = 0;

	while (n < maxd && isdigit((unsigned char)*p)) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0)
		return -1;
	*pp = p;
	return v;
}

/*
 * A wall-clock date "YYYY-MM-DD HH:MM:SS[,mmm[,uuu]]" or "YYYY.M.D HH:MM:SS"
 * anywhere in s.  Returns 1 and *t_us, or 0.
 */
static int
find_date(const char *s, int64_t *t_us)
{
	const char *p, *q;
	int y, mo, d, h, mi, se, ms = 0, us = 0, n;
	char sep;

	for (p = s; *p; p++) {
		if (!isdigit((unsigned char)*p) || (p > s && isdigit((unsigned char)p[-1])))
			continue;
		q = p;
		if ((y = digits(&q, 4)) < 1970 || q - p != 4)
			continue;
		sep = *q;
		if (sep != '-' && sep != '.' && sep != '/')
			continue;
		q++;
		if ((mo = digits(&q, 2)) < 1 || mo > 12 || *q++ != sep)
			continue;
		if ((d = digits(&q, 2)) < 1 || d > 31)
			continue;
		if (*q != ' ' && *q != 'T')
			continue;
		while (*q == ' ' || *q == 'T')
			q++;
		if ((h = digits(&q, 2)) < 0 || h > 23 || *q++ != ':')
			continue;
		if ((mi = digits(&q, 2)) < 0 || mi > 59 || *q++ != ':')
			continue;
		if ((se = digits(&q, 2)) < 0 || se > 60)
			continue;
		if ((*q == ',' || *q == '.') && isdigit((unsigned char)q[1])) {
			const char *r = ++q;

			ms = digits(&q, 3);
			for (n = (int)(q - r); n < 3; n++)
				ms *= 10;
			while (isdigit((unsigned char)*q))
				q++;
			if (*q == ',' && isdigit((unsigned char)q[1])) {
				r = ++q;
				us = digits(&q, 3);
				for (n = (int)(q - r); n < 3; n++)
					us *= 10;
			}
		}
		*t_us = ((ct_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
			  h * 3600 + mi * 60 + se) * 1000 + ms) * 1000 + us;
		return 1;
	}
	return 0;
}

/* "HH:MM:SS,mmm -->": the cue start in microseconds. */
static int
find_cue(const char *s, int64_t *t_us)
{
	const char *p = strstr(s, "-->"), *q, *b;
	int h, m, sec, ms;

	if (p == NULL)
		return 0;
	/* Back to the start of the line. */
	for (b = p; b > s && b[-1] != '\n'; b--)
		;
	q = b;
	while (*q == ' ')
		q++;
	if ((h = digits(&q, 3)) < 0 || *q++ != ':' || (m = digits(&q, 2)) < 0 ||
	    *q++ != ':' || (sec = digits(&q, 2)) < 0)
		return 0;
	ms = 0;
	if (*q == ',' || *q == '.') {
		const char *r = ++q;
		int n;

		if ((ms = digits(&q, 3)) < 0)
			ms = 0;
		for (n = (int)(q - r); n < 3 && ms > 0; n++)
			ms *= 10;
	}
	*t_us = (((int64_t)h * 3600 + m * 60 + sec) * 1000 + ms) * 1000;
	return 1;
}

/* What a block says; returns 1 if it had a position. */
static int
parse_block(struct ct_flight *f, const struct srt_block *b, struct ct_point *pt,
	    struct ct_point *home, int *has_home, int *nofix)
{
	const char *s = b->s;
	double v[3], lat = NAN, lon = NAN, alt;
	char unit;
	int n, have = 0;

	memset(pt, 0, sizeof(*pt));
	*nofix = 0;
	pt->offset = b->off;
	pt->reclen = (uint32_t)b->len;
	if (find_date(s, &pt->t_us))
		pt->basis = CT_TIME_LOCAL;
	else if (find_cue(s, &pt->t_us))
		pt->basis = CT_TIME_BOOT;

	/* GPS(…): lon,lat,sats — or lat,lon,altM (Matrice / Zenmuse). */
	n = tuple(s, "GPS", v, &unit);
	if (n >= 2) {
		if (n == 3 && unit == 'M') {
			lat = v[0], lon = v[1];
			pt->alt_m = v[2];
			pt->alt_ref = CT_ALT_UNKNOWN;
		} else {
			lon = v[0], lat = v[1];
			/* the third number is the satellite count: 0 is no fix */
			if (n == 3 && v[2] == 0)
				*nofix = 1;
		}
		have = 1;
	}
	if (!have && key_num(s, "latitude", &lat) &&
	    (key_num(s, "longitude", &lon) || key_num(s, "longtitude", &lon)))
		have = 1;

	/* Altitude: DJI's absolute altitude first, then relative to take-off.
	 * The absolute altitude is the quantity the photos' XMP calls
	 * AbsoluteAltitude: barometric, of no stated reference (sea level, the
	 * ellipsoid or neither, by model), so of reference unknown as there. */
	if (key_num(s, "abs_alt", &alt)) {
		pt->alt_m = alt;
		pt->alt_ref = CT_ALT_UNKNOWN;
	} else if (key_num(s, "rel_alt", &alt) || key_num(s, "BAROMETER", &alt) ||
		   key_num(s, "Hb", &alt)) {
		pt->alt_m = alt;
		pt->alt_ref = CT_ALT_TAKEOFF;
	} else if (pt->alt_ref == CT_ALT_NONE) {
		const char *h = s;

		/* ", H 45.60m" (not "H.S 0.00m/s"). */
		while ((h = strstr(h, "H ")) != NULL) {
			const char *e;

			if ((h == s || h[-1] == ' ' || h[-1] == ',') &&
			    (e = num(h + 2, &alt)) != NULL && *e == 'm' && e[1] != '/') {
				pt->alt_m = alt;
				pt->alt_ref = CT_ALT_TAKEOFF;
				break;
			}
			h += 2;
		}
		if (pt->alt_ref == CT_ALT_NONE && key_num(s, "altitude", &alt)) {
			pt->alt_m = alt;
			pt->alt_ref = CT_ALT_UNKNOWN;
		}
	}
	if (!isfinite(pt->alt_m)) {
		pt->alt_m = 0;
		pt->alt_ref = CT_ALT_NONE;
	}

	if (!*has_home && tuple(s, "HOME", v, &unit) >= 2 &&
	    v[1] >= -90 && v[1] <= 90 && v[0] >= -180 && v[0] <= 180 &&
	    !(v[0] == 0 && v[1] == 0)) {
		memset(home, 0, sizeof(*home));
		home->lon = v[0];
		home->lat = v[1];
		home->t_us = pt->t_us;
		home->basis = pt->basis;
		home->offset = b->off;
		*has_home = 1;
	}
	(void)f;
	if (!have)
		return 0;
	pt->lat = lat;
	pt->lon = lon;
	return 1;
}

int
ct_djisrt_probe(const char *path, const unsigned char *head, size_t headlen)
{
	char buf[1024];
	size_t n, i;
	int score = 0, named = 0;

	if (path != NULL) {
		n = strlen(path);
		named = n > 4 && strcasecmp(path + n - 4, ".srt") == 0;
	}
	n = headlen < sizeof(buf) - 1 ? headlen : sizeof(buf) - 1;
	if (n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF)
		head += 3, n -= 3;
	for (i = 0; i < n; i++)
		buf[i] = head[i] ? (char)head[i] : ' ';
	buf[n] = '\0';
	i = strspn(buf, " \t\r\n");
	/* "1" then a cue line, or "1" then a date line (Mavic 2 early firmware). */
	if (isdigit((unsigned char)buf[i]) && (strstr(buf, "-->") || strstr(buf, "\n20")))
		score += 20;
	if (strstr(buf, "GPS") || strstr(buf, "HOME(") || strcasestr(buf, "[latitude") ||
	    strstr(buf, "FrameCnt") || strstr(buf, "SrtCnt") || strstr(buf, "BAROMETER") ||
	    strstr(buf, "[iso"))
		score += 40;
	if (score == 0)
		return 0;
	if (named)
		score += 30;
	else if (score < 60)
		return 0;
	return score > 100 ? 100 : score;
}

int
ct_djisrt_parse(const struct ct_input *in, struct ct_flight *f)
{
	struct srt_block b = { 0 };
	struct ct_point pt, home;
	unsigned char *data = NULL;
	size_t len, got, i, start, end, nblocks = 0, nopos = 0, warned = 0;
	int has_home = 0, nofix, ret = 0;

	if (in->size == 0) {
		ct_flight_warn(f, 0, "empty file");
		return 1;
	}
	len = in->size > CT_PARSE_MAX_WHOLE ? CT_PARSE_MAX_WHOLE : (size_t)in->size;
	if (in->size > CT_PARSE_MAX_WHOLE)
		ct_flight_warn(f, CT_PARSE_MAX_WHOLE, "file larger than %u bytes; the rest "
			       "was not read", CT_PARSE_MAX_WHOLE);
	if ((data = malloc(len)) == NULL || (b.s = malloc(MAX_BLOCK + 1)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = ct_input_read_at(in, data, len, 0, &got)) < 0)
		goto out;
	if (got < len)
		ct_flight_warn(f, got, "short read (%zu of %zu bytes)", got, len);
	len = got;

	i = (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) ? 3 : 0;
	while (i < len) {
		int intag = 0, blank;
		size_t ls;

		/* Skip blank lines. */
		for (;;) {
			ls = i;
			while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r'))
				i++;
			if (i < len && data[i] == '\n') {
				i++;
				continue;
			}
			i = ls;
			break;
		}
		if (i >= len)
			break;
		/* A block: lines up to the next blank line. */
		start = i;
		end = i;
		blank = 0;
		while (end < len && !blank) {
			size_t e = end;

			while (e < len && data[e] != '\n')
				e++;
			/* Is the next line blank? */
			if (e < len) {
				size_t k = e + 1;

				while (k < len && (data[k] == ' ' || data[k] == '\t' ||
						   data[k] == '\r'))
					k++;
				if (k >= len || data[k] == '\n')
					blank = 1;
				end = e + 1;
			} else {
				end = e;
			}
		}
		/* Copy, blanking control characters and <tags>. */
		b.off = start;
		b.len = end - start;
		b.n = 0;
		for (i = start; i < end && b.n < MAX_BLOCK; i++) {
			unsigned char c = data[i];

			if (c == '<')
				intag = 1;
			if (intag || (c < 0x20 && c != '\n'))
				c = ' ';
			if (data[i] == '>')
				intag = 0;
			b.s[b.n++] = (char)(c ? c : ' ');
		}
		b.s[b.n] = '\0';
		if (end - start > MAX_BLOCK && warned++ < MAX_BLOCK_WARN)
			ct_flight_warn(f, start, "subtitle block of %zu bytes cut at %d",
				       end - start, MAX_BLOCK);
		i = end;
		nblocks++;

		if (parse_block(f, &b, &pt, &home, &has_home, &nofix)) {
			if (nofix)
				ct_flight_nofix(f, start);
			else if ((ret = ct_flight_point(f, &pt)) < 0)
				goto out;
		} else {
			nopos++;
			if (warned++ < MAX_BLOCK_WARN)
				ct_flight_warn(f, start, "subtitle block without a position");
		}
		f->bytes_parsed = end;
	}
	if (len > 0 && data[len - 1] != '\n')
		ct_flight_warn(f, len, "file ends inside a line (truncated?)");
	if (nopos > 0 && warned > MAX_BLOCK_WARN)
		ct_flight_warn(f, 0, "%zu of %zu subtitle blocks had no position", nopos,
			       nblocks);
	if (has_home) {
		f->home = home;
		f->has_home = 1;
	}
	ret = f->npts > 0 ? 0 : 1;
	if (ret == 1 && nblocks == 0)
		ct_flight_warn(f, 0, "no subtitle blocks");
out:
	free(data);
	free(b.s);
	return ret;
}
