/*
 * Tests for libkqueue-double.so, the kqueue/kevent TEST DOUBLE for Linux (see README.md).
 * Loads the library named by $POLLKIT_KQUEUE_LIB (or argv[1]) with dlopen, exactly as
 * pollkit's kqueue backend looks the symbols up, and checks kqueue semantics over real
 * socketpairs, pipes and TCP loopback sockets. Each case runs in a child process ended after
 * CASE_SECONDS, so a hang fails its case; prints one line per case, then "N passed, M failed",
 * and exits non-zero on any failure.
 */
#define _GNU_SOURCE
#ifdef KQUEUE_DOUBLE_FREEBSD
#include "freebsd.h"
_Static_assert(sizeof(struct kevent) == 64, "FreeBSD's struct kevent");
#else
#include "darwin.h"
#endif

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int (*kq_open)(void);
static int (*kev)(int, const struct kevent *, int, struct kevent *, int, const struct timespec *);

static const struct timespec ZERO = { 0, 0 };
static const struct timespec SEC = { 1, 0 };

#define CHECK(c) do { if (!(c)) { \
	printf("    check failed at line %d: %s (errno %d %s)\n", __LINE__, #c, errno, strerror(errno)); \
	return 0; } } while (0)

static struct kevent ev_set(int fd, int filter, int flags, void *udata)
{
	struct kevent e = { .ident = (uintptr_t)fd, .filter = (int16_t)filter, .flags = (uint16_t)flags,
			    .udata = udata };
	return e;
}

/* Apply one change with no eventlist: 0, or -1 with errno (errors cannot be reported inline). */
static int change(int kq, int fd, int filter, int flags, void *udata)
{
	struct kevent e = ev_set(fd, filter, flags, udata);
	return kev(kq, &e, 1, NULL, 0, NULL);
}

static int wait_for(int kq, struct kevent *out, int max, const struct timespec *t)
{
	memset(out, 0, sizeof *out * (size_t)max);
	return kev(kq, NULL, 0, out, max, t);
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
}

static int t_read_after_write(void)
{
	int sv[2], kq = kq_open(), x;
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, &x) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(write(sv[1], "hello", 5) == 5);
	CHECK(wait_for(kq, e, 4, &SEC) == 1);
	CHECK(e[0].ident == (uintptr_t)sv[0] && e[0].filter == EVFILT_READ && e[0].data == 5);
	CHECK(e[0].udata == &x && !(e[0].flags & (EV_EOF | EV_ERROR)));
	CHECK(wait_for(kq, e, 4, &ZERO) == 1); /* level-triggered: still readable */
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_write_at_once(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1);
	CHECK(e[0].filter == EVFILT_WRITE && e[0].data > 0 && !(e[0].flags & EV_EOF));
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_timeout_zero(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, NULL) == 0);
	long long t0 = now_ms();
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(now_ms() - t0 < 500);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_timeout_50ms(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	struct timespec t = { 0, 50 * 1000000 };
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, NULL) == 0);
	long long t0 = now_ms();
	CHECK(wait_for(kq, e, 4, &t) == 0);
	long long dt = now_ms() - t0;
	CHECK(dt >= 40 && dt < 3000);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_delete(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, NULL) == 0);
	CHECK(write(sv[1], "x", 1) == 1);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_DELETE, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_DELETE, NULL) == -1 && errno == ENOENT);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_disable_enable(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, NULL) == 0);
	CHECK(write(sv[1], "x", 1) == 1);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_DISABLE, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ENABLE, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && e[0].filter == EVFILT_READ);
	/* EV_ADD|EV_DISABLE adds a disabled knote; a later plain EV_ADD leaves it disabled
	 * (FreeBSD and XNU enable only on EV_ENABLE); EV_ADD|EV_ENABLE enables it. */
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD | EV_DISABLE, NULL) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_DISABLE, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD | EV_ENABLE, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && e[0].filter == EVFILT_WRITE);
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_DISABLE | EV_ENABLE, NULL) == 0); /* ENABLE wins */
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && e[0].filter == EVFILT_WRITE);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_oneshot(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD | EV_ONESHOT, NULL) == 0);
	CHECK(write(sv[1], "x", 1) == 1);
	CHECK(wait_for(kq, e, 4, &SEC) == 1 && e[0].filter == EVFILT_READ);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0); /* data still unread, but the knote is gone */
	CHECK(write(sv[1], "y", 1) == 1);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_DELETE, NULL) == -1 && errno == ENOENT);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_clear(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD | EV_CLEAR, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(write(sv[1], "abc", 3) == 3);
	CHECK(wait_for(kq, e, 4, &SEC) == 1 && e[0].data == 3);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0); /* not drained, but nothing new */
	CHECK(write(sv[1], "defg", 4) == 4);
	CHECK(wait_for(kq, e, 4, &SEC) == 1 && e[0].data == 7);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_dispatch(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD | EV_DISPATCH, NULL) == 0);
	CHECK(write(sv[1], "x", 1) == 1);
	CHECK(wait_for(kq, e, 4, &SEC) == 1);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0); /* disabled after delivery */
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ENABLE, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_eof_peer_close(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, NULL) == 0);
	CHECK(write(sv[1], "zz", 2) == 2);
	close(sv[1]);
	CHECK(wait_for(kq, e, 4, &SEC) == 1);
	CHECK(e[0].filter == EVFILT_READ && (e[0].flags & EV_EOF) && e[0].data == 2);
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD, NULL) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_DELETE, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &SEC) == 1);
	CHECK(e[0].filter == EVFILT_WRITE && (e[0].flags & EV_EOF));
	close(sv[0]), close(kq);
	return 1;
}

static int tcp_listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof *a;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)a, sizeof *a) < 0 || listen(s, 8) < 0 ||
	    getsockname(s, (struct sockaddr *)a, &len) < 0)
		return -1;
	return s;
}

static int t_tcp_backlog_and_eof(void)
{
	struct sockaddr_in a;
	struct kevent e[4];
	int kq = kq_open(), l = tcp_listener(&a), c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(kq >= 0 && l >= 0 && c >= 0);
	CHECK(change(kq, l, EVFILT_READ, EV_ADD, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
	CHECK(wait_for(kq, e, 4, &SEC) == 1);
	CHECK(e[0].ident == (uintptr_t)l && e[0].data == 1); /* one pending connection */
	int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	CHECK(s >= 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(change(kq, s, EVFILT_READ, EV_ADD, NULL) == 0);
	CHECK(write(c, "abc", 3) == 3 && shutdown(c, SHUT_WR) == 0);
	long long t0 = now_ms(); /* wait until both the data and the FIN have arrived */
	do
		CHECK(wait_for(kq, e, 4, &SEC) == 1);
	while (!(e[0].flags & EV_EOF) && now_ms() - t0 < 2000);
	CHECK(e[0].ident == (uintptr_t)s && (e[0].flags & EV_EOF) && e[0].data == 3 && e[0].fflags == 0);
	close(c), close(s), close(l), close(kq);
	return 1;
}

static int t_connect_refused(void)
{
	struct sockaddr_in a;
	struct kevent e[4];
	int kq = kq_open(), l = tcp_listener(&a);
	CHECK(kq >= 0 && l >= 0);
	close(l); /* nothing listens on that port any more */
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == -1 && errno == EINPROGRESS);
	CHECK(change(kq, c, EVFILT_WRITE, EV_ADD, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &SEC) == 1);
	CHECK(e[0].filter == EVFILT_WRITE && (e[0].flags & EV_EOF) && e[0].fflags == ECONNREFUSED);
	/* kqueue leaves so_error in place, so a level knote reports it again. */
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && e[0].fflags == ECONNREFUSED);
	close(c), close(kq);
	return 1;
}

static int t_receipt(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4], ch[2];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(write(sv[0], "x", 1) == 1 && write(sv[1], "x", 1) == 1); /* both ends readable */
	ch[0] = ev_set(sv[0], EVFILT_READ, EV_ADD | EV_RECEIPT, (void *)1);
	ch[1] = ev_set(sv[1], EVFILT_READ, EV_DELETE | EV_RECEIPT, (void *)2);
	CHECK(kev(kq, ch, 2, e, 4, &ZERO) == 2); /* receipts only, no readiness event */
	CHECK(e[0].ident == (uintptr_t)sv[0] && (e[0].flags & EV_ERROR) && e[0].data == 0 && e[0].udata == (void *)1);
	CHECK(e[1].ident == (uintptr_t)sv[1] && (e[1].flags & EV_ERROR) && e[1].data == ENOENT);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && e[0].filter == EVFILT_READ && !(e[0].flags & EV_ERROR));
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_change_errors(void)
{
	int sv[2], p[2], kq = kq_open();
	struct kevent e[8], ch[4];
	CHECK(kq >= 0 && pair(sv) == 0 && pipe(p) == 0);
	close(p[0]), close(p[1]); /* p[0] is now a bad fd */
	CHECK(write(sv[1], "x", 1) == 1);
	ch[0] = ev_set(p[0], EVFILT_READ, EV_ADD, (void *)7);
	ch[1] = ev_set(sv[0], EVFILT_WRITE, EV_DELETE, NULL);
	ch[2] = ev_set(sv[0], EVFILT_TIMER, EV_ADD, NULL);
	ch[3] = ev_set(sv[0], EVFILT_READ, EV_ADD, NULL); /* valid: applied despite the errors */
	CHECK(kev(kq, ch, 4, e, 8, &ZERO) == 3);
	CHECK((e[0].flags & EV_ERROR) && e[0].data == EBADF && e[0].udata == (void *)7);
	CHECK((e[1].flags & EV_ERROR) && e[1].data == ENOENT);
	CHECK((e[2].flags & EV_ERROR) && e[2].data == EINVAL);
	CHECK(wait_for(kq, e, 8, &ZERO) == 1 && e[0].filter == EVFILT_READ);
	/* Without room in eventlist the call itself fails. */
	CHECK(change(kq, p[0], EVFILT_READ, EV_ADD, NULL) == -1 && errno == EBADF);
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_DELETE, NULL) == -1 && errno == ENOENT);
	CHECK(kev(-1, NULL, 0, e, 8, &ZERO) == -1 && errno == EBADF);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_udata(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	void *u1 = (void *)(uintptr_t)0xdeadbeefcafef00dULL, *u2 = (void *)(uintptr_t)0x0123456789abcdefULL;
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD, u1) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && e[0].udata == u1);
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD, u2) == 0); /* EV_ADD again modifies */
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && e[0].udata == u2);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_read_write_independent(void)
{
	int sv[2], kq = kq_open(), r, w;
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(write(sv[1], "x", 1) == 1);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, &r) == 0);
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD, &w) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 2);
	CHECK(e[0].filter != e[1].filter);
	for (int i = 0; i < 2; i++)
		CHECK(e[i].udata == (e[i].filter == EVFILT_READ ? (void *)&r : (void *)&w));
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_DELETE, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && e[0].filter == EVFILT_READ && e[0].udata == &r);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_DISABLE, NULL) == 0);
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD, &w) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && e[0].filter == EVFILT_WRITE && e[0].udata == &w);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_clear_and_level_mixed(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD | EV_CLEAR, NULL) == 0);
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD, NULL) == 0); /* level-triggered */
	CHECK(write(sv[1], "x", 1) == 1);
	CHECK(wait_for(kq, e, 4, &SEC) == 2);
	for (int i = 0; i < 3; i++) /* WRITE stays ready and keeps firing; READ is cleared */
		CHECK(wait_for(kq, e, 4, &ZERO) == 1 && e[0].filter == EVFILT_WRITE);
	CHECK(write(sv[1], "y", 1) == 1);
	CHECK(wait_for(kq, e, 4, &SEC) == 2);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_short_eventlist(void)
{
	/* READ and WRITE both ready, room for one event: neither may starve nor get lost,
	 * level-triggered or EV_CLEAR. */
	for (int flags = 0; flags <= EV_CLEAR; flags += EV_CLEAR) {
		int sv[2], kq = kq_open(), seen = 0;
		struct kevent e[1];
		CHECK(kq >= 0 && pair(sv) == 0);
		CHECK(write(sv[1], "x", 1) == 1);
		CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD | flags, NULL) == 0);
		CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD | flags, NULL) == 0);
		for (int i = 0; i < 2; i++) {
			CHECK(wait_for(kq, e, 1, &ZERO) == 1);
			seen |= e[0].filter == EVFILT_READ ? 1 : 2;
		}
		CHECK(seen == 3);
		if (flags)
			CHECK(wait_for(kq, e, 1, &ZERO) == 0);
		close(sv[0]), close(sv[1]), close(kq);
	}
	return 1;
}

static int t_fd_reuse(void)
{
	int a[2], b[2], kq = kq_open(), u;
	struct kevent e[4];
	CHECK(kq >= 0 && pair(a) == 0);
	CHECK(change(kq, a[0], EVFILT_READ, EV_ADD, NULL) == 0);
	CHECK(change(kq, a[0], EVFILT_WRITE, EV_ADD, NULL) == 0);
	CHECK(write(a[1], "x", 1) == 1);
	CHECK(wait_for(kq, e, 4, &ZERO) == 2);
	close(a[0]), close(a[1]); /* epoll forgets a[0] silently; so must the double */
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(pair(b) == 0);
	CHECK(b[0] == a[0]); /* same fd number, different socket */
	CHECK(change(kq, b[0], EVFILT_READ, EV_ADD, &u) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0); /* no stale WRITE knote, no stale data */
	CHECK(change(kq, b[0], EVFILT_WRITE, EV_DELETE, NULL) == -1 && errno == ENOENT);
	CHECK(write(b[1], "y", 1) == 1);
	CHECK(wait_for(kq, e, 4, &SEC) == 1 && e[0].filter == EVFILT_READ && e[0].udata == &u);
	close(b[0]), close(b[1]);
	CHECK(change(kq, b[0], EVFILT_READ, EV_DELETE, NULL) == -1 && errno == EBADF);
	close(kq);
	return 1;
}

static int t_pipe(void)
{
	int p[2], kq = kq_open();
	struct kevent e[4];
	CHECK(kq >= 0 && pipe2(p, O_NONBLOCK) == 0);
	CHECK(change(kq, p[0], EVFILT_READ, EV_ADD, NULL) == 0);
	CHECK(change(kq, p[1], EVFILT_WRITE, EV_ADD, NULL) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && e[0].filter == EVFILT_WRITE && e[0].data > 0);
	CHECK(write(p[1], "abcd", 4) == 4);
	close(p[1]);
	CHECK(wait_for(kq, e, 4, &SEC) == 1);
	CHECK(e[0].filter == EVFILT_READ && e[0].data == 4 && (e[0].flags & EV_EOF));
	close(p[0]), close(kq);
	return 1;
}

static int t_several_kqueues(void)
{
	int sv[2], k1 = kq_open(), k2 = kq_open();
	struct kevent e[4];
	CHECK(k1 >= 0 && k2 >= 0 && k1 != k2 && pair(sv) == 0);
	CHECK(change(k1, sv[0], EVFILT_READ, EV_ADD, (void *)1) == 0);
	CHECK(change(k2, sv[0], EVFILT_READ, EV_ADD, (void *)2) == 0);
	CHECK(write(sv[1], "x", 1) == 1);
	CHECK(wait_for(k1, e, 4, &SEC) == 1 && e[0].udata == (void *)1);
	CHECK(wait_for(k2, e, 4, &SEC) == 1 && e[0].udata == (void *)2);
	close(k1);
	CHECK(wait_for(k2, e, 4, &ZERO) == 1);
	/* A new kqueue that gets a closed kqueue's fd number starts empty. */
	int k3 = kq_open();
	CHECK(k3 == k1);
	CHECK(wait_for(k3, e, 4, &ZERO) == 0);
	close(k3);
	CHECK(wait_for(k3, e, 4, &ZERO) == -1 && errno == EBADF);
	close(sv[0]), close(sv[1]), close(k2);
	return 1;
}

static void *write_later(void *arg)
{
	usleep(50 * 1000);
	if (write(*(int *)arg, "x", 1) != 1)
		abort();
	return NULL;
}

static int t_wait_forever(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	pthread_t t;
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, NULL) == 0);
	CHECK(pthread_create(&t, NULL, write_later, &sv[1]) == 0);
	CHECK(wait_for(kq, e, 4, NULL) == 1 && e[0].filter == EVFILT_READ); /* NULL: no timeout */
	pthread_join(t, NULL);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static void on_signal(int sig) { (void)sig; }

struct signal_target {
	pthread_t thread;
	volatile int done;
};

/* Signals the target until it says its wait returned: a signal that arrives before the wait begins is
 * handled and forgotten, so one signal after a sleep could leave the wait blocked for good. */
static void *signal_until_done(void *arg)
{
	struct signal_target *t = arg;
	while (!t->done) {
		pthread_kill(t->thread, SIGUSR1);
		usleep(20 * 1000);
	}
	return NULL;
}

static int t_eintr(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	struct signal_target target = { .thread = pthread_self(), .done = 0 };
	pthread_t t;
	CHECK(kq >= 0 && pair(sv) == 0 && sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, NULL) == 0);
	CHECK(pthread_create(&t, NULL, signal_until_done, &target) == 0);
	int r = wait_for(kq, e, 4, NULL);
	int saved = errno;
	target.done = 1;
	pthread_join(t, NULL);
	errno = saved;
	CHECK(r == -1 && errno == EINTR);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

/* How long one case may take before it counts as hung. */
#define CASE_SECONDS 20

/* Runs one case in a child process that SIGALRM ends after CASE_SECONDS, so a hang fails that case and the
 * run still reaches its summary line. NULL when it passed, else why not ("" when the case printed why). */
static const char *run_case(int (*fn)(void))
{
	static char why[64];
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return "fork failed";
	if (pid == 0) {
		alarm(CASE_SECONDS);
		int ok = fn();
		fflush(stdout);
		_exit(ok ? 0 : 1);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return "waitpid failed";
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 0 ? NULL : "";
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		snprintf(why, sizeof why, "hung: no result within %d s", CASE_SECONDS);
	else
		snprintf(why, sizeof why, "killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
	return why;
}

static int t_timeout_limit(void)
{
	int sv[2], kq = kq_open();
	struct kevent e[4];
	struct timespec most = { 100000000, 0 }, over = { 100000001, 0 };
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_WRITE, EV_ADD, NULL) == 0); /* ready: no wait */
	CHECK(wait_for(kq, e, 4, &most) == 1);
#ifdef KQUEUE_DOUBLE_FREEBSD
	CHECK(wait_for(kq, e, 4, &over) == 1); /* FreeBSD: a huge timeout is no limit */
#else
	CHECK(wait_for(kq, e, 4, &over) == -1 && errno == EINVAL); /* XNU: over 1e8 s */
#endif
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_readd_keeps_mode(void)
{
	int sv[2], kq = kq_open(), u1, u2;
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(write(sv[1], "x", 1) == 1);
	/* A second EV_ADD without EV_ONESHOT: still one-shot, with the new udata. */
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD | EV_ONESHOT, &u1) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, &u2) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && e[0].udata == &u2 && (e[0].flags & EV_ONESHOT));
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_DELETE, NULL) == -1 && errno == ENOENT); /* gone */
	/* A second EV_ADD without EV_CLEAR: still edge-triggered. */
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD | EV_CLEAR, &u1) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, &u1) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && (e[0].flags & EV_CLEAR));
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	/* A level knote does not become one-shot or edge by EV_ADD either. */
	CHECK(change(kq, sv[0], EVFILT_READ, EV_DELETE, NULL) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, &u1) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD | EV_ONESHOT | EV_CLEAR, &u1) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1 && !(e[0].flags & (EV_ONESHOT | EV_CLEAR)));
	CHECK(wait_for(kq, e, 4, &ZERO) == 1);
	CHECK(wait_for(kq, e, 4, &ZERO) == 1);
	close(sv[0]), close(sv[1]), close(kq);
	return 1;
}

static int t_close_drops_pending(void)
{
	int sv[2], kq = kq_open(), d;
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, NULL) == 0);
	CHECK(write(sv[1], "x", 1) == 1);
	CHECK((d = dup(sv[0])) >= 0); /* the file stays open: epoll alone would keep reporting */
	close(sv[0]);
	long long t0 = now_ms();
	struct timespec ms100 = { 0, 100000000 };
	CHECK(wait_for(kq, e, 4, &ms100) == 0);
	CHECK(now_ms() - t0 >= 90);
	CHECK(write(sv[1], "y", 1) == 1); /* new data on the dup'd file: still nothing */
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	/* The same fd number reused for another socket starts without knotes or events. */
	int b[2];
	CHECK(pair(b) == 0 && b[0] == sv[0]);
	CHECK(change(kq, b[0], EVFILT_READ, EV_ADD, &d) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(write(b[1], "z", 1) == 1);
	CHECK(wait_for(kq, e, 4, &SEC) == 1 && e[0].udata == &d && e[0].data == 1);
	close(d), close(sv[1]), close(b[0]), close(b[1]), close(kq);
	return 1;
}

/* The same, with the fd closed while the kqueue holds a registration epoll cannot drop. */
static int t_close_then_reuse_unregistered(void)
{
	int sv[2], kq = kq_open(), d, u;
	struct kevent e[4];
	CHECK(kq >= 0 && pair(sv) == 0);
	CHECK(change(kq, sv[0], EVFILT_READ, EV_ADD, NULL) == 0);
	CHECK((d = dup(sv[0])) >= 0);
	close(sv[0]);
	int b[2];
	CHECK(pair(b) == 0 && b[0] == sv[0]); /* reused before the double noticed the close */
	CHECK(change(kq, b[0], EVFILT_READ, EV_ADD, &u) == 0);
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(write(sv[1], "x", 1) == 1); /* the old file becomes readable: not reported */
	CHECK(wait_for(kq, e, 4, &ZERO) == 0);
	CHECK(write(b[1], "yz", 2) == 2); /* the new one: reported, with its own data */
	CHECK(wait_for(kq, e, 4, &SEC) == 1 && e[0].udata == &u && e[0].data == 2);
	close(d), close(sv[1]), close(b[0]), close(b[1]), close(kq);
	return 1;
}

int main(int argc, char **argv)
{
	const char *lib = argc > 1 ? argv[1] : getenv("POLLKIT_KQUEUE_LIB");
	void *h = lib ? dlopen(lib, RTLD_NOW | RTLD_LOCAL) : NULL;
	if (!h) {
		fprintf(stderr, "cannot load %s: %s\n", lib ? lib : "$POLLKIT_KQUEUE_LIB (unset)",
			lib ? dlerror() : "set it to libkqueue-double.so");
		return 2;
	}
	*(void **)&kq_open = dlsym(h, "kqueue");
	*(void **)&kev = dlsym(h, "kevent");
	if (!kq_open || !kev) {
		fprintf(stderr, "%s lacks kqueue/kevent\n", lib);
		return 2;
	}
	static const struct { const char *name; int (*fn)(void); } tests[] = {
		{ "read readiness after a write", t_read_after_write },
		{ "write readiness at once", t_write_at_once },
		{ "timeout {0,0} returns 0 at once", t_timeout_zero },
		{ "timeout 50ms returns 0 after about 50ms", t_timeout_50ms },
		{ "EV_DELETE stops events", t_delete },
		{ "EV_DISABLE / EV_ENABLE", t_disable_enable },
		{ "EV_ONESHOT fires once", t_oneshot },
		{ "EV_CLEAR fires once per new data", t_clear },
		{ "EV_DISPATCH disables after delivery", t_dispatch },
		{ "EV_EOF after peer close (socketpair)", t_eof_peer_close },
		{ "TCP listen backlog in data, EV_EOF after shutdown", t_tcp_backlog_and_eof },
		{ "refused connect: EV_EOF with fflags = ECONNREFUSED", t_connect_refused },
		{ "EV_RECEIPT", t_receipt },
		{ "EV_ERROR for EBADF/ENOENT/EINVAL, -1 without room", t_change_errors },
		{ "udata round-trips and EV_ADD modifies it", t_udata },
		{ "READ and WRITE on one fd are independent", t_read_write_independent },
		{ "EV_CLEAR and level-triggered filters on one fd", t_clear_and_level_mixed },
		{ "eventlist of one: no starvation, no loss", t_short_eventlist },
		{ "closed fd forgotten, fd number reused", t_fd_reuse },
		{ "pipes: write space, read data and EOF", t_pipe },
		{ "several kqueues, closed and reopened", t_several_kqueues },
		{ "NULL timeout waits until an event", t_wait_forever },
		{ "EINTR from a signal", t_eintr },
		{ "timeout over 1e8 s: EINVAL on macOS, no limit on FreeBSD", t_timeout_limit },
		{ "a second EV_ADD keeps EV_ONESHOT/EV_CLEAR, changes udata", t_readd_keeps_mode },
		{ "close(2) drops pending events, even with the file dup'd", t_close_drops_pending },
		{ "fd closed and reused: the old file's events are not reported", t_close_then_reuse_unregistered },
	};
	int passed = 0, failed = 0;
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		const char *why = run_case(tests[i].fn);
		printf("%s %s%s%s\n", why ? "FAIL" : "ok  ", tests[i].name, why && *why ? ": " : "", why ? why : "");
		fflush(stdout);
		why ? failed++ : passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
