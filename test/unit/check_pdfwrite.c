/* SPDX-License-Identifier: MIT */
/*
 * check_pdfwrite.c - fx_pdf_pack: the update it appends, its refusals
 *
 * What other readers make of the output (qpdf, poppler) is checked by
 * test/pdf/pack.py; here, the contract of the call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* A one-page PDF with a classic cross-reference table; EXTRA goes into
 * the trailer. */
static void minimal_pdf(struct tbuf *b, const char *extra)
{
	size_t off[4];
	size_t xref;
	int i;

	tbuf_puts(b, "%PDF-1.7\n");
	off[1] = b->len;
	tbuf_puts(b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = b->len;
	tbuf_puts(b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\n"
		     "endobj\n");
	off[3] = b->len;
	tbuf_puts(b, "3 0 obj\n<< /Type /Page /Parent 2 0 R "
		     "/MediaBox [0 0 595 842] >>\nendobj\n");
	xref = b->len;
	tbuf_puts(b, "xref\n0 4\n0000000000 65535 f \n");
	for (i = 1; i < 4; i++)
		tbuf_printf(b, "%010zu 00000 n \n", off[i]);
	tbuf_printf(b,
		    "trailer\n<< /Size 4 /Root 1 0 R%s >>\nstartxref\n%zu\n"
		    "%%%%EOF\n",
		    extra, xref);
}

static const char xml[] = "<?xml version=\"1.0\"?>\n<a>invoice</a>\n";

static fx_pdf_embed invoice(const char *data)
{
	fx_pdf_embed e = { "factur-x.xml", data,	  strlen(data),
			   "text/xml",	   "Alternative", "Factur-X invoice" };

	return e;
}

START_TEST(packed_pdf_reads_back)
{
	struct tbuf in = TBUF_INIT;
	fx_ctx *ctx;
	fx_pdf *pdf;
	fx_pdf_embed e = invoice(xml);
	fx_pdf_pack_opts opts = { 0 };
	const fx_pdf_attachment *a;
	const fx_pdf_xmp *x;
	const unsigned char *data;
	unsigned char *out;
	size_t len, n, dlen, pdfa;

	minimal_pdf(&in, "");
	ck_assert_int_eq(fx_ctx_new(&ctx), 0);
	opts.conformance_level = "BASIC";
	opts.time = 1700000000;
	ck_assert_int_eq(
		fx_pdf_pack(&out, &len, ctx, in.ptr, in.len, &e, 1, &opts), 0);
	ck_assert_uint_gt(len, in.len);
	ck_assert(!memcmp(out, in.ptr, in.len));
	ck_assert_int_eq(fx_pdf_open_memory(&pdf, ctx, "out", out, len), 0);
	ck_assert(!fx_pdf_repaired(pdf));
	ck_assert_int_eq(fx_pdf_attachment_count(&n, ctx, pdf), 0);
	ck_assert_uint_eq(n, 1);
	a = fx_pdf_attachment_get(pdf, 0);
	ck_assert_str_eq(a->name, "factur-x.xml");
	ck_assert_str_eq(a->mime, "text/xml");
	ck_assert_str_eq(a->relationship, "Alternative");
	ck_assert_str_eq(a->description, "Factur-X invoice");
	ck_assert_int_eq(a->declared_size, (long long) strlen(xml));
	ck_assert(a->in_names && a->in_af);
	ck_assert_int_eq(fx_pdf_attachment_data(&data, &dlen, ctx, pdf, 0), 0);
	ck_assert_uint_eq(dlen, strlen(xml));
	ck_assert(!memcmp(data, xml, dlen));
	ck_assert_int_eq(fx_pdf_xmp_read(&x, ctx, pdf), 0);
	ck_assert_ptr_nonnull(x);
	ck_assert_str_eq(x->pdfa_part, "3");
	ck_assert_str_eq(x->pdfa_conformance, "B");
	ck_assert_str_eq(x->conformance_level, "BASIC");
	ck_assert_str_eq(x->document_file_name, "factur-x.xml");
	ck_assert_str_eq(x->document_type, "INVOICE");
	ck_assert_uint_eq(fx_pdf_output_intents(pdf, &pdfa), 1);
	ck_assert_uint_eq(pdfa, 1);
	fx_pdf_free(pdf);
	free(out);
	fx_ctx_free(ctx);
	tbuf_release(&in);
}
END_TEST

START_TEST(same_input_and_time_give_the_same_bytes)
{
	struct tbuf in = TBUF_INIT;
	fx_ctx *ctx;
	fx_pdf_embed e = invoice(xml);
	fx_pdf_pack_opts opts = { 0 };
	unsigned char *o1, *o2;
	size_t l1, l2;

	minimal_pdf(&in, "");
	ck_assert_int_eq(fx_ctx_new(&ctx), 0);
	opts.time = 1700000000;
	ck_assert_int_eq(
		fx_pdf_pack(&o1, &l1, ctx, in.ptr, in.len, &e, 1, &opts), 0);
	ck_assert_int_eq(
		fx_pdf_pack(&o2, &l2, ctx, in.ptr, in.len, &e, 1, &opts), 0);
	ck_assert_uint_eq(l1, l2);
	ck_assert(!memcmp(o1, o2, l1));
	ck_assert_ptr_nonnull(memmem(o1, l1, "D:20231114221320+00'00'", 23));
	free(o1);
	free(o2);
	fx_ctx_free(ctx);
	tbuf_release(&in);
}
END_TEST

START_TEST(an_embedded_invoice_needs_replace)
{
	struct tbuf in = TBUF_INIT;
	fx_ctx *ctx;
	fx_pdf *pdf;
	fx_pdf_embed e = invoice(xml);
	fx_pdf_embed e2 = invoice("<a>second</a>");
	fx_pdf_pack_opts opts = { 0 };
	unsigned char *o1, *o2 = NULL;
	const unsigned char *data;
	size_t l1, l2, n, dlen;

	minimal_pdf(&in, "");
	ck_assert_int_eq(fx_ctx_new(&ctx), 0);
	ck_assert_int_eq(
		fx_pdf_pack(&o1, &l1, ctx, in.ptr, in.len, &e, 1, &opts), 0);
	ck_assert_int_eq(fx_pdf_pack(&o2, &l2, ctx, o1, l1, &e2, 1, &opts),
			 FX_EINVALID);
	ck_assert_ptr_null(o2);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message,
				     "already has an invoice"));
	opts.replace = 1;
	ck_assert_int_eq(fx_pdf_pack(&o2, &l2, ctx, o1, l1, &e2, 1, &opts), 0);
	ck_assert(!memcmp(o2, o1, l1));
	ck_assert_int_eq(fx_pdf_open_memory(&pdf, ctx, "out", o2, l2), 0);
	ck_assert_int_eq(fx_pdf_attachment_count(&n, ctx, pdf), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(fx_pdf_attachment_data(&data, &dlen, ctx, pdf, 0), 0);
	ck_assert_uint_eq(dlen, strlen("<a>second</a>"));
	ck_assert(!memcmp(data, "<a>second</a>", dlen));
	fx_pdf_free(pdf);
	free(o1);
	free(o2);
	fx_ctx_free(ctx);
	tbuf_release(&in);
}
END_TEST

START_TEST(bad_calls_and_inputs_are_refused)
{
	struct tbuf in = TBUF_INIT, enc = TBUF_INIT;
	fx_ctx *ctx;
	fx_pdf_embed e = invoice(xml), twice[2];
	unsigned char *out = (unsigned char *) "x";
	size_t len = 1;

	minimal_pdf(&in, "");
	minimal_pdf(&enc, " /Encrypt << /Filter /Standard /V 2 >>");
	ck_assert_int_eq(fx_ctx_new(&ctx), 0);
	ck_assert_int_eq(
		fx_pdf_pack(&out, &len, ctx, in.ptr, in.len, &e, 0, NULL),
		FX_EINVALID);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(len, 0);
	twice[0] = e;
	twice[1] = e;
	ck_assert_int_eq(
		fx_pdf_pack(&out, &len, ctx, in.ptr, in.len, twice, 2, NULL),
		FX_EINVALID);
	ck_assert_int_eq(
		fx_pdf_pack(&out, &len, ctx, xml, strlen(xml), &e, 1, NULL),
		FX_EPARSE);
	ck_assert_int_eq(
		fx_pdf_pack(&out, &len, ctx, enc.ptr, enc.len, &e, 1, NULL),
		FX_EUNSUPPORTED);
	ck_assert_ptr_null(out);
	fx_ctx_free(ctx);
	tbuf_release(&in);
	tbuf_release(&enc);
}
END_TEST

static Suite *pdfwrite_suite(void)
{
	Suite *s = suite_create("pdfwrite");
	TCase *tc = tcase_create("pack");

	tcase_add_test(tc, packed_pdf_reads_back);
	tcase_add_test(tc, same_input_and_time_give_the_same_bytes);
	tcase_add_test(tc, an_embedded_invoice_needs_replace);
	tcase_add_test(tc, bad_calls_and_inputs_are_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(pdfwrite_suite());
}
