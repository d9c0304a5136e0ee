/* SPDX-License-Identifier: MIT */
/*
 * helpers.c - fixtures and the runner shared by the unit suites
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

void tbuf_put(struct tbuf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + len + 1)
			cap *= 2;
		b->ptr = realloc(b->ptr, cap);
		ck_assert_ptr_nonnull(b->ptr);
		b->cap = cap;
	}
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void tbuf_puts(struct tbuf *b, const char *s)
{
	tbuf_put(b, s, strlen(s));
}

void tbuf_printf(struct tbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	tbuf_put(b, s, (size_t) n);
	free(s);
}

void tbuf_release(struct tbuf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

int tbuf_write(const char *data, size_t len, void *payload)
{
	tbuf_put(payload, data, len);
	return 0;
}

char *t_read_file(const char *path, size_t *len)
{
	struct tbuf b = TBUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	ck_assert_msg(fd >= 0, "cannot open '%s': %s", path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		tbuf_put(&b, chunk, (size_t) n);
	ck_assert_msg(n == 0, "cannot read '%s': %s", path, strerror(errno));
	close(fd);
	tbuf_put(&b, "", 0);
	if (len)
		*len = b.len;
	return b.ptr;
}

void t_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "cannot create '%s': %s", path,
		      strerror(errno));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

char *t_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = NULL;

	ck_assert_int_ge(asprintf(&dir, "%s/fx-unit-XXXXXX",
				  base && *base ? base : "/tmp"),
			 0);
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
	return dir;
}

void t_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *p;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = t_path(dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			t_rmtree(p);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

char *t_path(const char *dir, const char *name)
{
	char *p = NULL;

	/* also used outside tests, where Check cannot report */
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

char *t_example_path(const char *rel)
{
	return t_path(FX_TEST_EXAMPLES_DIR, rel);
}

char *t_example(const char *rel, size_t *len)
{
	char *path = t_example_path(rel);
	char *s = t_read_file(path, len);

	free(path);
	return s;
}

char *t_shared_path(const char *rel)
{
	char *p = t_path(FX_TEST_SHARED_DIR, rel);
	struct stat st;

	if (stat(p, &st) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

char *t_replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	struct tbuf b = TBUF_INIT;

	ck_assert_msg(at != NULL, "'%s' is not in the text", from);
	tbuf_put(&b, s, (size_t) (at - s));
	tbuf_puts(&b, to);
	tbuf_puts(&b, at + strlen(from));
	return b.ptr;
}

char *t_replace_all(const char *s, const char *from, const char *to)
{
	struct tbuf b = TBUF_INIT;
	const char *at;

	while ((at = strstr(s, from))) {
		tbuf_put(&b, s, (size_t) (at - s));
		tbuf_puts(&b, to);
		s = at + strlen(from);
	}
	tbuf_puts(&b, s);
	return b.ptr;
}

size_t t_count(const char *s, const char *needle)
{
	size_t n = 0;

	while (s && (s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

void t_position(const char *s, const char *needle, unsigned long *line,
		unsigned long *column)
{
	const char *at = strstr(s, needle), *p, *bol = s;

	ck_assert_msg(at != NULL, "'%s' is not in the text", needle);
	*line = 1;
	for (p = s; p < at; p++) {
		if (*p == '\n') {
			(*line)++;
			bol = p + 1;
		}
	}
	*column = (unsigned long) (at - bol) + 1;
}

char *t_utf8_to_latin1(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *) s;
	struct tbuf b = TBUF_INIT;

	while (*p) {
		unsigned char c = *p;

		if (c < 0x80) {
			tbuf_put(&b, p, 1);
			p++;
			continue;
		}
		ck_assert_msg((c == 0xC2 || c == 0xC3) && (p[1] & 0xC0) == 0x80,
			      "a character outside Latin-1");
		c = (unsigned char) (((c & 0x03) << 6) | (p[1] & 0x3F));
		tbuf_put(&b, &c, 1);
		p += 2;
	}
	tbuf_put(&b, "", 0);
	*len = b.len;
	return b.ptr;
}

char *t_utf8_to_utf16(const char *s, int big_endian, size_t *len)
{
	const unsigned char *p = (const unsigned char *) s;
	struct tbuf b = TBUF_INIT;
	unsigned int cp = 0xFEFF;

	for (;;) {
		unsigned char u[2];

		u[big_endian ? 0 : 1] = (unsigned char) (cp >> 8);
		u[big_endian ? 1 : 0] = (unsigned char) (cp & 0xFF);
		tbuf_put(&b, u, 2);
		if (!*p)
			break;
		if (*p < 0x80) {
			cp = *p++;
		} else if ((*p & 0xE0) == 0xC0) {
			cp = ((unsigned int) (p[0] & 0x1F) << 6) |
			     (p[1] & 0x3F);
			p += 2;
		} else {
			ck_assert_msg((*p & 0xF0) == 0xE0,
				      "a character outside the BMP");
			cp = ((unsigned int) (p[0] & 0x0F) << 12) |
			     ((unsigned int) (p[1] & 0x3F) << 6) |
			     (p[2] & 0x3F);
			p += 3;
		}
	}
	*len = b.len;
	return b.ptr;
}

const fx_validate_opts t_schema_only = { FX_VALIDATE_OPTS_VERSION, 1,
					 FX_RULES_NONE, 0 };

fx_ctx *t_ctx(void)
{
	fx_ctx *ctx = NULL;

	ck_assert_int_eq(fx_ctx_new(&ctx), 0);
	ck_assert_ptr_nonnull(ctx);
	return ctx;
}

int t_forking(void)
{
	/* what Check itself looks at */
	const char *e = getenv("CK_FORK");

	return !(e && !strcmp(e, "no"));
}

int t_run(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	if (fx_global_init() != 0) {
		fprintf(stderr, "fx_global_init failed\n");
		return 1;
	}
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	fx_global_shutdown();
	return failed ? 1 : 0;
}
