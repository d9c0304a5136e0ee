/* SPDX-License-Identifier: MIT */
/*
 * ctx.c - contexts, their errors, and the library's process-wide state
 *
 * Process-wide state is small: whether libxml2 is initialised, the data
 * directory that overrides the embedded resources, and the entity loader
 * that serves those resources and refuses every other URL.  Installing
 * that loader is what keeps every parse of ours off the network and the
 * file system.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxslt/xslt.h>

#include "internal.h"
#include "banned.h"

#define FX_URI_SCHEME "facture-data:/"

struct fx_ctx {
	size_t max_size;
	fx_error error;
	struct fx_buf message;
	char *error_file;
};

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static int global_ready;
static char *global_data_dir;
static xmlExternalEntityLoader default_loader;

/*
 * The only way into resources: facture-data:/<path> URIs, served from the
 * embedded set or from the data directory.  Anything else (http:, file:,
 * a DTD next to a hostile document) is refused.
 */
static xmlParserInputPtr resource_loader(const char *url, const char *id,
					 xmlParserCtxtPtr pctxt)
{
	const unsigned char *data;
	const char *path;
	xmlParserInputBufferPtr in;
	xmlParserInputPtr input;
	size_t len;

	(void) id;
	if (!url || strncmp(url, FX_URI_SCHEME, strlen(FX_URI_SCHEME)) != 0)
		return NULL;
	path = url + strlen(FX_URI_SCHEME);
	while (*path == '/')
		path++;
	if (strstr(path, ".."))
		return NULL;

	input = NULL;
	if (global_data_dir) {
		/* a file of the data directory overrides the embedded one */
		struct fx_buf file = FX_BUF_INIT;

		if (fx_buf_printf(&file, "%s/%s", global_data_dir, path) < 0)
			return NULL;
		if (access(file.ptr, F_OK) == 0)
			input = xmlNewInputFromFile(pctxt, file.ptr);
		fx_buf_release(&file);
	}
	if (!input) {
		if (fx_resource__find(path, &data, &len) < 0 || len > INT32_MAX)
			return NULL;
		in = xmlParserInputBufferCreateMem(
			(const char *) data, (int) len, XML_CHAR_ENCODING_NONE);
		if (!in)
			return NULL;
		input = xmlNewIOInputStream(pctxt, in, XML_CHAR_ENCODING_NONE);
		if (!input) {
			xmlFreeParserInputBuffer(in);
			return NULL;
		}
	}
	if (input) {
		/* the base for relative includes stays in our scheme */
		xmlFree((char *) input->filename);
		input->filename = (char *) xmlStrdup((const xmlChar *) url);
	}
	return input;
}

int fx_resource__uri(struct fx_buf *out, const char *path)
{
	return fx_buf_printf(out, "%s%s", FX_URI_SCHEME, path);
}

/* libxml2 reports through the context handlers we set; this keeps the
 * generic ones from writing to stderr. */
static void silent_error(void *ctx, const char *msg, ...)
{
	(void) ctx;
	(void) msg;
}

static void silent_structured_error(void *ctx, xmlErrorPtr err)
{
	(void) ctx;
	(void) err;
}

int fx_global_init(void)
{
	int err = 0;

	pthread_mutex_lock(&global_lock);
	if (!global_ready) {
		xmlInitParser();
		default_loader = xmlGetExternalEntityLoader();
		xmlSetExternalEntityLoader(resource_loader);
		xmlSetGenericErrorFunc(NULL, silent_error);
		xmlSetStructuredErrorFunc(NULL, silent_structured_error);
		if ((err = fx_rules__init()) == 0)
			global_ready = 1;
	}
	pthread_mutex_unlock(&global_lock);
	return err;
}

int fx_global__ensure_init(void)
{
	/* workers inherit the generic handlers per thread: set them again */
	xmlSetGenericErrorFunc(NULL, silent_error);
	xmlSetStructuredErrorFunc(NULL, silent_structured_error);
	return global_ready ? 0 : fx_global_init();
}

void fx_global_shutdown(void)
{
	pthread_mutex_lock(&global_lock);
	if (global_ready) {
		fx_schema__cleanup();
		fx_rules__cleanup();
		xsltCleanupGlobals();
		xmlSetExternalEntityLoader(default_loader);
		xmlCleanupParser();
		global_ready = 0;
	}
	free(global_data_dir);
	global_data_dir = NULL;
	pthread_mutex_unlock(&global_lock);
}

int fx_global_set_data_dir(const char *dir)
{
	char *copy = NULL;

	/* workers may hold compiled schemas: the set cannot change under them
	 */
	if (fx_schema__compiled())
		return FX_EINVALID;
	if (dir && !(copy = fx_strdup(dir)))
		return FX_ENOMEM;
	pthread_mutex_lock(&global_lock);
	free(global_data_dir);
	global_data_dir = copy;
	pthread_mutex_unlock(&global_lock);
	return 0;
}

const char *fx_global__data_dir(void)
{
	return global_data_dir;
}

int fx_ctx_new(fx_ctx **out)
{
	fx_ctx *ctx;

	*out = NULL;
	if (!(ctx = calloc(1, sizeof(*ctx))))
		return FX_ENOMEM;
	ctx->max_size = FX_DEFAULT_MAX_SIZE;
	ctx->error.message = "";
	*out = ctx;
	return 0;
}

void fx_ctx_free(fx_ctx *ctx)
{
	if (!ctx)
		return;
	fx_buf_release(&ctx->message);
	free(ctx->error_file);
	free(ctx);
}

void fx_ctx_set_max_size(fx_ctx *ctx, size_t max)
{
	ctx->max_size = max;
}

size_t fx_ctx_max_size(const fx_ctx *ctx)
{
	return ctx->max_size;
}

const fx_error *fx_ctx_last_error(const fx_ctx *ctx)
{
	return &ctx->error;
}

void fx_ctx__clear_error(fx_ctx *ctx)
{
	fx_buf_clear(&ctx->message);
	free(ctx->error_file);
	ctx->error_file = NULL;
	ctx->error.code = FX_OK;
	ctx->error.message = "";
	ctx->error.file = NULL;
	ctx->error.line = ctx->error.column = 0;
}

static int set_error(fx_ctx *ctx, int code, const char *file,
		     unsigned long line, unsigned long column, const char *fmt,
		     va_list ap) FX_PRINTF(6, 0);

static int set_error(fx_ctx *ctx, int code, const char *file,
		     unsigned long line, unsigned long column, const char *fmt,
		     va_list ap)
{
	fx_ctx__clear_error(ctx);
	if (fx_buf_vprintf(&ctx->message, fmt, ap) < 0)
		fx_buf_clear(&ctx->message);
	ctx->error_file = fx_strdup(file);
	ctx->error.code = code;
	ctx->error.message = ctx->message.ptr ? ctx->message.ptr : "";
	ctx->error.file = ctx->error_file;
	ctx->error.line = line;
	ctx->error.column = column;
	return code;
}

int fx_ctx__error(fx_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(ctx, code, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return code;
}

int fx_ctx__error_at(fx_ctx *ctx, int code, const char *file,
		     unsigned long line, unsigned long column, const char *fmt,
		     ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(ctx, code, file, line, column, fmt, ap);
	va_end(ap);
	return code;
}

const char *fx_error_name(int code)
{
	switch (code) {
	case FX_OK: return "ok";
	case FX_ENOMEM: return "out of memory";
	case FX_EIO: return "i/o";
	case FX_EPARSE: return "parse";
	case FX_ETOOBIG: return "too big";
	case FX_EUNSUPPORTED: return "unsupported";
	case FX_ENOTINVOICE: return "not an invoice";
	case FX_EINVALID: return "invalid argument";
	case FX_EKEY: return "key";
	case FX_ENET: return "network";
	case FX_EINTERNAL: return "internal";
	default: return "error";
	}
}
