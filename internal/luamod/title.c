/*
 * title.c: the process title area. As Tarantool does on Linux
 * (proc_title.c, PS_USE_CLOBBER_ARGV), the title is written over the
 * memory of the command-line arguments and the environment strings,
 * which is what /proc/<pid>/cmdline and ps show.
 *
 * Before anything can keep a pointer into that memory, an ELF
 * constructor (glibc passes it argc, argv and envp) copies the strings
 * elsewhere and points argv[], envp[] (also environ) and glibc's
 * program_invocation_name at the copies: the Go runtime, which builds
 * os.Args and its environment from the same arrays after constructors
 * run, never sees the area, so overwriting it changes no Go string.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h> /* environ */

#include "title.h"

static char *area;       /* start of the argv/environ strings */
static size_t area_size; /* their total size */
static size_t last_len;  /* bytes of the last title (the rest is zero) */

/* widen grows [begin, end) over the strings of list that follow it
 * contiguously, as ps_expand_clobber_area does. */
static void
widen(char **begin, char **end, int n, char **list)
{
	for (int i = 0; i < n; i++) {
		if (*begin == NULL)
			*begin = *end = list[i];
		if (list[i] != NULL && *end == list[i])
			*end += strlen(list[i]) + 1;
	}
}

static char *
moved(char *p, char *begin, char *end, char *copy)
{
	if (p != NULL && p >= begin && p < end)
		return copy + (p - begin);
	return p;
}

#if defined(__linux__) && defined(__GLIBC__)
/* Only glibc passes (argc, argv, envp) to ELF constructors; elsewhere
 * (musl) there is no title area, and title.get() returns nil. */
__attribute__((constructor)) static void
sp_title_init(int argc, char **argv, char **envp)
{
	if (argc <= 0 || argv == NULL || envp == NULL)
		return;
	int envc = 0;
	while (envp[envc] != NULL)
		envc++;
	char *begin = NULL, *end = NULL;
	widen(&begin, &end, argc, argv);
	widen(&begin, &end, envc, envp);
	if (begin == NULL || end <= begin)
		return;
	size_t size = end - begin;
	/* Never freed: the copies are the process's arguments and
	 * environment from now on. */
	char *copy = malloc(size);
	if (copy == NULL)
		return;
	memcpy(copy, begin, size);
	for (int i = 0; i < argc; i++)
		argv[i] = moved(argv[i], begin, end, copy);
	for (int i = 0; i < envc; i++)
		envp[i] = moved(envp[i], begin, end, copy);
	if (environ != envp) {
		for (int i = 0; environ != NULL && environ[i] != NULL; i++)
			environ[i] = moved(environ[i], begin, end, copy);
	}
	program_invocation_name =
		moved(program_invocation_name, begin, end, copy);
	program_invocation_short_name =
		moved(program_invocation_short_name, begin, end, copy);
	area = begin;
	area_size = last_len = size;
}
#endif

size_t
sp_title_max(void)
{
	return area_size;
}

void
sp_title_write(const char *title, size_t len)
{
	if (area == NULL)
		return;
	if (len >= area_size)
		len = area_size - 1;
	memcpy(area, title, len);
	area[len] = '\0';
	/* Clear what remains of a longer previous title. */
	if (last_len > len)
		memset(area + len, 0, last_len - len);
	last_len = len;
}
