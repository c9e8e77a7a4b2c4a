/* SPDX-License-Identifier: MIT */
/*
 * A program making the calls the shadow mirrors beyond mmap and friends: mseal(2) (then a
 * munmap of the sealed page, refused), and the protection-key calls, which a CPU without PKU
 * refuses.  Raw system calls: the C library may have no wrappers.
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NR_PKEY_MPROTECT 329
#define NR_PKEY_ALLOC    330
#define NR_PKEY_FREE     331
#define NR_MSEAL         462

int
main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	p[0] = 1;
	syscall(NR_PKEY_ALLOC, 0, 0);
	syscall(NR_PKEY_ALLOC, 0, 0);
	syscall(NR_PKEY_FREE, 1);
	syscall(NR_PKEY_MPROTECT, p, page, PROT_READ, -1);
	syscall(NR_PKEY_MPROTECT, p, page, PROT_READ, 1);
	if (syscall(NR_MSEAL, p + page, page, 0) != 0)
		return 1;
	munmap(p, 4 * page);
	return munmap(p + 2 * page, 2 * page);
}
