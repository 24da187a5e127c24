/*
 * http-hello-uring: workload W2 in C on io_uring's completion model (liburing). The same answers as
 * http-hello (http.c), driven by completions: one multishot accept, per connection one multishot recv
 * into a provided buffer ring and at most one send in flight, one io_uring_enter per loop turn that
 * submits everything prepared and waits for the next completion.
 */
#include "common.h"
#include "http.h"
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
	"usage: http-hello-uring [--bind=ADDR] [--port=N] [--taskrun=defer|coop|signal]\n"
	"Workload W2: a one-thread HTTP/1.1 server answering every request with 200 \"hello\\n\", on io_uring\n"
	"completions (multishot accept and recv, provided buffers). Prints \"listening on ADDR:PORT backend=io_uring\"\n"
	"once listening; SIGINT or SIGTERM stop it (exit 0).\n"
	"  --bind     numeric IPv4 or IPv6 address (default 127.0.0.1)\n"
	"  --port     TCP port, 0 for any free one (default 8080)\n"
	"  --taskrun  how the kernel runs completion work for this thread: coop (default, as pollkit's rings:\n"
	"             IORING_SETUP_COOP_TASKRUN, at its next return from the kernel, no interrupt; Linux 5.19+),\n"
	"             defer (IORING_SETUP_DEFER_TASKRUN: only when it waits for completions; 6.1+, else coop) or\n"
	"             signal (the kernel's default: interrupt it at once)\n";

enum taskrun { TASKRUN_DEFER, TASKRUN_COOP, TASKRUN_SIGNAL };
static const char *const taskrun_names[] = { "defer", "coop", "signal", NULL };

#define SQ_ENTRIES 1024
#define CQ_ENTRIES 16384
#define BUFFERS 512             /* the provided buffer ring: a recv completes into one of these */
#define BUFFER_SIZE 16384
#define BUFFER_GROUP 0
#define OUT_LIMIT (1u << 20)    /* responses waiting behind a send: past this, stop reading (TCP holds the client back) */
#define PAUSE_NS 100000000      /* out of fds: accepts pause this long */

/* user_data: a struct conn pointer (8-aligned) with the operation in its low bits. */
enum op { OP_ACCEPT = 1, OP_RECV, OP_SEND, OP_CANCEL, OP_SIGNAL, OP_PAUSE };

struct conn {
	int fd;
	int in_flight;          /* requests the kernel holds that name this connection */
	bool recv_armed, send_in_flight, closed, paused;
	struct outbuf out;      /* responses written while a send is in flight */
	struct outbuf sending;  /* what the send in flight reads: stays put until it completes */
	struct http_in req;
};

struct server {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	char *buffers;
	int listen_fd, signal_fd;
	bool accept_armed, accept_paused, stop;
	struct signalfd_siginfo siginfo;
	struct __kernel_timespec pause;
};

static uint64_t data(struct conn *c, enum op op)
{
	return (uint64_t)(uintptr_t)c | (uint64_t)op;
}

/* The next SQE; when the SQ is full, what it holds goes to the kernel first. */
static struct io_uring_sqe *sqe(struct server *s)
{
	struct io_uring_sqe *e;
	while ((e = io_uring_get_sqe(&s->ring)) == NULL)
		if (io_uring_submit(&s->ring) < 0)
			die_errno("io_uring_submit");
	return e;
}

static void arm_accept(struct server *s)
{
	struct io_uring_sqe *e = sqe(s);
	io_uring_prep_multishot_accept(e, s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(e, OP_ACCEPT);
	s->accept_armed = true;
}

static void arm_signal(struct server *s)
{
	struct io_uring_sqe *e = sqe(s);
	io_uring_prep_read(e, s->signal_fd, &s->siginfo, sizeof s->siginfo, 0);
	io_uring_sqe_set_data64(e, OP_SIGNAL);
}

static void arm_recv(struct server *s, struct conn *c)
{
	struct io_uring_sqe *e = sqe(s);
	io_uring_prep_recv_multishot(e, c->fd, NULL, 0, 0);
	e->flags |= IOSQE_BUFFER_SELECT;
	e->buf_group = BUFFER_GROUP;
	io_uring_sqe_set_data64(e, data(c, OP_RECV));
	c->recv_armed = true;
	c->in_flight++;
}

static void cancel(struct server *s, struct conn *c, enum op op)
{
	struct io_uring_sqe *e = sqe(s);
	io_uring_prep_cancel64(e, data(c, op), 0);
	io_uring_sqe_set_data64(e, data(c, OP_CANCEL));
	c->in_flight++;
}

static void maybe_free(struct conn *c)
{
	if (c->closed && c->in_flight == 0) {
		outbuf_free(&c->out);
		outbuf_free(&c->sending);
		free(c);
	}
}

/* The fd's number is free at once; the socket closes when the cancelled requests have completed. */
static void conn_close(struct server *s, struct conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	if (c->recv_armed)
		cancel(s, c, OP_RECV);
	if (c->send_in_flight)
		cancel(s, c, OP_SEND);
	close(c->fd);
}

/* As http-hello: what the client sent is read and dropped first, so the close is no reset. */
static void close_after_response(struct server *s, struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	for (int i = 0; i < 16 && recv(c->fd, c->req.in, sizeof c->req.in, MSG_DONTWAIT) > 0; i++)
		;
	conn_close(s, c);
}

static void send_rest(struct server *s, struct conn *c)
{
	struct io_uring_sqe *e = sqe(s);
	io_uring_prep_send(e, c->fd, c->sending.data + c->sending.head, outbuf_pending(&c->sending), MSG_NOSIGNAL);
	io_uring_sqe_set_data64(e, data(c, OP_SEND));
	c->send_in_flight = true;
	c->in_flight++;
}

/* Starts a send of what was written, unless one is in flight (it goes when that one completes). */
static void start_send(struct server *s, struct conn *c)
{
	if (c->send_in_flight || outbuf_pending(&c->out) == 0)
		return;
	struct outbuf b = c->sending;
	c->sending = c->out;
	c->out = b;
	c->out.head = c->out.tail = 0;
	send_rest(s, c);
}

static void on_accept(struct server *s, int res, unsigned flags)
{
	if (!(flags & IORING_CQE_F_MORE))
		s->accept_armed = false;
	if (res < 0) {
		if (res == -EMFILE || res == -ENFILE) {
			if (!s->accept_paused)
				warn("accept: out of file descriptors; pausing accepts for 100 ms");
			s->accept_paused = true;
			struct io_uring_sqe *e = sqe(s);
			io_uring_prep_timeout(e, &s->pause, 0, 0);
			io_uring_sqe_set_data64(e, OP_PAUSE);
		} else {
			warn("accept: %s", strerror(-res));
		}
		return;
	}
	int on = 1;   /* as http-hello's acceptor and pollkit's servers */
	setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	struct conn *c = calloc(1, sizeof *c);
	if (c == NULL) {
		warn("dropping a connection: out of memory");
		close(res);
		return;
	}
	c->fd = res;
	arm_recv(s, c);
}

static void on_recv(struct server *s, struct conn *c, int res, unsigned flags)
{
	if (!(flags & IORING_CQE_F_MORE)) {
		c->recv_armed = false;
		c->in_flight--;
	}
	if (flags & IORING_CQE_F_BUFFER) {
		unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
		const char *p = s->buffers + (size_t)id * BUFFER_SIZE;
		size_t left = res > 0 ? (size_t)res : 0;
		while (left > 0 && !c->closed && !c->req.closing) {
			size_t n = sizeof c->req.in - c->req.in_len;
			n = n < left ? n : left;
			memcpy(c->req.in + c->req.in_len, p, n);
			c->req.in_len += n;
			p += n;
			left -= n;
			http_handle(&c->req, &c->out);
		}
		io_uring_buf_ring_add(s->br, s->buffers + (size_t)id * BUFFER_SIZE, BUFFER_SIZE, (unsigned short)id,
				      io_uring_buf_ring_mask(BUFFERS), 0);
		io_uring_buf_ring_advance(s->br, 1);
	} else if (res != -ENOBUFS && res != -ECANCELED && !c->closed) {  /* end of stream or an error */
		conn_close(s, c);
		return;
	}
	if (c->closed)
		return;
	start_send(s, c);
	if (!c->send_in_flight && c->req.closing) {
		close_after_response(s, c);
	} else if (outbuf_pending(&c->out) > OUT_LIMIT && c->recv_armed) {
		c->paused = true;  /* reads resume once the responses are sent */
		cancel(s, c, OP_RECV);
	} else if (!c->recv_armed && !c->paused && !c->req.closing) {
		arm_recv(s, c);   /* the multishot ended (ENOBUFS: every buffer was out; this one is back) */
	}
}

static void on_send(struct server *s, struct conn *c, int res)
{
	c->send_in_flight = false;
	c->in_flight--;
	if (c->closed)
		return;
	if (res < 0) {
		conn_close(s, c);
		return;
	}
	c->sending.head += (size_t)res;
	if (outbuf_pending(&c->sending) > 0) {
		send_rest(s, c);
		return;
	}
	c->sending.head = c->sending.tail = 0;
	start_send(s, c);
	if (c->send_in_flight)
		return;
	if (c->req.closing) {
		close_after_response(s, c);
	} else if (c->paused && !c->recv_armed) {
		c->paused = false;
		arm_recv(s, c);
	}
}

static void complete(struct server *s, struct io_uring_cqe *cqe)
{
	uint64_t d = io_uring_cqe_get_data64(cqe);
	enum op op = (enum op)(d & 7);
	struct conn *c = (struct conn *)(uintptr_t)(d & ~(uint64_t)7);
	switch (op) {
	case OP_ACCEPT:
		on_accept(s, cqe->res, cqe->flags);
		return;
	case OP_SIGNAL:
		s->stop = true;
		return;
	case OP_PAUSE:
		s->accept_paused = false;
		return;
	case OP_RECV:
		on_recv(s, c, cqe->res, cqe->flags);
		break;
	case OP_SEND:
		on_send(s, c, cqe->res);
		break;
	case OP_CANCEL:
		c->in_flight--;
		break;
	}
	maybe_free(c);
}

static void setup(struct server *s, enum taskrun taskrun)
{
	/* From the chosen mode down to what older kernels have: DEFER_TASKRUN (6.1) needs SINGLE_ISSUER (6.0);
	 * COOP_TASKRUN is 5.19. TASKRUN_FLAG makes the kernel say in the SQ flags when work waits. */
	const unsigned modes[] = {
		IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_TASKRUN_FLAG,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_TASKRUN_FLAG,
		IORING_SETUP_SINGLE_ISSUER,
		0,
	};
	int r = -EINVAL;
	struct io_uring_params p;
	for (unsigned i = taskrun; i < sizeof modes / sizeof modes[0] && r == -EINVAL; i++) {
		p = (struct io_uring_params){ .flags = IORING_SETUP_CQSIZE | modes[i], .cq_entries = CQ_ENTRIES };
		r = io_uring_queue_init_params(SQ_ENTRIES, &s->ring, &p);
	}
	if (r < 0)
		fail(EXIT_UNAVAILABLE, "io_uring_setup: %s", strerror(-r));
	if (posix_memalign((void **)&s->br, 4096, BUFFERS * sizeof(struct io_uring_buf)) != 0 ||
	    posix_memalign((void **)&s->buffers, 4096, (size_t)BUFFERS * BUFFER_SIZE) != 0)
		die("out of memory");
	struct io_uring_buf_reg reg = { .ring_addr = (uintptr_t)s->br, .ring_entries = BUFFERS, .bgid = BUFFER_GROUP };
	if ((r = io_uring_register_buf_ring(&s->ring, &reg, 0)) < 0)
		fail(EXIT_UNAVAILABLE, "io_uring_register(IORING_REGISTER_PBUF_RING): %s (Linux 5.19 or later)", strerror(-r));
	io_uring_buf_ring_init(s->br);
	for (int i = 0; i < BUFFERS; i++)
		io_uring_buf_ring_add(s->br, s->buffers + (size_t)i * BUFFER_SIZE, BUFFER_SIZE, (unsigned short)i,
				      io_uring_buf_ring_mask(BUFFERS), i);
	io_uring_buf_ring_advance(s->br, BUFFERS);
}

int main(int argc, char **argv)
{
	const char *bind_addr = "127.0.0.1";
	int port = 8080;
	enum taskrun taskrun = TASKRUN_COOP;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if ((v = flag_value(a, "--bind"))) {
			bind_addr = v;
		} else if ((v = flag_value(a, "--port"))) {
			port = (int)flag_long("--port", v, 0, 65535);
		} else if ((v = flag_value(a, "--taskrun"))) {
			taskrun = (enum taskrun)flag_choice("--taskrun", v, taskrun_names);
		} else {
			flag_unknown(a);
		}
	}

	static struct server s;
	raise_nofile_limit();
	s.signal_fd = open_stop_signals();
	s.listen_fd = listen_tcp(bind_addr, port);
	/* Blocking sockets: io_uring waits for them itself (armed poll), as pollkit's completion server does. */
	if (fcntl(s.listen_fd, F_SETFL, 0) != 0 || fcntl(s.signal_fd, F_SETFL, 0) != 0)
		die_errno("fcntl(F_SETFL)");
	s.pause.tv_nsec = PAUSE_NS;
	setup(&s, taskrun);
	arm_accept(&s);
	arm_signal(&s);
	announce(bind_addr, s.listen_fd, "io_uring");

	while (!s.stop) {
		int r = io_uring_submit_and_wait(&s.ring, 1);
		if (r < 0 && r != -EINTR && r != -EBUSY && r != -EAGAIN)
			die("io_uring_enter: %s", strerror(-r));
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		io_uring_for_each_cqe(&s.ring, head, cqe) {
			complete(&s, cqe);
			n++;
		}
		io_uring_cq_advance(&s.ring, n);
		if (!s.accept_armed && !s.accept_paused && !s.stop)
			arm_accept(&s);
	}
	/* Exiting closes the ring, which cancels every request; the connections go with the process. */
	io_uring_queue_exit(&s.ring);
	close(s.listen_fd);
	close(s.signal_fd);
	return 0;
}
