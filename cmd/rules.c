/* SPDX-License-Identifier: MIT */
/*
 * rules.c - facture rules: list the business rules facture checks
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* clang-format off */
const char rules_usage[] =
	"usage: facture rules [-f format] [--set=set] [rule-id ...]\n"
	"\n"
	"List the business rules facture checks: id, flag, rule set, business\n"
	"terms and message.  With rule ids, only those.\n"
	"\n"
	"  -f, --format=FORMAT   text (default) or json\n"
	"      --set=SET         en16931-ubl or en16931-cii: one rule set only\n"
	"  -h, --help            show this help\n";
/* clang-format on */

enum { OPT_SET = 256 };

static const struct option longopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "set", required_argument, NULL, OPT_SET },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct listing {
	int json;
	const char *set;
	char **ids;
	int nids;
	int *seen; /* per id: how many checks matched */
	size_t count;
};

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char) *s < 0x20)
			printf("\\u%04x", (unsigned char) *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int print_rule(const fx_rule *rule, void *payload)
{
	struct listing *l = payload;
	int i, wanted = l->nids == 0;

	if (l->set && strcmp(l->set, rule->set))
		return 0;
	for (i = 0; i < l->nids; i++) {
		if (!strcmp(l->ids[i], rule->id)) {
			l->seen[i]++;
			wanted = 1;
		}
	}
	if (!wanted)
		return 0;
	if (l->json) {
		const char *t = rule->terms;

		printf("%s\n  {\"id\": ", l->count ? "," : "");
		json_string(rule->id);
		printf(", \"flag\": \"%s\", \"set\": ",
		       fx_severity_name(rule->severity));
		json_string(rule->set);
		printf(", \"terms\": [");
		while (*t) {
			const char *end = strchr(t, ' ');
			size_t n = end ? (size_t) (end - t) : strlen(t);

			printf("%s\"%.*s\"", t == rule->terms ? "" : ", ",
			       (int) n, t);
			t += n;
			while (*t == ' ')
				t++;
		}
		printf("], \"message\": ");
		json_string(rule->message);
		printf("}");
	} else {
		printf("%-12s %-7s %-11s %-16s %s\n", rule->id,
		       fx_severity_name(rule->severity),
		       rule->set + strlen("en16931-"),
		       *rule->terms ? rule->terms : "-", rule->message);
	}
	l->count++;
	return 0;
}

int cmd_rules(int argc, char **argv, struct cli *cli)
{
	struct listing l;
	fx_ctx *ctx = NULL;
	int c, i, status = EXIT_VALID;

	(void) cli;
	memset(&l, 0, sizeof(l));
	argv[0] = (char *) "facture rules";
	optind = 0;
	while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cli_text_or_json(optarg, &l.json))
				return EXIT_USAGE;
			break;
		case OPT_SET:
			if (strcmp(optarg, "en16931-ubl") &&
			    strcmp(optarg, "en16931-cii")) {
				cli_error("unknown rule set '%s': use "
					  "en16931-ubl "
					  "or en16931-cii",
					  optarg);
				return EXIT_USAGE;
			}
			l.set = optarg;
			break;
		case 'h': return cli_usage(rules_usage, EXIT_VALID);
		default: return cli_usage(rules_usage, EXIT_USAGE);
		}
	}
	l.ids = argv + optind;
	l.nids = argc - optind;
	if (l.nids && !(l.seen = calloc((size_t) l.nids, sizeof(*l.seen)))) {
		cli_error("out of memory");
		return EXIT_INTERNAL;
	}
	if (fx_ctx_new(&ctx) < 0) {
		cli_error("out of memory");
		status = EXIT_INTERNAL;
		goto out;
	}
	if (l.json)
		printf("[");
	if (fx_rules_foreach(ctx, print_rule, &l) < 0) {
		cli_error("%s", fx_ctx_last_error(ctx)->message);
		status = EXIT_INTERNAL;
		goto out;
	}
	if (l.json)
		printf("%s]\n", l.count ? "\n" : "");
	for (i = 0; i < l.nids; i++) {
		if (!l.seen[i]) {
			cli_error("no rule '%s'%s%s", l.ids[i],
				  l.set ? " in " : "", l.set ? l.set : "");
			status = EXIT_USAGE;
		}
	}
out:
	fx_ctx_free(ctx);
	free(l.seen);
	return status;
}
