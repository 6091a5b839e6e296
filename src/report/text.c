/*
 * text.c — times, durations and card text as the report shows them.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cardtrail/flight.h"
#include "report_int.h"

/* n digits at s as a number; -1 if they are not all digits. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
parse_boot(const char *s, int64_t *us)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s + 1, &end);
	if (errno || end == s + 1 || strcmp(end, "s") || !(v >= 0 && v < 9.2e12))
		return -EINVAL;
	*us = (int64_t)(v * 1e6 + 0.5);
	return 0;
}

int
rp_parse_time(const char *s, int64_t *us, int *basis, int *date_only)
{
	int y, mo, d, h = 0, mi = 0, se = 0, i;
	int64_t frac = 0, scale = 100000, off = 0;
	const char *p;

	*date_only = 0;
	if (s == NULL)
		return -EINVAL;
	if (s[0] == '+') {
		*basis = CT_TIME_BOOT;
		return parse_boot(s, us);
	}
	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -EINVAL;
	p = s + 10;
	if (*p == '\0') {
		*date_only = 1;
		*basis = CT_TIME_LOCAL;
		*us = ct_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 * INT64_C(1000000);
		return 0;
	}
	if ((*p != 'T' && *p != ' ') || strlen(p) < 9 || p[3] != ':' || p[6] != ':')
		return -EINVAL;
	h = digits(p + 1, 2);
	mi = digits(p + 4, 2);
	se = digits(p + 7, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
		return -EINVAL;
	p += 9;
	if (*p == '.') {
		for (p++, i = 0; isdigit((unsigned char)*p); p++, i++)
			if (i < 6) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
		if (i == 0)
			return -EINVAL;
	}
	*basis = CT_TIME_LOCAL;
	if (*p == 'Z') {
		*basis = CT_TIME_UTC;
		p++;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int oh = digits(p + 1, 2), om = digits(p + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -EINVAL;
		off = (int64_t)(oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
		*basis = CT_TIME_UTC;
		p += 6;
	}
	if (*p != '\0')
		return -EINVAL;
	*us = ((ct_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se -
		off) * INT64_C(1000000)) + frac;
	return 0;
}

void
rp_time_str(int64_t us, int basis, char *buf, size_t len)
{
	struct ct_point p = { .t_us = us, .basis = (enum ct_time_basis)basis };
	char tmp[64], *dot;

	if (basis != CT_TIME_UTC && basis != CT_TIME_LOCAL) {
		ct_point_time_str(&p, buf, len);
		return;
	}
	ct_point_time_str(&p, tmp, sizeof(tmp));
	/* whole seconds print as MANIFEST.json has them */
	if (((us % 1000000) + 1000000) % 1000000 == 0 && (dot = strchr(tmp, '.')) != NULL)
		memmove(dot, dot + 7, strlen(dot + 7) + 1);
	snprintf(buf, len, "%s", tmp);
}

void
rp_duration_str(int64_t us, char *buf, size_t len)
{
	int64_t s = us / 1000000;

	if (us < 0)
		snprintf(buf, len, "?");
	else if (s < 60)
		snprintf(buf, len, "%.1f s", (double)us / 1e6);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 " min %02" PRId64 " s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRId64 " h %02" PRId64 " min %02" PRId64 " s", s / 3600,
			 s / 60 % 60, s % 60);
}

char *
rp_clean(const char *s)
{
	char *v, *o, *p;

	if (s == NULL)
		return NULL;
	v = g_utf8_make_valid(s, -1);
	if (v == NULL)
		return NULL;
	/* controls (a name with ESC or newlines) become spaces */
	for (p = o = v; *p; p++)
		*o++ = ((unsigned char)*p < 0x20 || *p == 0x7f) ? ' ' : *p;
	*o = '\0';
	/* glib's memory is malloc'd on Linux, but hand back our own */
	o = strdup(v);
	g_free(v);
	return o;
}

char *
rp_strf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

const char *
rp_alt_ref_text(int ref)
{
	static const char *const names[] = {
		[CT_ALT_NONE] = "", [CT_ALT_MSL] = "above mean sea level",
		[CT_ALT_ELLIPSOID] = "above the WGS84 ellipsoid",
		[CT_ALT_TAKEOFF] = "above the take-off point",
		[CT_ALT_UNKNOWN] = "reference not stated by the format",
	};

	return ref >= 0 && ref <= CT_ALT_UNKNOWN ? names[ref] : "";
}

const char *
rp_basis_text(int basis)
{
	switch (basis) {
	case CT_TIME_UTC:
		return "UTC";
	case CT_TIME_LOCAL:
		return "local time, zone unknown";
	case CT_TIME_BOOT:
		return "time since the recorder started";
	case -1:
		return "mixed time bases";
	default:
		return "no time";
	}
}
