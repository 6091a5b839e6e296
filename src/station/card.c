/*
 * card.c — who a card is, whether it was here before, its case folder and
 * its notes in the custody log.
 *
 * A card is its CID when a native SD host shows it.  Behind a USB reader (or
 * as a loop device) there is no serial: then its size and the SHA-256 of its
 * first and last MiB, read before anything is written, stand for it.  That
 * fingerprint only finds candidates; "already processed" is said only of a
 * card whose CID matches an image record, or whose every byte hashes to an
 * image's SHA-256 (the card is read once for that, only when the edges
 * matched).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gcrypt.h>
#include <json-c/json.h>

#include "cardtrail/custody.h"
#include "cardtrail/dev.h"
#include "cardtrail/hash.h"
#include "cardtrail/identity.h"
#include "cardtrail/image.h"
#include "cardtrail/util.h"
#include "station/station_int.h"

#define FP_TAG "cardtrail-station-fingerprint-v1"

void
card_attention(struct card *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&c->st->mu);
	json_object_array_add(c->attention, json_object_new_string(buf));
	pthread_mutex_unlock(&c->st->mu);
}

void
card_free(struct card *c)
{
	if (c == NULL)
		return;
	json_object_put(c->identity);
	json_object_put(c->hashes);
	json_object_put(c->attention);
	free(c);
}

/* Read len bytes at off of an open card (O_DIRECT: aligned buffer). */
static int
read_at(struct ct_dev *d, unsigned char *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	int ret = ct_dev_read(d, buf, len, off, &got);

	if (ret == 0 && got != len)
		ret = -EIO;
	return ret;
}

/*
 * The first and the last MiB (the whole card when it is smaller than
 * two), and the fingerprint: SHA-256 over a tag, the size and both.
 */
static int
read_edges(struct card *c, unsigned char **head, unsigned char **tail, char *err, size_t errlen)
{
	struct ct_dev d;
	size_t edge = c->size < 2 * (uint64_t)CARD_EDGE ? (size_t)(c->size / 2 / 4096 * 4096) : CARD_EDGE;
	unsigned char sz[8], digest[32];
	gcry_md_hd_t md = NULL;
	int ret, i;

	*head = *tail = NULL;
	if ((ret = ct_dev_open(&d, c->device, CT_DEV_RDONLY)) < 0) {
		snprintf(err, errlen, "cannot open '%s' to read it: %s", c->device, strerror(-ret));
		return ret;
	}
	if (d.rdev != c->devno) {
		ct_dev_close(&d);
		snprintf(err, errlen, "'%s' is not the device the watch saw (%u:%u)", c->device,
			 major(c->devno), minor(c->devno));
		return -ENODEV;
	}
	*head = ct_alloc_aligned(CARD_EDGE);
	*tail = ct_alloc_aligned(CARD_EDGE);
	if (*head == NULL || *tail == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	memset(*head, 0, CARD_EDGE);
	memset(*tail, 0, CARD_EDGE);
	if (edge == 0 || (ret = read_at(&d, *head, edge, 0)) < 0 ||
	    (ret = read_at(&d, *tail, edge, c->size - edge)) < 0) {
		if (edge == 0)
			ret = -EINVAL;
		snprintf(err, errlen, "cannot read the first and last MiB of '%s': %s", c->device,
			 strerror(-ret));
		goto out;
	}
	if (gcry_md_open(&md, GCRY_MD_SHA256, 0) != 0) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < 8; i++)
		sz[i] = (unsigned char)(c->size >> (8 * i));
	gcry_md_write(md, FP_TAG, strlen(FP_TAG));
	gcry_md_write(md, sz, sizeof(sz));
	gcry_md_write(md, *head, CARD_EDGE);
	gcry_md_write(md, *tail, CARD_EDGE);
	memcpy(digest, gcry_md_read(md, GCRY_MD_SHA256), sizeof(digest));
	ct_hex(digest, sizeof(digest), c->fingerprint);
	ret = 0;
out:
	gcry_md_close(md);
	ct_dev_close(&d);
	if (ret < 0) {
		free(*head);
		free(*tail);
		*head = *tail = NULL;
	}
	return ret;
}

int
card_identify(struct card *c, unsigned char **head, unsigned char **tail)
{
	char err[1024] = "";
	struct json_object *sd;
	int ret;

	if ((ret = ct_identity_get(c->device, &c->identity)) < 0) {
		card_attention(c, "cannot identify '%s': %s", c->device, strerror(-ret));
		return ret;
	}
	sd = ct_json_get(c->identity, "sd");
	if (ct_json_str(sd, "cid", NULL))
		snprintf(c->cid, sizeof(c->cid), "%s", ct_json_str(sd, "cid", ""));
	if (ct_json_str(sd, "serial", NULL))
		snprintf(c->serial, sizeof(c->serial), "sd%s", ct_json_str(sd, "serial", "") +
			 (strncmp(ct_json_str(sd, "serial", ""), "0x", 2) ? 0 : 2));
	if ((ret = read_edges(c, head, tail, err, sizeof(err))) < 0) {
		card_attention(c, "%s", err);
		return ret;
	}
	return 0;
}

/*
 * A card that left mid-chain, coming back: the same CID; or the same size
 * and edges; or, when it left during the wipe (which changed its content),
 * the same size in the same reader, and the wipe's own resume checks the
 * card against what the interrupted wipe left.
 */
struct card *
card_returning(struct station *st, struct card *c)
{
	struct card *found = NULL;
	size_t i;

	pthread_mutex_lock(&st->mu);
	for (i = 0; i < st->ncards && found == NULL; i++) {
		struct card *g = st->cards[i];
		enum ct_station_step step;

		if (g == c || g->state != CARD_GONE || g->size != c->size)
			continue;
		step = st->p->steps[g->next < st->p->nsteps ? g->next : st->p->nsteps - 1];
		if (c->cid[0] && !strcmp(g->cid, c->cid))
			snprintf(g->match, sizeof(g->match), "the same CID");
		else if (!c->cid[0] && !g->cid[0] && !strcmp(g->fingerprint, c->fingerprint))
			snprintf(g->match, sizeof(g->match), "the same size and first and last MiB");
		else if (!c->cid[0] && !g->cid[0] && g->wipe_begun &&
			 (step == CT_STEP_WIPE || step == CT_STEP_FORMAT) &&
			 !strcmp(g->reader_path, c->reader_path))
			snprintf(g->match, sizeof(g->match), "the same size in the same reader, left "
				 "during its wipe");
		else
			continue;
		found = g;
		/* it is here again, where the arrival is */
		snprintf(g->reader, sizeof(g->reader), "%s", c->reader);
		snprintf(g->device, sizeof(g->device), "%s", c->device);
		snprintf(g->reader_path, sizeof(g->reader_path), "%s", c->reader_path);
		g->devno = c->devno;
		g->present = 1;
		g->by_allow = c->by_allow;
		g->state = CARD_RUNNING;
		c->state = CARD_MERGED;
		c->present = 0;
	}
	pthread_mutex_unlock(&st->mu);
	return found;
}

/* ---- processed before? ---- */

/* SHA-256 of every byte of the card (hex), with progress. */
static int
hash_card(struct card *c, char out[65])
{
	struct ct_dev d;
	unsigned char *buf = NULL;
	gcry_md_hd_t md = NULL;
	uint64_t off = 0;
	double t0 = ct_now();
	int ret;

	if ((ret = ct_dev_open(&d, c->device, CT_DEV_RDONLY)) < 0)
		return ret;
	if ((buf = ct_alloc_aligned(CARD_EDGE)) == NULL || gcry_md_open(&md, GCRY_MD_SHA256, 0)) {
		ret = -ENOMEM;
		goto out;
	}
	while (off < d.size) {
		size_t n = d.size - off < CARD_EDGE ? (size_t)(d.size - off) : CARD_EDGE;

		if (station_stopping()) {
			ret = -EINTR;
			goto out;
		}
		if ((ret = read_at(&d, buf, n, off)) < 0)
			goto out;
		gcry_md_write(md, buf, n);
		off += n;
		progress_set(c, "check", off, d.size, ct_now() - t0, off == d.size);
	}
	ct_hex(gcry_md_read(md, GCRY_MD_SHA256), 32, out);
	ret = 0;
out:
	gcry_md_close(md);
	free(buf);
	ct_dev_close(&d);
	return ret;
}

/* Do the first and the last MiB of the image of acq equal the card's? */
static int
edges_match(const char *casedir, struct json_object *acq, uint64_t size, const unsigned char *head,
	    const unsigned char *tail)
{
	size_t edge = size < 2 * (uint64_t)CARD_EDGE ? (size_t)(size / 2 / 4096 * 4096) : CARD_EDGE;
	struct ct_image *img = NULL;
	unsigned char *buf = malloc(CARD_EDGE);
	char err[256];
	int same = 0;

	if (buf != NULL && ct_image_open(casedir, acq, &img, err, sizeof(err)) == 0 &&
	    ct_image_size(img) == size && ct_image_read(img, buf, edge, 0) == 0 &&
	    memcmp(buf, head, edge) == 0 && ct_image_read(img, buf, edge, size - edge) == 0 &&
	    memcmp(buf, tail, edge) == 0)
		same = 1;
	ct_image_close(img);
	free(buf);
	return same;
}

/* One evidence of a case that the card might be. */
struct prior {
	char casedir[PATH_MAX];
	char evidence[64];
	char sha256[65];
	int by_cid;
};

/* The complete image and adopt records of a case that could be this card. */
static int
prior_in_case(struct card *c, const char *casedir, const unsigned char *head,
	      const unsigned char *tail, struct prior *pr)
{
	struct ct_custody_log log;
	size_t i;
	int found = 0;

	if (ct_custody_read(casedir, &log) != 0)
		return 0;
	for (i = 0; i < log.n && !found; i++) {
		struct json_object *r = log.lines[i].rec, *res = ct_json_get(r, "result"), *acq;
		const char *action = ct_json_str(r, "action", "");
		const char *ev = ct_json_str(ct_json_get(r, "subject"), "evidence", NULL);
		const char *cid = ct_json_str(ct_json_get(ct_json_get(r, "subject"), "card"), "cid", NULL);
		const char *sha = ct_json_str(ct_json_get(res, "hashes"), "sha256", NULL);
		char path[PATH_MAX];

		if ((strcmp(action, "image") && strcmp(action, "adopt")) || ev == NULL ||
		    !ct_evidence_id_valid(ev) || !json_object_get_boolean(ct_json_get(res, "complete")))
			continue;
		if (c->cid[0] && cid && !strcmp(cid, c->cid)) {
			found = pr->by_cid = 1;
		} else if (sha && strlen(sha) == 64 &&
			   (uint64_t)json_object_get_int64(ct_json_get(res, "bytes")) == c->size &&
			   ct_snprintf(path, sizeof(path), "%s/%s.acquisition.json", casedir, ev) == 0 &&
			   (acq = json_object_from_file(path)) != NULL) {
			found = edges_match(casedir, acq, c->size, head, tail);
			json_object_put(acq);
		}
		if (found) {
			snprintf(pr->casedir, sizeof(pr->casedir), "%s", casedir);
			snprintf(pr->evidence, sizeof(pr->evidence), "%s", ev);
			snprintf(pr->sha256, sizeof(pr->sha256), "%s", sha ? sha : "");
		}
	}
	ct_custody_release(&log);
	return found;
}

/*
 * Was the card processed before, in a case of the cases folder?  1 yes
 * (c->dup_* set), 0 no, -errno (-EINTR: a signal).  Candidates by CID are
 * taken as they are; candidates by their edges are confirmed by hashing
 * the whole card against the image's SHA-256.
 */
int
card_find_prior(struct card *c, const unsigned char *head, const unsigned char *tail)
{
	const char *cases = c->st->o->cases;
	char card_sha[65] = "";
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if ((d = opendir(cases)) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while (ret == 0 && (de = readdir(d)) != NULL) {
		char casedir[PATH_MAX];
		struct prior pr;
		struct stat st;

		memset(&pr, 0, sizeof(pr));
		if (de->d_name[0] == '.' ||
		    ct_snprintf(casedir, sizeof(casedir), "%s/%s", cases, de->d_name) < 0 ||
		    lstat(casedir, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    !strcmp(casedir, c->casedir) || !prior_in_case(c, casedir, head, tail, &pr))
			continue;
		if (!pr.by_cid) {
			if (card_sha[0] == '\0' && (ret = hash_card(c, card_sha)) < 0)
				break;
			if (strcmp(card_sha, pr.sha256))
				continue;	/* same edges, other content */
		}
		snprintf(c->dup_case, sizeof(c->dup_case), "%s", pr.casedir);
		snprintf(c->dup_evidence, sizeof(c->dup_evidence), "%s", pr.evidence);
		snprintf(c->dup_by, sizeof(c->dup_by), "%s", pr.by_cid ? "CID" : "SHA-256");
		ret = 1;
	}
	closedir(d);
	return ret;
}

/* ---- its case ---- */

/* A note in the card's case (after its "open"): subject the evidence once
 * imaged, else the card in its reader. */
static int
note_record(struct card *c, enum ct_append_create create, const char *text)
{
	struct json_object *rec = json_object_new_object(), *subj = json_object_new_object();
	struct json_object *res = json_object_new_object(), *stj = json_object_new_object();
	struct ct_append_opts ao = c->st->ao;
	char err[1024] = "", item[160];
	int ret;

	json_object_object_add(rec, "action", json_object_new_string("note"));
	if (c->evidence[0] && (c->image_begun || c->imaged_before)) {
		json_object_object_add(subj, "evidence", json_object_new_string(c->evidence));
	} else {
		snprintf(item, sizeof(item), "card in reader %s", c->device);
		json_object_object_add(subj, "item", json_object_new_string(item));
	}
	json_object_object_add(rec, "subject", subj);
	json_object_object_add(res, "text", json_object_new_string(text));
	json_object_object_add(stj, "mission", json_object_new_string(c->st->o->mission));
	json_object_object_add(stj, "card", json_object_new_int((int)c->id));
	json_object_object_add(stj, "reader", json_object_new_string(c->device));
	json_object_object_add(stj, "fingerprint", json_object_new_string(c->fingerprint));
	if (c->cid[0])
		json_object_object_add(stj, "cid", json_object_new_string(c->cid));
	json_object_object_add(res, "station", stj);
	json_object_object_add(rec, "result", res);
	ao.create = create;
	ret = ct_custody_append(c->casedir, rec, &ao, NULL, err, sizeof(err));
	json_object_put(rec);
	if (ret < 0)
		card_attention(c, "the station's note could not be appended to %s/%s: %s (it said: %s)",
			       c->casedir, CT_CUSTODY_LOG, err[0] ? err : strerror(-ret), text);
	return ret;
}

int
card_note(struct card *c, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	if (c->casedir[0] == '\0')
		return 0;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return note_record(c, CT_APPEND_EXISTING, text);
}

/* The words of the first note: how the station took the card. */
static void
admission_text(struct card *c, char *buf, size_t len)
{
	char hs[32];
	size_t n;

	ct_human_size(c->size, hs, sizeof(hs));
	n = (size_t)snprintf(buf, len, "station, mission '%s': card %u in reader %s (%s), %" PRIu64
			     " bytes (%s); ", c->st->o->mission, c->id, c->device,
			     c->by_allow ? "admitted by --allow" : "admitted by the policy",
			     c->size, hs);
	if (n < len && c->cid[0])
		n += (size_t)snprintf(buf + n, len - n, "CID %s", c->cid);
	else if (n < len)
		n += (size_t)snprintf(buf + n, len - n, "no CID visible; its size and first and last "
				      "MiB have the SHA-256 fingerprint %s", c->fingerprint);
	if (n < len && c->dup_case[0])
		snprintf(buf + n, len - n, "; processed before: %s in %s (same %s), processed again "
			 "as the policy says (duplicate = process)", c->dup_evidence, c->dup_case,
			 c->dup_by);
}

/*
 * A new case folder for the card in the cases folder, named by date, serial
 * or reader and fingerprint (-2, -3, ... when taken), opened with the
 * station's note.
 */
int
card_create_case(struct card *c)
{
	const char *cases = c->st->o->cases;
	char base[200], text[PATH_MAX + 2048];
	int ret, n;

	if ((ret = ct_station_case_name(time(NULL), c->serial, c->reader, c->fingerprint, base,
					sizeof(base))) < 0)
		return ret;
	for (n = 1; n < 1000; n++) {
		if ((ret = n == 1 ? ct_snprintf(c->casename, sizeof(c->casename), "%s", base) :
		     ct_snprintf(c->casename, sizeof(c->casename), "%s-%d", base, n)) < 0 ||
		    (ret = ct_snprintf(c->casedir, sizeof(c->casedir), "%s/%s", cases, c->casename)) < 0)
			return ret;
		if (mkdir(c->casedir, 0755) == 0)
			break;
		if (errno != EEXIST) {
			ret = -errno;
			card_attention(c, "cannot make the case folder '%s': %s", c->casedir,
				       strerror(errno));
			c->casedir[0] = '\0';
			return ret;
		}
	}
	if (n == 1000) {
		c->casedir[0] = '\0';
		return -EEXIST;
	}
	admission_text(c, text, sizeof(text));
	if ((ret = note_record(c, CT_APPEND_NEW, text)) < 0) {
		rmdir(c->casedir);
		c->casedir[0] = '\0';
	}
	return ret;
}

/* Is the card still there and readable (its first sector)? */
int
card_reachable(struct card *c)
{
	unsigned char *buf;
	struct ct_dev d;
	char path[PATH_MAX], *s;
	int ok = 0, present;

	pthread_mutex_lock(&c->st->mu);
	present = c->present;
	pthread_mutex_unlock(&c->st->mu);
	if (!present || ct_snprintf(path, sizeof(path), "/sys/block/%s/size", c->reader) < 0 ||
	    (s = ct_read_text(path)) == NULL)
		return 0;
	ok = strcmp(s, "0") != 0;
	free(s);
	if (!ok || ct_dev_open(&d, c->device, CT_DEV_RDONLY) < 0)
		return 0;
	ok = 0;
	if ((buf = ct_alloc_aligned(4096)) != NULL && d.rdev == c->devno)
		ok = read_at(&d, buf, d.lss > 4096 ? 4096 : d.lss, 0) == 0;
	free(buf);
	ct_dev_close(&d);
	return ok;
}
