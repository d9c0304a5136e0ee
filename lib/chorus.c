/* SPDX-License-Identifier: MIT */
/*
 * chorus.c - the Chorus Pro API client: PISTE tokens, HTTP calls through
 * libcurl, and the typed operations that submit and status need
 *
 * Every call goes through api_call(): it makes sure a token is at hand,
 * sends the request with the Bearer token and the cpro-account header,
 * turns what came back (or did not) into an FX_E* code with a message,
 * repeats the call once with a new token when the API refused the token,
 * and retries idempotent calls on network failures, HTTP 429 and 5xx.
 *
 * The server is not trusted: answers are size-capped, parsed with cJSON,
 * and every field is checked for its type before use.  Text taken from an
 * answer loses its control characters, so that it can be printed.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h> /* isfinite, a macro: no libm */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"
#include "chorus_parse.h"
#include "curl_dl.h"
#include "banned.h"

#define PROD_API_URL	  "https://api.piste.gouv.fr"
#define PROD_TOKEN_URL	  "https://oauth.piste.gouv.fr/api/oauth/token"
#define SANDBOX_API_URL	  "https://sandbox-api.piste.gouv.fr"
#define SANDBOX_TOKEN_URL "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"

#define PATH_HEALTH	  "/cpro/transverses/v1/health-check"
#define PATH_DEPOSIT	  "/cpro/factures/v1/deposer/flux"
#define PATH_REPORT	  "/cpro/transverses/v1/consulterCRDetaille"
#define PATH_SEARCH	  "/cpro/factures/v1/rechercher/fournisseur"
#define PATH_HISTORY	  "/cpro/factures/v1/consulter/historique"
#define PATH_STRUCT_FIND  "/cpro/structures/v1/rechercher"
#define PATH_STRUCT_READ  "/cpro/structures/v1/consulter"
#define PATH_SERVICE_FIND "/cpro/structures/v1/rechercher/services"
#define PATH_SERVICE_READ "/cpro/structures/v1/consulter/service"

#define DEFAULT_TIMEOUT_MS 30000L
#define MAX_CONNECT_MS	   15000L
#define MAX_ANSWER	   ((size_t) 64 * 1024 * 1024)
#define MAX_HEADER	   2048
#define MAX_PAGES	   1000
#define PAGE_SIZE	   100
#define MAX_BACKOFF_MS	   60000L
/* Largest integer a JSON number (a double) carries exactly: 2^53. */
#define MAX_JSON_INT 9007199254740992.0

/* codeRetour values that mean "the search found nothing" (chorus-api.md
 * §3.4, §4): not an error for searches. */
#define CODE_NO_RESULT	     20000
#define CODE_NO_RESULT_WORKS 20007

/* api_call flags */
#define CALL_IDEMPOTENT 1
#define CALL_NO_RESULT	2 /* codeRetour 20000/20007 returns 1, not an error */
#define CALL_GET	4

struct fx_chorus {
	fx_ctx *ctx;
	CURL *curl;
	char *client_id;
	char *client_secret;
	char *account; /* "cpro-account: <base64>", a secret */
	char *api_url;
	char *token_url;
	char *cacert;
	long timeout_ms;
	long request_limit_ms; /* of the request under way: request_limit */
	unsigned int retries;
	long backoff_ms;
	void (*on_retry)(const char *what, long delay_ms, void *payload);
	void *payload;

	char *token;		     /* a secret */
	long long token_deadline_ms; /* monotonic; renew before this */

	long last_status;
	unsigned long long jitter;
	char errbuf[CURL_ERROR_SIZE];
};

/* What one HTTP exchange brought back. */
struct answer {
	long status;
	struct fx_buf body;
	char *www_auth; /* WWW-Authenticate, the last one seen */
	int too_big;
	int sent;	     /* the request may have reached the server */
	long retry_after_ms; /* Retry-After (seconds only), 0 when none */
};

/* ---- Profiles ---------------------------------------------------------- */

int fx_chorus_env_parse(fx_chorus_env *out, const char *name)
{
	if (!name)
		return FX_EINVALID;
	if (!strcasecmp(name, "sandbox") || !strcasecmp(name, "qualif") ||
	    !strcasecmp(name, "qualification")) {
		*out = FX_CHORUS_SANDBOX;
		return 0;
	}
	if (!strcasecmp(name, "production") || !strcasecmp(name, "prod")) {
		*out = FX_CHORUS_PRODUCTION;
		return 0;
	}
	return FX_EINVALID;
}

const char *fx_chorus_env_name(fx_chorus_env env)
{
	switch (env) {
	case FX_CHORUS_SANDBOX: return "sandbox";
	case FX_CHORUS_PRODUCTION: return "production";
	}
	return NULL;
}

const char *fx_chorus_default_api_url(fx_chorus_env env)
{
	switch (env) {
	case FX_CHORUS_SANDBOX: return SANDBOX_API_URL;
	case FX_CHORUS_PRODUCTION: return PROD_API_URL;
	}
	return NULL;
}

const char *fx_chorus_default_token_url(fx_chorus_env env)
{
	switch (env) {
	case FX_CHORUS_SANDBOX: return SANDBOX_TOKEN_URL;
	case FX_CHORUS_PRODUCTION: return PROD_TOKEN_URL;
	}
	return NULL;
}

/* ---- Small helpers ----------------------------------------------------- */

static void wipe_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static void buf_wipe_release(struct fx_buf *buf)
{
	if (buf->ptr)
		OPENSSL_cleanse(buf->ptr, buf->cap);
	fx_buf_release(buf);
}

/* A header list may hold secrets: wipe each copy before curl frees it. */
static void slist_wipe_free(struct curl_slist *list)
{
	struct curl_slist *p;

	for (p = list; p; p = p->next)
		if (p->data)
			OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(list);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts, rem;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) < 0 && errno == EINTR)
		ts = rem;
}

/* Text from the server, made printable: control characters become
 * spaces, and at most MAX bytes are kept (on a UTF-8 boundary). */
static char *dup_clean(const char *s, size_t max)
{
	size_t n = strlen(s), i;
	char *out;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
			n--;
	}
	if (!(out = fx_strndup(s, n)))
		return NULL;
	for (i = 0; i < n; i++)
		if ((unsigned char) out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
	return out;
}

/* "host[:port]" of URL, for messages (never the user part). */
static void url_host(char *out, size_t size, const char *url)
{
	const char *p = strstr(url, "://"), *end, *at;
	size_t n;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t) (end - p));
	if (at)
		p = at + 1;
	n = (size_t) (end - p);
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* The beginning of a body, for a message about it. */
static void body_excerpt(char *out, size_t size, const char *data, size_t len)
{
	size_t i, n = len < 48 ? len : 48;

	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char) data[i];

		out[i] = c >= 0x20 && c < 0x7f ? (char) c : '.';
	}
	out[n] = '\0';
}

static int base64_encode(char **out, const void *data, size_t len)
{
	size_t n, done = 0, chunk;
	char *p;

	*out = NULL;
	if (len > (SIZE_MAX / 4 - 2) * 3)
		return FX_ENOMEM;
	n = (len + 2) / 3 * 4;
	if (!(p = malloc(n + 1)))
		return FX_ENOMEM;
	/* EVP_EncodeBlock takes an int: feed it in slices of 3 * 2^28 */
	while (done < len) {
		chunk = len - done;
		if (chunk > (size_t) 3 << 28)
			chunk = (size_t) 3 << 28;
		EVP_EncodeBlock((unsigned char *) p + done / 3 * 4,
				(const unsigned char *) data + done,
				(int) chunk);
		done += chunk;
	}
	p[n] = '\0';
	*out = p;
	return 0;
}

/* A JSON string literal (quotes included) for S, into BUF. */
static int buf_put_json_string(struct fx_buf *buf, const char *s)
{
	cJSON *item = cJSON_CreateString(s);
	char *text;
	int err;

	if (!item)
		return FX_ENOMEM;
	text = cJSON_PrintUnformatted(item);
	cJSON_Delete(item);
	if (!text)
		return FX_ENOMEM;
	err = fx_buf_puts(buf, text);
	free(text);
	return err;
}

static int utc_now(char **out)
{
	char text[32];
	struct tm tm;
	time_t t = time(NULL);

	*out = NULL;
	if (!gmtime_r(&t, &tm) ||
	    !strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return FX_ERROR;
	return (*out = fx_strdup(text)) ? 0 : FX_ENOMEM;
}

/* ---- JSON fields ------------------------------------------------------- */

/* Errors while reading an answer: one message naming the field. */
static int bad_field(fx_ctx *ctx, const char *what, const char *field,
		     const char *expected)
{
	return fx_ctx__error(ctx, FX_ENET,
			     "malformed answer from Chorus Pro to %s: '%s' is "
			     "not %s",
			     what, field, expected);
}

static int missing_field(fx_ctx *ctx, const char *what, const char *field)
{
	return fx_ctx__error(ctx, FX_ENET,
			     "malformed answer from Chorus Pro to %s: no '%s'",
			     what, field);
}

/* A number that is an integer a double holds exactly. */
static int json_integer(const cJSON *item, long long *out)
{
	double d;

	if (!cJSON_IsNumber(item))
		return -1;
	d = item->valuedouble;
	/* in range first, so that the conversion below is defined */
	if (!(d >= -MAX_JSON_INT && d <= MAX_JSON_INT) ||
	    d != (double) (long long) d)
		return -1;
	*out = (long long) d;
	return 0;
}

/*
 * A finite number as text: the shortest that reads back as the same
 * double, which is how the answer wrote it unless it wrote more digits
 * than a double holds.  ("%.17g" would turn 5293.68 into
 * 5293.6800000000003.)
 */
static void number_text(char *out, size_t size, double d)
{
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(out, size, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
	snprintf(out, size, "%.17g", d);
}

/*
 * A text field: a string, or a number written as text (some identifiers
 * may come as numbers).  *out is NULL when the field is absent or null.
 * Other types are an error; so is an absent field when REQUIRED.
 */
static int get_text(char **out, fx_ctx *ctx, const cJSON *obj,
		    const char *field, int required, const char *what)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
	char num[64];
	long long v;

	*out = NULL;
	if (!item || cJSON_IsNull(item)) {
		if (required)
			return missing_field(ctx, what, field);
		return 0;
	}
	if (cJSON_IsString(item) && item->valuestring) {
		if (required && !*item->valuestring)
			return bad_field(ctx, what, field,
					 "a non-empty string");
		if (!(*out = dup_clean(item->valuestring, 4096)))
			return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		return 0;
	}
	if (cJSON_IsNumber(item)) {
		if (json_integer(item, &v) == 0)
			snprintf(num, sizeof(num), "%lld", v);
		else if (isfinite(item->valuedouble))
			number_text(num, sizeof(num), item->valuedouble);
		else
			return bad_field(ctx, what, field, "a number");
		if (!(*out = fx_strdup(num)))
			return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		return 0;
	}
	return bad_field(ctx, what, field, "a string");
}

static int get_id(long long *out, fx_ctx *ctx, const cJSON *obj,
		  const char *field, const char *what)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

	*out = 0;
	if (!item || cJSON_IsNull(item))
		return missing_field(ctx, what, field);
	if (json_integer(item, out) < 0 || *out < 0)
		return bad_field(ctx, what, field, "a whole number");
	return 0;
}

/* A boolean flag: true, false, absent or null (false). */
static int get_flag(int *out, fx_ctx *ctx, const cJSON *obj, const char *field,
		    const char *what)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

	*out = 0;
	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsBool(item))
		return bad_field(ctx, what, field, "true or false");
	*out = cJSON_IsTrue(item) ? 1 : 0;
	return 0;
}

/* An array that may be absent or null (then NULL, no error). */
static int get_array(const cJSON **out, fx_ctx *ctx, const cJSON *obj,
		     const char *field, const char *what)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

	*out = NULL;
	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsArray(item))
		return bad_field(ctx, what, field, "an array");
	*out = item;
	return 0;
}

static int get_object(const cJSON **out, fx_ctx *ctx, const cJSON *obj,
		      const char *field, const char *what)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

	*out = NULL;
	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsObject(item))
		return bad_field(ctx, what, field, "an object");
	*out = item;
	return 0;
}

/*
 * The number of pages announced in parametresRetour, 1 when it is absent.
 * A lying server cannot make us loop for ever: MAX_PAGES at most.
 */
static int get_pages(long long *pages, fx_ctx *ctx, const cJSON *root,
		     const char *what)
{
	const cJSON *ret, *item;
	int err;

	*pages = 1;
	if ((err = get_object(&ret, ctx, root, "parametresRetour", what)) < 0)
		return err;
	if (!ret)
		return 0;
	item = cJSON_GetObjectItemCaseSensitive(ret, "pages");
	if (!item || cJSON_IsNull(item))
		return 0;
	if (json_integer(item, pages) < 0 || *pages < 0)
		return bad_field(ctx, what, "parametresRetour.pages",
				 "a whole number");
	if (*pages > MAX_PAGES)
		*pages = MAX_PAGES;
	return 0;
}

/*
 * A whole number (an id) into a JSON object, written by us: cJSON prints
 * numbers through a double and a round-trip test that forgives an error
 * of one part in 2^52, so that near 2^53 it would write 9007199254740990
 * for 9007199254740992.  Ids from an answer are at most 2^53.
 */
static cJSON *add_id(cJSON *obj, const char *name, long long id)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", id);
	return cJSON_AddRawToObject(obj, name, num);
}

/* ---- The client -------------------------------------------------------- */

void fx_chorus_opts_init(fx_chorus_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->version = FX_CHORUS_OPTS_VERSION;
	opts->env = FX_CHORUS_SANDBOX;
	opts->timeout_ms = DEFAULT_TIMEOUT_MS;
	opts->retries = 3;
	opts->backoff_ms = 500;
}

/* Is HOST ("127.0.0.1:8443", "[::1]", "localhost") this machine? */
static int is_loopback(const char *host)
{
	size_t n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");

	return (n == 9 && !strncasecmp(host, "localhost", 9)) ||
	       (n == 5 && !strncmp(host, "[::1]", 5)) ||
	       (!strncmp(host, "127.", 4) && strspn(host, "0123456789.") == n);
}

/*
 * An API or token URL: https, or plain http to this machine only (a test
 * server), so that the credentials never cross a network in the clear;
 * and without a user:password part, which a message could show.  The
 * messages name the host only.
 */
static int check_url(fx_ctx *ctx, const char *what, const char *url)
{
	const char *rest;
	char host[256];

	url_host(host, sizeof(host), url);
	if (!strncasecmp(url, "https://", 8))
		rest = url + 8;
	else if (!strncasecmp(url, "http://", 7))
		rest = url + 7;
	else
		return fx_ctx__error(ctx, FX_EINVALID,
				     "the %s (host %s) is not an https URL",
				     what, host);
	if (memchr(rest, '@', strcspn(rest, "/?#")))
		return fx_ctx__error(ctx, FX_EINVALID,
				     "the %s (host %s) holds a user name or "
				     "password: credentials belong in the "
				     "profile",
				     what, host);
	if (strpbrk(url, " \t\r\n"))
		return fx_ctx__error(ctx, FX_EINVALID,
				     "the %s (host %s) has white space in it",
				     what, host);
	if (rest == url + 7 && !is_loopback(host))
		return fx_ctx__error(ctx, FX_EINVALID,
				     "the %s http://%s would send the "
				     "credentials in the clear: use https",
				     what, host);
	return 0;
}

static int set_account(fx_chorus *c, const char *login, const char *password)
{
	struct fx_buf pair = FX_BUF_INIT;
	char *b64 = NULL;
	int err;

	if ((err = fx_buf_printf(&pair, "%s:%s", login, password)) < 0)
		goto out;
	if ((err = base64_encode(&b64, pair.ptr, pair.len)) < 0)
		goto out;
	err = FX_ENOMEM;
	if (!(c->account = malloc(strlen(b64) + sizeof("cpro-account: "))))
		goto out;
	memcpy(c->account, "cpro-account: ", sizeof("cpro-account: "));
	memcpy(c->account + sizeof("cpro-account: ") - 1, b64, strlen(b64) + 1);
	err = 0;
out:
	buf_wipe_release(&pair);
	wipe_free(b64);
	return err;
}

int fx_chorus_new(fx_chorus **out, fx_ctx *ctx, const fx_chorus_opts *opts)
{
	fx_chorus *c = NULL;
	const char *api_url, *token_url;
	size_t n;
	int err;

	*out = NULL;
	if (!opts || opts->version < 1 ||
	    opts->version > FX_CHORUS_OPTS_VERSION)
		return fx_ctx__error(
			ctx, FX_EINVALID,
			"Chorus Pro options of an unknown version");
	if (!opts->client_id || !*opts->client_id)
		return fx_ctx__error(ctx, FX_EINVALID, "no client_id given");
	if (!opts->client_secret || !*opts->client_secret)
		return fx_ctx__error(ctx, FX_EINVALID,
				     "no client_secret given");
	if (!opts->login || !*opts->login)
		return fx_ctx__error(ctx, FX_EINVALID, "no login given");
	if (!opts->password || !*opts->password)
		return fx_ctx__error(ctx, FX_EINVALID, "no password given");
	if (strchr(opts->login, ':'))
		return fx_ctx__error(ctx, FX_EINVALID,
				     "login '%s' has a ':' in it, which the "
				     "cpro-account header cannot carry",
				     opts->login);
	if (opts->timeout_ms < 0)
		return fx_ctx__error(ctx, FX_EINVALID,
				     "timeout of %ld ms is negative",
				     opts->timeout_ms);
	if (opts->backoff_ms < 0)
		return fx_ctx__error(ctx, FX_EINVALID,
				     "backoff of %ld ms is negative",
				     opts->backoff_ms);
	/* the environment gives the URLs that are not given */
	if ((!opts->api_url || !opts->token_url) &&
	    !fx_chorus_default_api_url(opts->env))
		return fx_ctx__error(ctx, FX_EINVALID,
				     "unknown Chorus Pro environment %d",
				     (int) opts->env);
	api_url = opts->api_url ? opts->api_url
				: fx_chorus_default_api_url(opts->env);
	token_url = opts->token_url ? opts->token_url
				    : fx_chorus_default_token_url(opts->env);
	if ((err = check_url(ctx, "API URL", api_url)) < 0 ||
	    (err = check_url(ctx, "token URL", token_url)) < 0)
		return err;

	/* libcurl is loaded now, the first time it is needed (curl_dl.h) */
	if ((err = fx__curl_load(ctx)) < 0)
		return err;

	if (!(c = calloc(1, sizeof(*c))))
		goto nomem;
	c->ctx = ctx;
	c->timeout_ms =
		opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->retries = opts->retries;
	c->backoff_ms = opts->backoff_ms;
	c->on_retry = opts->on_retry;
	c->payload = opts->payload;
	c->jitter = (unsigned long long) now_ms() ^
		    (unsigned long long) (uintptr_t) c;
	if (!(c->client_id = fx_strdup(opts->client_id)) ||
	    !(c->client_secret = fx_strdup(opts->client_secret)) ||
	    !(c->api_url = fx_strdup(api_url)) ||
	    !(c->token_url = fx_strdup(token_url)))
		goto nomem;
	if (opts->cacert && !(c->cacert = fx_strdup(opts->cacert)))
		goto nomem;
	/* a base: "/cpro/..." is appended to it */
	n = strlen(c->api_url);
	while (n > 0 && c->api_url[n - 1] == '/')
		c->api_url[--n] = '\0';
	if (set_account(c, opts->login, opts->password) < 0)
		goto nomem;
	if (!(c->curl = curl_easy_init()))
		goto nomem;
	*out = c;
	return 0;
nomem:
	fx_chorus_free(c);
	return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
}

void fx_chorus_free(fx_chorus *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->client_id);
	wipe_free(c->client_secret);
	wipe_free(c->account);
	wipe_free(c->token);
	free(c->api_url);
	free(c->token_url);
	free(c->cacert);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

long fx_chorus_last_http_status(const fx_chorus *c)
{
	return c ? c->last_status : 0;
}

/* ---- One HTTP exchange ------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *payload)
{
	struct answer *ans = payload;
	size_t n = size * nmemb;

	if (n > MAX_ANSWER - ans->body.len) {
		ans->too_big = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	if (fx_buf_put(&ans->body, data, n) < 0)
		return 0;
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *payload)
{
	struct answer *ans = payload;
	size_t n = size * nmemb, len;
	const char *v;

	/* a new status line (after "100 Continue"): forget the old headers */
	if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
		free(ans->www_auth);
		ans->www_auth = NULL;
		ans->retry_after_ms = 0;
		return n;
	}
	if (n > 12 && !strncasecmp(data, "Retry-After:", 12)) {
		long long secs = 0;

		/* delta-seconds; an HTTP date is left to the backoff */
		for (v = data + 12, len = n - 12; len && *v == ' '; v++, len--)
			;
		for (; len && *v >= '0' && *v <= '9' && secs < 86400;
		     v++, len--)
			secs = secs * 10 + (*v - '0');
		ans->retry_after_ms = (long) (secs * 1000);
		return n;
	}
	if (n > 17 && !strncasecmp(data, "WWW-Authenticate:", 17)) {
		v = data + 17;
		len = n - 17;
		while (len && (*v == ' ' || *v == '\t'))
			v++, len--;
		while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' ||
			       v[len - 1] == ' '))
			len--;
		if (len > MAX_HEADER)
			len = MAX_HEADER;
		free(ans->www_auth);
		ans->www_auth = fx_strndup(v, len);
	}
	return n;
}

static void answer_reset(struct answer *ans)
{
	ans->status = 0;
	fx_buf_clear(&ans->body);
	free(ans->www_auth);
	ans->www_auth = NULL;
	ans->too_big = 0;
	ans->sent = 0;
	ans->retry_after_ms = 0;
}

static void answer_release(struct answer *ans)
{
	answer_reset(ans);
	fx_buf_release(&ans->body);
}

static long connect_timeout_ms(const fx_chorus *c)
{
	return c->timeout_ms < MAX_CONNECT_MS ? c->timeout_ms : MAX_CONNECT_MS;
}

/*
 * How long a request of LEN bytes may take.  --timeout is meant for
 * waiting on the server; sending a large deposit (120 MB allowed, a
 * third more once in base64) takes longer on an ordinary line, and a
 * deposit cut short by the clock is an uncertain one.  So beyond its
 * first MiB a body gets a second for every 64 KiB (512 kbit/s).
 */
static long request_limit(const fx_chorus *c, size_t len)
{
	const size_t free_bytes = 1024 * 1024, rate = 64 * 1024;
	size_t extra_s = len > free_bytes ? (len - free_bytes) / rate + 1 : 0;

	if (extra_s > (size_t) (LONG_MAX - c->timeout_ms) / 1000)
		return LONG_MAX;
	return c->timeout_ms + (long) extra_s * 1000;
}

/* Whether a failed transfer may have delivered the request. */
static int may_have_sent(fx_chorus *c, CURLcode rc)
{
	long request_size = 0;

	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_FAILED_INIT:
	case CURLE_BAD_FUNCTION_ARGUMENT:
		/* the connection was never ready for the request */
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		/* timed out while connecting, or after sending? */
		if (curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE,
				      &request_size) == CURLE_OK &&
		    request_size == 0)
			return 0;
		return 1;
	default:
		/* reset, nothing received, send error after connecting...:
		 * when in doubt, it may have arrived */
		return 1;
	}
}

/*
 * One request: METHOD (GET when BODY is NULL, else POST) to URL with
 * HEADERS.  Returns curl's code; ANS has the status and the body.
 */
static CURLcode http_once(fx_chorus *c, const char *url,
			  struct curl_slist *headers, const char *body,
			  size_t len, int fresh, struct answer *ans)
{
	CURL *h = c->curl;
	CURLcode rc;

	answer_reset(ans);
	c->last_status = 0;
	c->errbuf[0] = '\0';
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS,
			 (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	c->request_limit_ms = request_limit(c, body ? len : 0);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->request_limit_ms);
	/* HTTP/1.1, the protocol the retry and "maybe sent" rules know */
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms(c));
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) MAX_ANSWER);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "facture/" FX_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, ans);
	/*
	 * libcurl silently sends a request again when a kept-alive
	 * connection turns out to be closed before any answer.  For a
	 * deposit that could deposit twice: it gets a connection of its own.
	 */
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t) len);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	rc = curl_easy_perform(h);
	/* the handle keeps a pointer to the headers: drop it now */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ans->status);
		c->last_status = ans->status;
		ans->sent = 1;
	} else {
		ans->sent = may_have_sent(c, rc);
	}
	if (!ans->body.ptr)
		fx_buf_puts(&ans->body, "");
	return rc;
}

/* MS milliseconds in words, "30 s" or "0.5 s". */
static void duration(char *out, size_t size, long ms)
{
	if (ms % 1000)
		snprintf(out, size, "%.1f s", ms / 1000.0);
	else
		snprintf(out, size, "%ld s", ms / 1000);
}

/* A curl failure in words.  *retry says whether trying again may help. */
static int net_error(fx_chorus *c, CURLcode rc, const char *url,
		     const struct answer *ans, int *retry)
{
	char host[256], limit[32];
	const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
	double connect_s = -1;
	long request_size = -1;

	url_host(host, sizeof(host), url);
	*retry = 0;
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		*retry = 1;
		/* the connection has a shorter limit of its own */
		if (curl_easy_getinfo(c->curl, CURLINFO_CONNECT_TIME,
				      &connect_s) == CURLE_OK &&
		    connect_s == 0 &&
		    curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE,
				      &request_size) == CURLE_OK &&
		    request_size == 0) {
			duration(limit, sizeof(limit), connect_timeout_ms(c));
			return fx_ctx__error(c->ctx, FX_ENET,
					     "cannot connect to %s within %s",
					     host, limit);
		}
		duration(limit, sizeof(limit), c->request_limit_ms);
		return fx_ctx__error(c->ctx, FX_ENET,
				     "no answer from %s within %s", host,
				     limit);
	case CURLE_COULDNT_RESOLVE_HOST:
		*retry = 1;
		return fx_ctx__error(c->ctx, FX_ENET, "cannot resolve %s: %s",
				     host, detail);
	case CURLE_COULDNT_CONNECT:
		*retry = 1;
		return fx_ctx__error(c->ctx, FX_ENET,
				     "cannot connect to %s: %s", host, detail);
	case CURLE_PEER_FAILED_VERIFICATION:
		return fx_ctx__error(c->ctx, FX_ENET,
				     "TLS: certificate of %s not trusted (%s)",
				     host, detail);
	case CURLE_SSL_CACERT_BADFILE:
		return fx_ctx__error(c->ctx, FX_EIO,
				     "TLS: cannot read the certificate "
				     "authorities in '%s' (%s)",
				     c->cacert ? c->cacert : "(system)",
				     detail);
	case CURLE_SSL_CONNECT_ERROR:
		*retry = 1;
		return fx_ctx__error(c->ctx, FX_ENET,
				     "TLS: handshake with %s failed (%s)", host,
				     detail);
	case CURLE_GOT_NOTHING:
		*retry = 1;
		return fx_ctx__error(c->ctx, FX_ENET,
				     "%s closed the connection without "
				     "answering",
				     host);
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		*retry = 1;
		return fx_ctx__error(c->ctx, FX_ENET,
				     "connection to %s lost: %s", host, detail);
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (ans->too_big || rc == CURLE_FILESIZE_EXCEEDED)
			return fx_ctx__error(c->ctx, FX_ENET,
					     "answer from %s larger than "
					     "%zu MiB",
					     host, MAX_ANSWER >> 20);
		return fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
	case CURLE_OUT_OF_MEMORY:
		return fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
	default:
		return fx_ctx__error(c->ctx, FX_ENET, "cannot reach %s: %s",
				     host, detail);
	}
}

/*
 * Pause before attempt number ATTEMPT (from 0), telling the caller why;
 * at least the RETRY_AFTER_MS the server asked for (429, 503), up to the
 * longest pause.
 */
static void backoff(fx_chorus *c, unsigned int attempt, long retry_after_ms)
{
	long delay = c->backoff_ms;
	unsigned int i;

	for (i = 0; i < attempt && delay < MAX_BACKOFF_MS; i++)
		delay *= 2;
	if (delay < retry_after_ms)
		delay = retry_after_ms;
	if (delay > MAX_BACKOFF_MS)
		delay = MAX_BACKOFF_MS;
	/* up to a quarter more, so that clients do not come back together */
	c->jitter ^= c->jitter << 13;
	c->jitter ^= c->jitter >> 7;
	c->jitter ^= c->jitter << 17;
	if (delay >= 4)
		delay += (long) (c->jitter % (unsigned long long) (delay / 4));
	if (c->on_retry)
		c->on_retry(fx_ctx_last_error(c->ctx)->message, delay,
			    c->payload);
	if (delay > 0)
		sleep_ms(delay);
}

/* ---- The token --------------------------------------------------------- */

static void token_drop(fx_chorus *c)
{
	wipe_free(c->token);
	c->token = NULL;
	c->token_deadline_ms = 0;
}

/* An OAuth2 error body ({"error", "error_description"}) in words. */
void fx_chorus__parse_oauth_error(char *out, size_t size, const char *json,
				  size_t len, long status)
{
	cJSON *root = len ? cJSON_ParseWithLength(json, len) : NULL;
	const cJSON *e, *d;
	char *es = NULL, *ds = NULL;

	snprintf(out, size, "HTTP %ld", status);
	if (!cJSON_IsObject(root))
		goto out;
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	d = cJSON_GetObjectItemCaseSensitive(root, "error_description");
	if (cJSON_IsString(e) && e->valuestring)
		es = dup_clean(e->valuestring, 100);
	if (cJSON_IsString(d) && d->valuestring)
		ds = dup_clean(d->valuestring, 200);
	if (es && ds && *ds)
		snprintf(out, size, "%s: %s", es, ds);
	else if (es)
		snprintf(out, size, "%s", es);
out:
	free(es);
	free(ds);
	cJSON_Delete(root);
}

/* A token answer (HTTP 200): the token (wiped and freed by the caller)
 * and its lifetime. */
int fx_chorus__parse_token(fx_ctx *ctx, const char *json, size_t len,
			   char **token, long long *life_ms)
{
	cJSON *root = len ? cJSON_ParseWithLength(json, len) : NULL;
	const cJSON *tok, *type, *exp;
	const char *p;
	char excerpt[64];
	int err = 0;

	*token = NULL;
	*life_ms = 3600 * 1000LL;
	if (!cJSON_IsObject(root)) {
		body_excerpt(excerpt, sizeof(excerpt), json, len);
		err = fx_ctx__error(ctx, FX_ENET,
				    "malformed answer from PISTE to the token "
				    "request (%s%s%s)",
				    *excerpt ? "begins with \"" : "",
				    *excerpt ? excerpt : "empty body",
				    *excerpt ? "\"" : "");
		goto out;
	}
	tok = cJSON_GetObjectItemCaseSensitive(root, "access_token");
	if (!cJSON_IsString(tok) || !tok->valuestring || !*tok->valuestring) {
		err = fx_ctx__error(ctx, FX_ENET,
				    "malformed answer from PISTE to the token "
				    "request: no 'access_token'");
		goto out;
	}
	/* it goes into a header: visible ASCII only */
	for (p = tok->valuestring; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || p - tok->valuestring > 8192) {
			err = fx_ctx__error(ctx, FX_ENET,
					    "malformed answer from PISTE to "
					    "the token request: the "
					    "access_token is not a token");
			goto out;
		}
	type = cJSON_GetObjectItemCaseSensitive(root, "token_type");
	if (type && !cJSON_IsNull(type) &&
	    (!cJSON_IsString(type) || !type->valuestring ||
	     strcasecmp(type->valuestring, "Bearer"))) {
		err = fx_ctx__error(ctx, FX_ENET,
				    "PISTE gave a token that is not of type "
				    "Bearer");
		goto out;
	}
	exp = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	if (exp && !cJSON_IsNull(exp)) {
		double d = cJSON_IsNumber(exp) ? exp->valuedouble
			   : cJSON_IsString(exp) && exp->valuestring
				   ? atof(exp->valuestring)
				   : -1;

		if (!isfinite(d) || d <= 0) {
			err = fx_ctx__error(ctx, FX_ENET,
					    "malformed answer from PISTE to "
					    "the token request: 'expires_in' "
					    "is not a positive number");
			goto out;
		}
		if (d > 366.0 * 86400)
			d = 366.0 * 86400;
		*life_ms = (long long) (d * 1000);
	}
	if (!(*token = fx_strdup(tok->valuestring)))
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
out:
	if (root) {
		/* the token is in the tree too: wipe it */
		tok = cJSON_GetObjectItemCaseSensitive(root, "access_token");
		if (cJSON_IsString(tok) && tok->valuestring)
			OPENSSL_cleanse(tok->valuestring,
					strlen(tok->valuestring));
	}
	cJSON_Delete(root);
	return err;
}

/* Keep the token of a token answer in C. */
static int token_read(fx_chorus *c, const struct answer *ans,
		      long long asked_ms)
{
	char *token = NULL;
	long long life_ms, margin;
	int err;

	if ((err = fx_chorus__parse_token(c->ctx, ans->body.ptr, ans->body.len,
					  &token, &life_ms)) < 0)
		return err;
	token_drop(c);
	c->token = token;
	/* renew when less than a minute, or a fifth of its life, is left */
	margin = life_ms / 5 < 60000 ? life_ms / 5 : 60000;
	c->token_deadline_ms = asked_ms + life_ms - margin;
	return 0;
}

static int token_form(struct fx_buf *form, fx_chorus *c)
{
	char *id = NULL, *secret = NULL;
	int err = FX_ENOMEM;

	id = curl_easy_escape(c->curl, c->client_id, 0);
	secret = curl_easy_escape(c->curl, c->client_secret, 0);
	if (!id || !secret)
		goto out;
	err = fx_buf_printf(form,
			    "grant_type=client_credentials&client_id=%s"
			    "&client_secret=%s&scope=openid",
			    id, secret);
out:
	if (secret)
		OPENSSL_cleanse(secret, strlen(secret));
	curl_free(id);
	curl_free(secret);
	return err;
}

/* A new token from PISTE (client credentials), retried like the
 * idempotent calls. */
static int token_fetch(fx_chorus *c)
{
	struct fx_buf form = FX_BUF_INIT;
	struct curl_slist *headers = NULL, *h;
	struct answer ans = { 0 };
	unsigned int attempt;
	long long asked;
	char reason[400];
	CURLcode rc;
	int err, retry;

	token_drop(c);
	if (token_form(&form, c) < 0) {
		err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	h = curl_slist_append(
		headers, "Content-Type: application/x-www-form-urlencoded");
	if (h)
		headers = h;
	if (h && (h = curl_slist_append(headers, "Accept: application/json")))
		headers = h;
	if (h && (h = curl_slist_append(headers, "Expect:")))
		headers = h;
	if (!h) {
		err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	for (attempt = 0;; attempt++) {
		asked = now_ms();
		rc = http_once(c, c->token_url, headers, form.ptr, form.len, 0,
			       &ans);
		retry = 0;
		if (rc != CURLE_OK) {
			err = net_error(c, rc, c->token_url, &ans, &retry);
		} else if (ans.status == 200) {
			err = token_read(c, &ans, asked);
			goto out;
		} else if (ans.status == 400 || ans.status == 401) {
			fx_chorus__parse_oauth_error(reason, sizeof(reason),
						     ans.body.ptr, ans.body.len,
						     ans.status);
			if (strstr(reason, "invalid_client") ||
			    !strncmp(reason, "HTTP ", 5) ||
			    strstr(reason, "unauthorized_client"))
				err = fx_ctx__error(c->ctx, FX_EKEY,
						    "PISTE refused the client "
						    "id or secret (%s)",
						    reason);
			else
				err = fx_ctx__error(c->ctx, FX_EKEY,
						    "PISTE refused the token "
						    "request (%s)",
						    reason);
		} else if (ans.status == 403) {
			err = fx_ctx__error(c->ctx, FX_EKEY,
					    "PISTE refused the token request "
					    "(HTTP 403)");
		} else if (ans.status == 429 || ans.status >= 500) {
			retry = 1;
			err = fx_ctx__error(c->ctx, FX_ENET,
					    "PISTE is unavailable (HTTP %ld)",
					    ans.status);
		} else {
			err = fx_ctx__error(c->ctx, FX_ENET,
					    "unexpected answer from PISTE to "
					    "the token request (HTTP %ld)",
					    ans.status);
		}
		if (!retry || attempt >= c->retries)
			goto out;
		backoff(c, attempt, ans.retry_after_ms);
	}
out:
	/* a token answer holds the token */
	buf_wipe_release(&ans.body);
	answer_release(&ans);
	slist_wipe_free(headers);
	buf_wipe_release(&form);
	return err;
}

static int token_ensure(fx_chorus *c)
{
	if (c->token && now_ms() < c->token_deadline_ms)
		return 0;
	return token_fetch(c);
}

/* ---- API calls --------------------------------------------------------- */

/* The value of parameter NAME in a WWW-Authenticate header, or NULL. */
char *fx_chorus__parse_auth_param(const char *header, const char *name)
{
	size_t n = strlen(name);
	const char *p = header, *end;

	while ((p = strstr(p, name))) {
		if ((p == header || p[-1] == ' ' || p[-1] == ',') &&
		    p[n] == '=') {
			p += n + 1;
			if (*p == '"') {
				end = strchr(++p, '"');
				if (!end)
					end = p + strlen(p);
			} else {
				end = p + strcspn(p, ", ");
			}
			return fx_strndup(p, (size_t) (end - p));
		}
		p += n;
	}
	return NULL;
}

/* Whether a 401 says the technical account (not the token) is wrong. */
static int account_refused(const char *reason)
{
	static const char *const words[] = { "login", "password",
					     "mot de passe", "identifiant" };
	size_t i;

	for (i = 0; reason && i < FX_ARRAY_SIZE(words); i++)
		if (strcasestr(reason, words[i]))
			return 1;
	return 0;
}

static int codes_error(fx_ctx *ctx, const cJSON *code, const cJSON *root)
{
	const cJSON *lib = cJSON_GetObjectItemCaseSensitive(root, "libelle");
	char *label = NULL;
	char num[64];
	int err;

	if (cJSON_IsNumber(code) && code->valuedouble > -1e15 &&
	    code->valuedouble < 1e15)
		snprintf(num, sizeof(num), "%.0f", code->valuedouble);
	else if (cJSON_IsNumber(code))
		snprintf(num, sizeof(num), "%g", code->valuedouble);
	else
		snprintf(num, sizeof(num), "?");
	if (cJSON_IsString(lib) && lib->valuestring)
		label = dup_clean(lib->valuestring, 300);
	if (label && *label)
		err = fx_ctx__error(ctx, FX_ENET,
				    "Chorus Pro refused the request: "
				    "codeRetour %s (%s)",
				    num, label);
	else
		err = fx_ctx__error(ctx, FX_ENET,
				    "Chorus Pro refused the request: "
				    "codeRetour %s",
				    num);
	free(label);
	return err;
}

int fx_chorus__parse_answer(cJSON **root, fx_ctx *ctx, const char *json,
			    size_t len, const char *what, long status,
			    int no_result, int *refused)
{
	const cJSON *code;
	char excerpt[64], http[32] = "";
	long long v;

	*root = NULL;
	if (refused)
		*refused = 0;
	if (len)
		*root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(*root)) {
		cJSON_Delete(*root);
		*root = NULL;
		body_excerpt(excerpt, sizeof(excerpt), json, len);
		if (status)
			snprintf(http, sizeof(http), "HTTP %ld, ", status);
		if (!*excerpt)
			return fx_ctx__error(ctx, FX_ENET,
					     "malformed answer from Chorus Pro "
					     "to %s (%sempty body)",
					     what, http);
		return fx_ctx__error(ctx, FX_ENET,
				     "malformed answer from Chorus Pro to %s "
				     "(%sbegins with \"%s\")",
				     what, http, excerpt);
	}
	code = cJSON_GetObjectItemCaseSensitive(*root, "codeRetour");
	if (!code || cJSON_IsNull(code))
		return 0;
	if (json_integer(code, &v) < 0) {
		if (!cJSON_IsNumber(code))
			return bad_field(ctx, what, "codeRetour", "a number");
		if (refused)
			*refused = 1;
		return codes_error(ctx, code, *root);
	}
	if (v == 0)
		return 0;
	if (no_result && (v == CODE_NO_RESULT || v == CODE_NO_RESULT_WORKS))
		return 1;
	if (refused)
		*refused = 1;
	return codes_error(ctx, code, *root);
}

static int build_headers(fx_chorus *c, struct curl_slist **out)
{
	struct fx_buf auth = FX_BUF_INIT;
	struct curl_slist *list = NULL, *h = NULL;
	const char *fixed[] = { "Content-Type: application/json;charset=utf-8",
				"Accept: application/json", "Expect:" };
	size_t i;
	int err = FX_ENOMEM;

	*out = NULL;
	if (fx_buf_printf(&auth, "Authorization: Bearer %s", c->token) < 0)
		goto out;
	if (!(h = curl_slist_append(list, auth.ptr)))
		goto out;
	list = h;
	if (!(h = curl_slist_append(list, c->account)))
		goto out;
	for (i = 0; i < FX_ARRAY_SIZE(fixed); i++)
		if (!(h = curl_slist_append(list, fixed[i])))
			goto out;
	*out = list;
	list = NULL;
	err = 0;
out:
	slist_wipe_free(list);
	buf_wipe_release(&auth);
	return err;
}

/*
 * Call PATH: GET with CALL_GET, else POST BODY (LEN bytes).  Returns 0
 * with the text of a 2xx answer in *text (fx_buf_release it; read it with
 * a fx_chorus__parse_* function), 1 for an HTTP 400 "no result" answer
 * (with CALL_NO_RESULT), or an error; *sent (may be NULL) then tells
 * whether the request may have reached the server and been processed.
 */
static int api_call(fx_chorus *c, const char *path, const char *body,
		    size_t len, int flags, struct fx_buf *text, int *sent)
{
	struct fx_buf url = FX_BUF_INIT;
	struct curl_slist *headers = NULL;
	struct answer ans = { 0 };
	unsigned int attempt = 0;
	int err, retry, renewed = 0, idempotent = flags & CALL_IDEMPOTENT;
	char *reason = NULL;
	CURLcode rc;

	fx_buf_release(text);
	if (sent)
		*sent = 0;
	if (fx_buf_printf(&url, "%s%s", c->api_url, path) < 0) {
		err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		if ((err = token_ensure(c)) < 0)
			goto out;
		slist_wipe_free(headers);
		if (build_headers(c, &headers) < 0) {
			headers = NULL;
			err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
			goto out;
		}
		rc = http_once(c, url.ptr, headers,
			       (flags & CALL_GET) ? NULL : body, len,
			       !idempotent, &ans);
		retry = 0;
		free(reason);
		reason = NULL;
		if (sent)
			*sent = ans.sent;
		if (rc != CURLE_OK) {
			err = net_error(c, rc, url.ptr, &ans, &retry);
		} else if (ans.status == 401) {
			reason = ans.www_auth ? fx_chorus__parse_auth_param(
							ans.www_auth,
							"error_description")
					      : NULL;
			if (reason) {
				char *clean = dup_clean(reason, 200);

				free(reason);
				reason = clean;
			}
			if (account_refused(reason)) {
				err = fx_ctx__error(c->ctx, FX_EKEY,
						    "Chorus Pro refused the "
						    "technical account: %s",
						    reason);
			} else if (!renewed) {
				/*
				 * The token was refused (revoked, expired
				 * early): a new one, and the same call
				 * again, once.  A 401 comes before any
				 * processing, so this is safe for a
				 * deposit too (and the refused request
				 * did not count: should no new token
				 * come, nothing was sent).
				 */
				renewed = 1;
				token_drop(c);
				if (sent)
					*sent = 0;
				continue;
			} else {
				err = fx_ctx__error(c->ctx, FX_EKEY,
						    "Chorus Pro refused the "
						    "access token from PISTE "
						    "(HTTP 401%s%s)",
						    reason ? ": " : "",
						    reason ? reason : "");
			}
		} else if (ans.status == 403) {
			err = fx_ctx__error(c->ctx, FX_EKEY,
					    "access refused (HTTP 403): is the "
					    "API subscribed for this PISTE "
					    "application, and the technical "
					    "account attached to the "
					    "structure?");
		} else if (ans.status == 404) {
			err = fx_ctx__error(c->ctx, FX_ENET,
					    "Chorus Pro has no operation %s "
					    "(HTTP 404): is the API URL right?",
					    path);
		} else if (ans.status == 413) {
			err = fx_ctx__error(c->ctx, FX_ENET,
					    "Chorus Pro refused the request as "
					    "too large (HTTP 413)");
		} else if (ans.status == 415) {
			err = fx_ctx__error(c->ctx, FX_ENET,
					    "Chorus Pro refused the format of "
					    "the request (HTTP 415)");
		} else if (ans.status == 429 || ans.status >= 500) {
			retry = 1;
			err = fx_ctx__error(c->ctx, FX_ENET,
					    "Chorus Pro is unavailable (HTTP "
					    "%ld)",
					    ans.status);
		} else if (ans.status == 400) {
			cJSON *root = NULL;

			err = fx_chorus__parse_answer(
				&root, c->ctx, ans.body.ptr, ans.body.len, path,
				ans.status, flags & CALL_NO_RESULT, NULL);
			if (err == 0) {
				/* a 400 without a codeRetour to explain it */
				char excerpt[64];

				body_excerpt(excerpt, sizeof(excerpt),
					     ans.body.ptr, ans.body.len);
				err = fx_ctx__error(c->ctx, FX_ENET,
						    "Chorus Pro refused the "
						    "request (HTTP 400: %s)",
						    excerpt);
			} else if (err < 0 && !root) {
				char excerpt[64];

				body_excerpt(excerpt, sizeof(excerpt),
					     ans.body.ptr, ans.body.len);
				err = fx_ctx__error(c->ctx, FX_ENET,
						    "Chorus Pro refused the "
						    "request (HTTP 400%s%s)",
						    *excerpt ? ": " : "",
						    excerpt);
			}
			cJSON_Delete(root);
		} else if (ans.status >= 200 && ans.status < 300) {
			/* the caller reads it, codeRetour included */
			*text = ans.body;
			memset(&ans.body, 0, sizeof(ans.body));
			err = 0;
		} else {
			err = fx_ctx__error(c->ctx, FX_ENET,
					    "unexpected answer from Chorus Pro "
					    "to %s (HTTP %ld)",
					    path, ans.status);
		}
		if (err >= 0)
			goto out;
		if (sent && rc == CURLE_OK) {
			/*
			 * An HTTP error means the server refused the call,
			 * except when a gateway gave up waiting for the
			 * server (502, 504): then it may have been
			 * processed.  (A 2xx answer that cannot be read is
			 * the caller's to judge.)
			 */
			*sent = ans.status == 502 || ans.status == 504;
		}
		if (!retry || !idempotent || attempt >= c->retries)
			goto out;
		backoff(c, attempt++, ans.retry_after_ms);
	}
out:
	free(reason);
	answer_release(&ans);
	slist_wipe_free(headers);
	fx_buf_release(&url);
	return err;
}

/* Same, for a request body given as a cJSON tree. */
static int api_call_json(fx_chorus *c, const char *path, const cJSON *req,
			 int flags, struct fx_buf *text)
{
	char *body;
	int err;

	if (!(body = cJSON_PrintUnformatted(req)))
		return fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
	err = api_call(c, path, body, strlen(body), flags, text, NULL);
	free(body);
	return err;
}

int fx_chorus__parse_health(fx_ctx *ctx, const char *json, size_t len)
{
	cJSON *root = NULL;
	const cJSON *code;
	int err;

	if ((err = fx_chorus__parse_answer(&root, ctx, json, len, PATH_HEALTH,
					   0, 0, NULL)) < 0)
		goto out;
	code = cJSON_GetObjectItemCaseSensitive(root, "statusCode");
	if (cJSON_IsString(code) && code->valuestring &&
	    strcasecmp(code->valuestring, "OK")) {
		char *clean = dup_clean(code->valuestring, 100);

		err = fx_ctx__error(ctx, FX_ENET,
				    "Chorus Pro says it is not available "
				    "(statusCode %s)",
				    clean ? clean : "?");
		free(clean);
	}
out:
	cJSON_Delete(root);
	return err;
}

int fx_chorus_check(fx_chorus *c)
{
	struct fx_buf text = FX_BUF_INIT;
	int err;

	/* a new token, so that the client credentials are really tried */
	if ((err = token_fetch(c)) < 0)
		return err;
	if ((err = api_call(c, PATH_HEALTH, NULL, 0, CALL_GET | CALL_IDEMPOTENT,
			    &text, NULL)) == 0)
		err = fx_chorus__parse_health(c->ctx, text.ptr, text.len);
	fx_buf_release(&text);
	return err;
}

int fx_chorus_post(fx_chorus *c, const char *path, const char *body,
		   int idempotent, char **answer)
{
	struct fx_buf text = FX_BUF_INIT;
	cJSON *root = NULL;
	int err;

	*answer = NULL;
	if (!path || path[0] != '/')
		return fx_ctx__error(c->ctx, FX_EINVALID,
				     "operation path '%s' does not start "
				     "with '/'",
				     path ? path : "(null)");
	if (!body)
		body = "{}";
	err = api_call(c, path, body, strlen(body),
		       idempotent ? CALL_IDEMPOTENT : 0, &text, NULL);
	if (err < 0)
		goto out;
	if ((err = fx_chorus__parse_answer(&root, c->ctx, text.ptr, text.len,
					   path, 0, 0, NULL)) < 0)
		goto out;
	if (!(*answer = cJSON_PrintUnformatted(root)))
		err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
out:
	cJSON_Delete(root);
	fx_buf_release(&text);
	return err < 0 ? err : 0;
}

/* ---- Deposits ---------------------------------------------------------- */

const char *fx_chorus_flow_syntax(fx_syntax syntax)
{
	switch (syntax) {
	case FX_SYNTAX_UBL_INVOICE:
	case FX_SYNTAX_UBL_CREDITNOTE: return "IN_DP_E1_UBL_INVOICE";
	case FX_SYNTAX_CII: return "IN_DP_E1_CII_16B";
	case FX_SYNTAX_PDF: return "IN_DP_E2_CII_FACTURX";
	default: return NULL;
	}
}

void fx_chorus_deposit_clear(fx_chorus_deposit *d)
{
	if (!d)
		return;
	free(d->flow);
	free(d->date);
	free(d->syntax);
	memset(d, 0, sizeof(*d));
}

/* A flow number goes into file names and journals: letters and digits. */
static int flow_id_ok(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isalnum((unsigned char) *s) && *s != '_' && *s != '-')
			return 0;
	return n > 0 && n <= 64;
}

int fx_chorus_deposit_flow(fx_chorus_deposit *out, fx_chorus *c,
			   const char *name, const void *data, size_t len,
			   const char *syntax)
{
	struct fx_buf body = FX_BUF_INIT, text = FX_BUF_INIT;
	char *b64 = NULL;
	int err, sent = 0;

	memset(out, 0, sizeof(*out));
	if (!name || !*name)
		return fx_ctx__error(c->ctx, FX_EINVALID,
				     "no file name for the deposit");
	if (!syntax || !*syntax)
		return fx_ctx__error(c->ctx, FX_EINVALID,
				     "no syntaxeFlux for the deposit of '%s'",
				     name);
	if (!data || !len)
		return fx_ctx__error(c->ctx, FX_EINVALID,
				     "nothing to deposit: '%s' is empty", name);

	/* by hand, not with cJSON: the base64 text may be large */
	err = FX_ENOMEM;
	if (base64_encode(&b64, data, len) < 0 ||
	    fx_buf_grow(&body, strlen(b64) + strlen(name) * 6 + 256) < 0 ||
	    fx_buf_puts(&body, "{\"fichierFlux\":\"") < 0 ||
	    fx_buf_puts(&body, b64) < 0 ||
	    fx_buf_puts(&body, "\",\"nomFichier\":") < 0 ||
	    buf_put_json_string(&body, name) < 0 ||
	    fx_buf_puts(&body, ",\"syntaxeFlux\":") < 0 ||
	    buf_put_json_string(&body, syntax) < 0 ||
	    fx_buf_puts(&body, ",\"avecSignature\":false}") < 0) {
		err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	free(b64);
	b64 = NULL;

	/* never retried: a deposit that may have arrived is not sent again */
	err = api_call(c, PATH_DEPOSIT, body.ptr, body.len, 0, &text, &sent);
	if (err < 0) {
		out->maybe_sent = sent;
		goto out;
	}
	err = fx_chorus__parse_deposit(c->ctx, text.ptr, text.len, out, syntax);
out:
	free(b64);
	fx_buf_release(&text);
	fx_buf_release(&body);
	return err;
}

int fx_chorus__parse_deposit(fx_ctx *ctx, const char *json, size_t len,
			     fx_chorus_deposit *out, const char *syntax)
{
	cJSON *root = NULL;
	int err, refused = 0;

	memset(out, 0, sizeof(*out));
	if ((err = fx_chorus__parse_answer(&root, ctx, json, len, PATH_DEPOSIT,
					   0, 0, &refused)) < 0)
		goto fail;
	/* from here the server said yes: a failure leaves it uncertain */
	if ((err = get_text(&out->flow, ctx, root, "numeroFluxDepot", 1,
			    PATH_DEPOSIT)) < 0)
		goto fail;
	if (!flow_id_ok(out->flow)) {
		err = bad_field(ctx, PATH_DEPOSIT, "numeroFluxDepot",
				"a flow number");
		goto fail;
	}
	if ((err = get_text(&out->date, ctx, root, "dateDepot", 0,
			    PATH_DEPOSIT)) < 0 ||
	    (err = get_text(&out->syntax, ctx, root, "syntaxeFlux", 0,
			    PATH_DEPOSIT)) < 0)
		goto fail;
	if (!out->syntax && syntax && !(out->syntax = fx_strdup(syntax))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto fail;
	}
	goto out;
fail:
	/* a 2xx answer that cannot be read may still mean a deposit; one
	 * whose codeRetour says no does not */
	fx_chorus_deposit_clear(out);
	out->maybe_sent = !refused;
out:
	cJSON_Delete(root);
	return err;
}

/* ---- Flow reports ------------------------------------------------------ */

fx_chorus_flow_class fx_chorus_flow_classify(const char *state)
{
	static const char *const failed[] = {
		"IN_REJETE",	  "IN_INCIDENTE",
		"QP_IRRECEVABLE", "QP_RECEVABLE_AVEC_ERREUR",
		"IN_A_RELANCER",  "IN_ERREUR_INTERNE",
	};
	size_t i;

	if (!state)
		return FX_FLOW_PENDING;
	if (!strcmp(state, "IN_INTEGRE"))
		return FX_FLOW_INTEGRATED;
	if (!strcmp(state, "IN_INTEGRE_PARTIEL"))
		return FX_FLOW_PARTIAL;
	for (i = 0; i < FX_ARRAY_SIZE(failed); i++)
		if (!strcmp(state, failed[i]))
			return FX_FLOW_FAILED;
	return FX_FLOW_PENDING;
}

void fx_chorus_flow_report_clear(fx_chorus_flow_report *r)
{
	size_t i;

	if (!r)
		return;
	free(r->flow);
	free(r->state);
	free(r->state_time);
	free(r->deposit_time);
	for (i = 0; i < r->nerrors; i++) {
		free(r->errors[i].invoice);
		free(r->errors[i].message);
		free(r->errors[i].code);
	}
	free(r->errors);
	memset(r, 0, sizeof(*r));
}

/* Append the items of LIST (listeErreurDP when DP, else
 * listeErreurTechnique) to R->errors.  A message is never NULL. */
static int report_errors(fx_chorus_flow_report *r, fx_ctx *ctx,
			 const cJSON *list, int dp)
{
	const char *what = PATH_REPORT;
	const cJSON *item;
	fx_chorus_flow_error *e, *grown;
	size_t n = (size_t) cJSON_GetArraySize(list);
	int err;

	if (!n)
		return 0;
	if (n > 100000)
		return bad_field(ctx, what,
				 dp ? "listeErreurDP" : "listeErreurTechnique",
				 "a list of reasonable size");
	if (!(grown = realloc(r->errors, (r->nerrors + n) * sizeof(*grown))))
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	r->errors = grown;
	cJSON_ArrayForEach(item, list)
	{
		if (!cJSON_IsObject(item))
			return bad_field(ctx, what,
					 dp ? "listeErreurDP[]"
					    : "listeErreurTechnique[]",
					 "an object");
		e = &r->errors[r->nerrors++];
		memset(e, 0, sizeof(*e));
		if (dp) {
			if ((err = get_text(&e->invoice, ctx, item, "numeroDP",
					    0, what)) < 0 ||
			    (err = get_text(&e->message, ctx, item,
					    "libelleErreurDP", 0, what)) < 0)
				return err;
		} else {
			if ((err = get_text(&e->message, ctx, item,
					    "libelleErreur", 0, what)) < 0 ||
			    (err = get_text(&e->code, ctx, item, "codeErreur",
					    0, what)) < 0)
				return err;
		}
		if (!e->message && !(e->message = fx_strdup("")))
			return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	}
	return 0;
}

int fx_chorus__parse_flow_report(fx_ctx *ctx, const char *json, size_t len,
				 fx_chorus_flow_report *out, const char *flow)
{
	cJSON *root = NULL;
	const cJSON *list;
	const char *what = PATH_REPORT;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = fx_chorus__parse_answer(&root, ctx, json, len, what, 0, 0,
					   NULL)) < 0)
		goto out;
	if (flow && !(out->flow = fx_strdup(flow))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = get_text(&out->state, ctx, root, "etatCourantDepotFlux", 0,
			    what)) < 0)
		goto out;
	/* consulterCR's name for it, should a server answer that way */
	if (!out->state && (err = get_text(&out->state, ctx, root,
					   "etatCourantFlux", 1, what)) < 0) {
		err = missing_field(ctx, what, "etatCourantDepotFlux");
		goto out;
	}
	if ((err = get_text(&out->state_time, ctx, root,
			    "dateHeureEtatCourantFlux", 0, what)) < 0 ||
	    (err = get_text(&out->deposit_time, ctx, root, "dateDepotFlux", 0,
			    what)) < 0)
		goto out;
	if ((err = get_array(&list, ctx, root, "listeErreurDP", what)) < 0 ||
	    (list && (err = report_errors(out, ctx, list, 1)) < 0))
		goto out;
	if ((err = get_array(&list, ctx, root, "listeErreurTechnique", what)) <
		    0 ||
	    (list && (err = report_errors(out, ctx, list, 0)) < 0))
		goto out;
	err = 0;
out:
	if (err < 0)
		fx_chorus_flow_report_clear(out);
	cJSON_Delete(root);
	return err;
}

int fx_chorus_flow_report_get(fx_chorus_flow_report *out, fx_chorus *c,
			      const char *flow)
{
	struct fx_buf text = FX_BUF_INIT;
	cJSON *req = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if (!flow || !*flow)
		return fx_ctx__error(c->ctx, FX_EINVALID, "no flow number");
	if (!(req = cJSON_CreateObject()) ||
	    !cJSON_AddStringToObject(req, "numeroFluxDepot", flow)) {
		err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = api_call_json(c, PATH_REPORT, req, CALL_IDEMPOTENT, &text)) <
	    0)
		goto out;
	err = fx_chorus__parse_flow_report(c->ctx, text.ptr, text.len, out,
					   flow);
out:
	cJSON_Delete(req);
	fx_buf_release(&text);
	return err;
}

/* ---- Invoices ---------------------------------------------------------- */

static void invoice_release(fx_chorus_invoice *inv)
{
	free(inv->number);
	free(inv->status);
	free(inv->flow);
	free(inv->deposit_date);
	free(inv->invoice_date);
	free(inv->buyer);
	free(inv->type);
	free(inv->amount);
	free(inv->currency);
	memset(inv, 0, sizeof(*inv));
}

void fx_chorus_invoices_free(fx_chorus_invoice *invoices, size_t n)
{
	size_t i;

	if (!invoices)
		return;
	for (i = 0; i < n; i++)
		invoice_release(&invoices[i]);
	free(invoices);
}

static int invoice_read(fx_chorus_invoice *inv, fx_ctx *ctx, const cJSON *item)
{
	const char *what = PATH_SEARCH;
	int err;

	memset(inv, 0, sizeof(*inv));
	if (!cJSON_IsObject(item))
		return bad_field(ctx, what, "listeFactures[]", "an object");
	if ((err = get_id(&inv->id, ctx, item, "identifiantFactureCPP", what)) <
		    0 ||
	    (err = get_text(&inv->number, ctx, item, "numeroFacture", 0,
			    what)) < 0 ||
	    (err = get_text(&inv->status, ctx, item, "statut", 0, what)) < 0 ||
	    (err = get_text(&inv->flow, ctx, item, "numeroFluxDepot", 0,
			    what)) < 0 ||
	    (err = get_text(&inv->deposit_date, ctx, item, "dateDepot", 0,
			    what)) < 0 ||
	    (err = get_text(&inv->invoice_date, ctx, item, "dateFacture", 0,
			    what)) < 0 ||
	    (err = get_text(&inv->buyer, ctx, item, "codeDestinataire", 0,
			    what)) < 0 ||
	    (err = get_text(&inv->type, ctx, item, "typeFacture", 0, what)) <
		    0 ||
	    (err = get_text(&inv->amount, ctx, item, "montantTTC", 0, what)) <
		    0 ||
	    (err = get_text(&inv->currency, ctx, item, "devise", 0, what)) < 0)
		return err;
	return 0;
}

static int search_request(cJSON **out, const fx_chorus_invoice_query *q,
			  long long page)
{
	cJSON *req = cJSON_CreateObject(), *pg;

	*out = NULL;
	if (!req)
		return FX_ENOMEM;
	if ((q->flow &&
	     !cJSON_AddStringToObject(req, "numeroFluxDepot", q->flow)) ||
	    (q->number &&
	     !cJSON_AddStringToObject(req, "numeroFacture", q->number)) ||
	    (q->from &&
	     !cJSON_AddStringToObject(req, "periodeDateDepotDu", q->from)) ||
	    (q->to &&
	     !cJSON_AddStringToObject(req, "periodeDateDepotAu", q->to)))
		goto nomem;
	if (!(pg = cJSON_AddObjectToObject(req,
					   "rechercheFactureParFournisseur")) ||
	    !cJSON_AddNumberToObject(pg, "pageResultatDemandee",
				     (double) page) ||
	    !cJSON_AddNumberToObject(pg, "nbResultatsParPage", PAGE_SIZE))
		goto nomem;
	*out = req;
	return 0;
nomem:
	cJSON_Delete(req);
	return FX_ENOMEM;
}

int fx_chorus__parse_invoice_page(fx_ctx *ctx, const char *json, size_t len,
				  fx_chorus_invoice **list, size_t *count,
				  long long *pages)
{
	cJSON *root = NULL;
	const cJSON *factures, *item;
	fx_chorus_invoice *grown;
	size_t items, i;
	int err;

	*pages = 1;
	err = fx_chorus__parse_answer(&root, ctx, json, len, PATH_SEARCH, 0, 1,
				      NULL);
	if (err != 0) /* an error, or nothing (more) found */
		goto out;
	if ((err = get_array(&factures, ctx, root, "listeFactures",
			     PATH_SEARCH)) < 0 ||
	    (err = get_pages(pages, ctx, root, PATH_SEARCH)) < 0)
		goto out;
	items = factures ? (size_t) cJSON_GetArraySize(factures) : 0;
	if (!items) {
		err = 1;
		goto out;
	}
	if (items > 100000 || *count > 1000000) {
		err = bad_field(ctx, PATH_SEARCH, "listeFactures",
				"a list of reasonable size");
		goto out;
	}
	if (!(grown = realloc(*list, (*count + items) * sizeof(**list)))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	*list = grown;
	i = 0;
	cJSON_ArrayForEach(item, factures)
	{
		if (i++ >= items)
			break;
		err = invoice_read(&(*list)[*count], ctx, item);
		(*count)++;
		if (err < 0)
			goto out;
	}
	err = 0;
out:
	cJSON_Delete(root);
	return err;
}

int fx_chorus_invoices_search(fx_chorus_invoice **out, size_t *n, fx_chorus *c,
			      const fx_chorus_invoice_query *query)
{
	static const fx_chorus_invoice_query none = { 0 };
	struct fx_buf text = FX_BUF_INIT;
	fx_chorus_invoice *list = NULL;
	size_t count = 0;
	cJSON *req = NULL;
	long long page = 1, pages = 1;
	int err = 0;

	*out = NULL;
	*n = 0;
	if (!query)
		query = &none;
	for (page = 1; page <= pages && page <= MAX_PAGES; page++) {
		cJSON_Delete(req);
		req = NULL;
		if (search_request(&req, query, page) < 0) {
			err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
			goto out;
		}
		err = api_call_json(c, PATH_SEARCH, req,
				    CALL_IDEMPOTENT | CALL_NO_RESULT, &text);
		if (err < 0)
			goto out;
		if (err == 1) /* nothing (more) found */
			break;
		err = fx_chorus__parse_invoice_page(c->ctx, text.ptr, text.len,
						    &list, &count, &pages);
		if (err < 0)
			goto out;
		if (err == 1)
			break;
	}
	err = 0;
	*out = list;
	*n = count;
	list = NULL;
	count = 0;
out:
	fx_chorus_invoices_free(list, count);
	cJSON_Delete(req);
	fx_buf_release(&text);
	return err;
}

int fx_chorus__parse_invoice_status(fx_ctx *ctx, const char *json, size_t len,
				    char **status)
{
	cJSON *root = NULL;
	int err;

	*status = NULL;
	if ((err = fx_chorus__parse_answer(&root, ctx, json, len, PATH_HISTORY,
					   0, 0, NULL)) == 0)
		err = get_text(status, ctx, root, "statutCourantCode", 1,
			       PATH_HISTORY);
	cJSON_Delete(root);
	return err < 0 ? err : 0;
}

int fx_chorus_invoice_status(char **status, fx_chorus *c, long long id)
{
	struct fx_buf text = FX_BUF_INIT;
	cJSON *req = NULL;
	int err;

	*status = NULL;
	if (id < 0 || (double) id > MAX_JSON_INT)
		return fx_ctx__error(c->ctx, FX_EINVALID,
				     "invoice id %lld is out of range", id);
	if (!(req = cJSON_CreateObject()) || !add_id(req, "idFacture", id)) {
		err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = api_call_json(c, PATH_HISTORY, req, CALL_IDEMPOTENT,
				 &text)) < 0)
		goto out;
	err = fx_chorus__parse_invoice_status(c->ctx, text.ptr, text.len,
					      status);
out:
	cJSON_Delete(req);
	fx_buf_release(&text);
	return err < 0 ? err : 0;
}

/* ---- Structures -------------------------------------------------------- */

static void service_release(fx_chorus_service *s)
{
	free(s->code);
	free(s->label);
	memset(s, 0, sizeof(*s));
}

void fx_chorus_structure_clear(fx_chorus_structure *s)
{
	size_t i;

	if (!s)
		return;
	free(s->siret);
	free(s->name);
	free(s->status);
	free(s->fetched);
	for (i = 0; i < s->nservices; i++)
		service_release(&s->services[i]);
	free(s->services);
	memset(s, 0, sizeof(*s));
}

/*
 * rechercherStructure: the idStructureCPP of SIRET.  1 when not found.
 * Several entries may come back (a search, not a lookup): only an exact
 * identifiantStructure match counts, an active one first.
 */
int fx_chorus__parse_structure_search(fx_ctx *ctx, const char *json, size_t len,
				      fx_chorus_structure *s, const char *siret)
{
	const char *what = PATH_STRUCT_FIND;
	cJSON *root = NULL;
	const cJSON *list, *item, *best = NULL;
	char *id = NULL, *status = NULL;
	int err, best_active = 0, active;

	err = fx_chorus__parse_answer(&root, ctx, json, len, what, 0, 1, NULL);
	if (err != 0)
		goto out;
	if ((err = get_array(&list, ctx, root, "listeStructures", what)) < 0)
		goto out;
	err = 1;
	cJSON_ArrayForEach(item, list)
	{
		int e;

		if (!cJSON_IsObject(item)) {
			err = bad_field(ctx, what, "listeStructures[]",
					"an object");
			goto out;
		}
		free(id);
		free(status);
		id = status = NULL;
		if ((e = get_text(&id, ctx, item, "identifiantStructure", 0,
				  what)) < 0 ||
		    (e = get_text(&status, ctx, item, "statut", 0, what)) < 0) {
			err = e;
			goto out;
		}
		if (!id || strcmp(id, siret))
			continue;
		active = !status || !strcmp(status, "ACTIVE");
		if (!best || (active && !best_active)) {
			best = item;
			best_active = active;
		}
	}
	if (!best)
		goto out;
	if ((err = get_id(&s->id, ctx, best, "idStructureCPP", what)) < 0 ||
	    (err = get_text(&s->name, ctx, best, "designationStructure", 0,
			    what)) < 0 ||
	    (err = get_text(&s->status, ctx, best, "statut", 0, what)) < 0)
		goto out;
	err = 0;
out:
	free(id);
	free(status);
	cJSON_Delete(root);
	return err;
}

static int structure_find(fx_chorus_structure *s, fx_chorus *c,
			  const char *siret)
{
	const char *what = PATH_STRUCT_FIND;
	struct fx_buf text = FX_BUF_INIT;
	cJSON *req = NULL, *o;
	int err;

	if (!(req = cJSON_CreateObject()) ||
	    !(o = cJSON_AddObjectToObject(req, "structure")) ||
	    !cJSON_AddStringToObject(o, "identifiantStructure", siret) ||
	    !cJSON_AddStringToObject(o, "typeIdentifiantStructure", "SIRET") ||
	    !cJSON_AddFalseToObject(req, "restreindreStructuresPrivees") ||
	    !(o = cJSON_AddObjectToObject(req, "parametres")) ||
	    !cJSON_AddNumberToObject(o, "nbResultatsParPage", PAGE_SIZE) ||
	    !cJSON_AddNumberToObject(o, "pageResultatDemandee", 1)) {
		err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	err = api_call_json(c, what, req, CALL_IDEMPOTENT | CALL_NO_RESULT,
			    &text);
	if (err != 0)
		goto out;
	err = fx_chorus__parse_structure_search(c->ctx, text.ptr, text.len, s,
						siret);
out:
	cJSON_Delete(req);
	fx_buf_release(&text);
	return err;
}

/* consulterStructure: what the buyer's invoices must carry. */
int fx_chorus__parse_structure(fx_ctx *ctx, const char *json, size_t len,
			       fx_chorus_structure *s)
{
	const char *what = PATH_STRUCT_READ;
	cJSON *root = NULL;
	const cJSON *info, *params;
	int err;

	if ((err = fx_chorus__parse_answer(&root, ctx, json, len, what, 0, 0,
					   NULL)) < 0)
		goto out;
	if ((err = get_object(&info, ctx, root, "informationGenerales", what)) <
		    0 ||
	    (err = get_object(&params, ctx, root, "parametres", what)) < 0)
		goto out;
	if (!s->name && info &&
	    (err = get_text(&s->name, ctx, info, "raisonSocialeStructure", 0,
			    what)) < 0)
		goto out;
	if (!params) {
		err = missing_field(ctx, what, "parametres");
		goto out;
	}
	if ((err = get_flag(&s->service_required, ctx, params,
			    "codeServiceDoitEtreRenseigne", what)) < 0 ||
	    (err = get_flag(&s->commitment_required, ctx, params,
			    "numeroEJDoitEtreRenseigne", what)) < 0 ||
	    (err = get_flag(&s->service_or_commitment, ctx, params,
			    "gestionNumeroEJOuCodeService", what)) < 0)
		goto out;
out:
	cJSON_Delete(root);
	return err;
}

static int structure_read(fx_chorus_structure *s, fx_chorus *c)
{
	struct fx_buf text = FX_BUF_INIT;
	cJSON *req = NULL;
	int err;

	if (!(req = cJSON_CreateObject()) ||
	    !add_id(req, "idStructureCPP", s->id) ||
	    !cJSON_AddStringToObject(req, "codeLangue", "fr")) {
		err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = api_call_json(c, PATH_STRUCT_READ, req, CALL_IDEMPOTENT,
				 &text)) < 0)
		goto out;
	err = fx_chorus__parse_structure(c->ctx, text.ptr, text.len, s);
out:
	cJSON_Delete(req);
	fx_buf_release(&text);
	return err;
}

static int service_active(fx_ctx *ctx, const cJSON *item, int *active)
{
	const char *what = PATH_SERVICE_FIND;
	const cJSON *flag = cJSON_GetObjectItemCaseSensitive(item, "estActif");
	char *status = NULL;
	int err;

	*active = 0;
	if (flag && !cJSON_IsNull(flag)) {
		if (!cJSON_IsBool(flag))
			return bad_field(ctx, what, "estActif",
					 "true or false");
		if (cJSON_IsTrue(flag))
			*active = 1;
	}
	if ((err = get_text(&status, ctx, item, "statutService", 0, what)) < 0)
		return err;
	if (status && !strcmp(status, "ACTIF"))
		*active = 1;
	free(status);
	return 0;
}

/* One page of rechercherServicesStructure: its active services, added to
 * S.  1 when the page holds none (the last page). */
int fx_chorus__parse_service_page(fx_ctx *ctx, const char *json, size_t len,
				  fx_chorus_structure *s, long long *pages)
{
	const char *what = PATH_SERVICE_FIND;
	cJSON *root = NULL;
	const cJSON *list, *item;
	fx_chorus_service *grown, *sv;
	size_t items;
	int err, active;

	*pages = 1;
	err = fx_chorus__parse_answer(&root, ctx, json, len, what, 0, 1, NULL);
	if (err != 0)
		goto out;
	if ((err = get_array(&list, ctx, root, "listeServices", what)) < 0 ||
	    (err = get_pages(pages, ctx, root, what)) < 0)
		goto out;
	items = list ? (size_t) cJSON_GetArraySize(list) : 0;
	if (!items) {
		err = 1;
		goto out;
	}
	if (items > 100000 || s->nservices > 1000000) {
		err = bad_field(ctx, what, "listeServices",
				"a list of reasonable size");
		goto out;
	}
	grown = realloc(s->services, (s->nservices + items) * sizeof(*grown));
	if (!grown) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	s->services = grown;
	cJSON_ArrayForEach(item, list)
	{
		if (!cJSON_IsObject(item)) {
			err = bad_field(ctx, what, "listeServices[]",
					"an object");
			goto out;
		}
		if ((err = service_active(ctx, item, &active)) < 0)
			goto out;
		if (!active)
			continue;
		sv = &s->services[s->nservices++];
		memset(sv, 0, sizeof(*sv));
		if ((err = get_id(&sv->id, ctx, item, "idService", what)) < 0 ||
		    (err = get_text(&sv->code, ctx, item, "codeService", 1,
				    what)) < 0 ||
		    (err = get_text(&sv->label, ctx, item, "libelleService", 0,
				    what)) < 0)
			goto out;
	}
	err = 0;
out:
	cJSON_Delete(root);
	return err;
}

/* rechercherServicesStructure, every page: the active services. */
static int services_find(fx_chorus_structure *s, fx_chorus *c)
{
	const char *what = PATH_SERVICE_FIND;
	struct fx_buf text = FX_BUF_INIT;
	cJSON *req = NULL, *o;
	long long page, pages = 1;
	int err = 0;

	for (page = 1; page <= pages && page <= MAX_PAGES; page++) {
		cJSON_Delete(req);
		if (!(req = cJSON_CreateObject()) ||
		    !add_id(req, "idStructure", s->id) ||
		    !(o = cJSON_AddObjectToObject(
			      req, "parametresRechercherServicesStructure")) ||
		    !cJSON_AddNumberToObject(o, "nbResultatsParPage",
					     PAGE_SIZE) ||
		    !cJSON_AddNumberToObject(o, "pageResultatDemandee",
					     (double) page)) {
			err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
			goto out;
		}
		err = api_call_json(c, what, req,
				    CALL_IDEMPOTENT | CALL_NO_RESULT, &text);
		if (err < 0)
			goto out;
		if (err == 1)
			break;
		err = fx_chorus__parse_service_page(c->ctx, text.ptr, text.len,
						    s, &pages);
		if (err < 0)
			goto out;
		if (err == 1)
			break;
	}
	err = 0;
out:
	cJSON_Delete(req);
	fx_buf_release(&text);
	return err;
}

/* consulterServiceStructure: whether the service needs a commitment. */
int fx_chorus__parse_service(fx_ctx *ctx, const char *json, size_t len,
			     fx_chorus_service *sv)
{
	const char *what = PATH_SERVICE_READ;
	cJSON *root = NULL;
	const cJSON *params;
	int err;

	if ((err = fx_chorus__parse_answer(&root, ctx, json, len, what, 0, 0,
					   NULL)) < 0)
		goto out;
	if ((err = get_object(&params, ctx, root, "parametres", what)) < 0)
		goto out;
	if (params && (err = get_flag(&sv->commitment_required, ctx, params,
				      "numeroEngagement", what)) < 0)
		goto out;
out:
	cJSON_Delete(root);
	return err;
}

static int service_read(fx_chorus_service *sv, fx_chorus *c, long long sid)
{
	struct fx_buf text = FX_BUF_INIT;
	cJSON *req = NULL;
	int err;

	if (!(req = cJSON_CreateObject()) || !add_id(req, "idStructure", sid) ||
	    !add_id(req, "idService", sv->id)) {
		err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = api_call_json(c, PATH_SERVICE_READ, req, CALL_IDEMPOTENT,
				 &text)) < 0)
		goto out;
	err = fx_chorus__parse_service(c->ctx, text.ptr, text.len, sv);
out:
	cJSON_Delete(req);
	fx_buf_release(&text);
	return err;
}

int fx_chorus_structure_lookup(fx_chorus_structure *out, fx_chorus *c,
			       const char *siret)
{
	fx_chorus_structure s = { 0 };
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if (!siret || !*siret)
		return fx_ctx__error(c->ctx, FX_EINVALID,
				     "no SIRET to look up");
	if (!(s.siret = fx_strdup(siret))) {
		err = fx_ctx__error(c->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = structure_find(&s, c, siret)) != 0)
		goto out;
	if ((err = structure_read(&s, c)) < 0 ||
	    (err = services_find(&s, c)) < 0)
		goto out;
	for (i = 0; i < s.nservices; i++)
		if ((err = service_read(&s.services[i], c, s.id)) < 0)
			goto out;
	if ((err = utc_now(&s.fetched)) < 0) {
		err = fx_ctx__error(c->ctx, err, "cannot read the clock");
		goto out;
	}
	*out = s;
	memset(&s, 0, sizeof(s));
out:
	fx_chorus_structure_clear(&s);
	return err;
}

/*
 * The cache's JSON for a structure: one object,
 *
 *   {"siret": "11000201100044", "id": 26300989, "name": "...",
 *    "status": "ACTIVE", "service_required": false,
 *    "commitment_required": false, "service_or_commitment": true,
 *    "services": [{"code": "SERV-A", "label": "...", "id": 10657669,
 *                  "commitment_required": true}],
 *    "fetched": "2026-11-27T08:00:00Z"}
 *
 * siret and id are required; name, status, label and fetched may be
 * null or absent; the flags default to false and services to none.
 */
static cJSON *add_text(cJSON *obj, const char *name, const char *text)
{
	return text ? cJSON_AddStringToObject(obj, name, text)
		    : cJSON_AddNullToObject(obj, name);
}

int fx_chorus_structure_to_json(char **out, const fx_chorus_structure *s)
{
	cJSON *root = cJSON_CreateObject(), *arr, *o;
	size_t i;
	int err = FX_ENOMEM;

	*out = NULL;
	if (!root || !add_text(root, "siret", s->siret) ||
	    !add_id(root, "id", s->id) || !add_text(root, "name", s->name) ||
	    !add_text(root, "status", s->status) ||
	    !cJSON_AddBoolToObject(root, "service_required",
				   s->service_required) ||
	    !cJSON_AddBoolToObject(root, "commitment_required",
				   s->commitment_required) ||
	    !cJSON_AddBoolToObject(root, "service_or_commitment",
				   s->service_or_commitment) ||
	    !(arr = cJSON_AddArrayToObject(root, "services")))
		goto out;
	for (i = 0; i < s->nservices; i++) {
		const fx_chorus_service *sv = &s->services[i];

		if (!(o = cJSON_CreateObject()))
			goto out;
		cJSON_AddItemToArray(arr, o);
		if (!add_text(o, "code", sv->code) ||
		    !add_text(o, "label", sv->label) ||
		    !add_id(o, "id", sv->id) ||
		    !cJSON_AddBoolToObject(o, "commitment_required",
					   sv->commitment_required))
			goto out;
	}
	if (!add_text(root, "fetched", s->fetched))
		goto out;
	if ((*out = cJSON_PrintUnformatted(root)))
		err = 0;
out:
	cJSON_Delete(root);
	return err;
}

/* Reading the cache: a wrong field is FX_EPARSE, naming the field. */
static int cache_text(char **out, fx_ctx *ctx, const cJSON *obj,
		      const char *field, int required)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

	*out = NULL;
	if (!item || cJSON_IsNull(item)) {
		if (required)
			return fx_ctx__error(ctx, FX_EPARSE,
					     "structure JSON has no '%s'",
					     field);
		return 0;
	}
	if (!cJSON_IsString(item) || !item->valuestring)
		return fx_ctx__error(ctx, FX_EPARSE,
				     "'%s' of a structure JSON is not a string",
				     field);
	if (!(*out = fx_strdup(item->valuestring)))
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	return 0;
}

static int cache_id(long long *out, fx_ctx *ctx, const cJSON *obj,
		    const char *field)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

	if (!item)
		return fx_ctx__error(ctx, FX_EPARSE,
				     "structure JSON has no '%s'", field);
	if (json_integer(item, out) < 0 || *out < 0)
		return fx_ctx__error(ctx, FX_EPARSE,
				     "'%s' of a structure JSON is not a whole "
				     "number",
				     field);
	return 0;
}

static int cache_flag(int *out, fx_ctx *ctx, const cJSON *obj,
		      const char *field)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

	*out = 0;
	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsBool(item))
		return fx_ctx__error(ctx, FX_EPARSE,
				     "'%s' of a structure JSON is not true or "
				     "false",
				     field);
	*out = cJSON_IsTrue(item) ? 1 : 0;
	return 0;
}

int fx_chorus_structure_from_json(fx_chorus_structure *out, fx_ctx *ctx,
				  const char *json)
{
	fx_chorus_structure s = { 0 };
	cJSON *root = NULL;
	const cJSON *arr, *item;
	size_t n;
	int err;

	memset(out, 0, sizeof(*out));
	if (!json)
		return fx_ctx__error(ctx, FX_EINVALID, "no structure JSON");
	root = cJSON_Parse(json);
	if (!cJSON_IsObject(root)) {
		err = fx_ctx__error(ctx, FX_EPARSE,
				    "structure JSON is not a JSON object");
		goto out;
	}
	if ((err = cache_text(&s.siret, ctx, root, "siret", 1)) < 0 ||
	    (err = cache_id(&s.id, ctx, root, "id")) < 0 ||
	    (err = cache_text(&s.name, ctx, root, "name", 0)) < 0 ||
	    (err = cache_text(&s.status, ctx, root, "status", 0)) < 0 ||
	    (err = cache_flag(&s.service_required, ctx, root,
			      "service_required")) < 0 ||
	    (err = cache_flag(&s.commitment_required, ctx, root,
			      "commitment_required")) < 0 ||
	    (err = cache_flag(&s.service_or_commitment, ctx, root,
			      "service_or_commitment")) < 0 ||
	    (err = cache_text(&s.fetched, ctx, root, "fetched", 0)) < 0)
		goto out;
	arr = cJSON_GetObjectItemCaseSensitive(root, "services");
	if (arr && !cJSON_IsNull(arr) && !cJSON_IsArray(arr)) {
		err = fx_ctx__error(ctx, FX_EPARSE,
				    "'services' of a structure JSON is not an "
				    "array");
		goto out;
	}
	n = arr && cJSON_IsArray(arr) ? (size_t) cJSON_GetArraySize(arr) : 0;
	if (n && !(s.services = calloc(n, sizeof(*s.services)))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if (!n)
		arr = NULL;
	cJSON_ArrayForEach(item, arr)
	{
		fx_chorus_service *sv;

		if (s.nservices >= n)
			break;
		sv = &s.services[s.nservices++];
		if (!cJSON_IsObject(item)) {
			err = fx_ctx__error(ctx, FX_EPARSE,
					    "a service of a structure JSON is "
					    "not an object");
			goto out;
		}
		if ((err = cache_text(&sv->code, ctx, item, "code", 1)) < 0 ||
		    (err = cache_text(&sv->label, ctx, item, "label", 0)) < 0 ||
		    (err = cache_id(&sv->id, ctx, item, "id")) < 0 ||
		    (err = cache_flag(&sv->commitment_required, ctx, item,
				      "commitment_required")) < 0)
			goto out;
	}
	*out = s;
	memset(&s, 0, sizeof(s));
	err = 0;
out:
	fx_chorus_structure_clear(&s);
	cJSON_Delete(root);
	return err;
}
