/*
 * faultfs — a FUSE fault injector for the cardtrail tests.
 *
 *   faultfs [options] BACKING MOUNTPOINT
 *
 * Exposes one regular file MOUNTPOINT/disk whose content is BACKING, opened
 * with direct_io so every read(2) reaches us with its exact offset and size
 * (no page cache, no readahead).  Reads and writes can be made to fail at
 * exact byte ranges, to fail a number of times and then succeed, the whole
 * "card" can vanish after a number of bytes, be slow, or behave like a
 * counterfeit card (addresses wrap, writes past the real capacity are lost).
 *
 * Byte values accept decimal, 0x hex, and a K/M/G/T suffix (powers of 1024,
 * "KiB"/"MiB"/... also accepted).  Ranges are OFF:LEN in bytes.
 *
 * Runs in the foreground, single-threaded (-f -s are always passed to
 * fuse_main); stop it with SIGTERM/SIGINT or `fusermount3 -u MOUNTPOINT`.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define DISK_PATH "/disk"
#define MAX_RANGES 64
#define MAX_OPTS 32

struct range {
	uint64_t off, len;
	uint64_t fails_left;	/* --flaky: failures still to inject */
};

static struct {
	const char *backing_path;
	int fd;
	int logfd;
	uint64_t size;
	int writable;
	uint64_t wrap;			/* 0: no wrap */
	uint64_t lose_after;		/* UINT64_MAX: never */
	uint64_t vanish_after;		/* UINT64_MAX: never */
	uint64_t change_after;		/* --change-after: UINT64_MAX: never */
	uint64_t change_off;		/* the byte that reads differently then */
	int vanish_errno;
	unsigned long delay_us;
	uint64_t served;		/* bytes returned by reads so far */
	int vanished;
	struct range bad[MAX_RANGES];
	int nbad;
	struct range flaky[MAX_RANGES];
	int nflaky;
	struct range wbad[MAX_RANGES];
	int nwbad;
	struct timespec mtime;
} g = {
	.fd = -1,
	.logfd = -1,
	.lose_after = UINT64_MAX,
	.vanish_after = UINT64_MAX,
	.change_after = UINT64_MAX,
	.vanish_errno = EIO,
};

static const struct {
	const char *name;
	int value;
} errnames[] = {
	{ "EIO", EIO }, { "ENXIO", ENXIO }, { "ENODEV", ENODEV },
	{ "ENOMEDIUM", ENOMEDIUM }, { "ETIMEDOUT", ETIMEDOUT },
	{ "EROFS", EROFS }, { "ENOSPC", ENOSPC }, { "ENOENT", ENOENT },
	{ "EACCES", EACCES }, { "EPERM", EPERM }, { "EINVAL", EINVAL },
	{ "EBADF", EBADF }, { "EISDIR", EISDIR },
};

static const char *
errname(int e)
{
	static char buf[32];
	size_t i;

	for (i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
		if (errnames[i].value == e)
			return errnames[i].name;
	snprintf(buf, sizeof buf, "E%d", e);
	return buf;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("faultfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Decimal or 0x hex, optional K/M/G/T suffix (binary), optional "iB"/"B". */
static int
parse_bytes(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		v = strtoull(s + 2, &end, 16);
	else
		v = strtoull(s, &end, 10);
	if (errno || end == s || (end == s + 2 && s[1] == 'x'))
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	case 't': case 'T': mul = 1ULL << 40; end++; break;
	default: break;
	}
	if (mul > 1) {
		if (end[0] == 'i' && end[1] == 'B')
			end += 2;
		else if (end[0] == 'B')
			end++;
	}
	if (*end != '\0')
		return -1;
	if (v != 0 && mul > UINT64_MAX / v)
		return -1;
	*out = (uint64_t)v * mul;
	return 0;
}

static uint64_t
need_bytes(const char *opt, const char *s)
{
	uint64_t v;

	if (parse_bytes(s, &v) < 0)
		die("%s: bad byte value '%s'", opt, s);
	return v;
}

/* OFF:LEN or OFF:LEN:N (with_count). */
static void
add_range(const char *opt, const char *s, struct range *tab, int *n, int with_count)
{
	char buf[256], *p, *q;
	struct range r = { 0, 0, 0 };

	if (*n >= MAX_RANGES)
		die("%s: too many ranges (max %d)", opt, MAX_RANGES);
	if (strlen(s) >= sizeof buf)
		die("%s: argument too long", opt);
	strcpy(buf, s);
	p = strchr(buf, ':');
	if (p == NULL)
		die("%s: expected OFF:LEN%s, got '%s'", opt, with_count ? ":N" : "", s);
	*p++ = '\0';
	q = strchr(p, ':');
	if (with_count) {
		if (q == NULL)
			die("%s: expected OFF:LEN:N, got '%s'", opt, s);
		*q++ = '\0';
		r.fails_left = need_bytes(opt, q);
	} else if (q != NULL) {
		die("%s: expected OFF:LEN, got '%s'", opt, s);
	}
	r.off = need_bytes(opt, buf);
	r.len = need_bytes(opt, p);
	if (r.len == 0)
		die("%s: empty range '%s'", opt, s);
	if (r.off + r.len < r.off)
		die("%s: range overflows '%s'", opt, s);
	tab[(*n)++] = r;
}

static int
parse_errno(const char *s)
{
	size_t i;
	char *end;
	long v;

	for (i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
		if (!strcasecmp(s, errnames[i].name))
			return errnames[i].value;
	v = strtol(s, &end, 10);
	if (*s != '\0' && *end == '\0' && v > 0 && v < 4096)
		return (int)v;
	die("--vanish-errno: unknown errno '%s' (EIO, ENXIO, ENODEV, ... or a number)", s);
}

static int
overlaps(const struct range *r, uint64_t off, uint64_t len)
{
	return len > 0 && off < r->off + r->len && r->off < off + len;
}

static void
logline(char op, uint64_t off, uint64_t len, long res)
{
	if (g.logfd < 0)
		return;
	if (res >= 0)
		dprintf(g.logfd, "%c %" PRIu64 " %" PRIu64 " %ld\n", op, off, len, res);
	else
		dprintf(g.logfd, "%c %" PRIu64 " %" PRIu64 " %s\n", op, off, len, errname((int)-res));
}

/* Physical position of a logical offset and how many bytes until a wrap. */
static uint64_t
phys(uint64_t off, uint64_t len, uint64_t *chunk)
{
	uint64_t p = off;

	*chunk = len;
	if (g.wrap) {
		p = off % g.wrap;
		if (*chunk > g.wrap - p)
			*chunk = g.wrap - p;
	}
	return p;
}

/* Read len bytes at logical off from BACKING; past its end reads zeros. */
static int
backing_read(char *buf, uint64_t off, uint64_t len)
{
	while (len > 0) {
		uint64_t chunk, p = phys(off, len, &chunk);
		ssize_t n = pread(g.fd, buf, chunk, (off_t)p);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {	/* beyond BACKING's end */
			memset(buf, 0, chunk);
			n = (ssize_t)chunk;
		}
		buf += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int
backing_write(const char *buf, uint64_t off, uint64_t len)
{
	while (len > 0) {
		uint64_t chunk, p = phys(off, len, &chunk);
		ssize_t n;

		if (off >= g.lose_after) {	/* dropped silently */
			n = (ssize_t)chunk;
		} else {
			if (chunk > g.lose_after - off)
				chunk = g.lose_after - off;
			n = pwrite(g.fd, buf, chunk, (off_t)p);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			if (n == 0)
				return -EIO;
		}
		buf += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static void
sleep_us(unsigned long us)
{
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void *
ff_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	cfg->auto_cache = 0;
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->use_ino = 1;
	return NULL;
}

static int
ff_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof *st);
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_atim = st->st_mtim = st->st_ctim = g.mtime;
	if (!strcmp(path, "/")) {
		st->st_ino = 1;
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (!strcmp(path, DISK_PATH)) {
		st->st_ino = 2;
		st->st_mode = S_IFREG | (g.writable ? 0644 : 0444);
		st->st_nlink = 1;
		st->st_size = (off_t)g.size;
		st->st_blksize = 512;
		st->st_blocks = (blkcnt_t)((g.size + 511) / 512);
		return 0;
	}
	return -ENOENT;
}

static int
ff_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
    struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)offset; (void)fi; (void)flags;
	if (strcmp(path, "/"))
		return -ENOTDIR;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	filler(buf, DISK_PATH + 1, NULL, 0, 0);
	return 0;
}

static int
ff_open(const char *path, struct fuse_file_info *fi)
{
	if (!strcmp(path, "/"))
		return -EISDIR;
	if (strcmp(path, DISK_PATH))
		return -ENOENT;
	if ((fi->flags & O_ACCMODE) != O_RDONLY && !g.writable)
		return -EROFS;
	if (g.vanished)
		return -g.vanish_errno;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
}

static int
ff_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
	uint64_t off = (uint64_t)offset, len = size;
	int i, failed = 0, rc;

	(void)fi;
	if (strcmp(path, DISK_PATH))
		return -ENOENT;
	if (g.delay_us)
		sleep_us(g.delay_us);
	if (g.vanished || g.served >= g.vanish_after) {
		g.vanished = 1;
		logline('R', off, size, -g.vanish_errno);
		return -g.vanish_errno;
	}
	if (off >= g.size) {
		logline('R', off, size, 0);
		return 0;
	}
	if (len > g.size - off)
		len = g.size - off;
	for (i = 0; i < g.nbad; i++)
		if (overlaps(&g.bad[i], off, len))
			failed = 1;
	for (i = 0; i < g.nflaky; i++)
		if (overlaps(&g.flaky[i], off, len) && g.flaky[i].fails_left > 0) {
			g.flaky[i].fails_left--;
			failed = 1;
		}
	if (failed) {
		logline('R', off, size, -EIO);
		return -EIO;
	}
	/* The card vanishes in the middle of this transfer: short read. */
	if (len > g.vanish_after - g.served)
		len = g.vanish_after - g.served;
	rc = backing_read(buf, off, len);
	if (rc < 0) {
		logline('R', off, size, rc);
		return rc;
	}
	/* A card that does not deliver the same data twice: once enough has
	 * been served, one byte reads as its complement. */
	if (g.served >= g.change_after && g.change_off >= off && g.change_off < off + len)
		buf[g.change_off - off] = (char)~buf[g.change_off - off];
	g.served += len;
	logline('R', off, (uint64_t)size, (long)len);
	return (int)len;
}

static int
ff_write(const char *path, const char *buf, size_t size, off_t offset,
    struct fuse_file_info *fi)
{
	uint64_t off = (uint64_t)offset, len = size;
	int i, rc;

	(void)fi;
	if (strcmp(path, DISK_PATH))
		return -ENOENT;
	if (!g.writable) {
		logline('W', off, len, -EROFS);
		return -EROFS;
	}
	if (g.delay_us)
		sleep_us(g.delay_us);
	if (g.vanished) {
		logline('W', off, len, -g.vanish_errno);
		return -g.vanish_errno;
	}
	if (len == 0)
		return 0;
	if (off >= g.size) {
		logline('W', off, len, -ENOSPC);
		return -ENOSPC;
	}
	if (len > g.size - off)
		len = g.size - off;
	for (i = 0; i < g.nwbad; i++)
		if (overlaps(&g.wbad[i], off, len)) {
			logline('W', off, len, -EIO);
			return -EIO;
		}
	rc = backing_write(buf, off, len);
	if (rc < 0) {
		logline('W', off, len, rc);
		return rc;
	}
	logline('W', off, (uint64_t)size, (long)len);
	return (int)len;
}

/* A block device cannot be truncated: accept and ignore (dd without notrunc). */
static int
ff_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	(void)size; (void)fi;
	if (strcmp(path, DISK_PATH))
		return -ENOENT;
	return g.writable ? 0 : -EROFS;
}

static int
ff_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path; (void)fi;
	if (!g.writable)
		return 0;
	if ((datasync ? fdatasync(g.fd) : fsync(g.fd)) < 0)
		return -errno;
	return 0;
}

static int
ff_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path; (void)fi;
	return 0;
}

static int
ff_release(const char *path, struct fuse_file_info *fi)
{
	(void)path; (void)fi;
	return 0;
}

static int
ff_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)tv; (void)fi;
	return strcmp(path, DISK_PATH) && strcmp(path, "/") ? -ENOENT : 0;
}

static const struct fuse_operations ff_ops = {
	.init = ff_init,
	.getattr = ff_getattr,
	.readdir = ff_readdir,
	.open = ff_open,
	.read = ff_read,
	.write = ff_write,
	.truncate = ff_truncate,
	.fsync = ff_fsync,
	.flush = ff_flush,
	.release = ff_release,
	.utimens = ff_utimens,
};

static void
usage(FILE *f)
{
	fputs(
"usage: faultfs [options] BACKING MOUNTPOINT\n"
"\n"
"Expose BACKING as MOUNTPOINT/disk (direct_io) with injected faults.\n"
"Byte values: decimal or 0x hex, optional K/M/G/T suffix (x1024).\n"
"\n"
"  --bad OFF:LEN             reads overlapping the range fail with EIO\n"
"  --flaky OFF:LEN:N         reads overlapping fail the first N times\n"
"  --vanish-after BYTES      after BYTES served in total every read fails\n"
"  --change-after BYTES:OFF  after BYTES served, the byte at OFF reads inverted\n"
"  --vanish-errno NAME       errno after vanishing (EIO, ENXIO, ENODEV)\n"
"  --delay-us N              sleep N microseconds per read/write\n"
"  --size BYTES              apparent size of disk (default BACKING's size)\n"
"  --writable                allow writes (default: read-only, EROFS)\n"
"  --wrap BYTES              addresses wrap modulo BYTES (counterfeit card)\n"
"  --lose-writes-after BYTES writes at offsets >= BYTES succeed but are dropped\n"
"  --write-bad OFF:LEN       writes overlapping the range fail with EIO\n"
"  --log FILE                append \"R|W off len result\" per request\n"
"  -o OPT[,OPT...]           FUSE mount options (passed through)\n"
"  -d                        FUSE debug output\n"
"\n"
"Always runs in the foreground, single-threaded.  All options repeatable\n"
"where that makes sense (--bad, --flaky, --write-bad, -o).\n", f);
}

enum {
	OPT_BAD = 256, OPT_FLAKY, OPT_VANISH_AFTER, OPT_VANISH_ERRNO, OPT_DELAY,
	OPT_SIZE, OPT_WRITABLE, OPT_WRAP, OPT_LOSE, OPT_WBAD, OPT_LOG, OPT_CHANGE,
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bad", required_argument, NULL, OPT_BAD },
		{ "flaky", required_argument, NULL, OPT_FLAKY },
		{ "vanish-after", required_argument, NULL, OPT_VANISH_AFTER },
		{ "change-after", required_argument, NULL, OPT_CHANGE },
		{ "vanish-errno", required_argument, NULL, OPT_VANISH_ERRNO },
		{ "delay-us", required_argument, NULL, OPT_DELAY },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "writable", no_argument, NULL, OPT_WRITABLE },
		{ "wrap", required_argument, NULL, OPT_WRAP },
		{ "lose-writes-after", required_argument, NULL, OPT_LOSE },
		{ "write-bad", required_argument, NULL, OPT_WBAD },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *fargv[2 * MAX_OPTS + 8];
	int fargc = 0, c, size_set = 0, debug = 0, nopts = 0, i;
	const char *mopts[MAX_OPTS];
	const char *logpath = NULL;
	uint64_t v;
	struct stat st;

	while ((c = getopt_long(argc, argv, "+o:dhfs", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BAD: add_range("--bad", optarg, g.bad, &g.nbad, 0); break;
		case OPT_FLAKY: add_range("--flaky", optarg, g.flaky, &g.nflaky, 1); break;
		case OPT_WBAD: add_range("--write-bad", optarg, g.wbad, &g.nwbad, 0); break;
		case OPT_VANISH_AFTER: g.vanish_after = need_bytes("--vanish-after", optarg); break;
		case OPT_CHANGE: {
			char *colon = strchr(optarg, ':');
			if (colon == NULL) {
				fprintf(stderr, "faultfs: --change-after BYTES:OFF\n");
				exit(2);
			}
			*colon = '\0';
			g.change_after = need_bytes("--change-after", optarg);
			g.change_off = need_bytes("--change-after", colon + 1);
			break;
		}
		case OPT_VANISH_ERRNO: g.vanish_errno = parse_errno(optarg); break;
		case OPT_DELAY:
			v = need_bytes("--delay-us", optarg);
			if (v > 60000000)
				die("--delay-us: at most 60000000");
			g.delay_us = (unsigned long)v;
			break;
		case OPT_SIZE: g.size = need_bytes("--size", optarg); size_set = 1; break;
		case OPT_WRITABLE: g.writable = 1; break;
		case OPT_WRAP:
			g.wrap = need_bytes("--wrap", optarg);
			if (g.wrap == 0)
				die("--wrap: must be > 0");
			break;
		case OPT_LOSE: g.lose_after = need_bytes("--lose-writes-after", optarg); break;
		case OPT_LOG: logpath = optarg; break;
		case 'o':
			if (nopts >= MAX_OPTS)
				die("too many -o options");
			mopts[nopts++] = optarg;
			break;
		case 'd': debug = 1; break;
		case 'f': case 's': break;	/* always on */
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	g.backing_path = argv[optind];
	g.fd = open(g.backing_path, (g.writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (g.fd < 0)
		die("%s: %s", g.backing_path, strerror(errno));
	if (fstat(g.fd, &st) < 0)
		die("%s: %s", g.backing_path, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		if (!size_set)
			g.size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		uint64_t bsz = 0;

		if (ioctl(g.fd, BLKGETSIZE64, &bsz) < 0)
			die("%s: BLKGETSIZE64: %s", g.backing_path, strerror(errno));
		if (!size_set)
			g.size = bsz;
	} else {
		die("%s: not a regular file or block device", g.backing_path);
	}
	g.mtime = st.st_mtim;
	if (logpath != NULL) {
		g.logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (g.logfd < 0)
			die("%s: %s", logpath, strerror(errno));
	}

	fargv[fargc++] = argv[0];
	fargv[fargc++] = "-f";
	fargv[fargc++] = "-s";
	if (debug)
		fargv[fargc++] = "-d";
	fargv[fargc++] = "-o";
	fargv[fargc++] = "fsname=faultfs,subtype=faultfs";
	for (i = 0; i < nopts; i++) {
		fargv[fargc++] = "-o";
		fargv[fargc++] = (char *)mopts[i];
	}
	fargv[fargc++] = argv[optind + 1];
	fargv[fargc] = NULL;
	return fuse_main(fargc, fargv, &ff_ops, NULL);
}
