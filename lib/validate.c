/* SPDX-License-Identifier: MIT */
/*
 * validate.c - the layers, in order, into one report
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pdf.h"
#include "banned.h"

/* Say why a document that is not an invoice we check cannot be checked. */
static int not_checkable(fx_report *report, const fx_doc *doc)
{
	const char *name = fx_doc_root_name(doc);
	const char *ns = fx_doc_root_namespace(doc);
	unsigned long line = 0, column = 0;
	int err, reason = FX_EUNSUPPORTED;

	if (name) {
		/* parsed, so well-formed: the root element is the subject */
		fx_report_set_layer(report, FX_LAYER_XML, FX_LAYER_PASS);
		fx_doc__root_position(doc, &line, &column);
	}
	switch (fx_doc_syntax(doc)) {
	case FX_SYNTAX_ZUGFERD1:
		err = fx_report__addf(
			report, FX_SEVERITY_FATAL, FX_LAYER_INPUT, "INPUT",
			line, column, NULL,
			"ZUGFeRD 1.0 invoices (CrossIndustryDocument) "
			"are recognised but not supported: ZUGFeRD 2 "
			"and Factur-X use CrossIndustryInvoice");
		break;
	case FX_SYNTAX_ZIP:
		err = fx_report__addf(
			report, FX_SEVERITY_FATAL, FX_LAYER_INPUT, "INPUT", 0,
			0, NULL,
			"a zip archive is checked member by member only "
			"when it is named as a file, not inside another "
			"archive or from standard input");
		break;
	case FX_SYNTAX_OTHER_XML:
		err = fx_report__addf(
			report, FX_SEVERITY_FATAL, FX_LAYER_INPUT, "INPUT",
			line, column, NULL,
			"not an invoice: the root element is '%s'%s%s%s; "
			"expected a UBL Invoice or CreditNote, or a "
			"CII CrossIndustryInvoice",
			name ? name : "?",
			ns && *ns ? " in namespace '" : " in no namespace",
			ns && *ns ? ns : "", ns && *ns ? "'" : "");
		reason = FX_ENOTINVOICE;
		break;
	default:
		err = fx_report__addf(
			report, FX_SEVERITY_FATAL, FX_LAYER_INPUT, "INPUT", 0,
			0, NULL,
			"not an invoice: the content is neither XML, "
			"PDF nor zip");
		reason = FX_ENOTINVOICE;
		break;
	}
	fx_report_set_error(report, reason);
	return err;
}

/*
 * Run one layer.  A layer that cannot run is itself a finding, and the
 * document could not be checked: never valid by default.  Only running
 * out of memory fails the call.
 */
static int run_layer(fx_report *report, fx_ctx *ctx, const fx_doc *doc,
		     fx_layer layer,
		     int (*fn)(fx_report *, fx_ctx *, const fx_doc *))
{
	int reason, err;

	if ((reason = fn(report, ctx, doc)) >= 0)
		return 0;
	if (reason == FX_ENOMEM)
		return reason;
	if ((err = fx_report__addf(report, FX_SEVERITY_FATAL, layer, "INTERNAL",
				   0, 0, NULL, "%s",
				   fx_ctx_last_error(ctx)->message)) < 0)
		return err;
	fx_report_set_error(report, reason);
	return 0;
}

int fx_validate(fx_report **out, fx_ctx *ctx, const fx_doc *doc,
		const fx_validate_opts *opts)
{
	static const fx_validate_opts defaults = FX_VALIDATE_OPTS_INIT;
	fx_report *report = NULL;
	int err;

	*out = NULL;
	fx_global__ensure_init();
	if (!opts)
		opts = &defaults;
	if (opts->version != FX_VALIDATE_OPTS_VERSION)
		return fx_ctx__error(ctx, FX_EINVALID,
				     "unknown fx_validate_opts version %u",
				     opts->version);
	if ((err = fx_report_new(&report, fx_doc_name(doc))) < 0)
		return fx_ctx__error(ctx, err, "out of memory");
	fx_report__set_doc(report, doc);

	switch (fx_doc_syntax(doc)) {
	case FX_SYNTAX_UBL_INVOICE:
	case FX_SYNTAX_UBL_CREDITNOTE:
	case FX_SYNTAX_CII:
		fx_report_set_layer(report, FX_LAYER_INPUT, FX_LAYER_PASS);
		fx_report_set_layer(report, FX_LAYER_XML, FX_LAYER_PASS);
		if (opts->schema &&
		    (err = run_layer(report, ctx, doc, FX_LAYER_SCHEMA,
				     fx_schema__validate)) < 0)
			goto out;
		if (opts->rules == FX_RULES_NONE ||
		    (opts->stop_on_schema_error &&
		     fx_report_layer(report, FX_LAYER_SCHEMA) == FX_LAYER_FAIL))
			break;
		if ((err = run_layer(report, ctx, doc, FX_LAYER_RULES,
				     fx_rules__validate)) < 0)
			goto out;
		break;
	case FX_SYNTAX_PDF:
		/* the embedded invoice comes back here, as XML */
		if ((err = fx_pdf__validate(report, ctx, doc, opts)) < 0)
			goto out;
		break;
	default:
		fx_report_set_layer(report, FX_LAYER_INPUT, FX_LAYER_FAIL);
		if ((err = not_checkable(report, doc)) < 0)
			goto out;
		break;
	}
	*out = report;
	report = NULL;
	err = 0;
out:
	if (err < 0)
		fx_ctx__error(ctx, err, "out of memory");
	fx_report_free(report);
	return err;
}

/*
 * Turn a failed load into a report that says why; BROKEN, when the bytes
 * were XML that is not well-formed, names the syntax its root start tag
 * announced.
 */
static int load_failure(fx_report **out, fx_ctx *ctx, const char *name,
			int code, const fx_doc *broken)
{
	const fx_error *e = fx_ctx_last_error(ctx);
	fx_report *report = NULL;
	fx_layer layer = code == FX_EPARSE ? FX_LAYER_XML : FX_LAYER_INPUT;
	int err;

	*out = NULL;
	if (code == FX_ENOMEM)
		return code;
	if ((err = fx_report_new(&report, name)) < 0)
		return fx_ctx__error(ctx, err, "out of memory");
	if (broken)
		fx_report__set_doc(report, broken);
	if (layer == FX_LAYER_XML)
		fx_report_set_layer(report, FX_LAYER_INPUT, FX_LAYER_PASS);
	if ((err = fx_report__addf(report, FX_SEVERITY_FATAL, layer,
				   layer == FX_LAYER_XML ? "XML" : "INPUT",
				   e->line, e->column, NULL, "%s",
				   e->message)) < 0) {
		fx_report_free(report);
		return fx_ctx__error(ctx, err, "out of memory");
	}
	fx_report_set_error(report, code);
	*out = report;
	return 0;
}

int fx_validate_file(fx_report **out, fx_ctx *ctx, const char *path,
		     const fx_validate_opts *opts)
{
	fx_doc *doc = NULL, *broken = NULL;
	int err;

	*out = NULL;
	if ((err = fx_doc__load_file(&doc, &broken, ctx, path)) < 0)
		err = load_failure(out, ctx,
				   strcmp(path, "-") ? path : "<stdin>", err,
				   broken);
	else
		err = fx_validate(out, ctx, doc, opts);
	fx_doc_free(broken);
	fx_doc_free(doc);
	return err;
}

int fx_validate_memory(fx_report **out, fx_ctx *ctx, const char *name,
		       const void *data, size_t len,
		       const fx_validate_opts *opts)
{
	fx_doc *doc = NULL, *broken = NULL;
	int err;

	*out = NULL;
	if ((err = fx_doc__load_memory(&doc, &broken, ctx, name, data, len)) <
	    0)
		err = load_failure(out, ctx, name ? name : "<memory>", err,
				   broken);
	else
		err = fx_validate(out, ctx, doc, opts);
	fx_doc_free(broken);
	fx_doc_free(doc);
	return err;
}
