/*
 * poller.c: see poller.h. epoll keeps the interest set in the kernel; poll keeps it in a pollfd
 * array updated in place on each change (not rebuilt per wait) and handed to poll() as is.
 */
#include "poller.h"

#include "common.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

const char *const poller_names[] = { "epoll", "poll", NULL };

struct poller {
	enum poller_kind kind;
	size_t registered;         /* fds registered */
	struct pk_event *events;   /* what the last wait reported; grown only by a wait */
	size_t events_len;         /* length of events (and raw) */
	/* epoll */
	int epfd;
	struct epoll_event *raw;   /* epoll_wait's output */
	/* poll */
	struct pollfd *pfds;       /* the interest set, one entry per registered fd */
	size_t *tokens;            /* tokens[i] goes with pfds[i] */
	size_t pfds_len;           /* length of pfds and tokens */
	int *slot;                 /* slot[fd]: index of fd in pfds, or -1 */
	size_t slot_len;           /* length of slot */
};

static void *grow(void *array, size_t count, size_t size)
{
	void *bigger = realloc(array, count * size);
	if (bigger == NULL)
		die("out of memory");
	return bigger;
}

struct poller *poller_new(enum poller_kind kind)
{
	struct poller *p = calloc(1, sizeof *p);
	if (p == NULL)
		die("out of memory");
	p->kind = kind;
	p->epfd = -1;
	if (kind == POLLER_EPOLL && (p->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die_errno("epoll_create1");
	return p;
}

static struct epoll_event to_epoll(size_t token, unsigned interest)
{
	struct epoll_event ev = { .events = (interest & PK_READ ? EPOLLIN : 0u) |
					    (interest & PK_WRITE ? EPOLLOUT : 0u) };
	ev.data.u64 = token;
	return ev;
}

static short to_poll(unsigned interest)
{
	return (short)((interest & PK_READ ? POLLIN : 0) | (interest & PK_WRITE ? POLLOUT : 0));
}

int poller_add(struct poller *p, int fd, size_t token, unsigned interest)
{
	if (p->kind == POLLER_EPOLL) {
		struct epoll_event ev = to_epoll(token, interest);
		if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
			return -1;
	} else {
		if ((size_t)fd >= p->slot_len) {
			size_t len = p->slot_len ? p->slot_len : 64;
			while (len <= (size_t)fd)
				len *= 2;
			p->slot = grow(p->slot, len, sizeof *p->slot);
			for (size_t i = p->slot_len; i < len; i++)
				p->slot[i] = -1;
			p->slot_len = len;
		}
		if (p->registered == p->pfds_len) {
			p->pfds_len = p->pfds_len ? 2 * p->pfds_len : 64;
			p->pfds = grow(p->pfds, p->pfds_len, sizeof *p->pfds);
			p->tokens = grow(p->tokens, p->pfds_len, sizeof *p->tokens);
		}
		p->slot[fd] = (int)p->registered;
		p->pfds[p->registered] = (struct pollfd){ .fd = fd, .events = to_poll(interest) };
		p->tokens[p->registered] = token;
	}
	p->registered++;
	return 0;
}

void poller_modify(struct poller *p, int fd, size_t token, unsigned interest)
{
	if (p->kind == POLLER_EPOLL) {
		struct epoll_event ev = to_epoll(token, interest);
		if (epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
			die_errno("epoll_ctl(MOD, %d)", fd);
	} else {
		int i = p->slot[fd];
		p->pfds[i].events = to_poll(interest);
		p->tokens[i] = token;
	}
}

void poller_remove(struct poller *p, int fd)
{
	if (p->kind == POLLER_EPOLL) {
		if (epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL) != 0)
			die_errno("epoll_ctl(DEL, %d)", fd);
	} else {
		/* Move the last entry into the hole. */
		int i = p->slot[fd];
		size_t last = p->registered - 1;
		p->pfds[i] = p->pfds[last];
		p->tokens[i] = p->tokens[last];
		p->slot[p->pfds[i].fd] = i;
		p->slot[fd] = -1;
	}
	p->registered--;
}

static unsigned readiness(int is_in, int is_out, int is_err)
{
	return (is_in || is_err ? PK_READ : 0u) | (is_out || is_err ? PK_WRITE : 0u);
}

int poller_wait(struct poller *p, int timeout_ms)
{
	/* Room for every registered fd, so one wait can report them all. Grown here and only here:
	 * the events handed out stay put while the caller's handlers add fds. */
	if (p->events_len < p->registered || p->events_len == 0) {
		p->events_len = p->registered > 64 ? 2 * p->registered : 64;
		p->events = grow(p->events, p->events_len, sizeof *p->events);
		if (p->kind == POLLER_EPOLL)
			p->raw = grow(p->raw, p->events_len, sizeof *p->raw);
	}
	int n = 0;
	if (p->kind == POLLER_EPOLL) {
		int ready = epoll_wait(p->epfd, p->raw, (int)p->events_len, timeout_ms);
		if (ready < 0)
			return -1;
		for (int i = 0; i < ready; i++) {
			uint32_t e = p->raw[i].events;
			p->events[n++] = (struct pk_event){
				.token = p->raw[i].data.u64,
				.events = readiness(e & EPOLLIN, e & EPOLLOUT, e & (EPOLLERR | EPOLLHUP)),
			};
		}
	} else {
		int ready = poll(p->pfds, p->registered, timeout_ms);
		if (ready < 0)
			return -1;
		for (size_t i = 0; i < p->registered && n < ready; i++) {
			short e = p->pfds[i].revents;
			if (e == 0)
				continue;
			p->events[n++] = (struct pk_event){
				.token = p->tokens[i],
				.events = readiness(e & POLLIN, e & POLLOUT, e & (POLLERR | POLLHUP | POLLNVAL)),
			};
		}
	}
	return n;
}

const struct pk_event *poller_events(const struct poller *p)
{
	return p->events;
}

void poller_free(struct poller *p)
{
	if (p->epfd >= 0)
		close(p->epfd);
	free(p->events);
	free(p->raw);
	free(p->pfds);
	free(p->tokens);
	free(p->slot);
	free(p);
}
