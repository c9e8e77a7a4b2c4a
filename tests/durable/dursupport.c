/* SPDX-License-Identifier: MIT */
#include "dursupport.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * In memory when the machine has /dev/shm: the tests sync thousands of times, and what they
 * check (what survives a killed process) does not depend on the disk.
 */
int
state_dir_new(char *dir, size_t size)
{
	const char *root = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(dir, size, "%s/vmad-state.XXXXXX", root);
	return mkdtemp(dir) ? 0 : -1;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
state_dir_remove(char *dir)
{
	int r = dir[0] ? nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS) : 0;

	dir[0] = '\0';
	return r;
}

int
state_newest(const char *dir, const char *kind, char *path, size_t size)
{
	char best[64] = "";
	size_t k = strlen(kind);
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		/* Equal-length hex numbers: the greatest name is the newest. */
		if (strncmp(e->d_name, kind, k) == 0 && e->d_name[k] == '-' &&
		    strlen(e->d_name) == k + 17 && strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (!best[0])
		return -1;
	snprintf(path, size, "%s/%s", dir, best);
	return 0;
}

long
state_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

void
state_print_log(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];

	if (!f) {
		fprintf(stderr, "# no log %s\n", path);
		return;
	}
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "# vmad: %s", line);
	fclose(f);
}
