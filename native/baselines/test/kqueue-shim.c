/*
 * kqueue-shim.c: a test stand-in, NOT a kqueue. Linux has no kqueue and Debian 12 packages no
 * libkqueue, so `make check` builds this to exercise w1-dispatch's kqueue path (dlopen through
 * POLLKIT_KQUEUE_LIB, struct kevent from bindings/kqueue/darwin.h): kqueue() is an epoll instance,
 * kevent() knows only EV_ADD/EV_DELETE of EVFILT_READ (level-triggered) and waiting.
 * Timings taken through it measure epoll plus this shim, never kqueue.
 */
#include <errno.h>
#include <sys/epoll.h>

#include <kqueue/darwin.h>

int kqueue(void)
{
	return epoll_create1(EPOLL_CLOEXEC);
}

int kevent(int kq, const struct kevent *changes, int nchanges, struct kevent *events, int nevents,
	   const struct timespec *timeout)
{
	for (int i = 0; i < nchanges; i++) {
		const struct kevent *ch = &changes[i];
		if (ch->filter != EVFILT_READ || (ch->flags & (EV_ADD | EV_DELETE)) == 0) {
			errno = EINVAL;
			return -1;
		}
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ch->ident };
		int op = ch->flags & EV_DELETE ? EPOLL_CTL_DEL : EPOLL_CTL_ADD;
		if (epoll_ctl(kq, op, (int)ch->ident, &ev) != 0 && !(op == EPOLL_CTL_ADD && errno == EEXIST))
			return -1;
	}
	if (nevents <= 0)
		return 0;
	int ms = timeout == NULL ? -1 : (int)(timeout->tv_sec * 1000 + (timeout->tv_nsec + 999999) / 1000000);
	struct epoll_event ready[256];
	int n = epoll_wait(kq, ready, nevents < 256 ? nevents : 256, ms);
	for (int i = 0; i < n; i++)
		events[i] = (struct kevent){ .ident = (uintptr_t)ready[i].data.u64, .filter = EVFILT_READ };
	return n;
}
