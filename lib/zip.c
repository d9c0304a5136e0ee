/* SPDX-License-Identifier: MIT */
/*
 * zip.c - zip archives of invoices: a reader that distrusts them and a
 * writer that makes the same archive from the same members
 *
 * The reader believes nothing before it is checked: the central
 * directory must lie inside the file, each member's local header must be
 * where the directory says and its data before the directory, members
 * may not overlap (which is how the non-recursive zip bombs multiply
 * their output), and sizes, ratios and counts have limits.  Inflated data
 * must come out at exactly the declared size and CRC-32.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "internal.h"
#include "banned.h"

#define SIG_LOCAL   0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END	    0x06054b50u
#define SIG_END64L  0x07064b50u
#define LOCAL_LEN   30
#define CENTRAL_LEN 46
#define END_LEN	    22
#define FLAG_CRYPT  0x0001u
#define FLAG_UTF8   0x0800u
#define DOS_DATE    0x0021u /* 1980-01-01 */

struct entry {
	fx_zip_entry pub;
	uint64_t local; /* offset of the local header */
	uint64_t data;	/* offset of the member's data */
	unsigned flags;
};

struct fx_zip {
	char *name;
	struct fx_buf bytes;
	struct entry *entries;
	size_t n;
	struct fx_buf out; /* the last member read */
};

static unsigned le16(const unsigned char *p)
{
	return (unsigned) p[0] | (unsigned) p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
	       (uint32_t) p[3] << 24;
}

int fx_zip_name_is_safe(const char *name)
{
	const char *p, *seg;

	if (!name || !*name || *name == '/')
		return 0;
	if (((name[0] >= 'A' && name[0] <= 'Z') ||
	     (name[0] >= 'a' && name[0] <= 'z')) &&
	    name[1] == ':')
		return 0; /* C:foo */
	for (p = name; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7F || *p == '\\')
			return 0;
	for (seg = name; *seg; seg = *p ? p + 1 : p) {
		size_t n;

		p = strchr(seg, '/');
		if (!p)
			p = seg + strlen(seg);
		n = (size_t) (p - seg);
		if ((n == 0 && *p) || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
	}
	return 1;
}

void fx_zip_free(fx_zip *zip)
{
	size_t i;

	if (!zip)
		return;
	for (i = 0; i < zip->n; i++)
		free((char *) zip->entries[i].pub.name);
	free(zip->entries);
	fx_buf_release(&zip->bytes);
	fx_buf_release(&zip->out);
	free(zip->name);
	free(zip);
}

const char *fx_zip_name(const fx_zip *zip)
{
	return zip->name;
}

size_t fx_zip_count(const fx_zip *zip)
{
	return zip->n;
}

const fx_zip_entry *fx_zip_get(const fx_zip *zip, size_t i)
{
	return i < zip->n ? &zip->entries[i].pub : NULL;
}

/* The end of central directory record: the last one whose comment ends
 * the file or fits in it. */
static int find_end(const unsigned char *d, size_t len, size_t *at)
{
	size_t i, lowest = len >= END_LEN + 65535 ? len - END_LEN - 65535 : 0;

	if (len < END_LEN)
		return -1;
	for (i = len - END_LEN + 1; i-- > lowest;) {
		if (le32(d + i) != SIG_END)
			continue;
		if (i + END_LEN + le16(d + i + 20) <= len) {
			*at = i;
			return 0;
		}
	}
	return -1;
}

static int cmp_local(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *) a;
	const struct entry *y = *(struct entry *const *) b;

	return x->local < y->local ? -1 : x->local > y->local;
}

static int parse(fx_zip *zip, fx_ctx *ctx)
{
	const unsigned char *d = (const unsigned char *) zip->bytes.ptr;
	size_t len = zip->bytes.len, end, pos, i;
	uint64_t cd_off, cd_size, total = 0;
	unsigned count;
	struct entry **order = NULL;
	const char *name = zip->name;
	int err = 0;

	if (find_end(d, len, &end) < 0)
		return fx_ctx__error(
			ctx, FX_EPARSE,
			len >= 4 && le32(d) == SIG_LOCAL
				? "'%s' is a truncated zip archive: "
				  "it has no end of central "
				  "directory record"
				: "'%s' is not a zip archive",
			name);
	count = le16(d + end + 10);
	cd_size = le32(d + end + 12);
	cd_off = le32(d + end + 16);
	if ((end >= 20 && le32(d + end - 20) == SIG_END64L) ||
	    count == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu)
		return fx_ctx__error(ctx, FX_EUNSUPPORTED,
				     "'%s' is a ZIP64 archive, which facture "
				     "does not read",
				     name);
	if (le16(d + end + 4) || le16(d + end + 6) ||
	    le16(d + end + 8) != count)
		return fx_ctx__error(ctx, FX_EUNSUPPORTED,
				     "'%s' spans several disks, which facture "
				     "does not read",
				     name);
	if (count > FX_ZIP_MAX_ENTRIES)
		return fx_ctx__error(ctx, FX_ETOOBIG,
				     "'%s' has %u members, more than the limit "
				     "of %d",
				     name, count, FX_ZIP_MAX_ENTRIES);
	if (cd_off > end || cd_size > end - cd_off)
		return fx_ctx__error(
			ctx, FX_EPARSE,
			"'%s' is a truncated or damaged zip archive: "
			"its central directory is not where the "
			"end record says",
			name);
	if (count && !(zip->entries = calloc(count, sizeof(*zip->entries))))
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	pos = (size_t) cd_off;
	for (i = 0; i < count; i++) {
		struct entry *e = &zip->entries[i];
		size_t nlen, xlen, clen, lnlen, lxlen;
		uint64_t local;

		if (pos + CENTRAL_LEN > cd_off + cd_size ||
		    le32(d + pos) != SIG_CENTRAL) {
			err = fx_ctx__error(
				ctx, FX_EPARSE,
				"'%s' is a damaged zip archive: "
				"entry %zu of its central directory "
				"is missing or broken",
				name, i + 1);
			goto out;
		}
		nlen = le16(d + pos + 28);
		xlen = le16(d + pos + 30);
		clen = le16(d + pos + 32);
		if (pos + CENTRAL_LEN + nlen + xlen + clen > cd_off + cd_size) {
			err = fx_ctx__error(ctx, FX_EPARSE,
					    "'%s' is a damaged zip archive: "
					    "entry %zu runs past its central "
					    "directory",
					    name, i + 1);
			goto out;
		}
		e->flags = le16(d + pos + 8);
		e->pub.method = (int) le16(d + pos + 10);
		e->pub.crc32 = le32(d + pos + 16);
		e->pub.compressed = le32(d + pos + 20);
		e->pub.size = le32(d + pos + 24);
		local = le32(d + pos + 42);
		if (!(e->pub.name = fx_strndup(
			      (const char *) d + pos + CENTRAL_LEN, nlen))) {
			err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
			goto out;
		}
		zip->n = i + 1;
		e->pub.is_dir = nlen && e->pub.name[nlen - 1] == '/';
		/* a NUL inside the name would hide its end */
		e->pub.safe = strlen(e->pub.name) == nlen &&
			      fx_zip_name_is_safe(e->pub.name);
		pos += CENTRAL_LEN + nlen + xlen + clen;

		if (e->pub.size > fx_ctx_max_size(ctx)) {
			err = fx_ctx__error(ctx, FX_ETOOBIG,
					    "'%s': member '%s' is larger than "
					    "the limit of %zu bytes (%llu "
					    "bytes)",
					    name, e->pub.name,
					    fx_ctx_max_size(ctx), e->pub.size);
			goto out;
		}
		total += e->pub.size;
		if (total > FX_ZIP_MAX_TOTAL) {
			err = fx_ctx__error(ctx, FX_ETOOBIG,
					    "'%s': its members add up to more "
					    "than the limit of %llu bytes",
					    name, FX_ZIP_MAX_TOTAL);
			goto out;
		}
		if (e->pub.size > (1u << 20) &&
		    e->pub.size / FX_ZIP_MAX_RATIO > e->pub.compressed) {
			err = fx_ctx__error(ctx, FX_ETOOBIG,
					    "'%s': member '%s' is compressed "
					    "more than %d times (%llu bytes "
					    "into %llu): a zip bomb",
					    name, e->pub.name, FX_ZIP_MAX_RATIO,
					    e->pub.size, e->pub.compressed);
			goto out;
		}
		/* the local header, where the directory says */
		if (local > cd_off || cd_off - local < LOCAL_LEN ||
		    le32(d + local) != SIG_LOCAL) {
			err = fx_ctx__error(
				ctx, FX_EPARSE,
				"'%s' is a damaged zip archive: the "
				"local header of '%s' is missing",
				name, e->pub.name);
			goto out;
		}
		lnlen = le16(d + local + 26);
		lxlen = le16(d + local + 28);
		e->local = local;
		e->data = local + LOCAL_LEN + lnlen + lxlen;
		if (e->data > cd_off || e->pub.compressed > cd_off - e->data) {
			err = fx_ctx__error(
				ctx, FX_EPARSE,
				"'%s' is a truncated or damaged zip "
				"archive: the data of '%s' runs into "
				"its central directory",
				name, e->pub.name);
			goto out;
		}
	}
	/* members must not share bytes */
	if (count && !(order = malloc(count * sizeof(*order)))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < count; i++)
		order[i] = &zip->entries[i];
	if (count > 1)
		qsort(order, count, sizeof(*order), cmp_local);
	for (i = 1; i < count; i++) {
		if (order[i - 1]->data + order[i - 1]->pub.compressed >
		    order[i]->local) {
			err = fx_ctx__error(
				ctx, FX_EPARSE,
				"'%s': members '%s' and '%s' overlap: "
				"a damaged archive or a zip bomb",
				name, order[i - 1]->pub.name,
				order[i]->pub.name);
			goto out;
		}
	}
out:
	free(order);
	return err;
}

static int zip_open(fx_zip **out, fx_ctx *ctx, const char *name,
		    struct fx_buf *bytes)
{
	fx_zip *zip;
	int err;

	*out = NULL;
	if (!(zip = calloc(1, sizeof(*zip))) ||
	    !(zip->name = fx_strdup(name))) {
		free(zip);
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	}
	zip->bytes = *bytes;
	*bytes = (struct fx_buf) FX_BUF_INIT;
	if ((err = parse(zip, ctx)) < 0) {
		fx_zip_free(zip);
		return err;
	}
	*out = zip;
	return 0;
}

int fx_zip_open_memory(fx_zip **out, fx_ctx *ctx, const char *name,
		       const void *data, size_t len)
{
	struct fx_buf copy = FX_BUF_INIT;
	int err;

	*out = NULL;
	fx_ctx__clear_error(ctx);
	if (!name)
		name = "<memory>";
	if (!data && len)
		return fx_ctx__error(ctx, FX_EINVALID, "no data for '%s'",
				     name);
	if (fx_buf_put(&copy, data, len) < 0)
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	err = zip_open(out, ctx, name, &copy);
	fx_buf_release(&copy);
	return err;
}

int fx_zip_open_file(fx_zip **out, fx_ctx *ctx, const char *path)
{
	struct fx_buf bytes = FX_BUF_INIT;
	int err;

	*out = NULL;
	fx_ctx__clear_error(ctx);
	if ((err = fx_buf_read_file(&bytes, ctx, path, fx_ctx_max_size(ctx))) <
	    0)
		goto out;
	err = zip_open(out, ctx, strcmp(path, "-") ? path : "<stdin>", &bytes);
out:
	fx_buf_release(&bytes);
	return err;
}

static int inflate_exact(struct fx_buf *out, const unsigned char *in,
			 size_t inlen, size_t want)
{
	z_stream zs;
	int zerr;

	if (fx_buf_grow(out, want) < 0)
		return FX_ENOMEM;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK)
		return FX_ENOMEM;
	/* sizes were checked against 4 GiB by the format itself */
	zs.next_in = (unsigned char *) in;
	zs.avail_in = (uInt) inlen;
	zs.next_out = (unsigned char *) out->ptr;
	zs.avail_out = (uInt) want;
	zerr = inflate(&zs, Z_FINISH);
	out->len = want - zs.avail_out;
	out->ptr[out->len] = '\0';
	inflateEnd(&zs);
	if (zerr == Z_MEM_ERROR)
		return FX_ENOMEM;
	/* the right size, and nothing more to come */
	return zerr == Z_STREAM_END && out->len == want ? 0 : FX_EPARSE;
}

int fx_zip_read(const unsigned char **out, size_t *len, fx_ctx *ctx,
		fx_zip *zip, size_t i)
{
	const unsigned char *d = (const unsigned char *) zip->bytes.ptr;
	struct entry *e;
	int err;

	*out = NULL;
	*len = 0;
	fx_ctx__clear_error(ctx);
	if (i >= zip->n)
		return fx_ctx__error(ctx, FX_EINVALID,
				     "'%s' has no member number %zu", zip->name,
				     i + 1);
	e = &zip->entries[i];
	if (e->flags & FLAG_CRYPT)
		return fx_ctx__error(ctx, FX_EUNSUPPORTED,
				     "'%s': member '%s' is encrypted",
				     zip->name, e->pub.name);
	fx_buf_clear(&zip->out);
	if (e->pub.method == 0) {
		if (e->pub.compressed != e->pub.size)
			return fx_ctx__error(ctx, FX_EPARSE,
					     "'%s': member '%s' is stored, but "
					     "its two sizes differ",
					     zip->name, e->pub.name);
		if (fx_buf_put(&zip->out, d + e->data, (size_t) e->pub.size) <
		    0)
			return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	} else if (e->pub.method == 8) {
		err = inflate_exact(&zip->out, d + e->data,
				    (size_t) e->pub.compressed,
				    (size_t) e->pub.size);
		if (err == FX_ENOMEM)
			return fx_ctx__error(ctx, err, "out of memory");
		if (err < 0)
			return fx_ctx__error(
				ctx, FX_EPARSE,
				"'%s': member '%s' is damaged: its "
				"data does not inflate to its "
				"size of %llu bytes",
				zip->name, e->pub.name, e->pub.size);
	} else {
		return fx_ctx__error(ctx, FX_EUNSUPPORTED,
				     "'%s': member '%s' uses compression "
				     "method %d; facture reads stored (0) and "
				     "deflated (8) members",
				     zip->name, e->pub.name, e->pub.method);
	}
	if (!zip->out.ptr && fx_buf_grow(&zip->out, 0) < 0)
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	if (crc32(0L, (const Bytef *) zip->out.ptr, (uInt) zip->out.len) !=
	    e->pub.crc32)
		return fx_ctx__error(ctx, FX_EPARSE,
				     "'%s': member '%s' is damaged: its CRC-32 "
				     "does not match",
				     zip->name, e->pub.name);
	*out = (const unsigned char *) zip->out.ptr;
	*len = zip->out.len;
	return 0;
}

/* ---- writing ------------------------------------------------------ */

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char) v;
	p[1] = (unsigned char) (v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xFFFF);
	put16(p + 2, v >> 16);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static int check_members(fx_ctx *ctx, const fx_zip_member *m, size_t n)
{
	const char **names = NULL;
	uint64_t total = 0;
	size_t i;
	int err = 0;

	if (n > FX_ZIP_MAX_ENTRIES)
		return fx_ctx__error(
			ctx, FX_EINVALID,
			"%zu members are more than the limit of %d", n,
			FX_ZIP_MAX_ENTRIES);
	for (i = 0; i < n; i++) {
		if (!fx_zip_name_is_safe(m[i].name) ||
		    strlen(m[i].name) > 65535)
			return fx_ctx__error(
				ctx, FX_EINVALID,
				"'%s' cannot be the name of a "
				"member: names are relative paths "
				"without '..' or control characters",
				m[i].name ? m[i].name : "");
		if (!m[i].data && m[i].len)
			return fx_ctx__error(ctx, FX_EINVALID,
					     "no data for member '%s'",
					     m[i].name);
		total += m[i].len;
		if (m[i].len > 0xFFFFFFFEu || total > FX_ZIP_MAX_TOTAL)
			return fx_ctx__error(ctx, FX_EINVALID,
					     "the members add up to more than "
					     "the limit of %llu bytes",
					     FX_ZIP_MAX_TOTAL);
	}
	if (n && !(names = malloc(n * sizeof(*names))))
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		names[i] = m[i].name;
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 1; i < n && !err; i++)
		if (!strcmp(names[i - 1], names[i]))
			err = fx_ctx__error(ctx, FX_EINVALID,
					    "two members are named '%s'",
					    names[i]);
	free(names);
	return err;
}

/* Deflate DATA into OUT; 0 when it got smaller, 1 when it did not. */
static int deflate_member(struct fx_buf *out, const void *data, size_t len)
{
	z_stream zs;
	uLong bound;
	int zerr;

	fx_buf_clear(out);
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return FX_ENOMEM;
	bound = deflateBound(&zs, (uLong) len);
	if (fx_buf_grow(out, bound) < 0) {
		deflateEnd(&zs);
		return FX_ENOMEM;
	}
	zs.next_in = (unsigned char *) data;
	zs.avail_in = (uInt) len;
	zs.next_out = (unsigned char *) out->ptr;
	zs.avail_out = (uInt) bound;
	zerr = deflate(&zs, Z_FINISH);
	out->len = bound - zs.avail_out;
	deflateEnd(&zs);
	if (zerr != Z_STREAM_END)
		return FX_ENOMEM;
	return out->len < len ? 0 : 1;
}

int fx_zip_write(fx_ctx *ctx, const fx_zip_member *m, size_t n,
		 fx_write_fn write, void *payload)
{
	struct fx_buf z = FX_BUF_INIT, cd = FX_BUF_INIT;
	unsigned char h[CENTRAL_LEN];
	uint64_t off = 0;
	size_t i;
	int err, stored;

	fx_ctx__clear_error(ctx);
	if (!write)
		return fx_ctx__error(ctx, FX_EINVALID, "no write function");
	if ((err = check_members(ctx, m, n)) < 0)
		return err;
	for (i = 0; i < n; i++) {
		size_t nlen = strlen(m[i].name);
		uint32_t crc = (uint32_t) crc32(0L, (const Bytef *) m[i].data,
						(uInt) m[i].len);
		const char *p;
		unsigned flags = 0;
		const void *body;
		size_t blen;

		for (p = m[i].name; *p; p++)
			if ((unsigned char) *p >= 0x80)
				flags = FLAG_UTF8;
		if ((stored = deflate_member(&z, m[i].data, m[i].len)) < 0) {
			err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
			goto out;
		}
		body = stored ? m[i].data : z.ptr;
		blen = stored ? m[i].len : z.len;
		if (off + LOCAL_LEN + nlen + blen > 0xFFFFFFFEu) {
			err = fx_ctx__error(ctx, FX_EINVALID,
					    "the archive would need ZIP64");
			goto out;
		}
		/* the local header */
		memset(h, 0, sizeof(h));
		put32(h, SIG_LOCAL);
		put16(h + 4, 20);
		put16(h + 6, flags);
		put16(h + 8, stored ? 0 : 8);
		put16(h + 12, DOS_DATE);
		put32(h + 14, crc);
		put32(h + 18, (uint32_t) blen);
		put32(h + 22, (uint32_t) m[i].len);
		put16(h + 26, (unsigned) nlen);
		if (write((const char *) h, LOCAL_LEN, payload) < 0 ||
		    write(m[i].name, nlen, payload) < 0 ||
		    (blen && write(body, blen, payload) < 0)) {
			err = fx_ctx__error(ctx, FX_EIO,
					    "cannot write the archive");
			goto out;
		}
		/* its entry in the central directory */
		memset(h, 0, sizeof(h));
		put32(h, SIG_CENTRAL);
		put16(h + 4, 3u << 8 | 20); /* made on Unix, zip 2.0 */
		put16(h + 6, 20);
		put16(h + 8, flags);
		put16(h + 10, stored ? 0 : 8);
		put16(h + 14, DOS_DATE);
		put32(h + 16, crc);
		put32(h + 20, (uint32_t) blen);
		put32(h + 24, (uint32_t) m[i].len);
		put16(h + 28, (unsigned) nlen);
		put32(h + 38, (uint32_t) 0100644 << 16); /* -rw-r--r-- */
		put32(h + 42, (uint32_t) off);
		if (fx_buf_put(&cd, h, CENTRAL_LEN) < 0 ||
		    fx_buf_put(&cd, m[i].name, nlen) < 0) {
			err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
			goto out;
		}
		off += LOCAL_LEN + nlen + blen;
	}
	if (off + cd.len > 0xFFFFFFFEu) {
		err = fx_ctx__error(ctx, FX_EINVALID,
				    "the archive would need ZIP64");
		goto out;
	}
	memset(h, 0, sizeof(h));
	put32(h, SIG_END);
	put16(h + 8, (unsigned) n);
	put16(h + 10, (unsigned) n);
	put32(h + 12, (uint32_t) cd.len);
	put32(h + 16, (uint32_t) off);
	if ((cd.len && write(cd.ptr, cd.len, payload) < 0) ||
	    write((const char *) h, END_LEN, payload) < 0) {
		err = fx_ctx__error(ctx, FX_EIO, "cannot write the archive");
		goto out;
	}
	err = 0;
out:
	fx_buf_release(&z);
	fx_buf_release(&cd);
	return err;
}
