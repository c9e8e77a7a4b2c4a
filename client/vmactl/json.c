/* SPDX-License-Identifier: MIT */
/*
 * A small JSON writer for --json: one object per line.  Strings are escaped as RFC 8259
 * requires; bytes that are not valid UTF-8 (a file name may hold any bytes) become U+FFFD so
 * that the output always parses.  All state is in the writer (struct json, vmactl.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmactl.h"

/* After an error the rest of the document goes nowhere: half a document is no JSON. */
static FILE *
out(const struct json *j)
{
	return j->err ? NULL : j->f;
}

static void
put_s(const struct json *j, const char *s)
{
	if (out(j))
		fputs(s, out(j));
}

static void
put_c(const struct json *j, char c)
{
	if (out(j))
		fputc(c, out(j));
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 if it is not one. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned min;
	unsigned cp;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2, min = 0x80, cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3, min = 0x800, cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4, min = 0x10000, cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void
escape_byte(const struct json *j, unsigned char c)
{
	char u[8];

	switch (c) {
	case '"':
		put_s(j, "\\\"");
		break;
	case '\\':
		put_s(j, "\\\\");
		break;
	case '\n':
		put_s(j, "\\n");
		break;
	case '\t':
		put_s(j, "\\t");
		break;
	case '\r':
		put_s(j, "\\r");
		break;
	default:
		if (c < 0x20 || c == 0x7f) {
			snprintf(u, sizeof(u), "\\u%04x", c);
			put_s(j, u);
		} else {
			put_c(j, (char)c);
		}
	}
}

void
json_string(struct json *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	put_c(j, '"');
	while (n > 0) {
		if (*p < 0x80) {
			escape_byte(j, *p++);
			n--;
			continue;
		}
		size_t len = utf8_seq(p, n);
		if (len == 0) {
			put_s(j, "\\ufffd");
			len = 1;
		} else if (out(j)) {
			fwrite(p, 1, len, out(j));
		}
		p += len;
		n -= len;
	}
	put_c(j, '"');
}

/* Separate from the previous member and write the key, if any. */
void
json_key(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->need_comma[j->depth])
			put_c(j, ',');
		j->need_comma[j->depth] = true;
	}
	if (key) {
		json_string(j, key);
		put_c(j, ':');
	}
}

static int
json_open(struct json *j, const char *key, char bracket)
{
	json_key(j, key);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->err = -E2BIG;
		return j->err;
	}
	put_c(j, bracket);
	j->need_comma[++j->depth] = false;
	return 0;
}

/* At the top level: the line ends, and the document's fate is known. */
static int
json_close(struct json *j, char bracket)
{
	put_c(j, bracket);
	if (j->depth > 0)
		j->depth--;
	if (j->depth > 0)
		return 0;
	put_c(j, '\n');
	if (j->err)
		return j->err;
	return fflush(j->f) == 0 && !ferror(j->f) ? 0 : -EIO;
}

int
json_obj_begin(struct json *j, const char *key)
{
	return json_open(j, key, '{');
}

int
json_obj_end(struct json *j)
{
	return json_close(j, '}');
}

int
json_arr_begin(struct json *j, const char *key)
{
	return json_open(j, key, '[');
}

int
json_arr_end(struct json *j)
{
	return json_close(j, ']');
}

void
json_begin_ok(struct json *j)
{
	json_obj_begin(j, NULL);
	json_bool_field(j, "ok", true);
}

void
json_str_field(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void
json_hex_field(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	if (out(j))
		fprintf(out(j), "\"0x%llx\"", (unsigned long long)v);
}

void
json_u64_field(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	if (out(j))
		fprintf(out(j), "%llu", (unsigned long long)v);
}

void
json_bool_field(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	put_s(j, v ? "true" : "false");
}

void
json_null_field(struct json *j, const char *key)
{
	json_key(j, key);
	put_s(j, "null");
}
