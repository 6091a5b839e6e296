/*
 * tracks.h — a parsed flight as files an examiner opens elsewhere: CSV,
 * GeoJSON, KML (Google Earth), GPX (QGIS, most GIS tools), and the entry of
 * flights.json.  Every function writes into a new malloc'd buffer (the
 * caller puts it into the evidence bundle) and returns 0 or -errno.
 *
 * `source` is the file the points came from, as named in the bundle
 * (e.g. "deleted/LOG/00000012.BIN"); it appears in every row or feature.
 */
#ifndef CARDTRAIL_TRACKS_H
#define CARDTRAIL_TRACKS_H

#include <stddef.h>

#include "cardtrail/flight.h"

struct json_object;

/* Header exactly: time,time_basis,lat,lon,alt_m,alt_ref,source,offset */
int ct_track_csv(const struct ct_flight *f, const char *source, char **out, size_t *len);
int ct_track_geojson(const struct ct_flight *f, const char *source, char **out, size_t *len);
int ct_track_kml(const struct ct_flight *f, const char *source, char **out, size_t *len);
int ct_track_gpx(const struct ct_flight *f, const char *source, char **out, size_t *len);

/* "utc", "local", "boot" or "" */
const char *ct_time_basis_name(enum ct_time_basis b);
/* "msl", "ellipsoid", "takeoff", "unknown" or "" */
const char *ct_alt_ref_name(enum ct_alt_ref r);

/*
 * The flights.json entry of one source file:
 *   {file, state, format, points, first {time, time_basis, lat, lon, alt_m,
 *    alt_ref},
 *    last {…}, home {lat, lon} | null, identity {aircraft_serial,
 *    camera_serial, rc_serial, battery_serial, model, firmware, name (null
 *    when unknown), other facts as they are}, warnings [text]}
 */
struct json_object *ct_flight_json(const struct ct_flight *f, const char *file, const char *state);

#endif
