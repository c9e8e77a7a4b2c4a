/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the input is /proc/PID/maps text given to the engine's import
 * (lib/import.c: mm_import_maps()), as the Import request and vmactl import give it.  The
 * first byte picks the layout (64-bit, 64-bit legacy, i386), the rest is the text, NUL bytes
 * and all.  Text it accepts must give an mm that passes mm_validate(); that mm's maps, imported
 * again, must give an mm that renders the very same maps (import is a fixed point after one
 * pass: what maps prints is what import reads); it must save and load again (the loader checks
 * the layout fields), and survive a fork and an munmap of everything.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "mm_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mm *
fuzz_import_text(enum mm_layout layout, const char *text, size_t len)
{
	struct mm_config cfg;
	struct mm *mm = NULL;
	unsigned line = 0;
	int r;

	mm_config_init(&cfg, layout);
	r = mm_import_maps(&cfg, text, len, &mm, &line);
	if (r < 0 && mm) {
		fprintf(stderr, "a refused import left an mm behind\n");
		abort();
	}
	return r < 0 ? NULL : mm;
}

/* The maps of an imported mm import to an mm with the same maps. */
static void
fuzz_import_again(enum mm_layout layout, const struct mm *mm)
{
	char *text = NULL, *text2 = NULL;
	size_t len = 0, len2 = 0;
	struct mm *again;

	if (mm_render_maps(mm, &text, &len) < 0)
		return;
	again = fuzz_import_text(layout, text, len);
	if (!again) {
		fprintf(stderr, "import refuses the maps of what it imported:\n%.*s", (int)len,
			text);
		abort();
	}
	fuzz_check_mm(again, "after importing the maps again", NULL);
	if (mm_render_maps(again, &text2, &len2) == 0 &&
	    (len2 != len || memcmp(text, text2, len) != 0)) {
		fprintf(stderr, "maps differ after a second import:\n%.*s--- became\n%.*s",
			(int)len, text, (int)len2, text2);
		abort();
	}
	free(text2);
	mm_destroy(again);
	free(text);
}

/* What was imported can be saved and restored (the loader checks the layout fields). */
static void
fuzz_import_save(const struct mm *mm)
{
	struct mm_sbuf b = { 0 };
	struct mm *copy = NULL;
	char msg[256];

	if (mm_save(mm, &b) < 0)
		return;
	if (mm_load(b.data, b.len, NULL, &copy, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "an imported space cannot be restored: %s\n", msg);
		abort();
	}
	mm_destroy(copy);
	mm_sbuf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum mm_layout layouts[] = { MM_LAYOUT_X86_64, MM_LAYOUT_X86_64_LEGACY,
						  MM_LAYOUT_I386 };
	enum mm_layout layout;
	struct mm *mm;

	if (size < 1)
		return 0;
	layout = layouts[data[0] % 3];
	mm = fuzz_import_text(layout, (const char *)data + 1, size - 1);
	if (!mm)
		return 0;
	fuzz_check_mm(mm, "after import", NULL);
	fuzz_import_save(mm);
	fuzz_import_again(layout, mm);
	fuzz_use_mm(mm);
	mm_destroy(mm);
	return 0;
}
