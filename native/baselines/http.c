/* http.c: the request handling both http-hello servers share (see http.h). */
#include "http.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

static const char response_ok[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
static const char response_400[] =
	"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char response_431[] =
	"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

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

static void reply_and_close(struct http_in *c, struct outbuf *out, const char *response, size_t len)
{
	outbuf_append(out, response, len);
	c->closing = true;
}

void http_handle(struct http_in *c, struct outbuf *out)
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
				reply_and_close(c, out, response_431, sizeof response_431 - 1);
			break;
		}
		size_t head_len = (size_t)(crlfcrlf + 4 - start);
		struct request rq;
		if (!parse_head(start, head_len, &rq)) {
			reply_and_close(c, out, response_400, sizeof response_400 - 1);
			break;
		}
		outbuf_append(out, response_ok, sizeof response_ok - 1);
		c->closing = rq.close;
		c->body_left = rq.content_length;
		pos += head_len;
	}
	memmove(c->in, c->in + pos, c->in_len - pos);
	c->in_len -= pos;
}
