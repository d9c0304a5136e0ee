/* SPDX-License-Identifier: MIT */
/*
 * buyer.c - facture buyer: what a public buyer's invoices need, from the
 * Chorus Pro directory (or the cache of earlier lookups)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"

/* clang-format off */
const char buyer_usage[] =
	"usage: facture buyer [-q] [-p profile] [--config=file] [--cacert=file]\n"
	"                     [--timeout=seconds] [-f format]\n"
	"                     [--refresh | --offline] siret...\n"
	"\n"
	"Look public buyers up in the Chorus Pro directory by SIRET, and say\n"
	"what their invoices need: a service code (BT-10), a commitment number\n"
	"(BT-13), and which services are active.\n"
	"\n"
	"      --refresh         look it up again even when the cache knows it\n"
	"      --offline         the cache only, ask Chorus Pro nothing\n"
	CHORUS_USAGE_OPTIONS
	"  -q, --quiet           no progress\n"
	"  -h, --help            show this help\n"
	"\n"
	"Exit status: 0 found, 1 not in the directory (or, offline, not in the\n"
	"cache), 2 usage, 4 credentials, 5 network or Chorus Pro failure, 6\n"
	"internal error.  See facture-buyer(1).\n";
/* clang-format on */

enum { OPT_REFRESH = CHORUS_OPT_FIRST_FREE, OPT_OFFLINE };

static const struct option longopts[] = {
	CHORUS_LONGOPTS,
	{ "refresh", no_argument, NULL, OPT_REFRESH },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ NULL, 0, NULL, 0 }
};

static const char *need(int required, int either, const char *other)
{
	static char buf[128];

	if (required)
		return "required";
	if (either) {
		snprintf(buf, sizeof(buf), "required unless %s is given",
			 other);
		return buf;
	}
	return "not required";
}

static void print_text(const fx_chorus_structure *st)
{
	size_t i;

	printf("%s  %s (%s, idStructureCPP %lld)\n", st->siret,
	       st->name ? st->name : "?", st->status ? st->status : "?",
	       st->id);
	printf("  service code (BT-10): %s\n",
	       need(st->service_required, st->service_or_commitment,
		    "a commitment number (BT-13)"));
	printf("  commitment number (BT-13): %s\n",
	       need(st->commitment_required, st->service_or_commitment,
		    "a service code (BT-10)"));
	if (!st->nservices) {
		printf("  active services: none\n");
	} else {
		printf("  active services:\n");
		for (i = 0; i < st->nservices; i++) {
			const fx_chorus_service *sv = &st->services[i];

			printf("    %-10s %s%s\n", sv->code ? sv->code : "?",
			       sv->label ? sv->label : "",
			       sv->commitment_required
				       ? " (commitment number required)"
				       : "");
		}
	}
	if (st->fetched)
		printf("  looked up %s\n", st->fetched);
}

int cmd_buyer(int argc, char **argv, struct cli *cli)
{
	struct chorus_cli cc;
	fx_chorus_structure st;
	cJSON *root = NULL, *list = NULL, *missing = NULL, *item;
	int c, i, s, found, refresh = 0, offline = 0, status = EXIT_VALID;
	char *text;

	(void) cli;
	memset(&cc, 0, sizeof(cc));
	cc.cmd = "buyer";
	argv[0] = (char *) "facture buyer";
	optind = 0;
	while ((c = getopt_long(argc, argv, CHORUS_SHORTOPTS, longopts,
				NULL)) != -1) {
		if ((s = chorus_option(&cc, c, optarg)) >= 0) {
			if (s)
				return s;
			continue;
		}
		switch (c) {
		case OPT_REFRESH: refresh = 1; break;
		case OPT_OFFLINE: offline = 1; break;
		case 'h': return cli_usage(buyer_usage, EXIT_VALID);
		default: return cli_usage(buyer_usage, EXIT_USAGE);
		}
	}
	if (refresh && offline) {
		chorus_error(&cc, "--refresh asks Chorus Pro, --offline does "
				  "not: choose one");
		return cli_usage(buyer_usage, EXIT_USAGE);
	}
	if (optind >= argc) {
		chorus_error(&cc, "name the SIRET of the buyers to look up");
		return cli_usage(buyer_usage, EXIT_USAGE);
	}
	for (i = optind; i < argc; i++) {
		if (!fx_siret_valid(argv[i])) {
			chorus_error(&cc,
				     "'%s' is not a SIRET (14 digits with a "
				     "valid check digit)",
				     argv[i]);
			status = EXIT_USAGE;
		}
	}
	if (status)
		return status;
	if ((status = chorus_setup(&cc)))
		goto out;
	if (cc.json &&
	    (!(root = cJSON_CreateObject()) ||
	     !cJSON_AddNumberToObject(root, "version", 1) ||
	     !(list = cJSON_AddArrayToObject(root, "structures")) ||
	     !(missing = cJSON_AddArrayToObject(root, "not_found")))) {
		status = EXIT_INTERNAL;
		goto out;
	}
	for (i = optind; i < argc; i++) {
		s = chorus_buyer(&cc, argv[i], refresh, offline, &st, &found);
		if (s) {
			if (cc.client) /* else chorus_client said why */
				chorus_error(&cc, "%s: %s", argv[i],
					     chorus_errmsg(&cc));
			if (s > status)
				status = s;
			if (s == EXIT_KEY)
				break; /* the next would fail the same way */
			continue;
		}
		if (found != 1) {
			if (status < EXIT_INVALID)
				status = EXIT_INVALID;
			if (cc.json) {
				cJSON_AddItemToArray(
					missing, cJSON_CreateString(argv[i]));
			} else if (found == 0) {
				printf("%s: not in the Chorus Pro directory\n",
				       argv[i]);
			} else {
				printf("%s: not in the cache of profile '%s' "
				       "(look it up without --offline)\n",
				       argv[i], cc.profile);
			}
			continue;
		}
		if (cc.json) {
			text = NULL;
			if (fx_chorus_structure_to_json(&text, &st) == 0 &&
			    (item = cJSON_Parse(text)))
				cJSON_AddItemToArray(list, item);
			free(text);
		} else {
			print_text(&st);
		}
		fx_chorus_structure_clear(&st);
	}
	if (root)
		cli_print_json(stdout, root);
out:
	cJSON_Delete(root);
	chorus_release(&cc);
	return status;
}
