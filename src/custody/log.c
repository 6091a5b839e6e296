/*
 * log.c — CASEDIR/custody.log: read, append under flock, repair a torn tail.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>
#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/hash.h"
#include "cardtrail/image.h"
#include "cardtrail/util.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define MAX_LOG_SIZE (256u << 20)

static void
seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
ct_sha256_hex(const void *p, size_t len, char out[65])
{
	unsigned char d[32];

	gcry_md_hash_buffer(GCRY_MD_SHA256, d, p, len);
	ct_hex(d, 32, out);
}

const char *
ct_custody_examiner(const char *given)
{
	static char name[256];
	const char *e;
	struct passwd *pw;

	if (given && *given)
		return given;
	if ((e = getenv("CARDTRAIL_EXAMINER")) != NULL && *e)
		return e;
	if ((pw = getpwuid(geteuid())) != NULL && pw->pw_name) {
		snprintf(name, sizeof(name), "%s", pw->pw_name);
		return name;
	}
	snprintf(name, sizeof(name), "uid %u", (unsigned)geteuid());
	return name;
}

/* Split a buffer into lines; the bytes after the last newline are torn. */
static int
split_lines(char *buf, size_t len, struct ct_custody_log *log)
{
	size_t start = 0, i, cap = 0;

	memset(log, 0, sizeof(*log));
	for (i = 0; i < len; i++) {
		struct ct_custody_line *l;
		if (buf[i] != '\n')
			continue;
		if (log->n == cap) {
			struct ct_custody_line *nl;
			cap = cap ? cap * 2 : 64;
			nl = realloc(log->lines, cap * sizeof(*nl));
			if (nl == NULL)
				return -ENOMEM;
			log->lines = nl;
		}
		l = &log->lines[log->n++];
		l->len = i - start;
		l->off = start;
		/* the line's real bytes (hashes are over them), NUL-terminated */
		l->bytes = malloc(l->len + 1);
		if (l->bytes == NULL)
			return -ENOMEM;
		memcpy(l->bytes, buf + start, l->len);
		l->bytes[l->len] = '\0';
		/* a NUL inside means the parser would see less than is hashed:
		 * such a line is not a record */
		l->rec = memchr(l->bytes, '\0', l->len) ? NULL : json_tokener_parse(l->bytes);
		if (l->rec && !json_object_is_type(l->rec, json_type_object)) {
			json_object_put(l->rec);
			l->rec = NULL;
		}
		start = i + 1;
	}
	if (start < len) {
		log->torn_len = len - start;
		log->torn_off = start;
		log->torn = malloc(log->torn_len + 1);
		if (log->torn == NULL)
			return -ENOMEM;
		memcpy(log->torn, buf + start, log->torn_len);
		log->torn[log->torn_len] = '\0';
	}
	return 0;
}

static int
read_fd(int fd, char **out, size_t *outlen)
{
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size > MAX_LOG_SIZE)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*outlen = got;
	return 0;
}

/* What a non-regular file is, for the message that refuses it. */
static const char *
file_kind(mode_t m)
{
	static const struct {
		mode_t type;
		const char *name;
	} kinds[] = {
		{ S_IFIFO, "a FIFO" }, { S_IFSOCK, "a socket" }, { S_IFCHR, "a character device" },
		{ S_IFBLK, "a block device" }, { S_IFDIR, "a directory" }, { S_IFLNK, "a symbolic link" },
	};
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(kinds); i++)
		if ((m & S_IFMT) == kinds[i].type)
			return kinds[i].name;
	return "not a file";
}

/*
 * Open the log at path.  O_NONBLOCK: a FIFO (or a device) planted as
 * custody.log must be refused at once, not block the open or the read.
 * Returns the descriptor, -ENOENT, -EINVAL when it is not a regular file
 * (err says what it is), or another -errno.
 */
static int
open_log(const char *path, int flags, char *err, size_t errlen)
{
	struct stat st;
	int fd, ret;

	fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0644);
	if (fd < 0) {
		ret = -errno;
		/* a socket (ENXIO), a directory opened for writing (EISDIR) or
		 * a symbolic link (ELOOP): say what it is */
		if ((ret == -ENXIO || ret == -EISDIR || ret == -ELOOP) && lstat(path, &st) == 0 &&
		    !S_ISREG(st.st_mode)) {
			seterr(err, errlen, "'%s' is not a regular file (%s): refusing it", path,
			       file_kind(st.st_mode));
			return -EINVAL;
		}
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "'%s' is not a regular file (%s): refusing it", path,
		       file_kind(st.st_mode));
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int
ct_custody_check(const char *casedir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd, ret;

	if ((ret = ct_snprintf(path, sizeof(path), "%s/%s", casedir, CT_CUSTODY_LOG)) < 0) {
		seterr(err, errlen, "'%s': the path is too long", casedir);
		return ret;
	}
	fd = open_log(path, O_RDONLY, err, errlen);
	if (fd == -ENOENT)
		return 1;
	if (fd < 0) {
		if (fd != -EINVAL)
			seterr(err, errlen, "cannot open '%s': %s", path, strerror(-fd));
		return fd;
	}
	close(fd);
	return 0;
}

void
ct_custody_release(struct ct_custody_log *log)
{
	size_t i;

	if (log == NULL)
		return;
	for (i = 0; i < log->n; i++) {
		free(log->lines[i].bytes);
		json_object_put(log->lines[i].rec);
	}
	free(log->lines);
	free(log->torn);
	memset(log, 0, sizeof(*log));
}

int
ct_custody_read(const char *casedir, struct ct_custody_log *log)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	int fd, ret;

	memset(log, 0, sizeof(*log));
	if ((ret = ct_snprintf(path, sizeof(path), "%s/%s", casedir, CT_CUSTODY_LOG)) < 0)
		return ret;
	fd = open_log(path, O_RDONLY, NULL, 0);
	if (fd < 0)
		return fd == -ENOENT ? 1 : fd;
	/* a shared lock: never read an append half-way */
	if (flock(fd, LOCK_SH) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = read_fd(fd, &buf, &len);
	close(fd);
	if (ret < 0)
		return ret;
	ret = split_lines(buf, len, log);
	free(buf);
	if (ret < 0)
		ct_custody_release(log);
	return ret;
}

int
ct_custody_file_json(const char *casedir, const char *name, struct json_object **out)
{
	char path[PATH_MAX], hex[65];
	unsigned char d[32];
	unsigned long long bytes = 0;
	struct json_object *o;
	int ret;

	if ((ret = ct_snprintf(path, sizeof(path), "%s/%s", casedir, name)) < 0)
		return ret;
	if ((ret = ct_sha256_file(path, d, &bytes)) < 0)
		return ret;
	ct_hex(d, 32, hex);
	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(name));
	json_object_object_add(o, "sha256", json_object_new_string(hex));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)bytes));
	*out = o;
	return 0;
}

long long
ct_custody_time(const char *when)
{
	struct tm tm;
	const char *end;
	time_t t;

	if (when == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *end != '\0' ||
	    (t = timegm(&tm)) < 0)
		return -1;
	return (long long)t;
}

static void
new_uuid(char out[37])
{
	unsigned char u[16];
	char hex[33];

	gcry_randomize(u, sizeof(u), GCRY_STRONG_RANDOM);
	u[6] = (u[6] & 0x0f) | 0x40;	/* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	ct_hex(u, 16, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static const char *
jget_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/*
 * Make the line for a record: the fixed fields first, in a fixed order, then
 * what the caller gave, then prev, then the signature.  *line is malloc'd.
 * Its time never goes back: not earlier than floor (the last record's
 * time, -1 none).  A clock that reads earlier (stepped back, or the case
 * came from a machine whose clock ran ahead) stamps floor, and the record
 * keeps what the clock read as "clock": verify fails a log whose times go
 * back, as a signer who chose an old time to pass a key's validity would.
 */
static int
compose(struct json_object *given, uint64_t seq, const char *caseid, const char *prev,
	long long floor, const struct ct_append_opts *o, char **line, size_t *linelen,
	char *err, size_t errlen)
{
	static const char *const caller_keys[] = { "subject", "inputs", "outputs", "result" };
	struct json_object *r = json_object_new_object();
	char ts[32], clock[32] = "", host[256] = "", *out = NULL, *armored = NULL;
	const char *text;
	time_t now = time(NULL);
	size_t i, tl;
	int ret = 0;

	if (floor >= 0 && (long long)now < floor) {
		ct_time_utc(now, clock, sizeof(clock));
		now = (time_t)floor;
	}
	ct_time_utc(now, ts, sizeof(ts));
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "?");
	json_object_object_add(r, "v", json_object_new_int(1));
	json_object_object_add(r, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(r, "time", json_object_new_string(ts));
	if (clock[0])
		json_object_object_add(r, "clock", json_object_new_string(clock));
	json_object_object_add(r, "case", json_object_new_string(caseid));
	json_object_object_add(r, "action", json_object_new_string(jget_str(given, "action")));
	json_object_object_add(r, "examiner",
			       json_object_new_string(ct_custody_examiner(o ? o->examiner : NULL)));
	json_object_object_add(r, "host", json_object_new_string(host));
	json_object_object_add(r, "tool", json_object_new_string(ct_tool_string()));
	for (i = 0; i < CT_ARRAY_SIZE(caller_keys); i++) {
		struct json_object *v;
		if (json_object_object_get_ex(given, caller_keys[i], &v))
			json_object_object_add(r, caller_keys[i], json_object_get(v));
	}
	json_object_object_add(r, "prev", json_object_new_string(prev));
	text = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	tl = strlen(text);
	if (memchr(text, '\n', tl)) {
		ret = -EINVAL;
		goto out;
	}
	if (o && o->key) {
		struct json_object *s;
		const char *sj;

		if ((ret = ct_sshsig_sign(o->key, CT_SSHSIG_NAMESPACE, text, tl, &armored, err,
					  errlen)) < 0)
			goto out;
		s = json_object_new_string(armored);
		sj = json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE);
		/* the record's bytes without its closing brace, then the sig */
		if (asprintf(&out, "%.*s,\"sig\":%s}", (int)(tl - 1), text, sj) < 0)
			out = NULL;
		json_object_put(s);
	} else {
		out = strdup(text);
	}
	if (out == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	*line = out;
	*linelen = strlen(out);
out:
	free(armored);
	json_object_put(r);
	return ret;
}

/* Record 0 of a new case: "open", a fresh case UUID (caseid, 64 bytes). */
static int
open_record(const char *casedir, const struct ct_append_opts *o, char *caseid, char **line,
	    size_t *len, char *err, size_t errlen)
{
	struct json_object *op = json_object_new_object(), *res = json_object_new_object();
	int ret;

	new_uuid(caseid);
	json_object_object_add(op, "action", json_object_new_string("open"));
	json_object_object_add(res, "case_dir", json_object_new_string(casedir));
	json_object_object_add(op, "result", res);
	ret = compose(op, 0, caseid, ZERO_HASH, -1, o, line, len, err, errlen);
	json_object_put(op);
	return ret;
}

/*
 * Make path (CASEDIR/custody.log) holding its open record, atomically: the
 * record is written and fsynced under a temporary name, then linked into
 * place, so no reader or appender ever sees a case without its open
 * record, and of two processes opening the same case one wins.  -EEXIST if
 * a log is there.  A filesystem without hard links (exFAT, FAT) gets the
 * log created empty instead; the first append then writes the open record.
 */
static int
create_log(const char *casedir, const char *path, const struct ct_append_opts *o, char *err,
	   size_t errlen)
{
	char tmp[PATH_MAX], caseid[64], *line = NULL, why[768] = "";
	unsigned char rnd[8];
	char rhex[17];
	size_t len = 0;
	int fd = -1, ret;

	if ((ret = ct_mkdir_p(casedir)) < 0) {
		seterr(err, errlen, "cannot create case folder '%s': %s", casedir, strerror(-ret));
		return ret;
	}
	gcry_create_nonce(rnd, sizeof(rnd));
	ct_hex(rnd, sizeof(rnd), rhex);
	if ((ret = ct_snprintf(tmp, sizeof(tmp), "%s/.%s.new-%s", casedir, CT_CUSTODY_LOG, rhex)) < 0 ||
	    (ret = open_record(casedir, o, caseid, &line, &len, why, sizeof(why))) < 0) {
		seterr(err, errlen, "cannot make the open record of '%s': %s; nothing was written",
		       casedir, why[0] ? why : strerror(-ret));
		goto out;
	}
	line[len++] = '\n';	/* over its NUL: written by length from here */
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0 ||
	    (ret = ct_pwrite_all(fd, line, len, 0)) < 0 || fsync(fd) < 0) {
		ret = ret < 0 ? ret : -errno;
		seterr(err, errlen, "cannot write '%s': %s", tmp, strerror(-ret));
		goto out;
	}
	if (link(tmp, path) < 0) {
		ret = -errno;
		if (ret == -EPERM || ret == -EOPNOTSUPP || ret == -EMLINK) {
			/* no hard links here: an empty log, as before */
			int nfd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
			ret = nfd < 0 ? -errno : 0;
			if (nfd >= 0)
				close(nfd);
		}
		if (ret < 0 && ret != -EEXIST)
			seterr(err, errlen, "cannot create '%s': %s", path, strerror(-ret));
		goto out;
	}
	ret = ct_fsync_dir(casedir);
out:
	if (fd >= 0) {
		close(fd);
		(void)unlink(tmp);
	}
	free(line);
	return ret;
}

/* Open (creating it as create says) and lock the log. */
static int
open_locked(const char *casedir, const struct ct_append_opts *o, enum ct_append_create create,
	    char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd = -ENOENT, ret, tries;

	if ((ret = ct_snprintf(path, sizeof(path), "%s/%s", casedir, CT_CUSTODY_LOG)) < 0)
		return ret;
	for (tries = 0; tries < 2; tries++) {
		if (create != CT_APPEND_NEW || tries > 0) {
			fd = open_log(path, O_RDWR | O_APPEND, err, errlen);
			if (fd != -ENOENT || create == CT_APPEND_EXISTING)
				break;
		}
		ret = create_log(casedir, path, o, err, errlen);
		if (ret == -EEXIST && create == CT_APPEND_NEW) {
			fd = ret;
			break;
		}
		if (ret < 0 && ret != -EEXIST)
			return ret;
	}
	if (fd < 0) {
		if (fd == -ENOENT && create == CT_APPEND_EXISTING)
			seterr(err, errlen, "no custody log in '%s'", casedir);
		else if (fd == -EEXIST && create == CT_APPEND_NEW)
			seterr(err, errlen, "'%s' is already a case (its custody log exists)", casedir);
		else if (fd != -EINVAL)
			seterr(err, errlen, "cannot open '%s': %s", path, strerror(-fd));
		return fd;
	}
	if (flock(fd, LOCK_EX) < 0) {
		ret = -errno;
		seterr(err, errlen, "cannot lock '%s': %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * The bytes that append rec to log (whose torn tail, if any, is cut off
 * first), signed if o says so: *buf (malloc'd, *len bytes, the open
 * record first if log has none), and rec's seq.
 */
static int
make_lines(const char *casedir, const struct ct_custody_log *log, struct json_object *rec,
	   const struct ct_append_opts *o, char **bufp, size_t *lenp, uint64_t *seqp, char *err,
	   size_t errlen)
{
	char caseid[64], prev[65], *line = NULL, *open_line = NULL, why[768] = "";
	size_t ll = 0, ol = 0;
	long long floor = -1;
	uint64_t seq;
	int ret;

	*bufp = NULL;
	if (log->n == 0) {
		/* an empty log (a case created by an older version, or on a
		 * filesystem without hard links): its open record goes first */
		if ((ret = open_record(casedir, o, caseid, &open_line, &ol, why, sizeof(why))) < 0) {
			seterr(err, errlen, "cannot make the custody record: %s; it was not "
			       "appended", why[0] ? why : strerror(-ret));
			goto out;
		}
		ct_sha256_hex(open_line, ol, prev);
		seq = 1;
	} else {
		const struct ct_custody_line *last = &log->lines[log->n - 1];
		const struct ct_custody_line *first = &log->lines[0];
		const char *c = first->rec ? jget_str(first->rec, "case") : NULL;
		struct json_object *sv;

		if (last->rec == NULL || !json_object_object_get_ex(last->rec, "seq", &sv) ||
		    c == NULL) {
			seterr(err, errlen, "%s/%s: the last record is not a valid record; run "
			       "'cardtrail verify %s'", casedir, CT_CUSTODY_LOG, casedir);
			ret = -EBADMSG;
			goto out;
		}
		snprintf(caseid, sizeof(caseid), "%s", c);
		seq = (uint64_t)json_object_get_int64(sv) + 1;
		ct_sha256_hex(last->bytes, last->len, prev);
		floor = ct_custody_time(jget_str(last->rec, "time"));
	}
	if ((ret = compose(rec, seq, caseid, prev, floor, o, &line, &ll, why, sizeof(why))) < 0) {
		seterr(err, errlen, "cannot make the custody record: %s; it was not appended",
		       why[0] ? why : strerror(-ret));
		goto out;
	}
	if (asprintf(bufp, "%s%s%s\n", open_line ? open_line : "", open_line ? "\n" : "", line) < 0) {
		*bufp = NULL;
		ret = -ENOMEM;
		goto out;
	}
	*lenp = strlen(*bufp);
	*seqp = seq;
	ret = 0;
out:
	free(line);
	free(open_line);
	return ret;
}

/* Write buf (make_lines) at the end of the log open and locked on fd, in
 * one write, durably, or not at all. */
static int
write_lines(int fd, const char *casedir, const char *buf, size_t len, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int ret;

	if (fstat(fd, &st) < 0)
		return -errno;
	/* one write: a reader holding the shared lock never sees half */
	n = write(fd, buf, len);
	if (n < 0 || (size_t)n != len) {
		ret = n < 0 ? -errno : -EIO;
		/* take a partial line back; we hold the lock, nobody else wrote */
		if (n > 0 && ftruncate(fd, st.st_size) < 0)
			ret = -errno;
		seterr(err, errlen, "cannot append to %s/%s: %s", casedir, CT_CUSTODY_LOG,
		       strerror(-ret));
		return ret;
	}
	ret = 0;
	if (fsync(fd) < 0 || (ret = ct_fsync_dir(casedir)) < 0) {
		int e = ret < 0 ? -ret : errno;
		/* not durable: take the record back rather than leave a claim
		 * the command reports as failed (a retry would duplicate it) */
		if (ftruncate(fd, st.st_size) == 0 && fsync(fd) == 0)
			seterr(err, errlen, "cannot fsync %s/%s (%s): the record was taken back",
			       casedir, CT_CUSTODY_LOG, strerror(e));
		else
			seterr(err, errlen, "cannot fsync %s/%s (%s): the record may be in the log; "
			       "run 'cardtrail verify %s'", casedir, CT_CUSTODY_LOG, strerror(e), casedir);
		return -e;
	}
	return 0;
}

/* Append rec to the log open and locked on fd (whose content is log). */
static int
append_locked(int fd, const char *casedir, const struct ct_custody_log *log,
	      struct json_object *rec, const struct ct_append_opts *o, uint64_t *seq_out,
	      char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	uint64_t seq = 0;
	int ret;

	if (log->torn) {
		seterr(err, errlen, "%s/%s ends with a torn record (%zu bytes at offset %" PRIu64
		       "); nothing is appended on top of it: run 'cardtrail verify --repair %s'",
		       casedir, CT_CUSTODY_LOG, log->torn_len, log->torn_off, casedir);
		return -EBADMSG;
	}
	if ((ret = make_lines(casedir, log, rec, o, &buf, &len, &seq, err, errlen)) == 0 &&
	    (ret = write_lines(fd, casedir, buf, len, err, errlen)) == 0 && seq_out)
		*seq_out = seq;
	free(buf);
	return ret;
}

int
ct_custody_append(const char *casedir, struct json_object *rec, const struct ct_append_opts *o,
		  uint64_t *seq_out, char *err, size_t errlen)
{
	struct ct_custody_log log;
	char *buf = NULL;
	size_t len;
	int fd, ret;

	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	if (jget_str(rec, "action") == NULL) {
		seterr(err, errlen, "a custody record needs an action");
		return -EINVAL;
	}
	if ((fd = open_locked(casedir, o, o ? o->create : CT_APPEND_CREATE, err, errlen)) < 0)
		return fd;
	if ((ret = read_fd(fd, &buf, &len)) < 0) {
		seterr(err, errlen, "cannot read %s/%s: %s", casedir, CT_CUSTODY_LOG, strerror(-ret));
		goto out;
	}
	if ((ret = split_lines(buf, len, &log)) < 0) {
		ct_custody_release(&log);
		goto out;
	}
	ret = append_locked(fd, casedir, &log, rec, o, seq_out, err, errlen);
	ct_custody_release(&log);
out:
	free(buf);
	if (close(fd) < 0 && ret == 0) {
		ret = -errno;
		seterr(err, errlen, "cannot close %s/%s: %s", casedir, CT_CUSTODY_LOG, strerror(errno));
	}
	return ret;
}

/* The repair record of log's torn tail, set aside in name. */
static struct json_object *
repair_record(const struct ct_custody_log *log, const char *name)
{
	struct json_object *rec = json_object_new_object(), *outs = json_object_new_array();
	struct json_object *f = json_object_new_object(), *res = json_object_new_object();
	char hex[65];

	/* the file is written from these bytes, after the record is signed */
	ct_sha256_hex(log->torn, log->torn_len, hex);
	json_object_object_add(f, "path", json_object_new_string(name));
	json_object_object_add(f, "sha256", json_object_new_string(hex));
	json_object_object_add(f, "bytes", json_object_new_int64((int64_t)log->torn_len));
	json_object_object_add(rec, "action", json_object_new_string("repair"));
	json_object_array_add(outs, f);
	json_object_object_add(rec, "outputs", outs);
	json_object_object_add(res, "torn_offset", json_object_new_int64((int64_t)log->torn_off));
	json_object_object_add(res, "torn_bytes", json_object_new_int64((int64_t)log->torn_len));
	json_object_object_add(res, "kept_in", json_object_new_string(name));
	json_object_object_add(rec, "result", res);
	return rec;
}

/*
 * Set the torn tail aside and log that, both or neither: the repair record
 * is made (and signed: an agent may refuse) before anything changes; if it
 * cannot be appended after the cut, the torn bytes go back.
 */
int
ct_custody_repair(const char *casedir, const struct ct_append_opts *o, char *side, size_t sidelen,
		  char *err, size_t errlen)
{
	struct ct_custody_log log;
	struct json_object *rec = NULL;
	char name[128], why[1024] = "", *buf = NULL, *line = NULL;
	size_t len, ll = 0;
	uint64_t seq;
	int fd, ret;

	memset(&log, 0, sizeof(log));
	if ((ret = ct_gcrypt_init()) < 0)
		return ret;
	if ((fd = open_locked(casedir, o, CT_APPEND_EXISTING, err, errlen)) < 0)
		return fd == -ENOENT ? 1 : fd;
	if ((ret = read_fd(fd, &buf, &len)) < 0 || (ret = split_lines(buf, len, &log)) < 0)
		goto out;
	if (log.torn == NULL) {
		ret = 1;
		goto out;
	}
	snprintf(name, sizeof(name), "%s.torn-%" PRIu64, CT_CUSTODY_LOG, log.torn_off);
	rec = repair_record(&log, name);
	if ((ret = make_lines(casedir, &log, rec, o, &line, &ll, &seq, why, sizeof(why))) < 0) {
		seterr(err, errlen, "%s; nothing was changed: the torn record is still at the end "
		       "of %s/%s", why[0] ? why : strerror(-ret), casedir, CT_CUSTODY_LOG);
		goto out;
	}
	/* Set the torn bytes aside first: nothing is ever deleted. */
	if ((ret = ct_write_new_file(casedir, name, log.torn, log.torn_len)) < 0) {
		seterr(err, errlen, "cannot set the torn bytes aside in %s/%s: %s; nothing was "
		       "changed", casedir, name, strerror(-ret));
		goto out;
	}
	if (ftruncate(fd, (off_t)log.torn_off) < 0 || fsync(fd) < 0) {
		ret = -errno;
		seterr(err, errlen, "cannot cut the torn record from %s/%s (its bytes are safe in "
		       "%s): %s", casedir, CT_CUSTODY_LOG, name, strerror(errno));
		goto out;
	}
	if ((ret = write_lines(fd, casedir, line, ll, why, sizeof(why))) < 0) {
		char path[PATH_MAX];

		/* the cut without its record: put the torn bytes back */
		if (ct_pwrite_all(fd, log.torn, log.torn_len, (off_t)log.torn_off) == 0 &&
		    fsync(fd) == 0 && ct_snprintf(path, sizeof(path), "%s/%s", casedir, name) == 0 &&
		    unlink(path) == 0)
			seterr(err, errlen, "%s; the torn record was put back: nothing was changed",
			       why);
		else
			seterr(err, errlen, "%s; the torn record is in %s/%s, and the log has no "
			       "repair record: run 'cardtrail verify %s'", why, casedir, name, casedir);
		goto out;
	}
	if (side)
		snprintf(side, sidelen, "%s", name);
out:
	free(line);
	json_object_put(rec);
	ct_custody_release(&log);
	free(buf);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

int
ct_custody_line_hash(const char *casedir, uint64_t seq, char out[65])
{
	struct ct_custody_log log;
	int ret = ct_custody_read(casedir, &log);

	if (ret != 0)
		return ret == 1 ? -ENOENT : ret;
	if (seq < log.n)
		ct_sha256_hex(log.lines[seq].bytes, log.lines[seq].len, out);
	else
		ret = -ENOENT;
	ct_custody_release(&log);
	return ret;
}
