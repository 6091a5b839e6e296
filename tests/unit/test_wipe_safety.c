/*
 * test_wipe_safety.c — a device that backs a loop device is in use
 * (src/wipe/safety.c: wipe_loop_users), on a made-up /sys/block: the
 * backing file named by each loop device is looked at, " (deleted)"
 * included, and its offset reported.  And which files a loop device must
 * not be over (wipe_evidence_file), on a made-up tree of cases: a file of
 * a case folder, wherever, by its name; any file under the roots by
 * device and inode (a hard link, a name that is gone); an image a record
 * names where it lies or was adopted from; nothing else.
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

/* root/ev/REL with text, its folders made */
static void
put_ev(const char *rel, const char *text)
{
	char save[128];

	snprintf(save, sizeof(save), "%s", sysblock);
	snprintf(sysblock, sizeof(sysblock), "%s/ev", root);
	put(rel, text);
	snprintf(sysblock, sizeof(sysblock), "%s", save);
}

/* wipe_evidence_file for root/ev/REL (by its identity; named by its path
 * unless named is 0) with roots: its result, why in msg */
static int
evidence(const char *rel, int named, const char *const *roots, size_t n, char *msg, size_t len)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/ev/%s", root, rel);
	assert_int_equal(stat(path, &st), 0);
	return wipe_evidence_file(st.st_dev, st.st_ino, named ? path : NULL, roots, n, msg, len);
}

static void
test_evidence_file(void **state)
{
	char msg[1200], want[1200], cases[160], c1[200], lab[160], text[1200], p1[240], p2[240];
	const char *roots[2];

	(void)state;
	snprintf(cases, sizeof(cases), "%s/ev/cases", root);
	snprintf(c1, sizeof(c1), "%s/c1", cases);
	snprintf(lab, sizeof(lab), "%s/ev/lab", root);
	snprintf(p1, sizeof(p1), "%s/ev", root);
	assert_int_equal(mkdir(p1, 0755), 0);
	/* a case under cases/, its image E1.raw, a copy below it, an image
	 * adopted in place from lab/ (E2) and one copied in from lab/ (E3) */
	put_ev("cases/c1/E1.raw", "E1");
	put_ev("cases/c1/work/copy.raw", "E1");
	put_ev("cases/notes.txt", "not a case");
	put_ev("lab/img.raw", "E2");
	put_ev("lab/orig.raw", "E3");
	put_ev("lab/card.img", "a card");
	put_ev("cases/c1/E3.raw", "E3");
	snprintf(text, sizeof(text), "{\"evidence\":\"E2\",\"segments\":[{\"path\":\"%s/img.raw\"}],"
		 "\"adopted\":{\"in_place\":true,\"from\":[{\"path\":\"%s/img.raw\"}]}}", lab, lab);
	put_ev("cases/c1/E2.acquisition.json", text);
	snprintf(text, sizeof(text), "{\"evidence\":\"E3\",\"segments\":[{\"path\":\"E3.raw\"}],"
		 "\"adopted\":{\"in_place\":false,\"from\":[{\"path\":\"%s/orig.raw\"}]}}", lab);
	put_ev("cases/c1/E3.acquisition.json", text);
	put_ev("cases/c1/custody.log", "{\"seq\":0,\"action\":\"open\"}\n"
	       "{\"seq\":1,\"outputs\":[{\"path\":\"E2.acquisition.json\",\"role\":\"acquisition-record\"}]}\n"
	       "{\"seq\":2,\"outputs\":[{\"path\":\"E3.acquisition.json\",\"role\":\"acquisition-record\"}]}\n");
	/* another case, outside the roots */
	put_ev("other/custody.log", "{\"seq\":0,\"action\":\"open\"}\n");
	put_ev("other/E1.raw", "other");
	/* a hard link to c1/E1.raw outside the cases */
	snprintf(p1, sizeof(p1), "%s/E1.raw", c1);
	snprintf(p2, sizeof(p2), "%s/ev/h.raw", root);
	assert_int_equal(link(p1, p2), 0);

	roots[0] = cases;
	roots[1] = "/nonexistent/cases";
	/* the case's own image, by its name: no roots needed */
	assert_int_equal(evidence("cases/c1/E1.raw", 1, NULL, 0, msg, sizeof(msg)), 1);
	snprintf(want, sizeof(want), ", a file of the case in '%s'", c1);
	assert_string_equal(msg, want);
	/* a file below the case folder */
	assert_int_equal(evidence("cases/c1/work/copy.raw", 1, NULL, 0, msg, sizeof(msg)), 1);
	assert_string_equal(msg, want);
	/* another case's, not under the roots: by its name */
	assert_int_equal(evidence("other/E1.raw", 1, roots, 2, msg, sizeof(msg)), 1);
	snprintf(want, sizeof(want), ", a file of the case in '%s/ev/other'", root);
	assert_string_equal(msg, want);
	/* the hard link: under the roots by device and inode, named or not */
	snprintf(want, sizeof(want), " (the same file as '%s/E1.raw'), a file of the case in '%s'", c1, c1);
	assert_int_equal(evidence("h.raw", 1, roots, 2, msg, sizeof(msg)), 1);
	assert_string_equal(msg, want);
	assert_int_equal(evidence("h.raw", 0, roots, 2, msg, sizeof(msg)), 1);
	assert_string_equal(msg, want);
	/* ... and not found without the roots */
	assert_int_equal(evidence("h.raw", 1, NULL, 0, msg, sizeof(msg)), 0);
	/* a file under the roots that is in no case */
	assert_int_equal(evidence("cases/notes.txt", 0, roots, 2, msg, sizeof(msg)), 1);
	snprintf(want, sizeof(want), " (the same file as '%s/notes.txt'), a file under '%s'", cases, cases);
	assert_string_equal(msg, want);
	/* an image adopted in place, and the original of one copied in */
	assert_int_equal(evidence("lab/img.raw", 1, roots, 2, msg, sizeof(msg)), 1);
	snprintf(want, sizeof(want), ", image E2 of the case in '%s' (adopted where it lies)", c1);
	assert_string_equal(msg, want);
	assert_int_equal(evidence("lab/orig.raw", 1, roots, 2, msg, sizeof(msg)), 1);
	snprintf(want, sizeof(want), ", the file image E3 of the case in '%s' was adopted from", c1);
	assert_string_equal(msg, want);
	/* those only through the records of a case under the roots */
	assert_int_equal(evidence("lab/img.raw", 1, NULL, 0, msg, sizeof(msg)), 0);
	/* a card image that is nobody's evidence */
	assert_int_equal(evidence("lab/card.img", 1, roots, 2, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(evidence("lab/card.img", 0, roots, 2, msg, sizeof(msg)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop_users),
		cmocka_unit_test(test_evidence_file),
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
