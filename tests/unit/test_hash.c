/*
 * test_hash.c — the hash table (src/hash/hash.c): names, lengths, list
 * parsing, and that each table entry really is the algorithm it names
 * (FIPS 180-2 / RFC 1321 "abc" test vectors through libgcrypt).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>

#include "cardtrail/hash.h"
#include "cardtrail/util.h"

static const struct {
	const char *name;
	size_t len;
	const char *abc;	/* hex digest of "abc" */
} want[] = {
	{ "md5", 16, "900150983cd24fb0d6963f7d28e17f72" },
	{ "sha1", 20, "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ "sha256", 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "sha512", 64,
	  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
};

static int
setup(void **state)
{
	(void)state;
	return ct_gcrypt_init() == 0 ? 0 : -1;
}

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(ct_hash_count, CT_ARRAY_SIZE(want));
	for (i = 0; i < ct_hash_count; i++) {
		assert_non_null(ct_hash_algos[i].name);
		assert_string_equal(ct_hash_algos[i].name, want[i].name);
		assert_int_equal(ct_hash_algos[i].len, want[i].len);
		assert_true(ct_hash_algos[i].len <= CT_HASH_MAXLEN);
		/* the declared length agrees with libgcrypt's */
		assert_int_equal(gcry_md_get_algo_dlen(ct_hash_algos[i].gcry_algo),
				 ct_hash_algos[i].len);
	}
	assert_int_equal(CT_HASH_MAXLEN, 64);
	/* the mask is an unsigned: every bit must fit */
	assert_true(ct_hash_count <= sizeof(unsigned) * 8);
}

static void
test_lookup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < CT_ARRAY_SIZE(want); i++)
		assert_int_equal(ct_hash_lookup(want[i].name), (int)i);
	assert_int_equal(ct_hash_lookup("sha3"), -ENOENT);
	assert_int_equal(ct_hash_lookup(""), -ENOENT);
	assert_int_equal(ct_hash_lookup("MD5x"), -ENOENT);
	assert_int_equal(ct_hash_lookup("sha25"), -ENOENT);
	assert_int_equal(ct_hash_lookup("sha2566"), -ENOENT);
}

static void
test_parse_list(void **state)
{
	unsigned mask;
	int md5 = ct_hash_lookup("md5"), sha1 = ct_hash_lookup("sha1");
	int sha256 = ct_hash_lookup("sha256"), sha512 = ct_hash_lookup("sha512");

	(void)state;
	assert_true(md5 >= 0 && sha1 >= 0 && sha256 >= 0 && sha512 >= 0);

	mask = 0xdead;
	assert_int_equal(ct_hash_parse_list("md5,sha256", &mask), 0);
	assert_int_equal(mask, (1u << md5) | (1u << sha256));

	mask = 0xdead;
	assert_int_equal(ct_hash_parse_list("sha512", &mask), 0);
	assert_int_equal(mask, 1u << sha512);

	mask = 0xdead;
	assert_int_equal(ct_hash_parse_list("sha1,md5,sha512,sha256", &mask), 0);
	assert_int_equal(mask, (1u << ct_hash_count) - 1);

	/* duplicates are accepted once */
	mask = 0xdead;
	assert_int_equal(ct_hash_parse_list("md5,md5", &mask), 0);
	assert_int_equal(mask, 1u << md5);
}

static void
test_parse_list_errors(void **state)
{
	unsigned mask = 0xdead;

	(void)state;
	assert_int_equal(ct_hash_parse_list("", &mask), -EINVAL);
	assert_int_equal(ct_hash_parse_list(",", &mask), -EINVAL);
	assert_int_equal(ct_hash_parse_list(",,,", &mask), -EINVAL);
	assert_int_equal(ct_hash_parse_list("md5,crc32", &mask), -EINVAL);
	assert_int_equal(ct_hash_parse_list("crc32,md5", &mask), -EINVAL);
	assert_int_equal(ct_hash_parse_list("sha3", &mask), -EINVAL);
	assert_int_equal(ct_hash_parse_list("md5 ,sha1", &mask), -EINVAL);
	/* nothing is written on failure */
	assert_int_equal(mask, 0xdead);
}

static void
test_abc_vectors(void **state)
{
	unsigned char d[CT_HASH_MAXLEN];
	char hex[2 * CT_HASH_MAXLEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < ct_hash_count; i++) {
		int k = ct_hash_lookup(want[i].name);

		assert_true(k >= 0);
		memset(d, 0, sizeof(d));
		gcry_md_hash_buffer(ct_hash_algos[k].gcry_algo, d, "abc", 3);
		ct_hex(d, ct_hash_algos[k].len, hex);
		assert_string_equal(hex, want[i].abc);
	}
}

static void
test_sha256_file(void **state)
{
	char path[] = "/tmp/ct-test-hash.XXXXXX";
	unsigned char d[32];
	char hex[65];
	unsigned long long bytes = 12345;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	assert_int_equal(close(fd), 0);

	memset(d, 0, sizeof(d));
	assert_int_equal(ct_sha256_file(path, d, &bytes), 0);
	ct_hex(d, sizeof(d), hex);
	assert_string_equal(hex, want[2].abc);
	assert_int_equal(bytes, 3);

	/* bytes may be NULL */
	memset(d, 0, sizeof(d));
	assert_int_equal(ct_sha256_file(path, d, NULL), 0);
	ct_hex(d, sizeof(d), hex);
	assert_string_equal(hex, want[2].abc);
	unlink(path);
}

static void
test_sha256_file_empty_and_large(void **state)
{
	char path[] = "/tmp/ct-test-hash.XXXXXX";
	unsigned char d[32], ref[32];
	char hex[65];
	unsigned long long bytes = 12345;
	const size_t big = (3u << 20) + 7;	/* crosses the 1 MiB read buffer */
	unsigned char *buf;
	size_t i;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ct_sha256_file(path, d, &bytes), 0);
	ct_hex(d, sizeof(d), hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(bytes, 0);

	buf = malloc(big);
	assert_non_null(buf);
	for (i = 0; i < big; i++)
		buf[i] = (unsigned char)(i * 7 + (i >> 12));
	assert_int_equal(ct_pwrite_all(fd, buf, big, 0), 0);
	assert_int_equal(close(fd), 0);
	gcry_md_hash_buffer(GCRY_MD_SHA256, ref, buf, big);
	free(buf);

	assert_int_equal(ct_sha256_file(path, d, &bytes), 0);
	assert_memory_equal(d, ref, 32);
	assert_int_equal(bytes, big);
	unlink(path);
}

static void
test_sha256_file_missing(void **state)
{
	unsigned char d[32];
	unsigned long long bytes = 12345;

	(void)state;
	assert_int_equal(ct_sha256_file("/nonexistent/ct-test-no-such-file", d, &bytes), -ENOENT);
	assert_int_equal(bytes, 12345);
	assert_int_equal(ct_sha256_file("/tmp", d, &bytes), -EISDIR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_parse_list_errors),
		cmocka_unit_test(test_abc_vectors),
		cmocka_unit_test(test_sha256_file),
		cmocka_unit_test(test_sha256_file_empty_and_large),
		cmocka_unit_test(test_sha256_file_missing),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
