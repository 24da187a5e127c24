/* net.h: what the two servers share: the listener, stop signals, accepting, queued output. */
#ifndef BASELINES_NET_H
#define BASELINES_NET_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A non-blocking, close-on-exec TCP listener with SO_REUSEADDR on host (a numeric IPv4 or IPv6
 * address) and port (0: the kernel picks a free one). Exits 2 on a bad address, 1 on failure.
 */
int listen_tcp(const char *host, int port);
/*
 * The same, with SO_REUSEPORT when reuseport is set: several such listeners on one port (each
 * bound to the port the first got) share its connections, which Linux spreads over them.
 */
int listen_tcp_shared(const char *host, int port, bool reuseport);
/* The local port of a bound socket. */
int local_port(int fd);
/* Prints the line "listening on HOST:PORT backend=NAME" to stdout and flushes it. */
void announce(const char *host, int listen_fd, const char *backend);

/*
 * Ignores SIGPIPE (a write to a closed peer then fails with EPIPE), blocks SIGINT and SIGTERM and
 * returns a non-blocking signalfd that turns readable when either arrives: the loop watches it
 * like any other fd, so a stop request cannot slip in between a check and a wait.
 */
int open_stop_signals(void);

struct acceptor {
	int listen_fd;
	int reserve_fd;          /* an fd kept open to be given up when the process runs out */
	unsigned long refused;   /* connections closed at once for want of fds */
};
void acceptor_init(struct acceptor *a, int listen_fd);
/*
 * The next pending connection (non-blocking, close-on-exec, TCP_NODELAY), or -1 when none is
 * pending or accept failed (then logged). Out of fds (EMFILE/ENFILE) it closes the reserve fd,
 * accepts the connection and closes it at once, so the listener does not stay readable and
 * the loop does not spin (the trick libuv and libev use).
 */
int acceptor_next(struct acceptor *a);
void acceptor_close(struct acceptor *a);

/* Bytes written by the program but not yet taken by the socket. */
struct outbuf {
	char *data;
	size_t head, tail, cap;  /* unsent bytes are data[head..tail) */
};
static inline size_t outbuf_pending(const struct outbuf *b)
{
	return b->tail - b->head;
}
void outbuf_append(struct outbuf *b, const void *bytes, size_t len);
/* Sends what is queued until done or the socket is full: 0, or -1 with errno on an error. */
int outbuf_flush(struct outbuf *b, int fd);
void outbuf_free(struct outbuf *b);

#endif
