/*
 * watch.c — block devices that gain or lose a medium.
 *
 * sysfs is the truth: a device is present when /sys/block/NAME/size is not
 * zero (an SD slot or a USB reader without a card, a loop device without a
 * backing file read 0).  Each scan compares /sys/block with the devices seen
 * last and queues ADD and REMOVE events.  What wakes the scan up is udev
 * (libudev's monitor: events for the block subsystem after the udev daemon
 * handled them) when a udev daemon runs, else a timer: every poll interval.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <libudev.h>

#include "cardtrail/station.h"
#include "cardtrail/util.h"

struct seen {
	char name[64];
	dev_t devno;
	uint64_t size;
	int mark;
};

struct ct_watch {
	char sysblock[PATH_MAX];
	int udev_mode;
	unsigned poll_ms;
	double next_scan;
	struct udev *udev;
	struct udev_monitor *mon;
	struct seen *seen;		/* devices with a medium */
	size_t nseen, capseen;
	struct ct_watch_event *queue;	/* events not handed out yet */
	size_t qhead, qlen, qcap;
};

static int
queue_push(struct ct_watch *w, enum ct_watch_type type, const struct seen *s)
{
	struct ct_watch_event *ev;

	if (w->qhead > 0 && w->qhead == w->qlen)
		w->qhead = w->qlen = 0;
	if (w->qlen == w->qcap) {
		size_t cap = w->qcap ? w->qcap * 2 : 16;
		struct ct_watch_event *q = realloc(w->queue, cap * sizeof(*q));

		if (q == NULL)
			return -ENOMEM;
		w->queue = q;
		w->qcap = cap;
	}
	ev = &w->queue[w->qlen++];
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	snprintf(ev->name, sizeof(ev->name), "%s", s->name);
	ev->devno = s->devno;
	ev->size = s->size;
	return 0;
}

/* NAME's device number and size from sysfs; 0, or -errno when gone. */
static int
read_dev(const struct ct_watch *w, const char *name, dev_t *devno, uint64_t *size)
{
	char path[PATH_MAX], *s, *end;
	unsigned ma, mi;
	unsigned long long sectors;
	int ok;

	if (ct_snprintf(path, sizeof(path), "%s/%s/dev", w->sysblock, name) < 0)
		return -ENAMETOOLONG;
	if ((s = ct_read_text(path)) == NULL)
		return -ENOENT;
	ok = sscanf(s, "%u:%u", &ma, &mi) == 2;
	free(s);
	if (!ok || ct_snprintf(path, sizeof(path), "%s/%s/size", w->sysblock, name) < 0 ||
	    (s = ct_read_text(path)) == NULL)
		return -ENOENT;
	errno = 0;
	sectors = strtoull(s, &end, 10);
	ok = errno == 0 && end != s && *end == '\0';
	free(s);
	if (!ok)
		return -EINVAL;
	*devno = makedev(ma, mi);
	*size = (uint64_t)sectors * 512;
	return 0;
}

static struct seen *
find_seen(struct ct_watch *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->nseen; i++)
		if (!strcmp(w->seen[i].name, name))
			return &w->seen[i];
	return NULL;
}

static int
add_seen(struct ct_watch *w, const char *name, dev_t devno, uint64_t size)
{
	struct seen *s;

	if (w->nseen == w->capseen) {
		size_t cap = w->capseen ? w->capseen * 2 : 16;

		if ((s = realloc(w->seen, cap * sizeof(*s))) == NULL)
			return -ENOMEM;
		w->seen = s;
		w->capseen = cap;
	}
	s = &w->seen[w->nseen++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%.*s", (int)sizeof(s->name) - 1, name);
	s->devno = devno;
	s->size = size;
	s->mark = 1;
	return queue_push(w, CT_WATCH_ADD, s);
}

/* A device seen before loses its medium: REMOVE, and forget it. */
static int
drop_seen(struct ct_watch *w, struct seen *s)
{
	struct seen gone = *s;

	*s = w->seen[--w->nseen];
	return queue_push(w, CT_WATCH_REMOVE, &gone);
}

/* Compare /sys/block with what was seen; queue the differences. */
static int
scan(struct ct_watch *w)
{
	struct dirent *de;
	struct seen *s;
	DIR *d;
	size_t i;
	int ret = 0;

	if ((d = opendir(w->sysblock)) == NULL)
		return -errno;
	for (i = 0; i < w->nseen; i++)
		w->seen[i].mark = 0;
	while (ret == 0 && (de = readdir(d)) != NULL) {
		dev_t devno;
		uint64_t size;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(s->name))
			continue;
		if (read_dev(w, de->d_name, &devno, &size) < 0 || size == 0)
			continue;
		s = find_seen(w, de->d_name);
		if (s != NULL && s->devno == devno && s->size == size) {
			s->mark = 1;
			continue;
		}
		/* another medium in the same slot: the old one went first */
		if (s != NULL && (ret = drop_seen(w, s)) < 0)
			break;
		ret = add_seen(w, de->d_name, devno, size);
	}
	closedir(d);
	for (i = w->nseen; ret == 0 && i-- > 0;)
		if (!w->seen[i].mark)
			ret = drop_seen(w, &w->seen[i]);
	return ret;
}

/*
 * Drain the udev monitor.  A media change announced by udev (a card
 * swapped in a reader faster than the next scan) is a REMOVE of what was
 * there; the scan that follows sees the new card.
 */
static int
drain_udev(struct ct_watch *w)
{
	struct udev_device *d;
	int ret = 0;

	while ((d = udev_monitor_receive_device(w->mon)) != NULL) {
		const char *name = udev_device_get_sysname(d);
		const char *action = udev_device_get_action(d);
		const char *media = udev_device_get_property_value(d, "DISK_MEDIA_CHANGE");
		struct seen *s = name ? find_seen(w, name) : NULL;

		if (s != NULL && ((action && !strcmp(action, "remove")) || (media && !strcmp(media, "1"))))
			ret = drop_seen(w, s);
		udev_device_unref(d);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int
open_udev(struct ct_watch *w, int required, char *err, size_t errlen)
{
	struct udev_queue *q;
	int active;

	if ((w->udev = udev_new()) == NULL) {
		snprintf(err, errlen, "libudev: cannot start (udev_new)");
		return -ENOMEM;
	}
	q = udev_queue_new(w->udev);
	active = q != NULL && udev_queue_get_udev_is_active(q);
	udev_queue_unref(q);
	if (!active) {
		if (required) {
			snprintf(err, errlen, "no udev daemon runs (libudev finds no /run/udev/control): "
				 "udev events would never come; use --watch sysfs (or auto)");
			return -ENOENT;
		}
		return 1;
	}
	w->mon = udev_monitor_new_from_netlink(w->udev, "udev");
	if (w->mon == NULL ||
	    udev_monitor_filter_add_match_subsystem_devtype(w->mon, "block", "disk") < 0 ||
	    udev_monitor_enable_receiving(w->mon) < 0) {
		snprintf(err, errlen, "libudev: cannot listen to udev events");
		return -EIO;
	}
	return 0;
}

int
ct_watch_open(enum ct_watch_kind kind, const char *sysblock, unsigned poll_ms, struct ct_watch **out,
	      char *err, size_t errlen)
{
	struct ct_watch *w;
	int ret;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->poll_ms = poll_ms ? poll_ms : 250;
	if (ct_snprintf(w->sysblock, sizeof(w->sysblock), "%s", sysblock ? sysblock : "/sys/block") < 0) {
		ret = -ENAMETOOLONG;
		snprintf(err, errlen, "the sysfs folder name is too long");
		goto fail;
	}
	if (kind != CT_WATCH_SYSFS && sysblock == NULL) {
		ret = open_udev(w, kind == CT_WATCH_UDEV, err, errlen);
		if (ret < 0)
			goto fail;
		w->udev_mode = ret == 0;
	}
	if ((ret = scan(w)) < 0) {
		snprintf(err, errlen, "cannot read '%s': %s", w->sysblock, strerror(-ret));
		goto fail;
	}
	w->next_scan = ct_now() + w->poll_ms / 1000.0;
	*out = w;
	return 0;
fail:
	ct_watch_close(w);
	return ret;
}

const char *
ct_watch_method(const struct ct_watch *w)
{
	return w->udev_mode ? "udev" : "sysfs";
}

static void
sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);	/* a signal ends it early: the caller looks */
}

int
ct_watch_next(struct ct_watch *w, int timeout_ms, struct ct_watch_event *ev)
{
	double deadline = ct_now() + (timeout_ms > 0 ? timeout_ms : 0) / 1000.0;
	int ret;

	for (;;) {
		double now, until;

		if (w->qhead < w->qlen) {
			*ev = w->queue[w->qhead++];
			return 1;
		}
		now = ct_now();
		if (!w->udev_mode && now >= w->next_scan) {
			w->next_scan = now + w->poll_ms / 1000.0;
			if ((ret = scan(w)) < 0)
				return ret;
			continue;
		}
		if (now >= deadline)
			return 0;
		if (w->udev_mode) {
			struct pollfd pfd = { .fd = udev_monitor_get_fd(w->mon), .events = POLLIN };
			int r = poll(&pfd, 1, (int)((deadline - now) * 1000) + 1);

			if (r < 0)
				return errno == EINTR ? 0 : -errno;
			if (r > 0 && ((ret = drain_udev(w)) < 0 || (ret = scan(w)) < 0))
				return ret;
			continue;
		}
		until = w->next_scan < deadline ? w->next_scan : deadline;
		sleep_s(until - now);
		if (ct_now() < until)
			return 0;	/* a signal: let the caller look */
	}
}

void
ct_watch_close(struct ct_watch *w)
{
	if (w == NULL)
		return;
	if (w->mon)
		udev_monitor_unref(w->mon);
	if (w->udev)
		udev_unref(w->udev);
	free(w->seen);
	free(w->queue);
	free(w);
}
