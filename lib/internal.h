/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the library's files share but do not export
 */
#ifndef FX_INTERNAL_H
#define FX_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "facture/facture.h"

#define FX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define FX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define FX_PRINTF(f, a)
#endif

/* A growable byte buffer, always NUL-terminated once anything is in it. */
struct fx_buf {
	char *ptr;
	size_t len;
	size_t cap;
};
#define FX_BUF_INIT        \
	{                  \
		NULL, 0, 0 \
	}

int fx_buf_grow(struct fx_buf *buf, size_t extra);
int fx_buf_put(struct fx_buf *buf, const void *data, size_t len);
int fx_buf_puts(struct fx_buf *buf, const char *s);
int fx_buf_printf(struct fx_buf *buf, const char *fmt, ...) FX_PRINTF(2, 3);
int fx_buf_vprintf(struct fx_buf *buf, const char *fmt, va_list ap)
	FX_PRINTF(2, 0);
void fx_buf_clear(struct fx_buf *buf);
void fx_buf_release(struct fx_buf *buf);
/* Take the string out of the buffer (caller frees); "" when empty. */
char *fx_buf_detach(struct fx_buf *buf);

/*
 * Read a whole file ("-" is standard input) into BUF, refusing more than
 * MAX bytes (FX_ETOOBIG).  Errors are set on CTX.
 */
int fx_buf_read_file(struct fx_buf *buf, fx_ctx *ctx, const char *path,
		     size_t max);

char *fx_strdup(const char *s);
char *fx_strndup(const char *s, size_t n);

/* Errors on a context: set, with position, and clear. */
int fx_ctx__error(fx_ctx *ctx, int code, const char *fmt, ...) FX_PRINTF(3, 4);
int fx_ctx__error_at(fx_ctx *ctx, int code, const char *file,
		     unsigned long line, unsigned long column, const char *fmt,
		     ...) FX_PRINTF(6, 7);
void fx_ctx__clear_error(fx_ctx *ctx);

/* Process-wide: the embedded resources and the XML entity loader. */
int fx_resource__find(const char *path, const unsigned char **data,
		      size_t *len);
/* The URI under which a resource path ("xsd/cii/cii.xsd") is served. */
int fx_resource__uri(struct fx_buf *out, const char *path);
const char *fx_global__data_dir(void);
int fx_global__ensure_init(void);

/* Conventional prefix for a namespace we know ("cbc", "ram"), or NULL. */
const char *fx_ns__prefix(const char *ns);

/*
 * fx_doc_load_file and fx_doc_load_memory, and when they fail with
 * FX_EPARSE on XML that is not well-formed, *BROKEN (if BROKEN is not
 * NULL) is a document with no tree and no bytes, for the report only: its
 * syntax, root name and namespace are those of the root start tag when the
 * parse read it whole (FX_SYNTAX_UNKNOWN and NULL otherwise).  The caller
 * frees it; *BROKEN is NULL after every other outcome.
 */
int fx_doc__load_file(fx_doc **out, fx_doc **broken, fx_ctx *ctx,
		      const char *path);
int fx_doc__load_memory(fx_doc **out, fx_doc **broken, fx_ctx *ctx,
			const char *name, const void *data, size_t len);

/* Documents: the libxml2 tree behind an XML document (xmlDocPtr). */
void *fx_doc__xml(const fx_doc *doc);
const char *fx_doc__bytes(const fx_doc *doc, size_t *len);
/* Column of the start tag of NODE, found in the source bytes; 0 if none. */
unsigned long fx_doc__column(const fx_doc *doc, const void *node);
/* Line and column of the root element's start tag (0 when unknown). */
void fx_doc__root_position(const fx_doc *doc, unsigned long *line,
			   unsigned long *column);
/* The path of NODE with conventional prefixes: /Invoice/cac:InvoiceLine[2]. */
int fx_doc__xpath(struct fx_buf *out, const void *node);

/* Schema layer: validate DOC into REPORT. */
int fx_schema__validate(fx_report *report, fx_ctx *ctx, const fx_doc *doc);
void fx_schema__cleanup(void);
/* Whether any schema was compiled (or failed to) in this process. */
int fx_schema__compiled(void);

/* Rules layer: the fx: functions, and validating DOC into REPORT. */
int fx_rules__init(void);
void fx_rules__cleanup(void);
int fx_rules__validate(fx_report *report, fx_ctx *ctx, const fx_doc *doc);

/* Report internals used by validate.c. */
void fx_report__set_doc(fx_report *report, const fx_doc *doc);
/* The profile of a report whose document holds another (a PDF's invoice). */
int fx_report__set_profile(fx_report *report, fx_profile profile,
			   const char *id);
int fx_report__addf(fx_report *report, fx_severity severity, fx_layer layer,
		    const char *rule, unsigned long line, unsigned long column,
		    const char *xpath, const char *fmt, ...) FX_PRINTF(8, 9);

#endif
