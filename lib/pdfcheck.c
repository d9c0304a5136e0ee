/* SPDX-License-Identifier: MIT */
/*
 * pdfcheck.c - validating a Factur-X PDF: the embedded invoice through
 * every XML layer, then the pdf layer of container checks
 *
 * The embedded XML is validated by fx_validate itself, as a document of
 * its own named "INVOICE.pdf:ATTACHMENT", so that its findings point into
 * the XML and every XML layer applies without being named here.  The
 * container checks are those of Factur-X 1.0 (= ZUGFeRD 2.x): a PDF/A-3
 * with XMP metadata carrying the Factur-X extension schema, the invoice in
 * the /EmbeddedFiles name tree and in the catalog's /AF array with an
 * allowed /AFRelationship, and a PDF/A output intent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "pdf.h"
#include "banned.h"

/* "object 12", or "a direct object" for one that has no number. */
struct objname {
	char s[40];
};

static struct objname obj(unsigned long num)
{
	struct objname n;

	if (num)
		snprintf(n.s, sizeof(n.s), "object %lu", num);
	else
		snprintf(n.s, sizeof(n.s), "a direct object");
	return n;
}

static int finding(fx_report *report, fx_severity severity, const char *rule,
		   const char *fmt, ...) FX_PRINTF(4, 5);

static int finding(fx_report *report, fx_severity severity, const char *rule,
		   const char *fmt, ...)
{
	struct fx_buf msg = FX_BUF_INIT;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = fx_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (err >= 0)
		err = fx_report__addf(report, severity, FX_LAYER_PDF, rule, 0,
				      0, NULL, "%s", msg.ptr);
	fx_buf_release(&msg);
	return err;
}

/* The XMP ConformanceLevel that goes with a profile; NULL: not checked. */
static const char *level_for(fx_profile p)
{
	switch (p) {
	case FX_PROFILE_FACTURX_MINIMUM: return "MINIMUM";
	case FX_PROFILE_FACTURX_BASICWL: return "BASIC WL";
	case FX_PROFILE_FACTURX_BASIC: return "BASIC";
	case FX_PROFILE_EN16931:
	case FX_PROFILE_FACTURX_EN16931: return "EN 16931";
	case FX_PROFILE_FACTURX_EXTENDED: return "EXTENDED";
	case FX_PROFILE_XRECHNUNG: return "XRECHNUNG";
	default: return NULL;
	}
}

/* A name fit for a report line: control characters become '?'. */
static int display_name(struct fx_buf *out, const char *pdf, const char *att)
{
	size_t start;
	int err;

	if ((err = fx_buf_printf(out, "%s:", pdf)) < 0)
		return err;
	start = out->len;
	if ((err = fx_buf_puts(out, att && *att ? att : "attachment")) < 0)
		return err;
	for (; start < out->len; start++)
		if ((unsigned char) out->ptr[start] < 0x20 ||
		    out->ptr[start] == 0x7F)
			out->ptr[start] = '?';
	return 0;
}

/* Copy the findings and layer states of the embedded invoice's report. */
static int merge(fx_report *report, const fx_report *sub)
{
	static const fx_layer layers[] = { FX_LAYER_XML, FX_LAYER_SCHEMA,
					   FX_LAYER_RULES };
	size_t i;
	int err;

	for (i = 0; i < fx_report_count(sub); i++)
		if ((err = fx_report_add(report, fx_report_get(sub, i))) < 0)
			return err;
	for (i = 0; i < FX_ARRAY_SIZE(layers); i++)
		fx_report_set_layer(report, layers[i],
				    fx_report_layer(sub, layers[i]));
	if (fx_report_layer(sub, FX_LAYER_INPUT) == FX_LAYER_FAIL)
		fx_report_set_layer(report, FX_LAYER_INPUT, FX_LAYER_FAIL);
	if (fx_report_error(sub))
		fx_report_set_error(report, fx_report_error(sub));
	return fx_report__set_profile(report, fx_report_profile(sub),
				      fx_report_profile_id(sub));
}

/*
 * Validate the invoice attachment I as a document of its own, into
 * REPORT.  *XDOC gets the loaded document when it could be loaded.
 */
static int check_invoice(fx_report *report, fx_ctx *ctx, fx_pdf *pdf, size_t i,
			 const fx_validate_opts *opts, fx_doc **xdoc)
{
	const fx_pdf_attachment *a = fx_pdf_attachment_get(pdf, i);
	struct fx_buf name = FX_BUF_INIT;
	const unsigned char *data;
	fx_report *sub = NULL;
	fx_doc *doc = NULL;
	fx_syntax syn;
	size_t len;
	int err, code;

	*xdoc = NULL;
	if ((err = display_name(&name, fx_pdf_name(pdf), a->name)) < 0)
		goto out;
	if ((code = fx_pdf_attachment_data(&data, &len, ctx, pdf, i)) < 0) {
		if ((err = code) == FX_ENOMEM)
			goto out;
		err = finding(report, FX_SEVERITY_FATAL, "PDF-ATTACHMENT",
			      "cannot read the invoice attachment '%s' (%s): "
			      "%s",
			      a->name, obj(a->object).s,
			      fx_ctx_last_error(ctx)->message);
		fx_report_set_error(report, code);
		goto out;
	}
	if ((code = fx_doc_load_memory(&doc, ctx, name.ptr, data, len)) < 0) {
		const fx_error *e = fx_ctx_last_error(ctx);
		fx_finding f;

		if ((err = code) == FX_ENOMEM)
			goto out;
		memset(&f, 0, sizeof(f));
		f.severity = FX_SEVERITY_FATAL;
		f.layer = code == FX_EPARSE ? FX_LAYER_XML : FX_LAYER_INPUT;
		f.rule = code == FX_EPARSE ? "XML" : "INPUT";
		f.message = e->message;
		f.file = name.ptr;
		f.line = e->line;
		f.column = e->column;
		if ((err = fx_report_add(report, &f)) < 0)
			goto out;
		fx_report_set_error(report, code);
		goto out;
	}
	syn = fx_doc_syntax(doc);
	if (syn == FX_SYNTAX_PDF || syn == FX_SYNTAX_ZIP ||
	    syn == FX_SYNTAX_UNKNOWN) {
		/* never a PDF within a PDF: that would not end */
		fx_finding f;

		memset(&f, 0, sizeof(f));
		f.severity = FX_SEVERITY_FATAL;
		f.layer = FX_LAYER_INPUT;
		f.rule = "INPUT";
		f.message = "not an invoice: the attachment is not XML";
		f.file = name.ptr;
		fx_report_set_layer(report, FX_LAYER_INPUT, FX_LAYER_FAIL);
		if ((err = fx_report_add(report, &f)) < 0)
			goto out;
		fx_report_set_error(report, FX_ENOTINVOICE);
		goto out;
	}
	if ((err = fx_validate(&sub, ctx, doc, opts)) < 0 ||
	    (err = merge(report, sub)) < 0)
		goto out;
	*xdoc = doc;
	doc = NULL;
	err = 0;
out:
	fx_report_free(sub);
	fx_doc_free(doc);
	fx_buf_release(&name);
	return err < 0 ? err : 0;
}

static int check_xmp(fx_report *report, fx_ctx *ctx, fx_pdf *pdf,
		     const fx_pdf_attachment *a, const fx_doc *xdoc)
{
	const fx_pdf_xmp *x = NULL;
	fx_profile p = xdoc ? fx_doc_profile(xdoc) : FX_PROFILE_NONE;
	const char *want = level_for(p), *pre;
	int code, err = 0;

	if ((code = fx_pdf_xmp_read(&x, ctx, pdf)) < 0) {
		if (code == FX_ENOMEM)
			return code;
		return finding(report, FX_SEVERITY_FATAL, "PDF-XMP",
			       "cannot read the XMP metadata: %s",
			       fx_ctx_last_error(ctx)->message);
	}
	if (!x)
		return finding(report, FX_SEVERITY_FATAL, "PDF-A-PART",
			       "no PDF/A identification: the catalog (%s) has "
			       "no /Metadata stream; Factur-X requires PDF/A-3 "
			       "with XMP metadata",
			       obj(fx_pdf_catalog_object(pdf)).s);
	if (!x->pdfa_part)
		err = finding(report, FX_SEVERITY_FATAL, "PDF-A-PART",
			      "no PDF/A identification: the XMP metadata (%s) "
			      "has no pdfaid:part; Factur-X requires PDF/A-3",
			      obj(x->object).s);
	else if (strcmp(x->pdfa_part, "3"))
		err = finding(report, FX_SEVERITY_FATAL, "PDF-A-PART",
			      "the XMP metadata (%s) identifies PDF/A-%s "
			      "(pdfaid:part '%s'); Factur-X requires PDF/A-3",
			      obj(x->object).s, x->pdfa_part, x->pdfa_part);
	if (err < 0)
		return err;
	if (!x->fx_namespace)
		return finding(report, FX_SEVERITY_FATAL, "PDF-XMP-FX",
			       "the XMP metadata (%s) has none of the Factur-X "
			       "properties (fx:ConformanceLevel, "
			       "fx:DocumentFileName, fx:DocumentType, "
			       "fx:Version)",
			       obj(x->object).s);
	pre = x->fx_prefix ? x->fx_prefix : "fx";
	if (want && !x->conformance_level)
		err = finding(report, FX_SEVERITY_FATAL, "PDF-XMP-LEVEL",
			      "the XMP metadata (%s) has no "
			      "%s:ConformanceLevel; expected '%s' for the "
			      "invoice's profile %s",
			      obj(x->object).s, pre, want, fx_profile_name(p));
	else if (want && strcasecmp(x->conformance_level, want))
		err = finding(report, FX_SEVERITY_FATAL, "PDF-XMP-LEVEL",
			      "the XMP metadata (%s) says %s:ConformanceLevel "
			      "'%s', but the invoice's profile is %s (BT-24 "
			      "'%s'): expected '%s'",
			      obj(x->object).s, pre, x->conformance_level,
			      fx_profile_name(p), fx_doc_profile_id(xdoc),
			      want);
	if (err < 0)
		return err;
	if (!x->document_file_name)
		err = finding(report, FX_SEVERITY_FATAL, "PDF-XMP-FILENAME",
			      "the XMP metadata (%s) has no "
			      "%s:DocumentFileName; expected '%s', the name of "
			      "the invoice attachment",
			      obj(x->object).s, pre, a->name);
	else if (strcmp(x->document_file_name, a->name) &&
		 !(a->key && !strcmp(x->document_file_name, a->key)))
		err = finding(report, FX_SEVERITY_FATAL, "PDF-XMP-FILENAME",
			      "the XMP metadata (%s) says %s:DocumentFileName "
			      "'%s', but the invoice attachment is '%s' (%s)",
			      obj(x->object).s, pre, x->document_file_name,
			      a->name, obj(a->object).s);
	return err;
}

static int check_relationship(fx_report *report, const fx_pdf_attachment *a,
			      const fx_doc *xdoc)
{
	fx_profile p = xdoc ? fx_doc_profile(xdoc) : FX_PROFILE_NONE;
	int data_only = p == FX_PROFILE_FACTURX_MINIMUM ||
			p == FX_PROFILE_FACTURX_BASICWL;
	const char *r = a->relationship;

	if (!r)
		return finding(report, FX_SEVERITY_FATAL, "PDF-AFREL",
			       "the invoice attachment '%s' (%s) has no "
			       "/AFRelationship; expected %s",
			       a->name, obj(a->object).s,
			       data_only ? "/Data"
					 : "/Alternative, /Source or /Data");
	if (data_only && strcmp(r, "Data"))
		return finding(report, FX_SEVERITY_FATAL, "PDF-AFREL",
			       "the invoice attachment '%s' (%s) has "
			       "/AFRelationship /%s, but %s requires /Data",
			       a->name, obj(a->object).s, r,
			       fx_profile_name(p));
	if (strcmp(r, "Data") && strcmp(r, "Alternative") &&
	    strcmp(r, "Source"))
		return finding(report, FX_SEVERITY_FATAL, "PDF-AFREL",
			       "the invoice attachment '%s' (%s) has "
			       "/AFRelationship /%s; expected /Alternative, "
			       "/Source or /Data",
			       a->name, obj(a->object).s, r);
	return 0;
}

static int check_catalog(fx_report *report, fx_pdf *pdf,
			 const fx_pdf_attachment *a)
{
	unsigned long cat = fx_pdf_catalog_object(pdf);
	size_t n, pdfa;
	int err = 0;

	if (!a->in_af && !fx_pdf_has_af(pdf))
		err = finding(report, FX_SEVERITY_FATAL, "PDF-AF",
			      "the catalog (%s) has no /AF array: the invoice "
			      "attachment '%s' (%s) must be listed in it",
			      obj(cat).s, a->name, obj(a->object).s);
	else if (!a->in_af)
		err = finding(report, FX_SEVERITY_FATAL, "PDF-AF",
			      "the invoice attachment '%s' (%s) is not in the "
			      "/AF array of the catalog (%s)",
			      a->name, obj(a->object).s, obj(cat).s);
	if (err < 0)
		return err;
	n = fx_pdf_output_intents(pdf, &pdfa);
	if (!n)
		return finding(report, FX_SEVERITY_FATAL, "PDF-OUTPUT-INTENT",
			       "the catalog (%s) has no /OutputIntents: "
			       "PDF/A requires an output intent",
			       obj(cat).s);
	if (!pdfa)
		return finding(report, FX_SEVERITY_FATAL, "PDF-OUTPUT-INTENT",
			       "none of the %zu output intents of the catalog "
			       "(%s) is a PDF/A one (/S /GTS_PDFA1)",
			       n, obj(cat).s);
	return 0;
}

/* File specifications that only the /AF array knows of. */
static int check_af_only(fx_report *report, fx_pdf *pdf, size_t n)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		const fx_pdf_attachment *a = fx_pdf_attachment_get(pdf, i);

		if (a->in_names)
			continue;
		if ((err = finding(report, FX_SEVERITY_WARNING, "PDF-AF-ONLY",
				   "the file specification '%s' (%s) is in "
				   "the catalog's /AF array but not in the "
				   "/EmbeddedFiles name tree, where readers "
				   "look for attachments",
				   a->name ? a->name : "", obj(a->object).s)) <
		    0)
			return err;
	}
	return 0;
}

static int no_invoice(fx_report *report, fx_pdf *pdf, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += fx_pdf_attachment_get(pdf, i)->in_names;
	if (!k)
		return finding(report, FX_SEVERITY_FATAL, "PDF-NO-INVOICE",
			       "no invoice attachment: the PDF has no embedded "
			       "files");
	return finding(report, FX_SEVERITY_FATAL, "PDF-NO-INVOICE",
		       "no invoice attachment: none of the embedded files "
		       "(%zu) is named factur-x.xml, zugferd-invoice.xml, "
		       "ZUGFeRD-invoice.xml, xrechnung.xml or order-x.xml, or "
		       "is an XML invoice",
		       k);
}

static int unreadable(fx_report *report, fx_ctx *ctx, fx_layer layer,
		      const char *rule, int code)
{
	int err;

	if ((err = fx_report__addf(report, FX_SEVERITY_FATAL, layer, rule, 0, 0,
				   NULL, "%s",
				   fx_ctx_last_error(ctx)->message)) < 0)
		return err;
	fx_report_set_error(report, code);
	return 0;
}

int fx_pdf__validate(fx_report *report, fx_ctx *ctx, const fx_doc *doc,
		     const fx_validate_opts *opts)
{
	fx_pdf *pdf = NULL;
	fx_doc *xdoc = NULL;
	const char *bytes;
	size_t len, n, inv;
	int err, code;

	bytes = fx_doc__bytes(doc, &len);
	if ((code = fx_pdf__open_borrowed(&pdf, ctx, fx_doc_name(doc), bytes,
					  len)) < 0) {
		if ((err = code) == FX_ENOMEM)
			goto out;
		fx_report_set_layer(report, FX_LAYER_INPUT, FX_LAYER_FAIL);
		err = unreadable(report, ctx, FX_LAYER_INPUT, "INPUT", code);
		goto out;
	}
	fx_report_set_layer(report, FX_LAYER_INPUT, FX_LAYER_PASS);
	fx_report_set_layer(report, FX_LAYER_PDF, FX_LAYER_PASS);
	if (fx_pdf_encrypted(pdf)) {
		err = finding(
			report, FX_SEVERITY_FATAL, "PDF-ENCRYPTED",
			"the PDF is encrypted (the trailer has /Encrypt): "
			"its attachments cannot be read, and PDF/A "
			"forbids encryption");
		fx_report_set_error(report, FX_EUNSUPPORTED);
		goto out;
	}
	if ((code = fx_pdf_attachment_count(&n, ctx, pdf)) < 0) {
		if ((err = code) == FX_ENOMEM)
			goto out;
		err = unreadable(report, ctx, FX_LAYER_PDF, "PDF-ATTACHMENT",
				 code);
		goto out;
	}
	if ((code = fx_pdf_find_invoice(&inv, ctx, pdf)) < 0) {
		if ((err = code) == FX_ENOMEM || code == FX_ETOOBIG) {
			if (code == FX_ETOOBIG)
				err = unreadable(report, ctx, FX_LAYER_PDF,
						 "PDF-ATTACHMENT", code);
			goto out;
		}
		if ((err = no_invoice(report, pdf, n)) < 0 ||
		    (err = check_af_only(report, pdf, n)) < 0)
			goto out;
		fx_report_set_error(report, FX_ENOTINVOICE);
		goto repaired;
	}
	if ((err = check_invoice(report, ctx, pdf, inv, opts, &xdoc)) < 0)
		goto out;
	if ((err = check_xmp(report, ctx, pdf, fx_pdf_attachment_get(pdf, inv),
			     xdoc)) < 0 ||
	    (err = check_relationship(report, fx_pdf_attachment_get(pdf, inv),
				      xdoc)) < 0 ||
	    (err = check_catalog(report, pdf,
				 fx_pdf_attachment_get(pdf, inv))) < 0 ||
	    (err = check_af_only(report, pdf, n)) < 0)
		goto out;
repaired:
	if (fx_pdf_repaired(pdf))
		err = finding(report, FX_SEVERITY_WARNING, "PDF-REPAIRED",
			      "the cross-reference data of the PDF is "
			      "damaged: its objects were found by scanning "
			      "the file");
out:
	fx_doc_free(xdoc);
	fx_pdf_free(pdf);
	return err < 0 ? err : 0;
}
