/*
 * tick-server: workload W3 in C. Sends "tick\n" to every connected client every interval and logs
 * each line a client sends. The wait timeout is computed from the next tick's deadline, so client
 * traffic cannot postpone ticks (the bug of a fixed poll timeout restarted by every event).
 */
#include "common.h"
#include "net.h"
#include "poller.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
	"usage: tick-server [--backend=epoll|poll] [--bind=ADDR] [--port=N] [--interval=MS]\n"
	"                   [--max-clients=N] [--quiet]\n"
	"Workload W3: sends \"tick\\n\" to every client every interval; logs \"client said: LINE\" to\n"
	"stderr for each line a client sends. Prints \"listening on ADDR:PORT backend=NAME\" once\n"
	"listening; SIGINT or SIGTERM stop it (exit 0).\n"
	"  --backend      epoll or poll (default epoll)\n"
	"  --bind         numeric IPv4 or IPv6 address (default 127.0.0.1)\n"
	"  --port         TCP port, 0 for any free one (default 8080)\n"
	"  --interval     milliseconds between ticks (default 1000)\n"
	"  --max-clients  clients served at once; one more is closed at once (default 15)\n"
	"  --quiet        do not log client lines\n";

#define LINE_MAX_LEN 1024          /* longest client line, newline excluded; longer disconnects */
#define OUTPUT_MAX (64 * 1024)     /* unsent output beyond which a client is disconnected */
#define ACCEPT_BATCH 64            /* connections accepted per wakeup */
#define TOKEN_LISTENER ((size_t)-1)
#define TOKEN_SIGNAL ((size_t)-2)  /* every other token is a client's slot */

struct client {
	int fd;                        /* -1: a free slot */
	unsigned interest;             /* PK_READ, plus PK_WRITE while output is queued */
	size_t line_len;               /* bytes in line[] */
	struct outbuf out;
	char line[LINE_MAX_LEN + 1];   /* the start of the next line: up to 1024 bytes and its \n */
};

struct server {
	struct poller *poller;
	struct acceptor acceptor;
	int signal_fd;
	bool quiet;
	struct client *clients;        /* max_clients slots */
	size_t max_clients, connected;
};

static void drop(struct server *s, struct client *c)
{
	poller_remove(s->poller, c->fd);
	close(c->fd);
	outbuf_free(&c->out);
	c->fd = -1;
	s->connected--;
}

/* Sends queued output; watches for writable while some is left. Drops the client on error. */
static void send_output(struct server *s, struct client *c)
{
	if (outbuf_flush(&c->out, c->fd) != 0) {
		drop(s, c);
		return;
	}
	unsigned interest = PK_READ | (outbuf_pending(&c->out) > 0 ? PK_WRITE : 0u);
	if (interest != c->interest) {
		poller_modify(s->poller, c->fd, (size_t)(c - s->clients), interest);
		c->interest = interest;
	}
}

/* One write per client that is never waited for: a client that does not read falls behind alone. */
static void send_ticks(struct server *s)
{
	for (struct client *c = s->clients; c < s->clients + s->max_clients; c++) {
		if (c->fd < 0)
			continue;
		outbuf_append(&c->out, "tick\n", 5);
		send_output(s, c);
		if (c->fd >= 0 && outbuf_pending(&c->out) > OUTPUT_MAX) {
			warn("client %d: more than %d bytes unsent, disconnecting", c->fd, OUTPUT_MAX);
			drop(s, c);
		}
	}
}

/* Reads once (level-triggered: more comes on the next wakeup) and logs each complete line. */
static void on_readable(struct server *s, struct client *c)
{
	ssize_t n = recv(c->fd, c->line + c->line_len, sizeof c->line - c->line_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		drop(s, c);
		return;
	}
	c->line_len += (size_t)n;
	char *start = c->line, *end = c->line + c->line_len, *nl;
	while ((nl = memchr(start, '\n', (size_t)(end - start))) != NULL) {
		size_t len = (size_t)(nl - start);
		if (len > 0 && start[len - 1] == '\r')
			len--;
		if (!s->quiet)
			fprintf(stderr, "client said: %.*s\n", (int)len, start);
		start = nl + 1;
	}
	c->line_len = (size_t)(end - start);
	memmove(c->line, start, c->line_len);
	if (c->line_len == sizeof c->line) {  /* 1025 bytes and no newline */
		warn("client %d: line longer than %d bytes, disconnecting", c->fd, LINE_MAX_LEN);
		drop(s, c);
	}
}

static void on_acceptable(struct server *s)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = acceptor_next(&s->acceptor);
		if (fd < 0)
			return;
		if (s->connected == s->max_clients) {  /* full: refuse by closing at once */
			close(fd);
			continue;
		}
		struct client *c = s->clients;
		while (c->fd >= 0)
			c++;
		if (poller_add(s->poller, fd, (size_t)(c - s->clients), PK_READ) != 0) {
			warn("dropping a connection: %s", strerror(errno));
			close(fd);
			continue;
		}
		*c = (struct client){ .fd = fd, .interest = PK_READ };
		s->connected++;
	}
}

int main(int argc, char **argv)
{
	enum poller_kind backend = POLLER_EPOLL;
	const char *bind_addr = "127.0.0.1";
	int port = 8080;
	long interval_ms = 1000;
	struct server s = { .max_clients = 15 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "--quiet") == 0) {
			s.quiet = true;
		} else if ((v = flag_value(a, "--backend"))) {
			backend = flag_choice("--backend", v, poller_names);
		} else if ((v = flag_value(a, "--bind"))) {
			bind_addr = v;
		} else if ((v = flag_value(a, "--port"))) {
			port = (int)flag_long("--port", v, 0, 65535);
		} else if ((v = flag_value(a, "--interval"))) {
			interval_ms = flag_long("--interval", v, 1, 3600000);
		} else if ((v = flag_value(a, "--max-clients"))) {
			s.max_clients = (size_t)flag_long("--max-clients", v, 1, 100000);
		} else {
			flag_unknown(a);
		}
	}

	raise_nofile_limit();
	s.clients = calloc(s.max_clients, sizeof *s.clients);
	if (s.clients == NULL)
		die("out of memory");
	for (size_t i = 0; i < s.max_clients; i++)
		s.clients[i].fd = -1;
	s.signal_fd = open_stop_signals();
	acceptor_init(&s.acceptor, listen_tcp(bind_addr, port));
	s.poller = poller_new(backend);
	if (poller_add(s.poller, s.acceptor.listen_fd, TOKEN_LISTENER, PK_READ) != 0 ||
	    poller_add(s.poller, s.signal_fd, TOKEN_SIGNAL, PK_READ) != 0)
		die_errno("registering the listener");
	announce(bind_addr, s.acceptor.listen_fd, poller_names[backend]);

	const uint64_t interval_ns = (uint64_t)interval_ms * 1000000u;
	uint64_t next_tick = now_ns() + interval_ns;
	for (bool stop = false; !stop;) {
		uint64_t now = now_ns();
		if (now >= next_tick) {
			send_ticks(&s);
			/*
			 * The deadline moves on by whole intervals from where it was, not from now, so
			 * late wakeups do not add up; intervals missed entirely are skipped, not burst.
			 */
			while (next_tick <= now)
				next_tick += interval_ns;
		}
		/* Rounded up to poll's and epoll_wait's millisecond: a tick is never early. */
		int timeout_ms = (int)((next_tick - now + 999999) / 1000000);
		int n = poller_wait(s.poller, timeout_ms);
		if (n < 0 && errno != EINTR)
			die_errno("%s", poller_names[backend]);
		const struct pk_event *ev = poller_events(s.poller);
		for (int i = 0; i < n; i++) {
			size_t token = ev[i].token;
			if (token == TOKEN_LISTENER) {
				on_acceptable(&s);
			} else if (token == TOKEN_SIGNAL) {
				stop = true;
			} else {
				struct client *c = &s.clients[token];
				if (c->fd >= 0 && (ev[i].events & PK_WRITE) && (c->interest & PK_WRITE))
					send_output(&s, c);
				if (c->fd >= 0 && (ev[i].events & PK_READ))
					on_readable(&s, c);
			}
		}
	}

	for (size_t i = 0; i < s.max_clients; i++)
		if (s.clients[i].fd >= 0)
			drop(&s, &s.clients[i]);
	poller_free(s.poller);
	acceptor_close(&s.acceptor);
	close(s.signal_fd);
	free(s.clients);
	return 0;
}
