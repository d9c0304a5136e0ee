/* SPDX-License-Identifier: MIT */
/*
 * explain.c - facture explain: what a business rule checks, why, and how
 * to mend an invoice that breaks it
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* clang-format off */
const char explain_usage[] =
	"usage: facture explain rule-id ...\n"
	"\n"
	"Say what a business rule checks, why, and how to fix an invoice that\n"
	"breaks it, then list its checks with their messages.\n"
	"\n"
	"  -h, --help            show this help\n";
/* clang-format on */

static const struct option longopts[] = { { "help", no_argument, NULL, 'h' },
					  { NULL, 0, NULL, 0 } };

struct checks {
	const char *id;
	int print;
	size_t count;
	fx_severity severity;
};

/* Count the checks of a rule, or print them. */
static int each_check(const fx_rule *rule, void *payload)
{
	struct checks *c = payload;

	if (strcmp(rule->id, c->id))
		return 0;
	if (!c->count++)
		c->severity = rule->severity;
	if (c->print)
		printf("  %-11s %s\n", rule->set, rule->message);
	return 0;
}

/* The explanation without its two-space indent. */
static void print_text(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		const char *next = nl ? nl + 1 : end;

		if (*p != '#') {
			if (next - p >= 2 && p[0] == ' ' && p[1] == ' ')
				p += 2;
			fwrite(p, 1, (size_t) (next - p), stdout);
			if (!nl)
				putchar('\n');
		}
		p = next;
	}
}

static int explain_one(fx_ctx *ctx, const char *id)
{
	struct checks c = { id, 0, 0, FX_SEVERITY_FATAL };
	const char *text;
	size_t len;
	int family;

	/* an id no rule set has is an error */
	if (fx_rules_foreach(ctx, each_check, &c) < 0 ||
	    fx_rules_explain(&text, &len, &family, ctx, id) < 0) {
		cli_error("%s", fx_ctx_last_error(ctx)->message);
		return EXIT_INTERNAL;
	}
	if (!c.count) {
		cli_error("no rule '%s': 'facture rules' lists them", id);
		return EXIT_USAGE;
	}
	printf("%s (%s)\n\n", id, fx_severity_name(c.severity));
	if (text)
		print_text(text, len);
	else
		printf("No explanation of our own yet: its checks below say "
		       "what is tested.\n");
	printf("\nChecks (rule set and message; {...} is a value found):\n");
	c.print = 1;
	c.count = 0;
	fx_rules_foreach(ctx, each_check, &c);
	return EXIT_VALID;
}

int cmd_explain(int argc, char **argv, struct cli *cli)
{
	fx_ctx *ctx = NULL;
	int c, i, status = EXIT_VALID, s;

	(void) cli;
	argv[0] = (char *) "facture explain";
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_usage(explain_usage, EXIT_VALID);
		default: return cli_usage(explain_usage, EXIT_USAGE);
		}
	}
	if (optind == argc) {
		cli_error("name the rules to explain, e.g. 'facture explain "
			  "BR-CO-10'");
		return cli_usage(explain_usage, EXIT_USAGE);
	}
	if (fx_ctx_new(&ctx) < 0) {
		cli_error("out of memory");
		return EXIT_INTERNAL;
	}
	for (i = optind; i < argc; i++) {
		if (i > optind)
			putchar('\n');
		if ((s = explain_one(ctx, argv[i])) > status)
			status = s;
	}
	fx_ctx_free(ctx);
	return status;
}
