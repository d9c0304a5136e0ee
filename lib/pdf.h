/* SPDX-License-Identifier: MIT */
/*
 * pdf.h - the PDF object model shared by the reader (pdf.c), the Factur-X
 * checks (pdfcheck.c) and, later, the incremental-update writer
 *
 * Objects live in an arena owned by the fx_pdf and die with it.  Strings
 * and names are decoded (escapes, #xx) and NUL-terminated; a string may
 * hold NUL bytes before its length.
 */
#ifndef FX_PDF_PRIVATE_H
#define FX_PDF_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

enum pdf_type {
	PDF_NULL = 0,
	PDF_BOOL,
	PDF_INT,
	PDF_REAL,
	PDF_STRING,
	PDF_NAME,
	PDF_ARRAY,
	PDF_DICT,
	PDF_REF,
	PDF_STREAM
};

struct pdf_obj;

struct pdf_pair {
	const char *key; /* a name, without its slash */
	struct pdf_obj *value;
};

struct pdf_obj {
	enum pdf_type type;
	union {
		int boolean;
		long long integer;
		double real;
		struct {
			const char *ptr;
			size_t len;
		} str; /* PDF_STRING and PDF_NAME */
		struct {
			struct pdf_obj **items;
			size_t len;
		} array;
		struct {
			struct pdf_pair *items;
			size_t len;
		} dict;
		struct {
			uint32_t num;
			uint32_t gen;
		} ref;
		struct {
			struct pdf_obj *dict;
			size_t offset; /* of the first data byte in the file */
			size_t length; /* raw length, once known */
			int length_known;
			uint32_t num; /* the object it is */
		} stream;
	} u;
};

/*
 * Follow references (a bounded chain) to a direct object.  Never NULL: a
 * missing, damaged or cyclic object reads as the null object, as the PDF
 * specification says.  Hard failures (memory, limits) are kept in PDF and
 * returned by fx_pdf__failed.
 */
struct pdf_obj *fx_pdf__resolve(fx_pdf *pdf, struct pdf_obj *obj);
/* Indirect object NUM, resolved; the null object when there is none. */
struct pdf_obj *fx_pdf__object(fx_pdf *pdf, uint32_t num);
/* DICT[KEY] resolved; DICT may be a stream (its dictionary is used). */
struct pdf_obj *fx_pdf__get(fx_pdf *pdf, struct pdf_obj *dict, const char *key);
/* DICT[KEY] as stored: a reference stays a reference (NULL if absent). */
struct pdf_obj *fx_pdf__get_raw(struct pdf_obj *dict, const char *key);
/* Whether OBJ is the name NAME. */
int fx_pdf__is_name(const struct pdf_obj *obj, const char *name);

/* The trailer dictionary (the newest), and the catalog. */
struct pdf_obj *fx_pdf__trailer(fx_pdf *pdf);
struct pdf_obj *fx_pdf__catalog(fx_pdf *pdf);

/*
 * Decode stream STREAM (a PDF_STREAM) through its filters into OUT,
 * refusing more than LIMIT decoded bytes.  Errors are set on the PDF's
 * context: FX_EPARSE, FX_EUNSUPPORTED, FX_ETOOBIG, FX_ENOMEM.
 */
int fx_pdf__decode(struct fx_buf *out, fx_pdf *pdf, struct pdf_obj *stream,
		   size_t limit);

/* A text string (PDFDocEncoding, UTF-16BE or UTF-8 with a BOM) as UTF-8,
 * allocated in the PDF's arena; NULL for anything but a string. */
const char *fx_pdf__text(fx_pdf *pdf, const struct pdf_obj *obj);

/* The first hard failure (FX_ENOMEM, FX_ETOOBIG), or 0. */
int fx_pdf__failed(const fx_pdf *pdf);

/* Use CTX for the errors of the next calls on PDF. */
void fx_pdf__set_ctx(fx_pdf *pdf, fx_ctx *ctx);

/*
 * Open a PDF over bytes the caller keeps alive and unchanged until
 * fx_pdf_free (no copy).  As fx_pdf_open_memory otherwise.
 */
int fx_pdf__open_borrowed(fx_pdf **out, fx_ctx *ctx, const char *name,
			  const void *data, size_t len);

/* The pdf layer of fx_validate for a PDF document (pdfcheck.c). */
int fx_pdf__validate(fx_report *report, fx_ctx *ctx, const fx_doc *doc,
		     const fx_validate_opts *opts);

#endif
