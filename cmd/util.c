/* SPDX-License-Identifier: MIT */
/*
 * util.c - small helpers of the program: messages, exit codes, options,
 * atomic output files
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("facture: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_exit_for_error(int code)
{
	switch (code) {
	case FX_OK: return EXIT_VALID;
	case FX_EIO:
	case FX_EPARSE:
	case FX_ETOOBIG:
	case FX_EUNSUPPORTED:
	case FX_ENOTINVOICE: return EXIT_IO;
	case FX_EINVALID: return EXIT_USAGE;
	case FX_EKEY: return EXIT_KEY;
	case FX_ENET: return EXIT_NETWORK;
	default: return EXIT_INTERNAL;
	}
}

int cli_parse_uint(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int cli_text_or_json(const char *arg, int *json)
{
	if (!strcmp(arg, "json") || !strcmp(arg, "text")) {
		*json = !strcmp(arg, "json");
		return 0;
	}
	cli_error("unknown format '%s': use text or json", arg);
	return EXIT_USAGE;
}

int cli_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v, mult = 1;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k':
	case 'K':
		mult = 1024ULL;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1024ULL * 1024;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1024ULL * 1024 * 1024;
		end++;
		break;
	default: return -1;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v == 0 || v > SIZE_MAX / mult)
		return -1;
	*out = (size_t) (v * mult);
	return 0;
}

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int cli_color(const char *when, FILE *stream)
{
	const char *term = getenv("TERM");

	if (!when || !strcmp(when, "auto")) {
		const char *no = getenv("NO_COLOR");

		if (no && *no)
			return 0;
		return isatty(fileno(stream)) &&
		       !(term && !strcmp(term, "dumb"));
	}
	if (!strcmp(when, "always"))
		return 1;
	if (!strcmp(when, "never"))
		return 0;
	return -1;
}

int cli_usage(const char *usage, int status)
{
	fputs(usage, status == EXIT_VALID ? stdout : stderr);
	return status;
}

int cli_output_open(struct cli_output *out, const char *path)
{
	const char *slash;
	struct stat st;
	mode_t mask;
	int fd;

	memset(out, 0, sizeof(*out));
	if (!path || !strcmp(path, "-")) {
		out->fp = stdout;
		return 0;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* a device or a pipe: nothing to replace, write to it */
		if (!(out->fp = fopen(path, "w"))) {
			cli_error("cannot write '%s': %s", path,
				  strerror(errno));
			return FX_EIO;
		}
		if (!(out->path = strdup(path))) {
			fclose(out->fp);
			out->fp = NULL;
			return FX_ENOMEM;
		}
		return 0;
	}
	slash = strrchr(path, '/');
	if (!(out->path = strdup(path)))
		return FX_ENOMEM;
	/* beside the target, so that rename() stays on one file system */
	if (asprintf(&out->tmp, "%.*s%s.%s.tmpXXXXXX",
		     slash ? (int) (slash - path + 1) : 0, path, "",
		     slash ? slash + 1 : path) < 0) {
		out->tmp = NULL;
		goto fail;
	}
	if ((fd = mkstemp(out->tmp)) < 0) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	/* mkstemp makes it private; give it the mode a new file would have */
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	if (!(out->fp = fdopen(fd, "w"))) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		close(fd);
		unlink(out->tmp);
		goto fail;
	}
	return 0;
fail:
	free(out->path);
	free(out->tmp);
	memset(out, 0, sizeof(*out));
	return FX_EIO;
}

int cli_output_commit(struct cli_output *out)
{
	const char *name = out->path ? out->path : "the output";
	int err = 0;

	if (!out->fp)
		return FX_EIO;
	if (out->fp == stdout) {
		out->fp = NULL;
		return 0;
	}
	/* fsync only what we rename: a device may not support it */
	if (fflush(out->fp) != 0 || ferror(out->fp) ||
	    (out->tmp && fsync(fileno(out->fp)) < 0)) {
		cli_error("cannot write '%s': %s", name, strerror(errno));
		err = FX_EIO;
	}
	if (fclose(out->fp) != 0 && !err) {
		cli_error("cannot write '%s': %s", name, strerror(errno));
		err = FX_EIO;
	}
	out->fp = NULL;
	if (!err && out->tmp && rename(out->tmp, out->path) < 0) {
		cli_error("cannot write '%s': %s", out->path, strerror(errno));
		err = FX_EIO;
	}
	if (err && out->tmp)
		unlink(out->tmp);
	free(out->path);
	free(out->tmp);
	out->path = out->tmp = NULL;
	return err;
}

void cli_output_abort(struct cli_output *out)
{
	if (out->fp && out->fp != stdout) {
		fclose(out->fp);
		if (out->tmp)
			unlink(out->tmp);
	}
	free(out->path);
	free(out->tmp);
	memset(out, 0, sizeof(*out));
}

int cli_read_file(const char *path, size_t max, char **out, size_t *len)
{
	FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *d = NULL, *p;
	size_t n = 0, cap = 0, got;
	int err = 0;

	*out = NULL;
	*len = 0;
	if (!fp)
		return errno;
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 262144;
			if (!(p = realloc(d, cap + 1))) {
				err = ENOMEM;
				break;
			}
			d = p;
		}
		got = fread(d + n, 1, cap - n, fp);
		n += got;
		if (max && n > max)
			err = EFBIG;
	} while (got && !err);
	if (!err && ferror(fp))
		err = errno ? errno : EIO;
	if (fp != stdin)
		fclose(fp);
	if (err) {
		free(d);
		return err;
	}
	if (!d && !(d = malloc(1)))
		return ENOMEM;
	d[n] = '\0';
	*out = d;
	*len = n;
	return 0;
}

/* ---- JSON in the house style ------------------------------------------- */

/* A scalar, or an object key, as JSON text. */
static void json_scalar(FILE *fp, const cJSON *item)
{
	char *text = cJSON_PrintUnformatted(item);

	if (text) {
		fputs(text, fp);
		cJSON_free(text);
	}
}

static void json_key(FILE *fp, const char *key)
{
	cJSON *k = cJSON_CreateStringReference(key ? key : "");

	if (k) {
		json_scalar(fp, k);
		cJSON_Delete(k);
	}
	fputs(": ", fp);
}

/* ITEM on one line, with ": " and ", " as the other reports have them. */
static void json_compact(FILE *fp, const cJSON *item)
{
	const cJSON *child;

	if (!cJSON_IsArray(item) && !cJSON_IsObject(item)) {
		json_scalar(fp, item);
		return;
	}
	fputc(cJSON_IsArray(item) ? '[' : '{', fp);
	for (child = item->child; child; child = child->next) {
		if (cJSON_IsObject(item))
			json_key(fp, child->string);
		json_compact(fp, child);
		if (child->next)
			fputs(", ", fp);
	}
	fputc(cJSON_IsArray(item) ? ']' : '}', fp);
}

static size_t json_width(const cJSON *item)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return SIZE_MAX;
	json_compact(mem, item);
	fclose(mem);
	free(text);
	return len;
}

/* ITEM starting at column COL of a line indented by INDENT: on one line
 * when it fits in 80 columns, else one member per line. */
static void json_pretty(FILE *fp, const cJSON *item, int indent, size_t col)
{
	const cJSON *child;

	if ((!cJSON_IsArray(item) && !cJSON_IsObject(item)) || !item->child ||
	    col + json_width(item) <= 80) {
		json_compact(fp, item);
		return;
	}
	fputs(cJSON_IsArray(item) ? "[\n" : "{\n", fp);
	for (child = item->child; child; child = child->next) {
		size_t at = (size_t) indent + 2;

		fprintf(fp, "%*s", indent + 2, "");
		if (cJSON_IsObject(item)) {
			json_key(fp, child->string);
			at += strlen(child->string ? child->string : "") + 4;
		}
		json_pretty(fp, child, indent + 2, at);
		fputs(child->next ? ",\n" : "\n", fp);
	}
	fprintf(fp, "%*s%c", indent, "", cJSON_IsArray(item) ? ']' : '}');
}

int cli_print_json(FILE *fp, const cJSON *root)
{
	json_pretty(fp, root, 0, 0);
	fputc('\n', fp);
	return ferror(fp) ? -1 : 0;
}
