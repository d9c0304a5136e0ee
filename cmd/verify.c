/* SPDX-License-Identifier: MIT */
/*
 * verify.c - facture verify: check the signatures of an invoice
 *
 * A bad or missing signature is a verdict (exit status 1), told on
 * standard output like any other result; trust anchors that cannot be
 * loaded are a credential problem (4).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

const char verify_usage[] =
	"usage: facture verify [-qv] [-f format] [-o file] [--sig=file] "
	"[--ca=file]\n"
	"                      [--at=time] file|-\n"
	"\n"
	"Check the XAdES signatures of an invoice: the enveloped ones of a "
	"UBL\n"
	"invoice, or the detached one of a CII invoice (FILE.xades.xml unless\n"
	"--sig names it): digests, signature value, signed properties and the\n"
	"signer's certificate chain.\n"
	"\n"
	"  -f, --format=FORMAT   text (default) or json\n"
	"  -o, --output=FILE     write the report to FILE (atomically)\n"
	"      --sig=FILE        the detached signature of the invoice\n"
	"      --ca=FILE         trust anchors (PEM) instead of the system's\n"
	"      --at=TIME         check certificates at TIME "
	"(2025-06-30T12:00:00Z)\n"
	"  -q, --quiet           report invalid signatures only, in one line\n"
	"  -v, --verbose         also report each check\n"
	"  -h, --help            show this help\n"
	"\n"
	"Exit status: 0 all signatures valid, 1 a signature is invalid or "
	"there is\n"
	"none, 2 usage, 3 unreadable input, 4 unusable trust anchors, 6 "
	"internal\n"
	"error.  See facture-verify(1).\n";

enum { OPT_SIG = 256, OPT_CA, OPT_AT };

static const struct option longopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "sig", required_argument, NULL, OPT_SIG },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "at", required_argument, NULL, OPT_AT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static const char *check_name(fx_sig_check c)
{
	switch (c) {
	case FX_SIG_CHECK_PASS: return "pass";
	case FX_SIG_CHECK_FAIL: return "fail";
	default: return "not run";
	}
}

/* The fragment of an algorithm URI: "rsa-sha256". */
static const char *short_alg(const char *href)
{
	const char *h = href ? strrchr(href, '#') : NULL;

	if (h && h[1])
		return h + 1;
	if (href && (h = strrchr(href, '/')) && h[1])
		return h + 1;
	return href ? href : "unknown";
}

static void json_string(FILE *fp, const char *s)
{
	const unsigned char *p;

	if (!s) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (p = (const unsigned char *) s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", fp); break;
		case '\\': fputs("\\\\", fp); break;
		case '\n': fputs("\\n", fp); break;
		case '\r': fputs("\\r", fp); break;
		case '\t': fputs("\\t", fp); break;
		default:
			if (*p < 0x20)
				fprintf(fp, "\\u%04x", *p);
			else
				fputc(*p, fp);
		}
	}
	fputc('"', fp);
}

static void render_json(FILE *fp, const char *file, const char *sigfile,
			const fx_verification *v)
{
	size_t i, j, n = fx_verification_count(v);

	fprintf(fp, "{\n  \"version\": 1,\n  \"tool\": {\"name\": \"facture\", "
		    "\"version\": ");
	json_string(fp, fx_version());
	fputs("},\n  \"file\": ", fp);
	json_string(fp, file);
	fputs(",\n  \"signature_file\": ", fp);
	json_string(fp, sigfile);
	fprintf(fp, ",\n  \"status\": \"%s\",\n  \"signatures\": [",
		!n			   ? "unsigned"
		: fx_verification_valid(v) ? "valid"
					   : "invalid");
	for (i = 0; i < n; i++) {
		const fx_signature_info *s = fx_verification_get(v, i);

		fprintf(fp, "%s\n    {\n      \"id\": ", i ? "," : "");
		json_string(fp, s->id);
		fprintf(fp,
			",\n      \"line\": %lu,\n      \"status\": \"%s\",\n"
			"      \"checks\": {\"references\": \"%s\", "
			"\"signature\": \"%s\", \"signed_properties\": \"%s\", "
			"\"certificate\": \"%s\"},\n      \"signer\": "
			"{\"subject\": ",
			s->line, s->valid ? "valid" : "invalid",
			check_name(s->references), check_name(s->value),
			check_name(s->properties), check_name(s->chain));
		json_string(fp, s->subject);
		fputs(", \"issuer\": ", fp);
		json_string(fp, s->issuer);
		fputs(", \"serial\": ", fp);
		json_string(fp, s->serial);
		fputs(", \"not_before\": ", fp);
		json_string(fp, s->not_before);
		fputs(", \"not_after\": ", fp);
		json_string(fp, s->not_after);
		fputs("},\n      \"signing_time\": ", fp);
		json_string(fp, s->signing_time);
		fputs(",\n      \"algorithms\": {\"signature\": ", fp);
		json_string(fp, s->signature_method);
		fputs(", \"digest\": ", fp);
		json_string(fp, s->digest_method);
		fputs(", \"canonicalization\": ", fp);
		json_string(fp, s->c14n_method);
		fputs("},\n      \"problems\": [", fp);
		for (j = 0; j < s->nproblems; j++) {
			fputs(j ? ", " : "", fp);
			json_string(fp, s->problems[j]);
		}
		fputs("]\n    }", fp);
	}
	fprintf(fp, "%s]\n}\n", n ? "\n  " : "");
}

static void render_text(FILE *fp, const char *file, const fx_verification *v,
			int quiet, int verbose)
{
	size_t i, j, n = fx_verification_count(v);

	if (!n) {
		fprintf(fp, "%s: not signed\n", file);
		return;
	}
	for (i = 0; i < n; i++) {
		const fx_signature_info *s = fx_verification_get(v, i);

		if (quiet && s->valid)
			continue;
		fprintf(fp, "%s:%lu: %s signature", file, s->line,
			s->valid ? "valid" : "invalid");
		if (s->subject)
			fprintf(fp, " by %s", s->subject);
		if (quiet) {
			fprintf(fp, "%s%s\n", s->nproblems ? ": " : "",
				s->nproblems ? s->problems[0] : "");
			continue;
		}
		fputc('\n', fp);
		for (j = 0; j < s->nproblems; j++)
			fprintf(fp, "  problem:      %s\n", s->problems[j]);
		fprintf(fp, "  signature:    %s, %s, digest %s\n",
			s->id ? s->id : "(no Id)",
			short_alg(s->signature_method),
			short_alg(s->digest_method));
		if (s->signing_time)
			fprintf(fp, "  signing time: %s\n", s->signing_time);
		if (s->subject)
			fprintf(fp,
				"  certificate:  serial %s, issued by %s\n"
				"                valid from %s to %s\n",
				s->serial, s->issuer, s->not_before,
				s->not_after);
		if (verbose)
			fprintf(fp,
				"  checks:       references %s, signature "
				"value %s, signed properties %s, certificate "
				"%s\n",
				check_name(s->references), check_name(s->value),
				check_name(s->properties),
				check_name(s->chain));
	}
}

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int cmd_verify(int argc, char **argv, struct cli *cli)
{
	struct cli_output output = { NULL, NULL, NULL };
	fx_verify_opts opts = FX_VERIFY_OPTS_INIT;
	fx_ctx *ctx = NULL;
	fx_doc *doc = NULL, *sig = NULL;
	fx_verification *v = NULL;
	const char *out_path = NULL, *sig_path = NULL, *input;
	char *default_sig = NULL;
	int json = 0, quiet = 0, verbose = 0, c, err, status;

	(void) cli;
	argv[0] = (char *) "facture verify";
	optind = 0;
	while ((c = getopt_long(argc, argv, "f:o:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cli_text_or_json(optarg, &json))
				return EXIT_USAGE;
			break;
		case 'o': out_path = optarg; break;
		case OPT_SIG: sig_path = optarg; break;
		case OPT_CA: opts.ca_file = optarg; break;
		case OPT_AT:
			if (fx_time_parse(&opts.at, optarg) < 0) {
				cli_error("--at takes a time such as "
					  "2025-06-30T12:00:00Z, not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			opts.at_set = 1;
			break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'h': return cli_usage(verify_usage, EXIT_VALID);
		default: return cli_usage(verify_usage, EXIT_USAGE);
		}
	}
	if (optind != argc - 1) {
		cli_error(optind >= argc ? "nothing to verify: name one invoice"
					 : "verify takes one invoice at a "
					   "time");
		return cli_usage(verify_usage, EXIT_USAGE);
	}
	input = argv[optind];
	if (sig_path && !strcmp(sig_path, "-") && !strcmp(input, "-")) {
		cli_error("standard input cannot be both the invoice and its "
			  "signature");
		return EXIT_USAGE;
	}
	if (fx_ctx_new(&ctx) < 0) {
		cli_error("out of memory");
		return EXIT_INTERNAL;
	}
	if ((err = fx_doc_load_file(&doc, ctx, input)) < 0) {
		cli_error("%s", fx_ctx_last_error(ctx)->message);
		status = cli_exit_for_error(err);
		goto out;
	}
	if (!sig_path && fx_doc_syntax(doc) == FX_SYNTAX_OTHER_XML &&
	    !strcmp(fx_doc_root_name(doc), "Signature")) {
		cli_error("'%s' is a detached signature: name the invoice, and "
			  "this file with --sig",
			  fx_doc_name(doc));
		status = EXIT_USAGE;
		goto out;
	}
	/* a CII invoice's signature lives beside it */
	if (!sig_path && fx_doc_syntax(doc) == FX_SYNTAX_CII &&
	    strcmp(input, "-")) {
		if (asprintf(&default_sig, "%s.xades.xml", input) < 0) {
			default_sig = NULL;
			cli_error("out of memory");
			status = EXIT_INTERNAL;
			goto out;
		}
		if (file_exists(default_sig))
			sig_path = default_sig;
	}
	if (sig_path) {
		if ((err = fx_doc_load_file(&sig, ctx, sig_path)) < 0) {
			cli_error("%s", fx_ctx_last_error(ctx)->message);
			status = cli_exit_for_error(err);
			goto out;
		}
		opts.signature = sig;
	}
	if ((err = fx_verify(&v, ctx, doc, &opts)) < 0) {
		cli_error("%s", fx_ctx_last_error(ctx)->message);
		status = cli_exit_for_error(err);
		goto out;
	}
	if (!fx_verification_count(v) && fx_doc_syntax(doc) == FX_SYNTAX_CII &&
	    !sig_path)
		cli_error("a CII invoice is signed by a detached signature, "
			  "and %s%s%s: name it with --sig",
			  default_sig ? "there is no '" : "none was named",
			  default_sig ? default_sig : "",
			  default_sig ? "'" : "");

	if (cli_output_open(&output, out_path) < 0) {
		status = EXIT_IO;
		goto out;
	}
	if (json)
		render_json(output.fp, fx_doc_name(doc),
			    sig ? fx_doc_name(sig) : NULL, v);
	else
		render_text(output.fp,
			    sig ? fx_doc_name(sig) : fx_doc_name(doc), v, quiet,
			    verbose);
	if (cli_output_commit(&output) < 0) {
		status = EXIT_IO;
		goto out;
	}
	status = fx_verification_valid(v) ? EXIT_VALID : EXIT_INVALID;
out:
	if (output.fp)
		cli_output_abort(&output);
	free(default_sig);
	fx_verification_free(v);
	fx_doc_free(sig);
	fx_doc_free(doc);
	fx_ctx_free(ctx);
	return status;
}
