/*
 * trust.c — which keys may sign, and as whom: public key files, and
 * OpenSSH allowed_signers files read as `ssh-keygen -Y verify` reads them
 * (sshsig.c of OpenSSH 9, ALLOWED SIGNERS in ssh-keygen(1)), so that both
 * come to the same verdict on the same file:
 *
 *   - a line is read whole, whatever its length (getline), up to its first
 *     NUL byte;
 *   - blank lines and lines starting with '#' (after " \t\r\n") are skipped;
 *   - the principals are the first token, split on " \t\r\n"; a double
 *     quote opens a token that runs to the next double quote;
 *   - then either the key ("TYPE BASE64"), or options up to the first
 *     space or tab not inside double quotes (\" escapes one) and the key;
 *   - options: cert-authority, namespaces="…", valid-after="…",
 *     valid-before="…" (YYYYMMDD[HHMM[SS]], Z or UTC for UTC), separated
 *     by commas, names in any case; anything else spoils the line;
 *   - a line ssh-keygen cannot read is skipped (ssh-keygen logs it and
 *     goes on): here it is kept as a problem the command layer reports;
 *   - principals and namespaces are comma-separated patterns ('*', '?',
 *     '!' negates), compared case-sensitively; a pattern of 1023 bytes or
 *     more makes the whole list match nothing, as in OpenSSH.
 * A key is trusted for (principal, namespace, time) when any line that is
 * not a problem lists a matching principal, not cert-authority (cardtrail
 * does not check certificate signatures), the same key, allows the
 * namespace, and is valid at that time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cardtrail/custody.h"
#include "cardtrail/util.h"
#include "custody/keyimpl.h"

#define WHITESPACE " \t\r\n"
#define PATTERN_MAX 1024	/* OpenSSH's match_pattern_list sub[] */

struct trust_line {
	char *file;
	unsigned long line;
	char *principals;	/* NULL: the line has none ssh-keygen could read */
	struct ct_key *key;	/* NULL: no key cardtrail can use */
	char *namespaces;	/* NULL: any namespace */
	uint64_t valid_after, valid_before;	/* 0: no limit */
	int ca;
	const char *problem;	/* why the line never matches, or NULL */
};

struct ct_trust {
	struct trust_line *l;
	size_t n;
};

struct ct_trust *
ct_trust_new(void)
{
	return calloc(1, sizeof(struct ct_trust));
}

static void
line_release(struct trust_line *tl)
{
	free(tl->file);
	free(tl->principals);
	free(tl->namespaces);
	ct_key_free(tl->key);
	memset(tl, 0, sizeof(*tl));
}

void
ct_trust_free(struct ct_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		line_release(&t->l[i]);
	free(t->l);
	free(t);
}

size_t
ct_trust_count(const struct ct_trust *t)
{
	size_t i, n = 0;

	for (i = 0; t && i < t->n; i++)
		n += t->l[i].problem == NULL;
	return n;
}

int
ct_trust_problem(const struct ct_trust *t, size_t i, const char **file, unsigned long *line,
		 const char **why)
{
	size_t k;

	for (k = 0; t && k < t->n; k++) {
		if (t->l[k].problem == NULL || i-- > 0)
			continue;
		*file = t->l[k].file;
		*line = t->l[k].line;
		*why = t->l[k].problem;
		return 1;
	}
	return 0;
}

/* ---- patterns ---- */

/* '*' and '?' as OpenSSH's match_pattern(), without its backtracking
 * blow-up on patterns like "*a*a*a*a*b": one pending star suffices. */
static int
glob_match(const char *s, const char *p)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p != '\0' && (*p == '?' || *p == *s)) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* match_pattern_list(s, list, 0): 1 a positive match, -1 a negated one, 0 none. */
static int
match_list(const char *s, const char *list)
{
	char sub[PATTERN_MAX];
	size_t i = 0, len = strlen(list), k;
	int neg, got = 0;

	while (i < len) {
		neg = list[i] == '!';
		i += (size_t)neg;
		for (k = 0; i < len && k < sizeof(sub) - 1 && list[i] != ','; k++, i++)
			sub[k] = list[i];
		if (k >= sizeof(sub) - 1)
			return 0;	/* too long: nothing matches */
		i += i < len && list[i] == ',';
		sub[k] = '\0';
		if (glob_match(s, sub)) {
			if (neg)
				return -1;
			got = 1;
		}
	}
	return got;
}

/* ---- reading a line as ssh-keygen does ---- */

/* strdelimw(): the next token, ending at whitespace, or a quoted one. */
static char *
next_token(char **s)
{
	char *tok = *s, *q;

	if (tok == NULL)
		return NULL;
	if ((q = strpbrk(tok, WHITESPACE "\"")) == NULL) {
		*s = NULL;	/* last token of the line: nothing follows */
		return tok;
	}
	if (*q == '"') {
		memmove(q, q + 1, strlen(q));	/* the quote goes, the NUL moves too */
		if ((q = strchr(q, '"')) == NULL) {
			*s = NULL;
			return NULL;	/* no closing quote */
		}
	}
	*q = '\0';
	*s = q + 1 + strspn(q + 1, WHITESPACE);
	return tok;
}

/* sshkey_advance_past_options(): to the first blank outside quotes. */
static int
skip_options(char **cpp)
{
	char *cp = *cpp;
	int quoted = 0;

	for (; *cp && (quoted || (*cp != ' ' && *cp != '\t')); cp++) {
		if (cp[0] == '\\' && cp[1] == '"')
			cp++;
		else if (*cp == '"')
			quoted = !quoted;
	}
	*cpp = cp;
	return *cp == '\0' && quoted ? -1 : 0;
}

/* opt_dequote(): "…" with \" for a quote; malloc'd, NULL with *why. */
static char *
dequote(const char **sp, const char **why)
{
	const char *s = *sp;
	char *out;
	size_t i = 0;

	if (*s != '"') {
		*why = "missing start quote";
		return NULL;
	}
	s++;
	if ((out = malloc(strlen(s) + 1)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	while (*s != '\0' && *s != '"') {
		if (s[0] == '\\' && s[1] == '"')
			s++;
		out[i++] = *s++;
	}
	if (*s == '\0') {
		*why = "missing end quote";
		free(out);
		return NULL;
	}
	out[i] = '\0';
	*sp = s + 1;
	return out;
}

/* parse_absolute_time(): YYYYMMDD[HHMM[SS]], 'Z' or "UTC" for UTC, else
 * local time; 0 is no time. */
static int
absolute_time(const char *s, uint64_t *t)
{
	static const struct {
		size_t len;
		const char *fmt;
	} forms[] = {
		{ 8, "%Y-%m-%d" }, { 12, "%Y-%m-%dT%H:%M" }, { 14, "%Y-%m-%dT%H:%M:%S" },
	};
	size_t l = strlen(s), i;
	char digits[16] = "", buf[32];
	const char *end;
	struct tm tm;
	time_t tt;
	int utc = 0;

	*t = 0;
	if (l > 1 && strcasecmp(s + l - 1, "Z") == 0) {
		utc = 1;
		l--;
	} else if (l > 3 && strcasecmp(s + l - 3, "UTC") == 0) {
		utc = 1;
		l -= 3;
	}
	for (i = 0; i < CT_ARRAY_SIZE(forms) && forms[i].len != l; i++)
		;
	if (i == CT_ARRAY_SIZE(forms))
		return -EINVAL;
	/* strptime wants separators between the fields; the digits are
	 * copied first so that no field is read past the string's end */
	memcpy(digits, s, l);
	snprintf(buf, sizeof(buf), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s", digits, digits + 4, digits + 6,
		 digits + 8, digits + 10, digits + 12);
	buf[l == 8 ? 10 : l == 12 ? 16 : 19] = '\0';
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(buf, forms[i].fmt, &tm)) == NULL || *end != '\0')
		return -EINVAL;
	if ((tt = utc ? timegm(&tm) : mktime(&tm)) < 0)
		return -EINVAL;
	*t = (uint64_t)tt;
	return 0;
}

static int
option_time(const char **opts, uint64_t *t, const char *name, const char **why)
{
	static const char *const multiple[] = { "multiple \"valid-after\" clauses",
						"multiple \"valid-before\" clauses" };
	static const char *const invalid[] = { "invalid \"valid-after\" time",
					       "invalid \"valid-before\" time" };
	int which = strcmp(name, "valid-before") == 0;
	char *v;
	int ret;

	if (*t != 0) {
		*why = multiple[which];
		return -EINVAL;
	}
	if ((v = dequote(opts, why)) == NULL)
		return -EINVAL;
	ret = absolute_time(v, t);
	free(v);
	if (ret < 0 || *t == 0) {
		*why = invalid[which];
		return -EINVAL;
	}
	return 0;
}

/* opt_match(): NAME= in any case. */
static int
option_is(const char **opts, const char *name)
{
	size_t l = strlen(name);

	if (strncasecmp(*opts, name, l) != 0 || (*opts)[l] != '=')
		return 0;
	*opts += l + 1;
	return 1;
}

/* sshsigopt_parse(). */
static int
parse_options(const char *opts, struct trust_line *tl, const char **why)
{
	if (opts == NULL)
		return 0;
	while (*opts && *opts != ' ' && *opts != '\t') {
		if (strncasecmp(opts, "cert-authority", 14) == 0) {
			tl->ca = 1;
			opts += 14;
		} else if (option_is(&opts, "namespaces")) {
			if (tl->namespaces != NULL) {
				*why = "multiple \"namespaces\" clauses";
				return -EINVAL;
			}
			if ((tl->namespaces = dequote(&opts, why)) == NULL)
				return -EINVAL;
		} else if (option_is(&opts, "valid-after")) {
			if (option_time(&opts, &tl->valid_after, "valid-after", why) < 0)
				return -EINVAL;
		} else if (option_is(&opts, "valid-before")) {
			if (option_time(&opts, &tl->valid_before, "valid-before", why) < 0)
				return -EINVAL;
		}
		if (*opts == '\0' || *opts == ' ' || *opts == '\t')
			break;
		if (*opts != ',') {
			*why = "unknown key option";
			return -EINVAL;
		}
		if (*++opts == '\0') {
			*why = "unexpected end-of-options";
			return -EINVAL;
		}
	}
	if (tl->valid_after && tl->valid_before && tl->valid_before <= tl->valid_after) {
		*why = "\"valid-before\" time is before \"valid-after\"";
		return -EINVAL;
	}
	return 0;
}

/* The key after the principals, with the options before it if any. */
static int
parse_key_and_options(char *cp, struct trust_line *tl)
{
	char *opts = NULL;
	int ret;

	ret = ct_key_read(&cp, &tl->key);
	if (ret == -EINVAL) {
		opts = cp;
		if (skip_options(&cp) < 0) {
			tl->problem = "invalid options";
			return 0;
		}
		if (*cp == '\0') {
			tl->problem = "missing key";
			return 0;
		}
		*cp++ = '\0';
		cp += strspn(cp, " \t");
		ret = ct_key_read(&cp, &tl->key);
		if (ret == -EINVAL) {
			tl->problem = "invalid key";
			return 0;
		}
	}
	if (ret == -ENOTSUP) {
		tl->problem = "a key type cardtrail does not check (certificate, FIDO or DSA)";
		return 0;
	}
	if (ret < 0)
		return ret;
	if (parse_options(opts, tl, &tl->problem) < 0 && tl->problem == NULL)
		tl->problem = "bad options";
	return 0;
}

/* One allowed_signers line: 1 blank or comment, 0 an entry (maybe a
 * problem), -ENOMEM. */
static int
parse_signers_line(char *line, struct trust_line *tl)
{
	char *cp = line + strspn(line, WHITESPACE), *tok;

	if (*cp == '#' || *cp == '\0')
		return 1;
	if ((tok = next_token(&cp)) == NULL || cp == NULL) {
		tl->problem = "invalid line";
		return 0;
	}
	if ((tl->principals = strdup(tok)) == NULL)
		return -ENOMEM;
	return parse_key_and_options(cp, tl);
}

/* One line of a public key file: principals "*". */
static int
parse_pubkey_line(char *line, struct trust_line *tl)
{
	char *cp = line + strspn(line, WHITESPACE);
	int ret;

	if (*cp == '#' || *cp == '\0')
		return 1;
	if ((ret = ct_key_read(&cp, &tl->key)) < 0)
		return ret;
	if ((tl->principals = strdup("*")) == NULL)
		return -ENOMEM;
	return 0;
}

static int
trust_push(struct ct_trust *t, struct trust_line *tl, const char *path)
{
	struct trust_line *nl;

	if (tl->problem && (tl->file = strdup(path)) == NULL)
		return -ENOMEM;
	if ((nl = realloc(t->l, (t->n + 1) * sizeof(*nl))) == NULL)
		return -ENOMEM;
	t->l = nl;
	t->l[t->n++] = *tl;
	memset(tl, 0, sizeof(*tl));
	return 0;
}

/* Every line of path, whole; a line that parse cannot read at all fails
 * the file (-EINVAL with *line), one it reads as a problem is kept. */
static int
add_file(struct ct_trust *t, const char *path, int *line,
	 int (*parse)(char *, struct trust_line *))
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, before = t->n, i, usable = 0;
	unsigned long no = 0;
	struct trust_line tl;
	int ret = 0;

	*line = 0;
	if (f == NULL)
		return -errno;
	while (getline(&buf, &cap, f) != -1) {
		memset(&tl, 0, sizeof(tl));
		tl.line = ++no;
		if ((ret = parse(buf, &tl)) == 1) {
			ret = 0;
			continue;
		}
		if (ret == 0)
			ret = trust_push(t, &tl, path);
		if (ret < 0) {
			line_release(&tl);
			*line = (int)(no > INT32_MAX ? INT32_MAX : no);
			break;
		}
	}
	if (ret == 0 && ferror(f))
		ret = -EIO;
	free(buf);
	fclose(f);
	for (i = before; ret == 0 && i < t->n; i++)
		usable += t->l[i].problem == NULL;
	if (ret == 0 && usable == 0)
		ret = -EINVAL;	/* no key at all: say so rather than trust nothing */
	if (ret < 0) {
		while (t->n > before)
			line_release(&t->l[--t->n]);
	}
	return ret;
}

int
ct_trust_add_pubkey_file(struct ct_trust *t, const char *path, int *line)
{
	return add_file(t, path, line, parse_pubkey_line);
}

int
ct_trust_add_allowed_signers(struct ct_trust *t, const char *path, int *line)
{
	return add_file(t, path, line, parse_signers_line);
}

static int
line_allows(const struct trust_line *tl, const struct ct_key *key, const char *principal,
	    const char *ns, long long when)
{
	if (tl->problem || tl->ca || !ct_key_equal(tl->key, key))
		return 0;
	if (match_list(principal, tl->principals) != 1)
		return 0;
	if (tl->namespaces && ns && match_list(ns, tl->namespaces) != 1)
		return 0;
	/* a time limit needs a time to compare: without one it fails */
	if (tl->valid_after && (when < 0 || (uint64_t)when < tl->valid_after))
		return 0;
	if (tl->valid_before && (when < 0 || (uint64_t)when > tl->valid_before))
		return 0;
	return 1;
}

int
ct_trust_check(const struct ct_trust *t, const struct ct_key *key, const char *principal,
	       const char *ns, long long when, long long established)
{
	const char *p = principal ? principal : "";
	size_t i;

	/* one line must allow both times */
	for (i = 0; t && i < t->n; i++)
		if (line_allows(&t->l[i], key, p, ns, when) &&
		    (established < 0 || line_allows(&t->l[i], key, p, ns, established)))
			return 1;
	return 0;
}
