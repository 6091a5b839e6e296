/*
 * wipe.c — `cardtrail wipe`, as the sequence of its steps:
 *
 *   prepare   open the device once (read-write, O_EXCL, also for a dry
 *             run), its identity from that descriptor, the safety checks
 *             (safety.c), the match with the case (match.c) or, for a
 *             resume, the state file bound to its start record (state.c):
 *             the plan.  A dry run stops here, having written nothing.
 *   execute   the only code that writes the card: the start (or resume)
 *             record, the state file, the address probe, the passes (each
 *             written through the pipeline, flushed, read back with
 *             O_DIRECT and compared with the regenerated pattern).
 *   certify   discard and format on request, the certificate (cert.c) of
 *             what execute reports, the wipe's custody record (record.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/hash.h"
#include "cardtrail/identity.h"
#include "cardtrail/image.h"
#include "cardtrail/pipe.h"
#include "cardtrail/util.h"
#include "wipe/internal.h"

extern char **environ;

#define STATE_SAVE_SECONDS 1.0
#define MAX_MISMATCH_LIST 16

int
wipe_err(struct wipe *w, int err, const char *fmt, ...)
{
	va_list ap;

	if (w->res->error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(w->res->error, sizeof(w->res->error), fmt, ap);
		va_end(ap);
	}
	return err;
}

/* What failed, for the certificate's result (the first one). */
void
wipe_fail(struct wipe *w, const char *what)
{
	if (w->fail == NULL)
		w->fail = what;
}

struct json_object *
wipe_jint(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

void
wipe_report(struct wipe *w, const char *phase, uint64_t done, uint64_t total)
{
	struct ct_wipe_progress p;
	double now = ct_now();

	if (w->o->progress == NULL || (now - w->last_report < 0.2 && done < total))
		return;
	w->last_report = now;
	p.phase = phase;
	p.pass = strcmp(phase, "match") ? w->cur_pass + 1 : 0;
	p.npasses = w->method.npasses;
	p.done = done;
	p.total = total;
	p.elapsed = now - w->t0;
	w->o->progress(&p, w->o->progress_ctx);
}

size_t
wipe_probe_offsets(uint64_t size, uint64_t *offs)
{
	size_t n = 0, i;

	if (size < 2 * WIPE_PROBE_SIZE)
		return 0;
	for (i = 0; i < WIPE_PROBE_BLOCKS; i++) {
		uint64_t o = size / WIPE_PROBE_BLOCKS * i / WIPE_PROBE_SIZE * WIPE_PROBE_SIZE;
		if (n == 0 || o != offs[n - 1])
			offs[n++] = o;
	}
	offs[n++] = (size - WIPE_PROBE_SIZE) / WIPE_PROBE_SIZE * WIPE_PROBE_SIZE;
	return n;
}

/* ---- the passes ---- */

struct pass_ctx {
	struct wipe *w;
	struct wipe_pass *p;
	const struct ct_pass_plan *plan;
	struct ct_pass_cipher *cipher;	/* reader thread's */
	struct ct_pass_cipher *cipher2;	/* consumer thread's */
	unsigned char *expect;		/* consumer's buffer */
	uint64_t start;
};

static int
gen_read(void *ctx, struct ct_pipe_buf *b, size_t cap)
{
	struct pass_ctx *pc = ctx;
	uint64_t size = pc->w->dev.size;
	size_t n;
	int ret;

	if (b->off >= size)
		return 0;
	n = (size_t)(size - b->off < cap ? size - b->off : cap);
	if ((ret = ct_pass_fill(pc->plan, pc->cipher, b->data, n, b->off)) < 0)
		return ret;
	b->len = n;
	return 0;
}

static int
write_consume(void *ctx, const struct ct_pipe_buf *b)
{
	struct pass_ctx *pc = ctx;
	struct wipe *w = pc->w;
	int ret;

	w->written_upto = b->off + b->len;
	if ((ret = ct_pwrite_all(w->dev.fd, b->data, b->len, b->off)) < 0) {
		/* name the sector that failed, not the buffer: write the
		 * buffer again a sector at a time until one fails */
		size_t s, sec = w->dev.lss;
		w->write_errno = -ret;
		w->write_err_off = b->off;
		for (s = 0; s < b->len; s += sec) {
			int r = ct_pwrite_all(w->dev.fd, b->data + s, sec < b->len - s ? sec : b->len - s,
					      b->off + s);
			if (r < 0) {
				w->write_errno = -r;
				w->write_err_off = b->off + s;
				break;
			}
		}
		pc->p->written = w->write_err_off - pc->start;
		return ret;
	}
	pc->p->written = b->off + b->len - pc->start;
	wipe_report(w, "write", b->off + b->len, w->dev.size);
	if (ct_now() - w->last_save >= STATE_SAVE_SECONDS) {
		if (fdatasync(w->dev.fd) < 0) {
			w->write_errno = errno;
			w->write_err_off = b->off;
			return -errno;
		}
		w->synced = b->off + b->len;
		w->last_save = ct_now();
		(void)wipe_state_save(w, "write", w->synced);
	}
	return 0;
}

int
wipe_read_card(struct wipe *w, struct ct_pipe_buf *b, size_t cap, const char *phase, int *err,
	       uint64_t *err_off)
{
	uint64_t size = w->dev.size;
	size_t n, got;
	int ret;

	if (b->off >= size)
		return 0;
	n = (size_t)(size - b->off < cap ? size - b->off : cap);
	if ((ret = ct_dev_read(&w->dev, b->data, n, b->off, &got)) < 0) {
		*err = -ret;
		*err_off = b->off + got;
		return ret;
	}
	b->len = n;
	wipe_report(w, phase, b->off + n, size);
	return 0;
}

static int
dev_read(void *ctx, struct ct_pipe_buf *b, size_t cap)
{
	struct pass_ctx *pc = ctx;

	return wipe_read_card(pc->w, b, cap, "verify", &pc->p->read_err, &pc->p->read_err_off);
}

static int
compare_consume(void *ctx, const struct ct_pipe_buf *b)
{
	struct pass_ctx *pc = ctx;
	struct wipe_pass *p = pc->p;
	size_t s, sec = pc->w->dev.lss;
	int ret;

	if ((ret = ct_pass_fill(pc->plan, pc->cipher2, pc->expect, b->len, b->off)) < 0)
		return ret;
	p->read_back = b->off + b->len;
	if (memcmp(pc->expect, b->data, b->len) == 0)
		return 0;
	for (s = 0; s < b->len; s += sec) {
		uint64_t off = b->off + s;
		int64_t origin;

		if (memcmp(pc->expect + s, b->data + s, sec) == 0)
			continue;
		if (p->mismatch_bytes == 0)
			p->first_mismatch = off;
		p->mismatch_bytes += sec;
		if (json_object_array_length(p->mismatches) < MAX_MISMATCH_LIST)
			json_object_array_add(p->mismatches, wipe_jint(off));
		/* where was this block written?  (a wrapped address) */
		origin = ct_pass_block_origin(pc->plan, pc->cipher2, b->data + s);
		if (origin > (int64_t)off) {
			uint64_t d = (uint64_t)origin - off;
			if (p->wrap == 0 || d < p->wrap)
				p->wrap = d;
		}
	}
	return 0;
}

static int
flush_dev(struct wipe *w)
{
	if (fsync(w->dev.fd) < 0)
		return -errno;
	/* drop the kernel's buffers so the read-back comes from the card */
	if (ioctl(w->dev.fd, BLKFLSBUF, 0) < 0)
		return -errno;
	return 0;
}

/* Write pass i from start to the end, flushed.  0 or -errno (error set). */
static int
write_pass(struct wipe *w, struct pass_ctx *pc, unsigned i, uint64_t start)
{
	struct ct_consumer cons = { .name = "writer", .consume = write_consume, .ctx = pc };
	struct ct_pipe_cfg cfg = { .bufsize = w->bufsize, .nslots = 8, .start = start,
				   .read = gen_read, .read_ctx = pc };
	struct wipe_pass *p = pc->p;
	double t = ct_now();
	int ret, failed;

	pc->start = start;
	w->synced = start;
	w->written_upto = start;
	w->write_errno = 0;
	w->last_save = t;
	w->t0 = t;
	(void)wipe_state_save(w, "write", start);
	w->wrote = 1;
	ret = ct_pipe_run(&cfg, &cons, 1, &failed);
	if (ret == -EINTR) {
		(void)fdatasync(w->dev.fd);
		(void)wipe_state_save(w, "write", w->synced);
		w->res->interrupted = 1;
		return wipe_err(w, ret, "interrupted during pass %u at offset %" PRIu64 "; %s", i + 1,
				w->synced, w->state_fd >= 0 ?
				"run the same command with --resume to continue" :
				"a wipe without a case cannot be resumed: run it again");
	}
	if (ret < 0) {
		p->write_err = w->write_errno ? w->write_errno : -ret;
		p->write_err_off = w->write_errno ? w->write_err_off : w->written_upto;
		wipe_fail(w, "write error");
		return wipe_err(w, ret, "write error in pass %u at offset %" PRIu64 ": %s", i + 1,
				p->write_err_off, strerror(p->write_err));
	}
	if ((ret = flush_dev(w)) < 0) {
		p->write_err = -ret;
		p->write_err_off = w->dev.size;
		wipe_fail(w, "flush error after writing");
		return wipe_err(w, ret, "cannot flush '%s' after pass %u: %s", w->o->device, i + 1,
				strerror(-ret));
	}
	p->write_done = 1;
	p->write_seconds = ct_now() - t;
	w->synced = w->dev.size;
	return 0;
}

/* Read pass i back over every byte and compare.  0 (mismatches counted in
 * the pass) or -errno (error set). */
static int
verify_pass(struct wipe *w, struct pass_ctx *pc, unsigned i)
{
	struct ct_consumer cons = { .name = "compare", .consume = compare_consume, .ctx = pc };
	struct ct_pipe_cfg cfg = { .bufsize = w->bufsize, .nslots = 8, .read = dev_read, .read_ctx = pc };
	struct wipe_pass *p = pc->p;
	double t = ct_now();
	int ret, failed;

	if ((pc->expect = ct_alloc_aligned(w->bufsize)) == NULL) {
		wipe_fail(w, "internal error");
		return wipe_err(w, -ENOMEM, "pass %u: out of memory for the read-back", i + 1);
	}
	w->t0 = t;
	ret = ct_pipe_run(&cfg, &cons, 1, &failed);
	if (ret == -EINTR) {
		(void)wipe_state_save(w, "verify", w->dev.size);
		w->res->interrupted = 1;
		return wipe_err(w, ret, "interrupted while verifying pass %u; %s", i + 1, w->state_fd >= 0 ?
				"run the same command with --resume to continue" :
				"a wipe without a case cannot be resumed: run it again");
	}
	if (ret < 0) {
		if (p->read_err == 0) {
			p->read_err = -ret;
			p->read_err_off = p->read_back;
		}
		p->read_back = p->read_err_off;
		wipe_fail(w, "read error during read-back");
		return wipe_err(w, ret, "read error verifying pass %u at offset %" PRIu64 ": %s", i + 1,
				p->read_err_off, strerror(p->read_err));
	}
	p->read_done = 1;
	p->verify_seconds = ct_now() - t;
	if (p->mismatch_bytes == 0)
		return 0;
	w->res->verify_failed = 1;
	wipe_fail(w, "read-back mismatch");
	if (p->wrap) {
		w->res->wrapped = 1;
		w->res->real_capacity = p->wrap;
		wipe_err(w, 0, "pass %u did not read back: addresses wrap around (a counterfeit card?): "
			 "offset %" PRIu64 " holds what was written %" PRIu64 " bytes further; apparent "
			 "real capacity %" PRIu64 " bytes of %" PRIu64, i + 1, p->first_mismatch, p->wrap,
			 p->wrap, w->dev.size);
	} else {
		wipe_err(w, 0, "pass %u did not read back as written: %" PRIu64 " bytes differ, first "
			 "at offset %" PRIu64, i + 1, p->mismatch_bytes, p->first_mismatch);
	}
	return 0;
}

/* Pass i: written from start (unless skip_write: it was), then read back
 * when it is to be. */
static int
run_pass(struct wipe *w, unsigned i, uint64_t start, int skip_write)
{
	struct pass_ctx pc;
	struct wipe_pass *p = &w->passes[i];
	int ret;

	memset(&pc, 0, sizeof(pc));
	pc.w = w;
	pc.p = p;
	pc.plan = &w->plans[i];
	w->cur_pass = i;
	p->reached = 1;
	if ((ret = ct_pass_cipher_open(pc.plan, &pc.cipher)) < 0 ||
	    (ret = ct_pass_cipher_open(pc.plan, &pc.cipher2)) < 0) {
		wipe_fail(w, "internal error");
		wipe_err(w, ret, "pass %u: cannot set up its cipher: %s", i + 1, strerror(-ret));
		goto out;
	}
	if (!skip_write && (ret = write_pass(w, &pc, i, start)) < 0)
		goto out;
	if (!p->verify) {
		ret = 0;
		goto out;
	}
	(void)wipe_state_save(w, "verify", w->dev.size);
	if ((ret = verify_pass(w, &pc, i)) < 0)
		goto out;
	/* the final pattern, read back over every addressable byte by this
	 * process: what a VERIFIED stands on, whatever a state file said */
	if (i + 1 == w->method.npasses && p->read_done && p->mismatch_bytes == 0)
		w->final_readback = 1;
out:
	free(pc.expect);
	ct_pass_cipher_close(pc.cipher);
	ct_pass_cipher_close(pc.cipher2);
	return ret;
}

/*
 * Before fixed-byte-only methods: unique blocks at spread offsets, read
 * back; a card that wraps addresses returns another block's content
 * (what f3probe does).  The passes overwrite the probe blocks.
 */
static int
address_probe(struct wipe *w)
{
	const struct ct_pass_plan *plan = &w->probe_plan;
	struct ct_pass_cipher *c = NULL;
	unsigned char *buf = NULL, *rd = NULL;
	uint64_t offs[WIPE_PROBE_BLOCKS + 1], size = w->dev.size, wrap_min = 0, bad = 0, first_bad = 0;
	size_t n, i, got;
	int ret;

	if ((n = wipe_probe_offsets(size, offs)) == 0)
		return 0;
	w->probe = json_object_new_object();
	buf = ct_alloc_aligned(WIPE_PROBE_SIZE);
	rd = ct_alloc_aligned(WIPE_PROBE_SIZE);
	if (buf == NULL || rd == NULL || (ret = ct_pass_cipher_open(plan, &c)) < 0) {
		ret = wipe_err(w, -ENOMEM, "the address probe cannot start: out of memory");
		wipe_fail(w, "internal error");
		goto out;
	}
	w->wrote = 1;
	for (i = 0; i < n; i++) {
		if ((ret = ct_pass_fill(plan, c, buf, WIPE_PROBE_SIZE, offs[i])) < 0) {
			wipe_err(w, ret, "the address probe: %s", strerror(-ret));
			wipe_fail(w, "internal error");
			goto out;
		}
		if ((ret = ct_pwrite_all(w->dev.fd, buf, WIPE_PROBE_SIZE, offs[i])) < 0) {
			wipe_fail(w, "write error during the address probe");
			wipe_err(w, ret, "write error during the address probe at offset %" PRIu64 ": %s",
				 offs[i], strerror(-ret));
			goto out;
		}
	}
	if ((ret = flush_dev(w)) < 0) {
		wipe_fail(w, "flush error during the address probe");
		wipe_err(w, ret, "cannot flush '%s' after the address probe's writes: %s", w->o->device,
			 strerror(-ret));
		goto out;
	}
	for (i = 0; i < n; i++) {
		int64_t origin;

		if ((ret = ct_dev_read(&w->dev, rd, WIPE_PROBE_SIZE, offs[i], &got)) < 0) {
			wipe_fail(w, "read error during the address probe");
			wipe_err(w, ret, "read error during the address probe at offset %" PRIu64 ": %s",
				 offs[i], strerror(-ret));
			goto out;
		}
		if ((ret = ct_pass_fill(plan, c, buf, WIPE_PROBE_SIZE, offs[i])) < 0) {
			wipe_err(w, ret, "the address probe: %s", strerror(-ret));
			wipe_fail(w, "internal error");
			goto out;
		}
		if (memcmp(buf, rd, WIPE_PROBE_SIZE) == 0)
			continue;
		if (bad++ == 0)
			first_bad = offs[i];
		origin = ct_pass_block_origin(plan, c, rd);
		if (origin > (int64_t)offs[i] && (wrap_min == 0 || (uint64_t)origin - offs[i] < wrap_min))
			wrap_min = (uint64_t)origin - offs[i];
	}
	json_object_object_add(w->probe, "blocks", wipe_jint(n));
	json_object_object_add(w->probe, "block_size", wipe_jint(WIPE_PROBE_SIZE));
	json_object_object_add(w->probe, "failed", wipe_jint(bad));
	if (bad) {
		w->res->verify_failed = 1;
		if (wrap_min) {
			w->res->wrapped = 1;
			w->res->real_capacity = wrap_min;
			json_object_object_add(w->probe, "addresses_wrap_at", wipe_jint(wrap_min));
			wipe_err(w, 0, "the address probe found wrapped addresses (a counterfeit card?): "
				 "apparent real capacity %" PRIu64 " bytes of %" PRIu64, wrap_min, size);
		} else {
			wipe_fail(w, "the address probe did not read back");
			wipe_err(w, 0, "the address probe did not read back: %" PRIu64 " of %zu blocks "
				 "differ, first at offset %" PRIu64, bad, n, first_bad);
		}
	}
	ret = 0;
out:
	free(buf);
	free(rd);
	ct_pass_cipher_close(c);
	return ret;
}

/* ---- after the passes ---- */

static void
do_discard(struct wipe *w)
{
	uint64_t range[2] = { 0, w->dev.size };
	struct json_object *out = w->disc = json_object_new_object();

	json_object_object_add(out, "requested", json_object_new_boolean(1));
	if (ioctl(w->dev.fd, BLKSECDISCARD, &range) == 0) {
		json_object_object_add(out, "ioctl", json_object_new_string("BLKSECDISCARD"));
		json_object_object_add(out, "accepted", json_object_new_boolean(1));
		return;
	}
	json_object_object_add(out, "secdiscard_error", json_object_new_string(strerror(errno)));
	if (ioctl(w->dev.fd, BLKDISCARD, &range) == 0) {
		json_object_object_add(out, "ioctl", json_object_new_string("BLKDISCARD"));
		json_object_object_add(out, "accepted", json_object_new_boolean(1));
		return;
	}
	json_object_object_add(out, "ioctl", json_object_new_string("BLKDISCARD"));
	json_object_object_add(out, "accepted", json_object_new_boolean(0));
	json_object_object_add(out, "error", json_object_new_string(strerror(errno)));
}

/* mkfs argv for the format asked for, on device dev. */
static void
mkfs_argv(struct wipe *w, const char *dev, const char **argv)
{
	int n = 0;

	if (!strcmp(w->o->format, "fat32")) {
		argv[n++] = "mkfs.fat";
		argv[n++] = "-F";
		argv[n++] = "32";
		if (w->o->label) {
			argv[n++] = "-n";
			argv[n++] = w->o->label;
		}
	} else {
		argv[n++] = "mkfs.exfat";
		if (w->o->label) {
			argv[n++] = "-L";
			argv[n++] = w->o->label;
		}
	}
	argv[n++] = dev;
	argv[n] = NULL;
}

/*
 * mkfs on the device that was wiped, its output thrown away; exit status
 * recorded.  mkfs opens its device exclusively, so the wipe's exclusive
 * descriptor is let go; a second one on the same device (reopened through
 * /proc/self/fd, not by path) stays open and mkfs gets it as /dev/fd/3:
 * the device that was wiped, whatever its path names by now.
 */
static int
do_format(struct wipe *w)
{
	const char *argv[8];
	char self[64];
	posix_spawn_file_actions_t fa;
	struct stat st;
	pid_t pid;
	int st_code = 0, ret, fd = -1, fd2;

	w->fmt = json_object_new_object();
	json_object_object_add(w->fmt, "filesystem", json_object_new_string(w->o->format));
	if (w->o->label)
		json_object_object_add(w->fmt, "label", json_object_new_string(w->o->label));
	snprintf(self, sizeof(self), "/proc/self/fd/%d", w->dev.fd);
	/* above 3, so that the dup2 to 3 in the child always clears CLOEXEC */
	if ((fd2 = open(self, O_RDWR | O_CLOEXEC)) < 0 || (fd = fcntl(fd2, F_DUPFD_CLOEXEC, 10)) < 0 ||
	    fstat(fd, &st) < 0)
		ret = -errno;
	else if (!S_ISBLK(st.st_mode) || st.st_rdev != w->dev.rdev)
		ret = -ENODEV;
	else
		ret = 0;
	if (fd2 >= 0)
		close(fd2);
	if (ret < 0) {
		if (fd >= 0)
			close(fd);
		json_object_object_add(w->fmt, "result", json_object_new_string("not attempted"));
		wipe_fail(w, "format step not attempted");
		return wipe_err(w, ret, "cannot hold '%s' for mkfs: %s; the %s format was not attempted",
				w->o->device, strerror(-ret), w->o->format);
	}
	if ((ret = ct_dev_close(&w->dev)) < 0) {
		close(fd);
		json_object_object_add(w->fmt, "result", json_object_new_string("not attempted"));
		wipe_fail(w, "format step not attempted");
		return wipe_err(w, ret, "cannot close '%s' before formatting: %s", w->o->device,
				strerror(-ret));
	}
	mkfs_argv(w, "/dev/fd/3", argv);
	json_object_object_add(w->fmt, "tool", json_object_new_string(argv[0]));
	json_object_object_add(w->fmt, "device", json_object_new_string(
		"/dev/fd/3: the wiped device, held open by cardtrail"));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 3);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ret = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret != 0) {
		close(fd);
		json_object_object_add(w->fmt, "result", json_object_new_string(strerror(ret)));
		wipe_fail(w, "format step");
		return wipe_err(w, -ret, "the wipe verified, but %s could not be started: %s", argv[0],
				strerror(ret));
	}
	while (waitpid(pid, &st_code, 0) < 0 && errno == EINTR)
		;
	close(fd);
	json_object_object_add(w->fmt, "exit", json_object_new_int(WIFEXITED(st_code) ?
								      WEXITSTATUS(st_code) : -1));
	if (WIFEXITED(st_code) && WEXITSTATUS(st_code) == 0) {
		json_object_object_add(w->fmt, "result", json_object_new_string("formatted"));
		return 0;
	}
	json_object_object_add(w->fmt, "result", json_object_new_string("FAILED"));
	wipe_fail(w, "format step");
	return wipe_err(w, -EIO, "the wipe verified, but %s on '%s' failed", w->o->format, w->o->device);
}

/* ---- prepare ---- */

static void
choose_verify(struct wipe *w)
{
	unsigned i, n = w->method.npasses;
	int last_ks = -1;

	for (i = 0; i < n; i++) {
		w->passes[i].verify = w->verify == CT_WIPE_VERIFY_ALL;
		if (w->method.passes[i].kind == CT_PASS_KEYSTREAM)
			last_ks = (int)i;
	}
	if (w->verify == CT_WIPE_VERIFY_LAST) {
		w->passes[n - 1].verify = 1;
		/* a keystream pass is what catches a card whose addresses
		 * wrap: the last one is always read back, too */
		if (last_ks >= 0)
			w->passes[last_ks].verify = 1;
	}
}

static int
needs_probe(struct wipe *w)
{
	unsigned i;

	for (i = 0; i < w->method.npasses; i++)
		if (w->method.passes[i].kind == CT_PASS_KEYSTREAM && w->passes[i].verify)
			return 0;
	return 1;
}

/* The device, opened once, read-write and exclusive (a dry run too: it
 * checks what the real run checks). */
static int
open_device(struct wipe *w)
{
	const char *dev = w->o->device;
	char hint[128];
	struct stat st;
	int ret;

	/* a file is refused before it is opened for writing */
	if (stat(dev, &st) == 0 && !S_ISBLK(st.st_mode))
		return wipe_err(w, -ENOTBLK, "'%s' is not a block device: cardtrail wipes cards, not "
				"files", dev);
	ret = ct_dev_open(&w->dev, dev, CT_DEV_RDWR | CT_DEV_EXCL);
	if (ret == -EINVAL || (ret == 0 && w->dev.kind != CT_DEV_BLOCK))
		return wipe_err(w, -ENOTBLK, "'%s' is not a block device: cardtrail wipes cards, not "
				"files", dev);
	if (ret == -EACCES || ret == -EPERM) {
		ct_dev_access_hint(dev, hint, sizeof(hint));
		return wipe_err(w, ret, "cannot open '%s': %s: %s", dev, strerror(-ret), hint);
	}
	if (ret == -EBUSY)
		return wipe_err(w, ret, "'%s' is in use (mounted, or open exclusively by another "
				"program)", dev);
	if (ret == -EROFS)
		return wipe_err(w, ret, "'%s' is read-only: nothing was written", dev);
	if (ret < 0)
		return wipe_err(w, ret, "cannot open '%s': %s", dev, strerror(-ret));
	return 0;
}

/*
 * The safety checks (safety.c).  With --force, every refusal it lifts (a
 * partition, not a removable card) is what it overrode, for the
 * certificate and the records; any other refusal stands.
 */
static int
safety(struct wipe *w)
{
	if (w->o->force && w->overrode == NULL)
		w->overrode = json_object_new_array();
	return wipe_safety(w);
}

static int
prepare(struct wipe *w)
{
	const struct ct_wipe_opts *o = w->o;
	int ret;

	if ((ret = ct_wipe_method_parse(w->spec, &w->method, w->res->error, sizeof(w->res->error))) < 0)
		return ret;
	if ((ret = open_device(w)) < 0)
		return ret;
	if ((ret = ct_identity_fd(w->dev.fd, o->device, &w->ident)) < 0)
		return wipe_err(w, ret, "cannot identify '%s': %s", o->device, strerror(-ret));
	w->card = ct_identity_card(w->ident, w->dev.size);
	w->device = wipe_device_json(w->ident, w->dev.size, w->dev.lss);
	if ((ret = safety(w)) < 0)
		return ret;
	if (w->dev.size == 0 || w->dev.size % 16 || w->bufsize % w->dev.lss)
		return wipe_err(w, -EINVAL, "'%s' has a size (%" PRIu64 ") cardtrail cannot wipe",
				o->device, w->dev.size);
	snprintf(w->dir, sizeof(w->dir), "%s", o->casedir ? o->casedir : o->cert_dir ? o->cert_dir : ".");
	if (o->casedir == NULL && !o->no_image_check)
		return wipe_err(w, -EINVAL, "--case is required: a card is imaged before it is wiped "
				"(or --no-image-check)");
	if (o->casedir == NULL && o->resume)
		return wipe_err(w, -EINVAL, "--resume needs --case: a wipe without a case has no custody "
				"log to bind its state to, and cannot be resumed");
	if (o->casedir) {
		ret = ct_custody_read(o->casedir, &w->log);
		if (ret == 1)
			return wipe_err(w, -ENOENT, "no custody log in '%s': image the card into the case "
					"before wiping it%s", o->casedir, o->no_image_check ? "" :
					" (or --no-image-check)");
		if (ret < 0)
			return wipe_err(w, ret, "cannot read the custody log of '%s': %s", o->casedir,
					strerror(-ret));
	}
	if (o->resume)
		ret = wipe_match_resume(w);
	else if (!o->no_image_check)
		ret = wipe_match(w);
	else {
		w->match = json_object_new_object();
		json_object_object_add(w->match, "method", json_object_new_string("none"));
		wipe_set_base(w, NULL);
	}
	if (ret < 0)
		return ret;
	choose_verify(w);
	w->res->plan = wipe_plan_public(w);
	return 0;
}

/* ---- execute ---- */

/* A new wipe: draw the passes' bytes and keys, record the start, make the
 * state file bound to that record. */
static int
begin(struct wipe *w)
{
	int ret;

	if ((ret = ct_wipe_plan(&w->method, w->plans)) < 0)
		return wipe_err(w, ret, "cannot draw the passes' random bytes and keys: %s", strerror(-ret));
	if (needs_probe(w)) {
		/* a keystream of its own for the address probe, kept in the
		 * state file (a resumed run recognises its blocks) */
		struct ct_wipe_method m = { .npasses = 1, .passes = { { .kind = CT_PASS_KEYSTREAM } } };
		if ((ret = ct_wipe_plan(&m, &w->probe_plan)) < 0)
			return wipe_err(w, ret, "cannot draw the address probe's key: %s", strerror(-ret));
		w->have_probe_plan = 1;
	}
	if (w->o->casedir == NULL) {
		if ((ret = ct_mkdir_p(w->dir)) < 0)
			return wipe_err(w, ret, "cannot create '%s': %s", w->dir, strerror(-ret));
		return 0;	/* no case: no record, no state file, no resume */
	}
	if ((ret = wipe_record_start(w)) < 0)
		return ret;
	return wipe_state_create(w);
}

static int
execute(struct wipe *w)
{
	unsigned i;
	int ret;

	if (!w->resumed)
		ret = begin(w);
	else
		ret = wipe_record_resume(w);
	if (ret < 0)
		return ret;
	if (!w->resumed && w->have_probe_plan &&
	    ((ret = address_probe(w)) < 0 || w->res->verify_failed))
		return ret;
	for (i = w->first; i < w->method.npasses; i++) {
		int first = i == w->first;
		ret = run_pass(w, i, first ? w->first_off : 0, first && w->first_skip_write);
		if (ret < 0 || w->res->verify_failed)
			return ret;
		w->cur_pass = i + 1;
		(void)wipe_state_save(w, "write", 0);
	}
	return 0;
}

/* ---- certify ---- */

static int
certify(struct wipe *w, int ret)
{
	int ok = ret == 0 && !w->res->verify_failed, r;

	if (ok && w->o->discard)
		do_discard(w);
	if (ok && w->o->format && (r = do_format(w)) < 0)
		ret = r;
	ok = ok && ret == 0;
	w->res->cert = wipe_certificate(w, ok);
	if ((w->wrote || ok) && (r = wipe_cert_write(w, w->res->cert)) < 0) {
		/* the run's status must not claim what no certificate says */
		json_object_object_add(w->res->cert, "wipe_result", json_object_get(
					       ct_json_get(w->res->cert, "result")));
		json_object_object_add(w->res->cert, "result", json_object_new_string(
					       "FAILED: certificate not written"));
		if (ret == 0)
			ret = r;
	}
	if (w->o->casedir && w->start_seq && wipe_record_end(w) < 0 && ret == 0)
		ret = -EIO;
	/* a wipe recorded as ended has no more use for its state file; one
	 * whose end could not be recorded keeps it, marked complete: nothing
	 * to resume, and no bar to the next wipe */
	if (w->o->casedir == NULL || w->res->end_seq)
		wipe_state_finish(w);
	else
		wipe_state_complete(w);
	return ret;
}

int
ct_wipe_run(const struct ct_wipe_opts *o, struct ct_wipe_result *res)
{
	struct wipe w;
	unsigned i;
	int ret;

	memset(res, 0, sizeof(*res));
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.res = res;
	w.state_fd = -1;
	w.dev.fd = -1;
	w.bufsize = o->bufsize ? o->bufsize : (4u << 20);
	w.started = time(NULL);
	w.verify = o->verify;
	for (i = 0; i < CT_WIPE_MAX_PASSES; i++)
		w.passes[i].mismatches = json_object_new_array();
	snprintf(w.spec, sizeof(w.spec), "%s", o->method_spec ? o->method_spec : "nist-clear");

	if ((ret = ct_gcrypt_init()) < 0)
		goto out;
	if ((ret = prepare(&w)) < 0)
		goto refuse;
	if (o->dry_run)
		goto out;
	if (o->confirm && o->confirm(res->plan, o->confirm_ctx) != 0) {
		ret = wipe_err(&w, -ECANCELED, "not confirmed: nothing was written");
		goto refuse;
	}
	ret = execute(&w);
	if (res->interrupted)
		goto out;	/* the state file says where to go on */
	if (!w.wrote && ret < 0 && w.start_seq == 0)
		goto refuse;	/* nothing written, nothing recorded */
	ret = certify(&w, ret);
	snprintf(res->method_spec, sizeof(res->method_spec), "%s", w.spec);
	goto out;
refuse:
	res->refused = 1;
out:
	if (w.state_fd >= 0 && w.created_state && !w.wrote && !w.start_seq) {
		/* nothing was written or recorded: the state file would only
		 * block the next run */
		(void)unlink(res->state_path);
		(void)ct_fsync_dir(w.dir);
	}
	if (w.state_fd >= 0)
		close(w.state_fd);
	if (w.dev.fd >= 0) {
		int r = ct_dev_close(&w.dev);
		if (r < 0 && ret == 0)
			ret = wipe_err(&w, r, "cannot close '%s': %s", o->device, strerror(-r));
	}
	for (i = 0; i < CT_WIPE_MAX_PASSES; i++)
		json_object_put(w.passes[i].mismatches);
	json_object_put(w.probe);
	json_object_put(w.disc);
	json_object_put(w.fmt);
	json_object_put(w.state);
	json_object_put(w.ident);
	json_object_put(w.card);
	json_object_put(w.device);
	json_object_put(w.match);
	json_object_put(w.overrode);
	ct_custody_release(&w.log);
	explicit_bzero(w.plans, sizeof(w.plans));
	explicit_bzero(&w.probe_plan, sizeof(w.probe_plan));
	return ret;
}

void
ct_wipe_result_release(struct ct_wipe_result *res)
{
	if (res == NULL)
		return;
	json_object_put(res->cert);
	json_object_put(res->plan);
	res->cert = res->plan = NULL;
}
