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

/* util.c */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
int cli_exit_for_error(int fx_code);
int cli_parse_size(const char *s, size_t *out);
int cli_parse_uint(const char *s, unsigned long *out);
/* -f text|json of the commands that have those two: 0 or EXIT_USAGE
 * (said) */
int cli_text_or_json(const char *arg, int *json);
double cli_now(void);
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
