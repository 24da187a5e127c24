/* workers.c: see workers.h. */
#include "workers.h"

#include "common.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop_all(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
}

int run_workers(int n, int (*work)(int index, void *arg), void *arg)
{
	/* Blocked before the first fork, so that no signal is lost between a fork and the wait. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		die_errno("sigprocmask");
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		die_errno("signalfd");

	pid_t parent = getpid();
	pid_t *pids = calloc((size_t)n, sizeof *pids);
	if (pids == NULL)
		die("out of memory");
	bool stopping = false;
	int status = 0, live = 0;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			warn("fork: %s", strerror(errno));
			status = 1;
			stopping = true;
			stop_all(pids, n);
			break;
		}
		if (pid == 0) {
			close(sfd);
			if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
				_exit(1);  /* the parent is gone already: it can neither stop nor reap this worker */
			exit(work(i, arg));
		}
		pids[i] = pid;
		live++;
	}

	while (live > 0) {
		struct signalfd_siginfo si;
		ssize_t r = read(sfd, &si, sizeof si);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof si)
			die_errno("read(signalfd)");
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
			stopping = true;
			stop_all(pids, n);
			continue;
		}
		/* SIGCHLD: several exits may have been merged into one signal. */
		int ws;
		for (pid_t pid; (pid = waitpid(-1, &ws, WNOHANG)) > 0;) {
			int i = 0;
			while (i < n && pids[i] != pid)
				i++;
			if (i == n)
				continue;
			pids[i] = 0;
			live--;
			bool clean = WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
			if (!stopping || !clean) {
				if (WIFEXITED(ws))
					warn("worker %d (pid %d) exited with status %d%s", i + 1, (int)pid, WEXITSTATUS(ws),
					     stopping ? "" : "; stopping the others");
				else
					warn("worker %d (pid %d) was killed by signal %d%s", i + 1, (int)pid, WTERMSIG(ws),
					     stopping ? "" : "; stopping the others");
				status = 1;
			}
			if (!stopping) {
				stopping = true;
				stop_all(pids, n);
			}
		}
	}
	close(sfd);
	free(pids);
	return status;
}
