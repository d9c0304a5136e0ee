/* SPDX-License-Identifier: MIT */
/*
 * check_render.c - unit tests of the renderers: text, JSON, JUnit, SARIF
 *
 * The JSON and SARIF output is read back with cJSON and the JUnit output
 * with libxml2, so that what we check is what a consumer would see.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "helpers.h"

/* ---- fixtures ------------------------------------------------------ */

static void add(fx_report *r, fx_severity severity, fx_layer layer,
		const char *rule, const char *message, unsigned long line,
		unsigned long column, const char *xpath)
{
	fx_finding f;

	memset(&f, 0, sizeof(f));
	f.severity = severity;
	f.layer = layer;
	f.rule = rule;
	f.message = message;
	f.line = line;
	f.column = column;
	f.xpath = xpath;
	ck_assert_int_eq(fx_report_add(r, &f), 0);
}

/* inv.xml: one error, one warning, one note */
static fx_report *invalid_report(void)
{
	fx_report *r = NULL;

	ck_assert_int_eq(fx_report_new(&r, "inv.xml"), 0);
	add(r, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "XSD",
	    "element cbc:IssueDate is missing in Invoice", 3, 5, "/Invoice");
	add(r, FX_SEVERITY_WARNING, FX_LAYER_RULES, "BR-W-1",
	    "the seller has no VAT number", 7, 0, NULL);
	add(r, FX_SEVERITY_INFO, FX_LAYER_RULES, "NOTE-1",
	    "more details are available", 0, 0, NULL);
	return r;
}

/* ok.xml: nothing to say */
static fx_report *valid_report(void)
{
	fx_report *r = NULL;

	ck_assert_int_eq(fx_report_new(&r, "ok.xml"), 0);
	return r;
}

/* gone.xml: could not be read */
static fx_report *error_report(void)
{
	fx_report *r = NULL;

	ck_assert_int_eq(fx_report_new(&r, "gone.xml"), 0);
	add(r, FX_SEVERITY_FATAL, FX_LAYER_INPUT, "INPUT",
	    "cannot open 'gone.xml': No such file or directory", 0, 0, NULL);
	fx_report_set_error(r, FX_EIO);
	return r;
}

static fx_report *validated(const char *example)
{
	char *path = t_example_path(example);
	fx_ctx *ctx = t_ctx();
	fx_report *r = NULL;

	ck_assert_int_eq(fx_validate_file(&r, ctx, path, &t_schema_only), 0);
	ck_assert_ptr_nonnull(r);
	fx_ctx_free(ctx);
	free(path);
	return r;
}

static fx_report *validated_memory(const char *name, const void *data,
				   size_t len)
{
	fx_ctx *ctx = t_ctx();
	fx_report *r = NULL;

	ck_assert_int_eq(
		fx_validate_memory(&r, ctx, name, data, len, &t_schema_only),
		0);
	ck_assert_ptr_nonnull(r);
	fx_ctx_free(ctx);
	return r;
}

/*
 * Render REPORTS with FORMAT into a new string (caller frees), checking
 * that every call succeeds.  The summary is the sum of the reports.
 */
static char *render(fx_format format, int color, int verbose,
		    fx_report **reports, size_t n)
{
	fx_render_opts opts = FX_RENDER_OPTS_INIT;
	fx_summary summary = FX_SUMMARY_INIT;
	struct tbuf out = TBUF_INIT;
	fx_renderer *r = NULL;
	size_t i;

	opts.color = color;
	opts.verbose = verbose;
	opts.write = tbuf_write;
	opts.payload = &out;
	ck_assert_int_eq(fx_renderer_new(&r, format, &opts), 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(fx_renderer_begin(r), 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(fx_renderer_add(r, reports[i]), 0);
		fx_summary_add(&summary, reports[i]);
	}
	summary.seconds = 1.25;
	ck_assert_int_eq(fx_renderer_end(r, &summary), 0);
	fx_renderer_free(r);
	tbuf_put(&out, "", 0);
	return out.ptr;
}

static void free_reports(fx_report **reports, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fx_report_free(reports[i]);
}

/* S without its ANSI escape sequences (caller frees). */
static char *strip_ansi(const char *s)
{
	struct tbuf b = TBUF_INIT;

	tbuf_put(&b, "", 0);
	while (*s) {
		if (*s == '\033' && s[1] == '[') {
			s += 2;
			while (*s && !(*s >= '@' && *s <= '~'))
				s++;
			if (*s)
				s++;
			continue;
		}
		tbuf_put(&b, s++, 1);
	}
	return b.ptr;
}

static cJSON *parse_json(const char *text)
{
	const char *end = NULL;
	cJSON *json = cJSON_ParseWithOpts(text, &end, 1);

	ck_assert_msg(json != NULL, "not JSON near: %.60s", end ? end : "?");
	return json;
}

static cJSON *member(const cJSON *object, const char *name)
{
	cJSON *m = cJSON_GetObjectItemCaseSensitive(object, name);

	ck_assert_msg(m != NULL, "no member '%s'", name);
	return m;
}

static const char *string_member(const cJSON *object, const char *name)
{
	cJSON *m = member(object, name);

	ck_assert_msg(cJSON_IsString(m), "'%s' is not a string", name);
	return m->valuestring;
}

static double number_member(const cJSON *object, const char *name)
{
	cJSON *m = member(object, name);

	ck_assert_msg(cJSON_IsNumber(m), "'%s' is not a number", name);
	return m->valuedouble;
}

static xmlDocPtr parse_xml(const char *text)
{
	xmlDocPtr doc = xmlReadMemory(
		text, (int) strlen(text), "junit.xml", NULL,
		XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

	ck_assert_msg(doc != NULL,
		      "JUnit output is not well-formed XML:\n%.400s", text);
	return doc;
}

static double xpath_number(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr x = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o;
	double v;

	ck_assert_ptr_nonnull(x);
	o = xmlXPathEvalExpression((const xmlChar *) expr, x);
	ck_assert_msg(o != NULL, "bad XPath %s", expr);
	v = xmlXPathCastToNumber(o);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(x);
	return v;
}

/* The string value of EXPR (caller frees). */
static char *xpath_string(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr x = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o;
	xmlChar *v;
	char *s;

	ck_assert_ptr_nonnull(x);
	o = xmlXPathEvalExpression((const xmlChar *) expr, x);
	ck_assert_msg(o != NULL, "bad XPath %s", expr);
	v = xmlXPathCastToString(o);
	s = strdup((const char *) v);
	xmlFree(v);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(x);
	return s;
}

#define ck_assert_xpath_num(doc, expr, want)                                 \
	ck_assert_msg(xpath_number(doc, expr) == (want), "%s is %g, not %g", \
		      expr, xpath_number(doc, expr), (double) (want))

/* ---- options and formats ------------------------------------------- */

START_TEST(format_names_parse)
{
	fx_format f = (fx_format) 99;

	ck_assert_int_eq(fx_format_parse(&f, "text"), 0);
	ck_assert_int_eq(f, FX_FORMAT_TEXT);
	ck_assert_int_eq(fx_format_parse(&f, "json"), 0);
	ck_assert_int_eq(f, FX_FORMAT_JSON);
	ck_assert_int_eq(fx_format_parse(&f, "junit"), 0);
	ck_assert_int_eq(f, FX_FORMAT_JUNIT);
	ck_assert_int_eq(fx_format_parse(&f, "sarif"), 0);
	ck_assert_int_eq(f, FX_FORMAT_SARIF);
	f = (fx_format) 99;
	ck_assert_int_eq(fx_format_parse(&f, "xml"), FX_EINVALID);
	ck_assert_int_eq(fx_format_parse(&f, "JSON"), FX_EINVALID);
	ck_assert_int_eq(fx_format_parse(&f, ""), FX_EINVALID);
	ck_assert_int_eq(fx_format_parse(&f, NULL), FX_EINVALID);
	ck_assert_int_eq(f, 99);
}
END_TEST

START_TEST(renderer_without_write_function_is_refused)
{
	fx_render_opts opts = FX_RENDER_OPTS_INIT;
	fx_renderer *r = NULL;
	struct tbuf out = TBUF_INIT;

	ck_assert_int_eq(fx_renderer_new(&r, FX_FORMAT_JSON, &opts),
			 FX_EINVALID);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(fx_renderer_new(&r, FX_FORMAT_JSON, NULL),
			 FX_EINVALID);
	opts.write = tbuf_write;
	opts.payload = &out;
	opts.version = FX_RENDER_OPTS_VERSION + 1;
	ck_assert_int_eq(fx_renderer_new(&r, FX_FORMAT_JSON, &opts),
			 FX_EINVALID);
	opts.version = FX_RENDER_OPTS_VERSION;
	ck_assert_int_eq(fx_renderer_new(&r, (fx_format) 42, &opts),
			 FX_EINVALID);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(fx_renderer_new(&r, FX_FORMAT_SARIF, &opts), 0);
	ck_assert_ptr_nonnull(r);
	fx_renderer_free(r);
	/* nothing was written by making or freeing it */
	ck_assert_uint_eq(out.len, 0);
}
END_TEST

/* ---- text ---------------------------------------------------------- */

START_TEST(text_lines_are_in_compiler_style)
{
	fx_report *reports[] = { invalid_report(), valid_report(),
				 error_report() };
	char *out = render(FX_FORMAT_TEXT, 0, 0, reports, 3);

	ck_assert_str_eq(
		out,
		"inv.xml:3:5: error[XSD]: element cbc:IssueDate is "
		"missing in Invoice\n"
		"inv.xml:7: warning[BR-W-1]: the seller has no VAT number\n"
		"gone.xml: error[INPUT]: cannot open 'gone.xml': No such "
		"file or directory\n");
	free(out);
	free_reports(reports, 3);
}
END_TEST

START_TEST(text_notes_and_valid_files_show_when_verbose)
{
	fx_report *reports[] = { invalid_report(), validated("invoice-ubl.xml"),
				 validated("invoice-cii.xml"),
				 validated("creditnote-ubl.xml") };
	char *out = render(FX_FORMAT_TEXT, 0, 1, reports, 4);
	char *want = NULL;

	ck_assert_int_ge(
		asprintf(&want,
			 "inv.xml:3:5: error[XSD]: element cbc:IssueDate is "
			 "missing in Invoice\n"
			 "inv.xml:7: warning[BR-W-1]: the seller has no VAT "
			 "number\n"
			 "inv.xml: note[NOTE-1]: more details are available\n"
			 "%s: valid (UBL Invoice, EN 16931)\n"
			 "%s: valid (CII CrossIndustryInvoice, EN 16931)\n"
			 "%s: valid (UBL CreditNote, EN 16931)\n",
			 fx_report_file(reports[1]), fx_report_file(reports[2]),
			 fx_report_file(reports[3])),
		0);
	ck_assert_str_eq(out, want);
	free(want);
	free(out);
	free_reports(reports, 4);
}
END_TEST

START_TEST(text_valid_files_are_quiet_unless_verbose)
{
	fx_report *reports[] = { validated("invoice-ubl.xml"), valid_report() };
	char *out = render(FX_FORMAT_TEXT, 0, 0, reports, 2);

	ck_assert_str_eq(out, "");
	free(out);
	free_reports(reports, 2);
}
END_TEST

START_TEST(text_verbose_names_an_unknown_profile)
{
	size_t len;
	char *xml = t_example("invoice-ubl.xml", &len);
	char *odd =
		t_replace(xml, "<cbc:CustomizationID>urn:cen.eu:en16931:2017<",
			  "<cbc:CustomizationID>urn:example:ours<");
	fx_report *reports[] = { validated_memory("odd.xml", odd,
						  strlen(odd)) };
	char *out = render(FX_FORMAT_TEXT, 0, 1, reports, 1);

	ck_assert_str_eq(out, "odd.xml: valid (UBL Invoice, unknown profile "
			      "'urn:example:ours')\n");
	free(out);
	free_reports(reports, 1);
	free(odd);
	free(xml);
}
END_TEST

START_TEST(text_has_colour_only_when_asked)
{
	fx_report *reports[] = { invalid_report(), validated("invoice-ubl.xml"),
				 error_report() };
	char *plain = render(FX_FORMAT_TEXT, 0, 1, reports, 3);
	char *colour = render(FX_FORMAT_TEXT, 1, 1, reports, 3);
	char *stripped = strip_ansi(colour);

	ck_assert_ptr_null(strchr(plain, '\033'));
	ck_assert_ptr_nonnull(strstr(colour, "\033["));
	/* one colour per severity word, and green for valid */
	ck_assert_ptr_nonnull(strstr(colour, "\033[1;31merror"));
	ck_assert_ptr_nonnull(strstr(colour, "\033[1;35mwarning"));
	ck_assert_ptr_nonnull(strstr(colour, "\033[1;36mnote"));
	ck_assert_ptr_nonnull(strstr(colour, "\033[1;32mvalid"));
	/* the same words once the colours are taken out */
	ck_assert_str_eq(stripped, plain);
	free(stripped);
	free(colour);
	free(plain);
	free_reports(reports, 3);
}
END_TEST

START_TEST(text_of_a_real_schema_error_points_at_the_element)
{
	fx_report *reports[] = { validated("invalid/invoice-ubl.xml") };
	char *out = render(FX_FORMAT_TEXT, 0, 0, reports, 1);
	char *want = NULL, *xml = t_example("invalid/invoice-ubl.xml", NULL);
	unsigned long line, column;

	t_position(xml, "<cbc:DueDate>", &line, &column);
	free(xml);
	ck_assert_int_ge(asprintf(&want,
				  "%s:%lu:%lu: error[XSD]: element "
				  "cbc:DueDate is not expected here in Invoice",
				  fx_report_file(reports[0]), line, column),
			 0);
	ck_assert_msg(!strncmp(out, want, strlen(want)), "got: %s", out);
	ck_assert_ptr_nonnull(strstr(out, "cbc:IssueDate"));
	ck_assert_uint_eq(t_count(out, "\n"), 1);
	free(want);
	free(out);
	free_reports(reports, 1);
}
END_TEST

/* ---- JSON ---------------------------------------------------------- */

START_TEST(json_has_version_tool_files_and_summary)
{
	fx_report *reports[] = { invalid_report(), valid_report(),
				 error_report() };
	char *out = render(FX_FORMAT_JSON, 0, 0, reports, 3);
	cJSON *json = parse_json(out), *files, *file, *findings, *f, *tool;
	cJSON *summary, *layers;

	ck_assert_double_eq(number_member(json, "version"), 1);
	tool = member(json, "tool");
	ck_assert_str_eq(string_member(tool, "name"), "facture");
	ck_assert_str_eq(string_member(tool, "version"), fx_version());
	ck_assert_str_eq(string_member(json, "schemas"), fx_schema_version());
	ck_assert(cJSON_IsObject(member(json, "rules")));

	files = member(json, "files");
	ck_assert(cJSON_IsArray(files));
	ck_assert_int_eq(cJSON_GetArraySize(files), 3);

	file = cJSON_GetArrayItem(files, 0);
	ck_assert_str_eq(string_member(file, "path"), "inv.xml");
	ck_assert_str_eq(string_member(file, "syntax"), "unknown");
	ck_assert(cJSON_IsNull(member(file, "profile")));
	ck_assert_str_eq(string_member(file, "status"), "invalid");
	layers = member(file, "layers");
	ck_assert_str_eq(string_member(layers, "input"), "not-run");
	ck_assert_str_eq(string_member(layers, "xml"), "not-run");
	ck_assert_str_eq(string_member(layers, "schema"), "fail");
	findings = member(file, "findings");
	ck_assert_int_eq(cJSON_GetArraySize(findings), 3);
	f = cJSON_GetArrayItem(findings, 0);
	ck_assert_str_eq(string_member(f, "severity"), "fatal");
	ck_assert_str_eq(string_member(f, "rule"), "XSD");
	ck_assert_str_eq(string_member(f, "layer"), "schema");
	ck_assert_str_eq(string_member(f, "message"),
			 "element cbc:IssueDate is missing in Invoice");
	ck_assert(cJSON_IsNull(member(f, "terms")));
	ck_assert_double_eq(number_member(f, "line"), 3);
	ck_assert_double_eq(number_member(f, "column"), 5);
	ck_assert_str_eq(string_member(f, "xpath"), "/Invoice");
	f = cJSON_GetArrayItem(findings, 1);
	ck_assert_str_eq(string_member(f, "severity"), "warning");
	ck_assert_str_eq(string_member(f, "layer"), "rules");
	ck_assert_double_eq(number_member(f, "line"), 7);
	ck_assert(cJSON_IsNull(member(f, "column")));
	ck_assert(cJSON_IsNull(member(f, "xpath")));
	f = cJSON_GetArrayItem(findings, 2);
	ck_assert_str_eq(string_member(f, "severity"), "info");
	ck_assert(cJSON_IsNull(member(f, "line")));

	file = cJSON_GetArrayItem(files, 1);
	ck_assert_str_eq(string_member(file, "path"), "ok.xml");
	ck_assert_str_eq(string_member(file, "status"), "valid");
	ck_assert_int_eq(cJSON_GetArraySize(member(file, "findings")), 0);
	file = cJSON_GetArrayItem(files, 2);
	ck_assert_str_eq(string_member(file, "status"), "error");
	ck_assert_str_eq(
		string_member(cJSON_GetArrayItem(member(file, "findings"), 0),
			      "layer"),
		"input");

	summary = member(json, "summary");
	ck_assert_double_eq(number_member(summary, "files"), 3);
	ck_assert_double_eq(number_member(summary, "valid"), 1);
	ck_assert_double_eq(number_member(summary, "invalid"), 1);
	ck_assert_double_eq(number_member(summary, "error"), 1);
	ck_assert_double_eq(number_member(summary, "fatal"), 2);
	ck_assert_double_eq(number_member(summary, "warning"), 1);
	ck_assert_double_eq(number_member(summary, "info"), 1);
	ck_assert_double_eq_tol(number_member(summary, "seconds"), 1.25, 0.001);
	cJSON_Delete(json);
	free(out);
	free_reports(reports, 3);
}
END_TEST

START_TEST(json_escapes_quotes_new_lines_and_control_characters)
{
	static const char message[] = "say \"hi\"\nback\\slash\ttab\r\x01\x1f"
				      " \xc3\xa9t\xc3\xa9 </script> end";
	static const char path[] = "dir \"quoted\"/new\nline\\x.xml";
	fx_report *r = NULL;
	char *out;
	cJSON *json, *file, *f;
	fx_finding finding;

	ck_assert_int_eq(fx_report_new(&r, path), 0);
	memset(&finding, 0, sizeof(finding));
	finding.rule = "R\"1";
	finding.message = message;
	finding.terms = "BT-1\n";
	finding.xpath = "/a[@b=\"c\"]";
	ck_assert_int_eq(fx_report_add(r, &finding), 0);
	out = render(FX_FORMAT_JSON, 0, 0, &r, 1);
	/* nothing raw that JSON forbids inside strings */
	ck_assert_ptr_null(strchr(out, '\x01'));
	ck_assert_ptr_null(strchr(out, '\x1f'));
	ck_assert_ptr_null(strchr(out, '\t'));
	json = parse_json(out);
	file = cJSON_GetArrayItem(member(json, "files"), 0);
	ck_assert_str_eq(string_member(file, "path"), path);
	f = cJSON_GetArrayItem(member(file, "findings"), 0);
	ck_assert_str_eq(string_member(f, "message"), message);
	ck_assert_str_eq(string_member(f, "rule"), "R\"1");
	ck_assert_str_eq(string_member(f, "terms"), "BT-1\n");
	ck_assert_str_eq(string_member(f, "xpath"), "/a[@b=\"c\"]");
	cJSON_Delete(json);
	free(out);
	fx_report_free(r);
}
END_TEST

START_TEST(json_of_an_empty_run_is_a_complete_document)
{
	char *out = render(FX_FORMAT_JSON, 0, 0, NULL, 0);
	cJSON *json = parse_json(out), *summary;

	ck_assert_int_eq(cJSON_GetArraySize(member(json, "files")), 0);
	ck_assert(cJSON_IsArray(member(json, "files")));
	summary = member(json, "summary");
	ck_assert_double_eq(number_member(summary, "files"), 0);
	ck_assert_double_eq(number_member(summary, "valid"), 0);
	cJSON_Delete(json);
	free(out);
}
END_TEST

START_TEST(json_of_real_reports_has_syntax_profile_and_layers)
{
	static const char pdf[] = "%PDF-1.7\n%%EOF\n";
	fx_report *reports[] = {
		validated("invoice-cii.xml"),
		validated("invalid/invoice-ubl.xml"),
		validated_memory("scan.pdf", pdf, sizeof(pdf) - 1),
		validated_memory("broken.xml", "<Invoice>", 9),
	};
	char *out = render(FX_FORMAT_JSON, 0, 0, reports, 4);
	cJSON *json = parse_json(out), *files, *file, *profile, *layers, *f;
	unsigned long line, column;
	char *xml;

	files = member(json, "files");
	ck_assert_int_eq(cJSON_GetArraySize(files), 4);

	file = cJSON_GetArrayItem(files, 0);
	ck_assert_str_eq(string_member(file, "path"),
			 fx_report_file(reports[0]));
	ck_assert_str_eq(string_member(file, "syntax"), "cii");
	profile = member(file, "profile");
	ck_assert_str_eq(string_member(profile, "id"),
			 "urn:cen.eu:en16931:2017");
	ck_assert_str_eq(string_member(profile, "name"), "EN 16931");
	ck_assert_str_eq(string_member(file, "status"), "valid");
	layers = member(file, "layers");
	ck_assert_str_eq(string_member(layers, "input"), "pass");
	ck_assert_str_eq(string_member(layers, "xml"), "pass");
	ck_assert_str_eq(string_member(layers, "schema"), "pass");

	file = cJSON_GetArrayItem(files, 1);
	ck_assert_str_eq(string_member(file, "syntax"), "ubl-invoice");
	ck_assert_str_eq(string_member(file, "status"), "invalid");
	ck_assert_str_eq(string_member(member(file, "layers"), "schema"),
			 "fail");
	f = cJSON_GetArrayItem(member(file, "findings"), 0);
	ck_assert_str_eq(string_member(f, "rule"), "XSD");
	ck_assert_str_eq(string_member(f, "layer"), "schema");
	xml = t_example("invalid/invoice-ubl.xml", NULL);
	t_position(xml, "<cbc:DueDate>", &line, &column);
	free(xml);
	ck_assert_double_eq(number_member(f, "line"), line);
	ck_assert_double_eq(number_member(f, "column"), column);
	ck_assert_str_eq(string_member(f, "xpath"), "/Invoice/cbc:DueDate");

	file = cJSON_GetArrayItem(files, 2);
	ck_assert_str_eq(string_member(file, "syntax"), "pdf");
	ck_assert(cJSON_IsNull(member(file, "profile")));
	ck_assert_str_eq(string_member(file, "status"), "error");
	ck_assert_str_eq(string_member(member(file, "layers"), "input"),
			 "fail");
	ck_assert_str_eq(string_member(member(file, "layers"), "schema"),
			 "not-run");

	file = cJSON_GetArrayItem(files, 3);
	ck_assert_str_eq(string_member(file, "status"), "error");
	ck_assert_str_eq(string_member(member(file, "layers"), "xml"), "fail");
	f = cJSON_GetArrayItem(member(file, "findings"), 0);
	ck_assert_str_eq(string_member(f, "rule"), "XML");
	ck_assert_str_eq(string_member(f, "layer"), "xml");

	ck_assert_double_eq(number_member(member(json, "summary"), "error"), 2);
	cJSON_Delete(json);
	free(out);
	free_reports(reports, 4);
}
END_TEST

START_TEST(json_names_no_profile_for_an_unknown_bt24)
{
	size_t len;
	char *xml = t_example("invoice-ubl.xml", &len);
	char *odd =
		t_replace(xml, "<cbc:CustomizationID>urn:cen.eu:en16931:2017<",
			  "<cbc:CustomizationID>urn:example:ours<");
	fx_report *reports[] = { validated_memory("odd.xml", odd,
						  strlen(odd)) };
	char *out = render(FX_FORMAT_JSON, 0, 0, reports, 1);
	cJSON *json = parse_json(out), *profile;

	profile =
		member(cJSON_GetArrayItem(member(json, "files"), 0), "profile");
	ck_assert_str_eq(string_member(profile, "id"), "urn:example:ours");
	ck_assert(cJSON_IsNull(member(profile, "name")));
	cJSON_Delete(json);
	free(out);
	free_reports(reports, 1);
	free(odd);
	free(xml);
}
END_TEST

START_TEST(json_streams_each_report_as_it_is_added)
{
	fx_render_opts opts = FX_RENDER_OPTS_INIT;
	struct tbuf out = TBUF_INIT;
	fx_report *report = invalid_report();
	fx_renderer *r = NULL;

	opts.write = tbuf_write;
	opts.payload = &out;
	ck_assert_int_eq(fx_renderer_new(&r, FX_FORMAT_JSON, &opts), 0);
	ck_assert_int_eq(fx_renderer_begin(r), 0);
	ck_assert_ptr_nonnull(out.ptr);
	ck_assert_ptr_nonnull(strstr(out.ptr, "\"version\": 1"));
	ck_assert_ptr_null(strstr(out.ptr, "inv.xml"));
	ck_assert_int_eq(fx_renderer_add(r, report), 0);
	ck_assert_ptr_nonnull(strstr(out.ptr, "\"inv.xml\""));
	ck_assert_ptr_null(strstr(out.ptr, "summary"));
	ck_assert_int_eq(fx_renderer_end(r, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out.ptr, "summary"));
	fx_renderer_free(r);
	fx_report_free(report);
	tbuf_release(&out);
}
END_TEST

/* ---- JUnit --------------------------------------------------------- */

START_TEST(junit_counts_test_cases_failures_and_errors)
{
	fx_report *reports[] = { invalid_report(), valid_report(),
				 error_report(),
				 validated("invalid/invoice-cii.xml") };
	char *out = render(FX_FORMAT_JUNIT, 0, 0, reports, 4);
	xmlDocPtr doc = parse_xml(out);
	char *s;

	ck_assert_xpath_num(doc, "count(/testsuites)", 1);
	ck_assert_xpath_num(doc, "number(/testsuites/@tests)", 4);
	ck_assert_xpath_num(doc, "number(/testsuites/@failures)", 2);
	ck_assert_xpath_num(doc, "number(/testsuites/@errors)", 1);
	ck_assert_xpath_num(doc, "count(/testsuites/testsuite)", 1);
	s = xpath_string(doc, "/testsuites/testsuite/@name");
	ck_assert_str_eq(s, "facture validate");
	free(s);
	ck_assert_xpath_num(doc, "number(/testsuites/testsuite/@tests)", 4);
	ck_assert_xpath_num(doc, "number(/testsuites/testsuite/@failures)", 2);
	ck_assert_xpath_num(doc, "number(/testsuites/testsuite/@errors)", 1);
	ck_assert_xpath_num(doc, "count(//testcase)", 4);
	ck_assert_xpath_num(
		doc, "count(//testcase[@classname='facture.validate'])", 4);
	ck_assert_xpath_num(doc, "count(//failure)", 2);
	ck_assert_xpath_num(doc, "count(//error)", 1);
	/* each verdict under its own file, in input order */
	s = xpath_string(doc, "//testcase[1]/@name");
	ck_assert_str_eq(s, "inv.xml");
	free(s);
	ck_assert_xpath_num(doc, "count(//testcase[1]/failure)", 1);
	ck_assert_xpath_num(doc, "count(//testcase[@name='ok.xml']/*)", 0);
	ck_assert_xpath_num(doc, "count(//testcase[@name='gone.xml']/error)",
			    1);
	ck_assert_xpath_num(doc, "count(//testcase[4]/failure)", 1);
	/* the findings in compiler style, inside the failure */
	s = xpath_string(doc, "//testcase[1]/failure");
	ck_assert_ptr_nonnull(
		strstr(s, "inv.xml:3:5: error[XSD]: element "
			  "cbc:IssueDate is missing in Invoice\n"
			  "inv.xml:7: warning[BR-W-1]: the seller has no "
			  "VAT number\n"));
	free(s);
	s = xpath_string(doc, "//testcase[4]/failure/@message");
	ck_assert_str_eq(s, "2 errors");
	free(s);
	xmlFreeDoc(doc);
	free(out);
	free_reports(reports, 4);
}
END_TEST

START_TEST(junit_escapes_markup_and_control_characters)
{
	static const char path[] = "a<b>&\"c\"'.xml";
	fx_report *r = NULL;
	char *out, *s;
	xmlDocPtr doc;

	ck_assert_int_eq(fx_report_new(&r, path), 0);
	add(r, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "X<&>",
	    "bad ]]> <tag> & \x01\x02 \xc3\xa9", 1, 1, NULL);
	out = render(FX_FORMAT_JUNIT, 0, 0, &r, 1);
	doc = parse_xml(out);
	s = xpath_string(doc, "//testcase/@name");
	ck_assert_str_eq(s, path);
	free(s);
	s = xpath_string(doc, "//testcase/failure");
	ck_assert_ptr_nonnull(strstr(s, "[X<&>]: bad ]]> <tag> & "));
	ck_assert_ptr_nonnull(strstr(s, "\xc3\xa9"));
	free(s);
	xmlFreeDoc(doc);
	free(out);
	fx_report_free(r);
}
END_TEST

START_TEST(junit_of_an_empty_run_is_a_complete_document)
{
	char *out = render(FX_FORMAT_JUNIT, 0, 0, NULL, 0);
	xmlDocPtr doc = parse_xml(out);

	ck_assert_xpath_num(doc, "number(/testsuites/@tests)", 0);
	ck_assert_xpath_num(doc, "count(/testsuites/testsuite)", 1);
	ck_assert_xpath_num(doc, "count(//testcase)", 0);
	xmlFreeDoc(doc);
	free(out);
}
END_TEST

static cJSON *sarif_run(cJSON *json);

/* ---- names that are not UTF-8 --------------------------------------- */

/* Whether S is well-formed UTF-8. */
static int is_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;

	while (*p) {
		int n = *p < 0x80			    ? 0
			: (*p & 0xE0) == 0xC0 && *p >= 0xC2 ? 1
			: (*p & 0xF0) == 0xE0		    ? 2
			: (*p & 0xF8) == 0xF0 && *p <= 0xF4 ? 3
							    : -1;

		if (n < 0)
			return 0;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xC0) != 0x80)
				return 0;
	}
	return 1;
}

/* File names are bytes: a Latin-1 name is common on old file systems. */
static fx_report *latin1_named_report(void)
{
	fx_report *r = NULL;

	ck_assert_int_eq(fx_report_new(&r, "factures/caf\xe9-\xff.xml"), 0);
	add(r, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "XSD", "bad", 2, 3, NULL);
	return r;
}

START_TEST(json_stays_utf8_when_a_path_is_not)
{
	fx_report *r = latin1_named_report();
	char *out = render(FX_FORMAT_JSON, 0, 0, &r, 1);
	cJSON *json;

	/* RFC 8259: JSON exchanged between systems is UTF-8 */
	ck_assert_msg(is_utf8(out), "the JSON report is not UTF-8");
	json = parse_json(out);
	ck_assert_ptr_nonnull(strstr(
		string_member(cJSON_GetArrayItem(member(json, "files"), 0),
			      "path"),
		"factures/caf"));
	cJSON_Delete(json);
	free(out);
	fx_report_free(r);
}
END_TEST

START_TEST(junit_stays_well_formed_when_a_path_is_not_utf8)
{
	fx_report *r = latin1_named_report();
	char *out = render(FX_FORMAT_JUNIT, 0, 0, &r, 1);
	xmlDocPtr doc = parse_xml(out);
	char *s = xpath_string(doc, "//testcase/@name");

	ck_assert_ptr_nonnull(strstr(s, "factures/caf"));
	free(s);
	xmlFreeDoc(doc);
	free(out);
	fx_report_free(r);
}
END_TEST

START_TEST(sarif_stays_utf8_when_a_path_is_not)
{
	fx_report *r = latin1_named_report();
	char *out = render(FX_FORMAT_SARIF, 0, 0, &r, 1);
	cJSON *json, *res;

	ck_assert_msg(is_utf8(out), "the SARIF report is not UTF-8");
	json = parse_json(out);
	res = cJSON_GetArrayItem(member(sarif_run(json), "results"), 0);
	/* in a URI, the bytes are escaped */
	ck_assert_str_eq(
		string_member(
			member(member(cJSON_GetArrayItem(
					      member(res, "locations"), 0),
				      "physicalLocation"),
			       "artifactLocation"),
			"uri"),
		"factures/caf%E9-%FF.xml");
	cJSON_Delete(json);
	free(out);
	fx_report_free(r);
}
END_TEST

/* ---- SARIF --------------------------------------------------------- */

static cJSON *sarif_run(cJSON *json)
{
	cJSON *runs = member(json, "runs");

	ck_assert(cJSON_IsArray(runs));
	ck_assert_int_eq(cJSON_GetArraySize(runs), 1);
	return cJSON_GetArrayItem(runs, 0);
}

START_TEST(sarif_has_version_driver_and_results)
{
	fx_report *reports[] = { invalid_report(), valid_report(),
				 error_report() };
	char *out = render(FX_FORMAT_SARIF, 0, 0, reports, 3);
	cJSON *json = parse_json(out), *run, *driver, *results, *res, *loc;
	cJSON *phys, *region;

	ck_assert_str_eq(string_member(json, "version"), "2.1.0");
	ck_assert_ptr_nonnull(strstr(string_member(json, "$schema"), "sarif"));
	run = sarif_run(json);
	driver = member(member(run, "tool"), "driver");
	ck_assert_str_eq(string_member(driver, "name"), "facture");
	ck_assert_str_eq(string_member(driver, "version"), fx_version());
	results = member(run, "results");
	/* one result per finding, notes included */
	ck_assert_int_eq(cJSON_GetArraySize(results), 4);

	res = cJSON_GetArrayItem(results, 0);
	ck_assert_str_eq(string_member(res, "ruleId"), "XSD");
	ck_assert_str_eq(string_member(res, "level"), "error");
	ck_assert_str_eq(string_member(member(res, "message"), "text"),
			 "element cbc:IssueDate is missing in Invoice");
	loc = cJSON_GetArrayItem(member(res, "locations"), 0);
	ck_assert_ptr_nonnull(loc);
	phys = member(loc, "physicalLocation");
	ck_assert_str_eq(string_member(member(phys, "artifactLocation"), "uri"),
			 "inv.xml");
	region = member(phys, "region");
	ck_assert_double_eq(number_member(region, "startLine"), 3);
	ck_assert_double_eq(number_member(region, "startColumn"), 5);
	ck_assert_str_eq(
		string_member(
			cJSON_GetArrayItem(member(loc, "logicalLocations"), 0),
			"fullyQualifiedName"),
		"/Invoice");

	res = cJSON_GetArrayItem(results, 1);
	ck_assert_str_eq(string_member(res, "ruleId"), "BR-W-1");
	ck_assert_str_eq(string_member(res, "level"), "warning");
	region = member(member(cJSON_GetArrayItem(member(res, "locations"), 0),
			       "physicalLocation"),
			"region");
	ck_assert_double_eq(number_member(region, "startLine"), 7);
	ck_assert_ptr_null(
		cJSON_GetObjectItemCaseSensitive(region, "startColumn"));

	res = cJSON_GetArrayItem(results, 2);
	ck_assert_str_eq(string_member(res, "level"), "note");
	phys = member(cJSON_GetArrayItem(member(res, "locations"), 0),
		      "physicalLocation");
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(phys, "region"));

	res = cJSON_GetArrayItem(results, 3);
	ck_assert_str_eq(string_member(res, "ruleId"), "INPUT");
	ck_assert_str_eq(
		string_member(
			member(member(cJSON_GetArrayItem(
					      member(res, "locations"), 0),
				      "physicalLocation"),
			       "artifactLocation"),
			"uri"),
		"gone.xml");
	cJSON_Delete(json);
	free(out);
	free_reports(reports, 3);
}
END_TEST

START_TEST(sarif_lists_each_rule_once)
{
	fx_report *reports[] = { invalid_report(), invalid_report(),
				 error_report(),
				 validated("invalid/creditnote-ubl.xml"),
				 error_report() };
	char *out = render(FX_FORMAT_SARIF, 0, 0, reports, 5);
	cJSON *json = parse_json(out), *rules, *rule, *results, *res;
	const char *want[] = { "XSD", "BR-W-1", "NOTE-1", "INPUT" };
	size_t i;
	int n;

	rules = member(member(member(sarif_run(json), "tool"), "driver"),
		       "rules");
	ck_assert(cJSON_IsArray(rules));
	ck_assert_int_eq(cJSON_GetArraySize(rules), 4);
	for (i = 0; i < 4; i++) {
		n = 0;
		cJSON_ArrayForEach(rule,
				   rules) if (!strcmp(string_member(rule, "id"),
						      want[i])) n++;
		ck_assert_msg(n == 1, "rule %s listed %d times", want[i], n);
	}
	/* and every result's rule is among them */
	results = member(sarif_run(json), "results");
	ck_assert_int_eq(cJSON_GetArraySize(results), 3 + 3 + 1 + 2 + 1);
	cJSON_ArrayForEach(res, results)
	{
		n = 0;
		cJSON_ArrayForEach(
			rule, rules) if (!strcmp(string_member(rule, "id"),
						 string_member(res, "ruleId")))
			n++;
		ck_assert_int_eq(n, 1);
	}
	cJSON_Delete(json);
	free(out);
	free_reports(reports, 5);
}
END_TEST

START_TEST(sarif_locations_of_a_real_report_carry_the_xpath)
{
	fx_report *reports[] = { validated("invalid/invoice-cii.xml") };
	char *out = render(FX_FORMAT_SARIF, 0, 0, reports, 1);
	cJSON *json = parse_json(out), *results, *loc;
	const fx_finding *f = fx_report_get(reports[0], 0);

	results = member(sarif_run(json), "results");
	ck_assert_int_eq(cJSON_GetArraySize(results), 2);
	loc = cJSON_GetArrayItem(
		member(cJSON_GetArrayItem(results, 0), "locations"), 0);
	ck_assert_ptr_nonnull(f->xpath);
	ck_assert_str_eq(
		string_member(
			cJSON_GetArrayItem(member(loc, "logicalLocations"), 0),
			"fullyQualifiedName"),
		f->xpath);
	ck_assert_double_eq(
		number_member(member(member(loc, "physicalLocation"), "region"),
			      "startLine"),
		f->line);
	cJSON_Delete(json);
	free(out);
	free_reports(reports, 1);
}
END_TEST

START_TEST(sarif_uris_escape_what_uris_cannot_hold)
{
	fx_report *r = NULL;
	char *out;
	cJSON *json, *res;

	ck_assert_int_eq(fx_report_new(&r, "my dir/inv #1%.xml"), 0);
	add(r, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "XSD", "m", 1, 1, NULL);
	out = render(FX_FORMAT_SARIF, 0, 0, &r, 1);
	json = parse_json(out);
	res = cJSON_GetArrayItem(member(sarif_run(json), "results"), 0);
	ck_assert_str_eq(
		string_member(
			member(member(cJSON_GetArrayItem(
					      member(res, "locations"), 0),
				      "physicalLocation"),
			       "artifactLocation"),
			"uri"),
		"my%20dir/inv%20%231%25.xml");
	cJSON_Delete(json);
	free(out);
	fx_report_free(r);
}
END_TEST

START_TEST(sarif_absolute_paths_become_file_uris)
{
	fx_report *r = NULL;
	char *out;
	cJSON *json, *res;

	ck_assert_int_eq(fx_report_new(&r, "/srv/in box/a.xml"), 0);
	add(r, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "XSD", "m", 1, 1, NULL);
	out = render(FX_FORMAT_SARIF, 0, 0, &r, 1);
	json = parse_json(out);
	res = cJSON_GetArrayItem(member(sarif_run(json), "results"), 0);
	ck_assert_str_eq(
		string_member(
			member(member(cJSON_GetArrayItem(
					      member(res, "locations"), 0),
				      "physicalLocation"),
			       "artifactLocation"),
			"uri"),
		"file:///srv/in%20box/a.xml");
	cJSON_Delete(json);
	free(out);
	fx_report_free(r);
}
END_TEST

START_TEST(sarif_of_an_empty_run_is_a_complete_document)
{
	char *out = render(FX_FORMAT_SARIF, 0, 0, NULL, 0);
	cJSON *json = parse_json(out), *run = sarif_run(json);

	ck_assert_int_eq(cJSON_GetArraySize(member(run, "results")), 0);
	ck_assert_int_eq(
		cJSON_GetArraySize(
			member(member(member(run, "tool"), "driver"), "rules")),
		0);
	cJSON_Delete(json);
	free(out);
}
END_TEST

/* ---- write failures ------------------------------------------------ */

struct failing {
	int calls;
	int fail_from; /* the first call that fails, counting from 1 */
	size_t bytes;
};

static int failing_write(const char *data, size_t len, void *payload)
{
	struct failing *f = payload;

	(void) data;
	if (++f->calls >= f->fail_from)
		return -1;
	f->bytes += len;
	return 0;
}

START_TEST(failing_write_makes_every_renderer_return_eio)
{
	fx_render_opts opts = FX_RENDER_OPTS_INIT;
	struct failing state = { 0, 1, 0 };
	fx_report *report = invalid_report();
	fx_renderer *r = NULL;
	int rc[4];

	opts.write = failing_write;
	opts.payload = &state;
	opts.verbose = 1;
	ck_assert_int_eq(fx_renderer_new(&r, (fx_format) _i, &opts), 0);
	rc[0] = fx_renderer_begin(r);
	rc[1] = fx_renderer_add(r, report);
	rc[2] = fx_renderer_add(r, report);
	rc[3] = fx_renderer_end(r, NULL);
	fx_renderer_free(r);
	/* nothing can be written: the end of the run at least says so */
	ck_assert_int_eq(rc[3], FX_EIO);
	ck_assert_int_eq(rc[2], _i == FX_FORMAT_JUNIT ? 0 : FX_EIO);
	ck_assert_uint_ge(state.calls, 1);
	ck_assert_uint_eq(state.bytes, 0);
	fx_report_free(report);
}
END_TEST

START_TEST(renderer_stays_failed_after_a_write_error)
{
	fx_render_opts opts = FX_RENDER_OPTS_INIT;
	/* JUnit writes once, at the end; the others write as they go */
	struct failing state = { 0, _i == FX_FORMAT_JUNIT ? 1 : 2, 0 };
	fx_report *report = invalid_report();
	fx_renderer *r = NULL;
	int rc[5], calls_at_failure = -1, first = -1, i;

	opts.write = failing_write;
	opts.payload = &state;
	ck_assert_int_eq(fx_renderer_new(&r, (fx_format) _i, &opts), 0);
	for (i = 0; i < 5; i++) {
		if (i == 0)
			rc[i] = fx_renderer_begin(r);
		else if (i < 4)
			rc[i] = fx_renderer_add(r, report);
		else
			rc[i] = fx_renderer_end(r, NULL);
		ck_assert_msg(rc[i] == 0 || rc[i] == FX_EIO, "call %d gave %d",
			      i, rc[i]);
		if (rc[i] == FX_EIO && first < 0) {
			first = i;
			calls_at_failure = state.calls;
		}
	}
	fx_renderer_free(r);
	ck_assert_int_ge(first, 0);
	/* once failed, every call says so and nothing more is tried */
	for (i = first; i < 5; i++)
		ck_assert_int_eq(rc[i], FX_EIO);
	ck_assert_int_eq(state.calls, calls_at_failure);
	fx_report_free(report);
}
END_TEST

START_TEST(same_run_renders_the_same_bytes)
{
	fx_report *reports[] = { invalid_report(), error_report() };
	char *whole = render((fx_format) _i, 0, 1, reports, 2);
	fx_render_opts opts = FX_RENDER_OPTS_INIT;
	fx_summary summary = FX_SUMMARY_INIT;
	struct tbuf out = TBUF_INIT;
	fx_renderer *r = NULL;

	/* the same run a second time gives the same bytes */
	opts.write = tbuf_write;
	opts.payload = &out;
	opts.verbose = 1;
	fx_summary_add(&summary, reports[0]);
	fx_summary_add(&summary, reports[1]);
	summary.seconds = 1.25;
	ck_assert_int_eq(fx_renderer_new(&r, (fx_format) _i, &opts), 0);
	ck_assert_int_eq(fx_renderer_begin(r), 0);
	ck_assert_int_eq(fx_renderer_add(r, reports[0]), 0);
	ck_assert_int_eq(fx_renderer_add(r, reports[1]), 0);
	ck_assert_int_eq(fx_renderer_end(r, &summary), 0);
	fx_renderer_free(r);
	ck_assert_ptr_nonnull(out.ptr);
	ck_assert_str_eq(out.ptr, whole);
	ck_assert_uint_eq(out.len, strlen(whole));
	tbuf_release(&out);
	free(whole);
	free_reports(reports, 2);
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("options");

	tcase_add_test(tc, format_names_parse);
	tcase_add_test(tc, renderer_without_write_function_is_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_test(tc, text_lines_are_in_compiler_style);
	tcase_add_test(tc, text_notes_and_valid_files_show_when_verbose);
	tcase_add_test(tc, text_valid_files_are_quiet_unless_verbose);
	tcase_add_test(tc, text_verbose_names_an_unknown_profile);
	tcase_add_test(tc, text_has_colour_only_when_asked);
	tcase_add_test(tc, text_of_a_real_schema_error_points_at_the_element);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_test(tc, json_has_version_tool_files_and_summary);
	tcase_add_test(tc,
		       json_escapes_quotes_new_lines_and_control_characters);
	tcase_add_test(tc, json_of_an_empty_run_is_a_complete_document);
	tcase_add_test(tc, json_of_real_reports_has_syntax_profile_and_layers);
	tcase_add_test(tc, json_names_no_profile_for_an_unknown_bt24);
	tcase_add_test(tc, json_streams_each_report_as_it_is_added);
	suite_add_tcase(s, tc);

	tc = tcase_create("junit");
	tcase_add_test(tc, junit_counts_test_cases_failures_and_errors);
	tcase_add_test(tc, junit_escapes_markup_and_control_characters);
	tcase_add_test(tc, junit_of_an_empty_run_is_a_complete_document);
	suite_add_tcase(s, tc);

	tc = tcase_create("utf8");
	tcase_add_test(tc, json_stays_utf8_when_a_path_is_not);
	tcase_add_test(tc, junit_stays_well_formed_when_a_path_is_not_utf8);
	tcase_add_test(tc, sarif_stays_utf8_when_a_path_is_not);
	suite_add_tcase(s, tc);

	tc = tcase_create("sarif");
	tcase_add_test(tc, sarif_has_version_driver_and_results);
	tcase_add_test(tc, sarif_lists_each_rule_once);
	tcase_add_test(tc, sarif_locations_of_a_real_report_carry_the_xpath);
	tcase_add_test(tc, sarif_uris_escape_what_uris_cannot_hold);
	tcase_add_test(tc, sarif_absolute_paths_become_file_uris);
	tcase_add_test(tc, sarif_of_an_empty_run_is_a_complete_document);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_loop_test(tc, failing_write_makes_every_renderer_return_eio,
			    FX_FORMAT_TEXT, FX_FORMAT_SARIF + 1);
	tcase_add_loop_test(tc, renderer_stays_failed_after_a_write_error,
			    FX_FORMAT_TEXT, FX_FORMAT_SARIF + 1);
	tcase_add_loop_test(tc, same_run_renders_the_same_bytes, FX_FORMAT_TEXT,
			    FX_FORMAT_SARIF + 1);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(render_suite());
}
