/*
 * test_station_watch.c — the device watch's sysfs path (src/station/watch.c)
 * over a folder made to look like /sys/block: devices present at the start,
 * a medium coming and going, a card swapped for another between two scans,
 * a device disappearing altogether, partitions-free names only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cardtrail/station.h"

static char root[64];

static void
put(const char *name, const char *attr, const char *value)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", root, name, attr);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "%s\n", value);
	fclose(f);
}

static void
dev(const char *name, unsigned minor, unsigned long long sectors)
{
	char v[32];

	snprintf(v, sizeof(v), "7:%u", minor);
	put(name, "dev", v);
	snprintf(v, sizeof(v), "%llu", sectors);
	put(name, "size", v);
}

static void
drop(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s/dev", root, name);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s/size", root, name);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", root, name);
	rmdir(path);
}

/* The next event within 2 s: "+name:size" or "-name:size", or "" */
static const char *
next(struct ct_watch *w)
{
	static char buf[128];
	struct ct_watch_event ev;
	int rc = ct_watch_next(w, 2000, &ev);

	assert_true(rc >= 0);
	if (rc == 0)
		return "";
	snprintf(buf, sizeof(buf), "%c%s:%llu", ev.type == CT_WATCH_ADD ? '+' : '-', ev.name,
		 (unsigned long long)ev.size);
	return buf;
}

/* No event within 60 ms (three polls). */
static void
quiet(struct ct_watch *w)
{
	struct ct_watch_event ev;

	assert_int_equal(ct_watch_next(w, 60, &ev), 0);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/ct-watch.XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_media_come_and_go(void **state)
{
	struct ct_watch *w;
	char err[256];

	(void)state;
	dev("loop200", 200, 131072);	/* 64 MiB, there from the start */
	dev("loop201", 201, 0);		/* no backing file: no medium */
	assert_int_equal(ct_watch_open(CT_WATCH_AUTO, root, 10, &w, err, sizeof(err)), 0);
	/* a folder of our own is always polled */
	assert_string_equal(ct_watch_method(w), "sysfs");
	assert_string_equal(next(w), "+loop200:67108864");
	quiet(w);
	/* a medium in loop201 */
	dev("loop201", 201, 2048);
	assert_string_equal(next(w), "+loop201:1048576");
	quiet(w);
	/* loop200 loses its medium, then the device goes altogether */
	dev("loop200", 200, 0);
	assert_string_equal(next(w), "-loop200:67108864");
	quiet(w);
	drop("loop200");
	quiet(w);
	/* another card in loop201 before the next scan: out, then in */
	dev("loop201", 201, 4096);
	assert_string_equal(next(w), "-loop201:1048576");
	assert_string_equal(next(w), "+loop201:2097152");
	/* a device that disappears with its medium still in */
	drop("loop201");
	assert_string_equal(next(w), "-loop201:2097152");
	quiet(w);
	ct_watch_close(w);
}

static void
test_many_at_once(void **state)
{
	struct ct_watch *w;
	char err[256], name[16];
	int i, seen[8] = { 0 };

	(void)state;
	assert_int_equal(ct_watch_open(CT_WATCH_SYSFS, root, 10, &w, err, sizeof(err)), 0);
	quiet(w);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "loop%d", 210 + i);
		dev(name, 210 + (unsigned)i, 2048);
	}
	for (i = 0; i < 8; i++) {
		const char *e = next(w);
		int n = 0;

		assert_int_equal(sscanf(e, "+loop%d:1048576", &n), 1);
		assert_true(n >= 210 && n < 218);
		seen[n - 210]++;
	}
	for (i = 0; i < 8; i++)
		assert_int_equal(seen[i], 1);
	quiet(w);
	ct_watch_close(w);
}

static void
test_bad_folder(void **state)
{
	struct ct_watch *w = NULL;
	char err[256];

	(void)state;
	assert_true(ct_watch_open(CT_WATCH_SYSFS, "/nonexistent/ct-block", 10, &w, err,
				  sizeof(err)) < 0);
	assert_null(w);
	assert_string_equal(err, "cannot read '/nonexistent/ct-block': No such file or directory");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_media_come_and_go, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_folder, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
