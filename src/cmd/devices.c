/*
 * devices.c — `cardtrail devices`: every block device a card could be, what
 * it is, and whether anything on it is mounted.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cardtrail/identity.h"
#include "cardtrail/util.h"
#include "cmd.h"

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	/* a reader's strings and a card's label are shown, not obeyed */
	return ct_cmd_esc(json_object_get_string(v));
}

/* str() with a default for a missing or null value. */
static const char *
strd(struct json_object *o, const char *key, const char *dflt)
{
	const char *v = str(o, key);

	return v != NULL ? v : dflt;
}

/* -1 when missing or null. */
static int64_t
num(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return -1;
	return json_object_get_int64(v);
}

static const char *
yesno(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return "unknown";
	return json_object_get_boolean(v) ? "yes" : "no";
}

static struct json_object *
obj(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static void
print_fs(struct json_object *fs)
{
	const char *s;

	printf("  %s", strd(fs, "type", "?"));
	if ((s = str(fs, "label")) != NULL)
		printf("  label \"%s\"", s);
	if ((s = str(fs, "uuid")) != NULL)
		printf("  uuid %s", s);
}

static void
print_sd(struct json_object *sd)
{
	const char *man = str(sd, "manufacturer");
	struct json_object *crc = obj(sd, "crc_ok");
	int64_t cap;

	printf("  %s card: manufacturer 0x%02" PRIx64 " (%s), OEM \"%s\", product \"%s\", revision %s\n",
	    strd(sd, "type", "SD/MMC"), num(sd, "manfid"),
	    man ? man : "not in cardtrail's table", strd(sd, "oemid", ""),
	    strd(sd, "name", ""), strd(sd, "revision", "?"));
	printf("  card serial: %s (%" PRId64 "), manufactured %s\n",
	    strd(sd, "serial", "?"), num(sd, "serial_decimal"),
	    strd(sd, "manufactured", "?"));
	printf("  cid %s (crc %s)\n", strd(sd, "cid", "?"),
	    crc == NULL ? "not delivered by the host" : json_object_get_boolean(crc) ? "ok" : "MISMATCH");
	if (str(sd, "csd") != NULL)
		printf("  csd %s\n", str(sd, "csd"));
	if ((cap = num(sd, "csd_capacity")) >= 0) {
		char hs[32];

		ct_human_size((uint64_t)cap, hs, sizeof(hs));
		printf("  csd capacity %" PRId64 " bytes (%s), write protect: permanent %s, temporary %s\n",
		    cap, hs, yesno(sd, "perm_write_protect"), yesno(sd, "tmp_write_protect"));
	}
}

static void
print_device(struct json_object *d)
{
	struct json_object *sd = obj(d, "sd"), *usb = obj(d, "usb"), *lo = obj(d, "loop");
	struct json_object *pt = obj(d, "partition_table"), *parts = obj(d, "partitions");
	struct json_object *fss = obj(d, "filesystems"), *mounts = obj(d, "mounts");
	char hs[32];
	int64_t size = num(d, "size");
	size_t i, n;
	const char *s;

	if (size >= 0)
		ct_human_size((uint64_t)size, hs, sizeof(hs));
	else
		snprintf(hs, sizeof(hs), "size unknown");
	printf("%s  %s  %s", strd(d, "path", "?"), strd(d, "kind", "?"), hs);
	if (lo != NULL)
		printf("  (loop device over %s)", strd(lo, "backing_file", "?"));
	if ((s = str(d, "whole_disk")) != NULL)
		printf("  (partition %" PRId64 " of %s)", num(d, "partition_number"), s);
	printf("\n");
	printf("  transport %s, removable %s, read-only %s",
	    strd(d, "transport", "unknown"),
	    yesno(d, "removable"), yesno(d, "ro"));
	if (obj(d, "force_ro") != NULL)
		printf(", force_ro %s", yesno(d, "force_ro"));
	printf(", sectors %" PRId64 "/%" PRId64 "\n",
	    num(d, "logical_sector_size"), num(d, "physical_sector_size"));
	if (str(d, "vendor") || str(d, "model") || str(d, "serial"))
		printf("  vendor %s, model %s, serial %s\n",
		    strd(d, "vendor", "-"),
		    strd(d, "model", "-"),
		    strd(d, "serial", "-"));
	if (usb != NULL)
		printf("  usb reader %s:%s %s %s, serial %s\n",
		    strd(usb, "vendor_id", "?"),
		    strd(usb, "product_id", "?"),
		    strd(usb, "manufacturer", ""),
		    strd(usb, "product", ""),
		    strd(usb, "serial", "none"));
	if (sd != NULL)
		print_sd(sd);
	else if ((s = str(d, "card_serial_note")) != NULL)
		printf("  %s\n", s);

	if ((s = str(d, "probe_error")) != NULL)
		printf("  partitions: not probed (%s)\n", s);
	else if (pt != NULL)
		printf("  partitions: %s (id %s)\n", strd(pt, "type", "?"),
		    strd(pt, "id", "none"));
	else
		printf("  partitions: no partition table\n");
	n = parts != NULL ? json_object_array_length(parts) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(parts, i);
		struct json_object *fs = obj(p, "filesystem");

		printf("    %" PRId64 "  start %" PRId64 "  size %" PRId64 "  type %s",
		    num(p, "number"), num(p, "start"), num(p, "size"),
		    strd(p, "type", "?"));
		if (fs != NULL)
			print_fs(fs);
		printf("\n");
	}
	/* a filesystem on the whole device (superfloppy) */
	n = fss != NULL ? json_object_array_length(fss) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *fs = json_object_array_get_idx(fss, i);

		if (obj(fs, "partition") != NULL)
			continue;
		printf("  filesystem on the whole device:");
		print_fs(fs);
		printf("\n");
	}

	n = mounts != NULL ? json_object_array_length(mounts) : 0;
	if (n == 0)
		printf("  mounted: %s\n", obj(d, "mounted") == NULL ? "unknown" : "no");
	for (i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(mounts, i);

		printf("  mounted: %s on %s (%s, %s)\n",
		    strd(m, "device", "?"), str(m, "mountpoint"),
		    strd(m, "fstype", "?"),
		    json_object_get_boolean(obj(m, "rw")) ? "read-write" : "read-only");
	}
}

int
cmd_devices(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *list = NULL;
	int json = 0, c, ret;
	size_t i, n;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			ct_usage(ct_command_find("devices"), stdout);
			return CT_EXIT_OK;
		default:
			return ct_usage_error("devices", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ct_usage_error("devices", "unexpected argument '%s'", argv[optind]);

	if ((ret = ct_devices_list(&list)) < 0) {
		ct_error(-ret, "cannot list block devices");
		return CT_EXIT_FAIL;
	}
	n = json_object_array_length(list);
	if (json) {
		ct_print_json(list);
	} else if (n == 0) {
		printf("no devices found\n");
	} else {
		for (i = 0; i < n; i++) {
			if (i > 0)
				printf("\n");
			print_device(json_object_array_get_idx(list, i));
		}
	}
	json_object_put(list);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ct_error(0, "cannot write the device list");
		return CT_EXIT_FAIL;
	}
	return CT_EXIT_OK;
}
