/*
 * parse_test.h — helpers shared by the flight parser tests
 * (tests/unit/test_parse_*.c): loading fixtures and samples, memory- and
 * file-backed inputs, common expectations, truncation / bit-flip loops.
 *
 * Everything is static (one copy per test program) and marked unused, so
 * a test that needs only some of it builds without warnings.  Include it
 * after <cmocka.h>.
 */
#ifndef CT_PARSE_TEST_H
#define CT_PARSE_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parsers.h"

#define PT_UNUSED __attribute__((unused))

/* A parser run over bytes in memory: with and without a path. */
typedef int (*pt_parse_fn)(const unsigned char *buf, size_t len, struct ct_flight *f);
typedef int (*pt_parse_named_fn)(const unsigned char *buf, size_t len, const char *name,
				 struct ct_flight *f);

struct blob {
	unsigned char *data;
	size_t len;
};

/* Run parse over buf[0..len) as the file name, f initialised with format,
 * then ct_flight_finish as ct_parse does (the warnings about dropped
 * points). */
static PT_UNUSED int
pt_parse(int (*parse)(const struct ct_input *, struct ct_flight *), const char *format,
	 const unsigned char *buf, size_t len, const char *name, struct ct_flight *f)
{
	struct ct_mem_input m = { buf, len };
	struct ct_input in;
	int rc;

	ct_input_from_mem(&in, &m, name);
	ct_flight_init(f, format);
	rc = parse(&in, f);
	if (ct_flight_finish(f) < 0)
		fail_msg("ct_flight_finish: out of memory");
	return rc;
}

/* $CT_TOP/rel (or ./rel) into path. */
static PT_UNUSED void
pt_path(char *path, size_t size, const char *rel)
{
	const char *top = getenv("CT_TOP");

	snprintf(path, size, "%s/%s", top ? top : ".", rel);
}

/* $CT_TOP/rel, read whole (an empty file gives a 1-byte buffer, *len 0);
 * NULL when absent or unreadable. */
static PT_UNUSED unsigned char *
pt_slurp(const char *rel, size_t *len)
{
	char path[4096];
	unsigned char *buf;
	FILE *fp;
	long n;

	pt_path(path, sizeof(path), rel);
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* A public sample, $CT_TOP/../shared/samples/rel; NULL when absent (the
 * caller skips). */
static PT_UNUSED unsigned char *
pt_sample(const char *rel, size_t *len)
{
	char r[1024];

	snprintf(r, sizeof(r), "../shared/samples/%s", rel);
	return pt_slurp(r, len);
}

/* A fixture, $CT_TOP/fixtures/flight/name: the test fails when absent. */
static PT_UNUSED unsigned char *
pt_fixture(const char *name, size_t *len)
{
	char rel[1024];
	unsigned char *buf;

	snprintf(rel, sizeof(rel), "fixtures/flight/%s", name);
	if ((buf = pt_slurp(rel, len)) == NULL)
		fail_msg("%s not found (CT_TOP?)", rel);
	return buf;
}

/* $CT_TOP/rel as a blob; data NULL when absent or empty. */
static PT_UNUSED struct blob
pt_load(const char *rel)
{
	struct blob b = { NULL, 0 };

	b.data = pt_slurp(rel, &b.len);
	if (b.data != NULL && b.len == 0) {
		free(b.data);
		b.data = NULL;
	}
	return b;
}

/* A file-backed input that reads with pread, so the parser's windowing
 * is exercised on a real descriptor (ctx: the int descriptor). */
static PT_UNUSED int
pt_fd_read(void *ctx, void *buf, size_t len, uint64_t off, size_t *got)
{
	ssize_t n = pread(*(int *)ctx, buf, len, (off_t)off);

	*got = 0;
	if (n < 0)
		return -errno;
	*got = (size_t)n;
	return 0;
}

/* An input whose every read fails with EIO. */
static PT_UNUSED int
pt_fail_read(void *ctx, void *buf, size_t len, uint64_t off, size_t *got)
{
	*got = 0;
	return -EIO;
}

/* Open $CT_TOP/rel into *fd and *in (path name, size from fstat, reads
 * with pread through fd); the test fails when it cannot.  close(*fd). */
static PT_UNUSED void
pt_open_input(const char *rel, const char *name, int *fd, struct ct_input *in)
{
	char path[4096];
	struct stat st;

	pt_path(path, sizeof(path), rel);
	*fd = open(path, O_RDONLY);
	if (*fd < 0)
		fail_msg("cannot open '%s'", path);
	assert_int_equal(fstat(*fd, &st), 0);
	in->path = name;
	in->size = (uint64_t)st.st_size;
	in->read = pt_fd_read;
	in->ctx = fd;
}

/* Fact key is want; want NULL: no such fact. */
static PT_UNUSED void
expect_fact(const struct ct_flight *f, const char *key, const char *want)
{
	const char *v = ct_flight_get_fact(f, key);

	if (want == NULL) {
		if (v != NULL)
			fail_msg("fact %s = \"%s\", expected none", key, v);
		return;
	}
	if (v == NULL || strcmp(v, want) != 0)
		fail_msg("fact %s = '%s', expected '%s'", key, v ? v : "(none)", want);
}

/*
 * Truncate at every byte of the first 2 KiB and then every 97 bytes:
 * never a crash, never more points than the whole file, and a cut that
 * is not at a message boundary (is_boundary) leaves a warning with its
 * offset.
 */
static PT_UNUSED void
pt_truncations(const struct blob *b, size_t orig_pts, pt_parse_fn parse,
	       int (*is_boundary)(const struct blob *, size_t))
{
	struct ct_flight f;
	size_t cut;
	int rc;

	for (cut = 0; cut < b->len; cut += cut < 2048 ? 1 : 97) {
		rc = parse(b->data, cut, &f);
		if (rc != 0 && rc != 1)
			fail_msg("cut at %zu: parse returned %d", cut, rc);
		if (f.npts > orig_pts)
			fail_msg("cut at %zu: %zu points > %zu", cut, f.npts, orig_pts);
		if (!is_boundary(b, cut) &&
		    (f.nwarnings == 0 || strncmp(f.warnings[0], "offset ", 7)))
			fail_msg("cut at %zu: no warning with an offset", cut);
		ct_flight_release(&f);
	}
}

/*
 * Flip 1-4 bits at seeded positions, n variants.  A flip can turn another
 * message's type (or msg_id) into the GPS one, or a no-fix status into a
 * fix: at most one extra point per flipped bit.
 */
static PT_UNUSED void
pt_bitflips(const struct blob *b, size_t orig_pts, unsigned seed, int n, pt_parse_fn parse)
{
	unsigned char *copy = malloc(b->len);
	struct ct_flight f;
	uint64_t s = seed;
	int i, k, nb, rc;

	assert_non_null(copy);
	for (i = 0; i < n; i++) {
		memcpy(copy, b->data, b->len);
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		nb = 1 + (int)((s >> 33) % 4);
		for (k = 0; k < nb; k++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			copy[(s >> 24) % b->len] ^= (unsigned char)(1u << ((s >> 16) & 7));
		}
		rc = parse(copy, b->len, &f);
		if (rc != 0 && rc != 1)
			fail_msg("variant %d: parse returned %d", i, rc);
		if (f.npts > orig_pts + (size_t)nb)
			fail_msg("variant %d: %zu points > %zu", i, f.npts, orig_pts);
		ct_flight_release(&f);
	}
	free(copy);
}

/*
 * Text-like inputs: the whole parses (0); 200 cuts (the first 20 bytes,
 * then spread over the file) give 0 or 1, no more points, and pass
 * check_cut; 300 single bit flips (srand(seed)) give 0 or 1 and at most
 * slack more points.
 */
static PT_UNUSED void
pt_hostile(const unsigned char *orig, size_t len, const char *name, unsigned seed,
	   size_t slack, pt_parse_named_fn parse,
	   void (*check_cut)(const unsigned char *b, size_t cut, size_t len,
			     const struct ct_flight *f))
{
	struct ct_flight f;
	unsigned char *b = malloc(len ? len : 1);
	size_t npts, k, cut;
	int r;

	assert_non_null(b);
	memcpy(b, orig, len);
	assert_int_equal(parse(b, len, name, &f), 0);
	npts = f.npts;
	ct_flight_release(&f);
	for (k = 0; k < 200; k++) {
		cut = k < 20 ? k : (size_t)((uint64_t)len * (k - 20) / 180);
		if (cut >= len)
			continue;
		r = parse(b, cut, name, &f);
		assert_true(r == 0 || r == 1);
		assert_true(f.npts <= npts);
		check_cut(b, cut, len, &f);
		ct_flight_release(&f);
	}
	srand(seed);
	for (k = 0; k < 300; k++) {
		size_t at = (size_t)rand() % len;
		unsigned char bit = (unsigned char)(1u << (rand() % 8));

		b[at] ^= bit;
		r = parse(b, len, name, &f);
		assert_true(r == 0 || r == 1);
		if (f.npts > npts + slack)
			fail_msg("flip at %zu (0x%02x): %zu points > %zu", at, bit, f.npts, npts);
		ct_flight_release(&f);
		b[at] ^= bit;
	}
	free(b);
}

#endif
