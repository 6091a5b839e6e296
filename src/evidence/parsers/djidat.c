/*
 * djidat.c — DJI aircraft flight-controller logs (FLY###.DAT on the
 * aircraft's internal card, also pulled by DJI Assistant).
 *
 * Three generations are told apart by their magic, as DatCon and DROP
 * document:
 *   V1         "BUILD" at offset 16 (the firmware build date string follows)
 *   V3         "DJI_LOG_V3" at offset 242 (a "BUILD" string may sit at 16)
 *   encrypted  "LOGH" at offset 0 (Mavic 2 / Mavic Air 2 and later): the
 *              records are encrypted and no public decoder exists
 *
 * Record decoding (V1/V3: 0x55-framed messages whose payload is XORed with
 * a tick-derived byte, GPS in message types that vary per firmware) is
 * not implemented: there is no public sample here to test it against, and
 * a forensic tool must not guess.  The parser identifies the file, records
 * the header facts and returns 1 with a warning, so the file is hashed and
 * bundled as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cardtrail/flight.h"
#include "parsers.h"

#define HEAD_LEN	256
#define BUILD_AT	16
#define V3_AT		242

enum dat_kind { DAT_NONE, DAT_V1, DAT_V3, DAT_LOGH };

static enum dat_kind
dat_kind(const unsigned char *h, size_t n)
{
	if (n >= 4 && memcmp(h, "LOGH", 4) == 0)
		return DAT_LOGH;
	if (n >= V3_AT + 10 && memcmp(h + V3_AT, "DJI_LOG_V3", 10) == 0)
		return DAT_V3;
	if (n >= BUILD_AT + 5 && memcmp(h + BUILD_AT, "BUILD", 5) == 0)
		return DAT_V1;
	return DAT_NONE;
}

static int
dat_name(const char *path)
{
	const char *b;
	size_t n;

	if (path == NULL)
		return 0;
	b = strrchr(path, '/');
	b = b ? b + 1 : path;
	n = strlen(b);
	if (n < 4 || strcasecmp(b + n - 4, ".dat") != 0)
		return 0;
	return strncasecmp(b, "FLY", 3) == 0 ? 2 : 1;
}

int
ct_djidat_probe(const char *path, const unsigned char *head, size_t headlen)
{
	int name = dat_name(path);

	if (dat_kind(head, headlen) != DAT_NONE)
		return name == 2 ? 95 : name == 1 ? 85 : 70;
	/* A FLY###.DAT whose header is damaged: still ours, weakly. */
	return name == 2 ? 15 : 0;
}

int
ct_djidat_parse(const struct ct_input *in, struct ct_flight *f)
{
	static const char *const names[] = {
		[DAT_NONE] = "unknown", [DAT_V1] = "V1", [DAT_V3] = "V3",
		[DAT_LOGH] = "encrypted (LOGH)",
	};
	unsigned char h[HEAD_LEN];
	char build[65];
	enum dat_kind k;
	size_t got = 0, i;
	int ret;

	memset(h, 0, sizeof(h));
	if (in->size > 0 && (ret = in->read(in->ctx, h, in->size < HEAD_LEN ?
					    (size_t)in->size : HEAD_LEN, 0, &got)) < 0)
		return ret;
	f->bytes_parsed = got;
	k = dat_kind(h, got);
	if (k == DAT_NONE) {
		ct_flight_warn(f, 0, "no DJI .DAT magic (BUILD at 16, DJI_LOG_V3 at 242, LOGH "
			       "at 0) in the first %zu bytes", got);
		return 1;
	}
	if ((ret = ct_flight_fact(f, "log_version", names[k])) < 0)
		return ret;
	if (got >= BUILD_AT + 5 && memcmp(h + BUILD_AT, "BUILD", 5) == 0) {
		/* The printable text after the magic, e.g. "BUILD 2016.01.14 ...". */
		for (i = 0; i < sizeof(build) - 1 && BUILD_AT + i < got; i++) {
			unsigned char c = h[BUILD_AT + i];

			if (c < 0x20 || c > 0x7e)
				break;
			build[i] = (char)c;
		}
		build[i] = '\0';
		if ((ret = ct_flight_fact(f, "build", build)) < 0)
			return ret;
	}
	if (k == DAT_LOGH)
		ct_flight_warn(f, 0, "DJI .DAT (LOGH): records are encrypted and no public "
			       "decoder exists; file identified, hashed and bundled only");
	else
		ct_flight_warn(f, k == DAT_V3 ? V3_AT : BUILD_AT, "DJI .DAT %s: record "
			       "decoding not implemented (no public sample to verify it "
			       "against); file identified, hashed and bundled only", names[k]);
	return 1;
}
