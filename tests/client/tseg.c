/* SPDX-License-Identifier: MIT */
#include "tseg.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vseg.h"

int
tseg_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[300], target[256];
	int fd = -1;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = '\0', strstr(target, "memfd:" VSEG_MEMFD_NAME)))
			fd = atoi(e->d_name);
	}
	closedir(d);
	return fd;
}
