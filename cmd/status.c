/* SPDX-License-Identifier: MIT */
/*
 * status.c - facture status: follow the deposits kept in the journal
 *
 * Each entry is refreshed from the server: an attempt whose outcome is
 * unknown is looked for by its invoice number, a flow gets its processing
 * report, and an integrated flow the status of each of its invoices.  The
 * journal keeps the last state seen.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"

/* clang-format off */
const char status_usage[] =
	"usage: facture status [-q] [-p profile] [--config=file] [--cacert=file]\n"
	"                      [--timeout=seconds] [-f format] [--offline]\n"
	"                      [flow|file...]\n"
	"       facture status --all [-q] [-p profile] [--config=file]\n"
	"                      [--cacert=file] [--timeout=seconds] [-f format]\n"
	"                      [--offline]\n"
	"\n"
	"Show the deposits kept in the journal, refreshed from Chorus Pro: the\n"
	"state of each flow and the status of its invoices.  With no operand,\n"
	"the deposits not processed yet; a file is known by its contents.\n"
	"\n"
	"      --all             every deposit of the journal\n"
	"      --offline         show the journal only, ask Chorus Pro nothing\n"
	CHORUS_USAGE_OPTIONS
	"  -q, --quiet           no progress\n"
	"  -h, --help            show this help\n"
	"\n"
	"Exit status: 0 nothing failed, 1 a flow or an invoice rejected or\n"
	"held, or an operand not in the journal, 2 usage, 3 journal, 4\n"
	"credentials, 5 network or Chorus Pro failure, 6 internal error.  See\n"
	"facture-status(1).\n";
/* clang-format on */

enum { OPT_ALL = CHORUS_OPT_FIRST_FREE, OPT_OFFLINE };

static const struct option longopts[] = { CHORUS_LONGOPTS,
					  { "all", no_argument, NULL, OPT_ALL },
					  { "offline", no_argument, NULL,
					    OPT_OFFLINE },
					  { NULL, 0, NULL, 0 } };

struct status_run {
	struct chorus_cli cc;
	int all, offline, stop;
	cJSON *flows; /* -f json */
};

/* Invoice statuses that send the invoice back to the supplier. */
static int invoice_bad(const char *status)
{
	return status &&
	       (!strcmp(status, "REJETEE") || !strcmp(status, "SUSPENDUE") ||
		!strcmp(status, "A_RECYCLER"));
}

static const char *class_name(const fx_journal_entry *e)
{
	if (!e->state || chorus_state_unsure(e->state))
		return "unknown";
	if (!strcmp(e->state, "failed"))
		return "failed";
	switch (fx_chorus_flow_classify(e->state)) {
	case FX_FLOW_INTEGRATED: return "integrated";
	case FX_FLOW_PARTIAL: return "partial";
	case FX_FLOW_FAILED: return "failed";
	default: return "pending";
	}
}

/* Entries listed with no operand: whatever may still change. */
static int not_final(const fx_journal_entry *e)
{
	if (!e->state || chorus_state_unsure(e->state))
		return 1;
	if (!strcmp(e->state, "failed"))
		return 0; /* nothing was deposited */
	return fx_chorus_flow_classify(e->state) == FX_FLOW_PENDING;
}

static int looks_like_flow(const char *s)
{
	size_t i;

	if (strncmp(s, "CPP", 3) || !s[3])
		return 0;
	for (i = 3; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The digest of the file at PATH; -1 when it cannot be read. */
static int file_digest(const char *path, char out[65])
{
	struct stat st;
	char *data;
	size_t len;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    cli_read_file(strcmp(path, "-") ? path : "./-", 0, &data, &len))
		return -1;
	fx_sha256_hex(out, data, len);
	free(data);
	return 0;
}

/* The index of the entry an operand names, or -1. */
static long find_operand(const fx_journal *j, const char *arg)
{
	const fx_journal_entry *e = NULL;
	char sha[65];
	size_t i, n = fx_journal_count(j);
	int gone = file_digest(arg, sha) < 0;

	if (!gone)
		e = fx_journal_find_sha256(j, sha);
	if (!e && looks_like_flow(arg))
		e = fx_journal_find_flow(j, arg);
	if (e) {
		for (i = 0; i < n; i++)
			if (fx_journal_get(j, i) == e)
				return (long) i;
		return -1;
	}
	/* a file gone since: its path as the journal recorded it (a file
	 * that is there but changed is another invoice) */
	for (i = n; gone && i-- > 0;)
		if (fx_journal_get(j, i)->file &&
		    !strcmp(fx_journal_get(j, i)->file, arg))
			return (long) i;
	return -1;
}

/* The number to look an archive's deposit up by: its first member's. */
static char *archive_number(struct status_run *st, const fx_journal_entry *e)
{
	fx_ctx *ctx = st->cc.ctx;
	fx_zip *zip = NULL;
	fx_doc *doc = NULL;
	fx_chorus_facts facts;
	const unsigned char *data;
	size_t len, i;
	char sha[65], *number = NULL;

	memset(&facts, 0, sizeof(facts));
	if (!e->file || file_digest(e->file, sha) < 0 ||
	    strcmp(sha, e->sha256) || fx_zip_open_file(&zip, ctx, e->file) < 0)
		return NULL;
	for (i = 0; i < fx_zip_count(zip); i++) {
		if (fx_zip_get(zip, i)->is_dir)
			continue;
		if (fx_zip_read(&data, &len, ctx, zip, i) == 0 &&
		    fx_doc_load_memory(&doc, ctx, NULL, data, len) == 0 &&
		    fx_chorus_facts_read(&facts, ctx, doc) == 0 && facts.number)
			number = strdup(facts.number);
		break;
	}
	fx_chorus_facts_clear(&facts);
	fx_doc_free(doc);
	fx_zip_free(zip);
	return number;
}

struct shown {
	fx_chorus_flow_report rep;
	int have_rep;
	fx_chorus_invoice *inv;
	size_t ninv;
	char **statuses; /* per invoice, from consulter/historique */
	int not_found;	 /* an unsure attempt, not on the server */
};

static void shown_clear(struct shown *sh)
{
	size_t i;

	if (sh->have_rep)
		fx_chorus_flow_report_clear(&sh->rep);
	for (i = 0; sh->statuses && i < sh->ninv; i++)
		free(sh->statuses[i]);
	free(sh->statuses);
	fx_chorus_invoices_free(sh->inv, sh->ninv);
	memset(sh, 0, sizeof(*sh));
}

/* Ask the server about entry I; an exit code. */
static int refresh(struct status_run *st, size_t i, struct shown *sh)
{
	struct chorus_cli *cc = &st->cc;
	const fx_journal_entry *e = fx_journal_get(cc->journal, i);
	fx_chorus_invoice_query q;
	char *flow = NULL, *date = NULL, *number = NULL, *label;
	const char *detail;
	size_t k;
	int err, status;

	if (e->state && !strcmp(e->state, "failed"))
		return EXIT_VALID; /* nothing reached the server */
	if ((status = chorus_client(cc))) {
		st->stop = 1;
		return status;
	}
	label = strdup(e->flow ? e->flow : e->file ? e->file : e->sha256);
	if (!label)
		return EXIT_INTERNAL;
	if (chorus_state_unsure(e->state) || !e->flow) {
		if (e->number && *e->number)
			number = strdup(e->number);
		else
			number = archive_number(st, e);
		err = chorus_find_earlier(cc, e, number, &flow, &date);
		free(number);
		if (err < 0)
			goto fail;
		if (err == 1)
			err = chorus_journal_update(cc, e, flow, date,
						    "deposited", "");
		else if (!e->state || !strcmp(e->state, "sending"))
			err = chorus_journal_update(cc, e, NULL, NULL,
						    "unknown", NULL);
		else
			err = 0;
		free(flow);
		free(date);
		if (err < 0)
			goto journal;
		e = fx_journal_get(cc->journal, i);
		if (!e->flow) {
			sh->not_found = 1;
			free(label);
			return EXIT_VALID;
		}
	}
	if ((err = fx_chorus_flow_report_get(&sh->rep, cc->client, e->flow)) <
	    0)
		goto fail;
	sh->have_rep = 1;
	detail = sh->rep.nerrors && sh->rep.errors[0].message
			 ? sh->rep.errors[0].message
			 : NULL;
	if (sh->rep.state && (!e->state || strcmp(e->state, sh->rep.state))) {
		if ((err = chorus_journal_update(cc, e, NULL, NULL,
						 sh->rep.state, detail)) < 0)
			goto journal;
		e = fx_journal_get(cc->journal, i);
	}
	switch (fx_chorus_flow_classify(sh->rep.state)) {
	case FX_FLOW_INTEGRATED:
	case FX_FLOW_PARTIAL: break;
	default: free(label); return EXIT_VALID;
	}
	memset(&q, 0, sizeof(q));
	q.flow = e->flow;
	if ((err = fx_chorus_invoices_search(&sh->inv, &sh->ninv, cc->client,
					     &q)) < 0)
		goto fail;
	if (sh->ninv && !(sh->statuses = calloc(sh->ninv, sizeof(char *)))) {
		free(label);
		return EXIT_INTERNAL;
	}
	for (k = 0; k < sh->ninv; k++) {
		if (sh->inv[k].status && *sh->inv[k].status)
			continue;
		if ((err = fx_chorus_invoice_status(
			     &sh->statuses[k], cc->client, sh->inv[k].id)) < 0)
			goto fail;
	}
	free(label);
	return EXIT_VALID;
fail:
	status = chorus_exit_for(err);
	chorus_error(cc, "%s: %s", label, chorus_errmsg(cc));
	if (status == EXIT_KEY)
		st->stop = 1;
	free(label);
	return status;
journal:
	chorus_error(cc, "cannot update the journal: %s", chorus_errmsg(cc));
	free(label);
	return EXIT_IO;
}

static const char *inv_status(const struct shown *sh, size_t k)
{
	if (sh->inv[k].status && *sh->inv[k].status)
		return sh->inv[k].status;
	if (sh->statuses && sh->statuses[k])
		return sh->statuses[k];
	return "?";
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* Print entry E with what the server said; the exit code it deserves. */
static int show(struct status_run *st, const fx_journal_entry *e,
		const struct shown *sh)
{
	const char *cls = class_name(e);
	char sent[11];
	size_t k, j;
	int status = EXIT_VALID;

	if (!strcmp(cls, "partial") ||
	    (!strcmp(cls, "failed") && strcmp(e->state, "failed")))
		status = EXIT_INVALID;
	for (k = 0; k < sh->ninv; k++)
		if (invoice_bad(inv_status(sh, k)))
			status = EXIT_INVALID;

	if (st->cc.json) {
		cJSON *o = cJSON_CreateObject(), *errs, *invs, *x;

		if (!o)
			return EXIT_INTERNAL;
		add_str(o, "file", e->file);
		add_str(o, "sha256", e->sha256);
		add_str(o, "number", e->number);
		add_str(o, "syntax", e->syntax);
		add_str(o, "flow", e->flow);
		add_str(o, "date", e->date);
		add_str(o, "state", e->state);
		cJSON_AddStringToObject(o, "class", cls);
		errs = cJSON_AddArrayToObject(o, "errors");
		for (k = 0; errs && sh->have_rep && k < sh->rep.nerrors; k++) {
			const fx_chorus_flow_error *fe = &sh->rep.errors[k];

			if (!(x = cJSON_CreateObject()))
				break;
			add_str(x, "invoice", fe->invoice);
			cJSON_AddStringToObject(x, "message",
						fe->message ? fe->message : "");
			if (fe->code)
				cJSON_AddStringToObject(x, "code", fe->code);
			cJSON_AddItemToArray(errs, x);
		}
		if (errs && !sh->have_rep && e->detail && e->state &&
		    strcmp(e->state, "deposited") &&
		    (x = cJSON_CreateObject())) {
			/* what the journal remembers */
			cJSON_AddNullToObject(x, "invoice");
			cJSON_AddStringToObject(x, "message", e->detail);
			cJSON_AddItemToArray(errs, x);
		}
		invs = cJSON_AddArrayToObject(o, "invoices");
		for (k = 0; invs && k < sh->ninv; k++) {
			if (!(x = cJSON_CreateObject()))
				break;
			cJSON_AddNumberToObject(x, "id",
						(double) sh->inv[k].id);
			add_str(x, "number", sh->inv[k].number);
			cJSON_AddStringToObject(x, "status", inv_status(sh, k));
			cJSON_AddItemToArray(invs, x);
		}
		cJSON_AddItemToArray(st->flows, o);
		return status;
	}

	chorus_date(sent, e->time, 0);
	printf("%s  %s  %s  %s %s\n", e->flow ? e->flow : "-",
	       e->state ? e->state : "?", e->file ? e->file : e->sha256,
	       e->date ? "deposited" : "sent", e->date ? e->date : sent);
	for (k = 0; k < sh->ninv; k++)
		printf("  %s  %s\n",
		       sh->inv[k].number ? sh->inv[k].number : "?",
		       inv_status(sh, k));
	for (k = 0; sh->have_rep && k < sh->rep.nerrors; k++) {
		const fx_chorus_flow_error *fe = &sh->rep.errors[k];
		int listed = 0;

		for (j = 0; fe->invoice && j < sh->ninv; j++)
			if (sh->inv[j].number &&
			    !strcmp(sh->inv[j].number, fe->invoice))
				listed = 1;
		if (fe->invoice && !listed)
			printf("  %s  rejected: %s\n", fe->invoice,
			       fe->message ? fe->message : "no reason given");
		else if (!fe->invoice)
			printf("  flow error%s%s: %s\n", fe->code ? " " : "",
			       fe->code ? fe->code : "",
			       fe->message ? fe->message : "no reason given");
	}
	if (sh->not_found)
		printf("  not found on Chorus Pro: the attempt did not "
		       "arrive, or is not visible yet; a new 'facture "
		       "submit' of the file looks again before sending\n");
	else if (!sh->have_rep && e->detail && e->state &&
		 strcmp(e->state, "deposited"))
		printf("  %s\n", e->detail);
	return status;
}

int cmd_status(int argc, char **argv, struct cli *cli)
{
	struct status_run st;
	struct shown sh;
	long *list = NULL, idx;
	size_t nlist = 0, i, count;
	int c, status = EXIT_VALID, s, nops;

	(void) cli;
	memset(&st, 0, sizeof(st));
	memset(&sh, 0, sizeof(sh));
	st.cc.cmd = "status";
	argv[0] = (char *) "facture status";
	optind = 0;
	while ((c = getopt_long(argc, argv, CHORUS_SHORTOPTS, longopts,
				NULL)) != -1) {
		if ((s = chorus_option(&st.cc, c, optarg)) >= 0) {
			if (s)
				return s;
			continue;
		}
		switch (c) {
		case OPT_ALL: st.all = 1; break;
		case OPT_OFFLINE: st.offline = 1; break;
		case 'h': return cli_usage(status_usage, EXIT_VALID);
		default: return cli_usage(status_usage, EXIT_USAGE);
		}
	}
	nops = argc - optind;
	if (st.all && nops) {
		chorus_error(&st.cc, "--all shows every deposit: name none");
		return cli_usage(status_usage, EXIT_USAGE);
	}
	if ((status = chorus_setup(&st.cc)))
		goto out;
	if ((status = chorus_journal(&st.cc)))
		goto out;
	count = fx_journal_count(st.cc.journal);
	if (!(list = calloc((nops > 0 ? (size_t) nops : count) + 1,
			    sizeof(*list)))) {
		status = EXIT_INTERNAL;
		goto out;
	}
	for (c = 0; c < nops; c++) {
		const char *arg = argv[optind + c];
		size_t k;
		int dup = 0;

		if ((idx = find_operand(st.cc.journal, arg)) < 0) {
			chorus_error(&st.cc,
				     "no deposit of %s in the journal of "
				     "profile '%s'",
				     arg, st.cc.profile);
			if (status < EXIT_INVALID)
				status = EXIT_INVALID;
			continue;
		}
		for (k = 0; k < nlist; k++)
			dup |= list[k] == idx;
		if (!dup)
			list[nlist++] = idx;
	}
	for (i = 0; !nops && i < count; i++)
		if (st.all || not_final(fx_journal_get(st.cc.journal, i)))
			list[nlist++] = (long) i;

	if (st.cc.json && !(st.flows = cJSON_CreateArray())) {
		status = EXIT_INTERNAL;
		goto out;
	}
	for (i = 0; i < nlist; i++) {
		s = EXIT_VALID;
		if (!st.offline && !st.stop)
			s = refresh(&st, (size_t) list[i], &sh);
		if (s > status)
			status = s;
		s = show(&st, fx_journal_get(st.cc.journal, (size_t) list[i]),
			 &sh);
		if (s > status)
			status = s;
		shown_clear(&sh);
	}
	if (st.cc.json) {
		cJSON *root = cJSON_CreateObject();

		if (!root) {
			status = EXIT_INTERNAL;
			goto out;
		}
		cJSON_AddNumberToObject(root, "version", 1);
		cJSON_AddStringToObject(root, "profile", st.cc.profile);
		cJSON_AddItemToObject(root, "flows", st.flows);
		st.flows = NULL;
		cli_print_json(stdout, root);
		cJSON_Delete(root);
	} else if (!nlist && !st.cc.quiet && !nops) {
		fprintf(stderr,
			"facture status: %s in the journal of profile "
			"'%s'\n",
			st.all ? "no deposit" : "no deposit waiting",
			st.cc.profile);
	}
out:
	shown_clear(&sh);
	cJSON_Delete(st.flows);
	free(list);
	chorus_release(&st.cc);
	return status;
}
