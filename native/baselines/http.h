/* http.h: what both http-hello servers (epoll/poll and io_uring) do with the bytes of a connection. */
#ifndef BASELINES_HTTP_H
#define BASELINES_HTTP_H

#include "net.h"

#include <stdbool.h>
#include <stddef.h>

#define HEAD_MAX 8192      /* longest request head accepted, final CRLFCRLF included */

/* A connection's input side: received bytes not consumed yet, and where the request stream stands. */
struct http_in {
	bool closing;         /* close once the queued output is sent; read no more */
	size_t body_left;     /* body bytes of the last request still to skip */
	size_t in_len;        /* bytes in in[] */
	char in[HEAD_MAX];    /* the start of the next request */
};

/*
 * Answers every complete request in c->in, in order, appending the responses to out, and keeps an
 * incomplete one for later: 200 "hello\n" (keep-alive; HTTP/1.0 and Connection: close set closing),
 * 400 for a malformed request, 431 for a head over HEAD_MAX (both set closing). Bodies are skipped.
 */
void http_handle(struct http_in *c, struct outbuf *out);

#endif
