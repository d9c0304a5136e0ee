/* SPDX-License-Identifier: MIT */
/*
 * pdf.h - reading PDF files: attachments and XMP metadata (Factur-X)
 *
 * Our own reader of the PDF object structure: classic cross-reference
 * tables and cross-reference streams, object streams, incremental updates,
 * and a rebuild by scanning the file when the cross-reference data is
 * damaged.  It reads what a Factur-X or ZUGFeRD invoice needs: the
 * embedded files, their file specifications, the catalog's /AF array, the
 * output intents and the XMP metadata.  Hostile input is expected: every
 * loop, depth, size and decompression is bounded.
 */
#ifndef FACTURE_PDF_H
#define FACTURE_PDF_H

#include "common.h"
#include "ctx.h"

FX_BEGIN_DECLS

typedef struct fx_pdf fx_pdf;

/*
 * Largest decoded size of a stream that is not an attachment (object and
 * cross-reference streams, metadata): a bigger one is refused as a
 * decompression bomb.  Attachments are limited by the context's maximum
 * input size (fx_ctx_set_max_size).
 */
#define FX_PDF_MAX_STRUCTURE_STREAM ((size_t) 64 * 1024 * 1024)

/*
 * Open a PDF held in memory.  The bytes are copied.  NAME is used in
 * messages (NULL gives "<memory>").  On success *out is freed with
 * fx_pdf_free.
 * Errors: FX_EPARSE (not a PDF, or damaged beyond repair: no catalog can
 * be found), FX_ETOOBIG (the file needs more memory or decompression than
 * the limits allow), FX_ENOMEM.  An encrypted PDF opens: see
 * fx_pdf_encrypted.
 */
FX_EXTERN int fx_pdf_open_memory(fx_pdf **out, fx_ctx *ctx, const char *name,
				 const void *data, size_t len);

/* The same for a file ("-" is standard input); FX_EIO when unreadable,
 * FX_ETOOBIG when larger than the context's maximum input size. */
FX_EXTERN int fx_pdf_open_file(fx_pdf **out, fx_ctx *ctx, const char *path);

/* Free a PDF and everything it handed out; NULL is allowed. */
FX_EXTERN void fx_pdf_free(fx_pdf *pdf);

/* The name given at opening. */
FX_EXTERN const char *fx_pdf_name(const fx_pdf *pdf);

/* The version in the file header ("1.7"), or "" when unreadable. */
FX_EXTERN const char *fx_pdf_version(const fx_pdf *pdf);

/* Whether the trailer has an /Encrypt dictionary.  The strings and
 * streams of an encrypted PDF cannot be read: the calls below that need
 * them fail with FX_EUNSUPPORTED. */
FX_EXTERN int fx_pdf_encrypted(const fx_pdf *pdf);

/* Whether the cross-reference data was damaged and rebuilt by scanning
 * the file for objects. */
FX_EXTERN int fx_pdf_repaired(const fx_pdf *pdf);

/* Object number of the document catalog (0 when it is not an indirect
 * object, which only a damaged file has). */
FX_EXTERN unsigned long fx_pdf_catalog_object(const fx_pdf *pdf);

/* Number of entries in the catalog's /OutputIntents array (0 when absent);
 * *pdfa is set to the number of them whose /S is /GTS_PDFA1. */
FX_EXTERN size_t fx_pdf_output_intents(const fx_pdf *pdf, size_t *pdfa);

/* Whether the catalog has an /AF (associated files) array. */
FX_EXTERN int fx_pdf_has_af(const fx_pdf *pdf);

/*
 * One embedded file, found in the /EmbeddedFiles name tree of the catalog
 * or in its /AF array.  Strings are UTF-8, owned by the PDF object; NULL
 * when the PDF does not give them.
 */
typedef struct fx_pdf_attachment {
	const char *name;	  /* /UF, else /F, else the name-tree key */
	const char *key;	  /* the name-tree key, NULL if not in it */
	const char *mime;	  /* /Subtype of the stream: "text/xml" */
	const char *relationship; /* /AFRelationship: "Alternative" */
	const char *description;  /* /Desc */
	long long declared_size;  /* /Params /Size, or -1 */
	unsigned long object;	  /* file specification object, 0: direct */
	unsigned long stream;	  /* embedded file stream object, 0: none */
	int in_names;		  /* listed in the /EmbeddedFiles name tree */
	int in_af;		  /* listed in the catalog's /AF array */
} fx_pdf_attachment;

/*
 * The attachments: those of the name tree in its order, then those that
 * are only in the catalog's /AF array.  Errors: FX_EUNSUPPORTED
 * (encrypted), FX_ETOOBIG, FX_ENOMEM.  A damaged name tree is read as far
 * as it goes.
 */
FX_EXTERN int fx_pdf_attachment_count(size_t *out, fx_ctx *ctx, fx_pdf *pdf);

/* The I-th attachment, owned by PDF; NULL past the end (or before
 * fx_pdf_attachment_count has succeeded). */
FX_EXTERN const fx_pdf_attachment *fx_pdf_attachment_get(const fx_pdf *pdf,
							 size_t i);

/*
 * The decoded bytes of the I-th attachment, owned by PDF and valid until
 * fx_pdf_free (they are decoded once).  Errors: FX_EINVALID (no such
 * attachment), FX_EPARSE (no embedded stream, or its data is damaged),
 * FX_EUNSUPPORTED (a filter we do not decode, or encryption), FX_ETOOBIG
 * (larger than the context's maximum input size), FX_ENOMEM.
 */
FX_EXTERN int fx_pdf_attachment_data(const unsigned char **out, size_t *len,
				     fx_ctx *ctx, fx_pdf *pdf, size_t i);

/*
 * The index of the attachment that is the invoice: the first of
 * factur-x.xml, zugferd-invoice.xml, ZUGFeRD-invoice.xml, xrechnung.xml,
 * order-x.xml found in the name tree, otherwise the first XML attachment
 * whose root element is an invoice (UBL, CII or ZUGFeRD 1.0).
 * Errors: FX_ENOTINVOICE (none), and those of fx_pdf_attachment_count.
 */
FX_EXTERN int fx_pdf_find_invoice(size_t *out, fx_ctx *ctx, fx_pdf *pdf);

/*
 * The XMP metadata stream of the catalog, decoded, owned by PDF.  *out is
 * NULL (and the call returns 0) when the PDF has none.  Errors: those of
 * fx_pdf_attachment_data.
 */
FX_EXTERN int fx_pdf_metadata(const unsigned char **out, size_t *len,
			      fx_ctx *ctx, fx_pdf *pdf);

/* What the XMP metadata says of PDF/A and Factur-X; NULL when absent. */
typedef struct fx_pdf_xmp {
	unsigned long object;	      /* the metadata stream object */
	const char *pdfa_part;	      /* pdfaid:part, "3" */
	const char *pdfa_conformance; /* pdfaid:conformance, "B" */
	/* the Factur-X / ZUGFeRD extension schema: its namespace URI and
	 * the prefix used in the file */
	const char *fx_namespace;
	const char *fx_prefix;
	const char *conformance_level;	/* "EN 16931", "BASIC WL" ... */
	const char *document_file_name; /* "factur-x.xml" */
	const char *document_type;	/* "INVOICE" */
	const char *version;		/* "1.0" */
} fx_pdf_xmp;

/*
 * Read the XMP metadata.  *out is owned by PDF; it is NULL (and the call
 * returns 0) when the PDF has no metadata stream.  Errors: FX_EPARSE (the
 * metadata is not well-formed XML, or cannot be decoded), and those of
 * fx_pdf_metadata.
 */
FX_EXTERN int fx_pdf_xmp_read(const fx_pdf_xmp **out, fx_ctx *ctx, fx_pdf *pdf);

/* ---- writing: Factur-X packing as an incremental update ---------- */

/* One file to embed.  NAME is the file name (/F, /UF and the name-tree
 * key); MIME the stream's /Subtype ("text/xml"; NULL gives
 * "application/octet-stream"); RELATIONSHIP the /AFRelationship name
 * (NULL gives "Unspecified"); DESCRIPTION the /Desc (NULL: none). */
typedef struct fx_pdf_embed {
	const char *name;
	const void *data;
	size_t len;
	const char *mime;
	const char *relationship;
	const char *description;
} fx_pdf_embed;

typedef struct fx_pdf_pack_opts {
	/* the PDF's name in messages (NULL gives "<memory>") */
	const char *name;
	/* the XMP Factur-X extension schema: namespace URI, and the values
	 * of fx:ConformanceLevel ("EN 16931"), fx:DocumentType (NULL gives
	 * "INVOICE") and fx:Version (NULL gives "1.0").  fx:DocumentFileName
	 * is the name of the first file.  A NULL namespace gives
	 * "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#". */
	const char *fx_namespace;
	const char *conformance_level;
	const char *document_type;
	const char *fx_version;
	/* replace an embedded invoice or a file of the same name (otherwise
	 * FX_EINVALID) */
	int replace;
	/* the date written in /ModDate and /CreationDate, in seconds since
	 * 1970 (UTC); 0 means now */
	long long time;
} fx_pdf_pack_opts;

/*
 * Embed the N FILES (FILES[0] is the invoice) into the PDF of PDF_LEN
 * bytes at PDF_DATA, as an incremental update: *out (freed by the caller
 * with free) is PDF_DATA unchanged followed by new objects — the embedded
 * file streams with /Params (/Size, /ModDate, /CheckSum), their file
 * specifications, the /EmbeddedFiles name tree (existing entries kept,
 * all sorted), the catalog's /AF array, a new XMP metadata stream
 * (PDF/A-3B identification, the Factur-X schema and its PDF/A extension
 * schema description) and, when the PDF has no PDF/A output intent, an
 * sRGB one with an ICC profile — a new cross-reference section and
 * trailer whose /Prev is the previous one.
 * Errors: FX_EPARSE (not a PDF, or damaged so that its cross-reference
 * data had to be rebuilt), FX_EUNSUPPORTED (encrypted), FX_EINVALID (N
 * is 0, a file has no name, or the PDF already has an invoice or a file
 * of the same name and OPTS->replace is 0), FX_ETOOBIG, FX_ENOMEM.
 */
FX_EXTERN int fx_pdf_pack(unsigned char **out, size_t *out_len, fx_ctx *ctx,
			  const void *pdf_data, size_t pdf_len,
			  const fx_pdf_embed *files, size_t n,
			  const fx_pdf_pack_opts *opts);

FX_END_DECLS

#endif
