/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - what the unit suites share: buffers, files, the runner
 *
 * Helpers that can fail do so through Check's assertions, so a test never
 * goes on with a half-made fixture.
 */
#ifndef FX_TEST_HELPERS_H
#define FX_TEST_HELPERS_H

#include <stddef.h>

#include <check.h>

#include <facture/facture.h>

/* A growable byte buffer, always NUL-terminated. */
struct tbuf {
	char *ptr;
	size_t len;
	size_t cap;
};
#define TBUF_INIT          \
	{                  \
		NULL, 0, 0 \
	}

void tbuf_put(struct tbuf *b, const void *data, size_t len);
void tbuf_puts(struct tbuf *b, const char *s);
void tbuf_printf(struct tbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tbuf_release(struct tbuf *b);

/* An fx_write_fn that appends to the struct tbuf given as payload. */
int tbuf_write(const char *data, size_t len, void *payload);

/* The whole content of PATH (NUL-terminated; caller frees). */
char *t_read_file(const char *path, size_t *len);
/* Write LEN bytes to PATH, replacing it. */
void t_write_file(const char *path, const void *data, size_t len);

/* A fresh private directory (caller frees the name); t_rmtree removes it
 * with everything in it. */
char *t_tmpdir(void);
void t_rmtree(const char *dir);
/* DIR/NAME (caller frees). */
char *t_path(const char *dir, const char *name);

/* FX_TEST_EXAMPLES_DIR/REL, and its content. */
char *t_example_path(const char *rel);
char *t_example(const char *rel, size_t *len);

/* ../shared/REL, or NULL when the shared data is not there. */
char *t_shared_path(const char *rel);

/* S with the first FROM replaced by TO (FROM must be there; caller frees). */
char *t_replace(const char *s, const char *from, const char *to);
/* The same for every FROM. */
char *t_replace_all(const char *s, const char *from, const char *to);
/* Number of times NEEDLE occurs in S. */
size_t t_count(const char *s, const char *needle);

/* Line and column (from 1, in bytes) where NEEDLE first starts in S. */
void t_position(const char *s, const char *needle, unsigned long *line,
		unsigned long *column);

/* UTF-8 text with only Latin-1 characters, re-encoded as ISO-8859-1. */
char *t_utf8_to_latin1(const char *s, size_t *len);
/* UTF-8 text (BMP only) as UTF-16 with a byte-order mark. */
char *t_utf8_to_utf16(const char *s, int big_endian, size_t *len);

/* A context, failing the test when it cannot be made. */
fx_ctx *t_ctx(void);
/* Options for the tests of the layers below the rules: schema only. */
extern const fx_validate_opts t_schema_only;

/* Whether Check runs each test in its own process (CK_FORK). */
int t_forking(void);

/*
 * Run SUITE (after fx_global_init) and return the exit status for main:
 * 0 when every test passed.
 */
int t_run(Suite *suite);

#endif
