/*
 * http-hello: workload W2 in C. One thread, one event loop: answers every HTTP/1.1 request head
 * with the same 200 "hello\n" response, keep-alive, pipelining-safe (every complete request in
 * the buffer is answered, in order), a head over 8 KiB with 431, a malformed request line with 400.
 */
#include "common.h"
#include "net.h"
#include "poller.h"
#include "workers.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

#define HEAD_MAX 8192      /* longest request head accepted, final CRLFCRLF included */
#define ACCEPT_BATCH 64    /* connections accepted per wakeup, so clients get served meanwhile */

static const char response_ok[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
static const char response_400[] =
	"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char response_431[] =
	"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

struct conn {
	int fd;
	unsigned interest;    /* PK_READ, or PK_WRITE alone while output is queued */
	bool closing;         /* close once the queued output is sent; read no more */
	size_t body_left;     /* body bytes of the last request still to skip */
	size_t in_len;        /* bytes in in[] */
	struct outbuf out;    /* responses the socket has not taken yet */
	char in[HEAD_MAX];    /* received bytes not consumed yet: the start of the next request */
};

struct server {
	struct poller *poller;  /* tokens are fds */
	struct acceptor acceptor;
	int signal_fd;
	struct conn **conns;    /* conns[fd], NULL when fd is no connection */
	size_t conns_len;
};

struct request {
	bool close;             /* close after the response */
	size_t content_length;  /* body bytes that follow the head */
};

static bool is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool name_is(const char *name, const char *name_end, const char *wanted)
{
	size_t len = strlen(wanted);
	return (size_t)(name_end - name) == len && strncasecmp(name, wanted, len) == 0;
}

/* Whether the comma-separated list [v, end) holds token, case-insensitively. */
static bool has_token(const char *v, const char *end, const char *token)
{
	size_t len = strlen(token);
	while (v < end) {
		while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
			v++;
		const char *t = v;
		while (v < end && *v != ',' && *v != ' ' && *v != '\t')
			v++;
		if ((size_t)(v - t) == len && strncasecmp(t, token, len) == 0)
			return true;
	}
	return false;
}

/*
 * head[0..len) is one request head ending in CRLFCRLF. The request line must be
 * METHOD SP TARGET SP HTTP/1.x; each header line NAME: VALUE. HTTP/1.0 closes after the response.
 */
static bool parse_head(const char *head, size_t len, struct request *rq)
{
	const char *end = head + len, *eol = memchr(head, '\r', len), *p = head;
	while (p < eol && is_tchar(*p))
		p++;
	if (p == head || p == eol || *p++ != ' ')
		return false;
	const char *target = p;
	while (p < eol && *p > ' ' && *p < 0x7f)
		p++;
	if (p == target || p == eol || *p++ != ' ')
		return false;
	if (eol - p != 8 || memcmp(p, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)p[7]) || eol[1] != '\n')
		return false;
	*rq = (struct request){ .close = p[7] == '0' };

	for (p = eol + 2; p < end - 2; p = eol + 2) {  /* end - 2: the CRLF closing the head */
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || colon == p)
			return false;
		if (name_is(p, colon, "connection") && has_token(colon + 1, eol, "close")) {
			rq->close = true;
		} else if (name_is(p, colon, "content-length")) {
			const char *v = colon + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			if (v == eol)
				return false;
			size_t n = 0;
			for (; v < eol && isdigit((unsigned char)*v); v++)
				if ((n = n * 10 + (size_t)(*v - '0')) > (size_t)1 << 40)
					return false;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			if (v != eol)
				return false;
			rq->content_length = n;
		}
	}
	return true;
}

static void reply_and_close(struct conn *c, const char *response, size_t len)
{
	outbuf_append(&c->out, response, len);
	c->closing = true;
}

/* Answers every complete request in c->in, in order, and keeps an incomplete one for later. */
static void handle_requests(struct conn *c)
{
	size_t pos = 0;
	while (!c->closing && pos < c->in_len) {
		if (c->body_left > 0) {  /* bodies are read and ignored */
			size_t skip = c->in_len - pos < c->body_left ? c->in_len - pos : c->body_left;
			pos += skip;
			c->body_left -= skip;
			continue;
		}
		const char *start = c->in + pos;
		const char *crlfcrlf = memmem(start, c->in_len - pos, "\r\n\r\n", 4);
		if (crlfcrlf == NULL) {
			if (c->in_len - pos == HEAD_MAX)  /* a full buffer and still no end of head */
				reply_and_close(c, response_431, sizeof response_431 - 1);
			break;
		}
		size_t head_len = (size_t)(crlfcrlf + 4 - start);
		struct request rq;
		if (!parse_head(start, head_len, &rq)) {
			reply_and_close(c, response_400, sizeof response_400 - 1);
			break;
		}
		outbuf_append(&c->out, response_ok, sizeof response_ok - 1);
		c->closing = rq.close;
		c->body_left = rq.content_length;
		pos += head_len;
	}
	memmove(c->in, c->in + pos, c->in_len - pos);
	c->in_len -= pos;
}

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
	for (int i = 0; i < 16 && recv(c->fd, c->in, sizeof c->in, 0) > 0; i++)
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
	else if (c->closing)
		close_after_response(s, c);
	else
		set_interest(s, c, PK_READ);
}

static void on_readable(struct server *s, struct conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;  /* a spurious wakeup */
	if (n <= 0) {  /* end of stream or an error such as ECONNRESET */
		conn_close(s, c);
		return;
	}
	c->in_len += (size_t)n;
	handle_requests(c);
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
