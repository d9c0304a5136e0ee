/* SPDX-License-Identifier: MIT */
/*
 * check_pdf.c - unit tests of the PDF reader (fx_pdf_*) and of the pdf
 * layer of fx_validate
 *
 * The PDFs are made here, byte by byte, by a small writer that records
 * object offsets, so that each test shows the structure it is about:
 * cross-reference tables and streams, object streams, incremental
 * updates, damage, encryption, bombs and cycles.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "helpers.h"

#define PB_MAX 64

/* ---- a PDF writer -------------------------------------------------- */

struct pb {
	struct tbuf b;
	size_t off[PB_MAX];
	int type[PB_MAX]; /* 0 absent, 1 at an offset, 2 in an object stream */
	int os[PB_MAX], idx[PB_MAX];
	int max;
};

static void pb_init(struct pb *p, const char *version)
{
	memset(p, 0, sizeof(*p));
	tbuf_printf(&p->b, "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", version);
}

static void pb_begin(struct pb *p, int num)
{
	ck_assert_int_lt(num, PB_MAX);
	p->off[num] = p->b.len;
	p->type[num] = 1;
	if (num > p->max)
		p->max = num;
	tbuf_printf(&p->b, "%d 0 obj\n", num);
}

static void pb_obj(struct pb *p, int num, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void pb_obj(struct pb *p, int num, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&s, fmt, ap), 0);
	va_end(ap);
	pb_begin(p, num);
	tbuf_puts(&p->b, s);
	tbuf_puts(&p->b, "\nendobj\n");
	free(s);
}

/* A stream object with DATA as it is (DICT: more entries). */
static void pb_stream(struct pb *p, int num, const char *dict, const void *data,
		      size_t len)
{
	pb_begin(p, num);
	tbuf_printf(&p->b, "<< %s /Length %zu >>\nstream\n", dict, len);
	tbuf_put(&p->b, data, len);
	tbuf_puts(&p->b, "\nendstream\nendobj\n");
}

static void deflate_into(struct tbuf *out, const void *data, size_t len)
{
	uLongf n = compressBound((uLong) len);
	unsigned char *z = malloc(n);

	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq(compress2(z, &n, data, (uLong) len, 1), Z_OK);
	tbuf_put(out, z, n);
	free(z);
}

/* The same, Flate-compressed. */
static void pb_flate(struct pb *p, int num, const char *dict, const void *data,
		     size_t len)
{
	struct tbuf z = TBUF_INIT;
	char *d = NULL;

	deflate_into(&z, data, len);
	ck_assert_int_ge(asprintf(&d, "%s /Filter /FlateDecode", dict), 0);
	pb_stream(p, num, d, z.ptr, z.len);
	free(d);
	tbuf_release(&z);
}

/* A classic cross-reference table and trailer; returns its offset. */
static size_t pb_xref(struct pb *p, const char *trailer)
{
	size_t at = p->b.len;
	int i;

	tbuf_printf(&p->b, "xref\n0 %d\n0000000000 65535 f \n", p->max + 1);
	for (i = 1; i <= p->max; i++)
		if (p->type[i] == 1)
			tbuf_printf(&p->b, "%010zu 00000 n \n", p->off[i]);
		else
			tbuf_puts(&p->b, "0000000000 65535 f \n");
	tbuf_printf(&p->b,
		    "trailer\n<< /Size %d %s >>\nstartxref\n%zu\n%%%%EOF\n",
		    p->max + 1, trailer, at);
	return at;
}

static unsigned paeth(unsigned a, unsigned b, unsigned c)
{
	int q = (int) a + (int) b - (int) c;
	int pa = abs(q - (int) a), pb = abs(q - (int) b), pc = abs(q - (int) c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Rows of COLS bytes, row R filtered with PNG filter type R % 5. */
static void png_encode(struct tbuf *out, const unsigned char *d, size_t len,
		       size_t cols)
{
	unsigned char prev[64] = { 0 };
	size_t r, i;

	ck_assert_uint_le(cols, sizeof(prev));
	for (r = 0; r * cols < len; r++) {
		const unsigned char *row = d + r * cols;
		unsigned char t = (unsigned char) (r % 5);

		tbuf_put(out, &t, 1);
		for (i = 0; i < cols; i++) {
			unsigned x = row[i], a = i ? row[i - 1] : 0,
				 b = prev[i], c = i ? prev[i - 1] : 0, pr;

			switch (t) {
			case 0: pr = 0; break;
			case 1: pr = a; break;
			case 2: pr = b; break;
			case 3: pr = (a + b) / 2; break;
			default: pr = paeth(a, b, c); break;
			}
			{
				unsigned char e = (unsigned char) (x - pr);

				tbuf_put(out, &e, 1);
			}
		}
		memcpy(prev, row, cols);
	}
}

/*
 * A cross-reference stream as object NUM (W [1 4 2], PNG predictor with
 * every filter type) and its trailer entries; returns its offset.
 */
static size_t pb_xref_stream(struct pb *p, int num, const char *trailer)
{
	struct tbuf rows = TBUF_INIT, png = TBUF_INIT;
	unsigned char row[7];
	size_t at;
	char *dict = NULL;
	int i, k;

	pb_begin(p, num); /* records the offset: the table lists itself */
	p->b.len = p->off[num];
	for (i = 0; i <= p->max; i++) {
		unsigned long f2 = p->type[i] == 1   ? p->off[i]
				   : p->type[i] == 2 ? (unsigned long) p->os[i]
						     : 0;
		unsigned f3 = p->type[i] == 2 ? (unsigned) p->idx[i]
			      : i == 0	      ? 65535
					      : 0;

		row[0] = (unsigned char) p->type[i];
		for (k = 0; k < 4; k++)
			row[1 + k] = (unsigned char) (f2 >> (24 - 8 * k));
		row[5] = (unsigned char) (f3 >> 8);
		row[6] = (unsigned char) f3;
		tbuf_put(&rows, row, 7);
	}
	png_encode(&png, (unsigned char *) rows.ptr, rows.len, 7);
	ck_assert_int_ge(asprintf(&dict,
				  "/Type /XRef /Size %d /W [1 4 2] "
				  "/DecodeParms << /Predictor 12 /Columns 7 >> "
				  "%s",
				  p->max + 1, trailer),
			 0);
	at = p->b.len;
	pb_flate(p, num, dict, png.ptr, png.len);
	tbuf_printf(&p->b, "startxref\n%zu\n%%%%EOF\n", at);
	free(dict);
	tbuf_release(&rows);
	tbuf_release(&png);
	return at;
}

/* An object stream NUM holding objects NUMS[i] with BODIES[i]. */
static void pb_objstm(struct pb *p, int num, const int *nums,
		      const char *const *bodies, int n)
{
	struct tbuf head = TBUF_INIT, body = TBUF_INIT, all = TBUF_INIT;
	char *dict = NULL;
	int i;

	for (i = 0; i < n; i++) {
		tbuf_printf(&head, "%d %zu ", nums[i], body.len);
		tbuf_printf(&body, "%s\n", bodies[i]);
		p->type[nums[i]] = 2;
		p->os[nums[i]] = num;
		p->idx[nums[i]] = i;
		if (nums[i] > p->max)
			p->max = nums[i];
	}
	tbuf_put(&all, head.ptr, head.len);
	tbuf_put(&all, body.ptr, body.len);
	ck_assert_int_ge(
		asprintf(&dict, "/Type /ObjStm /N %d /First %zu", n, head.len),
		0);
	pb_flate(p, num, dict, all.ptr, all.len);
	free(dict);
	tbuf_release(&head);
	tbuf_release(&body);
	tbuf_release(&all);
}

/* ---- fixtures ------------------------------------------------------ */

static const char xmp_ok[] =
	"<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
	"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
	"<rdf:RDF "
	"xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
	"<rdf:Description rdf:about=\"\" "
	"xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n"
	"<pdfaid:part>3</pdfaid:part>"
	"<pdfaid:conformance>B</pdfaid:conformance>\n"
	"</rdf:Description>\n"
	"<rdf:Description rdf:about=\"\" "
	"xmlns:fx=\"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#\">\n"
	"<fx:DocumentType>INVOICE</fx:DocumentType>\n"
	"<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>\n"
	"<fx:Version>1.0</fx:Version>\n"
	"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>\n"
	"</rdf:Description>\n"
	"</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>";

/* What a fixture varies. */
struct fx_opts {
	const char *xml;	  /* the invoice (NULL: examples/invoice-cii) */
	const char *name;	  /* its attachment name */
	const char *relationship; /* NULL: none */
	const char *xmp;	  /* NULL: none */
	int no_af, no_output_intent;
	const char *catalog_extra;
};

/*
 * Objects 1 to 7 of a Factur-X PDF: 1 catalog, 2 pages, 3 page, 4 file
 * specification, 5 embedded file, 6 metadata, 7 names.
 */
static void fx_objects(struct pb *p, const struct fx_opts *o)
{
	char *xml =
		o->xml ? strdup(o->xml) : t_example("invoice-cii.xml", NULL);
	const char *name = o->name ? o->name : "factur-x.xml";

	ck_assert_ptr_nonnull(xml);
	pb_obj(p, 1, "<< /Type /Catalog /Pages 2 0 R /Names 7 0 R%s%s%s%s >>",
	       o->no_af ? "" : " /AF [4 0 R]", o->xmp ? " /Metadata 6 0 R" : "",
	       o->no_output_intent
		       ? ""
		       : " /OutputIntents [<< /Type /OutputIntent /S "
			 "/GTS_PDFA1 /OutputConditionIdentifier (sRGB) >>]",
	       o->catalog_extra ? o->catalog_extra : "");
	pb_obj(p, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
	pb_obj(p, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>");
	pb_obj(p, 4,
	       "<< /Type /Filespec /F (%s) /UF (%s) /Desc (the invoice) "
	       "/EF << /F 5 0 R /UF 5 0 R >>%s%s >>",
	       name, name, o->relationship ? " /AFRelationship /" : "",
	       o->relationship ? o->relationship : "");
	{
		char *dict = NULL;

		ck_assert_int_ge(asprintf(&dict,
					  "/Type /EmbeddedFile /Subtype "
					  "/text#2Fxml /Params << /Size %zu >>",
					  strlen(xml)),
				 0);
		pb_flate(p, 5, dict, xml, strlen(xml));
		free(dict);
	}
	if (o->xmp)
		pb_stream(p, 6, "/Type /Metadata /Subtype /XML", o->xmp,
			  strlen(o->xmp));
	pb_obj(p, 7, "<< /EmbeddedFiles << /Names [(%s) 4 0 R] >> >>", name);
	free(xml);
}

static struct fx_opts default_opts(void)
{
	struct fx_opts o;

	memset(&o, 0, sizeof(o));
	o.relationship = "Alternative";
	o.xmp = xmp_ok;
	return o;
}

/* A complete Factur-X PDF with a classic table; caller frees. */
static struct tbuf make_fx(const struct fx_opts *o)
{
	struct pb p;

	pb_init(&p, "1.7");
	fx_objects(&p, o);
	pb_xref(&p, "/Root 1 0 R");
	return p.b;
}

static fx_pdf *open_buf(fx_ctx *ctx, const struct tbuf *b)
{
	fx_pdf *pdf = NULL;
	int err = fx_pdf_open_memory(&pdf, ctx, "test.pdf", b->ptr, b->len);

	ck_assert_msg(err == 0, "open: %d %s", err,
		      fx_ctx_last_error(ctx)->message);
	return pdf;
}

/* The invoice must be there, byte for byte. */
static void check_invoice(fx_ctx *ctx, fx_pdf *pdf, const char *want)
{
	char *xml = want ? strdup(want) : t_example("invoice-cii.xml", NULL);
	const unsigned char *data;
	size_t n, i, len;

	ck_assert_int_eq(fx_pdf_attachment_count(&n, ctx, pdf), 0);
	ck_assert_int_ge(n, 1);
	ck_assert_int_eq(fx_pdf_find_invoice(&i, ctx, pdf), 0);
	ck_assert_str_eq(fx_pdf_attachment_get(pdf, i)->name, "factur-x.xml");
	ck_assert_int_eq(fx_pdf_attachment_data(&data, &len, ctx, pdf, i), 0);
	ck_assert_uint_eq(len, strlen(xml));
	ck_assert(memcmp(data, xml, len) == 0);
	free(xml);
}

/* ---- reading ------------------------------------------------------- */

START_TEST(classic_table_pdf_lists_its_invoice)
{
	struct fx_opts o = default_opts();
	struct tbuf b = make_fx(&o);
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf = open_buf(ctx, &b);
	const fx_pdf_attachment *a;
	size_t n;

	ck_assert_str_eq(fx_pdf_version(pdf), "1.7");
	ck_assert_int_eq(fx_pdf_encrypted(pdf), 0);
	ck_assert_int_eq(fx_pdf_repaired(pdf), 0);
	ck_assert_uint_eq(fx_pdf_catalog_object(pdf), 1);
	check_invoice(ctx, pdf, NULL);
	ck_assert_int_eq(fx_pdf_attachment_count(&n, ctx, pdf), 0);
	ck_assert_uint_eq(n, 1);
	a = fx_pdf_attachment_get(pdf, 0);
	ck_assert_str_eq(a->key, "factur-x.xml");
	ck_assert_str_eq(a->mime, "text/xml");
	ck_assert_str_eq(a->relationship, "Alternative");
	ck_assert_str_eq(a->description, "the invoice");
	ck_assert_uint_eq(a->object, 4);
	ck_assert_uint_eq(a->stream, 5);
	ck_assert_int_eq(a->in_names, 1);
	ck_assert_int_eq(a->in_af, 1);
	ck_assert_int_gt(a->declared_size, 0);
	ck_assert_ptr_null(fx_pdf_attachment_get(pdf, 1));
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&b);
}
END_TEST

START_TEST(xref_stream_with_every_png_filter_type_is_read)
{
	struct fx_opts o = default_opts();
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	struct pb p;

	pb_init(&p, "1.7");
	fx_objects(&p, &o);
	pb_xref_stream(&p, 8, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	ck_assert_int_eq(fx_pdf_repaired(pdf), 0);
	check_invoice(ctx, pdf, NULL);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(objects_in_an_object_stream_are_found)
{
	static const int nums[] = { 1, 2, 3, 4, 7 };
	static const char *const bodies[] = {
		"<< /Type /Catalog /Pages 2 0 R /Names 7 0 R /AF [4 0 R] >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R >>",
		"<< /Type /Filespec /F (factur-x.xml) /EF << /F 5 0 R >> "
		"/AFRelationship /Data >>",
		"<< /EmbeddedFiles << /Names [(factur-x.xml) 4 0 R] >> >>",
	};
	char *xml = t_example("invoice-cii.xml", NULL);
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	struct pb p;

	pb_init(&p, "1.5");
	pb_flate(&p, 5, "/Type /EmbeddedFile /Subtype /text#2Fxml", xml,
		 strlen(xml));
	pb_objstm(&p, 6, nums, bodies, 5);
	pb_xref_stream(&p, 8, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	check_invoice(ctx, pdf, NULL);
	ck_assert_str_eq(fx_pdf_attachment_get(pdf, 0)->relationship, "Data");
	ck_assert_int_eq(fx_pdf_repaired(pdf), 0);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
	free(xml);
}
END_TEST

START_TEST(incremental_update_wins_over_the_original)
{
	static const char newer[] = "<x>the newer invoice</x>";
	struct fx_opts o = default_opts();
	struct pb p;
	size_t first, at;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;

	pb_init(&p, "1.7");
	fx_objects(&p, &o);
	first = pb_xref(&p, "/Root 1 0 R");
	/* the update replaces the embedded file (object 5) */
	at = p.b.len;
	tbuf_printf(&p.b,
		    "5 0 obj\n<< /Type /EmbeddedFile /Length %zu >>\nstream\n"
		    "%s\nendstream\nendobj\n",
		    strlen(newer), newer);
	{
		size_t x = p.b.len;

		tbuf_printf(
			&p.b,
			"xref\n5 1\n%010zu 00000 n \ntrailer\n<< /Size 8 "
			"/Root 1 0 R /Prev %zu >>\nstartxref\n%zu\n%%%%EOF\n",
			at, first, x);
	}
	pdf = open_buf(ctx, &p.b);
	check_invoice(ctx, pdf, newer);
	ck_assert_int_eq(fx_pdf_repaired(pdf), 0);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(prev_loop_ends)
{
	struct fx_opts o = default_opts();
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	size_t at;
	int i;

	pb_init(&p, "1.7");
	fx_objects(&p, &o);
	/* a section whose /Prev is itself */
	at = p.b.len;
	tbuf_printf(&p.b, "xref\n0 %d\n0000000000 65535 f \n", p.max + 1);
	for (i = 1; i <= p.max; i++)
		tbuf_printf(&p.b, "%010zu 00000 n \n", p.off[i]);
	tbuf_printf(&p.b,
		    "trailer\n<< /Size %d /Root 1 0 R /Prev %zu >>\n"
		    "startxref\n%zu\n%%%%EOF\n",
		    p.max + 1, at, at);
	pdf = open_buf(ctx, &p.b);
	check_invoice(ctx, pdf, NULL);
	ck_assert_int_eq(fx_pdf_repaired(pdf), 0);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(wrong_offsets_are_repaired_by_scanning)
{
	struct fx_opts o = default_opts();
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	int i;

	pb_init(&p, "1.7");
	fx_objects(&p, &o);
	for (i = 1; i <= p.max; i++)
		p.off[i] += 3; /* every offset off by three */
	pb_xref(&p, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	check_invoice(ctx, pdf, NULL);
	ck_assert_int_eq(fx_pdf_repaired(pdf), 1);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(missing_cross_reference_data_is_rebuilt)
{
	struct fx_opts o = default_opts();
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;

	pb_init(&p, "1.7");
	fx_objects(&p, &o);
	tbuf_puts(&p.b, "%%EOF\n"); /* no xref, no trailer, no startxref */
	pdf = open_buf(ctx, &p.b);
	ck_assert_int_eq(fx_pdf_repaired(pdf), 1);
	ck_assert_uint_eq(fx_pdf_catalog_object(pdf), 1);
	check_invoice(ctx, pdf, NULL);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(damaged_beyond_repair_fails_with_eparse)
{
	static const char *const inputs[] = {
		"%PDF-1.7\n%%EOF\n",
		"%PDF-1.4\n1 0 obj\n<< /Type /Pages >>\nendobj\n",
		"%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< >>\n"
		"startxref\n9\n%%EOF\n",
	};
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf = NULL;

	ck_assert_int_eq(fx_pdf_open_memory(&pdf, ctx, "x.pdf", inputs[_i],
					    strlen(inputs[_i])),
			 FX_EPARSE);
	ck_assert_ptr_null(pdf);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "no document catalog"));
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(not_a_pdf_fails_with_eparse)
{
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf = NULL;

	ck_assert_int_eq(fx_pdf_open_memory(&pdf, ctx, "x.pdf", "<x/>", 4),
			 FX_EPARSE);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "is not a PDF"));
	ck_assert_int_eq(fx_pdf_open_memory(&pdf, ctx, "x.pdf", "", 0),
			 FX_EPARSE);
	ck_assert_int_eq(fx_pdf_open_file(&pdf, ctx, "/nonexistent/x.pdf"),
			 FX_EIO);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(name_tree_with_kids_is_walked)
{
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	const fx_pdf_attachment *a;
	size_t n;

	pb_init(&p, "1.7");
	pb_obj(&p, 1, "<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >>");
	pb_obj(&p, 2, "<< /Kids [3 0 R 4 0 R] >>");
	pb_obj(&p, 3, "<< /Kids [5 0 R] /Limits [(a.txt) (a.txt)] >>");
	pb_obj(&p, 4, "<< /Names [(b.txt) 7 0 R (c.txt) 8 0 R] >>");
	pb_obj(&p, 5, "<< /Names [(a.txt) 6 0 R] >>");
	pb_obj(&p, 6, "<< /F (a.txt) /EF << /F 9 0 R >> >>");
	pb_obj(&p, 7, "<< /F (b.txt) /EF << /F 9 0 R >> >>");
	pb_obj(&p, 8, "<< /F (c.txt) /EF << /F 9 0 R >> >>");
	pb_stream(&p, 9, "/Type /EmbeddedFile", "abc", 3);
	pb_xref(&p, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	ck_assert_int_eq(fx_pdf_attachment_count(&n, ctx, pdf), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(fx_pdf_attachment_get(pdf, 0)->name, "a.txt");
	ck_assert_str_eq(fx_pdf_attachment_get(pdf, 1)->name, "b.txt");
	a = fx_pdf_attachment_get(pdf, 2);
	ck_assert_str_eq(a->name, "c.txt");
	ck_assert_ptr_null(a->relationship);
	ck_assert_ptr_null(a->mime);
	ck_assert_int_eq(a->in_af, 0);
	ck_assert_int_eq(a->declared_size, -1);
	ck_assert_int_eq(fx_pdf_find_invoice(&n, ctx, pdf), FX_ENOTINVOICE);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(text_strings_become_utf8)
{
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;

	pb_init(&p, "1.7");
	pb_obj(&p, 1, "<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >>");
	/* UTF-16BE "Fäktur€.xml", and PDFDocEncoding: 0x80 is a bullet */
	pb_obj(&p, 2, "<< /Names [(k) 3 0 R (l) 4 0 R] >>");
	pb_obj(&p, 3,
	       "<< /UF <FEFF004600E4006B00740075007220AC002E0078006D006C> "
	       "/EF << /F 5 0 R >> >>");
	pb_obj(&p, 4, "<< /F (\\200 list\\040\\(1\\)) /EF << /F 5 0 R >> >>");
	pb_stream(&p, 5, "", "x", 1);
	pb_xref(&p, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	{
		size_t n;

		ck_assert_int_eq(fx_pdf_attachment_count(&n, ctx, pdf), 0);
		ck_assert_uint_eq(n, 2);
	}
	ck_assert_str_eq(fx_pdf_attachment_get(pdf, 0)->name,
			 "F\xC3\xA4ktur\xE2\x82\xAC.xml");
	ck_assert_str_eq(fx_pdf_attachment_get(pdf, 1)->name,
			 "\xE2\x80\xA2 list (1)");
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(wrong_length_falls_back_to_endstream)
{
	static const char *const lengths[] = { "999999999", "3",     "-1",
					       "(x)",	    "9 0 R", "1 0 R" };
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	const unsigned char *d;
	size_t len;

	pb_init(&p, "1.7");
	pb_obj(&p, 1,
	       "<< /Type /Catalog /Names << /EmbeddedFiles << /Names [(a) 2 "
	       "0 R] >> >> >>");
	pb_obj(&p, 2, "<< /F (factur-x.xml) /EF << /F 3 0 R >> >>");
	pb_begin(&p, 3);
	tbuf_printf(&p.b,
		    "<< /Length %s >>\nstream\r\n<Invoice/>\r\nendstream\n"
		    "endobj\n",
		    lengths[_i]);
	pb_xref(&p, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	ck_assert_int_eq(fx_pdf_attachment_data(&d, &len, ctx, pdf, 0), 0);
	ck_assert_uint_eq(len, 10);
	ck_assert(memcmp(d, "<Invoice/>", 10) == 0);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(filters_decode_in_a_chain)
{
	/* "<a/>" as ASCIIHex of ASCII85 of RunLength */
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	const unsigned char *d;
	size_t len;

	pb_init(&p, "1.7");
	pb_obj(&p, 1,
	       "<< /Type /Catalog /Names << /EmbeddedFiles << /Names [(a) 2 "
	       "0 R] >> >> >>");
	pb_obj(&p, 2, "<< /F (a.xml) /EF << /F 3 0 R >> >>");
	/* RunLength of "<a/>zzzz": literal 4 bytes, then 'z' four times:
	 * 03 3C 61 2F 3E FD 7A 80; ASCII85 of that: "#rbpUm2?>(" ...
	 * computed here instead of by hand */
	{
		static const unsigned char rl[] = { 0x03, 0x3C, 0x61, 0x2F,
						    0x3E, 0xFD, 0x7A, 0x80 };
		static const char digits[] = "0123456789ABCDEF";
		struct tbuf a85 = TBUF_INIT, hex = TBUF_INIT;
		size_t i, k;

		for (i = 0; i < sizeof(rl); i += 4) {
			unsigned long v = 0;
			char g[5];

			for (k = 0; k < 4; k++)
				v = v * 256 + rl[i + k];
			for (k = 5; k-- > 0; v /= 85)
				g[k] = (char) ('!' + v % 85);
			tbuf_put(&a85, g, 5);
		}
		tbuf_puts(&a85, "~>");
		for (i = 0; i < a85.len; i++) {
			tbuf_put(&hex, &digits[(unsigned char) a85.ptr[i] >> 4],
				 1);
			tbuf_put(&hex, &digits[a85.ptr[i] & 15], 1);
			if (i % 16 == 15)
				tbuf_puts(&hex, "\n");
		}
		tbuf_puts(&hex, ">");
		pb_stream(&p, 3,
			  "/Filter [/AHx /A85 /RL] /DecodeParms [null null "
			  "null]",
			  hex.ptr, hex.len);
		tbuf_release(&a85);
		tbuf_release(&hex);
	}
	pb_xref(&p, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	ck_assert_int_eq(fx_pdf_attachment_data(&d, &len, ctx, pdf, 0), 0);
	ck_assert_uint_eq(len, 8);
	ck_assert(memcmp(d, "<a/>zzzz", 8) == 0);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(unknown_filter_fails_with_eunsupported)
{
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	const unsigned char *d;
	size_t len;

	pb_init(&p, "1.7");
	pb_obj(&p, 1,
	       "<< /Type /Catalog /Names << /EmbeddedFiles << /Names [(a) 2 "
	       "0 R] >> >> >>");
	pb_obj(&p, 2, "<< /F (a.xml) /EF << /F 3 0 R >> >>");
	pb_stream(&p, 3, "/Filter /LZWDecode", "\x80\x0b", 2);
	pb_xref(&p, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	ck_assert_int_eq(fx_pdf_attachment_data(&d, &len, ctx, pdf, 0),
			 FX_EUNSUPPORTED);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "/LZWDecode"));
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

/* ---- hostile input ------------------------------------------------- */

START_TEST(reference_cycles_read_as_null_and_end)
{
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	const unsigned char *d;
	size_t n, len;

	pb_init(&p, "1.7");
	/* names tree node 2 is its own kid; 5 -> 6 -> 5; the stream's
	 * /Length is itself */
	pb_obj(&p, 1,
	       "<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> /AF 5 0 R "
	       ">>");
	pb_obj(&p, 2, "<< /Kids [2 0 R 3 0 R] >>");
	pb_obj(&p, 3, "<< /Kids [2 0 R] /Names [(a.xml) 4 0 R] >>");
	pb_obj(&p, 4, "<< /F (a.xml) /EF << /F 7 0 R >> >>");
	pb_obj(&p, 5, "6 0 R");
	pb_obj(&p, 6, "5 0 R");
	pb_begin(&p, 7);
	tbuf_puts(&p.b,
		  "<< /Length 7 0 R >>\nstream\nabc\nendstream\nendobj\n");
	pb_xref(&p, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	ck_assert_int_eq(fx_pdf_attachment_count(&n, ctx, pdf), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(fx_pdf_attachment_data(&d, &len, ctx, pdf, 0), 0);
	ck_assert_uint_eq(len, 3);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(object_stream_inside_itself_ends)
{
	static const int nums[] = { 1, 2 };
	static const char *const bodies[] = {
		"<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >>",
		"<< /Names [(a) 3 0 R] >>",
	};
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf = NULL;
	size_t n;

	pb_init(&p, "1.5");
	pb_objstm(&p, 3, nums, bodies, 2);
	/* the stream says it is in itself: object 3 at index 0 of 3 */
	p.type[3] = 2;
	p.os[3] = 3;
	p.idx[3] = 0;
	pb_xref_stream(&p, 4, "/Root 1 0 R");
	if (fx_pdf_open_memory(&pdf, ctx, "x.pdf", p.b.ptr, p.b.len) == 0) {
		fx_pdf_attachment_count(&n, ctx, pdf);
		fx_pdf_free(pdf);
	}
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(deep_nesting_fails_cleanly)
{
	struct tbuf b = TBUF_INIT;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf = NULL;
	size_t i, n;

	tbuf_puts(&b, "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /X ");
	for (i = 0; i < 200000; i++)
		tbuf_puts(&b, i % 2 ? "[" : "<< /A ");
	tbuf_puts(&b, " >>\nendobj\n2 0 obj\n<< /Type /Catalog >>\nendobj\n"
		      "trailer\n<< /Root 1 0 R >>\n%%EOF\n");
	/* object 1 cannot be parsed; object 2 is the catalog found */
	ck_assert_int_eq(fx_pdf_open_memory(&pdf, ctx, "x.pdf", b.ptr, b.len),
			 0);
	ck_assert_int_eq(fx_pdf_attachment_count(&n, ctx, pdf), 0);
	ck_assert_uint_eq(n, 0);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&b);
}
END_TEST

START_TEST(decompression_bomb_attachment_fails_with_etoobig)
{
	size_t big = (size_t) 8 << 20;
	char *zeros = calloc(1, big);
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	const unsigned char *d;
	size_t len;

	ck_assert_ptr_nonnull(zeros);
	pb_init(&p, "1.7");
	pb_obj(&p, 1,
	       "<< /Type /Catalog /Names << /EmbeddedFiles << /Names [(a) 2 "
	       "0 R] >> >> >>");
	pb_obj(&p, 2, "<< /F (factur-x.xml) /EF << /F 3 0 R >> >>");
	pb_flate(&p, 3, "", zeros, big);
	pb_xref(&p, "/Root 1 0 R");
	ck_assert_uint_lt(p.b.len, big / 100); /* a real bomb */
	fx_ctx_set_max_size(ctx, 1 << 20);
	pdf = open_buf(ctx, &p.b);
	ck_assert_int_eq(fx_pdf_attachment_data(&d, &len, ctx, pdf, 0),
			 FX_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message, "limit"));
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
	free(zeros);
}
END_TEST

START_TEST(decompression_bomb_object_stream_is_refused)
{
	size_t big = FX_PDF_MAX_STRUCTURE_STREAM + 1024;
	char *body = malloc(big);
	struct tbuf z = TBUF_INIT;
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf = NULL;
	size_t n;
	clock_t t0 = clock();

	ck_assert_ptr_nonnull(body);
	memset(body, ' ', big);
	memcpy(body, "1 0 ", 4);
	pb_init(&p, "1.5");
	pb_begin(&p, 2);
	deflate_into(&z, body, big);
	tbuf_printf(&p.b,
		    "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode "
		    "/Length %zu >>\nstream\n",
		    z.len);
	tbuf_put(&p.b, z.ptr, z.len);
	tbuf_puts(&p.b, "\nendstream\nendobj\n");
	p.type[1] = 2;
	p.os[1] = 2;
	p.max = 2;
	pb_xref_stream(&p, 3, "/Root 1 0 R");
	/* the catalog is in the bomb: there is no catalog to be had */
	ck_assert_int_ne(
		fx_pdf_open_memory(&pdf, ctx, "x.pdf", p.b.ptr, p.b.len), 0);
	ck_assert_ptr_null(pdf);
	(void) n;
	ck_assert_msg((double) (clock() - t0) / CLOCKS_PER_SEC < 20,
		      "a bomb took too long");
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
	tbuf_release(&z);
	free(body);
}
END_TEST

START_TEST(huge_counts_allocate_nothing_big)
{
	static const char *const inputs[] = {
		/* a subsection of two billion entries */
		"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
		"xref\n0 2000000000\n0000000000 65535 f \n"
		"trailer\n<< /Root 1 0 R >>\nstartxref\n46\n%%EOF\n",
		/* an object stream that claims a billion objects */
		"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /X 3 0 R >>\nendobj\n"
		"2 0 obj\n<< /Type /ObjStm /N 1000000000 /First 2 /Length 4 "
		">>\nstream\n3 0 \nendstream\nendobj\n"
		"trailer\n<< /Root 1 0 R >>\n%%EOF\n",
		/* a huge object number */
		"%PDF-1.7\n4294967295 0 obj\n<< /Type /Catalog >>\nendobj\n"
		"2147483647 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n",
	};
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf = NULL;
	size_t n;

	if (fx_pdf_open_memory(&pdf, ctx, "x.pdf", inputs[_i],
			       strlen(inputs[_i])) == 0) {
		ck_assert_int_eq(fx_pdf_attachment_count(&n, ctx, pdf), 0);
		fx_pdf_free(pdf);
	}
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(every_truncation_of_a_pdf_fails_or_succeeds_cleanly)
{
	struct fx_opts o = default_opts();
	struct pb p;
	fx_ctx *ctx = t_ctx();
	size_t cut, ok = 0;

	pb_init(&p, "1.5");
	fx_objects(&p, &o);
	pb_xref_stream(&p, 8, "/Root 1 0 R");
	for (cut = 0; cut <= p.b.len; cut += 7) {
		fx_pdf *pdf = NULL;
		const unsigned char *d;
		size_t n, len, i;

		if (fx_pdf_open_memory(&pdf, ctx, "cut.pdf", p.b.ptr, cut) < 0)
			continue;
		if (fx_pdf_attachment_count(&n, ctx, pdf) == 0)
			for (i = 0; i < n; i++)
				fx_pdf_attachment_data(&d, &len, ctx, pdf, i);
		ok++;
		fx_pdf_free(pdf);
	}
	/* the whole file, at least, opens */
	ck_assert_uint_ge(ok, 1);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(encrypted_pdf_opens_but_its_attachments_are_refused)
{
	struct fx_opts o = default_opts();
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	fx_report *r = NULL;
	size_t n;

	pb_init(&p, "1.7");
	fx_objects(&p, &o);
	pb_obj(&p, 8,
	       "<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>");
	pb_xref(&p, "/Root 1 0 R /Encrypt 8 0 R");
	pdf = open_buf(ctx, &p.b);
	ck_assert_int_eq(fx_pdf_encrypted(pdf), 1);
	ck_assert_int_eq(fx_pdf_attachment_count(&n, ctx, pdf),
			 FX_EUNSUPPORTED);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "encrypted"));
	fx_pdf_free(pdf);

	ck_assert_int_eq(
		fx_validate_memory(&r, ctx, "enc.pdf", p.b.ptr, p.b.len, NULL),
		0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), FX_EUNSUPPORTED);
	ck_assert_uint_eq(fx_report_count(r), 1);
	ck_assert_str_eq(fx_report_get(r, 0)->rule, "PDF-ENCRYPTED");
	ck_assert_int_eq(fx_report_get(r, 0)->layer, FX_LAYER_PDF);
	fx_report_free(r);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

/* ---- attachments and metadata -------------------------------------- */

START_TEST(find_invoice_prefers_the_factur_x_name)
{
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	size_t i;

	pb_init(&p, "1.7");
	pb_obj(&p, 1, "<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >>");
	pb_obj(&p, 2, "<< /Names [(a) 3 0 R (b) 4 0 R (c) 5 0 R (d) 6 0 R] >>");
	pb_obj(&p, 3, "<< /F (other.xml) /EF << /F 7 0 R >> >>");
	pb_obj(&p, 4, "<< /F (xrechnung.xml) /EF << /F 7 0 R >> >>");
	pb_obj(&p, 5, "<< /F (ZUGFeRD-invoice.xml) /EF << /F 7 0 R >> >>");
	pb_obj(&p, 6, "<< /F (Factur-X.XML) /EF << /F 7 0 R >> >>");
	pb_stream(&p, 7, "", "<x/>", 4);
	pb_xref(&p, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	/* exact names first, in the order of the list; then any case */
	ck_assert_int_eq(fx_pdf_find_invoice(&i, ctx, pdf), 0);
	ck_assert_uint_eq(i, 2);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(find_invoice_falls_back_to_an_xml_invoice)
{
	static const char cii[] =
		"<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:"
		"data:standard:CrossIndustryInvoice:100\"/>";
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	size_t i;

	pb_init(&p, "1.7");
	pb_obj(&p, 1, "<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >>");
	pb_obj(&p, 2, "<< /Names [(a) 3 0 R (b) 4 0 R (c) 5 0 R] >>");
	pb_obj(&p, 3, "<< /F (notes.xml) /EF << /F 6 0 R >> >>");
	pb_obj(&p, 4, "<< /F (logo.png) /EF << /F 7 0 R >> >>");
	pb_obj(&p, 5, "<< /F (rechnung.xml) /EF << /F 7 0 R >> >>");
	pb_stream(&p, 6, "", "<notes/>", 8);
	pb_stream(&p, 7, "", cii, strlen(cii));
	pb_xref(&p, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	ck_assert_int_eq(fx_pdf_find_invoice(&i, ctx, pdf), 0);
	ck_assert_uint_eq(i, 2); /* logo.png holds CII too, but is no XML */
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(af_only_file_specifications_are_listed_apart)
{
	struct fx_opts o = default_opts();
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	const fx_pdf_attachment *a;
	size_t n, i;

	pb_init(&p, "1.7");
	fx_objects(&p, &o);
	/* replace the catalog: /AF lists 4 and an extra 8 */
	pb_obj(&p, 1,
	       "<< /Type /Catalog /Names 7 0 R /AF [4 0 R 8 0 R] /Metadata 6 "
	       "0 R >>");
	pb_obj(&p, 8,
	       "<< /F (extra.pdf) /AFRelationship /Supplement /EF << /F 5 0 R "
	       ">> >>");
	pb_xref(&p, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	ck_assert_int_eq(fx_pdf_attachment_count(&n, ctx, pdf), 0);
	ck_assert_uint_eq(n, 2);
	a = fx_pdf_attachment_get(pdf, 1);
	ck_assert_str_eq(a->name, "extra.pdf");
	ck_assert_int_eq(a->in_names, 0);
	ck_assert_int_eq(a->in_af, 1);
	ck_assert_ptr_null(a->key);
	ck_assert_int_eq(fx_pdf_attachment_get(pdf, 0)->in_af, 1);
	ck_assert_int_eq(fx_pdf_find_invoice(&i, ctx, pdf), 0);
	ck_assert_uint_eq(i, 0);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

START_TEST(xmp_properties_are_read_as_elements_and_attributes)
{
	static const char attrs[] =
		"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
		"xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
		"<rdf:Description rdf:about=\"\" "
		"xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\" "
		"xmlns:zf=\"urn:zugferd:pdfa:CrossIndustryDocument:invoice:"
		"2p0#\" pdfaid:part=\"1\" pdfaid:conformance=\"A\" "
		"zf:ConformanceLevel=\"  BASIC \" "
		"zf:DocumentFileName=\"zugferd-invoice.xml\"/>"
		"</rdf:RDF></x:xmpmeta>";
	struct fx_opts o = default_opts();
	struct tbuf b;
	fx_ctx *ctx = t_ctx();
	fx_pdf *pdf;
	const fx_pdf_xmp *x;

	b = make_fx(&o);
	pdf = open_buf(ctx, &b);
	ck_assert_int_eq(fx_pdf_xmp_read(&x, ctx, pdf), 0);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->object, 6);
	ck_assert_str_eq(x->pdfa_part, "3");
	ck_assert_str_eq(x->pdfa_conformance, "B");
	ck_assert_str_eq(x->fx_prefix, "fx");
	ck_assert_str_eq(x->conformance_level, "EN 16931");
	ck_assert_str_eq(x->document_file_name, "factur-x.xml");
	ck_assert_str_eq(x->document_type, "INVOICE");
	ck_assert_str_eq(x->version, "1.0");
	fx_pdf_free(pdf);
	tbuf_release(&b);

	o.xmp = attrs;
	b = make_fx(&o);
	pdf = open_buf(ctx, &b);
	ck_assert_int_eq(fx_pdf_xmp_read(&x, ctx, pdf), 0);
	ck_assert_str_eq(x->pdfa_part, "1");
	ck_assert_str_eq(x->pdfa_conformance, "A");
	ck_assert_str_eq(x->fx_prefix, "zf");
	ck_assert_str_eq(x->conformance_level, "BASIC");
	ck_assert_str_eq(x->document_file_name, "zugferd-invoice.xml");
	ck_assert_ptr_null(x->version);
	fx_pdf_free(pdf);
	tbuf_release(&b);

	o.xmp = NULL;
	b = make_fx(&o);
	pdf = open_buf(ctx, &b);
	ck_assert_int_eq(fx_pdf_xmp_read(&x, ctx, pdf), 0);
	ck_assert_ptr_null(x);
	fx_pdf_free(pdf);
	tbuf_release(&b);

	o.xmp = "<x:xmpmeta";
	b = make_fx(&o);
	pdf = open_buf(ctx, &b);
	ck_assert_int_eq(fx_pdf_xmp_read(&x, ctx, pdf), FX_EPARSE);
	fx_pdf_free(pdf);
	tbuf_release(&b);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- the pdf layer of fx_validate ---------------------------------- */

static fx_report *validate_fx(fx_ctx *ctx, const struct fx_opts *o)
{
	struct tbuf b = make_fx(o);
	fx_validate_opts vo = FX_VALIDATE_OPTS_INIT;
	fx_report *r = NULL;

	vo.rules = FX_RULES_NONE; /* the rules are tested elsewhere */
	ck_assert_int_eq(
		fx_validate_memory(&r, ctx, "inv.pdf", b.ptr, b.len, &vo), 0);
	tbuf_release(&b);
	return r;
}

/* The rules of the pdf layer's findings, comma-separated. */
static char *pdf_rules(const fx_report *r)
{
	struct tbuf b = TBUF_INIT;
	size_t i;

	tbuf_puts(&b, "");
	for (i = 0; i < fx_report_count(r); i++) {
		const fx_finding *f = fx_report_get(r, i);

		if (f->layer == FX_LAYER_PDF)
			tbuf_printf(&b, "%s%s", b.len ? "," : "", f->rule);
	}
	return b.ptr;
}

START_TEST(valid_factur_x_pdf_passes_every_layer)
{
	struct fx_opts o = default_opts();
	fx_ctx *ctx = t_ctx();
	fx_report *r = validate_fx(ctx, &o);

	ck_assert_msg(fx_report_count(r) == 0, "first finding: %s",
		      fx_report_count(r) ? fx_report_get(r, 0)->message : "");
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_VALID);
	ck_assert_int_eq(fx_report_syntax(r), FX_SYNTAX_PDF);
	ck_assert_int_eq(fx_report_profile(r), FX_PROFILE_EN16931);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_INPUT), FX_LAYER_PASS);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_XML), FX_LAYER_PASS);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_SCHEMA), FX_LAYER_PASS);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_PDF), FX_LAYER_PASS);
	fx_report_free(r);
	fx_ctx_free(ctx);
}
END_TEST

static const char xmp_minimum[] =
	"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
	"xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
	"<rdf:Description rdf:about=\"\" "
	"xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\" "
	"xmlns:fx=\"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#\" "
	"pdfaid:part=\"3\" fx:ConformanceLevel=\"MINIMUM\" "
	"fx:DocumentFileName=\"factur-x.xml\"/></rdf:RDF></x:xmpmeta>";

static const struct {
	const char *what;
	const char *expect; /* the pdf layer's rules, in order */
} variants[] = {
	{ "no /AF", "PDF-AF" },
	{ "no output intent", "PDF-OUTPUT-INTENT" },
	{ "no AFRelationship", "PDF-AFREL" },
	{ "AFRelationship Supplement", "PDF-AFREL" },
	{ "no metadata", "PDF-A-PART" },
	{ "PDF/A-1", "PDF-A-PART" },
	{ "level BASIC", "PDF-XMP-LEVEL" },
	{ "file name zugferd-invoice.xml", "PDF-XMP-FILENAME" },
	{ "MINIMUM with Alternative", "PDF-AFREL" },
	{ "no Factur-X properties", "PDF-XMP-FX" },
};

START_TEST(pdf_layer_reports_each_container_problem)
{
	struct fx_opts o = default_opts();
	fx_ctx *ctx = t_ctx();
	char *xml = NULL, *xmp = NULL, *rules;
	fx_report *r;

	switch (_i) {
	case 0: o.no_af = 1; break;
	case 1: o.no_output_intent = 1; break;
	case 2: o.relationship = NULL; break;
	case 3: o.relationship = "Supplement"; break;
	case 4: o.xmp = NULL; break;
	case 5: o.xmp = xmp = t_replace(xmp_ok, ">3<", ">1<"); break;
	case 6: o.xmp = xmp = t_replace(xmp_ok, "EN 16931", "BASIC"); break;
	case 7:
		o.xmp = xmp = t_replace(xmp_ok, "factur-x.xml",
					"zugferd-invoice.xml");
		break;
	case 8: {
		char *cii = t_example("invoice-cii.xml", NULL);

		o.xml = xml = t_replace(cii, "urn:cen.eu:en16931:2017",
					"urn:factur-x.eu:1p0:minimum");
		o.xmp = xmp_minimum;
		free(cii);
		break;
	}
	default:
		o.xmp = xmp = t_replace_all(
			xmp_ok,
			"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
			"urn:example:other#");
		break;
	}
	r = validate_fx(ctx, &o);
	rules = pdf_rules(r);
	ck_assert_msg(!strcmp(rules, variants[_i].expect),
		      "%s: the pdf layer says '%s', expected '%s'",
		      variants[_i].what, rules, variants[_i].expect);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_PDF), FX_LAYER_FAIL);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_INVALID);
	ck_assert_str_eq(fx_report_get(r, fx_report_count(r) - 1)->file,
			 "inv.pdf");
	free(rules);
	free(xml);
	free(xmp);
	fx_report_free(r);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(findings_in_the_embedded_xml_name_the_attachment)
{
	struct fx_opts o = default_opts();
	fx_ctx *ctx = t_ctx();
	fx_report *r;
	const fx_finding *f;

	o.xml = "<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:"
		"data:standard:CrossIndustryInvoice:100\">\n  <oops>\n"
		"</rsm:CrossIndustryInvoice>";
	r = validate_fx(ctx, &o);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), FX_EPARSE);
	f = fx_report_get(r, 0);
	ck_assert_int_eq(f->layer, FX_LAYER_XML);
	ck_assert_str_eq(f->file, "inv.pdf:factur-x.xml");
	ck_assert_uint_eq(f->line, 3);
	ck_assert_str_eq(fx_report_file(r), "inv.pdf");
	fx_report_free(r);

	/* a schema error: found in the XML, reported under its name */
	o.xml = "<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:"
		"data:standard:CrossIndustryInvoice:100\">\n  <rsm:Oops/>\n"
		"</rsm:CrossIndustryInvoice>";
	r = validate_fx(ctx, &o);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_INVALID);
	f = fx_report_get(r, 0);
	ck_assert_int_eq(f->layer, FX_LAYER_SCHEMA);
	ck_assert_str_eq(f->file, "inv.pdf:factur-x.xml");
	ck_assert_uint_eq(f->line, 2);
	ck_assert_int_eq(fx_report_layer(r, FX_LAYER_SCHEMA), FX_LAYER_FAIL);
	fx_report_free(r);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(pdf_without_an_invoice_is_not_an_invoice)
{
	struct pb p;
	fx_ctx *ctx = t_ctx();
	fx_report *r = NULL;
	fx_pdf *pdf;
	size_t i;

	pb_init(&p, "1.7");
	pb_obj(&p, 1, "<< /Type /Catalog /Pages 2 0 R >>");
	pb_obj(&p, 2, "<< /Type /Pages /Kids [] /Count 0 >>");
	pb_xref(&p, "/Root 1 0 R");
	pdf = open_buf(ctx, &p.b);
	ck_assert_int_eq(fx_pdf_find_invoice(&i, ctx, pdf), FX_ENOTINVOICE);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "no invoice"));
	fx_pdf_free(pdf);
	ck_assert_int_eq(fx_validate_memory(&r, ctx, "plain.pdf", p.b.ptr,
					    p.b.len, NULL),
			 0);
	ck_assert_int_eq(fx_report_outcome(r), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(r), FX_ENOTINVOICE);
	ck_assert_str_eq(fx_report_get(r, 0)->rule, "PDF-NO-INVOICE");
	fx_report_free(r);
	fx_ctx_free(ctx);
	tbuf_release(&p.b);
}
END_TEST

static Suite *pdf_suite(void)
{
	Suite *s = suite_create("pdf");
	TCase *tc = tcase_create("read");

	tcase_add_test(tc, classic_table_pdf_lists_its_invoice);
	tcase_add_test(tc, xref_stream_with_every_png_filter_type_is_read);
	tcase_add_test(tc, objects_in_an_object_stream_are_found);
	tcase_add_test(tc, incremental_update_wins_over_the_original);
	tcase_add_test(tc, prev_loop_ends);
	tcase_add_test(tc, wrong_offsets_are_repaired_by_scanning);
	tcase_add_test(tc, missing_cross_reference_data_is_rebuilt);
	tcase_add_loop_test(tc, damaged_beyond_repair_fails_with_eparse, 0, 3);
	tcase_add_test(tc, not_a_pdf_fails_with_eparse);
	tcase_add_test(tc, name_tree_with_kids_is_walked);
	tcase_add_test(tc, text_strings_become_utf8);
	tcase_add_loop_test(tc, wrong_length_falls_back_to_endstream, 0, 6);
	tcase_add_test(tc, filters_decode_in_a_chain);
	tcase_add_test(tc, unknown_filter_fails_with_eunsupported);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, reference_cycles_read_as_null_and_end);
	tcase_add_test(tc, object_stream_inside_itself_ends);
	tcase_add_test(tc, deep_nesting_fails_cleanly);
	tcase_add_test(tc, decompression_bomb_attachment_fails_with_etoobig);
	tcase_add_test(tc, decompression_bomb_object_stream_is_refused);
	tcase_add_loop_test(tc, huge_counts_allocate_nothing_big, 0, 3);
	tcase_add_test(tc, every_truncation_of_a_pdf_fails_or_succeeds_cleanly);
	tcase_add_test(tc, encrypted_pdf_opens_but_its_attachments_are_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("attachments");
	tcase_add_test(tc, find_invoice_prefers_the_factur_x_name);
	tcase_add_test(tc, find_invoice_falls_back_to_an_xml_invoice);
	tcase_add_test(tc, af_only_file_specifications_are_listed_apart);
	tcase_add_test(tc, xmp_properties_are_read_as_elements_and_attributes);
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_test(tc, valid_factur_x_pdf_passes_every_layer);
	tcase_add_loop_test(tc, pdf_layer_reports_each_container_problem, 0,
			    (int) (sizeof(variants) / sizeof(variants[0])));
	tcase_add_test(tc, findings_in_the_embedded_xml_name_the_attachment);
	tcase_add_test(tc, pdf_without_an_invoice_is_not_an_invoice);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(pdf_suite());
}
