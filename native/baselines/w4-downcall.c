/*
 * w4-downcall: workload W4 in C, the cost of a trivial system call made from C: getpid(), or
 * poll() on one socketpair end that is never ready, with timeout 0. Prints one JSON line with
 * the median/min/max over the samples of nanoseconds per call.
 */
#include "common.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
	"usage: w4-downcall [--call=getpid|poll] [--iterations=N] [--samples=S]\n"
	"Workload W4: times S samples of N calls (after one untimed sample of warm-up) and prints\n"
	"one JSON line with the median/min/max over the samples of nanoseconds per call.\n"
	"  --call        getpid: glibc's getpid(), a real system call on every call (glibc stopped\n"
	"                caching the pid in 2.25), the same symbol an FFM downcall looks up;\n"
	"                poll: poll() on one never-ready socketpair end, timeout 0 (default getpid)\n"
	"  --iterations  calls per sample (default 1000000)\n"
	"  --samples     samples (default 10)\n";

enum call { GETPID, POLL };
static const char *const call_names[] = { "getpid", "poll", NULL };

/* Results land here, so the compiler cannot drop the calls as unused. */
static volatile long sink;

static void call_getpid(long iterations)
{
	long sum = 0;
	for (long i = 0; i < iterations; i++)
		sum += getpid();
	sink = sum;
}

static void call_poll(struct pollfd *pfd, long iterations)
{
	for (long i = 0; i < iterations; i++)
		if (poll(pfd, 1, 0) != 0)
			die_errno("poll returned other than 0 on a never-ready fd");
}

int main(int argc, char **argv)
{
	enum call call = GETPID;
	long iterations = 1000000, samples = 10;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if ((v = flag_value(a, "--call"))) {
			call = flag_choice("--call", v, call_names);
		} else if ((v = flag_value(a, "--iterations"))) {
			iterations = flag_long("--iterations", v, 1, 1000000000000);
		} else if ((v = flag_value(a, "--samples"))) {
			samples = flag_long("--samples", v, 1, 100000);
		} else {
			flag_unknown(a);
		}
	}

	/* Nothing is ever written to sv[1], so sv[0] never becomes readable. */
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		die_errno("socketpair");
	struct pollfd pfd = { .fd = sv[0], .events = POLLIN };
	double *ns_per_call = calloc(samples, sizeof *ns_per_call);
	if (ns_per_call == NULL)
		die("out of memory");

	for (long s = -1; s < samples; s++) {  /* sample -1 is the warm-up */
		uint64_t start = now_ns();
		if (call == GETPID)
			call_getpid(iterations);
		else
			call_poll(&pfd, iterations);
		if (s >= 0)
			ns_per_call[s] = (double)(now_ns() - start) / (double)iterations;
	}

	struct summary sum = summarize(ns_per_call, samples);
	printf("{\"workload\":\"W4\",\"impl\":\"c\",\"call\":\"%s\",\"iterations\":%ld,\"samples\":%ld,"
	       "\"ns_per_call\":{\"median\":%.2f,\"min\":%.2f,\"max\":%.2f}}\n",
	       call_names[call], iterations, samples, sum.median, sum.min, sum.max);
	free(ns_per_call);
	return 0;
}
