/*
 * test_sandbox.c — the seccomp filter of the walk's child
 * (src/evidence/sandbox.c) and what the parent says of a child it killed
 * (src/evidence/isolate.c).
 *
 * Each test forks; the child installs the filter and tries one thing; the
 * parent reads how it ended: an exit code it chose (the call worked, or
 * failed with EPERM) or SIGSYS (the filter killed it).  Then a whole
 * isolated walk (the forked variant) over an image whose reads make a
 * forbidden call: the warning names the filter; one whose reads make a
 * harmless unforeseen call walks to the end.
 *
 * Built with AddressSanitizer (make check), the filter also lets files be
 * opened to read (LeakSanitizer reads /proc): that assertion differs, and
 * says so; the others hold in both builds.
 *
 * Needs CT_BUILD (tools/gen-cardimg), as tests/run.sh sets it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "evidence/isolate.h"
#include "evidence/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* a child's exit codes */
enum { C_WORKED = 0, C_EPERM = 1, C_OTHER = 2, C_NO_FILTER = 3 };

static char dir[64], card[128], text_file[128];

/* Fork; the child installs the filter (with flags) and runs try(arg),
 * whose value is its exit code.  The child's wait status. */
static int
in_child(unsigned flags, int (*try)(const void *), const void *arg)
{
	char err[300];
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (ct_sandbox_walk(flags, err, sizeof(err)) < 0) {
			fprintf(stderr, "no filter: %s\n", err);
			_exit(C_NO_FILTER);
		}
		_exit(try(arg));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void
assert_exit(int status, int code)
{
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), code);
}

static void
assert_sigsys(int status)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static int
result(int ret)
{
	return ret >= 0 ? C_WORKED : errno == EPERM ? C_EPERM : C_OTHER;
}

/* ---- what the walk does: works ---- */

struct rw {
	int in, out;
};

static int
try_read_write(const void *arg)
{
	const struct rw *p = arg;
	char b[8];

	if (lseek(p->in, 0, SEEK_SET) != 0 || read(p->in, b, 4) != 4 || pread(p->in, b + 4, 4, 0) != 4)
		return C_OTHER;
	if (write(p->out, b, 8) != 8 || write(STDERR_FILENO, "", 0) != 0)
		return C_OTHER;
	return C_WORKED;
}

static void
test_read_and_write(void **state)
{
	struct rw p;
	int pipefd[2];
	char b[16] = "";

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	p.in = open(text_file, O_RDONLY);
	assert_true(p.in >= 0);
	p.out = pipefd[1];
	assert_exit(in_child(0, try_read_write, &p), C_WORKED);
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], b, sizeof(b) - 1), 8);
	assert_string_equal(b, "texttext");
	close(pipefd[0]);
	close(p.in);
}

/* malloc, big and small; a signal to itself (abort) ends it by that
 * signal, not by SIGSYS */
static int
try_malloc_abort(const void *arg)
{
	char *a = malloc(16), *b = malloc(8u << 20);

	(void)arg;
	if (a == NULL || b == NULL)
		return C_OTHER;
	memset(b, 1, 8u << 20);
	free(a);
	free(b);
	abort();
}

static void
test_abort_is_abort(void **state)
{
	int status;

	(void)state;
	status = in_child(0, try_malloc_abort, NULL);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* ---- what a compromised child would do: SIGSYS ---- */

static int
try_socket(const void *arg)
{
	(void)arg;
	return result(socket(AF_INET, SOCK_STREAM, 0));
}

static int
try_execve(const void *arg)
{
	char *argv[] = { (char *)"true", NULL }, *envp[] = { NULL };

	(void)arg;
	return result(execve("/bin/true", argv, envp));
}

static int
try_fork(const void *arg)
{
	pid_t pid;

	(void)arg;
	if ((pid = fork()) == 0)
		_exit(0);
	return result(pid);
}

static int
try_kill_parent(const void *arg)
{
	(void)arg;
	/* signal 0: nothing is sent, but the call is made */
	return result(kill(getppid(), 0));
}

static int
try_open(const void *arg)
{
	const int *flags = arg;
	int fd = open(*flags & O_CREAT ? card : text_file, *flags, 0600);

	if (fd >= 0)
		close(fd);
	return result(fd);
}

static int
try_openat_create(const void *arg)
{
	char path[160];

	(void)arg;
	snprintf(path, sizeof(path), "%s/created", dir);
	return result(openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL, 0600));
}

static int
try_unlink(const void *arg)
{
	(void)arg;
	return result(unlink(text_file));
}

static void
test_forbidden_calls_kill(void **state)
{
	static const int writes[] = { O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC, O_WRONLY | O_CREAT };
	struct stat st;
	char path[160];
	size_t i;

	(void)state;
	assert_sigsys(in_child(0, try_socket, NULL));
	assert_sigsys(in_child(0, try_execve, NULL));
	assert_sigsys(in_child(0, try_fork, NULL));
	assert_sigsys(in_child(0, try_kill_parent, NULL));
	assert_sigsys(in_child(0, try_openat_create, NULL));
	snprintf(path, sizeof(path), "%s/created", dir);
	assert_int_equal(stat(path, &st), -1);
	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		/* also when reads are allowed */
		assert_sigsys(in_child(0, try_open, &writes[i]));
		assert_sigsys(in_child(CT_SANDBOX_OPEN_READ, try_open, &writes[i]));
	}
	assert_sigsys(in_child(0, try_unlink, NULL));
	/* nothing was truncated or removed */
	assert_int_equal(stat(text_file, &st), 0);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(stat(card, &st), 0);
	assert_true(st.st_size > 0);
}

/* ---- the unforeseen: EPERM, the child lives ---- */

static int
try_mmap_exec(const void *arg)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)arg;
	return result(p == MAP_FAILED ? -1 : 0);
}

static int
try_open_hostname(const void *arg)
{
	const char *path = access("/etc/hostname", R_OK) == 0 ? "/etc/hostname" : text_file;
	int fd = open(path, O_RDONLY);

	(void)arg;
	if (fd >= 0)
		close(fd);
	return result(fd);
}

static void
test_unforeseen_calls_fail(void **state)
{
	static const int rdonly = O_RDONLY;

	(void)state;
	assert_exit(in_child(0, try_mmap_exec, NULL), C_EPERM);
#ifdef UNDER_ASAN
	/* the sanitizer build lets files be opened to read (sandbox.h) */
	assert_exit(in_child(0, try_open_hostname, NULL), C_WORKED);
#else
	assert_exit(in_child(0, try_open_hostname, NULL), C_EPERM);
#endif
	/* a split image: libtsk reopens its segments by name */
	assert_exit(in_child(CT_SANDBOX_OPEN_READ, try_open, &rdonly), C_WORKED);
}

/* ---- a whole walk in a (forked) child ---- */

/* An image read through pread on fd, which also makes the call misbehave
 * names on every read (a hostile card's code running in libtsk). */
struct eimg {
	TSK_IMG_INFO img;
	int fd;
};

static int misbehave;	/* 0 nothing, 1 socket(), 2 open() to read */

static ssize_t
eimg_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
	struct eimg *e = (struct eimg *)img;
	int fd;

	if (misbehave == 1 && (fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0)
		close(fd);
	if (misbehave == 2 && (fd = open(text_file, O_RDONLY)) >= 0)
		close(fd);
	return pread(e->fd, buf, len, off);
}

static void
eimg_close(TSK_IMG_INFO *img)
{
	struct eimg *e = (struct eimg *)img;

	close(e->fd);
	free(e);
}

static void
eimg_stat(TSK_IMG_INFO *img, FILE *f)
{
	(void)img;
	(void)f;
}

struct seen {
	unsigned items, done_ok;
	char warnings[2048];
};

static int
on_item(void *ctx, const struct ct_witem *it)
{
	((struct seen *)ctx)->items++;
	return 0;
}

static int
on_warn(void *ctx, uint32_t vol, const char *text)
{
	struct seen *s = ctx;
	size_t n = strlen(s->warnings);

	snprintf(s->warnings + n, sizeof(s->warnings) - n, "%s\n", text);
	return 0;
}

static int
on_done(void *ctx, uint32_t vol, int ok)
{
	((struct seen *)ctx)->done_ok += ok != 0;
	return 0;
}

static int
walk(int how, struct seen *s)
{
	struct ct_isolate_opts o = {
		.seconds = 20, .max_bytes = CT_ISOLATE_MAX_BYTES, .max_items = CT_WALK_MAX_ITEMS,
		.exe = NULL,	/* the forked child: it reads through eimg_read */
	};
	const struct ct_walk_sink sink = { NULL, on_item, NULL, NULL, on_warn, on_done, s };
	struct eimg *e = calloc(1, sizeof(*e));
	struct stat st;
	TSK_IMG_INFO *img;
	int ret;

	memset(s, 0, sizeof(*s));
	assert_non_null(e);
	e->fd = open(card, O_RDONLY);
	assert_true(e->fd >= 0);
	assert_int_equal(fstat(e->fd, &st), 0);
	img = tsk_img_open_external(e, st.st_size, 512, eimg_read, eimg_close, eimg_stat);
	assert_non_null(img);
	misbehave = how;
	ret = ct_walk_isolated(img, &o, &sink);
	misbehave = 0;
	tsk_img_close(img);
	return ret;
}

static void
test_walk_killed_says_so(void **state)
{
	struct seen s;

	(void)state;
	/* as it should be: three files, the filter loaded (no warning) */
	assert_int_equal(walk(0, &s), 0);
	assert_int_equal(s.items, 3);
	assert_int_equal(s.done_ok, 1);
	assert_string_equal(s.warnings, "");
	/* a read that opens a file: EPERM (or allowed, sanitizer build), the
	 * walk goes on to the end */
	assert_int_equal(walk(2, &s), 0);
	assert_int_equal(s.items, 3);
	assert_int_equal(s.done_ok, 1);
	assert_string_equal(s.warnings, "");
	/* a read that opens a socket: killed, and the warning says by what */
	assert_true(walk(1, &s) >= 0);
	assert_int_equal(s.done_ok, 0);
	assert_non_null(strstr(s.warnings, "stopped"));
	assert_non_null(strstr(s.warnings, "it was ended by signal 31 (SYS: killed by the seccomp "
			       "filter (a forbidden system call))"));
}

static int
setup(void **state)
{
	const char *build = getenv("CT_BUILD");
	char cmd[512];
	FILE *f;

	(void)state;
	if (build == NULL) {
		fprintf(stderr, "CT_BUILD must be set (tests/run.sh)\n");
		return -1;
	}
	snprintf(dir, sizeof(dir), "/tmp/ct-sandbox.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(card, sizeof(card), "%s/card.img", dir);
	snprintf(text_file, sizeof(text_file), "%s/text", dir);
	if ((f = fopen(text_file, "w")) == NULL || fputs("text\n", f) < 0 || fclose(f) != 0)
		return -1;
	/* FAT16, 2 MiB: the walk reads past libtsk's first cached 64 KiB */
	snprintf(cmd, sizeof(cmd), "'%s/tools/gen-cardimg' -t fat16 --size 2162688 --files 3 -o '%s'",
		 build, card);
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
		cmocka_unit_test(test_read_and_write),
		cmocka_unit_test(test_abort_is_abort),
		cmocka_unit_test(test_forbidden_calls_kill),
		cmocka_unit_test(test_unforeseen_calls_fail),
		cmocka_unit_test(test_walk_killed_says_so),
	};

	alarm(120);
	return cmocka_run_group_tests(tests, setup, teardown);
}
