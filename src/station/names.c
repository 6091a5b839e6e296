/*
 * names.c — the names the station gives: case folders and mission files.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cardtrail/station.h"
#include "cardtrail/util.h"

/* Copy s keeping [A-Za-z0-9._-], others as '_'; at most max bytes. */
static void
safe_part(const char *s, char *out, size_t len, size_t max)
{
	size_t n = 0;

	for (; *s && n + 1 < len && n < max; s++)
		out[n++] = (isalnum((unsigned char)*s) || *s == '.' || *s == '_' || *s == '-') &&
			   (unsigned char)*s < 0x80 ? *s : '_';
	out[n] = '\0';
	if (out[0] == '.')
		out[0] = '_';	/* never a hidden folder, never ".." */
}

int
ct_station_case_name(time_t when, const char *serial, const char *reader, const char *fingerprint,
		     char *buf, size_t len)
{
	char who[64], date[32];
	struct tm tm;

	if (gmtime_r(&when, &tm) == NULL || strftime(date, sizeof(date), "%Y-%m-%d", &tm) == 0)
		return -EINVAL;
	safe_part(serial && *serial ? serial : reader ? reader : "card", who, sizeof(who), 40);
	if (who[0] == '\0')
		snprintf(who, sizeof(who), "card");
	return ct_snprintf(buf, len, "%s-%s-%.8s", date, who,
			   fingerprint && strlen(fingerprint) >= 8 ? fingerprint : "00000000");
}

void
ct_station_slug(const char *mission, char *buf, size_t len)
{
	size_t n = 0;
	int dash = 0;

	for (; mission && *mission && n + 1 < len && n < 64; mission++) {
		unsigned char c = (unsigned char)*mission;

		if (c < 0x80 && isalnum(c)) {
			if (dash && n > 0 && n + 2 < len)
				buf[n++] = '-';
			buf[n++] = (char)tolower(c);
			dash = 0;
		} else {
			dash = 1;
		}
	}
	buf[n] = '\0';
	if (n == 0)
		snprintf(buf, len, "mission");
}
