/* SPDX-License-Identifier: MIT */
/*
 * pdfwrite.c - Factur-X packing: an incremental update appended to the
 * untouched bytes of a PDF
 *
 * The update holds new objects only (plus a new version of the catalog),
 * then a classic cross-reference section for them and a trailer whose
 * /Prev is the previous section, so that every byte of the original, and
 * any signature over them, stays as it was.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "facture/pdf.h"
#include "internal.h"
#include "pdf.h"

#define FX_NS_DEFAULT "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"

/* An entry of the new /EmbeddedFiles name tree: the key's bytes, and the
 * value as stored in the original (VALUE) or a new object (NUM). */
struct entry {
	const char *key;
	size_t len;
	const struct pdf_obj *value;
	unsigned long num;
};

struct writer {
	fx_ctx *ctx;
	fx_pdf *pdf;
	struct fx_buf out;
	size_t base;	     /* the original's length, plus our newline */
	unsigned long next;  /* next free object number */
	unsigned long first; /* the first new object number */
	size_t *offsets;     /* of new objects, by number - first */
	size_t noffsets, cap;
	size_t catalog_at; /* offset of the new catalog */
	int err;
};

static int nomem(struct writer *w)
{
	if (!w->err)
		w->err = fx_ctx__error(w->ctx, FX_ENOMEM, "out of memory");
	return w->err;
}

static void put(struct writer *w, const void *p, size_t n)
{
	if (!w->err && fx_buf_put(&w->out, p, n) < 0)
		nomem(w);
}

static void puts_(struct writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void printf_(struct writer *w, const char *fmt, ...) FX_PRINTF(2, 3);
static void printf_(struct writer *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!w->err && fx_buf_vprintf(&w->out, fmt, ap) < 0)
		nomem(w);
	va_end(ap);
}

/* Reserve the next object number. */
static unsigned long new_num(struct writer *w)
{
	return w->next++;
}

/* Start object NUM: a new one, or (below the first new number) the
 * new version of the catalog. */
static void begin_obj(struct writer *w, unsigned long num, unsigned gen)
{
	size_t i = num - w->first;

	if (w->err)
		return;
	if (num >= w->first) {
		if (i >= w->cap) {
			size_t cap = w->cap ? 2 * w->cap : 16, *o;

			while (cap <= i)
				cap *= 2;
			if (!(o = realloc(w->offsets, cap * sizeof(*o)))) {
				nomem(w);
				return;
			}
			memset(o + w->cap, 0, (cap - w->cap) * sizeof(*o));
			w->offsets = o;
			w->cap = cap;
		}
		w->offsets[i] = w->out.len;
		if (i + 1 > w->noffsets)
			w->noffsets = i + 1;
	} else {
		w->catalog_at = w->out.len;
	}
	printf_(w, "%lu %u obj\n", num, gen);
}

static void end_obj(struct writer *w)
{
	puts_(w, "\nendobj\n");
}

/* ---- serialising objects ------------------------------------------- */

static void put_name(struct writer *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	puts_(w, "/");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];

		if (c <= 0x20 || c >= 0x7F || c == '#' ||
		    strchr("()<>[]{}/%", c)) {
			char e[3] = { '#', hex[c >> 4], hex[c & 15] };

			put(w, e, 3);
		} else {
			put(w, &c, 1);
		}
	}
}

static void put_hex(struct writer *w, const void *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *b = p;
	size_t i;

	puts_(w, "<");
	for (i = 0; i < n; i++) {
		char e[2] = { hex[b[i] >> 4], hex[b[i] & 15] };

		put(w, e, 2);
	}
	puts_(w, ">");
}

static int is_ascii(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;

	for (; *p; p++)
		if (*p < 0x20 || *p >= 0x7F)
			return 0;
	return 1;
}

/* The bytes of text string S: itself when printable ASCII, else UTF-16BE
 * with a byte order mark.  -1 when out of memory. */
static int text_encode(struct fx_buf *u, const char *s)
{
	const unsigned char *p;

	if (is_ascii(s))
		return fx_buf_put(u, s, strlen(s)) < 0 ? -1 : 0;
	if (fx_buf_put(u, "\xFE\xFF", 2) < 0)
		return -1;
	for (p = (const unsigned char *) s; *p;) {
		unsigned long cp = 0xFFFD;
		size_t n = 1, k;
		unsigned char b[4];

		if (*p < 0x80)
			cp = *p;
		else if (*p >= 0xC2 && *p <= 0xDF)
			n = 2, cp = *p & 0x1F;
		else if (*p >= 0xE0 && *p <= 0xEF)
			n = 3, cp = *p & 0x0F;
		else if (*p >= 0xF0 && *p <= 0xF4)
			n = 4, cp = *p & 0x07;
		for (k = 1; k < n; k++) {
			if ((p[k] & 0xC0) != 0x80) {
				n = 1;
				cp = 0xFFFD;
				break;
			}
			cp = (cp << 6) | (p[k] & 0x3F);
		}
		p += n;
		if (cp >= 0x10000) {
			unsigned long v = cp - 0x10000;
			unsigned hi = 0xD800 + (unsigned) (v >> 10);
			unsigned lo = 0xDC00 + (unsigned) (v & 0x3FF);

			b[0] = (unsigned char) (hi >> 8);
			b[1] = (unsigned char) hi;
			b[2] = (unsigned char) (lo >> 8);
			b[3] = (unsigned char) lo;
			if (fx_buf_put(u, b, 4) < 0)
				return -1;
		} else {
			b[0] = (unsigned char) (cp >> 8);
			b[1] = (unsigned char) cp;
			if (fx_buf_put(u, b, 2) < 0)
				return -1;
		}
	}
	return 0;
}

/* A text string: literal when printable ASCII, else UTF-16BE with BOM. */
static void put_text(struct writer *w, const char *s)
{
	struct fx_buf u = FX_BUF_INIT;
	const char *p;

	if (is_ascii(s)) {
		puts_(w, "(");
		for (p = s; *p; p++) {
			if (*p == '(' || *p == ')' || *p == '\\')
				puts_(w, "\\");
			put(w, p, 1);
		}
		puts_(w, ")");
		return;
	}
	if (text_encode(&u, s) < 0)
		nomem(w);
	else
		put_hex(w, u.ptr, u.len);
	fx_buf_release(&u);
}

/* An object of the original, as stored (references stay references). */
static void put_obj(struct writer *w, const struct pdf_obj *o, int depth)
{
	size_t i;

	if (depth > 64) {
		puts_(w, "null");
		return;
	}
	switch (o ? o->type : PDF_NULL) {
	case PDF_NULL: puts_(w, "null"); break;
	case PDF_BOOL: puts_(w, o->u.boolean ? "true" : "false"); break;
	case PDF_INT: printf_(w, "%lld", o->u.integer); break;
	case PDF_REAL: {
		char b[64];
		size_t n;

		snprintf(b, sizeof(b), "%.6f", o->u.real);
		n = strlen(b);
		while (n > 1 && b[n - 1] == '0')
			b[--n] = 0;
		if (b[n - 1] == '.')
			b[--n] = 0;
		puts_(w, b);
		break;
	}
	case PDF_STRING: put_hex(w, o->u.str.ptr, o->u.str.len); break;
	case PDF_NAME: put_name(w, o->u.str.ptr, o->u.str.len); break;
	case PDF_ARRAY:
		puts_(w, "[");
		for (i = 0; i < o->u.array.len; i++) {
			if (i)
				puts_(w, " ");
			put_obj(w, o->u.array.items[i], depth + 1);
		}
		puts_(w, "]");
		break;
	case PDF_DICT:
		puts_(w, "<<");
		for (i = 0; i < o->u.dict.len; i++) {
			const struct pdf_pair *p = &o->u.dict.items[i];

			put_name(w, p->key, strlen(p->key));
			puts_(w, " ");
			put_obj(w, p->value, depth + 1);
		}
		puts_(w, ">>");
		break;
	case PDF_REF:
		printf_(w, "%lu %lu R", (unsigned long) o->u.ref.num,
			(unsigned long) o->u.ref.gen);
		break;
	case PDF_STREAM:
		/* only an indirect object can be a stream */
		printf_(w, "%lu 0 R", (unsigned long) o->u.stream.num);
		break;
	}
}

/* Copy the pairs of DICT except those named in SKIP (NULL-terminated). */
static void put_pairs_except(struct writer *w, const struct pdf_obj *dict,
			     const char *const *skip)
{
	size_t i, k;

	if (!dict || dict->type != PDF_DICT)
		return;
	for (i = 0; i < dict->u.dict.len; i++) {
		const struct pdf_pair *p = &dict->u.dict.items[i];
		int skipped = 0;

		for (k = 0; skip[k]; k++)
			if (!strcmp(p->key, skip[k]))
				skipped = 1;
		if (skipped)
			continue;
		put_name(w, p->key, strlen(p->key));
		puts_(w, " ");
		put_obj(w, p->value, 1);
		puts_(w, "\n");
	}
}

/* A stream object of DATA, deflated. */
static void put_stream(struct writer *w, unsigned long num, const char *dict,
		       const void *data, size_t len, int deflate)
{
	unsigned char *z = NULL;
	uLongf zlen = 0;

	if (deflate) {
		zlen = compressBound((uLong) len);
		if (!(z = malloc(zlen ? zlen : 1))) {
			nomem(w);
			return;
		}
		if (compress2(z, &zlen, data, (uLong) len, 9) != Z_OK) {
			free(z);
			nomem(w);
			return;
		}
		data = z;
		len = zlen;
	}
	begin_obj(w, num, 0);
	printf_(w, "<<%s%s /Length %zu>>\nstream\n", dict,
		deflate ? " /Filter /FlateDecode" : "", len);
	put(w, data, len);
	puts_(w, "\nendstream");
	end_obj(w);
	free(z);
}

/* ---- the sRGB ICC profile ------------------------------------------ */

static void be32(struct fx_buf *b, unsigned long v, int *err)
{
	unsigned char c[4] = { (unsigned char) (v >> 24),
			       (unsigned char) (v >> 16),
			       (unsigned char) (v >> 8), (unsigned char) v };

	if (fx_buf_put(b, c, 4) < 0)
		*err = 1;
}

static void be16(struct fx_buf *b, unsigned v, int *err)
{
	unsigned char c[2] = { (unsigned char) (v >> 8), (unsigned char) v };

	if (fx_buf_put(b, c, 2) < 0)
		*err = 1;
}

static void s15(struct fx_buf *b, double v, int *err)
{
	long f = (long) (v * 65536.0 + (v < 0 ? -0.5 : 0.5));

	be32(b, (unsigned long) f & 0xFFFFFFFFul, err);
}

static void pad4(struct fx_buf *b, int *err)
{
	while (b->len % 4)
		if (fx_buf_put(b, "", 1) < 0)
			*err = 1;
}

/* X to the power 2.4 for X in (0, 1], without libm: X^2 times the square
 * of the fifth root of X (by Newton's method). */
static double pow24(double x)
{
	double r = 1.0;
	int i;

	for (i = 0; i < 60; i++)
		r -= (r * r * r * r * r - x) / (5.0 * r * r * r * r);
	return x * x * r * r;
}

/*
 * An ICC version 2 display profile for sRGB (IEC 61966-2-1): the
 * primaries adapted to the D50 connection space, and the sRGB transfer
 * curve sampled 1024 times.
 */
static int make_icc(struct fx_buf *icc)
{
	static const char desc[] = "sRGB IEC61966-2.1";
	static const char cprt[] = "No copyright, use freely";
	static const double xyz[4][3] = {
		{ 0.9642, 1.0, 0.8249 },    /* wtpt: D50 */
		{ 0.4361, 0.2225, 0.0139 }, /* rXYZ */
		{ 0.3851, 0.7169, 0.0971 }, /* gXYZ */
		{ 0.1431, 0.0606, 0.7141 }, /* bXYZ */
	};
	static const char *const xyz_sig[4] = { "wtpt", "rXYZ", "gXYZ",
						"bXYZ" };
	struct fx_buf tags = FX_BUF_INIT, body = FX_BUF_INIT;
	unsigned long off_desc, off_cprt, off_xyz[4], off_trc, len_desc,
		len_cprt, len_trc, base, total;
	int err = 0, i;
	size_t k;

	/* the tag data, at offsets relative to BODY */
	off_desc = 0;
	fx_buf_put(&body, "desc\0\0\0\0", 8);
	be32(&body, sizeof(desc), &err);
	fx_buf_put(&body, desc, sizeof(desc));
	be32(&body, 0, &err);		    /* Unicode language */
	be32(&body, 0, &err);		    /* Unicode count */
	be16(&body, 0, &err);		    /* ScriptCode code */
	if (fx_buf_put(&body, "\0", 1) < 0) /* ScriptCode count */
		err = 1;
	for (i = 0; i < 67; i++)
		fx_buf_put(&body, "", 1);
	len_desc = body.len - off_desc;
	pad4(&body, &err);
	off_cprt = body.len;
	fx_buf_put(&body, "text\0\0\0\0", 8);
	fx_buf_put(&body, cprt, sizeof(cprt));
	len_cprt = body.len - off_cprt;
	pad4(&body, &err);
	for (i = 0; i < 4; i++) {
		off_xyz[i] = body.len;
		fx_buf_put(&body, "XYZ \0\0\0\0", 8);
		s15(&body, xyz[i][0], &err);
		s15(&body, xyz[i][1], &err);
		s15(&body, xyz[i][2], &err);
	}
	off_trc = body.len;
	fx_buf_put(&body, "curv\0\0\0\0", 8);
	be32(&body, 1024, &err);
	for (k = 0; k < 1024; k++) {
		double v = (double) k / 1023.0;
		double y =
			v <= 0.04045 ? v / 12.92 : pow24((v + 0.055) / 1.055);

		be16(&body, (unsigned) (y * 65535.0 + 0.5), &err);
	}
	len_trc = body.len - off_trc;
	pad4(&body, &err);

	/* header (128 bytes), tag count and 9 tag entries of 12 bytes */
	base = 128 + 4 + 9 * 12;
	total = base + (unsigned long) body.len;
	be32(icc, total, &err);
	be32(icc, 0, &err);	       /* preferred CMM */
	be32(icc, 0x02100000ul, &err); /* version 2.1 */
	fx_buf_put(icc, "mntrRGB XYZ ", 12);
	be16(icc, 2026, &err); /* date: fixed, reproducible */
	be16(icc, 1, &err);
	be16(icc, 1, &err);
	for (i = 0; i < 3; i++)
		be16(icc, 0, &err);
	fx_buf_put(icc, "acsp", 4);
	for (i = 0; i < 7; i++)
		be32(icc, 0, &err); /* platform .. rendering intent */
	s15(icc, 0.9642, &err);
	s15(icc, 1.0, &err);
	s15(icc, 0.8249, &err);
	while (icc->len < 128)
		if (fx_buf_put(icc, "", 1) < 0)
			err = 1;
	be32(&tags, 9, &err);
	fx_buf_put(&tags, "desc", 4);
	be32(&tags, base + off_desc, &err);
	be32(&tags, len_desc, &err);
	fx_buf_put(&tags, "cprt", 4);
	be32(&tags, base + off_cprt, &err);
	be32(&tags, len_cprt, &err);
	for (i = 0; i < 4; i++) {
		fx_buf_put(&tags, xyz_sig[i], 4);
		be32(&tags, base + off_xyz[i], &err);
		be32(&tags, 20, &err);
	}
	fx_buf_put(&tags, "rTRC", 4);
	be32(&tags, base + off_trc, &err);
	be32(&tags, len_trc, &err);
	fx_buf_put(&tags, "gTRC", 4);
	be32(&tags, base + off_trc, &err);
	be32(&tags, len_trc, &err);
	fx_buf_put(&tags, "bTRC", 4);
	be32(&tags, base + off_trc, &err);
	be32(&tags, len_trc, &err);
	if (fx_buf_put(icc, tags.ptr, tags.len) < 0 ||
	    fx_buf_put(icc, body.ptr, body.len) < 0 || icc->len != total)
		err = 1;
	fx_buf_release(&tags);
	fx_buf_release(&body);
	return err ? -1 : 0;
}

/* ---- XMP ----------------------------------------------------------- */

static void xml_text(struct fx_buf *b, const char *s)
{
	for (; *s; s++) {
		if ((unsigned char) *s < 0x20 && *s != '\t' && *s != '\n' &&
		    *s != '\r')
			continue;
		if (*s == '<')
			fx_buf_puts(b, "&lt;");
		else if (*s == '>')
			fx_buf_puts(b, "&gt;");
		else if (*s == '&')
			fx_buf_puts(b, "&amp;");
		else
			fx_buf_put(b, s, 1);
	}
}

static void xmp_prop(struct fx_buf *b, const char *name, const char *type,
		     const char *desc)
{
	fx_buf_printf(b,
		      "      <rdf:li rdf:parseType=\"Resource\">\n"
		      "       <pdfaProperty:name>%s</pdfaProperty:name>\n"
		      "       <pdfaProperty:valueType>%s</pdfaProperty:"
		      "valueType>\n"
		      "       <pdfaProperty:category>external</pdfaProperty:"
		      "category>\n"
		      "       <pdfaProperty:description>%s</pdfaProperty:"
		      "description>\n"
		      "      </rdf:li>\n",
		      name, type, desc);
}

/* What the document information dictionary says, in UTF-8, dates in
 * ISO 8601: the XMP metadata must say the same (PDF/A). */
struct info {
	const char *title, *author, *subject, *keywords, *creator, *producer;
	const char *created, *modified;
	const char *conformance; /* pdfaid:conformance: A, U or B */
	char created_buf[32], modified_buf[32];
};

/* A PDF date (D:YYYYMMDDHHmmSSOHH'mm) in ISO 8601 in OUT, or NULL. */
static const char *iso_from_pdf_date(char out[32], const char *d)
{
	int v[6] = { 0, 1, 1, 0, 0, 0 }, widths[6] = { 4, 2, 2, 2, 2, 2 };
	int i, k, tzh = 0, tzm = 0;
	char tz = 0;

	if (!d)
		return NULL;
	if (!strncmp(d, "D:", 2))
		d += 2;
	for (i = 0; i < 6; i++) {
		if (!(*d >= '0' && *d <= '9')) {
			if (i == 0)
				return NULL;
			break;
		}
		for (v[i] = 0, k = 0; k < widths[i]; k++, d++) {
			if (!(*d >= '0' && *d <= '9'))
				return NULL;
			v[i] = v[i] * 10 + (*d - '0');
		}
	}
	if (*d == '+' || *d == '-' || *d == 'Z') {
		tz = *d++;
		if (tz != 'Z' && d[0] >= '0' && d[0] <= '9' && d[1] >= '0' &&
		    d[1] <= '9') {
			tzh = (d[0] - '0') * 10 + (d[1] - '0');
			d += 2;
			if (*d == '\'')
				d++;
			if (d[0] >= '0' && d[0] <= '9' && d[1] >= '0' &&
			    d[1] <= '9')
				tzm = (d[0] - '0') * 10 + (d[1] - '0');
		}
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 59 || tzh > 23 || tzm > 59)
		return NULL;
	k = snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d", v[0], v[1], v[2],
		     v[3], v[4], v[5]);
	if (tz == 'Z' || (tz && !tzh && !tzm))
		snprintf(out + k, (size_t) (32 - k), "Z");
	else if (tz)
		snprintf(out + k, (size_t) (32 - k), "%c%02d:%02d", tz, tzh,
			 tzm);
	return out;
}

static void xmp_simple(struct fx_buf *b, const char *tag, const char *value)
{
	if (!value)
		return;
	fx_buf_printf(b, "   <%s>", tag);
	xml_text(b, value);
	fx_buf_printf(b, "</%s>\n", tag);
}

static void xmp_list(struct fx_buf *b, const char *tag, const char *kind,
		     const char *value)
{
	if (!value)
		return;
	fx_buf_printf(b, "   <%s><rdf:%s><rdf:li%s>", tag, kind,
		      strcmp(kind, "Alt") ? "" : " xml:lang=\"x-default\"");
	xml_text(b, value);
	fx_buf_printf(b, "</rdf:li></rdf:%s></%s>\n", kind, tag);
}

static int make_xmp(struct fx_buf *b, const fx_pdf_pack_opts *o,
		    const char *file_name, const char *iso_date,
		    const struct info *info)
{
	const char *ns = o->fx_namespace ? o->fx_namespace : FX_NS_DEFAULT;

	fx_buf_puts(b, "<?xpacket begin=\"\xEF\xBB\xBF\" "
		       "id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
		       "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
		       " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/"
		       "22-rdf-syntax-ns#\">\n"
		       "  <rdf:Description rdf:about=\"\" "
		       "xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n"
		       "   <pdfaid:part>3</pdfaid:part>\n");
	fx_buf_printf(b,
		      "   <pdfaid:conformance>%s</pdfaid:conformance>\n"
		      "  </rdf:Description>\n",
		      info->conformance);
	fx_buf_printf(b,
		      "  <rdf:Description rdf:about=\"\" "
		      "xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n"
		      "   <xmp:MetadataDate>%s</xmp:MetadataDate>\n",
		      iso_date);
	xmp_simple(b, "xmp:CreatorTool", info->creator);
	xmp_simple(b, "xmp:CreateDate", info->created);
	xmp_simple(b, "xmp:ModifyDate", info->modified);
	fx_buf_puts(b, "  </rdf:Description>\n");
	if (info->producer || info->keywords) {
		fx_buf_puts(b, "  <rdf:Description rdf:about=\"\" "
			       "xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n");
		xmp_simple(b, "pdf:Producer", info->producer);
		xmp_simple(b, "pdf:Keywords", info->keywords);
		fx_buf_puts(b, "  </rdf:Description>\n");
	}
	if (info->title || info->author || info->subject) {
		fx_buf_puts(b,
			    "  <rdf:Description rdf:about=\"\" "
			    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n");
		xmp_list(b, "dc:title", "Alt", info->title);
		xmp_list(b, "dc:creator", "Seq", info->author);
		xmp_list(b, "dc:description", "Alt", info->subject);
		fx_buf_puts(b, "  </rdf:Description>\n");
	}
	fx_buf_puts(b, "  <rdf:Description rdf:about=\"\" xmlns:fx=\"");
	xml_text(b, ns);
	fx_buf_puts(b, "\">\n   <fx:DocumentType>");
	xml_text(b, o->document_type ? o->document_type : "INVOICE");
	fx_buf_puts(b, "</fx:DocumentType>\n   <fx:DocumentFileName>");
	xml_text(b, file_name);
	fx_buf_puts(b, "</fx:DocumentFileName>\n   <fx:Version>");
	xml_text(b, o->fx_version ? o->fx_version : "1.0");
	fx_buf_puts(b, "</fx:Version>\n");
	if (o->conformance_level) {
		fx_buf_puts(b, "   <fx:ConformanceLevel>");
		xml_text(b, o->conformance_level);
		fx_buf_puts(b, "</fx:ConformanceLevel>\n");
	}
	fx_buf_puts(b, "  </rdf:Description>\n"
		       "  <rdf:Description rdf:about=\"\"\n"
		       "    xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/"
		       "extension/\"\n"
		       "    xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/"
		       "schema#\"\n"
		       "    xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/"
		       "property#\">\n"
		       "   <pdfaExtension:schemas>\n"
		       "    <rdf:Bag>\n"
		       "     <rdf:li rdf:parseType=\"Resource\">\n"
		       "      <pdfaSchema:schema>Factur-X PDFA Extension "
		       "Schema</pdfaSchema:schema>\n"
		       "      <pdfaSchema:namespaceURI>");
	xml_text(b, ns);
	fx_buf_puts(b, "</pdfaSchema:namespaceURI>\n"
		       "      <pdfaSchema:prefix>fx</pdfaSchema:prefix>\n"
		       "      <pdfaSchema:property>\n"
		       "       <rdf:Seq>\n");
	xmp_prop(b, "DocumentFileName", "Text",
		 "The name of the embedded XML invoice file");
	xmp_prop(b, "DocumentType", "Text", "INVOICE");
	xmp_prop(b, "Version", "Text",
		 "The version of the Factur-X XML schema");
	xmp_prop(b, "ConformanceLevel", "Text",
		 "The Factur-X profile of the embedded XML invoice");
	fx_buf_puts(b, "       </rdf:Seq>\n"
		       "      </pdfaSchema:property>\n"
		       "     </rdf:li>\n"
		       "    </rdf:Bag>\n"
		       "   </pdfaExtension:schemas>\n"
		       "  </rdf:Description>\n"
		       " </rdf:RDF>\n"
		       "</x:xmpmeta>\n");
	return fx_buf_puts(b, "<?xpacket end=\"w\"?>\n") < 0 ? -1 : 0;
}

/* The entries of the original /EmbeddedFiles name tree, as stored. */
struct walk {
	fx_pdf *pdf;
	struct entry *items;
	size_t len, cap;
	size_t visits;
	int err;
};

static void walk_tree(struct walk *wk, struct pdf_obj *node, int depth)
{
	struct pdf_obj *names, *kids;
	size_t i;

	node = fx_pdf__resolve(wk->pdf, node);
	if (wk->err || node->type != PDF_DICT || depth > 32 ||
	    ++wk->visits > 100000)
		return;
	names = fx_pdf__get(wk->pdf, node, "Names");
	for (i = 0; names->type == PDF_ARRAY && i + 1 < names->u.array.len;
	     i += 2) {
		struct pdf_obj *k =
			fx_pdf__resolve(wk->pdf, names->u.array.items[i]);

		if (k->type != PDF_STRING)
			continue;
		if (wk->len == wk->cap) {
			size_t cap = wk->cap ? 2 * wk->cap : 16;
			struct entry *e = realloc(wk->items, cap * sizeof(*e));

			if (!e) {
				wk->err = FX_ENOMEM;
				return;
			}
			wk->items = e;
			wk->cap = cap;
		}
		wk->items[wk->len].key = k->u.str.ptr;
		wk->items[wk->len].len = k->u.str.len;
		wk->items[wk->len].value = names->u.array.items[i + 1];
		wk->items[wk->len].num = 0;
		wk->len++;
	}
	kids = fx_pdf__get(wk->pdf, node, "Kids");
	for (i = 0; kids->type == PDF_ARRAY && i < kids->u.array.len; i++)
		walk_tree(wk, kids->u.array.items[i], depth + 1);
}

/* ---- the update ---------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The offset given by the last "startxref" of DATA, or -1. */
static long long last_startxref(const unsigned char *d, size_t len)
{
	size_t i = len, tail = len > 2048 ? len - 2048 : 0;

	while (i >= tail + 9) {
		i--;
		if (i + 9 <= len && !memcmp(d + i, "startxref", 9)) {
			const unsigned char *p = d + i + 9;
			long long v = 0;
			int digits = 0;

			while (p < d + len && strchr(" \t\r\n\f", *p))
				p++;
			while (p < d + len && *p >= '0' && *p <= '9' &&
			       v < (1LL << 50)) {
				v = v * 10 + (*p++ - '0');
				digits++;
			}
			return digits ? v : -1;
		}
		if (i == 0)
			break;
	}
	return -1;
}

/* Whether attachment A conflicts with the files to embed. */
static int conflicts(const fx_pdf_attachment *a, const fx_pdf_embed *files,
		     size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((a->key && !strcmp(a->key, files[i].name)) ||
		    (a->name && !strcmp(a->name, files[i].name)))
			return 1;
	return 0;
}

int fx_pdf_pack(unsigned char **out, size_t *out_len, fx_ctx *ctx,
		const void *pdf_data, size_t pdf_len, const fx_pdf_embed *files,
		size_t n, const fx_pdf_pack_opts *opts)
{
	static const fx_pdf_pack_opts defaults = { 0 };
	static const char *const cat_skip[] = { "Names", "AF", "Metadata",
						"OutputIntents", NULL };
	static const char *const names_skip[] = { "EmbeddedFiles", NULL };
	struct writer w = { 0 };
	fx_pdf *pdf = NULL;
	struct pdf_obj *trailer, *catalog, *root, *names, *af, *oi, *id, *info;
	struct entry *entries = NULL;
	struct walk wk = { 0 };
	const char *pname;
	struct info doc_info = { 0 };
	struct fx_buf *keys = NULL, ikey = FX_BUF_INIT;
	const char *invoice_key = NULL;
	unsigned long *fs_nums = NULL, *drop = NULL, cat_num, names_num,
		      tree_num, xmp_num, icc_num = 0, oi_num = 0, size;
	unsigned cat_gen;
	size_t natt = 0, nentries = 0, ndrop = 0, i, k, pdfa_intents = 0,
	       xref_at;
	size_t invoice_at = (size_t) -1;
	long long prev, size_ll;
	struct fx_buf xmp = FX_BUF_INIT, icc = FX_BUF_INIT;
	char pdf_date[32], iso_date[32];
	time_t now;
	struct tm tm;
	int err;

	*out = NULL;
	*out_len = 0;
	fx_ctx__clear_error(ctx);
	if (!opts)
		opts = &defaults;
	w.ctx = ctx;
	pname = opts->name ? opts->name : "<memory>";
	if (!n || !files) {
		err = fx_ctx__error(ctx, FX_EINVALID, "no file to embed");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!files[i].name || !*files[i].name ||
		    (files[i].len && !files[i].data)) {
			err = fx_ctx__error(ctx, FX_EINVALID,
					    "a file to embed has no name or "
					    "no data");
			goto out;
		}
		for (k = 0; k < i; k++)
			if (!strcmp(files[i].name, files[k].name)) {
				err = fx_ctx__error(ctx, FX_EINVALID,
						    "'%s' is given twice",
						    files[i].name);
				goto out;
			}
	}
	if ((err = fx_pdf__open_borrowed(&pdf, ctx, opts->name, pdf_data,
					 pdf_len)) < 0)
		goto out;
	if (fx_pdf_encrypted(pdf)) {
		err = fx_ctx__error(ctx, FX_EUNSUPPORTED,
				    "'%s' is encrypted: facture cannot add "
				    "an invoice to it",
				    pname);
		goto out;
	}
	if (fx_pdf_repaired(pdf) ||
	    (prev = last_startxref(pdf_data, pdf_len)) < 0 ||
	    (size_t) prev >= pdf_len) {
		err = fx_ctx__error(ctx, FX_EPARSE,
				    "the cross-reference data of '%s' is "
				    "damaged: repair it first (for example "
				    "with qpdf) and pack again",
				    pname);
		goto out;
	}
	trailer = fx_pdf__trailer(pdf);
	catalog = fx_pdf__catalog(pdf);
	root = fx_pdf__get_raw(trailer, "Root");
	if (!root || root->type != PDF_REF || catalog->type != PDF_DICT) {
		err = fx_ctx__error(ctx, FX_EPARSE,
				    "'%s' has no indirect document catalog",
				    pname);
		goto out;
	}
	cat_num = root->u.ref.num;
	cat_gen = (unsigned) root->u.ref.gen;
	size_ll = 0;
	{
		struct pdf_obj *s = fx_pdf__get(pdf, trailer, "Size");

		if (s->type == PDF_INT)
			size_ll = s->u.integer;
	}
	if (size_ll <= (long long) cat_num)
		size_ll = (long long) cat_num + 1;
	if (size_ll > 8000000) {
		err = fx_ctx__error(ctx, FX_ETOOBIG,
				    "'%s' has too many objects", pname);
		goto out;
	}

	/* the attachments there are, and which of them we replace */
	if ((err = fx_pdf_attachment_count(&natt, ctx, pdf)) < 0)
		goto out;
	if (fx_pdf_find_invoice(&invoice_at, ctx, pdf) < 0)
		invoice_at = (size_t) -1;
	fx_ctx__clear_error(ctx);
	if (!(fs_nums = calloc(n, sizeof(*fs_nums))) ||
	    !(drop = calloc(natt + 1, sizeof(*drop)))) {
		err = nomem(&w);
		goto out;
	}
	for (i = 0; i < natt; i++) {
		const fx_pdf_attachment *a = fx_pdf_attachment_get(pdf, i);
		int replaced = conflicts(a, files, n) || i == invoice_at;

		if (replaced && !opts->replace) {
			err = fx_ctx__error(
				ctx, FX_EINVALID,
				i == invoice_at
					? "'%s' already has an invoice "
					  "attached ('%s')"
					: "'%s' already has an attachment "
					  "named '%s'",
				pname,
				a->name	 ? a->name
				: a->key ? a->key
					 : "?");
			goto out;
		}
		if (i == invoice_at)
			invoice_key = a->key;
		if (replaced && a->object)
			drop[ndrop++] = a->object;
	}

	/* the name tree as it is, less what we replace */
	wk.pdf = pdf;
	walk_tree(&wk,
		  fx_pdf__get(pdf, fx_pdf__get(pdf, catalog, "Names"),
			      "EmbeddedFiles"),
		  0);
	if (wk.err || fx_pdf__failed(pdf)) {
		err = wk.err ? nomem(&w) : fx_pdf__failed(pdf);
		goto out;
	}
	if (!(entries = calloc(wk.len + n, sizeof(*entries))) ||
	    !(keys = calloc(n, sizeof(*keys))) ||
	    (invoice_key && text_encode(&ikey, invoice_key) < 0)) {
		err = nomem(&w);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (text_encode(&keys[i], files[i].name) < 0) {
			err = nomem(&w);
			goto out;
		}
	for (i = 0; i < wk.len; i++) {
		const struct entry *e = &wk.items[i];
		const struct pdf_obj *v = e->value;
		int dropped = 0;

		for (k = 0; k < n; k++)
			if (e->len == keys[k].len &&
			    !memcmp(e->key, keys[k].ptr, e->len))
				dropped = 1;
		if (ikey.len && e->len == ikey.len &&
		    !memcmp(e->key, ikey.ptr, e->len))
			dropped = 1;
		for (k = 0; v && v->type == PDF_REF && k < ndrop; k++)
			if (drop[k] == v->u.ref.num)
				dropped = 1;
		if (!dropped)
			entries[nentries++] = *e;
	}

	/* dates */
	now = opts->time ? (time_t) opts->time : time(NULL);
	if (!gmtime_r(&now, &tm)) {
		err = fx_ctx__error(ctx, FX_EINVALID, "bad date");
		goto out;
	}
	strftime(pdf_date, sizeof(pdf_date), "D:%Y%m%d%H%M%S+00'00'", &tm);
	strftime(iso_date, sizeof(iso_date), "%Y-%m-%dT%H:%M:%SZ", &tm);

	/* the original, untouched, then our objects */
	if (fx_buf_put(&w.out, pdf_data, pdf_len) < 0) {
		err = nomem(&w);
		goto out;
	}
	if (pdf_len && ((const char *) pdf_data)[pdf_len - 1] != '\n' &&
	    ((const char *) pdf_data)[pdf_len - 1] != '\r')
		puts_(&w, "\n");
	w.first = w.next = (unsigned long) size_ll;

	for (i = 0; i < n; i++) {
		const fx_pdf_embed *f = &files[i];
		unsigned char md5[EVP_MAX_MD_SIZE];
		unsigned int md5_len = 0;
		unsigned long ef = new_num(&w);
		struct fx_buf d = FX_BUF_INIT;

		fs_nums[i] = new_num(&w);
		if (!EVP_Digest(f->data ? f->data : "", f->len, md5, &md5_len,
				EVP_md5(), NULL)) {
			err = fx_ctx__error(ctx, FX_EINTERNAL,
					    "cannot compute an MD5 checksum");
			goto out;
		}
		fx_buf_puts(&d, "/Type /EmbeddedFile /Subtype ");
		{
			struct writer tw = { 0 };

			tw.ctx = ctx;
			put_name(&tw,
				 f->mime ? f->mime : "application/octet-stream",
				 strlen(f->mime ? f->mime
						: "application/octet-stream"));
			put(&tw, "", 0);
			fx_buf_put(&d, tw.out.ptr ? tw.out.ptr : "",
				   tw.out.len);
			fx_buf_release(&tw.out);
		}
		fx_buf_printf(&d,
			      " /Params <</Size %zu /ModDate (%s) "
			      "/CheckSum <",
			      f->len, pdf_date);
		for (k = 0; k < md5_len; k++)
			fx_buf_printf(&d, "%02X", md5[k]);
		if (fx_buf_puts(&d, ">>>") < 0) {
			fx_buf_release(&d);
			err = nomem(&w);
			goto out;
		}
		put_stream(&w, ef, d.ptr, f->data ? f->data : "", f->len, 1);
		fx_buf_release(&d);

		begin_obj(&w, fs_nums[i], 0);
		puts_(&w, "<</Type /Filespec /F ");
		put_text(&w, f->name);
		puts_(&w, " /UF ");
		put_text(&w, f->name);
		if (f->description) {
			puts_(&w, " /Desc ");
			put_text(&w, f->description);
		}
		puts_(&w, " /AFRelationship ");
		put_name(&w, f->relationship ? f->relationship : "Unspecified",
			 strlen(f->relationship ? f->relationship
						: "Unspecified"));
		printf_(&w, "\n/EF <</F %lu 0 R /UF %lu 0 R>>>>", ef, ef);
		end_obj(&w);
		entries[nentries].key = keys[i].ptr;
		entries[nentries].len = keys[i].len;
		entries[nentries].value = NULL;
		entries[nentries].num = fs_nums[i];
		nentries++;
	}

	/* the name tree: one leaf, sorted */
	qsort(entries, nentries, sizeof(*entries), cmp_entry);
	tree_num = new_num(&w);
	begin_obj(&w, tree_num, 0);
	puts_(&w, "<</Names [");
	for (i = 0; i < nentries; i++) {
		puts_(&w, i ? "\n" : "");
		put_hex(&w, entries[i].key, entries[i].len);
		puts_(&w, " ");
		if (entries[i].value)
			put_obj(&w, entries[i].value, 1);
		else
			printf_(&w, "%lu 0 R", entries[i].num);
	}
	puts_(&w, "]>>");
	end_obj(&w);
	names = fx_pdf__get(pdf, catalog, "Names");
	names_num = new_num(&w);
	begin_obj(&w, names_num, 0);
	puts_(&w, "<<");
	put_pairs_except(&w, names, names_skip);
	printf_(&w, "/EmbeddedFiles %lu 0 R>>", tree_num);
	end_obj(&w);

	/* the XMP metadata */
	{
		struct pdf_obj *d = fx_pdf__get(pdf, trailer, "Info");

		fx_pdf__set_ctx(pdf, ctx);
		doc_info.title =
			fx_pdf__text(pdf, fx_pdf__get(pdf, d, "Title"));
		doc_info.author =
			fx_pdf__text(pdf, fx_pdf__get(pdf, d, "Author"));
		doc_info.subject =
			fx_pdf__text(pdf, fx_pdf__get(pdf, d, "Subject"));
		doc_info.keywords =
			fx_pdf__text(pdf, fx_pdf__get(pdf, d, "Keywords"));
		doc_info.creator =
			fx_pdf__text(pdf, fx_pdf__get(pdf, d, "Creator"));
		doc_info.producer =
			fx_pdf__text(pdf, fx_pdf__get(pdf, d, "Producer"));
		doc_info.created = iso_from_pdf_date(
			doc_info.created_buf,
			fx_pdf__text(pdf, fx_pdf__get(pdf, d, "CreationDate")));
		doc_info.modified = iso_from_pdf_date(
			doc_info.modified_buf,
			fx_pdf__text(pdf, fx_pdf__get(pdf, d, "ModDate")));
	}
	/* a PDF/A-3A or 3U file stays so; anything else is said to be 3B */
	doc_info.conformance = "B";
	{
		const fx_pdf_xmp *old = NULL;

		if (fx_pdf_xmp_read(&old, ctx, pdf) == 0 && old &&
		    old->pdfa_part && !strcmp(old->pdfa_part, "3") &&
		    old->pdfa_conformance &&
		    (!strcmp(old->pdfa_conformance, "A") ||
		     !strcmp(old->pdfa_conformance, "U")))
			doc_info.conformance = old->pdfa_conformance;
		fx_ctx__clear_error(ctx);
	}
	if (make_xmp(&xmp, opts, files[0].name, iso_date, &doc_info) < 0) {
		err = nomem(&w);
		goto out;
	}
	xmp_num = new_num(&w);
	put_stream(&w, xmp_num, "/Type /Metadata /Subtype /XML", xmp.ptr,
		   xmp.len, 0);

	/* an sRGB output intent when there is no PDF/A one */
	fx_pdf_output_intents(pdf, &pdfa_intents);
	oi = fx_pdf__get(pdf, catalog, "OutputIntents");
	if (!pdfa_intents) {
		if (make_icc(&icc) < 0) {
			err = nomem(&w);
			goto out;
		}
		icc_num = new_num(&w);
		put_stream(&w, icc_num, "/N 3", icc.ptr, icc.len, 1);
		oi_num = new_num(&w);
		begin_obj(&w, oi_num, 0);
		printf_(&w,
			"<</Type /OutputIntent /S /GTS_PDFA1 "
			"/OutputConditionIdentifier (sRGB IEC61966-2.1) "
			"/RegistryName (http://www.color.org) "
			"/Info (sRGB IEC61966-2.1) "
			"/DestOutputProfile %lu 0 R>>",
			icc_num);
		end_obj(&w);
	}

	/* the new catalog */
	begin_obj(&w, cat_num, cat_gen);
	puts_(&w, "<<");
	put_pairs_except(&w, catalog, cat_skip);
	printf_(&w, "/Names %lu 0 R\n/Metadata %lu 0 R\n/AF [", names_num,
		xmp_num);
	af = fx_pdf__get(pdf, catalog, "AF");
	if (af->type == PDF_ARRAY) {
		for (i = 0; i < af->u.array.len; i++) {
			struct pdf_obj *it = af->u.array.items[i];
			int dropped = 0;

			if (!it || it->type != PDF_REF)
				continue;
			for (k = 0; k < ndrop; k++)
				if (drop[k] == it->u.ref.num)
					dropped = 1;
			for (k = 0; k < n; k++)
				if (fs_nums[k] == it->u.ref.num)
					dropped = 1;
			if (dropped)
				continue;
			put_obj(&w, it, 1);
			puts_(&w, " ");
		}
	}
	for (i = 0; i < n; i++)
		printf_(&w, "%s%lu 0 R", i ? " " : "", fs_nums[i]);
	puts_(&w, "]");
	if (oi->type == PDF_ARRAY || oi_num) {
		puts_(&w, "\n/OutputIntents [");
		if (oi->type == PDF_ARRAY)
			for (i = 0; i < oi->u.array.len; i++) {
				put_obj(&w, oi->u.array.items[i], 1);
				puts_(&w, " ");
			}
		if (oi_num)
			printf_(&w, "%lu 0 R", oi_num);
		puts_(&w, "]");
	}
	puts_(&w, ">>");
	end_obj(&w);

	/* cross-reference section and trailer */
	if (w.err) {
		err = w.err;
		goto out;
	}
	size = w.next;
	xref_at = w.out.len;
	printf_(&w, "xref\n%lu 1\n", cat_num);
	printf_(&w, "%010zu %05u n\r\n", w.catalog_at, cat_gen);
	printf_(&w, "%lu %lu\n", w.first, size - w.first);
	for (i = 0; i < w.noffsets; i++)
		printf_(&w, "%010zu 00000 n\r\n", w.offsets[i]);
	printf_(&w, "trailer\n<</Size %lu /Root %lu %u R /Prev %lld", size,
		cat_num, cat_gen, prev);
	if ((info = fx_pdf__get_raw(trailer, "Info"))) {
		puts_(&w, " /Info ");
		put_obj(&w, info, 1);
	}
	id = fx_pdf__get(pdf, trailer, "ID");
	if (id->type == PDF_ARRAY && id->u.array.len == 2) {
		puts_(&w, "\n/ID ");
		put_obj(&w, id, 1);
	} else {
		unsigned char md5[EVP_MAX_MD_SIZE];
		unsigned int md5_len = 0;

		if (EVP_Digest(w.out.ptr, w.out.len, md5, &md5_len, EVP_md5(),
			       NULL)) {
			puts_(&w, "\n/ID [");
			put_hex(&w, md5, md5_len);
			put_hex(&w, md5, md5_len);
			puts_(&w, "]");
		}
	}
	printf_(&w, ">>\nstartxref\n%zu\n%%%%EOF\n", xref_at);
	if (w.err) {
		err = w.err;
		goto out;
	}
	*out_len = w.out.len;
	*out = (unsigned char *) w.out.ptr;
	w.out = (struct fx_buf) FX_BUF_INIT;
	err = 0;
out:
	fx_buf_release(&w.out);
	fx_buf_release(&xmp);
	fx_buf_release(&icc);
	free(w.offsets);
	free(entries);
	free(wk.items);
	for (i = 0; keys && i < n; i++)
		fx_buf_release(&keys[i]);
	free(keys);
	fx_buf_release(&ikey);
	free(fs_nums);
	free(drop);
	fx_pdf_free(pdf);
	return err;
}
