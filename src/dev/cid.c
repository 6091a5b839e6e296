/*
 * cid.c — decode the SD/MMC CID and CSD registers as the kernel shows them
 * in /sys/block/mmcblkN/device/{cid,csd}: 32 hex digits, bit 127 first.
 *
 * Layouts: SD Physical Layer Simplified Specification (CID 5.2, CSD 5.3);
 * MMC/eMMC: JEDEC JESD84 (CID 7.2).  The kernel's own decoders
 * (drivers/mmc/core/sd.c, mmc.c) and mmc-utils' lsmmc use the same slices.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cardtrail/identity.h"
#include "cardtrail/util.h"

/* Parse 32 hex digits into 16 bytes, register bit 127 in r[0] bit 7. */
static int
parse_reg(const char *hex, unsigned char r[16])
{
	size_t i;

	if (hex == NULL || strlen(hex) != 32)
		return -EINVAL;
	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return -EINVAL;
	for (i = 0; i < 16; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		r[i] = (unsigned char)v;
	}
	return 0;
}

/* Bits [hi:lo] of a 128-bit register (hi - lo < 64). */
static uint64_t
bits(const unsigned char r[16], unsigned hi, unsigned lo)
{
	uint64_t v = 0;
	unsigned b;

	for (b = hi + 1; b-- > lo;) {
		unsigned byte = 15 - b / 8;

		v = (v << 1) | ((r[byte] >> (b % 8)) & 1);
	}
	return v;
}

/* CRC7, G(x) = x^7 + x^3 + 1, MSB first, as both specs define it. */
static unsigned
crc7(const unsigned char *d, size_t n)
{
	unsigned crc = 0;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		for (b = 7; b >= 0; b--) {
			unsigned in = (d[i] >> b) & 1;
			unsigned top = (crc >> 6) & 1;

			crc = (crc << 1) & 0x7f;
			if (in ^ top)
				crc ^= 0x09;
		}
	}
	return crc;
}

/* Copy n register bytes as text; anything unprintable becomes '.'. */
static void
ascii(char *dst, const unsigned char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = isprint(src[i]) ? (char)src[i] : '.';
	dst[n] = '\0';
}

static unsigned
bcd_digit(unsigned v)
{
	return v & 0xf;
}

int
ct_cid_decode(const char *hex, int mmc, struct ct_cid *out)
{
	unsigned char r[16];
	int ret;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if ((ret = parse_reg(hex, r)) < 0)
		return ret;

	out->mmc = mmc != 0;
	out->manfid = (unsigned)bits(r, 127, 120);
	if (!mmc) {
		unsigned char oid[2] = { r[1], r[2] };

		if (isprint(oid[0]) && isprint(oid[1]))
			ascii(out->oemid, oid, 2);
		else
			snprintf(out->oemid, sizeof(out->oemid), "0x%04x",
			    (unsigned)bits(r, 119, 104));
		ascii(out->name, r + 3, 5);			/* [103:64] */
		out->rev_major = bcd_digit((unsigned)bits(r, 63, 60));
		out->rev_minor = bcd_digit((unsigned)bits(r, 59, 56));
		out->serial = (uint32_t)bits(r, 55, 24);
		out->year = 2000 + (unsigned)bits(r, 19, 12);
		out->month = (unsigned)bits(r, 11, 8);
	} else {
		snprintf(out->oemid, sizeof(out->oemid), "0x%02x",
		    (unsigned)bits(r, 111, 104));
		ascii(out->name, r + 3, 6);			/* [103:56] */
		out->rev_major = bcd_digit((unsigned)bits(r, 55, 52));
		out->rev_minor = bcd_digit((unsigned)bits(r, 51, 48));
		out->serial = (uint32_t)bits(r, 47, 16);
		out->month = (unsigned)bits(r, 15, 12);
		/*
		 * The year code counts from 1997.  eMMC 4.41 and later
		 * (EXT_CSD_REV >= 5) reuse codes 0..12 for 2013..2025
		 * (JESD84-B451; the kernel adds 16 when the year is < 2010 in
		 * mmc_decode_ext_csd()).  The register alone does not say
		 * which applies, so this decodes the 1997 base; the kernel's
		 * `date` attribute carries the corrected value.
		 */
		out->year = 1997 + (unsigned)bits(r, 11, 8);
	}
	out->crc = (unsigned)bits(r, 7, 1);
	/*
	 * Many hosts (every SDHCI controller) never hand the CRC to the
	 * kernel: the last byte then reads 0x00, whose end bit should be 1.
	 * Say "absent" rather than "wrong" in that case.
	 */
	if (r[15] == 0x00)
		out->crc_ok = CT_CID_CRC_ABSENT;
	else
		out->crc_ok = crc7(r, 15) == out->crc && (r[15] & 1);
	return 0;
}

int
ct_csd_decode(const char *hex, struct ct_csd *out)
{
	unsigned char r[16];
	uint64_t c_size;
	int ret;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if ((ret = parse_reg(hex, r)) < 0)
		return ret;

	out->structure = (unsigned)bits(r, 127, 126);
	switch (out->structure) {
	case 0: {	/* SDSC: (C_SIZE+1) * 2^(C_SIZE_MULT+2) * 2^READ_BL_LEN */
		unsigned mult = (unsigned)bits(r, 49, 47);
		unsigned bl_len = (unsigned)bits(r, 83, 80);

		c_size = bits(r, 73, 62);
		out->capacity = (c_size + 1) << (mult + 2 + bl_len);
		break;
	}
	case 1:		/* SDHC/SDXC: (C_SIZE+1) * 512 KiB */
		c_size = bits(r, 69, 48);
		out->capacity = (c_size + 1) * 512 * 1024;
		break;
	case 2:		/* SDUC: 28-bit C_SIZE */
		c_size = bits(r, 75, 48);
		out->capacity = (c_size + 1) * 512 * 1024;
		break;
	default:	/* reserved: nothing we can stand behind */
		return -EINVAL;
	}
	out->perm_write_protect = (int)bits(r, 13, 13);
	out->tmp_write_protect = (int)bits(r, 12, 12);
	return 0;
}

/*
 * SD MIDs are assigned by the SD Association and the list is not public.
 * Only IDs on which independent public sources agree are named:
 * the Linux kernel (drivers/mmc/core/card.h: CID_MANFID_SANDISK_SD 0x3),
 * mmc-utils lsmmc's table (0x01, 0x02, 0x03, 0x28, 0x41), and register dumps
 * of labelled cards (e.g. ironsheep/P2-uSD-FS DOCs/cards: Samsung EVO cards
 * report 0x1b with OID "SM", PNY/Phison cards 0x27).  Ambiguous IDs
 * (0x1c..0x1f, 0x74, 0x82, 0x9f are named differently by different tables)
 * are left out on purpose: a wrong name in a report is worse than none.
 */
static const struct {
	unsigned mid;
	const char *name;
} sd_mids[] = {
	{ .mid = 0x01, .name = "Panasonic" },
	{ .mid = 0x02, .name = "Toshiba/Kioxia" },
	{ .mid = 0x03, .name = "SanDisk" },
	{ .mid = 0x1b, .name = "Samsung" },
	{ .mid = 0x27, .name = "Phison" },
	{ .mid = 0x28, .name = "Lexar" },
	{ .mid = 0x41, .name = "Kingston" },
};

const char *
ct_sd_manufacturer(unsigned manfid)
{
	size_t i;

	for (i = 0; i < CT_ARRAY_SIZE(sd_mids); i++)
		if (sd_mids[i].mid == manfid)
			return sd_mids[i].name;
	return NULL;
}
