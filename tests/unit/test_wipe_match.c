/*
 * test_wipe_match.c — where a sampled match looks and what it accepts
 * (src/wipe/match.c): the random offsets against an independent
 * computation of their definition, the ranges of a sample, and the card
 * model (image, a pass over it, the pass before, the probe's blocks)
 * checked against files standing in for the card and the image.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/dev.h"
#include "cardtrail/hash.h"
#include "cardtrail/image.h"
#include "cardtrail/util.h"
#include "wipe/internal.h"

#define MiB (1u << 20)

/* Seed 00 01 .. 1f, 8 MiB, 512-byte sectors, 4 strata: computed with
 * Python's hashlib from the definition in cardtrail(5), not from our code. */
static void
test_random_sectors_vector(void **state)
{
	unsigned char seed[32];
	uint64_t offs[4];
	static const uint64_t want[4] = { 872960, 4065280, 5625344, 7994368 };
	int i;

	(void)state;
	for (i = 0; i < 32; i++)
		seed[i] = (unsigned char)i;
	wipe_random_sectors(seed, 8 * MiB, 512, 4, offs);
	for (i = 0; i < 4; i++)
		assert_int_equal(offs[i], want[i]);
}

/* One sector in each stretch, aligned; fewer sectors than draws: each one. */
static void
test_random_sectors_spread(void **state)
{
	unsigned char seed[32] = { 7 };
	uint64_t offs[1024], size = 3 * MiB + 4096;
	unsigned char seen[1000] = { 0 };
	int i, n = 0;

	(void)state;
	wipe_random_sectors(seed, size, 512, 1024, offs);
	for (i = 0; i < 1024; i++) {
		uint64_t nsec = size / 512, lo = nsec * i / 1024, hi = nsec * (i + 1) / 1024;
		assert_int_equal(offs[i] % 512, 0);
		assert_true(offs[i] / 512 >= lo && offs[i] / 512 < hi);
	}
	wipe_random_sectors(seed, 1000 * 512, 512, 1024, offs);
	for (i = 0; i < 1024; i++) {
		assert_true(offs[i] < 1000 * 512);
		seen[offs[i] / 512] = 1;
	}
	for (i = 0; i < 1000; i++)
		n += seen[i];
	assert_int_equal(n, 1000);
}

/* Sorted, merged, inside the card; the edges and the metadata in. */
static void
test_samples(void **state)
{
	struct wipe_samples s;
	uint64_t end = 0;
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.seed[0] = 1;
	s.meta = calloc(1, sizeof(*s.meta));	/* released with the samples */
	s.meta[0] = (struct wipe_range){ MiB + 100, 3000 };	/* grown to whole sectors */
	s.nmeta = 1;
	assert_int_equal(wipe_samples_make(&s, 64 * MiB, 512), 0);
	assert_int_equal(s.nrandom, 1024);
	assert_int_equal(s.head.off, 0);
	assert_int_equal(s.head.len, MiB);
	assert_int_equal(s.tail.off, 63 * MiB);
	assert_true(s.all[0].off == 0 && s.all[0].len >= MiB + 512 + 3072);
	for (i = 0; i < s.nall; i++) {
		assert_true(i == 0 || s.all[i].off > end);	/* merged: a gap between */
		assert_int_equal(s.all[i].off % 512, 0);
		assert_int_equal(s.all[i].len % 512, 0);
		end = s.all[i].off + s.all[i].len;
	}
	assert_int_equal(end, 64 * MiB);
	/* the random sectors that fall in the edges are counted once */
	assert_true(s.bytes >= 2 * MiB + 900 * 512 && s.bytes <= 2 * MiB + 4096 + 1024 * 512);
	wipe_samples_release(&s);
	/* a card smaller than the edges: one range, the whole card */
	memset(&s, 0, sizeof(s));
	assert_int_equal(wipe_samples_make(&s, 64 * 1024, 512), 0);
	assert_int_equal(s.nall, 1);
	assert_int_equal(s.all[0].len, 64 * 1024);
	assert_int_equal(s.bytes, 64 * 1024);
	wipe_samples_release(&s);
}

/* ---- the card model, on files ---- */

struct fx {
	char dir[64], card[128];
	size_t size;
	unsigned char *img;
	struct ct_image *reader;
	struct json_object *acq;
	struct ct_dev dev;
};

static void
write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ct_pwrite_all(fd, p, n, 0), 0);
	close(fd);
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[192], err[256];
	size_t i;

	f->size = 2 * MiB;
	f->dev.fd = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ct-wipe-match.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->img = malloc(f->size);
	for (i = 0; i < f->size; i++)
		f->img[i] = (unsigned char)(i * 7 + i / 511);
	snprintf(path, sizeof(path), "%s/E1.raw", f->dir);
	write_file(path, f->img, f->size);
	f->acq = json_tokener_parse("{\"evidence\":\"E1\",\"bytes\":2097152,\"segments\":"
				    "[{\"path\":\"E1.raw\",\"offset\":0,\"bytes\":2097152}]}");
	assert_int_equal(ct_image_open(f->dir, f->acq, &f->reader, err, sizeof(err)), 0);
	snprintf(f->card, sizeof(f->card), "%s/card", f->dir);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	char path[192];

	ct_dev_close(&f->dev);
	ct_image_close(f->reader);
	json_object_put(f->acq);
	snprintf(path, sizeof(path), "%s/E1.raw", f->dir);
	unlink(path);
	unlink(f->card);
	rmdir(f->dir);
	free(f->img);
	free(f);
	return 0;
}

/* The card holds buf; the whole card is checked against m. */
static int
check_card(struct fx *f, const unsigned char *buf, const struct wipe_model *m, uint64_t *at)
{
	struct wipe_range all = { 0, f->size };

	ct_dev_close(&f->dev);
	write_file(f->card, buf, f->size);
	assert_int_equal(ct_dev_open(&f->dev, f->card, CT_DEV_RDONLY), 0);
	return wipe_model_check(&f->dev, m, &all, 1, at);
}

static void
test_model_image(void **state)
{
	struct fx *f = *state;
	struct wipe_model m = { .img = f->reader };
	unsigned char *c = malloc(f->size);
	uint64_t at = 0;

	memcpy(c, f->img, f->size);
	assert_int_equal(check_card(f, c, &m, &at), 1);
	c[MiB + 700] ^= 1;
	assert_int_equal(check_card(f, c, &m, &at), 0);
	assert_int_equal(at, MiB + 512);
	free(c);
}

/* 0x00 over [0, sure) for certain, perhaps to maybe; the image below. */
static void
test_model_pass_over_image(void **state)
{
	struct fx *f = *state;
	struct ct_pass_plan zero = { .patlen = 1, .pat = { 0 } };
	struct wipe_model m = { .cur = &zero, .sure = 4096, .maybe = 8192, .img = f->reader };
	unsigned char *c = malloc(f->size);
	uint64_t at = 0;

	memcpy(c, f->img, f->size);
	memset(c, 0, 6144);	/* zeros to a sector between sure and maybe */
	assert_int_equal(check_card(f, c, &m, &at), 1);
	memset(c, 0, 8192);
	assert_int_equal(check_card(f, c, &m, &at), 1);
	memset(c, 0, 8192 + 512);	/* zeros past maybe: not what this wipe left */
	assert_int_equal(check_card(f, c, &m, &at), 0);
	assert_int_equal(at, 8192);
	memcpy(c, f->img, f->size);
	memset(c, 0, 2048);	/* the image inside [0, sure): the pass must be there */
	assert_int_equal(check_card(f, c, &m, &at), 0);
	assert_int_equal(at, 2048);
	free(c);
}

/* A keystream pass over the pass before it; the probe's blocks under a
 * first pass; nothing known below (no image): anything goes there. */
static void
test_model_prev_probe_unknown(void **state)
{
	struct fx *f = *state;
	struct ct_pass_plan ks = { .keystream = 1 }, ff = { .patlen = 1, .pat = { 0xff } }, probe = { .keystream = 1 };
	struct ct_pass_cipher *c1 = NULL, *c2 = NULL;
	struct wipe_model m = { .cur = &ks, .prev = &ff, .sure = MiB, .maybe = f->size };
	unsigned char *c = malloc(f->size);
	uint64_t offs[WIPE_PROBE_BLOCKS + 1], at = 0;
	size_t n;

	memset(ks.key, 0x11, 16);
	memset(probe.key, 0x22, 16);
	probe.nonce[0] = 9;
	assert_int_equal(ct_pass_cipher_open(&ks, &c1), 0);
	assert_int_equal(ct_pass_cipher_open(&probe, &c2), 0);
	assert_int_equal(ct_pass_fill(&ks, c1, c, MiB, 0), 0);
	memset(c + MiB, 0xff, f->size - MiB);
	assert_int_equal(check_card(f, c, &m, &at), 1);
	c[MiB + 5000] = 0;
	assert_int_equal(check_card(f, c, &m, &at), 0);
	assert_int_equal(at, MiB + 4608);
	/* the probe's blocks over the image, a first pass under way */
	memcpy(c, f->img, f->size);
	n = wipe_probe_offsets(f->size, offs);
	assert_int_equal(n, WIPE_PROBE_BLOCKS + 1);
	assert_int_equal(ct_pass_fill(&probe, c2, c + offs[10], WIPE_PROBE_SIZE, offs[10]), 0);
	m = (struct wipe_model){ .cur = &ks, .probe = &probe, .sure = 0, .maybe = f->size,
				 .img = f->reader };
	assert_int_equal(check_card(f, c, &m, &at), 1);
	m.probe = NULL;
	assert_int_equal(check_card(f, c, &m, &at), 0);
	assert_int_equal(at, offs[10]);
	/* no image to tell what was below: anything there */
	m = (struct wipe_model){ .cur = &ks, .sure = 0, .maybe = f->size };
	memset(c, 0x5a, f->size);
	assert_int_equal(check_card(f, c, &m, &at), 1);
	ct_pass_cipher_close(c1);
	ct_pass_cipher_close(c2);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sectors_vector),
		cmocka_unit_test(test_random_sectors_spread),
		cmocka_unit_test(test_samples),
		cmocka_unit_test_setup_teardown(test_model_image, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_model_pass_over_image, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_model_prev_probe_unknown, fx_setup, fx_teardown),
	};

	ct_gcrypt_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
