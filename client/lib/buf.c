/* SPDX-License-Identifier: MIT */
/* Growable byte buffers for the socket's two directions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int
cbuf_reserve(struct cbuf *b, size_t more)
{
	if (b->off > 0 && b->off == b->len) {
		b->off = 0;
		b->len = 0;
	}
	if (b->cap - b->len >= more)
		return 0;
	/* Slide the unconsumed bytes to the front before growing. */
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->cap - b->len >= more)
			return 0;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	uint8_t *p = realloc(b->data, cap);
	if (p == NULL)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

void
cbuf_consume(struct cbuf *b, size_t n)
{
	b->off += n;
	if (b->off == b->len) {
		b->off = 0;
		b->len = 0;
	}
}

void
cbuf_free(struct cbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
