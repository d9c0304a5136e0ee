/* SPDX-License-Identifier: MIT */
/*
 * pdf.c - our PDF object reader: cross-reference data, objects, streams,
 * attachments and XMP metadata
 *
 * Everything is read lazily from the bytes of the file: the
 * cross-reference sections give where each object is, and an object is
 * parsed the first time it is asked for, then kept.  When the
 * cross-reference data is missing or wrong, the file is scanned for
 * "N G obj" headers instead, as every PDF reader ends up doing.
 *
 * The input is untrusted.  Recursion is bounded (nesting, reference
 * chains, name-tree levels), reference cycles read as null, the memory
 * spent on objects and the bytes produced by decompression have limits,
 * and no length or offset from the file is used before it is checked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>
#include <zlib.h>

#include "internal.h"
#include "pdf.h"
#include "banned.h"

#define MAX_DEPTH	 64	     /* nesting of arrays and dictionaries */
#define MAX_LOAD_DEPTH	 32	     /* objects loading other objects */
#define MAX_REF_CHAIN	 32	     /* references to references */
#define MAX_SECTIONS	 512	     /* cross-reference sections (/Prev) */
#define MAX_TREE_DEPTH	 32	     /* levels of a name tree */
#define MAX_FILTERS	 8	     /* filters applied to one stream */
#define MAX_ATTACHMENTS	 10000	     /* entries read from the name tree */
#define MAX_AF		 1000	     /* entries read from the /AF array */
#define MAX_OBJNUM	 0x7FFFFFFFu /* object numbers we accept */
#define ARENA_CHUNK	 65536
#define ARENA_BASE_LIMIT ((size_t) 32 * 1024 * 1024)
#define INFLATE_BUDGET	 ((size_t) 1024 * 1024 * 1024)

enum { ENT_FREE = 0, ENT_OFFSET = 1, ENT_OBJSTM = 2 };
enum { ST_NEW = 0, ST_LOADING, ST_DONE };

/* An object stream, decoded once. */
struct objstm {
	struct fx_buf data;
	size_t first;
	size_t n;
	uint32_t *nums;
	size_t *offsets;
	int building;
	int failed;
	struct objstm *next;
};

/* Where an object is: one entry of the merged cross-reference data. */
struct xent {
	uint32_t num;
	uint32_t prio; /* lower wins: newer sections first */
	uint32_t seq;
	uint32_t idx; /* index in its object stream */
	uint64_t loc; /* byte offset, or the object stream's number */
	uint32_t mark;
	uint16_t gen;
	uint8_t type;
	uint8_t state;
	struct pdf_obj *obj;
	struct objstm *os;
};

struct xvec {
	struct xent *v;
	size_t n, cap;
};

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct attachment {
	fx_pdf_attachment pub;
	struct pdf_obj *filespec;
	struct pdf_obj *stream;
	struct fx_buf data;
	int decoded;
};

struct fx_pdf {
	fx_ctx *ctx;
	char *name;
	const unsigned char *data;
	size_t len;
	struct fx_buf owned;
	char version[8];

	struct xvec xref; /* sorted by number once read */
	struct xvec scan; /* objects found by scanning, sorted */
	int scanned;
	int reading_xref;
	size_t *endstreams;
	size_t nendstreams;
	int endstreams_built;
	size_t *trailers;
	size_t ntrailers;

	struct pdf_obj *trailer;
	struct pdf_obj *catalog;
	unsigned long catalog_num;
	int encrypted;
	int repaired;

	struct arena_chunk *arena;
	size_t arena_used, arena_limit;
	size_t inflated;
	size_t lex_budget; /* see struct lex */
	const char *fail_what;
	int failed; /* first hard failure: FX_ENOMEM or FX_ETOOBIG */
	int load_depth;
	uint32_t walk;
	struct objstm *objstms;
	struct pdf_obj null_obj;

	struct attachment *atts;
	size_t natts, atts_cap;
	int atts_read;

	struct fx_buf xmp_bytes;
	int xmp_decoded;
	int has_xmp;
	fx_pdf_xmp xmp;
	int xmp_parsed;
};

/* ---- errors and memory -------------------------------------------- */

/* Say (again) why the PDF cannot be read any further. */
static int say_failed(fx_pdf *pdf)
{
	if (pdf->failed == FX_ENOMEM)
		return fx_ctx__error(pdf->ctx, FX_ENOMEM,
				     "out of memory reading '%s'", pdf->name);
	return fx_ctx__error(
		pdf->ctx, pdf->failed, "'%s' is too complex to read: %s",
		pdf->name, pdf->fail_what ? pdf->fail_what : "limits reached");
}

/* A failure after which nothing more is read from the PDF. */
static int hard_fail(fx_pdf *pdf, int code, const char *what)
{
	if (!pdf->failed) {
		pdf->failed = code;
		pdf->fail_what = what;
		say_failed(pdf);
	}
	return pdf->failed;
}

/* The start of a public call: errors go to CTX, and a PDF that failed
 * hard says so again. */
static int begin_call(fx_pdf *pdf, fx_ctx *ctx)
{
	pdf->ctx = ctx;
	fx_ctx__clear_error(ctx);
	return pdf->failed ? say_failed(pdf) : 0;
}

int fx_pdf__failed(const fx_pdf *pdf)
{
	return pdf->failed;
}

void fx_pdf__set_ctx(fx_pdf *pdf, fx_ctx *ctx)
{
	pdf->ctx = ctx;
}

static void *arena_alloc(fx_pdf *pdf, size_t n)
{
	struct arena_chunk *c = pdf->arena;
	size_t align = sizeof(max_align_t), cap;
	void *p;

	if (pdf->failed)
		return NULL;
	n = (n + align - 1) / align * align;
	if (n > pdf->arena_limit - pdf->arena_used) {
		hard_fail(pdf, FX_ETOOBIG,
			  "its objects need more memory than the limit");
		return NULL;
	}
	if (!c || c->cap - c->used < n) {
		cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if (!(c = malloc(sizeof(*c) + cap))) {
			hard_fail(pdf, FX_ENOMEM, NULL);
			return NULL;
		}
		c->used = 0;
		c->cap = cap;
		c->next = pdf->arena;
		pdf->arena = c;
	}
	p = (unsigned char *) c->data + c->used;
	c->used += n;
	pdf->arena_used += n;
	return p;
}

static struct pdf_obj *new_obj(fx_pdf *pdf, enum pdf_type type)
{
	struct pdf_obj *o = arena_alloc(pdf, sizeof(*o));

	if (o) {
		memset(o, 0, sizeof(*o));
		o->type = type;
	}
	return o;
}

static char *arena_strndup(fx_pdf *pdf, const char *s, size_t n)
{
	char *p = arena_alloc(pdf, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static int xvec_push(fx_pdf *pdf, struct xvec *v, const struct xent *e)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 256;
		struct xent *p;

		if (cap > SIZE_MAX / sizeof(*p) ||
		    !(p = realloc(v->v, cap * sizeof(*p))))
			return hard_fail(pdf, FX_ENOMEM, NULL);
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n] = *e;
	v->v[v->n].seq = (uint32_t) v->n;
	v->n++;
	return 0;
}

static int cmp_xent(const void *a, const void *b)
{
	const struct xent *x = a, *y = b;

	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort by number and keep the entry that wins for each. */
static void xvec_settle(struct xvec *v)
{
	size_t i, k = 0;

	if (!v->n)
		return;
	qsort(v->v, v->n, sizeof(*v->v), cmp_xent);
	for (i = 0; i < v->n; i++) {
		if (k && v->v[k - 1].num == v->v[i].num)
			continue; /* objects streams are freed with the PDF */
		v->v[k++] = v->v[i];
	}
	v->n = k;
}

static struct xent *xvec_find(struct xvec *v, uint32_t num)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->v[mid].num == num)
			return &v->v[mid];
		if (v->v[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- lexing ------------------------------------------------------- */

/*
 * A cursor over bytes.  BUDGET, when set, counts the bytes that comments
 * and literal strings may still cover: an unterminated string or comment
 * is read again by every object that starts inside it, and the budget
 * keeps that from growing with the square of the file.
 */
struct lex {
	const unsigned char *p, *end;
	size_t *budget;
};

static void lex_init(struct lex *lx, fx_pdf *pdf, const unsigned char *p,
		     const unsigned char *end);

static int is_ws(int c)
{
	return c == 0 || c == 9 || c == 10 || c == 12 || c == 13 || c == 32;
}

static int is_delim(int c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' ||
	       c == ']' || c == '{' || c == '}' || c == '/' || c == '%';
}

static int is_regular(int c)
{
	return !is_ws(c) && !is_delim(c);
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void skip_ws(struct lex *lx)
{
	while (lx->p < lx->end) {
		if (is_ws(*lx->p)) {
			lx->p++;
		} else if (*lx->p == '%') {
			const unsigned char *start = lx->p;

			while (lx->p < lx->end && *lx->p != '\r' &&
			       *lx->p != '\n')
				lx->p++;
			if (lx->budget) {
				size_t n = (size_t) (lx->p - start);

				if (n > *lx->budget) {
					*lx->budget = 0;
					lx->p = lx->end; /* read as the end */
				} else {
					*lx->budget -= n;
				}
			}
		} else {
			break;
		}
	}
}

/* The regular characters at the cursor (a keyword or a number). */
static size_t token_len(const struct lex *lx)
{
	const unsigned char *q = lx->p;

	while (q < lx->end && is_regular(*q))
		q++;
	return (size_t) (q - lx->p);
}

static int keyword_is(const struct lex *lx, const char *kw)
{
	size_t n = strlen(kw);

	return token_len(lx) == n && !memcmp(lx->p, kw, n);
}

/* An unsigned decimal integer token; -1 if there is none. */
static int read_uint(struct lex *lx, uint64_t *out)
{
	size_t n = token_len(lx), i;
	uint64_t v = 0;

	if (!n || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit(lx->p[i]))
			return -1;
		v = v * 10 + (uint64_t) (lx->p[i] - '0');
	}
	lx->p += n;
	*out = v;
	return 0;
}

static void lex_init(struct lex *lx, fx_pdf *pdf, const unsigned char *p,
		     const unsigned char *end)
{
	lx->p = p;
	lx->end = end;
	lx->budget = &pdf->lex_budget;
}

/* ---- parsing objects ---------------------------------------------- */

static int parse_obj(fx_pdf *pdf, struct lex *lx, int depth,
		     struct pdf_obj **out);

static int parse_number(fx_pdf *pdf, struct lex *lx, struct pdf_obj **out)
{
	size_t n = token_len(lx), i = 0;
	const unsigned char *t = lx->p;
	long long iv = 0;
	double rv = 0, scale = 1;
	int neg = 0, dot = 0, digits = 0, overflow = 0;
	struct pdf_obj *o;

	if (n && (t[0] == '+' || t[0] == '-')) {
		neg = t[0] == '-';
		i++;
	}
	for (; i < n; i++) {
		if (t[i] == '.' && !dot) {
			dot = 1;
		} else if (is_digit(t[i])) {
			digits++;
			if (dot) {
				scale /= 10;
				rv += (t[i] - '0') * scale;
			} else {
				if (iv > (LLONG_MAX - 9) / 10)
					overflow = 1;
				else
					iv = iv * 10 + (t[i] - '0');
				rv = rv * 10 + (t[i] - '0');
			}
		} else {
			/* "--5" and such: a number no reader agrees on */
			return FX_EPARSE;
		}
	}
	if (!digits)
		return FX_EPARSE;
	lx->p += n;
	if (!dot && !overflow) {
		if (!(o = new_obj(pdf, PDF_INT)))
			return pdf->failed;
		o->u.integer = neg ? -iv : iv;
	} else {
		if (!(o = new_obj(pdf, PDF_REAL)))
			return pdf->failed;
		o->u.real = neg ? -rv : rv;
	}
	*out = o;
	return 0;
}

/* After an integer: "G R" makes it a reference. */
static int try_ref(fx_pdf *pdf, struct lex *lx, struct pdf_obj **io)
{
	struct lex save = *lx;
	uint64_t gen;
	struct pdf_obj *r;

	skip_ws(lx);
	if (read_uint(lx, &gen) < 0) {
		*lx = save;
		return 0;
	}
	skip_ws(lx);
	if (!(lx->p < lx->end && *lx->p == 'R' &&
	      (lx->p + 1 == lx->end || !is_regular(lx->p[1])))) {
		*lx = save;
		return 0;
	}
	lx->p++;
	if ((*io)->u.integer > (long long) MAX_OBJNUM) {
		*io = &pdf->null_obj; /* no such object can exist */
		return 0;
	}
	if (!(r = new_obj(pdf, PDF_REF)))
		return pdf->failed;
	r->u.ref.num = (uint32_t) (*io)->u.integer;
	r->u.ref.gen = (uint32_t) gen;
	*io = r;
	return 0;
}

static int parse_name(fx_pdf *pdf, struct lex *lx, struct pdf_obj **out)
{
	const unsigned char *s;
	size_t n, i, k = 0;
	char *p;
	struct pdf_obj *o;

	lx->p++; /* the slash */
	s = lx->p;
	n = token_len(lx);
	if (!(p = arena_alloc(pdf, n + 1)) || !(o = new_obj(pdf, PDF_NAME)))
		return pdf->failed;
	for (i = 0; i < n; i++) {
		int h, l;

		if (s[i] == '#' && i + 2 < n &&
		    (h = hex_value(s[i + 1])) >= 0 &&
		    (l = hex_value(s[i + 2])) >= 0) {
			p[k++] = (char) (h * 16 + l);
			i += 2;
		} else {
			p[k++] = (char) s[i];
		}
	}
	p[k] = '\0';
	lx->p += n;
	o->u.str.ptr = p;
	o->u.str.len = k;
	*out = o;
	return 0;
}

static int parse_literal(fx_pdf *pdf, struct lex *lx, struct pdf_obj **out)
{
	const unsigned char *s = lx->p + 1, *q, *limit = lx->end;
	size_t nest = 1, k = 0;
	char *p;
	struct pdf_obj *o;

	/* find the end first: the decoded string is never longer */
	if (lx->budget && (size_t) (lx->end - s) > *lx->budget)
		limit = s + *lx->budget;
	for (q = s; q < limit; q++) {
		if (*q == '\\') {
			q++;
		} else if (*q == '(') {
			nest++;
		} else if (*q == ')' && !--nest) {
			break;
		}
	}
	if (lx->budget)
		*lx->budget = q >= limit ? 0 : *lx->budget - (size_t) (q - s);
	if (q >= limit)
		return FX_EPARSE;
	if (!(p = arena_alloc(pdf, (size_t) (q - s) + 1)) ||
	    !(o = new_obj(pdf, PDF_STRING)))
		return pdf->failed;
	for (; s < q; s++) {
		if (*s == '\r') {
			/* an end of line in a string is a line feed */
			if (s + 1 < q && s[1] == '\n')
				s++;
			p[k++] = '\n';
		} else if (*s != '\\') {
			p[k++] = (char) *s;
		} else if (++s < q) {
			switch (*s) {
			case 'n': p[k++] = '\n'; break;
			case 'r': p[k++] = '\r'; break;
			case 't': p[k++] = '\t'; break;
			case 'b': p[k++] = '\b'; break;
			case 'f': p[k++] = '\f'; break;
			case '\r':
				if (s + 1 < q && s[1] == '\n')
					s++;
				break;
			case '\n': break;
			default:
				if (*s >= '0' && *s <= '7') {
					unsigned v = 0;
					int d;

					for (d = 0; d < 3 && s < q &&
						    *s >= '0' && *s <= '7';
					     d++, s++)
						v = v * 8 +
						    (unsigned) (*s - '0');
					s--;
					p[k++] = (char) (v & 0xFF);
				} else {
					p[k++] = (char) *s;
				}
			}
		}
	}
	p[k] = '\0';
	lx->p = q + 1;
	o->u.str.ptr = p;
	o->u.str.len = k;
	*out = o;
	return 0;
}

static int parse_hex(fx_pdf *pdf, struct lex *lx, struct pdf_obj **out)
{
	const unsigned char *s = lx->p + 1, *q;
	size_t k = 0;
	int hi = -1, v;
	char *p;
	struct pdf_obj *o;

	for (q = s; q < lx->end && *q != '>'; q++)
		if (!is_ws(*q) && hex_value(*q) < 0)
			return FX_EPARSE;
	if (q >= lx->end)
		return FX_EPARSE;
	if (!(p = arena_alloc(pdf, (size_t) (q - s) / 2 + 2)) ||
	    !(o = new_obj(pdf, PDF_STRING)))
		return pdf->failed;
	for (; s < q; s++) {
		if ((v = hex_value(*s)) < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			p[k++] = (char) (hi * 16 + v);
			hi = -1;
		}
	}
	if (hi >= 0)
		p[k++] = (char) (hi * 16);
	p[k] = '\0';
	lx->p = q + 1;
	o->u.str.ptr = p;
	o->u.str.len = k;
	*out = o;
	return 0;
}

/* A growable list of object pointers, copied into the arena at the end. */
struct ptrvec {
	struct pdf_obj **v;
	size_t n, cap;
};

static int ptrvec_push(fx_pdf *pdf, struct ptrvec *pv, struct pdf_obj *o)
{
	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 16;
		struct pdf_obj **p;

		if (cap > SIZE_MAX / sizeof(*p) ||
		    !(p = realloc(pv->v, cap * sizeof(*p))))
			return hard_fail(pdf, FX_ENOMEM, NULL);
		pv->v = p;
		pv->cap = cap;
	}
	pv->v[pv->n++] = o;
	return 0;
}

static int parse_array(fx_pdf *pdf, struct lex *lx, int depth,
		       struct pdf_obj **out)
{
	struct ptrvec items = { NULL, 0, 0 };
	struct pdf_obj *o = NULL, *item;
	int err;

	lx->p++;
	for (;;) {
		skip_ws(lx);
		if (lx->p >= lx->end) {
			err = FX_EPARSE;
			goto out;
		}
		if (*lx->p == ']') {
			lx->p++;
			break;
		}
		if ((err = parse_obj(pdf, lx, depth + 1, &item)) < 0 ||
		    (err = ptrvec_push(pdf, &items, item)) < 0)
			goto out;
	}
	if (!(o = new_obj(pdf, PDF_ARRAY))) {
		err = pdf->failed;
		goto out;
	}
	if (items.n) {
		o->u.array.items =
			arena_alloc(pdf, items.n * sizeof(*o->u.array.items));
		if (!o->u.array.items) {
			err = pdf->failed;
			goto out;
		}
		memcpy(o->u.array.items, items.v,
		       items.n * sizeof(*o->u.array.items));
	}
	o->u.array.len = items.n;
	*out = o;
	err = 0;
out:
	free(items.v);
	return err;
}

static int parse_dict(fx_pdf *pdf, struct lex *lx, int depth,
		      struct pdf_obj **out)
{
	struct ptrvec items = { NULL, 0, 0 };
	struct pdf_obj *o = NULL, *key, *value;
	size_t i;
	int err;

	lx->p += 2;
	for (;;) {
		skip_ws(lx);
		if (lx->p >= lx->end) {
			err = FX_EPARSE;
			goto out;
		}
		if (*lx->p == '>') {
			if (lx->p + 1 < lx->end && lx->p[1] == '>') {
				lx->p += 2;
				break;
			}
			err = FX_EPARSE;
			goto out;
		}
		if (*lx->p != '/') {
			err = FX_EPARSE;
			goto out;
		}
		if ((err = parse_name(pdf, lx, &key)) < 0)
			goto out;
		skip_ws(lx);
		if (lx->p + 1 < lx->end && lx->p[0] == '>' && lx->p[1] == '>')
			value = &pdf->null_obj; /* a key without a value */
		else if ((err = parse_obj(pdf, lx, depth + 1, &value)) < 0)
			goto out;
		if ((err = ptrvec_push(pdf, &items, key)) < 0 ||
		    (err = ptrvec_push(pdf, &items, value)) < 0)
			goto out;
	}
	if (!(o = new_obj(pdf, PDF_DICT))) {
		err = pdf->failed;
		goto out;
	}
	if (items.n) {
		o->u.dict.items = arena_alloc(
			pdf, items.n / 2 * sizeof(*o->u.dict.items));
		if (!o->u.dict.items) {
			err = pdf->failed;
			goto out;
		}
		for (i = 0; i < items.n / 2; i++) {
			o->u.dict.items[i].key = items.v[2 * i]->u.str.ptr;
			o->u.dict.items[i].value = items.v[2 * i + 1];
		}
	}
	o->u.dict.len = items.n / 2;
	*out = o;
	err = 0;
out:
	free(items.v);
	return err;
}

/* The keywords that end or frame objects: never a value. */
static int is_structural(const unsigned char *t, size_t n)
{
	static const char *const words[] = { "endobj",	  "stream", "endstream",
					     "obj",	  "xref",   "trailer",
					     "startxref", "R" };
	size_t i;

	for (i = 0; i < FX_ARRAY_SIZE(words); i++)
		if (strlen(words[i]) == n && !memcmp(t, words[i], n))
			return 1;
	return 0;
}

/*
 * One direct object at the cursor.  Returns 0, FX_EPARSE for a syntax
 * error (the caller decides what it means), or a hard failure.
 */
static int parse_obj(fx_pdf *pdf, struct lex *lx, int depth,
		     struct pdf_obj **out)
{
	size_t n;
	int err;
	unsigned char c;

	*out = NULL;
	if (pdf->failed)
		return pdf->failed;
	if (lx->budget && !*lx->budget)
		return hard_fail(pdf, FX_ETOOBIG,
				 "its syntax takes too long to read");
	if (depth > MAX_DEPTH)
		return FX_EPARSE;
	skip_ws(lx);
	if (lx->p >= lx->end)
		return FX_EPARSE;
	c = *lx->p;
	switch (c) {
	case '/': return parse_name(pdf, lx, out);
	case '(': return parse_literal(pdf, lx, out);
	case '[': return parse_array(pdf, lx, depth, out);
	case '<':
		if (lx->p + 1 < lx->end && lx->p[1] == '<')
			return parse_dict(pdf, lx, depth, out);
		return parse_hex(pdf, lx, out);
	default: break;
	}
	if (is_digit(c) || c == '+' || c == '-' || c == '.') {
		err = parse_number(pdf, lx, out);
		if (err == 0 && (*out)->type == PDF_INT && is_digit(c))
			return try_ref(pdf, lx, out);
		if (err != FX_EPARSE)
			return err;
		/* "1.5e3", "--2": not PDF; read below as an unknown token */
	}
	n = token_len(lx);
	if (!n || is_structural(lx->p, n))
		return FX_EPARSE;
	if (n == 4 && !memcmp(lx->p, "true", 4)) {
		if (!(*out = new_obj(pdf, PDF_BOOL)))
			return pdf->failed;
		(*out)->u.boolean = 1;
	} else if (n == 5 && !memcmp(lx->p, "false", 5)) {
		if (!(*out = new_obj(pdf, PDF_BOOL)))
			return pdf->failed;
	} else {
		/* null, or a token no reader knows: null as well, so that one
		 * stray token does not lose a whole dictionary */
		*out = &pdf->null_obj;
	}
	lx->p += n;
	return 0;
}

/*
 * The indirect object "NUM GEN obj ..." at OFF.  WANT is the number
 * expected (UINT32_MAX: any).  A dictionary followed by "stream" becomes a
 * stream whose data starts after the end of that line.
 */
static int parse_indirect(fx_pdf *pdf, size_t off, uint32_t want,
			  struct pdf_obj **out)
{
	struct lex lx;
	uint64_t num, gen;
	struct pdf_obj *o, *s;
	int err;

	*out = NULL;
	if (off >= pdf->len)
		return FX_EPARSE;
	lex_init(&lx, pdf, pdf->data + off, pdf->data + pdf->len);
	skip_ws(&lx);
	if (read_uint(&lx, &num) < 0 || num > MAX_OBJNUM ||
	    (want != UINT32_MAX && num != want))
		return FX_EPARSE;
	skip_ws(&lx);
	if (read_uint(&lx, &gen) < 0)
		return FX_EPARSE;
	skip_ws(&lx);
	if (!keyword_is(&lx, "obj"))
		return FX_EPARSE;
	lx.p += 3;
	if ((err = parse_obj(pdf, &lx, 0, &o)) < 0)
		return err;
	skip_ws(&lx);
	if (o->type == PDF_DICT && keyword_is(&lx, "stream")) {
		lx.p += 6;
		if (lx.p < lx.end && *lx.p == '\r')
			lx.p++;
		if (lx.p < lx.end && *lx.p == '\n')
			lx.p++;
		if (!(s = new_obj(pdf, PDF_STREAM)))
			return pdf->failed;
		s->u.stream.dict = o;
		s->u.stream.offset = (size_t) (lx.p - pdf->data);
		s->u.stream.num = (uint32_t) num;
		o = s;
	}
	*out = o;
	return 0;
}

/* ---- scanning a damaged file -------------------------------------- */

static size_t *offsets_of(fx_pdf *pdf, const char *word, size_t *count)
{
	size_t n = 0, cap = 0, wl = strlen(word);
	size_t *v = NULL, *p;
	const unsigned char *q = pdf->data, *end = pdf->data + pdf->len;

	while (q < end && (q = memmem(q, (size_t) (end - q), word, wl))) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(p = realloc(v, cap * sizeof(*v)))) {
				free(v);
				hard_fail(pdf, FX_ENOMEM, NULL);
				return NULL;
			}
			v = p;
		}
		v[n++] = (size_t) (q - pdf->data);
		q += wl;
	}
	*count = n;
	if (!v && !pdf->failed && !(v = malloc(sizeof(*v))))
		hard_fail(pdf, FX_ENOMEM, NULL);
	return v;
}

/* The decimal number just before B (after whitespace); its start in *AT. */
static int number_before(const unsigned char *d, const unsigned char *b,
			 size_t maxdigits, const unsigned char **at,
			 uint64_t *value)
{
	const unsigned char *e;
	uint64_t v = 0;

	if (b == d || !is_ws(b[-1]))
		return -1;
	while (b > d && is_ws(b[-1]))
		b--;
	for (e = b; b > d && is_digit(b[-1]) && (size_t) (e - b) <= maxdigits;
	     b--)
		;
	if (b == e || (size_t) (e - b) > maxdigits)
		return -1;
	*at = b;
	for (; b < e; b++)
		v = v * 10 + (uint64_t) (*b - '0');
	*value = v;
	return 0;
}

/* Every "N G obj" header of the file; the last one of a number wins. */
static int build_scan(fx_pdf *pdf)
{
	const unsigned char *d = pdf->data, *q = d, *end = d + pdf->len;
	const unsigned char *g, *b;
	uint64_t num, gen;
	struct xent ent;
	int err;

	if (pdf->scanned)
		return pdf->failed;
	pdf->scanned = 1;
	while (q < end && (q = memmem(q, (size_t) (end - q), "obj", 3))) {
		const unsigned char *at = q;

		q += 3;
		if (q < end && is_regular(*q))
			continue;
		if (number_before(d, at, 5, &g, &gen) < 0 ||
		    number_before(d, g, 10, &b, &num) < 0 || num > MAX_OBJNUM ||
		    (b > d && is_regular(b[-1])))
			continue;
		memset(&ent, 0, sizeof(ent));
		ent.num = (uint32_t) num;
		ent.type = ENT_OFFSET;
		ent.loc = (uint64_t) (b - d);
		ent.gen = (uint16_t) gen;
		/* later in the file is newer: a lower priority value */
		ent.prio = UINT32_MAX - (uint32_t) (pdf->scan.n & 0x7FFFFFFF);
		if ((err = xvec_push(pdf, &pdf->scan, &ent)) < 0)
			return err;
	}
	xvec_settle(&pdf->scan);
	return 0;
}

static int build_endstreams(fx_pdf *pdf)
{
	if (!pdf->endstreams_built) {
		pdf->endstreams_built = 1;
		pdf->endstreams =
			offsets_of(pdf, "endstream", &pdf->nendstreams);
	}
	return pdf->failed;
}

/* ---- objects ------------------------------------------------------ */

static struct xent *find_entry(fx_pdf *pdf, uint32_t num, int *from_scan)
{
	struct xent *e = xvec_find(&pdf->xref, num);

	*from_scan = 0;
	if (e || pdf->reading_xref)
		return e;
	/* not in the cross-reference data: maybe it is in the file */
	if (build_scan(pdf) < 0)
		return NULL;
	if ((e = xvec_find(&pdf->scan, num)))
		*from_scan = 1;
	return e;
}

static int load_objstm(fx_pdf *pdf, struct xent *ose);

static int load_from_objstm(fx_pdf *pdf, struct xent *e, struct pdf_obj **out)
{
	struct xent *ose;
	struct objstm *os;
	struct lex lx;
	size_t i, off;
	int from_scan, err;
	uint32_t num = e->num, idx = e->idx;

	*out = NULL;
	if (e->loc > MAX_OBJNUM)
		return FX_EPARSE;
	ose = find_entry(pdf, (uint32_t) e->loc, &from_scan);
	if (!ose || ose->type != ENT_OFFSET)
		return FX_EPARSE;
	if ((err = load_objstm(pdf, ose)) < 0)
		return err;
	/* E may have moved if the tables changed; use the copies */
	os = ose->os;
	if (!os || os->failed)
		return FX_EPARSE;
	if (idx < os->n && os->nums[idx] == num) {
		off = os->offsets[idx];
	} else {
		for (i = 0; i < os->n && os->nums[i] != num; i++)
			;
		if (i == os->n)
			return FX_EPARSE;
		off = os->offsets[i];
	}
	if (off > os->data.len - os->first)
		return FX_EPARSE;
	lex_init(&lx, pdf,
		 (const unsigned char *) os->data.ptr + os->first + off,
		 (const unsigned char *) os->data.ptr + os->data.len);
	return parse_obj(pdf, &lx, 0, out);
}

static struct pdf_obj *load_entry(fx_pdf *pdf, struct xent *e, int from_scan)
{
	struct pdf_obj *o = NULL;
	struct xent *s;
	uint64_t loc;
	uint32_t num;
	int err = FX_EPARSE;

	if (e->state == ST_DONE)
		return e->obj;
	if (e->state == ST_LOADING || pdf->failed ||
	    pdf->load_depth >= MAX_LOAD_DEPTH)
		return &pdf->null_obj; /* a cycle, or too deep */
	e->state = ST_LOADING;
	pdf->load_depth++;
	num = e->num;
	loc = e->loc;
	if (e->type == ENT_OFFSET && loc < pdf->len)
		err = parse_indirect(pdf, (size_t) loc, num, &o);
	else if (e->type == ENT_OBJSTM)
		err = load_from_objstm(pdf, e, &o);
	/* the tables may have been sorted again: find E anew */
	e = from_scan ? xvec_find(&pdf->scan, num) : xvec_find(&pdf->xref, num);
	if (err == FX_EPARSE && !from_scan && !pdf->reading_xref &&
	    build_scan(pdf) >= 0 && (s = xvec_find(&pdf->scan, num)) &&
	    !(e && e->type == ENT_OFFSET && s->loc == e->loc)) {
		/* the cross-reference data is wrong about this one */
		err = parse_indirect(pdf, (size_t) s->loc, num, &o);
		if (err == 0)
			pdf->repaired = 1;
		e = xvec_find(&pdf->xref, num);
	}
	pdf->load_depth--;
	if (err < 0 || !o)
		o = &pdf->null_obj;
	if (e) {
		e->obj = o;
		e->state = ST_DONE;
	}
	return o;
}

struct pdf_obj *fx_pdf__object(fx_pdf *pdf, uint32_t num)
{
	int from_scan;
	struct xent *e = find_entry(pdf, num, &from_scan);

	if (!e || e->type == ENT_FREE)
		return &pdf->null_obj;
	return load_entry(pdf, e, from_scan);
}

struct pdf_obj *fx_pdf__resolve(fx_pdf *pdf, struct pdf_obj *obj)
{
	int n;

	for (n = 0; obj && obj->type == PDF_REF; n++) {
		if (n == MAX_REF_CHAIN)
			return &pdf->null_obj;
		obj = fx_pdf__object(pdf, obj->u.ref.num);
	}
	return obj ? obj : &pdf->null_obj;
}

struct pdf_obj *fx_pdf__get_raw(struct pdf_obj *dict, const char *key)
{
	size_t i;

	if (dict && dict->type == PDF_STREAM)
		dict = dict->u.stream.dict;
	if (!dict || dict->type != PDF_DICT)
		return NULL;
	for (i = 0; i < dict->u.dict.len; i++)
		if (!strcmp(dict->u.dict.items[i].key, key))
			return dict->u.dict.items[i].value;
	return NULL;
}

struct pdf_obj *fx_pdf__get(fx_pdf *pdf, struct pdf_obj *dict, const char *key)
{
	return fx_pdf__resolve(pdf, fx_pdf__get_raw(dict, key));
}

int fx_pdf__is_name(const struct pdf_obj *obj, const char *name)
{
	return obj && obj->type == PDF_NAME && !strcmp(obj->u.str.ptr, name);
}

static int get_int(fx_pdf *pdf, struct pdf_obj *dict, const char *key,
		   long long *out)
{
	struct pdf_obj *o = fx_pdf__get(pdf, dict, key);

	if (o->type != PDF_INT)
		return -1;
	*out = o->u.integer;
	return 0;
}

struct pdf_obj *fx_pdf__trailer(fx_pdf *pdf)
{
	return pdf->trailer ? pdf->trailer : &pdf->null_obj;
}

struct pdf_obj *fx_pdf__catalog(fx_pdf *pdf)
{
	return pdf->catalog ? pdf->catalog : &pdf->null_obj;
}

/* ---- streams ------------------------------------------------------ */

/* Whether "endstream" follows OFF, after an optional end of line. */
static int endstream_at(const fx_pdf *pdf, size_t off)
{
	size_t i;

	for (i = 0; i < 4 && off < pdf->len && is_ws(pdf->data[off]); i++)
		off++;
	return pdf->len - off >= 9 && !memcmp(pdf->data + off, "endstream", 9);
}

static int stream_raw(fx_pdf *pdf, struct pdf_obj *s,
		      const unsigned char **data, size_t *len)
{
	size_t off = s->u.stream.offset, lo, hi, end;
	long long length;

	if (!s->u.stream.length_known) {
		if (get_int(pdf, s, "Length", &length) == 0 && length >= 0 &&
		    off <= pdf->len &&
		    (unsigned long long) length <= pdf->len - off &&
		    endstream_at(pdf, off + (size_t) length)) {
			s->u.stream.length = (size_t) length;
		} else {
			/* a wrong /Length: the data ends before the first
			 * "endstream" after its start */
			if (build_endstreams(pdf) < 0)
				return pdf->failed;
			lo = 0;
			hi = pdf->nendstreams;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;

				if (pdf->endstreams[mid] < off)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo == pdf->nendstreams)
				return fx_ctx__error(
					pdf->ctx, FX_EPARSE,
					"'%s': the stream of object %lu has no "
					"end",
					pdf->name,
					(unsigned long) s->u.stream.num);
			end = pdf->endstreams[lo];
			if (end > off && pdf->data[end - 1] == '\n')
				end--;
			if (end > off && pdf->data[end - 1] == '\r')
				end--;
			s->u.stream.length = end - off;
		}
		s->u.stream.length_known = 1;
	}
	*data = pdf->data + off;
	*len = s->u.stream.length;
	return 0;
}

static int too_big(fx_pdf *pdf, struct pdf_obj *s, size_t limit)
{
	return fx_ctx__error(pdf->ctx, FX_ETOOBIG,
			     "'%s': the stream of object %lu decodes to more "
			     "than the limit of %zu bytes",
			     pdf->name, (unsigned long) s->u.stream.num, limit);
}

static int damaged(fx_pdf *pdf, struct pdf_obj *s, const char *what)
{
	return fx_ctx__error(pdf->ctx, FX_EPARSE,
			     "'%s': the stream of object %lu is damaged: %s",
			     pdf->name, (unsigned long) s->u.stream.num, what);
}

/* Charge N decoded bytes to the document's budget. */
static int charge(fx_pdf *pdf, size_t n)
{
	if (n > INFLATE_BUDGET - pdf->inflated)
		return hard_fail(pdf, FX_ETOOBIG,
				 "its streams decode to more than the limit "
				 "of 1 GiB in all");
	pdf->inflated += n;
	return 0;
}

static int inflate_into(struct fx_buf *out, fx_pdf *pdf, struct pdf_obj *s,
			const unsigned char *in, size_t inlen, size_t limit,
			int raw)
{
	z_stream zs;
	unsigned char chunk[16384];
	int zerr, err = 0;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, raw ? -15 : 15 + 32) != Z_OK)
		return hard_fail(pdf, FX_ENOMEM, NULL);
	zs.next_in = (unsigned char *) in;
	do {
		size_t step = inlen > UINT32_MAX ? UINT32_MAX : inlen;
		size_t got;

		if (zs.avail_in == 0 && inlen) {
			zs.avail_in = (uInt) step;
			inlen -= step;
		}
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		zerr = inflate(&zs, Z_NO_FLUSH);
		got = sizeof(chunk) - zs.avail_out;
		if (zerr == Z_NEED_DICT || zerr == Z_DATA_ERROR ||
		    zerr == Z_MEM_ERROR) {
			err = zerr == Z_MEM_ERROR
				      ? hard_fail(pdf, FX_ENOMEM, NULL)
				      : damaged(pdf, s,
						"its Flate data is not valid");
			break;
		}
		if (got > limit - out->len) {
			err = too_big(pdf, s, limit);
			break;
		}
		if ((err = charge(pdf, got)) < 0)
			break;
		if (got && fx_buf_put(out, chunk, got) < 0) {
			err = hard_fail(pdf, FX_ENOMEM, NULL);
			break;
		}
		if (zerr == Z_BUF_ERROR && zs.avail_in == 0 && !inlen) {
			err = damaged(pdf, s, "its Flate data ends early");
			break;
		}
	} while (zerr != Z_STREAM_END);
	inflateEnd(&zs);
	return err;
}

static int flate(struct fx_buf *out, fx_pdf *pdf, struct pdf_obj *s,
		 const unsigned char *in, size_t inlen, size_t limit)
{
	int err;

	/* a zlib stream; a few writers leave out the zlib header */
	if (inlen >= 2 && (in[0] & 0x0F) == 8 &&
	    ((in[0] << 8) | in[1]) % 31 == 0)
		return inflate_into(out, pdf, s, in, inlen, limit, 0);
	err = inflate_into(out, pdf, s, in, inlen, limit, 1);
	return err;
}

static int hex_decode(struct fx_buf *out, fx_pdf *pdf, struct pdf_obj *s,
		      const unsigned char *in, size_t inlen, size_t limit)
{
	size_t i;
	int hi = -1, v;
	unsigned char c;

	for (i = 0; i < inlen && in[i] != '>'; i++) {
		if (is_ws(in[i]))
			continue;
		if ((v = hex_value(in[i])) < 0)
			return damaged(pdf, s, "bad ASCIIHex data");
		if (hi < 0) {
			hi = v;
			continue;
		}
		c = (unsigned char) (hi * 16 + v);
		hi = -1;
		if (out->len >= limit)
			return too_big(pdf, s, limit);
		if (fx_buf_put(out, &c, 1) < 0)
			return hard_fail(pdf, FX_ENOMEM, NULL);
	}
	if (hi >= 0) {
		c = (unsigned char) (hi * 16);
		if (out->len >= limit)
			return too_big(pdf, s, limit);
		if (fx_buf_put(out, &c, 1) < 0)
			return hard_fail(pdf, FX_ENOMEM, NULL);
	}
	return charge(pdf, out->len);
}

static int a85_decode(struct fx_buf *out, fx_pdf *pdf, struct pdf_obj *s,
		      const unsigned char *in, size_t inlen, size_t limit)
{
	size_t i, n = 0, k;
	uint64_t v = 0;
	unsigned char b[4];

	for (i = 0; i < inlen; i++) {
		unsigned char c = in[i];

		if (is_ws(c))
			continue;
		if (c == '~')
			break;
		if (c == 'z' && n == 0) {
			if (limit - out->len < 4)
				return too_big(pdf, s, limit);
			memset(b, 0, 4);
			if (fx_buf_put(out, b, 4) < 0)
				return hard_fail(pdf, FX_ENOMEM, NULL);
			continue;
		}
		if (c < '!' || c > 'u')
			return damaged(pdf, s, "bad ASCII85 data");
		v = v * 85 + (uint64_t) (c - '!');
		if (++n == 5) {
			if (v > UINT32_MAX)
				return damaged(pdf, s, "bad ASCII85 data");
			for (k = 0; k < 4; k++)
				b[k] = (unsigned char) (v >> (24 - 8 * k));
			if (limit - out->len < 4)
				return too_big(pdf, s, limit);
			if (fx_buf_put(out, b, 4) < 0)
				return hard_fail(pdf, FX_ENOMEM, NULL);
			v = 0;
			n = 0;
		}
	}
	if (n == 1)
		return damaged(pdf, s, "bad ASCII85 data");
	if (n) {
		for (k = n; k < 5; k++)
			v = v * 85 + 84;
		if (v > UINT32_MAX)
			return damaged(pdf, s, "bad ASCII85 data");
		for (k = 0; k < n - 1; k++)
			b[k] = (unsigned char) (v >> (24 - 8 * k));
		if (limit - out->len < n - 1)
			return too_big(pdf, s, limit);
		if (fx_buf_put(out, b, n - 1) < 0)
			return hard_fail(pdf, FX_ENOMEM, NULL);
	}
	return charge(pdf, out->len);
}

static int rl_decode(struct fx_buf *out, fx_pdf *pdf, struct pdf_obj *s,
		     const unsigned char *in, size_t inlen, size_t limit)
{
	size_t i = 0, n;
	unsigned char run[128];

	while (i < inlen && in[i] != 128) {
		if (in[i] < 128) {
			n = (size_t) in[i] + 1;
			if (n > inlen - i - 1)
				return damaged(pdf, s, "bad RunLength data");
			if (limit - out->len < n)
				return too_big(pdf, s, limit);
			if (fx_buf_put(out, in + i + 1, n) < 0)
				return hard_fail(pdf, FX_ENOMEM, NULL);
			i += n + 1;
		} else {
			n = 257 - (size_t) in[i];
			if (i + 1 >= inlen)
				return damaged(pdf, s, "bad RunLength data");
			if (limit - out->len < n)
				return too_big(pdf, s, limit);
			memset(run, in[i + 1], n);
			if (fx_buf_put(out, run, n) < 0)
				return hard_fail(pdf, FX_ENOMEM, NULL);
			i += 2;
		}
	}
	return charge(pdf, out->len);
}

static long long parm_int(fx_pdf *pdf, struct pdf_obj *parms, const char *key,
			  long long dflt)
{
	long long v;

	return get_int(pdf, parms, key, &v) == 0 ? v : dflt;
}

/* Undo a TIFF or PNG predictor, in place. */
static int unpredict(struct fx_buf *buf, fx_pdf *pdf, struct pdf_obj *s,
		     struct pdf_obj *parms)
{
	long long pred = parm_int(pdf, parms, "Predictor", 1);
	long long colors = parm_int(pdf, parms, "Colors", 1);
	long long bpc = parm_int(pdf, parms, "BitsPerComponent", 8);
	long long columns = parm_int(pdf, parms, "Columns", 1);
	size_t bpp, rowlen, nrows, r, i, in, outpos = 0;
	unsigned char *d = (unsigned char *) buf->ptr, *prev = NULL;
	int err = 0;

	if (pred <= 1)
		return 0;
	if (colors < 1 || colors > 32 ||
	    !(bpc == 1 || bpc == 2 || bpc == 4 || bpc == 8 || bpc == 16) ||
	    columns < 1 || columns > (1 << 24))
		return damaged(pdf, s, "bad predictor parameters");
	bpp = ((size_t) colors * (size_t) bpc + 7) / 8;
	rowlen = ((size_t) colors * (size_t) bpc * (size_t) columns + 7) / 8;
	if (pred == 2) {
		if (bpc != 8)
			return fx_ctx__error(
				pdf->ctx, FX_EUNSUPPORTED,
				"'%s': the stream of object %lu uses a TIFF "
				"predictor on %lld-bit components, which "
				"facture does not decode",
				pdf->name, (unsigned long) s->u.stream.num,
				bpc);
		for (r = 0; r + rowlen <= buf->len; r += rowlen)
			for (i = bpp; i < rowlen; i++)
				d[r + i] = (unsigned char) (d[r + i] +
							    d[r + i - bpp]);
		return 0;
	}
	if (pred < 10 || pred > 15)
		return damaged(pdf, s, "unknown predictor");
	if (!(prev = calloc(1, rowlen)))
		return hard_fail(pdf, FX_ENOMEM, NULL);
	nrows = buf->len / (rowlen + 1);
	for (r = 0, in = 0; r < nrows; r++, in += rowlen + 1) {
		unsigned char type = d[in], *row = d + in + 1;
		unsigned char *o = d + outpos;

		for (i = 0; i < rowlen; i++) {
			unsigned a = i >= bpp ? o[i - bpp] : 0;
			unsigned b = prev[i];
			unsigned c = i >= bpp ? prev[i - bpp] : 0;
			unsigned x = row[i], v;

			switch (type) {
			case 0: v = x; break;
			case 1: v = x + a; break;
			case 2: v = x + b; break;
			case 3: v = x + (a + b) / 2; break;
			case 4: {
				int p = (int) a + (int) b - (int) c;
				int pa = abs(p - (int) a),
				    pb = abs(p - (int) b),
				    pc = abs(p - (int) c);

				v = x + (pa <= pb && pa <= pc ? a
					 : pb <= pc	      ? b
							      : c);
				break;
			}
			default:
				err = damaged(pdf, s,
					      "unknown PNG predictor type");
				goto out;
			}
			/* the output row overlaps the input one by one byte
			 * per row: O is always before ROW */
			o[i] = (unsigned char) v;
		}
		memcpy(prev, o, rowlen);
		outpos += rowlen;
	}
	buf->len = outpos;
	if (buf->ptr)
		buf->ptr[buf->len] = '\0';
out:
	free(prev);
	return err;
}

static int filter_item(fx_pdf *pdf, struct pdf_obj *arr, size_t i,
		       struct pdf_obj **out)
{
	*out = NULL;
	if (arr->type == PDF_ARRAY) {
		if (i < arr->u.array.len)
			*out = fx_pdf__resolve(pdf, arr->u.array.items[i]);
	} else if (i == 0) {
		*out = arr;
	}
	return 0;
}

int fx_pdf__decode(struct fx_buf *out, fx_pdf *pdf, struct pdf_obj *s,
		   size_t limit)
{
	struct pdf_obj *filters, *parms_all, *f, *parms;
	struct fx_buf cur = FX_BUF_INIT, next = FX_BUF_INIT;
	const unsigned char *raw = NULL;
	size_t rawlen = 0, nfilters, i;
	int err;

	if (s->type != PDF_STREAM)
		return fx_ctx__error(pdf->ctx, FX_EPARSE,
				     "'%s': expected a stream", pdf->name);
	if ((err = stream_raw(pdf, s, &raw, &rawlen)) < 0)
		return err;
	filters = fx_pdf__get(pdf, s, "Filter");
	if (filters->type == PDF_NULL)
		filters = fx_pdf__get(pdf, s, "F");
	parms_all = fx_pdf__get(pdf, s, "DecodeParms");
	if (parms_all->type == PDF_NULL)
		parms_all = fx_pdf__get(pdf, s, "DP");
	nfilters = filters->type == PDF_ARRAY  ? filters->u.array.len
		   : filters->type == PDF_NAME ? 1
					       : 0;
	if (nfilters > MAX_FILTERS)
		return damaged(pdf, s, "too many filters");
	if (!nfilters) {
		if (rawlen > limit)
			return too_big(pdf, s, limit);
		if (fx_buf_put(out, raw, rawlen) < 0)
			return hard_fail(pdf, FX_ENOMEM, NULL);
		return 0;
	}
	for (i = 0; i < nfilters; i++) {
		const unsigned char *in = i ? (unsigned char *) cur.ptr : raw;
		size_t inlen = i ? cur.len : rawlen;
		const char *name;

		filter_item(pdf, filters, i, &f);
		filter_item(pdf, parms_all, i, &parms);
		if (!f || f->type != PDF_NAME) {
			err = damaged(pdf, s, "a filter is not a name");
			goto out;
		}
		name = f->u.str.ptr;
		fx_buf_clear(&next);
		if (!strcmp(name, "FlateDecode") || !strcmp(name, "Fl")) {
			err = flate(&next, pdf, s, in, inlen, limit);
			if (err >= 0)
				err = unpredict(&next, pdf, s, parms);
		} else if (!strcmp(name, "ASCIIHexDecode") ||
			   !strcmp(name, "AHx")) {
			err = hex_decode(&next, pdf, s, in, inlen, limit);
		} else if (!strcmp(name, "ASCII85Decode") ||
			   !strcmp(name, "A85")) {
			err = a85_decode(&next, pdf, s, in, inlen, limit);
		} else if (!strcmp(name, "RunLengthDecode") ||
			   !strcmp(name, "RL")) {
			err = rl_decode(&next, pdf, s, in, inlen, limit);
		} else {
			err = fx_ctx__error(pdf->ctx, FX_EUNSUPPORTED,
					    "'%s': the stream of object %lu "
					    "uses the filter /%s, which "
					    "facture does not decode",
					    pdf->name,
					    (unsigned long) s->u.stream.num,
					    name);
		}
		if (err < 0)
			goto out;
		if (!next.ptr && fx_buf_grow(&next, 0) < 0) {
			err = hard_fail(pdf, FX_ENOMEM, NULL);
			goto out;
		}
		/* swap: NEXT becomes the input of the next filter */
		{
			struct fx_buf t = cur;

			cur = next;
			next = t;
		}
	}
	if (!out->len) {
		/* hand the buffer over rather than copy it */
		fx_buf_release(out);
		*out = cur;
		cur = (struct fx_buf) FX_BUF_INIT;
	} else if (fx_buf_put(out, cur.ptr, cur.len) < 0) {
		err = hard_fail(pdf, FX_ENOMEM, NULL);
	}
out:
	fx_buf_release(&cur);
	fx_buf_release(&next);
	return err;
}

/* ---- object streams ----------------------------------------------- */

static int load_objstm(fx_pdf *pdf, struct xent *ose)
{
	struct pdf_obj *s;
	struct objstm *os;
	long long n, first;
	struct lex lx;
	uint64_t num, off;
	size_t i;
	uint32_t osnum = ose->num;
	int err;

	if (ose->os)
		return ose->os->building ? FX_EPARSE : 0;
	if (!(os = calloc(1, sizeof(*os))))
		return hard_fail(pdf, FX_ENOMEM, NULL);
	os->building = 1;
	os->next = pdf->objstms;
	pdf->objstms = os;
	ose->os = os;

	s = fx_pdf__object(pdf, osnum);
	if (s->type != PDF_STREAM || get_int(pdf, s, "N", &n) < 0 ||
	    get_int(pdf, s, "First", &first) < 0 || n < 0 || first < 0)
		goto bad;
	err = fx_pdf__decode(&os->data, pdf, s, FX_PDF_MAX_STRUCTURE_STREAM);
	if (err < 0) {
		if (pdf->failed)
			return pdf->failed;
		goto bad;
	}
	if (!os->data.ptr && fx_buf_grow(&os->data, 0) < 0)
		return hard_fail(pdf, FX_ENOMEM, NULL);
	/* each pair takes at least four bytes ("1 0 ") */
	if ((unsigned long long) first > os->data.len ||
	    (unsigned long long) n > os->data.len / 4 + 1)
		goto bad;
	os->first = (size_t) first;
	if (n && (!(os->nums = calloc((size_t) n, sizeof(*os->nums))) ||
		  !(os->offsets = calloc((size_t) n, sizeof(*os->offsets)))))
		return hard_fail(pdf, FX_ENOMEM, NULL);
	lex_init(&lx, pdf, (const unsigned char *) os->data.ptr,
		 (const unsigned char *) os->data.ptr + os->first);
	for (i = 0; i < (size_t) n; i++) {
		skip_ws(&lx);
		if (read_uint(&lx, &num) < 0 || num > MAX_OBJNUM)
			break;
		skip_ws(&lx);
		if (read_uint(&lx, &off) < 0 || off > os->data.len)
			break;
		os->nums[i] = (uint32_t) num;
		os->offsets[i] = (size_t) off;
	}
	os->n = i;
	os->building = 0;
	return 0;
bad:
	os->failed = 1;
	os->building = 0;
	return 0;
}

/* ---- cross-reference data ----------------------------------------- */

static int read_xref_stream(fx_pdf *pdf, size_t off, uint32_t prio,
			    struct pdf_obj **trailer)
{
	struct pdf_obj *s, *w, *index;
	struct fx_buf data = FX_BUF_INIT;
	long long size, wv[3];
	size_t esize, pos = 0, k, pair, npairs;
	struct xent ent;
	int err, i;

	*trailer = NULL;
	if ((err = parse_indirect(pdf, off, UINT32_MAX, &s)) < 0)
		return err;
	if (s->type != PDF_STREAM)
		return FX_EPARSE;
	w = fx_pdf__get(pdf, s, "W");
	if (w->type != PDF_ARRAY || w->u.array.len != 3)
		return FX_EPARSE;
	for (i = 0; i < 3; i++) {
		struct pdf_obj *x = fx_pdf__resolve(pdf, w->u.array.items[i]);

		if (x->type != PDF_INT || x->u.integer < 0 || x->u.integer > 8)
			return FX_EPARSE;
		wv[i] = x->u.integer;
	}
	esize = (size_t) (wv[0] + wv[1] + wv[2]);
	if (!esize || get_int(pdf, s, "Size", &size) < 0 || size < 0 ||
	    size > (long long) MAX_OBJNUM)
		return FX_EPARSE;
	index = fx_pdf__get(pdf, s, "Index");
	if (index->type == PDF_ARRAY && index->u.array.len % 2)
		return FX_EPARSE;
	npairs = index->type == PDF_ARRAY ? index->u.array.len / 2 : 1;
	if ((err = fx_pdf__decode(&data, pdf, s, FX_PDF_MAX_STRUCTURE_STREAM)) <
	    0) {
		fx_buf_release(&data);
		return pdf->failed ? pdf->failed : FX_EPARSE;
	}
	for (pair = 0; pair < npairs; pair++) {
		long long start = 0, count = size;

		if (index->type == PDF_ARRAY) {
			struct pdf_obj *a = fx_pdf__resolve(
				pdf, index->u.array.items[2 * pair]);
			struct pdf_obj *b = fx_pdf__resolve(
				pdf, index->u.array.items[2 * pair + 1]);

			if (a->type != PDF_INT || b->type != PDF_INT ||
			    a->u.integer < 0 || b->u.integer < 0 ||
			    a->u.integer > (long long) MAX_OBJNUM ||
			    b->u.integer >
				    (long long) MAX_OBJNUM - a->u.integer) {
				err = FX_EPARSE;
				goto out;
			}
			start = a->u.integer;
			count = b->u.integer;
		}
		for (k = 0; k < (size_t) count; k++) {
			uint64_t f[3];
			const unsigned char *e =
				(const unsigned char *) data.ptr + pos;
			int j, b;

			if (esize > data.len - pos)
				break; /* truncated: keep what is there */
			for (j = 0; j < 3; j++) {
				f[j] = 0;
				for (b = 0; b < wv[j]; b++)
					f[j] = (f[j] << 8) | *e++;
			}
			pos += esize;
			memset(&ent, 0, sizeof(ent));
			ent.num = (uint32_t) (start + (long long) k);
			ent.prio = prio;
			ent.type = (uint8_t) (wv[0] ? f[0] : 1);
			if (ent.type == ENT_FREE) {
				;
			} else if (ent.type == ENT_OFFSET) {
				ent.loc = f[1];
				ent.gen = (uint16_t) f[2];
			} else if (ent.type == ENT_OBJSTM) {
				ent.loc = f[1];
				ent.idx = (uint32_t) f[2];
			} else {
				continue; /* a type from the future: null */
			}
			if ((err = xvec_push(pdf, &pdf->xref, &ent)) < 0)
				goto out;
		}
	}
	*trailer = s->u.stream.dict;
	err = 0;
out:
	fx_buf_release(&data);
	return err;
}

static int read_xref_table(fx_pdf *pdf, struct lex *lx, uint32_t prio,
			   struct pdf_obj **trailer)
{
	uint64_t start, count, off, gen, i;
	struct xent ent;
	int err;

	*trailer = NULL;
	lx->p += 4; /* "xref" */
	for (;;) {
		skip_ws(lx);
		if (keyword_is(lx, "trailer")) {
			lx->p += 7;
			skip_ws(lx);
			if (lx->p + 1 >= lx->end || lx->p[0] != '<' ||
			    lx->p[1] != '<')
				return FX_EPARSE;
			return parse_obj(pdf, lx, 0, trailer);
		}
		if (read_uint(lx, &start) < 0)
			return FX_EPARSE;
		skip_ws(lx);
		if (read_uint(lx, &count) < 0 || start > MAX_OBJNUM ||
		    count > MAX_OBJNUM - start ||
		    count > (uint64_t) (lx->end - lx->p) / 6)
			return FX_EPARSE;
		for (i = 0; i < count; i++) {
			skip_ws(lx);
			if (read_uint(lx, &off) < 0)
				return FX_EPARSE;
			skip_ws(lx);
			if (read_uint(lx, &gen) < 0)
				return FX_EPARSE;
			skip_ws(lx);
			if (lx->p >= lx->end ||
			    (*lx->p != 'n' && *lx->p != 'f'))
				return FX_EPARSE;
			memset(&ent, 0, sizeof(ent));
			ent.num = (uint32_t) (start + i);
			ent.prio = prio;
			/* "0000000000 00000 n" is how some write "absent" */
			ent.type = *lx->p == 'n' && off ? ENT_OFFSET : ENT_FREE;
			ent.loc = off;
			ent.gen = (uint16_t) gen;
			lx->p++;
			if ((err = xvec_push(pdf, &pdf->xref, &ent)) < 0)
				return err;
		}
	}
}

/* Read the sections from START back through /Prev. */
static int read_xref_chain(fx_pdf *pdf, size_t start)
{
	size_t seen[MAX_SECTIONS], nseen = 0, off = start, i;
	struct pdf_obj *trailer, *o;
	struct lex lx;
	long long v;
	int err;

	pdf->reading_xref = 1;
	for (;;) {
		for (i = 0; i < nseen; i++)
			if (seen[i] == off)
				goto done; /* a /Prev loop */
		if (nseen == MAX_SECTIONS) {
			err = FX_EPARSE;
			goto out;
		}
		seen[nseen++] = off;
		if (off >= pdf->len) {
			err = FX_EPARSE;
			goto out;
		}
		lex_init(&lx, pdf, pdf->data + off, pdf->data + pdf->len);
		skip_ws(&lx);
		if (keyword_is(&lx, "xref")) {
			uint32_t prio = (uint32_t) nseen * 2 + 1;

			if ((err = read_xref_table(pdf, &lx, prio, &trailer)) <
			    0)
				goto out;
			if (trailer->type != PDF_DICT) {
				err = FX_EPARSE;
				goto out;
			}
			/* a hybrid file: the stream's entries come first */
			o = fx_pdf__get_raw(trailer, "XRefStm");
			if (o && o->type == PDF_INT && o->u.integer >= 0 &&
			    (unsigned long long) o->u.integer < pdf->len) {
				struct pdf_obj *ignored;

				err = read_xref_stream(pdf,
						       (size_t) o->u.integer,
						       prio - 1, &ignored);
				if (err < 0 && pdf->failed)
					goto out;
			}
		} else {
			err = read_xref_stream(pdf, (size_t) (lx.p - pdf->data),
					       (uint32_t) nseen * 2, &trailer);
			if (err < 0)
				goto out;
		}
		if (!pdf->trailer)
			pdf->trailer = trailer;
		else if (!fx_pdf__get_raw(pdf->trailer, "Root") &&
			 fx_pdf__get_raw(trailer, "Root"))
			pdf->trailer = trailer; /* the newest with a /Root */
		o = fx_pdf__get_raw(trailer, "Prev");
		if (!o || o->type != PDF_INT)
			break;
		v = o->u.integer;
		if (v < 0 || (unsigned long long) v >= pdf->len) {
			err = FX_EPARSE;
			goto out;
		}
		off = (size_t) v;
	}
done:
	err = 0;
out:
	pdf->reading_xref = 0;
	xvec_settle(&pdf->xref);
	return err;
}

/* The offset given by the last "startxref" of the file. */
static int find_startxref(const fx_pdf *pdf, size_t *out)
{
	const unsigned char *d = pdf->data;
	size_t i;
	struct lex lx;
	uint64_t v;

	for (i = pdf->len; i >= 9; i--) {
		if (d[i - 9] != 's' || memcmp(d + i - 9, "startxref", 9))
			continue;
		lx.p = d + i;
		lx.end = d + pdf->len;
		lx.budget = NULL;
		skip_ws(&lx);
		if (read_uint(&lx, &v) < 0 || v >= pdf->len)
			return -1;
		*out = (size_t) v;
		return 0;
	}
	return -1;
}

static int catalog_ok(fx_pdf *pdf)
{
	struct pdf_obj *root = fx_pdf__get_raw(pdf->trailer, "Root");
	struct pdf_obj *cat = fx_pdf__resolve(pdf, root);

	if (cat->type != PDF_DICT)
		return 0;
	pdf->catalog = cat;
	pdf->catalog_num = root && root->type == PDF_REF ? root->u.ref.num : 0;
	return 1;
}

static int is_type(fx_pdf *pdf, struct pdf_obj *o, const char *type)
{
	return fx_pdf__is_name(fx_pdf__get(pdf, o, "Type"), type);
}

/*
 * Rebuild the cross-reference data from the objects found in the file,
 * then find a trailer: the last "trailer" dictionary whose /Root is a
 * dictionary, else the last cross-reference stream with one, else the
 * last /Catalog object.
 */
static int rebuild(fx_pdf *pdf)
{
	struct lex lx;
	struct pdf_obj *t, *o;
	struct xvec inner = { NULL, 0, 0 };
	size_t i, j;
	struct xent ent;
	int err;

	pdf->repaired = 1;
	if ((err = build_scan(pdf)) < 0)
		return err;
	free(pdf->xref.v);
	pdf->xref.v = NULL;
	pdf->xref.n = pdf->xref.cap = 0;
	for (i = 0; i < pdf->scan.n; i++) {
		ent = pdf->scan.v[i];
		ent.obj = NULL;
		ent.os = NULL;
		ent.state = ST_NEW;
		ent.prio = 1;
		if ((err = xvec_push(pdf, &pdf->xref, &ent)) < 0)
			return err;
	}
	xvec_settle(&pdf->xref);

	/* objects inside object streams, unless defined directly: collected
	 * apart, since the table must stay sorted while objects load */
	for (i = 0; i < pdf->xref.n; i++) {
		uint32_t osnum = pdf->xref.v[i].num;
		struct xent *e;

		o = load_entry(pdf, &pdf->xref.v[i], 0);
		if (pdf->failed)
			goto fail;
		if (o->type != PDF_STREAM || !is_type(pdf, o, "ObjStm"))
			continue;
		if (!(e = xvec_find(&pdf->xref, osnum)) ||
		    load_objstm(pdf, e) < 0 || !e->os || e->os->failed) {
			if (pdf->failed)
				goto fail;
			continue;
		}
		for (j = 0; j < e->os->n; j++) {
			memset(&ent, 0, sizeof(ent));
			ent.num = e->os->nums[j];
			ent.type = ENT_OBJSTM;
			ent.loc = osnum;
			ent.idx = (uint32_t) j;
			ent.prio = 2; /* direct definitions (1) win */
			if ((err = xvec_push(pdf, &inner, &ent)) < 0)
				goto fail;
		}
	}
	for (i = 0; i < inner.n; i++)
		if ((err = xvec_push(pdf, &pdf->xref, &inner.v[i])) < 0)
			goto fail;
	free(inner.v);
	inner.v = NULL;
	xvec_settle(&pdf->xref);

	pdf->trailer = NULL;
	if (!pdf->trailers)
		pdf->trailers = offsets_of(pdf, "trailer", &pdf->ntrailers);
	if (pdf->failed)
		return pdf->failed;
	for (i = pdf->ntrailers; i-- > 0 && !pdf->trailer;) {
		lex_init(&lx, pdf, pdf->data + pdf->trailers[i] + 7,
			 pdf->data + pdf->len);
		skip_ws(&lx);
		if (lx.p + 1 >= lx.end || lx.p[0] != '<' || lx.p[1] != '<')
			continue;
		if (parse_obj(pdf, &lx, 0, &t) < 0 || t->type != PDF_DICT) {
			if (pdf->failed)
				return pdf->failed;
			continue;
		}
		pdf->trailer = t;
		if (!catalog_ok(pdf))
			pdf->trailer = NULL;
	}
	for (i = pdf->xref.n; i-- > 0 && !pdf->trailer;) {
		if (pdf->xref.v[i].type != ENT_OFFSET)
			continue;
		o = fx_pdf__object(pdf, pdf->xref.v[i].num);
		if (o->type != PDF_STREAM || !is_type(pdf, o, "XRef"))
			continue;
		pdf->trailer = o->u.stream.dict;
		if (!catalog_ok(pdf))
			pdf->trailer = NULL;
	}
	if (!pdf->trailer) {
		struct pdf_obj *ref;
		uint32_t best = 0;
		uint64_t bestoff = 0;
		int found = 0;

		/* the catalog defined last in the file */
		for (i = 0; i < pdf->xref.n; i++) {
			uint32_t num = pdf->xref.v[i].num;
			uint64_t off = pdf->xref.v[i].type == ENT_OFFSET
					       ? pdf->xref.v[i].loc
					       : 0;

			o = fx_pdf__object(pdf, num);
			if (o->type == PDF_DICT && is_type(pdf, o, "Catalog") &&
			    (!found || off >= bestoff)) {
				best = num;
				bestoff = off;
				found = 1;
			}
		}
		if (pdf->failed)
			return pdf->failed;
		if (!found)
			return FX_EPARSE;
		if (!(t = new_obj(pdf, PDF_DICT)) ||
		    !(ref = new_obj(pdf, PDF_REF)) ||
		    !(t->u.dict.items =
			      arena_alloc(pdf, sizeof(struct pdf_pair))))
			return pdf->failed;
		ref->u.ref.num = best;
		t->u.dict.items[0].key = "Root";
		t->u.dict.items[0].value = ref;
		t->u.dict.len = 1;
		pdf->trailer = t;
		if (!catalog_ok(pdf))
			return FX_EPARSE;
	}
	return pdf->failed;
fail:
	free(inner.v);
	return pdf->failed ? pdf->failed : FX_EPARSE;
}

/* ---- opening ------------------------------------------------------ */

void fx_pdf_free(fx_pdf *pdf)
{
	struct arena_chunk *c, *cn;
	struct objstm *os, *on;
	size_t i;

	if (!pdf)
		return;
	for (c = pdf->arena; c; c = cn) {
		cn = c->next;
		free(c);
	}
	for (os = pdf->objstms; os; os = on) {
		on = os->next;
		fx_buf_release(&os->data);
		free(os->nums);
		free(os->offsets);
		free(os);
	}
	for (i = 0; i < pdf->natts; i++)
		fx_buf_release(&pdf->atts[i].data);
	free(pdf->atts);
	free(pdf->xref.v);
	free(pdf->scan.v);
	free(pdf->endstreams);
	free(pdf->trailers);
	fx_buf_release(&pdf->xmp_bytes);
	fx_buf_release(&pdf->owned);
	free(pdf->name);
	free(pdf);
}

static int pdf_open(fx_pdf **out, fx_ctx *ctx, const char *name,
		    const unsigned char *data, size_t len, struct fx_buf *owned)
{
	fx_pdf *pdf = NULL;
	size_t i, limit, startxref;
	const unsigned char *h = NULL;
	int err;

	*out = NULL;
	fx_global__ensure_init();
	fx_ctx__clear_error(ctx);
	if (!name)
		name = "<memory>";
	if (!(pdf = calloc(1, sizeof(*pdf))) ||
	    !(pdf->name = fx_strdup(name))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	pdf->ctx = ctx;
	if (owned) {
		pdf->owned = *owned;
		*owned = (struct fx_buf) FX_BUF_INIT;
		data = (const unsigned char *) pdf->owned.ptr;
	}
	pdf->data = data ? data : (const unsigned char *) "";
	pdf->len = len;
	pdf->null_obj.type = PDF_NULL;
	/* comments and strings may cover the file sixteen times over */
	pdf->lex_budget = len > (SIZE_MAX - (16u << 20)) / 16
				  ? SIZE_MAX
				  : 16 * len + (16u << 20);
	pdf->arena_limit =
		ARENA_BASE_LIMIT + (len > (SIZE_MAX - ARENA_BASE_LIMIT) / 4
					    ? SIZE_MAX - ARENA_BASE_LIMIT
					    : len * 4);

	/* readers accept the header anywhere in the first kilobyte */
	limit = len < 1024 ? len : 1024;
	for (i = 0; i + 5 <= limit; i++) {
		if (!memcmp(pdf->data + i, "%PDF-", 5)) {
			h = pdf->data + i + 5;
			break;
		}
	}
	if (!h) {
		err = fx_ctx__error(ctx, FX_EPARSE,
				    "'%s' is not a PDF: no %%PDF- header in "
				    "its first kilobyte",
				    name);
		goto out;
	}
	for (i = 0; i + 1 < sizeof(pdf->version) && h + i < pdf->data + len &&
		    (is_digit(h[i]) || h[i] == '.');
	     i++)
		pdf->version[i] = (char) h[i];

	err = -1;
	if (find_startxref(pdf, &startxref) == 0)
		err = read_xref_chain(pdf, startxref);
	if (pdf->failed) {
		err = pdf->failed;
		goto out;
	}
	if (err < 0 || !pdf->trailer || !catalog_ok(pdf)) {
		if (pdf->failed) {
			err = pdf->failed;
			goto out;
		}
		if ((err = rebuild(pdf)) < 0) {
			if (!pdf->failed)
				fx_ctx__error(ctx, FX_EPARSE,
					      "'%s' is a damaged PDF: no "
					      "document catalog can be found",
					      name);
			goto out;
		}
	}
	if (pdf->failed) {
		err = pdf->failed;
		goto out;
	}
	pdf->encrypted =
		fx_pdf__get(pdf, pdf->trailer, "Encrypt")->type != PDF_NULL;
	*out = pdf;
	pdf = NULL;
	err = 0;
out:
	fx_pdf_free(pdf);
	return err;
}

int fx_pdf__open_borrowed(fx_pdf **out, fx_ctx *ctx, const char *name,
			  const void *data, size_t len)
{
	return pdf_open(out, ctx, name, data, len, NULL);
}

int fx_pdf_open_memory(fx_pdf **out, fx_ctx *ctx, const char *name,
		       const void *data, size_t len)
{
	struct fx_buf copy = FX_BUF_INIT;
	int err;

	*out = NULL;
	if (!data && len)
		return fx_ctx__error(ctx, FX_EINVALID, "no data for '%s'",
				     name ? name : "<memory>");
	if (fx_buf_put(&copy, data, len) < 0)
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	err = pdf_open(out, ctx, name, NULL, len, &copy);
	fx_buf_release(&copy);
	return err;
}

int fx_pdf_open_file(fx_pdf **out, fx_ctx *ctx, const char *path)
{
	struct fx_buf bytes = FX_BUF_INIT;
	int err;

	*out = NULL;
	fx_ctx__clear_error(ctx);
	if ((err = fx_buf_read_file(&bytes, ctx, path, fx_ctx_max_size(ctx))) <
	    0)
		goto out;
	if (!bytes.ptr && fx_buf_grow(&bytes, 0) < 0) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	err = pdf_open(out, ctx, strcmp(path, "-") ? path : "<stdin>", NULL,
		       bytes.len, &bytes);
out:
	fx_buf_release(&bytes);
	return err;
}

const char *fx_pdf_name(const fx_pdf *pdf)
{
	return pdf->name;
}

const char *fx_pdf_version(const fx_pdf *pdf)
{
	return pdf->version;
}

int fx_pdf_encrypted(const fx_pdf *pdf)
{
	return pdf->encrypted;
}

int fx_pdf_repaired(const fx_pdf *pdf)
{
	return pdf->repaired;
}

unsigned long fx_pdf_catalog_object(const fx_pdf *pdf)
{
	return pdf->catalog_num;
}

size_t fx_pdf_output_intents(const fx_pdf *cpdf, size_t *pdfa)
{
	fx_pdf *pdf = (fx_pdf *) cpdf; /* objects load lazily */
	struct pdf_obj *oi = fx_pdf__get(pdf, pdf->catalog, "OutputIntents");
	size_t i, n = 0;

	*pdfa = 0;
	if (oi->type != PDF_ARRAY)
		return 0;
	for (i = 0; i < oi->u.array.len; i++) {
		struct pdf_obj *d = fx_pdf__resolve(pdf, oi->u.array.items[i]);

		if (d->type != PDF_DICT)
			continue;
		n++;
		if (fx_pdf__is_name(fx_pdf__get(pdf, d, "S"), "GTS_PDFA1"))
			(*pdfa)++;
	}
	return n;
}

int fx_pdf_has_af(const fx_pdf *cpdf)
{
	fx_pdf *pdf = (fx_pdf *) cpdf;

	return fx_pdf__get(pdf, pdf->catalog, "AF")->type == PDF_ARRAY;
}

/* ---- text strings ------------------------------------------------- */

/* PDFDocEncoding where it differs from Latin-1 (0 = undefined). */
static const uint16_t pdfdoc_18[8] = { 0x02D8, 0x02C7, 0x02C6, 0x02D9,
				       0x02DD, 0x02DB, 0x02DA, 0x02DC };
static const uint16_t pdfdoc_80[33] = {
	0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044, 0x2039,
	0x203A, 0x2212, 0x2030, 0x201E, 0x201C, 0x201D, 0x2018, 0x2019, 0x201A,
	0x2122, 0xFB01, 0xFB02, 0x0141, 0x0152, 0x0160, 0x0178, 0x017D, 0x0131,
	0x0142, 0x0153, 0x0161, 0x017E, 0xFFFD, 0x20AC
};

static size_t put_cp(char *p, uint32_t c)
{
	/* NUL would cut the C string short */
	if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		c = 0xFFFD;
	if (c < 0x80) {
		p[0] = (char) c;
		return 1;
	}
	if (c < 0x800) {
		p[0] = (char) (0xC0 | (c >> 6));
		p[1] = (char) (0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		p[0] = (char) (0xE0 | (c >> 12));
		p[1] = (char) (0x80 | ((c >> 6) & 0x3F));
		p[2] = (char) (0x80 | (c & 0x3F));
		return 3;
	}
	p[0] = (char) (0xF0 | (c >> 18));
	p[1] = (char) (0x80 | ((c >> 12) & 0x3F));
	p[2] = (char) (0x80 | ((c >> 6) & 0x3F));
	p[3] = (char) (0x80 | (c & 0x3F));
	return 4;
}

const char *fx_pdf__text(fx_pdf *pdf, const struct pdf_obj *obj)
{
	const unsigned char *s;
	size_t n, i, k = 0;
	char *p;

	if (!obj || obj->type != PDF_STRING)
		return NULL;
	s = (const unsigned char *) obj->u.str.ptr;
	n = obj->u.str.len;
	/* at most 4 bytes of UTF-8 per input byte (or per UTF-16 unit) */
	if (n > (SIZE_MAX - 1) / 4 || !(p = arena_alloc(pdf, n * 4 + 1)))
		return NULL;
	if (n >= 2 && ((s[0] == 0xFE && s[1] == 0xFF) ||
		       (s[0] == 0xFF && s[1] == 0xFE))) {
		int be = s[0] == 0xFE;

		for (i = 2; i + 1 < n; i += 2) {
			uint32_t u = be ? (uint32_t) (s[i] << 8 | s[i + 1])
					: (uint32_t) (s[i + 1] << 8 | s[i]);

			if (u >= 0xD800 && u <= 0xDBFF && i + 3 < n) {
				uint32_t l = be ? (uint32_t) (s[i + 2] << 8 |
							      s[i + 3])
						: (uint32_t) (s[i + 3] << 8 |
							      s[i + 2]);

				if (l >= 0xDC00 && l <= 0xDFFF) {
					u = 0x10000 + ((u - 0xD800) << 10) +
					    (l - 0xDC00);
					i += 2;
				}
			}
			k += put_cp(p + k, u);
		}
	} else if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
		for (i = 3; i < n; i++)
			k += s[i] ? (p[k] = (char) s[i], 1) : put_cp(p + k, 0);
	} else {
		for (i = 0; i < n; i++) {
			uint32_t c = s[i];

			if (c >= 0x18 && c <= 0x1F)
				c = pdfdoc_18[c - 0x18];
			else if (c >= 0x80 && c <= 0xA0)
				c = pdfdoc_80[c - 0x80];
			else if (c == 0xAD)
				c = 0xFFFD;
			k += put_cp(p + k, c);
		}
	}
	p[k] = '\0';
	return p;
}

/* ---- attachments -------------------------------------------------- */

static struct attachment *find_att_by(fx_pdf *pdf, struct pdf_obj *raw,
				      struct pdf_obj *fs)
{
	size_t i;

	for (i = 0; i < pdf->natts; i++) {
		struct attachment *a = &pdf->atts[i];

		if (raw && raw->type == PDF_REF
			    ? a->pub.object == raw->u.ref.num
			    : a->filespec == fs)
			return a;
	}
	return NULL;
}

static int add_attachment(fx_pdf *pdf, const char *key, struct pdf_obj *raw,
			  int from_names)
{
	struct pdf_obj *fs = fx_pdf__resolve(pdf, raw), *ef, *sraw, *s, *o;
	struct attachment *a;
	long long size;

	if (pdf->failed)
		return pdf->failed;
	if (fs->type != PDF_DICT && fs->type != PDF_STRING)
		return 0; /* nothing we can call an attachment */
	if (!from_names && (a = find_att_by(pdf, raw, fs))) {
		a->pub.in_af = 1;
		return 0;
	}
	if (pdf->natts == MAX_ATTACHMENTS)
		return 0;
	if (pdf->natts == pdf->atts_cap) {
		size_t cap = pdf->atts_cap ? pdf->atts_cap * 2 : 8;
		struct attachment *p = realloc(pdf->atts, cap * sizeof(*p));

		if (!p)
			return hard_fail(pdf, FX_ENOMEM, NULL);
		pdf->atts = p;
		pdf->atts_cap = cap;
	}
	a = &pdf->atts[pdf->natts++];
	memset(a, 0, sizeof(*a));
	a->filespec = fs;
	a->pub.key = key;
	a->pub.in_names = from_names;
	a->pub.in_af = !from_names;
	a->pub.declared_size = -1;
	a->pub.object = raw && raw->type == PDF_REF ? raw->u.ref.num : 0;
	if (fs->type == PDF_STRING) {
		/* a file specification that is only a file name */
		a->pub.name = fx_pdf__text(pdf, fs);
		return pdf->failed;
	}
	a->pub.name = fx_pdf__text(pdf, fx_pdf__get(pdf, fs, "UF"));
	if (!a->pub.name || !*a->pub.name)
		a->pub.name = fx_pdf__text(pdf, fx_pdf__get(pdf, fs, "F"));
	if ((!a->pub.name || !*a->pub.name) && key)
		a->pub.name = key;
	a->pub.description = fx_pdf__text(pdf, fx_pdf__get(pdf, fs, "Desc"));
	o = fx_pdf__get(pdf, fs, "AFRelationship");
	if (o->type == PDF_NAME)
		a->pub.relationship = o->u.str.ptr;
	ef = fx_pdf__get(pdf, fs, "EF");
	sraw = fx_pdf__get_raw(ef, "F");
	if (!sraw || fx_pdf__resolve(pdf, sraw)->type != PDF_STREAM)
		sraw = fx_pdf__get_raw(ef, "UF");
	s = fx_pdf__resolve(pdf, sraw);
	if (s->type == PDF_STREAM) {
		a->stream = s;
		a->pub.stream = s->u.stream.num;
		o = fx_pdf__get(pdf, s, "Subtype");
		if (o->type == PDF_NAME)
			a->pub.mime = o->u.str.ptr;
		if (get_int(pdf, fx_pdf__get(pdf, s, "Params"), "Size",
			    &size) == 0 &&
		    size >= 0)
			a->pub.declared_size = size;
	}
	return pdf->failed;
}

static int mark_visited(fx_pdf *pdf, struct pdf_obj *raw)
{
	int from_scan;
	struct xent *e;

	if (!raw || raw->type != PDF_REF)
		return 0;
	if (!(e = find_entry(pdf, raw->u.ref.num, &from_scan)))
		return 0;
	if (e->mark == pdf->walk)
		return 1;
	e->mark = pdf->walk;
	return 0;
}

static int walk_names(fx_pdf *pdf, struct pdf_obj *raw, int depth)
{
	struct pdf_obj *node, *names, *kids;
	size_t i;
	int err;

	if (depth > MAX_TREE_DEPTH || mark_visited(pdf, raw))
		return 0;
	node = fx_pdf__resolve(pdf, raw);
	if (node->type != PDF_DICT)
		return pdf->failed;
	names = fx_pdf__get(pdf, node, "Names");
	if (names->type == PDF_ARRAY) {
		for (i = 0; i + 1 < names->u.array.len; i += 2) {
			struct pdf_obj *k =
				fx_pdf__resolve(pdf, names->u.array.items[i]);
			const char *key = fx_pdf__text(pdf, k);

			if (!key)
				continue;
			if ((err = add_attachment(pdf, key,
						  names->u.array.items[i + 1],
						  1)) < 0)
				return err;
		}
	}
	kids = fx_pdf__get(pdf, node, "Kids");
	if (kids->type == PDF_ARRAY)
		for (i = 0; i < kids->u.array.len; i++)
			if ((err = walk_names(pdf, kids->u.array.items[i],
					      depth + 1)) < 0)
				return err;
	return pdf->failed;
}

static int refuse_encrypted(fx_pdf *pdf)
{
	return fx_ctx__error(pdf->ctx, FX_EUNSUPPORTED,
			     "'%s' is encrypted: facture does not read "
			     "encrypted PDFs (Factur-X does not allow them)",
			     pdf->name);
}

static int read_attachments(fx_pdf *pdf)
{
	struct pdf_obj *names, *af;
	size_t i;
	int err;

	if (pdf->atts_read)
		return pdf->failed;
	if (pdf->encrypted)
		return refuse_encrypted(pdf);
	pdf->atts_read = 1;
	pdf->walk++;
	names = fx_pdf__get(pdf, pdf->catalog, "Names");
	if ((err = walk_names(pdf, fx_pdf__get_raw(names, "EmbeddedFiles"),
			      0)) < 0)
		return err;
	af = fx_pdf__get(pdf, pdf->catalog, "AF");
	if (af->type == PDF_ARRAY)
		for (i = 0; i < af->u.array.len && i < MAX_AF; i++)
			if ((err = add_attachment(pdf, NULL,
						  af->u.array.items[i], 0)) < 0)
				return err;
	return pdf->failed;
}

int fx_pdf_attachment_count(size_t *out, fx_ctx *ctx, fx_pdf *pdf)
{
	int err;

	*out = 0;
	if ((err = begin_call(pdf, ctx)) < 0 ||
	    (err = read_attachments(pdf)) < 0)
		return err;
	*out = pdf->natts;
	return 0;
}

const fx_pdf_attachment *fx_pdf_attachment_get(const fx_pdf *pdf, size_t i)
{
	return i < pdf->natts ? &pdf->atts[i].pub : NULL;
}

int fx_pdf_attachment_data(const unsigned char **out, size_t *len, fx_ctx *ctx,
			   fx_pdf *pdf, size_t i)
{
	struct attachment *a;
	int err;

	*out = NULL;
	*len = 0;
	if ((err = begin_call(pdf, ctx)) < 0 ||
	    (err = read_attachments(pdf)) < 0)
		return err;
	if (i >= pdf->natts)
		return fx_ctx__error(ctx, FX_EINVALID,
				     "'%s' has no attachment number %zu",
				     pdf->name, i + 1);
	a = &pdf->atts[i];
	if (!a->decoded) {
		if (!a->stream)
			return fx_ctx__error(
				ctx, FX_EPARSE,
				"'%s': the file specification of '%s' has no "
				"embedded file stream",
				pdf->name, a->pub.name ? a->pub.name : "?");
		fx_buf_clear(&a->data);
		if ((err = fx_pdf__decode(&a->data, pdf, a->stream,
					  fx_ctx_max_size(ctx))) < 0)
			return err;
		if (!a->data.ptr && fx_buf_grow(&a->data, 0) < 0)
			return hard_fail(pdf, FX_ENOMEM, NULL);
		a->decoded = 1;
	}
	*out = (const unsigned char *) a->data.ptr;
	*len = a->data.len;
	return 0;
}

static const char *const invoice_names[] = {
	"factur-x.xml",	 "zugferd-invoice.xml", "ZUGFeRD-invoice.xml",
	"xrechnung.xml", "order-x.xml",
};

static int name_is(const fx_pdf_attachment *a, const char *n, int nocase)
{
	int (*cmp)(const char *, const char *) = nocase ? strcasecmp : strcmp;

	return (a->name && !cmp(a->name, n)) || (a->key && !cmp(a->key, n));
}

static int looks_xml(const fx_pdf_attachment *a)
{
	size_t n = a->name ? strlen(a->name) : 0;

	return (a->mime && strstr(a->mime, "xml")) ||
	       (n > 4 && !strcasecmp(a->name + n - 4, ".xml"));
}

int fx_pdf_find_invoice(size_t *out, fx_ctx *ctx, fx_pdf *pdf)
{
	size_t n, i, k;
	int err, pass;

	*out = 0;
	if ((err = fx_pdf_attachment_count(&n, ctx, pdf)) < 0)
		return err;
	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < FX_ARRAY_SIZE(invoice_names); k++)
			for (i = 0; i < n; i++)
				if (pdf->atts[i].pub.in_names &&
				    name_is(&pdf->atts[i].pub, invoice_names[k],
					    pass)) {
					*out = i;
					return 0;
				}
	for (i = 0; i < n; i++) {
		const unsigned char *data;
		size_t len;
		fx_doc *doc = NULL;
		fx_syntax syn;

		if (!pdf->atts[i].pub.in_names || !looks_xml(&pdf->atts[i].pub))
			continue;
		if (fx_pdf_attachment_data(&data, &len, ctx, pdf, i) < 0) {
			if (pdf->failed)
				return pdf->failed;
			continue;
		}
		if (fx_doc_load_memory(&doc, ctx, pdf->atts[i].pub.name, data,
				       len) < 0) {
			if (fx_ctx_last_error(ctx)->code == FX_ENOMEM)
				return FX_ENOMEM;
			continue;
		}
		syn = fx_doc_syntax(doc);
		fx_doc_free(doc);
		if (syn == FX_SYNTAX_UBL_INVOICE ||
		    syn == FX_SYNTAX_UBL_CREDITNOTE || syn == FX_SYNTAX_CII ||
		    syn == FX_SYNTAX_ZUGFERD1) {
			fx_ctx__clear_error(ctx);
			*out = i;
			return 0;
		}
	}
	for (i = 0, k = 0; i < n; i++)
		k += pdf->atts[i].pub.in_names;
	if (!k)
		return fx_ctx__error(ctx, FX_ENOTINVOICE,
				     "no invoice in '%s': it has no embedded "
				     "files",
				     pdf->name);
	return fx_ctx__error(
		ctx, FX_ENOTINVOICE,
		"no invoice in '%s': none of its embedded files "
		"(%zu) is named factur-x.xml, zugferd-invoice.xml, "
		"ZUGFeRD-invoice.xml, xrechnung.xml or order-x.xml, "
		"or is an XML invoice",
		pdf->name, k);
}

/* ---- metadata ----------------------------------------------------- */

int fx_pdf_metadata(const unsigned char **out, size_t *len, fx_ctx *ctx,
		    fx_pdf *pdf)
{
	struct pdf_obj *m;
	int err;

	*out = NULL;
	*len = 0;
	if ((err = begin_call(pdf, ctx)) < 0)
		return err;
	if (!pdf->xmp_decoded) {
		m = fx_pdf__get(pdf, pdf->catalog, "Metadata");
		if (pdf->failed)
			return pdf->failed;
		if (m->type != PDF_STREAM)
			return 0;
		/* metadata streams are not encrypted unless the
		 * encryption dictionary says so; we do not tell */
		if (pdf->encrypted)
			return refuse_encrypted(pdf);
		fx_buf_clear(&pdf->xmp_bytes);
		if ((err = fx_pdf__decode(&pdf->xmp_bytes, pdf, m,
					  FX_PDF_MAX_STRUCTURE_STREAM)) < 0)
			return err;
		if (!pdf->xmp_bytes.ptr && fx_buf_grow(&pdf->xmp_bytes, 0) < 0)
			return hard_fail(pdf, FX_ENOMEM, NULL);
		pdf->xmp.object = m->u.stream.num;
		pdf->has_xmp = 1;
		pdf->xmp_decoded = 1;
	}
	if (pdf->has_xmp) {
		*out = (const unsigned char *) pdf->xmp_bytes.ptr;
		*len = pdf->xmp_bytes.len;
	}
	return 0;
}

#define NS_RDF	  "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_PDFAID "http://www.aiim.org/pdfa/ns/id/"

/* The Factur-X, ZUGFeRD 1 and ZUGFeRD 2 extension schemas all end like
 * this, in one spelling or another. */
static int is_fx_namespace(const char *ns)
{
	return ns && strcasestr(ns, "pdfa:crossindustrydocument:invoice");
}

static const char *trimmed(fx_pdf *pdf, const char *s)
{
	const char *e;

	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		e--;
	return arena_strndup(pdf, s, (size_t) (e - s));
}

static void xmp_property(fx_pdf *pdf, const xmlNs *ns, const char *local,
			 const char *value)
{
	fx_pdf_xmp *x = &pdf->xmp;
	const char **slot = NULL;
	const char *href = ns ? (const char *) ns->href : NULL;

	if (!href)
		return;
	if (!strcmp(href, NS_PDFAID)) {
		if (!strcmp(local, "part"))
			slot = &x->pdfa_part;
		else if (!strcmp(local, "conformance"))
			slot = &x->pdfa_conformance;
	} else if (is_fx_namespace(href)) {
		if (!strcmp(local, "ConformanceLevel"))
			slot = &x->conformance_level;
		else if (!strcmp(local, "DocumentFileName"))
			slot = &x->document_file_name;
		else if (!strcmp(local, "DocumentType"))
			slot = &x->document_type;
		else if (!strcmp(local, "Version"))
			slot = &x->version;
		if (slot && !x->fx_namespace) {
			x->fx_namespace =
				arena_strndup(pdf, href, strlen(href));
			x->fx_prefix =
				ns->prefix ? arena_strndup(
						     pdf,
						     (const char *) ns->prefix,
						     strlen((const char *)
								    ns->prefix))
					   : NULL;
		}
	}
	if (slot && !*slot)
		*slot = trimmed(pdf, value);
}

static void xmp_description(fx_pdf *pdf, xmlNodePtr d)
{
	xmlAttrPtr a;
	xmlNodePtr c;

	for (a = d->properties; a; a = a->next) {
		xmlChar *v = xmlNodeGetContent((xmlNodePtr) a);

		if (v) {
			xmp_property(pdf, a->ns, (const char *) a->name,
				     (const char *) v);
			xmlFree(v);
		}
	}
	for (c = d->children; c; c = c->next) {
		xmlChar *v;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if ((v = xmlNodeGetContent(c))) {
			xmp_property(pdf, c->ns, (const char *) c->name,
				     (const char *) v);
			xmlFree(v);
		}
	}
}

static void xmp_walk(fx_pdf *pdf, xmlNodePtr n)
{
	/* iterative, so that the depth of the tree costs no stack */
	while (n) {
		if (n->type == XML_ELEMENT_NODE && n->ns &&
		    !strcmp((const char *) n->ns->href, NS_RDF) &&
		    !strcmp((const char *) n->name, "Description"))
			xmp_description(pdf, n);
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n && !n->next)
			n = n->parent && n->parent->type == XML_ELEMENT_NODE
				    ? n->parent
				    : NULL;
		if (n)
			n = n->next;
	}
}

int fx_pdf_xmp_read(const fx_pdf_xmp **out, fx_ctx *ctx, fx_pdf *pdf)
{
	const unsigned char *bytes;
	struct fx_buf name = FX_BUF_INIT;
	fx_doc *doc = NULL;
	xmlDocPtr xml;
	size_t len;
	int err;

	*out = NULL;
	if ((err = fx_pdf_metadata(&bytes, &len, ctx, pdf)) < 0)
		return err;
	if (!bytes)
		return 0;
	if (!pdf->xmp_parsed) {
		if (fx_buf_printf(&name, "%s: XMP metadata (object %lu)",
				  pdf->name, pdf->xmp.object) < 0) {
			err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
			goto out;
		}
		if ((err = fx_doc_load_memory(&doc, ctx, name.ptr, bytes,
					      len)) < 0)
			goto out;
		xml = fx_doc__xml(doc);
		if (!xml) {
			err = fx_ctx__error(ctx, FX_EPARSE, "%s is not XML",
					    name.ptr);
			goto out;
		}
		xmp_walk(pdf, xmlDocGetRootElement(xml));
		if (pdf->failed) {
			err = pdf->failed;
			goto out;
		}
		pdf->xmp_parsed = 1;
	}
	*out = &pdf->xmp;
	err = 0;
out:
	fx_doc_free(doc);
	fx_buf_release(&name);
	return err;
}
