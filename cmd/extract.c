/* SPDX-License-Identifier: MIT */
/*
 * extract.c - facture extract: take the invoice (or every attachment) out
 * of a Factur-X or ZUGFeRD PDF, byte for byte
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

/* clang-format off */
const char extract_usage[] =
	"usage: facture extract [-o file|dir] file.pdf|-\n"
	"       facture extract --all [-o dir] file.pdf|archive.zip|-\n"
	"       facture extract --list [-f format] [-o file] file.pdf|archive.zip|-\n"
	"\n"
	"Write the invoice embedded in a Factur-X, ZUGFeRD or XRechnung PDF\n"
	"byte for byte: to standard output, to a file, or into a directory\n"
	"under its attachment name.  A zip archive is unpacked into a\n"
	"directory (-o, default .).\n"
	"\n"
	"  -o, --output=PATH     a file, or an existing directory (default: "
	"stdout)\n"
	"  -a, --all             every attachment, into the directory -o "
	"(default .)\n"
	"  -l, --list            list the attachments (or members) instead\n"
	"  -f, --format=FORMAT   with --list: text (default) or json\n"
	"  -h, --help            show this help\n"
	"\n"
	"Exit status: 0 done, 2 usage, 3 unreadable or damaged input, no\n"
	"invoice in it, an unsafe member name, or cannot write.  See\n"
	"facture-extract(1).\n";
/* clang-format on */

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "all", no_argument, NULL, 'a' },
	{ "list", no_argument, NULL, 'l' },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int is_dir(const char *path)
{
	struct stat st;

	return path && strcmp(path, "-") && stat(path, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

/* Print an error of the library and give the exit status it maps to. */
static int lib_error(fx_ctx *ctx, int code)
{
	cli_error("%s", fx_ctx_last_error(ctx)->message);
	return cli_exit_for_error(code);
}

/*
 * A file name for attachment I: its name without any directory part,
 * and without control characters.  Names from the PDF are untrusted:
 * "../../.profile" becomes ".profile", in the directory asked for.
 */
static char *safe_name(const fx_pdf_attachment *a, size_t i)
{
	const char *n = a->name ? a->name : "", *p;
	char *s;
	size_t k;

	for (p = n; *p; p++)
		if (*p == '/' || *p == '\\')
			n = p + 1;
	if (!*n || !strcmp(n, ".") || !strcmp(n, "..")) {
		if (asprintf(&s, "attachment-%zu", i + 1) < 0)
			return NULL;
		return s;
	}
	if (!(s = strndup(n, 255)))
		return NULL;
	for (k = 0; s[k]; k++)
		if ((unsigned char) s[k] < 0x20 || s[k] == 0x7F)
			s[k] = '_';
	return s;
}

/* Write LEN bytes to PATH ("-" or NULL: stdout), atomically; a file
 * named by the PDF never replaces one that exists. */
static int write_bytes(const char *path, const unsigned char *data, size_t len,
		       int no_replace)
{
	struct cli_output out;
	struct stat st;

	if (no_replace && lstat(path, &st) == 0) {
		cli_error("'%s' exists: facture does not replace a file "
			  "whose name comes from the input",
			  path);
		return EXIT_IO;
	}
	if (cli_output_open(&out, path) < 0)
		return EXIT_IO;
	if (len && fwrite(data, 1, len, out.fp) != len) {
		cli_error("cannot write '%s': %s",
			  path && strcmp(path, "-") ? path : "standard output",
			  strerror(errno));
		cli_output_abort(&out);
		return EXIT_IO;
	}
	return cli_output_commit(&out) < 0 ? EXIT_IO : EXIT_VALID;
}

static int write_one(fx_ctx *ctx, fx_pdf *pdf, size_t i, const char *dir,
		     const char *path)
{
	const fx_pdf_attachment *a = fx_pdf_attachment_get(pdf, i);
	const unsigned char *data;
	char *name = NULL, *full = NULL;
	size_t len;
	int err, status;

	if ((err = fx_pdf_attachment_data(&data, &len, ctx, pdf, i)) < 0)
		return lib_error(ctx, err);
	if (!dir)
		return write_bytes(path, data, len, 0);
	if (!(name = safe_name(a, i)) ||
	    asprintf(&full, "%s%s%s", dir,
		     dir[strlen(dir) - 1] == '/' ? "" : "/", name) < 0) {
		free(name);
		cli_error("out of memory");
		return EXIT_INTERNAL;
	}
	status = write_bytes(full, data, len, 1);
	free(full);
	free(name);
	return status;
}

/* ---- --list -------------------------------------------------------- */

/* A string as JSON; bytes that are not UTF-8 become U+FFFD. */
static void json_string(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *) s;

	if (!s) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	while (*p) {
		size_t n = 0, i;

		if (*p == '"' || *p == '\\') {
			fprintf(fp, "\\%c", *p++);
			continue;
		}
		if (*p < 0x20) {
			fprintf(fp, "\\u%04x", *p++);
			continue;
		}
		if (*p < 0x80) {
			fputc(*p++, fp);
			continue;
		}
		if (*p >= 0xC2 && *p <= 0xDF)
			n = 2;
		else if (*p >= 0xE0 && *p <= 0xEF)
			n = 3;
		else if (*p >= 0xF0 && *p <= 0xF4)
			n = 4;
		for (i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				n = 0;
		if (!n) {
			fputs("\xEF\xBF\xBD", fp);
			p++;
			continue;
		}
		fwrite(p, 1, n, fp);
		p += n;
	}
	fputc('"', fp);
}

/* Text for a column: control characters shown as '?', "-" when none. */
static char *cell(const char *s)
{
	char *c;
	size_t i;

	if (!(c = strdup(s && *s ? s : "-")))
		return NULL;
	for (i = 0; c[i]; i++)
		if ((unsigned char) c[i] < 0x20 || c[i] == 0x7F)
			c[i] = '?';
	return c;
}

struct row {
	char *name, *mime, *rel, *desc, size[32];
	int invoice;
};

static int list(FILE *fp, fx_ctx *ctx, fx_pdf *pdf, size_t n, int json)
{
	struct row *rows = NULL;
	size_t i, inv = (size_t) -1;
	int wname = 4, wsize = 4, wmime = 4, wrel = 12, status = EXIT_VALID;

	if (fx_pdf_find_invoice(&inv, ctx, pdf) < 0)
		inv = (size_t) -1;
	if (n && !(rows = calloc(n, sizeof(*rows)))) {
		cli_error("out of memory");
		return EXIT_INTERNAL;
	}
	if (json) {
		fputs("{\n  \"file\": ", fp);
		json_string(fp, fx_pdf_name(pdf));
		fputs(",\n  \"attachments\": [", fp);
	}
	for (i = 0; i < n; i++) {
		const fx_pdf_attachment *a = fx_pdf_attachment_get(pdf, i);
		const unsigned char *data;
		size_t len;
		int err = fx_pdf_attachment_data(&data, &len, ctx, pdf, i);

		if (err == FX_ENOMEM) {
			status = lib_error(ctx, err);
			goto out;
		}
		if (json) {
			fprintf(fp, "%s\n    {\"name\": ", i ? "," : "");
			json_string(fp, a->name);
			fputs(", \"key\": ", fp);
			json_string(fp, a->key);
			if (err < 0)
				fputs(", \"size\": null", fp);
			else
				fprintf(fp, ", \"size\": %zu", len);
			if (a->declared_size >= 0)
				fprintf(fp, ", \"declared_size\": %lld",
					a->declared_size);
			else
				fputs(", \"declared_size\": null", fp);
			fputs(", \"mime\": ", fp);
			json_string(fp, a->mime);
			fputs(", \"relationship\": ", fp);
			json_string(fp, a->relationship);
			fputs(", \"description\": ", fp);
			json_string(fp, a->description);
			fprintf(fp,
				", \"object\": %lu, \"in_names\": %s, "
				"\"in_af\": %s, \"invoice\": %s",
				a->object, a->in_names ? "true" : "false",
				a->in_af ? "true" : "false",
				i == inv ? "true" : "false");
			if (err < 0) {
				fputs(", \"error\": ", fp);
				json_string(fp,
					    fx_ctx_last_error(ctx)->message);
			}
			fputc('}', fp);
			continue;
		}
		if (!(rows[i].name = cell(a->name)) ||
		    !(rows[i].mime = cell(a->mime)) ||
		    !(rows[i].rel = cell(a->relationship)) ||
		    !(rows[i].desc = cell(a->description))) {
			cli_error("out of memory");
			status = EXIT_INTERNAL;
			goto out;
		}
		if (err < 0)
			snprintf(rows[i].size, sizeof(rows[i].size), "?");
		else
			snprintf(rows[i].size, sizeof(rows[i].size), "%zu",
				 len);
		rows[i].invoice = i == inv;
#define WIDEN(w, s)                       \
	do {                              \
		int l_ = (int) strlen(s); \
		if (l_ > (w))             \
			(w) = l_;         \
	} while (0)
		WIDEN(wname, rows[i].name);
		WIDEN(wsize, rows[i].size);
		WIDEN(wmime, rows[i].mime);
		WIDEN(wrel, rows[i].rel);
#undef WIDEN
	}
	if (json) {
		fputs(n ? "\n  ]\n}\n" : "]\n}\n", fp);
		goto out;
	}
	if (n)
		fprintf(fp, "  %-*s  %*s  %-*s  %-*s  %s\n", wname, "NAME",
			wsize, "SIZE", wmime, "MIME", wrel, "RELATIONSHIP",
			"DESCRIPTION");
	for (i = 0; i < n; i++)
		fprintf(fp, "%c %-*s  %*s  %-*s  %-*s  %s\n",
			rows[i].invoice ? '*' : ' ', wname, rows[i].name, wsize,
			rows[i].size, wmime, rows[i].mime, wrel, rows[i].rel,
			rows[i].desc);
out:
	for (i = 0; rows && i < n; i++) {
		free(rows[i].name);
		free(rows[i].mime);
		free(rows[i].rel);
		free(rows[i].desc);
	}
	free(rows);
	return status;
}

/* ---- zip archives -------------------------------------------------- */

/* A local file header or an empty archive's end record. */
static int looks_like_zip(const unsigned char *p, size_t n)
{
	return n >= 4 && p[0] == 'P' && p[1] == 'K' &&
	       ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6));
}

/* The input, read whole, when it is standard input (which cannot be
 * read twice); for a file, only whether it starts like a zip archive. */
static int sniff(const char *input, unsigned char **data, size_t *len,
		 int *is_zip)
{
	unsigned char head[4];
	char *text;
	ssize_t got;
	int fd, err;

	*data = NULL;
	*len = 0;
	*is_zip = 0;
	if (strcmp(input, "-")) {
		/* an unreadable file: the library says why, later */
		if ((fd = open(input, O_RDONLY | O_CLOEXEC)) < 0)
			return 0;
		got = read(fd, head, sizeof(head));
		close(fd);
		*is_zip = got > 0 && looks_like_zip(head, (size_t) got);
		return 0;
	}
	err = cli_read_file("-", FX_DEFAULT_MAX_SIZE, &text, len);
	if (err == EFBIG)
		cli_error(
			"standard input is larger than the limit of %zu bytes",
			FX_DEFAULT_MAX_SIZE);
	else if (err == ENOMEM)
		cli_error("out of memory");
	else if (err)
		cli_error("cannot read standard input: %s", strerror(err));
	if (err)
		return err == ENOMEM ? EXIT_INTERNAL : EXIT_IO;
	*data = (unsigned char *) text;
	*is_zip = looks_like_zip(*data, *len);
	return 0;
}

/* Create the directories of NAME's path under DIR, refusing to go
 * through anything that is not a directory (a symbolic link, say). */
static int make_parents(const char *dir, const char *name)
{
	const char *slash;
	struct stat st;
	char *path = NULL;

	for (slash = strchr(name, '/'); slash && slash[1];
	     slash = strchr(slash + 1, '/')) {
		if (asprintf(&path, "%s/%.*s", dir, (int) (slash - name),
			     name) < 0) {
			cli_error("out of memory");
			return EXIT_INTERNAL;
		}
		if (lstat(path, &st) < 0) {
			if (mkdir(path, 0777) < 0 && errno != EEXIST) {
				cli_error("cannot create '%s': %s", path,
					  strerror(errno));
				free(path);
				return EXIT_IO;
			}
		} else if (!S_ISDIR(st.st_mode)) {
			cli_error("'%s' is not a directory: the members under "
				  "it are not written",
				  path);
			free(path);
			return EXIT_IO;
		}
		free(path);
		path = NULL;
	}
	return EXIT_VALID;
}

static int unpack(fx_ctx *ctx, fx_zip *zip, const char *dir)
{
	size_t i;
	int status = EXIT_VALID, s;

	if (!fx_zip_count(zip)) {
		cli_error("'%s' has no members", fx_zip_name(zip));
		return EXIT_IO;
	}
	for (i = 0; i < fx_zip_count(zip); i++) {
		const fx_zip_entry *e = fx_zip_get(zip, i);
		const unsigned char *data;
		char *path = NULL;
		size_t len;
		int err;

		if (!e->safe) {
			cli_error("'%s': member '%s' is not written: its name "
				  "is absolute, goes up with '..', or holds a "
				  "backslash or a control character",
				  fx_zip_name(zip), e->name);
			status = EXIT_IO;
			continue;
		}
		if ((s = make_parents(dir, e->name)) != EXIT_VALID) {
			if (s > status)
				status = s;
			continue;
		}
		if (asprintf(&path, "%s/%s", dir, e->name) < 0) {
			cli_error("out of memory");
			return EXIT_INTERNAL;
		}
		if (e->is_dir) {
			struct stat st;

			if (mkdir(path, 0777) < 0 &&
			    !(errno == EEXIST && lstat(path, &st) == 0 &&
			      S_ISDIR(st.st_mode))) {
				cli_error("cannot create '%s': %s", path,
					  strerror(errno));
				status = EXIT_IO;
			}
		} else if ((err = fx_zip_read(&data, &len, ctx, zip, i)) < 0) {
			s = lib_error(ctx, err);
			if (s > status)
				status = s;
		} else if ((s = write_bytes(path, data, len, 1)) > status) {
			status = s;
		}
		free(path);
	}
	return status;
}

static void list_zip(FILE *fp, fx_zip *zip, int json)
{
	size_t i, n = fx_zip_count(zip);
	int wname = 4;

	if (json) {
		fputs("{\n  \"file\": ", fp);
		json_string(fp, fx_zip_name(zip));
		fputs(",\n  \"members\": [", fp);
		for (i = 0; i < n; i++) {
			const fx_zip_entry *e = fx_zip_get(zip, i);

			fprintf(fp, "%s\n    {\"name\": ", i ? "," : "");
			json_string(fp, e->name);
			fprintf(fp,
				", \"size\": %llu, \"compressed\": %llu, "
				"\"method\": %d, \"crc32\": \"%08lx\", "
				"\"safe\": %s}",
				e->size, e->compressed, e->method, e->crc32,
				e->safe ? "true" : "false");
		}
		fputs(n ? "\n  ]\n}\n" : "]\n}\n", fp);
		return;
	}
	for (i = 0; i < n; i++)
		if ((int) strlen(fx_zip_get(zip, i)->name) > wname)
			wname = (int) strlen(fx_zip_get(zip, i)->name);
	if (n)
		fprintf(fp, "  %-*s  %10s  %10s  %s\n", wname, "NAME", "SIZE",
			"COMPRESSED", "METHOD");
	for (i = 0; i < n; i++) {
		const fx_zip_entry *e = fx_zip_get(zip, i);
		char *name = cell(e->name);

		/* '!' marks a name that extract refuses to write */
		fprintf(fp, "%c %-*s  %10llu  %10llu  %s\n",
			e->safe ? ' ' : '!', wname, name ? name : "?", e->size,
			e->compressed,
			e->method == 8	 ? "deflated"
			: e->method == 0 ? "stored"
					 : "other");
		free(name);
	}
}

static int extract_zip(fx_ctx *ctx, const char *input,
		       const unsigned char *data, size_t len,
		       const char *out_path, int listing, int json)
{
	struct cli_output output = { NULL, NULL, NULL };
	fx_zip *zip = NULL;
	int err, status;

	if (!listing && !out_path)
		out_path = ".";
	if (!listing && !is_dir(out_path)) {
		cli_error("an archive is unpacked into a directory: '%s' is "
			  "not one",
			  out_path);
		return EXIT_USAGE;
	}
	err = data ? fx_zip_open_memory(&zip, ctx, "<stdin>", data, len)
		   : fx_zip_open_file(&zip, ctx, input);
	if (err < 0)
		return lib_error(ctx, err);
	if (listing) {
		status = EXIT_IO;
		if (cli_output_open(&output, out_path) == 0) {
			list_zip(output.fp, zip, json);
			status = cli_output_commit(&output) < 0 ? EXIT_IO
								: EXIT_VALID;
		}
	} else {
		status = unpack(ctx, zip, out_path);
	}
	fx_zip_free(zip);
	return status;
}

int cmd_extract(int argc, char **argv, struct cli *cli)
{
	struct cli_output output = { NULL, NULL, NULL };
	const char *out_path = NULL, *input;
	fx_ctx *ctx = NULL;
	fx_pdf *pdf = NULL;
	unsigned char *data = NULL;
	int all = 0, listing = 0, json = 0, c, err, status, s, is_zip;
	size_t n, i, len;

	(void) cli;
	argv[0] = (char *) "facture extract";
	optind = 0;
	while ((c = getopt_long(argc, argv, "o:alf:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'a': all = 1; break;
		case 'l': listing = 1; break;
		case 'f':
			if (cli_text_or_json(optarg, &json))
				return EXIT_USAGE;
			break;
		case 'h': return cli_usage(extract_usage, EXIT_VALID);
		default: return cli_usage(extract_usage, EXIT_USAGE);
		}
	}
	if (argc - optind != 1) {
		cli_error(argc - optind ? "extract takes one PDF"
					: "nothing to extract from: name a PDF "
					  "or - (standard input)");
		return cli_usage(extract_usage, EXIT_USAGE);
	}
	input = argv[optind];
	if (all && listing) {
		cli_error("--all and --list do not go together");
		return EXIT_USAGE;
	}
	if (json && !listing) {
		cli_error("--format goes with --list");
		return EXIT_USAGE;
	}
	if ((status = sniff(input, &data, &len, &is_zip)) != EXIT_VALID)
		return status;
	if (fx_ctx_new(&ctx) < 0) {
		cli_error("out of memory");
		status = EXIT_INTERNAL;
		goto out;
	}
	if (is_zip) {
		status = extract_zip(ctx, input, data, len, out_path, listing,
				     json);
		goto out;
	}
	if (all && !out_path)
		out_path = ".";
	if (all && !is_dir(out_path)) {
		cli_error("--all writes into a directory: '%s' is not one",
			  out_path);
		status = EXIT_USAGE;
		goto out;
	}
	if ((err = data ? fx_pdf_open_memory(&pdf, ctx, "<stdin>", data, len)
			: fx_pdf_open_file(&pdf, ctx, input)) < 0 ||
	    (err = fx_pdf_attachment_count(&n, ctx, pdf)) < 0) {
		status = lib_error(ctx, err);
		goto out;
	}
	if (listing) {
		if (cli_output_open(&output, out_path) < 0) {
			status = EXIT_IO;
			goto out;
		}
		status = list(output.fp, ctx, pdf, n, json);
		if (status == EXIT_VALID && cli_output_commit(&output) < 0)
			status = EXIT_IO;
		goto out;
	}
	if (all) {
		status = EXIT_VALID;
		if (!n) {
			cli_error("'%s' has no attachments", fx_pdf_name(pdf));
			status = EXIT_IO;
		}
		for (i = 0; i < n; i++)
			if ((s = write_one(ctx, pdf, i, out_path, NULL)) >
			    status)
				status = s;
		goto out;
	}
	if ((err = fx_pdf_find_invoice(&i, ctx, pdf)) < 0) {
		status = lib_error(ctx, err);
		goto out;
	}
	status = is_dir(out_path) ? write_one(ctx, pdf, i, out_path, NULL)
				  : write_one(ctx, pdf, i, NULL, out_path);
out:
	if (output.fp)
		cli_output_abort(&output);
	fx_pdf_free(pdf);
	fx_ctx_free(ctx);
	free(data);
	return status;
}
