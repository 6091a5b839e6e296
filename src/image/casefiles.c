/*
 * casefiles.c — the files of an evidence item in the case folder: its id,
 * exclusive creation, the record on disk, and room for it all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cardtrail/util.h"
#include "image/acq.h"

static int
file_exists(const char *dir, const char *id, const char *suffix)
{
	char path[PATH_MAX];
	struct stat st;

	if (ct_snprintf(path, sizeof(path), "%s/%s%s", dir, id, suffix) < 0)
		return 1;
	return lstat(path, &st) == 0;
}

int
id_taken(const char *dir, const char *id)
{
	return file_exists(dir, id, ".acquisition.json") || file_exists(dir, id, ".map") ||
	       sink_files_exist(dir, id);
}

int
open_case_file(struct acq *a, const char *suffix, int create, off_t reserve)
{
	char path[PATH_MAX];
	int fd, flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;

	if (ct_snprintf(path, sizeof(path), "%s/%s%s", a->casedir, a->id, suffix) < 0)
		return -ENAMETOOLONG;
	if (create)
		flags |= O_CREAT | O_EXCL;
	fd = open(path, flags, 0644);
	if (fd < 0)
		return -errno;
	/* Reserve room beyond EOF so the final rewrite of a small file does
	 * not fail on a disk the image itself filled. */
	if (reserve > 0)
		(void)fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, reserve);
	return fd;
}

int
read_whole(int fd, char **out, size_t *outlen)
{
	struct stat st;
	char *buf;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size > (64 << 20))
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return -ENOMEM;
	n = pread(fd, buf, (size_t)st.st_size, 0);
	if (n < 0) {
		free(buf);
		return -errno;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = (size_t)n;
	return 0;
}

/* Nearest existing ancestor of path (for the free-space check). */
void
existing_ancestor(const char *path, char *out, size_t len)
{
	struct stat st;
	char *slash;

	snprintf(out, len, "%s", path);
	while (stat(out, &st) < 0) {
		slash = strrchr(out, '/');
		if (slash == NULL) {
			snprintf(out, len, ".");
			return;
		}
		if (slash == out) {
			out[1] = '\0';
			return;
		}
		*slash = '\0';
	}
}

int
space_check(struct acq *a, uint64_t need)
{
	char anc[PATH_MAX];
	struct statvfs vfs;
	uint64_t avail;

	existing_ancestor(a->casedir, anc, sizeof(anc));
	if (statvfs(anc, &vfs) < 0)
		return acq_error(a, -errno, "cannot check free space in '%s': %s", anc,
				 strerror(errno));
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	need += 4ULL << 20;	/* record, mapfile, slack */
	if (avail < need) {
		char h1[32], h2[32];
		ct_human_size(need, h1, sizeof(h1));
		ct_human_size(avail, h2, sizeof(h2));
		return acq_error(a, -ENOSPC, "not enough space in '%s': the image needs %s, %s "
				 "free (nothing written; --no-space-check to try anyway)",
				 a->casedir, h1, h2);
	}
	return 0;
}

int
record_write(struct acq *a)
{
	const char *text;
	size_t len;
	int ret;

	text = json_object_to_json_string_ext(a->rec, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	ret = ct_pwrite_all(a->rec_fd, text, len, 0);
	if (ret == 0)
		ret = ct_pwrite_all(a->rec_fd, "\n", 1, len);
	if (ret == 0 && ftruncate(a->rec_fd, (off_t)len + 1) < 0)
		ret = -errno;
	if (ret == 0 && fsync(a->rec_fd) < 0)
		ret = -errno;
	return ret;
}

int
new_evidence(struct acq *a, const char *given, const char *hint)
{
	size_t i;
	int ret;

	if ((ret = ct_mkdir_p(a->casedir)) < 0)
		return acq_error(a, ret, "cannot create case folder '%s': %s", a->casedir,
				 strerror(-ret));
	if (given) {
		snprintf(a->id, sizeof(a->id), "%s", given);
		if (id_taken(a->casedir, a->id))
			return acq_error(a, -EEXIST, "evidence %s already exists in '%s' (nothing is "
					 "overwritten%s)", a->id, a->casedir, hint);
		a->rec_fd = open_case_file(a, ".acquisition.json", 1, 1 << 20);
	} else {
		for (i = 1; i < 100000; i++) {
			snprintf(a->id, sizeof(a->id), "E%zu", i);
			if (id_taken(a->casedir, a->id))
				continue;
			a->rec_fd = open_case_file(a, ".acquisition.json", 1, 1 << 20);
			if (a->rec_fd != -EEXIST)
				break;
		}
	}
	if (a->rec_fd < 0) {
		ret = acq_error(a, a->rec_fd, "cannot create the record of %s in '%s': %s", a->id,
				a->casedir, strerror(-a->rec_fd));
		a->rec_fd = -1;
		return ret;
	}
	a->rec_live = 1;	/* ours: it says how far this run got, even if not far */
	return 0;
}

int
record_close(struct acq *a, int ret, int complete, const char *status, const char *error)
{
	char ts[32];
	int r;

	ct_time_utc(time(NULL), ts, sizeof(ts));
	jset(a->rec, "finished", json_object_new_string(ts));
	jset(a->rec, "complete", json_object_new_boolean(complete && ret == 0));
	jset(a->rec, "status", json_object_new_string(status));
	if (error)
		jset(a->rec, "error", json_object_new_string(error));
	else
		json_object_object_del(a->rec, "error");
	r = record_write(a);
	if (r < 0 && ret == 0)
		ret = acq_error(a, r, "cannot write the record of %s: %s", a->id, strerror(-r));
	if (close(a->rec_fd) < 0 && ret == 0)
		ret = acq_error(a, -errno, "cannot close the record: %s", strerror(errno));
	a->rec_fd = -1;
	ct_fsync_dir(a->casedir);
	return ret;
}
