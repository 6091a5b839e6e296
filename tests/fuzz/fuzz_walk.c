/*
 * fuzz_walk.c — libFuzzer target for the card walk (walk.c): the input is
 * a card image (seeds: small FAT12/16/32 and exFAT images from
 * tests/tools/gen-cardimg).  libtsk opens it (raw), the walk lists volumes,
 * files, aliases and free space; every file's ranges are checked to lie in
 * the image, read, and given to the parser that bids highest, as extract
 * does.
 *
 * libtsk 4.11 asserts on a deleted exFAT stream extension whose name has 0
 * characters (fatfs_utf16_inode_str_2_utf8): we cannot fix libtsk, so such
 * inputs are skipped, or the fuzzer would find that one abort again and
 * again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <tsk/libtsk.h>

#include "cardtrail/flight.h"
#include "evidence/walk.h"

#define MAX_READ (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	TSK_IMG_INFO *img;
	uint64_t size;
	unsigned char *buf;
};

static int
on_volume(void *c, const struct ct_wvolume *v)
{
	(void)c;
	if (v->index >= CT_WALK_MAX_VOLUMES || v->in_image > v->size)
		abort();
	return 0;
}

static int
on_item(void *cp, const struct ct_witem *it)
{
	struct ctx *c = cp;
	struct ct_mem_input m;
	struct ct_input in;
	struct ct_flight f;
	const struct ct_parser *p;
	uint64_t covered = 0;
	size_t got = 0;
	uint32_t i;

	for (i = 0; i < it->nruns; i++) {
		const struct ct_run *r = &it->runs[i];
		size_t n;

		if (r->img_off != CT_RUN_ZERO && (r->img_off > c->size || r->len > c->size - r->img_off))
			abort();	/* a range past the image */
		covered += r->len;
		if (got >= MAX_READ)
			continue;
		n = r->len < MAX_READ - got ? (size_t)r->len : MAX_READ - got;
		if (r->img_off == CT_RUN_ZERO)
			memset(c->buf + got, 0, n);
		else if (tsk_img_read(c->img, (TSK_OFF_T)r->img_off, (char *)c->buf + got, n) !=
			 (ssize_t)n)
			memset(c->buf + got, 0, n);
		got += n;
	}
	if (covered > it->size || strlen(it->path) < it->name_off)
		abort();
	m.data = c->buf;
	m.len = got;
	ct_input_from_mem(&in, &m, it->path);
	if ((p = ct_parser_choose(it->path, c->buf, got < 4096 ? got : 4096, NULL)) != NULL) {
		ct_flight_init(&f, p->name);
		(void)ct_parse(p, &in, &f);
		ct_flight_release(&f);
	}
	tsk_error_reset();
	return 0;
}

static int
on_alias(void *c, uint32_t vol, const char *path, const char *also_at)
{
	(void)c, (void)vol;
	if (!*path || !*also_at)
		abort();
	return 0;
}

static int
on_unalloc(void *cp, uint32_t vol, uint64_t off, uint64_t len)
{
	struct ctx *c = cp;

	(void)vol;
	if (off > c->size || len > c->size - off)
		abort();	/* free space past the image */
	return 0;
}

static int
on_warn(void *c, uint32_t vol, const char *text)
{
	(void)c, (void)vol, (void)text;
	return 0;
}

static int
on_done(void *c, uint32_t vol, int ok)
{
	(void)c, (void)vol, (void)ok;
	return 0;
}

/* The known libtsk 4.11 assertion: a 32-byte aligned deleted exFAT stream
 * extension (0x40) with a name length of 0. */
static int
libtsk_asserts_on(const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i + 32 <= n; i += 32)
		if (d[i] == 0x40 && d[i + 3] == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static unsigned char *buf;
	const struct ct_walk_sink sink = {
		on_volume, on_item, on_alias, on_unalloc, on_warn, on_done, NULL,
	};
	struct ctx c;
	struct ct_walk_sink s = sink;
	char path[64];

	if (size < 512 || libtsk_asserts_on(data, size))
		return 0;
	if (fd < 0 && (fd = memfd_create("card", MFD_CLOEXEC)) < 0)
		abort();
	if (buf == NULL && (buf = malloc(MAX_READ)) == NULL)
		abort();
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((c.img = tsk_img_open_utf8_sing(path, TSK_IMG_TYPE_RAW, 0)) == NULL) {
		tsk_error_reset();
		return 0;
	}
	c.size = (uint64_t)c.img->size;
	c.buf = buf;
	s.ctx = &c;
	(void)ct_walk_image(c.img, -1, &s);
	tsk_img_close(c.img);
	tsk_error_reset();
	return 0;
}
