/* SPDX-License-Identifier: MIT */
/*
 * What the two files of the libvmaclient suite share: test_libvmaclient.c (the connection,
 * the calls of 0.1, pipelining, maps paging, a daemon that dies or stalls; it runs the suite)
 * and test_libvmaclient_calls.c (the calls added since, and watching).  The suite's daemon, its
 * mode, and the helpers every test uses.
 */
#ifndef TLIB_H
#define TLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tvmad.h"
#include "vmaclient.h"

#define PAGE     4096ULL
#define MMAP_TOP 0x7ffff7fff000ULL /* mmap_base of a default x86_64 space */
#define ANON     (VMAC_MAP_PRIVATE | VMAC_MAP_ANONYMOUS)
#define RW       (VMAC_PROT_READ | VMAC_PROT_WRITE)

/* The suite's vmad (unused in local mode). */
extern struct tvmad tlib_vm;
/* VMAC_TEST_LOCAL=1: every test runs against vmac_open_local()'s in-process engine. */
extern bool tlib_local;

/* A connection of the suite's mode. */
struct vmac_conn *tlib_conn(void);
/* A test of the transport: skipped in local mode. */
void tlib_socket_only(void);
/* A fresh space named after the test, destroyed at the end by tlib_done(). */
struct vmac_conn *tlib_space(const char *name, const struct vmac_create_opts *o);
void tlib_done(struct vmac_conn *c, const char *name);
/* The VMAs maps lists, read page entries at a time. */
int tlib_count_vmas(struct vmac_conn *c, const char *name, uint32_t page);

/* The tests of test_libvmaclient_calls.c, run in the same group as the others. */
struct CMUnitTest;
extern const struct CMUnitTest tlib_calls_tests[];
extern const size_t tlib_calls_count;

#endif
