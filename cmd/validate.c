/* SPDX-License-Identifier: MIT */
/*
 * validate.c - facture validate: check invoices, report what is wrong
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* clang-format off */
const char validate_usage[] =
	"usage: facture validate [-qv] [-f format] [-j jobs] [-o file]\n"
	"                        [--fail-on=error|warning] [--files-from=file]\n"
	"                        [--max-size=size] [--color=when]\n"
	"                        [--rules=en16931|none] [--stop-on-schema-error]\n"
	"                        file|dir|- ...\n"
	"\n"
	"Check invoices: well-formedness, schema (UBL 2.1 Invoice and CreditNote,\n"
	"CII D16B) and the EN 16931 business rules.  Directories are searched\n"
	"for *.xml and *.pdf.\n"
	"\n"
	"  -f, --format=FORMAT   text (default), json, junit, sarif or svrl\n"
	"  -o, --output=FILE     write the report to FILE (atomically)\n"
	"  -j, --jobs=N          worker threads; 0 means one per core (default 1)\n"
	"      --files-from=FILE read more paths from FILE, one per line (- is stdin)\n"
	"      --max-size=SIZE   largest input accepted, e.g. 500K, 100M (default 100M)\n"
	"      --fail-on=LEVEL   error (default) or warning: what makes exit status 1\n"
	"      --color=WHEN      auto (default), always or never\n"
	"      --rules=SET       en16931 (default) or none: the business rules to run\n"
	"      --stop-on-schema-error\n"
	"                        skip the rules for a file the schema rejects\n"
	"  -q, --quiet           no summary and no progress line\n"
	"  -v, --verbose         also a line for each valid file\n"
	"  -h, --help            show this help\n"
	"\n"
	"Exit status: 0 all valid, 1 invalid, 2 usage, 3 unreadable or not\n"
	"well-formed input, 6 internal error.  See facture-validate(1).\n";
/* clang-format on */

enum {
	OPT_FILES_FROM = 256,
	OPT_MAX_SIZE,
	OPT_FAIL_ON,
	OPT_COLOR,
	OPT_RULES,
	OPT_STOP_ON_SCHEMA_ERROR
};

static const struct option longopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "files-from", required_argument, NULL, OPT_FILES_FROM },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "colour", required_argument, NULL, OPT_COLOR },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "stop-on-schema-error", no_argument, NULL, OPT_STOP_ON_SCHEMA_ERROR },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct run {
	fx_renderer *renderer;
	fx_summary summary;
	int fail_on_warning;
	int status; /* highest exit code seen */
	int write_failed;
};

static int write_stream(const char *data, size_t len, void *payload)
{
	FILE *fp = payload;

	return fwrite(data, 1, len, fp) == len ? 0 : -1;
}

static int status_of(const fx_report *report, int fail_on_warning)
{
	switch (fx_report_outcome(report)) {
	case FX_OUTCOME_ERROR:
		/* unreadable or unsupported input is 3, our own failure 6 */
		return cli_exit_for_error(fx_report_error(report));
	case FX_OUTCOME_INVALID: return EXIT_INVALID;
	default:
		if (fail_on_warning &&
		    fx_report_count_severity(report, FX_SEVERITY_WARNING))
			return EXIT_INVALID;
		return EXIT_VALID;
	}
}

static int emit(const fx_report *report, void *payload)
{
	struct run *run = payload;
	int s = status_of(report, run->fail_on_warning);

	if (s > run->status)
		run->status = s;
	fx_summary_add(&run->summary, report);
	if (fx_renderer_add(run->renderer, report) < 0) {
		run->write_failed = 1;
		return FX_EIO;
	}
	return 0;
}

static void print_summary(const fx_summary *s)
{
	fprintf(stderr,
		"facture: %zu file%s in %.2f s: %zu valid, %zu invalid, "
		"%zu unreadable",
		s->files, s->files == 1 ? "" : "s", s->seconds, s->valid,
		s->invalid, s->errors);
	if (s->warning)
		fprintf(stderr, ", %zu warning%s", s->warning,
			s->warning == 1 ? "" : "s");
	fputc('\n', stderr);
}

int cmd_validate(int argc, char **argv, struct cli *cli)
{
	struct batch_source src = { NULL, 0, NULL, NULL };
	struct batch_opts bopts;
	struct cli_output output = { NULL, NULL, NULL };
	fx_render_opts ropts = FX_RENDER_OPTS_INIT;
	fx_validate_opts vopts = FX_VALIDATE_OPTS_INIT;
	fx_format format = FX_FORMAT_TEXT;
	struct run run;
	const char *out_path = NULL, *color = "auto", *files_from = NULL;
	unsigned long jobs = 1;
	size_t max_size = FX_DEFAULT_MAX_SIZE;
	int quiet = 0, verbose = 0, c, err, status;
	double start;

	(void) cli;
	memset(&run, 0, sizeof(run));
	/* getopt names argv[0] in its messages */
	argv[0] = (char *) "facture validate";
	optind = 0;
	while ((c = getopt_long(argc, argv, "f:o:j:qvh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'f':
			if (fx_format_parse(&format, optarg) < 0) {
				cli_error(
					"unknown format '%s': use text, json, "
					"junit, sarif or svrl",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': out_path = optarg; break;
		case 'j':
			if (cli_parse_uint(optarg, &jobs) < 0 || jobs > 1024) {
				cli_error("-j takes a number of threads from 0 "
					  "to 1024, not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_FILES_FROM: files_from = optarg; break;
		case OPT_MAX_SIZE:
			if (cli_parse_size(optarg, &max_size) < 0) {
				cli_error(
					"--max-size takes a size such as 500K, "
					"100M or 1G, not '%s'",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_FAIL_ON:
			if (!strcmp(optarg, "warning")) {
				run.fail_on_warning = 1;
			} else if (!strcmp(optarg, "error")) {
				run.fail_on_warning = 0;
			} else {
				cli_error("--fail-on takes error or warning, "
					  "not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_COLOR:
			color = optarg;
			if (cli_color(color, stdout) < 0) {
				cli_error(
					"--color takes auto, always or never, "
					"not '%s'",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_RULES:
			if (!strcmp(optarg, "en16931")) {
				vopts.rules = FX_RULES_EN16931;
			} else if (!strcmp(optarg, "none")) {
				vopts.rules = FX_RULES_NONE;
			} else {
				cli_error("--rules takes en16931 or none, not "
					  "'%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_STOP_ON_SCHEMA_ERROR:
			vopts.stop_on_schema_error = 1;
			break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'h': return cli_usage(validate_usage, EXIT_VALID);
		default: return cli_usage(validate_usage, EXIT_USAGE);
		}
	}
	src.paths = argv + optind;
	src.npaths = argc - optind;
	if (src.npaths == 0 && !files_from) {
		cli_error("nothing to validate: name files, directories or - "
			  "(standard input)");
		return cli_usage(validate_usage, EXIT_USAGE);
	}
	if (files_from && !strcmp(files_from, "-")) {
		int i;

		for (i = 0; i < src.npaths; i++) {
			if (!strcmp(src.paths[i], "-")) {
				cli_error("standard input cannot be both an "
					  "input (-) and the list of inputs "
					  "(--files-from=-)");
				return EXIT_USAGE;
			}
		}
	}
	if (jobs == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		jobs = n > 0 ? (unsigned long) n : 1;
	}

	if (files_from) {
		src.files_from_name = files_from;
		if (!strcmp(files_from, "-")) {
			src.files_from = stdin;
		} else if (!(src.files_from = fopen(files_from, "r"))) {
			cli_error("cannot open '%s': %s", files_from,
				  strerror(errno));
			return EXIT_IO;
		}
	}
	if (cli_output_open(&output, out_path) < 0) {
		status = EXIT_IO;
		goto out;
	}

	ropts.color = output.fp == stdout && cli_color(color, stdout) == 1;
	ropts.verbose = verbose;
	ropts.write = write_stream;
	ropts.payload = output.fp;
	if ((err = fx_renderer_new(&run.renderer, format, &ropts)) < 0) {
		cli_error("cannot set up the %s renderer", "report");
		status = EXIT_INTERNAL;
		goto out;
	}

	memset(&bopts, 0, sizeof(bopts));
	bopts.jobs = (unsigned) jobs;
	bopts.max_size = max_size;
	bopts.validate = vopts;
	bopts.progress = !quiet && isatty(STDERR_FILENO);
	bopts.emit = emit;
	bopts.payload = &run;

	start = cli_now();
	if (fx_renderer_begin(run.renderer) < 0)
		run.write_failed = 1;
	err = run.write_failed ? FX_EIO : batch_run(&src, &bopts);
	run.summary.seconds = cli_now() - start;
	if (err >= 0 && fx_renderer_end(run.renderer, &run.summary) < 0)
		run.write_failed = 1;

	status = run.status;
	if (run.write_failed) {
		cli_error("cannot write the report to '%s'",
			  out_path ? out_path : "standard output");
		status = EXIT_IO;
	} else if (err < 0) {
		status = err == FX_EIO ? EXIT_IO : EXIT_INTERNAL;
	}
	if (status == EXIT_IO && run.write_failed)
		cli_output_abort(&output);
	else if (err < 0)
		cli_output_abort(&output);
	else if (cli_output_commit(&output) < 0)
		status = EXIT_IO;
	if (!quiet)
		print_summary(&run.summary);
out:
	if (output.fp)
		cli_output_abort(&output);
	fx_renderer_free(run.renderer);
	if (src.files_from && src.files_from != stdin)
		fclose(src.files_from);
	return status;
}
