/*
 * html.c — the report as one self-contained HTML file: inline CSS, inline
 * SVG maps (tiles as data: URIs), no scripts, no external resource; it
 * prints on A4.  The verdict is the body's first element.  Every text is
 * escaped here (card text is hostile: names with markup, quotes, controls).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cardtrail/report.h"
#include "cardtrail/util.h"
#include "report_int.h"

static const char CSS[] =
"@page{size:A4;margin:14mm 12mm 16mm 12mm}\n"
"body{font:10pt/1.35 'DejaVu Sans',sans-serif;color:#1a1a1a;max-width:760px;margin:0 auto;"
"padding:8px}\n"
"h1{font-size:16pt;margin:10px 0 4px}h2{font-size:13pt;margin:16px 0 4px;"
"border-bottom:1px solid #c8ccd2;break-after:avoid}h3{font-size:11pt;margin:12px 0 4px;"
"break-after:avoid}h4{font-size:10pt;margin:8px 0 2px;break-after:avoid}\n"
".verdict{font-weight:bold;font-size:12pt;padding:8px 10px;margin:0 0 6px}\n"
".verdict.ok{background:#d9f2e1;color:#0b5d27;border:3px solid #1b7a3a}\n"
".verdict.bad{background:#fde2e2;color:#8b0000;border:3px solid #b00020}\n"
"p{margin:4px 0}p.note{font-size:8pt;color:#444}\n"
"table{border-collapse:collapse;width:100%;margin:4px 0 10px;font-size:8pt;table-layout:fixed}\n"
"th,td{border:1px solid #d4d7dc;padding:2px 4px;vertical-align:top;text-align:left;"
"overflow-wrap:anywhere}\n"
"th{background:#eef0f3}thead{display:table-header-group}tr{break-inside:avoid}\n"
"td.mono{font-family:'DejaVu Sans Mono',monospace;font-size:7pt;word-break:break-all}\n"
"td.right{text-align:right}\n"
"table.kv td:first-child{color:#454b54}\n"
"figure.map{break-inside:avoid;margin:6px 0 14px}\n"
"figure.map figcaption{font-weight:bold;margin:2px 0}\n"
"figure.map svg.map{display:block;width:720px;height:480px}\n"
"ul.legend{list-style:none;padding:0;margin:4px 0;font-size:8pt}\n"
"ul.legend li{display:inline-block;margin:0 12px 2px 0}\n"
"footer{margin-top:16px;font-size:7pt;color:#454b54;border-top:1px solid #c8ccd2}\n"
"@media print{body{max-width:none;padding:0}figure.map svg.map{width:100%;height:auto}}\n";

static void
esc(FILE *f, const char *s)
{
	ct_html_escape(f, s);
}

/* ---- the SVG canvas ---- */

struct svg {
	FILE *f;
	const char *id;
};

static void
svg_rect(void *ctx, double x, double y, double w, double h, unsigned fill, int filled,
	 unsigned stroke, double sw)
{
	struct svg *s = ctx;

	fprintf(s->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"", x, y, w, h);
	if (filled)
		fprintf(s->f, " fill=\"#%06x\"", fill);
	else
		fputs(" fill=\"none\"", s->f);
	if (sw > 0)
		fprintf(s->f, " stroke=\"#%06x\" stroke-width=\"%.1f\"", stroke, sw);
	fputs("/>\n", s->f);
}

static void
svg_polyline(void *ctx, const double *xy, size_t n, unsigned colour, double w, int dashed,
	     int closed, int filled)
{
	struct svg *s = ctx;
	size_t i;

	fprintf(s->f, "<%s points=\"", closed ? "polygon" : "polyline");
	for (i = 0; i < n; i++)
		fprintf(s->f, "%s%.1f,%.1f", i ? " " : "", xy[2 * i], xy[2 * i + 1]);
	fputs("\"", s->f);
	if (filled)
		fprintf(s->f, " fill=\"#%06x\"", colour);
	else
		fputs(" fill=\"none\"", s->f);
	fprintf(s->f, " stroke=\"#%06x\" stroke-width=\"%.1f\" stroke-linejoin=\"round\" "
		"stroke-linecap=\"round\"%s/>\n", colour, w, dashed ? " stroke-dasharray=\"8 5\"" : "");
}

static void
svg_circle(void *ctx, double x, double y, double r, unsigned fill, unsigned stroke, double sw)
{
	struct svg *s = ctx;

	fprintf(s->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#%06x\"", x, y, r, fill);
	if (sw > 0)
		fprintf(s->f, " stroke=\"#%06x\" stroke-width=\"%.1f\"", stroke, sw);
	fputs("/>\n", s->f);
}

static void
svg_text(void *ctx, double x, double y, const char *t, double size, int anchor, unsigned colour,
	 int bold, int halo)
{
	static const char *const anchors[] = { "start", "middle", "end" };
	struct svg *s = ctx;

	fprintf(s->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\" text-anchor=\"%s\" "
		"fill=\"#%06x\"%s%s>", x, y, size, anchors[anchor < 0 || anchor > 2 ? 0 : anchor],
		colour, bold ? " font-weight=\"bold\"" : "",
		halo ? " stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\"" : "");
	esc(s->f, t);
	fputs("</text>\n", s->f);
}

static void
svg_image(void *ctx, const unsigned char *data, size_t len, double x, double y, double w, double h)
{
	struct svg *s = ctx;
	const char *mime = len > 3 && data[0] == 0xff && data[1] == 0xd8 ? "image/jpeg" : "image/png";
	gchar *b64 = g_base64_encode(data, len);

	if (b64 == NULL)
		return;
	fprintf(s->f, "<image x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
		"preserveAspectRatio=\"none\" href=\"data:%s;base64,%s\"/>\n", x, y, w, h, mime, b64);
	g_free(b64);
}

static void
svg_clip(void *ctx, double x, double y, double w, double h)
{
	struct svg *s = ctx;

	fprintf(s->f, "<defs><clipPath id=\"clip-%s\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\"/></clipPath></defs>\n<g clip-path=\"url(#clip-%s)\">\n", s->id, x, y,
		w, h, s->id);
}

static void
svg_unclip(void *ctx)
{
	struct svg *s = ctx;

	fputs("</g>\n", s->f);
}

/* A short line in a flight's colour (legends, the flights table). */
static void
swatch(FILE *f, unsigned colour, int dashed)
{
	fprintf(f, "<svg width=\"28\" height=\"10\" viewBox=\"0 0 28 10\" aria-hidden=\"true\">"
		"<line x1=\"1\" y1=\"5\" x2=\"27\" y2=\"5\" stroke=\"#%06x\" stroke-width=\"3\"%s/></svg>",
		colour, dashed ? " stroke-dasharray=\"6 3\"" : "");
}

static void
map_figure(const struct rp_case *c, const struct rp_doc *d, const struct rp_block *b, FILE *f)
{
	const struct rp_map *m = d->maps[b->map];
	struct svg s = { f, rp_map_id(m) };
	struct rp_canvas cv = { &s, svg_rect, svg_polyline, svg_circle, svg_text, svg_image,
				svg_clip, svg_unclip };
	const int *idx;
	size_t n = rp_map_flights(m, &idx), i;

	fprintf(f, "<figure class=\"map\" id=\"%s\">\n<figcaption>", rp_map_id(m));
	esc(f, rp_map_title(m));
	fprintf(f, "</figcaption>\n<svg class=\"map\" xmlns=\"http://www.w3.org/2000/svg\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, sans-serif\" role=\"img\">\n",
		RP_MAP_W, RP_MAP_H);
	rp_map_draw(m, c, &cv);
	fputs("</svg>\n<ul class=\"legend\">\n", f);
	for (i = 0; i < n; i++) {
		const struct rp_flight *fl = &c->fl[idx[i]];
		char *l = rp_flight_legend(c, (size_t)idx[i]);
		fprintf(f, "<li class=\"flight\" data-flight=\"%d\" data-colour=\"#%06x\">", idx[i] + 1,
			fl->colour);
		swatch(f, fl->colour, fl->dashed);
		fputs(" ", f);
		esc(f, l ? l : "");
		fputs("</li>\n", f);
		free(l);
	}
	fputs("</ul>\n<p class=\"note\">", f);
	esc(f, rp_map_note(m));
	fputs("</p>\n</figure>\n", f);
}

static void
table_html(const struct rp_block *b, FILE *f)
{
	size_t r, k;

	fprintf(f, "<table%s>\n<colgroup>", b->head ? "" : " class=\"kv\"");
	for (k = 0; k < b->ncols; k++)
		fprintf(f, "<col style=\"width:%.1f%%\">", b->width[k] * 100);
	fputs("</colgroup>\n", f);
	if (b->head) {
		fputs("<thead><tr>", f);
		for (k = 0; k < b->ncols; k++) {
			fputs("<th>", f);
			esc(f, b->head[k]);
			fputs("</th>", f);
		}
		fputs("</tr></thead>\n", f);
	}
	fputs("<tbody>\n", f);
	for (r = 0; r < b->nrows; r++) {
		fputs("<tr>", f);
		for (k = 0; k < b->ncols; k++) {
			const char *cell = b->cells[r * b->ncols + k];
			unsigned fl = b->flags[k];
			unsigned colour;
			fprintf(f, "<td%s>", fl & RC_MONO ? " class=\"mono\"" : fl & RC_RIGHT ?
				" class=\"right\"" : "");
			if ((fl & RC_SWATCH) && sscanf(cell, "#%6x", &colour) == 1)
				swatch(f, colour, strstr(cell, "dashed") != NULL);
			else
				esc(f, cell);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

/* A CSS string of s: letters, digits, '-' and ' ' only (the case id and the
 * chain head come from the log, which is not to be trusted blindly). */
static void
css_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++)
		if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    *s == '-' || *s == ' ')
			fputc(*s, f);
	fputc('"', f);
}

/* Printed pages carry the case id, the chain head and the page number. */
static void
print_footer(const struct rp_doc *d, FILE *f)
{
	fputs("@page{@bottom-left{content:", f);
	css_str(f, d->footer_case);
	fputs(" \"\\A\" ", f);
	css_str(f, d->footer_head);
	fputs(";white-space:pre;font:6.5pt 'DejaVu Sans Mono',monospace;color:#454b54}"
	      "@bottom-right{content:\"page \" counter(page) \" of \" counter(pages);"
	      "font:6.5pt 'DejaVu Sans',sans-serif;color:#454b54}}\n", f);
}

int
rp_html_write(const struct rp_case *c, const struct rp_doc *d, FILE *f)
{
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
	esc(f, d->title);
	fprintf(f, "</title>\n<meta name=\"generator\" content=\"cardtrail %s\">\n<style>\n%s", CT_VERSION,
		CSS);
	print_footer(d, f);
	fputs("</style>\n</head>\n<body>\n", f);
	for (i = 0; i < d->n; i++) {
		const struct rp_block *b = &d->b[i];
		switch (b->kind) {
		case RB_VERDICT:
			fprintf(f, "<p class=\"verdict %s\" id=\"verdict\">", b->ok ? "ok" : "bad");
			esc(f, b->text);
			fputs("</p>\n", f);
			break;
		case RB_HEADING:
			fprintf(f, "<h%d", b->level);
			if (b->id[0])
				fprintf(f, " id=\"%s\"", b->id);
			fputs(">", f);
			esc(f, b->text);
			fprintf(f, "</h%d>\n", b->level);
			break;
		case RB_PARA:
		case RB_NOTE:
			fprintf(f, "<p%s>", b->kind == RB_NOTE ? " class=\"note\"" : "");
			esc(f, b->text);
			fputs("</p>\n", f);
			break;
		case RB_TABLE:
			table_html(b, f);
			break;
		case RB_MAP:
			map_figure(c, d, b, f);
			break;
		case RB_BREAK:
			break;
		}
	}
	fputs("<footer>", f);
	esc(f, d->footer_case);
	fputs(" &middot; ", f);
	esc(f, d->footer_head);
	fputs("</footer>\n</body>\n</html>\n", f);
	return ferror(f) ? -EIO : 0;
}
