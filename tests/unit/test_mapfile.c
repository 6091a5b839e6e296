/*
 * test_mapfile.c — GNU ddrescue mapfiles (src/image/mapfile.c): the in-memory
 * map (set/split/merge), format/parse round trips, real ddrescue 1.2x text,
 * and the parse errors with their line numbers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardtrail/mapfile.h"
#include "cardtrail/util.h"

/* Blocks contiguous from 0, no empty block, no equal neighbours. */
static void
check_invariants(const struct ct_map *m)
{
	uint64_t pos = 0;
	size_t i;

	assert_true(m->n <= m->cap || (m->n == 0 && m->cap == 0));
	for (i = 0; i < m->n; i++) {
		if (m->e[i].pos != pos)
			fail_msg("entry %zu starts at %llu, expected %llu", i,
				 (unsigned long long)m->e[i].pos, (unsigned long long)pos);
		assert_true(m->e[i].size > 0);
		assert_non_null(strchr("?*/-+", m->e[i].status));
		if (i > 0 && m->e[i - 1].status == m->e[i].status)
			fail_msg("entries %zu and %zu both '%c' but not merged", i - 1, i,
				 m->e[i].status);
		pos += m->e[i].size;
	}
	assert_int_equal(ct_map_size(m), pos);
	assert_int_equal(ct_map_count(m, '?') + ct_map_count(m, '*') + ct_map_count(m, '/') +
				 ct_map_count(m, '-') + ct_map_count(m, '+'),
			 pos);
}

static void
check_entry(const struct ct_map *m, size_t i, uint64_t pos, uint64_t size, char status)
{
	assert_true(i < m->n);
	assert_int_equal(m->e[i].pos, pos);
	assert_int_equal(m->e[i].size, size);
	assert_int_equal(m->e[i].status, status);
}

static void
test_init(void **state)
{
	struct ct_map m;

	(void)state;
	assert_int_equal(ct_map_init(&m, 1000), 0);
	assert_int_equal(m.n, 1);
	check_entry(&m, 0, 0, 1000, '?');
	assert_int_equal(m.current_pos, 0);
	assert_int_equal(m.current_status, '?');
	assert_int_equal(m.current_pass, 1);
	assert_int_equal(ct_map_size(&m), 1000);
	assert_int_equal(ct_map_first(&m, '?'), 0);
	assert_int_equal(ct_map_first(&m, '+'), 1000);
	assert_int_equal(ct_map_count(&m, '?'), 1000);
	assert_int_equal(ct_map_count(&m, '+'), 0);
	check_invariants(&m);
	ct_map_free(&m);
	assert_null(m.e);
	assert_int_equal(m.n, 0);
	ct_map_free(&m);	/* twice is harmless */
	ct_map_free(NULL);

	assert_int_equal(ct_map_init(&m, 0), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(ct_map_size(&m), 0);
	assert_int_equal(ct_map_first(&m, '?'), 0);
	assert_int_equal(ct_map_count(&m, '?'), 0);
	assert_int_equal(ct_map_set(&m, 0, 1, '+'), -EINVAL);
	ct_map_free(&m);
}

static void
test_set_split_and_merge(void **state)
{
	struct ct_map m;

	(void)state;
	assert_int_equal(ct_map_init(&m, 1000), 0);
	assert_int_equal(ct_map_set(&m, 0, 1000, '+'), 0);
	assert_int_equal(m.n, 1);
	check_entry(&m, 0, 0, 1000, '+');

	/* a '-' in the middle splits into 3 */
	assert_int_equal(ct_map_set(&m, 400, 100, '-'), 0);
	assert_int_equal(m.n, 3);
	check_entry(&m, 0, 0, 400, '+');
	check_entry(&m, 1, 400, 100, '-');
	check_entry(&m, 2, 500, 500, '+');
	check_invariants(&m);
	assert_int_equal(ct_map_first(&m, '-'), 400);
	assert_int_equal(ct_map_count(&m, '-'), 100);
	assert_int_equal(ct_map_count(&m, '+'), 900);
	assert_int_equal(ct_map_first(&m, '?'), 1000);

	/* back to '+' merges into 1 */
	assert_int_equal(ct_map_set(&m, 400, 100, '+'), 0);
	assert_int_equal(m.n, 1);
	check_entry(&m, 0, 0, 1000, '+');
	ct_map_free(&m);
}

static void
test_set_adjacent_merge(void **state)
{
	struct ct_map m;

	(void)state;
	assert_int_equal(ct_map_init(&m, 1000), 0);
	/* the way acquisition fills a map: in order, block by block */
	assert_int_equal(ct_map_set(&m, 0, 100, '+'), 0);
	assert_int_equal(ct_map_set(&m, 100, 100, '+'), 0);
	assert_int_equal(m.n, 2);
	check_entry(&m, 0, 0, 200, '+');
	check_entry(&m, 1, 200, 800, '?');
	assert_int_equal(ct_map_set(&m, 200, 50, '-'), 0);
	assert_int_equal(ct_map_set(&m, 250, 50, '-'), 0);
	assert_int_equal(m.n, 3);
	check_entry(&m, 1, 200, 100, '-');
	check_entry(&m, 2, 300, 700, '?');
	/* a range ending exactly at the map end */
	assert_int_equal(ct_map_set(&m, 300, 700, '+'), 0);
	assert_int_equal(m.n, 3);
	check_entry(&m, 2, 300, 700, '+');
	/* a range covering several entries and both boundaries inside entries */
	assert_int_equal(ct_map_set(&m, 150, 200, '/'), 0);
	assert_int_equal(m.n, 3);
	check_entry(&m, 0, 0, 150, '+');
	check_entry(&m, 1, 150, 200, '/');
	check_entry(&m, 2, 350, 650, '+');
	/* the first and the last byte */
	assert_int_equal(ct_map_set(&m, 0, 1, '*'), 0);
	assert_int_equal(ct_map_set(&m, 999, 1, '*'), 0);
	assert_int_equal(m.n, 5);
	check_entry(&m, 0, 0, 1, '*');
	check_entry(&m, 4, 999, 1, '*');
	assert_int_equal(ct_map_first(&m, '*'), 0);
	assert_int_equal(ct_map_count(&m, '*'), 2);
	check_invariants(&m);
	/* everything at once */
	assert_int_equal(ct_map_set(&m, 0, 1000, '?'), 0);
	assert_int_equal(m.n, 1);
	check_entry(&m, 0, 0, 1000, '?');
	ct_map_free(&m);
}

static void
test_set_many(void **state)
{
	static const char st[] = "?*/-+";
	struct ct_map m;
	uint64_t i;

	(void)state;
	/* far more entries than the initial capacity */
	assert_int_equal(ct_map_init(&m, 512 * 1000), 0);
	for (i = 0; i < 1000; i += 2)
		assert_int_equal(ct_map_set(&m, i * 512, 512, st[1 + (i / 2) % 4]), 0);
	check_invariants(&m);
	assert_int_equal(m.n, 1000);
	assert_int_equal(ct_map_count(&m, '?'), 500 * 512);
	assert_int_equal(ct_map_first(&m, '/'), 2 * 512);
	/* fill the holes in reverse order with the same status as the left */
	for (i = 999; i < 1000; i -= 2)	/* until i wraps below 0 */
		assert_int_equal(ct_map_set(&m, i * 512, 512, m.e[i - 1].status), 0);
	check_invariants(&m);
	assert_int_equal(ct_map_count(&m, '?'), 0);
	assert_int_equal(ct_map_count(&m, '*'), 125 * 1024);
	ct_map_free(&m);
}

static void
test_set_errors(void **state)
{
	struct ct_map m;

	(void)state;
	assert_int_equal(ct_map_init(&m, 1000), 0);
	assert_int_equal(ct_map_set(&m, 400, 100, '-'), 0);
	assert_int_equal(ct_map_set(&m, 900, 101, '+'), -EINVAL);
	assert_int_equal(ct_map_set(&m, 1000, 1, '+'), -EINVAL);
	assert_int_equal(ct_map_set(&m, 2000, 10, '+'), -EINVAL);
	assert_int_equal(ct_map_set(&m, UINT64_MAX, 2, '+'), -EINVAL);
	assert_int_equal(ct_map_set(&m, 10, UINT64_MAX, '+'), -EINVAL);
	assert_int_equal(ct_map_set(&m, 0, 10, 'x'), -EINVAL);
	assert_int_equal(ct_map_set(&m, 0, 10, 'F'), -EINVAL);
	assert_int_equal(ct_map_set(&m, 0, 10, ' '), -EINVAL);
	assert_int_equal(ct_map_set(&m, 0, 10, '\0'), -EINVAL);
	/* nothing changed */
	assert_int_equal(m.n, 3);
	check_entry(&m, 0, 0, 400, '?');
	check_entry(&m, 1, 400, 100, '-');
	check_entry(&m, 2, 500, 500, '?');
	ct_map_free(&m);
}

static void
check_maps_equal(const struct ct_map *a, const struct ct_map *b)
{
	size_t i;

	assert_int_equal(a->current_pos, b->current_pos);
	assert_int_equal(a->current_status, b->current_status);
	assert_int_equal(a->current_pass, b->current_pass);
	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++)
		check_entry(b, i, a->e[i].pos, a->e[i].size, a->e[i].status);
}

static void
test_format_exact(void **state)
{
	struct ct_map m;
	char *text = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(ct_map_init(&m, 0x100000), 0);
	assert_int_equal(ct_map_set(&m, 0, 0x80000, '+'), 0);
	assert_int_equal(ct_map_set(&m, 0x80000, 0x200, '-'), 0);
	m.current_pos = 0x80200;
	m.current_pass = 2;
	assert_int_equal(ct_map_format(&m, "Command line: cardtrail image", &text, &len), 0);
	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	assert_string_equal(text,
			    "# Mapfile. Created by cardtrail " CT_VERSION "\n"
			    "# Command line: cardtrail image\n"
			    "# current_pos  current_status  current_pass\n"
			    "0x00080200     ?               2\n"
			    "#      pos        size  status\n"
			    "0x00000000  0x00080000  +\n"
			    "0x00080000  0x00000200  -\n"
			    "0x00080200  0x0007FE00  ?\n");
	free(text);

	/* no comment line without a comment */
	assert_int_equal(ct_map_format(&m, NULL, &text, &len), 0);
	assert_null(strstr(text, "Command line"));
	assert_non_null(strstr(text, "0x00080200     ?               2\n"));
	free(text);
	ct_map_free(&m);
}

static void
test_round_trip(void **state)
{
	struct ct_map m, back;
	char *text = NULL;
	size_t len = 0;
	int line = -7;

	(void)state;
	/* 64 GB card: offsets above 32 bits */
	assert_int_equal(ct_map_init(&m, 64000000000ULL), 0);
	assert_int_equal(ct_map_set(&m, 0, 5000000000ULL, '+'), 0);
	assert_int_equal(ct_map_set(&m, 5000000000ULL, 4096, '-'), 0);
	assert_int_equal(ct_map_set(&m, 5000004096ULL, 65536, '/'), 0);
	assert_int_equal(ct_map_set(&m, 5000069632ULL, 1048576, '*'), 0);
	assert_int_equal(ct_map_set(&m, 63999999488ULL, 512, '-'), 0);
	m.current_pos = 5001118208ULL;
	m.current_status = '?';
	m.current_pass = 3;
	check_invariants(&m);
	assert_int_equal(m.n, 6);

	assert_int_equal(ct_map_format(&m, "round trip", &text, &len), 0);
	assert_int_equal(ct_map_parse(text, len, &back, &line), 0);
	assert_int_equal(line, -7);	/* untouched on success */
	check_maps_equal(&m, &back);
	check_invariants(&back);
	ct_map_free(&back);

	/* without the final newline too */
	assert_true(len > 0 && text[len - 1] == '\n');
	assert_int_equal(ct_map_parse(text, len - 1, &back, NULL), 0);
	check_maps_equal(&m, &back);
	ct_map_free(&back);
	free(text);

	/* a finished map */
	assert_int_equal(ct_map_set(&m, 0, ct_map_size(&m), '+'), 0);
	m.current_pos = 0;
	m.current_status = '+';
	m.current_pass = 1;
	assert_int_equal(ct_map_format(&m, NULL, &text, &len), 0);
	assert_int_equal(ct_map_parse(text, len, &back, &line), 0);
	check_maps_equal(&m, &back);
	ct_map_free(&back);
	free(text);
	ct_map_free(&m);
}

/* Written the way GNU ddrescue 1.27 writes it (ddrescue manual, "Mapfile
 * structure"), for a 1.44 MB floppy after a run with bad sectors. */
static const char ddrescue_map[] =
	"# Mapfile. Created by GNU ddrescue version 1.27\n"
	"# Command line: ddrescue -d -r3 /dev/fd0 fdimage mapfile\n"
	"# Start time:   2023-07-21 09:37:44\n"
	"# Current time: 2023-07-21 09:38:19\n"
	"# Finished\n"
	"# current_pos  current_status  current_pass\n"
	"0x00000000     +               1\n"
	"#      pos        size  status\n"
	"0x00000000  0x00117000  +\n"
	"0x00117000  0x00000200  -\n"
	"0x00117200  0x00001000  /\n"
	"0x00118200  0x00007E00  *\n"
	"0x00120000  0x00038000  ?\n"
	"0x00158000  0x00000200  -\n"
	"0x00158200  0x0000FE00  +\n";

static void
test_parse_ddrescue(void **state)
{
	struct ct_map m;
	int line = 0;

	(void)state;
	assert_int_equal(ct_map_parse(ddrescue_map, strlen(ddrescue_map), &m, &line), 0);
	assert_int_equal(m.current_pos, 0);
	assert_int_equal(m.current_status, '+');
	assert_int_equal(m.current_pass, 1);
	assert_int_equal(m.n, 7);
	check_entry(&m, 0, 0x00000000, 0x00117000, '+');
	check_entry(&m, 1, 0x00117000, 0x00000200, '-');
	check_entry(&m, 2, 0x00117200, 0x00001000, '/');
	check_entry(&m, 3, 0x00118200, 0x00007E00, '*');
	check_entry(&m, 4, 0x00120000, 0x00038000, '?');
	check_entry(&m, 5, 0x00158000, 0x00000200, '-');
	check_entry(&m, 6, 0x00158200, 0x0000FE00, '+');
	check_invariants(&m);
	assert_int_equal(ct_map_size(&m), 1474560);	/* 1.44 MB */
	assert_int_equal(ct_map_count(&m, '-'), 0x400);
	assert_int_equal(ct_map_first(&m, '-'), 0x117000);
	assert_int_equal(ct_map_first(&m, '?'), 0x120000);
	assert_int_equal(ct_map_first(&m, '*'), 0x118200);
	ct_map_free(&m);
}

static void
test_parse_variants(void **state)
{
	/* ddrescue < 1.20: two-field status line; mid-run status; lowercase
	 * hex; blank lines; adjacent equal blocks get merged; CRLF */
	static const char old[] =
		"# Rescue Logfile. Created by GNU ddrescue version 1.16\n"
		"# current_pos  current_status\n"
		"0x00120000     ?\n"
		"#      pos        size  status\n"
		"\n"
		"0x00000000  0x00100000  +\n"
		"0x00100000  0x00020000  +\n"
		"0x00120000  0x0004a000  ?\n";
	static const char crlf[] =
		"# Mapfile. Created by GNU ddrescue version 1.27\r\n"
		"0x00001000     *               4\r\n"
		"0x00000000  0x00001000  +\r\n"
		"0x00001000  0x00001000  *\r\n";
	static const char nothing[] = "# current_pos  current_status  current_pass\n"
				      "0x00000000     ?               1\n";
	struct ct_map m;
	int line = 0;

	(void)state;
	assert_int_equal(ct_map_parse(old, strlen(old), &m, &line), 0);
	assert_int_equal(m.current_pos, 0x120000);
	assert_int_equal(m.current_status, '?');
	assert_int_equal(m.current_pass, 1);
	assert_int_equal(m.n, 2);
	check_entry(&m, 0, 0, 0x120000, '+');
	check_entry(&m, 1, 0x120000, 0x4a000, '?');
	check_invariants(&m);
	ct_map_free(&m);

	assert_int_equal(ct_map_parse(crlf, strlen(crlf), &m, &line), 0);
	assert_int_equal(m.current_pos, 0x1000);
	assert_int_equal(m.current_status, '*');
	assert_int_equal(m.current_pass, 4);
	assert_int_equal(m.n, 2);
	check_entry(&m, 1, 0x1000, 0x1000, '*');
	ct_map_free(&m);

	/* a status line and no blocks: an empty map */
	assert_int_equal(ct_map_parse(nothing, strlen(nothing), &m, &line), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(ct_map_size(&m), 0);
	ct_map_free(&m);
}

/* Parse text, expect -EINVAL at want_line (and m left empty). */
static void
expect_parse_error(const char *text, int want_line)
{
	struct ct_map m;
	int line = -1;
	int rc = ct_map_parse(text, strlen(text), &m, &line);

	if (rc != -EINVAL) {
		if (rc == 0)
			ct_map_free(&m);
		fail_msg("ct_map_parse returned %d, expected -EINVAL, for:\n%s", rc, text);
	}
	if (line != want_line)
		fail_msg("error reported at line %d, expected %d, for:\n%s", line, want_line,
			 text);
	assert_null(m.e);
	assert_int_equal(m.n, 0);
}

static void
test_parse_errors(void **state)
{
	(void)state;
	/* non-contiguous: a hole */
	expect_parse_error("# Mapfile\n"
			   "0x00000000     ?               1\n"
			   "0x00000000  0x00001000  +\n"
			   "0x00002000  0x00001000  -\n",
			   4);
	/* non-contiguous: an overlap */
	expect_parse_error("0x00000000     ?               1\n"
			   "0x00000000  0x00001000  +\n"
			   "0x00000800  0x00001000  -\n",
			   3);
	/* the first block does not start at 0 */
	expect_parse_error("# Mapfile\n"
			   "# current_pos  current_status  current_pass\n"
			   "0x00000000     ?               1\n"
			   "0x00000200  0x00001000  +\n",
			   4);
	/* unknown status character in a block */
	expect_parse_error("0x00000000     ?               1\n"
			   "0x00000000  0x00001000  +\n"
			   "0x00001000  0x00001000  x\n",
			   3);
	/* unknown status character in the status line */
	expect_parse_error("# Mapfile\n"
			   "0x00000000     x               1\n"
			   "0x00000000  0x00001000  +\n",
			   2);
	/* a block without a status */
	expect_parse_error("0x00000000     ?               1\n"
			   "0x00000000  0x00001000\n",
			   2);
	/* an empty block */
	expect_parse_error("0x00000000     ?               1\n"
			   "0x00000000  0x00000000  +\n",
			   2);
	/* junk after the status character */
	expect_parse_error("0x00000000     ?               1\n"
			   "0x00000000  0x00001000  +junk\n",
			   2);
	/* a negative size (sscanf would take it as a huge one) */
	expect_parse_error("0x00000000     ?               1\n"
			   "0x00000000  -0x00001000  +\n",
			   2);
	/* a bad-sector block ('-') is still fine */
	{
		struct ct_map m;
		int line = 0;
		const char *t = "0x00000000     +               1\n"
				"0x00000000  0x00001000  -\n";
		assert_int_equal(ct_map_parse(t, strlen(t), &m, &line), 0);
		assert_int_equal(ct_map_count(&m, '-'), 0x1000);
		ct_map_free(&m);
	}
	/* missing status line: the first non-comment line is a block */
	expect_parse_error("# Mapfile\n"
			   "0x00000000  0x00001000  +\n",
			   2);
	/* missing status line: only comments, reported after the last line */
	expect_parse_error("# Mapfile. Created by GNU ddrescue version 1.27\n"
			   "# current_pos  current_status  current_pass\n"
			   "#      pos        size  status\n",
			   4);
	expect_parse_error("", 1);
	/* garbage */
	expect_parse_error("hello world\n", 1);
	expect_parse_error("# Mapfile\n"
			   "\n"
			   "GIF89a\001\002\n",
			   3);
	expect_parse_error("0x00000000     +               1\n"
			   "0x00000000  0x00001000  +\n"
			   "this is not a block\n",
			   3);
}

static void
test_parse_long_line(void **state)
{
	char text[600];

	(void)state;
	/* a 400-character comment on line 2 is refused, not overflowed */
	snprintf(text, sizeof(text), "0x00000000     ?               1\n# %0400d\n", 0);
	expect_parse_error(text, 2);
}

/*
 * A block whose end does not fit in 64 bits must be refused: otherwise
 * pos + size wraps and the map's size (ct_map_size) becomes tiny.
 */
static void
test_parse_overflowing_block(void **state)
{
	(void)state;
	expect_parse_error("0x00000000     ?               1\n"
			   "0x00000000  0xFFFFFFFFFFFFFFFF  +\n"
			   "0xFFFFFFFFFFFFFFFF  0x00001000  -\n",
			   3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_set_split_and_merge),
		cmocka_unit_test(test_set_adjacent_merge),
		cmocka_unit_test(test_set_many),
		cmocka_unit_test(test_set_errors),
		cmocka_unit_test(test_format_exact),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_ddrescue),
		cmocka_unit_test(test_parse_variants),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_long_line),
		cmocka_unit_test(test_parse_overflowing_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
