/* SPDX-License-Identifier: MIT */
/*
 * sign.c - facture sign: put an XAdES-BES signature on an invoice
 *
 * Passwords never come from the command line, where other users can read
 * them: a file, an inherited file descriptor or the environment.  The
 * copy we hold is wiped before the program goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

const char sign_usage[] =
	"usage: facture sign (--key=file --cert=file | --pkcs12=file) [-qv]\n"
	"                    [-o file] [--chain=file] "
	"[--digest=sha256|sha384|sha512]\n"
	"                    [--pss] [--password-file=file | "
	"--password-fd=n]\n"
	"                    [--signing-certificate=v2|v1] "
	"[--signing-time=time] file|-\n"
	"\n"
	"Sign an invoice with an XAdES-BES signature.  A UBL invoice gets an\n"
	"enveloped signature (the signed invoice goes to standard output or "
	"-o);\n"
	"a CII invoice gets a detached signature (written to FILE.xades.xml or "
	"-o).\n"
	"A password comes from --password-file, --password-fd or the "
	"environment\n"
	"variable FACTURE_KEY_PASSWORD, never from the command line.\n"
	"\n"
	"      --key=FILE           the private key (PEM or DER, PKCS#8 or "
	"traditional)\n"
	"      --cert=FILE          its certificate; more in FILE are the "
	"chain\n"
	"      --chain=FILE         more certificates of the chain\n"
	"      --pkcs12=FILE        key, certificate and chain in one PKCS#12 "
	"file\n"
	"      --password-file=FILE the password is the first line of FILE\n"
	"      --password-fd=N      the password is read from file descriptor "
	"N\n"
	"      --digest=NAME        sha256 (default), sha384 or sha512\n"
	"      --pss                RSA keys: RSASSA-PSS instead of PKCS#1 "
	"v1.5\n"
	"      --signing-certificate=v2|v1\n"
	"                           v2 (default): XAdES SigningCertificateV2;\n"
	"                           v1: SigningCertificate, for the UBL 2.1 "
	"schema\n"
	"      --signing-time=TIME  record TIME (2025-06-30T12:00:00Z) instead "
	"of now\n"
	"  -o, --output=FILE        write there (atomically); - is standard "
	"output\n"
	"  -q, --quiet              no message when all went well\n"
	"  -v, --verbose            also tell the algorithms and the signing "
	"time\n"
	"  -h, --help               show this help\n"
	"\n"
	"Exit status: 0 signed, 2 usage, 3 unreadable input or unwritable "
	"output,\n"
	"4 key, certificate or password problem, 6 internal error.  See\n"
	"facture-sign(1).\n";

enum {
	OPT_KEY = 256,
	OPT_CERT,
	OPT_CHAIN,
	OPT_PKCS12,
	OPT_PASSWORD_FILE,
	OPT_PASSWORD_FD,
	OPT_DIGEST,
	OPT_PSS,
	OPT_SIGNING_TIME,
	OPT_SIGNING_CERT,
	OPT_PASSWORD_ARGV
};

static const struct option longopts[] = {
	{ "key", required_argument, NULL, OPT_KEY },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "chain", required_argument, NULL, OPT_CHAIN },
	{ "pkcs12", required_argument, NULL, OPT_PKCS12 },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "password-fd", required_argument, NULL, OPT_PASSWORD_FD },
	{ "digest", required_argument, NULL, OPT_DIGEST },
	{ "pss", no_argument, NULL, OPT_PSS },
	{ "signing-time", required_argument, NULL, OPT_SIGNING_TIME },
	{ "signing-certificate", required_argument, NULL, OPT_SIGNING_CERT },
	{ "output", required_argument, NULL, 'o' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	/* refused, with a word on what to do instead */
	{ "password", required_argument, NULL, OPT_PASSWORD_ARGV },
	{ "pass", required_argument, NULL, OPT_PASSWORD_ARGV },
	{ "passwd", required_argument, NULL, OPT_PASSWORD_ARGV },
	{ "passphrase", required_argument, NULL, OPT_PASSWORD_ARGV },
	{ "passin", required_argument, NULL, OPT_PASSWORD_ARGV },
	{ NULL, 0, NULL, 0 }
};

#define MAX_PASSWORD 4096

/* A password, in memory that is wiped before it is freed. */
struct secret {
	char *ptr;
	size_t cap;
};

static void secret_wipe(struct secret *s)
{
	if (s->ptr) {
		explicit_bzero(s->ptr, s->cap);
		free(s->ptr);
	}
	s->ptr = NULL;
	s->cap = 0;
}

/* The first line of what FD gives, without its end of line. */
static int read_password_fd(struct secret *out, int fd, const char *what)
{
	size_t len = 0;
	ssize_t n;

	out->cap = MAX_PASSWORD + 1;
	if (!(out->ptr = malloc(out->cap))) {
		cli_error("out of memory");
		return EXIT_INTERNAL;
	}
	while (len < MAX_PASSWORD) {
		n = read(fd, out->ptr + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("cannot read the password from %s: %s", what,
				  strerror(errno));
			return EXIT_KEY;
		}
		if (n == 0 || out->ptr[len] == '\n')
			break;
		len++;
	}
	if (len == MAX_PASSWORD) {
		cli_error("the password in %s is longer than %d bytes", what,
			  MAX_PASSWORD);
		return EXIT_KEY;
	}
	if (len && out->ptr[len - 1] == '\r')
		len--;
	out->ptr[len] = '\0';
	return EXIT_VALID;
}

static int read_password(struct secret *out, const char *file,
			 const char *fd_arg)
{
	unsigned long fd;
	const char *env;
	char what[64];
	int f, status;

	if (file) {
		if ((f = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
			/* not named: it could be the password, mistyped */
			cli_error("cannot open the password file: %s",
				  strerror(errno));
			return EXIT_KEY;
		}
		status = read_password_fd(out, f, "the password file");
		close(f);
		return status;
	}
	if (fd_arg) {
		if (cli_parse_uint(fd_arg, &fd) < 0 || fd > 1024) {
			cli_error("--password-fd takes a file descriptor "
				  "number");
			return EXIT_USAGE;
		}
		if (snprintf(what, sizeof(what), "file descriptor %lu", fd) >=
		    (int) sizeof(what))
			return EXIT_INTERNAL;
		return read_password_fd(out, (int) fd, what);
	}
	if ((env = getenv("FACTURE_KEY_PASSWORD"))) {
		out->cap = strlen(env) + 1;
		if (!(out->ptr = malloc(out->cap))) {
			cli_error("out of memory");
			return EXIT_INTERNAL;
		}
		memcpy(out->ptr, env, out->cap);
		/* ours now: not left in the environment (/proc/PID/environ) */
		explicit_bzero((char *) env, out->cap - 1);
		unsetenv("FACTURE_KEY_PASSWORD");
	}
	return EXIT_VALID;
}

struct sink {
	FILE *fp;
};

static int write_stream(const char *data, size_t len, void *payload)
{
	struct sink *s = payload;

	return fwrite(data, 1, len, s->fp) == len ? 0 : -1;
}

/* Whether PATH names the same file as the input IN. */
static int same_file(const char *path, const char *in)
{
	struct stat a, b;

	return strcmp(in, "-") && stat(path, &a) == 0 && stat(in, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* An option we cannot parse, named without its value: the value might
 * be a secret typed by mistake. */
static int bad_option(char **argv, int c)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	size_t n = strcspn(arg, "=");

	/* --password=..., or anything that looks like it */
	if (c == OPT_PASSWORD_ARGV ||
	    (c == ':' && optopt == OPT_PASSWORD_ARGV) ||
	    (!strncmp(arg, "--pas", 5) && strncmp(arg, "--password-", 11))) {
		cli_error("passwords are not taken on the command line, where "
			  "others can see them: use --password-file=FILE, "
			  "--password-fd=N or the environment variable "
			  "FACTURE_KEY_PASSWORD");
		return EXIT_USAGE;
	}
	if (c == ':') {
		cli_error("option '%.*s' needs a value", (int) n, arg);
	} else if (optopt > 0 && optopt < 256) {
		cli_error("unknown option '-%c'", optopt);
	} else {
		cli_error("unknown option '%.*s'", (int) n, arg);
	}
	return cli_usage(sign_usage, EXIT_USAGE);
}

int cmd_sign(int argc, char **argv, struct cli *cli)
{
	struct secret password = { NULL, 0 };
	struct cli_output output = { NULL, NULL, NULL };
	fx_sign_opts opts = FX_SIGN_OPTS_INIT;
	fx_ctx *ctx = NULL;
	fx_signer *signer = NULL;
	fx_doc *doc = NULL;
	struct sink sink;
	const char *key = NULL, *cert = NULL, *chain = NULL, *p12 = NULL;
	const char *pw_file = NULL, *pw_fd = NULL, *out_path = NULL;
	const char *input, *what;
	char *default_out = NULL, when[32];
	struct tm tm;
	time_t now;
	int quiet = 0, verbose = 0, c, err, status;

	(void) cli;
	argv[0] = (char *) "facture sign";
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KEY: key = optarg; break;
		case OPT_CERT: cert = optarg; break;
		case OPT_CHAIN: chain = optarg; break;
		case OPT_PKCS12: p12 = optarg; break;
		case OPT_PASSWORD_FILE: pw_file = optarg; break;
		case OPT_PASSWORD_FD: pw_fd = optarg; break;
		case OPT_DIGEST:
			if (fx_digest_parse(&opts.digest, optarg) < 0) {
				cli_error("--digest takes sha256, sha384 or "
					  "sha512, not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_PSS: opts.pss = 1; break;
		case OPT_SIGNING_TIME:
			if (fx_time_parse(&opts.signing_time, optarg) < 0) {
				cli_error("--signing-time takes a time such as "
					  "2025-06-30T12:00:00Z, not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			opts.fixed_time = 1;
			break;
		case OPT_SIGNING_CERT:
			if (strcmp(optarg, "v1") && strcmp(optarg, "v2")) {
				cli_error("--signing-certificate takes v2 or "
					  "v1, not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			opts.signing_certificate_v1 = !strcmp(optarg, "v1");
			break;
		case 'o': out_path = optarg; break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'h': return cli_usage(sign_usage, EXIT_VALID);
		default: return bad_option(argv, c);
		}
	}
	if (optind != argc - 1) {
		cli_error(optind >= argc ? "nothing to sign: name one invoice"
					 : "sign takes one invoice at a time");
		return cli_usage(sign_usage, EXIT_USAGE);
	}
	input = argv[optind];
	if (p12 ? key || cert || chain : !key || !cert) {
		cli_error(p12 ? "--pkcs12 holds the key and the certificate: "
				"give no --key, --cert or --chain with it"
			      : "name the key and the certificate with --key "
				"and --cert, or both with --pkcs12");
		return cli_usage(sign_usage, EXIT_USAGE);
	}
	if (pw_file && pw_fd) {
		cli_error("give the password one way: --password-file or "
			  "--password-fd");
		return EXIT_USAGE;
	}
	if (fx_ctx_new(&ctx) < 0) {
		cli_error("out of memory");
		return EXIT_INTERNAL;
	}
	/* the time is ours to tell, then */
	if (!opts.fixed_time) {
		opts.signing_time = (long long) time(NULL);
		opts.fixed_time = 1;
	}

	if ((status = read_password(&password, pw_file, pw_fd)) != EXIT_VALID)
		goto out;
	err = p12 ? fx_signer_load_pkcs12(&signer, ctx, p12, password.ptr)
		  : fx_signer_load_pem(&signer, ctx, key, cert, chain,
				       password.ptr);
	secret_wipe(&password);
	if (err < 0) {
		cli_error("%s", fx_ctx_last_error(ctx)->message);
		if (err == FX_EKEY &&
		    strstr(fx_ctx_last_error(ctx)->message, "password"))
			fprintf(stderr,
				"facture: a password comes from "
				"--password-file=FILE, --password-fd=N or "
				"FACTURE_KEY_PASSWORD\n");
		status = cli_exit_for_error(err);
		goto out;
	}

	if ((err = fx_doc_load_file(&doc, ctx, input)) < 0) {
		cli_error("%s", fx_ctx_last_error(ctx)->message);
		status = cli_exit_for_error(err);
		goto out;
	}
	if (!out_path && fx_doc_syntax(doc) == FX_SYNTAX_CII) {
		if (!strcmp(input, "-")) {
			cli_error("a CII invoice read from standard input has "
				  "no name for its detached signature: use -o");
			status = EXIT_USAGE;
			goto out;
		}
		if (asprintf(&default_out, "%s.xades.xml", input) < 0) {
			default_out = NULL;
			cli_error("out of memory");
			status = EXIT_INTERNAL;
			goto out;
		}
		out_path = default_out;
	}
	if (out_path && same_file(out_path, input)) {
		cli_error("'%s' is the invoice itself: the input is never "
			  "overwritten, choose another output",
			  out_path);
		status = EXIT_USAGE;
		goto out;
	}
	if (cli_output_open(&output, out_path) < 0) {
		status = EXIT_IO;
		goto out;
	}
	sink.fp = output.fp;
	if ((err = fx_sign(ctx, doc, signer, &opts, write_stream, &sink)) < 0) {
		cli_error("%s", fx_ctx_last_error(ctx)->message);
		cli_output_abort(&output);
		status = err == FX_EIO ? EXIT_IO : cli_exit_for_error(err);
		goto out;
	}
	if (cli_output_commit(&output) < 0) {
		status = EXIT_IO;
		goto out;
	}
	status = EXIT_VALID;
	if (quiet)
		goto out;
	what = fx_doc_syntax(doc) == FX_SYNTAX_CII ? "detached signature"
						   : "signed invoice";
	fprintf(stderr, "facture: signed '%s' as '%s': %s %s%s%s\n",
		fx_doc_name(doc), fx_signer_subject(signer), what,
		out_path && strcmp(out_path, "-") ? "in '" : "on ",
		out_path && strcmp(out_path, "-") ? out_path
						  : "standard output",
		out_path && strcmp(out_path, "-") ? "'" : "");
	now = (time_t) opts.signing_time;
	if (verbose && gmtime_r(&now, &tm) &&
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		fprintf(stderr,
			"facture: XAdES-BES with %s, digest %s, "
			"SigningCertificate%s, signing time %s\n",
			fx_sign_method(signer, &opts),
			fx_digest_name(opts.digest),
			opts.signing_certificate_v1 ? "" : "V2", when);
out:
	secret_wipe(&password);
	if (output.fp)
		cli_output_abort(&output);
	free(default_out);
	fx_doc_free(doc);
	fx_signer_free(signer);
	fx_ctx_free(ctx);
	return status;
}
