/* SPDX-License-Identifier: MIT */
/*
 * pack.c - facture pack: embed an invoice into a PDF (Factur-X, ZUGFeRD,
 * XRechnung) as an incremental update, or bundle invoices into a zip
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

/* clang-format off */
const char pack_usage[] =
	"usage: facture pack [-F flavor] [-r relationship] [-a file] [--replace]\n"
	"                    [--force] -o out.pdf invoice.pdf invoice.xml\n"
	"       facture pack [--force] -z out.zip invoice.xml...\n"
	"\n"
	"Embed a CII invoice into a PDF, as Factur-X, ZUGFeRD or XRechnung:\n"
	"the original bytes are kept and new objects appended (the embedded\n"
	"file, its /AF entry, the XMP metadata of PDF/A-3, an sRGB output\n"
	"intent when there is none).  With --zip, bundle invoices of one\n"
	"syntax into a zip archive for a single deposit.\n"
	"\n"
	"  -o, --output=FILE        the PDF to write (required; not the input)\n"
	"  -F, --flavor=FLAVOR      factur-x (default), zugferd or xrechnung\n"
	"  -r, --relationship=REL   the invoice's /AFRelationship (default:\n"
	"                           Data for MINIMUM and BASIC WL, else\n"
	"                           Alternative)\n"
	"  -a, --attach=FILE        embed another file too (Supplement)\n"
	"      --replace            replace an invoice already embedded\n"
	"      --force              pack an invoice that is not valid\n"
	"  -z, --zip=FILE           write a zip archive of the operands\n"
	"  -h, --help               show this help\n"
	"\n"
	"Exit status: 0 done, 1 the invoice is not valid (nothing written),\n"
	"2 usage, 3 unreadable or damaged input, an invoice already\n"
	"embedded, or cannot write.  See facture-pack(1).\n";
/* clang-format on */

enum { OPT_REPLACE = 256, OPT_FORCE };

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "flavor", required_argument, NULL, 'F' },
	{ "relationship", required_argument, NULL, 'r' },
	{ "attach", required_argument, NULL, 'a' },
	{ "replace", no_argument, NULL, OPT_REPLACE },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "zip", required_argument, NULL, 'z' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static const char *const relationships[] = { "Data",	    "Source",
					     "Alternative", "Supplement",
					     "Unspecified", NULL };

struct input {
	const char *path;
	char *data;
	size_t len;
};

static int read_input(fx_ctx *ctx, struct input *in, const char *path)
{
	size_t max = fx_ctx_max_size(ctx);
	int err;

	in->path = path;
	err = cli_read_file(path, max, &in->data, &in->len);
	if (err == EFBIG)
		cli_error("'%s' is larger than %zu bytes", path, max);
	else if (err == ENOMEM)
		cli_error("out of memory");
	else if (err)
		cli_error("cannot read '%s': %s", path, strerror(err));
	return !err ? EXIT_VALID : err == ENOMEM ? EXIT_INTERNAL : EXIT_IO;
}

/* The base name of PATH. */
static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * Load and (unless FORCE) validate the invoice IN; *doc is kept for its
 * syntax and profile.  EXIT_INVALID when it is not valid.
 */
static int check_invoice(fx_ctx *ctx, const struct input *in, int force,
			 fx_doc **doc)
{
	fx_report *report = NULL;
	int err, status = EXIT_VALID;
	size_t i;

	if ((err = fx_doc_load_memory(doc, ctx, in->path, in->data, in->len)) <
	    0) {
		cli_error("%s", fx_ctx_last_error(ctx)->message);
		return cli_exit_for_error(err);
	}
	switch (fx_doc_syntax(*doc)) {
	case FX_SYNTAX_UBL_INVOICE:
	case FX_SYNTAX_UBL_CREDITNOTE:
	case FX_SYNTAX_CII: break;
	default:
		cli_error("'%s' is not a UBL or CII invoice", in->path);
		return EXIT_IO;
	}
	if (force)
		return EXIT_VALID;
	if ((err = fx_validate(&report, ctx, *doc, NULL)) < 0) {
		cli_error("%s", fx_ctx_last_error(ctx)->message);
		return cli_exit_for_error(err);
	}
	if (fx_report_outcome(report) != FX_OUTCOME_VALID) {
		size_t fatal =
			fx_report_count_severity(report, FX_SEVERITY_FATAL);

		cli_error("'%s' is not a valid invoice (%zu fatal "
			  "finding%s; see facture validate): nothing "
			  "written, use --force to pack it anyway",
			  in->path, fatal, fatal == 1 ? "" : "s");
		for (i = 0; i < fx_report_count(report) && i < 3; i++) {
			const fx_finding *f = fx_report_get(report, i);

			if (f->severity == FX_SEVERITY_FATAL)
				fprintf(stderr, "  %s: %s\n",
					f->rule ? f->rule : "-",
					f->message ? f->message : "");
		}
		status = EXIT_INVALID;
	}
	fx_report_free(report);
	return status;
}

/* fx:ConformanceLevel for a profile */
static const char *conformance_level(fx_profile p)
{
	switch (p) {
	case FX_PROFILE_FACTURX_MINIMUM: return "MINIMUM";
	case FX_PROFILE_FACTURX_BASICWL: return "BASIC WL";
	case FX_PROFILE_FACTURX_BASIC: return "BASIC";
	case FX_PROFILE_FACTURX_EXTENDED:
	case FX_PROFILE_EXTENDED_CTC_FR: return "EXTENDED";
	case FX_PROFILE_XRECHNUNG: return "XRECHNUNG";
	default: return "EN 16931";
	}
}

static int write_fn(const char *data, size_t len, void *payload)
{
	return fwrite(data, 1, len, payload) == len ? 0 : -1;
}

static int pack_zip(fx_ctx *ctx, const char *out_path, char **paths, int n,
		    int force)
{
	struct input *in = NULL;
	fx_zip_member *m = NULL;
	struct cli_output out = { 0 };
	fx_syntax syntax = FX_SYNTAX_UNKNOWN;
	int i, status = EXIT_VALID, err;

	if (!(in = calloc((size_t) n, sizeof(*in))) ||
	    !(m = calloc((size_t) n, sizeof(*m)))) {
		cli_error("out of memory");
		status = EXIT_INTERNAL;
		goto out;
	}
	for (i = 0; i < n && status == EXIT_VALID; i++) {
		fx_doc *doc = NULL;

		if ((status = read_input(ctx, &in[i], paths[i])) != EXIT_VALID)
			break;
		if ((status = check_invoice(ctx, &in[i], force, &doc)) ==
		    EXIT_VALID) {
			fx_syntax s = fx_doc_syntax(doc);

			if (s == FX_SYNTAX_UBL_CREDITNOTE)
				s = FX_SYNTAX_UBL_INVOICE;
			if (i && s != syntax) {
				cli_error("'%s' is not of the same syntax as "
					  "'%s': an archive holds invoices of "
					  "one syntax",
					  paths[i], paths[0]);
				status = EXIT_USAGE;
			}
			syntax = s;
		}
		fx_doc_free(doc);
		m[i].name = base_name(paths[i]);
		m[i].data = in[i].data;
		m[i].len = in[i].len;
	}
	if (status != EXIT_VALID)
		goto out;
	if (cli_output_open(&out, out_path) < 0) {
		status = EXIT_IO;
		goto out;
	}
	if ((err = fx_zip_write(ctx, m, (size_t) n, write_fn, out.fp)) < 0) {
		cli_error("%s", fx_ctx_last_error(ctx)->message);
		status = cli_exit_for_error(err);
		goto out;
	}
	status = cli_output_commit(&out) < 0 ? EXIT_IO : EXIT_VALID;
out:
	if (out.fp)
		cli_output_abort(&out);
	for (i = 0; in && i < n; i++)
		free(in[i].data);
	free(in);
	free(m);
	return status;
}

int cmd_pack(int argc, char **argv, struct cli *cli)
{
	const char *out_path = NULL, *zip_path = NULL, *flavor = "factur-x";
	const char *relationship = NULL, *file_name, *ns = NULL, *src;
	const char **attach = NULL;
	size_t nattach = 0, i, out_len = 0;
	struct input pdf_in = { 0 }, xml_in = { 0 }, *att_in = NULL;
	fx_pdf_embed *files = NULL;
	fx_pdf_pack_opts opts = { 0 };
	unsigned char *packed = NULL;
	struct cli_output out = { 0 };
	fx_ctx *ctx = NULL;
	fx_doc *doc = NULL;
	fx_profile profile;
	int c, replace = 0, force = 0, status = EXIT_VALID, err;

	(void) cli;
	/* glibc: 0 restarts getopt; getopt names argv[0] in its messages */
	argv[0] = (char *) "facture pack";
	optind = 0;
	while ((c = getopt_long(argc, argv, "o:F:r:a:z:h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'F': flavor = optarg; break;
		case 'r': relationship = optarg; break;
		case 'a': {
			const char **a =
				realloc(attach, (nattach + 1) * sizeof(*a));

			if (!a) {
				cli_error("out of memory");
				free(attach);
				return EXIT_INTERNAL;
			}
			attach = a;
			attach[nattach++] = optarg;
			break;
		}
		case OPT_REPLACE: replace = 1; break;
		case OPT_FORCE: force = 1; break;
		case 'z': zip_path = optarg; break;
		case 'h':
			free(attach);
			return cli_usage(pack_usage, EXIT_VALID);
		default: free(attach); return cli_usage(pack_usage, EXIT_USAGE);
		}
	}
	if (fx_ctx_new(&ctx) < 0) {
		cli_error("out of memory");
		status = EXIT_INTERNAL;
		goto out;
	}
	if (zip_path) {
		if (out_path || nattach || relationship || replace) {
			cli_error("--zip takes only --force and the invoices");
			status = EXIT_USAGE;
		} else if (optind >= argc) {
			cli_error("--zip needs at least one invoice");
			status = EXIT_USAGE;
		} else {
			status = pack_zip(ctx, zip_path, argv + optind,
					  argc - optind, force);
		}
		goto out;
	}
	if (argc - optind != 2) {
		cli_error("pack takes a PDF and an invoice");
		status = cli_usage(pack_usage, EXIT_USAGE);
		goto out;
	}
	if (!out_path || !strcmp(out_path, "-")) {
		cli_error("pack needs -o FILE (the PDF to write)");
		status = EXIT_USAGE;
		goto out;
	}
	if (!strcmp(flavor, "factur-x")) {
		file_name = "factur-x.xml";
	} else if (!strcmp(flavor, "zugferd")) {
		file_name = "zugferd-invoice.xml";
		ns = "urn:zugferd:pdfa:CrossIndustryDocument:invoice:2p0#";
	} else if (!strcmp(flavor, "xrechnung")) {
		file_name = "xrechnung.xml";
	} else {
		cli_error("unknown flavor '%s' (factur-x, zugferd or "
			  "xrechnung)",
			  flavor);
		status = EXIT_USAGE;
		goto out;
	}
	if (relationship) {
		for (i = 0; relationships[i]; i++)
			if (!strcmp(relationships[i], relationship))
				break;
		if (!relationships[i]) {
			cli_error("unknown relationship '%s' (Data, Source, "
				  "Alternative, Supplement or Unspecified)",
				  relationship);
			status = EXIT_USAGE;
			goto out;
		}
	}
	src = argv[optind];
	if (!strcmp(src, out_path)) {
		cli_error("the output must not be the input '%s'", src);
		status = EXIT_USAGE;
		goto out;
	}
	if ((status = read_input(ctx, &pdf_in, src)) != EXIT_VALID ||
	    (status = read_input(ctx, &xml_in, argv[optind + 1])) !=
		    EXIT_VALID ||
	    (status = check_invoice(ctx, &xml_in, force, &doc)) != EXIT_VALID)
		goto out;
	if (fx_doc_syntax(doc) != FX_SYNTAX_CII) {
		cli_error("'%s' is not a CII invoice: a %s PDF carries CII",
			  xml_in.path, flavor);
		status = EXIT_IO;
		goto out;
	}
	profile = fx_doc_profile(doc);
	opts.conformance_level = !strcmp(flavor, "xrechnung")
					 ? "XRECHNUNG"
					 : conformance_level(profile);
	opts.fx_namespace = ns;
	opts.replace = replace;
	opts.name = src;
	if (!relationship)
		relationship =
			profile == FX_PROFILE_FACTURX_MINIMUM ||
					profile == FX_PROFILE_FACTURX_BASICWL
				? "Data"
				: "Alternative";

	if (!(files = calloc(nattach + 1, sizeof(*files))) ||
	    (nattach && !(att_in = calloc(nattach, sizeof(*att_in))))) {
		cli_error("out of memory");
		status = EXIT_INTERNAL;
		goto out;
	}
	files[0].name = file_name;
	files[0].data = xml_in.data;
	files[0].len = xml_in.len;
	files[0].mime = "text/xml";
	files[0].relationship = relationship;
	files[0].description = "Factur-X invoice";
	if (!strcmp(flavor, "zugferd"))
		files[0].description = "ZUGFeRD invoice";
	else if (!strcmp(flavor, "xrechnung"))
		files[0].description = "XRechnung invoice";
	for (i = 0; i < nattach; i++) {
		const char *b = base_name(attach[i]);
		size_t bl = strlen(b);

		if ((status = read_input(ctx, &att_in[i], attach[i])) !=
		    EXIT_VALID)
			goto out;
		files[i + 1].name = b;
		files[i + 1].data = att_in[i].data;
		files[i + 1].len = att_in[i].len;
		files[i + 1].relationship = "Supplement";
		files[i + 1].mime =
			bl > 4 && !strcmp(b + bl - 4, ".xml") ? "text/xml"
			: bl > 4 && !strcmp(b + bl - 4, ".pdf")
				? "application/pdf"
			: bl > 4 && !strcmp(b + bl - 4, ".csv") ? "text/csv"
								: NULL;
	}
	if ((err = fx_pdf_pack(&packed, &out_len, ctx, pdf_in.data, pdf_in.len,
			       files, nattach + 1, &opts)) < 0) {
		cli_error("%s%s", fx_ctx_last_error(ctx)->message,
			  err == FX_EINVALID && !replace
				  ? ": use --replace to replace it"
				  : "");
		status = err == FX_EINVALID ? EXIT_IO : cli_exit_for_error(err);
		goto out;
	}
	if (cli_output_open(&out, out_path) < 0) {
		status = EXIT_IO;
		goto out;
	}
	if (fwrite(packed, 1, out_len, out.fp) != out_len) {
		cli_error("cannot write '%s': %s", out_path, strerror(errno));
		status = EXIT_IO;
		goto out;
	}
	status = cli_output_commit(&out) < 0 ? EXIT_IO : EXIT_VALID;
out:
	if (out.fp)
		cli_output_abort(&out);
	for (i = 0; att_in && i < nattach; i++)
		free(att_in[i].data);
	free(att_in);
	free(files);
	free(attach);
	free(packed);
	free(pdf_in.data);
	free(xml_in.data);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
	return status;
}
