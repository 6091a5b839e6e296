/*
 * test_wipe_safety.c — a device that backs a loop device is in use
 * (src/wipe/safety.c: wipe_loop_users), on a made-up /sys/block: the
 * backing file named by each loop device is looked at, " (deleted)"
 * included, and its offset reported.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardtrail/util.h"
#include "wipe/internal.h"

static char root[64], sysblock[128], target[192];

static void
put(const char *rel, const char *text)
{
	char path[256], dir[256], *slash;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sysblock, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + strlen(sysblock) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ct_pwrite_all(fd, text, strlen(text), 0), 0);
	close(fd);
}

static void
test_loop_users(void **state)
{
	struct stat st;
	dev_t devs[2];
	char msg[600], text[400];

	(void)state;
	assert_int_equal(stat(target, &st), 0);
	devs[0] = 12345;	/* not ours */
	devs[1] = st.st_dev;	/* the "card" the target file lives on */
	/* no loop devices */
	assert_int_equal(wipe_loop_users(sysblock, devs, 2, msg, sizeof(msg)), 0);
	/* a loop device over something else */
	put("loop3/loop/backing_file", "/nonexistent/file\n");
	put("sda/size", "1\n");
	assert_int_equal(wipe_loop_users(sysblock, devs, 2, msg, sizeof(msg)), 0);
	assert_int_equal(wipe_loop_users(sysblock, devs, 1, msg, sizeof(msg)), 0);
	/* one over a file on the card, at an offset, since deleted */
	snprintf(text, sizeof(text), "%s (deleted)\n", target);
	put("loop7/loop/backing_file", text);
	put("loop7/loop/offset", "1048576\n");
	assert_int_equal(wipe_loop_users(sysblock, devs, 2, msg, sizeof(msg)), 1);
	snprintf(text, sizeof(text), "/dev/loop7 is a loop device over %s (a file on it) at offset 1048576",
		 target);
	assert_string_equal(msg, text);
	/* not when the file is on another device */
	assert_int_equal(wipe_loop_users(sysblock, devs, 1, msg, sizeof(msg)), 0);
	/* no /sys/block at all: nothing uses it */
	assert_int_equal(wipe_loop_users("/nonexistent/sys/block", devs, 2, msg, sizeof(msg)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop_users),
	};
	char cmd[256];
	int fd, ret;

	snprintf(root, sizeof(root), "/tmp/ct-wipe-safety.XXXXXX");
	if (mkdtemp(root) == NULL)
		return 1;
	snprintf(sysblock, sizeof(sysblock), "%s/block", root);
	snprintf(target, sizeof(target), "%s/card.img", root);
	mkdir(sysblock, 0755);
	if ((fd = open(target, O_WRONLY | O_CREAT, 0644)) >= 0)
		close(fd);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		ret = 1;
	return ret;
}
