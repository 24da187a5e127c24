/*
 * common.h: what every baseline program shares: error exits, flag parsing, the clock and
 * median/min/max. Exit codes: 0 ok, 1 runtime error, 2 bad usage, 3 backend unavailable.
 */
#ifndef BASELINES_COMMON_H
#define BASELINES_COMMON_H

#include <stddef.h>
#include <stdint.h>

enum { EXIT_USAGE = 2, EXIT_UNAVAILABLE = 3 };

/* "PROG: message" on stderr, then exit 1 (die), or with ": strerror(errno)" added (die_errno). */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void die_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: message" on stderr, then exit with the given code. */
_Noreturn void fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "PROG: message" on stderr; the program goes on. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The value of arg if it is "NAME=VALUE" (name with its leading "--"), else NULL. */
const char *flag_value(const char *arg, const char *name);
/* value as an integer in [min, max], or a one-line error and exit 2. */
long flag_long(const char *name, const char *value, long min, long max);
/* The index of value in the NULL-terminated choices, or a one-line error and exit 2. */
int flag_choice(const char *name, const char *value, const char *const choices[]);
/* The one-line error for an argument no flag matched; exits 2. */
_Noreturn void flag_unknown(const char *arg);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);

/* Raises the RLIMIT_NOFILE soft limit to the hard limit; returns the new soft limit. */
long raise_nofile_limit(void);

struct summary {
	double median, min, max;
};
/* Sorts values[0..count) in place; count >= 1. An even count takes the mean of the middle two. */
struct summary summarize(double *values, size_t count);

#endif
