/*
 * bundle.c — the evidence bundle: a pax tar (libarchive) created O_EXCL,
 * member names made unique in O(1) each, SHA256SUMS and the manifest's
 * list of files spooled to temporary files (a card can name a million
 * files: nothing per file is kept in memory but its name), fsync at the end.
 *
 * Reproducible: the same image gives the same bytes.  Every member has
 * owner 0/0 without names, mode 0444 and a time the evidence fixes (a
 * card file's own, else ex.gen_mtime); only ustar fields and the pax
 * records libarchive needs for long or non-ASCII names and large values
 * are written (no atime, ctime or process id); members follow the walk.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <gcrypt.h>
#include <json-c/json.h>

#include "cardtrail/util.h"
#include "extract_int.h"

#define MAX_PATH_BYTES 900

/* ---- names ---- */

static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void
ct_safe_component(const char *in, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, src = 0;

	if (outlen == 0)
		return;
	if (!strcmp(in, ".") || !strcmp(in, "..") || *in == '\0') {
		snprintf(out, outlen, "_%s", in);
		return;
	}
	while (s[src] && src < 128 && o + 4 < outlen) {
		size_t n = utf8_len(s + src);
		if (n == 0 || s[src] == '%') {
			/* bytes that are not UTF-8, and '%' itself (so that the
			 * escape cannot collide with a name) */
			o += (size_t)snprintf(out + o, outlen - o, "%%%02X", s[src]);
			src++;
		} else if (n == 1 && (s[src] < 0x20 || s[src] == 0x7f || s[src] == '/' ||
				      s[src] == '\\')) {
			out[o++] = '_';
			src++;
		} else {
			if (o + n >= outlen)
				break;
			memcpy(out + o, s + src, n);
			o += n;
			src += n;
		}
	}
	out[o] = '\0';
}

char *
display_path(const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, cap = strlen(in) * 3 + 1;
	char *out = malloc(cap);

	if (out == NULL)
		return NULL;
	while (s[i]) {
		size_t n = utf8_len(s + i);
		if (n == 0 || s[i] == '%' || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", s[i]);
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}

/* The longest prefix of s (our own valid UTF-8 with %XX escapes) of at
 * most max bytes that ends neither inside a multi-byte character nor
 * inside an escape. */
static size_t
safe_cut(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, cut = 0;

	while (u[i]) {
		size_t n = u[i] == '%' && u[i + 1] && u[i + 2] ? 3 : utf8_len(u + i);
		if (n == 0)
			n = 1;
		if (i + n > max)
			break;
		i += n;
		cut = i;
	}
	return cut;
}

static uint64_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct name_slot *
names_find(const struct names *n, const char *name)
{
	size_t i;

	for (i = name_hash(name) & (n->cap - 1); n->slot[i].name; i = (i + 1) & (n->cap - 1))
		if (!strcmp(n->slot[i].name, name))
			break;
	return &n->slot[i];
}

static int
names_grow(struct names *n)
{
	struct names g = { NULL, n->n, n->cap ? n->cap * 2 : 4096 };
	size_t i;

	if ((g.slot = calloc(g.cap, sizeof(*g.slot))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n->cap; i++)
		if (n->slot[i].name)
			*names_find(&g, n->slot[i].name) = n->slot[i];
	free(n->slot);
	*n = g;
	return 0;
}

/* The slot of name, added if new (*added set). */
static int
names_get(struct names *n, const char *name, struct name_slot **slot, int *added)
{
	struct name_slot *s;

	if ((n->n + 1) * 2 > n->cap && names_grow(n) < 0)
		return -ENOMEM;
	s = names_find(n, name);
	*added = s->name == NULL;
	if (*added) {
		if ((s->name = strdup(name)) == NULL)
			return -ENOMEM;
		s->next = 2;
		n->n++;
	}
	*slot = s;
	return 0;
}

void
names_release(struct names *n)
{
	size_t i;

	for (i = 0; i < n->cap; i++)
		free(n->slot[i].name);
	free(n->slot);
	memset(n, 0, sizeof(*n));
}

/*
 * A unique bundle path under prefix for a card path (components made
 * safe): the path itself, else "~2", "~3", …, the next free suffix of each
 * base name kept with it, so that the ten-thousandth duplicate costs what
 * the second did.
 */
int
bundle_name(struct ex *x, const char *prefix, const char *cardpath, size_t name_off, char *out,
	    size_t outlen)
{
	char comp[3 * 128 + 1], base[MAX_PATH_BYTES + 3 * 128 + 64];
	const char *p = cardpath, *name = cardpath + name_off;
	struct name_slot *bs, *cs;
	size_t o;
	int added, ret;

	if (outlen < 32)
		return -ENAMETOOLONG;
	o = (size_t)snprintf(base, sizeof(base), "%s", prefix);
	while (p < name) {
		size_t l = strcspn(p, "/");
		char part[256];

		if (p + l > name)
			l = (size_t)(name - p);
		if (l == 0) {
			p++;
			continue;
		}
		snprintf(part, sizeof(part), "%.*s", (int)(l < 255 ? l : 255), p);
		ct_safe_component(part, comp, sizeof(comp));
		if (o + strlen(comp) + 2 > MAX_PATH_BYTES - 130)
			break;	/* overlong: keep the leading folders and the name */
		o += (size_t)snprintf(base + o, sizeof(base) - o, "/%s", comp);
		p += l;
	}
	/* the file's own name: one component, whatever '/' it holds */
	ct_safe_component(name, comp, sizeof(comp));
	snprintf(base + o, sizeof(base) - o, "/%s", comp);
	/* leave room for "~N": cut at a character or %XX boundary */
	if (strlen(base) > outlen - 16)
		base[safe_cut(base, outlen - 16)] = '\0';
	if ((ret = names_get(&x->names, base, &bs, &added)) < 0)
		return ret;
	if (added)
		return ct_snprintf(out, outlen, "%s", base) < 0 ? -ENAMETOOLONG : 0;
	/* taken: the next suffix of this base that no other name holds (a
	 * card may have a file literally named "X~2") */
	x->renamed++;
	for (;;) {
		uint32_t k = bs->next++;

		if (ct_snprintf(out, outlen, "%s~%u", base, k) < 0)
			return -ENAMETOOLONG;
		if ((ret = names_get(&x->names, out, &cs, &added)) < 0)
			return ret;
		if (added)
			return 0;
		/* names_get may have moved the table */
		bs = names_find(&x->names, base);
	}
}

/* ---- the tar ---- */

int
bundle_open(struct ex *x, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int ret, k;

	/* E1.evidence.tar, then E1.evidence-2.tar, …: nothing is overwritten */
	for (k = 1, x->ar_fd = -1; k < 1000 && x->ar_fd < 0; k++) {
		if ((ret = (k == 1 ? ct_snprintf(path, sizeof(path), "%s/%s.tar", dir, name) :
			    ct_snprintf(path, sizeof(path), "%s/%s-%d.tar", dir, name, k))) < 0)
			return exerr(x, ret, "bundle path too long");
		x->ar_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (x->ar_fd < 0 && errno != EEXIST)
			return exerr(x, -errno, "cannot create '%s': %s", path, strerror(errno));
	}
	if (x->ar_fd < 0)
		return exerr(x, -EEXIST, "too many bundles named %s in '%s'", name, dir);
	snprintf(x->res->bundle, sizeof(x->res->bundle), "%s", path);
	x->ar = archive_write_new();
	if (x->ar == NULL || archive_write_set_format_pax(x->ar) != ARCHIVE_OK ||
	    archive_write_open_fd(x->ar, x->ar_fd) != ARCHIVE_OK)
		return exerr(x, -EIO, "cannot start the bundle: %s",
			     x->ar ? archive_error_string(x->ar) : "out of memory");
	return 0;
}

int
bundle_entry_begin(struct ex *x, const char *name, uint64_t size, int64_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (e == NULL)
		return -ENOMEM;
	/* our names are valid UTF-8 (ct_safe_component); the command runs
	 * with a UTF-8 LC_CTYPE so that libarchive's pax writer takes them
	 * as they are (with only a UTF-8 name set, libarchive 3.6 crashes in
	 * the C locale) */
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0444);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, mtime > 0 ? mtime : 0, 0);
	r = archive_write_header(x->ar, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return exerr(x, -EIO, "cannot write '%s' into the bundle: %s", name,
			     archive_error_string(x->ar));
	return 0;
}

int
bundle_entry_data(struct ex *x, const void *p, size_t len)
{
	if (len && archive_write_data(x->ar, p, len) != (la_ssize_t)len)
		return exerr(x, -EIO, "cannot write into the bundle: %s", archive_error_string(x->ar));
	x->res->st.bytes_bundled += len;
	return 0;
}

/* ---- spools ---- */

int
spool_open(struct ex *x, struct spool *s)
{
	memset(s, 0, sizeof(*s));
	if ((s->fp = tmpfile()) == NULL)
		return exerr(x, -errno, "cannot create a temporary file: %s", strerror(errno));
	return 0;
}

int
spool_add(struct ex *x, struct spool *s, const char *sep, const char *text)
{
	size_t ls = s->count && sep ? strlen(sep) : 0, lt = strlen(text);

	if ((ls && fwrite(sep, 1, ls, s->fp) != ls) || fwrite(text, 1, lt, s->fp) != lt)
		return exerr(x, -EIO, "cannot write a temporary file: %s", strerror(errno));
	s->len += ls + lt;
	s->count++;
	return 0;
}

void
bundle_add_sum(struct ex *x, const char *name, const char *hex)
{
	char line[64 + 2 + MAX_PATH_BYTES + 512];

	if (ct_snprintf(line, sizeof(line), "%s  %s\n", hex, name) == 0)
		spool_add(x, &x->sums, NULL, line);
}

/* A whole in-memory member (tracks, flights.json). */
int
bundle_add_blob(struct ex *x, const char *name, const char *data, size_t len)
{
	unsigned char d[32];
	char hex[65];
	int ret;

	if ((ret = bundle_entry_begin(x, name, len, x->gen_mtime)) < 0 ||
	    (ret = bundle_entry_data(x, data, len)) < 0)
		return ret;
	gcry_md_hash_buffer(GCRY_MD_SHA256, d, data, len);
	ct_hex(d, 32, hex);
	bundle_add_sum(x, name, hex);
	return 0;
}

/* Copy a spool into the open member, hashing it. */
static int
copy_spool(struct ex *x, struct spool *s, gcry_md_hd_t h)
{
	uint64_t left = s->len;
	size_t n;
	int ret;

	if (fflush(s->fp) != 0 || fseek(s->fp, 0, SEEK_SET) != 0)
		return exerr(x, -EIO, "cannot read back a temporary file: %s", strerror(errno));
	while (left > 0) {
		n = fread(x->buf, 1, left < CHUNK ? (size_t)left : CHUNK, s->fp);
		if (n == 0)
			return exerr(x, -EIO, "cannot read back a temporary file");
		if (h)
			gcry_md_write(h, x->buf, n);
		if ((ret = bundle_entry_data(x, x->buf, n)) < 0)
			return ret;
		left -= n;
	}
	return 0;
}

int
bundle_add_spooled(struct ex *x, const char *name, const char *head, struct spool *s,
		   const char *tail)
{
	gcry_md_hd_t h;
	char hex[65];
	int ret;

	if ((ret = bundle_entry_begin(x, name, strlen(head) + s->len + strlen(tail),
				      x->gen_mtime)) < 0)
		return ret;
	if (gcry_md_open(&h, GCRY_MD_SHA256, 0))
		return -ENOMEM;
	gcry_md_write(h, head, strlen(head));
	ret = bundle_entry_data(x, head, strlen(head));
	if (ret == 0)
		ret = copy_spool(x, s, h);
	if (ret == 0) {
		gcry_md_write(h, tail, strlen(tail));
		ret = bundle_entry_data(x, tail, strlen(tail));
	}
	if (ret == 0) {
		ct_hex(gcry_md_read(h, GCRY_MD_SHA256), 32, hex);
		bundle_add_sum(x, name, hex);
	}
	gcry_md_close(h);
	return ret;
}

/* SHA256SUMS last (sha256sum -c works after unpacking), close, fsync. */
int
bundle_finish(struct ex *x, const char *dir)
{
	int ret, e;

	if ((ret = bundle_entry_begin(x, "SHA256SUMS", x->sums.len, x->gen_mtime)) < 0 ||
	    (ret = copy_spool(x, &x->sums, NULL)) < 0)
		return ret;
	if (archive_write_close(x->ar) != ARCHIVE_OK)
		return exerr(x, -EIO, "cannot finish the bundle: %s", archive_error_string(x->ar));
	/* close in both cases; the first error is the one to report */
	e = fsync(x->ar_fd) < 0 ? errno : 0;
	if (close(x->ar_fd) < 0 && e == 0)
		e = errno;
	x->ar_fd = -1;
	if (e)
		return exerr(x, -e, "cannot write '%s': %s", x->res->bundle, strerror(e));
	return ct_fsync_dir(dir);
}

void
bundle_release(struct ex *x)
{
	if (x->ar) {
		if (x->ar_fd >= 0)
			archive_write_fail(x->ar);
		archive_write_free(x->ar);
		x->ar = NULL;
	}
	if (x->ar_fd >= 0) {
		/* a half-written bundle claims nothing: it keeps its name for
		 * the examiner to look at, and the custody log never lists it */
		close(x->ar_fd);
		x->ar_fd = -1;
	}
	names_release(&x->names);
	if (x->sums.fp)
		fclose(x->sums.fp);
	if (x->files.fp)
		fclose(x->files.fp);
	x->sums.fp = x->files.fp = NULL;
}
