/* workers.h: a server run as several forked worker processes, each with its own listener and loop. */
#ifndef BASELINES_WORKERS_H
#define BASELINES_WORKERS_H

/*
 * Forks n workers; worker i runs work(i, arg) and exits with what it returns. The parent only
 * supervises: SIGINT or SIGTERM is passed on to every worker as SIGTERM; a worker that ends
 * before it was asked to makes the parent stop the others. Each worker gets SIGTERM when the
 * parent dies (PR_SET_PDEATHSIG), so none outlives it. Returns the parent's exit code once every
 * worker has been reaped: 0 when each exited 0 after being asked to stop, else 1.
 * SIGINT, SIGTERM and SIGCHLD are blocked in the parent (and so in the workers, which read
 * SIGINT and SIGTERM from their own signalfd).
 */
int run_workers(int n, int (*work)(int index, void *arg), void *arg);

#endif
