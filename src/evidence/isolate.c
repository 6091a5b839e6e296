/*
 * isolate.c — the walk in child processes (see isolate.h).
 *
 * The child is a fresh process: the parent spawns its own executable
 * (`cardtrail __walk`, ct_extract_walk_child), which opens the image by
 * its paths, sets its limits and walks one volume.  A fork would share
 * the parent's state at the moment of the fork, locks held by other
 * threads included, and the station runs extract in a thread per card.
 * A forked child remains for callers with one thread and no executable
 * to name (checked each time): it reads the image the parent opened.
 *
 * The wire: frames of u32 length, u8 type, payload, written by the child
 * as each record is made (nothing waits in a buffer when it dies).  The
 * parent trusts none of it: a child that ran libtsk over a hostile card
 * may be corrupt, so every frame is checked (sizes, indexes, lengths, no
 * NUL in a path) and a bad one ends the child like a crash would.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cardtrail/evidence.h"
#include "cardtrail/util.h"
#include "isolate.h"
#include "sandbox.h"

enum { F_VOLUME = 1, F_ITEM, F_ALIAS, F_UNALLOC, F_WARN, F_DONE, F_READY };

#define MAX_FRAME (64u << 20)		/* an item with 4M ranges */
#define MAX_RUNS ((MAX_FRAME - 4096 - CT_WALK_MAX_PATH) / sizeof(struct ct_run))
#define ERR_TAIL 2048			/* the child's last stderr bytes kept */
#define WALK_FD 3			/* a spawned child's records */
/* A child's time budget counts from its first frame (F_READY, sent before
 * it opens the image): starting a process (a sanitized one takes a while)
 * is not the walk.  Until then it has this long. */
#define STARTUP_SECONDS 30

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* The fixed part of an item frame (then the path, then the ranges). */
struct item_hdr {
	uint32_t vol, name_off, pathlen, nruns;
	uint64_t inum, size;
	struct ct_wtime mtime, atime, crtime;
	uint8_t deleted, orphan, overwritten, flags;
};

/* ---- the child: records out ---- */

struct wire {
	int fd;
};

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t k;

	while (n > 0) {
		if ((k = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One frame from up to three pieces. */
static int
frame(struct wire *w, uint8_t type, const void *a, size_t na, const void *b, size_t nb,
      const void *c, size_t nc)
{
	unsigned char h[5];
	uint32_t len = (uint32_t)(1 + na + nb + nc);
	int ret;

	memcpy(h, &len, 4);
	h[4] = type;
	if ((ret = write_all(w->fd, h, 5)) < 0 || (na && (ret = write_all(w->fd, a, na)) < 0) ||
	    (nb && (ret = write_all(w->fd, b, nb)) < 0) || (nc && (ret = write_all(w->fd, c, nc)) < 0))
		return ret;
	return 0;
}

static int
w_volume(void *ctx, const struct ct_wvolume *v)
{
	return frame(ctx, F_VOLUME, v, sizeof(*v), NULL, 0, NULL, 0);
}

static int
w_item(void *ctx, const struct ct_witem *it)
{
	struct item_hdr h;

	memset(&h, 0, sizeof(h));
	h.vol = it->vol;
	h.name_off = it->name_off;
	h.pathlen = (uint32_t)strlen(it->path);
	h.nruns = it->nruns > MAX_RUNS ? (uint32_t)MAX_RUNS : it->nruns;
	h.inum = it->inum;
	h.size = it->size;
	h.mtime = it->mtime;
	h.atime = it->atime;
	h.crtime = it->crtime;
	h.deleted = it->deleted;
	h.orphan = it->orphan;
	h.overwritten = it->overwritten;
	/* more ranges than a frame holds: the rest is as if the chain ended */
	h.flags = (uint8_t)(it->flags | (it->nruns > MAX_RUNS ? CT_WF_CHAIN_SHORT : 0));
	return frame(ctx, F_ITEM, &h, sizeof(h), it->path, h.pathlen, it->runs,
		     (size_t)h.nruns * sizeof(*it->runs));
}

static int
w_strings(void *ctx, uint8_t type, uint32_t vol, const char *a, const char *b)
{
	uint32_t h[3] = { vol, (uint32_t)strlen(a), b ? (uint32_t)strlen(b) : 0 };

	return frame(ctx, type, h, sizeof(h), a, h[1], b, h[2]);
}

static int
w_alias(void *ctx, uint32_t vol, const char *path, const char *also_at)
{
	return w_strings(ctx, F_ALIAS, vol, path, also_at);
}

static int
w_warn(void *ctx, uint32_t vol, const char *text)
{
	return w_strings(ctx, F_WARN, vol, text, NULL);
}

static int
w_unalloc(void *ctx, uint32_t vol, uint64_t off, uint64_t len)
{
	uint64_t h[3] = { vol, off, len };

	return frame(ctx, F_UNALLOC, h, sizeof(h), NULL, 0, NULL, 0);
}

static int
w_ready(struct wire *w)
{
	return frame(w, F_READY, NULL, 0, NULL, 0, NULL, 0);
}

static int
w_done(void *ctx, uint32_t vol, int ok)
{
	uint32_t h[2] = { vol, (uint32_t)ok };

	return frame(ctx, F_DONE, h, sizeof(h), NULL, 0, NULL, 0);
}

static void
child_limits(const struct ct_isolate_opts *o)
{
	struct rlimit r;
	rlim_t cpu = (rlim_t)o->seconds + 1;

	r.rlim_cur = cpu;
	r.rlim_max = cpu + 1;
	setrlimit(RLIMIT_CPU, &r);
	r.rlim_cur = r.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &r);
	setrlimit(RLIMIT_FSIZE, &r);	/* it writes a pipe, no file */
#ifndef UNDER_ASAN
	/* (AddressSanitizer reserves terabytes of address space: not there) */
	if (o->max_bytes) {
		r.rlim_cur = r.rlim_max = (rlim_t)o->max_bytes;
		setrlimit(RLIMIT_AS, &r);
	}
#endif
}

static void
child_signals(void)
{
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_IGN);	/* the parent decides */
}

/*
 * The seccomp filter (sandbox.h), once the image is open and before libtsk
 * parses a byte of it.  A child that cannot have it says so in a warning
 * and walks on: the walk is still in a child, with its limits.
 */
static void
child_sandbox(struct wire *w, TSK_IMG_INFO *img, int vol)
{
	char err[300], text[400], b;
	unsigned flags = 0;

	/* libtsk opens a raw image at its first read: that one now (a split
	 * image's other segments are opened by name as the walk reaches them,
	 * and closed when more than 15 are open: it keeps its open(2) to read) */
	if (tsk_img_read(img, 0, &b, 1) != 1)
		tsk_error_reset();
	if (img->itype != TSK_IMG_TYPE_EWF_EWF && img->num_img > 1)
		flags |= CT_SANDBOX_OPEN_READ;
	/* the zone file is read now (localtime reads it once per TZ) */
	tzset();
	if (ct_sandbox_walk(flags, err, sizeof(err)) == 0)
		return;
	/* (err is shorter than text: a truncation cannot happen, and would
	 * keep the start) */
	(void)ct_snprintf(text, sizeof(text), "the walk ran without a seccomp filter: %s", err);
	(void)w_warn(w, (uint32_t)vol, text);
}

/* The walk of one volume with its records on out: the child's exit status
 * (0, 4 no filesystem, 2 an error). */
static int
child_walk(TSK_IMG_INFO *img, int vol, uint64_t max_items, int out)
{
	struct wire w = { out };
	const struct ct_walk_sink s = { w_volume, w_item, w_alias, w_unalloc, w_warn, w_done, &w };
	int ret;

	ret = ct_walk_image(img, vol, max_items, &s);
	close(out);
	return ret < 0 ? 2 : ret == 1 ? 4 : 0;
}

/* A forked child (a caller with one thread): the image the parent opened. */
static void __attribute__((noreturn))
child(TSK_IMG_INFO *img, int vol, uint64_t max_items, const struct ct_isolate_opts *o,
      int out, int err)
{
	struct wire w = { out };

	child_signals();
	if (dup2(err, STDERR_FILENO) < 0 || dup2(err, STDOUT_FILENO) < 0 || w_ready(&w) < 0)
		_exit(3);
	close(err);
	child_limits(o);
	child_sandbox(&w, img, vol);
	/* exit, not _exit: a sanitized build checks the child for leaks too */
	exit(child_walk(img, vol, max_items, out));
}

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return *s >= '0' && *s <= '9' && *end == '\0' && errno == 0 ? 0 : -EINVAL;
}

/*
 * A spawned child (see ct_walk_isolated): argv is CT_EXTRACT_WALK_COMMAND,
 * the volume, the most files, the seconds, the address space, "raw" or
 * "ewf", the image's segments; the records go to fd WALK_FD, a pipe.
 */
int
ct_extract_walk_child(int argc, char **argv)
{
	struct ct_isolate_opts o;
	struct wire w = { WALK_FD };
	struct stat st;
	TSK_IMG_INFO *img;
	uint64_t vol, max_items;
	char *end;
	int ewf, ret;

	memset(&o, 0, sizeof(o));
	if (argc < 7 || fstat(WALK_FD, &st) < 0 || !S_ISFIFO(st.st_mode) ||
	    parse_u64(argv[1], &vol) < 0 || vol >= CT_WALK_MAX_VOLUMES ||
	    parse_u64(argv[2], &max_items) < 0 || parse_u64(argv[4], &o.max_bytes) < 0 ||
	    (strcmp(argv[5], "raw") && strcmp(argv[5], "ewf")))
		return 3;
	o.seconds = strtod(argv[3], &end);
	if (*end != '\0' || !(o.seconds > 0))
		return 3;
	ewf = !strcmp(argv[5], "ewf");
	if (w_ready(&w) < 0)
		return 3;
	child_signals();
	/* nothing of the parent's but the pipe and stdio (other threads'
	 * descriptors without close-on-exec) */
	close_range(WALK_FD + 1, ~0u, 0);
	/* before anything reads the image: libewf parses its headers */
	child_limits(&o);
	if ((img = ct_walk_open(argc - 6, argv + 6, ewf)) == NULL) {
		char text[700];

		snprintf(text, sizeof(text), "The Sleuth Kit cannot open the image '%.300s': %.300s",
			 argv[6], tsk_error_get() ? tsk_error_get() : "unknown error");
		tsk_error_reset();
		(void)w_warn(&w, UINT32_MAX, text);
		return 2;
	}
	child_sandbox(&w, img, (int)vol);
	ret = child_walk(img, (int)vol, max_items, WALK_FD);
	tsk_img_close(img);
	return ret;
}

/* ---- the parent: records in ---- */

struct run {
	const struct ct_walk_sink *sink;
	const struct ct_isolate_opts *o;
	int vol;			/* walked by this child */
	size_t nvols;			/* known from the first child; 0 unknown */
	int volumes_given;		/* the sink has them */
	uint64_t items;			/* all children */
	uint64_t vol_items;		/* this child */
	char last[200];			/* the last file this child reported */
	int done_seen, done_ok;
	int ready;			/* its F_READY came ... */
	double ready_at;		/* ... then */
	char *buf;			/* frames in */
	size_t len, cap;
	char errtail[ERR_TAIL + 1];
	size_t errlen;
	int bad;			/* a malformed frame */
	const char *bad_what;
};

static int
bad_frame(struct run *r, const char *what)
{
	if (!r->bad)
		r->bad_what = what;
	r->bad = 1;
	return 1;
}

static int
take_volume(struct run *r, const unsigned char *p, size_t n)
{
	struct ct_wvolume v;

	if (n != sizeof(v))
		return bad_frame(r, "volume size");
	memcpy(&v, p, sizeof(v));
	v.fstype[sizeof(v.fstype) - 1] = v.vstype[sizeof(v.vstype) - 1] = '\0';
	if (v.index >= CT_WALK_MAX_VOLUMES || v.in_image > v.size)
		return bad_frame(r, "volume");
	if (r->volumes_given) {
		/* every child reports them: the first one's count */
		return v.index >= r->nvols ? bad_frame(r, "volume count") : 0;
	}
	if (v.index != r->nvols)
		return bad_frame(r, "volume order");
	r->nvols++;
	return r->sink->volume ? r->sink->volume(r->sink->ctx, &v) : 0;
}

static int
take_item(struct run *r, const unsigned char *p, size_t n)
{
	struct item_hdr h;
	struct ct_witem it;
	char *path;
	struct ct_run *runs = NULL;
	int ret;

	if (n < sizeof(h))
		return bad_frame(r, "item size");
	memcpy(&h, p, sizeof(h));
	if ((int64_t)h.vol != r->vol || h.pathlen > CT_WALK_MAX_PATH || h.name_off > h.pathlen ||
	    h.nruns > MAX_RUNS || n != sizeof(h) + h.pathlen + (size_t)h.nruns * sizeof(struct ct_run) ||
	    memchr(p + sizeof(h), '\0', h.pathlen) != NULL)
		return bad_frame(r, "item");
	if ((path = malloc(h.pathlen + 1)) == NULL)
		return -ENOMEM;
	memcpy(path, p + sizeof(h), h.pathlen);
	path[h.pathlen] = '\0';
	if (h.nruns && (runs = malloc(h.nruns * sizeof(*runs))) == NULL) {
		free(path);
		return -ENOMEM;
	}
	if (h.nruns)
		memcpy(runs, p + sizeof(h) + h.pathlen, h.nruns * sizeof(*runs));
	memset(&it, 0, sizeof(it));
	it.vol = h.vol;
	it.inum = h.inum;
	it.deleted = h.deleted != 0;
	it.orphan = h.orphan != 0;
	it.overwritten = h.overwritten != 0;
	it.flags = h.flags;
	it.size = h.size;
	it.mtime = h.mtime;
	it.atime = h.atime;
	it.crtime = h.crtime;
	it.path = path;
	it.name_off = h.name_off;
	it.runs = runs;
	it.nruns = h.nruns;
	snprintf(r->last, sizeof(r->last), "%s", path);
	r->items++;
	r->vol_items++;
	ret = r->sink->item(r->sink->ctx, &it);
	free(path);
	free(runs);
	return ret;
}

static int
take_strings(struct run *r, uint8_t type, const unsigned char *p, size_t n)
{
	uint32_t h[3];
	char *a, *b;
	int ret = 0;

	if (n < sizeof(h))
		return bad_frame(r, "strings size");
	memcpy(h, p, sizeof(h));
	if ((h[0] != UINT32_MAX && (int64_t)h[0] != r->vol) || h[1] > CT_WALK_MAX_PATH * 2 ||
	    h[2] > CT_WALK_MAX_PATH * 2 || n != sizeof(h) + h[1] + h[2] ||
	    memchr(p + sizeof(h), '\0', h[1] + h[2]) != NULL)
		return bad_frame(r, "strings");
	a = strndup((const char *)p + sizeof(h), h[1]);
	b = strndup((const char *)p + sizeof(h) + h[1], h[2]);
	if (a == NULL || b == NULL)
		ret = -ENOMEM;
	else if (type == F_WARN)
		ret = r->sink->warn ? r->sink->warn(r->sink->ctx, h[0], a) : 0;
	else if (*a && *b)
		ret = r->sink->alias ? r->sink->alias(r->sink->ctx, h[0], a, b) : 0;
	free(a);
	free(b);
	return ret;
}

static int
take_frame(struct run *r, uint8_t type, const unsigned char *p, size_t n)
{
	uint64_t u[3];
	uint32_t d[2];

	switch (type) {
	case F_VOLUME:
		return take_volume(r, p, n);
	case F_ITEM:
		return take_item(r, p, n);
	case F_ALIAS:
	case F_WARN:
		return take_strings(r, type, p, n);
	case F_UNALLOC:
		if (n != sizeof(u))
			return bad_frame(r, "unalloc");
		memcpy(u, p, sizeof(u));
		if ((int64_t)u[0] != r->vol || u[1] + u[2] < u[1])
			return bad_frame(r, "unalloc");
		return r->sink->unalloc ? r->sink->unalloc(r->sink->ctx, (uint32_t)u[0], u[1], u[2]) : 0;
	case F_READY:
		if (n != 0 || r->ready)
			return bad_frame(r, "ready");
		r->ready = 1;
		r->ready_at = ct_now();
		return 0;
	case F_DONE:
		if (n != sizeof(d))
			return bad_frame(r, "done");
		memcpy(d, p, sizeof(d));
		if ((int64_t)d[0] != r->vol)
			return bad_frame(r, "done");
		r->done_seen = 1;
		r->done_ok = d[1] != 0;
		return 0;
	default:
		return bad_frame(r, "type");
	}
}

/* The whole frames in the buffer; a partial one waits for more. */
static int
take_frames(struct run *r)
{
	size_t at = 0;
	uint32_t len;
	int ret = 0;

	while (r->len - at >= 5 && ret == 0 && !r->bad) {
		memcpy(&len, r->buf + at, 4);
		if (len == 0 || len > MAX_FRAME)
			return bad_frame(r, "length");
		if (r->len - at - 4 < len)
			break;
		ret = take_frame(r, (uint8_t)r->buf[at + 4], (unsigned char *)r->buf + at + 5, len - 1);
		at += 4 + len;
	}
	memmove(r->buf, r->buf + at, r->len - at);
	r->len -= at;
	return ret < 0 ? ret : 0;
}

static int
read_into(struct run *r, int fd)
{
	ssize_t n;

	if (r->cap - r->len < 65536) {
		size_t cap = r->cap ? r->cap * 2 : 1u << 20;
		char *b;
		if (cap > MAX_FRAME + (1u << 20))
			cap = MAX_FRAME + (1u << 20);
		if (cap <= r->cap || (b = realloc(r->buf, cap)) == NULL)
			return r->cap - r->len ? 0 : -ENOMEM;
		r->buf = b;
		r->cap = cap;
	}
	n = read(fd, r->buf + r->len, r->cap - r->len);
	if (n < 0)
		return errno == EINTR ? 1 : -errno;
	r->len += (size_t)n;
	return n > 0;
}

/* Read what the child wrote on its stderr; the bytes read, 0 at its end. */
static ssize_t
keep_err(struct run *r, int fd)
{
	char b[512];
	ssize_t n = read(fd, b, sizeof(b));

	if (n <= 0)
		return n;
	/* the child's stderr goes on to ours (sanitizer reports, libtsk's
	 * assertion); its tail names what killed it */
	if (write(STDERR_FILENO, b, (size_t)n) < 0) {
		/* nothing to do about it */
	}
	/* (n <= sizeof(b) < ERR_TAIL) */
	if (r->errlen + (size_t)n > ERR_TAIL) {
		size_t drop = r->errlen + (size_t)n - ERR_TAIL;
		memmove(r->errtail, r->errtail + drop, r->errlen - drop);
		r->errlen -= drop;
	}
	memcpy(r->errtail + r->errlen, b, (size_t)n);
	r->errlen += (size_t)n;
	r->errtail[r->errlen] = '\0';
	return n;
}

/* The last non-empty line of the child's stderr. */
static const char *
last_line(struct run *r, char *buf, size_t len)
{
	char *e = r->errtail + r->errlen, *s;

	while (e > r->errtail && (e[-1] == '\n' || e[-1] == '\r'))
		e--;
	for (s = e; s > r->errtail && s[-1] != '\n'; s--)
		;
	snprintf(buf, len, "%.*s", (int)(e - s), s);
	return buf;
}

static int
warnf(struct run *r, uint32_t vol, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
warnf(struct run *r, uint32_t vol, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return r->sink->warn ? r->sink->warn(r->sink->ctx, vol, buf) : 0;
}

/* Why the child of this volume stopped, in words; "" when it did not. */
static void
verdict(struct run *r, int status, int timed_out, char *buf, size_t len)
{
	char line[300];

	buf[0] = '\0';
	if (timed_out && !r->ready) {
		snprintf(buf, len, "it did not start within %d s", STARTUP_SECONDS);
	} else if (timed_out) {
		snprintf(buf, len, "it ran over its time budget of %g s (--walk-timeout)",
			 r->o->seconds);
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		const char *why = sig == SIGXCPU ? "its CPU time limit" :
				  sig == SIGABRT ? "an abort (an assertion in The Sleuth Kit?)" :
				  sig == SIGKILL ? "a kill (its memory limit?)" :
				  sig == SIGSYS ? "killed by the seccomp filter (a forbidden system call)" :
				  "a crash";
		snprintf(buf, len, "it was ended by signal %d (%s: %s)%s%s", sig, sigabbrev_np(sig) ?
			 sigabbrev_np(sig) : "?", why, r->errlen ? "; its last words: " : "",
			 r->errlen ? last_line(r, line, sizeof(line)) : "");
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 4) {
		snprintf(buf, len, "it exited with status %d%s%s", WEXITSTATUS(status),
			 r->errlen ? "; its last words: " : "",
			 r->errlen ? last_line(r, line, sizeof(line)) : "");
	} else if (r->bad) {
		snprintf(buf, len, "it sent a malformed record (%s)", r->bad_what);
	} else if (!r->done_seen && !(WIFEXITED(status) && WEXITSTATUS(status) == 4)) {
		snprintf(buf, len, "it ended without finishing");
	}
}

/* A pipe whose ends are not stdin, stdout or stderr (a spawned child gets
 * them as 1, 2 and WALK_FD), both close-on-exec. */
static int
pipe_above_stdio(int p[2])
{
	int i, fd;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	for (i = 0; i < 2; i++) {
		if (p[i] > STDERR_FILENO)
			continue;
		fd = fcntl(p[i], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		close(p[i]);
		p[i] = fd;
	}
	if (p[0] < 0 || p[1] < 0) {
		int ret = -errno;

		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		return ret;
	}
	return 0;
}

/*
 * Start `exe __walk VOL MAX_ITEMS SECONDS MAX_BYTES raw|ewf SEG...` with
 * stdin /dev/null, stdout and stderr on err, the records on WALK_FD, SIGINT
 * blocked (the parent decides) and every other signal at its default.
 */
static int
spawn_child(const struct ct_isolate_opts *o, int vol, uint64_t max_items, int out, int err,
	    pid_t *pid)
{
	char a_vol[16], a_items[24], a_secs[40], a_bytes[24], **argv;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t mask, def;
	int i, ret;

	if (o->nseg < 1 || o->segs == NULL)
		return -EINVAL;
	if (ct_snprintf(a_vol, sizeof(a_vol), "%d", vol) < 0 ||
	    ct_snprintf(a_items, sizeof(a_items), "%" PRIu64, max_items) < 0 ||
	    ct_snprintf(a_secs, sizeof(a_secs), "%.17g", o->seconds) < 0 ||
	    ct_snprintf(a_bytes, sizeof(a_bytes), "%" PRIu64, o->max_bytes) < 0)
		return -EINVAL;
	if ((argv = calloc((size_t)o->nseg + 8, sizeof(*argv))) == NULL)
		return -ENOMEM;
	argv[0] = (char *)o->exe;
	argv[1] = (char *)CT_EXTRACT_WALK_COMMAND;
	argv[2] = a_vol;
	argv[3] = a_items;
	argv[4] = a_secs;
	argv[5] = a_bytes;
	argv[6] = (char *)(o->ewf ? "ewf" : "raw");
	for (i = 0; i < o->nseg; i++)
		argv[7 + i] = o->segs[i];
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigfillset(&def);
	sigdelset(&def, SIGINT);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	/* err, then out: either may be WALK_FD (a dup2 onto itself clears
	 * close-on-exec) */
	if ((ret = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) == 0 &&
	    (ret = posix_spawn_file_actions_adddup2(&fa, err, STDOUT_FILENO)) == 0 &&
	    (ret = posix_spawn_file_actions_adddup2(&fa, err, STDERR_FILENO)) == 0 &&
	    (ret = posix_spawn_file_actions_adddup2(&fa, out, WALK_FD)) == 0 &&
	    (ret = posix_spawnattr_setsigmask(&at, &mask)) == 0 &&
	    (ret = posix_spawnattr_setsigdefault(&at, &def)) == 0 &&
	    (ret = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) == 0)
		ret = posix_spawn(pid, o->exe, &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	return -ret;
}

/* Start the child of volume vol and take its records until it ends. */
static int
walk_one(TSK_IMG_INFO *img, struct run *r, int vol)
{
	int out[2], err[2], status = 0, timed_out = 0, ret = 0;
	uint64_t max_items = r->o->max_items > r->items ? r->o->max_items - r->items : 0;
	double started;
	char why[600];
	pid_t pid;

	r->vol = vol;
	r->vol_items = 0;
	r->last[0] = '\0';
	r->done_seen = r->done_ok = r->bad = r->ready = 0;
	r->len = r->errlen = 0;
	if ((ret = pipe_above_stdio(out)) < 0)
		return ret;
	if ((ret = pipe_above_stdio(err)) < 0) {
		close(out[0]);
		close(out[1]);
		return ret;
	}
	if (r->o->exe) {
		ret = spawn_child(r->o, vol, max_items, out[1], err[1], &pid);
	} else {
		fflush(NULL);
		if ((pid = fork()) < 0)
			ret = -errno;
		else if (pid == 0) {
			close(out[0]);
			close(err[0]);
			child(img, vol, max_items, r->o, out[1], err[1]);
		}
	}
	if (ret < 0) {
		close(out[0]), close(out[1]), close(err[0]), close(err[1]);
		return ret;
	}
	close(out[1]);
	close(err[1]);
	started = ct_now();
	for (;;) {
		struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
		double left = (r->ready ? r->ready_at + r->o->seconds : started + STARTUP_SECONDS) -
			      ct_now();
		int n;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		n = poll(p, err[0] >= 0 ? 2 : 1, (int)(left * 1000) + 1);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (n <= 0)
			continue;
		if (err[0] >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (p[1].revents & POLLIN)
				keep_err(r, err[0]);
			else {
				close(err[0]);
				err[0] = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			int k = read_into(r, out[0]);
			if (k < 0) {
				ret = k;
				break;
			}
			if ((ret = take_frames(r)) < 0 || r->bad)
				break;
			if (k == 0)
				break;	/* the child closed its end */
		}
	}
	if (timed_out || r->bad || ret < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* what it said last */
	if (err[0] >= 0) {
		struct pollfd p = { err[0], POLLIN, 0 };
		/* all of it (a sanitizer's report at its exit runs long: the
		 * tail kept stops growing, the reading must not) */
		while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN) && keep_err(r, err[0]) > 0)
			;
		close(err[0]);
	}
	close(out[0]);
	if (ret < 0)
		return ret;
	verdict(r, status, timed_out, why, sizeof(why));
	if (why[0]) {
		if (r->nvols == 0)
			ret = warnf(r, UINT32_MAX, "The Sleuth Kit's walk of the image stopped before "
				    "it found a filesystem: %s; the image was carved as a whole", why);
		else
			ret = warnf(r, (uint32_t)vol, "the walk of this volume stopped: %s; it had "
				    "reported %" PRIu64 " files%s%s%s; the rest of the volume was not "
				    "walked", why, r->vol_items, r->last[0] ? " (the last: '" : "",
				    r->last, r->last[0] ? "')" : "");
		if (ret == 0 && r->sink->done && (size_t)vol < r->nvols)
			ret = r->sink->done(r->sink->ctx, (uint32_t)vol, 0);
		return ret < 0 ? ret : 1;
	}
	if (r->done_seen && r->sink->done)
		ret = r->sink->done(r->sink->ctx, (uint32_t)vol, r->done_ok);
	return ret;
}

unsigned
ct_thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	unsigned n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int
ct_walk_isolated(TSK_IMG_INFO *img, const struct ct_isolate_opts *o,
		 const struct ct_walk_sink *sink)
{
	struct run r;
	int vol, ret = 0, failed = 0;

	/* fork is for a caller with one thread (isolate.h); unknown: no */
	if (o->exe == NULL && ct_thread_count() != 1)
		return -ENOEXEC;
	memset(&r, 0, sizeof(r));
	r.sink = sink;
	r.o = o;
	for (vol = 0; ret >= 0; vol++) {
		ret = walk_one(img, &r, vol);
		if (ret < 0)
			break;
		failed |= ret == 1;
		if (r.nvols > 0)
			r.volumes_given = 1;
		if (r.nvols == 0 || (size_t)vol + 1 >= r.nvols || r.items >= o->max_items)
			break;
	}
	free(r.buf);
	if (ret < 0)
		return ret;
	if (r.nvols == 0)
		return failed ? 2 : 1;
	return 0;
}
