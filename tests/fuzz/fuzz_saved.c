/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the input is a saved address space, the bytes vmac_save() returns and the
 * Restore request takes, given to the engine's loader (lib/serial.c: mm_load()).  A buffer it
 * accepts must give an mm that passes mm_validate(); saving that mm must give back exactly the
 * bytes the loader took (the format is exact: a buffer the engine did not write is refused),
 * and loading those again must give the same bytes once more.  The loaded mm then goes through
 * what a restored space meets first: the renderers, a fork and an munmap of everything, each
 * followed by the validator.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "mm_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_saved_same(const struct mm_sbuf *b, const uint8_t *data, size_t len, const char *what)
{
	if (b->len != len || memcmp(b->data, data, len) != 0) {
		fprintf(stderr, "%s: saved %zu bytes, expected %zu, not the same\n", what, b->len,
			len);
		abort();
	}
}

/* Save, load, save: the second save gives the first's bytes. */
static void
fuzz_saved_round_trip(const struct mm *mm, const uint8_t *data, size_t used)
{
	struct mm_sbuf b = { 0 }, b2 = { 0 };
	struct mm *copy = NULL;
	char msg[256];
	size_t used2 = 0;

	if (mm_save(mm, &b) < 0)
		return;
	fuzz_saved_same(&b, data, used, "save after load");
	if (mm_load(b.data, b.len, &used2, &copy, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "the engine refuses what it saved: %s\n", msg);
		abort();
	}
	fuzz_check_mm(copy, "after a second load", NULL);
	if (mm_save(copy, &b2) == 0)
		fuzz_saved_same(&b2, b.data, b.len, "save, load, save");
	mm_sbuf_free(&b2);
	mm_destroy(copy);
	mm_sbuf_free(&b);
}

static void
fuzz_saved_render(const struct mm *mm)
{
	char *text = NULL;
	size_t len = 0;

	if (mm_render_maps(mm, &text, &len) == 0)
		free(text);
	text = NULL;
	if (mm_render_smaps(mm, false, &text, &len) == 0)
		free(text);
	text = NULL;
	if (mm_render_status(mm, &text, &len) == 0)
		free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mm *mm = NULL;
	size_t used = 0;
	char msg[256];

	if (mm_load(data, size, &used, &mm, msg, sizeof(msg)) != 0) {
		if (mm) {
			fprintf(stderr, "a refused load left an mm behind\n");
			abort();
		}
		return 0;
	}
	if (used == 0 || used > size)
		abort();
	fuzz_check_mm(mm, "after load", NULL);
	fuzz_saved_round_trip(mm, data, used);
	fuzz_saved_render(mm);
	fuzz_use_mm(mm);
	mm_destroy(mm);
	return 0;
}
