/*
 * pngpix — find the maps in a screenshot or a rendered PDF page, and count
 * the pixels of given colours inside each (cairo reads the PNG).
 *
 *   pngpix IMAGE.png FRAME [COLOUR...]     colours as RRGGBB
 *
 * A map is a rectangle outlined in FRAME (the report's map frame colour):
 * two horizontal runs of at least 150 pixels of that colour with the same
 * ends, one above the other.  Prints one line for the whole image, then one
 * per map from top to bottom:
 *
 *   all W H N1 N2 ...
 *   map X0 Y0 X1 Y1 N1 N2 ...
 *
 * where Nk counts pixels within 16 of colour k on every channel (inside the
 * frame, 3 pixels in from it, for a map).  Exit 0, or 1 with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>

#define MINRUN 150
#define TOL 16
#define FTOL 48
#define MAXC 64
#define MAXE 4096

struct edge {
	int y0, y1, x0, x1;
};

static int w, h, stride;
static const unsigned char *px;

static void
rgb(int x, int y, int *r, int *g, int *b)
{
	uint32_t v = *(const uint32_t *)(px + (size_t)y * stride + (size_t)x * 4);

	*r = (v >> 16) & 0xff;
	*g = (v >> 8) & 0xff;
	*b = v & 0xff;
}

static int
near(int x, int y, unsigned c, int tol)
{
	int r, g, b;

	rgb(x, y, &r, &g, &b);
	return abs(r - (int)(c >> 16 & 0xff)) <= tol && abs(g - (int)(c >> 8 & 0xff)) <= tol &&
	       abs(b - (int)(c & 0xff)) <= tol;
}

static long
count(unsigned c, int x0, int y0, int x1, int y1)
{
	long n = 0;
	int x, y;

	for (y = y0; y < y1; y++)
		for (x = x0; x < x1; x++)
			n += near(x, y, c, TOL);
	return n;
}

int
main(int argc, char **argv)
{
	static struct edge e[MAXE];
	cairo_surface_t *s;
	unsigned frame, col[MAXC];
	int nc = 0, ne = 0, x, y, i, k;

	if (argc < 3) {
		fprintf(stderr, "usage: pngpix IMAGE.png FRAME [COLOUR...]\n");
		return 1;
	}
	s = cairo_image_surface_create_from_png(argv[1]);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		fprintf(stderr, "pngpix: cannot read '%s': %s\n", argv[1],
			cairo_status_to_string(cairo_surface_status(s)));
		return 1;
	}
	cairo_surface_flush(s);
	w = cairo_image_surface_get_width(s);
	h = cairo_image_surface_get_height(s);
	stride = cairo_image_surface_get_stride(s);
	px = cairo_image_surface_get_data(s);
	frame = (unsigned)strtoul(argv[2], NULL, 16);
	for (i = 3; i < argc && nc < MAXC; i++)
		col[nc++] = (unsigned)strtoul(argv[i], NULL, 16);
	printf("all %d %d", w, h);
	for (k = 0; k < nc; k++)
		printf(" %ld", count(col[k], 0, 0, w, h));
	printf("\n");
	/* horizontal runs of the frame colour, merged over adjacent rows */
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; ) {
			int x0 = x;
			while (x < w && near(x, y, frame, FTOL))
				x++;
			if (x - x0 >= MINRUN) {
				if (ne && e[ne - 1].y1 >= y - 2 && abs(e[ne - 1].x0 - x0) <= 3 &&
				    abs(e[ne - 1].x1 - x) <= 3)
					e[ne - 1].y1 = y;
				else if (ne < MAXE)
					e[ne++] = (struct edge){ y, y, x0, x };
			}
			if (x == x0)
				x++;
		}
	}
	/* a top edge and the next edge below with the same ends: a map */
	for (i = 0; i < ne; i++) {
		for (k = i + 1; k < ne; k++)
			if (abs(e[k].x0 - e[i].x0) <= 3 && abs(e[k].x1 - e[i].x1) <= 3)
				break;
		if (k == ne)
			continue;
		printf("map %d %d %d %d", e[i].x0, e[i].y0, e[i].x1, e[k].y1);
		for (x = 0; x < nc; x++)
			printf(" %ld", count(col[x], e[i].x0 + 3, e[i].y1 + 3, e[i].x1 - 3, e[k].y0 - 3));
		printf("\n");
		i = k;
	}
	cairo_surface_destroy(s);
	return 0;
}
