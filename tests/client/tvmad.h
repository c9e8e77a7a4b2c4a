/* SPDX-License-Identifier: MIT */
/*
 * The client tests' vmad: started on a socket in a fresh temporary directory, stopped and
 * reaped (and the directory removed) by the test.
 */
#ifndef TVMAD_H
#define TVMAD_H

#include <sys/types.h>

struct tvmad {
	pid_t pid;
	char dir[64];
	char sock[128];
};

/* Starts $VMAD_BIN (else the vmad of the same build) and waits until it accepts: 0 or -1. */
int tvmad_start(struct tvmad *t);
/* Starts again on the same socket after the daemon has been stopped or killed. */
int tvmad_restart(struct tvmad *t);
/* SIGTERM (SIGKILL if it lingers), reap, and remove the directory. */
void tvmad_stop(struct tvmad *t);
/* Sends sig and, for a fatal one, reaps the daemon; the directory stays. */
void tvmad_signal(struct tvmad *t, int sig);

#endif
