/* SPDX-License-Identifier: MIT */
/*
 * Fair service: one pass of the event loop serves at most VMAD_PASS_REQUESTS requests of
 * each connection, in turn.  While the daemon is stopped (SIGSTOP), HEAVY clients send
 * thousands of pings each and a light client PASS pings and a stats request, so that the
 * first poll after it resumes finds all of them.  The light client's stats request is then
 * served in the second pass: after the first pass's PASS requests of every heavy client and
 * before the second pass's of at most all of them.  The request counter in its reply must be
 * in that range, whatever the order the poll reports the sockets in.  Serving each input to
 * its end would serve the light client's 17 requests at once, with either none of the heavy
 * requests before them or the whole 16 KiB that one read takes in (about 1600 pings) of some
 * heavy client.  No timing is involved; `make bench` (fair-bench) measures the latency at 49
 * heavy clients.
 */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"

#define HEAVY    4
#define PASS     16
#define PASS_ENV "VMAD_PASS_REQUESTS=16"
#define BURST    8000 /* pings per heavy client: within one socket's buffer */

/* n framed pings in one buffer, with room for one more frame of up to 64 bytes. */
static unsigned char *
ping_burst(int n, size_t *len)
{
	Vmad__V1__Request req;
	Vmad__V1__Ping ping;
	unsigned char *buf, *p;
	size_t one;

	raw_ping_req(&req, &ping, 7);
	one = vmad__v1__request__get_packed_size(&req);
	buf = malloc((size_t)n * (4 + one) + 64);
	assert_non_null(buf);
	p = buf;
	for (int i = 0; i < n; i++, p += 4 + one) {
		p[0] = p[1] = p[2] = 0;
		p[3] = (unsigned char)one;
		vmad__v1__request__pack(&req, p + 4);
	}
	*len = (size_t)n * (4 + one);
	return buf;
}

static uint64_t
stats_requests(Vmad__V1__Response *resp)
{
	uint64_t n;

	assert_non_null(resp);
	assert_int_equal(resp->result_case, VMAD__V1__RESPONSE__RESULT_STATS);
	n = resp->stats->requests;
	raw_free(resp);
	return n;
}

static void
test_light_client_served_first(void **state)
{
	static const char *const env[] = { PASS_ENV, NULL };
	Vmad__V1__Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Stats st = VMAD__V1__STATS__INIT;
	struct vmad_proc vm;
	int heavy[HEAVY], light;
	uint64_t before, after, served;
	unsigned char *burst, *mine;
	size_t len, mine_len, stats_len;

	(void)state;
	harness_bound(60);
	assert_int_equal(vmad_start(&vm, NULL, env), 0);
	burst = ping_burst(BURST, &len);
	assert_true((light = raw_connect(vm.sock)) >= 0);
	for (int i = 0; i < HEAVY; i++)
		assert_true((heavy[i] = raw_connect(vm.sock)) >= 0);
	req.op_case = VMAD__V1__REQUEST__OP_STATS;
	req.stats = &st;
	mine = ping_burst(PASS, &mine_len);
	stats_len = vmad__v1__request__get_packed_size(&req);
	memset(mine + mine_len, 0, 3);
	mine[mine_len + 3] = (unsigned char)stats_len;
	vmad__v1__request__pack(&req, mine + mine_len + 4);
	mine_len += 4 + stats_len;
	/* A round trip on the last connection: every one is accepted, the daemon is idle. */
	stats_requests(raw_call(heavy[HEAVY - 1], &req));
	before = stats_requests(raw_call(light, &req));
	assert_int_equal(kill(vm.pid, SIGSTOP), 0);
	assert_int_equal(raw_write(light, mine, mine_len), 0);
	for (int i = 0; i < HEAVY; i++)
		assert_int_equal(raw_write(heavy[i], burst, len), 0);
	assert_int_equal(kill(vm.pid, SIGCONT), 0);
	for (int i = 0; i < PASS; i++)
		raw_free(raw_recv(light, 10000, NULL));
	after = stats_requests(raw_recv(light, 10000, NULL));
	served = after - before - 1 - PASS;
	print_message("# %d heavy clients with %d pings each waiting: %llu of theirs served "
		      "before the light client's last request (expected %d to %d)\n",
		      HEAVY, BURST, (unsigned long long)served, HEAVY * PASS, 2 * HEAVY * PASS);
	assert_true(served >= HEAVY * PASS && served <= 2 * HEAVY * PASS);
	for (int i = 0; i < HEAVY; i++)
		close(heavy[i]);
	close(light);
	free(burst);
	free(mine);
	assert_int_equal(vmad_stop(&vm), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_light_client_served_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
