/* SPDX-License-Identifier: MIT */
/*
 * check_rules.c - the rules layer: exact decimals, the fx: functions as a
 * stylesheet calls them, and findings of the rule sets
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxslt/transform.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#include "decimal.h"
#include "helpers.h"

/* ---- decimals ------------------------------------------------------ */

static char *dec_text(const struct fx_decimal *d)
{
	static char buf[64];

	ck_assert_int_eq(fx_decimal_format(buf, sizeof(buf), d), 0);
	return buf;
}

static struct fx_decimal dec(const char *s)
{
	struct fx_decimal d;

	ck_assert_msg(fx_decimal_parse(&d, s) == 0, "'%s' should parse", s);
	return d;
}

START_TEST(decimals_add_without_binary_error)
{
	struct fx_decimal a = dec("0.1"), b = dec("0.2"), r;

	ck_assert_int_eq(fx_decimal_add(&r, &a, &b), 0);
	ck_assert_str_eq(dec_text(&r), "0.3");
	a = dec("-1.005");
	b = dec("1000000000000.1");
	ck_assert_int_eq(fx_decimal_add(&r, &a, &b), 0);
	ck_assert_str_eq(dec_text(&r), "999999999999.095");
	ck_assert_int_eq(fx_decimal_sub(&r, &a, &a), 0);
	ck_assert_str_eq(dec_text(&r), "0.000");
}
END_TEST

START_TEST(decimals_multiply_exactly)
{
	struct fx_decimal a = dec("19.99"), b = dec("3.5"), r;

	ck_assert_int_eq(fx_decimal_mul(&r, &a, &b), 0);
	ck_assert_str_eq(dec_text(&r), "69.965");
	a = dec("-0.05");
	ck_assert_int_eq(fx_decimal_mul(&r, &a, &b), 0);
	ck_assert_str_eq(dec_text(&r), "-0.175");
}
END_TEST

START_TEST(rounding_takes_halves_towards_positive_infinity)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "2.345", "2.35" },   { "2.344", "2.34" },
		{ "-2.345", "-2.34" }, { "-2.346", "-2.35" },
		{ "0.005", "0.01" },   { "-0.005", "0.00" },
		{ "7", "7.00" },       { "1.999", "2.00" },
	};
	struct fx_decimal a, r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = dec(cases[i].in);
		ck_assert_int_eq(fx_decimal_round(&r, &a, 2), 0);
		ck_assert_msg(!strcmp(dec_text(&r), cases[i].out),
			      "round(%s) = %s, want %s", cases[i].in,
			      dec_text(&r), cases[i].out);
	}
}
END_TEST

START_TEST(comparison_ignores_trailing_zeros)
{
	struct fx_decimal a = dec("100.00"), b = dec("100"), c = dec("100.01");

	ck_assert_int_eq(fx_decimal_cmp(&a, &b), 0);
	ck_assert_int_eq(fx_decimal_cmp(&a, &c), -1);
	ck_assert_int_eq(fx_decimal_cmp(&c, &b), 1);
	c = dec("-100.01");
	ck_assert_int_eq(fx_decimal_cmp(&c, &b), -1);
}
END_TEST

START_TEST(what_is_not_a_decimal_is_refused)
{
	static const char *const bad[] = {
		"",    "1,5", "1.2.3", "1e3", "abc",
		"- 1", ".",   "12a",   "NaN", "0x10"
	};
	struct fx_decimal d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(fx_decimal_parse(&d, bad[i]) < 0,
			      "'%s' is not a decimal", bad[i]);
	/* what XML schema's xs:decimal accepts, spaces around included */
	ck_assert_int_eq(fx_decimal_parse(&d, " +12. "), 0);
	ck_assert_int_eq(fx_decimal_parse(&d, ".5"), 0);
	ck_assert_str_eq(dec_text(&d), "0.5");
}
END_TEST

START_TEST(huge_values_fail_instead_of_wrapping)
{
	struct fx_decimal a, r;

	ck_assert_int_lt(fx_decimal_parse(&a, "123456789012345678901234567890"
					      "1234567890"),
			 0);
	a = dec("99999999999999999999.99");
	ck_assert_int_lt(fx_decimal_mul(&r, &a, &a), 0);
}
END_TEST

/* ---- the fx: functions, called from a stylesheet -------------------- */

/* The text a one-template stylesheet writes for EXPR on a small
 * document with two amounts (caller frees). */
static char *eval(const char *expr)
{
	static const char doc_text[] =
		"<d><a>100.10</a><a>0.20</a><b>x</b></d>";
	struct tbuf sheet = TBUF_INIT;
	xmlDocPtr sdoc, doc, res;
	xsltStylesheetPtr style;
	xmlChar *out = NULL;
	int len = 0;
	char *copy;

	tbuf_printf(&sheet,
		    "<xsl:stylesheet version='1.0' "
		    "xmlns:xsl='http://www.w3.org/1999/XSL/Transform' "
		    "xmlns:fx='urn:facture:functions'>"
		    "<xsl:output method='text'/>"
		    "<xsl:template match='/d'><xsl:value-of select=\"%s\"/>"
		    "</xsl:template></xsl:stylesheet>",
		    expr);
	ck_assert_int_eq(fx_global_init(), 0);
	sdoc = xmlReadMemory(sheet.ptr, (int) sheet.len, "t.xsl", NULL, 0);
	ck_assert_ptr_nonnull(sdoc);
	style = xsltParseStylesheetDoc(sdoc);
	ck_assert_ptr_nonnull(style);
	doc = xmlReadMemory(doc_text, (int) strlen(doc_text), "d.xml", NULL, 0);
	res = xsltApplyStylesheet(style, doc, NULL);
	ck_assert_ptr_nonnull(res);
	xsltSaveResultToString(&out, &len, res, style);
	copy = strdup(out ? (const char *) out : "");
	xmlFree(out);
	xmlFreeDoc(res);
	xmlFreeDoc(doc);
	xsltFreeStylesheet(style);
	tbuf_release(&sheet);
	return copy;
}

static void expect(const char *expr, const char *want)
{
	char *got = eval(expr);

	ck_assert_msg(!strcmp(got, want), "%s gave '%s', want '%s'", expr, got,
		      want);
	free(got);
}

START_TEST(fx_functions_compute_as_documented)
{
	expect("fx:sum(a)", "100.30");
	expect("fx:sum(b)", "NaN");
	expect("fx:sum(nothing)", "0");
	expect("fx:add('1.10', '2.205')", "3.305");
	expect("fx:sub(a[1], a[2])", "99.90");
	expect("fx:mul('3', '0.333')", "0.999");
	expect("fx:round('2.345', 2)", "2.35");
	expect("fx:cmp('1.0', '1')", "0");
	expect("fx:cmp('x', '1')", "NaN");
	expect("fx:eq(fx:sum(a), '100.3')", "true");
	expect("fx:eq('abc', 'abc')", "false");
	expect("fx:decimal('12.50')", "true");
	expect("fx:decimals('12.500')", "3");
	expect("fx:matches('FR12345678901', '^[A-Z]{2}[0-9A-Z]+$')", "true");
	expect("fx:matches('fr1', '^[A-Z]{2}')", "false");
	expect("fx:date('2024-02-29')", "true");
	expect("fx:date('2023-02-29')", "false");
	expect("fx:date('20240229', '102')", "true");
	expect("fx:date('2024-2-29')", "false");
	/* SIREN 732829320 (Luhn), a SIRET, and one digit changed */
	expect("fx:luhn('732829320')", "true");
	expect("fx:luhn('73282932000074')", "true");
	expect("fx:luhn('732829321')", "false");
	expect("fx:iban('FR76 3000 6000 0112 3456 7890 189')", "true");
	expect("fx:iban('FR76 3000 6000 0112 3456 7890 188')", "false");
	expect("fx:gln('5412345000013')", "true");
	expect("fx:gln('5412345000014')", "false");
}
END_TEST

/* ---- rule sets ------------------------------------------------------ */

START_TEST(ubl_rules_name_the_values_and_terms)
{
	char *xml = t_example("invoice-ubl.xml", NULL);
	char *bad =
		t_replace(xml, "<cbc:LineExtensionAmount currencyID=\"EUR\">",
			  "<cbc:LineExtensionAmount currencyID=\"EUR\">9");
	fx_ctx *ctx = t_ctx();
	fx_report *r = NULL;
	const fx_finding *f = NULL;
	size_t i;

	ck_assert_int_eq(
		fx_validate_memory(&r, ctx, "bad.xml", bad, strlen(bad), NULL),
		0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_INVALID);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_RULES), FX_LAYER_FAIL);
	for (i = 0; i < fx_report_count(r); i++)
		if (!strcmp(fx_report_get(r, i)->rule, "BR-CO-10"))
			f = fx_report_get(r, i);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->layer, FX_LAYER_RULES);
	ck_assert_int_eq(f->severity, FX_SEVERITY_FATAL);
	ck_assert_str_eq(f->terms, "BT-106 BT-131");
	ck_assert_ptr_nonnull(strstr(f->message, "BT-106"));
	ck_assert_ptr_nonnull(f->xpath);
	ck_assert_ptr_nonnull(strstr(f->xpath, "cac:LegalMonetaryTotal"));
	ck_assert_uint_gt(f->line, 1);
	fx_report_free(r);
	free(bad);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(rules_none_runs_no_rule)
{
	fx_validate_opts opts = FX_VALIDATE_OPTS_INIT;
	char *path = t_example_path("invalid/invoice-ubl.xml");
	fx_ctx *ctx = t_ctx();
	fx_report *r = NULL;

	opts.rules = FX_RULES_NONE;
	ck_assert_int_eq(fx_validate_file(&r, ctx, path, &opts), 0);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_RULES), FX_LAYER_NOT_RUN);
	fx_report_free(r);
	opts.rules = FX_RULES_EN16931;
	opts.stop_on_schema_error = 1;
	ck_assert_int_eq(fx_validate_file(&r, ctx, path, &opts), 0);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_SCHEMA), FX_LAYER_FAIL);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_RULES), FX_LAYER_NOT_RUN);
	fx_report_free(r);
	opts.stop_on_schema_error = 0;
	ck_assert_int_eq(fx_validate_file(&r, ctx, path, &opts), 0);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_RULES), FX_LAYER_FAIL);
	fx_report_free(r);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("decimal");

	tcase_add_test(tc, decimals_add_without_binary_error);
	tcase_add_test(tc, decimals_multiply_exactly);
	tcase_add_test(tc, rounding_takes_halves_towards_positive_infinity);
	tcase_add_test(tc, comparison_ignores_trailing_zeros);
	tcase_add_test(tc, what_is_not_a_decimal_is_refused);
	tcase_add_test(tc, huge_values_fail_instead_of_wrapping);
	suite_add_tcase(s, tc);
	tc = tcase_create("functions");
	tcase_add_test(tc, fx_functions_compute_as_documented);
	suite_add_tcase(s, tc);
	tc = tcase_create("sets");
	tcase_add_test(tc, ubl_rules_name_the_values_and_terms);
	tcase_add_test(tc, rules_none_runs_no_rule);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(rules_suite());
}
