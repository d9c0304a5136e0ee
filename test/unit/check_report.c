/* SPDX-License-Identifier: MIT */
/*
 * check_report.c - unit tests of fx_report: findings, counts, verdicts
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static fx_report *new_report(const char *file)
{
	fx_report *r = NULL;

	ck_assert_int_eq(fx_report_new(&r, file), 0);
	ck_assert_ptr_nonnull(r);
	return r;
}

static void add(fx_report *r, fx_severity severity, fx_layer layer,
		const char *rule, const char *message)
{
	fx_finding f;

	memset(&f, 0, sizeof(f));
	f.severity = severity;
	f.layer = layer;
	f.rule = rule;
	f.message = message;
	ck_assert_int_eq(fx_report_add(r, &f), 0);
}

START_TEST(new_report_is_empty_and_valid)
{
	fx_report *r = new_report("inv.xml");
	fx_layer l;

	ck_assert_str_eq(fx_report_file(r), "inv.xml");
	ck_assert_uint_eq(fx_report_count(r), 0);
	ck_assert_ptr_null(fx_report_get(r, 0));
	ck_assert_uint_eq(fx_report_count_severity(r, FX_SEVERITY_FATAL), 0);
	ck_assert_uint_eq(fx_report_count_severity(r, FX_SEVERITY_WARNING), 0);
	ck_assert_uint_eq(fx_report_count_severity(r, FX_SEVERITY_INFO), 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_VALID);
	for (l = FX_LAYER_INPUT; l < FX_LAYER_COUNT; l++)
		ck_assert_int_eq(fx_report_layer(r, l), FX_LAYER_NOT_RUN);
	ck_assert_int_eq(fx_report_syntax(r), FX_SYNTAX_UNKNOWN);
	ck_assert_int_eq(fx_report_profile(r), FX_PROFILE_NONE);
	ck_assert_ptr_null(fx_report_profile_id(r));
	fx_report_free(r);
}
END_TEST

START_TEST(new_report_without_file_has_null_file)
{
	fx_report *r = new_report(NULL);

	ck_assert_ptr_null(fx_report_file(r));
	add(r, FX_SEVERITY_FATAL, FX_LAYER_INPUT, "INPUT", "no file");
	ck_assert_ptr_null(fx_report_get(r, 0)->file);
	fx_report_free(r);
}
END_TEST

START_TEST(report_keeps_its_own_copy_of_the_file_name)
{
	char *name = strdup("copied.xml");
	fx_report *r = new_report(name);

	memset(name, 'X', strlen(name));
	free(name);
	ck_assert_str_eq(fx_report_file(r), "copied.xml");
	fx_report_free(r);
}
END_TEST

START_TEST(added_finding_is_copied_with_every_field)
{
	fx_report *r = new_report("inv.xml");
	char *rule = strdup("BR-CO-10"), *msg = strdup("sum of lines differs");
	char *terms = strdup("BT-106, BT-131"), *file = strdup("other.xml");
	char *xpath = strdup("/Invoice/cac:LegalMonetaryTotal");
	const fx_finding *got;
	fx_finding f;

	memset(&f, 0, sizeof(f));
	f.severity = FX_SEVERITY_WARNING;
	f.layer = FX_LAYER_RULES;
	f.rule = rule;
	f.message = msg;
	f.terms = terms;
	f.file = file;
	f.line = 42;
	f.column = 7;
	f.xpath = xpath;
	ck_assert_int_eq(fx_report_add(r, &f), 0);

	/* the caller's buffers may go away at once */
	memset(rule, 0, strlen(rule));
	memset(msg, 0, strlen(msg));
	free(rule);
	free(msg);
	free(terms);
	free(file);
	free(xpath);

	ck_assert_uint_eq(fx_report_count(r), 1);
	got = fx_report_get(r, 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(got->severity, FX_SEVERITY_WARNING);
	ck_assert_int_eq(got->layer, FX_LAYER_RULES);
	ck_assert_str_eq(got->rule, "BR-CO-10");
	ck_assert_str_eq(got->message, "sum of lines differs");
	ck_assert_str_eq(got->terms, "BT-106, BT-131");
	ck_assert_str_eq(got->file, "other.xml");
	ck_assert_uint_eq(got->line, 42);
	ck_assert_uint_eq(got->column, 7);
	ck_assert_str_eq(got->xpath, "/Invoice/cac:LegalMonetaryTotal");
	fx_report_free(r);
}
END_TEST

START_TEST(finding_without_file_takes_the_report_file)
{
	fx_report *r = new_report("inv.xml");
	const fx_finding *got;

	add(r, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "XSD", "bad");
	got = fx_report_get(r, 0);
	ck_assert_str_eq(got->file, "inv.xml");
	/* a copy, not the report's own string */
	ck_assert_ptr_ne(got->file, fx_report_file(r));
	fx_report_free(r);
}
END_TEST

START_TEST(unknown_values_stay_null_or_zero)
{
	fx_report *r = new_report("inv.xml");
	const fx_finding *got;
	fx_finding f;

	memset(&f, 0, sizeof(f));
	f.severity = FX_SEVERITY_INFO;
	f.layer = FX_LAYER_XML;
	ck_assert_int_eq(fx_report_add(r, &f), 0);
	got = fx_report_get(r, 0);
	ck_assert_ptr_null(got->rule);
	ck_assert_ptr_null(got->terms);
	ck_assert_ptr_null(got->xpath);
	ck_assert_uint_eq(got->line, 0);
	ck_assert_uint_eq(got->column, 0);
	/* a message is always there, if empty */
	ck_assert_ptr_nonnull(got->message);
	ck_assert_str_eq(got->message, "");
	fx_report_free(r);
}
END_TEST

START_TEST(findings_keep_the_order_they_were_added_in)
{
	fx_report *r = new_report("inv.xml");
	char msg[32];
	size_t i;

	for (i = 0; i < 1000; i++) {
		snprintf(msg, sizeof(msg), "finding %zu", i);
		add(r, (fx_severity) (i % 3), FX_LAYER_RULES, "R", msg);
	}
	ck_assert_uint_eq(fx_report_count(r), 1000);
	for (i = 0; i < 1000; i++) {
		snprintf(msg, sizeof(msg), "finding %zu", i);
		ck_assert_str_eq(fx_report_get(r, i)->message, msg);
		ck_assert_int_eq(fx_report_get(r, i)->severity, (int) (i % 3));
	}
	fx_report_free(r);
}
END_TEST

START_TEST(get_past_the_end_returns_null)
{
	fx_report *r = new_report("inv.xml");

	add(r, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "XSD", "one");
	add(r, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "XSD", "two");
	ck_assert_ptr_nonnull(fx_report_get(r, 1));
	ck_assert_ptr_null(fx_report_get(r, 2));
	ck_assert_ptr_null(fx_report_get(r, 1000000));
	ck_assert_ptr_null(fx_report_get(r, (size_t) -1));
	fx_report_free(r);
}
END_TEST

START_TEST(counts_are_kept_per_severity)
{
	fx_report *r = new_report("inv.xml");

	add(r, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "XSD", "f1");
	add(r, FX_SEVERITY_WARNING, FX_LAYER_RULES, "W1", "w1");
	add(r, FX_SEVERITY_WARNING, FX_LAYER_RULES, "W2", "w2");
	add(r, FX_SEVERITY_INFO, FX_LAYER_RULES, "I1", "i1");
	add(r, FX_SEVERITY_INFO, FX_LAYER_RULES, "I2", "i2");
	add(r, FX_SEVERITY_INFO, FX_LAYER_RULES, "I3", "i3");
	ck_assert_uint_eq(fx_report_count(r), 6);
	ck_assert_uint_eq(fx_report_count_severity(r, FX_SEVERITY_FATAL), 1);
	ck_assert_uint_eq(fx_report_count_severity(r, FX_SEVERITY_WARNING), 2);
	ck_assert_uint_eq(fx_report_count_severity(r, FX_SEVERITY_INFO), 3);
	ck_assert_uint_eq(fx_report_count_severity(r, (fx_severity) 7), 0);
	fx_report_free(r);
}
END_TEST

START_TEST(warnings_and_notes_leave_the_report_valid)
{
	fx_report *r = new_report("inv.xml");

	add(r, FX_SEVERITY_WARNING, FX_LAYER_RULES, "W", "w");
	add(r, FX_SEVERITY_INFO, FX_LAYER_RULES, "I", "i");
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_VALID);
	/* and do not fail their layer */
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_RULES), FX_LAYER_NOT_RUN);
	fx_report_free(r);
}
END_TEST

START_TEST(fatal_finding_makes_the_report_invalid_and_fails_its_layer)
{
	fx_report *r = new_report("inv.xml");

	fx_report_set_layer(r, FX_LAYER_SCHEMA, FX_LAYER_PASS);
	add(r, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "XSD", "f");
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_INVALID);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_SCHEMA), FX_LAYER_FAIL);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_XML), FX_LAYER_NOT_RUN);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_RULES), FX_LAYER_NOT_RUN);
	fx_report_free(r);
}
END_TEST

START_TEST(set_error_gives_the_error_outcome_even_without_findings)
{
	fx_report *r = new_report("inv.xml");

	ck_assert_int_eq(fx_report_error(r), FX_OK);
	fx_report_set_error(r, FX_EIO);
	ck_assert_uint_eq(fx_report_count(r), 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), FX_EIO);
	fx_report_free(r);
}
END_TEST

START_TEST(error_outcome_wins_over_invalid)
{
	fx_report *r = new_report("inv.xml");

	add(r, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "XSD", "f");
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_INVALID);
	ck_assert_int_eq(fx_report_error(r), FX_OK);
	fx_report_set_error(r, FX_EUNSUPPORTED);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), FX_EUNSUPPORTED);
	fx_report_free(r);
}
END_TEST

START_TEST(error_without_a_negative_code_is_still_an_error)
{
	fx_report *r = new_report("inv.xml");

	/* a caller that passes no reason must not get a valid document */
	fx_report_set_error(r, 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), FX_ERROR);
	fx_report_set_error(r, 5);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_lt(fx_report_error(r), 0);
	fx_report_free(r);
}
END_TEST

START_TEST(layers_are_set_one_by_one)
{
	fx_report *r = new_report("inv.xml");

	fx_report_set_layer(r, FX_LAYER_INPUT, FX_LAYER_PASS);
	fx_report_set_layer(r, FX_LAYER_XML, FX_LAYER_PASS);
	fx_report_set_layer(r, FX_LAYER_PDF, FX_LAYER_FAIL);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_INPUT), FX_LAYER_PASS);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_XML), FX_LAYER_PASS);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_SCHEMA), FX_LAYER_NOT_RUN);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_RULES), FX_LAYER_NOT_RUN);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_PDF), FX_LAYER_FAIL);
	/* setting a layer records no finding and no verdict */
	ck_assert_uint_eq(fx_report_count(r), 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_VALID);
	fx_report_free(r);
}
END_TEST

START_TEST(layers_out_of_range_are_ignored_and_read_as_not_run)
{
	fx_report *r = new_report("inv.xml");

	fx_report_set_layer(r, FX_LAYER_COUNT, FX_LAYER_FAIL);
	fx_report_set_layer(r, (fx_layer) -1, FX_LAYER_FAIL);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_COUNT), FX_LAYER_NOT_RUN);
	ck_assert_int_eq(fx_report_layer(r, (fx_layer) 99), FX_LAYER_NOT_RUN);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_PDF), FX_LAYER_NOT_RUN);
	fx_report_free(r);
}
END_TEST

START_TEST(add_refuses_bad_arguments_with_einvalid)
{
	fx_report *r = new_report("inv.xml");
	fx_finding f;

	memset(&f, 0, sizeof(f));
	f.message = "m";
	ck_assert_int_eq(fx_report_add(NULL, &f), FX_EINVALID);
	ck_assert_int_eq(fx_report_add(r, NULL), FX_EINVALID);
	f.severity = (fx_severity) 3;
	ck_assert_int_eq(fx_report_add(r, &f), FX_EINVALID);
	f.severity = FX_SEVERITY_FATAL;
	f.layer = FX_LAYER_COUNT;
	ck_assert_int_eq(fx_report_add(r, &f), FX_EINVALID);
	/* nothing was added, nothing was counted */
	ck_assert_uint_eq(fx_report_count(r), 0);
	ck_assert_uint_eq(fx_report_count_severity(r, FX_SEVERITY_FATAL), 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_VALID);
	fx_report_free(r);
}
END_TEST

START_TEST(free_accepts_null)
{
	fx_report_free(NULL);
	fx_renderer_free(NULL);
	fx_doc_free(NULL);
	fx_ctx_free(NULL);
}
END_TEST

START_TEST(severities_have_stable_names)
{
	ck_assert_str_eq(fx_severity_name(FX_SEVERITY_FATAL), "fatal");
	ck_assert_str_eq(fx_severity_name(FX_SEVERITY_WARNING), "warning");
	ck_assert_str_eq(fx_severity_name(FX_SEVERITY_INFO), "info");
	ck_assert_ptr_nonnull(fx_severity_name((fx_severity) 3));
	ck_assert_str_ne(fx_severity_name((fx_severity) 3), "info");
	ck_assert_ptr_nonnull(fx_severity_name((fx_severity) -1));
}
END_TEST

START_TEST(layers_have_stable_names)
{
	ck_assert_str_eq(fx_layer_name(FX_LAYER_INPUT), "input");
	ck_assert_str_eq(fx_layer_name(FX_LAYER_XML), "xml");
	ck_assert_str_eq(fx_layer_name(FX_LAYER_SCHEMA), "schema");
	ck_assert_str_eq(fx_layer_name(FX_LAYER_RULES), "rules");
	ck_assert_str_eq(fx_layer_name(FX_LAYER_PDF), "pdf");
	ck_assert_ptr_nonnull(fx_layer_name(FX_LAYER_COUNT));
	ck_assert_str_ne(fx_layer_name(FX_LAYER_COUNT), "pdf");
}
END_TEST

START_TEST(error_codes_have_stable_names)
{
	ck_assert_str_eq(fx_error_name(FX_OK), "ok");
	ck_assert_str_eq(fx_error_name(FX_EIO), "i/o");
	ck_assert_str_eq(fx_error_name(FX_EPARSE), "parse");
	ck_assert_str_eq(fx_error_name(FX_ETOOBIG), "too big");
	ck_assert_str_eq(fx_error_name(FX_EINVALID), "invalid argument");
	ck_assert_str_eq(fx_error_name(-1000), "error");
}
END_TEST

START_TEST(summary_adds_up_outcomes_and_severities)
{
	fx_summary s = FX_SUMMARY_INIT;
	fx_report *valid = new_report("a.xml"), *invalid = new_report("b.xml");
	fx_report *error = new_report("c.xml");

	add(valid, FX_SEVERITY_WARNING, FX_LAYER_RULES, "W", "w");
	add(invalid, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "XSD", "f1");
	add(invalid, FX_SEVERITY_FATAL, FX_LAYER_SCHEMA, "XSD", "f2");
	add(invalid, FX_SEVERITY_INFO, FX_LAYER_SCHEMA, "XSD", "i");
	add(error, FX_SEVERITY_FATAL, FX_LAYER_INPUT, "INPUT", "e");
	fx_report_set_error(error, FX_EIO);

	fx_summary_add(&s, valid);
	fx_summary_add(&s, invalid);
	fx_summary_add(&s, error);
	fx_summary_add(&s, valid);
	ck_assert_uint_eq(s.files, 4);
	ck_assert_uint_eq(s.valid, 2);
	ck_assert_uint_eq(s.invalid, 1);
	ck_assert_uint_eq(s.errors, 1);
	ck_assert_uint_eq(s.fatal, 3);
	ck_assert_uint_eq(s.warning, 2);
	ck_assert_uint_eq(s.info, 1);
	fx_report_free(valid);
	fx_report_free(invalid);
	fx_report_free(error);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("findings");

	tcase_add_test(tc, new_report_is_empty_and_valid);
	tcase_add_test(tc, new_report_without_file_has_null_file);
	tcase_add_test(tc, report_keeps_its_own_copy_of_the_file_name);
	tcase_add_test(tc, added_finding_is_copied_with_every_field);
	tcase_add_test(tc, finding_without_file_takes_the_report_file);
	tcase_add_test(tc, unknown_values_stay_null_or_zero);
	tcase_add_test(tc, findings_keep_the_order_they_were_added_in);
	tcase_add_test(tc, get_past_the_end_returns_null);
	tcase_add_test(tc, add_refuses_bad_arguments_with_einvalid);
	tcase_add_test(tc, free_accepts_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("verdict");
	tcase_add_test(tc, counts_are_kept_per_severity);
	tcase_add_test(tc, warnings_and_notes_leave_the_report_valid);
	tcase_add_test(
		tc, fatal_finding_makes_the_report_invalid_and_fails_its_layer);
	tcase_add_test(tc,
		       set_error_gives_the_error_outcome_even_without_findings);
	tcase_add_test(tc, error_outcome_wins_over_invalid);
	tcase_add_test(tc, error_without_a_negative_code_is_still_an_error);
	tcase_add_test(tc, layers_are_set_one_by_one);
	tcase_add_test(tc, layers_out_of_range_are_ignored_and_read_as_not_run);
	tcase_add_test(tc, summary_adds_up_outcomes_and_severities);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, severities_have_stable_names);
	tcase_add_test(tc, layers_have_stable_names);
	tcase_add_test(tc, error_codes_have_stable_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(report_suite());
}
