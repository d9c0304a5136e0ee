/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - what the subcommands of the facture program share
 */
#ifndef FX_CMD_H
#define FX_CMD_H

#include <stdio.h>

#include <facture/facture.h>

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* Exit codes, the same for every command (facture(1), EXIT STATUS). */
enum {
	EXIT_VALID = 0,	  /* all inputs valid / done */
	EXIT_INVALID = 1, /* a negative verdict */
	EXIT_USAGE = 2,	  /* usage error */
	EXIT_IO = 3,	  /* unreadable, not well-formed, cannot write */
	EXIT_KEY = 4,	  /* key, certificate or credential problem */
	EXIT_NETWORK = 5, /* network or remote failure */
	EXIT_INTERNAL = 6 /* internal error */
};

/* Global options, parsed by main.c before the command runs. */
struct cli {
	const char *data_dir;
};

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv, struct cli *cli);
	const char *summary;
	const char *usage;
};

extern const struct cli_command cli_commands[];
const struct cli_command *cli_find_command(const char *name);

int cmd_validate(int argc, char **argv, struct cli *cli);
int cmd_help(int argc, char **argv, struct cli *cli);
int cmd_rules(int argc, char **argv, struct cli *cli);
int cmd_explain(int argc, char **argv, struct cli *cli);
int cmd_extract(int argc, char **argv, struct cli *cli);
extern const char validate_usage[];
extern const char rules_usage[];
extern const char explain_usage[];
int cmd_sign(int argc, char **argv, struct cli *cli);
int cmd_verify(int argc, char **argv, struct cli *cli);
extern const char sign_usage[];
extern const char verify_usage[];
extern const char extract_usage[];
int cmd_pack(int argc, char **argv, struct cli *cli);
extern const char pack_usage[];
int cmd_submit(int argc, char **argv, struct cli *cli);
int cmd_status(int argc, char **argv, struct cli *cli);
int cmd_buyer(int argc, char **argv, struct cli *cli);
extern const char submit_usage[];
extern const char status_usage[];
extern const char buyer_usage[];

/*
 * chorus.c: what submit, status and buyer share.  The options common to
 * the three, the profile (file, then environment), the state directory
 * with the journal and the cache of buyers, the API client made on first
 * use.
 */
enum {
	CHORUS_OPT_CONFIG = 512,
	CHORUS_OPT_CACERT,
	CHORUS_OPT_TIMEOUT,
	CHORUS_OPT_FIRST_FREE /* the commands' own options from here */
};

#define CHORUS_SHORTOPTS "p:f:qh"
/* their lines in the usage texts */
/* clang-format off */
#define CHORUS_USAGE_OPTIONS \
	"  -p, --profile=NAME    profile of the profile file (default: default)\n" \
	"      --config=FILE     profile file (default:\n" \
	"                        $XDG_CONFIG_HOME/facture/chorus.conf)\n" \
	"      --cacert=FILE     certificate authorities to trust (PEM)\n" \
	"      --timeout=SECONDS per request (default 30)\n" \
	"  -f, --format=FORMAT   text (default) or json\n"
/* clang-format on */
/* clang-format off */
#define CHORUS_LONGOPTS                                             \
	{ "profile", required_argument, NULL, 'p' },                \
	{ "config", required_argument, NULL, CHORUS_OPT_CONFIG },   \
	{ "cacert", required_argument, NULL, CHORUS_OPT_CACERT },   \
	{ "timeout", required_argument, NULL, CHORUS_OPT_TIMEOUT }, \
	{ "format", required_argument, NULL, 'f' },                 \
	{ "quiet", no_argument, NULL, 'q' },                        \
	{ "help", no_argument, NULL, 'h' }
/* clang-format on */

struct chorus_cli {
	const char *cmd; /* "submit": messages start "facture submit: " */
	/* the command line */
	const char *profile_arg, *config_arg, *cacert_arg;
	double timeout; /* seconds, 0 when not given */
	int json, quiet;
	/* resolved by chorus_setup */
	const char *profile;	 /* its name */
	char *config;		 /* the profile file */
	fx_chorus_profile *file; /* what it says; NULL when no file */
	fx_chorus_env env;
	fx_chorus_opts opts; /* strings point into file or environ */
	char *journal_path;
	char *cache_path;
	fx_ctx *ctx;
	fx_chorus *client;   /* chorus_client */
	fx_journal *journal; /* chorus_journal */
	void *cache;	     /* the buyers' cache, parsed */
	int cache_loaded;
};

/* "facture CMD: message" on stderr */
void chorus_error(const struct chorus_cli *cc, const char *fmt, ...)
	CLI_PRINTF(2, 3);
/* Handle option C if it is one of the common ones: EXIT_VALID when it
 * was, EXIT_USAGE when its value is bad (said), -1 when not ours. */
int chorus_option(struct chorus_cli *cc, int c, const char *arg);
/* Parse a duration in seconds ("2", "0.5"); -1 when it is not one. */
int chorus_parse_seconds(const char *s, double *out);
/* Resolve the profile and the paths; an exit code (EXIT_VALID when
 * done, the reason said). */
int chorus_setup(struct chorus_cli *cc);
/* The API client, made on first use (credentials checked then). */
int chorus_client(struct chorus_cli *cc);
/* Open and lock the journal (cc->journal). */
int chorus_journal(struct chorus_cli *cc);
void chorus_release(struct chorus_cli *cc);
/* The exit code for an FX_E* code of the library. */
int chorus_exit_for(int err);
/* The message of the last failed call. */
const char *chorus_errmsg(const struct chorus_cli *cc);

/*
 * A buyer by SIRET: from the cache when fresh (unless REFRESH), else from
 * the directory (unless OFFLINE), then cached.  *FOUND is 1 when *OUT is
 * filled (fx_chorus_structure_clear it), 0 when the directory does not
 * know the SIRET, -1 when offline and not cached.  Returns an exit code.
 */
int chorus_buyer(struct chorus_cli *cc, const char *siret, int refresh,
		 int offline, fx_chorus_structure *out, int *found);

/* A copy of journal entry OLD with FLOW, DATE, STATE, DETAIL replaced
 * when not NULL ("" for DETAIL clears it), saved.  An FX_E* code. */
int chorus_journal_update(struct chorus_cli *cc, const fx_journal_entry *old,
			  const char *flow, const char *date, const char *state,
			  const char *detail);
/* YYYY-MM-DD of T (UTC) plus DAYS days. */
void chorus_date(char out[11], long long t, int days);
/*
 * Whether the deposit of journal entry E reached the server after all:
 * search the invoices numbered NUMBER deposited since the entry's date.
 * 1 found (*flow and *date malloc'd), 0 not found, or an FX_E* code.
 */
int chorus_find_earlier(struct chorus_cli *cc, const fx_journal_entry *e,
			const char *number, char **flow, char **date);
/* Whether a journal state stands for a deposit whose outcome is unknown. */
int chorus_state_unsure(const char *state);

/* util.c */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
int cli_exit_for_error(int fx_code);
int cli_parse_size(const char *s, size_t *out);
int cli_parse_uint(const char *s, unsigned long *out);
/* -f text|json of the commands that have those two: 0 or EXIT_USAGE
 * (said) */
int cli_text_or_json(const char *arg, int *json);
/* Print ROOT as the other JSON outputs look: two-space indentation, a
 * value on one line when it fits in 80 columns.  -1 on a write error. */
struct cJSON;
int cli_print_json(FILE *fp, const struct cJSON *root);
double cli_now(void);
/* Read a whole file ("-": standard input) into *OUT (free()), a NUL after
 * its *LEN bytes, refusing more than MAX bytes (0: no limit).  0, or an
 * errno value: EFBIG when larger than MAX. */
int cli_read_file(const char *path, size_t max, char **out, size_t *len);
/* colour wanted for a stream: WHEN is auto, always or never; -1 if bad */
int cli_color(const char *when, FILE *stream);
/* print usage to stdout (help) or stderr (error), return the exit code */
int cli_usage(const char *usage, int status);

/* An output file written in full or not at all: a temporary file beside
 * the target, renamed over it on commit.  "-" or NULL is stdout. */
struct cli_output {
	FILE *fp;
	char *path;
	char *tmp;
};
int cli_output_open(struct cli_output *out, const char *path);
int cli_output_commit(struct cli_output *out);
void cli_output_abort(struct cli_output *out);

/* batch.c: run validations over many inputs, results in input order */
struct batch_opts {
	unsigned jobs; /* worker threads, >= 1 */
	size_t max_size;
	fx_validate_opts validate;
	int progress; /* a progress line on stderr */
	/* called on the main thread, once per input, in input order */
	int (*emit)(const fx_report *report, void *payload);
	void *payload;
};

struct batch_source {
	char **paths; /* operands: files, directories, "-" */
	int npaths;
	FILE *files_from; /* more paths, one per line, or NULL */
	const char *files_from_name;
};

/* Returns 0, or a negative FX_E* code when the run itself failed (the
 * message has been printed). */
int batch_run(const struct batch_source *src, const struct batch_opts *opts);

#endif
