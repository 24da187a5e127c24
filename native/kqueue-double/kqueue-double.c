/*
 * libkqueue-double.so -- a TEST DOUBLE of kqueue(2)/kevent(2) for Linux, built on epoll.
 *
 * This is NOT libkqueue and not a general-purpose kqueue port. It exists so that pollkit's
 * kqueue backend (which loads `kqueue` and `kevent` from the library named by
 * POLLKIT_KQUEUE_LIB) can be exercised on Linux CI. It implements EVFILT_READ and
 * EVFILT_WRITE on pollable fds (sockets, pipes, ...) with the semantics of the macOS/FreeBSD
 * kqueue(2) man pages, closely enough that a backend written for real kqueue runs unchanged.
 * The ABI (struct kevent, EV_*, EVFILT_*) is the macOS/libkqueue 64-bit one from
 * bindings/kqueue/darwin.h. See README.md for what is supported and the known differences.
 *
 * Model:
 *  - kqueue() returns an epoll fd; per-kqueue state lives in a global table indexed by that fd,
 *    guarded by one mutex (epoll_wait itself runs unlocked).
 *  - A knote is keyed by (ident, filter); ident is the fd. Each fd has ONE epoll registration
 *    whose mask combines its enabled knotes (READ -> EPOLLIN|EPOLLRDHUP, WRITE -> EPOLLOUT).
 *  - Registrations are level-triggered, like kqueue's default. If any enabled knote of the fd
 *    has EV_CLEAR the fd is registered EPOLLET; a level-triggered knote on such an fd is then
 *    "rechecked" with poll(2) on every later kevent() call for as long as it stays ready.
 *  - EV_ONESHOT / EV_DISPATCH / EV_DISABLE are done in user space by recomputing the mask.
 */
#define _GNU_SOURCE
/* One source, two ABIs: the default is macOS's 32-byte struct kevent; built with
 * -DKQUEUE_DOUBLE_FREEBSD it takes FreeBSD's 64-byte one (ext[4]) and FreeBSD's receipt form. */
#ifdef KQUEUE_DOUBLE_FREEBSD
#include "freebsd.h"
#else
#include "darwin.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define KN_KEEP (EV_ONESHOT | EV_CLEAR | EV_DISPATCH) /* flags a knote remembers */

struct knote {
	int on;          /* knote exists (was EV_ADDed and not deleted) */
	int enabled;     /* EV_ENABLE / EV_DISABLE state */
	int recheck;     /* EPOLLET fd: epoll will not repeat this one, ask poll(2) next call */
	uint16_t flags;  /* KN_KEEP subset given at EV_ADD */
	unsigned seen;   /* kevent() call number that last reported it (no duplicates per call) */
	void *udata;
};

struct fdent {
	dev_t dev;       /* identity of the open file the knotes belong to: detects a closed */
	ino_t ino;       /* fd whose number now names a different file */
	uint32_t mask;   /* events currently registered with epoll, 0 = not registered */
	int soerr;       /* the socket error read from SO_ERROR (Linux clears it on read; kqueue
	                  * keeps reporting it, so the double keeps it for the file's later events) */
	int next;        /* which knote to report first (fairness when eventlist is short) */
	struct knote kn[2]; /* [0] = EVFILT_READ, [1] = EVFILT_WRITE */
};

struct kq {
	int epfd;
	unsigned calls;      /* kevent() call counter, for knote.seen */
	int any_recheck;
	int nfds;
	struct fdent *fds;   /* indexed by fd */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kq **kqs;  /* indexed by the kqueue (epoll) fd */
static int nkqs;

/* Grow a zero-filled array so that index `need` is valid. */
static int grow(void **arr, int *n, int need, size_t size)
{
	if (need < *n)
		return 0;
	int cap = *n ? *n : 16;
	while (cap <= need)
		cap *= 2;
	char *p = realloc(*arr, (size_t)cap * size);
	if (!p)
		return ENOMEM;
	memset(p + (size_t)*n * size, 0, (size_t)(cap - *n) * size);
	*arr = p;
	*n = cap;
	return 0;
}

static void free_kq(struct kq *k)
{
	free(k->fds);
	free(k);
}

int kqueue(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -1;
	struct kq *k = calloc(1, sizeof *k);
	pthread_mutex_lock(&lock);
	if (!k || grow((void **)&kqs, &nkqs, ep, sizeof *kqs)) {
		pthread_mutex_unlock(&lock);
		free(k);
		close(ep);
		errno = ENOMEM;
		return -1;
	}
	/* The caller closes a kqueue with plain close(2), which we never see: state still
	 * stored under this fd number belongs to a kqueue closed earlier, so free it now. */
	if (kqs[ep])
		free_kq(kqs[ep]);
	k->epfd = ep;
	kqs[ep] = k;
	pthread_mutex_unlock(&lock);
	return ep;
}

/* The epoll mask this fd needs for its enabled knotes. */
static uint32_t want_mask(const struct fdent *f)
{
	uint32_t m = 0;
	int clear = 0;
	for (int i = 0; i < 2; i++) {
		if (!f->kn[i].on || !f->kn[i].enabled)
			continue;
		m |= i == 0 ? EPOLLIN | EPOLLRDHUP : EPOLLOUT;
		clear |= f->kn[i].flags & EV_CLEAR;
	}
	return m && clear ? m | EPOLLET : m;
}

/* Bring the epoll registration of fd in line with its knotes. Returns 0 or an errno.
 * epoll drops an fd by itself when the file is closed, so our idea of "registered" may be
 * stale: MOD failing with ENOENT is retried as ADD, ADD failing with EEXIST as MOD. With no
 * enabled knote the fd is removed (an idle registration would still report EPOLLHUP/ERR). */
static int sync_fd(struct kq *k, int fd, struct fdent *f)
{
	uint32_t m = want_mask(f);
	if (m == 0) {
		if (f->mask)
			epoll_ctl(k->epfd, EPOLL_CTL_DEL, fd, NULL); /* ENOENT/EBADF: already gone */
		f->mask = 0;
		return 0;
	}
	struct epoll_event ev = { .events = m, .data.fd = fd };
	int op = f->mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	int r = epoll_ctl(k->epfd, op, fd, &ev);
	if (r < 0 && op == EPOLL_CTL_MOD && errno == ENOENT)
		r = epoll_ctl(k->epfd, EPOLL_CTL_ADD, fd, &ev);
	else if (r < 0 && op == EPOLL_CTL_ADD && errno == EEXIST)
		r = epoll_ctl(k->epfd, EPOLL_CTL_MOD, fd, &ev);
	if (r < 0)
		return errno;
	f->mask = m;
	return 0;
}

/* Whether fd is still open on the file whose knotes f holds. */
static int same_file(int fd, const struct fdent *f)
{
	struct stat st;
	return fstat(fd, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino;
}

/* Replace the kqueue's epoll instance by a new one holding only the registrations of fds
 * still open on their files, under the same fd number (dup3). epoll keeps watching a closed
 * fd whose file is open elsewhere (dup, fork, SCM_RIGHTS) and no epoll_ctl can remove that
 * registration any more; real kqueue drops the knotes at close(2), so the double drops the
 * whole instance. A thread blocked in epoll_wait on the old instance is not woken: like the
 * rest of the double, this assumes one thread uses a kqueue at a time. */
static void rebuild(struct kq *k)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return; /* keep the old one: stale events are still refused on delivery */
	for (int fd = 0; fd < k->nfds; fd++) {
		struct fdent *f = &k->fds[fd];
		struct epoll_event ev = { .events = f->mask, .data.fd = fd };
		if (f->mask && (!same_file(fd, f) || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0))
			memset(f, 0, sizeof *f); /* closed or reused since: its knotes are gone */
	}
	if (dup3(ep, k->epfd, O_CLOEXEC) < 0) {
		close(ep);
		return;
	}
	close(ep);
}

/* Forget the knotes of a closed (or reused) fd number, as close(2) does on real kqueue. If
 * epoll may still hold the old file, its registration goes with a rebuilt instance. */
static void forget_fd(struct kq *k, struct fdent *f)
{
	int registered = f->mask != 0;
	memset(f, 0, sizeof *f);
	if (registered)
		rebuild(k);
}

/* Look up fd's entry, checking that it still describes the file open under that number.
 * Real kqueue deletes an fd's knotes when it is closed; we notice only now, so knotes kept
 * for a different (closed) file are forgotten. Returns 0 or an errno (EBADF: not open). */
static int lookup_fd(struct kq *k, int fd, struct fdent **out)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		if (fd < k->nfds)
			forget_fd(k, &k->fds[fd]);
		return EBADF;
	}
	if (grow((void **)&k->fds, &k->nfds, fd, sizeof *k->fds))
		return ENOMEM;
	struct fdent *f = &k->fds[fd];
	if (f->dev != st.st_dev || f->ino != st.st_ino) {
		forget_fd(k, f);
		f->dev = st.st_dev;
		f->ino = st.st_ino;
	}
	*out = f;
	return 0;
}

/* Apply one changelist entry. Returns 0 or the errno to report for it. */
static int apply_change(struct kq *k, const struct kevent *ch)
{
	if (ch->filter != EVFILT_READ && ch->filter != EVFILT_WRITE)
		return EINVAL; /* other filters exist on real kqueue but not in this double */
	if (ch->ident > INT_MAX)
		return EBADF;
	int fd = (int)ch->ident, err;
	struct fdent *f;
	if ((err = lookup_fd(k, fd, &f)))
		return err;
	struct knote *kn = &f->kn[ch->filter == EVFILT_READ ? 0 : 1], saved = *kn;

	if (!kn->on && !(ch->flags & EV_ADD))
		return ENOENT; /* EV_DELETE/EV_ENABLE/EV_DISABLE of a missing knote */
	if (ch->flags & EV_ADD) {
		/* A new knote takes its EV_ONESHOT/EV_CLEAR/EV_DISPATCH from this EV_ADD and starts
		 * enabled unless EV_DISABLE comes with it. Adding an existing knote changes only its
		 * udata (and fflags/data, which the double ignores), as in FreeBSD's and XNU's
		 * kevent_register: its flags stay, and a disabled knote stays disabled without
		 * EV_ENABLE. Changing a knote's mode takes EV_DELETE, then EV_ADD. */
		if (!kn->on) {
			kn->on = 1;
			kn->flags = ch->flags & KN_KEEP;
			kn->enabled = 1;
		}
		kn->udata = ch->udata;
	}
	if (ch->flags & EV_DISABLE) /* with both, EV_ENABLE wins, as on the BSDs and XNU */
		kn->enabled = 0;
	if (ch->flags & EV_ENABLE)
		kn->enabled = 1;
	if (ch->flags & EV_DELETE)
		memset(kn, 0, sizeof *kn);
	kn->recheck = 0;
	/* Re-registering (even with an unchanged mask) makes epoll re-evaluate readiness, as a
	 * kqueue re-evaluates a knote's filter on EV_ADD/EV_ENABLE. */
	if ((err = sync_fd(k, fd, f)))
		*kn = saved; /* e.g. EPERM: regular files cannot be polled with epoll */
	return err;
}

/* EVFILT_READ data: bytes readable, or for a listening socket the accept queue length. */
static intptr_t read_data(int fd)
{
	int n;
	if (ioctl(fd, FIONREAD, &n) == 0)
		return n;
	struct tcp_info ti; /* FIONREAD fails on listening sockets; TCP exposes the backlog */
	socklen_t len = sizeof ti;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == TCP_LISTEN)
		return ti.tcpi_unacked;
	return 1;
}

/* EVFILT_WRITE data: an estimate of the free space in the send buffer (always > 0). */
static intptr_t write_data(int fd)
{
	int size = 0, queued = 0;
	socklen_t len = sizeof size;
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &len) == 0) {
		if (ioctl(fd, SIOCOUTQ, &queued) < 0)
			queued = 0;
	} else if ((size = fcntl(fd, F_GETPIPE_SZ)) > 0) {
		if (ioctl(fd, FIONREAD, &queued) < 0)
			queued = 0;
	}
	return size - queued > 0 ? size - queued : 1;
}

/* Deliver the knotes of fd that `rev` (epoll/poll readiness bits) makes fire, into
 * out[*n .. max). `only_recheck` restricts delivery to knotes waiting for a poll(2) recheck. */
static void deliver(struct kq *k, int fd, struct fdent *f, uint32_t rev, int only_recheck,
		    struct kevent *out, int *n, int max)
{
	int resync = 0, first = f->next;
	if (rev & EPOLLERR) {
		/* Linux's SO_ERROR is read-and-clear and has no peek: the error is kept here so
		 * that every later event of this file reports it, as kqueue does (see README). */
		int soerr = 0;
		socklen_t len = sizeof soerr;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr)
			f->soerr = soerr;
	}
	for (int j = 0; j < 2; j++) {
		int i = first ^ j;
		struct knote *kn = &f->kn[i];
		if (kn->seen == k->calls || (only_recheck && !kn->recheck))
			continue; /* already reported in this call / not waiting for a recheck */
		kn->recheck = 0; /* rev is the fd's full readiness: re-armed below if still due */
		if (!kn->on || !kn->enabled)
			continue;
		/* READ fires on data, peer shutdown, hangup or error; WRITE on space, hangup, error. */
		uint32_t hit = i == 0 ? EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR
				      : EPOLLOUT | EPOLLHUP | EPOLLERR;
		if (!(rev & hit))
			continue;
		if (*n >= max) { /* no room: a level fd repeats it anyway, an EPOLLET fd would not */
			f->next = i;
			if (f->mask & EPOLLET)
				kn->recheck = k->any_recheck = 1;
			continue;
		}
		struct kevent *ev = &out[(*n)++];
		ev->ident = (uintptr_t)fd;
		ev->filter = i == 0 ? EVFILT_READ : EVFILT_WRITE;
		ev->flags = kn->flags;
		ev->fflags = 0;
		ev->udata = kn->udata;
		/* EV_EOF: READ when the peer shut down its write side (RDHUP) or on hangup/error,
		 * WRITE when the connection is gone (HUP/ERR). Like real kqueue, fflags carries the
		 * socket error. */
		if (rev & (i == 0 ? EPOLLRDHUP | EPOLLHUP | EPOLLERR : EPOLLHUP | EPOLLERR)) {
			ev->flags |= EV_EOF;
			ev->fflags = (uint32_t)f->soerr;
		}
		ev->data = i == 0 ? read_data(fd) : write_data(fd);
		kn->seen = k->calls;
		if (kn->flags & EV_ONESHOT) { /* report once, then the knote is deleted */
			memset(kn, 0, sizeof *kn);
			resync = 1;
		} else if (kn->flags & EV_DISPATCH) { /* report once, then disabled */
			kn->enabled = 0;
			resync = 1;
		} else if (!(kn->flags & EV_CLEAR) && (f->mask & EPOLLET)) {
			/* Level-triggered knote on an edge-triggered fd: ask poll(2) next time. */
			kn->recheck = k->any_recheck = 1;
		}
		/* EV_CLEAR: nothing to do; EPOLLET reports again when new data/space arrives. */
	}
	if (resync)
		sync_fd(k, fd, f);
}

/* Deliver knotes that epoll will not repeat (see struct knote.recheck) if still ready. */
static void recheck(struct kq *k, struct kevent *out, int *n, int max)
{
	k->any_recheck = 0;
	for (int fd = 0; fd < k->nfds && *n < max; fd++) {
		struct fdent *f = &k->fds[fd];
		if (!f->kn[0].recheck && !f->kn[1].recheck)
			continue;
		struct stat st;
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP };
		if (fstat(fd, &st) < 0 || st.st_dev != f->dev || st.st_ino != f->ino) {
			memset(f, 0, sizeof *f); /* closed (and maybe reused) since: knotes are gone */
			continue;
		}
		if (poll(&p, 1, 0) == 1)
			deliver(k, fd, f, (uint32_t)p.revents, 1, out, n, max);
		else /* not ready any more: the next edge will come from epoll */
			f->kn[0].recheck = f->kn[1].recheck = 0;
	}
	for (int fd = 0; fd < k->nfds && !k->any_recheck; fd++)
		k->any_recheck = k->fds[fd].kn[0].recheck || k->fds[fd].kn[1].recheck;
}

/* XNU refuses (EINVAL) a kevent or select timeout over 1e8 seconds, its interval timers'
 * limit; FreeBSD takes any timeout, a huge one meaning no limit. */
#ifdef KQUEUE_DOUBLE_FREEBSD
#define MAX_SEC INT64_MAX
#else
#define MAX_SEC 100000000
#endif

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
	   int nevents, const struct timespec *timeout)
{
	if ((nchanges > 0 && !changelist) || (nevents > 0 && !eventlist)) {
		errno = EFAULT;
		return -1;
	}
	if (nchanges < 0 || nevents < 0 || (timeout && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
						       timeout->tv_nsec >= 1000000000 || timeout->tv_sec > MAX_SEC))) {
		errno = EINVAL;
		return -1;
	}
	int64_t deadline = 0;
	if (timeout)
		deadline = now_ns() + (timeout->tv_sec > INT32_MAX ? (int64_t)INT32_MAX : timeout->tv_sec)
			* 1000000000 + timeout->tv_nsec;

	pthread_mutex_lock(&lock);
	struct kq *k = kq >= 0 && kq < nkqs ? kqs[kq] : NULL;
	if (!k) {
		pthread_mutex_unlock(&lock);
		errno = EBADF;
		return -1;
	}
	/* Changes are applied in order. A failed change (or, with EV_RECEIPT, any change) is
	 * reported as an EV_ERROR event with data = errno (0 on success) while eventlist has
	 * room; a failure without room aborts the call with -1/errno. As on macOS and FreeBSD,
	 * if any such entry was produced, kevent returns them without collecting readiness. */
	int n = 0;
	for (int c = 0; c < nchanges; c++) {
		struct kevent ch = changelist[c]; /* copy: eventlist may alias changelist */
		int err = apply_change(k, &ch);
		if (!err && !(ch.flags & EV_RECEIPT))
			continue;
		if (n < nevents) {
#ifdef KQUEUE_DOUBLE_FREEBSD
			ch.flags = EV_ERROR; /* FreeBSD replaces the flags; macOS adds EV_ERROR */
#else
			ch.flags |= EV_ERROR;
#endif
			ch.data = err;
			eventlist[n++] = ch;
		} else if (err) {
			pthread_mutex_unlock(&lock);
			errno = err;
			return -1;
		}
	}
	if (n > 0 || nevents == 0) {
		pthread_mutex_unlock(&lock);
		return n;
	}

	int epfd = k->epfd;
	for (;;) {
		k->calls++;
		if (k->any_recheck)
			recheck(k, eventlist, &n, nevents);
		int ms = -1;
		if (n > 0)
			ms = 0; /* already have events: only collect what epoll has right now */
		else if (timeout) {
			int64_t left = deadline - now_ns();
			ms = left <= 0 ? 0 : left / 1000000 >= INT_MAX ? INT_MAX : (int)((left + 999999) / 1000000);
		}
		pthread_mutex_unlock(&lock);

		struct epoll_event evs[64];
		int room = nevents - n < 64 ? nevents - n : 64;
		int r = room > 0 ? epoll_wait(epfd, evs, room, ms) : 0;
		int saved_errno = errno;

		pthread_mutex_lock(&lock);
		if (r < 0) { /* EINTR (a signal) is returned as is, like the real kevent */
			pthread_mutex_unlock(&lock);
			errno = saved_errno;
			return n > 0 ? n : -1;
		}
		if (kq >= nkqs || kqs[kq] != k) { /* closed and reused by another thread meanwhile */
			pthread_mutex_unlock(&lock);
			errno = EBADF;
			return -1;
		}
		for (int e = 0; e < r; e++) {
			int fd = evs[e].data.fd, before = n;
			struct fdent *f = fd < k->nfds ? &k->fds[fd] : NULL;
			if (f && f->mask && !same_file(fd, f)) {
				/* Closed since it was registered: real kqueue removed its knotes at
				 * close(2), so its pending events are never reported. */
				forget_fd(k, f);
				continue;
			}
			if (f)
				deliver(k, fd, f, evs[e].events, 0, eventlist, &n, nevents);
			/* Never keep an epoll registration nobody wants: it would fire forever. One
			 * that cannot be removed belongs to a closed fd's file: drop the instance.
			 * (mask 0 here: an event of this batch from an instance already dropped.) */
			if (n == before && !f)
				epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
			else if (n == before && f->mask && !want_mask(f)) {
				if (epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
					rebuild(k);
				f->mask = 0;
			}
		}
		/* Spurious wakeups (events nobody is interested in any more) do not end the wait:
		 * real kevent returns 0 only when the timeout expires. */
		if (n > 0 || r == 0 || ms == 0)
			break;
	}
	pthread_mutex_unlock(&lock);
	return n;
}
