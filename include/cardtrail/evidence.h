/*
 * evidence.h — `cardtrail extract`: open a card image with The Sleuth Kit
 * (MBR, GPT or no volume system; FAT12/16/32 and exFAT), walk allocated and
 * deleted entries and orphans, carve unallocated space, run the flight-data
 * parsers, and write one evidence bundle (pax tar, libarchive) with the
 * files, MANIFEST.json, SHA256SUMS, the tracks and flights.json.
 */
#ifndef CARDTRAIL_EVIDENCE_H
#define CARDTRAIL_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

/* What extract is doing, for a progress display: the walk (done = files
 * listed so far, total unknown: 0), carving (bytes of free space scanned
 * of total), bundling (files written of total).  Called at most every
 * 0.2 s per phase, and once more with final set when the phase ends. */
enum ct_extract_phase { CT_EXTRACT_WALK, CT_EXTRACT_CARVE, CT_EXTRACT_BUNDLE };

struct ct_extract_progress {
	enum ct_extract_phase phase;
	uint64_t done, total;	/* files (walk, bundle) or bytes (carve); total 0: unknown */
	uint64_t bytes;		/* bundle: bytes of file content written so far */
	double elapsed;		/* seconds in this phase */
	int final;		/* last call of the phase */
};

struct ct_extract_opts {
	/* Either a case and an evidence id (the image is checked against its
	 * acquisition record first) ... */
	const char *casedir;
	const char *evidence;
	/* ... or a bare image file and a folder for the bundle (with a case:
	 * a folder for the bundle other than the case, verify --reproduce). */
	const char *image;
	const char *outdir;
	int force;		/* extract even if the image does not match its record */
	int no_carve;		/* skip carving */
	size_t bufsize;
	/* the walk of each volume runs in a child process (isolate.h): its
	 * wall-clock budget in seconds (0: CT_ISOLATE_SECONDS), and the most
	 * files the walk reports (0: CT_WALK_MAX_ITEMS) */
	double walk_timeout;
	uint64_t max_files;
	/* walk in this process, without a child (measurements, debugging:
	 * a crash in The Sleuth Kit then ends the extraction) */
	int walk_in_process;
	void (*progress)(const struct ct_extract_progress *p, void *ctx);
	void *progress_ctx;
	/*
	 * The program whose CT_EXTRACT_WALK_COMMAND runs the walk's child
	 * (ct_extract_walk_child), spawned afresh for each volume: the
	 * command layer names its own executable ("/proc/self/exe").  NULL:
	 * the child is forked, which only a process with one thread may do
	 * (with more, the extraction fails with -ENOEXEC).
	 */
	const char *walk_exe;
};

/* The hidden subcommand of walk_exe that walks (not a user's command). */
#define CT_EXTRACT_WALK_COMMAND "__walk"

/*
 * The walk's child, spawned by ct_extract_run with walk_exe: argv[0] is
 * CT_EXTRACT_WALK_COMMAND, then what the parent passes (isolate.c); the
 * records go out on fd 3.  Returns the child's exit status (3: not called
 * as the parent calls it).  Prints nothing.
 */
int ct_extract_walk_child(int argc, char **argv);

struct ct_extract_stats {
	uint64_t files, allocated, deleted, orphan, carved;
	uint64_t parsed, flights, points;
	uint64_t bytes_bundled;
	uint64_t unalloc_bytes;		/* scanned by the carver */
	uint64_t volumes;		/* filesystems found */
	/* files holding bytes the card could not give (unreadable sectors
	 * of the acquisition), and how many such bytes */
	uint64_t unreadable_files, unreadable_bytes;
	uint64_t zero_filled;		/* bytes zero-filled past what the card maps */
	uint64_t partial;		/* files bundled shorter than their entry says */
	uint64_t not_bundled;		/* files listed but not bundled (budget) */
	double carve_seconds;
	double seconds;
};

struct ct_extract_result {
	char bundle[4096];		/* path of the evidence bundle */
	struct json_object *flights;	/* flights.json (owned) */
	struct json_object *image_check;	/* the re-hash report, or NULL */
	struct ct_extract_stats st;
	char image_sha256[65];		/* of the image read, from its record */
	int image_mismatch;		/* the image does not match its record */
	int forced;			/* extracted anyway (--force) */
	/*
	 * The bundle is written but does not hold all the card holds: the
	 * image has unreadable sectors (bad_ranges of its record), or the walk
	 * of a filesystem stopped early (a crash, a limit, the item cap).
	 * The command exits 4; MANIFEST.json says what is missing.
	 */
	int incomplete;
	int cut_short;			/* a volume runs past the image's end: the
					 * image cut short, or a filesystem that
					 * claims more than it has (a warning) */
	uint64_t bad_ranges;		/* unreadable ranges in the acquisition record */
	char error[1024];
};

/* Returns 0 (bundle written), -errno with res->error set.  With an image
 * that does not match its record and no force: -EBADMSG, image_mismatch
 * set, nothing written. */
int ct_extract_run(const struct ct_extract_opts *o, struct ct_extract_result *res);
void ct_extract_result_release(struct ct_extract_result *res);

/* What makes a bundle: {name, version, parsers: [names]} (MANIFEST's
 * "tool" and the custody record's "producer"). */
struct json_object *ct_extract_producer_json(void);
/* The options that shape a bundle: {carve, force, max_files, walk_timeout}. */
struct json_object *ct_extract_options_json(const struct ct_extract_opts *o);

/* The custody record of an extraction (action "extract"). */
struct json_object *ct_extract_custody_record(const struct ct_extract_opts *o,
					      const struct ct_extract_result *res,
					      char *err, size_t errlen);

/*
 * verify --reproduce (reproduce.c): run again, from the case's image and
 * with the options its record names, every extraction the custody log of
 * casedir records, each into a temporary folder under tmpdir (removed
 * after), and compare each bundle with the recorded one.  *report:
 *   bundles: [{seq, path, evidence, made_by (version), parsers,
 *              recorded_sha256, sha256 (of the reproduction), status
 *              ("reproduced" | "NOT REPRODUCED" | "other version" |
 *              "FAILED"), detail (a sentence), members (names that differ,
 *              at most 20), members_differing, first {member, what
 *              ("content", "time", …), line (text members), offset}}],
 *   reproduced (count), ok (every bundle reproduced), version.
 * The process must run as extract does (TZ=UTC, a UTF-8 LC_CTYPE).
 * Returns 0, 1 if there is no log, -errno.
 */
struct ct_reproduce_opts {
	const char *tmpdir;	/* NULL: /tmp */
	size_t bufsize;
};
int ct_reproduce_case(const char *casedir, const struct ct_reproduce_opts *o,
		      struct json_object **report);

/*
 * Make a name from a card safe as one path component inside the bundle:
 * no '/', no NUL or control characters (replaced by '_'), not "." or ".."
 * (prefixed with '_'), bytes that are not UTF-8 written as %XX, at most
 * 128 bytes.  out must hold 3 * 128 + 1 bytes.
 */
void ct_safe_component(const char *in, char *out, size_t outlen);

#endif
