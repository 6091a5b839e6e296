/*
 * station_int.h — what the rooms of the station share.  Not installed.
 *
 *   station.c  the loop: watch events, admission, one thread per card,
 *              the status rows, the end of the run
 *   card.c     who a card is (CID, or its size and first and last MiB),
 *              where it was processed before, its case folder, its notes
 *   chain.c    a card's chain: the steps in the policy's order, what stops
 *              it (a failure, the card pulled out, a signal)
 *   steps.c    one function per step, each the library call and the
 *              custody record of the command of the same name
 *   events.c   events (JSON) and the progress of the steps
 *   summary.c  the mission summary: JSON, text and an HTML index
 */
#ifndef CARDTRAIL_STATION_INT_H
#define CARDTRAIL_STATION_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

#include "cardtrail/custody.h"
#include "cardtrail/station.h"

struct json_object;

#define CARD_EDGE (1u << 20)	/* the first and the last MiB: a card's fingerprint */
#define STATION_WIPE_BUFSIZE (1u << 20)	/* a wipe's buffers (8 of them) per card */

enum card_state {
	CARD_IDENTIFYING = 0,	/* being read: who is it, was it here before */
	CARD_RUNNING,		/* its chain runs */
	CARD_GONE,		/* pulled out mid-chain: waits for it to come back */
	CARD_DONE,		/* every step of the chain ended */
	CARD_FAILED,		/* a step failed: the chain stopped there */
	CARD_STOPPED,		/* stopped by a signal */
	CARD_SKIPPED,		/* processed before, and the policy skips duplicates */
	CARD_REFUSED,		/* cannot be processed (unreadable, or a wipe without image) */
	CARD_MERGED,		/* an arrival that was a card coming back: not a card */
};

enum step_status {
	STEP_PENDING = 0,
	STEP_RUNNING,
	STEP_OK,		/* exit 0 */
	STEP_DAMAGED,		/* exit 4: unreadable sectors */
	STEP_FAILED,		/* exit 1 */
	STEP_MISMATCH,		/* exit 3 */
	STEP_SKIPPED,		/* not run, by the policy */
	STEP_STOPPED,		/* a signal stopped it at a safe point */
	STEP_GONE,		/* the card left during it */
};

struct step_out {
	enum step_status status;
	int exit;		/* the command's exit status for this step */
	unsigned runs;		/* started (a resume is a second run) */
	double seconds;		/* in all runs */
	char text[1024];	/* what happened, in words */
};

struct station;

struct card {
	struct station *st;
	unsigned id;			/* 1, 2, ... in order of arrival */
	enum card_state state;
	/* where it is */
	char reader[64];		/* kernel name */
	char device[80];		/* /dev/NAME */
	char reader_path[PATH_MAX];
	dev_t devno;
	int present;			/* its medium is in the reader */
	int by_allow;			/* admitted by --allow only */
	/* who it is */
	uint64_t size;
	char cid[64];			/* the CID register, hex; "" when hidden */
	char serial[32];		/* "sd" and the CID's serial, or "" */
	char fingerprint[65];
	char match[128];		/* how it was recognised when it came back */
	struct json_object *identity;
	/* a duplicate of */
	char dup_case[PATH_MAX];
	char dup_evidence[64];
	char dup_by[32];		/* "CID" or "SHA-256" */
	/* its case */
	char casename[PATH_MAX];
	char casedir[PATH_MAX];
	char evidence[64];
	int image_begun;		/* an image record exists: a retry resumes */
	int wipe_begun;			/* a wipe state file exists: a retry resumes */
	int imaged_before;		/* imaged by an earlier chain (wipe-only policy) */
	/* the chain */
	size_t next;			/* index into the policy's steps */
	struct step_out steps[CT_STEP_COUNT];
	/* progress (under the station's lock) */
	char phase[32];
	uint64_t done, total;
	double rate, eta, phase_t0, last_progress_event;
	/* results */
	struct json_object *hashes;
	uint64_t bytes, bad_bytes;
	uint64_t tracks, points;
	long flights;			/* from the report, -1 unknown */
	char wipe_result[256];
	/* the format the wipe laid down after its passes (format_result):
	 * what the format step says; STEP_PENDING until the wipe ended */
	struct step_out format;
	char wipe_method[512];
	uint64_t real_capacity;
	int wrapped;
	char report_html[PATH_MAX], report_pdf[PATH_MAX];
	int verified;			/* -1 unknown, 0 no, 1 yes */
	char verify_text[1280];
	char head[65];
	struct json_object *attention;	/* strings */
	double t_start, t_end;		/* chain, ct_now() */
	time_t started, ended;
	/* the thread of this arrival */
	pthread_t th;
	int th_live, th_exited;
};

struct refused_dev {
	char name[64];
	dev_t devno;
	uint64_t size;
};

struct station {
	const struct ct_station_opts *o;
	const struct ct_station_policy *p;
	struct ct_append_opts ao;
	pthread_mutex_t mu;		/* the cards and their progress */
	pthread_mutex_t ev_mu;		/* one event callback at a time */
	pthread_mutex_t report_mu;	/* cairo and pango: one report at a time */
	struct card **cards;
	size_t ncards, capcards;
	struct refused_dev *refused_now;	/* refused and still there: said once */
	size_t nrefused_now, caprefused_now;
	struct json_object *refused;	/* [{reader, size, reason, time}] */
	unsigned ended;			/* chains that ended */
	double t0, last_activity;
	time_t started;
	const char *watch_method;
	char cmdline[1024];
};

/* card.c */
int card_identify(struct card *c, unsigned char **head, unsigned char **tail);
struct card *card_returning(struct station *st, struct card *c);
int card_find_prior(struct card *c, const unsigned char *head, const unsigned char *tail);
int card_create_case(struct card *c);
int card_note(struct card *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int card_reachable(struct card *c);
void card_attention(struct card *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void card_free(struct card *c);

/* chain.c */
void *card_main(void *arg);

/* steps.c */
struct step {
	const char *name;
	int card;			/* needs the card in its reader */
	int destructive;		/* writes to the card */
	/* run the step; returns its status */
	enum step_status (*run)(struct card *c, struct step_out *out);
};
extern const struct step station_steps[CT_STEP_COUNT];
/* format.fs resolved for a card: fat32 up to 32 GiB (SDHC), else exfat. */
const char *station_format_fs(const struct ct_station_policy *p, uint64_t size);
/* Verify the card's case at the end of its chain: in full, or (after a
 * report, which re-hashed everything) the chain with the report's record. */
void station_verify_case(struct card *c, int reported);

/* events.c */
struct json_object *ev_new(const char *event, const struct card *c);
void ev_emit(struct station *st, struct json_object *ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void progress_set(struct card *c, const char *phase, uint64_t done, uint64_t total,
		  double elapsed, int final);
const char *step_status_name(enum step_status s);
const char *card_state_name(enum card_state s);
int station_stopping(void);

/* summary.c */
struct json_object *card_json(const struct card *c);
int summary_write(struct station *st, struct ct_station_result *res, const char *stopped_by);

#endif
