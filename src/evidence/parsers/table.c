/*
 * table.c — the flight-data parsers.  Each lives in its own file in this
 * folder; the highest probe() score wins (see ct_parser_choose).
 */
#include "cardtrail/flight.h"
#include "parsers.h"

const struct ct_parser ct_parsers[] = {
	{ .name = "ulog", .description = "PX4 ULog",
	  .probe = ct_ulog_probe, .parse = ct_ulog_parse },
	{ .name = "dataflash", .description = "ArduPilot DataFlash (.BIN)",
	  .probe = ct_dataflash_probe, .parse = ct_dataflash_parse },
	{ .name = "dji-srt", .description = "DJI SRT subtitles (video telemetry)",
	  .probe = ct_djisrt_probe, .parse = ct_djisrt_parse },
	{ .name = "dji-txt", .description = "DJI GO flight record (DJIFlightRecord_*.txt)",
	  .probe = ct_djitxt_probe, .parse = ct_djitxt_parse },
	{ .name = "dji-dat", .description = "DJI aircraft log (FLY###.DAT)",
	  .probe = ct_djidat_probe, .parse = ct_djidat_parse,
	  .carve_end = ct_djidat_carve_end },
	{ .name = "jpeg", .description = "JPEG/DNG photo (EXIF GPS, DJI XMP)",
	  .probe = ct_jpeg_probe, .parse = ct_jpeg_parse },
};
const size_t ct_parser_count = sizeof(ct_parsers) / sizeof(ct_parsers[0]);
