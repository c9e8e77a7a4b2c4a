/* SPDX-License-Identifier: MIT */
/*
 * A program built against libvmaclient 0.1: compiled with the frozen 0.1 header and with its
 * vmac_status reference bound to vmac_status@vmac_0.1, as the link against the 0.1 library
 * bound it.  The library must fill the 0.1 struct and not one byte past it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "abi/vmaclient-0.1.h"
#include "tvmad.h"

/* The version a 0.1 program's reference carries, under a name of its own. */
int vmac_status_at_0_1(struct vmac_conn *c, const char *name, struct vmac_status *out);
__asm__(".symver vmac_status_at_0_1, vmac_status@vmac_0.1");

#define CANARY 0xa5

/* The 0.1 struct followed by the bytes that a write of the newer struct would reach. */
struct guarded_status {
	struct vmac_status st;
	unsigned char after[64];
};

static struct tvmad vm;

static void
test_status_0_1_writes_no_more_than_its_struct(void **state)
{
	struct vmac_conn *c = NULL;
	struct guarded_status g;

	(void)state;
	assert_int_equal(vmac_connect(vm.sock, &c), 0);
	assert_int_equal(vmac_create(c, "old", NULL), 0);
	assert_int_equal(vmac_mmap(c, "old", 0x10000000, 0x4000, VMAC_PROT_READ | VMAC_PROT_EXEC,
				   VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS | VMAC_MAP_FIXED, NULL, 0,
				   NULL),
			 0);
	memset(&g, CANARY, sizeof(g));
	assert_int_equal(vmac_status_at_0_1(c, "old", &g.st), 0);
	for (size_t i = 0; i < sizeof(g.after); i++)
		assert_int_equal(g.after[i], CANARY);
	assert_int_equal(g.st.map_count, 1);
	assert_int_equal(g.st.vm_size, 16);
	/* Executable memory outside the program's code is VmLib, which 0.1 has no field for. */
	assert_int_equal(g.st.vm_exe, 0);
	assert_non_null(strstr(g.st.text, "VmLib:"));
	vmac_close(c);
}

static int
setup(void **state)
{
	(void)state;
	return tvmad_start(&vm);
}

static int
teardown(void **state)
{
	(void)state;
	tvmad_stop(&vm);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_0_1_writes_no_more_than_its_struct),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
