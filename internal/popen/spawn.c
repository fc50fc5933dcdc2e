/*
 * spawn.c: starting a child process as Tarantool 2.6's popen_new does
 * (src/lib/core/popen.c): vfork, then in the child setsid, signals,
 * standard descriptors, closing the rest, execve; an exec failure ends
 * the child with errno as its exit code.
 *
 * The child runs on the parent's memory until execve (vfork), so it calls
 * async-signal-safe functions only, and every signal stays blocked until
 * its handlers are the defaults: a Go handler must never run in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn.h"

extern char **environ;

static void
close_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
		return;
#endif
	struct rlimit rl;
	long max = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = (long)rl.rlim_cur;
	for (long fd = lowfd; fd < max; fd++)
		close((int)fd);
}

/* The child's side: never returns. */
static void
child(char *const argv[], char *const envp[], const int fds[3], int flags,
      const sigset_t *parent_mask)
{
	if ((flags & SP_SPAWN_SETSID) && setsid() == -1)
		_exit(errno);
	/* Handlers go back to the defaults (execve would reset them anyway:
	 * this keeps the parent's from running here); ignored signals stay
	 * ignored unless the signals are restored. */
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		struct sigaction sa;
		if (sigaction(sig, NULL, &sa) != 0)
			continue;
		if (sa.sa_handler == SIG_IGN && !(flags & SP_SPAWN_RESTORE_SIGNALS))
			continue;
		if (sa.sa_handler != SIG_DFL) {
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = SIG_DFL;
			sigaction(sig, &sa, NULL);
		}
	}
	for (int i = 0; i < 3; i++) {
		if (fds[i] < 0) {
			close(i);
		} else if (fds[i] == i) {
			int fl = fcntl(i, F_GETFD);
			if (fl >= 0)
				fcntl(i, F_SETFD, fl & ~FD_CLOEXEC);
		} else if (dup2(fds[i], i) < 0) {
			_exit(errno);
		}
	}
	if (flags & SP_SPAWN_CLOSE_FDS)
		close_from(3);
	if (flags & SP_SPAWN_RESTORE_SIGNALS) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	} else {
		sigprocmask(SIG_SETMASK, parent_mask, NULL);
	}
	execve(argv[0], argv, envp != NULL ? envp : environ);
	_exit(errno);
}

int
sp_spawn(char *const argv[], char *const envp[], const int fds[3], int flags,
	 int *pid_out)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t pid = vfork();
	if (pid == 0)
		child(argv, envp, fds, flags, &old);
	int saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return saved;
	*pid_out = pid;
	return 0;
}
