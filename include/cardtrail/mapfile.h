/*
 * mapfile.h — GNU ddrescue mapfiles: which byte ranges were read, which are
 * bad, which were not tried yet.  cardtrail writes them for every image
 * (E1.map) and reads them back for --resume; ddrescuelog(1) reads them too.
 *
 * Status characters (ddrescue's): '?' non-tried, '*' non-trimmed,
 * '/' non-scraped, '-' bad sector, '+' finished.
 */
#ifndef CARDTRAIL_MAPFILE_H
#define CARDTRAIL_MAPFILE_H

#include <stddef.h>
#include <stdint.h>

struct ct_map_entry {
	uint64_t pos;
	uint64_t size;
	char status;
};

struct ct_map {
	uint64_t current_pos;
	char current_status;	/* ddrescue's pass status: '?' copying, '+' finished */
	int current_pass;
	struct ct_map_entry *e;	/* sorted, contiguous from 0, adjacent equal statuses merged */
	size_t n, cap;
};

/* A map of size bytes, all non-tried (size 0: empty map). */
int ct_map_init(struct ct_map *m, uint64_t size);
void ct_map_free(struct ct_map *m);

/* Set [pos, pos+size) to status, splitting and merging entries; the range
 * must lie inside the map.  -EINVAL otherwise, -ENOMEM. */
int ct_map_set(struct ct_map *m, uint64_t pos, uint64_t size, char status);

/* Total size covered by the map. */
uint64_t ct_map_size(const struct ct_map *m);

/* Offset of the first byte with the given status, or the map size if none. */
uint64_t ct_map_first(const struct ct_map *m, char status);

/* Bytes with the given status. */
uint64_t ct_map_count(const struct ct_map *m, char status);

/*
 * Format as mapfile text (with a comment header naming the tool and
 * "comment" if not NULL) into a new malloc'd buffer.
 */
int ct_map_format(const struct ct_map *m, const char *comment, char **out, size_t *outlen);

/*
 * Parse mapfile text.  Blocks must be contiguous from 0 with valid status
 * characters; -EINVAL (with *line set to the offending line number) if not.
 */
int ct_map_parse(const char *text, size_t len, struct ct_map *m, int *line);

#endif
