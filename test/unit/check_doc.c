/* SPDX-License-Identifier: MIT */
/*
 * check_doc.c - unit tests of fx_doc: loading, recognising, safe parsing
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "helpers.h"

#define NS_INV "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
#define NS_CN  "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
#define NS_CBC \
	"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
#define NS_CAC                                          \
	"urn:oasis:names:specification:ubl:schema:xsd:" \
	"CommonAggregateComponents-2"
#define NS_RSM "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
#define NS_RAM                                 \
	"urn:un:unece:uncefact:data:standard:" \
	"ReusableAggregateBusinessInformationEntity:100"
#define NS_ZF1 "urn:ferd:CrossIndustryDocument:invoice:1p0"
#define NS_ZF1_RAM                             \
	"urn:un:unece:uncefact:data:standard:" \
	"ReusableAggregateBusinessInformationEntity:12"

static const char ubl_invoice[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<Invoice xmlns=\"" NS_INV "\" xmlns:cbc=\"" NS_CBC "\">\n"
	"  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>\n"
	"  <cbc:ID>1</cbc:ID>\n"
	"</Invoice>\n";

static const char ubl_creditnote[] =
	"<CreditNote xmlns=\"" NS_CN "\" xmlns:cbc=\"" NS_CBC "\">"
	"<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>"
	"</CreditNote>";

static const char cii_invoice[] =
	"<rsm:CrossIndustryInvoice xmlns:rsm=\"" NS_RSM "\" xmlns:ram=\"" NS_RAM
	"\">\n"
	" <rsm:ExchangedDocumentContext>\n"
	"  <ram:GuidelineSpecifiedDocumentContextParameter>\n"
	"   <ram:ID>urn:cen.eu:en16931:2017</ram:ID>\n"
	"  </ram:GuidelineSpecifiedDocumentContextParameter>\n"
	" </rsm:ExchangedDocumentContext>\n"
	"</rsm:CrossIndustryInvoice>\n";

static const char zugferd1[] =
	"<rsm:CrossIndustryDocument xmlns:rsm=\"" NS_ZF1
	"\" xmlns:ram=\"" NS_ZF1_RAM "\">\n"
	" <rsm:SpecifiedExchangedDocumentContext>\n"
	"  <ram:GuidelineSpecifiedDocumentContextParameter>\n"
	"   "
	"<ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:comfort</ram:ID>\n"
	"  </ram:GuidelineSpecifiedDocumentContextParameter>\n"
	" </rsm:SpecifiedExchangedDocumentContext>\n"
	"</rsm:CrossIndustryDocument>\n";

/* ---- fixtures ------------------------------------------------------ */

static fx_doc *load_mem(fx_ctx *ctx, const char *name, const void *data,
			size_t len)
{
	fx_doc *doc = NULL;
	int err = fx_doc_load_memory(&doc, ctx, name, data, len);

	ck_assert_msg(err == 0, "load of '%s' failed: %d %s", name, err,
		      fx_ctx_last_error(ctx)->message);
	ck_assert_ptr_nonnull(doc);
	return doc;
}

static fx_doc *load_str(fx_ctx *ctx, const char *s)
{
	return load_mem(ctx, "test.xml", s, strlen(s));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/*
 * A listening socket on the loopback interface, to tell whether the parser
 * tried to fetch anything: after the load, a connection waiting in the
 * backlog means it did.
 */
static int listen_local(int *port)
{
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *) &addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &addr, &alen), 0);
	*port = ntohs(addr.sin_port);
	return fd;
}

static int someone_connected(int fd)
{
	int c = accept(fd, NULL, NULL);

	if (c >= 0) {
		close(c);
		return 1;
	}
	ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "accept: %s",
		      strerror(errno));
	return 0;
}

/* Run a load with BYTES on standard input, then put stdin back. */
static int load_stdin_from_fd(fx_doc **out, fx_ctx *ctx, int fd)
{
	int saved = dup(STDIN_FILENO), err;

	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, STDIN_FILENO), 0);
	close(fd);
	err = fx_doc_load_file(out, ctx, "-");
	ck_assert_int_ge(dup2(saved, STDIN_FILENO), 0);
	close(saved);
	return err;
}

static int pipe_with(const char *data, size_t len)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	/* small enough for the pipe buffer: no writer thread needed */
	ck_assert_uint_lt(len, 60000);
	ck_assert_int_eq(write(p[1], data, len), (ssize_t) len);
	close(p[1]);
	return p[0];
}

/* ---- loading ------------------------------------------------------- */

START_TEST(load_file_reads_a_ubl_invoice)
{
	fx_ctx *ctx = t_ctx();
	char *path = t_example_path("invoice-ubl.xml");
	fx_doc *doc = NULL;

	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), 0);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(fx_doc_name(doc), path);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	ck_assert_str_eq(fx_doc_root_name(doc), "Invoice");
	ck_assert_str_eq(fx_doc_root_namespace(doc), NS_INV);
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_EN16931);
	ck_assert_str_eq(fx_doc_profile_id(doc), "urn:cen.eu:en16931:2017");
	ck_assert_int_eq(fx_ctx_last_error(ctx)->code, FX_OK);
	fx_doc_free(doc);
	free(path);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(load_memory_keeps_its_own_copy_of_the_bytes)
{
	fx_ctx *ctx = t_ctx();
	size_t len;
	char *bytes = t_example("invalid/invoice-ubl.xml", &len);
	fx_doc *doc = load_mem(ctx, "copy.xml", bytes, len);
	fx_report *report = NULL;
	const fx_finding *f;
	unsigned long line, column;

	/* the element the schema layer stops at, where the IssueDate was */
	t_position(bytes, "<cbc:DueDate>", &line, &column);
	/* validation needs the source bytes (columns): they must be ours */
	memset(bytes, '#', len);
	free(bytes);
	ck_assert_int_eq(fx_validate(&report, ctx, doc, &t_schema_only), 0);
	ck_assert_int_eq(fx_report_outcome(report), FX_OUTCOME_INVALID);
	ck_assert_uint_eq(fx_report_count(report), 1);
	f = fx_report_get(report, 0);
	ck_assert_uint_eq(f->line, line);
	ck_assert_uint_eq(f->column, column);
	fx_report_free(report);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(load_memory_without_name_is_called_memory)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = load_mem(ctx, NULL, ubl_invoice, strlen(ubl_invoice));

	ck_assert_str_eq(fx_doc_name(doc), "<memory>");
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(load_memory_with_null_data_fails_with_einvalid)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = NULL;

	ck_assert_int_eq(fx_doc_load_memory(&doc, ctx, "n.xml", NULL, 10),
			 FX_EINVALID);
	ck_assert_ptr_null(doc);
	ck_assert_int_eq(fx_ctx_last_error(ctx)->code, FX_EINVALID);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(load_memory_of_nothing_is_not_xml)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = load_mem(ctx, "empty", NULL, 0);

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UNKNOWN);
	ck_assert_ptr_null(fx_doc_root_name(doc));
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(load_stdin_reads_a_pipe)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = NULL;
	int fd = pipe_with(cii_invoice, strlen(cii_invoice));

	ck_assert_int_eq(load_stdin_from_fd(&doc, ctx, fd), 0);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(fx_doc_name(doc), "<stdin>");
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_CII);
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_EN16931);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(load_stdin_reads_a_file_larger_than_one_read)
{
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir(), *path = t_path(dir, "big.xml");
	struct tbuf b = TBUF_INIT;
	fx_doc *doc = NULL;
	int i, fd;

	/* well over the loader's 64 KiB chunk */
	tbuf_puts(&b, "<Invoice xmlns=\"" NS_INV "\">");
	for (i = 0; i < 20000; i++)
		tbuf_puts(&b, "<!-- padding -->");
	tbuf_puts(&b, "</Invoice>");
	ck_assert_uint_gt(b.len, 200000);
	t_write_file(path, b.ptr, b.len);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(load_stdin_from_fd(&doc, ctx, fd), 0);
	ck_assert_str_eq(fx_doc_name(doc), "<stdin>");
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	fx_doc_free(doc);
	tbuf_release(&b);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(load_stdin_over_the_limit_fails_with_etoobig)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = NULL;
	int fd = pipe_with(ubl_invoice, strlen(ubl_invoice));

	fx_ctx_set_max_size(ctx, 50);
	ck_assert_int_eq(load_stdin_from_fd(&doc, ctx, fd), FX_ETOOBIG);
	ck_assert_ptr_null(doc);
	ck_assert_int_eq(fx_ctx_last_error(ctx)->code, FX_ETOOBIG);
	ck_assert_str_eq(fx_ctx_last_error(ctx)->message,
			 "'<stdin>' is larger than the limit of 50 bytes");
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(load_closed_stdin_fails_with_eio)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = NULL;
	int saved = dup(STDIN_FILENO), err;

	ck_assert_int_ge(saved, 0);
	close(STDIN_FILENO);
	err = fx_doc_load_file(&doc, ctx, "-");
	ck_assert_int_ge(dup2(saved, STDIN_FILENO), 0);
	close(saved);
	ck_assert_int_eq(err, FX_EIO);
	ck_assert_ptr_null(doc);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message,
				     "cannot read '<stdin>'"));
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(load_missing_file_fails_with_eio)
{
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir(), *path = t_path(dir, "missing.xml");
	const fx_error *e;
	fx_doc *doc = (fx_doc *) 1;
	char *want = NULL;

	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), FX_EIO);
	ck_assert_ptr_null(doc);
	e = fx_ctx_last_error(ctx);
	ck_assert_int_eq(e->code, FX_EIO);
	ck_assert_int_ge(
		asprintf(&want, "cannot open '%s': %s", path, strerror(ENOENT)),
		0);
	ck_assert_str_eq(e->message, want);
	free(want);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(load_directory_fails_with_eio)
{
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir();
	fx_doc *doc = NULL;

	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, dir), FX_EIO);
	ck_assert_ptr_null(doc);
	ck_assert_int_eq(fx_ctx_last_error(ctx)->code, FX_EIO);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message, dir));
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, strerror(EISDIR)));
	t_rmtree(dir);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

/* The load of PATH, as a process that may not read it: 0 when it failed
 * with FX_EIO saying "Permission denied", 1 otherwise. */
static int unreadable_load_as(uid_t uid, const char *path)
{
	fx_ctx *ctx = NULL;
	fx_doc *doc = NULL;
	int err;

	if (uid != geteuid() && (setgid(uid) < 0 || setuid(uid) < 0))
		return 2;
	if (fx_ctx_new(&ctx) < 0)
		return 3;
	err = fx_doc_load_file(&doc, ctx, path);
	err = err == FX_EIO && !doc &&
			      strstr(fx_ctx_last_error(ctx)->message,
				     strerror(EACCES))
		      ? 0
		      : 1;
	fx_doc_free(doc);
	fx_ctx_free(ctx);
	return err;
}

START_TEST(load_unreadable_file_fails_with_eio)
{
	char *dir = t_tmpdir(), *path = t_path(dir, "secret.xml");
	int status = 0;
	pid_t pid;

	t_write_file(path, ubl_invoice, strlen(ubl_invoice));
	ck_assert_int_eq(chmod(path, 0), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	/* root reads anything: try as nobody, in a process of its own */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int rc = unreadable_load_as(geteuid() == 0 ? 65534 : geteuid(),
					    path);

		/* leak checkers look at this process too */
		free(path);
		free(dir);
		_exit(rc);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "exit status %d",
		      WEXITSTATUS(status));
	t_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(successful_load_clears_the_last_error)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = NULL;

	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, "/nonexistent/x.xml"),
			 FX_EIO);
	ck_assert_int_eq(fx_ctx_last_error(ctx)->code, FX_EIO);
	doc = load_str(ctx, ubl_invoice);
	ck_assert_int_eq(fx_ctx_last_error(ctx)->code, FX_OK);
	ck_assert_str_eq(fx_ctx_last_error(ctx)->message, "");
	ck_assert_ptr_null(fx_ctx_last_error(ctx)->file);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(new_context_has_defaults_and_no_error)
{
	fx_ctx *ctx = t_ctx();
	const fx_error *e = fx_ctx_last_error(ctx);

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->code, FX_OK);
	ck_assert_ptr_nonnull(e->message);
	ck_assert_str_eq(e->message, "");
	ck_assert_uint_eq(e->line, 0);
	ck_assert_uint_eq(fx_ctx_max_size(ctx), FX_DEFAULT_MAX_SIZE);
	ck_assert_uint_eq(FX_DEFAULT_MAX_SIZE, 100u * 1024 * 1024);
	fx_ctx_set_max_size(ctx, 1234);
	ck_assert_uint_eq(fx_ctx_max_size(ctx), 1234);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- recognising by content ---------------------------------------- */

START_TEST(ubl_invoice_is_recognised)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = load_str(ctx, ubl_invoice);

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	ck_assert_str_eq(fx_doc_root_name(doc), "Invoice");
	ck_assert_str_eq(fx_doc_root_namespace(doc), NS_INV);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(ubl_creditnote_is_recognised)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = load_str(ctx, ubl_creditnote);

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_CREDITNOTE);
	ck_assert_str_eq(fx_doc_root_name(doc), "CreditNote");
	ck_assert_str_eq(fx_doc_root_namespace(doc), NS_CN);
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_EN16931);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(cii_invoice_is_recognised)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = load_str(ctx, cii_invoice);

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_CII);
	ck_assert_str_eq(fx_doc_root_name(doc), "CrossIndustryInvoice");
	ck_assert_str_eq(fx_doc_root_namespace(doc), NS_RSM);
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_EN16931);
	ck_assert_str_eq(fx_doc_profile_id(doc), "urn:cen.eu:en16931:2017");
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(zugferd1_document_is_recognised_with_its_profile_id)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = load_str(ctx, zugferd1);

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_ZUGFERD1);
	ck_assert_str_eq(fx_doc_root_name(doc), "CrossIndustryDocument");
	ck_assert_str_eq(fx_doc_root_namespace(doc), NS_ZF1);
	ck_assert_pstr_eq(fx_doc_profile_id(doc),
			  "urn:ferd:CrossIndustryDocument:invoice:1p0:comfort");
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_UNKNOWN);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(pdf_is_recognised_by_its_magic)
{
	static const char pdf[] =
		"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n";
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = load_mem(ctx, "a.pdf", pdf, sizeof(pdf) - 1);

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_PDF);
	ck_assert_ptr_null(fx_doc_root_name(doc));
	ck_assert_ptr_null(fx_doc_root_namespace(doc));
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_NONE);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(pdf_header_after_leading_junk_is_still_pdf)
{
	struct tbuf b = TBUF_INIT;
	fx_ctx *ctx = t_ctx();
	fx_doc *doc;
	int i;

	for (i = 0; i < 100; i++)
		tbuf_puts(&b, "junk ");
	tbuf_puts(&b, "%PDF-1.4\n");
	doc = load_mem(ctx, "junk.pdf", b.ptr, b.len);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_PDF);
	fx_doc_free(doc);
	tbuf_release(&b);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(xml_invoice_mentioning_the_pdf_magic_is_still_xml)
{
	fx_ctx *ctx = t_ctx();
	char *xml =
		t_replace(ubl_invoice, "<cbc:ID>1</cbc:ID>",
			  "<!-- made from facture.pdf (%PDF-1.7, PDF/A-3) -->"
			  "<cbc:ID>1</cbc:ID>");
	fx_doc *doc = load_str(ctx, xml);

	/* it starts as XML: a PDF header further on is only text */
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_EN16931);
	fx_doc_free(doc);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(xml_file_holding_a_pdf_is_pdf)
{
	static const char pdf[] = "%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir(), *path = t_path(dir, "invoice.xml");
	fx_doc *doc = NULL;

	t_write_file(path, pdf, sizeof(pdf) - 1);
	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), 0);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_PDF);
	fx_doc_free(doc);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(pdf_file_holding_an_invoice_is_the_invoice)
{
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir(), *path = t_path(dir, "invoice.pdf");
	fx_doc *doc = NULL;

	t_write_file(path, ubl_creditnote, strlen(ubl_creditnote));
	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), 0);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_CREDITNOTE);
	fx_doc_free(doc);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(zip_is_recognised_by_its_magic)
{
	static const char zip[] = "PK\3\4\x14\0\0\0\0\0junk";
	static const char empty_zip[] =
		"PK\5\6\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir(), *path = t_path(dir, "invoice.xml");
	fx_doc *doc;

	doc = load_mem(ctx, "a.zip", zip, sizeof(zip) - 1);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_ZIP);
	ck_assert_ptr_null(fx_doc_root_name(doc));
	fx_doc_free(doc);
	doc = load_mem(ctx, "empty.zip", empty_zip, sizeof(empty_zip) - 1);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_ZIP);
	fx_doc_free(doc);
	/* by content, never by name */
	t_write_file(path, zip, sizeof(zip) - 1);
	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), 0);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_ZIP);
	fx_doc_free(doc);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(other_xml_keeps_its_root_name_and_namespace)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = load_str(
		ctx, "<?xml version=\"1.0\"?>\n"
		     "<p:Order "
		     "xmlns:p=\"urn:example:order\"><p:ID>1</p:ID></p:Order>");

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_OTHER_XML);
	ck_assert_str_eq(fx_doc_root_name(doc), "Order");
	ck_assert_str_eq(fx_doc_root_namespace(doc), "urn:example:order");
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_NONE);
	ck_assert_ptr_null(fx_doc_profile_id(doc));
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(other_xml_without_namespace_has_an_empty_namespace)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = load_str(ctx, "<Invoice><ID>1</ID></Invoice>");

	/* the right name is not enough */
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_OTHER_XML);
	ck_assert_str_eq(fx_doc_root_name(doc), "Invoice");
	ck_assert_str_eq(fx_doc_root_namespace(doc), "");
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(known_namespace_with_the_wrong_root_is_other_xml)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc;

	doc = load_str(ctx, "<CreditNote xmlns=\"" NS_INV "\"/>");
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_OTHER_XML);
	ck_assert_str_eq(fx_doc_root_name(doc), "CreditNote");
	fx_doc_free(doc);
	doc = load_str(ctx,
		       "<rsm:CrossIndustryDocument xmlns:rsm=\"" NS_RSM "\"/>");
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_OTHER_XML);
	fx_doc_free(doc);
	doc = load_str(ctx, "<Invoice xmlns=\"" NS_CN "\"/>");
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_OTHER_XML);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(text_that_is_not_xml_is_unknown)
{
	static const char csv[] = "invoice;amount\nFA-1;100.00\n";
	static const unsigned char bin[] = {
		0x00, 0x01, 0xff, 0x7f, 'P', 'K', 3
	};
	fx_ctx *ctx = t_ctx();
	fx_doc *doc;

	doc = load_mem(ctx, "a.csv", csv, sizeof(csv) - 1);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UNKNOWN);
	ck_assert_ptr_null(fx_doc_root_name(doc));
	ck_assert_ptr_null(fx_doc_root_namespace(doc));
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_NONE);
	fx_doc_free(doc);
	doc = load_mem(ctx, "a.bin", bin + 2, sizeof(bin) - 2);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UNKNOWN);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(syntaxes_have_names_and_keys)
{
	static const struct {
		fx_syntax syntax;
		const char *key;
		const char *name;
	} want[] = {
		{ FX_SYNTAX_UNKNOWN, "unknown", "not XML" },
		{ FX_SYNTAX_UBL_INVOICE, "ubl-invoice", "UBL Invoice" },
		{ FX_SYNTAX_UBL_CREDITNOTE, "ubl-creditnote",
		  "UBL CreditNote" },
		{ FX_SYNTAX_CII, "cii", "CII CrossIndustryInvoice" },
		{ FX_SYNTAX_ZUGFERD1, "zugferd1", NULL },
		{ FX_SYNTAX_PDF, "pdf", "PDF" },
		{ FX_SYNTAX_ZIP, "zip", NULL },
		{ FX_SYNTAX_OTHER_XML, "xml", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_str_eq(fx_syntax_key(want[i].syntax), want[i].key);
		ck_assert_ptr_nonnull(fx_syntax_name(want[i].syntax));
		ck_assert_uint_gt(strlen(fx_syntax_name(want[i].syntax)), 0);
		if (want[i].name)
			ck_assert_str_eq(fx_syntax_name(want[i].syntax),
					 want[i].name);
	}
	ck_assert_ptr_nonnull(
		strstr(fx_syntax_name(FX_SYNTAX_ZUGFERD1), "ZUGFeRD 1"));
	ck_assert_ptr_nonnull(fx_syntax_key((fx_syntax) 99));
}
END_TEST

/* ---- profiles (BT-24) ---------------------------------------------- */

static const struct {
	const char *id;
	fx_profile profile;
	const char *key;
	const char *name;
} bt24[] = {
	{ "urn:cen.eu:en16931:2017", FX_PROFILE_EN16931, "en16931",
	  "EN 16931" },
	{ "urn:factur-x.eu:1p0:minimum", FX_PROFILE_FACTURX_MINIMUM,
	  "facturx-minimum", "Factur-X MINIMUM" },
	{ "urn:zugferd.de:2p0:minimum", FX_PROFILE_FACTURX_MINIMUM,
	  "facturx-minimum", "Factur-X MINIMUM" },
	{ "urn:factur-x.eu:1p0:basicwl", FX_PROFILE_FACTURX_BASICWL,
	  "facturx-basicwl", "Factur-X BASIC WL" },
	{ "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
	  FX_PROFILE_FACTURX_BASIC, "facturx-basic", "Factur-X BASIC" },
	{ "urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic",
	  FX_PROFILE_FACTURX_BASIC, "facturx-basic", "Factur-X BASIC" },
	{ "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:en16931",
	  FX_PROFILE_FACTURX_EN16931, "facturx-en16931", "Factur-X EN 16931" },
	{ "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
	  FX_PROFILE_FACTURX_EXTENDED, "facturx-extended",
	  "Factur-X EXTENDED" },
	{ "urn:cen.eu:en16931:2017#conformant#urn:zugferd.de:2p0:extended",
	  FX_PROFILE_FACTURX_EXTENDED, "facturx-extended",
	  "Factur-X EXTENDED" },
	{ "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3."
	  "0",
	  FX_PROFILE_XRECHNUNG, "xrechnung", "XRechnung" },
	{ "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:"
	  "billing:3.0",
	  FX_PROFILE_PEPPOL_BIS3, "peppol-bis3", "Peppol BIS Billing 3.0" },
	{ "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-"
	  "ctc-fr",
	  FX_PROFILE_EXTENDED_CTC_FR, "extended-ctc-fr", "EXTENDED-CTC-FR" },
	{ "urn:example:Our-Own#profile:V1.0", FX_PROFILE_UNKNOWN, "unknown",
	  "unknown profile" },
};

#define NBT24 ((int) (sizeof(bt24) / sizeof(bt24[0])))

static void check_profile(const fx_doc *doc, int i)
{
	ck_assert_msg(fx_doc_profile(doc) == bt24[i].profile,
		      "'%s': profile %d, expected %d", bt24[i].id,
		      (int) fx_doc_profile(doc), (int) bt24[i].profile);
	/* kept verbatim, whatever we made of it */
	ck_assert_pstr_eq(fx_doc_profile_id(doc), bt24[i].id);
	ck_assert_str_eq(fx_profile_key(fx_doc_profile(doc)), bt24[i].key);
	ck_assert_str_eq(fx_profile_name(fx_doc_profile(doc)), bt24[i].name);
}

START_TEST(ubl_profile_comes_from_customization_id)
{
	fx_ctx *ctx = t_ctx();
	char *xml =
		t_replace(ubl_invoice, "urn:cen.eu:en16931:2017", bt24[_i].id);
	fx_doc *doc = load_str(ctx, xml);

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	check_profile(doc, _i);
	fx_doc_free(doc);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(creditnote_profile_comes_from_customization_id)
{
	fx_ctx *ctx = t_ctx();
	char *xml = t_replace(ubl_creditnote, "urn:cen.eu:en16931:2017",
			      bt24[_i].id);
	fx_doc *doc = load_str(ctx, xml);

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_CREDITNOTE);
	check_profile(doc, _i);
	fx_doc_free(doc);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(cii_profile_comes_from_the_guideline_parameter)
{
	fx_ctx *ctx = t_ctx();
	char *xml =
		t_replace(cii_invoice, "urn:cen.eu:en16931:2017", bt24[_i].id);
	fx_doc *doc = load_str(ctx, xml);

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_CII);
	check_profile(doc, _i);
	fx_doc_free(doc);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(profile_from_id_matches_the_documents)
{
	ck_assert_int_eq(fx_profile_from_id(bt24[_i].id), bt24[_i].profile);
}
END_TEST

START_TEST(document_without_bt24_has_no_profile)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc;

	doc = load_str(ctx, "<Invoice xmlns=\"" NS_INV "\" xmlns:cbc=\"" NS_CBC
			    "\"><cbc:ID>1</cbc:ID></Invoice>");
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_NONE);
	ck_assert_ptr_null(fx_doc_profile_id(doc));
	fx_doc_free(doc);
	doc = load_str(ctx, "<rsm:CrossIndustryInvoice xmlns:rsm=\"" NS_RSM
			    "\"><rsm:ExchangedDocumentContext/></"
			    "rsm:CrossIndustryInvoice>");
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_CII);
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_NONE);
	ck_assert_ptr_null(fx_doc_profile_id(doc));
	fx_doc_free(doc);
	ck_assert_int_eq(fx_profile_from_id(NULL), FX_PROFILE_NONE);
	ck_assert_str_eq(fx_profile_key(FX_PROFILE_NONE), "none");
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(bt24_elsewhere_in_the_document_is_not_the_profile)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc;

	/* deeper than a child of the root */
	doc = load_str(
		ctx, "<Invoice xmlns=\"" NS_INV "\" xmlns:cbc=\"" NS_CBC
		     "\" xmlns:cac=\"" NS_CAC "\"><cac:X><cbc:CustomizationID>"
		     "urn:cen.eu:en16931:2017</cbc:CustomizationID></cac:X>"
		     "</Invoice>");
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_NONE);
	fx_doc_free(doc);
	/* CII ID in the wrong namespace */
	doc = load_str(
		ctx,
		"<rsm:CrossIndustryInvoice xmlns:rsm=\"" NS_RSM
		"\" xmlns:ram=\"" NS_RAM "\"><rsm:ExchangedDocumentContext>"
		"<ram:GuidelineSpecifiedDocumentContextParameter>"
		"<rsm:ID>urn:cen.eu:en16931:2017</rsm:ID>"
		"</ram:GuidelineSpecifiedDocumentContextParameter>"
		"</rsm:ExchangedDocumentContext></rsm:CrossIndustryInvoice>");
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_NONE);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(profile_id_is_trimmed_of_surrounding_white_space)
{
	fx_ctx *ctx = t_ctx();
	char *xml = t_replace(ubl_invoice, "urn:cen.eu:en16931:2017",
			      "\n   urn:cen.eu:en16931:2017 \t\n");
	fx_doc *doc = load_str(ctx, xml);

	ck_assert_str_eq(fx_doc_profile_id(doc), "urn:cen.eu:en16931:2017");
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_EN16931);
	fx_doc_free(doc);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- safe parsing -------------------------------------------------- */

START_TEST(billion_laughs_fails_quickly_naming_the_entity)
{
	static const char bomb[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE Invoice [\n"
		" <!ENTITY lol \"lol\">\n"
		" <!ENTITY lol1 "
		"\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
		" <!ENTITY lol2 "
		"\"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"
		"\">\n"
		" <!ENTITY lol3 "
		"\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"
		"\">\n"
		" <!ENTITY lol4 "
		"\"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"
		"\">\n"
		" <!ENTITY lol5 "
		"\"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"
		"\">\n"
		" <!ENTITY lol6 "
		"\"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"
		"\">\n"
		" <!ENTITY lol7 "
		"\"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"
		"\">\n"
		" <!ENTITY lol8 "
		"\"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"
		"\">\n"
		" <!ENTITY lol9 "
		"\"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;"
		"\">\n"
		"]>\n"
		"<Invoice xmlns=\"" NS_INV "\">&lol9;</Invoice>\n";
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = NULL;
	const fx_error *e;
	double t0 = now();

	ck_assert_int_eq(fx_doc_load_memory(&doc, ctx, "bomb.xml", bomb,
					    sizeof(bomb) - 1),
			 FX_EPARSE);
	ck_assert_double_lt(now() - t0, 1.0);
	ck_assert_ptr_null(doc);
	e = fx_ctx_last_error(ctx);
	ck_assert_int_eq(e->code, FX_EPARSE);
	ck_assert_msg(strstr(e->message, "'lol'") != NULL,
		      "message does not name the entity: %s", e->message);
	ck_assert_pstr_eq(e->file, "bomb.xml");
	ck_assert_uint_eq(e->line, 3);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(external_entity_is_refused_and_never_read)
{
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir(), *secret = t_path(dir, "secret.txt");
	struct tbuf xml = TBUF_INIT;
	fx_report *report = NULL;
	fx_doc *doc = NULL;
	size_t i;

	t_write_file(secret, "SECRET-7c1f-MARKER", 18);
	tbuf_printf(&xml,
		    "<?xml version=\"1.0\"?>\n"
		    "<!DOCTYPE Invoice [\n"
		    " <!ENTITY xxe SYSTEM \"file://%s\">\n"
		    "]>\n"
		    "<Invoice xmlns=\"" NS_INV "\">&xxe;</Invoice>\n",
		    secret);
	ck_assert_int_eq(
		fx_doc_load_memory(&doc, ctx, "xxe.xml", xml.ptr, xml.len),
		FX_EPARSE);
	ck_assert_ptr_null(doc);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message, "'xxe'"));
	ck_assert_ptr_null(strstr(fx_ctx_last_error(ctx)->message, "SECRET"));

	/* nor through a validation report */
	ck_assert_int_eq(fx_validate_memory(&report, ctx, "xxe.xml", xml.ptr,
					    xml.len, NULL),
			 0);
	ck_assert_int_eq(fx_report_outcome(report), FX_OUTCOME_ERROR);
	ck_assert_uint_ge(fx_report_count(report), 1);
	for (i = 0; i < fx_report_count(report); i++)
		ck_assert_ptr_null(
			strstr(fx_report_get(report, i)->message, "SECRET"));
	fx_report_free(report);
	tbuf_release(&xml);
	t_rmtree(dir);
	free(secret);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(system_file_entity_is_refused)
{
	static const char xxe[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE Invoice [<!ENTITY passwd SYSTEM "
		"\"file:///etc/passwd\">]>\n"
		"<Invoice xmlns=\"" NS_INV "\"><ID>&passwd;</ID></Invoice>\n";
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = NULL;

	ck_assert_int_eq(fx_doc_load_memory(&doc, ctx, "passwd.xml", xxe,
					    sizeof(xxe) - 1),
			 FX_EPARSE);
	ck_assert_ptr_null(doc);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "'passwd'"));
	ck_assert_ptr_null(strstr(fx_ctx_last_error(ctx)->message, "root:"));
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(external_entities_never_touch_the_network)
{
	fx_ctx *ctx = t_ctx();
	struct tbuf xml = TBUF_INIT;
	fx_doc *doc = NULL;
	int port, fd = listen_local(&port);

	tbuf_printf(&xml,
		    "<!DOCTYPE Invoice [\n"
		    " <!ENTITY %% p SYSTEM \"http://127.0.0.1:%d/p.dtd\">\n"
		    " %%p;\n"
		    " <!ENTITY e SYSTEM \"http://127.0.0.1:%d/e.xml\">\n"
		    "]>\n"
		    "<Invoice xmlns=\"" NS_INV "\">&e;</Invoice>\n",
		    port, port);
	ck_assert_int_eq(
		fx_doc_load_memory(&doc, ctx, "net.xml", xml.ptr, xml.len),
		FX_EPARSE);
	ck_assert_ptr_null(doc);
	ck_assert_msg(!someone_connected(fd), "the parser connected to %d",
		      port);
	tbuf_release(&xml);
	close(fd);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(external_dtd_is_not_fetched_from_the_network)
{
	fx_ctx *ctx = t_ctx();
	struct tbuf xml = TBUF_INIT;
	fx_doc *doc = NULL;
	int port, fd = listen_local(&port);

	tbuf_printf(&xml,
		    "<?xml version=\"1.0\"?>\n"
		    "<!DOCTYPE Invoice SYSTEM "
		    "\"http://127.0.0.1:%d/invoice.dtd\">\n"
		    "<Invoice xmlns=\"" NS_INV "\"/>\n",
		    port);
	ck_assert_int_eq(
		fx_doc_load_memory(&doc, ctx, "dtd.xml", xml.ptr, xml.len), 0);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	ck_assert_msg(!someone_connected(fd), "the parser connected to %d",
		      port);
	fx_doc_free(doc);
	tbuf_release(&xml);
	close(fd);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(external_dtd_on_disk_is_not_read)
{
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir(), *dtd = t_path(dir, "invoice.dtd");
	char *path = t_path(dir, "invoice.xml");
	static const char decl[] = "<!ENTITY planted \"PLANTED\">\n"
				   "<!ATTLIST Invoice planted CDATA \"yes\">\n";
	struct tbuf xml = TBUF_INIT;
	fx_report *report = NULL;
	fx_doc *doc = NULL;

	/* were the DTD read, its entity declaration would be refused */
	t_write_file(dtd, decl, sizeof(decl) - 1);
	tbuf_printf(&xml,
		    "<?xml version=\"1.0\"?>\n"
		    "<!DOCTYPE Invoice SYSTEM \"%s\">\n<Invoice xmlns=\"" NS_INV
		    "\"/>\n",
		    dtd);
	ck_assert_int_eq(
		fx_doc_load_memory(&doc, ctx, "dtd.xml", xml.ptr, xml.len), 0);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	fx_doc_free(doc);
	/* relative to the document, from a file */
	tbuf_release(&xml);
	tbuf_puts(&xml, "<!DOCTYPE Invoice SYSTEM \"invoice.dtd\">\n<Invoice "
			"xmlns=\"" NS_INV "\"/>\n");
	t_write_file(path, xml.ptr, xml.len);
	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), 0);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	fx_doc_free(doc);
	/* and no default attribute from it reaches the schema layer */
	ck_assert_int_eq(fx_validate_file(&report, ctx, path, NULL), 0);
	ck_assert_ptr_null(strstr(fx_report_count(report)
					  ? fx_report_get(report, 0)->message
					  : "",
				  "planted"));
	fx_report_free(report);
	tbuf_release(&xml);
	t_rmtree(dir);
	free(dtd);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(internal_subset_without_entities_is_accepted)
{
	fx_ctx *ctx = t_ctx();
	fx_doc *doc =
		load_str(ctx, "<!DOCTYPE Invoice [<!ELEMENT Invoice ANY>]>\n"
			      "<Invoice xmlns=\"" NS_INV "\"/>");

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(file_over_the_size_limit_fails_with_etoobig)
{
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir(), *path = t_path(dir, "big.xml");
	size_t len = strlen(ubl_invoice);
	fx_doc *doc = NULL;

	t_write_file(path, ubl_invoice, len);
	fx_ctx_set_max_size(ctx, len - 1);
	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), FX_ETOOBIG);
	ck_assert_ptr_null(doc);
	ck_assert_int_eq(fx_ctx_last_error(ctx)->code, FX_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message, path));
	/* exactly at the limit is fine */
	fx_ctx_set_max_size(ctx, len);
	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), 0);
	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	fx_doc_free(doc);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(memory_over_the_size_limit_fails_with_etoobig)
{
	fx_ctx *ctx = t_ctx();
	size_t len = strlen(ubl_invoice);
	fx_doc *doc = NULL;

	fx_ctx_set_max_size(ctx, len - 1);
	ck_assert_int_eq(
		fx_doc_load_memory(&doc, ctx, "m.xml", ubl_invoice, len),
		FX_ETOOBIG);
	ck_assert_ptr_null(doc);
	ck_assert_int_eq(fx_ctx_last_error(ctx)->code, FX_ETOOBIG);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "'m.xml'"));
	fx_ctx_set_max_size(ctx, len);
	doc = load_mem(ctx, "m.xml", ubl_invoice, len);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
}
END_TEST

static char *nested(int depth)
{
	struct tbuf b = TBUF_INIT;
	int i;

	tbuf_puts(&b, "<Invoice xmlns=\"" NS_INV "\">");
	for (i = 0; i < depth; i++)
		tbuf_puts(&b, "<a>");
	for (i = 0; i < depth; i++)
		tbuf_puts(&b, "</a>");
	tbuf_puts(&b, "</Invoice>");
	return b.ptr;
}

START_TEST(deep_nesting_fails_with_eparse_not_a_crash)
{
	fx_ctx *ctx = t_ctx();
	char *xml = nested(100000);
	fx_report *report = NULL;
	fx_doc *doc = NULL;

	ck_assert_int_eq(
		fx_doc_load_memory(&doc, ctx, "deep.xml", xml, strlen(xml)),
		FX_EPARSE);
	ck_assert_ptr_null(doc);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message, "depth"));
	ck_assert_uint_eq(fx_ctx_last_error(ctx)->line, 1);
	ck_assert_int_eq(fx_validate_memory(&report, ctx, "deep.xml", xml,
					    strlen(xml), NULL),
			 0);
	ck_assert_int_eq(fx_report_outcome(report), FX_OUTCOME_ERROR);
	fx_report_free(report);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(moderate_nesting_loads_and_validates)
{
	fx_ctx *ctx = t_ctx();
	char *xml = nested(200);
	fx_report *report = NULL;
	fx_doc *doc = load_str(ctx, xml);

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	/* the schema layer walks it and says where it went wrong */
	ck_assert_int_eq(fx_validate(&report, ctx, doc, NULL), 0);
	ck_assert_int_eq(fx_report_outcome(report), FX_OUTCOME_INVALID);
	ck_assert_uint_ge(fx_report_count(report), 1);
	fx_report_free(report);
	fx_doc_free(doc);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- encodings ----------------------------------------------------- */

static void check_example_invoice(fx_ctx *ctx, const char *name,
				  const void *bytes, size_t len)
{
	fx_doc *doc = load_mem(ctx, name, bytes, len);
	fx_report *report = NULL;

	ck_assert_int_eq(fx_doc_syntax(doc), FX_SYNTAX_UBL_INVOICE);
	ck_assert_int_eq(fx_doc_profile(doc), FX_PROFILE_EN16931);
	ck_assert_str_eq(fx_doc_profile_id(doc), "urn:cen.eu:en16931:2017");
	ck_assert_int_eq(fx_validate(&report, ctx, doc, NULL), 0);
	ck_assert_msg(
		fx_report_outcome(report) == FX_OUTCOME_VALID, "%s: %s", name,
		fx_report_count(report) ? fx_report_get(report, 0)->message
					: "not valid");
	fx_report_free(report);
	fx_doc_free(doc);
}

START_TEST(utf8_with_a_byte_order_mark_loads)
{
	fx_ctx *ctx = t_ctx();
	char *xml = t_example("invoice-ubl.xml", NULL);
	struct tbuf b = TBUF_INIT;

	tbuf_puts(&b, "\xEF\xBB\xBF");
	tbuf_puts(&b, xml);
	check_example_invoice(ctx, "bom.xml", b.ptr, b.len);
	tbuf_release(&b);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(utf16_with_a_byte_order_mark_loads)
{
	fx_ctx *ctx = t_ctx();
	char *xml = t_example("invoice-ubl.xml", NULL);
	char *decl =
		t_replace(xml, "encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
	size_t len;
	char *u16 = t_utf8_to_utf16(decl, _i, &len);

	check_example_invoice(ctx, _i ? "utf16be.xml" : "utf16le.xml", u16,
			      len);
	free(u16);
	free(decl);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(iso_8859_1_declared_encoding_loads)
{
	fx_ctx *ctx = t_ctx();
	char *xml = t_example("invoice-ubl.xml", NULL);
	char *decl =
		t_replace(xml, "encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
	size_t len;
	char *latin1 = t_utf8_to_latin1(decl, &len);

	/* the conversion did something: the example has accents */
	ck_assert_uint_lt(len, strlen(decl));
	check_example_invoice(ctx, "latin1.xml", latin1, len);
	free(latin1);
	free(decl);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- not well-formed ----------------------------------------------- */

START_TEST(malformed_xml_fails_with_eparse_at_line_and_column)
{
	static const char bad[] = "<?xml version=\"1.0\"?>\n"
				  "<Invoice xmlns=\"" NS_INV "\">\n"
				  "  <ID>1</Id>\n"
				  "</Invoice>\n";
	fx_ctx *ctx = t_ctx();
	fx_doc *doc = NULL;
	const fx_error *e;

	ck_assert_int_eq(
		fx_doc_load_memory(&doc, ctx, "bad.xml", bad, sizeof(bad) - 1),
		FX_EPARSE);
	ck_assert_ptr_null(doc);
	e = fx_ctx_last_error(ctx);
	ck_assert_int_eq(e->code, FX_EPARSE);
	ck_assert_pstr_eq(e->file, "bad.xml");
	ck_assert_uint_eq(e->line, 3);
	ck_assert_uint_eq(e->column, 13);
	ck_assert_msg(!strncmp(e->message, "not well-formed: ", 17),
		      "message: %s", e->message);
	ck_assert_ptr_nonnull(strstr(e->message, "ID"));
	/* no trailing new line from libxml2 */
	ck_assert_int_ne(e->message[strlen(e->message) - 1], '\n');
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(malformed_file_error_names_the_file)
{
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir(), *path = t_path(dir, "cut.xml");
	static const char cut[] =
		"<Invoice xmlns=\"" NS_INV "\">\n<ID>1</ID>\n";
	fx_doc *doc = NULL;

	t_write_file(path, cut, sizeof(cut) - 1);
	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), FX_EPARSE);
	ck_assert_ptr_null(doc);
	ck_assert_pstr_eq(fx_ctx_last_error(ctx)->file, path);
	ck_assert_uint_ge(fx_ctx_last_error(ctx)->line, 2);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(text_starting_like_xml_but_broken_fails_with_eparse)
{
	static const char *const bad[] = {
		"<",
		"<<<<",
		"<Invoice",
		"<a></b>",
		"<a>&undefined;</a>",
		"<a b=\"1\" b=\"2\"/>",
		"<a/><b/>",
		"<a>\x01</a>",
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>\xff\xfe</a>",
	};
	fx_ctx *ctx = t_ctx();
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fx_doc *doc = NULL;
		int err = fx_doc_load_memory(&doc, ctx, "bad.xml", bad[i],
					     strlen(bad[i]));

		ck_assert_msg(err == FX_EPARSE, "'%s' gave %d", bad[i], err);
		ck_assert_ptr_null(doc);
		ck_assert_uint_gt(strlen(fx_ctx_last_error(ctx)->message), 0);
	}
	fx_ctx_free(ctx);
}
END_TEST

/* ---- not well-formed, but its root start tag says what it is ------ */

/*
 * Validate LEN bytes of DATA, which are not well-formed, and check that
 * the report names SYNTAX, fails only the xml layer, and gives the error
 * of the load at the same position.
 */
static void check_broken(fx_ctx *ctx, const char *name, const void *data,
			 size_t len, fx_syntax syntax)
{
	fx_report *report = NULL;
	fx_doc *doc = NULL;
	unsigned long line, column;
	const fx_finding *f;

	ck_assert_int_eq(fx_doc_load_memory(&doc, ctx, name, data, len),
			 FX_EPARSE);
	ck_assert_ptr_null(doc);
	line = fx_ctx_last_error(ctx)->line;
	column = fx_ctx_last_error(ctx)->column;

	ck_assert_int_eq(
		fx_validate_memory(&report, ctx, name, data, len, NULL), 0);
	ck_assert_msg(fx_report_syntax(report) == syntax,
		      "%s (%zu bytes): syntax %s, expected %s", name, len,
		      fx_syntax_key(fx_report_syntax(report)),
		      fx_syntax_key(syntax));
	ck_assert_int_eq(fx_report_outcome(report), FX_OUTCOME_ERROR);
	ck_assert_int_eq(fx_report_error(report), FX_EPARSE);
	ck_assert_int_eq(fx_report_profile(report), FX_PROFILE_NONE);
	ck_assert_ptr_null(fx_report_profile_id(report));
	ck_assert_int_eq(fx_report_layer(report, FX_LAYER_INPUT),
			 FX_LAYER_PASS);
	ck_assert_int_eq(fx_report_layer(report, FX_LAYER_XML), FX_LAYER_FAIL);
	ck_assert_int_eq(fx_report_layer(report, FX_LAYER_SCHEMA),
			 FX_LAYER_NOT_RUN);
	ck_assert_int_eq(fx_report_layer(report, FX_LAYER_RULES),
			 FX_LAYER_NOT_RUN);
	ck_assert_uint_eq(fx_report_count(report), 1);
	f = fx_report_get(report, 0);
	ck_assert_int_eq(f->layer, FX_LAYER_XML);
	ck_assert_str_eq(f->rule, "XML");
	ck_assert_uint_eq(f->line, line);
	ck_assert_uint_eq(f->column, column);
	fx_report_free(report);
}

static const struct {
	const char *example;
	fx_syntax syntax;
} cut_examples[] = {
	{ "invoice-ubl.xml", FX_SYNTAX_UBL_INVOICE },
	{ "creditnote-ubl.xml", FX_SYNTAX_UBL_CREDITNOTE },
	{ "invoice-cii.xml", FX_SYNTAX_CII },
};

START_TEST(invoice_cut_at_half_names_its_syntax)
{
	fx_ctx *ctx = t_ctx();
	size_t len;
	char *xml = t_example(cut_examples[_i].example, &len);

	check_broken(ctx, cut_examples[_i].example, xml, len / 2,
		     cut_examples[_i].syntax);
	/* the position is where the bytes end, not somewhere before */
	ck_assert_uint_ge(fx_ctx_last_error(ctx)->line, 10);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(cut_file_names_its_syntax_with_the_position_of_the_cut)
{
	static const char cut[] = "<?xml version=\"1.0\"?>\n"
				  "<Invoice xmlns=\"" NS_INV "\">\n"
				  "  <ID>1</ID>\n"
				  "  <Note>abc";
	fx_ctx *ctx = t_ctx();
	char *dir = t_tmpdir(), *path = t_path(dir, "cut.xml");
	fx_report *report = NULL;
	const fx_finding *f;

	t_write_file(path, cut, sizeof(cut) - 1);
	ck_assert_int_eq(fx_validate_file(&report, ctx, path, NULL), 0);
	ck_assert_int_eq(fx_report_syntax(report), FX_SYNTAX_UBL_INVOICE);
	ck_assert_int_eq(fx_report_outcome(report), FX_OUTCOME_ERROR);
	ck_assert_str_eq(fx_report_file(report), path);
	ck_assert_uint_eq(fx_report_count(report), 1);
	f = fx_report_get(report, 0);
	ck_assert_uint_eq(f->line, 4);
	ck_assert_uint_eq(f->column, 12);
	ck_assert_ptr_nonnull(strstr(f->message, "not well-formed"));
	fx_report_free(report);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

/* Offset just past the '>' that ends the first start tag of XML. */
static size_t root_start_tag_end(const char *xml)
{
	const char *p = xml, *gt;

	while ((p = strchr(p, '<')) && (p[1] == '?' || p[1] == '!'))
		p++;
	ck_assert_ptr_nonnull(p);
	gt = strchr(p, '>');
	ck_assert_ptr_nonnull(gt);
	return (size_t) (gt - xml) + 1;
}

START_TEST(every_cut_inside_the_root_start_tag_is_unknown)
{
	fx_ctx *ctx = t_ctx();
	char *xml = t_example(cut_examples[_i].example, NULL);
	size_t end = root_start_tag_end(xml), n;

	/* through the declaration, comments and the open start tag */
	for (n = 1; n < end; n++)
		check_broken(ctx, "cut.xml", xml, n, FX_SYNTAX_UNKNOWN);
	/* once the '>' is there the root is known, whatever follows */
	for (n = end; n < end + 40; n++)
		check_broken(ctx, "cut.xml", xml, n, cut_examples[_i].syntax);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(utf16_invoice_cut_anywhere_after_its_root_names_its_syntax)
{
	fx_ctx *ctx = t_ctx();
	char *xml = t_example("invoice-ubl.xml", NULL);
	char *decl =
		t_replace(xml, "encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
	size_t len, n;
	char *u16 = t_utf8_to_utf16(decl, _i, &len);

	/* odd lengths cut a code unit in two */
	check_broken(ctx, "utf16.xml", u16, len / 2, FX_SYNTAX_UBL_INVOICE);
	check_broken(ctx, "utf16.xml", u16, len / 2 + 1, FX_SYNTAX_UBL_INVOICE);
	/* the byte-order mark, the declaration, part of the start tag */
	for (n = 2; n < 2 + 2 * root_start_tag_end(decl); n += 7)
		check_broken(ctx, "utf16.xml", u16, n, FX_SYNTAX_UNKNOWN);
	check_broken(ctx, "utf16.xml", u16, 2 + 2 * root_start_tag_end(decl),
		     FX_SYNTAX_UBL_INVOICE);
	free(u16);
	free(decl);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(root_after_a_prolog_names_the_syntax_of_a_broken_document)
{
	/* BOM, declaration, comment, processing instruction, DOCTYPE */
	static const char prolog[] =
		"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<!-- <Invoice> in a comment is not the root -->\n"
		"<?pi <CreditNote>?>\n"
		"<!DOCTYPE rsm:CrossIndustryInvoice>\n"
		"<rsm:CrossIndustryInvoice xmlns:rsm=\"" NS_RSM "\"\n"
		"    xmlns:ram=\"" NS_RAM "\">\n"
		"<rsm:ExchangedDocumentContext>\n"
		"</rsm:CrossIndustryInvoice>\n"
		"</rsm:CrossIndustryInvoice>\n";
	fx_ctx *ctx = t_ctx();

	check_broken(ctx, "prolog.xml", prolog, sizeof(prolog) - 1,
		     FX_SYNTAX_CII);
	ck_assert_uint_eq(fx_ctx_last_error(ctx)->line, 8);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(broken_documents_of_other_kinds_name_their_root)
{
	static const struct {
		const char *xml;
		fx_syntax syntax;
	} cases[] = {
		{ "<notes xmlns=\"urn:example\"><note>", FX_SYNTAX_OTHER_XML },
		{ "<Invoice><ID>1</ID>", FX_SYNTAX_OTHER_XML },
		/* the UBL name in the CII namespace is no invoice */
		{ "<Invoice xmlns=\"" NS_RSM "\">", FX_SYNTAX_OTHER_XML },
		{ "<CreditNote xmlns=\"" NS_CN "\"/><x/>",
		  FX_SYNTAX_UBL_CREDITNOTE },
		{ "<r:CrossIndustryDocument xmlns:r=\"" NS_ZF1 "\"><",
		  FX_SYNTAX_ZUGFERD1 },
		{ "<Invoice xmlns=\"" NS_INV "\">&undefined;</Invoice>",
		  FX_SYNTAX_UBL_INVOICE },
		{ "<Invoice xmlns=\"" NS_INV "\"><a></b></Invoice>",
		  FX_SYNTAX_UBL_INVOICE },
		/* a whole start tag, and an end tag without its '>' */
		{ "<Invoice xmlns=\"" NS_INV "\"></Invoice",
		  FX_SYNTAX_UBL_INVOICE },
		{ "<Invoice xmlns=\"" NS_INV "\" >", FX_SYNTAX_UBL_INVOICE },
	};
	fx_ctx *ctx = t_ctx();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_broken(ctx, cases[i].xml, cases[i].xml,
			     strlen(cases[i].xml), cases[i].syntax);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(root_start_tag_that_is_not_whole_is_unknown)
{
	static const char *const bad[] = {
		"<",
		"<Invoice",
		"<Invoice xmlns=\"" NS_INV "\"",
		"<Invoice xmlns=\"" NS_INV "\"/",
		"<Invoice xmlns=\"" NS_INV,
		"<Invoice xmlns=\"" NS_INV "\" %>",
		"<Invoice xmlns=\"" NS_INV "\" a=\"<\">",
		"<Invoice xmlns=\"" NS_INV "\" a=\"1\" a=\"2\">",
		"<Invoice xmlns=\"" NS_INV "\" a>",
		/* a prefix that is not bound: no namespace to go by */
		"<rsm:CrossIndustryInvoice><x/></rsm:CrossIndustryInvoice>",
		"<?xml version=\"1.0\"?><!-- <Invoice xmlns=\"" NS_INV "\"> -",
		"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
	};
	fx_ctx *ctx = t_ctx();
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_broken(ctx, bad[i], bad[i], strlen(bad[i]),
			     FX_SYNTAX_UNKNOWN);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(refused_entity_declaration_leaves_the_syntax_unknown)
{
	/* refused at the declaration, before the root is ever read */
	static const char *const hostile[] = {
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE Invoice [\n"
		" <!ENTITY leak SYSTEM \"file:///etc/passwd\">\n"
		"]>\n"
		"<Invoice xmlns=\"" NS_INV "\">&leak;</Invoice>\n",
		"<!DOCTYPE Invoice [<!ENTITY a \"aaaa\">]>\n"
		"<Invoice xmlns=\"" NS_INV "\">&a;&a;</Invoice>\n",
		"<!DOCTYPE Invoice [<!ENTITY % p SYSTEM \"http://127.0.0.1/\">"
		"%p;]>\n<Invoice xmlns=\"" NS_INV "\"/>\n",
	};
	fx_ctx *ctx = t_ctx();
	fx_report *report = NULL;
	size_t i;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		check_broken(ctx, "hostile.xml", hostile[i], strlen(hostile[i]),
			     FX_SYNTAX_UNKNOWN);
		ck_assert_int_eq(fx_validate_memory(&report, ctx, "hostile.xml",
						    hostile[i],
						    strlen(hostile[i]), NULL),
				 0);
		ck_assert_msg(strstr(fx_report_get(report, 0)->message,
				     "entity declarations are refused"),
			      "%s", fx_report_get(report, 0)->message);
		fx_report_free(report);
	}
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(loading_a_broken_invoice_still_fails_without_a_document)
{
	fx_ctx *ctx = t_ctx();
	size_t len;
	char *xml = t_example("invoice-ubl.xml", &len);
	char *dir = t_tmpdir(), *path = t_path(dir, "half.xml");
	fx_doc *doc = NULL;

	/* the loaders' contract is unchanged: no document, an error */
	ck_assert_int_eq(
		fx_doc_load_memory(&doc, ctx, "half.xml", xml, len / 2),
		FX_EPARSE);
	ck_assert_ptr_null(doc);
	t_write_file(path, xml, len / 2);
	ck_assert_int_eq(fx_doc_load_file(&doc, ctx, path), FX_EPARSE);
	ck_assert_ptr_null(doc);
	ck_assert_int_eq(fx_ctx_last_error(ctx)->code, FX_EPARSE);
	ck_assert_pstr_eq(fx_ctx_last_error(ctx)->file, path);
	t_rmtree(dir);
	free(path);
	free(dir);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(failures_other_than_parsing_stay_unknown)
{
	fx_ctx *ctx = t_ctx();
	fx_report *report = NULL;
	size_t len;
	char *xml = t_example("invoice-ubl.xml", &len);

	/* over the size limit: nothing is parsed, so nothing is named */
	fx_ctx_set_max_size(ctx, len / 2);
	ck_assert_int_eq(
		fx_validate_memory(&report, ctx, "big.xml", xml, len, NULL), 0);
	ck_assert_int_eq(fx_report_error(report), FX_ETOOBIG);
	ck_assert_int_eq(fx_report_syntax(report), FX_SYNTAX_UNKNOWN);
	fx_report_free(report);
	ck_assert_int_eq(
		fx_validate_file(&report, ctx, "/nonexistent/x.xml", NULL), 0);
	ck_assert_int_eq(fx_report_error(report), FX_EIO);
	ck_assert_int_eq(fx_report_syntax(report), FX_SYNTAX_UNKNOWN);
	fx_report_free(report);
	free(xml);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- the shared corpus --------------------------------------------- */

/* Whether xmllint found the file not well-formed. */
static int not_well_formed(const cJSON *entry)
{
	const cJSON *errors =
		cJSON_GetObjectItemCaseSensitive(entry, "xsd_errors");
	const cJSON *e;

	cJSON_ArrayForEach(
		e, errors) if (cJSON_IsString(e) &&
			       strstr(e->valuestring, "parser error")) return 1;
	return 0;
}

START_TEST(corpus_syntax_and_bt24_match_the_official_verdicts)
{
	char *expected = t_shared_path("corpus/expected.json");
	char *text = t_read_file(expected, NULL);
	cJSON *root = cJSON_Parse(text), *files, *entry;
	fx_ctx *ctx = t_ctx();
	size_t checked = 0, pdfs = 0, malformed = 0;

	ck_assert_ptr_nonnull(root);
	files = cJSON_GetObjectItemCaseSensitive(root, "files");
	ck_assert_ptr_nonnull(files);
	cJSON_ArrayForEach(entry, files)
	{
		const char *syntax = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(entry, "syntax"));
		cJSON *bt = cJSON_GetObjectItemCaseSensitive(entry, "bt24");
		char *rel = NULL, *path;
		fx_doc *doc = NULL;
		int err;

		if (!syntax || !strcmp(syntax, "other"))
			continue;
		ck_assert_int_ge(asprintf(&rel, "corpus/%s", entry->string), 0);
		path = t_path(FX_TEST_SHARED_DIR, rel);
		err = fx_doc_load_file(&doc, ctx, path);
		if (err == FX_EPARSE && not_well_formed(entry)) {
			/* xmllint said so too; the corpus still names what
			 * the file was meant to be, and so do we */
			fx_report *report = NULL;

			ck_assert_int_eq(
				fx_validate_file(&report, ctx, path, NULL), 0);
			ck_assert_msg(
				!strcmp(fx_syntax_key(fx_report_syntax(report)),
					syntax),
				"%s (not well-formed): %s, expected %s", rel,
				fx_syntax_key(fx_report_syntax(report)),
				syntax);
			fx_report_free(report);
			malformed++;
			free(path);
			free(rel);
			continue;
		}
		ck_assert_msg(err == 0, "%s: %s", rel,
			      fx_ctx_last_error(ctx)->message);
		if (!strcmp(syntax, "pdf")) {
			ck_assert_msg(fx_doc_syntax(doc) == FX_SYNTAX_PDF,
				      "%s is not recognised as PDF", rel);
			pdfs++;
		} else {
			ck_assert_msg(!strcmp(fx_syntax_key(fx_doc_syntax(doc)),
					      syntax),
				      "%s: %s, expected %s", rel,
				      fx_syntax_key(fx_doc_syntax(doc)),
				      syntax);
			if (cJSON_IsString(bt))
				ck_assert_msg(
					fx_doc_profile_id(doc) &&
						!strcmp(fx_doc_profile_id(doc),
							bt->valuestring),
					"%s: BT-24 '%s', expected '%s'", rel,
					fx_doc_profile_id(doc)
						? fx_doc_profile_id(doc)
						: "(none)",
					bt->valuestring);
			else
				ck_assert_msg(
					fx_doc_profile(doc) == FX_PROFILE_NONE,
					"%s: a BT-24 where there is none", rel);
			checked++;
		}
		fx_doc_free(doc);
		free(path);
		free(rel);
	}
	fprintf(stderr,
		"corpus: %zu XML invoices and %zu PDFs checked, "
		"%zu not well-formed (as xmllint says)\n",
		checked, pdfs, malformed);
	ck_assert_uint_gt(checked, 1000);
	ck_assert_uint_gt(pdfs, 10);
	cJSON_Delete(root);
	free(text);
	free(expected);
	fx_ctx_free(ctx);
}
END_TEST

static Suite *doc_suite(void)
{
	Suite *s = suite_create("doc");
	TCase *tc = tcase_create("load");
	char *corpus;

	tcase_add_test(tc, load_file_reads_a_ubl_invoice);
	tcase_add_test(tc, load_memory_keeps_its_own_copy_of_the_bytes);
	tcase_add_test(tc, load_memory_without_name_is_called_memory);
	tcase_add_test(tc, load_memory_with_null_data_fails_with_einvalid);
	tcase_add_test(tc, load_memory_of_nothing_is_not_xml);
	tcase_add_test(tc, load_stdin_reads_a_pipe);
	tcase_add_test(tc, load_stdin_reads_a_file_larger_than_one_read);
	tcase_add_test(tc, load_stdin_over_the_limit_fails_with_etoobig);
	tcase_add_test(tc, load_closed_stdin_fails_with_eio);
	tcase_add_test(tc, load_missing_file_fails_with_eio);
	tcase_add_test(tc, load_directory_fails_with_eio);
	tcase_add_test(tc, load_unreadable_file_fails_with_eio);
	tcase_add_test(tc, successful_load_clears_the_last_error);
	tcase_add_test(tc, new_context_has_defaults_and_no_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("detect");
	tcase_add_test(tc, ubl_invoice_is_recognised);
	tcase_add_test(tc, ubl_creditnote_is_recognised);
	tcase_add_test(tc, cii_invoice_is_recognised);
	tcase_add_test(tc, zugferd1_document_is_recognised_with_its_profile_id);
	tcase_add_test(tc, pdf_is_recognised_by_its_magic);
	tcase_add_test(tc, pdf_header_after_leading_junk_is_still_pdf);
	tcase_add_test(tc, xml_file_holding_a_pdf_is_pdf);
	tcase_add_test(tc, xml_invoice_mentioning_the_pdf_magic_is_still_xml);
	tcase_add_test(tc, pdf_file_holding_an_invoice_is_the_invoice);
	tcase_add_test(tc, zip_is_recognised_by_its_magic);
	tcase_add_test(tc, other_xml_keeps_its_root_name_and_namespace);
	tcase_add_test(tc, other_xml_without_namespace_has_an_empty_namespace);
	tcase_add_test(tc, known_namespace_with_the_wrong_root_is_other_xml);
	tcase_add_test(tc, text_that_is_not_xml_is_unknown);
	tcase_add_test(tc, syntaxes_have_names_and_keys);
	suite_add_tcase(s, tc);

	tc = tcase_create("profile");
	tcase_add_loop_test(tc, ubl_profile_comes_from_customization_id, 0,
			    NBT24);
	tcase_add_loop_test(tc, creditnote_profile_comes_from_customization_id,
			    0, NBT24);
	tcase_add_loop_test(tc, cii_profile_comes_from_the_guideline_parameter,
			    0, NBT24);
	tcase_add_loop_test(tc, profile_from_id_matches_the_documents, 0,
			    NBT24);
	tcase_add_test(tc, document_without_bt24_has_no_profile);
	tcase_add_test(tc, bt24_elsewhere_in_the_document_is_not_the_profile);
	tcase_add_test(tc, profile_id_is_trimmed_of_surrounding_white_space);
	suite_add_tcase(s, tc);

	tc = tcase_create("safety");
	tcase_add_test(tc, billion_laughs_fails_quickly_naming_the_entity);
	tcase_add_test(tc, external_entity_is_refused_and_never_read);
	tcase_add_test(tc, system_file_entity_is_refused);
	tcase_add_test(tc, external_entities_never_touch_the_network);
	tcase_add_test(tc, external_dtd_is_not_fetched_from_the_network);
	tcase_add_test(tc, external_dtd_on_disk_is_not_read);
	tcase_add_test(tc, internal_subset_without_entities_is_accepted);
	tcase_add_test(tc, file_over_the_size_limit_fails_with_etoobig);
	tcase_add_test(tc, memory_over_the_size_limit_fails_with_etoobig);
	tcase_add_test(tc, deep_nesting_fails_with_eparse_not_a_crash);
	tcase_add_test(tc, moderate_nesting_loads_and_validates);
	suite_add_tcase(s, tc);

	tc = tcase_create("encoding");
	tcase_add_test(tc, utf8_with_a_byte_order_mark_loads);
	tcase_add_loop_test(tc, utf16_with_a_byte_order_mark_loads, 0, 2);
	tcase_add_test(tc, iso_8859_1_declared_encoding_loads);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_test(tc, malformed_xml_fails_with_eparse_at_line_and_column);
	tcase_add_test(tc, malformed_file_error_names_the_file);
	tcase_add_test(tc, text_starting_like_xml_but_broken_fails_with_eparse);
	suite_add_tcase(s, tc);

	tc = tcase_create("broken-root");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(
		tc, invoice_cut_at_half_names_its_syntax, 0,
		(int) (sizeof(cut_examples) / sizeof(cut_examples[0])));
	tcase_add_test(tc,
		       cut_file_names_its_syntax_with_the_position_of_the_cut);
	tcase_add_loop_test(
		tc, every_cut_inside_the_root_start_tag_is_unknown, 0,
		(int) (sizeof(cut_examples) / sizeof(cut_examples[0])));
	tcase_add_loop_test(
		tc, utf16_invoice_cut_anywhere_after_its_root_names_its_syntax,
		0, 2);
	tcase_add_test(
		tc, root_after_a_prolog_names_the_syntax_of_a_broken_document);
	tcase_add_test(tc, broken_documents_of_other_kinds_name_their_root);
	tcase_add_test(tc, root_start_tag_that_is_not_whole_is_unknown);
	tcase_add_test(tc,
		       refused_entity_declaration_leaves_the_syntax_unknown);
	tcase_add_test(tc,
		       loading_a_broken_invoice_still_fails_without_a_document);
	tcase_add_test(tc, failures_other_than_parsing_stay_unknown);
	suite_add_tcase(s, tc);

	corpus = t_shared_path("corpus/expected.json");
	if (corpus) {
		tc = tcase_create("corpus");
		tcase_set_timeout(tc, 60);
		tcase_add_test(
			tc, corpus_syntax_and_bt24_match_the_official_verdicts);
		suite_add_tcase(s, tc);
		free(corpus);
	} else {
		fprintf(stderr,
			"check_doc: %s/corpus not found: corpus tests "
			"skipped\n",
			FX_TEST_SHARED_DIR);
	}
	return s;
}

int main(void)
{
	return t_run(doc_suite());
}
