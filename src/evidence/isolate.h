/*
 * isolate.h — the card walk (walk.h) in child processes, one per volume,
 * with limits, its records streamed to the parent through a pipe.
 *
 * libtsk parses what a hostile card holds; Debian builds it with
 * assertions, and one byte of a card can trip one (t0860).  A child that
 * crashes, asserts, runs over its time or memory budget or stops talking
 * costs the volume it was walking, not the extraction: the parent keeps
 * every record that arrived whole, says what happened, and goes on with
 * the next volume.
 */
#ifndef CARDTRAIL_ISOLATE_H
#define CARDTRAIL_ISOLATE_H

#include <stdint.h>

#include <tsk/libtsk.h>

#include "walk.h"

struct ct_isolate_opts {
	double seconds;		/* wall-clock budget per volume (also its CPU limit) */
	uint64_t max_bytes;	/* address space of a child; 0: none */
	uint64_t max_items;	/* files reported, all volumes (walk.h's cap) */
	/*
	 * The child: `exe __walk ...` (CT_EXTRACT_WALK_COMMAND), a fresh
	 * process image that opens the image by its paths (segs, ewf as for
	 * ct_walk_open) and streams its records on fd 3.  The one way in a
	 * process with threads: after fork() a threaded process may only make
	 * async-signal-safe calls, and libtsk allocates (a lock another thread
	 * held at the fork is never released in the child).
	 * NULL: fork, the child reads the image the caller opened; only for a
	 * caller with one thread (-ENOEXEC otherwise, checked every time).
	 */
	const char *exe;
	int nseg;
	char *const *segs;
	int ewf;
};

#define CT_ISOLATE_SECONDS 600
#define CT_ISOLATE_MAX_BYTES (2ull << 30)

/*
 * Walk img volume by volume, each in a child (see exe above), and hand the
 * records to sink as they arrive.  What goes wrong with a child is
 * reported through sink->warn (naming the volume, the signal or the limit,
 * and how far it got) and sink->done(vol, 0).  Returns 0, 1 when there is
 * no filesystem, 2 when the child that looked for one failed (then nothing
 * is known of the volumes), or -errno (spawn, fork, pipe, a sink's error;
 * -ENOEXEC: no exe and more than one thread).
 */
int ct_walk_isolated(TSK_IMG_INFO *img, const struct ct_isolate_opts *o,
		     const struct ct_walk_sink *sink);

/* The number of threads of this process (/proc/self/task), 0 unknown. */
unsigned ct_thread_count(void);

#endif
