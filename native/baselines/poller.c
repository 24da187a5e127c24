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
	struct pk_event *events;   /* what the last wait reported */
	size_t registered;         /* fds registered */
	size_t capacity;           /* length of events, raw and pfds/tokens: >= registered */
	/* epoll */
	int epfd;
	struct epoll_event *raw;   /* epoll_wait's output */
	/* poll */
	struct pollfd *pfds;       /* the interest set, one entry per registered fd */
	size_t *tokens;            /* tokens[i] goes with pfds[i] */
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

/* Every output array is as long as the interest set can be. */
static void set_capacity(struct poller *p, size_t capacity)
{
	p->capacity = capacity;
	p->events = grow(p->events, p->capacity, sizeof *p->events);
	if (p->kind == POLLER_EPOLL) {
		p->raw = grow(p->raw, p->capacity, sizeof *p->raw);
	} else {
		p->pfds = grow(p->pfds, p->capacity, sizeof *p->pfds);
		p->tokens = grow(p->tokens, p->capacity, sizeof *p->tokens);
	}
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
	set_capacity(p, 64);
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
	if (p->registered == p->capacity)
		set_capacity(p, 2 * p->capacity);
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
	int n = 0;
	if (p->kind == POLLER_EPOLL) {
		/* capacity >= registered, so one wait can report every fd. */
		int ready = epoll_wait(p->epfd, p->raw, (int)p->capacity, timeout_ms);
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
