/*
 * w1-dispatch: workload W1 in C. N AF_UNIX socketpairs; each round writes 1 byte into K of them
 * (the xorshift32 schedule below), waits once with the chosen backend, and reads the byte from every
 * fd reported ready; exactly K must be reported. Prints one JSON line with ns per round.
 * README.md has the exact schedule, which the Java side replicates.
 */
#include "common.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

/* Linux has no <sys/event.h>: the macOS/libkqueue ABI, as pollkit's bindings transcribe it. */
#include <kqueue/darwin.h>
#include <pthread.h>
#include <unistd.h>

static const char usage[] =
	"usage: w1-dispatch [--backend=select|poll|epoll|kqueue] [--n=N] [--k=K] [--rounds=R]\n"
	"                   [--samples=S] [--warmup=W] [--idle-threads=T]\n"
	"Workload W1: N socketpairs, each round writes 1 byte into K of them, waits once, reads\n"
	"what is ready. Runs W warm-up rounds, then S samples of R rounds; prints one JSON line\n"
	"with the median/min/max over the samples of nanoseconds per round.\n"
	"  --backend  wait with select, poll, epoll or kqueue (default epoll); kqueue is loaded\n"
	"             with dlopen from $POLLKIT_KQUEUE_LIB (exit 3 when unset or unusable)\n"
	"  --n        socketpairs, 1..100000 (default 1000)\n"
	"  --k        pairs written per round, 1..min(N, 1000) (default 1)\n"
	"  --rounds   rounds per sample (default 10000)\n"
	"  --samples  samples (default 10)\n"
	"  --warmup   warm-up rounds, not timed (default 10000)\n"
	"  --idle-threads  start T threads that only sleep (default 0): a multi-threaded process, like\n"
	"             a JVM, pays Linux's fdget() refcount on every fd select and poll look at\n";

enum backend { SELECT, POLL, EPOLL, KQUEUE };
static const char *const backend_names[] = { "select", "poll", "epoll", "kqueue", NULL };

/* kqueue(2) and kevent(2), resolved from $POLLKIT_KQUEUE_LIB. */
static int (*kq_kqueue)(void);
static int (*kq_kevent)(int kq, const struct kevent *changes, int nchanges, struct kevent *events,
			int nevents, const struct timespec *timeout);

struct bench {
	enum backend backend;
	int n, k;
	int *rfd, *wfd;          /* read and write end of pair i */
	int max_rfd;             /* highest read end, for select */
	uint32_t rng;            /* xorshift32 state of the schedule, never reset */
	uint64_t round;          /* rounds run so far, warm-up included */
	uint64_t *picked_in;     /* picked_in[i]: the round that last picked pair i */
	struct pollfd *pfds;     /* poll: rebuilt every round */
	int epfd;                /* epoll */
	struct epoll_event *epev;
	int kq;                  /* kqueue */
	struct kevent *kev;
};

static uint32_t xorshift32(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

static void load_kqueue(void)
{
	const char *lib = getenv("POLLKIT_KQUEUE_LIB");
	if (lib == NULL || *lib == '\0')
		fail(EXIT_UNAVAILABLE, "kqueue: Linux has no kqueue; set POLLKIT_KQUEUE_LIB to a library "
		     "providing kqueue() and kevent() with the macOS ABI (e.g. libkqueue.so.0)");
	void *handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL)
		fail(EXIT_UNAVAILABLE, "kqueue: cannot load POLLKIT_KQUEUE_LIB: %s", dlerror());
	/* POSIX allows converting dlsym's void * to a function pointer; ISO C does not, hence memcpy. */
	void *sym_kqueue = dlsym(handle, "kqueue"), *sym_kevent = dlsym(handle, "kevent");
	if (sym_kqueue == NULL || sym_kevent == NULL)
		fail(EXIT_UNAVAILABLE, "kqueue: %s lacks kqueue() or kevent()", lib);
	memcpy(&kq_kqueue, &sym_kqueue, sizeof kq_kqueue);
	memcpy(&kq_kevent, &sym_kevent, sizeof kq_kevent);
}

/*
 * The read ends take the N lowest free fds and the write ends go above them, so the fds select
 * watches stay as low as possible (N=1000 fits FD_SETSIZE). socketpair() returns the read end on
 * the lowest free fd and the write end on the next; the write end is moved up with F_DUPFD.
 */
static void open_pairs(struct bench *b, long nofile)
{
	/* First fd above the N lowest free fds (skipping any fd the process inherited). */
	int top = 0;
	for (int free_fds = 0; free_fds < b->n; top++) {
		if (top >= nofile)
			die("fewer than %d free fds below RLIMIT_NOFILE (%ld)", b->n, nofile);
		if (fcntl(top, F_GETFD) < 0)
			free_fds++;
	}
	for (int i = 0; i < b->n; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
			die_errno("socketpair %d of %d", i + 1, b->n);
		b->rfd[i] = sv[0];
		b->wfd[i] = fcntl(sv[1], F_DUPFD_CLOEXEC, top);
		if (b->wfd[i] < 0)
			die_errno("fcntl(F_DUPFD) for pair %d of %d", i + 1, b->n);
		close(sv[1]);
		if (sv[0] > b->max_rfd)
			b->max_rfd = sv[0];
	}
}

static void setup_backend(struct bench *b)
{
	switch (b->backend) {
	case SELECT:
		if (b->max_rfd >= FD_SETSIZE)
			fail(EXIT_USAGE, "select: the read ends go up to fd %d but select only takes fds below "
			     "FD_SETSIZE (%d); use a smaller --n", b->max_rfd, FD_SETSIZE);
		break;
	case POLL:
		b->pfds = calloc(b->n, sizeof *b->pfds);
		break;
	case EPOLL:
		b->epev = calloc(b->n, sizeof *b->epev);
		if ((b->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
			die_errno("epoll_create1");
		for (int i = 0; i < b->n; i++) {
			struct epoll_event ev = { .events = EPOLLIN, .data.fd = b->rfd[i] };
			if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, b->rfd[i], &ev) != 0)
				die_errno("epoll_ctl(ADD, %d)", b->rfd[i]);
		}
		break;
	case KQUEUE:
		b->kev = calloc(b->n, sizeof *b->kev);
		if ((b->kq = kq_kqueue()) < 0)
			die_errno("kqueue");
		for (int i = 0; i < b->n; i++) {
			struct kevent change = { .ident = (uintptr_t)b->rfd[i], .filter = EVFILT_READ,
						 .flags = EV_ADD };
			if (kq_kevent(b->kq, &change, 1, NULL, 0, NULL) != 0)
				die_errno("kevent(EV_ADD, %d)", b->rfd[i]);
		}
		break;
	}
	if ((b->backend == POLL && !b->pfds) || (b->backend == EPOLL && !b->epev) ||
	    (b->backend == KQUEUE && !b->kev))
		die("out of memory");
}

static void read_byte(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1)
		die_errno("read(%d)", fd);
}

/* Waits once (blocking: the K bytes are already written) and reads every reported fd. */
static int wait_and_read(struct bench *b)
{
	int ready;
	switch (b->backend) {
	case SELECT: {
		fd_set set;
		FD_ZERO(&set);
		for (int i = 0; i < b->n; i++)
			FD_SET(b->rfd[i], &set);
		while ((ready = select(b->max_rfd + 1, &set, NULL, NULL, NULL)) < 0 && errno == EINTR)
			;
		if (ready < 0)
			die_errno("select");
		for (int i = 0; i < b->n; i++)
			if (FD_ISSET(b->rfd[i], &set))
				read_byte(b->rfd[i]);
		return ready;
	}
	case POLL:
		for (int i = 0; i < b->n; i++)
			b->pfds[i] = (struct pollfd){ .fd = b->rfd[i], .events = POLLIN };
		while ((ready = poll(b->pfds, b->n, -1)) < 0 && errno == EINTR)
			;
		if (ready < 0)
			die_errno("poll");
		for (int i = 0; i < b->n; i++)
			if (b->pfds[i].revents != 0)
				read_byte(b->pfds[i].fd);
		return ready;
	case EPOLL:
		while ((ready = epoll_wait(b->epfd, b->epev, b->n, -1)) < 0 && errno == EINTR)
			;
		if (ready < 0)
			die_errno("epoll_wait");
		for (int i = 0; i < ready; i++)
			read_byte(b->epev[i].data.fd);
		return ready;
	case KQUEUE:
		while ((ready = kq_kevent(b->kq, NULL, 0, b->kev, b->n, NULL)) < 0 && errno == EINTR)
			;
		if (ready < 0)
			die_errno("kevent");
		for (int i = 0; i < ready; i++) {
			if (b->kev[i].flags & EV_ERROR)
				die("kevent: error %ld on fd %lu", (long)b->kev[i].data,
				    (unsigned long)b->kev[i].ident);
			read_byte((int)b->kev[i].ident);
		}
		return ready;
	}
	return -1;
}

static void run_round(struct bench *b)
{
	b->round++;
	/* K distinct pairs: draw next() % N, skipping pairs already drawn this round. */
	for (int written = 0; written < b->k;) {
		uint32_t i = xorshift32(&b->rng) % (uint32_t)b->n;
		if (b->picked_in[i] == b->round)
			continue;
		b->picked_in[i] = b->round;
		if (write(b->wfd[i], "x", 1) != 1)
			die_errno("write(%d)", b->wfd[i]);
		written++;
	}
	int ready = wait_and_read(b);
	if (ready != b->k)
		die("round %llu: %s reported %d ready fds, expected %d", (unsigned long long)b->round,
		    backend_names[b->backend], ready, b->k);
}

/* An idle thread: it only makes the process multi-threaded (see --idle-threads). */
static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	struct bench b = { .backend = EPOLL, .n = 1000, .k = 1, .rng = 2463534242u, .max_rfd = -1 };
	long rounds = 10000, samples = 10, warmup = 10000, idle_threads = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if ((v = flag_value(a, "--backend"))) {
			b.backend = flag_choice("--backend", v, backend_names);
		} else if ((v = flag_value(a, "--n"))) {
			b.n = (int)flag_long("--n", v, 1, 100000);
		} else if ((v = flag_value(a, "--k"))) {
			b.k = (int)flag_long("--k", v, 1, 1000);
		} else if ((v = flag_value(a, "--rounds"))) {
			rounds = flag_long("--rounds", v, 1, 1000000000);
		} else if ((v = flag_value(a, "--samples"))) {
			samples = flag_long("--samples", v, 1, 100000);
		} else if ((v = flag_value(a, "--warmup"))) {
			warmup = flag_long("--warmup", v, 0, 1000000000);
		} else if ((v = flag_value(a, "--idle-threads"))) {
			idle_threads = flag_long("--idle-threads", v, 0, 64);
		} else {
			flag_unknown(a);
		}
	}
	if (b.k > b.n)
		fail(EXIT_USAGE, "--k=%d: cannot exceed --n=%d (the K pairs of a round are distinct)", b.k, b.n);
	if (b.backend == KQUEUE)
		load_kqueue();

	long nofile = raise_nofile_limit();
	b.rfd = calloc(b.n, sizeof *b.rfd);
	b.wfd = calloc(b.n, sizeof *b.wfd);
	b.picked_in = calloc(b.n, sizeof *b.picked_in);
	double *ns_per_round = calloc(samples, sizeof *ns_per_round);
	if (!b.rfd || !b.wfd || !b.picked_in || !ns_per_round)
		die("out of memory");
	open_pairs(&b, nofile);
	setup_backend(&b);
	for (long t = 0; t < idle_threads; t++) {
		pthread_t th;
		if (pthread_create(&th, NULL, idle, NULL) != 0)
			die("pthread_create failed");
	}

	for (long r = 0; r < warmup; r++)
		run_round(&b);
	for (long s = 0; s < samples; s++) {
		uint64_t start = now_ns();
		for (long r = 0; r < rounds; r++)
			run_round(&b);
		ns_per_round[s] = (double)(now_ns() - start) / (double)rounds;
	}

	struct summary sum = summarize(ns_per_round, samples);
	printf("{\"workload\":\"W1\",\"impl\":\"c\",\"backend\":\"%s\",\"n\":%d,\"k\":%d,\"rounds\":%ld,"
	       "\"samples\":%ld,\"ns_per_round\":{\"median\":%.1f,\"min\":%.1f,\"max\":%.1f}}\n",
	       backend_names[b.backend], b.n, b.k, rounds, samples, sum.median, sum.min, sum.max);
	free(ns_per_round);  /* the fds close at exit */
	free(b.rfd);
	free(b.wfd);
	free(b.picked_in);
	free(b.pfds);
	free(b.epev);
	free(b.kev);
	return 0;
}
