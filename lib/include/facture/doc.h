/* SPDX-License-Identifier: MIT */
/*
 * doc.h - loading an invoice and telling what it is
 *
 * Inputs are recognised by their content, never by their name.  XML is
 * parsed with no network access, no DTD loading and no entity expansion,
 * under a size limit and libxml2's depth limit.
 */
#ifndef FACTURE_DOC_H
#define FACTURE_DOC_H

#include "common.h"
#include "ctx.h"

FX_BEGIN_DECLS

typedef struct fx_doc fx_doc;

typedef enum fx_syntax {
	FX_SYNTAX_UNKNOWN = 0,	  /* not XML, and no other format we know */
	FX_SYNTAX_UBL_INVOICE,	  /* OASIS UBL 2.1 Invoice */
	FX_SYNTAX_UBL_CREDITNOTE, /* OASIS UBL 2.1 CreditNote */
	FX_SYNTAX_CII,		  /* UN/CEFACT CII D16B CrossIndustryInvoice */
	FX_SYNTAX_ZUGFERD1,	  /* ZUGFeRD 1.0 CrossIndustryDocument */
	FX_SYNTAX_PDF,		  /* a PDF file (by its magic bytes) */
	FX_SYNTAX_ZIP,		  /* a zip archive (by its magic bytes) */
	FX_SYNTAX_OTHER_XML	  /* well-formed XML with another root */
} fx_syntax;

/* The specification identifier (BT-24) as far as we recognise it. */
typedef enum fx_profile {
	FX_PROFILE_NONE = 0, /* no BT-24 in the document */
	FX_PROFILE_UNKNOWN,  /* a BT-24 we do not know: see fx_doc_profile_id */
	FX_PROFILE_EN16931,
	FX_PROFILE_FACTURX_MINIMUM,
	FX_PROFILE_FACTURX_BASICWL,
	FX_PROFILE_FACTURX_BASIC,
	FX_PROFILE_FACTURX_EN16931,
	FX_PROFILE_FACTURX_EXTENDED,
	FX_PROFILE_XRECHNUNG,
	FX_PROFILE_PEPPOL_BIS3,
	FX_PROFILE_EXTENDED_CTC_FR
} fx_profile;

/*
 * Load a document from a file; "-" reads standard input (named "<stdin>").
 * On success *out is a document the caller frees with fx_doc_free.
 * Errors: FX_EIO (cannot read), FX_ETOOBIG (over the context's size
 * limit), FX_EPARSE (not well-formed XML, or a refused DTD entity; the
 * context's error has line and column), FX_ENOMEM.
 * PDF, zip, ZUGFeRD 1.0 and other XML load successfully: ask
 * fx_doc_syntax what was found.
 */
FX_EXTERN int fx_doc_load_file(fx_doc **out, fx_ctx *ctx, const char *path);

/*
 * Load a document from memory.  NAME is used in messages (NULL gives
 * "<memory>"); the bytes are copied when they need to be kept.
 */
FX_EXTERN int fx_doc_load_memory(fx_doc **out, fx_ctx *ctx, const char *name,
				 const void *data, size_t len);

FX_EXTERN void fx_doc_free(fx_doc *doc);

FX_EXTERN const char *fx_doc_name(const fx_doc *doc);
FX_EXTERN fx_syntax fx_doc_syntax(const fx_doc *doc);

/* Root element of an XML document: local name and namespace URI ("" when
 * none); NULL for documents that are not XML. */
FX_EXTERN const char *fx_doc_root_name(const fx_doc *doc);
FX_EXTERN const char *fx_doc_root_namespace(const fx_doc *doc);

/* BT-24 recognised, and its value verbatim (NULL when absent). */
FX_EXTERN fx_profile fx_doc_profile(const fx_doc *doc);
FX_EXTERN const char *fx_doc_profile_id(const fx_doc *doc);

/* Words for people: "UBL Invoice", "Factur-X BASIC WL", ... */
FX_EXTERN const char *fx_syntax_name(fx_syntax syntax);
FX_EXTERN const char *fx_profile_name(fx_profile profile);
/* Stable machine names: "ubl-invoice", "cii", ...; "facturx-basicwl", ... */
FX_EXTERN const char *fx_syntax_key(fx_syntax syntax);
FX_EXTERN const char *fx_profile_key(fx_profile profile);

/* Recognise a BT-24 value; FX_PROFILE_UNKNOWN when we do not know it. */
FX_EXTERN fx_profile fx_profile_from_id(const char *id);

FX_END_DECLS

#endif
