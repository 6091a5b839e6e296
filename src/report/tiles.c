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
};

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
		if (b && bl > 0 && (size_t)bl <= MAX_TILE_BYTES) {
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

const char *
rp_tiles_describe(const struct rp_tiles *t)
{
	return t->describe;
}
