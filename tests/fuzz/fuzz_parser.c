/*
 * fuzz_parser.c — libFuzzer target for one flight-data parser (named at
 * build time: -DCT_FUZZ_PARSER='"ulog"'), then every track writer and the
 * flights.json entry over what it decoded.
 *
 * The input is the file.  A hole is placed over a third of it (as the
 * reader does for bytes the card could not give) so that the dropping of
 * points decoded from such bytes is exercised too.  A parser with a
 * carve_end (DJI DAT) is also asked where carved data would end, which
 * must be inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "cardtrail/flight.h"
#include "cardtrail/tracks.h"

#ifndef CT_FUZZ_PARSER
#error "build with -DCT_FUZZ_PARSER='\"name\"'"
#endif
#ifndef CT_FUZZ_PATH
#define CT_FUZZ_PATH NULL
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ct_parser *p;
	int (*const writers[])(const struct ct_flight *, const char *, char **, size_t *) = {
		ct_track_csv, ct_track_geojson, ct_track_kml, ct_track_gpx,
	};
	struct ct_mem_input m = { data, size };
	struct ct_hole hole = { size / 3, size / 3 };
	struct ct_input in;
	struct ct_flight f;
	struct json_object *o;
	size_t i, len;
	char *out;

	if (p == NULL && (p = ct_parser_find(CT_FUZZ_PARSER)) == NULL)
		abort();
	ct_input_from_mem(&in, &m, CT_FUZZ_PATH);
	ct_flight_init(&f, p->name);
	if (size >= 64) {
		f.holes = &hole;
		f.nholes = 1;
	}
	(void)p->probe(CT_FUZZ_PATH, data, size < 4096 ? size : 4096);
	if (ct_parse(p, &in, &f) >= 0) {
		for (i = 0; i < sizeof(writers) / sizeof(writers[0]); i++)
			if (writers[i](&f, "fuzz/input", &out, &len) == 0)
				free(out);
		if ((o = ct_flight_json(&f, "fuzz/input", "allocated")) != NULL) {
			(void)json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
			json_object_put(o);
		}
	}
	ct_flight_release(&f);
	/* a parser that ends carved data itself (DJI DAT): never past the data */
	if (p->carve_end) {
		uint64_t end = 0;

		ct_input_from_mem(&in, &m, NULL);
		if (p->carve_end(&in, &end) == 0 && end > size)
			abort();
	}
	return 0;
}
