/*
 * gen-cardimg — write a small FAT12/16/32 or exFAT card image, structure
 * by structure (boot sector, FATs or allocation bitmap, directory entries,
 * exFAT entry sets with their checksums), from a seed: the same command
 * line always gives the same bytes.  For the extract tests, ordinary and
 * hostile:
 *
 *   gen-cardimg -t fat12|fat16|fat32|exfat -o FILE [options]
 *
 *   -s SEED          seed of the file contents (default 1)
 *   --size BYTES     image size (default: 1474560 fat12, 8 MiB fat16 and
 *                    exfat, 64 MiB fat32)
 *   --sector N       bytes per sector (512, 1024, 2048, 4096; default 512)
 *   --cluster N      sectors per cluster (default 1; exfat 8)
 *   --claim-sectors N  the sectors the boot sector says the volume has
 *                    (default: what the image holds); more: a volume that
 *                    claims to be larger than the image
 *   --files N        N SRT files with GPS positions in DCIM/100MEDIA
 *                    (default 2; 0: no DCIM)
 *   --tz MINUTES     exfat: the modified time's UTC offset of every file
 *                    (a multiple of 15); the created time's offset is left
 *                    invalid (a zone not stated)
 *   --dag N          folders D1..DN under the root, each Dk holding the
 *                    next twice, as Dk+1 and Xk+1 (no loop, 2^N paths),
 *                    DN holding DEEP.SRT
 *   --dups N         N empty files all named DUP.SRT, in as many folders
 *                    DUP1, DUP2, … as needed (at most 62500 each, or
 *                    --dups-per-folder N: more than FAT's 65536 entries
 *                    a folder may hold is hostile too)
 *   --big-claims N   N files in BIG/, each saying it has 7/8 of the image's
 *                    size, each with one cluster (its chain ends there)
 *   --past-end       a deleted file whose first cluster is the volume's
 *                    last but one and whose size runs 64 KiB past the end
 *   --zero-name      exfat: a deleted entry set in free space whose stream
 *                    extension says the name has 0 characters
 *   --sig-at-end     a ULog header in the last free cluster the image holds
 *
 * Layout: boot sector(s), FAT(s) (exfat: one FAT, then the cluster heap
 * with the allocation bitmap, the up-case table and the root folder),
 * then folders and files in cluster order.  Times: 2024-05-18 09:13:40
 * (as stored; exfat with the offset of --tz).  Names are 8.3 (FAT) or
 * short UTF-16 names (exFAT).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024u * 1024u)
#define DENT 32

enum fstype { FAT12, FAT16, FAT32, EXFAT };

static struct {
	enum fstype t;
	unsigned char *img;
	uint64_t size;		/* image bytes */
	uint32_t ss;		/* bytes per sector */
	uint32_t spc;		/* sectors per cluster */
	uint64_t sectors;	/* in the image */
	uint64_t claim;		/* sectors the boot sector claims */
	uint32_t rsvd;		/* sectors before the first FAT */
	uint32_t fatsz;		/* sectors per FAT */
	uint32_t nfat;
	uint32_t rootents;	/* fat12/16 root entries */
	uint64_t rootsect;	/* fat12/16 root folder */
	uint64_t heap;		/* first sector of cluster 2 */
	uint32_t clusters;	/* clusters in the image */
	uint32_t next;		/* next free cluster */
	uint32_t root;		/* fat32/exfat root folder cluster */
	uint32_t bitmap;	/* exfat allocation bitmap cluster */
	uint64_t seed;
	int tz;			/* exfat modified-time offset, minutes; INT32_MIN none */
} g;

static void
die(const char *msg)
{
	fprintf(stderr, "gen-cardimg: %s\n", msg);
	exit(1);
}

static uint64_t
rng(void)
{
	uint64_t z = (g.seed += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static unsigned char *
sect(uint64_t s)
{
	if ((s + 1) * g.ss > g.size)
		die("layout past the image");
	return g.img + s * g.ss;
}

static uint64_t
clus_sect(uint32_t c)
{
	return g.heap + (uint64_t)(c - 2) * g.spc;
}

static unsigned char *
clus(uint32_t c)
{
	if (c < 2 || (clus_sect(c) + g.spc) * g.ss > g.size)
		die("cluster past the image");
	return g.img + clus_sect(c) * g.ss;
}

static uint32_t
cbytes(void)
{
	return g.ss * g.spc;
}

/* ---- allocation ---- */

static void
fat_set(uint32_t c, uint32_t v)
{
	uint32_t k;

	for (k = 0; k < g.nfat; k++) {
		unsigned char *f = g.img + (uint64_t)(g.rsvd + k * g.fatsz) * g.ss;
		switch (g.t) {
		case FAT12: {
			unsigned char *p = f + c + c / 2;
			if (c & 1) {
				p[0] = (unsigned char)((p[0] & 0x0f) | (v & 0x0f) << 4);
				p[1] = (unsigned char)(v >> 4);
			} else {
				p[0] = (unsigned char)v;
				p[1] = (unsigned char)((p[1] & 0xf0) | ((v >> 8) & 0x0f));
			}
			break;
		}
		case FAT16:
			put16(f + 2 * c, v & 0xffff);
			break;
		default:
			put32(f + 4 * c, v);
		}
	}
	if (g.t == EXFAT && g.bitmap && v != 0)
		clus(g.bitmap)[(c - 2) / 8] |= (unsigned char)(1u << ((c - 2) % 8));
}

static uint32_t
eoc(void)
{
	return g.t == FAT12 ? 0xfff : g.t == FAT16 ? 0xffff : g.t == FAT32 ? 0x0fffffff :
	       0xffffffff;
}

/* n clusters in a row, chained, zeroed: the first. */
static uint32_t
alloc(uint32_t n)
{
	uint32_t first = g.next, i;

	if (n == 0)
		return 0;
	if (g.next + n - 2 > g.clusters)
		die("the image is full");
	for (i = 0; i < n; i++) {
		fat_set(first + i, i + 1 < n ? first + i + 1 : eoc());
		memset(clus(first + i), 0, cbytes());
	}
	g.next += n;
	return first;
}

/* ---- FAT structures ---- */

static const unsigned FDATE = ((2024 - 1980) << 9) | (5 << 5) | 18;	/* 2024-05-18 */
static const unsigned FTIME = (9 << 11) | (13 << 5) | (40 / 2);		/* 09:13:40 */

/* "NAME    EXT" (11 characters) from "NAME.EXT". */
static void
name83(const char *name, unsigned char out[11])
{
	const char *dot = strchr(name, '.');
	size_t nl = dot ? (size_t)(dot - name) : strlen(name), i;

	memset(out, ' ', 11);
	for (i = 0; i < nl && i < 8; i++)
		out[i] = (unsigned char)name[i];
	for (i = 0; dot && dot[1 + i] && i < 3; i++)
		out[8 + i] = (unsigned char)dot[1 + i];
}

static void
fat_dent(unsigned char *e, const char *name, unsigned attr, uint32_t first, uint32_t size)
{
	memset(e, 0, DENT);
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		memset(e, ' ', 11);
		memcpy(e, name, strlen(name));
	} else {
		name83(name, e);
	}
	e[11] = (unsigned char)attr;
	e[13] = 50;			/* 0.5 s */
	put16(e + 14, FTIME);
	put16(e + 16, FDATE);
	put16(e + 18, FDATE);
	put16(e + 20, first >> 16);
	put16(e + 22, FTIME);
	put16(e + 24, FDATE);
	put16(e + 26, first & 0xffff);
	put32(e + 28, size);
}

/* ---- exFAT structures ---- */

static uint16_t
upcase(uint16_t c)
{
	return c >= 'a' && c <= 'z' ? (uint16_t)(c - 32) : c;
}

static uint16_t
name_hash(const char *name)
{
	uint16_t h = 0;
	size_t i;

	for (i = 0; name[i]; i++) {
		uint16_t c = upcase((unsigned char)name[i]);
		h = (uint16_t)(((h & 1) ? 0x8000 : 0) + (h >> 1) + (c & 0xff));
		h = (uint16_t)(((h & 1) ? 0x8000 : 0) + (h >> 1) + (c >> 8));
	}
	return h;
}

static void
set_checksum(unsigned char *set, unsigned n)
{
	uint16_t sum = 0;
	unsigned i;

	for (i = 0; i < n * DENT; i++) {
		if (i == 2 || i == 3)
			continue;
		sum = (uint16_t)(((sum & 1) ? 0x8000 : 0) + (sum >> 1) + set[i]);
	}
	put16(set + 2, sum);
}

/* An exFAT DOS timestamp: 2024-05-18 09:13:40. */
static uint32_t
exfat_ts(void)
{
	return (uint32_t)FDATE << 16 | FTIME;
}

/* The entry set of a file or folder at e (room for 2 + name/15 entries). */
static unsigned
exfat_set(unsigned char *e, const char *name, int dir, uint32_t first, uint64_t size,
	  int deleted)
{
	size_t nl = strlen(name), i;
	unsigned nname = (unsigned)((nl + 14) / 15), n = 2 + nname, k;

	memset(e, 0, n * DENT);
	e[0] = 0x85;
	e[1] = (unsigned char)(n - 1);
	put16(e + 4, dir ? 0x10 : 0x20);
	put32(e + 8, exfat_ts());
	put32(e + 12, exfat_ts());
	put32(e + 16, exfat_ts());
	e[20] = 50;
	e[21] = 50;
	e[22] = 0;			/* created: offset not stated */
	if (g.tz != INT32_MIN) {
		e[23] = (unsigned char)(0x80 | ((g.tz / 15) & 0x7f));
		e[24] = e[23];
	}
	e[DENT + 0] = 0xc0;
	e[DENT + 1] = 0x01;		/* allocation possible, FAT chain */
	e[DENT + 3] = (unsigned char)nl;
	put16(e + DENT + 4, name_hash(name));
	put64(e + DENT + 8, size);
	put32(e + DENT + 20, first);
	put64(e + DENT + 24, size);
	for (k = 0; k < nname; k++) {
		unsigned char *ne = e + (2 + k) * DENT;
		ne[0] = 0xc1;
		for (i = 0; i < 15 && k * 15 + i < nl; i++)
			put16(ne + 2 + 2 * i, (unsigned char)name[k * 15 + i]);
	}
	set_checksum(e, n);
	if (deleted)
		for (k = 0; k < n; k++)
			e[k * DENT] &= 0x7f;
	return n;
}

/* ---- folders ---- */

struct folder {
	uint32_t first;		/* 0: the fat12/16 root region */
	uint32_t nclus;
	uint32_t used;		/* entries written */
	uint32_t parent;	/* cluster of the parent (0: root) */
};

static unsigned char *
slot(struct folder *f, unsigned n)
{
	uint64_t cap = f->first ? (uint64_t)f->nclus * cbytes() / DENT : g.rootents;
	unsigned char *base;
	uint64_t at = f->used;

	if (at + n > cap)
		die("a folder is full");
	f->used += n;
	if (f->first == 0)
		return sect(g.rootsect) + at * DENT;
	base = clus(f->first);	/* the chain is contiguous (alloc) */
	return base + at * DENT;
}

static struct folder
root_folder(void)
{
	struct folder f = { 0, 0, 0, 0 };

	if (g.t == FAT32 || g.t == EXFAT) {
		f.first = g.root;
		f.nclus = 1;
	}
	if (g.t == EXFAT)
		f.used = 3;		/* label, bitmap, up-case */
	return f;
}

/* A new folder of n entries' room in parent, named name. */
static struct folder
mkfolder(struct folder *parent, const char *name, uint32_t entries)
{
	struct folder f;
	uint32_t bytes = (entries + 2) * DENT;

	memset(&f, 0, sizeof(f));
	f.nclus = (bytes + cbytes() - 1) / cbytes();
	f.first = alloc(f.nclus);
	f.parent = parent->first;
	if (g.t == EXFAT) {
		exfat_set(slot(parent, 3), name, 1, f.first, (uint64_t)f.nclus * cbytes(), 0);
	} else {
		fat_dent(slot(parent, 1), name, 0x10, f.first, 0);
		fat_dent(slot(&f, 1), ".", 0x10, f.first, 0);
		fat_dent(slot(&f, 1), "..", 0x10, parent->first == g.root && g.t == FAT32 ? 0 :
			 parent->first, 0);
	}
	return f;
}

/* A file: data (len bytes) in new clusters, or claims size over them. */
static uint32_t
mkfile(struct folder *dir, const char *name, const void *data, uint32_t len, uint64_t size)
{
	uint32_t n = (len + cbytes() - 1) / cbytes(), first = alloc(n);

	if (len)
		memcpy(clus(first), data, len);
	if (g.t == EXFAT)
		exfat_set(slot(dir, 2 + (unsigned)((strlen(name) + 14) / 15)), name, 0, first, size, 0);
	else
		fat_dent(slot(dir, 1), name, 0x20, first, (uint32_t)size);
	return first;
}

/* ---- contents ---- */

/* A seeded SRT: n blocks with positions around Zurich. */
static size_t
srt(char *buf, size_t cap, unsigned blocks)
{
	double lat = 47.3769, lon = 8.5417;
	size_t o = 0;
	unsigned i;

	for (i = 0; i < blocks && o + 200 < cap; i++) {
		o += (size_t)snprintf(buf + o, cap - o, "%u\n00:00:%02u,000 --> 00:00:%02u,000\n"
				      "GPS(%.4f,%.4f,12) BAROMETER:%.1f\n\n", i + 1, i, i + 1, lon,
				      lat, 10.0 + i);
		lat += 0.0001 * (double)(1 + rng() % 5);
		lon += 0.0001 * (double)(1 + rng() % 3);
	}
	return o;
}

static const unsigned char ulog_head[16] = { 'U', 'L', 'o', 'g', 0x01, 0x12, 0x35, 1 };

/* ---- the volume ---- */

static void
layout(void)
{
	uint64_t data;
	uint32_t fatents;

	g.sectors = g.size / g.ss;
	if (g.claim == 0)
		g.claim = g.sectors;
	switch (g.t) {
	case FAT12:
	case FAT16:
		g.rsvd = 1;
		g.nfat = 2;
		g.rootents = 512;
		break;
	case FAT32:
		g.rsvd = 32;
		g.nfat = 2;
		break;
	case EXFAT:
		g.rsvd = 24;		/* main and backup boot regions */
		g.nfat = 1;
		break;
	}
	/* FAT size from the clusters the image can hold (a claim beyond it
	 * does not make the FAT larger: the hostile part is the claim) */
	data = g.sectors - g.rsvd;
	fatents = (uint32_t)(data / g.spc) + 2;
	g.fatsz = (uint32_t)(((uint64_t)fatents * (g.t == FAT12 ? 3 : g.t == FAT16 ? 4 : 8) / 2 +
			      g.ss - 1) / g.ss);
	g.rootsect = g.rsvd + (uint64_t)g.nfat * g.fatsz;
	g.heap = g.rootsect + (g.t == FAT12 || g.t == FAT16 ?
			       ((uint64_t)g.rootents * DENT + g.ss - 1) / g.ss : 0);
	if (g.t == EXFAT)
		g.heap = (g.heap + g.spc - 1) / g.spc * g.spc;
	if (g.heap >= g.sectors)
		die("image too small");
	g.clusters = (uint32_t)((g.sectors - g.heap) / g.spc);
	g.next = 2;
	if ((g.t == FAT12 && g.clusters >= 4085) || (g.t == FAT16 && (g.clusters < 4085 ||
	    g.clusters >= 65525)) || (g.t == FAT32 && g.clusters < 65525))
		fprintf(stderr, "gen-cardimg: warning: %u clusters do not make a %s\n", g.clusters,
			g.t == FAT12 ? "FAT12" : g.t == FAT16 ? "FAT16" : "FAT32");
}

static void
fat_boot(void)
{
	unsigned char *b = sect(0);
	static const char *const names[] = { "FAT12   ", "FAT16   ", "FAT32   " };

	fat_set(0, g.t == FAT12 ? 0xff8 : g.t == FAT16 ? 0xfff8 : 0x0ffffff8);
	fat_set(1, eoc());
	if (g.t == FAT32)
		g.root = alloc(1);
	memcpy(b, "\xeb\x3c\x90" "CARDTRL ", 11);
	put16(b + 11, g.ss);
	b[13] = (unsigned char)g.spc;
	put16(b + 14, g.rsvd);
	b[16] = (unsigned char)g.nfat;
	put16(b + 17, g.t == FAT32 ? 0 : g.rootents);
	if (g.claim < 65536 && g.t != FAT32)
		put16(b + 19, (unsigned)g.claim);
	else
		put32(b + 32, (uint32_t)(g.claim > 0xffffffffu ? 0xffffffffu : g.claim));
	b[21] = 0xf8;
	put16(b + 24, 63);
	put16(b + 26, 255);
	if (g.t == FAT32) {
		put32(b + 36, g.fatsz);
		put32(b + 44, g.root);
		put16(b + 48, 1);
		put16(b + 50, 6);
		b[64] = 0x80;
		b[66] = 0x29;
		put32(b + 67, 0x0d1a2024);
		memcpy(b + 71, "CARDTRAIL  ", 11);
		memcpy(b + 82, names[2], 8);
		/* FSInfo */
		memcpy(sect(1), "RRaA", 4);
		memcpy(sect(1) + 484, "rrAa", 4);
		put32(sect(1) + 488, 0xffffffff);
		put32(sect(1) + 492, 0xffffffff);
		sect(1)[510] = 0x55, sect(1)[511] = 0xaa;
	} else {
		put16(b + 22, g.fatsz);
		b[36] = 0x80;
		b[38] = 0x29;
		put32(b + 39, 0x0d1a2024);
		memcpy(b + 43, "CARDTRAIL  ", 11);
		memcpy(b + 54, names[g.t], 8);
	}
	b[510] = 0x55;
	b[511] = 0xaa;
}

static uint32_t
shift_of(uint32_t v)
{
	uint32_t s = 0;

	while ((1u << s) < v)
		s++;
	return s;
}

/* exFAT: boot region (and its backup), FAT, bitmap, up-case table, root. */
static void
exfat_boot(void)
{
	unsigned char *b = sect(0), *r;
	uint32_t sum = 0, i, k, upc, bmlen = (g.clusters + 7) / 8;
	uint16_t table[4] = { 0xffff, 0xffff, 0xffff, 0 };	/* identity, compressed */
	uint32_t tsum = 0;

	memcpy(b, "\xeb\x76\x90" "EXFAT   ", 11);
	put64(b + 72, g.claim);
	put32(b + 80, g.rsvd);
	put32(b + 84, g.fatsz);
	put32(b + 88, (uint32_t)g.heap);
	put32(b + 92, g.clusters);
	put32(b + 100, 0x0d1a2024);
	put16(b + 104, 0x0100);
	b[108] = (unsigned char)shift_of(g.ss);
	b[109] = (unsigned char)shift_of(g.spc);
	b[110] = 1;
	b[111] = 0x80;
	b[510] = 0x55;
	b[511] = 0xaa;
	for (i = 1; i <= 8; i++)
		put32(sect(i) + g.ss - 4, 0xaa550000);
	fat_set(0, 0xfffffff8);
	fat_set(1, 0xffffffff);
	g.bitmap = alloc((bmlen + cbytes() - 1) / cbytes());
	for (i = 2; i < g.next; i++)	/* the bitmap's own clusters */
		clus(g.bitmap)[(i - 2) / 8] |= (unsigned char)(1u << ((i - 2) % 8));
	upc = alloc(1);
	for (i = 0; i < 4; i++)
		put16(clus(upc) + 2 * i, table[i]);
	for (i = 0; i < 6; i++)
		tsum = ((tsum & 1) ? 0x80000000u : 0) + (tsum >> 1) + clus(upc)[i];
	g.root = alloc(1);
	r = clus(g.root);
	r[0] = 0x83;			/* label: "CARDTRAIL" */
	r[1] = 9;
	for (k = 0; k < 9; k++)
		put16(r + 2 + 2 * k, (unsigned char)"CARDTRAIL"[k]);
	r[DENT] = 0x81;
	put32(r + DENT + 20, g.bitmap);
	put64(r + DENT + 24, bmlen);
	r[2 * DENT] = 0x82;
	put32(r + 2 * DENT + 4, tsum);
	put32(r + 2 * DENT + 20, upc);
	put64(r + 2 * DENT + 24, 6);
	put32(b + 96, g.root);
	/* the boot checksum over sectors 0-10 (not VolumeFlags and
	 * PercentInUse), in sector 11; then the backup region */
	for (i = 0; i < 11 * g.ss; i++) {
		if (i == 106 || i == 107 || i == 112)
			continue;
		sum = ((sum & 1) ? 0x80000000u : 0) + (sum >> 1) + g.img[i];
	}
	for (i = 0; i < g.ss / 4; i++)
		put32(sect(11) + 4 * i, sum);
	memcpy(sect(12), sect(0), 12 * g.ss);
}

/* ---- the hostile cases ---- */

static void
add_dag(struct folder *root, unsigned n)
{
	struct folder cur = mkfolder(root, "D1", 4), next;
	char name[16], text[600];
	size_t len;
	unsigned k;

	for (k = 2; k <= n; k++) {
		snprintf(name, sizeof(name), "D%u", k);
		next = mkfolder(&cur, name, 4);
		/* a second entry for the same folder */
		snprintf(name, sizeof(name), "X%u", k);
		if (g.t == EXFAT)
			exfat_set(slot(&cur, 3), name, 1, next.first, (uint64_t)next.nclus * cbytes(), 0);
		else
			fat_dent(slot(&cur, 1), name, 0x10, next.first, 0);
		cur = next;
	}
	len = srt(text, sizeof(text), 3);
	mkfile(&cur, "DEEP.SRT", text, (uint32_t)len, len);
}

static void
add_dups(struct folder *root, unsigned long n, unsigned long per)
{
	char name[16];
	unsigned d = 0;

	while (n > 0) {
		unsigned long here = n > per ? per : n, i;
		struct folder f;

		snprintf(name, sizeof(name), "DUP%u", ++d);
		f = mkfolder(root, name, (uint32_t)(g.t == EXFAT ? 3 * here : here));
		for (i = 0; i < here; i++)
			mkfile(&f, "DUP.SRT", NULL, 0, 0);
		n -= here;
	}
}

static void
add_big_claims(struct folder *root, unsigned n)
{
	struct folder f = mkfolder(root, "BIG", g.t == EXFAT ? 3 * n : n);
	char name[24], text[600];
	unsigned i;

	for (i = 0; i < n; i++) {
		size_t len = srt(text, sizeof(text), 2);
		snprintf(name, sizeof(name), "BIG%u.SRT", i);
		/* libtsk takes an entry larger than the volume for garbage */
		mkfile(&f, name, text, (uint32_t)len, g.size / 8 * 7);
	}
}

/* A deleted file starting at the last cluster but one, 64 KiB past it. */
static void
add_past_end(struct folder *root)
{
	uint32_t c = g.clusters;	/* the last cluster is clusters + 1 */
	unsigned char *e = slot(root, g.t == EXFAT ? 3 : 1);
	char text[600];
	size_t len = srt(text, sizeof(text), 2);
	uint64_t size = 2ull * cbytes() + 64 * 1024;

	memcpy(clus(c), text, len < cbytes() ? len : cbytes());
	if (g.t == EXFAT) {
		exfat_set(e, "PASTEND.SRT", 0, c, size, 1);
	} else {
		fat_dent(e, "PASTEND.SRT", 0x20, c, (uint32_t)size);
		e[0] = 0xe5;
	}
}

/* exFAT: in a free cluster, a deleted entry set whose name has 0
 * characters (libtsk 4.11 asserts on it in its orphan search). */
static void
add_zero_name(void)
{
	uint32_t c = g.next + 4;
	unsigned char *e = clus(c);

	exfat_set(e, "ZERO.SRT", 0, c + 1, 100, 1);
	e[DENT + 3] = 0;
}

/* A ULog header at the start of the last cluster the image holds. */
static void
add_sig_at_end(void)
{
	uint64_t last = g.heap + (uint64_t)(g.clusters - 1) * g.spc;

	memcpy(g.img + last * g.ss, ulog_head, sizeof(ulog_head));
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 'S' },
		{ "sector", required_argument, NULL, 'b' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "claim-sectors", required_argument, NULL, 'C' },
		{ "files", required_argument, NULL, 'f' },
		{ "tz", required_argument, NULL, 'z' },
		{ "dag", required_argument, NULL, 'd' },
		{ "dups", required_argument, NULL, 'u' },
		{ "dups-per-folder", required_argument, NULL, 'U' },
		{ "big-claims", required_argument, NULL, 'B' },
		{ "past-end", no_argument, NULL, 'p' },
		{ "zero-name", no_argument, NULL, 'Z' },
		{ "sig-at-end", no_argument, NULL, 'e' },
		{ 0 }
	};
	const char *type = NULL, *outp = NULL;
	unsigned long files = 2, dag = 0, dups = 0, per = 62500, big = 0;
	int past = 0, zero = 0, sigend = 0, c;
	struct folder root, dcim, media;
	char name[40], text[4096];
	unsigned long i;
	FILE *out;

	g.seed = 1;
	g.ss = 512;
	g.tz = INT32_MIN;
	while ((c = getopt_long(argc, argv, "t:o:s:", opts, NULL)) != -1) {
		switch (c) {
		case 't': type = optarg; break;
		case 'o': outp = optarg; break;
		case 's': g.seed = strtoull(optarg, NULL, 0); break;
		case 'S': g.size = strtoull(optarg, NULL, 0); break;
		case 'b': g.ss = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'c': g.spc = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'C': g.claim = strtoull(optarg, NULL, 0); break;
		case 'f': files = strtoul(optarg, NULL, 0); break;
		case 'z': g.tz = atoi(optarg); break;
		case 'd': dag = strtoul(optarg, NULL, 0); break;
		case 'u': dups = strtoul(optarg, NULL, 0); break;
		case 'U': per = strtoul(optarg, NULL, 0); break;
		case 'B': big = strtoul(optarg, NULL, 0); break;
		case 'p': past = 1; break;
		case 'Z': zero = 1; break;
		case 'e': sigend = 1; break;
		default: return 2;
		}
	}
	if (type == NULL || outp == NULL || optind != argc) {
		fprintf(stderr, "usage: gen-cardimg -t fat12|fat16|fat32|exfat -o FILE [options]\n");
		return 2;
	}
	if (!strcmp(type, "fat12"))
		g.t = FAT12;
	else if (!strcmp(type, "fat16"))
		g.t = FAT16;
	else if (!strcmp(type, "fat32"))
		g.t = FAT32;
	else if (!strcmp(type, "exfat"))
		g.t = EXFAT;
	else
		die("unknown type");
	if (g.size == 0)
		g.size = g.t == FAT12 ? 1474560 : g.t == FAT32 ? 64ull * MIB : 8ull * MIB;
	if (g.spc == 0)
		g.spc = g.t == EXFAT ? 8 : 1;
	if (g.ss < 512 || g.ss > 4096 || (g.ss & (g.ss - 1)) || g.spc == 0 || g.spc > 128 ||
	    (g.spc & (g.spc - 1)) || g.size % g.ss || (g.tz != INT32_MIN && g.tz % 15))
		die("bad geometry or offset");
	if ((g.img = calloc(1, g.size)) == NULL)
		die("out of memory");
	layout();
	if (g.t == EXFAT)
		exfat_boot();
	else
		fat_boot();
	root = root_folder();
	if (files > 0) {
		dcim = mkfolder(&root, "DCIM", 4);
		media = mkfolder(&dcim, "100MEDIA", (uint32_t)(files * 3 + 4));
		for (i = 0; i < files; i++) {
			size_t len = srt(text, sizeof(text), 5);
			snprintf(name, sizeof(name), "DJI_%04u.SRT", (unsigned)(i + 1) % 10000);
			mkfile(&media, name, text, (uint32_t)len, len);
		}
	}
	if (dag)
		add_dag(&root, (unsigned)dag);
	if (dups && per)
		add_dups(&root, dups, per);
	if (big)
		add_big_claims(&root, (unsigned)big);
	if (past)
		add_past_end(&root);
	if (zero) {
		if (g.t != EXFAT)
			die("--zero-name is exfat only");
		add_zero_name();
	}
	if (sigend)
		add_sig_at_end();
	if ((out = fopen(outp, "wb")) == NULL || fwrite(g.img, 1, g.size, out) != g.size ||
	    fclose(out) != 0) {
		perror(outp);
		return 1;
	}
	free(g.img);
	return 0;
}
