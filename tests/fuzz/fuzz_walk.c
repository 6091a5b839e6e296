/*
 * fuzz_walk.c — libFuzzer target for the card walk (walk.c): the input is
 * a card image (seeds: small FAT12/16/32 and exFAT images from
 * tests/tools/gen-cardimg).  libtsk opens it (raw), the walk lists volumes,
 * files, aliases and free space; every file's ranges are checked to lie in
 * the image, read, and given to the parser that bids highest, as extract
 * does.
 *
 * Built with -DCT_FUZZ_STRUCT it is fuzz-walk-struct: the same target with
 * a structure-aware mutator (LLVMFuzzerCustomMutator) that knows where a
 * FAT or exFAT volume keeps its boot sector fields, its FAT entries and
 * its directory entries and entry sets, and sets them to the values that
 * break walkers: sizes and counts past the image, chains that loop or run
 * off the end, entries that point at their own folder or at another one,
 * deleted flags, zero name lengths, sector and cluster sizes at their
 * limits.  One mutation in four is libFuzzer's own, byte by byte.
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
const char *__asan_default_options(void);

/* libtsk sizes some allocations by what the card claims and handles a
 * NULL from malloc: such a request failing is not a bug (the child of
 * extract has an address-space limit for the same reason). */
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

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
	(void)ct_walk_image(c.img, -1, CT_WALK_MAX_ITEMS, &s);
	tsk_img_close(c.img);
	tsk_error_reset();
	return 0;
}

#ifdef CT_FUZZ_STRUCT

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed);

static uint64_t mstate;

static uint64_t
mrand(void)
{
	uint64_t z = (mstate += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t
get_le(const uint8_t *p, int n)
{
	uint32_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
put_le(uint8_t *p, int n, uint64_t v)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A value that breaks assumptions, for a field of n bytes now holding cur. */
static uint64_t
nasty(uint64_t cur, int n, uint64_t image_units)
{
	uint64_t max = n >= 8 ? UINT64_MAX : (1ull << (8 * n)) - 1;

	switch (mrand() % 9) {
	case 0: return 0;
	case 1: return 1;
	case 2: return max;
	case 3: return cur + 1;
	case 4: return cur ? cur - 1 : max;
	case 5: return cur * 2;
	case 6: return image_units;		/* just past the end */
	case 7: return image_units + 1 + mrand() % 1024;
	default: return mrand() & max;
	}
}

struct layout {
	int exfat;
	uint32_t ss, spc;
	uint64_t fat0, fatsz, data0;	/* bytes */
	int fatbits;			/* 12, 16, 32 */
};

static int
layout_of(const uint8_t *d, size_t size, struct layout *l)
{
	memset(l, 0, sizeof(*l));
	if (size < 512)
		return -1;
	if (!memcmp(d + 3, "EXFAT   ", 8)) {
		l->exfat = 1;
		l->ss = d[108] >= 9 && d[108] <= 12 ? 1u << d[108] : 512;
		l->spc = d[109] <= 16 ? 1u << d[109] : 1;
		l->fat0 = (uint64_t)get_le(d + 80, 4) * l->ss;
		l->fatsz = (uint64_t)get_le(d + 84, 4) * l->ss;
		l->data0 = (uint64_t)get_le(d + 88, 4) * l->ss;
		l->fatbits = 32;
	} else {
		uint32_t rootents = get_le(d + 17, 2), fatsz = get_le(d + 22, 2);
		l->ss = get_le(d + 11, 2);
		if (l->ss < 512 || l->ss > 4096)
			l->ss = 512;
		l->spc = d[13] ? d[13] : 1;
		l->fatbits = fatsz ? (size < (4085ull * l->spc * l->ss) ? 12 : 16) : 32;
		if (!fatsz)
			fatsz = get_le(d + 36, 4);
		l->fat0 = (uint64_t)get_le(d + 14, 2) * l->ss;
		l->fatsz = (uint64_t)fatsz * l->ss;
		l->data0 = l->fat0 + l->fatsz * (d[16] ? d[16] : 1) +
			   ((uint64_t)rootents * 32 + l->ss - 1) / l->ss * l->ss;
	}
	return 0;
}

/* A boot sector field, to a nasty value. */
static void
mutate_boot(uint8_t *d, size_t size, const struct layout *l)
{
	static const struct { int off, n; } fat[] = {
		{ 11, 2 }, { 13, 1 }, { 14, 2 }, { 16, 1 }, { 17, 2 }, { 19, 2 }, { 22, 2 },
		{ 32, 4 }, { 36, 4 }, { 44, 4 },
	}, exf[] = {
		{ 72, 8 }, { 80, 4 }, { 84, 4 }, { 88, 4 }, { 92, 4 }, { 96, 4 }, { 108, 1 },
		{ 109, 1 }, { 110, 1 },
	};
	const void *t = l->exfat ? (const void *)exf : (const void *)fat;
	size_t n = l->exfat ? sizeof(exf) / sizeof(exf[0]) : sizeof(fat) / sizeof(fat[0]);
	const struct { int off, n; } *f = (const void *)((const char *)t + (mrand() % n) * sizeof(fat[0]));

	put_le(d + f->off, f->n, nasty(get_le(d + f->off, f->n > 4 ? 4 : f->n), f->n,
				       size / l->ss));
}

/* A FAT entry: free, end of chain, itself, another, past the end. */
static void
mutate_fat(uint8_t *d, size_t size, const struct layout *l)
{
	uint64_t nent, c, v, clusters = l->ss * l->spc ? size / (l->ss * l->spc) + 2 : 2;

	if (l->fatsz == 0 || l->fat0 + l->fatsz > size)
		return;
	nent = l->fatsz * 8 / (uint64_t)l->fatbits;
	if (nent < 3)
		return;
	c = 2 + mrand() % (nent - 2);
	switch (mrand() % 5) {
	case 0: v = 0; break;
	case 1: v = l->fatbits == 12 ? 0xfff : l->fatbits == 16 ? 0xffff : 0x0fffffff; break;
	case 2: v = c; break;
	case 3: v = 2 + mrand() % clusters; break;
	default: v = clusters + mrand() % 4096; break;
	}
	if (l->fatbits == 12) {
		uint8_t *p = d + l->fat0 + c + c / 2;
		if (c & 1) {
			p[0] = (uint8_t)((p[0] & 0x0f) | (v & 0x0f) << 4);
			p[1] = (uint8_t)(v >> 4);
		} else {
			p[0] = (uint8_t)v;
			p[1] = (uint8_t)((p[1] & 0xf0) | ((v >> 8) & 0x0f));
		}
	} else {
		put_le(d + l->fat0 + c * (uint64_t)(l->fatbits / 8), l->fatbits / 8, v);
	}
}

static int
is_entry(const uint8_t *e, int exfat)
{
	if (exfat)
		return e[0] == 0x85 || e[0] == 0x05 || e[0] == 0xc0 || e[0] == 0x40 ||
		       e[0] == 0xc1 || e[0] == 0x41 || e[0] == 0x81 || e[0] == 0x82;
	return e[0] != 0 && (e[0] >= 0x20 || e[0] == 0x05) && (e[11] & 0xc0) == 0;
}

/* A directory entry of the data area (or the FAT12/16 root). */
static void
mutate_entry(uint8_t *d, size_t size, const struct layout *l)
{
	uint64_t start = l->fat0 + l->fatsz, at, k, clusters = size / (l->ss * l->spc);
	uint8_t *e = NULL;

	if (start >= size || size - start < 64)
		return;
	/* a random entry-looking 32-byte slot after the FATs */
	for (k = 0; k < 64 && e == NULL; k++) {
		at = start + (mrand() % ((size - start) / 32)) * 32;
		if (at + 64 <= size && is_entry(d + at, l->exfat))
			e = d + at;
	}
	if (e == NULL)
		return;
	if (l->exfat) {
		switch (e[0] & 0x7f) {
		case 0x05:	/* file: secondary count, attributes, deleted */
			if (mrand() & 1)
				e[1] = (uint8_t)nasty(e[1], 1, 19);
			else if (mrand() & 1)
				e[4] ^= 0x10;
			else
				e[0] ^= 0x80;
			break;
		case 0x40:	/* stream: name length, first cluster, sizes, flags */
			switch (mrand() % 5) {
			case 0: e[3] = (uint8_t)nasty(e[3], 1, 255); break;
			case 1: put_le(e + 20, 4, nasty(get_le(e + 20, 4), 4, clusters + 2)); break;
			case 2: put_le(e + 24, 8, nasty(get_le(e + 24, 4), 8, size)); break;
			case 3: put_le(e + 8, 8, nasty(get_le(e + 8, 4), 8, size)); break;
			default: e[1] ^= 0x02; break;	/* NoFatChain */
			}
			break;
		default:
			e[0] ^= 0x80;
		}
		return;
	}
	switch (mrand() % 6) {
	case 0: e[0] = 0xe5; break;				/* deleted */
	case 1: e[11] ^= 0x10; break;				/* file <-> folder */
	case 2: e[11] = 0x08; break;				/* a volume label */
	case 3: put_le(e + 28, 4, nasty(get_le(e + 28, 4), 4, size)); break;
	case 4: {						/* first cluster */
		uint64_t v = nasty(get_le(e + 26, 2) | (uint64_t)get_le(e + 20, 2) << 16, 4,
				   clusters + 2);
		put_le(e + 26, 2, v & 0xffff);
		put_le(e + 20, 2, v >> 16);
		break;
	}
	default: {						/* another entry's cluster */
		uint8_t *o = e + 32;
		if (is_entry(o, 0)) {
			memcpy(e + 20, o + 20, 2);
			memcpy(e + 26, o + 26, 2);
		}
	}
	}
}

size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed)
{
	struct layout l;
	int k, n;

	mstate = seed;
	if (mrand() % 4 == 0 || layout_of(data, size, &l) < 0)
		return LLVMFuzzerMutate(data, size, max);
	n = 1 + (int)(mrand() % 3);
	for (k = 0; k < n; k++) {
		switch (mrand() % 4) {
		case 0: mutate_boot(data, size, &l); break;
		case 1: mutate_fat(data, size, &l); break;
		default: mutate_entry(data, size, &l); break;
		}
	}
	return size;
}

#endif
