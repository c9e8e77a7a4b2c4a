/* SPDX-License-Identifier: MIT */
/*
 * A program whose memory the shadow cannot mirror (SysV shared memory is not modelled): the
 * shadow test expects its divergence to be reported.
 */
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int
main(void)
{
	int id = shmget(IPC_PRIVATE, 8192, 0600 | IPC_CREAT);
	void *p = id < 0 ? NULL : shmat(id, NULL, 0);

	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
	return p == (void *)-1 || !p;
}
