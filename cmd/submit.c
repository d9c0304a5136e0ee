/* SPDX-License-Identifier: MIT */
/*
 * submit.c - facture submit: deposit invoices to Chorus Pro
 *
 * Each file is checked (EN 16931, then what Chorus Pro needs of the
 * buyer), written to the journal as "sending" before the request, and
 * the answer recorded after it.  If the program dies between the two, the
 * "sending" entry says so, and the next run asks the server whether the
 * invoice arrived before it sends anything again.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"

/* clang-format off */
const char submit_usage[] =
	"usage: facture submit [-nq] [-p profile] [--config=file] [--cacert=file]\n"
	"                      [--timeout=seconds] [-f format] [--force] [--again]\n"
	"                      [--offline] [--wait] [--wait-timeout=seconds]\n"
	"                      [--poll=seconds] [--max-size=size] file...\n"
	"       facture submit --check [-q] [-p profile] [--config=file]\n"
	"                      [--cacert=file] [--timeout=seconds] [-f format]\n"
	"\n"
	"Deposit invoices (UBL, CII, Factur-X PDF, or a zip of invoices of one\n"
	"syntax) to Chorus Pro, after checking them.  Each deposit is kept in a\n"
	"journal, so that nothing is sent twice by accident.\n"
	"\n"
	"      --check           get a token and call the health check; deposit\n"
	"                        nothing\n"
	"  -n, --dry-run         check everything, deposit nothing\n"
	"      --force           deposit even when the checks find errors\n"
	"      --again           deposit even a file the journal says was\n"
	"                        deposited\n"
	"      --offline         no buyer lookup in the Chorus Pro directory\n"
	"      --wait            then follow each flow until Chorus Pro has\n"
	"                        processed it\n"
	"      --wait-timeout=SECONDS\n"
	"                        give up waiting after this (default 600)\n"
	"      --poll=SECONDS    first pause between polls (default 2, doubled\n"
	"                        up to 60)\n"
	"      --max-size=SIZE   largest file accepted (default 120M)\n"
	CHORUS_USAGE_OPTIONS
	"  -q, --quiet           no progress and no summary\n"
	"  -h, --help            show this help\n"
	"\n"
	"Exit status: 0 done, 1 refused or rejected, 2 usage, 3 unreadable file\n"
	"or journal, 4 credentials, 5 network or Chorus Pro failure, 6 internal\n"
	"error.  See facture-submit(1).\n";
/* clang-format on */

enum {
	OPT_CHECK = CHORUS_OPT_FIRST_FREE,
	OPT_FORCE,
	OPT_AGAIN,
	OPT_OFFLINE,
	OPT_WAIT,
	OPT_WAIT_TIMEOUT,
	OPT_POLL,
	OPT_MAX_SIZE
};

static const struct option longopts[] = {
	CHORUS_LONGOPTS,
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "again", no_argument, NULL, OPT_AGAIN },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "wait-timeout", required_argument, NULL, OPT_WAIT_TIMEOUT },
	{ "poll", required_argument, NULL, OPT_POLL },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ NULL, 0, NULL, 0 }
};

#define DEFAULT_MAX_SIZE ((size_t) 120 * 1024 * 1024)
#define MAX_NAME	 200 /* nomFichier, extension included */

/* One invoice of a file: the file itself, or a member of its archive. */
struct unit {
	char *name;	   /* in messages: FILE or FILE:member */
	fx_doc *doc;	   /* the invoice XML (of a PDF: the embedded one) */
	fx_doc *outer;	   /* the PDF around it, or NULL */
	fx_pdf *pdf;	   /* holds the embedded bytes */
	fx_report *report; /* validation, then the Chorus Pro checks */
	fx_chorus_facts facts;
	const char *syntax; /* syntaxeFlux */
};

/* What happened to one FILE operand. */
struct result {
	const char *path;
	char sha256[65];
	char *number;	    /* BT-1; NULL for an archive */
	const char *syntax; /* syntaxeFlux, NULL when none */
	const char *result; /* "deposited", "refused" ... */
	char *flow, *date, *state, *message;
	cJSON *findings, *errors;
	int status;
	int follow; /* deposited now: --wait polls it */
};

struct submit {
	struct chorus_cli cc;
	int dry_run, force, again, offline, wait, check;
	double wait_timeout, poll;
	size_t max_size;
	int stop; /* a credential error: no point going on */
	fx_renderer *text;
};

static int set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -1 : 0;
}

/* The per-file line of text mode: "FILE: what happened". */
static void say(const struct submit *s, const char *path, const char *fmt, ...)
	CLI_PRINTF(3, 4);
static void say(const struct submit *s, const char *path, const char *fmt, ...)
{
	va_list ap;

	if (s->cc.json)
		return;
	printf("%s: ", path);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void set_message(struct result *r, const char *fmt, ...)
	CLI_PRINTF(2, 3);
static void set_message(struct result *r, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	free(r->message);
	r->message = m;
}

static void raise_status(struct result *r, int status)
{
	if (status > r->status)
		r->status = status;
}

/* ---- Reading and recognising -------------------------------------- */

static int read_file(struct submit *s, const char *path, unsigned char **out,
		     size_t *len)
{
	char *data;
	int err;

	/* a file named "-", not standard input: the journal needs a file */
	err = cli_read_file(strcmp(path, "-") ? path : "./-", s->max_size,
			    &data, len);
	*out = (unsigned char *) data;
	if (err == EFBIG)
		chorus_error(&s->cc,
			     "'%s' is larger than %zu bytes (--max-size)", path,
			     s->max_size);
	else if (err == ENOMEM)
		chorus_error(&s->cc, "out of memory");
	else if (err)
		chorus_error(&s->cc, "cannot read '%s': %s", path,
			     strerror(err));
	return !err ? EXIT_VALID : err == ENOMEM ? EXIT_INTERNAL : EXIT_IO;
}

struct units {
	struct unit *v;
	size_t n;
	int archive; /* the file is a zip of them */
};

static void units_free(struct units *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		free(u->v[i].name);
		fx_doc_free(u->v[i].doc);
		fx_doc_free(u->v[i].outer);
		fx_pdf_free(u->v[i].pdf);
		fx_report_free(u->v[i].report);
		fx_chorus_facts_clear(&u->v[i].facts);
	}
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

/* What a document is, in words, for "not an invoice Chorus Pro accepts". */
static void describe(char *buf, size_t size, const fx_doc *doc)
{
	fx_syntax syn = fx_doc_syntax(doc);
	int n;

	if (syn == FX_SYNTAX_OTHER_XML)
		n = snprintf(buf, size, "XML whose root element is %s%s%s%s",
			     *fx_doc_root_namespace(doc) ? "{" : "",
			     fx_doc_root_namespace(doc),
			     *fx_doc_root_namespace(doc) ? "}" : "",
			     fx_doc_root_name(doc));
	else if (syn == FX_SYNTAX_UNKNOWN)
		n = snprintf(buf, size, "neither XML, PDF nor zip");
	else
		n = snprintf(buf, size, "%s", fx_syntax_name(syn));
	if (n < 0 || (size_t) n >= size)
		snprintf(buf, size, "an unknown kind of document");
}

/*
 * Add the invoice(s) in DATA to U: an XML invoice, a Factur-X PDF, or
 * (when IN_ZIP is 0) a zip of those.  On refusal, *WHY says why (the
 * caller adds "not an invoice Chorus Pro accepts") and the exit code is
 * returned.
 */
static int add_units(struct submit *s, struct units *u, const char *name,
		     const unsigned char *data, size_t len, int in_zip,
		     char *why, size_t why_size)
{
	fx_ctx *ctx = s->cc.ctx;
	fx_doc *doc = NULL, *inner = NULL;
	fx_pdf *pdf = NULL;
	fx_zip *zip = NULL;
	struct unit *un, *v;
	fx_syntax syn;
	size_t i, idx, alen;
	const unsigned char *adata;
	char *mname = NULL;
	int err, status = EXIT_INVALID;

	why[0] = '\0';
	if ((err = fx_doc_load_memory(&doc, ctx, name, data, len)) < 0) {
		snprintf(why, why_size, "%s", chorus_errmsg(&s->cc));
		status = err == FX_ENOMEM ? EXIT_INTERNAL : EXIT_INVALID;
		goto out;
	}
	syn = fx_doc_syntax(doc);
	if (syn == FX_SYNTAX_ZIP && !in_zip) {
		size_t before = u->n;

		fx_doc_free(doc);
		doc = NULL;
		u->archive = 1;
		if ((err = fx_zip_open_memory(&zip, ctx, name, data, len)) <
		    0) {
			snprintf(why, why_size, "%s", chorus_errmsg(&s->cc));
			goto out;
		}
		for (i = 0; i < fx_zip_count(zip); i++) {
			const fx_zip_entry *e = fx_zip_get(zip, i);

			if (e->is_dir)
				continue;
			if ((err = fx_zip_read(&adata, &alen, ctx, zip, i)) <
			    0) {
				snprintf(why, why_size, "%s",
					 chorus_errmsg(&s->cc));
				goto out;
			}
			free(mname);
			if (asprintf(&mname, "%s:%s", name, e->name) < 0) {
				mname = NULL;
				status = EXIT_INTERNAL;
				goto out;
			}
			if ((status = add_units(s, u, mname, adata, alen, 1,
						why, why_size)))
				goto out;
		}
		if (u->n == before) {
			snprintf(why, why_size, "an empty archive");
			status = EXIT_INVALID;
		}
		goto out;
	}
	if (syn == FX_SYNTAX_PDF) {
		if ((err = fx_pdf_open_memory(&pdf, ctx, name, data, len)) <
			    0 ||
		    (err = fx_pdf_find_invoice(&idx, ctx, pdf)) < 0 ||
		    (err = fx_pdf_attachment_data(&adata, &alen, ctx, pdf,
						  idx)) < 0) {
			if (err == FX_ENOTINVOICE)
				snprintf(why, why_size,
					 "a PDF with no embedded invoice");
			else
				snprintf(why, why_size, "%s",
					 chorus_errmsg(&s->cc));
			goto out;
		}
		if (asprintf(&mname, "%s:%s", name,
			     fx_pdf_attachment_get(pdf, idx)->name
				     ? fx_pdf_attachment_get(pdf, idx)->name
				     : "invoice") < 0) {
			mname = NULL;
			status = EXIT_INTERNAL;
			goto out;
		}
		if ((err = fx_doc_load_memory(&inner, ctx, mname, adata,
					      alen)) < 0) {
			snprintf(why, why_size,
				 "the invoice embedded in the PDF: %s",
				 chorus_errmsg(&s->cc));
			goto out;
		}
		if (fx_doc_syntax(inner) != FX_SYNTAX_CII) {
			char what[200];

			describe(what, sizeof(what), inner);
			snprintf(why, why_size,
				 "a PDF carrying %s; Chorus Pro takes "
				 "Factur-X, with a CII invoice",
				 what);
			goto out;
		}
	} else if (syn != FX_SYNTAX_UBL_INVOICE &&
		   syn != FX_SYNTAX_UBL_CREDITNOTE && syn != FX_SYNTAX_CII) {
		char what[300];

		describe(what, sizeof(what), doc);
		if (syn == FX_SYNTAX_ZIP)
			snprintf(what, sizeof(what), "a zip inside a zip");
		if (in_zip)
			snprintf(why, why_size, "%s is %s", name, what);
		else
			snprintf(why, why_size, "%s", what);
		goto out;
	}
	if (!(v = realloc(u->v, (u->n + 1) * sizeof(*v)))) {
		status = EXIT_INTERNAL;
		goto out;
	}
	u->v = v;
	un = &u->v[u->n];
	memset(un, 0, sizeof(*un));
	if (!(un->name = strdup(name))) {
		status = EXIT_INTERNAL;
		goto out;
	}
	u->n++;
	un->syntax = fx_chorus_flow_syntax(syn);
	if (inner) {
		un->doc = inner;
		un->outer = doc;
		un->pdf = pdf;
		inner = doc = NULL;
		pdf = NULL;
	} else {
		un->doc = doc;
		doc = NULL;
	}
	status = EXIT_VALID;
out:
	if (status == EXIT_INTERNAL && !why[0])
		snprintf(why, why_size, "out of memory");
	free(mname);
	fx_doc_free(doc);
	fx_doc_free(inner);
	fx_pdf_free(pdf);
	fx_zip_free(zip);
	return status;
}

/* ---- Checking ------------------------------------------------------ */

static cJSON *finding_json(const fx_finding *f)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "rule", f->rule ? f->rule : "?");
	cJSON_AddStringToObject(o, "severity", fx_severity_name(f->severity));
	cJSON_AddStringToObject(o, "layer", fx_layer_name(f->layer));
	cJSON_AddStringToObject(o, "message", f->message ? f->message : "");
	if (f->terms)
		cJSON_AddStringToObject(o, "terms", f->terms);
	if (f->line)
		cJSON_AddNumberToObject(o, "line", (double) f->line);
	else
		cJSON_AddNullToObject(o, "line");
	if (f->column)
		cJSON_AddNumberToObject(o, "column", (double) f->column);
	else
		cJSON_AddNullToObject(o, "column");
	if (f->file)
		cJSON_AddStringToObject(o, "file", f->file);
	return o;
}

/*
 * Validate every unit, then the Chorus Pro checks.  Returns an exit code
 * for a failure to check (a lookup that failed); *FATAL counts the
 * errors found.
 */
static int check_units(struct submit *s, struct result *r, struct units *u,
		       size_t *fatal)
{
	fx_validate_opts vopts = FX_VALIDATE_OPTS_INIT;
	fx_chorus_structure st;
	size_t i, j;
	int err, found, status;

	*fatal = 0;
	for (i = 0; i < u->n; i++) {
		struct unit *un = &u->v[i];
		const fx_doc *target = un->outer ? un->outer : un->doc;
		int looked = 0;

		if ((err = fx_validate(&un->report, s->cc.ctx, target,
				       &vopts)) < 0) {
			chorus_error(&s->cc, "%s: %s", un->name,
				     chorus_errmsg(&s->cc));
			return EXIT_INTERNAL;
		}
		if ((err = fx_chorus_facts_read(&un->facts, s->cc.ctx,
						un->doc)) < 0) {
			chorus_error(&s->cc, "%s: %s", un->name,
				     chorus_errmsg(&s->cc));
			return EXIT_INTERNAL;
		}
		memset(&st, 0, sizeof(st));
		found = 0;
		if (!s->offline && un->facts.buyer_id &&
		    un->facts.buyer_scheme &&
		    !strcmp(un->facts.buyer_scheme, "0009") &&
		    fx_siret_valid(un->facts.buyer_id)) {
			status = chorus_buyer(&s->cc, un->facts.buyer_id, 0, 0,
					      &st, &found);
			if (status && !s->cc.client) {
				/* chorus_client said why, on stderr */
				set_message(r,
					    "cannot look the buyer %s up in "
					    "the Chorus Pro directory without "
					    "credentials (--offline skips the "
					    "lookup)",
					    un->facts.buyer_id);
				return status;
			}
			if (status) {
				set_message(r,
					    "cannot look the buyer %s up in "
					    "the Chorus Pro directory: %s",
					    un->facts.buyer_id,
					    chorus_errmsg(&s->cc));
				return status;
			}
			looked = 1;
		}
		err = fx_chorus_check_invoice(un->report, &un->facts,
					      looked ? &st : NULL, found == 1);
		if (found == 1)
			fx_chorus_structure_clear(&st);
		if (err < 0) {
			chorus_error(&s->cc, "%s: %s", un->name,
				     chorus_errmsg(&s->cc));
			return EXIT_INTERNAL;
		}
		*fatal +=
			fx_report_count_severity(un->report, FX_SEVERITY_FATAL);
		if (fx_report_outcome(un->report) == FX_OUTCOME_ERROR &&
		    !fx_report_count_severity(un->report, FX_SEVERITY_FATAL))
			(*fatal)++;
		if (s->cc.json) {
			for (j = 0; j < fx_report_count(un->report); j++) {
				cJSON *f = finding_json(
					fx_report_get(un->report, j));

				if (f)
					cJSON_AddItemToArray(r->findings, f);
			}
		} else if (s->text) {
			fx_renderer_add(s->text, un->report);
		}
	}
	return EXIT_VALID;
}

/* ---- Depositing ---------------------------------------------------- */

/* nomFichier: the base name in printable ASCII, at most MAX_NAME bytes
 * with its extension, which it must have (one for its content when it has
 * none). */
static char *deposit_name(const char *path, const char *syntax, int archive)
{
	const char *base = strrchr(path, '/'), *dot, *ext;
	char *out, *p;
	size_t blen, elen, keep;

	base = base ? base + 1 : path;
	if (!*base)
		base = "invoice";
	dot = strrchr(base, '.');
	if (dot && dot != base && strlen(dot) <= 16 && dot[1]) {
		ext = dot;
		blen = (size_t) (dot - base);
	} else {
		if (archive)
			ext = ".zip";
		else if (!strcmp(syntax, "IN_DP_E2_CII_FACTURX"))
			ext = ".pdf";
		else
			ext = ".xml";
		blen = strlen(base);
	}
	elen = strlen(ext);
	keep = blen + elen > MAX_NAME ? MAX_NAME - elen : blen;
	if (!(out = malloc(keep + elen + 1)))
		return NULL;
	memcpy(out, base, keep);
	memcpy(out + keep, ext, elen + 1);
	for (p = out; *p; p++)
		if ((unsigned char) *p < 0x20 || (unsigned char) *p > 0x7e ||
		    *p == '\\' || *p == '/')
			*p = '_';
	return out;
}

/* A credential error (exit 4) stops the batch. */
static void note_stop(struct submit *s, int status)
{
	if (status == EXIT_KEY)
		s->stop = 1;
}

/* The newest entry of this digest that got a flow, or NULL. */
static const fx_journal_entry *deposited_before(const fx_journal *j,
						const char *sha256)
{
	const fx_journal_entry *best = NULL, *e;
	size_t i;

	for (i = 0; i < fx_journal_count(j); i++) {
		e = fx_journal_get(j, i);
		if (strcmp(e->sha256, sha256) || !e->flow ||
		    (e->state && !strcmp(e->state, "failed")))
			continue;
		if (!best || e->time >= best->time)
			best = e;
	}
	return best;
}

/* The newest journal entry of this digest is an unfinished attempt: did
 * it arrive?  Returns 1 when the file is settled (found), 0 to go on,
 * or an exit code > 1 on failure (the result says it). */
static int resolve_earlier(struct submit *s, struct result *r,
			   const fx_journal_entry *e, const char *number)
{
	char *flow = NULL, *date = NULL;
	int err, status;

	if ((status = chorus_client(&s->cc))) {
		note_stop(s, status);
		r->result = "failed";
		set_message(r, "%s",
			    "cannot ask Chorus Pro about an earlier "
			    "attempt");
		return status;
	}
	err = chorus_find_earlier(&s->cc, e, number, &flow, &date);
	if (err < 0) {
		status = chorus_exit_for(err);
		note_stop(s, status);
		r->result = "uncertain";
		set_message(r,
			    "an earlier attempt may have reached Chorus Pro, "
			    "and asking failed: %s; not sent",
			    chorus_errmsg(&s->cc));
		say(s, r->path, "%s", r->message);
		return status;
	}
	if (err == 0)
		return 0;
	r->result = "found-on-server";
	if (set_str(&r->flow, flow) < 0 || set_str(&r->date, date) < 0 ||
	    set_str(&r->state, "deposited") < 0) {
		free(flow);
		free(date);
		return EXIT_INTERNAL;
	}
	set_message(r,
		    "already on Chorus Pro as flow %s (an earlier attempt "
		    "arrived); not sent again",
		    flow);
	if (!s->dry_run && (err = chorus_journal_update(&s->cc, e, flow, date,
							"deposited", "")) < 0) {
		chorus_error(&s->cc, "%s: cannot update the journal: %s",
			     r->path, chorus_errmsg(&s->cc));
		raise_status(r, EXIT_IO);
	}
	free(flow);
	free(date);
	if (!s->again)
		say(s, r->path, "%s", r->message);
	return 1;
}

static void submit_one(struct submit *s, struct result *r)
{
	struct chorus_cli *cc = &s->cc;
	struct units u = { NULL, 0, 0 };
	unsigned char *data = NULL;
	size_t len = 0, fatal = 0;
	const fx_journal_entry *old;
	fx_journal_entry e;
	fx_chorus_deposit dep;
	char why[600], *name = NULL, *number = NULL;
	const char *buyer;
	long long now;
	int err, status;

	memset(&dep, 0, sizeof(dep));
	r->result = "failed";
	if ((status = read_file(s, r->path, &data, &len))) {
		set_message(r, "cannot read the file");
		r->status = status;
		goto out;
	}
	fx_sha256_hex(r->sha256, data, len);

	/* 3. what it is */
	if ((status = add_units(s, &u, r->path, data, len, 0, why,
				sizeof(why)))) {
		r->result = "refused";
		set_message(r, "not an invoice Chorus Pro accepts (%s)", why);
		say(s, r->path, "%s", r->message);
		r->status = status;
		goto out;
	}
	r->syntax = u.v[0].syntax;
	for (size_t i = 1; i < u.n; i++) {
		if (strcmp(u.v[i].syntax, r->syntax)) {
			r->result = "refused";
			r->syntax = NULL;
			set_message(r,
				    "members of different syntaxes (%s: %s, "
				    "%s: %s)",
				    u.v[0].name, u.v[0].syntax, u.v[i].name,
				    u.v[i].syntax);
			say(s, r->path, "%s", r->message);
			r->status = EXIT_INVALID;
			goto out;
		}
	}
	/* the number Chorus Pro will know the invoice by (the first
	 * member's, for an archive) */
	if (fx_chorus_facts_read(&u.v[0].facts, cc->ctx, u.v[0].doc) < 0) {
		chorus_error(cc, "%s: %s", r->path, chorus_errmsg(cc));
		r->status = EXIT_INTERNAL;
		goto out;
	}
	if ((u.v[0].facts.number && !(number = strdup(u.v[0].facts.number))) ||
	    (u.n == 1 && set_str(&r->number, number) < 0)) {
		r->status = EXIT_INTERNAL;
		goto out;
	}
	/* check_units reads them again */
	fx_chorus_facts_clear(&u.v[0].facts);
	memset(&u.v[0].facts, 0, sizeof(u.v[0].facts));

	/* 2. the journal */
	old = fx_journal_find_sha256(cc->journal, r->sha256);
	if (old && chorus_state_unsure(old->state)) {
		status = resolve_earlier(s, r, old, number);
		if (status > 1) {
			r->status = status;
			goto out;
		}
		if (status == 1 && !s->again)
			goto out;
	}
	/* not the newest entry only: a failed or vanished --again leaves
	 * the deposit before it standing */
	if (!s->again && (old = deposited_before(cc->journal, r->sha256))) {
		r->result = "already-deposited";
		if (set_str(&r->flow, old->flow) < 0 ||
		    set_str(&r->date, old->date) < 0 ||
		    set_str(&r->state, old->state) < 0) {
			r->status = EXIT_INTERNAL;
			goto out;
		}
		set_message(r,
			    "already deposited on %s as flow %s (state %s); "
			    "use --again to deposit it again",
			    old->date ? old->date : "an unknown date",
			    old->flow, old->state);
		say(s, r->path, "%s", r->message);
		r->status = EXIT_INVALID;
		goto out;
	}
	/* a later found-on-server, with --again, deposits it anew */
	r->result = "failed";

	/* 4. the checks */
	if ((status = check_units(s, r, &u, &fatal))) {
		note_stop(s, status);
		if (r->message)
			say(s, r->path, "%s", r->message);
		r->status = status;
		goto out;
	}
	if (fatal && !s->force) {
		r->result = "refused";
		set_message(r,
			    "not deposited: %zu error%s (use --force to "
			    "deposit anyway)",
			    fatal, fatal == 1 ? "" : "s");
		say(s, r->path, "%s", r->message);
		r->status = EXIT_INVALID;
		goto out;
	}
	buyer = u.v[0].facts.buyer_id;

	/* 5. */
	if (s->dry_run) {
		r->result = "dry-run";
		if (u.n == 1)
			set_message(
				r, "would deposit as %s (invoice %s, buyer %s)",
				r->syntax, number ? number : "without number",
				buyer ? buyer : "unknown");
		else
			set_message(r,
				    "would deposit as %s (%zu invoices from "
				    "%s, buyer %s)",
				    r->syntax, u.n,
				    number ? number : "without number",
				    buyer ? buyer : "unknown");
		say(s, r->path, "%s", r->message);
		goto out;
	}

	/* 6. journal first: if we die, the next run knows */
	if ((status = chorus_client(cc))) {
		note_stop(s, status);
		set_message(r, "not deposited: no client");
		r->status = status;
		goto out;
	}
	if (!(name = deposit_name(r->path, r->syntax, u.archive))) {
		r->status = EXIT_INTERNAL;
		goto out;
	}
	now = (long long) time(NULL);
	old = fx_journal_find_sha256(cc->journal, r->sha256);
	memset(&e, 0, sizeof(e));
	memcpy(e.sha256, r->sha256, sizeof(e.sha256));
	e.file = r->path;
	e.number = u.n == 1 && number ? number : "";
	e.syntax = r->syntax;
	/* one entry per attempt: never the time of an earlier one */
	e.time = old && old->time >= now ? old->time + 1 : now;
	e.state = "sending";
	e.updated = now;
	if ((err = fx_journal_put(cc->journal, &e)) < 0) {
		set_message(r, "not deposited: cannot write the journal: %s",
			    chorus_errmsg(cc));
		say(s, r->path, "%s", r->message);
		r->status = EXIT_IO;
		s->stop = 1; /* nothing can be deposited safely */
		goto out;
	}

	/* 7. */
	err = fx_chorus_deposit_flow(&dep, cc->client, name, data, len,
				     r->syntax);
	if (err == 0) {
		r->result = "deposited";
		r->follow = 1;
		if (set_str(&r->flow, dep.flow) < 0 ||
		    set_str(&r->date, dep.date) < 0 ||
		    set_str(&r->state, "deposited") < 0) {
			r->status = EXIT_INTERNAL;
			goto out;
		}
		set_message(r, "deposited as flow %s on %s", dep.flow,
			    dep.date ? dep.date : "an unknown date");
		/* on disk before it is said */
		if ((err = chorus_journal_update(cc, &e, dep.flow, dep.date,
						 "deposited", "")) < 0) {
			chorus_error(cc,
				     "%s was deposited as flow %s, but the "
				     "journal could not be updated: %s",
				     r->path, dep.flow, chorus_errmsg(cc));
			r->status = EXIT_IO;
			s->stop = 1;
		}
		say(s, r->path, "%s", r->message);
		goto out;
	}
	status = chorus_exit_for(err);
	if (dep.maybe_sent) {
		char *msg = strdup(chorus_errmsg(cc));

		r->result = "uncertain";
		set_str(&r->state, "unknown");
		set_message(r,
			    "the deposit may have reached Chorus Pro (%s); "
			    "'facture status' or a new submit will find out",
			    msg ? msg : "no answer");
		say(s, r->path, "%s", r->message);
		r->status = EXIT_NETWORK;
		if (chorus_journal_update(cc, &e, NULL, NULL, "unknown",
					  msg ? msg : "") < 0) {
			chorus_error(cc, "cannot update the journal: %s",
				     chorus_errmsg(cc));
			s->stop = 1;
		}
		free(msg);
		goto out;
	}
	{
		char *msg = strdup(chorus_errmsg(cc));

		r->result = "failed";
		set_message(r, "not deposited: %s", msg ? msg : "failure");
		say(s, r->path, "%s", r->message);
		r->status = status;
		note_stop(s, status);
		if (chorus_journal_update(cc, &e, NULL, NULL, "failed",
					  msg ? msg : "") < 0) {
			chorus_error(cc, "cannot update the journal: %s",
				     chorus_errmsg(cc));
			s->stop = 1;
		}
		free(msg);
	}
out:
	fx_chorus_deposit_clear(&dep);
	units_free(&u);
	free(number);
	free(name);
	free(data);
}

/* ---- Waiting ------------------------------------------------------- */

static void sleep_seconds(double sec)
{
	struct timespec ts;

	if (sec <= 0)
		return;
	ts.tv_sec = (time_t) sec;
	ts.tv_nsec = (long) ((sec - (double) ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One report of the flow of R: 1 when final, 0 when still pending, or
 * an exit code > 1. */
static int poll_flow(struct submit *s, struct result *r)
{
	struct chorus_cli *cc = &s->cc;
	fx_chorus_flow_report rep;
	const fx_journal_entry *e;
	fx_chorus_flow_class cls;
	size_t i;
	int err;

	memset(&rep, 0, sizeof(rep));
	if ((err = fx_chorus_flow_report_get(&rep, cc->client, r->flow)) < 0) {
		int status = chorus_exit_for(err);

		say(s, r->path, "cannot follow flow %s: %s", r->flow,
		    chorus_errmsg(cc));
		note_stop(s, status);
		return status;
	}
	cls = fx_chorus_flow_classify(rep.state);
	if (rep.state && set_str(&r->state, rep.state) < 0) {
		fx_chorus_flow_report_clear(&rep);
		return EXIT_INTERNAL;
	}
	if ((e = fx_journal_find_flow(cc->journal, r->flow)) &&
	    (!e->state || !rep.state || strcmp(e->state, rep.state)) &&
	    chorus_journal_update(cc, e, NULL, NULL, rep.state,
				  rep.nerrors && rep.errors[0].message
					  ? rep.errors[0].message
					  : NULL) < 0)
		chorus_error(cc, "cannot update the journal: %s",
			     chorus_errmsg(cc));
	if (cls == FX_FLOW_PENDING) {
		fx_chorus_flow_report_clear(&rep);
		return 0;
	}
	say(s, r->path, "flow %s %s", r->flow, rep.state);
	for (i = 0; i < rep.nerrors; i++) {
		const fx_chorus_flow_error *fe = &rep.errors[i];
		cJSON *o = cJSON_CreateObject();

		if (fe->invoice)
			say(s, r->path, "invoice %s rejected: %s", fe->invoice,
			    fe->message ? fe->message : "no reason given");
		else
			say(s, r->path, "flow error%s%s: %s",
			    fe->code ? " " : "", fe->code ? fe->code : "",
			    fe->message ? fe->message : "no reason given");
		if (o) {
			if (fe->invoice)
				cJSON_AddStringToObject(o, "invoice",
							fe->invoice);
			else
				cJSON_AddNullToObject(o, "invoice");
			cJSON_AddStringToObject(o, "message",
						fe->message ? fe->message : "");
			if (fe->code)
				cJSON_AddStringToObject(o, "code", fe->code);
			cJSON_AddItemToArray(r->errors, o);
		}
	}
	fx_chorus_flow_report_clear(&rep);
	if (cls != FX_FLOW_INTEGRATED)
		raise_status(r, EXIT_INVALID);
	return 1;
}

static void wait_flows(struct submit *s, struct result *res, int n)
{
	double start = cli_now(), pause = s->poll, left;
	int i, pending, status;
	int *done = calloc((size_t) n + 1, sizeof(int));

	if (!done) {
		chorus_error(&s->cc, "out of memory");
		return;
	}
	for (;;) {
		pending = 0;
		for (i = 0; i < n; i++)
			if (res[i].follow && !done[i])
				pending++;
		if (!pending || s->stop)
			break;
		left = s->wait_timeout - (cli_now() - start);
		if (left <= 0) {
			for (i = 0; i < n; i++) {
				if (!res[i].follow || done[i])
					continue;
				say(s, res[i].path,
				    "flow %s still %s after %g s; 'facture "
				    "status' will follow it",
				    res[i].flow,
				    res[i].state ? res[i].state : "pending",
				    s->wait_timeout);
				raise_status(&res[i], EXIT_NETWORK);
			}
			break;
		}
		if (!s->cc.quiet && isatty(STDERR_FILENO))
			chorus_error(
				&s->cc,
				"%d flow%s not processed yet; next look in "
				"%g s",
				pending, pending == 1 ? "" : "s",
				pause < left ? pause : left);
		/* the last look is at the deadline, not before it */
		sleep_seconds(pause < left ? pause : left);
		pause = pause * 2 > 60 ? 60 : pause * 2;
		for (i = 0; i < n && !s->stop; i++) {
			if (!res[i].follow || done[i])
				continue;
			status = poll_flow(s, &res[i]);
			if (status == 1) {
				done[i] = 1;
			} else if (status > 1) {
				done[i] = 1;
				raise_status(&res[i], status);
			}
		}
	}
	free(done);
}

/* ---- Output -------------------------------------------------------- */

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static int print_json(struct submit *s, struct result *res, int n)
{
	cJSON *root = cJSON_CreateObject(), *files, *o;
	int i, ok;

	if (!root)
		return -1;
	cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddStringToObject(root, "profile", s->cc.profile);
	cJSON_AddStringToObject(root, "env", fx_chorus_env_name(s->cc.env));
	files = cJSON_AddArrayToObject(root, "files");
	for (i = 0; files && i < n; i++) {
		struct result *r = &res[i];

		if (!(o = cJSON_CreateObject()))
			break;
		cJSON_AddStringToObject(o, "file", r->path);
		add_str(o, "sha256", r->sha256);
		add_str(o, "number", r->number);
		add_str(o, "syntax", r->syntax);
		cJSON_AddStringToObject(o, "result", r->result);
		add_str(o, "flow", r->flow);
		add_str(o, "date", r->date);
		/* a flow state; the journal's own words are not one */
		add_str(o, "state",
			r->state && strcmp(r->state, "deposited") &&
					!chorus_state_unsure(r->state) &&
					strcmp(r->state, "failed")
				? r->state
				: NULL);
		add_str(o, "message", r->message);
		cJSON_AddItemToObject(o, "findings", r->findings);
		cJSON_AddItemToObject(o, "errors", r->errors);
		r->findings = r->errors = NULL;
		cJSON_AddItemToArray(files, o);
	}
	ok = cli_print_json(stdout, root) == 0;
	cJSON_Delete(root);
	return ok ? 0 : -1;
}

static void print_summary(const struct submit *s, const struct result *res,
			  int n)
{
	size_t deposited = 0, refused = 0, uncertain = 0, failed = 0, dry = 0;
	int i;

	for (i = 0; i < n; i++) {
		const char *w = res[i].result;

		if (!strcmp(w, "deposited") || !strcmp(w, "found-on-server"))
			deposited++;
		else if (!strcmp(w, "refused") ||
			 !strcmp(w, "already-deposited"))
			refused++;
		else if (!strcmp(w, "uncertain"))
			uncertain++;
		else if (!strcmp(w, "dry-run"))
			dry++;
		else
			failed++;
	}
	fprintf(stderr, "facture submit: %d file%s: %zu deposited, %zu refused",
		n, n == 1 ? "" : "s", deposited, refused);
	if (dry)
		fprintf(stderr, ", %zu checked (dry run)", dry);
	if (uncertain)
		fprintf(stderr, ", %zu uncertain", uncertain);
	if (failed)
		fprintf(stderr, ", %zu failed", failed);
	fputc('\n', stderr);
	(void) s;
}

static int write_stdout(const char *data, size_t len, void *payload)
{
	(void) payload;
	return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

static int run_check(struct submit *s)
{
	int err, status;

	if ((status = chorus_client(&s->cc)))
		return status;
	if ((err = fx_chorus_check(s->cc.client)) < 0) {
		chorus_error(&s->cc, "%s", chorus_errmsg(&s->cc));
		return chorus_exit_for(err);
	}
	if (s->cc.json)
		printf("{\n  \"version\": 1,\n  \"profile\": \"%s\",\n  "
		       "\"env\": \"%s\",\n  \"available\": true\n}\n",
		       s->cc.profile, fx_chorus_env_name(s->cc.env));
	else
		printf("profile '%s' (%s): credentials accepted, Chorus Pro "
		       "is available\n",
		       s->cc.profile, fx_chorus_env_name(s->cc.env));
	return EXIT_VALID;
}

int cmd_submit(int argc, char **argv, struct cli *cli)
{
	struct submit s;
	struct result *res = NULL;
	fx_render_opts ropts = FX_RENDER_OPTS_INIT;
	int c, i, n, status = EXIT_VALID, tty;

	(void) cli;
	memset(&s, 0, sizeof(s));
	s.cc.cmd = "submit";
	s.wait_timeout = 600;
	s.poll = 2;
	s.max_size = DEFAULT_MAX_SIZE;
	argv[0] = (char *) "facture submit";
	optind = 0;
	while ((c = getopt_long(argc, argv, CHORUS_SHORTOPTS "n", longopts,
				NULL)) != -1) {
		if ((status = chorus_option(&s.cc, c, optarg)) >= 0) {
			if (status)
				return status;
			continue;
		}
		switch (c) {
		case OPT_CHECK: s.check = 1; break;
		case 'n': s.dry_run = 1; break;
		case OPT_FORCE: s.force = 1; break;
		case OPT_AGAIN: s.again = 1; break;
		case OPT_OFFLINE: s.offline = 1; break;
		case OPT_WAIT: s.wait = 1; break;
		case OPT_WAIT_TIMEOUT:
			if (chorus_parse_seconds(optarg, &s.wait_timeout) < 0) {
				chorus_error(&s.cc,
					     "--wait-timeout takes a number of "
					     "seconds, not '%s'",
					     optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_POLL:
			if (chorus_parse_seconds(optarg, &s.poll) < 0) {
				chorus_error(&s.cc,
					     "--poll takes a number of seconds "
					     "such as 2 or 0.5, not '%s'",
					     optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_MAX_SIZE:
			if (cli_parse_size(optarg, &s.max_size) < 0) {
				chorus_error(&s.cc,
					     "--max-size takes a size such as "
					     "500K, 120M or 1G, not '%s'",
					     optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': return cli_usage(submit_usage, EXIT_VALID);
		default: return cli_usage(submit_usage, EXIT_USAGE);
		}
	}
	status = EXIT_VALID;
	n = argc - optind;
	if (s.check && n > 0) {
		chorus_error(&s.cc, "--check deposits nothing: name no files");
		return cli_usage(submit_usage, EXIT_USAGE);
	}
	if (!s.check && n == 0) {
		chorus_error(&s.cc, "nothing to deposit: name the files");
		return cli_usage(submit_usage, EXIT_USAGE);
	}
	if ((status = chorus_setup(&s.cc)))
		goto out;
	if (s.check) {
		status = run_check(&s);
		goto out;
	}
	fx_ctx_set_max_size(s.cc.ctx, s.max_size);
	if ((status = chorus_journal(&s.cc)))
		goto out;
	if (!(res = calloc((size_t) n, sizeof(*res)))) {
		chorus_error(&s.cc, "out of memory");
		status = EXIT_INTERNAL;
		goto out;
	}
	if (!s.cc.json) {
		ropts.color = cli_color("auto", stdout) == 1;
		ropts.write = write_stdout;
		if (fx_renderer_new(&s.text, FX_FORMAT_TEXT, &ropts) < 0 ||
		    fx_renderer_begin(s.text) < 0) {
			chorus_error(&s.cc, "out of memory");
			status = EXIT_INTERNAL;
			goto out;
		}
	}
	tty = !s.cc.quiet && isatty(STDERR_FILENO);
	for (i = 0; i < n; i++) {
		struct result *r = &res[i];

		r->path = argv[optind + i];
		r->findings = cJSON_CreateArray();
		r->errors = cJSON_CreateArray();
		if (!r->findings || !r->errors) {
			chorus_error(&s.cc, "out of memory");
			status = EXIT_INTERNAL;
			goto out;
		}
		if (s.stop) {
			r->result = "failed";
			set_message(r, "not tried: the credentials were "
				       "refused, or the journal cannot be "
				       "written");
			say(&s, r->path, "%s", r->message);
			r->status = EXIT_VALID;
			continue;
		}
		if (tty)
			chorus_error(&s.cc, "[%d/%d] %s", i + 1, n, r->path);
		submit_one(&s, r);
		fflush(stdout);
	}
	if (s.wait && !s.dry_run)
		wait_flows(&s, res, n);
	for (i = 0; i < n; i++)
		if (res[i].status > status)
			status = res[i].status;
	fflush(stdout);
	if (s.cc.json && print_json(&s, res, n) < 0 && status < EXIT_IO)
		status = EXIT_IO;
	if (!s.cc.quiet)
		print_summary(&s, res, n);
out:
	for (i = 0; res && i < n; i++) {
		free(res[i].number);
		free(res[i].flow);
		free(res[i].date);
		free(res[i].state);
		free(res[i].message);
		cJSON_Delete(res[i].findings);
		cJSON_Delete(res[i].errors);
	}
	free(res);
	fx_renderer_free(s.text);
	chorus_release(&s.cc);
	return status;
}
