/*
 * hash.c — the hash table.  libgcrypt does the hashing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>

#include "cardtrail/hash.h"
#include "cardtrail/util.h"

const struct ct_hash_algo ct_hash_algos[] = {
	{ .name = "md5",    .gcry_algo = GCRY_MD_MD5,    .len = 16 },
	{ .name = "sha1",   .gcry_algo = GCRY_MD_SHA1,   .len = 20 },
	{ .name = "sha256", .gcry_algo = GCRY_MD_SHA256, .len = 32 },
	{ .name = "sha512", .gcry_algo = GCRY_MD_SHA512, .len = 64 },
};
const size_t ct_hash_count = CT_ARRAY_SIZE(ct_hash_algos);

int
ct_hash_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < ct_hash_count; i++)
		if (!strcmp(name, ct_hash_algos[i].name))
			return (int)i;
	return -ENOENT;
}

int
ct_hash_parse_list(const char *list, unsigned *mask)
{
	char buf[256], *tok, *save = NULL;
	unsigned m = 0;
	int i;

	if (ct_snprintf(buf, sizeof(buf), "%s", list) < 0)
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if ((i = ct_hash_lookup(tok)) < 0)
			return -EINVAL;
		m |= 1u << i;
	}
	if (m == 0)
		return -EINVAL;
	*mask = m;
	return 0;
}

int
ct_gcrypt_init(void)
{
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return 0;
	if (!gcry_check_version("1.8.0"))
		return -ENOTSUP;
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return 0;
}

int
ct_sha256_file(const char *path, unsigned char out[32], unsigned long long *bytes)
{
	gcry_md_hd_t h = NULL;
	unsigned char *buf = NULL;
	unsigned long long total = 0;
	ssize_t n;
	int fd, ret = 0;

	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (gcry_md_open(&h, GCRY_MD_SHA256, 0) || (buf = malloc(1 << 20)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	while ((n = read(fd, buf, 1 << 20)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		gcry_md_write(h, buf, (size_t)n);
		total += (unsigned long long)n;
	}
	memcpy(out, gcry_md_read(h, GCRY_MD_SHA256), 32);
	if (bytes)
		*bytes = total;
out:
	free(buf);
	gcry_md_close(h);
	close(fd);
	return ret;
}
