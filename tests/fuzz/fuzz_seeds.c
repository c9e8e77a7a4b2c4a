/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed corpus for fuzz_daemon: request streams (an identity byte, then frames)
 * that walk through every operation, so that mutation starts from well-formed protobuf.
 * Usage: fuzz_seeds DIR
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmad.pb-c.h"

#define MM_PROT_RW   3u
#define MM_MAP_ANON  0x22u /* MAP_PRIVATE | MAP_ANONYMOUS */
#define MM_MAP_FILE  0x02u /* MAP_PRIVATE */
#define MM_MAP_FIXED 0x10u

typedef Vmad__V1__Request Request;

struct seed {
	unsigned char buf[65536];
	size_t len;
	uint64_t id;
};

/* m, framed, after what the seed holds (if it fits). */
static void
frame(struct seed *s, const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);

	if (s->len + 4 + n > sizeof(s->buf))
		return;
	s->buf[s->len] = (unsigned char)(n >> 24);
	s->buf[s->len + 1] = (unsigned char)(n >> 16);
	s->buf[s->len + 2] = (unsigned char)(n >> 8);
	s->buf[s->len + 3] = (unsigned char)n;
	protobuf_c_message_pack(m, s->buf + s->len + 4);
	s->len += 4 + n;
}

static void
add(struct seed *s, Request *req)
{
	req->has_id = true;
	req->id = ++s->id;
	frame(s, &req->base);
}

/*
 * A find reply as the daemon sends one, for the client's decoders that check_requests() runs
 * on every frame (the daemon refuses it as a request).
 */
static void
add_find_reply(struct seed *s)
{
	Vmad__V1__Response r = VMAD__V1__RESPONSE__INIT;
	Vmad__V1__FindResult f = VMAD__V1__FIND_RESULT__INIT;
	Vmad__V1__Vma v = VMAD__V1__VMA__INIT, p;

	v.has_start = v.has_end = v.has_flags = v.has_pgoff = v.has_offset = true;
	v.has_dev_major = v.has_dev_minor = v.has_ino = v.has_rss_kb = true;
	v.start = 0x7ffff7dd3000;
	v.end = 0x7ffff7dfc000;
	v.flags = 0x875;
	v.pgoff = 2;
	v.offset = 0x2000;
	v.dev_major = 8;
	v.dev_minor = 1;
	v.ino = 1234567;
	v.rss_kb = 12;
	v.perms = "r-xp";
	v.path = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
	p = v;
	p.start = 0x10000;
	p.end = 0x11000;
	p.path = "";
	p.line = "00010000-00011000 rw-p 00000000 00:00 0 ";
	r.has_id = true;
	r.id = ++s->id;
	r.result_case = VMAD__V1__RESPONSE__RESULT_FIND;
	r.find = &f;
	f.vma = &v;
	f.prev = &p;
	frame(s, &r.base);
}

static void
save(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->buf, 1, s->len, f) != s->len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void
op_create(struct seed *s, const char *name, bool stack)
{
	Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Create m = VMAD__V1__CREATE__INIT;

	m.name = (char *)name;
	m.has_with_stack = true;
	m.with_stack = stack;
	m.has_mode = true;
	m.mode = 0644;
	req.op_case = VMAD__V1__REQUEST__OP_CREATE;
	req.create = &m;
	add(s, &req);
}

static void
op_mmap(struct seed *s, const char *name, uint64_t addr, uint64_t len, uint32_t flags,
	const char *path)
{
	Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Mmap m = VMAD__V1__MMAP__INIT;
	Vmad__V1__File f = VMAD__V1__FILE__INIT;

	m.name = (char *)name;
	m.has_addr = m.has_len = m.has_prot = m.has_flags = true;
	m.addr = addr;
	m.len = len;
	m.prot = MM_PROT_RW;
	m.flags = flags;
	if (path) {
		f.path = (char *)path;
		f.has_size = f.has_ino = true;
		f.size = 1 << 20;
		f.ino = 42;
		m.file = &f;
	}
	req.op_case = VMAD__V1__REQUEST__OP_MMAP;
	req.mmap = &m;
	add(s, &req);
}

/* The messages with name, addr and len as fields 1-3. */
#define SET_RANGE(m)                                                                               \
	((m).name = (char *)name, (m).has_addr = (m).has_len = 1, (m).addr = addr, (m).len = len)

static void
op_range(struct seed *s, Vmad__V1__Request__OpCase op, const char *name, uint64_t addr,
	 uint64_t len)
{
	Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Munmap un = VMAD__V1__MUNMAP__INIT;
	Vmad__V1__Mprotect mp = VMAD__V1__MPROTECT__INIT;
	Vmad__V1__Populate po = VMAD__V1__POPULATE__INIT;
	Vmad__V1__Madvise ma = VMAD__V1__MADVISE__INIT;
	Vmad__V1__Mlock ml = VMAD__V1__MLOCK__INIT;
	Vmad__V1__Munlock mu = VMAD__V1__MUNLOCK__INIT;

	SET_RANGE(un);
	SET_RANGE(mp);
	SET_RANGE(po);
	SET_RANGE(ma);
	SET_RANGE(ml);
	SET_RANGE(mu);
	mp.has_prot = true;
	mp.prot = 1;
	po.has_write = po.write = true;
	ma.has_advice = true;
	ma.advice = 10;
	req.op_case = op;
	req.munmap = &un;
	if (op == VMAD__V1__REQUEST__OP_MPROTECT)
		req.mprotect = &mp;
	else if (op == VMAD__V1__REQUEST__OP_POPULATE)
		req.populate = &po;
	else if (op == VMAD__V1__REQUEST__OP_MADVISE)
		req.madvise = &ma;
	else if (op == VMAD__V1__REQUEST__OP_MLOCK)
		req.mlock = &ml;
	else if (op == VMAD__V1__REQUEST__OP_MUNLOCK)
		req.munlock = &mu;
	add(s, &req);
}

static void
op_named(struct seed *s, Vmad__V1__Request__OpCase op, const char *name)
{
	Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Maps maps = VMAD__V1__MAPS__INIT;
	Vmad__V1__Status st = VMAD__V1__STATUS__INIT;
	Vmad__V1__Watch w = VMAD__V1__WATCH__INIT;
	Vmad__V1__Destroy d = VMAD__V1__DESTROY__INIT;
	Vmad__V1__Brk b = VMAD__V1__BRK__INIT;

	req.op_case = op;
	maps.name = st.name = w.name = d.name = b.name = (char *)name;
	maps.has_limit = true;
	maps.limit = 2;
	req.maps = &maps;
	if (op == VMAD__V1__REQUEST__OP_STATUS)
		req.status = &st;
	else if (op == VMAD__V1__REQUEST__OP_WATCH)
		req.watch = &w;
	else if (op == VMAD__V1__REQUEST__OP_DESTROY)
		req.destroy = &d;
	else if (op == VMAD__V1__REQUEST__OP_BRK)
		req.brk = &b;
	add(s, &req);
}

static void
op_misc(struct seed *s, const char *name)
{
	Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Hello h = VMAD__V1__HELLO__INIT;
	Vmad__V1__Find f = VMAD__V1__FIND__INIT;
	Vmad__V1__Fault fa = VMAD__V1__FAULT__INIT;
	Vmad__V1__Mremap mr = VMAD__V1__MREMAP__INIT;
	Vmad__V1__Fork fk = VMAD__V1__FORK__INIT;
	Vmad__V1__List l = VMAD__V1__LIST__INIT;
	Vmad__V1__Stats st = VMAD__V1__STATS__INIT;
	Vmad__V1__Brk b = VMAD__V1__BRK__INIT;

	h.has_version = true;
	h.version = 1;
	req.op_case = VMAD__V1__REQUEST__OP_HELLO;
	req.hello = &h;
	add(s, &req);
	f.name = (char *)name;
	f.has_mode = f.has_addr = f.has_end = true;
	f.addr = 0x10000000;
	f.end = 0x7ffffffff000;
	for (int mode = 0; mode < 3; mode++) {
		f.mode = (Vmad__V1__FindMode)mode;
		req.op_case = VMAD__V1__REQUEST__OP_FIND;
		req.find = &f;
		add(s, &req);
	}
	fa.name = (char *)name;
	fa.has_addr = fa.has_access = true;
	fa.addr = 0x10000000;
	fa.access = VMAD__V1__ACCESS__ACCESS_WRITE;
	req.op_case = VMAD__V1__REQUEST__OP_FAULT;
	req.fault = &fa;
	add(s, &req);
	mr.name = (char *)name;
	mr.has_old_addr = mr.has_old_len = mr.has_new_len = mr.has_flags = true;
	mr.old_addr = 0x10000000;
	mr.old_len = 0x2000;
	mr.new_len = 0x8000;
	mr.flags = 1; /* MREMAP_MAYMOVE */
	req.op_case = VMAD__V1__REQUEST__OP_MREMAP;
	req.mremap = &mr;
	add(s, &req);
	b.name = (char *)name;
	b.has_addr = true;
	b.addr = 0x600000;
	req.op_case = VMAD__V1__REQUEST__OP_BRK;
	req.brk = &b;
	add(s, &req);
	fk.src = (char *)name;
	fk.dst = "child";
	req.op_case = VMAD__V1__REQUEST__OP_FORK;
	req.fork = &fk;
	add(s, &req);
	req.op_case = VMAD__V1__REQUEST__OP_LIST;
	req.list = &l;
	add(s, &req);
	req.op_case = VMAD__V1__REQUEST__OP_STATS;
	req.stats = &st;
	add(s, &req);
}

static void
op_import(struct seed *s, const char *name)
{
	Request req = VMAD__V1__REQUEST__INIT;
	Vmad__V1__Import im = VMAD__V1__IMPORT__INIT;

	im.name = (char *)name;
	im.text = "555555554000-555555556000 r--p 00000000 fe:00 1234    /usr/bin/cat\n"
		  "555555556000-55555555a000 r-xp 00002000 fe:00 1234    /usr/bin/cat\n"
		  "555555560000-555555581000 rw-p 00000000 00:00 0       [heap]\n"
		  "7ffff7fc1000-7ffff7fc5000 r--p 00000000 00:00 0       [vvar]\n"
		  "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0       [stack]\n";
	req.op_case = VMAD__V1__REQUEST__OP_IMPORT;
	req.import = &im;
	add(s, &req);
}

int
main(int argc, char **argv)
{
	static const Vmad__V1__Request__OpCase ranges[] = {
		VMAD__V1__REQUEST__OP_MPROTECT, VMAD__V1__REQUEST__OP_POPULATE,
		VMAD__V1__REQUEST__OP_MADVISE,  VMAD__V1__REQUEST__OP_MLOCK,
		VMAD__V1__REQUEST__OP_MUNLOCK,  VMAD__V1__REQUEST__OP_MUNMAP,
	};
	static struct seed s;

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_seeds DIR\n");
		return 2;
	}
	for (int who = 0; who < 2; who++) {
		char name[32];

		memset(&s, 0, sizeof(s));
		s.buf[s.len++] = (unsigned char)who;
		op_create(&s, "a", who == 0);
		op_named(&s, VMAD__V1__REQUEST__OP_WATCH, "a");
		op_mmap(&s, "a", 0, 0x10000, MM_MAP_ANON, NULL);
		op_mmap(&s, "a", 0x10000000, 0x4000, MM_MAP_ANON | MM_MAP_FIXED, NULL);
		op_mmap(&s, "a", 0, 0x3000, MM_MAP_FILE, "/usr/lib/libc.so.6");
		for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
			op_range(&s, ranges[i], "a", 0x10001000, 0x1000);
		op_misc(&s, "a");
		op_named(&s, VMAD__V1__REQUEST__OP_MAPS, "a");
		op_named(&s, VMAD__V1__REQUEST__OP_STATUS, "a");
		op_named(&s, VMAD__V1__REQUEST__OP_BRK, "a");
		op_import(&s, "imported");
		op_named(&s, VMAD__V1__REQUEST__OP_MAPS, "imported");
		op_named(&s, VMAD__V1__REQUEST__OP_DESTROY, "child");
		op_named(&s, VMAD__V1__REQUEST__OP_DESTROY, "a");
		snprintf(name, sizeof(name), "walk-%d", who);
		save(argv[1], name, &s);
	}
	memset(&s, 0, sizeof(s));
	s.buf[s.len++] = 0;
	add_find_reply(&s);
	save(argv[1], "find-reply", &s);
	return 0;
}
