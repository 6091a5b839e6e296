/*
 * station.h — `cardtrail station`: every card of a mission, several readers
 * at once, unattended.
 *
 * A device watch (libudev when a udev daemon runs, else a poll of
 * /sys/block) reports block devices that gain or lose a medium.  Each one
 * the policy admits becomes a card: it is identified (its CID, or its size
 * and its first and last MiB), looked up in the cases folder (a card
 * already processed is flagged before anything is written), given a case
 * folder and run through the chain of steps the policy names (image,
 * extract, wipe, format, report) in a thread of its own.  Each step is the
 * library call and the custody record of the command of the same name.  A
 * card pulled out mid-step waits; when it comes back (same identity) its
 * chain resumes where it stopped.  The run ends with a mission summary
 * (text, JSON and an HTML index) in the cases folder.
 *
 * Library convention: 0, 1 (nothing found) or -errno; nothing prints.  The
 * command layer gets events (JSON objects) and status rows to show.
 */
#ifndef CARDTRAIL_STATION_H
#define CARDTRAIL_STATION_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct json_object;
struct ct_key;

/* ---- the policy (policy.c): station(5) ---- */

enum ct_station_step {
	CT_STEP_IMAGE = 0,
	CT_STEP_EXTRACT,
	CT_STEP_WIPE,
	CT_STEP_FORMAT,
	CT_STEP_REPORT,
	CT_STEP_COUNT
};

/* The step's name ("image", ...), or NULL. */
const char *ct_station_step_name(enum ct_station_step s);

/* Which devices are cards without --allow. */
#define CT_ADMIT_SD		0x1	/* an SD card in a native SD/MMC slot (not eMMC) */
#define CT_ADMIT_USB		0x2	/* a USB device with removable media (a card reader) */
#define CT_ADMIT_REMOVABLE	0x4	/* any other device whose media the kernel calls removable */

enum ct_station_dup { CT_DUP_SKIP = 0, CT_DUP_PROCESS };

struct ct_station_policy {
	enum ct_station_step steps[CT_STEP_COUNT];	/* in order */
	size_t nsteps;
	/* admission */
	unsigned admit;			/* CT_ADMIT_* */
	uint64_t min_size, max_size;
	enum ct_station_dup duplicate;
	/* image */
	const char *image_format;	/* "raw" or "e01" (static strings) */
	const char *image_compress;	/* e01: "none", "fast", "best" */
	unsigned image_hashes;		/* bits of ct_hash_algos (sha256 always added) */
	uint64_t image_window;		/* piecewise SHA-256 window */
	int image_window_given;
	uint64_t image_split;
	int image_verify;		/* CT_VERIFY_* bits */
	int image_retries;
	/* extract */
	int extract_carve;
	/* wipe and format */
	char wipe_method[256];
	int wipe_verify;		/* enum ct_wipe_verify */
	int wipe_match;			/* enum ct_wipe_match: sampled or full */
	int wipe_damaged;		/* wipe a card imaged with unreadable sectors */
	int wipe_discard;
	const char *format_fs;		/* "auto", "fat32" or "exfat" */
	char format_label[16];
	/* report */
	unsigned report_formats;	/* CT_REPORT_HTML | CT_REPORT_PDF */
	/* records */
	char case_number[256];
	char examiner[256];
	char sign_key[PATH_MAX];
};

/*
 * The safe defaults: steps image, extract, report (a wipe only when the
 * policy names it); admit sd, usb, removable, 1 MiB to 2 TiB; duplicates
 * skipped; image raw with sha256, verified twice; wipe nist-clear, every
 * pass read back, never a damaged card; report html and pdf.
 */
void ct_station_policy_init(struct ct_station_policy *p);

/*
 * Parse a policy file's text (station(5): "key = value" lines, '#'
 * comments) over the defaults in *p, then check it as a whole.  -EINVAL
 * with err set to "NAME:LINE: what is wrong" (NAME names the file).
 */
int ct_station_policy_parse(const char *text, size_t len, const char *name,
			    struct ct_station_policy *p, char *err, size_t errlen);

/* Read and parse a policy file: -errno when it cannot be read. */
int ct_station_policy_load(const char *path, struct ct_station_policy *p, char *err,
			   size_t errlen);

/* The policy as a JSON object (for the summary and `--check-policy`). */
struct json_object *ct_station_policy_json(const struct ct_station_policy *p);

/* 1 if the policy's chain has step s. */
int ct_station_policy_has(const struct ct_station_policy *p, enum ct_station_step s);

/* ---- admission (admit.c) ---- */

/* What the station knows of a block device before it opens it: sysfs,
 * /proc/self/mountinfo and /proc/swaps only. */
struct ct_station_facts {
	char name[64];			/* kernel name: mmcblk0, sdb, loop200 */
	dev_t devno;
	uint64_t size;			/* bytes; 0: no medium */
	int removable;			/* sysfs "removable" (-1 unknown) */
	int usb;			/* behind USB */
	int mmc;			/* on an SD/MMC host */
	char mmc_type[16];		/* "SD", "MMC", "SDIO" or "" */
	int loop;			/* a loop device */
	int ro;				/* read-only */
	int mounted;			/* filesystems of it (or its partitions) mounted */
	int system;			/* holds the running system's root */
	int swap;			/* it or a partition is swap */
	int holders;			/* held by device-mapper, RAID, ... */
	int loop_backing;		/* backs a loop device */
	char reader[PATH_MAX];		/* sysfs path of the reader (stable across cards) */
};

/* Gather the facts of /sys/block/NAME.  -ENOENT when it is gone. */
int ct_station_facts_read(const char *name, struct ct_station_facts *f);

/*
 * Does the policy admit the device?  1 yes (*by_allow set when only an
 * --allow PATTERN let it in: a loop device, a fixed disk), 0 no, with why
 * saying why in words.  Mounted, system, swap, held and loop-backing
 * devices are never admitted, --allow or not; nor is a size outside the
 * policy's limits.
 */
int ct_station_admit(const struct ct_station_policy *p, const char *const *allow, size_t nallow,
		     const struct ct_station_facts *f, int *by_allow, char *why, size_t whylen);

/* ---- the device watch (watch.c) ---- */

enum ct_watch_kind { CT_WATCH_AUTO = 0, CT_WATCH_UDEV, CT_WATCH_SYSFS };

enum ct_watch_type { CT_WATCH_ADD = 1, CT_WATCH_REMOVE };

/* A block device that gained a medium (ADD) or lost it (REMOVE). */
struct ct_watch_event {
	enum ct_watch_type type;
	char name[64];
	dev_t devno;
	uint64_t size;
};

struct ct_watch;

/*
 * Start watching.  AUTO takes udev when a udev daemon runs (libudev says
 * so), else polls sysfs every poll_ms.  sysblock is /sys/block unless
 * given (the unit tests give a folder of their own; then only sysfs).
 * The devices present now are reported as ADD first.
 */
int ct_watch_open(enum ct_watch_kind kind, const char *sysblock, unsigned poll_ms,
		  struct ct_watch **w, char *err, size_t errlen);
/* "udev" or "sysfs". */
const char *ct_watch_method(const struct ct_watch *w);
/* The next event: 1 (ev filled), 0 when timeout_ms passed (or a signal
 * came) first, -errno. */
int ct_watch_next(struct ct_watch *w, int timeout_ms, struct ct_watch_event *ev);
void ct_watch_close(struct ct_watch *w);

/* ---- the station (station.c) ---- */

/* One reader's line of the status view. */
struct ct_station_row {
	char reader[64];		/* kernel name */
	char card[PATH_MAX];		/* case folder name, or what is going on */
	char step[32];			/* "image", "wipe 1/2", "done", ... */
	double fraction;		/* 0..1, or -1 */
	double rate;			/* bytes/s, or 0 */
	double eta;			/* seconds, or -1 */
	char result[2048];
};

/* Format a row as one line of at most len-1 bytes (status view). */
void ct_station_row_format(const struct ct_station_row *r, char *buf, size_t len);

struct ct_station_opts {
	const char *cases;		/* the cases folder (made when missing) */
	const char *mission;		/* the mission's name */
	const struct ct_station_policy *policy;
	const char *const *allow;	/* --allow patterns (fnmatch on name or /dev/name) */
	size_t nallow;
	enum ct_watch_kind watch;
	unsigned poll_ms;		/* sysfs polling interval (default 250) */
	unsigned max_cards;		/* stop when this many chains ended (0: never) */
	double idle_exit;		/* stop when nothing ran for this long (0: never) */
	const char *examiner;		/* as the custody log records it */
	const struct ct_key *key;	/* signs every custody record when set */
	const char *command_line;	/* for the records */
	/* the extract step's child (ct_extract_opts.walk_exe): cards run in
	 * threads, so without it the extract step fails */
	const char *walk_exe;
	/*
	 * Every event as a JSON object (borrowed for the call) with "event",
	 * "time" and "text" (a sentence) and the event's facts; called from
	 * any thread, one call at a time.
	 */
	void (*event)(struct json_object *ev, void *ctx);
	/* Called from the station's own thread about every 200 ms with the
	 * readers' rows (the status view). */
	void (*status)(const struct ct_station_row *rows, size_t n, void *ctx);
	void *ctx;
};

struct ct_station_result {
	struct json_object *summary;	/* the mission summary (owned) */
	char summary_txt[PATH_MAX], summary_json[PATH_MAX], summary_html[PATH_MAX];
	char *text;			/* the text summary (malloc'd) */
	unsigned cards;			/* chains begun */
	unsigned ok, damaged, failed, mismatched, stopped, skipped;
	int interrupted;		/* ended by a signal (ct_pipe_request_stop) */
	char error[1024];
};

/*
 * Run the station until a signal (ct_pipe_stop_requested), max_cards or
 * idle_exit; then let running steps stop at their safe point, and write
 * the mission summary.  0 when it ran (look at the counts), -errno with
 * res->error when it could not start or the summary could not be written.
 */
int ct_station_run(const struct ct_station_opts *o, struct ct_station_result *res);
void ct_station_result_release(struct ct_station_result *res);

/* ---- names (names.c) ---- */

/*
 * The case folder name of a card: "DATE-WHO-HASH" where DATE is
 * YYYY-MM-DD (UTC), WHO the card's serial ("sd" + the CID's serial) when
 * the CID is visible, else the reader's name, made of [A-Za-z0-9._-], and
 * HASH the first 8 hex digits of the card's fingerprint.
 */
int ct_station_case_name(time_t when, const char *serial, const char *reader,
			 const char *fingerprint, char *buf, size_t len);

/* The mission's name as a file name part: lowercase [a-z0-9-], at most 64. */
void ct_station_slug(const char *mission, char *buf, size_t len);

#endif
