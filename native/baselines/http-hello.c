/*
 * http-hello: workload W2 in C. One thread, one event loop: answers every HTTP/1.1 request head
 * with the same 200 "hello\n" response, keep-alive, pipelining-safe (every complete request in
 * the buffer is answered, in order), a head over 8 KiB with 431, a malformed request line with 400.
 */
#include "common.h"
#include "http.h"
#include "net.h"
#include "poller.h"
#include "workers.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
	"usage: http-hello [--backend=epoll|poll] [--bind=ADDR] [--port=N] [--workers=N]\n"
	"Workload W2: a one-thread HTTP/1.1 server answering every request with 200 \"hello\\n\".\n"
	"Prints \"listening on ADDR:PORT backend=NAME\" once listening; SIGINT or SIGTERM stop it (exit 0).\n"
	"  --backend  epoll or poll (default epoll)\n"
	"  --bind     numeric IPv4 or IPv6 address (default 127.0.0.1)\n"
	"  --port     TCP port, 0 for any free one (default 8080)\n"
	"  --workers  processes, each with its own SO_REUSEPORT listener on the port and its own loop\n"
	"             (default 1: no fork); the parent passes SIGINT/SIGTERM on and waits for them\n";

#define ACCEPT_BATCH 64    /* connections accepted per wakeup, so clients get served meanwhile */

struct conn {
	int fd;
	unsigned interest;    /* PK_READ, or PK_WRITE alone while output is queued */
	struct outbuf out;    /* responses the socket has not taken yet */
	struct http_in req;   /* received bytes not consumed yet */
};

struct server {
	struct poller *poller;  /* tokens are fds */
	struct acceptor acceptor;
	int signal_fd;
	struct conn **conns;    /* conns[fd], NULL when fd is no connection */
	size_t conns_len;
};

static void conn_close(struct server *s, struct conn *c)
{
	poller_remove(s->poller, c->fd);
	close(c->fd);
	s->conns[c->fd] = NULL;
	outbuf_free(&c->out);
	free(c);
}

/*
 * Discards what the client already sent before closing: close() with unread input sends a reset,
 * which can destroy the response before the client has read it. Bounded: a client that keeps
 * sending may still get the reset.
 */
static void close_after_response(struct server *s, struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	for (int i = 0; i < 16 && recv(c->fd, c->req.in, sizeof c->req.in, 0) > 0; i++)
		;
	conn_close(s, c);
}

static void set_interest(struct server *s, struct conn *c, unsigned interest)
{
	if (c->interest != interest) {
		poller_modify(s->poller, c->fd, (size_t)c->fd, interest);
		c->interest = interest;
	}
}

/*
 * Sends the queued responses. While some stay queued the connection waits for writable and
 * reads nothing, so a client that pipelines without reading is held back by TCP.
 */
static void send_output(struct server *s, struct conn *c)
{
	if (outbuf_flush(&c->out, c->fd) != 0)
		conn_close(s, c);
	else if (outbuf_pending(&c->out) > 0)
		set_interest(s, c, PK_WRITE);
	else if (c->req.closing)
		close_after_response(s, c);
	else
		set_interest(s, c, PK_READ);
}

static void on_readable(struct server *s, struct conn *c)
{
	ssize_t n = recv(c->fd, c->req.in + c->req.in_len, sizeof c->req.in - c->req.in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;  /* a spurious wakeup */
	if (n <= 0) {  /* end of stream or an error such as ECONNRESET */
		conn_close(s, c);
		return;
	}
	c->req.in_len += (size_t)n;
	http_handle(&c->req, &c->out);
	send_output(s, c);
}

static void on_acceptable(struct server *s)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = acceptor_next(&s->acceptor);
		if (fd < 0)
			return;
		struct conn *c = (size_t)fd < s->conns_len ? calloc(1, sizeof *c) : NULL;
		if (c == NULL || poller_add(s->poller, fd, (size_t)fd, PK_READ) != 0) {
			warn("dropping a connection: %s", c ? strerror(errno) : "out of memory");
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->interest = PK_READ;
		s->conns[fd] = c;
	}
}

struct options {
	enum poller_kind backend;
	const char *bind_addr;
	int *listen_fds;  /* one per worker */
	int workers;
};

/* One event loop on listen_fd until SIGINT or SIGTERM; then everything is closed. Returns 0. */
static int serve(enum poller_kind backend, int listen_fd)
{
	struct server s = { .conns_len = (size_t)raise_nofile_limit() };
	s.conns = calloc(s.conns_len, sizeof *s.conns);
	if (s.conns == NULL)
		die("out of memory");
	s.signal_fd = open_stop_signals();
	acceptor_init(&s.acceptor, listen_fd);
	s.poller = poller_new(backend);
	if (poller_add(s.poller, s.acceptor.listen_fd, (size_t)s.acceptor.listen_fd, PK_READ) != 0 ||
	    poller_add(s.poller, s.signal_fd, (size_t)s.signal_fd, PK_READ) != 0)
		die_errno("registering the listener");

	for (bool stop = false; !stop;) {
		int n = poller_wait(s.poller, -1);
		if (n < 0 && errno != EINTR)
			die_errno("%s", poller_names[backend]);
		const struct pk_event *ev = poller_events(s.poller);
		for (int i = 0; i < n; i++) {
			int fd = (int)ev[i].token;
			struct conn *c = s.conns[fd];
			if (fd == s.acceptor.listen_fd)
				on_acceptable(&s);
			else if (fd == s.signal_fd)
				stop = true;
			else if (c != NULL && c->interest == PK_WRITE && (ev[i].events & PK_WRITE))
				send_output(&s, c);
			else if (c != NULL && c->interest == PK_READ && (ev[i].events & PK_READ))
				on_readable(&s, c);
		}
	}

	for (size_t fd = 0; fd < s.conns_len; fd++)
		if (s.conns[fd] != NULL)
			conn_close(&s, s.conns[fd]);
	poller_free(s.poller);
	acceptor_close(&s.acceptor);
	close(s.signal_fd);
	free(s.conns);
	return 0;
}

/* Worker i: its own listener (the others' are closed), its own loop. */
static int worker(int index, void *arg)
{
	const struct options *o = arg;
	for (int i = 0; i < o->workers; i++)
		if (i != index)
			close(o->listen_fds[i]);
	return serve(o->backend, o->listen_fds[index]);
}

int main(int argc, char **argv)
{
	struct options o = { .backend = POLLER_EPOLL, .bind_addr = "127.0.0.1", .workers = 1 };
	int port = 8080;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if ((v = flag_value(a, "--backend"))) {
			o.backend = flag_choice("--backend", v, poller_names);
		} else if ((v = flag_value(a, "--bind"))) {
			o.bind_addr = v;
		} else if ((v = flag_value(a, "--port"))) {
			port = (int)flag_long("--port", v, 0, 65535);
		} else if ((v = flag_value(a, "--workers"))) {
			o.workers = (int)flag_long("--workers", v, 1, 64);
		} else {
			flag_unknown(a);
		}
	}

	if (o.workers == 1) {
		int fd = listen_tcp(o.bind_addr, port);
		announce(o.bind_addr, fd, poller_names[o.backend]);
		return serve(o.backend, fd);
	}
	/* Every listener is bound before the first worker starts: port 0 becomes the first one's port. */
	o.listen_fds = calloc((size_t)o.workers, sizeof *o.listen_fds);
	if (o.listen_fds == NULL)
		die("out of memory");
	for (int i = 0; i < o.workers; i++) {
		o.listen_fds[i] = listen_tcp_shared(o.bind_addr, port, true);
		port = local_port(o.listen_fds[0]);
	}
	announce(o.bind_addr, o.listen_fds[0], poller_names[o.backend]);
	int status = run_workers(o.workers, worker, &o);
	for (int i = 0; i < o.workers; i++)
		close(o.listen_fds[i]);
	free(o.listen_fds);
	return status;
}
