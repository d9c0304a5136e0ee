/* SPDX-License-Identifier: MIT */
/*
 * main.c - the facture program: global options and the command table
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

static const char main_usage[] =
	"usage: facture [--version] [--data-dir=dir] [-h | --help] <command> "
	"[<args>]\n";

const struct cli_command cli_commands[] = {
	{ "validate", cmd_validate,
	  "check invoices: well-formedness, schema, business rules",
	  validate_usage },
	{ "rules", cmd_rules, "list the business rules facture checks",
	  rules_usage },
	{ "explain", cmd_explain,
	  "what a business rule checks, why, and how to fix it",
	  explain_usage },
	{ "extract", cmd_extract,
	  "take the invoice or the attachments out of a Factur-X PDF",
	  extract_usage },
	{ "pack", cmd_pack, "embed an invoice into a PDF, or zip invoices",
	  pack_usage },
	{ "sign", cmd_sign, "sign an invoice (XAdES-BES)", sign_usage },
	{ "verify", cmd_verify, "check the signatures of an invoice",
	  verify_usage },
	{ "submit", cmd_submit, "deposit invoices to Chorus Pro",
	  submit_usage },
	{ "status", cmd_status, "follow deposits on Chorus Pro", status_usage },
	{ "buyer", cmd_buyer,
	  "look a public buyer up in the Chorus Pro directory", buyer_usage },
	{ "help", cmd_help, "show help for facture or one of its commands",
	  "usage: facture help [<command>]\n" },
	{ NULL, NULL, NULL, NULL }
};

const struct cli_command *cli_find_command(const char *name)
{
	const struct cli_command *c;

	for (c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void list_commands(FILE *fp)
{
	const struct cli_command *c;

	fputs(main_usage, fp);
	fputs("\nCommands:\n", fp);
	for (c = cli_commands; c->name; c++)
		fprintf(fp, "   %-10s %s\n", c->name, c->summary);
	fputs("\n'facture help <command>' or 'facture <command> -h' tells "
	      "more;\n"
	      "man facture and man facture-<command> tell all.\n",
	      fp);
}

int cmd_help(int argc, char **argv, struct cli *cli)
{
	const struct cli_command *c;

	(void) cli;
	if (argc < 2) {
		list_commands(stdout);
		return EXIT_VALID;
	}
	if (argc > 2) {
		cli_error("help takes one command name");
		return EXIT_USAGE;
	}
	if (!(c = cli_find_command(argv[1]))) {
		cli_error("no such command '%s'; 'facture help' lists them",
			  argv[1]);
		return EXIT_USAGE;
	}
	fputs(c->usage, stdout);
	return EXIT_VALID;
}

/* Edit distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64], prev, tmp;

	if (lb >= sizeof(row) / sizeof(row[0]))
		return (size_t) -1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

static int unknown_command(const char *name)
{
	const struct cli_command *c;
	int n = 0;

	fprintf(stderr,
		"facture: '%s' is not a facture command. "
		"See 'facture help'.\n",
		name);
	for (c = cli_commands; c->name; c++) {
		if (distance(name, c->name) <= 2 ||
		    (strlen(name) >= 3 &&
		     !strncmp(c->name, name, strlen(name)))) {
			fprintf(stderr,
				n++ ? "\t%s\n"
				    : "\nThe most similar command is\n\t%s\n",
				c->name);
		}
	}
	return EXIT_USAGE;
}

static void print_version(void)
{
	printf("facture %s\n", fx_version());
	printf("schemas: %s\n", fx_schema_version());
	printf("rules: %s\n", fx_rules_version());
	printf("libxml2 %s, libxslt %s\n", fx_libxml2_version(),
	       fx_libxslt_version());
}

static int is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	       access(path, R_OK | X_OK) == 0;
}

enum { OPT_VERSION = 256, OPT_DATA_DIR };

static const struct option longopts[] = {
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "data-dir", required_argument, NULL, OPT_DATA_DIR },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int main(int argc, char **argv)
{
	struct cli cli = { getenv("FACTURE_DATA_DIR") };
	const struct cli_command *cmd;
	int c, status;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_VERSION:
			print_version();
			status = EXIT_VALID;
			goto out;
		case OPT_DATA_DIR: cli.data_dir = optarg; break;
		case 'h':
			list_commands(stdout);
			status = EXIT_VALID;
			goto out;
		default: fputs(main_usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		list_commands(stderr);
		return EXIT_USAGE;
	}
	if (!(cmd = cli_find_command(argv[optind])))
		return unknown_command(argv[optind]);

	if (fx_global_init() < 0) {
		cli_error("cannot initialise the library");
		return EXIT_INTERNAL;
	}
	if (cli.data_dir && *cli.data_dir && !is_directory(cli.data_dir)) {
		cli_error("the data directory '%s' is not a readable directory",
			  cli.data_dir);
		return EXIT_IO;
	}
	if (cli.data_dir && *cli.data_dir &&
	    fx_global_set_data_dir(cli.data_dir) < 0) {
		cli_error("out of memory");
		return EXIT_INTERNAL;
	}
	status = cmd->fn(argc - optind, argv + optind, &cli);
	/*
	 * No fx_global_shutdown(): freeing the compiled schemas and rule sets
	 * piece by piece takes 5 ms, a fifth of a cold validation, to return
	 * memory the exit returns anyway.  (They stay reachable, so leak
	 * checkers do not count them.)
	 */
out:
	/* lost output must not exit 0 */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write to standard output");
		if (status < EXIT_IO)
			status = EXIT_IO;
	}
	return status;
}
