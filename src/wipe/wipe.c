/*
 * wipe.c — `cardtrail wipe`: safety checks, the image-before-wipe rule,
 * an address probe, the passes (written through the pipeline, flushed,
 * read back with O_DIRECT and compared with the regenerated pattern), a
 * resumable state file, discard, and the certificate.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>
#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/dev.h"
#include "cardtrail/hash.h"
#include "cardtrail/identity.h"
#include "cardtrail/image.h"
#include "cardtrail/pipe.h"
#include "cardtrail/util.h"
#include "cardtrail/wipe.h"

extern char **environ;

#define STATE_SAVE_SECONDS 1.0
#define PROBE_BLOCKS 64
#define PROBE_SIZE 4096
#define MAX_MISMATCH_LIST 16
#define HEAD_BYTES (1u << 20)	/* compared with the image when there is no serial */

struct wipe {
	const struct ct_wipe_opts *o;
	struct ct_wipe_result *res;
	struct ct_dev dev;
	struct json_object *ident, *card;
	struct ct_wipe_method method;
	struct ct_pass_plan plans[CT_WIPE_MAX_PASSES];
	int verify_pass[CT_WIPE_MAX_PASSES];
	struct json_object *pass_results;	/* array, one object per pass */
	char dir[PATH_MAX];		/* case or cert dir */
	char base[128];			/* E1, or serial-time */
	int state_fd;
	struct json_object *state;
	unsigned cur_pass;
	uint64_t synced;		/* bytes of the current pass written and synced */
	double last_save, t0;
	double last_report;		/* progress, at most every 0.2 s */
	size_t bufsize;
	enum ct_wipe_verify verify;	/* the first run's, on --resume */
	int write_errno;
	uint64_t write_err_off;
	time_t started;
	char spec[512];			/* the method spec (the first run's, on --resume) */
	const char *fail;		/* what failed, for the result: "write error", … */
	int created_state;		/* this run created the state file */
	int state_err;			/* a state_save failed (-errno), the first one */
	unsigned char *head;		/* the device's first head_len bytes */
	size_t head_len;
	unsigned char *img_head;	/* the matched evidence image's, or NULL */
	struct ct_pass_plan probe_plan;
	int have_probe_plan;
};

static int
werr(struct wipe *w, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
werr(struct wipe *w, int err, const char *fmt, ...)
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
static void
wfail(struct wipe *w, const char *what)
{
	if (w->fail == NULL)
		w->fail = what;
}

static struct json_object *
jint(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static void
hex(const unsigned char *d, size_t n, char *out)
{
	ct_hex(d, n, out);
}

static int
unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;

	if (s == NULL || strlen(s) != 2 * n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* ---- safety ---- */

static int
sys_attr_exists(dev_t d, const char *attr)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%s", major(d), minor(d), attr);
	return stat(path, &st) == 0;
}

static int
holders_count(dev_t d)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders", major(d), minor(d));
	dir = opendir(path);
	if (dir == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* Is any of devs[] a swap device? */
static int
is_swap(const dev_t *devs, size_t n)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[512];
	int found = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char name[400];
		struct stat st;
		size_t i;

		if (sscanf(line, "%399s", name) != 1 || name[0] != '/')
			continue;
		if (stat(name, &st) < 0 || !S_ISBLK(st.st_mode))
			continue;
		for (i = 0; i < n; i++)
			if (st.st_rdev == devs[i])
				found = 1;
	}
	fclose(f);
	return found;
}

static int
safety_checks(struct wipe *w)
{
	const char *transport = ct_json_str(w->ident, "transport", NULL);
	struct json_object *rem = ct_json_get(w->ident, "removable");
	dev_t parts[256];
	size_t np = 0, i;
	int mounted = 0, rw = 0, ret;
	struct stat st;

	if (w->dev.kind != CT_DEV_BLOCK)
		return werr(w, -ENOTBLK, "'%s' is not a block device: cardtrail wipes cards, not "
			    "files", w->o->device);
	if (sys_attr_exists(w->dev.rdev, "partition") && !w->o->force)
		return werr(w, -EINVAL, "'%s' is a partition: name the whole card (or --force)",
			    w->o->device);
	if ((ret = ct_mount_state(w->dev.rdev, &mounted, &rw, NULL)) < 0)
		return werr(w, ret, "cannot tell whether '%s' is mounted: %s", w->o->device,
			    strerror(-ret));
	if (mounted > 0)
		return werr(w, -EBUSY, "'%s' (or a partition of it) is mounted: unmount it first",
			    w->o->device);
	if (stat("/", &st) == 0 && ct_path_on_device("/", w->dev.rdev) > 0)
		return werr(w, -EBUSY, "'%s' holds the running system", w->o->device);
	if ((ret = ct_dev_partitions(w->dev.rdev, parts, CT_ARRAY_SIZE(parts), &np)) < 0)
		np = 1, parts[0] = w->dev.rdev;
	if (is_swap(parts, np))
		return werr(w, -EBUSY, "'%s' (or a partition of it) is in use as swap", w->o->device);
	for (i = 0; i < np; i++)
		if (holders_count(parts[i]) > 0)
			return werr(w, -EBUSY, "'%s' is a member of something (a device-mapper, RAID "
				    "or loop device holds it: see /sys/dev/block/%u:%u/holders)",
				    w->o->device, major(parts[i]), minor(parts[i]));
	if (w->o->force)
		return 0;
	if (transport && !strcmp(transport, "mmc")) {
		/* an SD card in an SD slot; eMMC (type "MMC") is soldered-in
		 * system storage, SDIO is not storage */
		const char *type = ct_json_str(ct_json_get(w->ident, "sd"), "type", NULL);
		if (type == NULL || strcmp(type, "SD"))
			return werr(w, -EPERM, "'%s' is not a removable card (transport mmc, type %s: "
				    "eMMC or not an SD card): refusing unless --force", w->o->device,
				    type ? type : "unknown");
		return 0;
	}
	if (!(rem && json_object_get_boolean(rem)))
		return werr(w, -EPERM, "'%s' is not a removable card (transport %s%s): refusing "
			    "unless --force", w->o->device, transport ? transport : "unknown",
			    transport && !strcmp(transport, "usb") ?
			    ", not removable: a USB disk, not a card reader" : "");
	return 0;
}

/* ---- content check (cards without a serial) ---- */

/* Do card records a and b name the same card by CID or serial? */
static int
identified(struct json_object *a, struct json_object *b)
{
	const char *x, *y;

	x = ct_json_str(a, "cid", NULL);
	y = ct_json_str(b, "cid", NULL);
	if (x && y)
		return !strcmp(x, y);
	x = ct_json_str(a, "serial", NULL);
	y = ct_json_str(b, "serial", NULL);
	return x && y && !strcmp(x, y);
}

/* The device's first min(1 MiB, size) bytes, read once (O_DIRECT). */
static int
dev_head(struct wipe *w)
{
	size_t got = 0;
	int ret;

	if (w->head)
		return 0;
	w->head_len = w->dev.size < HEAD_BYTES ? (size_t)w->dev.size : HEAD_BYTES;
	w->head = ct_alloc_aligned(w->head_len);
	if (w->head == NULL)
		return -ENOMEM;
	ret = ct_dev_read(&w->dev, w->head, w->head_len, 0, &got);
	if (ret == 0 && got < w->head_len)
		ret = -EIO;
	if (ret < 0) {
		free(w->head);
		w->head = NULL;
	}
	return ret;
}

/* The first len bytes of the image of evidence ev, from the segments its
 * acquisition record lists.  *out is a new buffer. */
static int
image_head(struct wipe *w, const char *ev, size_t len, unsigned char **out)
{
	char path[PATH_MAX];
	struct json_object *acq, *segs;
	unsigned char *buf;
	size_t done = 0, i;
	int ret = 0;

	*out = NULL;
	if (ct_snprintf(path, sizeof(path), "%s/%s.acquisition.json", w->o->casedir, ev) < 0)
		return -ENAMETOOLONG;
	if ((acq = json_object_from_file(path)) == NULL)
		return -ENOENT;
	segs = ct_json_get(acq, "segments");
	if ((buf = malloc(len ? len : 1)) == NULL) {
		json_object_put(acq);
		return -ENOMEM;
	}
	for (i = 0; segs && i < json_object_array_length(segs) && done < len && ret == 0; i++) {
		struct json_object *sg = json_object_array_get_idx(segs, i);
		const char *name = ct_json_str(sg, "path", NULL);
		uint64_t soff = (uint64_t)json_object_get_int64(ct_json_get(sg, "offset"));
		uint64_t sbytes = (uint64_t)json_object_get_int64(ct_json_get(sg, "bytes"));
		size_t want;
		int fd;

		if (name == NULL || soff != done) {
			ret = -EINVAL;
			break;
		}
		want = sbytes < len - done ? (size_t)sbytes : len - done;
		if (ct_snprintf(path, sizeof(path), "%s/%s", w->o->casedir, name) < 0) {
			ret = -ENAMETOOLONG;
			break;
		}
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
			ret = -errno;
			break;
		}
		while (want > 0) {
			ssize_t n = pread(fd, buf + done, want, (off_t)(done - soff));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				ret = n < 0 ? -errno : -EIO;
				break;
			}
			done += (size_t)n;
			want -= (size_t)n;
		}
		close(fd);
	}
	json_object_put(acq);
	if (ret == 0 && done < len)
		ret = -EIO;
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*out = buf;
	return 0;
}

static int
plan_from_json(struct json_object *p, struct ct_pass_plan *q)
{
	const char *kind = ct_json_str(p, "kind", NULL);

	memset(q, 0, sizeof(*q));
	if (kind && !strcmp(kind, "keystream")) {
		q->keystream = 1;
		if (unhex(ct_json_str(p, "key", NULL), q->key, 16) < 0 ||
		    unhex(ct_json_str(p, "nonce", NULL), q->nonce, 8) < 0)
			return -EINVAL;
	} else {
		const char *pat = ct_json_str(p, "pattern", NULL);
		q->patlen = pat ? (unsigned)strlen(pat) / 2 : 0;
		if ((q->patlen != 1 && q->patlen != 3) || unhex(pat, q->pat, q->patlen) < 0)
			return -EINVAL;
	}
	return 0;
}

/*
 * A wipe in progress (state st) changed the card since it was imaged: is
 * every sector of the device's head what that wipe can have left there?
 * The current pass's pattern, the previous pass's, and before the first
 * pass ended the image's content or the address probe's blocks.  img may
 * be NULL (no image to compare with).  1 yes, 0 no, -errno.
 */
static int
state_head_ok(struct wipe *w, struct json_object *st, const unsigned char *img)
{
	struct json_object *arr = ct_json_get(st, "plans");
	size_t n = arr ? json_object_array_length(arr) : 0, s, k, sec = w->dev.lss ? w->dev.lss : 512;
	struct ct_pass_plan cand[2];
	unsigned char *fill[2] = { NULL, NULL };
	unsigned pass = (unsigned)json_object_get_int(ct_json_get(st, "pass")), nc = 0;
	const char *phase = ct_json_str(st, "phase", "write");
	uint64_t saved = strcmp(phase, "write") ? UINT64_MAX :
		(uint64_t)json_object_get_int64(ct_json_get(st, "offset"));
	int ret = 1;

	if (n == 0 || n > CT_WIPE_MAX_PASSES || w->head == NULL)
		return 0;
	if (pass >= n)
		pass = (unsigned)n - 1;
	if (plan_from_json(json_object_array_get_idx(arr, pass), &cand[nc]) == 0)
		nc++;
	if (pass > 0 && plan_from_json(json_object_array_get_idx(arr, pass - 1), &cand[nc]) == 0)
		nc++;
	else if (pass == 0 && ct_json_get(st, "probe_plan") &&
		 plan_from_json(ct_json_get(st, "probe_plan"), &cand[nc]) == 0)
		nc++;
	for (k = 0; k < nc && ret == 1; k++) {
		struct ct_pass_cipher *c = NULL;
		if ((fill[k] = malloc(w->head_len)) == NULL)
			ret = -ENOMEM;
		else if ((ret = ct_pass_cipher_open(&cand[k], &c)) == 0 &&
			 (ret = ct_pass_fill(&cand[k], c, fill[k], w->head_len, 0)) == 0)
			ret = 1;
		ct_pass_cipher_close(c);
	}
	for (s = 0; s < w->head_len && ret == 1; s += sec) {
		size_t l = w->head_len - s < sec ? w->head_len - s : sec;
		/* before the first pass passed a sector, it holds the card's
		 * own content: the image's, or unknown without one */
		int good = pass == 0 && s >= saved && (img == NULL || !memcmp(w->head + s, img + s, l));
		for (k = 0; k < nc && !good; k++)
			good = !memcmp(w->head + s, fill[k] + s, l);
		if (!good)
			ret = 0;
	}
	for (k = 0; k < 2; k++)
		free(fill[k]);
	explicit_bzero(cand, sizeof(cand));
	return ret;
}

/*
 * A card with no CID or serial on one side: is it the card imaged as ev?
 * Its head equals the image's, or a wipe of ev in progress (an unfinished
 * state file in the case) explains every sector of it.  The image's head
 * is kept in w->img_head when it matches.  1 yes, 0 no, -errno.
 */
static int
head_matches(struct wipe *w, const char *ev)
{
	unsigned char *img = NULL;
	int ret;

	if ((ret = dev_head(w)) < 0 || (ret = image_head(w, ev, w->head_len, &img)) < 0)
		return ret;
	ret = memcmp(img, w->head, w->head_len) == 0;
	if (!ret) {
		char path[PATH_MAX];
		struct json_object *st = NULL;
		if (ct_snprintf(path, sizeof(path), "%s/%s.wipe.state", w->o->casedir, ev) == 0 &&
		    (st = json_object_from_file(path)) != NULL &&
		    !json_object_get_boolean(ct_json_get(st, "complete")) &&
		    (uint64_t)json_object_get_int64(ct_json_get(st, "size")) == w->dev.size)
			ret = state_head_ok(w, st, img);
		json_object_put(st);
	}
	if (ret == 1) {
		free(w->img_head);
		w->img_head = img;
	} else {
		free(img);
	}
	return ret;
}

/* The image-before-wipe rule: a complete, verified image of this card in
 * the case.  Sets res->evidence. */
static int
case_match(struct wipe *w)
{
	struct ct_custody_log log;
	const char *cid = ct_json_str(w->card, "cid", NULL), *serial = ct_json_str(w->card, "serial", NULL);
	char seen[1024] = "", differ[256] = "", cmperr[512] = "";
	size_t i;
	int ret, n = 0;

	ret = ct_custody_read(w->o->casedir, &log);
	if (ret == 1)
		return werr(w, -ENOENT, "no custody log in '%s': image the card into the case "
			    "before wiping it (or --no-image-check)", w->o->casedir);
	if (ret < 0)
		return werr(w, ret, "cannot read the custody log of '%s': %s", w->o->casedir,
			    strerror(-ret));
	for (i = 0; i < log.n; i++) {
		struct json_object *r = log.lines[i].rec, *res, *c, *v;
		const char *a = ct_json_str(r, "action", NULL), *ev;
		int ok;

		if (a == NULL || strcmp(a, "image"))
			continue;
		res = ct_json_get(r, "result");
		c = ct_json_get(ct_json_get(r, "subject"), "card");
		ev = ct_json_str(ct_json_get(r, "subject"), "evidence", NULL);
		v = ct_json_get(res, "verify");
		ok = json_object_get_boolean(ct_json_get(res, "complete")) &&
		     (ct_json_get(v, "image") == NULL || json_object_get_boolean(ct_json_get(v, "image"))) &&
		     (ct_json_get(v, "source") == NULL || json_object_get_boolean(ct_json_get(v, "source"))) &&
		     (ct_json_get(v, "image") || ct_json_get(v, "source"));
		if (ev && n++ < 8) {
			size_t l = strlen(seen);
			snprintf(seen + l, sizeof(seen) - l, "%s%s (%lld bytes%s%s%s)", l ? ", " : "", ev,
				 (long long)json_object_get_int64(ct_json_get(c, "size")),
				 ct_json_str(c, "serial", NULL) ? ", serial " : "", ct_json_str(c, "serial", NULL) ?: "",
				 ok ? "" : ", not verified");
		}
		if (!ok || c == NULL || (uint64_t)json_object_get_int64(ct_json_get(c, "size")) != w->dev.size)
			continue;
		if (cid && ct_json_str(c, "cid", NULL) && strcmp(cid, ct_json_str(c, "cid", NULL)))
			continue;
		if (serial && ct_json_str(c, "serial", NULL) && strcmp(serial, ct_json_str(c, "serial", NULL)))
			continue;
		if ((cid != NULL) != (ct_json_str(c, "cid", NULL) != NULL) && (serial != NULL) != (ct_json_str(c, "serial", NULL) != NULL))
			continue;	/* one side knows the card, the other does not */
		if (!identified(w->card, c)) {
			/* the same size and no serial to tell: USB readers hide
			 * the CID, loop devices have none; the content must say */
			int hm = ev ? head_matches(w, ev) : 0;
			if (hm < 0 && cmperr[0] == '\0')
				snprintf(cmperr, sizeof(cmperr), "cannot compare '%s' with the image of "
					 "%s: %s", w->o->device, ev, strerror(-hm));
			if (hm <= 0) {
				size_t l = strlen(differ);
				if (hm == 0 && ev)
					snprintf(differ + l, sizeof(differ) - l, "%s%s", l ? ", " : "", ev);
				continue;
			}
		}
		snprintf(w->res->evidence, sizeof(w->res->evidence), "%s", ev ? ev : "");
	}
	ct_custody_release(&log);
	if (w->res->evidence[0] == '\0' && differ[0] && w->o->resume) {
		/* --resume: no unfinished wipe explains the card's content */
		char ev[64], path[PATH_MAX];
		struct stat st;
		snprintf(ev, sizeof(ev), "%.*s", (int)strcspn(differ, ","), differ);
		if (ct_snprintf(path, sizeof(path), "%s/%s.wipe.state", w->o->casedir, ev) == 0 &&
		    stat(path, &st) < 0 && errno == ENOENT)
			return werr(w, -ENOENT, "nothing to resume: no %s", path);
	}
	if (w->res->evidence[0] == '\0' && differ[0])
		return werr(w, -EPERM, "'%s' has no serial and its first MiB differs from the image "
			    "of %s: not the imaged card (or it changed since); --no-image-check to "
			    "wipe anyway", w->o->device, differ);
	if (w->res->evidence[0] == '\0' && cmperr[0])
		return werr(w, -EIO, "%s; --no-image-check to wipe anyway", cmperr);
	if (w->res->evidence[0] == '\0')
		return werr(w, -EPERM, "'%s' (%" PRIu64 " bytes%s%s) matches no verified image in "
			    "'%s'%s%s: image it first (or --no-image-check)", w->o->device, w->dev.size,
			    serial ? ", serial " : "", serial ? serial : "", w->o->casedir,
			    seen[0] ? "; imaged there: " : "", seen);
	return 0;
}

/* ---- state file (resume) ---- */

static int
state_save(struct wipe *w, const char *phase, uint64_t off)
{
	const char *text;
	size_t len;
	int ret;

	if (w->state_fd < 0)
		return 0;
	json_object_object_add(w->state, "pass", json_object_new_int((int)w->cur_pass));
	json_object_object_add(w->state, "phase", json_object_new_string(phase));
	json_object_object_add(w->state, "offset", jint(off));
	json_object_object_add(w->state, "passes_done", json_object_get(w->pass_results));
	text = json_object_to_json_string_ext(w->state, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	ret = ct_pwrite_all(w->state_fd, text, len, 0);
	if (ret == 0 && ftruncate(w->state_fd, (off_t)len) < 0)
		ret = -errno;
	if (ret == 0 && fdatasync(w->state_fd) < 0)
		ret = -errno;
	if (ret < 0 && w->state_err == 0)
		w->state_err = ret;
	return ret;
}

static struct json_object *pass_plan_json(const struct ct_pass_plan *q);

static struct json_object *
plans_json(struct wipe *w)
{
	struct json_object *arr = json_object_new_array();
	unsigned i;

	for (i = 0; i < w->method.npasses; i++)
		json_object_array_add(arr, pass_plan_json(&w->plans[i]));
	return arr;
}

static struct json_object *
pass_plan_json(const struct ct_pass_plan *q)
{
	struct json_object *p = json_object_new_object();
	char h[40];

	if (q->keystream) {
		json_object_object_add(p, "kind", json_object_new_string("keystream"));
		hex(q->key, 16, h);
		json_object_object_add(p, "key", json_object_new_string(h));
		hex(q->nonce, 8, h);
		json_object_object_add(p, "nonce", json_object_new_string(h));
	} else {
		json_object_object_add(p, "kind", json_object_new_string("pattern"));
		hex(q->pat, q->patlen, h);
		json_object_object_add(p, "pattern", json_object_new_string(h));
	}
	return p;
}

static int
plans_from_json(struct wipe *w, struct json_object *arr)
{
	size_t i;

	if (arr == NULL || json_object_array_length(arr) != w->method.npasses)
		return -EINVAL;
	for (i = 0; i < w->method.npasses; i++)
		if (plan_from_json(json_object_array_get_idx(arr, i), &w->plans[i]) < 0)
			return -EINVAL;
	return 0;
}

/* ---- passes ---- */

struct pass_ctx {
	struct wipe *w;
	const struct ct_pass_plan *plan;
	struct ct_pass_cipher *cipher;	/* reader thread's */
	struct ct_pass_cipher *cipher2;	/* consumer thread's */
	unsigned char *expect;		/* consumer's buffer */
	uint64_t mismatch_bytes, first_mismatch;
	uint64_t wrap_min;		/* smallest origin - offset seen, or 0 */
	struct json_object *mismatches;
	int read_errno;
	uint64_t read_err_off;
};

static void
report(struct wipe *w, int verifying, uint64_t done)
{
	struct ct_wipe_progress p;
	double now = ct_now();

	if (w->o->progress == NULL || (now - w->last_report < 0.2 && done < w->dev.size))
		return;
	w->last_report = now;
	p.pass = w->cur_pass + 1;
	p.npasses = w->method.npasses;
	p.verifying = verifying;
	p.done = done;
	p.total = w->dev.size;
	p.elapsed = now - w->t0;
	w->o->progress(&p, w->o->progress_ctx);
}

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
		return ret;
	}
	report(w, 0, b->off + b->len);
	if (ct_now() - w->last_save >= STATE_SAVE_SECONDS) {
		if (fdatasync(w->dev.fd) < 0) {
			w->write_errno = errno;
			w->write_err_off = b->off;
			return -errno;
		}
		w->synced = b->off + b->len;
		w->last_save = ct_now();
		(void)state_save(w, "write", w->synced);
	}
	return 0;
}

static int
dev_read(void *ctx, struct ct_pipe_buf *b, size_t cap)
{
	struct pass_ctx *pc = ctx;
	uint64_t size = pc->w->dev.size;
	size_t n, got;
	int ret;

	if (b->off >= size)
		return 0;
	n = (size_t)(size - b->off < cap ? size - b->off : cap);
	ret = ct_dev_read(&pc->w->dev, b->data, n, b->off, &got);
	if (ret < 0) {
		pc->read_errno = -ret;
		pc->read_err_off = b->off + got;
		return ret;
	}
	b->len = n;
	report(pc->w, 1, b->off + n);
	return 0;
}

static int
compare_consume(void *ctx, const struct ct_pipe_buf *b)
{
	struct pass_ctx *pc = ctx;
	size_t s, sec = pc->w->dev.lss;
	int ret;

	if ((ret = ct_pass_fill(pc->plan, pc->cipher2, pc->expect, b->len, b->off)) < 0)
		return ret;
	if (memcmp(pc->expect, b->data, b->len) == 0)
		return 0;
	for (s = 0; s < b->len; s += sec) {
		uint64_t off = b->off + s;
		int64_t origin;

		if (memcmp(pc->expect + s, b->data + s, sec) == 0)
			continue;
		if (pc->mismatch_bytes == 0)
			pc->first_mismatch = off;
		pc->mismatch_bytes += sec;
		if (json_object_array_length(pc->mismatches) < MAX_MISMATCH_LIST)
			json_object_array_add(pc->mismatches, jint(off));
		/* where was this block written?  (a wrapped address) */
		origin = ct_pass_block_origin(pc->plan, pc->cipher2, b->data + s);
		if (origin > (int64_t)off) {
			uint64_t d = (uint64_t)origin - off;
			if (pc->wrap_min == 0 || d < pc->wrap_min)
				pc->wrap_min = d;
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

static int
run_pass(struct wipe *w, unsigned i, int verify, uint64_t start, int skip_write,
	 struct json_object *pr)
{
	struct pass_ctx pc;
	struct ct_consumer cons;
	struct ct_pipe_cfg cfg = { .bufsize = w->bufsize, .nslots = 8 };
	double t;
	int ret, failed;

	memset(&pc, 0, sizeof(pc));
	pc.w = w;
	pc.plan = &w->plans[i];
	pc.mismatches = json_object_new_array();
	w->cur_pass = i;
	if ((ret = ct_pass_cipher_open(pc.plan, &pc.cipher)) < 0 ||
	    (ret = ct_pass_cipher_open(pc.plan, &pc.cipher2)) < 0) {
		werr(w, ret, "pass %u: cannot set up its cipher: %s", i + 1, strerror(-ret));
		wfail(w, "internal error");
		goto out;
	}

	if (!skip_write) {
		w->synced = start;
		w->last_save = ct_now();
		(void)state_save(w, "write", start);
		t = ct_now();
		w->t0 = t;
		cfg.start = start;
		cfg.read = gen_read;
		cfg.read_ctx = &pc;
		cons = (struct ct_consumer){ .name = "writer", .consume = write_consume, .ctx = &pc };
		ret = ct_pipe_run(&cfg, &cons, 1, &failed);
		if (ret < 0) {
			if (ret == -EINTR) {
				(void)fdatasync(w->dev.fd);
				(void)state_save(w, "write", w->synced);
				w->res->interrupted = 1;
				werr(w, ret, "interrupted during pass %u at offset %" PRIu64 "; run the "
				     "same command with --resume to continue", i + 1, w->synced);
			} else if (w->write_errno) {
				wfail(w, "write error");
				werr(w, ret, "write error in pass %u at offset %" PRIu64 ": %s", i + 1,
				     w->write_err_off, strerror(w->write_errno));
				json_object_object_add(pr, "write_error", json_object_new_string(
							       strerror(w->write_errno)));
				json_object_object_add(pr, "write_error_offset", jint(w->write_err_off));
			} else {
				wfail(w, "error while writing");
				werr(w, ret, "pass %u failed: %s", i + 1, strerror(-ret));
			}
			goto out;
		}
		if ((ret = flush_dev(w)) < 0) {
			wfail(w, "flush error after writing");
			werr(w, ret, "cannot flush '%s' after pass %u: %s", w->o->device, i + 1,
			     strerror(-ret));
			json_object_object_add(pr, "write_error", json_object_new_string(strerror(-ret)));
			goto out;
		}
		json_object_object_add(pr, "written", json_object_new_boolean(1));
		json_object_object_add(pr, "write_seconds", json_object_new_double(ct_now() - t));
		w->synced = w->dev.size;
		(void)state_save(w, verify ? "verify" : "write", w->dev.size);
	}
	if (!verify) {
		json_object_object_add(pr, "verified", json_object_new_string("not read back"));
		ret = 0;
		goto out;
	}
	pc.expect = ct_alloc_aligned(w->bufsize);
	if (pc.expect == NULL) {
		ret = werr(w, -ENOMEM, "pass %u: out of memory for the read-back", i + 1);
		wfail(w, "internal error");
		goto out;
	}
	t = ct_now();
	w->t0 = t;
	cfg.start = 0;
	cfg.read = dev_read;
	cfg.read_ctx = &pc;
	cons = (struct ct_consumer){ .name = "compare", .consume = compare_consume, .ctx = &pc };
	ret = ct_pipe_run(&cfg, &cons, 1, &failed);
	if (ret == -EINTR) {
		(void)state_save(w, "verify", w->dev.size);
		w->res->interrupted = 1;
		werr(w, ret, "interrupted while verifying pass %u; run the same command with "
		     "--resume to continue", i + 1);
		goto out;
	}
	if (ret < 0) {
		wfail(w, "read error during read-back");
		werr(w, ret, "read error verifying pass %u at offset %" PRIu64 ": %s", i + 1,
		     pc.read_err_off, strerror(pc.read_errno ? pc.read_errno : -ret));
		json_object_object_add(pr, "verified", json_object_new_string("read error"));
		json_object_object_add(pr, "read_error_offset", jint(pc.read_err_off));
		goto out;
	}
	json_object_object_add(pr, "verify_seconds", json_object_new_double(ct_now() - t));
	if (pc.mismatch_bytes) {
		json_object_object_add(pr, "verified", json_object_new_string("MISMATCH"));
		wfail(w, "read-back mismatch");
		json_object_object_add(pr, "mismatch_bytes", jint(pc.mismatch_bytes));
		json_object_object_add(pr, "first_mismatch", jint(pc.first_mismatch));
		json_object_object_add(pr, "mismatch_offsets", json_object_get(pc.mismatches));
		w->res->verify_failed = 1;
		if (pc.wrap_min) {
			w->res->wrapped = 1;
			w->res->real_capacity = pc.wrap_min;
			json_object_object_add(pr, "addresses_wrap_at", jint(pc.wrap_min));
			werr(w, 0, "pass %u did not read back: addresses wrap around (a counterfeit "
			     "card?): offset %" PRIu64 " holds what was written %" PRIu64 " bytes "
			     "further; apparent real capacity %" PRIu64 " bytes of %" PRIu64, i + 1,
			     pc.first_mismatch, pc.wrap_min, pc.wrap_min, w->dev.size);
		} else {
			werr(w, 0, "pass %u did not read back as written: %" PRIu64 " bytes differ, "
			     "first at offset %" PRIu64, i + 1, pc.mismatch_bytes, pc.first_mismatch);
		}
	} else {
		json_object_object_add(pr, "verified", json_object_new_string("match"));
	}
	ret = 0;
out:
	json_object_put(pc.mismatches);
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
address_probe(struct wipe *w, struct json_object *out)
{
	const struct ct_pass_plan *plan = &w->probe_plan;
	struct ct_pass_cipher *c = NULL;
	unsigned char *buf = NULL, *rd = NULL;
	uint64_t offs[PROBE_BLOCKS + 1], size = w->dev.size, wrap_min = 0, bad = 0, first_bad = 0;
	size_t n = 0, i, got;
	int ret;

	/* a keystream of its own (w->probe_plan, drawn with the state file):
	 * blocks that name their address */
	if (size < 2 * PROBE_SIZE)
		return 0;
	for (i = 0; i < PROBE_BLOCKS; i++) {
		uint64_t o = size / PROBE_BLOCKS * i / PROBE_SIZE * PROBE_SIZE;
		if (n == 0 || o != offs[n - 1])
			offs[n++] = o;
	}
	offs[n++] = (size - PROBE_SIZE) / PROBE_SIZE * PROBE_SIZE;
	buf = ct_alloc_aligned(PROBE_SIZE);
	rd = ct_alloc_aligned(PROBE_SIZE);
	if (buf == NULL || rd == NULL || (ret = ct_pass_cipher_open(plan, &c)) < 0) {
		ret = werr(w, -ENOMEM, "the address probe cannot start: out of memory");
		wfail(w, "internal error");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((ret = ct_pass_fill(plan, c, buf, PROBE_SIZE, offs[i])) < 0) {
			werr(w, ret, "the address probe: %s", strerror(-ret));
			wfail(w, "internal error");
			goto out;
		}
		if ((ret = ct_pwrite_all(w->dev.fd, buf, PROBE_SIZE, offs[i])) < 0) {
			wfail(w, "write error during the address probe");
			werr(w, ret, "write error during the address probe at offset %" PRIu64 ": %s",
			     offs[i], strerror(-ret));
			goto out;
		}
	}
	if ((ret = flush_dev(w)) < 0) {
		wfail(w, "flush error during the address probe");
		werr(w, ret, "cannot flush '%s' after the address probe's writes: %s", w->o->device,
		     strerror(-ret));
		goto out;
	}
	for (i = 0; i < n; i++) {
		int64_t origin;

		if ((ret = ct_dev_read(&w->dev, rd, PROBE_SIZE, offs[i], &got)) < 0) {
			wfail(w, "read error during the address probe");
			werr(w, ret, "read error during the address probe at offset %" PRIu64 ": %s",
			     offs[i], strerror(-ret));
			goto out;
		}
		if ((ret = ct_pass_fill(plan, c, buf, PROBE_SIZE, offs[i])) < 0) {
			werr(w, ret, "the address probe: %s", strerror(-ret));
			wfail(w, "internal error");
			goto out;
		}
		if (memcmp(buf, rd, PROBE_SIZE) == 0)
			continue;
		if (bad++ == 0)
			first_bad = offs[i];
		origin = ct_pass_block_origin(plan, c, rd);
		if (origin > (int64_t)offs[i] && (wrap_min == 0 || (uint64_t)origin - offs[i] < wrap_min))
			wrap_min = (uint64_t)origin - offs[i];
	}
	json_object_object_add(out, "blocks", jint(n));
	json_object_object_add(out, "block_size", jint(PROBE_SIZE));
	json_object_object_add(out, "failed", jint(bad));
	if (bad) {
		w->res->verify_failed = 1;
		if (wrap_min) {
			w->res->wrapped = 1;
			w->res->real_capacity = wrap_min;
			json_object_object_add(out, "addresses_wrap_at", jint(wrap_min));
			werr(w, 0, "the address probe found wrapped addresses (a counterfeit card?): "
			     "apparent real capacity %" PRIu64 " bytes of %" PRIu64, wrap_min, size);
		} else {
			wfail(w, "the address probe did not read back");
			werr(w, 0, "the address probe did not read back: %" PRIu64 " of %zu blocks "
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
do_discard(struct wipe *w, struct json_object *out)
{
	uint64_t range[2] = { 0, w->dev.size };

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

/* mkfs on the device, its output thrown away; exit status recorded. */
static int
do_format(struct wipe *w, struct json_object *out)
{
	const char *argv[8];
	char *const *av = (char *const *)argv;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = 0, ret, n = 0;

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
	argv[n++] = w->o->device;
	argv[n] = NULL;
	json_object_object_add(out, "filesystem", json_object_new_string(w->o->format));
	json_object_object_add(out, "tool", json_object_new_string(argv[0]));
	if (w->o->label)
		json_object_object_add(out, "label", json_object_new_string(w->o->label));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ret = posix_spawnp(&pid, argv[0], &fa, NULL, av, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret != 0) {
		json_object_object_add(out, "result", json_object_new_string(strerror(ret)));
		return -ret;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	json_object_object_add(out, "exit", json_object_new_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1));
	json_object_object_add(out, "result", json_object_new_string(
				       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "formatted" : "FAILED"));
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static const char honesty[] =
	"Clear, not Purge: flash memory cards remap blocks into spare area that the host "
	"cannot address, so an overwrite of every addressable sector, verified by read-back, "
	"is NIST SP 800-88 Clear. Where the data's sensitivity requires Purge or Destroy, "
	"destroy the card physically (shred or disintegrate).";

static char *
cert_text(struct json_object *c)
{
	struct json_object *media = ct_json_get(c, "media"), *sd = ct_json_get(media, "sd");
	struct json_object *passes = ct_json_get(c, "passes"), *v, *disc = ct_json_get(c, "discard");
	struct json_object *fmt = ct_json_get(c, "format"), *probe = ct_json_get(c, "address_probe");
	char *buf = NULL, hs[32];
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	ct_human_size((uint64_t)json_object_get_int64(ct_json_get(media, "capacity")), hs, sizeof(hs));
	fprintf(f, "CERTIFICATE OF SANITIZATION\n(fields of NIST SP 800-88 Rev. 1, Appendix G)\n\n");
	fprintf(f, "Person performing sanitization\n  Name:           %s\n  Host:           %s\n\n",
		ct_json_str(c, "examiner", NULL) ?: "?", ct_json_str(c, "host", NULL) ?: "?");
	fprintf(f, "Media information\n");
	fprintf(f, "  Device:         %s\n", ct_json_str(media, "device", NULL) ?: "?");
	fprintf(f, "  Make / model:   %s / %s\n", ct_json_str(media, "make", NULL) ?: "unknown",
		ct_json_str(media, "model", NULL) ?: "unknown");
	fprintf(f, "  Serial number:  %s\n", ct_json_str(media, "serial", NULL) ?: "not available");
	if (ct_json_str(media, "serial_note", NULL))
		fprintf(f, "                  (%s)\n", ct_json_str(media, "serial_note", NULL));
	if (sd && !json_object_is_type(sd, json_type_null))
		fprintf(f, "  SD CID:         %s (manufacturer 0x%02x %s, OEM %s, product %s, "
			"revision %s, serial %s, manufactured %s)\n", ct_json_str(sd, "cid", NULL) ?: "?",
			json_object_get_int(ct_json_get(sd, "manfid")), ct_json_str(sd, "manufacturer", NULL) ?: "",
			ct_json_str(sd, "oemid", NULL) ?: "?", ct_json_str(sd, "name", NULL) ?: "?", ct_json_str(sd, "revision", NULL) ?: "?",
			ct_json_str(sd, "serial", NULL) ?: "?", ct_json_str(sd, "manufactured", NULL) ?: "?");
	fprintf(f, "  Media type:     %s\n", ct_json_str(media, "type", NULL) ?: "?");
	fprintf(f, "  Capacity:       %lld bytes (%s)\n",
		(long long)json_object_get_int64(ct_json_get(media, "capacity")), hs);
	fprintf(f, "  Imaged first:   %s\n\n", ct_json_str(c, "image_check", NULL) ?: "?");
	fprintf(f, "Sanitization details\n");
	fprintf(f, "  Method type:    %s\n", ct_json_str(c, "method_type", NULL) ?: "?");
	fprintf(f, "  Note:           %s\n", honesty);
	fprintf(f, "  Method used:    %s (%s), %zu pass%s\n", ct_json_str(ct_json_get(c, "method"), "name", NULL) ?: "?",
		ct_json_str(ct_json_get(c, "method"), "label", NULL) ?: "", json_object_array_length(passes),
		json_object_array_length(passes) == 1 ? "" : "es");
	for (i = 0; i < json_object_array_length(passes); i++) {
		struct json_object *p = json_object_array_get_idx(passes, i);
		fprintf(f, "    pass %-3zu %-12s %s, verification: %s\n", i + 1,
			ct_json_str(p, "pattern", NULL) ?: "?",
			json_object_get_boolean(ct_json_get(p, "written")) ? "written" : "NOT written",
			ct_json_str(p, "verified", NULL) ?: "not reached");
	}
	if (probe)
		fprintf(f, "  Address probe:  %lld blocks of %lld bytes written and read back, %lld "
			"failed\n", (long long)json_object_get_int64(ct_json_get(probe, "blocks")),
			(long long)json_object_get_int64(ct_json_get(probe, "block_size")),
			(long long)json_object_get_int64(ct_json_get(probe, "failed")));
	fprintf(f, "  Verification:   %s\n", ct_json_str(c, "verification", NULL) ?: "?");
	if (disc && json_object_get_boolean(ct_json_get(disc, "requested")))
		fprintf(f, "  Discard:        %s %s\n", ct_json_str(disc, "ioctl", NULL) ?: "?",
			json_object_get_boolean(ct_json_get(disc, "accepted")) ? "accepted by the kernel" :
			"refused by the kernel");
	else
		fprintf(f, "  Discard:        not requested\n");
	fprintf(f, "  Tool:           %s\n", ct_json_str(c, "tool", NULL) ?: "?");
	fprintf(f, "  Started:        %s\n  Finished:       %s\n", ct_json_str(c, "started", NULL) ?: "?",
		ct_json_str(c, "finished", NULL) ?: "?");
	fprintf(f, "  Bytes written:  %lld per pass\n", (long long)json_object_get_int64(ct_json_get(c, "bytes")));
	fprintf(f, "  Errors:         %s\n", ct_json_str(c, "errors", NULL) ?: "none");
	fprintf(f, "  Result:         %s\n", ct_json_str(c, "result", NULL) ?: "?");
	fprintf(f, "  Final state:    %s\n\n", ct_json_str(c, "final_state", NULL) ?: "?");
	fprintf(f, "Post-sanitization\n");
	if (fmt)
		fprintf(f, "  Format:         %s%s%s%s laid down after verification: %s\n",
			ct_json_str(fmt, "filesystem", NULL) ?: "?", ct_json_str(fmt, "label", NULL) ? " \"" : "",
			ct_json_str(fmt, "label", NULL) ?: "", ct_json_str(fmt, "label", NULL) ? "\"" : "",
			ct_json_str(fmt, "result", NULL) ?: "?");
	else
		fprintf(f, "  Format:         none\n");
	v = ct_json_get(c, "destination");
	fprintf(f, "  Destination:    %s\n", v ? json_object_get_string(v) : "not stated");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Write the certificate pair under a name nobody has used. */
static int
write_cert(struct wipe *w, struct json_object *cert)
{
	char name[256], ts[32];
	const char *js;
	char *txt;
	int k, ret = -EEXIST;

	js = json_object_to_json_string_ext(cert, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE);
	txt = cert_text(cert);
	if (txt == NULL)
		return -ENOMEM;
	ct_time_utc(time(NULL), ts, sizeof(ts));
	for (k = 1; k < 100 && ret == -EEXIST; k++) {
		char sfx[16] = "", tname[256], path[PATH_MAX];
		struct stat st;
		if (k > 1)
			snprintf(sfx, sizeof(sfx), "-%d", k);
		snprintf(name, sizeof(name), "%s%s.wipe.json", w->base, sfx);
		snprintf(tname, sizeof(tname), "%s%s.wipe.txt", w->base, sfx);
		/* a suffix free for both names: E1.wipe.json never pairs with
		 * someone else's E1.wipe.txt */
		if (ct_snprintf(path, sizeof(path), "%s/%s", w->dir, tname) < 0) {
			ret = -ENAMETOOLONG;
			break;
		}
		if (lstat(path, &st) == 0)
			continue;	/* ret stays -EEXIST */
		ret = ct_write_new_file(w->dir, name, js, strlen(js));
		if (ret < 0)
			continue;	/* -EEXIST: the next suffix; else the loop ends */
		ret = ct_write_new_file(w->dir, tname, txt, strlen(txt));
		if (ret == 0) {
			(void)ct_snprintf(w->res->cert_json, sizeof(w->res->cert_json), "%s/%s",
					  w->dir, name);
			(void)ct_snprintf(w->res->cert_txt, sizeof(w->res->cert_txt), "%s/%s",
					  w->dir, tname);
			break;
		}
		/* the .json just written is ours: no half pair is left */
		if (ct_snprintf(path, sizeof(path), "%s/%s", w->dir, name) == 0)
			(void)unlink(path);
		(void)ct_fsync_dir(w->dir);
	}
	free(txt);
	if (ret < 0)
		werr(w, ret, "cannot write the certificate in '%s': %s", w->dir, strerror(-ret));
	return ret;
}

static const char *
final_state(struct wipe *w, int ok, struct json_object *disc, struct json_object *fmt,
	    char *buf, size_t len)
{
	unsigned last = w->method.npasses - 1;
	char pat[16];

	if (!ok) {
		snprintf(buf, len, "not sanitized: the wipe did not complete as verified");
		return buf;
	}
	if (disc && json_object_get_boolean(ct_json_get(disc, "accepted"))) {
		snprintf(buf, len, "every addressable byte was overwritten by the last pass%s, then "
			 "the kernel accepted %s: the card may now return zeros or anything else for "
			 "discarded blocks", w->verify_pass[last] ? " (verified)" : "",
			 ct_json_str(disc, "ioctl", "a discard"));
		disc = NULL;	/* said */
	} else if (w->plans[last].keystream)
		snprintf(buf, len, "every addressable byte holds the keystream of the last pass%s",
			 w->verify_pass[last] ? " (verified)" : " (not read back)");
	else {
		if (w->plans[last].patlen == 3)
			snprintf(pat, sizeof(pat), "0x%02x%02x%02x", w->plans[last].pat[0],
				 w->plans[last].pat[1], w->plans[last].pat[2]);
		else
			snprintf(pat, sizeof(pat), "0x%02x", w->plans[last].pat[0]);
		snprintf(buf, len, "every addressable byte reads %s%s", pat,
			 w->verify_pass[last] ? " (verified)" : " (not read back)");
	}
	if (disc && json_object_get_boolean(ct_json_get(disc, "accepted"))) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "; then the kernel accepted %s, after which the card may "
			 "return zeros or anything else for discarded blocks",
			 ct_json_str(disc, "ioctl", "a discard"));
	}
	if (fmt) {
		size_t l = strlen(buf);
		if (!strcmp(ct_json_str(fmt, "result", ""), "formatted"))
			snprintf(buf + l, len - l, "; then a fresh %s filesystem", w->o->format);
		else if (!strncmp(ct_json_str(fmt, "result", ""), "not attempted", 13))
			snprintf(buf + l, len - l, "; no %s filesystem: the format step was not "
				 "attempted", w->o->format);
		else
			snprintf(buf + l, len - l, "; laying down a %s filesystem FAILED", w->o->format);
	}
	return buf;
}

static struct json_object *
media_json(struct wipe *w)
{
	struct json_object *m = json_object_new_object(), *sd = ct_json_get(w->ident, "sd");
	struct json_object *usb = ct_json_get(w->ident, "usb");
	const char *make = ct_json_str(w->ident, "vendor", NULL);

	json_object_object_add(m, "device", json_object_new_string(w->o->device));
	if (sd && !json_object_is_type(sd, json_type_null)) {
		make = ct_json_str(sd, "manufacturer", NULL) ? ct_json_str(sd, "manufacturer", NULL) : make;
		json_object_object_add(m, "make", make ? json_object_new_string(make) : NULL);
		json_object_object_add(m, "model", ct_json_str(sd, "name", NULL) ?
				       json_object_new_string(ct_json_str(sd, "name", NULL)) : NULL);
		json_object_object_add(m, "serial", ct_json_str(sd, "serial", NULL) ?
				       json_object_new_string(ct_json_str(sd, "serial", NULL)) : NULL);
		json_object_object_add(m, "serial_note",
				       json_object_new_string("from the card's own CID register"));
		json_object_object_add(m, "sd", json_object_get(sd));
	} else {
		json_object_object_add(m, "make", make ? json_object_new_string(make) : NULL);
		json_object_object_add(m, "model", ct_json_str(w->ident, "model", NULL) ?
				       json_object_new_string(ct_json_str(w->ident, "model", NULL)) : NULL);
		json_object_object_add(m, "serial", ct_json_str(w->ident, "serial", NULL) ?
				       json_object_new_string(ct_json_str(w->ident, "serial", NULL)) : NULL);
		json_object_object_add(m, "serial_note", json_object_new_string(
			usb && !json_object_is_type(usb, json_type_null) ?
			"the card sits behind a USB reader: this is the reader's serial, the card's "
			"own serial (CID) was not available" :
			"the card's own serial (CID) was not visible to the host"));
		json_object_object_add(m, "sd", NULL);
	}
	if (usb && !json_object_is_type(usb, json_type_null))
		json_object_object_add(m, "usb_reader", json_object_get(usb));
	json_object_object_add(m, "type", json_object_new_string("flash memory card"));
	json_object_object_add(m, "capacity", jint(w->dev.size));
	json_object_object_add(m, "logical_sector_size", json_object_new_int((int)w->dev.lss));
	return m;
}

static struct json_object *
plan_json(struct wipe *w)
{
	struct json_object *p = json_object_new_object(), *arr = json_object_new_array();
	unsigned i;
	char s[24];

	json_object_object_add(p, "device", json_object_new_string(w->o->device));
	json_object_object_add(p, "media", media_json(w));
	json_object_object_add(p, "card", json_object_get(w->card));
	json_object_object_add(p, "evidence", w->res->evidence[0] ?
			       json_object_new_string(w->res->evidence) : NULL);
	json_object_object_add(p, "method", json_object_new_string(w->method.name));
	json_object_object_add(p, "label", json_object_new_string(w->method.label));
	for (i = 0; i < w->method.npasses; i++) {
		struct json_object *q = json_object_new_object();
		ct_wipe_pass_str(&w->method.passes[i], s, sizeof(s));
		json_object_object_add(q, "pattern", json_object_new_string(s));
		json_object_object_add(q, "verify", json_object_new_boolean(w->verify_pass[i]));
		json_object_array_add(arr, q);
	}
	json_object_object_add(p, "passes", arr);
	json_object_object_add(p, "certificate_dir", json_object_new_string(w->dir));
	json_object_object_add(p, "discard", json_object_new_boolean(w->o->discard));
	json_object_object_add(p, "format", w->o->format ? json_object_new_string(w->o->format) : NULL);
	return p;
}

/* ---- the run ---- */

static void
choose_verify(struct wipe *w)
{
	unsigned i, n = w->method.npasses;
	int last_ks = -1;

	for (i = 0; i < n; i++) {
		w->verify_pass[i] = w->verify == CT_WIPE_VERIFY_ALL;
		if (w->method.passes[i].kind == CT_PASS_KEYSTREAM)
			last_ks = (int)i;
	}
	if (w->verify == CT_WIPE_VERIFY_LAST) {
		w->verify_pass[n - 1] = 1;
		/* a keystream pass is what catches a card whose addresses
		 * wrap: the last one is always read back, too */
		if (last_ks >= 0)
			w->verify_pass[last_ks] = 1;
	}
}

static int
needs_probe(struct wipe *w)
{
	unsigned i;

	for (i = 0; i < w->method.npasses; i++)
		if (w->method.passes[i].kind == CT_PASS_KEYSTREAM && w->verify_pass[i])
			return 0;
	return 1;
}

static void
set_base(struct wipe *w)
{
	const char *serial = ct_json_str(w->card, "cid", NULL) ? ct_json_str(w->card, "serial", NULL) : ct_json_str(w->card, "serial", NULL);
	const char *dev = strrchr(w->o->device, '/');
	size_t i;

	if (w->res->evidence[0]) {
		snprintf(w->base, sizeof(w->base), "%s", w->res->evidence);
		return;
	}
	snprintf(w->base, sizeof(w->base), "%s", serial ? serial : dev ? dev + 1 : w->o->device);
	for (i = 0; w->base[i]; i++)
		if (w->base[i] == '/' || (unsigned char)w->base[i] < 0x20)
			w->base[i] = '_';
}

static int
open_state(struct wipe *w, int create)
{
	char name[200], path[PATH_MAX];
	char *text = NULL;
	int fd, ret;

	snprintf(name, sizeof(name), "%s.wipe.state", w->base);
	if (ct_snprintf(path, sizeof(path), "%s/%s", w->dir, name) < 0)
		return -ENAMETOOLONG;
	snprintf(w->res->state_path, sizeof(w->res->state_path), "%s", path);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT | O_EXCL : 0), 0600);
	if (fd < 0 && create && errno == EEXIST) {
		/* a state file marked complete (left by an older version)
		 * holds nothing to resume: it does not block a fresh run */
		struct json_object *old = json_object_from_file(path);
		if (old && json_object_get_boolean(ct_json_get(old, "complete")) && unlink(path) == 0)
			fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_CREAT | O_EXCL, 0600);
		else
			errno = EEXIST;
		json_object_put(old);
	}
	if (fd < 0) {
		ret = -errno;
		if (ret == -EEXIST)
			return werr(w, ret, "a wipe of this card was started and not finished (%s): "
				    "continue it with --resume", path);
		if (ret == -ENOENT)
			return werr(w, ret, "nothing to resume: no %s", path);
		return werr(w, ret, "cannot open %s: %s", path, strerror(-ret));
	}
	w->state_fd = fd;
	if (create) {
		w->created_state = 1;
		return 0;
	}
	{
		struct stat st;
		ssize_t n;
		if (fstat(fd, &st) < 0 || st.st_size > (1 << 20))
			return werr(w, -EINVAL, "%s is not a wipe state file", path);
		text = calloc(1, (size_t)st.st_size + 1);
		if (text == NULL)
			return -ENOMEM;
		n = pread(fd, text, (size_t)st.st_size, 0);
		w->state = n > 0 ? json_tokener_parse(text) : NULL;
		free(text);
	}
	if (w->state == NULL)
		return werr(w, -EINVAL, "%s is damaged: cannot resume", path);
	return 0;
}

/* Is o->device still the block device that was wiped (after letting go
 * of it)?  0 or -errno (-ENODEV when it is another one). */
static int
same_device(struct wipe *w)
{
	struct stat st;
	uint64_t size = 0;
	int fd, ret = 0;

	if (stat(w->o->device, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode) || st.st_rdev != w->dev.rdev)
		return -ENODEV;
	if ((fd = open(w->o->device, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, &size) < 0)
		ret = -errno;
	else if (size != w->dev.size)
		ret = -ENODEV;
	close(fd);
	return ret;
}

/* The certificate's result: VERIFIED only when something was read back
 * and every pass to be read back matched. */
static const char *
result_str(struct wipe *w, int ok, int ret, char *buf, size_t len)
{
	size_t i, n = json_object_array_length(w->pass_results), read = 0;
	int all = 1;

	if (ok && ret == 0) {
		for (i = 0; i < n; i++) {
			const char *v = ct_json_str(json_object_array_get_idx(w->pass_results, i),
						    "verified", "");
			if (!strcmp(v, "match"))
				read++;
			else if (i < w->method.npasses && w->verify_pass[i])
				all = 0;
		}
		if (n < w->method.npasses)
			all = 0;
		snprintf(buf, len, "%s", read > 0 && all ? "VERIFIED" : "COMPLETED, NOT READ BACK");
		return buf;
	}
	if (w->res->wrapped)
		snprintf(buf, len, "FAILED: addresses wrap (counterfeit card?)");
	else
		snprintf(buf, len, "FAILED: %s", w->fail ? w->fail :
			 w->res->verify_failed ? "read-back mismatch" : ok ? "format step" : "write error");
	return buf;
}

int
ct_wipe_run(const struct ct_wipe_opts *o, struct ct_wipe_result *res)
{
	struct wipe w;
	struct json_object *cert = NULL, *probe = NULL, *disc = NULL, *fmt = NULL;
	char ts[32], fs[256], errs[1100];
	unsigned i, first = 0;
	uint64_t start = 0;
	int ret, skip_write = 0, wrote = 0, ok;
	const char *phase;

	memset(res, 0, sizeof(*res));
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.res = res;
	w.state_fd = -1;
	w.dev.fd = -1;
	w.bufsize = o->bufsize ? o->bufsize : (4u << 20);
	w.pass_results = json_object_new_array();
	w.started = time(NULL);
	w.verify = o->verify;
	snprintf(w.spec, sizeof(w.spec), "%s", o->method_spec ? o->method_spec : "nist-clear");

	if ((ret = ct_gcrypt_init()) < 0)
		goto out;
	if ((ret = ct_wipe_method_parse(o->method_spec ? o->method_spec : "nist-clear", &w.method,
					res->error, sizeof(res->error))) < 0)
		goto refuse;
	ret = ct_dev_open(&w.dev, o->device, o->dry_run ? CT_DEV_RDONLY : CT_DEV_RDWR | CT_DEV_EXCL);
	if (ret == -EINVAL) {
		ret = werr(&w, -ENOTBLK, "'%s' is not a block device: cardtrail wipes cards, not "
			   "files", o->device);
		goto refuse;
	}
	if (ret == -EACCES || ret == -EPERM) {
		char hint[128];
		ct_dev_access_hint(o->device, hint, sizeof(hint));
		werr(&w, ret, "cannot open '%s': %s: %s", o->device, strerror(-ret), hint);
		goto refuse;
	}
	if (ret < 0) {
		werr(&w, ret, ret == -EBUSY ? "'%s' is in use (mounted, or open by another program)"
		     : "cannot open '%s': %s", o->device, strerror(-ret));
		goto refuse;
	}
	if ((ret = ct_identity_get(o->device, &w.ident)) < 0) {
		werr(&w, ret, "cannot identify '%s': %s", o->device, strerror(-ret));
		goto refuse;
	}
	w.card = ct_identity_card(w.ident, w.dev.size);
	if ((ret = safety_checks(&w)) < 0)
		goto refuse;
	if (w.dev.size == 0 || w.dev.size % 16 || w.bufsize % w.dev.lss) {
		ret = werr(&w, -EINVAL, "'%s' has a size (%" PRIu64 ") cardtrail cannot wipe",
			   o->device, w.dev.size);
		goto refuse;
	}
	if (!o->no_image_check) {
		if (o->casedir == NULL) {
			ret = werr(&w, -EINVAL, "--case is required: a card is imaged before it is "
				   "wiped (or --no-image-check)");
			goto refuse;
		}
		if ((ret = case_match(&w)) < 0)
			goto refuse;
	} else if (o->casedir) {
		/* not required, but name the evidence when there is one */
		if (case_match(&w) < 0)
			res->error[0] = '\0';
	}
	snprintf(w.dir, sizeof(w.dir), "%s", o->casedir ? o->casedir : o->cert_dir ? o->cert_dir : ".");
	set_base(&w);

	/* the resumed run keeps the first run's method, verify mode and keys */
	if (o->resume) {
		struct json_object *st;
		const char *spec;
		if ((ret = open_state(&w, 0)) < 0)
			goto refuse;
		st = w.state;
		if (json_object_get_boolean(ct_json_get(st, "complete"))) {
			ret = werr(&w, -EINVAL, "the wipe in %s already completed", res->state_path);
			goto refuse;
		}
		if ((uint64_t)json_object_get_int64(ct_json_get(st, "size")) != w.dev.size ||
		    (ct_json_str(w.card, "serial", NULL) && ct_json_str(ct_json_get(st, "card"), "serial", NULL) &&
		     strcmp(ct_json_str(w.card, "serial", NULL), ct_json_str(ct_json_get(st, "card"), "serial", NULL)))) {
			ret = werr(&w, -EINVAL, "'%s' is not the card of %s (size or serial differ)",
				   o->device, res->state_path);
			goto refuse;
		}
		if (!identified(w.card, ct_json_get(st, "card"))) {
			/* no serial to tell: what is on the card must be what
			 * the interrupted wipe left there */
			int hm = dev_head(&w);
			if (hm == 0)
				hm = state_head_ok(&w, st, w.img_head);
			if (hm <= 0) {
				ret = werr(&w, hm < 0 ? hm : -EPERM, "'%s' has no serial and its first MiB "
					   "is not what the wipe in %s left there: not that card (or it "
					   "changed since)%s%s", o->device, res->state_path,
					   hm < 0 ? ": " : "", hm < 0 ? strerror(-hm) : "");
				goto refuse;
			}
		}
		spec = ct_json_str(st, "method", NULL);
		if (spec == NULL || ct_wipe_method_parse(spec, &w.method, res->error,
							 sizeof(res->error)) < 0 ||
		    plans_from_json(&w, ct_json_get(st, "plans")) < 0) {
			ret = werr(&w, -EINVAL, "%s is damaged: cannot resume", res->state_path);
			goto refuse;
		}
		snprintf(w.spec, sizeof(w.spec), "%s", spec);
		w.verify = (enum ct_wipe_verify)json_object_get_int(ct_json_get(st, "verify"));
		first = (unsigned)json_object_get_int(ct_json_get(st, "pass"));
		phase = ct_json_str(st, "phase", NULL);
		start = (uint64_t)json_object_get_int64(ct_json_get(st, "offset"));
		if (first >= w.method.npasses || start > w.dev.size || phase == NULL) {
			ret = werr(&w, -EINVAL, "%s is damaged: cannot resume", res->state_path);
			goto refuse;
		}
		skip_write = !strcmp(phase, "verify");
		start = start / w.dev.lss * w.dev.lss;
		json_object_put(w.pass_results);
		w.pass_results = json_object_get(ct_json_get(st, "passes_done"));
		if (w.pass_results == NULL)
			w.pass_results = json_object_new_array();
		while (json_object_array_length(w.pass_results) > first)
			json_object_array_del_idx(w.pass_results,
						  json_object_array_length(w.pass_results) - 1, 1);
		{
			struct tm tm;
			const char *st0 = ct_json_str(st, "started", NULL);
			memset(&tm, 0, sizeof(tm));
			if (st0 && strptime(st0, "%Y-%m-%dT%H:%M:%SZ", &tm))
				w.started = timegm(&tm);
		}
	}
	choose_verify(&w);
	res->plan = plan_json(&w);
	if (o->dry_run) {
		ret = 0;
		goto out;
	}
	if (o->confirm && o->confirm(res->plan, o->confirm_ctx) != 0) {
		ret = werr(&w, -ECANCELED, "not confirmed: nothing was written");
		goto refuse;
	}
	if (!o->resume) {
		if ((ret = ct_mkdir_p(w.dir)) < 0) {
			werr(&w, ret, "cannot create '%s': %s", w.dir, strerror(-ret));
			goto refuse;
		}
		if ((ret = open_state(&w, 1)) < 0)
			goto refuse;
		if ((ret = ct_wipe_plan(&w.method, w.plans)) < 0) {
			werr(&w, ret, "cannot draw the passes' random bytes and keys: %s", strerror(-ret));
			goto out;
		}
		if (needs_probe(&w)) {
			/* a keystream of its own for the address probe, kept in
			 * the state file (a resumed run recognises its blocks) */
			struct ct_wipe_method m = { .npasses = 1,
						    .passes = { { .kind = CT_PASS_KEYSTREAM } } };
			if ((ret = ct_wipe_plan(&m, &w.probe_plan)) < 0) {
				werr(&w, ret, "cannot draw the address probe's key: %s", strerror(-ret));
				goto out;
			}
			w.have_probe_plan = 1;
		}
		w.state = json_object_new_object();
		json_object_object_add(w.state, "device", json_object_new_string(o->device));
		json_object_object_add(w.state, "size", jint(w.dev.size));
		json_object_object_add(w.state, "card", json_object_get(w.card));
		json_object_object_add(w.state, "method", json_object_new_string(w.spec));
		json_object_object_add(w.state, "verify", json_object_new_int((int)w.verify));
		json_object_object_add(w.state, "plans", plans_json(&w));
		if (w.have_probe_plan)
			json_object_object_add(w.state, "probe_plan", pass_plan_json(&w.probe_plan));
		ct_time_utc(w.started, ts, sizeof(ts));
		json_object_object_add(w.state, "started", json_object_new_string(ts));
		json_object_object_add(w.state, "complete", json_object_new_boolean(0));
		if ((ret = state_save(&w, "write", 0)) < 0) {
			werr(&w, ret, "cannot write %s: %s", res->state_path, strerror(-ret));
			goto out;
		}
		if (w.have_probe_plan) {
			probe = json_object_new_object();
			wrote = 1;
			if ((ret = address_probe(&w, probe)) < 0 || res->verify_failed)
				goto done;
			json_object_object_add(w.state, "address_probe", json_object_get(probe));
		}
	} else {
		probe = json_object_get(ct_json_get(w.state, "address_probe"));
	}

	for (i = first; i < w.method.npasses; i++) {
		struct json_object *pr = json_object_new_object();
		char s[24];

		ct_wipe_pass_str(&w.method.passes[i], s, sizeof(s));
		json_object_object_add(pr, "pass", json_object_new_int((int)i + 1));
		if (w.plans[i].keystream)
			snprintf(s, sizeof(s), "keystream");
		else if (w.plans[i].patlen == 3)
			snprintf(s, sizeof(s), "0x%02x%02x%02x", w.plans[i].pat[0], w.plans[i].pat[1],
				 w.plans[i].pat[2]);
		else
			snprintf(s, sizeof(s), "0x%02x", w.plans[i].pat[0]);
		json_object_object_add(pr, "pattern", json_object_new_string(s));
		json_object_array_add(w.pass_results, pr);
		wrote = 1;
		ret = run_pass(&w, i, w.verify_pass[i], i == first ? start : 0,
			       i == first && skip_write, pr);
		if (i == first && skip_write)
			json_object_object_add(pr, "written", json_object_new_boolean(1));
		if (i == first && o->resume)
			json_object_object_add(pr, "resumed_at", jint(start));
		if (ret < 0 || res->verify_failed)
			break;
		w.cur_pass = i + 1;
		(void)state_save(&w, "write", 0);
	}
	if (res->interrupted)
		goto out;	/* the state file says where to go on */
done:
	ok = ret == 0 && !res->verify_failed;
	if (ok && o->discard) {
		disc = json_object_new_object();
		do_discard(&w, disc);
	}
	if (ok && o->format) {
		int r;
		fmt = json_object_new_object();
		/* mkfs opens the device exclusively: let go of it first */
		if ((r = ct_dev_close(&w.dev)) < 0) {
			ret = werr(&w, r, "cannot close '%s' before formatting: %s", o->device,
				   strerror(-r));
			wfail(&w, "format step not attempted");
			json_object_object_add(fmt, "result", json_object_new_string("not attempted"));
		} else if ((r = same_device(&w)) < 0) {
			ret = werr(&w, r, "'%s' is no longer the device that was wiped (another device "
				   "number or size): the %s format was not attempted", o->device,
				   o->format);
			wfail(&w, "format step not attempted: the device changed");
			json_object_object_add(fmt, "result", json_object_new_string(
						       "not attempted: the device changed"));
		} else if (do_format(&w, fmt) < 0) {
			wfail(&w, "format step");
			ret = werr(&w, -EIO, "the wipe verified, but %s on '%s' failed", o->format,
				   o->device);
		}
	}

	/* the certificate, success or failure */
	cert = json_object_new_object();
	json_object_object_add(cert, "certificate", json_object_new_string(
				       "certificate of sanitization (NIST SP 800-88 Rev. 1, Appendix G fields)"));
	json_object_object_add(cert, "examiner", json_object_new_string(ct_custody_examiner(o->examiner)));
	{
		char host[256] = "?";
		gethostname(host, sizeof(host) - 1);
		json_object_object_add(cert, "host", json_object_new_string(host));
	}
	json_object_object_add(cert, "media", media_json(&w));
	json_object_object_add(cert, "evidence", res->evidence[0] ?
			       json_object_new_string(res->evidence) : NULL);
	json_object_object_add(cert, "image_check", json_object_new_string(
		o->no_image_check ? "NOT checked: --no-image-check was given" :
		"the card matches an evidence imaged and verified in the case"));
	json_object_object_add(cert, "no_image_check", json_object_new_boolean(o->no_image_check));
	json_object_object_add(cert, "method_type", json_object_new_string("Clear"));
	json_object_object_add(cert, "method_note", json_object_new_string(honesty));
	json_object_object_add(cert, "recommendation", json_object_new_string(
		"destroy the card physically where the data's sensitivity requires Purge or Destroy"));
	{
		struct json_object *m = json_object_new_object();
		json_object_object_add(m, "name", json_object_new_string(w.method.name));
		json_object_object_add(m, "spec", json_object_new_string(w.spec));
		json_object_object_add(m, "label", json_object_new_string(w.method.label));
		json_object_object_add(m, "passes", json_object_new_int((int)w.method.npasses));
		json_object_object_add(cert, "method", m);
	}
	json_object_object_add(cert, "passes", json_object_get(w.pass_results));
	{
		char vt[400];
		const char *how = w.dev.direct ? "with O_DIRECT" :
			"through the page cache (O_DIRECT was not available)";
		if (w.verify == CT_WIPE_VERIFY_ALL)
			snprintf(vt, sizeof(vt), "every pass read back %s after fsync and BLKFLSBUF, "
				 "and compared with the regenerated pattern", how);
		else if (w.verify == CT_WIPE_VERIFY_LAST)
			snprintf(vt, sizeof(vt), "the last pass (and the last keystream pass) read back "
				 "%s after fsync and BLKFLSBUF, and compared with the regenerated "
				 "pattern", how);
		else
			snprintf(vt, sizeof(vt), "none requested (--verify none); an address probe "
				 "checked that addresses do not wrap");
		json_object_object_add(cert, "verification", json_object_new_string(vt));
	}
	if (probe)
		json_object_object_add(cert, "address_probe", json_object_get(probe));
	json_object_object_add(cert, "discard", disc ? json_object_get(disc) :
			       json_object_new_object());
	if (fmt)
		json_object_object_add(cert, "format", json_object_get(fmt));
	json_object_object_add(cert, "tool", json_object_new_string(ct_tool_string()));
	ct_time_utc(w.started, ts, sizeof(ts));
	json_object_object_add(cert, "started", json_object_new_string(ts));
	ct_time_utc(time(NULL), ts, sizeof(ts));
	json_object_object_add(cert, "finished", json_object_new_string(ts));
	json_object_object_add(cert, "bytes", jint(w.dev.size));
	snprintf(errs, sizeof(errs), "%s", res->error[0] ? res->error : "none");
	json_object_object_add(cert, "errors", json_object_new_string(errs));
	{
		char rs[200];
		json_object_object_add(cert, "result", json_object_new_string(
					       result_str(&w, ok, ret, rs, sizeof(rs))));
	}
	if (res->wrapped)
		json_object_object_add(cert, "apparent_real_capacity", jint(res->real_capacity));
	json_object_object_add(cert, "final_state", json_object_new_string(final_state(&w, ok, disc, fmt, fs, sizeof(fs))));
	json_object_object_add(cert, "destination", o->destination ?
			       json_object_new_string(o->destination) : NULL);
	if (w.state_err) {
		char note[4600];
		struct json_object *notes = json_object_new_array();
		snprintf(note, sizeof(note), "the state file %s could not be saved during the run "
			 "(%s): an interruption could not have been resumed where it stopped",
			 res->state_path, strerror(-w.state_err));
		json_object_array_add(notes, json_object_new_string(note));
		json_object_object_add(cert, "notes", notes);
	}
	if (wrote || ok) {
		int r = write_cert(&w, cert);
		if (r < 0) {
			/* the run's status must not claim what no certificate says */
			json_object_object_add(cert, "wipe_result", json_object_get(
						       ct_json_get(cert, "result")));
			json_object_object_add(cert, "result", json_object_new_string(
						       "FAILED: certificate not written"));
			if (ret == 0)
				ret = r;
		}
	}
	snprintf(res->method_spec, sizeof(res->method_spec), "%s", w.spec);
	res->cert = cert;
	cert = NULL;
	/* The state file (with the pass keys) was a working file for
	 * --resume; once the certificate is on disk it has no further use and
	 * would only block the next wipe of this card. */
	if (res->cert_json[0] && w.state_fd >= 0 && unlink(res->state_path) == 0) {
		close(w.state_fd);
		w.state_fd = -1;
		(void)ct_fsync_dir(w.dir);
	} else {
		json_object_object_add(w.state, "complete", json_object_new_boolean(1));
		json_object_object_add(w.state, "result", json_object_new_string(
					       ct_json_str(res->cert, "result", NULL)));
		(void)state_save(&w, "done", w.dev.size);
	}
	if (ret == 0 && res->verify_failed)
		ret = 0;
	goto out;
refuse:
	res->refused = 1;
out:
	if (w.state_fd >= 0 && w.created_state && !wrote) {
		/* nothing was written to the card: the state file would only
		 * block the next run */
		(void)unlink(res->state_path);
		(void)ct_fsync_dir(w.dir);
	}
	if (w.state_fd >= 0)
		close(w.state_fd);
	if (w.dev.fd >= 0) {
		int r = ct_dev_close(&w.dev);
		if (r < 0 && ret == 0)
			ret = werr(&w, r, "cannot close '%s': %s", o->device, strerror(-r));
	}
	json_object_put(cert);
	json_object_put(probe);
	json_object_put(disc);
	json_object_put(fmt);
	json_object_put(w.pass_results);
	json_object_put(w.state);
	json_object_put(w.ident);
	json_object_put(w.card);
	explicit_bzero(w.plans, sizeof(w.plans));
	explicit_bzero(&w.probe_plan, sizeof(w.probe_plan));
	free(w.head);
	free(w.img_head);
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

struct json_object *
ct_wipe_custody_record(const struct ct_wipe_opts *o, const struct ct_wipe_result *res,
		       char *err, size_t errlen)
{
	struct json_object *r = json_object_new_object(), *subj, *ins, *in, *outs, *f, *result;
	const char *name;
	int ret;

	json_object_object_add(r, "action", json_object_new_string("wipe"));
	subj = json_object_new_object();
	json_object_object_add(subj, "evidence", res->evidence[0] ?
			       json_object_new_string(res->evidence) : NULL);
	json_object_object_add(subj, "card", json_object_get(ct_json_get(res->plan, "card")));
	json_object_object_add(r, "subject", subj);
	ins = json_object_new_array();
	in = json_object_new_object();
	json_object_object_add(in, "path", json_object_new_string(o->device));
	json_object_object_add(in, "kind", json_object_new_string("block"));
	json_object_array_add(ins, in);
	json_object_object_add(r, "inputs", ins);
	outs = json_object_new_array();
	if (res->cert_json[0]) {
		name = strrchr(res->cert_json, '/');
		if ((ret = ct_custody_file_json(o->casedir, name ? name + 1 : res->cert_json, &f)) < 0)
			goto fail;
		json_object_object_add(f, "role", json_object_new_string("certificate"));
		json_object_array_add(outs, f);
		name = strrchr(res->cert_txt, '/');
		if ((ret = ct_custody_file_json(o->casedir, name ? name + 1 : res->cert_txt, &f)) < 0)
			goto fail;
		json_object_object_add(f, "role", json_object_new_string("certificate-text"));
		json_object_array_add(outs, f);
	}
	json_object_object_add(r, "outputs", outs);
	result = json_object_new_object();
	json_object_object_add(result, "method", json_object_new_string(
				       res->method_spec[0] ? res->method_spec :
				       ct_json_str(ct_json_get(res->cert, "method"), "spec", NULL) ?: "?"));
	if (res->cert_json[0] == '\0')
		json_object_object_add(result, "certificate", json_object_new_string("not written"));
	json_object_object_add(result, "status", json_object_new_string(
				       ct_json_str(res->cert, "result", NULL) ?: "?"));
	json_object_object_add(result, "method_type", json_object_new_string("Clear"));
	json_object_object_add(result, "bytes", json_object_get(ct_json_get(res->cert, "bytes")));
	json_object_object_add(result, "no_image_check", json_object_new_boolean(o->no_image_check));
	if (res->wrapped)
		json_object_object_add(result, "apparent_real_capacity",
				       json_object_new_int64((int64_t)res->real_capacity));
	json_object_object_add(r, "result", result);
	return r;
fail:
	snprintf(err, errlen, "cannot hash the certificate for the custody log: %s", strerror(-ret));
	json_object_put(r);
	return NULL;
}
