/* SPDX-License-Identifier: MIT */
/*
 * buf.c - growable byte buffers, file reading and small string helpers
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "banned.h"

int fx_buf_grow(struct fx_buf *buf, size_t extra)
{
	size_t want, cap;
	char *p;

	if (extra > SIZE_MAX - buf->len - 1)
		return FX_ENOMEM;
	want = buf->len + extra + 1;
	if (want <= buf->cap)
		return 0;
	cap = buf->cap ? buf->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = realloc(buf->ptr, cap);
	if (!p)
		return FX_ENOMEM;
	buf->ptr = p;
	buf->cap = cap;
	return 0;
}

int fx_buf_put(struct fx_buf *buf, const void *data, size_t len)
{
	int err;

	if ((err = fx_buf_grow(buf, len)) < 0)
		return err;
	if (len)
		memcpy(buf->ptr + buf->len, data, len);
	buf->len += len;
	buf->ptr[buf->len] = '\0';
	return 0;
}

int fx_buf_puts(struct fx_buf *buf, const char *s)
{
	return fx_buf_put(buf, s, strlen(s));
}

int fx_buf_vprintf(struct fx_buf *buf, const char *fmt, va_list ap)
{
	va_list copy;
	int n, err;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return FX_ERROR;
	if ((err = fx_buf_grow(buf, (size_t) n)) < 0)
		return err;
	if (vsnprintf(buf->ptr + buf->len, (size_t) n + 1, fmt, ap) != n)
		return FX_ERROR;
	buf->len += (size_t) n;
	return 0;
}

int fx_buf_printf(struct fx_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = fx_buf_vprintf(buf, fmt, ap);
	va_end(ap);
	return err;
}

void fx_buf_clear(struct fx_buf *buf)
{
	buf->len = 0;
	if (buf->ptr)
		buf->ptr[0] = '\0';
}

void fx_buf_release(struct fx_buf *buf)
{
	free(buf->ptr);
	buf->ptr = NULL;
	buf->len = buf->cap = 0;
}

char *fx_buf_detach(struct fx_buf *buf)
{
	char *s = buf->ptr;

	if (!s)
		s = calloc(1, 1);
	buf->ptr = NULL;
	buf->len = buf->cap = 0;
	return s;
}

static int read_fd(struct fx_buf *buf, fx_ctx *ctx, int fd, const char *name,
		   size_t max)
{
	char chunk[65536];
	ssize_t n;
	int err;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fx_ctx__error(ctx, FX_EIO,
					     "cannot read '%s': %s", name,
					     strerror(errno));
		if (n == 0)
			return 0;
		if ((size_t) n > max - buf->len || buf->len > max)
			return fx_ctx__error(
				ctx, FX_ETOOBIG,
				"'%s' is larger than the limit of %zu bytes",
				name, max);
		if ((err = fx_buf_put(buf, chunk, (size_t) n)) < 0)
			return fx_ctx__error(
				ctx, err, "out of memory reading '%s'", name);
	}
}

int fx_buf_read_file(struct fx_buf *buf, fx_ctx *ctx, const char *path,
		     size_t max)
{
	struct stat st;
	int fd, err;

	if (!strcmp(path, "-"))
		return read_fd(buf, ctx, STDIN_FILENO, "<stdin>", max);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fx_ctx__error(ctx, FX_EIO, "cannot open '%s': %s", path,
				     strerror(errno));
	if (fstat(fd, &st) < 0) {
		err = fx_ctx__error(ctx, FX_EIO, "cannot stat '%s': %s", path,
				    strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = fx_ctx__error(ctx, FX_EIO, "cannot read '%s': %s", path,
				    strerror(EISDIR));
		goto out;
	}
	if (S_ISREG(st.st_mode) && (unsigned long long) st.st_size > max) {
		err = fx_ctx__error(
			ctx, FX_ETOOBIG,
			"'%s' is larger than the limit of %zu bytes "
			"(%lld bytes)",
			path, max, (long long) st.st_size);
		goto out;
	}
	if (S_ISREG(st.st_mode) &&
	    (err = fx_buf_grow(buf, (size_t) st.st_size)) < 0) {
		err = fx_ctx__error(ctx, err, "out of memory reading '%s'",
				    path);
		goto out;
	}
	err = read_fd(buf, ctx, fd, path, max);
out:
	close(fd);
	return err;
}

char *fx_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *fx_strdup(const char *s)
{
	return s ? fx_strndup(s, strlen(s)) : NULL;
}
