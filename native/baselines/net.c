/* net.c: see net.h. */
#include "net.h"

#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

int listen_tcp(const char *host, int port)
{
	return listen_tcp_shared(host, port, false);
}

int listen_tcp_shared(const char *host, int port, bool reuseport)
{
	struct sockaddr_storage addr = { 0 };
	struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
	socklen_t len;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		len = sizeof *v4;
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		len = sizeof *v6;
	} else {
		fail(EXIT_USAGE, "--bind: expected a numeric IPv4 or IPv6 address, got '%s'", host);
	}
	int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	int on = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
		die_errno("setsockopt(SO_REUSEADDR)");
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
		die_errno("setsockopt(SO_REUSEPORT)");
	if (bind(fd, (struct sockaddr *)&addr, len) != 0)
		die_errno("bind %s port %d", host, port);
	if (listen(fd, SOMAXCONN) != 0)
		die_errno("listen");
	return fd;
}

int local_port(int fd)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof addr;
	if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
		die_errno("getsockname");
	return ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port
					       : ((struct sockaddr_in6 *)&addr)->sin6_port);
}

void announce(const char *host, int listen_fd, const char *backend)
{
	int port = local_port(listen_fd);
	const char *fmt = strchr(host, ':') ? "listening on [%s]:%d backend=%s\n"
					    : "listening on %s:%d backend=%s\n";
	printf(fmt, host, port, backend);
	fflush(stdout);
}

int open_stop_signals(void)
{
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die_errno("signal(SIGPIPE)");
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		die_errno("sigprocmask");
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		die_errno("signalfd");
	return fd;
}

static int open_reserve(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void acceptor_init(struct acceptor *a, int listen_fd)
{
	a->listen_fd = listen_fd;
	a->refused = 0;
	if ((a->reserve_fd = open_reserve()) < 0)
		die_errno("open /dev/null");
}

int acceptor_next(struct acceptor *a)
{
	/* Retries only after an aborted connection or a refusal, each of which used up one. */
	for (int attempt = 0; attempt < 64; attempt++) {
		int fd = accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			int on = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
			return fd;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -1;
		if ((errno == EMFILE || errno == ENFILE) && a->reserve_fd >= 0) {
			close(a->reserve_fd);
			fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			a->reserve_fd = open_reserve();
			if (++a->refused % 1000 == 1)
				warn("out of file descriptors: closed %lu connection(s) at once so far", a->refused);
			continue;
		}
		warn("accept: %s", strerror(errno));
		return -1;
	}
	return -1;
}

void acceptor_close(struct acceptor *a)
{
	close(a->listen_fd);
	if (a->reserve_fd >= 0)
		close(a->reserve_fd);
}

void outbuf_append(struct outbuf *b, const void *bytes, size_t len)
{
	if (b->tail + len > b->cap && b->head > 0) {  /* slide the unsent bytes to the front */
		memmove(b->data, b->data + b->head, b->tail - b->head);
		b->tail -= b->head;
		b->head = 0;
	}
	if (b->tail + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->tail + len)
			cap *= 2;
		char *data = realloc(b->data, cap);
		if (data == NULL)
			die("out of memory");
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->tail, bytes, len);
	b->tail += len;
}

int outbuf_flush(struct outbuf *b, int fd)
{
	while (b->head < b->tail) {
		ssize_t n = send(fd, b->data + b->head, b->tail - b->head, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		b->head += (size_t)n;
	}
	b->head = b->tail = 0;
	return 0;
}

void outbuf_free(struct outbuf *b)
{
	free(b->data);
	*b = (struct outbuf){ 0 };
}
