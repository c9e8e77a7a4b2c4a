/* SPDX-License-Identifier: MIT */
/*
 * A small JSON writer for --json: one object per line on stdout.  Strings are escaped as
 * RFC 8259 requires; bytes that are not valid UTF-8 (a file name may hold any bytes) become
 * U+FFFD so that the output always parses.
 */
#include <stdio.h>
#include <string.h>

#include "vmactl.h"

#define JSON_MAX_DEPTH 8

static FILE *js;
static int depth;
static bool need_comma[JSON_MAX_DEPTH];

void
json_set_stream(FILE *f)
{
	js = f;
}

static FILE *
out(void)
{
	return js ? js : stdout;
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
escape_byte(unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", out());
		break;
	case '\\':
		fputs("\\\\", out());
		break;
	case '\n':
		fputs("\\n", out());
		break;
	case '\t':
		fputs("\\t", out());
		break;
	case '\r':
		fputs("\\r", out());
		break;
	default:
		if (c < 0x20 || c == 0x7f)
			fprintf(out(), "\\u%04x", c);
		else
			fputc(c, out());
	}
}

void
json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	fputc('"', out());
	while (n > 0) {
		if (*p < 0x80) {
			escape_byte(*p++);
			n--;
			continue;
		}
		size_t len = utf8_seq(p, n);
		if (len == 0) {
			fputs("\\ufffd", out());
			len = 1;
		} else {
			fwrite(p, 1, len, out());
		}
		p += len;
		n -= len;
	}
	fputc('"', out());
}

/* Separate from the previous member and write the key, if any. */
void
json_key(const char *key)
{
	if (depth > 0) {
		if (need_comma[depth])
			fputc(',', out());
		need_comma[depth] = true;
	}
	if (key) {
		json_string(key);
		fputc(':', out());
	}
}

static void
json_open(const char *key, char bracket)
{
	json_key(key);
	fputc(bracket, out());
	if (depth + 1 < JSON_MAX_DEPTH)
		depth++;
	need_comma[depth] = false;
}

static void
json_close(char bracket)
{
	fputc(bracket, out());
	if (depth > 0)
		depth--;
	if (depth == 0) {
		fputc('\n', out());
		fflush(out());
	}
}

void
json_obj_begin(const char *key)
{
	json_open(key, '{');
}

void
json_obj_end(void)
{
	json_close('}');
}

void
json_arr_begin(const char *key)
{
	json_open(key, '[');
}

void
json_arr_end(void)
{
	json_close(']');
}

void
json_begin_ok(void)
{
	json_obj_begin(NULL);
	json_bool_field("ok", true);
}

void
json_str_field(const char *key, const char *s)
{
	json_key(key);
	json_string(s);
}

void
json_hex_field(const char *key, uint64_t v)
{
	json_key(key);
	fprintf(out(), "\"0x%llx\"", (unsigned long long)v);
}

void
json_u64_field(const char *key, uint64_t v)
{
	json_key(key);
	fprintf(out(), "%llu", (unsigned long long)v);
}

void
json_i64_field(const char *key, int64_t v)
{
	json_key(key);
	fprintf(out(), "%lld", (long long)v);
}

void
json_bool_field(const char *key, bool v)
{
	json_key(key);
	fputs(v ? "true" : "false", out());
}

void
json_null_field(const char *key)
{
	json_key(key);
	fputs("null", out());
}
