/*
 * mapfile.c — GNU ddrescue mapfiles (see ddrescue's manual, "Mapfile
 * structure"): comment lines start with '#', then a status line
 * "current_pos current_status current_pass", then one block per line
 * "pos size status", in hex with 0x.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardtrail/mapfile.h"

static int
valid_status(char c)
{
	return c && strchr("?*/-+", c) != NULL;
}

int
ct_map_init(struct ct_map *m, uint64_t size)
{
	memset(m, 0, sizeof(*m));
	m->current_status = '?';
	m->current_pass = 1;
	if (size == 0)
		return 0;
	m->e = calloc(4, sizeof(*m->e));
	if (m->e == NULL)
		return -ENOMEM;
	m->cap = 4;
	m->n = 1;
	m->e[0] = (struct ct_map_entry){ 0, size, '?' };
	return 0;
}

void
ct_map_free(struct ct_map *m)
{
	if (m == NULL)
		return;
	free(m->e);
	m->e = NULL;
	m->n = m->cap = 0;
}

uint64_t
ct_map_size(const struct ct_map *m)
{
	return m->n ? m->e[m->n - 1].pos + m->e[m->n - 1].size : 0;
}

static int
reserve(struct ct_map *m, size_t extra)
{
	struct ct_map_entry *e;
	size_t cap;

	if (m->n + extra <= m->cap)
		return 0;
	cap = m->cap ? m->cap * 2 : 8;
	while (cap < m->n + extra)
		cap *= 2;
	e = realloc(m->e, cap * sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	m->e = e;
	m->cap = cap;
	return 0;
}

/* Split so that an entry starts at pos (pos inside the map). */
static int
split_at(struct ct_map *m, uint64_t pos, size_t *idx)
{
	size_t i;
	int ret;

	for (i = 0; i < m->n; i++) {
		struct ct_map_entry *e = &m->e[i];
		if (pos == e->pos) {
			*idx = i;
			return 0;
		}
		if (pos > e->pos && pos < e->pos + e->size) {
			if ((ret = reserve(m, 1)) < 0)
				return ret;
			e = &m->e[i];
			memmove(&m->e[i + 2], &m->e[i + 1], (m->n - i - 1) * sizeof(*e));
			m->e[i + 1] = (struct ct_map_entry){ pos, e->pos + e->size - pos, e->status };
			e->size = pos - e->pos;
			m->n++;
			*idx = i + 1;
			return 0;
		}
	}
	*idx = m->n;
	return 0;
}

int
ct_map_set(struct ct_map *m, uint64_t pos, uint64_t size, char status)
{
	size_t a, b, i, j;
	int ret;

	if (!valid_status(status) || size == 0 || pos + size < pos ||
	    pos + size > ct_map_size(m))
		return -EINVAL;
	if ((ret = split_at(m, pos, &a)) < 0 || (ret = split_at(m, pos + size, &b)) < 0)
		return ret;
	for (i = a; i < b; i++)
		m->e[i].status = status;
	/* merge neighbours with equal status */
	for (i = 0, j = 0; i < m->n; i++) {
		if (j > 0 && m->e[j - 1].status == m->e[i].status)
			m->e[j - 1].size += m->e[i].size;
		else
			m->e[j++] = m->e[i];
	}
	m->n = j;
	return 0;
}

uint64_t
ct_map_first(const struct ct_map *m, char status)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].status == status)
			return m->e[i].pos;
	return ct_map_size(m);
}

uint64_t
ct_map_count(const struct ct_map *m, char status)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].status == status)
			t += m->e[i].size;
	return t;
}

int
ct_map_format(const struct ct_map *m, const char *comment, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	size_t i;

	f = open_memstream(&buf, &len);
	if (f == NULL)
		return -errno;
	fprintf(f, "# Mapfile. Created by cardtrail " CT_VERSION "\n");
	if (comment)
		fprintf(f, "# %s\n", comment);
	fprintf(f, "# current_pos  current_status  current_pass\n");
	fprintf(f, "0x%08" PRIX64 "     %c               %d\n", m->current_pos,
		m->current_status, m->current_pass);
	fprintf(f, "#      pos        size  status\n");
	for (i = 0; i < m->n; i++)
		fprintf(f, "0x%08" PRIX64 "  0x%08" PRIX64 "  %c\n", m->e[i].pos, m->e[i].size,
			m->e[i].status);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int
ct_map_parse(const char *text, size_t len, struct ct_map *m, int *line)
{
	const char *p = text, *end = text + len;
	int lineno = 0, have_status = 0, ret;

	if ((ret = ct_map_init(m, 0)) < 0)
		return ret;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char buf[256], st[4];
		unsigned long long a, b;
		int pass, n;

		lineno++;
		if (l >= sizeof(buf))
			goto bad;
		memcpy(buf, p, l);
		buf[l] = '\0';
		p += l + (nl ? 1 : 0);
		{
			char *q = buf;
			while (isspace((unsigned char)*q))
				q++;
			if (*q == '#' || *q == '\0')
				continue;
		}
		if (!have_status) {
			/* ddrescue >= 1.20 adds current_pass; older files lack it */
			n = sscanf(buf, "%llx %1s %d", &a, st, &pass);
			if (n < 2 || !valid_status(st[0]))
				goto bad;
			m->current_pos = a;
			m->current_status = st[0];
			m->current_pass = n == 3 ? pass : 1;
			have_status = 1;
			continue;
		}
		if (sscanf(buf, "%llx %llx %1s%n", &a, &b, st, &n) != 3 || !valid_status(st[0]) ||
		    b == 0)
			goto bad;
		/* buf[n - 1] is the status: no sign before it, nothing after */
		if (memchr(buf, '-', (size_t)n - 1) || buf[n + strspn(buf + n, " \t\r")] != '\0')
			goto bad;
		if (a != ct_map_size(m) || b > UINT64_MAX - a)
			goto bad;	/* contiguous from 0, and no wrap-around */
		if ((ret = reserve(m, 1)) < 0) {
			ct_map_free(m);
			return ret;
		}
		if (m->n > 0 && m->e[m->n - 1].status == st[0])
			m->e[m->n - 1].size += b;
		else
			m->e[m->n++] = (struct ct_map_entry){ a, b, st[0] };
	}
	if (!have_status) {
		lineno++;
		goto bad;
	}
	return 0;
bad:
	if (line)
		*line = lineno;
	ct_map_free(m);
	return -EINVAL;
}
