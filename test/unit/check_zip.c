/* SPDX-License-Identifier: MIT */
/*
 * check_zip.c - unit tests of the zip reader and writer (fx_zip_*)
 *
 * Archives come from our writer, then are broken on purpose by editing
 * their bytes at the offsets the format defines; an independent reader
 * (Python's zipfile) checks the writer in test/pdf/zip.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "helpers.h"

static const char xml[] =
	"<?xml version=\"1.0\"?>\n<Invoice>"
	"<Line>one</Line><Line>one</Line><Line>one</Line><Line>one</Line>"
	"<Line>one</Line><Line>one</Line><Line>one</Line><Line>one</Line>"
	"</Invoice>\n";

/* An archive of N members from our writer. */
static struct tbuf write_zip(fx_ctx *ctx, const fx_zip_member *m, size_t n)
{
	struct tbuf b = TBUF_INIT;

	ck_assert_int_eq(fx_zip_write(ctx, m, n, tbuf_write, &b), 0);
	return b;
}

static fx_zip *open_ok(fx_ctx *ctx, const struct tbuf *b)
{
	fx_zip *zip = NULL;
	int err = fx_zip_open_memory(&zip, ctx, "t.zip", b->ptr, b->len);

	ck_assert_msg(err == 0, "open: %d %s", err,
		      fx_ctx_last_error(ctx)->message);
	return zip;
}

static int open_err(fx_ctx *ctx, const void *data, size_t len)
{
	fx_zip *zip = NULL;
	int err = fx_zip_open_memory(&zip, ctx, "t.zip", data, len);

	fx_zip_free(zip);
	return err;
}

/* Offsets in our writer's output: the first local header is at 0; the
 * central directory follows the data; the end record is the last 22
 * bytes. */
static size_t end_at(const struct tbuf *b)
{
	return b->len - 22;
}

static unsigned long rd32(const struct tbuf *b, size_t at)
{
	const unsigned char *p = (const unsigned char *) b->ptr + at;

	return (unsigned long) p[0] | (unsigned long) p[1] << 8 |
	       (unsigned long) p[2] << 16 | (unsigned long) p[3] << 24;
}

static void wr16(struct tbuf *b, size_t at, unsigned v)
{
	b->ptr[at] = (char) (v & 0xFF);
	b->ptr[at + 1] = (char) (v >> 8);
}

static void wr32(struct tbuf *b, size_t at, unsigned long v)
{
	wr16(b, at, (unsigned) (v & 0xFFFF));
	wr16(b, at + 2, (unsigned) (v >> 16));
}

START_TEST(written_members_read_back_the_same)
{
	unsigned char noise[4096];
	fx_zip_member m[4];
	fx_ctx *ctx = t_ctx();
	struct tbuf b;
	fx_zip *zip;
	const unsigned char *d;
	size_t len, i;

	for (i = 0; i < sizeof(noise); i++)
		noise[i] = (unsigned char) (i * 7919 % 251 ^ (i >> 3));
	m[0] = (fx_zip_member){ "a/invoice.xml", xml, strlen(xml) };
	m[1] = (fx_zip_member){ "empty.xml", "", 0 };
	m[2] = (fx_zip_member){ "noise.bin", noise, sizeof(noise) };
	m[3] = (fx_zip_member){ "facture-\xC3\xA9t\xC3\xA9.xml", xml, 10 };
	b = write_zip(ctx, m, 4);
	zip = open_ok(ctx, &b);
	ck_assert_str_eq(fx_zip_name(zip), "t.zip");
	ck_assert_uint_eq(fx_zip_count(zip), 4);
	for (i = 0; i < 4; i++) {
		const fx_zip_entry *e = fx_zip_get(zip, i);

		ck_assert_str_eq(e->name, m[i].name);
		ck_assert_uint_eq(e->size, m[i].len);
		ck_assert_int_eq(e->safe, 1);
		ck_assert_int_eq(e->is_dir, 0);
		ck_assert_int_eq(fx_zip_read(&d, &len, ctx, zip, i), 0);
		ck_assert_uint_eq(len, m[i].len);
		ck_assert(memcmp(d, m[i].data, len) == 0);
	}
	/* repetitive XML is deflated; the empty member is stored */
	ck_assert_int_eq(fx_zip_get(zip, 0)->method, 8);
	ck_assert_uint_lt(fx_zip_get(zip, 0)->compressed, strlen(xml));
	ck_assert_int_eq(fx_zip_get(zip, 1)->method, 0);
	ck_assert_ptr_null(fx_zip_get(zip, 4));
	ck_assert_int_eq(fx_zip_read(&d, &len, ctx, zip, 4), FX_EINVALID);
	fx_zip_free(zip);
	fx_ctx_free(ctx);
	tbuf_release(&b);
}
END_TEST

START_TEST(the_same_members_make_the_same_archive)
{
	fx_zip_member m[2] = { { "x.xml", xml, strlen(xml) },
			       { "y.xml", xml, 5 } };
	fx_ctx *ctx = t_ctx();
	struct tbuf a = write_zip(ctx, m, 2), b = write_zip(ctx, m, 2);

	ck_assert_uint_eq(a.len, b.len);
	ck_assert(memcmp(a.ptr, b.ptr, a.len) == 0);
	fx_ctx_free(ctx);
	tbuf_release(&a);
	tbuf_release(&b);
}
END_TEST

static const struct {
	const char *name;
	int safe;
} names[] = {
	{ "invoice.xml", 1 },
	{ "2025/01/invoice.xml", 1 },
	{ "dir/", 1 },
	{ "../evil.xml", 0 },
	{ "a/../../evil", 0 },
	{ "/etc/passwd", 0 },
	{ "C:evil", 0 },
	{ "a\\b.xml", 0 },
	{ "a//b.xml", 0 },
	{ "./a.xml", 0 },
	{ "tab\there.xml", 0 },
	{ "", 0 },
	{ "..", 0 },
	{ "a/..", 0 },
	{ "...xml", 1 },
	{ "a/.hidden.xml", 1 },
};

START_TEST(member_names_are_judged_safe_or_not)
{
	ck_assert_msg(fx_zip_name_is_safe(names[_i].name) == names[_i].safe,
		      "'%s' should be %s", names[_i].name,
		      names[_i].safe ? "safe" : "unsafe");
}
END_TEST

START_TEST(reader_flags_unsafe_names_the_writer_refused)
{
	fx_zip_member m = { "aa/evil.xml", xml, 10 };
	fx_ctx *ctx = t_ctx();
	struct tbuf b = write_zip(ctx, &m, 1);
	size_t cd = rd32(&b, end_at(&b) + 16);
	fx_zip *zip;

	/* rename "aa/evil.xml" to "../evil.xml" in both headers */
	memcpy(b.ptr + 30, "..", 2);
	memcpy(b.ptr + cd + 46, "..", 2);
	zip = open_ok(ctx, &b);
	ck_assert_str_eq(fx_zip_get(zip, 0)->name, "../evil.xml");
	ck_assert_int_eq(fx_zip_get(zip, 0)->safe, 0);
	fx_zip_free(zip);
	fx_ctx_free(ctx);
	tbuf_release(&b);
}
END_TEST

START_TEST(writer_refuses_bad_member_lists)
{
	fx_zip_member bad[][2] = {
		{ { "../x.xml", "a", 1 }, { "y.xml", "b", 1 } },
		{ { "x.xml", "a", 1 }, { "x.xml", "b", 1 } },
		{ { "", "a", 1 }, { "y.xml", "b", 1 } },
		{ { "x.xml", NULL, 5 }, { "y.xml", "b", 1 } },
	};
	fx_ctx *ctx = t_ctx();
	struct tbuf b = TBUF_INIT;

	ck_assert_int_eq(fx_zip_write(ctx, bad[_i], 2, tbuf_write, &b),
			 FX_EINVALID);
	ck_assert_uint_eq(b.len, 0); /* nothing written */
	fx_ctx_free(ctx);
	tbuf_release(&b);
}
END_TEST

static int failing_write(const char *data, size_t len, void *payload)
{
	(void) data;
	(void) len;
	(void) payload;
	return -1;
}

START_TEST(writer_reports_a_failed_write)
{
	fx_zip_member m = { "x.xml", xml, 10 };
	fx_ctx *ctx = t_ctx();

	ck_assert_int_eq(fx_zip_write(ctx, &m, 1, failing_write, NULL), FX_EIO);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(not_a_zip_or_truncated_fails_with_eparse)
{
	fx_zip_member m[2] = { { "x.xml", xml, strlen(xml) },
			       { "y.xml", xml, 30 } };
	fx_ctx *ctx = t_ctx();
	struct tbuf b = write_zip(ctx, m, 2);
	size_t cut;

	ck_assert_int_eq(open_err(ctx, "hello", 5), FX_EPARSE);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "not a zip"));
	ck_assert_int_eq(open_err(ctx, b.ptr, b.len - 30), FX_EPARSE);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "truncated"));
	/* no cut of a good archive opens, none crashes */
	for (cut = 0; cut < b.len; cut++)
		ck_assert_int_eq(open_err(ctx, b.ptr, cut), FX_EPARSE);
	ck_assert_int_eq(open_err(ctx, b.ptr, b.len), 0);
	fx_ctx_free(ctx);
	tbuf_release(&b);
}
END_TEST

START_TEST(overlapping_members_are_refused)
{
	fx_zip_member m[2] = { { "x.xml", xml, strlen(xml) },
			       { "y.xml", xml, strlen(xml) } };
	fx_ctx *ctx = t_ctx();
	struct tbuf b = write_zip(ctx, m, 2);
	size_t cd = rd32(&b, end_at(&b) + 16);
	size_t second = cd + 46 + 5; /* after the first entry and its name */

	/* the second entry points at the first member's local header: the
	 * same bytes twice (names differ only in the central directory) */
	wr32(&b, second + 42, 0);
	ck_assert_int_eq(open_err(ctx, b.ptr, b.len), FX_EPARSE);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "overlap"));
	fx_ctx_free(ctx);
	tbuf_release(&b);
}
END_TEST

START_TEST(zip_bombs_are_refused)
{
	size_t big = (size_t) 16 << 20;
	char *zeros = calloc(1, big);
	fx_zip_member m = { "zeros.xml", zeros, big };
	fx_ctx *ctx = t_ctx();
	struct tbuf b;

	ck_assert_ptr_nonnull(zeros);
	b = write_zip(ctx, &m, 1);
	/* compressed about a thousandfold */
	ck_assert_int_eq(open_err(ctx, b.ptr, b.len), FX_ETOOBIG);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "zip bomb"));
	/* a member over the context's limit */
	fx_ctx_set_max_size(ctx, 1 << 20);
	ck_assert_int_eq(open_err(ctx, b.ptr, b.len), FX_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message, "limit"));
	fx_ctx_free(ctx);
	tbuf_release(&b);
	free(zeros);
}
END_TEST

START_TEST(lying_sizes_are_caught)
{
	fx_zip_member m = { "x.xml", xml, strlen(xml) };
	fx_ctx *ctx = t_ctx();
	struct tbuf b = write_zip(ctx, &m, 1);
	size_t cd = rd32(&b, end_at(&b) + 16);
	fx_zip *zip;
	const unsigned char *d;
	size_t len;

	/* declared one byte shorter than it inflates to */
	wr32(&b, cd + 24, strlen(xml) - 1);
	zip = open_ok(ctx, &b);
	ck_assert_int_eq(fx_zip_read(&d, &len, ctx, zip, 0), FX_EPARSE);
	fx_zip_free(zip);
	/* the right size, a wrong CRC */
	wr32(&b, cd + 24, strlen(xml));
	wr32(&b, cd + 16, 12345);
	zip = open_ok(ctx, &b);
	ck_assert_int_eq(fx_zip_read(&d, &len, ctx, zip, 0), FX_EPARSE);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "CRC-32"));
	fx_zip_free(zip);
	/* a method we do not know, and encryption */
	wr16(&b, cd + 10, 12);
	zip = open_ok(ctx, &b);
	ck_assert_int_eq(fx_zip_read(&d, &len, ctx, zip, 0), FX_EUNSUPPORTED);
	fx_zip_free(zip);
	wr16(&b, cd + 10, 8);
	wr16(&b, cd + 8, 1);
	zip = open_ok(ctx, &b);
	ck_assert_int_eq(fx_zip_read(&d, &len, ctx, zip, 0), FX_EUNSUPPORTED);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "encrypted"));
	fx_zip_free(zip);
	fx_ctx_free(ctx);
	tbuf_release(&b);
}
END_TEST

START_TEST(end_record_limits_are_enforced)
{
	fx_zip_member m = { "x.xml", xml, 10 };
	fx_ctx *ctx = t_ctx();
	struct tbuf b = write_zip(ctx, &m, 1);
	size_t end = end_at(&b);

	wr16(&b, end + 8, 20000);
	wr16(&b, end + 10, 20000);
	ck_assert_int_eq(open_err(ctx, b.ptr, b.len), FX_ETOOBIG);
	wr16(&b, end + 8, 0xFFFF);
	wr16(&b, end + 10, 0xFFFF);
	ck_assert_int_eq(open_err(ctx, b.ptr, b.len), FX_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message, "ZIP64"));
	wr16(&b, end + 8, 1);
	wr16(&b, end + 10, 1);
	wr16(&b, end + 4, 1); /* disk 1 */
	ck_assert_int_eq(open_err(ctx, b.ptr, b.len), FX_EUNSUPPORTED);
	wr16(&b, end + 4, 0);
	wr16(&b, end + 10, 2); /* says two, has one */
	wr16(&b, end + 8, 2);
	ck_assert_int_eq(open_err(ctx, b.ptr, b.len), FX_EPARSE);
	fx_ctx_free(ctx);
	tbuf_release(&b);
}
END_TEST

START_TEST(every_byte_flipped_is_read_cleanly)
{
	fx_zip_member m[2] = { { "x.xml", xml, strlen(xml) },
			       { "y/z.xml", xml, 40 } };
	fx_ctx *ctx = t_ctx();
	struct tbuf b = write_zip(ctx, m, 2);
	size_t at;

	for (at = 0; at < b.len; at++) {
		fx_zip *zip = NULL;
		const unsigned char *d;
		size_t len, i;

		b.ptr[at] ^= 0x5A;
		if (fx_zip_open_memory(&zip, ctx, "t.zip", b.ptr, b.len) == 0) {
			for (i = 0; i < fx_zip_count(zip); i++)
				if (fx_zip_read(&d, &len, ctx, zip, i) == 0)
					ck_assert_uint_eq(
						len, fx_zip_get(zip, i)->size);
			fx_zip_free(zip);
		}
		b.ptr[at] ^= 0x5A;
	}
	fx_ctx_free(ctx);
	tbuf_release(&b);
}
END_TEST

/* Python's zipfile, an independent reader: it tests the CRCs, then
 * extracts, and the files must be the members. */
START_TEST(python_zipfile_reads_what_we_write)
{
	fx_zip_member m[3] = { { "a/invoice.xml", xml, strlen(xml) },
			       { "empty.xml", "", 0 },
			       { "\xC3\xA9t\xC3\xA9.xml", xml, 20 } };
	fx_ctx *ctx = t_ctx();
	struct tbuf b = write_zip(ctx, m, 3);
	char *dir = t_tmpdir(), *zip = t_path(dir, "our.zip"), *cmd = NULL;
	size_t i;

	if (system("python3 -c 'import zipfile' 2>/dev/null") != 0) {
		fprintf(stderr, "python3 is missing: test skipped\n");
		goto out;
	}
	t_write_file(zip, b.ptr, b.len);
	ck_assert_int_ge(asprintf(&cmd,
				  "cd '%s' && python3 -m zipfile -t our.zip "
				  ">/dev/null && python3 -m zipfile -e our.zip "
				  "x",
				  dir),
			 0);
	ck_assert_int_eq(system(cmd), 0);
	for (i = 0; i < 3; i++) {
		char *sub = t_path(dir, "x"), *path = t_path(sub, m[i].name);
		size_t len;
		char *got = t_read_file(path, &len);

		ck_assert_uint_eq(len, m[i].len);
		ck_assert(memcmp(got, m[i].data, len) == 0);
		free(got);
		free(path);
		free(sub);
	}
out:
	t_rmtree(dir);
	free(cmd);
	free(zip);
	free(dir);
	fx_ctx_free(ctx);
	tbuf_release(&b);
}
END_TEST

static Suite *zip_suite(void)
{
	Suite *s = suite_create("zip");
	TCase *tc = tcase_create("zip");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, written_members_read_back_the_same);
	tcase_add_test(tc, the_same_members_make_the_same_archive);
	tcase_add_loop_test(tc, member_names_are_judged_safe_or_not, 0,
			    (int) (sizeof(names) / sizeof(names[0])));
	tcase_add_test(tc, reader_flags_unsafe_names_the_writer_refused);
	tcase_add_loop_test(tc, writer_refuses_bad_member_lists, 0, 4);
	tcase_add_test(tc, writer_reports_a_failed_write);
	tcase_add_test(tc, not_a_zip_or_truncated_fails_with_eparse);
	tcase_add_test(tc, overlapping_members_are_refused);
	tcase_add_test(tc, zip_bombs_are_refused);
	tcase_add_test(tc, lying_sizes_are_caught);
	tcase_add_test(tc, end_record_limits_are_enforced);
	tcase_add_test(tc, every_byte_flipped_is_read_cleanly);
	tcase_add_test(tc, python_zipfile_reads_what_we_write);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(zip_suite());
}
