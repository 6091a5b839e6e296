/*
 * parsers.h — the parsers' entry points (one file each in this folder).
 */
#ifndef CARDTRAIL_PARSERS_H
#define CARDTRAIL_PARSERS_H

#include "cardtrail/flight.h"

#define CT_DECLARE_PARSER(n)                                                        \
	int ct_##n##_probe(const char *path, const unsigned char *head, size_t headlen); \
	int ct_##n##_parse(const struct ct_input *in, struct ct_flight *f);

CT_DECLARE_PARSER(ulog)
CT_DECLARE_PARSER(dataflash)
CT_DECLARE_PARSER(djisrt)
CT_DECLARE_PARSER(djitxt)
CT_DECLARE_PARSER(djidat)
CT_DECLARE_PARSER(jpeg)

/* DJI DAT: where the last record whose CRC holds ends (carving); the
 * CRC-16 the records use, with its seed (tests). */
int ct_djidat_carve_end(const struct ct_input *in, uint64_t *end);
uint16_t ct_djidat_crc16(uint16_t seed, const void *p, size_t n);

#endif
