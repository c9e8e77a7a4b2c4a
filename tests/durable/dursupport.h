/* SPDX-License-Identifier: MIT */
/* Helpers of the durability tests: state directories and the files in them. */
#ifndef VMAD_TEST_DURSUPPORT_H
#define VMAD_TEST_DURSUPPORT_H

#include <stddef.h>

/* A fresh directory "vmad-state.XXXXXX" under /dev/shm, else /tmp; 0 or -1. */
int state_dir_new(char *dir, size_t size);
/* Removes the directory and what it holds, then empties the name ("" is a no-op). */
int state_dir_remove(char *dir);
/* The name of the newest file of kind ("journal", "snapshot") in dir, or -1 if none. */
int state_newest(const char *dir, const char *kind, char *path, size_t size);
/* Copies the daemon's log (its stderr) to ours, as "# " lines, to say why it stopped. */
void state_print_log(const char *path);
/* The file's size, or -1. */
long state_file_size(const char *path);

#endif
