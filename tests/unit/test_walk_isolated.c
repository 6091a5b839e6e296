/*
 * test_walk_isolated.c — the walk's child process (src/evidence/isolate.c)
 * from a process with threads, as the station runs extract (a thread per
 * card): the child is spawned afresh (cardtrail __walk), never forked.
 *
 * After fork() a threaded process may only make async-signal-safe calls;
 * libtsk allocates at once, and a lock another thread held at the fork
 * (the sanitizer's allocator, glibc's malloc) is never released in the
 * child: the walk hung (t1300).  Here two threads allocate and free all
 * the time while extract runs again and again; a child that hangs runs
 * into the walk's 20 s budget and the extraction comes out incomplete,
 * which fails.  Also: the spawned child reports what the forked one does,
 * a fork with threads is refused, and a child that asserts (libtsk) is
 * survived from a threaded process too.
 *
 * Needs CARDTRAIL (the binary with __walk) and CT_BUILD (tools/gen-cardimg),
 * as tests/run.sh sets them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardtrail/evidence.h"
#include "cardtrail/util.h"
#include "evidence/isolate.h"

#define RUNS 20

static char dir[64];
static char card[128], asserting[128];
static const char *exe;

/* ---- what a walk reported ---- */

struct seen {
	char text[8192];
	size_t len;
	unsigned volumes, items, done_ok, warnings;
};

static void
add(struct seen *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->text + s->len, sizeof(s->text) - s->len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(s->text) - s->len);
	s->len += (size_t)n;
}

static int
on_volume(void *ctx, const struct ct_wvolume *v)
{
	struct seen *s = ctx;

	s->volumes++;
	add(s, "volume %u %s %" PRIu64 " %" PRIu64 "\n", v->index, v->fstype, v->offset, v->size);
	return 0;
}

static int
on_item(void *ctx, const struct ct_witem *it)
{
	struct seen *s = ctx;
	uint32_t i;

	s->items++;
	add(s, "item %u %s %" PRIu64 " %" PRIu64 " del=%u", it->vol, it->path, it->inum, it->size,
	    it->deleted);
	for (i = 0; i < it->nruns; i++)
		add(s, " %" PRIu64 "+%" PRIu64, it->runs[i].img_off, it->runs[i].len);
	add(s, "\n");
	return 0;
}

static int
on_unalloc(void *ctx, uint32_t vol, uint64_t off, uint64_t len)
{
	add(ctx, "free %u %" PRIu64 "+%" PRIu64 "\n", vol, off, len);
	return 0;
}

static int
on_warn(void *ctx, uint32_t vol, const char *text)
{
	struct seen *s = ctx;

	s->warnings++;
	add(s, "warn %u %s\n", vol, text);
	return 0;
}

static int
on_done(void *ctx, uint32_t vol, int ok)
{
	struct seen *s = ctx;

	s->done_ok += ok != 0;
	add(s, "done %u %d\n", vol, ok);
	return 0;
}

static int
walk(const char *path, const char *with_exe, struct seen *s)
{
	char *segs[] = { (char *)path, NULL };
	struct ct_isolate_opts o = {
		.seconds = 20, .max_bytes = CT_ISOLATE_MAX_BYTES, .max_items = CT_WALK_MAX_ITEMS,
		.exe = with_exe, .nseg = 1, .segs = segs, .ewf = 0,
	};
	const struct ct_walk_sink sink = { on_volume, on_item, NULL, on_unalloc, on_warn, on_done, s };
	TSK_IMG_INFO *img = ct_walk_open(1, segs, 0);
	int ret;

	memset(s, 0, sizeof(*s));
	assert_non_null(img);
	ret = ct_walk_isolated(img, &o, &sink);
	tsk_img_close(img);
	return ret;
}

/* ---- threads ---- */

static volatile int stop_threads;

/* Allocate and free all the time: the allocator's locks are held often. */
static void *
churn(void *arg)
{
	unsigned n = 0;

	(void)arg;
	while (!stop_threads) {
		void *p[16];
		int i;

		/* small and large blocks (the sanitizer's secondary allocator,
		 * one lock for all of them) */
		for (i = 0; i < 16; i++, n++)
			p[i] = malloc(n % 5 == 0 ? (64u << 10) + n % 65536 : 16 + n % 4096);
		for (i = 0; i < 16; i++)
			free(p[i]);
	}
	return NULL;
}

static void
threads_start(pthread_t *t, int n)
{
	int i;

	stop_threads = 0;
	for (i = 0; i < n; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, NULL), 0);
}

static void
threads_stop(pthread_t *t, int n)
{
	int i;

	stop_threads = 1;
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* ---- the tests ---- */

/* One thread: the fork finds the three files; the spawned child reports
 * exactly what the forked one does, record for record. */
static void
test_spawn_as_fork(void **state)
{
	static struct seen forked, spawned;

	(void)state;
	assert_int_equal(ct_thread_count(), 1);
	assert_int_equal(walk(card, NULL, &forked), 0);
	assert_int_equal(forked.volumes, 1);
	assert_int_equal(forked.items, 3);
	assert_int_equal(forked.done_ok, 1);
	assert_non_null(strstr(forked.text, "item 0 DCIM/100MEDIA/DJI_0003.SRT "));
	assert_int_equal(walk(card, exe, &spawned), 0);
	assert_string_equal(spawned.text, forked.text);
}

/* With a second thread alive, a walk without exe is refused, not forked. */
static void
test_fork_refused_with_threads(void **state)
{
	struct seen s;
	pthread_t t[1];

	(void)state;
	threads_start(t, 1);
	assert_true(ct_thread_count() >= 2);
	assert_int_equal(walk(card, NULL, &s), -ENOEXEC);
	assert_int_equal(s.items, 0);
	threads_stop(t, 1);
}

static void
extract(const char *image, const char *out, const char *with_exe, struct ct_extract_result *r,
	int *ret)
{
	struct ct_extract_opts o;

	memset(&o, 0, sizeof(o));
	o.image = image;
	o.outdir = out;
	o.no_carve = 1;
	o.walk_timeout = 20;	/* a hung child: incomplete, well within the test's time */
	o.walk_exe = with_exe;
	mkdir(out, 0755);
	*ret = ct_extract_run(&o, r);
}

/* Extract ten times over while two threads allocate: every run complete,
 * the three files each time. */
static void
test_extract_with_threads(void **state)
{
	struct ct_extract_result r;
	pthread_t t[2];
	char out[160];
	int i, ret;

	(void)state;
	threads_start(t, 2);
	for (i = 0; i < RUNS; i++) {
		snprintf(out, sizeof(out), "%s/out%d", dir, i);
		extract(card, out, exe, &r, &ret);
		if (ret < 0)
			print_error("run %d: %s\n", i, r.error);
		assert_int_equal(ret, 0);
		assert_int_equal(r.st.files, 3);
		assert_int_equal(r.st.volumes, 1);
		assert_int_equal(r.incomplete, 0);
		ct_extract_result_release(&r);
	}
	/* and without the executable: a clear failure, not a fork */
	snprintf(out, sizeof(out), "%s/out-nofork", dir);
	extract(card, out, NULL, &r, &ret);
	assert_int_equal(ret, -ENOEXEC);
	assert_non_null(strstr(r.error, "has threads"));
	ct_extract_result_release(&r);
	threads_stop(t, 2);
}

/* A thread that holds stderr's lock (as one writing a line does) until
 * told to let go. */
static pthread_mutex_t hold_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cv = PTHREAD_COND_INITIALIZER;
static int holding, let_go;

static void *
hold_stderr(void *arg)
{
	(void)arg;
	flockfile(stderr);
	pthread_mutex_lock(&hold_mu);
	holding = 1;
	pthread_cond_broadcast(&hold_cv);
	while (!let_go)
		pthread_cond_wait(&hold_cv, &hold_mu);
	pthread_mutex_unlock(&hold_mu);
	funlockfile(stderr);
	return NULL;
}

/* The warnings of the bundle's MANIFEST that contain what. */
static int
manifest_count(const char *bundle, const char *what)
{
	char cmd[600];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "tar -xOf '%s' MANIFEST.json | grep -o '%s' | wc -l", bundle, what);
	assert_non_null(p = popen(cmd, "r"));
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

/*
 * libtsk asserts in the child (t0860's card) while another thread holds
 * stderr's lock and two allocate: the child's assertion message needs that
 * lock.  A forked child would wait for it for ever (the thread that holds
 * it does not exist in the child) and be killed by the 20 s budget; the
 * spawned one prints, aborts, and is reported as such, at once.
 */
static void
test_assert_with_threads(void **state)
{
	struct ct_extract_result r;
	pthread_t t[2], h;
	char out[160];
	double t0;
	int ret;

	(void)state;
	threads_start(t, 2);
	holding = let_go = 0;
	assert_int_equal(pthread_create(&h, NULL, hold_stderr, NULL), 0);
	pthread_mutex_lock(&hold_mu);
	while (!holding)
		pthread_cond_wait(&hold_cv, &hold_mu);
	pthread_mutex_unlock(&hold_mu);
	snprintf(out, sizeof(out), "%s/out-assert", dir);
	t0 = ct_now();
	extract(asserting, out, exe, &r, &ret);
	pthread_mutex_lock(&hold_mu);
	let_go = 1;
	pthread_cond_broadcast(&hold_cv);
	pthread_mutex_unlock(&hold_mu);
	pthread_join(h, NULL);
	threads_stop(t, 2);
	assert_int_equal(ret, 0);
	assert_true(ct_now() - t0 < 10);
	assert_int_equal(r.incomplete, 1);
	assert_int_equal(r.st.files, 3);
	assert_int_equal(manifest_count(r.bundle, "ended by signal 6 (ABRT"), 1);
	assert_int_equal(manifest_count(r.bundle, "time budget"), 0);
	ct_extract_result_release(&r);
}

static int
setup(void **state)
{
	const char *build = getenv("CT_BUILD");
	char cmd[512];

	(void)state;
	exe = getenv("CARDTRAIL");
	if (exe == NULL || build == NULL) {
		fprintf(stderr, "CARDTRAIL and CT_BUILD must be set (tests/run.sh)\n");
		return -1;
	}
	snprintf(dir, sizeof(dir), "/tmp/ct-walkiso.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(card, sizeof(card), "%s/card.img", dir);
	snprintf(asserting, sizeof(asserting), "%s/zero.img", dir);
	snprintf(cmd, sizeof(cmd), "'%s/tools/gen-cardimg' -t fat12 --files 3 -o '%s' && "
		 "'%s/tools/gen-cardimg' -t exfat --zero-name --files 3 -o '%s'", build, card,
		 build, asserting);
	return system(cmd) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn_as_fork),
		cmocka_unit_test(test_fork_refused_with_threads),
		cmocka_unit_test(test_extract_with_threads),
		cmocka_unit_test(test_assert_with_threads),
	};

	/* a walk that hangs (a fork in a threaded process) fails in time */
	alarm(240);
	return cmocka_run_group_tests(tests, setup, teardown);
}
