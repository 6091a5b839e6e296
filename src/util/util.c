/*
 * util.c — sizes, time, hex, directories and case files.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cardtrail/util.h"

static const struct {
	const char *suffix;
	uint64_t mult;
} size_suffixes[] = {
	{ "", 1 }, { "b", 1 }, { "s", 512 },
	{ "k", 1ULL << 10 }, { "kib", 1ULL << 10 }, { "kb", 1000ULL },
	{ "m", 1ULL << 20 }, { "mib", 1ULL << 20 }, { "mb", 1000000ULL },
	{ "g", 1ULL << 30 }, { "gib", 1ULL << 30 }, { "gb", 1000000000ULL },
	{ "t", 1ULL << 40 }, { "tib", 1ULL << 40 }, { "tb", 1000000000000ULL },
	{ "p", 1ULL << 50 }, { "pib", 1ULL << 50 }, { "pb", 1000000000000000ULL },
};

int
ct_parse_size(const char *s, uint64_t *out, int allow_zero)
{
	char suf[8];
	const char *p = s;
	uint64_t ip = 0, frac = 0, fracdiv = 1, mult = 0;
	size_t i, n = 0;
	int digits = 0;

	if (s == NULL)
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		uint64_t d = (uint64_t)(*p++ - '0');
		if (ip > (UINT64_MAX - d) / 10)
			return -ERANGE;
		ip = ip * 10 + d;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (fracdiv < 1000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				fracdiv *= 10;
			}
			p++;
			digits++;
		}
	}
	if (digits == 0)
		return -EINVAL;
	while (*p && n < sizeof(suf) - 1)
		suf[n++] = (char)tolower((unsigned char)*p++);
	suf[n] = '\0';
	if (*p)
		return -EINVAL;
	for (i = 0; i < CT_ARRAY_SIZE(size_suffixes); i++)
		if (!strcmp(suf, size_suffixes[i].suffix))
			mult = size_suffixes[i].mult;
	if (mult == 0)
		return -EINVAL;
	if (ip > UINT64_MAX / mult)
		return -ERANGE;
	ip *= mult;
	if (frac) {
		/* fractions only make sense with a multiplier; keep whole bytes */
		unsigned __int128 f = (unsigned __int128)frac * mult / fracdiv;
		if (f > UINT64_MAX - ip)
			return -ERANGE;
		ip += (uint64_t)f;
	}
	if (ip == 0 && !allow_zero)
		return -ERANGE;
	*out = ip;
	return 0;
}

void
ct_human_size(uint64_t n, char *buf, size_t len)
{
	static const char *units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
		return;
	}
	while (v >= 1024 && u < CT_ARRAY_SIZE(units) - 1) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
}

void
ct_time_utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
ct_hex(const unsigned char *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

double
ct_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
ct_mkdir_p(const char *dir)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t i, len = strlen(dir);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (i < len)
			buf[i] = '/';
	}
	if (stat(dir, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int
ct_fsync_dir(const char *dir)
{
	int fd, ret = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

int
ct_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int
ct_write_new_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd, ret;

	if ((ret = ct_snprintf(path, sizeof(path), "%s/%s", dir, name)) < 0)
		return ret;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = ct_pwrite_all(fd, data, len, 0);
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0)
		ret = ct_fsync_dir(dir);
	return ret;
}

char *
ct_read_text(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return NULL;
	}
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	return strdup(buf);
}

int
ct_snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int
ct_evidence_id_valid(const char *id)
{
	size_t i, n = id ? strlen(id) : 0;

	if (n == 0 || n > 32)
		return 0;
	for (i = 0; i < n; i++)
		if (!(id[i] >= 'A' && id[i] <= 'Z') && !(id[i] >= 'a' && id[i] <= 'z') &&
		    !(id[i] >= '0' && id[i] <= '9') && id[i] != '-' && id[i] != '_')
			return 0;
	return 1;
}

void
ct_html_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

static size_t
esc_byte(unsigned char b, char *out)
{
	static const char hex[] = "0123456789abcdef";

	memcpy(out, "\\u00", 4);
	out[4] = hex[b >> 4];
	out[5] = hex[b & 15];
	return 6;
}

static int
esc_c0(unsigned char b, int flags)
{
	if (b == 0x7f)
		return 1;
	if (b >= 0x20)
		return 0;
	return !((flags & CT_ESC_LINES) && (b == '\n' || b == '\t'));
}

size_t
ct_esc_ctl(struct ct_esc *st, const char *in, size_t n, int flags, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char b = (unsigned char)in[i];

		if (st->held) {
			st->held = 0;
			if (b >= 0x80 && b <= 0x9f) {
				o += esc_byte(b, out + o);
				continue;
			}
			out[o++] = (char)0xc2;
		}
		if (b == 0xc2)
			st->held = 1;
		else if (esc_c0(b, flags))
			o += esc_byte(b, out + o);
		else
			out[o++] = (char)b;
	}
	return o;
}

size_t
ct_esc_end(struct ct_esc *st, char *out)
{
	if (!st->held)
		return 0;
	st->held = 0;
	out[0] = (char)0xc2;
	return 1;
}

int
ct_esc_needed(const char *s, int flags)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; p && *p; p++)
		if (esc_c0(*p, flags) || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 1;
	return 0;
}
