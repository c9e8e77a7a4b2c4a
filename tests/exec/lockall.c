/* SPDX-License-Identifier: MIT */
/*
 * A program making mlockall(2) and munlockall(2) calls for the shadow to mirror: locking what
 * is mapped, then what is mapped later (with and without MCL_ONFAULT), a refused call, and
 * munlockall.
 */
#include <sys/mman.h>
#include <unistd.h>

int
main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q;

	if (p == MAP_FAILED || mlockall(MCL_CURRENT) != 0)
		return 1;
	if (mlockall(MCL_ONFAULT) == 0 || mlockall(MCL_FUTURE | MCL_ONFAULT) != 0)
		return 1;
	q = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED || mlockall(MCL_FUTURE) != 0)
		return 1;
	if (mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		return 1;
	return munlockall();
}
