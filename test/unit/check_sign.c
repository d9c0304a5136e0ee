/* SPDX-License-Identifier: MIT */
/*
 * check_sign.c - unit tests of signing and verifying (sign.h)
 *
 * The credentials are made once, before the tests, by
 * test/sign/make-keys.sh with the openssl program; without it the suite
 * is skipped (exit status 77).  The interop with other implementations
 * is tested in test/sign; here, the library's contract: results, error
 * codes, messages.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static char keys[256];

static char *key_path(const char *name)
{
	return t_path(keys, name);
}

/* The content of a password file, without its end of line. */
static char *password_of(const char *name)
{
	char *path = key_path(name);
	char *text = t_read_file(path, NULL);

	text[strcspn(text, "\r\n")] = '\0';
	free(path);
	return text;
}

static fx_signer *load_signer(fx_ctx *ctx, const char *key, const char *cert)
{
	char *k = key_path(key), *c = key_path(cert);
	fx_signer *s = NULL;
	int err = fx_signer_load_pem(&s, ctx, k, c, NULL, NULL);

	ck_assert_msg(err == 0, "cannot load %s: %s", key,
		      fx_ctx_last_error(ctx)->message);
	ck_assert_ptr_nonnull(s);
	free(k);
	free(c);
	return s;
}

static fx_doc *load_example(fx_ctx *ctx, const char *name)
{
	char *path = t_example_path(name);
	fx_doc *doc = NULL;

	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), 0);
	free(path);
	return doc;
}

static fx_doc *load_text(fx_ctx *ctx, const char *name, const char *text,
			 size_t len)
{
	fx_doc *doc = NULL;

	ck_assert_int_eq(fx_doc_load_memory(&doc, ctx, name, text, len), 0);
	return doc;
}

/* Sign DOC with SIGNER and OPTS into OUT; returns the error code. */
static int sign_into(struct tbuf *out, fx_ctx *ctx, const fx_doc *doc,
		     const fx_signer *signer, const fx_sign_opts *opts)
{
	return fx_sign(ctx, doc, signer, opts, tbuf_write, out);
}

static fx_verification *verify_text(fx_ctx *ctx, const char *text, size_t len,
				    const char *sig, size_t siglen,
				    const fx_verify_opts *opts_in)
{
	fx_verify_opts opts = FX_VERIFY_OPTS_INIT;
	fx_verification *v = NULL;
	fx_doc *doc = load_text(ctx, "invoice.xml", text, len), *sd = NULL;
	char *ca = key_path("test-ca.pem");
	int err;

	if (opts_in)
		opts = *opts_in;
	if (!opts.ca_file)
		opts.ca_file = ca;
	if (sig) {
		sd = load_text(ctx, "invoice.xml.xades.xml", sig, siglen);
		opts.signature = sd;
	}
	err = fx_verify(&v, ctx, doc, &opts);
	ck_assert_msg(err == 0, "fx_verify: %s",
		      fx_ctx_last_error(ctx)->message);
	fx_doc_free(doc);
	fx_doc_free(sd);
	free(ca);
	return v;
}

/* Whether one of the problems of the I-th signature holds TEXT. */
static int has_problem(const fx_verification *v, size_t i, const char *text)
{
	const fx_signature_info *s = fx_verification_get(v, i);
	size_t j;

	for (j = 0; s && j < s->nproblems; j++)
		if (strstr(s->problems[j], text))
			return 1;
	return 0;
}

/* ---- small parsers -------------------------------------------------- */

START_TEST(digest_parse_takes_the_three_names_and_nothing_else)
{
	fx_digest d = FX_DIGEST_SHA256;

	ck_assert_int_eq(fx_digest_parse(&d, "sha384"), 0);
	ck_assert_int_eq(d, FX_DIGEST_SHA384);
	ck_assert_int_eq(fx_digest_parse(&d, "sha512"), 0);
	ck_assert_int_eq(d, FX_DIGEST_SHA512);
	ck_assert_int_eq(fx_digest_parse(&d, "sha256"), 0);
	ck_assert_int_eq(d, FX_DIGEST_SHA256);
	ck_assert_int_eq(fx_digest_parse(&d, "sha1"), FX_EINVALID);
	ck_assert_int_eq(fx_digest_parse(&d, "SHA256"), FX_EINVALID);
	ck_assert_int_eq(fx_digest_parse(&d, NULL), FX_EINVALID);
	ck_assert_str_eq(fx_digest_name(FX_DIGEST_SHA512), "sha512");
	ck_assert_str_eq(fx_digest_name((fx_digest) 42), "unknown");
}
END_TEST

START_TEST(time_parse_reads_dates_times_and_zones)
{
	long long t = 0;

	ck_assert_int_eq(fx_time_parse(&t, "1970-01-01"), 0);
	ck_assert_int_eq(t, 0);
	ck_assert_int_eq(fx_time_parse(&t, "2025-06-30T12:00:00Z"), 0);
	ck_assert_int_eq(t, 1751284800LL);
	ck_assert_int_eq(fx_time_parse(&t, "2025-06-30T14:00:00+02:00"), 0);
	ck_assert_int_eq(t, 1751284800LL);
	ck_assert_int_eq(fx_time_parse(&t, "2025-06-30T11:30:00.250-00:30"), 0);
	ck_assert_int_eq(t, 1751284800LL);
	ck_assert_int_eq(fx_time_parse(&t, "2024-02-29"), 0);
	ck_assert_int_eq(t, 1709164800LL);
}
END_TEST

START_TEST(time_parse_refuses_what_is_not_a_time)
{
	static const char *const bad[] = {
		"",
		"2025",
		"2025-13-01",
		"2025-02-29",
		"2025-04-31",
		"2025-06-30T24:00:00Z",
		"2025-06-30T12:00Z",
		"2025-06-30T12:00:00+2",
		"2025-06-30T12:00:00Zjunk",
		"2025-06-30T12:00:00.Z",
		"yesterday",
	};
	long long t = 7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(fx_time_parse(&t, bad[i]) == FX_EINVALID,
			      "'%s' was taken", bad[i]);
	ck_assert_int_eq(t, 7);
}
END_TEST

/* ---- loading credentials -------------------------------------------- */

START_TEST(signer_load_pem_reads_key_and_certificate)
{
	fx_ctx *ctx = t_ctx();
	fx_signer *s = load_signer(ctx, "signer-key.pem", "signer.pem");

	ck_assert_str_eq(fx_signer_subject(s),
			 "CN=Test Signer,O=Facture Tests,C=FR");
	fx_signer_free(s);
	fx_signer_free(NULL);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(signer_load_pem_with_another_key_fails_with_ekey)
{
	fx_ctx *ctx = t_ctx();
	char *k = key_path("ecdsa-key.pem"), *c = key_path("signer.pem");
	fx_signer *s = (fx_signer *) 1;

	ck_assert_int_eq(fx_signer_load_pem(&s, ctx, k, c, NULL, NULL),
			 FX_EKEY);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(fx_ctx_last_error(ctx)->code, FX_EKEY);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message,
				     "does not match the certificate"));
	free(k);
	free(c);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(signer_load_pem_of_missing_files_fails_with_ekey)
{
	fx_ctx *ctx = t_ctx();
	char *c = key_path("signer.pem");
	fx_signer *s = NULL;

	ck_assert_int_eq(fx_signer_load_pem(&s, ctx, "/nonexistent/key.pem", c,
					    NULL, NULL),
			 FX_EKEY);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message,
				     "cannot open key '/nonexistent/key.pem'"));
	ck_assert_int_eq(fx_signer_load_pem(&s, ctx, NULL, c, NULL, NULL),
			 FX_EINVALID);
	free(c);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(encrypted_key_needs_its_password)
{
	fx_ctx *ctx = t_ctx();
	char *k = key_path("signer-key-encrypted.pem");
	char *c = key_path("signer.pem");
	char *right = password_of("key.pass");
	fx_signer *s = NULL;

	ck_assert_int_eq(fx_signer_load_pem(&s, ctx, k, c, NULL, NULL),
			 FX_EKEY);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message,
				     "no password was given"));
	ck_assert_int_eq(fx_signer_load_pem(&s, ctx, k, c, NULL, "wrong-pw"),
			 FX_EKEY);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "wrong password"));
	ck_assert_ptr_null(strstr(fx_ctx_last_error(ctx)->message, "wrong-pw"));
	ck_assert_int_eq(fx_signer_load_pem(&s, ctx, k, c, NULL, right), 0);
	ck_assert_ptr_nonnull(s);
	fx_signer_free(s);
	free(right);
	free(k);
	free(c);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(pkcs12_with_a_wrong_password_fails_with_ekey_and_says_so)
{
	fx_ctx *ctx = t_ctx();
	char *p = key_path("signer.p12");
	char *right = password_of("p12.pass");
	fx_signer *s = NULL;

	ck_assert_int_eq(fx_signer_load_pkcs12(&s, ctx, p, "Hunter2-wrong"),
			 FX_EKEY);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "wrong password"));
	ck_assert_ptr_null(
		strstr(fx_ctx_last_error(ctx)->message, "Hunter2-wrong"));
	ck_assert_int_eq(fx_signer_load_pkcs12(&s, ctx, p, NULL), FX_EKEY);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "needs a password"));
	ck_assert_int_eq(fx_signer_load_pkcs12(&s, ctx, p, right), 0);
	ck_assert_str_eq(fx_signer_subject(s),
			 "CN=Test Signer,O=Facture Tests,C=FR");
	fx_signer_free(s);
	free(right);
	free(p);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(sign_method_follows_key_digest_and_padding)
{
	fx_ctx *ctx = t_ctx();
	fx_signer *rsa = load_signer(ctx, "signer-key.pem", "signer.pem");
	fx_signer *ec = load_signer(ctx, "ecdsa-key.pem", "ecdsa.pem");
	fx_sign_opts o = FX_SIGN_OPTS_INIT;

	ck_assert_str_eq(fx_sign_method(rsa, NULL),
			 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
	ck_assert_str_eq(fx_sign_method(ec, NULL),
			 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256");
	o.pss = 1;
	o.digest = FX_DIGEST_SHA384;
	ck_assert_str_eq(fx_sign_method(rsa, &o),
			 "http://www.w3.org/2007/05/xmldsig-more#"
			 "sha384-rsa-MGF1");
	ck_assert_ptr_null(fx_sign_method(ec, &o));
	fx_signer_free(rsa);
	fx_signer_free(ec);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- signing and verifying ------------------------------------------ */

START_TEST(a_signed_ubl_invoice_verifies_and_still_validates)
{
	fx_ctx *ctx = t_ctx();
	fx_signer *s = load_signer(ctx, "signer-key.pem", "signer.pem");
	fx_doc *doc = load_example(ctx, "invoice-ubl.xml");
	struct tbuf out = TBUF_INIT;
	fx_verification *v;
	const fx_signature_info *i;
	fx_report *r = NULL;

	ck_assert_int_eq(sign_into(&out, ctx, doc, s, NULL), 0);
	ck_assert_int_eq(t_count(out.ptr, "<ds:Signature "), 1);
	ck_assert_int_eq(t_count(out.ptr, "<xades:SigningCertificateV2>"), 1);
	ck_assert_int_eq(t_count(out.ptr, "<ext:UBLExtensions"), 1);

	v = verify_text(ctx, out.ptr, out.len, NULL, 0, NULL);
	ck_assert_int_eq(fx_verification_count(v), 1);
	ck_assert_int_eq(fx_verification_valid(v), 1);
	i = fx_verification_get(v, 0);
	ck_assert_int_eq(i->valid, 1);
	ck_assert_int_eq(i->references, FX_SIG_CHECK_PASS);
	ck_assert_int_eq(i->value, FX_SIG_CHECK_PASS);
	ck_assert_int_eq(i->properties, FX_SIG_CHECK_PASS);
	ck_assert_int_eq(i->chain, FX_SIG_CHECK_PASS);
	ck_assert_str_eq(i->subject, "CN=Test Signer,O=Facture Tests,C=FR");
	ck_assert_str_eq(i->issuer, "CN=Facture Test CA,O=Facture Tests,C=FR");
	ck_assert_str_eq(i->id, "xades-1");
	ck_assert_str_eq(i->signature_method,
			 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
	ck_assert_str_eq(i->digest_method,
			 "http://www.w3.org/2001/04/xmlenc#sha256");
	ck_assert_uint_eq(i->nproblems, 0);
	ck_assert_ptr_null(fx_verification_get(v, 1));

	ck_assert_int_eq(fx_validate_memory(&r, ctx, "signed.xml", out.ptr,
					    out.len, NULL),
			 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_VALID);
	fx_report_free(r);
	fx_verification_free(v);
	fx_verification_free(NULL);
	tbuf_release(&out);
	fx_doc_free(doc);
	fx_signer_free(s);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(a_changed_amount_is_an_invalid_signature_not_an_error)
{
	fx_ctx *ctx = t_ctx();
	fx_signer *s = load_signer(ctx, "ecdsa-key.pem", "ecdsa.pem");
	fx_doc *doc = load_example(ctx, "invoice-ubl.xml");
	struct tbuf out = TBUF_INIT;
	fx_verification *v;
	char *changed;

	ck_assert_int_eq(sign_into(&out, ctx, doc, s, NULL), 0);
	changed = t_replace(out.ptr, ">4293.68<", ">4293.67<");
	v = verify_text(ctx, changed, strlen(changed), NULL, 0, NULL);
	ck_assert_int_eq(fx_verification_count(v), 1);
	ck_assert_int_eq(fx_verification_valid(v), 0);
	ck_assert_int_eq(fx_verification_get(v, 0)->references,
			 FX_SIG_CHECK_FAIL);
	ck_assert(has_problem(v, 0, "the invoice was changed after signing"));
	fx_verification_free(v);
	free(changed);
	tbuf_release(&out);
	fx_doc_free(doc);
	fx_signer_free(s);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(a_cii_invoice_gets_a_detached_signature_of_its_bytes)
{
	fx_ctx *ctx = t_ctx();
	fx_signer *s = load_signer(ctx, "signer-key.pem", "signer.pem");
	fx_doc *doc = load_example(ctx, "invoice-cii.xml");
	struct tbuf sig = TBUF_INIT;
	fx_sign_opts o = FX_SIGN_OPTS_INIT;
	fx_verification *v;
	size_t len;
	char *text = t_example("invoice-cii.xml", &len), *changed;

	o.pss = 1;
	o.digest = FX_DIGEST_SHA512;
	ck_assert_int_eq(sign_into(&sig, ctx, doc, s, &o), 0);
	ck_assert_ptr_nonnull(strstr(sig.ptr, "<ds:Signature "));
	ck_assert_ptr_nonnull(strstr(sig.ptr, "URI=\"invoice-cii.xml\""));
	ck_assert_ptr_null(strstr(sig.ptr, "CrossIndustryInvoice"));

	v = verify_text(ctx, text, len, sig.ptr, sig.len, NULL);
	ck_assert_int_eq(fx_verification_valid(v), 1);
	ck_assert_str_eq(fx_verification_get(v, 0)->signature_method,
			 "http://www.w3.org/2007/05/xmldsig-more#"
			 "sha512-rsa-MGF1");
	fx_verification_free(v);

	changed = t_replace(text, "</rsm:CrossIndustryInvoice>",
			    "</rsm:CrossIndustryInvoice>\n");
	v = verify_text(ctx, changed, strlen(changed), sig.ptr, sig.len, NULL);
	ck_assert_int_eq(fx_verification_valid(v), 0);
	ck_assert(has_problem(v, 0, "does not match the signature"));
	fx_verification_free(v);
	free(changed);
	free(text);
	tbuf_release(&sig);
	fx_doc_free(doc);
	fx_signer_free(s);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(an_unsigned_invoice_has_no_signature_and_is_not_valid)
{
	fx_ctx *ctx = t_ctx();
	size_t len;
	char *text = t_example("invoice-ubl.xml", &len);
	fx_verification *v = verify_text(ctx, text, len, NULL, 0, NULL);

	ck_assert_uint_eq(fx_verification_count(v), 0);
	ck_assert_int_eq(fx_verification_valid(v), 0);
	fx_verification_free(v);
	free(text);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(signing_other_xml_fails_with_enotinvoice_and_writes_nothing)
{
	fx_ctx *ctx = t_ctx();
	fx_signer *s = load_signer(ctx, "signer-key.pem", "signer.pem");
	static const char other[] = "<x:Other xmlns:x='urn:example'/>";
	fx_doc *doc = load_text(ctx, "other.xml", other, strlen(other));
	struct tbuf out = TBUF_INIT;

	ck_assert_int_eq(sign_into(&out, ctx, doc, s, NULL), FX_ENOTINVOICE);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "not an invoice"));
	fx_doc_free(doc);
	fx_signer_free(s);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(pss_with_an_ecdsa_key_fails_with_ekey)
{
	fx_ctx *ctx = t_ctx();
	fx_signer *s = load_signer(ctx, "ecdsa-key.pem", "ecdsa.pem");
	fx_doc *doc = load_example(ctx, "invoice-ubl.xml");
	fx_sign_opts o = FX_SIGN_OPTS_INIT;
	struct tbuf out = TBUF_INIT;

	o.pss = 1;
	ck_assert_int_eq(sign_into(&out, ctx, doc, s, &o), FX_EKEY);
	ck_assert_uint_eq(out.len, 0);
	fx_doc_free(doc);
	fx_signer_free(s);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(an_expired_certificate_signs_only_in_its_time)
{
	fx_ctx *ctx = t_ctx();
	fx_signer *s = load_signer(ctx, "expired-key.pem", "expired.pem");
	fx_doc *doc = load_example(ctx, "invoice-ubl.xml");
	fx_sign_opts o = FX_SIGN_OPTS_INIT;
	fx_verify_opts vo = FX_VERIFY_OPTS_INIT;
	struct tbuf out = TBUF_INIT;
	fx_verification *v;

	ck_assert_int_eq(sign_into(&out, ctx, doc, s, NULL), FX_EKEY);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "expired on"));
	o.fixed_time = 1;
	ck_assert_int_eq(fx_time_parse(&o.signing_time, "2020-06-01"), 0);
	ck_assert_int_eq(sign_into(&out, ctx, doc, s, &o), 0);

	v = verify_text(ctx, out.ptr, out.len, NULL, 0, NULL);
	ck_assert_int_eq(fx_verification_valid(v), 0);
	ck_assert_int_eq(fx_verification_get(v, 0)->value, FX_SIG_CHECK_PASS);
	ck_assert_int_eq(fx_verification_get(v, 0)->chain, FX_SIG_CHECK_FAIL);
	ck_assert(has_problem(v, 0, "expired on 2021-01-01T00:00:00Z"));
	fx_verification_free(v);

	vo.at_set = 1;
	vo.at = o.signing_time;
	v = verify_text(ctx, out.ptr, out.len, NULL, 0, &vo);
	ck_assert_int_eq(fx_verification_valid(v), 1);
	fx_verification_free(v);
	tbuf_release(&out);
	fx_doc_free(doc);
	fx_signer_free(s);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(trust_anchors_that_cannot_be_read_fail_with_ekey)
{
	fx_ctx *ctx = t_ctx();
	size_t len;
	char *text = t_example("invoice-ubl.xml", &len);
	fx_doc *doc = load_text(ctx, "invoice.xml", text, len);
	fx_verify_opts o = FX_VERIFY_OPTS_INIT;
	fx_verification *v = (fx_verification *) 1;

	o.ca_file = "/nonexistent/ca.pem";
	ck_assert_int_eq(fx_verify(&v, ctx, doc, &o), FX_EKEY);
	ck_assert_ptr_null(v);
	o.ca_file = FX_TEST_SOURCE_DIR "/README.md";
	ck_assert_int_eq(fx_verify(&v, ctx, doc, &o), FX_EKEY);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "no certificate"));
	fx_doc_free(doc);
	free(text);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(a_fixed_time_makes_rsa_signatures_reproducible)
{
	fx_ctx *ctx = t_ctx();
	fx_signer *s = load_signer(ctx, "signer-key.pem", "signer.pem");
	fx_doc *doc = load_example(ctx, "creditnote-ubl.xml");
	fx_sign_opts o = FX_SIGN_OPTS_INIT;
	struct tbuf a = TBUF_INIT, b = TBUF_INIT;

	o.fixed_time = 1;
	o.signing_time = 1751284800LL;
	o.signing_certificate_v1 = 1;
	ck_assert_int_eq(sign_into(&a, ctx, doc, s, &o), 0);
	ck_assert_int_eq(sign_into(&b, ctx, doc, s, &o), 0);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(!memcmp(a.ptr, b.ptr, a.len));
	ck_assert_ptr_nonnull(strstr(
		a.ptr,
		"<xades:SigningTime>2025-06-30T12:00:00Z</xades:SigningTime>"));
	ck_assert_ptr_nonnull(strstr(a.ptr, "<xades:SigningCertificate>"));
	tbuf_release(&a);
	tbuf_release(&b);
	fx_doc_free(doc);
	fx_signer_free(s);
	fx_ctx_free(ctx);
}
END_TEST

static int failing_write(const char *data, size_t len, void *payload)
{
	(void) data;
	(void) len;
	(void) payload;
	return -1;
}

START_TEST(a_failed_write_is_eio)
{
	fx_ctx *ctx = t_ctx();
	fx_signer *s = load_signer(ctx, "signer-key.pem", "signer.pem");
	fx_doc *doc = load_example(ctx, "invoice-ubl.xml");

	ck_assert_int_eq(fx_sign(ctx, doc, s, NULL, failing_write, NULL),
			 FX_EIO);
	ck_assert_int_eq(fx_sign(ctx, doc, s, NULL, NULL, NULL), FX_EINVALID);
	fx_doc_free(doc);
	fx_signer_free(s);
	fx_ctx_free(ctx);
}
END_TEST

/* Signing and verifying in several threads at once: the error capture
 * and the detached data are per thread. */
struct worker {
	fx_signer *signer;
	int good, bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	fx_ctx *ctx = NULL;
	fx_doc *doc = NULL, *sig = NULL, *changed = NULL;
	fx_verification *v = NULL;
	fx_verify_opts o = FX_VERIFY_OPTS_INIT;
	char *ca = key_path("test-ca.pem");
	struct tbuf out = TBUF_INIT;
	int i;

	if (fx_ctx_new(&ctx) < 0)
		return NULL;
	o.ca_file = ca;
	for (i = 0; i < 8; i++) {
		char *path = t_example_path("invoice-cii.xml");

		tbuf_release(&out);
		if (fx_doc_load_file(&doc, ctx, path) == 0 &&
		    fx_sign(ctx, doc, w->signer, NULL, tbuf_write, &out) == 0 &&
		    fx_doc_load_memory(&sig, ctx, "s.xml", out.ptr, out.len) ==
			    0) {
			o.signature = sig;
			if (fx_verify(&v, ctx, doc, &o) == 0 &&
			    fx_verification_valid(v))
				w->good++;
			fx_verification_free(v);
			v = NULL;
			/* the same signature over other bytes */
			if (fx_doc_load_memory(&changed, ctx, "c.xml", out.ptr,
					       out.len) == 0 &&
			    fx_verify(&v, ctx, changed, &o) == 0 &&
			    !fx_verification_valid(v))
				w->bad++;
			fx_verification_free(v);
			v = NULL;
		}
		fx_doc_free(changed);
		fx_doc_free(sig);
		fx_doc_free(doc);
		changed = sig = doc = NULL;
		free(path);
	}
	tbuf_release(&out);
	free(ca);
	fx_ctx_free(ctx);
	return NULL;
}

START_TEST(threads_sign_and_verify_side_by_side)
{
	fx_ctx *ctx = t_ctx();
	struct worker w[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		w[i].signer = load_signer(
			ctx, i % 2 ? "ecdsa-key.pem" : "signer-key.pem",
			i % 2 ? "ecdsa.pem" : "signer.pem");
		w[i].good = w[i].bad = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(w[i].good, 8);
		ck_assert_int_eq(w[i].bad, 8);
		fx_signer_free(w[i].signer);
	}
	fx_ctx_free(ctx);
}
END_TEST

static Suite *sign_suite(void)
{
	Suite *s = suite_create("sign");
	TCase *tc = tcase_create("parsers");

	tcase_add_test(tc, digest_parse_takes_the_three_names_and_nothing_else);
	tcase_add_test(tc, time_parse_reads_dates_times_and_zones);
	tcase_add_test(tc, time_parse_refuses_what_is_not_a_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("credentials");
	tcase_add_test(tc, signer_load_pem_reads_key_and_certificate);
	tcase_add_test(tc, signer_load_pem_with_another_key_fails_with_ekey);
	tcase_add_test(tc, signer_load_pem_of_missing_files_fails_with_ekey);
	tcase_add_test(tc, encrypted_key_needs_its_password);
	tcase_add_test(
		tc, pkcs12_with_a_wrong_password_fails_with_ekey_and_says_so);
	tcase_add_test(tc, sign_method_follows_key_digest_and_padding);
	suite_add_tcase(s, tc);

	tc = tcase_create("sign and verify");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_signed_ubl_invoice_verifies_and_still_validates);
	tcase_add_test(tc,
		       a_changed_amount_is_an_invalid_signature_not_an_error);
	tcase_add_test(tc,
		       a_cii_invoice_gets_a_detached_signature_of_its_bytes);
	tcase_add_test(tc,
		       an_unsigned_invoice_has_no_signature_and_is_not_valid);
	tcase_add_test(
		tc,
		signing_other_xml_fails_with_enotinvoice_and_writes_nothing);
	tcase_add_test(tc, pss_with_an_ecdsa_key_fails_with_ekey);
	tcase_add_test(tc, an_expired_certificate_signs_only_in_its_time);
	tcase_add_test(tc, trust_anchors_that_cannot_be_read_fail_with_ekey);
	tcase_add_test(tc, a_fixed_time_makes_rsa_signatures_reproducible);
	tcase_add_test(tc, a_failed_write_is_eio);
	tcase_add_test(tc, threads_sign_and_verify_side_by_side);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char cmd[1024];
	int status, n;

	n = snprintf(keys, sizeof(keys), "%s/fx-check-sign.XXXXXX",
		     getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (n < 0 || (size_t) n >= sizeof(keys) || !mkdtemp(keys)) {
		perror("check_sign: mkdtemp");
		return 1;
	}
	n = snprintf(cmd, sizeof(cmd),
		     "sh '%s/test/sign/make-keys.sh' '%s/keys' >/dev/null",
		     FX_TEST_SOURCE_DIR, keys);
	if (n < 0 || (size_t) n >= sizeof(cmd))
		return 1;
	status = system(cmd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rmdir(keys);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
			printf("check_sign: skipped: no openssl program\n");
			return 77;
		}
		fprintf(stderr, "check_sign: cannot make the test keys\n");
		return 1;
	}
	n = snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), "/keys");
	if (n < 0)
		return 1;
	status = t_run(sign_suite());
	n = snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'",
		     (int) (strlen(keys) - strlen("/keys")), keys);
	if (n > 0 && (size_t) n < sizeof(cmd) && system(cmd) != 0)
		fprintf(stderr, "check_sign: cannot remove %s\n", keys);
	return status;
}
