/*
 * pdf.c — the report as a PDF drawn with cairo and pango: A4, the same
 * blocks as the HTML, tables that continue over pages with their header
 * repeated, the maps through the same scene as the SVG, and on every page
 * a footer with the case id, the chain head and "page N of M".
 *
 * Two passes: the first lays out (measures, draws no text and no map) into
 * a PDF that is thrown away and counts the pages, the second draws with the
 * total known.  Text is laid out by
 * pango with a private font map at 72 dpi (one unit = one point), DejaVu
 * fonts and language "en", whatever the environment's locale and fonts
 * configuration say, so the same case gives the same bytes.  Card text is
 * set as plain text, never as pango markup.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "cardtrail/flight.h"
#include "cardtrail/util.h"
#include "report_int.h"

#define PAGE_W 595.276		/* A4 in points */
#define PAGE_H 841.890
#define M_LEFT 40.0
#define M_RIGHT 40.0
#define M_TOP 40.0
#define M_BOTTOM 58.0
#define CONTENT_W (PAGE_W - M_LEFT - M_RIGHT)
#define PAD 2.0

enum font_id { F_BODY, F_BOLD, F_MONO, F_NOTE, F_H1, F_H2, F_H3, F_H4, F_VERDICT, F_FOOT,
	       F_FOOT_MONO, F_COUNT };

static const char *const font_names[F_COUNT] = {
	[F_BODY] = "DejaVu Sans 7.5", [F_BOLD] = "DejaVu Sans Bold 7.5",
	[F_MONO] = "DejaVu Sans Mono 6", [F_NOTE] = "DejaVu Sans 6.5",
	[F_H1] = "DejaVu Sans Bold 16", [F_H2] = "DejaVu Sans Bold 12.5",
	[F_H3] = "DejaVu Sans Bold 10.5", [F_H4] = "DejaVu Sans Bold 8.5",
	[F_VERDICT] = "DejaVu Sans Bold 10.5", [F_FOOT] = "DejaVu Sans 6.5",
	[F_FOOT_MONO] = "DejaVu Sans Mono 6.5",
};

struct pdf {
	const struct rp_case *c;
	const struct rp_doc *d;
	cairo_surface_t *surf;
	cairo_t *cr;
	PangoFontMap *fm;
	PangoContext *pc;
	PangoFontDescription *font[F_COUNT];
	double y;
	int page, pages;
	int counting;
};

/* ---- the output stream ---- */

struct sink {
	char *buf;
	size_t len, cap;
	int discard;
	int err;
};

static cairo_status_t
sink_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct sink *s = closure;

	if (s->discard)
		return CAIRO_STATUS_SUCCESS;
	if (s->len + length > s->cap) {
		size_t cap = s->cap ? s->cap : 1 << 16;
		char *b;
		while (cap < s->len + length)
			cap *= 2;
		if ((b = realloc(s->buf, cap)) == NULL) {
			s->err = ENOMEM;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, length);
	s->len += length;
	return CAIRO_STATUS_SUCCESS;
}

/* ---- text ---- */

static PangoLayout *
layout(struct pdf *p, enum font_id f, const char *text, double width, int wrap_chars)
{
	PangoLayout *l = pango_layout_new(p->pc);

	pango_layout_set_font_description(l, p->font[f]);
	if (width > 0) {
		pango_layout_set_width(l, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(l, wrap_chars ? PANGO_WRAP_CHAR : PANGO_WRAP_WORD_CHAR);
	}
	pango_layout_set_text(l, text, -1);
	return l;
}

static double
layout_h(PangoLayout *l)
{
	PangoRectangle r;

	pango_layout_get_extents(l, NULL, &r);
	return (double)r.height / PANGO_SCALE;
}

static double
layout_w(PangoLayout *l)
{
	PangoRectangle r;

	pango_layout_get_extents(l, NULL, &r);
	return (double)r.width / PANGO_SCALE;
}

static void
colour(cairo_t *cr, unsigned rgb)
{
	cairo_set_source_rgb(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
			     (rgb & 0xff) / 255.0);
}

/* Draw a laid-out text; the counting pass only measures. */
static void
show(struct pdf *p, PangoLayout *l, double x, double y, unsigned rgb)
{
	if (p->counting)
		return;
	cairo_move_to(p->cr, x, y);
	colour(p->cr, rgb);
	pango_cairo_show_layout(p->cr, l);
}

/* ---- pages ---- */

static void
footer(struct pdf *p)
{
	char num[48];
	PangoLayout *l;
	double y = PAGE_H - M_BOTTOM + 14;

	cairo_set_line_width(p->cr, 0.5);
	colour(p->cr, 0xc8ccd2);
	cairo_move_to(p->cr, M_LEFT, y - 4);
	cairo_line_to(p->cr, PAGE_W - M_RIGHT, y - 4);
	cairo_stroke(p->cr);
	l = layout(p, F_FOOT, p->d->footer_case, 0, 0);
	show(p, l, M_LEFT, y, 0x454b54);
	g_object_unref(l);
	l = layout(p, F_FOOT_MONO, p->d->footer_head, 0, 0);
	show(p, l, M_LEFT, y + 10, 0x454b54);
	g_object_unref(l);
	snprintf(num, sizeof(num), "page %d of %d", p->page, p->pages);
	l = layout(p, F_FOOT, num, 0, 0);
	show(p, l, PAGE_W - M_RIGHT - layout_w(l), y, 0x454b54);
	g_object_unref(l);
}

static void
new_page(struct pdf *p)
{
	if (p->page > 0) {
		footer(p);
		cairo_show_page(p->cr);
	}
	p->page++;
	p->y = M_TOP;
}

/* Room for h more points on this page, or a new one. */
static void
need(struct pdf *p, double h)
{
	if (p->y + h > PAGE_H - M_BOTTOM && p->y > M_TOP)
		new_page(p);
}

/* ---- blocks ---- */

static void
text_block(struct pdf *p, enum font_id f, const char *text, double before, double after,
	   unsigned rgb, double keep)
{
	PangoLayout *l = layout(p, f, text, CONTENT_W, 0);
	double h = layout_h(l);

	need(p, before + h + keep);
	p->y += before;
	show(p, l, M_LEFT, p->y, rgb);
	p->y += h + after;
	g_object_unref(l);
}

static void
verdict_block(struct pdf *p, const struct rp_block *b)
{
	PangoLayout *l = layout(p, F_VERDICT, b->text, CONTENT_W - 16, 0);
	double h = layout_h(l) + 12;

	need(p, h);
	colour(p->cr, b->ok ? 0xd9f2e1 : 0xfde2e2);
	cairo_rectangle(p->cr, M_LEFT, p->y, CONTENT_W, h);
	cairo_fill_preserve(p->cr);
	colour(p->cr, b->ok ? 0x1b7a3a : 0xb00020);
	cairo_set_line_width(p->cr, 2);
	cairo_stroke(p->cr);
	show(p, l, M_LEFT + 8, p->y + 6, b->ok ? 0x0b5d27 : 0x8b0000);
	p->y += h + 6;
	g_object_unref(l);
}

static void
heading_block(struct pdf *p, const struct rp_block *b)
{
	static const enum font_id fonts[] = { F_H1, F_H1, F_H2, F_H3, F_H4 };
	int lv = b->level < 1 ? 1 : b->level > 4 ? 4 : b->level;

	/* keep a heading with what follows it */
	text_block(p, fonts[lv], b->text, lv <= 2 ? 10 : 6, lv == 2 ? 5 : 3, 0x1a1a1a, 60);
	if (lv == 2) {
		cairo_set_line_width(p->cr, 0.6);
		colour(p->cr, 0xc8ccd2);
		cairo_move_to(p->cr, M_LEFT, p->y - 3);
		cairo_line_to(p->cr, PAGE_W - M_RIGHT, p->y - 3);
		cairo_stroke(p->cr);
	}
}

static void
swatch(struct pdf *p, unsigned rgb, int dashed, double x, double y)
{
	static const double dash[] = { 4, 2 };

	cairo_set_line_width(p->cr, 2.4);
	cairo_set_dash(p->cr, dash, dashed ? 2 : 0, 0);
	colour(p->cr, rgb);
	cairo_move_to(p->cr, x, y);
	cairo_line_to(p->cr, x + 20, y);
	cairo_stroke(p->cr);
	cairo_set_dash(p->cr, NULL, 0, 0);
}

/* A row's cells laid out (the tallest decides its height).  head: bold. */
static double
row_layout(struct pdf *p, const struct rp_block *b, char *const *cells, int head,
	   PangoLayout **l)
{
	double h = 0;
	size_t k;

	for (k = 0; k < b->ncols; k++) {
		double w = b->width[k] * CONTENT_W - 2 * PAD;
		enum font_id f = head ? F_BOLD : (b->flags[k] & RC_MONO) ? F_MONO : F_BODY;
		const char *t = (!head && (b->flags[k] & RC_SWATCH)) ? "" : cells[k];
		l[k] = layout(p, f, t, w, (b->flags[k] & RC_MONO) != 0);
		if (!head && (b->flags[k] & RC_RIGHT))
			pango_layout_set_alignment(l[k], PANGO_ALIGN_RIGHT);
		if (layout_h(l[k]) > h)
			h = layout_h(l[k]);
	}
	return h + 2 * PAD;
}

/* Draw a laid-out row at p->y and release its layouts. */
static void
row_draw(struct pdf *p, const struct rp_block *b, char *const *cells, int head, PangoLayout **l,
	 double h)
{
	double x = M_LEFT;
	size_t k;

	if (head) {
		colour(p->cr, 0xeef0f3);
		cairo_rectangle(p->cr, M_LEFT, p->y, CONTENT_W, h);
		cairo_fill(p->cr);
	}
	for (k = 0; k < b->ncols; k++) {
		unsigned rgb;
		if (!head && (b->flags[k] & RC_SWATCH) && sscanf(cells[k], "#%6x", &rgb) == 1)
			swatch(p, rgb, strstr(cells[k], "dashed") != NULL, x + PAD, p->y + h / 2);
		show(p, l[k], x + PAD, p->y + PAD, 0x1a1a1a);
		g_object_unref(l[k]);
		x += b->width[k] * CONTENT_W;
	}
	cairo_set_line_width(p->cr, 0.4);
	colour(p->cr, 0xd4d7dc);
	cairo_move_to(p->cr, M_LEFT, p->y + h);
	cairo_line_to(p->cr, PAGE_W - M_RIGHT, p->y + h);
	cairo_stroke(p->cr);
	p->y += h;
}

static void
table_head(struct pdf *p, const struct rp_block *b)
{
	PangoLayout **l = calloc(b->ncols, sizeof(*l));
	double h;

	if (l == NULL)
		return;
	h = row_layout(p, b, b->head, 1, l);
	row_draw(p, b, b->head, 1, l, h);
	free(l);
}

/* Rows continue over pages; a page that a table continues on repeats its
 * header. */
static int
table_block(struct pdf *p, const struct rp_block *b)
{
	PangoLayout **l = calloc(b->ncols ? b->ncols : 1, sizeof(*l));
	size_t r;

	if (l == NULL)
		return -ENOMEM;
	if (b->head) {
		need(p, 40);
		table_head(p, b);
	}
	for (r = 0; r < b->nrows; r++) {
		char *const *cells = &b->cells[r * b->ncols];
		double h = row_layout(p, b, cells, 0, l);
		if (p->y + h > PAGE_H - M_BOTTOM && p->y > M_TOP) {
			new_page(p);
			if (b->head)
				table_head(p, b);
		}
		row_draw(p, b, cells, 0, l, h);
	}
	p->y += 6;
	free(l);
	return 0;
}

/* ---- the cairo canvas (maps) ---- */

static void
cv_rect(void *ctx, double x, double y, double w, double h, unsigned fill, int filled,
	unsigned stroke, double sw)
{
	cairo_t *cr = ctx;

	cairo_rectangle(cr, x, y, w, h);
	if (filled) {
		colour(cr, fill);
		if (sw > 0)
			cairo_fill_preserve(cr);
		else
			cairo_fill(cr);
	}
	if (sw > 0) {
		colour(cr, stroke);
		cairo_set_line_width(cr, sw);
		cairo_stroke(cr);
	}
	cairo_new_path(cr);
}

static void
cv_polyline(void *ctx, const double *xy, size_t n, unsigned rgb, double w, int dashed,
	    int closed, int filled)
{
	static const double dash[] = { 8, 5 };
	cairo_t *cr = ctx;
	size_t i;

	if (n == 0)
		return;
	cairo_move_to(cr, xy[0], xy[1]);
	for (i = 1; i < n; i++)
		cairo_line_to(cr, xy[2 * i], xy[2 * i + 1]);
	if (closed)
		cairo_close_path(cr);
	colour(cr, rgb);
	if (filled)
		cairo_fill_preserve(cr);
	cairo_set_line_width(cr, w);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
	cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
	cairo_stroke(cr);
	cairo_set_dash(cr, NULL, 0, 0);
}

static void
cv_circle(void *ctx, double x, double y, double r, unsigned fill, unsigned stroke, double sw)
{
	cairo_t *cr = ctx;

	cairo_new_sub_path(cr);
	cairo_arc(cr, x, y, r, 0, 2 * M_PI);
	colour(cr, fill);
	if (sw > 0) {
		cairo_fill_preserve(cr);
		colour(cr, stroke);
		cairo_set_line_width(cr, sw);
		cairo_stroke(cr);
	} else {
		cairo_fill(cr);
	}
}

/* The canvas needs the pdf for pango: ctx is the struct pdf. */
static void
cv_text(void *ctx, double x, double y, const char *s, double size, int anchor, unsigned rgb,
	int bold, int halo)
{
	struct pdf *p = ctx;
	PangoFontDescription *fd = pango_font_description_copy(p->font[bold ? F_BOLD : F_BODY]);
	PangoLayout *l = pango_layout_new(p->pc);
	double w;

	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_layout_set_text(l, s, -1);
	w = layout_w(l);
	pango_cairo_update_layout(p->cr, l);
	/* y is the baseline, as in SVG */
	cairo_move_to(p->cr, x - (anchor == 1 ? w / 2 : anchor == 2 ? w : 0),
		      y - (double)pango_layout_get_baseline(l) / PANGO_SCALE);
	if (halo) {
		pango_cairo_layout_path(p->cr, l);
		colour(p->cr, 0xffffff);
		cairo_set_line_width(p->cr, 3);
		cairo_set_line_join(p->cr, CAIRO_LINE_JOIN_ROUND);
		cairo_stroke(p->cr);
		cairo_move_to(p->cr, x - (anchor == 1 ? w / 2 : anchor == 2 ? w : 0),
			      y - (double)pango_layout_get_baseline(l) / PANGO_SCALE);
	}
	colour(p->cr, rgb);
	pango_cairo_show_layout(p->cr, l);
	g_object_unref(l);
	pango_font_description_free(fd);
}

struct png_read {
	const unsigned char *data;
	size_t len, off;
};

static cairo_status_t
png_read(void *closure, unsigned char *data, unsigned int length)
{
	struct png_read *r = closure;

	if (r->len - r->off < length)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, r->data + r->off, length);
	r->off += length;
	return CAIRO_STATUS_SUCCESS;
}

/* Width and height from a JPEG's start-of-frame marker. */
static int
jpeg_size(const unsigned char *d, size_t len, int *w, int *h)
{
	size_t i = 2;

	while (i + 9 < len) {
		unsigned m, l;
		if (d[i] != 0xff)
			return -1;
		m = d[i + 1];
		l = (unsigned)d[i + 2] << 8 | d[i + 3];
		if ((m >= 0xc0 && m <= 0xc3) || (m >= 0xc5 && m <= 0xc7) ||
		    (m >= 0xc9 && m <= 0xcb) || (m >= 0xcd && m <= 0xcf)) {
			*h = d[i + 5] << 8 | d[i + 6];
			*w = d[i + 7] << 8 | d[i + 8];
			return *w > 0 && *h > 0 ? 0 : -1;
		}
		i += 2 + l;
	}
	return -1;
}

/* A tile: PNG decoded by cairo; JPEG passed through to the PDF as it is. */
static void
cv_image(void *ctx, const unsigned char *data, size_t len, double x, double y, double w, double h)
{
	struct pdf *p = ctx;
	cairo_surface_t *img = NULL;
	int iw, ih;

	if (len > 8 && !memcmp(data, "\x89PNG", 4)) {
		struct png_read r = { data, len, 0 };
		img = cairo_image_surface_create_from_png_stream(png_read, &r);
	} else if (len > 4 && data[0] == 0xff && data[1] == 0xd8 && jpeg_size(data, len, &iw, &ih) == 0) {
		unsigned char *copy = malloc(len);
		img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, iw, ih);
		if (copy == NULL || cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
			free(copy);
		} else {
			memcpy(copy, data, len);
			if (cairo_surface_set_mime_data(img, CAIRO_MIME_TYPE_JPEG, copy, len, free, copy) !=
			    CAIRO_STATUS_SUCCESS)
				free(copy);
		}
	}
	if (img == NULL || cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
		if (img)
			cairo_surface_destroy(img);
		return;
	}
	iw = cairo_image_surface_get_width(img);
	ih = cairo_image_surface_get_height(img);
	cairo_save(p->cr);
	cairo_translate(p->cr, x, y);
	cairo_scale(p->cr, w / iw, h / ih);
	cairo_set_source_surface(p->cr, img, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(p->cr), CAIRO_FILTER_GOOD);
	cairo_rectangle(p->cr, 0, 0, iw, ih);
	cairo_fill(p->cr);
	cairo_restore(p->cr);
	cairo_surface_destroy(img);
}

static void
cv_clip(void *ctx, double x, double y, double w, double h)
{
	cairo_t *cr = ctx;

	cairo_save(cr);
	cairo_rectangle(cr, x, y, w, h);
	cairo_clip(cr);
}

static void
cv_unclip(void *ctx)
{
	cairo_restore(ctx);
}

/* The canvas functions that take the cairo context. */
static void pdf_rect(void *ctx, double x, double y, double w, double h, unsigned fill, int filled,
		     unsigned stroke, double sw)
{
	cv_rect(((struct pdf *)ctx)->cr, x, y, w, h, fill, filled, stroke, sw);
}

static void pdf_polyline(void *ctx, const double *xy, size_t n, unsigned rgb, double w,
			 int dashed, int closed, int filled)
{
	cv_polyline(((struct pdf *)ctx)->cr, xy, n, rgb, w, dashed, closed, filled);
}

static void pdf_circle(void *ctx, double x, double y, double r, unsigned fill, unsigned stroke,
		       double sw)
{
	cv_circle(((struct pdf *)ctx)->cr, x, y, r, fill, stroke, sw);
}

static void pdf_clip(void *ctx, double x, double y, double w, double h)
{
	cv_clip(((struct pdf *)ctx)->cr, x, y, w, h);
}

static void pdf_unclip(void *ctx)
{
	cv_unclip(((struct pdf *)ctx)->cr);
}

/* Maps are 470 points wide: two fit on a page with their legends. */
#define MAP_PT_W 470.0

static void
map_block(struct pdf *p, const struct rp_block *b)
{
	const struct rp_map *m = p->d->maps[b->map];
	struct rp_canvas cv = { p, pdf_rect, pdf_polyline, pdf_circle, cv_text, cv_image,
				pdf_clip, pdf_unclip };
	double scale = MAP_PT_W / RP_MAP_W, mh = RP_MAP_H * scale;
	const int *idx;
	size_t n = rp_map_flights(m, &idx), i;

	/* the title, the map and the first legend line stay together */
	need(p, 14 + mh + 14);
	text_block(p, F_H4, rp_map_title(m), 4, 2, 0x1a1a1a, mh);
	if (!p->counting) {
		cairo_save(p->cr);
		cairo_translate(p->cr, M_LEFT, p->y);
		cairo_scale(p->cr, scale, scale);
		rp_map_draw(m, p->c, &cv);
		cairo_restore(p->cr);
		pango_cairo_update_context(p->cr, p->pc);
	}
	p->y += mh + 4;
	/* the legend: one flight a line */
	for (i = 0; i < n; i++) {
		const struct rp_flight *f = &p->c->fl[idx[i]];
		char *t = rp_flight_legend(p->c, (size_t)idx[i]);
		PangoLayout *l = layout(p, F_NOTE, t ? t : "", CONTENT_W - 26, 0);
		double h = layout_h(l);

		need(p, h + 1);
		swatch(p, f->colour, f->dashed, M_LEFT, p->y + 4);
		show(p, l, M_LEFT + 26, p->y, 0x1a1a1a);
		p->y += h + 1;
		g_object_unref(l);
		free(t);
	}
	text_block(p, F_NOTE, rp_map_note(m), 2, 8, 0x454b54, 0);
}

/* ---- the document ---- */

static int
render(struct pdf *p)
{
	size_t i;
	int ret = 0;

	p->page = 0;
	new_page(p);
	for (i = 0; i < p->d->n && ret == 0; i++) {
		const struct rp_block *b = &p->d->b[i];
		switch (b->kind) {
		case RB_VERDICT:
			verdict_block(p, b);
			break;
		case RB_HEADING:
			heading_block(p, b);
			break;
		case RB_PARA:
			text_block(p, F_BODY, b->text, 2, 3, 0x1a1a1a, 0);
			break;
		case RB_NOTE:
			text_block(p, F_NOTE, b->text, 1, 3, 0x454b54, 0);
			break;
		case RB_TABLE:
			ret = table_block(p, b);
			break;
		case RB_MAP:
			map_block(p, b);
			break;
		case RB_BREAK:
			new_page(p);
			break;
		}
	}
	footer(p);
	cairo_show_page(p->cr);
	return ret;
}

static void
pdf_close(struct pdf *p)
{
	size_t i;

	for (i = 0; i < F_COUNT; i++)
		if (p->font[i])
			pango_font_description_free(p->font[i]);
	if (p->pc)
		g_object_unref(p->pc);
	if (p->fm)
		g_object_unref(p->fm);
	if (p->cr)
		cairo_destroy(p->cr);
	if (p->surf)
		cairo_surface_destroy(p->surf);
	memset(p->font, 0, sizeof(p->font));
	p->pc = NULL;
	p->fm = NULL;
	p->cr = NULL;
	p->surf = NULL;
}

/* A PDF surface writing into sink, with pango set up on it. */
static int
pdf_open(struct pdf *p, struct sink *s)
{
	cairo_font_options_t *fo;
	char date[32];
	size_t i;

	p->surf = cairo_pdf_surface_create_for_stream(sink_write, s, PAGE_W, PAGE_H);
	if (cairo_surface_status(p->surf) != CAIRO_STATUS_SUCCESS)
		return -ENOMEM;
	cairo_pdf_surface_restrict_to_version(p->surf, CAIRO_PDF_VERSION_1_5);
	/* no time of generation: the document's date is the chain head's
	 * record, the last thing the report reports on */
	snprintf(date, sizeof(date), "%s", p->c->log.n ?
		 ct_json_str(p->c->log.lines[p->c->log.n - 1].rec, "time", "1970-01-01T00:00:00Z") :
		 "1970-01-01T00:00:00Z");
	cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_CREATE_DATE, date);
	cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_MOD_DATE, date);
	cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_TITLE, p->d->title);
	cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_CREATOR, "cardtrail " CT_VERSION);
	p->cr = cairo_create(p->surf);
	p->fm = pango_cairo_font_map_new();
	if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS || p->fm == NULL)
		return -ENOMEM;
	pango_cairo_font_map_set_resolution(PANGO_CAIRO_FONT_MAP(p->fm), 72);
	p->pc = pango_font_map_create_context(p->fm);
	if (p->pc == NULL)
		return -ENOMEM;
	pango_context_set_language(p->pc, pango_language_from_string("en"));
	/* one unit is a point: whole-unit glyph positions would make text
	 * wider than its metrics (a hash would not fit its column) */
	pango_context_set_round_glyph_positions(p->pc, FALSE);
	fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(p->pc, fo);
	cairo_font_options_destroy(fo);
	pango_cairo_update_context(p->cr, p->pc);
	for (i = 0; i < F_COUNT; i++)
		if ((p->font[i] = pango_font_description_from_string(font_names[i])) == NULL)
			return -ENOMEM;
	return 0;
}

int
rp_pdf_write(const struct rp_case *c, const struct rp_doc *d, char **out, size_t *len, char *err,
	     size_t errlen)
{
	struct pdf p = { .c = c, .d = d };
	struct sink s = { 0 };
	cairo_status_t st;
	int ret, pass;

	*out = NULL;
	*len = 0;
	/* pass 0 counts the pages, pass 1 writes */
	for (pass = 0; pass < 2; pass++) {
		memset(&s, 0, sizeof(s));
		s.discard = pass == 0;
		if ((ret = pdf_open(&p, &s)) < 0) {
			snprintf(err, errlen, "cannot start the PDF (cairo, pango)");
			goto out;
		}
		p.counting = pass == 0;
		if ((ret = render(&p)) < 0) {
			snprintf(err, errlen, "cannot lay out the PDF: %s", strerror(-ret));
			goto out;
		}
		p.pages = p.page;
		cairo_destroy(p.cr);
		p.cr = NULL;
		cairo_surface_finish(p.surf);
		st = cairo_surface_status(p.surf);
		if (st != CAIRO_STATUS_SUCCESS || s.err) {
			snprintf(err, errlen, "cannot write the PDF: %s",
				 s.err ? strerror(s.err) : cairo_status_to_string(st));
			ret = s.err ? -s.err : -EIO;
			goto out;
		}
		pdf_close(&p);
		if (pass == 0)
			free(s.buf);
	}
	*out = s.buf;
	*len = s.len;
	s.buf = NULL;
	ret = 0;
out:
	pdf_close(&p);
	free(s.buf);
	return ret;
}
