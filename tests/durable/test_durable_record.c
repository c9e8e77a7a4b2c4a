/* SPDX-License-Identifier: MIT */
/*
 * The journal's classification of requests: every case of Request's `op` oneof (walked from
 * the protobuf-c descriptor, so a new op cannot be missed) is classified, and a few known
 * ones land where they must.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "record.h"

static void
every_op_is_classified(void **state)
{
	const char *bad = "";

	(void)state;
	if (record_check(&bad) < 0)
		fail_msg("request op %s is not classified for the journal", bad);
	assert_null(bad);
}

static void
changes_and_reads(void **state)
{
	Vmad__V1__Request q = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Brk brk = VMAD__V1__BRK__INIT;
	Vmad__V1__Mseal ms = VMAD__V1__MSEAL__INIT;
	Vmad__V1__Maps maps = VMAD__V1__MAPS__INIT;
	const char *space;

	(void)state;
	brk.name = "a";
	q.op_case = VMAD__V1__REQUEST__OP_BRK;
	q.brk = &brk;
	assert_false(record_mutates(&q, &space));
	brk.has_addr = true;
	assert_true(record_mutates(&q, &space));
	assert_string_equal(space, "a");
	ms.name = "b";
	q.op_case = VMAD__V1__REQUEST__OP_MSEAL;
	q.mseal = &ms;
	assert_true(record_mutates(&q, &space));
	assert_string_equal(space, "b");
	maps.name = "c";
	q.op_case = VMAD__V1__REQUEST__OP_MAPS;
	q.maps = &maps;
	assert_false(record_mutates(&q, &space));
	assert_null(space);
	q.op_case = VMAD__V1__REQUEST__OP__NOT_SET;
	assert_false(record_mutates(&q, &space));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_op_is_classified),
		cmocka_unit_test(changes_and_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
