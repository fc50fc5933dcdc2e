#ifndef SPINDLE_POPEN_SPAWN_H
#define SPINDLE_POPEN_SPAWN_H

enum {
	SP_SPAWN_SETSID = 1,
	SP_SPAWN_CLOSE_FDS = 2,
	SP_SPAWN_RESTORE_SIGNALS = 4,
};

/* sp_spawn starts argv[0] (a path: no PATH search, as 2.6's execve) with
 * argv and envp (NULL: the parent's environment); fds[i] becomes the
 * child's descriptor i (-1: closed). 0 and *pid_out set, or an errno. */
int sp_spawn(char *const argv[], char *const envp[], const int fds[3], int flags, int *pid_out);

#endif
