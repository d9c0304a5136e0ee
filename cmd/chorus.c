/* SPDX-License-Identifier: MIT */
/*
 * chorus.c - what facture submit, status and buyer share: the common
 * options, the profile (file, then environment), the state directory
 * with the journal and the cache of buyers, and the API client
 *
 * The environment is read here and nowhere in the library.  Secrets never
 * come from the command line and are never printed; the copies that the
 * environment holds are wiped once the client has its own.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"

/* a cached buyer older than this is looked up again */
#define CACHE_MAX_AGE	(7 * 24 * 3600)
#define CACHE_MAX_BYTES (64u * 1024 * 1024)

void chorus_error(const struct chorus_cli *cc, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "facture %s: ", cc->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *chorus_errmsg(const struct chorus_cli *cc)
{
	const fx_error *e = cc->ctx ? fx_ctx_last_error(cc->ctx) : NULL;

	return e && e->message && *e->message ? e->message : "unknown error";
}

int chorus_exit_for(int err)
{
	switch (err) {
	case FX_OK: return EXIT_VALID;
	case FX_EKEY: return EXIT_KEY;
	case FX_ENET: return EXIT_NETWORK;
	case FX_EIO:
	case FX_ETOOBIG: return EXIT_IO;
	case FX_EINVALID: return EXIT_KEY; /* a missing credential */
	default: return EXIT_INTERNAL;
	}
}

int chorus_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0 || v > 7 * 24 * 3600)
		return -1;
	*out = v;
	return 0;
}

int chorus_option(struct chorus_cli *cc, int c, const char *arg)
{
	switch (c) {
	case 'p': cc->profile_arg = arg; return EXIT_VALID;
	case CHORUS_OPT_CONFIG: cc->config_arg = arg; return EXIT_VALID;
	case CHORUS_OPT_CACERT: cc->cacert_arg = arg; return EXIT_VALID;
	case CHORUS_OPT_TIMEOUT:
		if (chorus_parse_seconds(arg, &cc->timeout) < 0) {
			chorus_error(cc,
				     "--timeout takes a number of seconds such "
				     "as 30 or 0.5, not '%s'",
				     arg);
			return EXIT_USAGE;
		}
		return EXIT_VALID;
	case 'f':
		if (strcmp(arg, "text") && strcmp(arg, "json")) {
			chorus_error(cc,
				     "unknown format '%s': use text or json",
				     arg);
			return EXIT_USAGE;
		}
		cc->json = !strcmp(arg, "json");
		return EXIT_VALID;
	case 'q': cc->quiet = 1; return EXIT_VALID;
	default: return -1;
	}
}

/* An environment variable, NULL when unset or empty. */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* A base directory of the XDG specification: $VAR if absolute, else
 * $HOME/FALLBACK. */
static char *xdg_dir(const char *var, const char *fallback)
{
	const char *v = env(var), *home = env("HOME");
	char *out = NULL;

	if (v && v[0] == '/')
		return strdup(v);
	if (!home)
		return NULL;
	if (asprintf(&out, "%s/%s", home, fallback) < 0)
		return NULL;
	return out;
}

/* A profile name becomes part of file names: keep it to a safe set. */
static int profile_name_ok(const char *name)
{
	const char *p;

	if (!*name || *name == '.' || strlen(name) > 100)
		return 0;
	for (p = name; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
		      ('0' <= *p && *p <= '9') || *p == '_' || *p == '-' ||
		      *p == '.'))
			return 0;
	return 1;
}

static int load_profile_file(struct chorus_cli *cc, int explicit_file,
			     int explicit_profile)
{
	struct stat st;
	int err;

	if (stat(cc->config, &st) < 0 && errno == ENOENT) {
		if (!explicit_file && !explicit_profile)
			return EXIT_VALID; /* the environment may say it all */
		chorus_error(cc, "cannot read the profile file '%s': %s",
			     cc->config, strerror(errno));
		return EXIT_KEY;
	}
	err = fx_chorus_profile_load(&cc->file, cc->ctx, cc->config,
				     cc->profile);
	if (err == FX_EINVALID && !explicit_profile &&
	    !strncmp(chorus_errmsg(cc), "no profile", 10))
		return EXIT_VALID; /* no [default] section: not an error */
	if (err < 0) {
		chorus_error(cc, "%s", chorus_errmsg(cc));
		return err == FX_ENOMEM ? EXIT_INTERNAL : EXIT_KEY;
	}
	return EXIT_VALID;
}

/* fx_chorus_opts.on_retry: a word on stderr before each pause */
static void retry_note(const char *what, long delay_ms, void *payload)
{
	const struct chorus_cli *cc = payload;

	if (!cc->quiet)
		chorus_error(cc,
			     "Chorus Pro did not answer (%s); retrying in %g s",
			     what ? what : "no reason given",
			     (double) ((delay_ms + 50) / 100) / 10.0);
}

int chorus_setup(struct chorus_cli *cc)
{
	const fx_chorus_profile *f;
	const char *name, *v, *cacert, *timeout;
	char *config_home = NULL, *state_home = NULL;
	int explicit_file, explicit_profile, status = EXIT_INTERNAL;
	double seconds;

	if (fx_ctx_new(&cc->ctx) < 0) {
		chorus_error(cc, "out of memory");
		return EXIT_INTERNAL;
	}
	fx_chorus_opts_init(&cc->opts);
	cc->opts.on_retry = retry_note;
	cc->opts.payload = cc;

	/* which profile, in which file */
	name = cc->profile_arg ? cc->profile_arg
			       : env("FACTURE_CHORUS_PROFILE");
	explicit_profile = name != NULL;
	cc->profile = name ? name : "default";
	if (!profile_name_ok(cc->profile)) {
		chorus_error(cc,
			     "'%s' is not a profile name (letters, digits, "
			     "'.', '_' and '-')",
			     cc->profile);
		return EXIT_USAGE;
	}
	v = cc->config_arg ? cc->config_arg : env("FACTURE_CHORUS_CONFIG");
	explicit_file = v != NULL;
	if (v) {
		cc->config = strdup(v);
	} else if ((config_home = xdg_dir("XDG_CONFIG_HOME", ".config"))) {
		if (asprintf(&cc->config, "%s/facture/chorus.conf",
			     config_home) < 0)
			cc->config = NULL;
	} else {
		chorus_error(cc, "neither XDG_CONFIG_HOME nor HOME is set: "
				 "name the profile file with --config");
		status = EXIT_USAGE;
		goto out;
	}
	if (!cc->config)
		goto nomem;
	if ((status = load_profile_file(cc, explicit_file, explicit_profile)))
		goto out;
	status = EXIT_INTERNAL;

	/* the file, then the environment */
	f = cc->file;
	cc->opts.client_id = f ? f->client_id : NULL;
	cc->opts.client_secret = f ? f->client_secret : NULL;
	cc->opts.login = f ? f->login : NULL;
	cc->opts.password = f ? f->password : NULL;
	cc->opts.api_url = f ? f->api_url : NULL;
	cc->opts.token_url = f ? f->token_url : NULL;
	if ((v = env("FACTURE_CHORUS_CLIENT_ID")))
		cc->opts.client_id = v;
	if ((v = env("FACTURE_CHORUS_CLIENT_SECRET")))
		cc->opts.client_secret = v;
	if ((v = env("FACTURE_CHORUS_LOGIN")))
		cc->opts.login = v;
	if ((v = env("FACTURE_CHORUS_PASSWORD")))
		cc->opts.password = v;
	if ((v = env("FACTURE_CHORUS_API_URL")))
		cc->opts.api_url = v;
	if ((v = env("FACTURE_CHORUS_TOKEN_URL")))
		cc->opts.token_url = v;
	v = env("FACTURE_CHORUS_ENV");
	if (!v && f && f->env)
		v = f->env;
	cc->env = FX_CHORUS_SANDBOX;
	if (v && fx_chorus_env_parse(&cc->env, v) < 0) {
		chorus_error(cc,
			     "unknown Chorus Pro environment '%s' for profile "
			     "'%s': use sandbox or production",
			     v, cc->profile);
		status = EXIT_KEY;
		goto out;
	}
	cc->opts.env = cc->env;

	cacert = cc->cacert_arg ? cc->cacert_arg : f ? f->cacert : NULL;
	cc->opts.cacert = cacert;
	if (cacert && access(cacert, R_OK) < 0) {
		chorus_error(cc, "cannot read the CA bundle '%s': %s", cacert,
			     strerror(errno));
		status = EXIT_IO;
		goto out;
	}
	seconds = cc->timeout;
	timeout = f ? f->timeout : NULL;
	if (!seconds && timeout &&
	    chorus_parse_seconds(timeout, &seconds) < 0) {
		chorus_error(cc,
			     "the timeout of profile '%s' in '%s' is '%s', not "
			     "a number of seconds",
			     cc->profile, cc->config, timeout);
		status = EXIT_KEY;
		goto out;
	}
	if (seconds) {
		cc->opts.timeout_ms = (long) (seconds * 1000 + 0.5);
		if (cc->opts.timeout_ms < 1)
			cc->opts.timeout_ms = 1;
	}

	/* where the journal and the cache live */
	if (!(state_home = xdg_dir("XDG_STATE_HOME", ".local/state"))) {
		chorus_error(cc, "neither XDG_STATE_HOME nor HOME is set: "
				 "there is nowhere to keep the journal");
		status = EXIT_IO;
		goto out;
	}
	if (asprintf(&cc->journal_path, "%s/facture/%s.journal.json",
		     state_home, cc->profile) < 0) {
		cc->journal_path = NULL;
		goto nomem;
	}
	if (asprintf(&cc->cache_path, "%s/facture/%s.structures.json",
		     state_home, cc->profile) < 0) {
		cc->cache_path = NULL;
		goto nomem;
	}
	status = EXIT_VALID;
	goto out;
nomem:
	chorus_error(cc, "out of memory");
	status = EXIT_INTERNAL;
out:
	free(config_home);
	free(state_home);
	return status;
}

/* mkdir -p, the directories we create private */
static int make_dirs(const char *path)
{
	char *p = strdup(path), *s;
	int ret = 0;

	if (!p)
		return -1;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			ret = -1;
		*s = '/';
	}
	if (ret == 0 && mkdir(p, 0700) < 0 && errno != EEXIST)
		ret = -1;
	free(p);
	return ret;
}

static int state_dir(struct chorus_cli *cc)
{
	char *dir = strdup(cc->journal_path), *slash;
	int status = EXIT_VALID;

	if (!dir) {
		chorus_error(cc, "out of memory");
		return EXIT_INTERNAL;
	}
	if ((slash = strrchr(dir, '/')))
		*slash = '\0';
	if (make_dirs(dir) < 0) {
		chorus_error(cc, "cannot create the state directory '%s': %s",
			     dir, strerror(errno));
		status = EXIT_IO;
	}
	free(dir);
	return status;
}

static const char *const credential_env[] = { "FACTURE_CHORUS_CLIENT_ID",
					      "FACTURE_CHORUS_CLIENT_SECRET",
					      "FACTURE_CHORUS_LOGIN",
					      "FACTURE_CHORUS_PASSWORD" };

int chorus_client(struct chorus_cli *cc)
{
	const char *const keys[] = { "client_id", "client_secret", "login",
				     "password" };
	const char *values[4];
	size_t i;
	int err;

	if (cc->client)
		return EXIT_VALID;
	values[0] = cc->opts.client_id;
	values[1] = cc->opts.client_secret;
	values[2] = cc->opts.login;
	values[3] = cc->opts.password;
	for (i = 0; i < 4; i++) {
		if (!values[i] || !*values[i]) {
			chorus_error(cc,
				     "no %s for profile '%s': set %s in %s or "
				     "%s",
				     keys[i], cc->profile, keys[i], cc->config,
				     credential_env[i]);
			return EXIT_KEY;
		}
	}
	if ((err = fx_chorus_new(&cc->client, cc->ctx, &cc->opts)) < 0) {
		chorus_error(cc, "%s", chorus_errmsg(cc));
		return chorus_exit_for(err);
	}
	/* the client has its copies: none left in our environment, where
	 * /proc/PID/environ would show them */
	for (i = 1; i < 4; i += 2) {
		char *v = getenv(credential_env[i]);

		if (v && v == values[i])
			explicit_bzero(v, strlen(v));
		if (v)
			unsetenv(credential_env[i]);
	}
	cc->opts.client_secret = cc->opts.password = NULL;
	return EXIT_VALID;
}

int chorus_journal(struct chorus_cli *cc)
{
	int err, status;

	if (cc->journal)
		return EXIT_VALID;
	if ((status = state_dir(cc)))
		return status;
	if ((err = fx_journal_open(&cc->journal, cc->ctx, cc->journal_path)) <
	    0) {
		chorus_error(cc, "%s", chorus_errmsg(cc));
		return err == FX_ENOMEM ? EXIT_INTERNAL : EXIT_IO;
	}
	return EXIT_VALID;
}

void chorus_release(struct chorus_cli *cc)
{
	fx_journal_close(cc->journal);
	fx_chorus_free(cc->client);
	fx_chorus_profile_free(cc->file);
	cJSON_Delete(cc->cache);
	fx_ctx_free(cc->ctx);
	free(cc->config);
	free(cc->journal_path);
	free(cc->cache_path);
	cc->journal = NULL;
	cc->client = NULL;
	cc->file = NULL;
	cc->cache = NULL;
	cc->ctx = NULL;
	cc->config = cc->journal_path = cc->cache_path = NULL;
}

/* ---- The cache of buyers ------------------------------------------- */

/* Read the cache file; a missing or damaged one is an empty cache (it
 * is only a cache). */
static cJSON *cache_read(const char *path)
{
	cJSON *root = NULL;
	char *text;
	size_t len;

	if (!cli_read_file(path, CACHE_MAX_BYTES, &text, &len)) {
		root = cJSON_Parse(text);
		free(text);
	}
	if (root && !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		root = NULL;
	}
	return root ? root : cJSON_CreateObject();
}

/* Write the cache atomically; a failure only costs a lookup next time,
 * so it is said and forgotten. */
static void cache_write(struct chorus_cli *cc)
{
	char *text = cJSON_Print(cc->cache), *tmp = NULL;
	FILE *fp = NULL;
	int fd = -1, ok = 0;

	if (!text || state_dir(cc) != EXIT_VALID)
		goto out;
	if (asprintf(&tmp, "%s.tmpXXXXXX", cc->cache_path) < 0) {
		tmp = NULL;
		goto out;
	}
	if ((fd = mkstemp(tmp)) < 0)
		goto out;
	if (!(fp = fdopen(fd, "w")))
		goto out;
	fd = -1;
	if (fputs(text, fp) < 0 || fputc('\n', fp) < 0 || fflush(fp) != 0 ||
	    fsync(fileno(fp)) < 0)
		goto out;
	if (fclose(fp) != 0) {
		fp = NULL;
		goto out;
	}
	fp = NULL;
	if (rename(tmp, cc->cache_path) < 0)
		goto out;
	ok = 1;
out:
	if (!ok && !cc->quiet)
		chorus_error(cc, "cannot write the cache of buyers '%s': %s",
			     cc->cache_path, strerror(errno));
	if (fp)
		fclose(fp);
	if (fd >= 0)
		close(fd);
	if (!ok && tmp)
		unlink(tmp);
	free(tmp);
	cJSON_free(text);
}

/* "2026-11-27T08:00:00Z" as seconds since 1970; -1 when not that. */
static long long iso_time(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	if (!s || !(end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	if (*end == '.')
		while (*++end >= '0' && *end <= '9')
			;
	if (strcmp(end, "Z") && strcmp(end, "+00:00") && *end)
		return -1;
	return (long long) timegm(&tm);
}

int chorus_buyer(struct chorus_cli *cc, const char *siret, int refresh,
		 int offline, fx_chorus_structure *out, int *found)
{
	cJSON *item, *parsed;
	char *text = NULL;
	long long fetched;
	int err, status;

	memset(out, 0, sizeof(*out));
	*found = 0;
	if (!cc->cache_loaded) {
		cc->cache = cache_read(cc->cache_path);
		cc->cache_loaded = 1;
		if (!cc->cache) {
			chorus_error(cc, "out of memory");
			return EXIT_INTERNAL;
		}
	}
	item = cJSON_GetObjectItemCaseSensitive(cc->cache, siret);
	if (item && (!refresh || offline)) {
		text = cJSON_PrintUnformatted(item);
		if (text &&
		    fx_chorus_structure_from_json(out, cc->ctx, text) == 0) {
			fetched = iso_time(out->fetched);
			if (offline ||
			    (fetched >= 0 && (long long) time(NULL) - fetched <
						     CACHE_MAX_AGE)) {
				cJSON_free(text);
				*found = 1;
				return EXIT_VALID;
			}
		}
		fx_chorus_structure_clear(out);
		memset(out, 0, sizeof(*out));
		cJSON_free(text);
		text = NULL;
	}
	if (offline) {
		*found = -1;
		return EXIT_VALID;
	}
	if ((status = chorus_client(cc)))
		return status;
	err = fx_chorus_structure_lookup(out, cc->client, siret);
	if (err < 0) {
		memset(out, 0, sizeof(*out));
		return chorus_exit_for(err);
	}
	if (err == 1) {
		memset(out, 0, sizeof(*out));
		return EXIT_VALID;
	}
	*found = 1;
	if (fx_chorus_structure_to_json(&text, out) == 0 &&
	    (parsed = cJSON_Parse(text))) {
		cJSON_DeleteItemFromObjectCaseSensitive(cc->cache, siret);
		cJSON_AddItemToObject(cc->cache, siret, parsed);
		cache_write(cc);
	}
	free(text);
	return EXIT_VALID;
}

/* ---- Journal helpers ----------------------------------------------- */

void chorus_date(char out[11], long long t, int days)
{
	time_t tt = (time_t) (t + (long long) days * 86400);
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 11, "%Y-%m-%d", &tm))
		strcpy(out, "1970-01-01");
}

int chorus_state_unsure(const char *state)
{
	return state &&
	       (!strcmp(state, "sending") || !strcmp(state, "unknown"));
}

static char *dup_or_null(const char *s, int *failed)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*failed = 1;
	return d;
}

int chorus_journal_update(struct chorus_cli *cc, const fx_journal_entry *old,
			  const char *flow, const char *date, const char *state,
			  const char *detail)
{
	fx_journal_entry e = *old;
	char *s[7];
	int failed = 0, err, i;

	/* our own copies: putting may free the strings of OLD */
	s[0] = dup_or_null(old->file, &failed);
	s[1] = dup_or_null(old->number, &failed);
	s[2] = dup_or_null(old->syntax, &failed);
	s[3] = dup_or_null(flow ? flow : old->flow, &failed);
	s[4] = dup_or_null(date ? date : old->date, &failed);
	s[5] = dup_or_null(state ? state : old->state, &failed);
	s[6] = dup_or_null(detail ? (*detail ? detail : NULL) : old->detail,
			   &failed);
	e.file = s[0];
	e.number = s[1];
	e.syntax = s[2];
	e.flow = s[3];
	e.date = s[4];
	e.state = s[5];
	e.detail = s[6];
	e.updated = (long long) time(NULL);
	err = failed ? FX_ENOMEM : fx_journal_put(cc->journal, &e);
	for (i = 0; i < 7; i++)
		free(s[i]);
	return err;
}

int chorus_find_earlier(struct chorus_cli *cc, const fx_journal_entry *e,
			const char *number, char **flow, char **date)
{
	fx_chorus_invoice_query q;
	fx_chorus_invoice *inv = NULL;
	char from[11], to[11];
	size_t n = 0, i;
	int err, found = 0;

	*flow = *date = NULL;
	if (!number || !*number)
		return 0;
	/* dates are French days: from the UTC day of the attempt to the
	 * UTC day after today, which covers Paris either way */
	chorus_date(from, e->time, 0);
	chorus_date(to, (long long) time(NULL), 1);
	memset(&q, 0, sizeof(q));
	q.number = number;
	q.from = from;
	q.to = to;
	if ((err = fx_chorus_invoices_search(&inv, &n, cc->client, &q)) < 0)
		return err;
	for (i = 0; i < n && !found; i++) {
		if (!inv[i].number || strcmp(inv[i].number, number) ||
		    !inv[i].flow || !*inv[i].flow)
			continue;
		/* a flow the journal knows belongs to another attempt, even
		 * of the same bytes (--again): E has none yet */
		if (fx_journal_find_flow(cc->journal, inv[i].flow))
			continue;
		*flow = strdup(inv[i].flow);
		*date = inv[i].deposit_date ? strdup(inv[i].deposit_date)
					    : NULL;
		if (!*flow) {
			free(*date);
			*date = NULL;
			err = FX_ENOMEM;
			break;
		}
		found = 1;
	}
	fx_chorus_invoices_free(inv, n);
	return err < 0 ? err : found;
}
