/* SPDX-License-Identifier: MIT */
/*
 * check_chorus_check.c - unit tests of the Chorus Pro checks on an
 * invoice: the facts read from UBL and CII (fx_chorus_facts_read), SIRET
 * numbers (fx_siret_valid) and the CPRO-* findings
 * (fx_chorus_check_invoice)
 *
 * Facts come from the examples and from copies edited in memory; the
 * directory entries of buyers are built here, as the API client would
 * fill them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* The structs of chorus.h own their strings; these are never freed. */
#define S(literal) ((char *) (literal))

/* ---- Facts ------------------------------------------------------------- */

static fx_doc *load_text(fx_ctx *ctx, const char *name, const char *text)
{
	fx_doc *doc = NULL;
	int err = fx_doc_load_memory(&doc, ctx, name, text, strlen(text));

	ck_assert_msg(err == 0, "load %s: %d %s", name, err,
		      fx_ctx_last_error(ctx)->message);
	return doc;
}

static void read_facts(fx_chorus_facts *f, const char *name, const char *text)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = load_text(ctx, name, text);
	int err = fx_chorus_facts_read(f, ctx, doc);

	ck_assert_msg(err == 0, "facts %s: %d %s", name, err,
		      fx_ctx_last_error(ctx)->message);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}

static void read_example(fx_chorus_facts *f, const char *rel)
{
	char *text = t_example(rel, NULL);

	read_facts(f, rel, text);
	free(text);
}

static void assert_str_or_null(const char *got, const char *want)
{
	if (!want)
		ck_assert_msg(got == NULL, "got '%s', want NULL", got);
	else
		ck_assert_msg(got && !strcmp(got, want), "got '%s', want '%s'",
			      got ? got : "(null)", want);
}

static void assert_facts(const fx_chorus_facts *f, const char *number,
			 const char *date, const char *buyer,
			 const char *scheme, const char *term,
			 const char *service, const char *commitment)
{
	assert_str_or_null(f->number, number);
	assert_str_or_null(f->issue_date, date);
	assert_str_or_null(f->buyer_id, buyer);
	assert_str_or_null(f->buyer_scheme, scheme);
	assert_str_or_null(f->buyer_term, term);
	assert_str_or_null(f->service_code, service);
	assert_str_or_null(f->commitment, commitment);
}

START_TEST(facts_of_the_three_examples)
{
	fx_chorus_facts f;

	read_example(&f, "invoice-ubl.xml");
	assert_facts(&f, "FA-2025-0042", "2025-03-14", "91530468700014", "0009",
		     "BT-46", "SERVICE-TECHNIQUE", "BC-2025-117");
	fx_chorus_facts_clear(&f);

	read_example(&f, "creditnote-ubl.xml");
	assert_facts(&f, "AV-2025-0007", "2025-03-21", "91530468700014", "0009",
		     "BT-46", "SERVICE-TECHNIQUE", "BC-2025-117");
	fx_chorus_facts_clear(&f);

	read_example(&f, "invoice-cii.xml");
	assert_facts(&f, "FV-2025-0318", "2025-03-18", "91530468700014", "0009",
		     "BT-46", "SERVICE-RESTAURATION", "BC-2025-131");
	fx_chorus_facts_clear(&f);
	fx_chorus_facts_clear(&f); /* twice is harmless */
	fx_chorus_facts_clear(NULL);
}
END_TEST

/* The UBL example with its buyer's PartyIdentification and legal entity
 * replaced by PARTY_IDS and LEGAL (either may be ""). */
static char *ubl_buyer(const char *party_ids, const char *legal)
{
	char *text = t_example("invoice-ubl.xml", NULL), *a, *b;

	a = t_replace(
		text,
		"      <cac:PartyIdentification>\n"
		"        <cbc:ID schemeID=\"0009\">91530468700014</cbc:ID>\n"
		"      </cac:PartyIdentification>\n",
		party_ids);
	b = t_replace(a,
		      "        <cbc:CompanyID schemeID=\"0002\">915304687"
		      "</cbc:CompanyID>\n",
		      legal);
	free(text);
	free(a);
	return b;
}

START_TEST(ubl_buyer_without_a_siret_names_what_it_has)
{
	fx_chorus_facts f;
	char *text;

	/* no 0009 anywhere: the legal registration (BT-47) is named */
	text = ubl_buyer(
		"      <cac:PartyIdentification>\n"
		"        <cbc:ID schemeID=\"0088\">3012345000005</cbc:ID>\n"
		"      </cac:PartyIdentification>\n",
		"        <cbc:CompanyID schemeID=\"0002\">915304687"
		"</cbc:CompanyID>\n");
	read_facts(&f, "a.xml", text);
	assert_facts(&f, "FA-2025-0042", "2025-03-14", "915304687", "0002",
		     "BT-47", "SERVICE-TECHNIQUE", "BC-2025-117");
	fx_chorus_facts_clear(&f);
	free(text);

	/* no BT-47 at all: the BT-46 found, even without a scheme */
	text = ubl_buyer("      <cac:PartyIdentification>\n"
			 "        <cbc:ID>  CLIENT-77\n  </cbc:ID>\n"
			 "      </cac:PartyIdentification>\n",
			 "");
	read_facts(&f, "b.xml", text);
	assert_str_or_null(f.buyer_id, "CLIENT-77");
	assert_str_or_null(f.buyer_scheme, NULL);
	assert_str_or_null(f.buyer_term, "BT-46");
	fx_chorus_facts_clear(&f);
	free(text);

	/* no buyer identifier of any kind */
	text = ubl_buyer("", "");
	read_facts(&f, "c.xml", text);
	assert_str_or_null(f.buyer_id, NULL);
	assert_str_or_null(f.buyer_scheme, NULL);
	assert_str_or_null(f.buyer_term, NULL);
	fx_chorus_facts_clear(&f);
	free(text);
}
END_TEST

START_TEST(ubl_siret_is_found_in_bt47_and_after_other_bt46)
{
	fx_chorus_facts f;
	char *text;

	/* a SIRET in the legal registration only */
	text = ubl_buyer(
		"      <cac:PartyIdentification>\n"
		"        <cbc:ID schemeID=\"0088\">3012345000005</cbc:ID>\n"
		"      </cac:PartyIdentification>\n",
		"        <cbc:CompanyID schemeID=\"0009\">"
		" 11000201100044 </cbc:CompanyID>\n");
	read_facts(&f, "a.xml", text);
	assert_str_or_null(f.buyer_id, "11000201100044");
	assert_str_or_null(f.buyer_scheme, "0009");
	assert_str_or_null(f.buyer_term, "BT-47");
	fx_chorus_facts_clear(&f);
	free(text);

	/* the second of two BT-46 has it, and wins over BT-47's */
	text = ubl_buyer(
		"      <cac:PartyIdentification>\n"
		"        <cbc:ID schemeID=\"0088\">3012345000005</cbc:ID>\n"
		"      </cac:PartyIdentification>\n"
		"      <cac:PartyIdentification>\n"
		"        <cbc:ID schemeID=\"0009\">21750001600019</cbc:ID>\n"
		"      </cac:PartyIdentification>\n",
		"        <cbc:CompanyID schemeID=\"0009\">"
		"11000201100044</cbc:CompanyID>\n");
	read_facts(&f, "b.xml", text);
	assert_str_or_null(f.buyer_id, "21750001600019");
	assert_str_or_null(f.buyer_term, "BT-46");
	fx_chorus_facts_clear(&f);
	free(text);
}
END_TEST

START_TEST(ubl_missing_and_blank_references_are_null)
{
	fx_chorus_facts f;
	char *text = t_example("invoice-ubl.xml", NULL), *a, *b;

	a = t_replace(
		text,
		"<cbc:BuyerReference>SERVICE-TECHNIQUE</cbc:BuyerReference>",
		"<cbc:BuyerReference> \n </cbc:BuyerReference>");
	b = t_replace(a,
		      "  <cac:OrderReference>\n"
		      "    <cbc:ID>BC-2025-117</cbc:ID>\n"
		      "  </cac:OrderReference>\n",
		      "");
	read_facts(&f, "a.xml", b);
	assert_str_or_null(f.service_code, NULL);
	assert_str_or_null(f.commitment, NULL);
	assert_str_or_null(f.number, "FA-2025-0042");
	fx_chorus_facts_clear(&f);
	free(text);
	free(a);
	free(b);
}
END_TEST

START_TEST(cii_buyer_identifiers_and_dates)
{
	fx_chorus_facts f;
	char *text = t_example("invoice-cii.xml", NULL), *a, *b, *c;

	/* the SIRET only in the legal organisation (BT-47) */
	a = t_replace(text,
		      "<ram:GlobalID schemeID=\"0009\">91530468700014"
		      "</ram:GlobalID>",
		      "<ram:ID>CUST-9</ram:ID>"
		      "<ram:GlobalID schemeID=\"0088\">3012345000005"
		      "</ram:GlobalID>");
	b = t_replace(a, "<ram:ID schemeID=\"0002\">915304687</ram:ID>",
		      "<ram:ID schemeID=\"0009\">11000201100044</ram:ID>");
	read_facts(&f, "a.xml", b);
	assert_str_or_null(f.buyer_id, "11000201100044");
	assert_str_or_null(f.buyer_scheme, "0009");
	assert_str_or_null(f.buyer_term, "BT-47");
	fx_chorus_facts_clear(&f);

	/* no SIRET: BT-47 is named */
	read_facts(&f, "b.xml", a);
	assert_str_or_null(f.buyer_id, "915304687");
	assert_str_or_null(f.buyer_scheme, "0002");
	assert_str_or_null(f.buyer_term, "BT-47");
	fx_chorus_facts_clear(&f);

	/* no BT-47 either: the first BT-46, the seller's own id for the
	 * buyer, without a scheme */
	c = t_replace(a,
		      "        <ram:SpecifiedLegalOrganization>\n"
		      "          <ram:ID schemeID=\"0002\">915304687</ram:ID>\n"
		      "        </ram:SpecifiedLegalOrganization>\n",
		      "");
	read_facts(&f, "c.xml", c);
	assert_str_or_null(f.buyer_id, "CUST-9");
	assert_str_or_null(f.buyer_scheme, NULL);
	assert_str_or_null(f.buyer_term, "BT-46");
	fx_chorus_facts_clear(&f);
	free(c);

	/* a date not in format 102 is kept as written */
	c = t_replace(text,
		      "<udt:DateTimeString format=\"102\">20250318"
		      "</udt:DateTimeString>",
		      "<udt:DateTimeString format=\"203\">202503181200"
		      "</udt:DateTimeString>");
	read_facts(&f, "d.xml", c);
	assert_str_or_null(f.issue_date, "202503181200");
	fx_chorus_facts_clear(&f);

	free(text);
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(facts_of_something_else_fail_with_einvalid)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = load_text(ctx, "x.xml", "<Order><ID>1</ID></Order>");
	fx_chorus_facts f;

	ck_assert_int_eq(fx_chorus_facts_read(&f, ctx, doc), FX_EINVALID);
	ck_assert_ptr_null(f.number);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message, "x.xml"));
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- SIRET ------------------------------------------------------------- */

static const struct {
	const char *text;
	int valid;
} sirets[] = {
	{ "11000201100044", 1 },
	{ "91530468700014", 1 },
	{ "79304125200016", 1 },
	{ "11000201100045", 0 },  /* the key is off by one */
	{ "91530468700041", 0 },  /* two digits swapped */
	{ "1100020110004", 0 },	  /* 13 digits */
	{ "110002011000440", 0 }, /* 15 digits */
	{ "1100020110004A", 0 },
	{ "11000 201100044", 0 },
	{ " 11000201100044", 0 },
	{ "", 0 },
	{ "35600000000048", 1 }, /* La Poste's head office: Luhn */
	{ "35600000049837", 1 }, /* La Poste: digit sum 45 */
	{ "35600000000010", 1 }, /* La Poste: digit sum 15 */
	{ "35600000000002", 0 }, /* La Poste: digit sum 16, no Luhn */
	{ "35600000000049", 0 }, /* La Poste: digit sum 27, no Luhn */
	{ "12300000000010", 0 }, /* the sum rule is La Poste's only */
};

START_TEST(siret_numbers_are_judged)
{
	ck_assert_msg(fx_siret_valid(sirets[_i].text) == sirets[_i].valid,
		      "'%s' should be %s", sirets[_i].text,
		      sirets[_i].valid ? "valid" : "invalid");
}
END_TEST

START_TEST(siret_null_is_not_valid)
{
	ck_assert_int_eq(fx_siret_valid(NULL), 0);
}
END_TEST

/* ---- The checks -------------------------------------------------------- */

static fx_chorus_facts good_facts(void)
{
	fx_chorus_facts f;

	memset(&f, 0, sizeof(f));
	f.number = S("F-1");
	f.issue_date = S("2026-11-27");
	f.buyer_id = S("11000201100044");
	f.buyer_scheme = S("0009");
	f.buyer_term = S("BT-46");
	f.service_code = S("SERV-A");
	f.commitment = S("EJ-1");
	return f;
}

static fx_chorus_service services[] = {
	{ S("SERV-A"), S("Services techniques"), 10, 0 },
	{ S("SERV-B"), S("Achats"), 11, 1 },
};

static fx_chorus_structure town(void)
{
	fx_chorus_structure s;

	memset(&s, 0, sizeof(s));
	s.siret = S("11000201100044");
	s.id = 26300989;
	s.name = S("COMMUNE DE TESTVILLE");
	s.status = S("ACTIVE");
	s.services = services;
	s.nservices = ARRAY_SIZE(services);
	return s;
}

static fx_report *check(const fx_chorus_facts *f, const fx_chorus_structure *s,
			int found)
{
	fx_report *r = NULL;

	ck_assert_int_eq(fx_report_new(&r, "inv.xml"), 0);
	ck_assert_int_eq(fx_chorus_check_invoice(r, f, s, found), 0);
	return r;
}

/* The only finding of R is RULE, of SEVERITY, about TERMS, and says SAYS
 * (and SAYS2, when not NULL). */
static void assert_one(fx_report *r, const char *rule, fx_severity severity,
		       const char *terms, const char *says, const char *says2)
{
	const fx_finding *f;
	size_t i;

	for (i = 0; i < fx_report_count(r); i++) {
		f = fx_report_get(r, i);
		fprintf(stderr, "  %s %s [%s]: %s\n", f->rule,
			fx_severity_name(f->severity), f->terms, f->message);
	}
	ck_assert_uint_eq(fx_report_count(r), 1);
	f = fx_report_get(r, 0);
	ck_assert_str_eq(f->rule, rule);
	ck_assert_int_eq(f->severity, severity);
	ck_assert_int_eq(f->layer, FX_LAYER_CHORUS);
	ck_assert_str_eq(f->terms, terms);
	ck_assert_str_eq(f->file, "inv.xml");
	ck_assert_uint_eq(f->line, 0);
	ck_assert_msg(strstr(f->message, says), "'%s' lacks '%s'", f->message,
		      says);
	if (says2)
		ck_assert_msg(strstr(f->message, says2), "'%s' lacks '%s'",
			      f->message, says2);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_CHORUS),
			 severity == FX_SEVERITY_FATAL ? FX_LAYER_FAIL
						       : FX_LAYER_PASS);
}

static void assert_none(fx_report *r)
{
	size_t i;

	for (i = 0; i < fx_report_count(r); i++)
		fprintf(stderr, "  unexpected %s: %s\n",
			fx_report_get(r, i)->rule,
			fx_report_get(r, i)->message);
	ck_assert_uint_eq(fx_report_count(r), 0);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_CHORUS), FX_LAYER_PASS);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_VALID);
}

START_TEST(a_good_invoice_to_a_known_buyer_passes)
{
	fx_chorus_facts f = good_facts();
	fx_chorus_structure s = town();
	fx_report *r;

	s.service_required = s.commitment_required = 1;
	r = check(&f, &s, 1);
	assert_none(r);
	fx_report_free(r);
	/* offline: only what the invoice itself shows */
	r = check(&f, NULL, 0);
	assert_none(r);
	fx_report_free(r);
}
END_TEST

START_TEST(cpro01_fires_without_a_0009_identifier)
{
	fx_chorus_facts f = good_facts();
	fx_report *r;

	f.buyer_id = S("915304687");
	f.buyer_scheme = S("0002");
	f.buyer_term = S("BT-47");
	r = check(&f, NULL, 0);
	assert_one(r, "CPRO-01", FX_SEVERITY_FATAL, "BT-47",
		   "(BT-47, scheme 0002) is '915304687'", NULL);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_INVALID);
	fx_report_free(r);

	f.buyer_scheme = NULL;
	f.buyer_term = S("BT-46");
	r = check(&f, NULL, 0);
	assert_one(r, "CPRO-01", FX_SEVERITY_FATAL, "BT-46",
		   "(BT-46, without a scheme) is '915304687'", NULL);
	fx_report_free(r);

	f.buyer_id = NULL;
	f.buyer_term = NULL;
	r = check(&f, NULL, 0);
	assert_one(r, "CPRO-01", FX_SEVERITY_FATAL, "BT-46, BT-47",
		   "no buyer identifier", NULL);
	fx_report_free(r);
}
END_TEST

START_TEST(cpro02_fires_on_a_bad_siret)
{
	fx_chorus_facts f = good_facts();
	fx_report *r;

	f.buyer_id = S("11000201100045");
	r = check(&f, NULL, 0);
	assert_one(r, "CPRO-02", FX_SEVERITY_FATAL, "BT-46",
		   "the buyer identifier (BT-46, scheme 0009) is "
		   "'11000201100045', which is not a SIRET: its check digit "
		   "is wrong",
		   NULL);
	fx_report_free(r);

	f.buyer_id = S("1100020110004");
	f.buyer_term = S("BT-47");
	r = check(&f, NULL, 0);
	assert_one(r, "CPRO-02", FX_SEVERITY_FATAL, "BT-47", "'1100020110004'",
		   "14 digits");
	fx_report_free(r);
}
END_TEST

START_TEST(cpro03_fires_when_a_service_code_is_required)
{
	fx_chorus_facts f = good_facts();
	fx_chorus_structure s = town();
	fx_report *r;

	s.service_required = 1;
	f.service_code = NULL;
	r = check(&f, &s, 1);
	assert_one(r, "CPRO-03", FX_SEVERITY_FATAL, "BT-10",
		   "buyer 11000201100044 (COMMUNE DE TESTVILLE) requires a "
		   "service code, but the invoice has no buyer reference "
		   "(BT-10)",
		   NULL);
	fx_report_free(r);
	/* not required: nothing to say */
	s.service_required = 0;
	r = check(&f, &s, 1);
	assert_none(r);
	fx_report_free(r);
}
END_TEST

START_TEST(cpro04_fires_when_a_commitment_is_required)
{
	fx_chorus_facts f = good_facts();
	fx_chorus_structure s = town();
	fx_report *r;

	f.commitment = NULL;
	r = check(&f, &s, 1);
	assert_none(r);
	fx_report_free(r);

	s.commitment_required = 1;
	r = check(&f, &s, 1);
	assert_one(r, "CPRO-04", FX_SEVERITY_FATAL, "BT-13",
		   "COMMUNE DE TESTVILLE) requires a commitment number",
		   "no purchase order reference (BT-13)");
	fx_report_free(r);

	/* the service invoiced asks for one, not the structure */
	s.commitment_required = 0;
	f.service_code = S("SERV-B");
	r = check(&f, &s, 1);
	assert_one(r, "CPRO-04", FX_SEVERITY_FATAL, "BT-10, BT-13",
		   "service SERV-B (Achats) of buyer 11000201100044", "BT-13");
	fx_report_free(r);

	/* reported once when both ask */
	s.commitment_required = 1;
	r = check(&f, &s, 1);
	ck_assert_uint_eq(fx_report_count(r), 1);
	fx_report_free(r);

	f.commitment = S("EJ-9");
	r = check(&f, &s, 1);
	assert_none(r);
	fx_report_free(r);
}
END_TEST

START_TEST(cpro05_fires_when_neither_reference_is_given)
{
	fx_chorus_facts f = good_facts();
	fx_chorus_structure s = town();
	fx_report *r;

	s.service_or_commitment = 1;
	f.service_code = NULL;
	r = check(&f, &s, 1);
	assert_none(r); /* the commitment is enough */
	fx_report_free(r);

	f.service_code = S("SERV-A");
	f.commitment = NULL;
	r = check(&f, &s, 1);
	assert_none(r); /* and so is the service code */
	fx_report_free(r);

	f.service_code = NULL;
	/* "one of them" rules out the flags that ask for each */
	s.service_required = s.commitment_required = 1;
	r = check(&f, &s, 1);
	assert_one(r, "CPRO-05", FX_SEVERITY_FATAL, "BT-10, BT-13",
		   "requires a service code or a commitment number",
		   "neither a buyer reference (BT-10) nor a purchase order "
		   "reference (BT-13)");
	fx_report_free(r);
}
END_TEST

START_TEST(cpro06_fires_on_a_service_the_buyer_does_not_have)
{
	fx_chorus_facts f = good_facts();
	fx_chorus_structure s = town();
	fx_report *r;

	f.service_code = S("SERV-Z");
	r = check(&f, &s, 1);
	assert_one(r, "CPRO-06", FX_SEVERITY_FATAL, "BT-10",
		   "the buyer reference (BT-10) is 'SERV-Z', which is not an "
		   "active service of buyer 11000201100044 (COMMUNE DE "
		   "TESTVILLE)",
		   "SERV-A, SERV-B");
	fx_report_free(r);

	/* a buyer without services takes any reference */
	s.nservices = 0;
	r = check(&f, &s, 1);
	assert_none(r);
	fx_report_free(r);
}
END_TEST

START_TEST(cpro06_fires_on_the_public_to_public_service)
{
	static fx_chorus_service with_public[] = {
		{ S("SERV-A"), S("Services techniques"), 10, 0 },
		{ S("FACTURES_PUBLIQUES"), S("Factures publiques"), 12, 0 },
		{ S("SERV-B"), S("Achats"), 11, 1 },
	};
	fx_chorus_facts f = good_facts();
	fx_chorus_structure s = town();
	fx_report *r;

	/* the directory lists it, but a supplier's flow naming it is
	 * rejected: it is for invoices between public bodies */
	s.services = with_public;
	s.nservices = ARRAY_SIZE(with_public);
	f.service_code = S("FACTURES_PUBLIQUES");
	r = check(&f, &s, 1);
	assert_one(r, "CPRO-06", FX_SEVERITY_FATAL, "BT-10",
		   "the buyer reference (BT-10) is 'FACTURES_PUBLIQUES'",
		   "between public");
	ck_assert_msg(strstr(fx_report_get(r, 0)->message, "SERV-A, SERV-B"),
		      "%s", fx_report_get(r, 0)->message);
	fx_report_free(r);

	/* and it is not offered among the services to choose from */
	f.service_code = S("SERV-Z");
	r = check(&f, &s, 1);
	assert_one(r, "CPRO-06", FX_SEVERITY_FATAL, "BT-10", "'SERV-Z'",
		   "its services are SERV-A, SERV-B");
	ck_assert_ptr_null(
		strstr(fx_report_get(r, 0)->message, "FACTURES_PUBLIQUES"));
	fx_report_free(r);

	/* the others are still fine */
	f.service_code = S("SERV-A");
	r = check(&f, &s, 1);
	assert_none(r);
	fx_report_free(r);
}
END_TEST

START_TEST(cpro06_counts_only_the_services_it_could_name)
{
	static fx_chorus_service many[16];
	static char codes[16][8];
	fx_chorus_facts f = good_facts();
	fx_chorus_structure s = town();
	fx_report *r;
	size_t i;

	/* 14 named services, then two without a code */
	for (i = 0; i < 16; i++) {
		memset(&many[i], 0, sizeof(many[i]));
		if (i < 14) {
			snprintf(codes[i], sizeof(codes[i]), "S%02zu", i);
			many[i].code = codes[i];
		}
	}
	s.services = many;
	s.nservices = 16;
	f.service_code = S("SERV-Z");
	r = check(&f, &s, 1);
	assert_one(r, "CPRO-06", FX_SEVERITY_FATAL, "BT-10", "S00, S01",
		   "S11 and 2 more");
	fx_report_free(r);
}
END_TEST

START_TEST(cpro07_fires_when_the_buyer_is_not_in_the_directory)
{
	fx_chorus_facts f = good_facts();
	fx_chorus_structure none;
	fx_report *r;

	memset(&none, 0, sizeof(none));
	r = check(&f, &none, 0);
	assert_one(r, "CPRO-07", FX_SEVERITY_FATAL, "BT-46",
		   "buyer 11000201100044 is not in the Chorus Pro directory",
		   NULL);
	fx_report_free(r);
	/* offline, nobody knows */
	r = check(&f, NULL, 0);
	assert_none(r);
	fx_report_free(r);
}
END_TEST

START_TEST(cpro08_warns_about_an_inactive_buyer)
{
	fx_chorus_facts f = good_facts();
	fx_chorus_structure s = town();
	fx_report *r;

	s.status = S("INACTIVE");
	r = check(&f, &s, 1);
	assert_one(r, "CPRO-08", FX_SEVERITY_WARNING, "BT-46",
		   "buyer 11000201100044 (COMMUNE DE TESTVILLE) is inactive",
		   NULL);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_VALID);
	fx_report_free(r);
}
END_TEST

START_TEST(several_findings_and_bad_arguments)
{
	fx_chorus_facts f = good_facts();
	fx_chorus_structure s = town();
	fx_report *r;

	f.buyer_id = S("11000201100045");
	f.service_code = NULL;
	f.commitment = NULL;
	s.service_required = s.commitment_required = 1;
	r = check(&f, &s, 1);
	ck_assert_uint_eq(fx_report_count(r), 3);
	ck_assert_str_eq(fx_report_get(r, 0)->rule, "CPRO-02");
	ck_assert_str_eq(fx_report_get(r, 1)->rule, "CPRO-03");
	ck_assert_str_eq(fx_report_get(r, 2)->rule, "CPRO-04");
	ck_assert_uint_eq(fx_report_count_severity(r, FX_SEVERITY_FATAL), 3);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_CHORUS), FX_LAYER_FAIL);
	ck_assert_int_eq(fx_chorus_check_invoice(r, NULL, NULL, 0),
			 FX_EINVALID);
	ck_assert_int_eq(fx_chorus_check_invoice(NULL, &f, NULL, 0),
			 FX_EINVALID);
	fx_report_free(r);
}
END_TEST

START_TEST(checks_of_an_example_read_from_its_facts)
{
	fx_chorus_facts f;
	fx_chorus_structure s;
	fx_report *r;

	read_example(&f, "invoice-ubl.xml");
	memset(&s, 0, sizeof(s));
	s.siret = S("91530468700014");
	s.name = S("HOTEL DU VIEUX PORT");
	s.status = S("ACTIVE");
	s.services = services;
	s.nservices = ARRAY_SIZE(services);
	r = check(&f, &s, 1);
	assert_one(r, "CPRO-06", FX_SEVERITY_FATAL, "BT-10",
		   "'SERVICE-TECHNIQUE'",
		   "91530468700014 (HOTEL DU VIEUX PORT)");
	fx_report_free(r);
	fx_chorus_facts_clear(&f);
}
END_TEST

static Suite *chorus_check_suite(void)
{
	Suite *s = suite_create("chorus_check");
	TCase *tc = tcase_create("facts");

	tcase_add_test(tc, facts_of_the_three_examples);
	tcase_add_test(tc, ubl_buyer_without_a_siret_names_what_it_has);
	tcase_add_test(tc, ubl_siret_is_found_in_bt47_and_after_other_bt46);
	tcase_add_test(tc, ubl_missing_and_blank_references_are_null);
	tcase_add_test(tc, cii_buyer_identifiers_and_dates);
	tcase_add_test(tc, facts_of_something_else_fail_with_einvalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("siret");
	tcase_add_loop_test(tc, siret_numbers_are_judged, 0,
			    (int) ARRAY_SIZE(sirets));
	tcase_add_test(tc, siret_null_is_not_valid);
	suite_add_tcase(s, tc);

	tc = tcase_create("checks");
	tcase_add_test(tc, a_good_invoice_to_a_known_buyer_passes);
	tcase_add_test(tc, cpro01_fires_without_a_0009_identifier);
	tcase_add_test(tc, cpro02_fires_on_a_bad_siret);
	tcase_add_test(tc, cpro03_fires_when_a_service_code_is_required);
	tcase_add_test(tc, cpro04_fires_when_a_commitment_is_required);
	tcase_add_test(tc, cpro05_fires_when_neither_reference_is_given);
	tcase_add_test(tc, cpro06_fires_on_a_service_the_buyer_does_not_have);
	tcase_add_test(tc, cpro06_fires_on_the_public_to_public_service);
	tcase_add_test(tc, cpro06_counts_only_the_services_it_could_name);
	tcase_add_test(tc, cpro07_fires_when_the_buyer_is_not_in_the_directory);
	tcase_add_test(tc, cpro08_warns_about_an_inactive_buyer);
	tcase_add_test(tc, several_findings_and_bad_arguments);
	tcase_add_test(tc, checks_of_an_example_read_from_its_facts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(chorus_check_suite());
}
