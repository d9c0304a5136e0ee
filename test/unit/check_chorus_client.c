/* SPDX-License-Identifier: MIT */
/*
 * check_chorus_client.c - unit tests of the Chorus Pro API client
 * (fx_chorus_*), against the fake server of test/fake-chorus
 *
 * Run under test/fake-chorus/with_server.py, which starts the fake and
 * says where it is in FAKE_CHORUS_* and FACTURE_CHORUS_* variables; the
 * suite is skipped (77) without them.  Each test resets the fake, then
 * arranges it through its control endpoints (/_fake/config, /_fake/faults)
 * and reads back what it saw (/_fake/deposits, /_fake/stats), so that
 * what is asserted is what went over the wire, not what the client says.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "helpers.h"

#define DEPOSIT_PATH "/cpro/factures/v1/deposer/flux"
#define SEARCH_PATH  "/cpro/factures/v1/rechercher/fournisseur"
#define REPORT_PATH  "/cpro/transverses/v1/consulterCRDetaille"
#define TOKEN_PATH   "/api/oauth/token"

/* Seeded buyers of the fake (test/fake-chorus/fake_chorus.py). */
#define SIRET_MINISTERE "11000201100044"
#define SIRET_COMMUNE	"21760000100010"
#define SIRET_HOPITAL	"26000000300012"
#define SIRET_REGION	"20000000400016"
#define SIRET_LYCEE	"19000000500016"
/* A valid SIRET (Luhn) that is not in the directory. */
#define SIRET_UNKNOWN "73282932000074"

static const char *env_or_null(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* ---- The fake's control endpoints -------------------------------------- */

static size_t ctl_write(char *data, size_t size, size_t nmemb, void *payload)
{
	tbuf_put(payload, data, size * nmemb);
	return size * nmemb;
}

/* METHOD PATH on the fake with BODY (JSON, or NULL); the status, and the
 * answer in *answer when not NULL (caller frees). */
static long ctl(const char *method, const char *path, const char *body,
		char **answer)
{
	struct tbuf url = TBUF_INIT, out = TBUF_INIT;
	struct curl_slist *h = NULL;
	const char *ca = env_or_null("FAKE_CHORUS_CACERT");
	long status = 0;
	CURLcode rc;
	CURL *c = curl_easy_init();

	ck_assert_ptr_nonnull(c);
	tbuf_printf(&url, "%s%s", getenv("FAKE_CHORUS_URL"), path);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url.ptr);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	else if (!strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ctl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path,
		      curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	tbuf_release(&url);
	if (answer) {
		tbuf_puts(&out, "");
		*answer = out.ptr;
	} else {
		tbuf_release(&out);
	}
	return status;
}

static void ctl_ok(const char *method, const char *path, const char *body)
{
	char *answer = NULL;
	long status = ctl(method, path, body, &answer);

	ck_assert_msg(status == 200, "%s %s %s: HTTP %ld: %s", method, path,
		      body ? body : "", status, answer);
	free(answer);
}

static void fake_config(const char *json)
{
	ctl_ok("POST", "/_fake/config", json);
}

static void fake_fault(const char *path, const char *kind, const char *extra)
{
	struct tbuf b = TBUF_INIT;

	tbuf_printf(&b,
		    "{\"faults\": [{\"path\": \"%s\", \"kind\": \"%s\"%s%s}]}",
		    path, kind, extra ? ", " : "", extra ? extra : "");
	ctl_ok("POST", "/_fake/faults", b.ptr);
	tbuf_release(&b);
}

/* GET PATH, parsed (cJSON_Delete). */
static cJSON *ctl_json(const char *path)
{
	char *answer = NULL;
	cJSON *root;

	ck_assert_int_eq(ctl("GET", path, NULL, &answer), 200);
	root = cJSON_Parse(answer);
	ck_assert_msg(root != NULL, "%s: not JSON: %s", path, answer);
	free(answer);
	return root;
}

/* How many requests the fake received on PATH. */
static int stats_requests(const char *path)
{
	cJSON *root = ctl_json("/_fake/stats");
	const cJSON *n = cJSON_GetObjectItem(
		cJSON_GetObjectItem(root, "requests"), path);
	int v = cJSON_IsNumber(n) ? n->valueint : 0;

	cJSON_Delete(root);
	return v;
}

static int stats_tokens(void)
{
	cJSON *root = ctl_json("/_fake/stats");
	const cJSON *n = cJSON_GetObjectItem(root, "tokens_issued");
	int v;

	ck_assert(cJSON_IsNumber(n));
	v = n->valueint;
	cJSON_Delete(root);
	return v;
}

/* The deposits the fake recorded (cJSON_Delete the result). */
static cJSON *deposits(void)
{
	cJSON *root = ctl_json("/_fake/deposits");
	cJSON *list = cJSON_DetachItemFromObject(root, "deposits");

	cJSON_Delete(root);
	ck_assert(cJSON_IsArray(list));
	return list;
}

static int deposit_count(void)
{
	cJSON *list = deposits();
	int n = cJSON_GetArraySize(list);

	cJSON_Delete(list);
	return n;
}

static void reset_fake(void)
{
	ctl_ok("POST", "/_fake/reset", NULL);
}

/* ---- The client -------------------------------------------------------- */

static fx_ctx *ctx;
static int retries_seen;

static long last_retry_delay;

static void count_retry(const char *what, long delay_ms, void *payload)
{
	(void) payload;
	ck_assert_ptr_nonnull(what);
	ck_assert(*what);
	ck_assert(delay_ms >= 0);
	retries_seen++;
	last_retry_delay = delay_ms;
}

static void opts_from_env(fx_chorus_opts *o)
{
	struct tbuf token = TBUF_INIT;
	static char token_url[1024];

	fx_chorus_opts_init(o);
	o->client_id = getenv("FACTURE_CHORUS_CLIENT_ID");
	o->client_secret = getenv("FACTURE_CHORUS_CLIENT_SECRET");
	o->login = getenv("FACTURE_CHORUS_LOGIN");
	o->password = getenv("FACTURE_CHORUS_PASSWORD");
	o->api_url = getenv("FAKE_CHORUS_URL");
	tbuf_printf(&token, "%s%s", getenv("FAKE_CHORUS_URL"), TOKEN_PATH);
	ck_assert_uint_lt(token.len, sizeof(token_url));
	memcpy(token_url, token.ptr, token.len + 1);
	tbuf_release(&token);
	o->token_url = token_url;
	o->cacert = env_or_null("FAKE_CHORUS_CACERT");
	o->timeout_ms = 10000;
	o->retries = 3;
	o->backoff_ms = 10;
	o->on_retry = count_retry;
}

static fx_chorus *client_with(const fx_chorus_opts *o)
{
	fx_chorus *c = NULL;
	int err = fx_chorus_new(&c, ctx, o);

	ck_assert_msg(err == 0, "fx_chorus_new: %d %s", err,
		      fx_ctx_last_error(ctx)->message);
	return c;
}

static fx_chorus *client(void)
{
	fx_chorus_opts o;

	opts_from_env(&o);
	return client_with(&o);
}

static const char *msg(void)
{
	return fx_ctx_last_error(ctx)->message;
}

#define assert_ok(call)                                                    \
	do {                                                               \
		int err_ = (call);                                         \
		ck_assert_msg(err_ == 0, "%s: %d %s", #call, err_, msg()); \
	} while (0)

#define assert_msg_has(text)                         \
	ck_assert_msg(strstr(msg(), (text)) != NULL, \
		      "message '%s' lacks '%s'", msg(), (text))

/* The example UBL invoice, with invoice number NUMBER. */
static char *ubl_invoice(const char *number, size_t *len)
{
	char *xml = t_example("invoice-ubl.xml", NULL);
	struct tbuf to = TBUF_INIT;
	char *out;

	tbuf_printf(&to, "<cbc:ID>%s</cbc:ID>", number);
	out = t_replace(xml, "<cbc:ID>FA-2025-0042</cbc:ID>", to.ptr);
	free(xml);
	tbuf_release(&to);
	*len = strlen(out);
	return out;
}

static int deposit_ubl(fx_chorus *c, fx_chorus_deposit *d, const char *number)
{
	size_t len;
	char *xml = ubl_invoice(number, &len);
	struct tbuf name = TBUF_INIT;
	int err;

	tbuf_printf(&name, "%s.xml", number);
	err = fx_chorus_deposit_flow(d, c, name.ptr, xml, len,
				     "IN_DP_E1_UBL_INVOICE");
	tbuf_release(&name);
	free(xml);
	return err;
}

static void sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int n = 0, i;

	ck_assert(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL));
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void setup(void)
{
	ctx = t_ctx();
	retries_seen = 0;
	reset_fake();
}

static void teardown(void)
{
	fx_ctx_free(ctx);
	ctx = NULL;
}

/* ---- Credentials and TLS ----------------------------------------------- */

START_TEST(check_succeeds_with_the_right_credentials)
{
	fx_chorus *c = client();

	assert_ok(fx_chorus_check(c));
	ck_assert_int_eq(fx_chorus_last_http_status(c), 200);
	ck_assert_int_eq(stats_tokens(), 1);
	ck_assert_int_eq(stats_requests("/cpro/transverses/v1/health-check"),
			 1);
	fx_chorus_free(c);
}
END_TEST

START_TEST(wrong_client_secret_is_a_key_error)
{
	fx_chorus_opts o;
	fx_chorus *c;

	opts_from_env(&o);
	o.client_secret = "not-the-secret-XYZ";
	c = client_with(&o);
	ck_assert_int_eq(fx_chorus_check(c), FX_EKEY);
	assert_msg_has("PISTE refused the client id or secret");
	assert_msg_has("invalid_client");
	ck_assert(!strstr(msg(), "not-the-secret-XYZ"));
	/* not retried: a refusal is not a failure of the network */
	ck_assert_int_eq(stats_requests(TOKEN_PATH), 1);
	ck_assert_int_eq(retries_seen, 0);
	fx_chorus_free(c);
}
END_TEST

START_TEST(wrong_password_is_a_key_error_with_the_reason)
{
	fx_chorus_opts o;
	fx_chorus *c;

	opts_from_env(&o);
	o.password = "wrong-password-XYZ";
	c = client_with(&o);
	ck_assert_int_eq(fx_chorus_check(c), FX_EKEY);
	assert_msg_has("Chorus Pro refused the technical account");
	assert_msg_has("login or password incorrects");
	ck_assert(!strstr(msg(), "wrong-password-XYZ"));
	ck_assert_int_eq(fx_chorus_last_http_status(c), 401);
	/* the account is wrong, not the token: no new token, no repeat */
	ck_assert_int_eq(stats_tokens(), 1);
	ck_assert_int_eq(stats_requests("/cpro/transverses/v1/health-check"),
			 1);
	fx_chorus_free(c);
}
END_TEST

START_TEST(untrusted_certificate_is_a_network_error_about_tls)
{
	fx_chorus_opts o;
	fx_chorus *c;
	const char *wrong = env_or_null("FAKE_CHORUS_WRONG_CACERT");

	if (!wrong || strncmp(getenv("FAKE_CHORUS_URL"), "https:", 6)) {
		fprintf(stderr, "skipped: the fake is not serving TLS\n");
		return;
	}
	opts_from_env(&o);
	o.cacert = wrong;
	c = client_with(&o);
	ck_assert_int_eq(fx_chorus_check(c), FX_ENET);
	assert_msg_has("TLS: certificate of 127.0.0.1");
	assert_msg_has("not trusted");
	/* never retried, never reached the HTTP layer */
	ck_assert_int_eq(retries_seen, 0);
	ck_assert_int_eq(stats_requests(TOKEN_PATH), 0);
	ck_assert_int_eq(fx_chorus_last_http_status(c), 0);
	fx_chorus_free(c);
}
END_TEST

START_TEST(system_trust_store_does_not_trust_the_test_ca)
{
	fx_chorus_opts o;
	fx_chorus *c;

	if (strncmp(getenv("FAKE_CHORUS_URL"), "https:", 6))
		return;
	opts_from_env(&o);
	o.cacert = NULL; /* verification stays on without a bundle */
	c = client_with(&o);
	ck_assert_int_eq(fx_chorus_check(c), FX_ENET);
	assert_msg_has("TLS");
	fx_chorus_free(c);
}
END_TEST

START_TEST(missing_credentials_are_named)
{
	fx_chorus_opts o;
	fx_chorus *c = NULL;

	opts_from_env(&o);
	o.client_secret = NULL;
	ck_assert_int_eq(fx_chorus_new(&c, ctx, &o), FX_EINVALID);
	ck_assert_ptr_null(c);
	assert_msg_has("client_secret");
	opts_from_env(&o);
	o.password = "";
	ck_assert_int_eq(fx_chorus_new(&c, ctx, &o), FX_EINVALID);
	assert_msg_has("password");
	opts_from_env(&o);
	o.api_url = "ftp://example.org";
	ck_assert_int_eq(fx_chorus_new(&c, ctx, &o), FX_EINVALID);
	assert_msg_has("API URL (host example.org) is not an https URL");
	/* nothing went over the wire */
	ck_assert_int_eq(stats_requests(TOKEN_PATH), 0);
}
END_TEST

START_TEST(unknown_environment_is_refused)
{
	fx_chorus_opts o;
	fx_chorus *c = NULL;

	/* an API URL of its own, but the token URL from the environment */
	opts_from_env(&o);
	o.token_url = NULL;
	o.env = (fx_chorus_env) 7;
	ck_assert_int_eq(fx_chorus_new(&c, ctx, &o), FX_EINVALID);
	ck_assert_ptr_null(c);
	assert_msg_has("unknown Chorus Pro environment 7");
	/* the other way round */
	opts_from_env(&o);
	o.api_url = NULL;
	o.env = (fx_chorus_env) -1;
	ck_assert_int_eq(fx_chorus_new(&c, ctx, &o), FX_EINVALID);
	ck_assert_ptr_null(c);
	assert_msg_has("unknown Chorus Pro environment -1");
}
END_TEST

/* https, or http to this machine; never a user:password in the URL. */
START_TEST(urls_are_checked)
{
	static const struct {
		const char *url, *words; /* words NULL: accepted */
	} cases[] = {
		{ "http://api.example.org", "in the clear: use https" },
		{ "http://127.0.0.1.example.org:80", "in the clear" },
		{ "https://TECH_1_x:s3cret@api.example.org",
		  "credentials belong" },
		{ "ftp://api.example.org", "not an https URL" },
		{ "https://api.example.org/a b", "white space" },
		{ "https://api.example.org", NULL },
		{ "http://localhost:9", NULL },
		{ "http://[::1]:9", NULL },
		{ "http://127.0.0.1:9", NULL },
	};
	fx_chorus_opts o;
	fx_chorus *c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		opts_from_env(&o);
		o.api_url = cases[i].url;
		c = NULL;
		if (!cases[i].words) {
			assert_ok(fx_chorus_new(&c, ctx, &o));
			fx_chorus_free(c);
			continue;
		}
		ck_assert_msg(fx_chorus_new(&c, ctx, &o) == FX_EINVALID,
			      "%s accepted", cases[i].url);
		ck_assert_ptr_null(c);
		assert_msg_has(cases[i].words);
		ck_assert_msg(!strstr(msg(), "s3cret"), "secret in '%s'",
			      msg());
	}
}
END_TEST

START_TEST(nothing_listening_is_a_network_error)
{
	fx_chorus_opts o;
	fx_chorus *c;

	opts_from_env(&o);
	/* port 9 (discard) on loopback: nothing listens there in tests */
	o.api_url = "http://127.0.0.1:9";
	o.token_url = "http://127.0.0.1:9/api/oauth/token";
	o.retries = 1;
	c = client_with(&o);
	ck_assert_int_eq(fx_chorus_check(c), FX_ENET);
	assert_msg_has("cannot connect to 127.0.0.1:9");
	/* a refused connection is worth a second try */
	ck_assert_int_eq(retries_seen, 1);
	fx_chorus_free(c);
}
END_TEST

/* ---- Tokens ------------------------------------------------------------ */

START_TEST(token_is_kept_then_renewed_before_it_expires)
{
	fx_chorus *c;
	fx_chorus_invoice *inv = NULL;
	size_t n = 99;

	fake_config("{\"token_lifetime\": 2}");
	c = client();
	assert_ok(fx_chorus_check(c));
	assert_ok(fx_chorus_invoices_search(&inv, &n, c, NULL));
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(stats_tokens(), 1);
	sleep(3);
	assert_ok(fx_chorus_invoices_search(&inv, &n, c, NULL));
	ck_assert_int_eq(stats_tokens(), 2);
	/* renewed before use: the API never refused it */
	ck_assert_int_eq(stats_requests(SEARCH_PATH), 2);
	fx_chorus_free(c);
}
END_TEST

START_TEST(revoked_token_is_renewed_and_the_call_repeated_once)
{
	fx_chorus *c = client();
	fx_chorus_invoice *inv = NULL;
	size_t n;

	assert_ok(fx_chorus_check(c));
	ctl_ok("POST", "/_fake/revoke-tokens", NULL);
	assert_ok(fx_chorus_invoices_search(&inv, &n, c, NULL));
	ck_assert_int_eq(stats_tokens(), 2);
	ck_assert_int_eq(stats_requests(SEARCH_PATH), 2);
	/* a repeat with a new token is not a retry */
	ck_assert_int_eq(retries_seen, 0);
	fx_chorus_free(c);
}
END_TEST

START_TEST(token_refused_twice_is_a_key_error)
{
	fx_chorus *c = client();
	fx_chorus_invoice *inv = NULL;
	size_t n;

	fake_fault(SEARCH_PATH, "401", "\"count\": 2");
	ck_assert_int_eq(fx_chorus_invoices_search(&inv, &n, c, NULL), FX_EKEY);
	assert_msg_has("HTTP 401");
	assert_msg_has("token expired or unknown");
	ck_assert_int_eq(stats_requests(SEARCH_PATH), 2);
	ck_assert_int_eq(stats_tokens(), 2);
	fx_chorus_free(c);
}
END_TEST

START_TEST(deposit_is_repeated_once_when_the_token_is_refused)
{
	fx_chorus *c = client();
	fx_chorus_deposit d;

	fake_fault(DEPOSIT_PATH, "401", NULL);
	assert_ok(deposit_ubl(c, &d, "F-401-1"));
	ck_assert_ptr_nonnull(d.flow);
	ck_assert_int_eq(stats_requests(DEPOSIT_PATH), 2);
	ck_assert_int_eq(deposit_count(), 1);
	fx_chorus_deposit_clear(&d);
	fx_chorus_free(c);
}
END_TEST

/*
 * The API refused the token of a deposit (before any processing), and
 * PISTE then gave no new one: the flow surely does not exist.
 */
START_TEST(deposit_whose_token_cannot_be_renewed_surely_did_not_arrive)
{
	fx_chorus_opts o;
	fx_chorus *c;
	fx_chorus_deposit d;

	opts_from_env(&o);
	o.retries = 0;
	c = client_with(&o);
	assert_ok(fx_chorus_check(c));
	fake_fault(DEPOSIT_PATH, "401", NULL);
	fake_fault(TOKEN_PATH, "503", NULL);
	ck_assert_int_eq(deposit_ubl(c, &d, "F-401-2"), FX_ENET);
	assert_msg_has("PISTE is unavailable (HTTP 503)");
	ck_assert_int_eq(d.maybe_sent, 0);
	ck_assert_ptr_null(d.flow);
	ck_assert_int_eq(stats_requests(DEPOSIT_PATH), 1);
	ck_assert_int_eq(deposit_count(), 0);
	fx_chorus_free(c);
}
END_TEST

START_TEST(token_endpoint_unavailable_is_retried)
{
	fx_chorus *c = client();

	fake_fault(TOKEN_PATH, "503", NULL);
	assert_ok(fx_chorus_check(c));
	ck_assert_int_eq(retries_seen, 1);
	ck_assert_int_eq(stats_requests(TOKEN_PATH), 2);
	fx_chorus_free(c);
}
END_TEST

/* ---- Deposits and reports ---------------------------------------------- */

START_TEST(deposit_returns_the_flow_and_is_recorded)
{
	fx_chorus *c = client();
	fx_chorus_deposit d;
	cJSON *list;
	const cJSON *dep;
	char today[16], sha[65];
	time_t t = time(NULL);
	struct tm tm;
	size_t len;
	char *xml = ubl_invoice("F-DEP-1", &len);

	assert_ok(fx_chorus_deposit_flow(&d, c, "F-DEP-1.xml", xml, len,
					 "IN_DP_E1_UBL_INVOICE"));
	ck_assert_ptr_nonnull(d.flow);
	ck_assert_uint_eq(strlen(d.flow), 25);
	ck_assert(!strncmp(d.flow, "CPP", 3));
	/* the fake dates deposits in its local time, as we do here */
	localtime_r(&t, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	ck_assert_ptr_nonnull(d.date);
	ck_assert_str_eq(d.date, today);
	ck_assert_str_eq(d.syntax, "IN_DP_E1_UBL_INVOICE");
	ck_assert_int_eq(d.maybe_sent, 0);

	list = deposits();
	ck_assert_int_eq(cJSON_GetArraySize(list), 1);
	dep = cJSON_GetArrayItem(list, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(dep, "flow")->valuestring, d.flow);
	ck_assert_str_eq(cJSON_GetObjectItem(dep, "nomFichier")->valuestring,
			 "F-DEP-1.xml");
	ck_assert_str_eq(cJSON_GetObjectItem(dep, "syntaxeFlux")->valuestring,
			 "IN_DP_E1_UBL_INVOICE");
	/* the bytes arrived intact, through base64 */
	sha256_hex(sha, xml, len);
	ck_assert_str_eq(cJSON_GetObjectItem(dep, "sha256")->valuestring, sha);
	ck_assert_int_eq(cJSON_GetObjectItem(dep, "size")->valueint, (int) len);
	cJSON_Delete(list);

	fx_chorus_deposit_clear(&d);
	ck_assert_ptr_null(d.flow);
	free(xml);
	fx_chorus_free(c);
}
END_TEST

START_TEST(deposited_invoice_is_integrated)
{
	fx_chorus *c = client();
	fx_chorus_deposit d;
	fx_chorus_flow_report r;

	assert_ok(deposit_ubl(c, &d, "F-OK-1"));
	assert_ok(fx_chorus_flow_report_get(&r, c, d.flow));
	ck_assert_str_eq(r.flow, d.flow);
	ck_assert_str_eq(r.state, "IN_INTEGRE");
	ck_assert_int_eq(fx_chorus_flow_classify(r.state), FX_FLOW_INTEGRATED);
	ck_assert_uint_eq(r.nerrors, 0);
	ck_assert_ptr_nonnull(r.deposit_time);
	fx_chorus_flow_report_clear(&r);
	ck_assert_ptr_null(r.state);
	fx_chorus_deposit_clear(&d);
	fx_chorus_free(c);
}
END_TEST

START_TEST(rejected_invoice_is_reported_with_its_error)
{
	fx_chorus *c = client();
	fx_chorus_deposit d;
	fx_chorus_flow_report r;

	assert_ok(deposit_ubl(c, &d, "F-REJECT-1"));
	assert_ok(fx_chorus_flow_report_get(&r, c, d.flow));
	ck_assert_str_eq(r.state, "IN_REJETE");
	ck_assert_int_eq(fx_chorus_flow_classify(r.state), FX_FLOW_FAILED);
	ck_assert_uint_eq(r.nerrors, 1);
	ck_assert_str_eq(r.errors[0].invoice, "F-REJECT-1");
	ck_assert_ptr_nonnull(r.errors[0].message);
	ck_assert(strstr(r.errors[0].message, "F-REJECT-1") != NULL);
	fx_chorus_flow_report_clear(&r);
	fx_chorus_deposit_clear(&d);
	fx_chorus_free(c);
}
END_TEST

START_TEST(report_of_an_unknown_flow_is_a_remote_error)
{
	fx_chorus *c = client();
	fx_chorus_flow_report r;

	ck_assert_int_eq(
		fx_chorus_flow_report_get(&r, c, "CPP0011110000000000099999"),
		FX_ENET);
	assert_msg_has("Chorus Pro refused the request: codeRetour");
	ck_assert_ptr_null(r.state);
	fx_chorus_free(c);
}
END_TEST

START_TEST(deposit_is_not_retried_on_503)
{
	fx_chorus *c = client();
	fx_chorus_deposit d;

	fake_fault(DEPOSIT_PATH, "503", NULL);
	ck_assert_int_eq(deposit_ubl(c, &d, "F-503-1"), FX_ENET);
	assert_msg_has("Chorus Pro is unavailable (HTTP 503)");
	ck_assert_int_eq(d.maybe_sent, 0);
	ck_assert_ptr_null(d.flow);
	ck_assert_int_eq(retries_seen, 0);
	ck_assert_int_eq(stats_requests(DEPOSIT_PATH), 1);
	ck_assert_int_eq(deposit_count(), 0);
	fx_chorus_free(c);
}
END_TEST

START_TEST(deposit_timeout_after_sending_may_have_arrived)
{
	fx_chorus_opts o;
	fx_chorus *c;
	fx_chorus_deposit d;

	opts_from_env(&o);
	o.timeout_ms = 1000;
	c = client_with(&o);
	fake_fault(DEPOSIT_PATH, "commit-then-slow", "\"delay\": 3");
	ck_assert_int_eq(deposit_ubl(c, &d, "F-SLOW-1"), FX_ENET);
	assert_msg_has("no answer from 127.0.0.1:");
	assert_msg_has("within 1 s");
	ck_assert_int_eq(d.maybe_sent, 1);
	/* and it did arrive: exactly why it must not be sent again */
	ck_assert_int_eq(deposit_count(), 1);
	ck_assert_int_eq(stats_requests(DEPOSIT_PATH), 1);
	ck_assert_int_eq(retries_seen, 0);
	fx_chorus_free(c);
}
END_TEST

/*
 * The connection closed without an answer: the client cannot tell a
 * server that dropped the request from one that processed it first, so
 * both are "maybe sent".  The fake's "reset" drops it before processing
 * (nothing recorded), "commit-then-reset" after (recorded).
 */
START_TEST(deposit_reset_is_maybe_sent_either_way)
{
	fx_chorus *c = client();
	fx_chorus_deposit d;

	fake_fault(DEPOSIT_PATH, "reset", NULL);
	ck_assert_int_eq(deposit_ubl(c, &d, "F-RESET-1"), FX_ENET);
	ck_assert_int_eq(d.maybe_sent, 1);
	ck_assert_int_eq(deposit_count(), 0);

	fake_fault(DEPOSIT_PATH, "commit-then-reset", NULL);
	ck_assert_int_eq(deposit_ubl(c, &d, "F-RESET-2"), FX_ENET);
	ck_assert_int_eq(d.maybe_sent, 1);
	ck_assert_int_eq(deposit_count(), 1);

	ck_assert_int_eq(stats_requests(DEPOSIT_PATH), 2);
	ck_assert_int_eq(retries_seen, 0);
	fx_chorus_free(c);
}
END_TEST

START_TEST(deposit_to_a_closed_port_surely_did_not_arrive)
{
	fx_chorus_opts o;
	fx_chorus *c;
	fx_chorus_deposit d;

	/* the token from the fake, an API URL where nothing listens */
	opts_from_env(&o);
	o.api_url = "http://127.0.0.1:9";
	c = client_with(&o);
	ck_assert_int_eq(deposit_ubl(c, &d, "F-CLOSED-1"), FX_ENET);
	assert_msg_has("cannot connect to 127.0.0.1:9");
	ck_assert_int_eq(d.maybe_sent, 0);
	ck_assert_int_eq(retries_seen, 0);
	fx_chorus_free(c);
}
END_TEST

/*
 * A port on loopback where connections are never accepted: a listener
 * with a backlog of 0 whose only place is taken, so that the kernel drops
 * the SYN of any other client, which then waits.
 */
static int black_hole(int *filler)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 0), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &a, &alen), 0);
	*filler = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(*filler, 0);
	ck_assert_int_eq(connect(*filler, (struct sockaddr *) &a, sizeof(a)),
			 0);
	return fd;
}

START_TEST(deposit_that_cannot_connect_in_time_surely_did_not_arrive)
{
	fx_chorus_opts o;
	fx_chorus *c;
	fx_chorus_deposit d;
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	char url[64], where[64];
	int filler, fd = black_hole(&filler);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &a, &alen), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(where, sizeof(where), "cannot connect to 127.0.0.1:%d",
		 ntohs(a.sin_port));
	/* the token from the fake, an API URL that never answers */
	opts_from_env(&o);
	o.api_url = url;
	o.timeout_ms = 1000;
	c = client_with(&o);
	ck_assert_int_eq(deposit_ubl(c, &d, "F-HOLE-1"), FX_ENET);
	/* it says what did not happen, and after how long */
	assert_msg_has(where);
	assert_msg_has("within 1 s");
	ck_assert_int_eq(d.maybe_sent, 0);
	ck_assert_int_eq(retries_seen, 0);
	fx_chorus_free(c);
	close(filler);
	close(fd);
}
END_TEST

START_TEST(coderetour_with_http_200_is_an_error_with_the_libelle)
{
	fx_chorus *c = client();
	fx_chorus_deposit d;

	fake_fault(DEPOSIT_PATH, "codeRetour",
		   "\"status\": 200, \"codeRetour\": 20001, "
		   "\"libelle\": \"GDP_MSG_11.022\"");
	ck_assert_int_eq(deposit_ubl(c, &d, "F-CR-1"), FX_ENET);
	assert_msg_has("Chorus Pro refused the request: codeRetour 20001 "
		       "(GDP_MSG_11.022)");
	ck_assert_int_eq(d.maybe_sent, 0);
	ck_assert_int_eq(fx_chorus_last_http_status(c), 200);
	fx_chorus_free(c);
}
END_TEST

START_TEST(coderetour_with_http_400_is_an_error_with_the_libelle)
{
	fx_chorus *c = client();
	fx_chorus_deposit d;

	fake_fault(DEPOSIT_PATH, "codeRetour",
		   "\"status\": 400, \"codeRetour\": 20001, "
		   "\"libelle\": \"GDP_MSG_11.022\"");
	ck_assert_int_eq(deposit_ubl(c, &d, "F-CR-2"), FX_ENET);
	assert_msg_has("codeRetour 20001 (GDP_MSG_11.022)");
	ck_assert_int_eq(d.maybe_sent, 0);
	ck_assert_int_eq(fx_chorus_last_http_status(c), 400);
	fx_chorus_free(c);
}
END_TEST

START_TEST(file_too_large_for_the_fake_is_refused_with_its_code)
{
	fx_chorus *c = client();
	fx_chorus_deposit d;

	fake_config("{\"max_bytes\": 100}");
	ck_assert_int_eq(deposit_ubl(c, &d, "F-BIG-1"), FX_ENET);
	assert_msg_has("codeRetour 20001");
	ck_assert_int_eq(d.maybe_sent, 0);
	ck_assert_int_eq(deposit_count(), 0);
	fx_chorus_free(c);
}
END_TEST

START_TEST(malformed_answer_is_an_error_quoting_it)
{
	fx_chorus *c = client();
	fx_chorus_deposit d;
	fx_chorus_invoice *inv = NULL;
	size_t n;

	fake_fault(SEARCH_PATH, "malformed", NULL);
	ck_assert_int_eq(fx_chorus_invoices_search(&inv, &n, c, NULL), FX_ENET);
	assert_msg_has("malformed answer from Chorus Pro");
	assert_msg_has("<html>");
	ck_assert_ptr_null(inv);
	ck_assert_int_eq(retries_seen, 0);

	/* on a deposit, a 200 we cannot read may hide an accepted flow */
	fake_fault(DEPOSIT_PATH, "malformed", NULL);
	ck_assert_int_eq(deposit_ubl(c, &d, "F-MAL-1"), FX_ENET);
	assert_msg_has("malformed answer from Chorus Pro");
	ck_assert_int_eq(d.maybe_sent, 1);
	ck_assert_ptr_null(d.flow);
	fx_chorus_free(c);
}
END_TEST

START_TEST(empty_answer_is_an_error)
{
	fx_chorus *c = client();
	fx_chorus_flow_report r;

	fake_fault(REPORT_PATH, "empty", NULL);
	ck_assert_int_eq(
		fx_chorus_flow_report_get(&r, c, "CPP0011110000000000000001"),
		FX_ENET);
	assert_msg_has("malformed answer from Chorus Pro");
	assert_msg_has("empty body");
	fx_chorus_free(c);
}
END_TEST

/* ---- Searches ---------------------------------------------------------- */

START_TEST(search_is_retried_after_two_503)
{
	fx_chorus *c = client();
	fx_chorus_deposit d;
	fx_chorus_invoice *inv = NULL;
	fx_chorus_invoice_query q = { 0 };
	size_t n = 0;

	assert_ok(deposit_ubl(c, &d, "F-RETRY-1"));
	fake_fault(SEARCH_PATH, "503", "\"count\": 2");
	q.flow = d.flow;
	assert_ok(fx_chorus_invoices_search(&inv, &n, c, &q));
	ck_assert_int_eq(retries_seen, 2);
	ck_assert_int_eq(stats_requests(SEARCH_PATH), 3);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(inv[0].number, "F-RETRY-1");
	ck_assert_str_eq(inv[0].flow, d.flow);
	fx_chorus_invoices_free(inv, n);
	fx_chorus_deposit_clear(&d);
	fx_chorus_free(c);
}
END_TEST

/* On a connection kept from the call before: it was made, the answer
 * did not come. */
START_TEST(search_timeout_is_no_answer_within_the_timeout)
{
	fx_chorus_opts o;
	fx_chorus *c;
	fx_chorus_invoice *inv = NULL;
	size_t n = 0;

	opts_from_env(&o);
	o.timeout_ms = 1500;
	o.retries = 0;
	c = client_with(&o);
	assert_ok(fx_chorus_check(c));
	fake_fault(SEARCH_PATH, "slow", "\"delay\": 3");
	ck_assert_int_eq(fx_chorus_invoices_search(&inv, &n, c, NULL), FX_ENET);
	assert_msg_has("no answer from 127.0.0.1:");
	assert_msg_has("within 1.5 s");
	ck_assert_ptr_null(inv);
	fx_chorus_free(c);
}
END_TEST

/* A deposit of several MiB gets time to be sent: the same slow server
 * answers it, where a small deposit gives up at the timeout. */
START_TEST(large_deposit_gets_time_to_be_sent)
{
	const size_t pad = 3 * 1024 * 1024;
	fx_chorus_deposit d = { 0 };
	fx_chorus_opts o;
	fx_chorus *c;
	size_t len, at;
	char *xml = ubl_invoice("F-LARGE-1", &len), *big;

	/* the invoice with 3 MiB of comment after its root */
	ck_assert_ptr_nonnull(big = malloc(len + pad + 16));
	memcpy(big, xml, len);
	at = len;
	memcpy(big + at, "<!--", 4);
	memset(big + at + 4, 'x', pad);
	memcpy(big + at + 4 + pad, "-->\n", 4);
	opts_from_env(&o);
	o.timeout_ms = 1000;
	c = client_with(&o);
	assert_ok(fx_chorus_check(c));
	fake_fault(DEPOSIT_PATH, "commit-then-slow", "\"delay\": 2");
	assert_ok(fx_chorus_deposit_flow(&d, c, "large.xml", big, len + pad + 8,
					 "IN_DP_E1_UBL_INVOICE"));
	ck_assert_ptr_nonnull(d.flow);
	fx_chorus_deposit_clear(&d);
	fake_fault(DEPOSIT_PATH, "commit-then-slow", "\"delay\": 2");
	ck_assert_int_eq(fx_chorus_deposit_flow(&d, c, "small.xml", xml, len,
						"IN_DP_E1_UBL_INVOICE"),
			 FX_ENET);
	assert_msg_has("within 1 s");
	ck_assert_int_eq(d.maybe_sent, 1);
	fx_chorus_deposit_clear(&d);
	free(big);
	free(xml);
	fx_chorus_free(c);
}
END_TEST

/* A 503 with Retry-After: 1 waits that second, not the 10 ms backoff. */
START_TEST(retry_after_is_honoured)
{
	fx_chorus *c = client();
	fx_chorus_invoice *inv = NULL;
	size_t n = 0;

	retries_seen = 0;
	last_retry_delay = 0;
	fake_fault(SEARCH_PATH, "503", "\"retry_after\": 1");
	assert_ok(fx_chorus_invoices_search(&inv, &n, c, NULL));
	ck_assert_int_eq(retries_seen, 1);
	ck_assert_msg(last_retry_delay >= 1000 && last_retry_delay <= 1250,
		      "paused %ld ms", last_retry_delay);
	fx_chorus_invoices_free(inv, n);
	fx_chorus_free(c);
}
END_TEST

START_TEST(search_gives_up_after_the_retries)
{
	fx_chorus_opts o;
	fx_chorus *c;
	fx_chorus_invoice *inv = NULL;
	size_t n = 7;

	opts_from_env(&o);
	o.retries = 2;
	c = client_with(&o);
	fake_fault(SEARCH_PATH, "500", "\"count\": 5");
	ck_assert_int_eq(fx_chorus_invoices_search(&inv, &n, c, NULL), FX_ENET);
	assert_msg_has("Chorus Pro is unavailable (HTTP 500)");
	ck_assert_int_eq(retries_seen, 2);
	ck_assert_int_eq(stats_requests(SEARCH_PATH), 3);
	ck_assert_ptr_null(inv);
	ck_assert_uint_eq(n, 0);
	fx_chorus_free(c);
}
END_TEST

START_TEST(search_without_result_is_empty_in_both_styles)
{
	fx_chorus *c = client();
	fx_chorus_invoice *inv = NULL;
	fx_chorus_invoice_query q = { 0 };
	size_t n = 5;

	q.number = "NO-SUCH-INVOICE";
	assert_ok(fx_chorus_invoices_search(&inv, &n, c, &q));
	ck_assert_uint_eq(n, 0);
	fake_config("{\"no_result_style\": \"empty\"}");
	n = 5;
	assert_ok(fx_chorus_invoices_search(&inv, &n, c, &q));
	ck_assert_uint_eq(n, 0);
	fx_chorus_invoices_free(inv, n);
	fx_chorus_free(c);
}
END_TEST

/* 201 invoices in one zip flow: pages of 100, 100 and 1. */
START_TEST(search_follows_every_page)
{
	enum { N = 201 };
	fx_chorus *c = client();
	fx_chorus_deposit d;
	fx_chorus_invoice *inv = NULL;
	fx_chorus_invoice_query q = { 0 };
	fx_zip_member m[N];
	char *xml[N], *names[N];
	struct tbuf zip = TBUF_INIT, number = TBUF_INIT;
	size_t n = 0, i, j, len;
	int seen[N];

	for (i = 0; i < N; i++) {
		tbuf_printf(&number, "F-PAGE-%03zu", i);
		xml[i] = ubl_invoice(number.ptr, &len);
		names[i] = malloc(number.len + 5);
		ck_assert_ptr_nonnull(names[i]);
		snprintf(names[i], number.len + 5, "%s.xml", number.ptr);
		m[i].name = names[i];
		m[i].data = xml[i];
		m[i].len = len;
		number.len = 0;
	}
	assert_ok(fx_zip_write(ctx, m, N, tbuf_write, &zip));
	assert_ok(fx_chorus_deposit_flow(&d, c, "lot.zip", zip.ptr, zip.len,
					 "IN_DP_E1_UBL_INVOICE"));
	q.flow = d.flow;
	assert_ok(fx_chorus_invoices_search(&inv, &n, c, &q));
	ck_assert_uint_eq(n, N);
	ck_assert_int_eq(stats_requests(SEARCH_PATH), 3);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(inv[i].flow, d.flow);
		ck_assert_ptr_nonnull(inv[i].number);
		ck_assert(!strncmp(inv[i].number, "F-PAGE-", 7));
		j = strtoul(inv[i].number + 7, NULL, 10);
		ck_assert_uint_lt(j, N);
		ck_assert_msg(!seen[j], "%s twice", inv[i].number);
		seen[j] = 1;
		ck_assert(inv[i].id > 0);
		ck_assert_ptr_nonnull(inv[i].status);
	}
	fx_chorus_invoices_free(inv, n);
	fx_chorus_deposit_clear(&d);
	for (i = 0; i < N; i++) {
		free(xml[i]);
		free(names[i]);
	}
	tbuf_release(&zip);
	tbuf_release(&number);
	fx_chorus_free(c);
}
END_TEST

START_TEST(invoice_status_follows_its_history)
{
	fx_chorus *c = client();
	fx_chorus_deposit d;
	fx_chorus_invoice *inv = NULL;
	fx_chorus_invoice_query q = { 0 };
	size_t n = 0;
	char *s1 = NULL, *s2 = NULL;

	assert_ok(deposit_ubl(c, &d, "F-STATUS-1"));
	q.number = "F-STATUS-1";
	assert_ok(fx_chorus_invoices_search(&inv, &n, c, &q));
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(inv[0].status, "DEPOSEE");
	ck_assert_str_eq(inv[0].type, "FACTURE");
	/* montantTTC 5293.68 as the JSON wrote it, not as a double */
	ck_assert_ptr_nonnull(inv[0].amount);
	ck_assert_str_eq(inv[0].amount, "5293.68");
	assert_ok(fx_chorus_invoice_status(&s1, c, inv[0].id));
	assert_ok(fx_chorus_invoice_status(&s2, c, inv[0].id));
	ck_assert(!strcmp(s1, "DEPOSEE") || !strcmp(s1, "MISE_A_DISPOSITION"));
	ck_assert_str_ne(s1, s2);
	free(s1);
	free(s2);
	/* an id the platform does not know */
	ck_assert_int_eq(fx_chorus_invoice_status(&s1, c, 987654321), FX_ENET);
	ck_assert_ptr_null(s1);
	fx_chorus_invoices_free(inv, n);
	fx_chorus_deposit_clear(&d);
	fx_chorus_free(c);
}
END_TEST

START_TEST(post_gives_the_raw_answer)
{
	fx_chorus *c = client();
	char *answer = NULL;
	cJSON *root;

	assert_ok(fx_chorus_post(c, "/cpro/transverses/v1/recuperer/formatflux",
				 NULL, 1, &answer));
	root = cJSON_Parse(answer);
	ck_assert(cJSON_IsArray(cJSON_GetObjectItem(root, "listeFormatFlux")));
	cJSON_Delete(root);
	free(answer);
	ck_assert_int_eq(
		fx_chorus_post(c, "/cpro/no/such/operation", "{}", 1, &answer),
		FX_ENET);
	assert_msg_has("HTTP 404");
	ck_assert_int_eq(fx_chorus_last_http_status(c), 404);
	ck_assert_ptr_null(answer);
	fx_chorus_free(c);
}
END_TEST

/* HTTP errors without a body: each one named, none retried. */
START_TEST(http_errors_are_named)
{
	static const struct {
		const char *status, *words;
	} cases[] = { { "413", "too large (HTTP 413)" },
		      { "415", "format of the request (HTTP 415)" },
		      { "404", "(HTTP 404)" } };
	fx_chorus *c = client();
	fx_chorus_flow_report r;
	char extra[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(extra, sizeof(extra), "\"status\": %s",
			 cases[i].status);
		fake_fault("/cpro/transverses/v1/consulterCRDetaille", "empty",
			   extra);
		memset(&r, 0, sizeof(r));
		ck_assert_int_eq(fx_chorus_flow_report_get(&r, c, "CPP1"),
				 FX_ENET);
		assert_msg_has(cases[i].words);
		ck_assert_int_eq(fx_chorus_last_http_status(c),
				 atoi(cases[i].status));
	}
	fx_chorus_free(c);
}
END_TEST

/* ---- Structures -------------------------------------------------------- */

static void lookup_ok(fx_chorus *c, fx_chorus_structure *s, const char *siret)
{
	int err = fx_chorus_structure_lookup(s, c, siret);

	ck_assert_msg(err == 0, "lookup %s: %d %s", siret, err, msg());
	ck_assert_str_eq(s->siret, siret);
	ck_assert(s->id > 0);
	ck_assert_ptr_nonnull(s->fetched);
	ck_assert_uint_eq(strlen(s->fetched), 20);
	ck_assert_int_eq(s->fetched[19], 'Z');
}

START_TEST(structure_lookup_of_the_seeded_buyers)
{
	fx_chorus *c = client();
	fx_chorus_structure s;

	lookup_ok(c, &s, SIRET_MINISTERE);
	ck_assert_int_eq(s.id, 26300001);
	ck_assert_str_eq(s.name, "MINISTERE DES ESSAIS");
	ck_assert_str_eq(s.status, "ACTIVE");
	ck_assert(!s.service_required && !s.commitment_required &&
		  !s.service_or_commitment);
	ck_assert_uint_eq(s.nservices, 1); /* ANCIEN is inactive */
	ck_assert_str_eq(s.services[0].code, "ACHATS");
	ck_assert_int_eq(s.services[0].id, 10600001);
	ck_assert_int_eq(s.services[0].commitment_required, 0);
	fx_chorus_structure_clear(&s);
	ck_assert_ptr_null(s.siret);

	lookup_ok(c, &s, SIRET_COMMUNE);
	ck_assert(s.service_required && !s.commitment_required);
	ck_assert_uint_eq(s.nservices, 2);
	ck_assert_str_eq(s.services[0].code, "MAIRIE");
	ck_assert_str_eq(s.services[1].code, "CANTINE");
	fx_chorus_structure_clear(&s);

	lookup_ok(c, &s, SIRET_HOPITAL);
	ck_assert(!s.service_required && s.commitment_required);
	ck_assert_uint_eq(s.nservices, 0);
	fx_chorus_structure_clear(&s);

	lookup_ok(c, &s, SIRET_REGION);
	ck_assert(s.service_or_commitment);
	ck_assert_uint_eq(s.nservices, 2);
	ck_assert_str_eq(s.services[0].code, "TRAVAUX");
	ck_assert_int_eq(s.services[0].commitment_required, 1);
	ck_assert_str_eq(s.services[1].code, "CULTURE");
	ck_assert_int_eq(s.services[1].commitment_required, 0);
	fx_chorus_structure_clear(&s);

	lookup_ok(c, &s, SIRET_LYCEE);
	ck_assert_str_eq(s.status, "INACTIVE");
	fx_chorus_structure_clear(&s);
	fx_chorus_free(c);
}
END_TEST

START_TEST(unknown_siret_is_not_found)
{
	fx_chorus *c = client();
	fx_chorus_structure s;

	ck_assert_int_eq(fx_chorus_structure_lookup(&s, c, SIRET_UNKNOWN), 1);
	ck_assert_ptr_null(s.siret);
	ck_assert_uint_eq(s.nservices, 0);
	fake_config("{\"no_result_style\": \"empty\"}");
	ck_assert_int_eq(fx_chorus_structure_lookup(&s, c, SIRET_UNKNOWN), 1);
	ck_assert_ptr_null(s.siret);
	fx_chorus_free(c);
}
END_TEST

START_TEST(unsubscribed_api_is_a_key_error)
{
	fx_chorus *c = client();
	fx_chorus_structure s;

	fake_config("{\"unsubscribed\": [\"structures\"]}");
	ck_assert_int_eq(fx_chorus_structure_lookup(&s, c, SIRET_MINISTERE),
			 FX_EKEY);
	assert_msg_has("access refused (HTTP 403)");
	assert_msg_has("subscribed");
	ck_assert_int_eq(retries_seen, 0);
	fx_chorus_free(c);
}
END_TEST

START_TEST(structure_json_round_trip)
{
	fx_chorus *c = client();
	fx_chorus_structure s, back;
	char *json = NULL, *again = NULL;

	lookup_ok(c, &s, SIRET_REGION);
	assert_ok(fx_chorus_structure_to_json(&json, &s));
	assert_ok(fx_chorus_structure_from_json(&back, ctx, json));
	ck_assert_str_eq(back.siret, s.siret);
	ck_assert_int_eq(back.id, s.id);
	ck_assert_str_eq(back.name, s.name);
	ck_assert_str_eq(back.status, s.status);
	ck_assert_int_eq(back.service_or_commitment, 1);
	ck_assert_uint_eq(back.nservices, 2);
	ck_assert_str_eq(back.services[0].code, "TRAVAUX");
	ck_assert_str_eq(back.services[0].label, s.services[0].label);
	ck_assert_int_eq(back.services[0].id, s.services[0].id);
	ck_assert_int_eq(back.services[0].commitment_required, 1);
	ck_assert_str_eq(back.fetched, s.fetched);
	assert_ok(fx_chorus_structure_to_json(&again, &back));
	ck_assert_str_eq(again, json);
	free(json);
	free(again);
	fx_chorus_structure_clear(&s);
	fx_chorus_structure_clear(&back);
	fx_chorus_free(c);
}
END_TEST

/* ---- Without the server ------------------------------------------------ */

START_TEST(structure_json_with_wrong_types_is_a_parse_error)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"id\": 1}",
		"{\"siret\": 12, \"id\": 1}",
		"{\"siret\": \"1\", \"id\": \"1\"}",
		"{\"siret\": \"1\", \"id\": 1.5}",
		"{\"siret\": \"1\", \"id\": 1e300}",
		"{\"siret\": \"1\", \"id\": -4}",
		"{\"siret\": \"1\", \"id\": 1, \"service_required\": 1}",
		"{\"siret\": \"1\", \"id\": 1, \"services\": {}}",
		"{\"siret\": \"1\", \"id\": 1, \"services\": [3]}",
		"{\"siret\": \"1\", \"id\": 1, \"services\": [{\"id\": 2}]}",
		"{\"siret\": \"1\", \"id\": 1, \"services\": "
		"[{\"code\": \"A\", \"id\": 2, \"commitment_required\": "
		"\"yes\"}]}",
		"{\"siret\": \"1\", \"id\": 1, \"name\": []}",
	};
	fx_chorus_structure s;
	size_t i;

	ctx = t_ctx();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(fx_chorus_structure_from_json(&s, ctx, bad[i]) ==
				      FX_EPARSE,
			      "accepted %s", bad[i]);
		ck_assert_ptr_null(s.siret);
		ck_assert_ptr_null(s.services);
		ck_assert(*msg());
	}
	assert_ok(fx_chorus_structure_from_json(
		&s, ctx, "{\"siret\": \"1\", \"id\": 7, \"name\": null}"));
	ck_assert_str_eq(s.siret, "1");
	ck_assert_int_eq(s.id, 7);
	ck_assert_ptr_null(s.name);
	ck_assert_uint_eq(s.nservices, 0);
	fx_chorus_structure_clear(&s);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(flow_states_are_classified)
{
	ck_assert_int_eq(fx_chorus_flow_classify("IN_INTEGRE"),
			 FX_FLOW_INTEGRATED);
	ck_assert_int_eq(fx_chorus_flow_classify("IN_INTEGRE_PARTIEL"),
			 FX_FLOW_PARTIAL);
	ck_assert_int_eq(fx_chorus_flow_classify("IN_REJETE"), FX_FLOW_FAILED);
	ck_assert_int_eq(fx_chorus_flow_classify("IN_INCIDENTE"),
			 FX_FLOW_FAILED);
	ck_assert_int_eq(fx_chorus_flow_classify("QP_IRRECEVABLE"),
			 FX_FLOW_FAILED);
	ck_assert_int_eq(fx_chorus_flow_classify("QP_RECEVABLE_AVEC_ERREUR"),
			 FX_FLOW_FAILED);
	ck_assert_int_eq(fx_chorus_flow_classify("IN_A_RELANCER"),
			 FX_FLOW_FAILED);
	ck_assert_int_eq(fx_chorus_flow_classify("IN_ERREUR_INTERNE"),
			 FX_FLOW_FAILED);
	ck_assert_int_eq(fx_chorus_flow_classify("IN_RECU"), FX_FLOW_PENDING);
	ck_assert_int_eq(fx_chorus_flow_classify("QP_RECEVABLE"),
			 FX_FLOW_PENDING);
	ck_assert_int_eq(fx_chorus_flow_classify("SOMETHING_NEW"),
			 FX_FLOW_PENDING);
	ck_assert_int_eq(fx_chorus_flow_classify("in_integre"),
			 FX_FLOW_PENDING);
	ck_assert_int_eq(fx_chorus_flow_classify(NULL), FX_FLOW_PENDING);
}
END_TEST

START_TEST(syntaxes_and_environments)
{
	fx_chorus_env env = FX_CHORUS_PRODUCTION;

	ck_assert_str_eq(fx_chorus_flow_syntax(FX_SYNTAX_UBL_INVOICE),
			 "IN_DP_E1_UBL_INVOICE");
	ck_assert_str_eq(fx_chorus_flow_syntax(FX_SYNTAX_UBL_CREDITNOTE),
			 "IN_DP_E1_UBL_INVOICE");
	ck_assert_str_eq(fx_chorus_flow_syntax(FX_SYNTAX_CII),
			 "IN_DP_E1_CII_16B");
	ck_assert_str_eq(fx_chorus_flow_syntax(FX_SYNTAX_PDF),
			 "IN_DP_E2_CII_FACTURX");
	ck_assert_ptr_null(fx_chorus_flow_syntax(FX_SYNTAX_ZIP));
	ck_assert_ptr_null(fx_chorus_flow_syntax(FX_SYNTAX_ZUGFERD1));
	ck_assert_ptr_null(fx_chorus_flow_syntax(FX_SYNTAX_OTHER_XML));

	ck_assert_int_eq(fx_chorus_env_parse(&env, "sandbox"), 0);
	ck_assert_int_eq(env, FX_CHORUS_SANDBOX);
	ck_assert_int_eq(fx_chorus_env_parse(&env, "prod"), 0);
	ck_assert_int_eq(env, FX_CHORUS_PRODUCTION);
	ck_assert_int_eq(fx_chorus_env_parse(&env, "qualif"), 0);
	ck_assert_int_eq(env, FX_CHORUS_SANDBOX);
	ck_assert_int_eq(fx_chorus_env_parse(&env, "production"), 0);
	ck_assert_int_eq(env, FX_CHORUS_PRODUCTION);
	ck_assert_int_eq(fx_chorus_env_parse(&env, "staging"), FX_EINVALID);
	ck_assert_int_eq(fx_chorus_env_parse(&env, NULL), FX_EINVALID);
	ck_assert_str_eq(fx_chorus_env_name(FX_CHORUS_SANDBOX), "sandbox");
	ck_assert_str_eq(fx_chorus_env_name(FX_CHORUS_PRODUCTION),
			 "production");
	ck_assert_str_eq(fx_chorus_default_api_url(FX_CHORUS_PRODUCTION),
			 "https://api.piste.gouv.fr");
	ck_assert_str_eq(fx_chorus_default_token_url(FX_CHORUS_PRODUCTION),
			 "https://oauth.piste.gouv.fr/api/oauth/token");
	ck_assert_str_eq(fx_chorus_default_api_url(FX_CHORUS_SANDBOX),
			 "https://sandbox-api.piste.gouv.fr");
	ck_assert_str_eq(fx_chorus_default_token_url(FX_CHORUS_SANDBOX),
			 "https://sandbox-oauth.piste.gouv.fr/api/oauth/token");
}
END_TEST

static Suite *chorus_client_suite(void)
{
	Suite *s = suite_create("chorus_client");
	TCase *tc = tcase_create("server");
	TCase *off = tcase_create("offline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, check_succeeds_with_the_right_credentials);
	tcase_add_test(tc, wrong_client_secret_is_a_key_error);
	tcase_add_test(tc, wrong_password_is_a_key_error_with_the_reason);
	tcase_add_test(tc, untrusted_certificate_is_a_network_error_about_tls);
	tcase_add_test(tc, system_trust_store_does_not_trust_the_test_ca);
	tcase_add_test(tc, missing_credentials_are_named);
	tcase_add_test(tc, unknown_environment_is_refused);
	tcase_add_test(tc, urls_are_checked);
	tcase_add_test(tc, nothing_listening_is_a_network_error);
	tcase_add_test(tc, token_is_kept_then_renewed_before_it_expires);
	tcase_add_test(tc, revoked_token_is_renewed_and_the_call_repeated_once);
	tcase_add_test(tc, token_refused_twice_is_a_key_error);
	tcase_add_test(tc, deposit_is_repeated_once_when_the_token_is_refused);
	tcase_add_test(
		tc,
		deposit_whose_token_cannot_be_renewed_surely_did_not_arrive);
	tcase_add_test(tc, token_endpoint_unavailable_is_retried);
	tcase_add_test(tc, deposit_returns_the_flow_and_is_recorded);
	tcase_add_test(tc, deposited_invoice_is_integrated);
	tcase_add_test(tc, rejected_invoice_is_reported_with_its_error);
	tcase_add_test(tc, report_of_an_unknown_flow_is_a_remote_error);
	tcase_add_test(tc, deposit_is_not_retried_on_503);
	tcase_add_test(tc, deposit_timeout_after_sending_may_have_arrived);
	tcase_add_test(tc, deposit_reset_is_maybe_sent_either_way);
	tcase_add_test(tc, deposit_to_a_closed_port_surely_did_not_arrive);
	tcase_add_test(
		tc, deposit_that_cannot_connect_in_time_surely_did_not_arrive);
	tcase_add_test(tc,
		       coderetour_with_http_200_is_an_error_with_the_libelle);
	tcase_add_test(tc,
		       coderetour_with_http_400_is_an_error_with_the_libelle);
	tcase_add_test(tc,
		       file_too_large_for_the_fake_is_refused_with_its_code);
	tcase_add_test(tc, malformed_answer_is_an_error_quoting_it);
	tcase_add_test(tc, empty_answer_is_an_error);
	tcase_add_test(tc, search_is_retried_after_two_503);
	tcase_add_test(tc, search_timeout_is_no_answer_within_the_timeout);
	tcase_add_test(tc, large_deposit_gets_time_to_be_sent);
	tcase_add_test(tc, retry_after_is_honoured);
	tcase_add_test(tc, search_gives_up_after_the_retries);
	tcase_add_test(tc, search_without_result_is_empty_in_both_styles);
	tcase_add_test(tc, search_follows_every_page);
	tcase_add_test(tc, invoice_status_follows_its_history);
	tcase_add_test(tc, post_gives_the_raw_answer);
	tcase_add_test(tc, http_errors_are_named);
	tcase_add_test(tc, structure_lookup_of_the_seeded_buyers);
	tcase_add_test(tc, unknown_siret_is_not_found);
	tcase_add_test(tc, unsubscribed_api_is_a_key_error);
	tcase_add_test(tc, structure_json_round_trip);
	suite_add_tcase(s, tc);

	tcase_add_test(off, structure_json_with_wrong_types_is_a_parse_error);
	tcase_add_test(off, flow_states_are_classified);
	tcase_add_test(off, syntaxes_and_environments);
	suite_add_tcase(s, off);
	return s;
}

int main(void)
{
	if (!env_or_null("FAKE_CHORUS_URL")) {
		fprintf(stderr, "check_chorus_client: FAKE_CHORUS_URL is not "
				"set; run it under "
				"test/fake-chorus/with_server.py (skipped)\n");
		return 77;
	}
	return t_run(chorus_client_suite());
}
