/*
 * mkmbtiles — a tiny MBTiles file for the report tests, made with SQLite's
 * C API and cairo's PNG writer: every tile of zoom levels ZMIN..ZMAX, each
 * 256x256 of one colour with a 2-pixel grid line of another on its top and
 * left edges.
 *
 *   mkmbtiles OUT.mbtiles RRGGBB ZMIN ZMAX [FORMAT]
 *
 * FORMAT is the metadata "format" (default png); with pbf no tile is PNG
 * (what a vector-tile file would say).  Refuses to overwrite OUT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>
#include <sqlite3.h>

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static cairo_status_t
put(void *closure, const unsigned char *data, unsigned int len)
{
	struct buf *b = closure;

	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			return CAIRO_STATUS_NO_MEMORY;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return CAIRO_STATUS_SUCCESS;
}

static int
exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "mkmbtiles: %s: %s\n", sql, err);
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *fmt = argc > 5 ? argv[5] : "png";
	unsigned c;
	int zmin, zmax, z;
	long x, y;
	sqlite3 *db;
	sqlite3_stmt *st, *meta;
	cairo_surface_t *s;
	cairo_t *cr;
	struct buf b = { 0 };

	if (argc < 5) {
		fprintf(stderr, "usage: mkmbtiles OUT.mbtiles RRGGBB ZMIN ZMAX [FORMAT]\n");
		return 2;
	}
	if (access(argv[1], F_OK) == 0) {
		fprintf(stderr, "mkmbtiles: '%s' exists\n", argv[1]);
		return 1;
	}
	c = (unsigned)strtoul(argv[2], NULL, 16);
	zmin = atoi(argv[3]);
	zmax = atoi(argv[4]);
	if (zmin < 0 || zmax > 6 || zmin > zmax) {
		fprintf(stderr, "mkmbtiles: zoom levels 0..6\n");
		return 2;
	}
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 256, 256);
	cr = cairo_create(s);
	cairo_set_source_rgb(cr, (c >> 16 & 0xff) / 255.0, (c >> 8 & 0xff) / 255.0, (c & 0xff) / 255.0);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
	cairo_rectangle(cr, 0, 0, 256, 2);
	cairo_rectangle(cr, 0, 0, 2, 256);
	cairo_fill(cr);
	cairo_surface_flush(s);
	if (cairo_surface_write_to_png_stream(s, put, &b) != CAIRO_STATUS_SUCCESS) {
		fprintf(stderr, "mkmbtiles: cannot make the PNG tile\n");
		return 1;
	}
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		return 1;
	if (exec(db, "CREATE TABLE metadata (name TEXT, value TEXT)") ||
	    exec(db, "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
		 "tile_data BLOB)") ||
	    exec(db, "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)") ||
	    exec(db, "BEGIN"))
		return 1;
	sqlite3_prepare_v2(db, "INSERT INTO metadata VALUES (?1, ?2)", -1, &meta, NULL);
	{
		const char *kv[][2] = { { "name", "cardtrail test tiles" }, { "format", fmt },
					{ "attribution", "made by tests/tools/mkmbtiles.c" } };
		size_t i;
		for (i = 0; i < 3; i++) {
			sqlite3_bind_text(meta, 1, kv[i][0], -1, SQLITE_STATIC);
			sqlite3_bind_text(meta, 2, kv[i][1], -1, SQLITE_STATIC);
			sqlite3_step(meta);
			sqlite3_reset(meta);
		}
	}
	sqlite3_finalize(meta);
	sqlite3_prepare_v2(db, "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)", -1, &st, NULL);
	for (z = zmin; z <= zmax; z++)
		for (x = 0; x < 1L << z; x++)
			for (y = 0; y < 1L << z; y++) {
				sqlite3_bind_int(st, 1, z);
				sqlite3_bind_int64(st, 2, x);
				sqlite3_bind_int64(st, 3, y);
				sqlite3_bind_blob(st, 4, b.p, (int)b.len, SQLITE_STATIC);
				if (sqlite3_step(st) != SQLITE_DONE) {
					fprintf(stderr, "mkmbtiles: %s\n", sqlite3_errmsg(db));
					return 1;
				}
				sqlite3_reset(st);
			}
	sqlite3_finalize(st);
	if (exec(db, "COMMIT"))
		return 1;
	sqlite3_close(db);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	free(b.p);
	return 0;
}
