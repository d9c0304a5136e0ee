/* SPDX-License-Identifier: MIT */
/*
 * check_validate.c - unit tests of fx_validate*: layers, verdicts, findings
 *
 * Invalid documents are made here from the examples by changing one
 * thing, so the expected line and column are computed from the text
 * rather than written down.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#define NS_INV "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"

static const char *const examples[] = {
	"invoice-ubl.xml",
	"creditnote-ubl.xml",
	"invoice-cii.xml",
};
static const fx_syntax example_syntax[] = {
	FX_SYNTAX_UBL_INVOICE,
	FX_SYNTAX_UBL_CREDITNOTE,
	FX_SYNTAX_CII,
};

/* ---- fixtures ------------------------------------------------------ */

static fx_report *validate_str(fx_ctx *ctx, const char *name, const char *s)
{
	fx_report *r = NULL;

	ck_assert_int_eq(
		fx_validate_memory(&r, ctx, name, s, strlen(s), &t_schema_only),
		0);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* The example invoice with FROM replaced by TO, validated. */
static fx_report *validate_mutant(fx_ctx *ctx, const char *from, const char *to,
				  char **text)
{
	char *xml = t_example("invoice-ubl.xml", NULL);
	char *mutant = t_replace(xml, from, to);
	fx_report *r = validate_str(ctx, "mutant.xml", mutant);

	free(xml);
	if (text)
		*text = mutant;
	else
		free(mutant);
	return r;
}

static const fx_finding *only_finding(const fx_report *r)
{
	ck_assert_msg(fx_report_count(r) == 1, "%zu findings, the first: %s",
		      fx_report_count(r),
		      fx_report_count(r) ? fx_report_get(r, 0)->message : "-");
	return fx_report_get(r, 0);
}

static void check_schema_finding(const fx_finding *f, const char *text,
				 const char *at, const char *xpath,
				 const char *message)
{
	unsigned long line, column;

	t_position(text, at, &line, &column);
	ck_assert_int_eq(f->severity, FX_SEVERITY_FATAL);
	ck_assert_int_eq(f->layer, FX_LAYER_SCHEMA);
	ck_assert_pstr_eq(f->rule, "XSD");
	ck_assert_str_eq(f->message, message);
	ck_assert_uint_eq(f->line, line);
	ck_assert_uint_eq(f->column, column);
	ck_assert_pstr_eq(f->xpath, xpath);
}

/*
 * Everything a report says, as one string: two reports that agree give
 * the same string.  File names are left out on purpose.
 */
static char *signature(const fx_report *r)
{
	struct tbuf b = TBUF_INIT;
	size_t i;
	int l;

	tbuf_printf(&b, "outcome=%d error=%d syntax=%d profile=%d id=%s\n",
		    (int) fx_report_outcome(r), fx_report_error(r),
		    (int) fx_report_syntax(r), (int) fx_report_profile(r),
		    fx_report_profile_id(r) ? fx_report_profile_id(r) : "-");
	for (l = 0; l < FX_LAYER_COUNT; l++)
		tbuf_printf(&b, "layer%d=%d ", l,
			    (int) fx_report_layer(r, (fx_layer) l));
	tbuf_puts(&b, "\n");
	for (i = 0; i < fx_report_count(r); i++) {
		const fx_finding *f = fx_report_get(r, i);

		tbuf_printf(&b, "%d %d %s %lu:%lu %s %s\n", (int) f->severity,
			    (int) f->layer, f->rule ? f->rule : "-", f->line,
			    f->column, f->xpath ? f->xpath : "-", f->message);
	}
	return b.ptr;
}

/* ---- valid documents ----------------------------------------------- */

START_TEST(example_is_valid_with_every_layer_passed)
{
	fx_ctx *ctx = t_ctx();
	char *path = t_example_path(examples[_i]);
	fx_report *r = NULL;

	ck_assert_int_eq(fx_validate_file(&r, ctx, path, NULL), 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(fx_report_outcome(r) == FX_OUTCOME_VALID, "%s: %s", path,
		      fx_report_count(r) ? fx_report_get(r, 0)->message : "?");
	ck_assert_uint_eq(fx_report_count(r), 0);
	ck_assert_str_eq(fx_report_file(r), path);
	ck_assert_int_eq(fx_report_error(r), FX_OK);
	ck_assert_int_eq(fx_report_syntax(r), example_syntax[_i]);
	ck_assert_int_eq(fx_report_profile(r), FX_PROFILE_EN16931);
	ck_assert_pstr_eq(fx_report_profile_id(r), "urn:cen.eu:en16931:2017");
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_INPUT), FX_LAYER_PASS);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_XML), FX_LAYER_PASS);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_SCHEMA), FX_LAYER_PASS);
	/* the business rules ran and found nothing */
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_RULES), FX_LAYER_PASS);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_PDF), FX_LAYER_NOT_RUN);
	fx_report_free(r);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(memory_and_file_give_the_same_report)
{
	static const char *const files[] = {
		"invoice-ubl.xml",
		"invalid/invoice-ubl.xml",
		"invalid/creditnote-ubl.xml",
		"invalid/invoice-cii.xml",
	};
	fx_ctx *ctx = t_ctx();
	char *path = t_example_path(files[_i]);
	size_t len;
	char *bytes = t_example(files[_i], &len);
	fx_report *from_file = NULL, *from_memory = NULL;
	char *a, *b;
	size_t i;

	ck_assert_int_eq(fx_validate_file(&from_file, ctx, path, NULL), 0);
	ck_assert_int_eq(fx_validate_memory(&from_memory, ctx, "mem.xml", bytes,
					    len, NULL),
			 0);
	a = signature(from_file);
	b = signature(from_memory);
	ck_assert_str_eq(a, b);
	ck_assert_str_eq(fx_report_file(from_memory), "mem.xml");
	for (i = 0; i < fx_report_count(from_file); i++) {
		ck_assert_str_eq(fx_report_get(from_file, i)->file, path);
		ck_assert_str_eq(fx_report_get(from_memory, i)->file,
				 "mem.xml");
	}
	free(a);
	free(b);
	fx_report_free(from_file);
	fx_report_free(from_memory);
	free(bytes);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(memory_without_a_name_is_called_memory)
{
	fx_ctx *ctx = t_ctx();
	fx_report *r = NULL;

	ck_assert_int_eq(fx_validate_memory(&r, ctx, NULL, "<a>", 3, NULL), 0);
	ck_assert_str_eq(fx_report_file(r), "<memory>");
	ck_assert_str_eq(fx_report_get(r, 0)->file, "<memory>");
	fx_report_free(r);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(standard_input_is_validated_as_stdin)
{
	fx_ctx *ctx = t_ctx();
	char *path = t_example_path("invoice-cii.xml");
	fx_report *r = NULL;
	int fd = open(path, O_RDONLY), saved = dup(STDIN_FILENO);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, STDIN_FILENO), 0);
	close(fd);
	ck_assert_int_eq(fx_validate_file(&r, ctx, "-", NULL), 0);
	ck_assert_int_ge(dup2(saved, STDIN_FILENO), 0);
	close(saved);
	ck_assert_str_eq(fx_report_file(r), "<stdin>");
	ck_assert_int_eq(fx_report_syntax(r), FX_SYNTAX_CII);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_VALID);
	fx_report_free(r);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(null_options_mean_the_defaults)
{
	fx_validate_opts opts = FX_VALIDATE_OPTS_INIT;
	fx_ctx *ctx = t_ctx();
	char *path = t_example_path("invalid/invoice-ubl.xml");
	fx_report *with_null = NULL, *with_defaults = NULL;
	char *a, *b;

	ck_assert_int_eq(opts.schema, 1);
	ck_assert_int_eq(fx_validate_file(&with_null, ctx, path, NULL), 0);
	ck_assert_int_eq(fx_validate_file(&with_defaults, ctx, path, &opts), 0);
	a = signature(with_null);
	b = signature(with_defaults);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(fx_report_outcome(with_null), FX_OUTCOME_INVALID);
	free(a);
	free(b);
	fx_report_free(with_null);
	fx_report_free(with_defaults);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(schema_layer_can_be_turned_off)
{
	fx_validate_opts opts = FX_VALIDATE_OPTS_INIT;
	fx_ctx *ctx = t_ctx();
	char *path = t_example_path("invalid/invoice-ubl.xml");
	fx_report *r = NULL;

	opts.schema = 0;
	opts.rules = FX_RULES_NONE;
	ck_assert_int_eq(fx_validate_file(&r, ctx, path, &opts), 0);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_SCHEMA), FX_LAYER_NOT_RUN);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_XML), FX_LAYER_PASS);
	ck_assert_uint_eq(fx_report_count(r), 0);
	fx_report_free(r);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(options_of_another_version_are_refused)
{
	fx_validate_opts opts = FX_VALIDATE_OPTS_INIT;
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = NULL;
	fx_report *r = NULL;
	char *path = t_example_path("invoice-ubl.xml");

	opts.version = FX_VALIDATE_OPTS_VERSION + 1;
	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), 0);
	ck_assert_int_eq(fx_validate(&r, ctx, doc, &opts), FX_EINVALID);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(fx_ctx_last_error(ctx)->code, FX_EINVALID);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "version"));
	fx_doc_free(doc);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(validate_of_a_loaded_document_sets_syntax_and_profile)
{
	fx_ctx *ctx = t_ctx();
	char *path = t_example_path("invoice-cii.xml");
	fx_doc *doc = NULL;
	fx_report *r = NULL;

	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), 0);
	ck_assert_int_eq(fx_validate(&r, ctx, doc, NULL), 0);
	/* the document can go first: the report keeps its own copies */
	fx_doc_free(doc);
	ck_assert_str_eq(fx_report_file(r), path);
	ck_assert_int_eq(fx_report_syntax(r), FX_SYNTAX_CII);
	ck_assert_str_eq(fx_report_profile_id(r), "urn:cen.eu:en16931:2017");
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_VALID);
	fx_report_free(r);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- schema errors ------------------------------------------------- */

START_TEST(missing_issue_date_is_found_at_the_next_element)
{
	fx_ctx *ctx = t_ctx();
	char *text;
	fx_report *r = validate_mutant(
		ctx, "<cbc:IssueDate>2025-03-14</cbc:IssueDate>", "", &text);

	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_INVALID);
	ck_assert_int_eq(fx_report_error(r), FX_OK);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_SCHEMA), FX_LAYER_FAIL);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_XML), FX_LAYER_PASS);
	check_schema_finding(
		only_finding(r), text, "<cbc:DueDate>", "/Invoice/cbc:DueDate",
		"element cbc:DueDate is not expected here in Invoice "
		"(out of order, repeated or unknown); expected one of "
		"cbc:CopyIndicator, cbc:UUID, cbc:IssueDate");
	ck_assert_str_eq(only_finding(r)->file, "mutant.xml");
	fx_report_free(r);
	free(text);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(invalid_date_names_the_value_and_the_format)
{
	fx_ctx *ctx = t_ctx();
	char *text;
	fx_report *r = validate_mutant(ctx, "<cbc:IssueDate>2025-03-14<",
				       "<cbc:IssueDate>2025-13-45<", &text);

	check_schema_finding(
		only_finding(r), text, "<cbc:IssueDate>",
		"/Invoice/cbc:IssueDate",
		"value '2025-13-45' of cbc:IssueDate is not valid: "
		"expected a date as YYYY-MM-DD");
	fx_report_free(r);
	free(text);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(invalid_amount_names_the_value_and_the_format)
{
	fx_ctx *ctx = t_ctx();
	char *text;
	fx_report *r = validate_mutant(
		ctx, "<cbc:PayableAmount currencyID=\"EUR\">4293.68<",
		"<cbc:PayableAmount currencyID=\"EUR\">4293,68<", &text);

	check_schema_finding(
		only_finding(r), text, "<cbc:PayableAmount",
		"/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount",
		"value '4293,68' of cbc:PayableAmount is not valid: "
		"expected a decimal number such as 1234.56");
	fx_report_free(r);
	free(text);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(missing_attribute_is_named)
{
	fx_ctx *ctx = t_ctx();
	char *text;
	fx_report *r =
		validate_mutant(ctx, "<cbc:PayableAmount currencyID=\"EUR\">",
				"<cbc:PayableAmount>", &text);

	check_schema_finding(
		only_finding(r), text, "<cbc:PayableAmount",
		"/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount",
		"attribute currencyID is missing on cbc:PayableAmount");
	fx_report_free(r);
	free(text);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(unknown_attribute_is_named)
{
	fx_ctx *ctx = t_ctx();
	char *text;
	fx_report *r = validate_mutant(ctx, "<cbc:DueDate>",
				       "<cbc:DueDate bogus=\"1\">", &text);

	check_schema_finding(only_finding(r), text, "<cbc:DueDate",
			     "/Invoice/cbc:DueDate",
			     "attribute bogus is not allowed on cbc:DueDate");
	fx_report_free(r);
	free(text);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(missing_last_child_says_what_was_expected)
{
	fx_ctx *ctx = t_ctx();
	char *xml = t_example("invoice-ubl.xml", NULL), *text, *cut;
	const char *from = strstr(xml, "<cbc:PayableAmount"), *to;
	fx_report *r;

	/* drop the whole element */
	ck_assert_ptr_nonnull(from);
	to = strstr(from, "</cbc:PayableAmount>");
	ck_assert_ptr_nonnull(to);
	cut = strndup(from,
		      (size_t) (to - from) + strlen("</cbc:PayableAmount>"));
	text = t_replace(xml, cut, "");
	r = validate_str(ctx, "cut.xml", text);
	check_schema_finding(only_finding(r), text, "<cac:LegalMonetaryTotal>",
			     "/Invoice/cac:LegalMonetaryTotal",
			     "cac:LegalMonetaryTotal is incomplete: a required "
			     "element is missing; expected one of "
			     "cbc:PayableRoundingAmount, cbc:PayableAmount");
	fx_report_free(r);
	free(cut);
	free(text);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(text_in_an_aggregate_is_refused)
{
	fx_ctx *ctx = t_ctx();
	char *text;
	fx_report *r = validate_mutant(ctx, "<cac:InvoicePeriod>",
				       "<cac:InvoicePeriod>hello", &text);

	check_schema_finding(
		only_finding(r), text, "<cac:InvoicePeriod>",
		"/Invoice/cac:InvoicePeriod",
		"cac:InvoicePeriod may hold elements only, not text");
	fx_report_free(r);
	free(text);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(xpath_counts_repeated_elements)
{
	fx_ctx *ctx = t_ctx();
	char *text;
	fx_report *r = validate_mutant(
		ctx, "<cbc:InvoicedQuantity unitCode=\"HUR\">12<",
		"<cbc:InvoicedQuantity unitCode=\"HUR\">douze<", &text);

	check_schema_finding(
		only_finding(r), text,
		"<cbc:InvoicedQuantity unitCode=\"HUR\">",
		"/Invoice/cac:InvoiceLine[2]/cbc:InvoicedQuantity",
		"value 'douze' of cbc:InvoicedQuantity is not valid: "
		"expected a decimal number such as 1234.56");
	fx_report_free(r);
	free(text);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(every_schema_error_is_reported_in_document_order)
{
	fx_ctx *ctx = t_ctx();
	char *xml = t_example("invoice-ubl.xml", NULL);
	char *a = t_replace(xml, "<cbc:IssueDate>2025-03-14<",
			    "<cbc:IssueDate>14/03/2025<");
	char *b = t_replace(a, "<cbc:PayableAmount currencyID=\"EUR\">",
			    "<cbc:PayableAmount>");
	fx_report *r = validate_str(ctx, "two.xml", b);

	ck_assert_uint_eq(fx_report_count(r), 2);
	ck_assert_uint_eq(fx_report_count_severity(r, FX_SEVERITY_FATAL), 2);
	check_schema_finding(
		fx_report_get(r, 0), b, "<cbc:IssueDate>",
		"/Invoice/cbc:IssueDate",
		"value '14/03/2025' of cbc:IssueDate is not valid: "
		"expected a date as YYYY-MM-DD");
	check_schema_finding(
		fx_report_get(r, 1), b, "<cbc:PayableAmount",
		"/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount",
		"attribute currencyID is missing on cbc:PayableAmount");
	fx_report_free(r);
	free(b);
	free(a);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(invalid_examples_give_their_documented_errors)
{
	static const struct {
		const char *file;
		size_t count;
		const char *first_at;
		const char *first_word;
	} cases[] = {
		{ "invalid/invoice-ubl.xml", 1, "<cbc:DueDate>",
		  "cbc:DueDate" },
		{ "invalid/creditnote-ubl.xml", 2, NULL, "cac:PostalAddress" },
		{ "invalid/invoice-cii.xml", 2, "<ram:DateTimeString",
		  "ram:DateTimeString" },
	};
	fx_ctx *ctx = t_ctx();
	char *path = t_example_path(cases[_i].file);
	char *text = t_example(cases[_i].file, NULL);
	fx_report *r = NULL;
	const fx_finding *f;
	size_t i;

	ck_assert_int_eq(fx_validate_file(&r, ctx, path, &t_schema_only), 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_INVALID);
	ck_assert_uint_eq(fx_report_count(r), cases[_i].count);
	for (i = 0; i < fx_report_count(r); i++) {
		f = fx_report_get(r, i);
		ck_assert_int_eq(f->layer, FX_LAYER_SCHEMA);
		ck_assert_uint_gt(f->line, 0);
		ck_assert_uint_gt(f->column, 0);
		ck_assert_ptr_nonnull(f->xpath);
		ck_assert_str_eq(f->file, path);
		if (i)
			ck_assert_uint_ge(f->line,
					  fx_report_get(r, i - 1)->line);
	}
	f = fx_report_get(r, 0);
	ck_assert_msg(strstr(f->message, cases[_i].first_word) != NULL,
		      "'%s' does not name %s", f->message,
		      cases[_i].first_word);
	if (cases[_i].first_at) {
		unsigned long line, column;

		t_position(text, cases[_i].first_at, &line, &column);
		ck_assert_uint_eq(f->line, line);
		ck_assert_uint_eq(f->column, column);
	}
	fx_report_free(r);
	free(text);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(schema_errors_stop_being_listed_after_two_hundred)
{
	fx_ctx *ctx = t_ctx();
	char *xml = t_example("invoice-ubl.xml", NULL);
	const char *from = strstr(xml, "<cac:InvoiceLine>"), *to;
	struct tbuf doc = TBUF_INIT;
	fx_report *r;
	char *line, *bad;
	int i;

	/* 300 copies of the first line, each with one bad quantity */
	ck_assert_ptr_nonnull(from);
	to = strstr(from, "</cac:InvoiceLine>") + strlen("</cac:InvoiceLine>");
	line = strndup(from, (size_t) (to - from));
	bad = t_replace(line, "unitCode=\"C62\">3<", "unitCode=\"C62\">three<");
	tbuf_put(&doc, xml, (size_t) (from - xml));
	for (i = 0; i < 300; i++)
		tbuf_puts(&doc, bad);
	tbuf_puts(&doc, strstr(xml, "</Invoice>"));

	r = validate_str(ctx, "many.xml", doc.ptr);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_INVALID);
	ck_assert_uint_eq(fx_report_count_severity(r, FX_SEVERITY_FATAL), 200);
	ck_assert_uint_eq(fx_report_count_severity(r, FX_SEVERITY_INFO), 1);
	ck_assert_uint_eq(fx_report_count(r), 201);
	ck_assert_str_eq(fx_report_get(r, 199)->xpath,
			 "/Invoice/cac:InvoiceLine[200]/cbc:InvoicedQuantity");
	ck_assert_ptr_nonnull(strstr(fx_report_get(r, 200)->message, "200"));
	fx_report_free(r);
	tbuf_release(&doc);
	free(bad);
	free(line);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(utf16_document_is_validated_like_utf8)
{
	fx_ctx *ctx = t_ctx();
	char *xml = t_example("invalid/invoice-ubl.xml", NULL);
	char *decl =
		t_replace(xml, "encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
	size_t len;
	char *u16 = t_utf8_to_utf16(decl, 0, &len);
	fx_report *a = validate_str(ctx, "utf8.xml", xml), *b = NULL;

	ck_assert_int_eq(fx_validate_memory(&b, ctx, "utf16.xml", u16, len,
					    &t_schema_only),
			 0);
	ck_assert_int_eq(fx_report_outcome(b), FX_OUTCOME_INVALID);
	ck_assert_uint_eq(fx_report_count(b), fx_report_count(a));
	ck_assert_str_eq(fx_report_get(b, 0)->message,
			 fx_report_get(a, 0)->message);
	ck_assert_str_eq(fx_report_get(b, 0)->xpath,
			 fx_report_get(a, 0)->xpath);
	ck_assert_uint_eq(fx_report_get(b, 0)->line, fx_report_get(a, 0)->line);
	/* the column is looked up in the source bytes, which are UTF-16
	 * here: it may be unknown (0), but never another number */
	ck_assert_msg(fx_report_get(b, 0)->column ==
				      fx_report_get(a, 0)->column ||
			      fx_report_get(b, 0)->column == 0,
		      "column %lu, expected %lu", fx_report_get(b, 0)->column,
		      fx_report_get(a, 0)->column);
	fx_report_free(a);
	fx_report_free(b);
	free(u16);
	free(decl);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- documents that cannot be checked ------------------------------ */

static const struct {
	const char *name;
	const char *bytes;
	size_t len;
	fx_syntax syntax;
	int reason;
	const char *words;
} uncheckable[] = {
	/* PDFs with no document catalog: unreadable, not unsupported */
	{ "scan.pdf", "%PDF-1.7\n%%EOF\n", 0, FX_SYNTAX_PDF, FX_EPARSE, "PDF" },
	{ "pdf.xml", "%PDF-1.4\n1 0 obj\n", 0, FX_SYNTAX_PDF, FX_EPARSE,
	  "PDF" },
	{ "batch.zip", "PK\3\4\x14\0\0\0", 8, FX_SYNTAX_ZIP, FX_EUNSUPPORTED,
	  "zip" },
	{ "zf1.xml",
	  "<rsm:CrossIndustryDocument "
	  "xmlns:rsm=\"urn:ferd:CrossIndustryDocument:invoice:1p0\"/>",
	  0, FX_SYNTAX_ZUGFERD1, FX_EUNSUPPORTED, "ZUGFeRD 1.0" },
	{ "order.xml", "<o:Order xmlns:o=\"urn:example:order\"/>", 0,
	  FX_SYNTAX_OTHER_XML, FX_ENOTINVOICE,
	  "the root element is 'Order' in namespace 'urn:example:order'" },
	{ "plain.xml", "<Invoice/>", 0, FX_SYNTAX_OTHER_XML, FX_ENOTINVOICE,
	  "the root element is 'Invoice' in no namespace" },
	{ "notes.txt", "hello, world\n", 0, FX_SYNTAX_UNKNOWN, FX_ENOTINVOICE,
	  "neither XML" },
};

START_TEST(uncheckable_input_is_an_error_never_valid)
{
	fx_ctx *ctx = t_ctx();
	fx_report *r = NULL;
	const fx_finding *f;

	size_t len = uncheckable[_i].len ? uncheckable[_i].len
					 : strlen(uncheckable[_i].bytes);

	ck_assert_int_eq(fx_validate_memory(&r, ctx, uncheckable[_i].name,
					    uncheckable[_i].bytes, len, NULL),
			 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), uncheckable[_i].reason);
	ck_assert_int_eq(fx_report_syntax(r), uncheckable[_i].syntax);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_INPUT), FX_LAYER_FAIL);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_SCHEMA), FX_LAYER_NOT_RUN);
	f = only_finding(r);
	ck_assert_int_eq(f->severity, FX_SEVERITY_FATAL);
	ck_assert_int_eq(f->layer, FX_LAYER_INPUT);
	ck_assert_pstr_eq(f->rule, "INPUT");
	ck_assert_str_eq(f->file, uncheckable[_i].name);
	if (uncheckable[_i].syntax == FX_SYNTAX_ZUGFERD1 ||
	    uncheckable[_i].syntax == FX_SYNTAX_OTHER_XML) {
		/* well-formed XML: the finding points at the root element */
		ck_assert_int_eq(fx_report_layer(r, FX_LAYER_XML),
				 FX_LAYER_PASS);
		ck_assert_uint_eq(f->line, 1);
		ck_assert_uint_eq(f->column, 1);
	} else {
		ck_assert_int_eq(fx_report_layer(r, FX_LAYER_XML),
				 FX_LAYER_NOT_RUN);
		ck_assert_uint_eq(f->line, 0);
	}
	ck_assert_msg(strstr(f->message, uncheckable[_i].words) != NULL,
		      "'%s' does not say '%s'", f->message,
		      uncheckable[_i].words);
	fx_report_free(r);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(other_xml_finding_points_at_the_root_element)
{
	static const char xml[] =
		"<?xml version=\"1.0\"?>\n"
		"<!-- an order, not an invoice -->\n"
		"\t  <p:Order xmlns:p=\"urn:example:order\">\n"
		"</p:Order>\n";
	fx_ctx *ctx = t_ctx();
	fx_report *r = validate_str(ctx, "order.xml", xml);
	const fx_finding *f = only_finding(r);

	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_uint_eq(f->line, 3);
	ck_assert_uint_eq(f->column, 4);
	ck_assert_str_eq(
		f->message,
		"not an invoice: the root element is 'Order' in namespace "
		"'urn:example:order'; expected a UBL Invoice or CreditNote, "
		"or a CII CrossIndustryInvoice");
	fx_report_free(r);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(zugferd1_report_keeps_the_profile_id)
{
	static const char zf1[] =
		"<rsm:CrossIndustryDocument "
		"xmlns:rsm=\"urn:ferd:CrossIndustryDocument:invoice:1p0\""
		" xmlns:ram=\"urn:un:unece:uncefact:data:standard:"
		"ReusableAggregateBusinessInformationEntity:12\">"
		"<rsm:SpecifiedExchangedDocumentContext>"
		"<ram:GuidelineSpecifiedDocumentContextParameter>"
		"<ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:extended</"
		"ram:ID>"
		"</ram:GuidelineSpecifiedDocumentContextParameter>"
		"</rsm:SpecifiedExchangedDocumentContext></"
		"rsm:CrossIndustryDocument>";
	fx_ctx *ctx = t_ctx();
	fx_report *r = validate_str(ctx, "zf1.xml", zf1);

	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_syntax(r), FX_SYNTAX_ZUGFERD1);
	ck_assert_pstr_eq(
		fx_report_profile_id(r),
		"urn:ferd:CrossIndustryDocument:invoice:1p0:extended");
	fx_report_free(r);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(pdf_file_named_xml_is_an_error)
{
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir(), *path = t_path(dir, "invoice.xml");
	fx_report *r = NULL;

	t_write_file(path, "%PDF-1.7\n", 9);
	ck_assert_int_eq(fx_validate_file(&r, ctx, path, NULL), 0);
	ck_assert_int_eq(fx_report_syntax(r), FX_SYNTAX_PDF);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(only_finding(r)->layer, FX_LAYER_INPUT);
	fx_report_free(r);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- inputs that cannot be read or parsed -------------------------- */

START_TEST(parse_error_is_an_xml_finding_with_its_position)
{
	static const char bad[] = "<Invoice xmlns=\"" NS_INV "\">\n"
				  "  <cbc:ID>1</cbc:ID>\n"
				  "</Invoice>\n";
	fx_ctx *ctx = t_ctx();
	fx_report *r = validate_str(ctx, "bad.xml", bad);
	fx_doc *doc = NULL;
	const fx_finding *f = only_finding(r);

	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), FX_EPARSE);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_INPUT), FX_LAYER_PASS);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_XML), FX_LAYER_FAIL);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_SCHEMA), FX_LAYER_NOT_RUN);
	ck_assert_int_eq(f->severity, FX_SEVERITY_FATAL);
	ck_assert_int_eq(f->layer, FX_LAYER_XML);
	ck_assert_pstr_eq(f->rule, "XML");
	ck_assert_str_eq(f->file, "bad.xml");
	ck_assert_uint_eq(f->line, 2);
	ck_assert_uint_gt(f->column, 0);
	ck_assert_ptr_nonnull(strstr(f->message, "cbc"));
	/* the same words and place as the loader's error */
	ck_assert_int_eq(
		fx_doc_load_memory(&doc, ctx, "bad.xml", bad, sizeof(bad) - 1),
		FX_EPARSE);
	ck_assert_str_eq(f->message, fx_ctx_last_error(ctx)->message);
	ck_assert_uint_eq(f->line, fx_ctx_last_error(ctx)->line);
	ck_assert_uint_eq(f->column, fx_ctx_last_error(ctx)->column);
	fx_report_free(r);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(entity_bomb_is_an_xml_finding)
{
	static const char bomb[] =
		"<!DOCTYPE a [<!ENTITY x \"xxxxxxxxxx\">"
		"<!ENTITY y \"&x;&x;&x;&x;&x;&x;&x;&x;&x;&x;\">]>\n"
		"<a>&y;</a>";
	fx_ctx *ctx = t_ctx();
	fx_report *r = validate_str(ctx, "bomb.xml", bomb);
	const fx_finding *f = only_finding(r);

	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(f->layer, FX_LAYER_XML);
	ck_assert_ptr_nonnull(strstr(f->message, "'x'"));
	fx_report_free(r);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(missing_file_is_an_input_finding)
{
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir(), *path = t_path(dir, "gone.xml");
	fx_report *r = NULL;
	const fx_finding *f;
	char *want = NULL;

	ck_assert_int_eq(fx_validate_file(&r, ctx, path, NULL), 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), FX_EIO);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_INPUT), FX_LAYER_FAIL);
	ck_assert_str_eq(fx_report_file(r), path);
	f = only_finding(r);
	ck_assert_int_eq(f->layer, FX_LAYER_INPUT);
	ck_assert_pstr_eq(f->rule, "INPUT");
	ck_assert_int_ge(
		asprintf(&want, "cannot open '%s': %s", path, strerror(ENOENT)),
		0);
	ck_assert_str_eq(f->message, want);
	free(want);
	fx_report_free(r);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(directory_is_an_input_finding)
{
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir();
	fx_report *r = NULL;

	ck_assert_int_eq(fx_validate_file(&r, ctx, dir, NULL), 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), FX_EIO);
	ck_assert_int_eq(only_finding(r)->layer, FX_LAYER_INPUT);
	fx_report_free(r);
	t_rmtree(dir);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(input_over_the_size_limit_is_an_input_finding)
{
	fx_ctx *ctx = t_ctx();
	char *path = t_example_path("invoice-ubl.xml");
	size_t len;
	char *bytes = t_example("invoice-ubl.xml", &len);
	fx_report *r = NULL;

	fx_ctx_set_max_size(ctx, 1000);
	ck_assert_int_eq(fx_validate_file(&r, ctx, path, NULL), 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), FX_ETOOBIG);
	ck_assert_int_eq(only_finding(r)->layer, FX_LAYER_INPUT);
	ck_assert_ptr_nonnull(strstr(only_finding(r)->message, "1000"));
	fx_report_free(r);
	ck_assert_int_eq(
		fx_validate_memory(&r, ctx, "big.xml", bytes, len, NULL), 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), FX_ETOOBIG);
	fx_report_free(r);
	free(bytes);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- threads ------------------------------------------------------- */

struct input {
	const char *name;
	char *bytes;
	size_t len;
};

#define NINPUTS	 9
#define NTHREADS 4
#define ROUNDS	 3

static void make_inputs(struct input *in)
{
	static const char *const files[] = {
		"invoice-ubl.xml",
		"creditnote-ubl.xml",
		"invoice-cii.xml",
		"invalid/invoice-ubl.xml",
		"invalid/creditnote-ubl.xml",
		"invalid/invoice-cii.xml",
	};
	size_t i;

	for (i = 0; i < 6; i++) {
		in[i].name = files[i];
		in[i].bytes = t_example(files[i], &in[i].len);
	}
	in[6].name = "broken.xml";
	in[6].bytes = strdup("<Invoice xmlns=\"" NS_INV "\">\n<a></b>");
	in[7].name = "scan.pdf";
	in[7].bytes = strdup("%PDF-1.7\n");
	in[8].name = "order.xml";
	in[8].bytes = strdup("<Order xmlns=\"urn:o\"/>");
	for (i = 6; i < NINPUTS; i++)
		in[i].len = strlen(in[i].bytes);
}

static void free_inputs(struct input *in)
{
	size_t i;

	for (i = 0; i < NINPUTS; i++)
		free(in[i].bytes);
}

struct worker {
	pthread_t thread;
	pthread_barrier_t *start;
	const struct input *in;
	int id;
	char *got[NINPUTS]; /* the signature of the last round */
	int mismatches;	    /* rounds that disagreed with the first */
	int failures;	    /* calls that failed */
};

static void *work(void *arg)
{
	struct worker *w = arg;
	fx_ctx *ctx = NULL;
	int round, i;

	if (fx_ctx_new(&ctx) < 0) {
		w->failures++;
		return NULL;
	}
	pthread_barrier_wait(w->start);
	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < NINPUTS; i++) {
			/* each thread in its own order, to mix things up */
			int k = (i + w->id) % NINPUTS;
			fx_report *r = NULL;
			char *sig;

			if (fx_validate_memory(&r, ctx, w->in[k].name,
					       w->in[k].bytes, w->in[k].len,
					       NULL) < 0 ||
			    !r) {
				w->failures++;
				continue;
			}
			sig = signature(r);
			fx_report_free(r);
			if (!w->got[k])
				w->got[k] = sig;
			else if (strcmp(w->got[k], sig)) {
				w->mismatches++;
				free(sig);
			} else {
				free(sig);
			}
		}
	}
	fx_ctx_free(ctx);
	return NULL;
}

/* The same validations, one after the other, in this thread. */
static void serial_signatures(const struct input *in, char **want)
{
	fx_ctx *ctx = t_ctx();
	int i;

	for (i = 0; i < NINPUTS; i++) {
		fx_report *r = NULL;

		ck_assert_int_eq(fx_validate_memory(&r, ctx, in[i].name,
						    in[i].bytes, in[i].len,
						    NULL),
				 0);
		want[i] = signature(r);
		fx_report_free(r);
	}
	fx_ctx_free(ctx);
}

/*
 * _i == 0: the threads race to compile the schemas; _i == 1: the schemas
 * are compiled first, by the serial run.
 */
START_TEST(threads_with_their_own_contexts_agree_with_one_thread)
{
	struct input in[NINPUTS];
	struct worker w[NTHREADS];
	pthread_barrier_t start;
	char *want[NINPUTS];
	int t, i;

	make_inputs(in);
	memset(w, 0, sizeof(w));
	if (_i == 1)
		serial_signatures(in, want);
	ck_assert_int_eq(pthread_barrier_init(&start, NULL, NTHREADS), 0);
	for (t = 0; t < NTHREADS; t++) {
		w[t].id = t;
		w[t].start = &start;
		w[t].in = in;
		ck_assert_int_eq(
			pthread_create(&w[t].thread, NULL, work, &w[t]), 0);
	}
	for (t = 0; t < NTHREADS; t++)
		ck_assert_int_eq(pthread_join(w[t].thread, NULL), 0);
	pthread_barrier_destroy(&start);
	if (_i == 0)
		serial_signatures(in, want);

	for (t = 0; t < NTHREADS; t++) {
		ck_assert_int_eq(w[t].failures, 0);
		ck_assert_int_eq(w[t].mismatches, 0);
		for (i = 0; i < NINPUTS; i++) {
			ck_assert_ptr_nonnull(w[t].got[i]);
			ck_assert_msg(!strcmp(w[t].got[i], want[i]),
				      "thread %d, %s:\n%s\nserial:\n%s", t,
				      in[i].name, w[t].got[i], want[i]);
			free(w[t].got[i]);
		}
	}
	/* and the inputs were what we think they are */
	ck_assert_ptr_nonnull(strstr(want[0], "outcome=0 "));
	ck_assert_ptr_nonnull(strstr(want[3], "outcome=1 "));
	ck_assert_ptr_nonnull(strstr(want[6], "outcome=2 "));
	for (i = 0; i < NINPUTS; i++)
		free(want[i]);
	free_inputs(in);
}
END_TEST

/* ---- the data directory (each test in its own process) ------------- */

START_TEST(data_dir_with_our_schemas_gives_the_same_verdicts)
{
	fx_ctx *ctx = t_ctx();
	char *path = t_example_path("invalid/invoice-cii.xml");
	fx_report *embedded = NULL, *from_dir = NULL;
	char *a, *b;

	ck_assert_int_eq(fx_global_set_data_dir(FX_TEST_SOURCE_DIR), 0);
	ck_assert_int_eq(fx_validate_file(&from_dir, ctx, path, NULL), 0);
	a = signature(from_dir);
	ck_assert_int_eq(fx_report_outcome(from_dir), FX_OUTCOME_INVALID);
	fx_report_free(from_dir);
	fx_global_shutdown();
	ck_assert_int_eq(fx_global_init(), 0);
	ck_assert_int_eq(fx_validate_file(&embedded, ctx, path, NULL), 0);
	b = signature(embedded);
	ck_assert_str_eq(a, b);
	fx_report_free(embedded);
	free(a);
	free(b);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(data_dir_with_a_broken_schema_is_an_internal_error_not_valid)
{
	static const char broken[] = "<xs:schema";
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir();
	char *path = t_example_path("invoice-ubl.xml");
	char *xsd = NULL;
	fx_report *r = NULL;
	const fx_finding *f;

	/* a file of the data directory overrides the embedded one */
	ck_assert_int_ge(asprintf(&xsd, "%s/xsd", dir), 0);
	ck_assert_int_eq(mkdir(xsd, 0700), 0);
	free(xsd);
	ck_assert_int_ge(asprintf(&xsd, "%s/xsd/ubl", dir), 0);
	ck_assert_int_eq(mkdir(xsd, 0700), 0);
	free(xsd);
	ck_assert_int_ge(asprintf(&xsd, "%s/xsd/ubl/invoice.xsd", dir), 0);
	t_write_file(xsd, broken, strlen(broken));
	free(xsd);

	ck_assert_int_eq(fx_global_set_data_dir(dir), 0);
	ck_assert_int_eq(fx_validate_file(&r, ctx, path, &t_schema_only), 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), FX_EINTERNAL);
	ck_assert_int_ne(fx_report_layer(r, FX_LAYER_SCHEMA), FX_LAYER_PASS);
	f = only_finding(r);
	ck_assert_int_eq(f->layer, FX_LAYER_SCHEMA);
	ck_assert_ptr_nonnull(strstr(f->message, "xsd/ubl/invoice.xsd"));
	fx_report_free(r);
	/* the failure is remembered, not retried per file */
	ck_assert_int_eq(fx_validate_file(&r, ctx, path, &t_schema_only), 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	fx_report_free(r);
	t_rmtree(dir);
	free(dir);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(data_dir_cannot_change_once_schemas_are_compiled)
{
	fx_ctx *ctx = t_ctx();
	char *path = t_example_path("invoice-ubl.xml");
	fx_report *r = NULL;

	ck_assert_int_eq(fx_validate_file(&r, ctx, path, NULL), 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_VALID);
	fx_report_free(r);
	/* ctx.h: "Returns FX_EINVALID once schemas are compiled" */
	ck_assert_int_eq(fx_global_set_data_dir(FX_TEST_SOURCE_DIR),
			 FX_EINVALID);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

static Suite *validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("valid");

	tcase_add_loop_test(tc, example_is_valid_with_every_layer_passed, 0, 3);
	tcase_add_loop_test(tc, memory_and_file_give_the_same_report, 0, 4);
	tcase_add_test(tc, memory_without_a_name_is_called_memory);
	tcase_add_test(tc, standard_input_is_validated_as_stdin);
	tcase_add_test(tc, null_options_mean_the_defaults);
	tcase_add_test(tc, schema_layer_can_be_turned_off);
	tcase_add_test(tc, options_of_another_version_are_refused);
	tcase_add_test(tc,
		       validate_of_a_loaded_document_sets_syntax_and_profile);
	suite_add_tcase(s, tc);

	tc = tcase_create("schema");
	tcase_add_test(tc, missing_issue_date_is_found_at_the_next_element);
	tcase_add_test(tc, invalid_date_names_the_value_and_the_format);
	tcase_add_test(tc, invalid_amount_names_the_value_and_the_format);
	tcase_add_test(tc, missing_attribute_is_named);
	tcase_add_test(tc, unknown_attribute_is_named);
	tcase_add_test(tc, missing_last_child_says_what_was_expected);
	tcase_add_test(tc, text_in_an_aggregate_is_refused);
	tcase_add_test(tc, xpath_counts_repeated_elements);
	tcase_add_test(tc, every_schema_error_is_reported_in_document_order);
	tcase_add_loop_test(tc, invalid_examples_give_their_documented_errors,
			    0, 3);
	tcase_add_test(tc, schema_errors_stop_being_listed_after_two_hundred);
	tcase_add_test(tc, utf16_document_is_validated_like_utf8);
	suite_add_tcase(s, tc);

	tc = tcase_create("uncheckable");
	tcase_add_loop_test(
		tc, uncheckable_input_is_an_error_never_valid, 0,
		(int) (sizeof(uncheckable) / sizeof(uncheckable[0])));
	tcase_add_test(tc, other_xml_finding_points_at_the_root_element);
	tcase_add_test(tc, zugferd1_report_keeps_the_profile_id);
	tcase_add_test(tc, pdf_file_named_xml_is_an_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("unreadable");
	tcase_add_test(tc, parse_error_is_an_xml_finding_with_its_position);
	tcase_add_test(tc, entity_bomb_is_an_xml_finding);
	tcase_add_test(tc, missing_file_is_an_input_finding);
	tcase_add_test(tc, directory_is_an_input_finding);
	tcase_add_test(tc, input_over_the_size_limit_is_an_input_finding);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(
		tc, threads_with_their_own_contexts_agree_with_one_thread, 0,
		2);
	suite_add_tcase(s, tc);

	/* these change process-wide state: only where each test has its
	 * own process */
	if (t_forking()) {
		tc = tcase_create("data-dir");
		tcase_add_test(
			tc, data_dir_with_our_schemas_gives_the_same_verdicts);
		tcase_add_test(
			tc,
			data_dir_with_a_broken_schema_is_an_internal_error_not_valid);
		tcase_add_test(
			tc, data_dir_cannot_change_once_schemas_are_compiled);
		suite_add_tcase(s, tc);
	} else {
		fprintf(stderr, "check_validate: CK_FORK=no: data directory "
				"tests left out\n");
	}
	return s;
}

int main(void)
{
	return t_run(validate_suite());
}
