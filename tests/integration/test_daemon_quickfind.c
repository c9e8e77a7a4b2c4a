/* SPDX-License-Identifier: MIT */
/*
 * vmad answers a find without its general request path (quickfind.c).  Two daemons are given
 * the same random spaces: one as it runs by default, the other with VMAD_WIRE=protobuf-c,
 * where every request takes the general path and protobuf-c decodes and packs.  The same
 * pipelined find frames, valid or not (every mode, an unknown mode, no name, an unknown
 * space, with and without lines and ids), must get byte for byte the same reply stream.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "vmaclient.h"

#define SPACE     "q"
#define PAGE      4096ULL
#define BASE      0x7f0000000000ULL
#define SLOTS     512 /* pages the random mappings land in */
#define SETUP_OPS 1500
#define FINDS     20000
#define BATCH     64
#define FRAME_MAX (64 * 1024)

struct side {
	struct vmad_proc vm;
	struct vmac_conn *c;
	int fd;
};

static struct side fast, ref;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const paths[] = { "/usr/lib/libq.so", "/tmp/a file", "/tmp/new\nline",
				     "/dev/zero", "/x" };

static void
random_file(struct vmac_file *f)
{
	memset(f, 0, sizeof(*f));
	f->path = paths[next() % 5];
	f->instance = 1 + next() % 3;
	f->dev_major = (uint32_t)(next() % 300);
	f->dev_minor = (uint32_t)(next() % 300);
	f->ino = next() % 4 == 0 ? UINT64_MAX / 3 : next() % 100000;
	f->deleted = next() % 5 == 0;
}

/* One random call, made on both daemons: they must agree on its result. */
static void
setup_op(void)
{
	uint64_t addr = BASE + (next() % SLOTS) * PAGE, len = (1 + next() % 8) * PAGE;
	uint32_t prot = (uint32_t)(next() % 8);
	uint64_t off = (next() % 64) * PAGE;
	struct vmac_file file;
	unsigned op = (unsigned)(next() % 10);
	int a, b;

	random_file(&file);
	switch (op) {
	case 0:
	case 1:
		a = vmac_mmap(fast.c, SPACE, addr, len, prot, VMAC_MAP_PRIVATE | VMAC_MAP_FIXED,
			      &file, off, NULL);
		b = vmac_mmap(ref.c, SPACE, addr, len, prot, VMAC_MAP_PRIVATE | VMAC_MAP_FIXED,
			      &file, off, NULL);
		break;
	case 2:
		a = vmac_munmap(fast.c, SPACE, addr, len);
		b = vmac_munmap(ref.c, SPACE, addr, len);
		break;
	case 3:
		a = vmac_mprotect(fast.c, SPACE, addr, len, prot);
		b = vmac_mprotect(ref.c, SPACE, addr, len, prot);
		break;
	case 4:
		a = vmac_populate(fast.c, SPACE, addr, len, prot & 1);
		b = vmac_populate(ref.c, SPACE, addr, len, prot & 1);
		break;
	case 5:
		a = vmac_set_vma_anon_name(fast.c, SPACE, addr, len, prot & 1 ? "buf" : NULL);
		b = vmac_set_vma_anon_name(ref.c, SPACE, addr, len, prot & 1 ? "buf" : NULL);
		break;
	default: {
		uint32_t flags = (op == 6 ? VMAC_MAP_SHARED : VMAC_MAP_PRIVATE) |
				 VMAC_MAP_ANONYMOUS | VMAC_MAP_FIXED;

		a = vmac_mmap(fast.c, SPACE, addr, len, prot, flags, NULL, 0, NULL);
		b = vmac_mmap(ref.c, SPACE, addr, len, prot, flags, NULL, 0, NULL);
	}
	}
	assert_int_equal(a, b);
}

static void
start_side(struct side *s, const char *const *env)
{
	struct vmac_create_opts opts;
	struct vmac_create_ext ext = { .features = VMAC_FEATURE_ANON_VMA_NAME };
	uint64_t brk;

	assert_int_equal(vmad_start(&s->vm, NULL, env), 0);
	assert_int_equal(vmac_connect(s->vm.sock, &s->c), 0);
	vmac_create_opts_init(&opts);
	opts.with_stack = true;
	assert_int_equal(vmac_create_ext(s->c, SPACE, &opts, &ext), 0);
	assert_int_equal(vmac_brk(s->c, SPACE, 0, &brk), 0);
	assert_int_equal(vmac_brk(s->c, SPACE, brk + 3 * PAGE, NULL), 0);
	s->fd = raw_connect(s->vm.sock);
	assert_true(s->fd >= 0);
}

static int
setup(void **state)
{
	static const char *const env[] = { "VMAD_WIRE=protobuf-c", NULL };

	(void)state;
	harness_bound(120);
	start_side(&fast, NULL);
	start_side(&ref, env);
	for (int i = 0; i < SETUP_OPS; i++)
		setup_op();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	for (struct side *s = &fast; s; s = s == &fast ? &ref : NULL) {
		close(s->fd);
		vmac_close(s->c);
		vmad_stop(&s->vm);
	}
	return 0;
}

/* A random find: addresses around the mappings, the heap, the stack, anywhere. */
static size_t
find_frame(uint8_t *buf, uint64_t id)
{
	static const char *const names[] = { SPACE, SPACE, SPACE, "nope", NULL };
	Vmad__V1__Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Find f = VMAD__V1__FIND__INIT;
	uint64_t where = next() % 8;
	size_t len;

	req.has_id = next() % 8 != 0;
	req.id = id;
	req.op_case = VMAD__V1__REQUEST__OP_FIND;
	req.find = &f;
	f.name = (char *)names[next() % 5];
	f.has_mode = next() % 4 != 0;
	f.mode = (Vmad__V1__FindMode)(next() % 16 == 0 ? 7 : next() % 3);
	f.has_addr = next() % 16 != 0;
	f.addr = where < 5 ? BASE + next() % ((SLOTS + 16) * PAGE)
			   : (where == 5 ? next() : next() % 0x800000000000ULL);
	f.has_end = f.mode == VMAD__V1__FIND_MODE__FIND_INTERSECTION || next() % 8 == 0;
	f.end = f.addr + next() % (16 * PAGE);
	f.has_without_line = next() % 2;
	f.without_line = next() % 4 != 0;
	len = vmad__v1__request__get_packed_size(&req);
	assert_true(len + 4 <= FRAME_MAX);
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	vmad__v1__request__pack(&req, buf + 4);
	return len + 4;
}

/* The next reply frame, header and all. */
static size_t
reply_frame(int fd, uint8_t *buf)
{
	ssize_t n = raw_recv_frame(fd, 10000, buf, FRAME_MAX);

	assert_true(n > 0);
	return (size_t)n;
}

static void
test_same_replies(void **state)
{
	static uint8_t out[BATCH * 256], a[FRAME_MAX], b[FRAME_MAX];
	unsigned found = 0, failed = 0;

	(void)state;
	for (uint64_t id = 1; id <= FINDS; id += BATCH) {
		size_t n = 0;

		for (uint64_t k = 0; k < BATCH; k++)
			n += find_frame(out + n, id + k);
		assert_int_equal(raw_write(fast.fd, out, n), 0);
		assert_int_equal(raw_write(ref.fd, out, n), 0);
		for (unsigned k = 0; k < BATCH; k++) {
			size_t la = reply_frame(fast.fd, a), lb = reply_frame(ref.fd, b);
			Vmad__V1__Response *r;

			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la);
			r = vmad__v1__response__unpack(NULL, la - 4, a + 4);
			assert_non_null(r);
			found += r->result_case == VMAD__V1__RESPONSE__RESULT_FIND && r->find->vma;
			failed += r->has_error;
			vmad__v1__response__free_unpacked(r, NULL);
		}
	}
	/* Both kinds were asked for in numbers: a VMA found, and errors of the general path. */
	assert_true(found > FINDS / 4);
	assert_true(failed > FINDS / 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_replies),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
