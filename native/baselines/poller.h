/*
 * poller.h: the readiness loop the two servers share, over epoll or poll. Level-triggered:
 * an fd is reported while it is ready for what its interest asks. Each fd carries a token
 * given at registration and handed back with its events.
 */
#ifndef BASELINES_POLLER_H
#define BASELINES_POLLER_H

#include <stddef.h>

enum { PK_READ = 1, PK_WRITE = 2 };           /* interest and readiness bits */
enum poller_kind { POLLER_EPOLL, POLLER_POLL };
extern const char *const poller_names[];      /* "epoll", "poll", NULL: indexed by poller_kind */

/* An error or hang-up is reported as both PK_READ and PK_WRITE: the next read or write says which. */
struct pk_event {
	size_t token;
	unsigned events;
};

struct poller;

struct poller *poller_new(enum poller_kind kind);
/* Returns 0, or -1 with errno (e.g. ENOMEM). */
int poller_add(struct poller *p, int fd, size_t token, unsigned interest);
void poller_modify(struct poller *p, int fd, size_t token, unsigned interest);
/* Call before close(fd). */
void poller_remove(struct poller *p, int fd);
/*
 * Waits at most timeout_ms (-1: no limit). Returns how many events poller_events() now holds,
 * or -1 with errno (EINTR). An event may belong to an fd removed while handling earlier events
 * of the same batch: handlers must tolerate a stale token or a spurious readiness.
 */
int poller_wait(struct poller *p, int timeout_ms);
/* The events of the last wait; the array stays valid (registering fds does not move it) until
 * the next poller_wait or poller_free. */
const struct pk_event *poller_events(const struct poller *p);
void poller_free(struct poller *p);

#endif
