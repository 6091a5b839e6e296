/*
 * tiles.c — raster tiles from an MBTiles file (SQLite; the lab's own map,
 * no network): metadata, the zoom levels it holds, one tile at a time.
 * MBTiles numbers rows from the south (TMS); the report asks in XYZ.
 * Only raster tiles (PNG, JPEG) are drawn; vector tiles (pbf) are refused.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cardtrail/report.h"
#include "report_int.h"

#define MAX_TILE_BYTES (4u << 20)

struct rp_tiles {
	sqlite3 *db;
	sqlite3_stmt *get;
	int minz, maxz;
	char describe[512];
	unsigned refused;	/* tiles not 256 or 512 pixels square */
	uint32_t refused_w, refused_h;	/* the first one's */
};

/* The pixels a PNG or JPEG tile declares, read from its header (PNG's
 * IHDR, JPEG's SOF): 0 when found, -1 when not. */
static int
tile_dims(const unsigned char *b, size_t n, uint32_t *w, uint32_t *h)
{
	size_t i;

	if (n >= 24 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8) && !memcmp(b + 12, "IHDR", 4)) {
		*w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
		*h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
		return 0;
	}
	for (i = 2; n >= 4 && b[0] == 0xff && b[1] == 0xd8 && i + 9 <= n && b[i] == 0xff;
	     i += 2 + ((size_t)b[i + 2] << 8 | b[i + 3])) {
		unsigned m = b[i + 1];

		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
			*h = (uint32_t)b[i + 5] << 8 | b[i + 6];
			*w = (uint32_t)b[i + 7] << 8 | b[i + 8];
			return 0;
		}
	}
	return -1;
}

static void
meta(sqlite3 *db, const char *key, char *out, size_t len)
{
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT value FROM metadata WHERE name = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

int
rp_tiles_open(const char *path, struct rp_tiles **out, char *err, size_t errlen)
{
	struct rp_tiles *t = calloc(1, sizeof(*t));
	sqlite3_stmt *st = NULL;
	char format[64], name[160], attr[200];
	int ret = -EINVAL;

	*out = NULL;
	if (t == NULL)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &t->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open '%s' as an MBTiles file: %s", path,
			 t->db ? sqlite3_errmsg(t->db) : "out of memory");
		goto fail;
	}
	if (sqlite3_prepare_v2(t->db, "SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles", -1, &st,
			       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "'%s' is not an MBTiles file (no tiles table): %s", path,
			 sqlite3_errmsg(t->db));
		goto fail;
	}
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
		snprintf(err, errlen, "'%s' holds no tiles", path);
		goto fail;
	}
	t->minz = sqlite3_column_int(st, 0);
	t->maxz = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	st = NULL;
	if (t->minz < 0 || t->maxz > 24) {
		snprintf(err, errlen, "'%s': zoom levels %d-%d are not web map zoom levels", path,
			 t->minz, t->maxz);
		goto fail;
	}
	meta(t->db, "format", format, sizeof(format));
	if (format[0] && strcmp(format, "png") && strcmp(format, "jpg") && strcmp(format, "jpeg")) {
		snprintf(err, errlen, "'%s' holds %s tiles: only raster tiles (png, jpg) can be drawn",
			 path, format);
		goto fail;
	}
	if (sqlite3_prepare_v2(t->db, "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND "
			       "tile_column = ?2 AND tile_row = ?3", -1, &t->get, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "'%s': %s", path, sqlite3_errmsg(t->db));
		goto fail;
	}
	meta(t->db, "name", name, sizeof(name));
	meta(t->db, "attribution", attr, sizeof(attr));
	snprintf(t->describe, sizeof(t->describe), "%s%s%s%s%szoom %d-%d", name, name[0] ? " " : "",
		 attr[0] ? "(" : "", attr, attr[0] ? ") " : "", t->minz, t->maxz);
	*out = t;
	return 0;
fail:
	sqlite3_finalize(st);
	rp_tiles_close(t);
	return ret;
}

void
rp_tiles_close(struct rp_tiles *t)
{
	if (t == NULL)
		return;
	sqlite3_finalize(t->get);
	sqlite3_close(t->db);
	free(t);
}

int
rp_tiles_zoom(const struct rp_tiles *t, double upm)
{
	/* a 256-unit tile at zoom z spans 2*pi*R / 2^z metres */
	double z = log2(upm * 2 * M_PI * CT_EARTH_RADIUS_M / 256);
	int zi = (int)ceil(z - 0.25);

	if (zi > t->maxz)
		zi = t->maxz;
	if (zi < t->minz)
		zi = t->minz;
	return zi;
}

int
rp_tiles_get(struct rp_tiles *t, int z, long x, long y, unsigned char **data, size_t *len)
{
	long n = 1L << z;
	int rc, ret = 1;

	*data = NULL;
	*len = 0;
	if (x < 0 || y < 0 || x >= n || y >= n)
		return 1;
	sqlite3_reset(t->get);
	sqlite3_bind_int(t->get, 1, z);
	sqlite3_bind_int64(t->get, 2, x);
	sqlite3_bind_int64(t->get, 3, n - 1 - y);
	rc = sqlite3_step(t->get);
	if (rc == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(t->get, 0);
		int bl = sqlite3_column_bytes(t->get, 0);
		uint32_t w = 0, h = 0;

		/* decoded, a tile of 6000x6000 pixels is 144 MB: only the sizes
		 * tiles have are drawn */
		if (b && bl > 0 && (tile_dims(b, (size_t)bl, &w, &h) < 0 || w != h ||
				    (w != 256 && w != 512))) {
			if (t->refused++ == 0) {
				t->refused_w = w;
				t->refused_h = h;
			}
		} else if (b && bl > 0 && (size_t)bl <= MAX_TILE_BYTES) {
			if ((*data = malloc((size_t)bl)) == NULL) {
				ret = -ENOMEM;
			} else {
				memcpy(*data, b, (size_t)bl);
				*len = (size_t)bl;
				ret = 0;
			}
		}
	} else if (rc != SQLITE_DONE) {
		ret = -EIO;
	}
	sqlite3_reset(t->get);
	return ret;
}

unsigned
rp_tiles_refused(const struct rp_tiles *t, uint32_t *w, uint32_t *h)
{
	*w = t->refused_w;
	*h = t->refused_h;
	return t->refused;
}

const char *
rp_tiles_describe(const struct rp_tiles *t)
{
	return t->describe;
}
