/* SPDX-License-Identifier: MIT */
/*
 * fuzz_chorus.c - libFuzzer target: any bytes through the readers of the
 * Chorus Pro code (API answers, the buyer cache, the journal, profiles)
 *
 * The first byte chooses the reader, counted from 'a' (modulo 16):
 *
 *   a  any answer: codeRetour and libelle    i  consulter/historique
 *   b  PISTE token answer                    j  rechercherStructure
 *   c  OAuth2 error answer                   k  consulterStructure
 *   d  a WWW-Authenticate header             l  rechercherServices, a page
 *   e  health check                          m  consulterServiceStructure
 *   f  deposer/flux                          n  buyer cache entry (JSON)
 *   g  consulterCRDetaille                   o  journal file
 *   h  rechercher/fournisseur, a page        p  profile file (INI)
 *
 * and the rest is the input.  Besides memory errors, what the readers
 * promise is checked: text from an answer has no control characters, a
 * failed read leaves nothing behind, a cache entry written back reads
 * back the same.
 *
 * Build and run as fuzz_pdf (see test/fuzz/CMakeLists.txt): ctest -L fuzz
 * in a clang -DFX_FUZZ=ON build.  The default build runs it over
 * test/fuzz/corpus-chorus with the plain driver of test/pdf (test/unit).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <facture/facture.h>

#include "chorus_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLOW	"CPP0011110000000000001557"
#define SIRET	"11000201100044"
#define PROFILE "test"

static fx_ctx *ctx;
static char tmp_root[40];

static void check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* Text that came from an answer is printable: no control characters. */
static void check_clean(const char *s)
{
	if (!s)
		return;
	for (; *s; s++)
		check((unsigned char) *s >= 0x20 && *s != 0x7f);
}

static void cleanup(void)
{
	fx_ctx_free(ctx);
	ctx = NULL;
}

static int setup(void)
{
	const char *tmp = getenv("TMPDIR");

	fx_global_init();
	if (fx_ctx_new(&ctx) < 0)
		return -1;
	if (!tmp || !*tmp || strlen(tmp) >= sizeof(tmp_root))
		tmp = "/tmp";
	snprintf(tmp_root, sizeof(tmp_root), "%s", tmp);
	atexit(cleanup);
	return 0;
}

/*
 * Files for one input, in a directory of their own that is gone when the
 * input is done: libFuzzer may end the process without running atexit.
 */
struct scratch {
	char dir[64];
	char file[96];
	char lock[112];
};

static int scratch_open(struct scratch *t, const char *name)
{
	snprintf(t->dir, sizeof(t->dir), "%s/fuzz-chorus.XXXXXX", tmp_root);
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->file, sizeof(t->file), "%s/%s", t->dir, name);
	snprintf(t->lock, sizeof(t->lock), "%s.lock", t->file);
	return 0;
}

static void scratch_close(struct scratch *t)
{
	unlink(t->file);
	unlink(t->lock);
	rmdir(t->dir);
}

/* Replace the file at PATH by the bytes, mode 0600. */
static int put_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	fchmod(fd, 0600);
	while (size) {
		n = write(fd, data, size);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		data += n;
		size -= (size_t) n;
	}
	return close(fd);
}

static void answer(const char *json, size_t len)
{
	cJSON *root = NULL;
	int refused = 0, err;

	err = fx_chorus__parse_answer(&root, ctx, json, len, "/fuzz", 200, 1,
				      &refused);
	check(err <= 1);
	/* a codeRetour, to say no or "no result", needs a parsed object */
	check(err != 1 || root);
	check(!refused || (err < 0 && root));
	cJSON_Delete(root);
}

static void token(const char *json, size_t len)
{
	char *tok = NULL;
	long long life = 0;
	const char *p;

	if (fx_chorus__parse_token(ctx, json, len, &tok, &life) < 0) {
		check(tok == NULL);
		return;
	}
	check(tok && *tok && life > 0);
	for (p = tok; *p; p++)
		check(*p > 0x20 && *p < 0x7f);
	free(tok);
}

static void oauth_error(const char *json, size_t len)
{
	char reason[400];

	memset(reason, 'x', sizeof(reason));
	fx_chorus__parse_oauth_error(reason, sizeof(reason), json, len, 400);
	check(memchr(reason, '\0', sizeof(reason)) != NULL);
	check_clean(reason);
}

static void auth_param(const char *text)
{
	static const char *const names[] = { "error_description", "error",
					     "realm" };
	size_t i;
	char *v;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = fx_chorus__parse_auth_param(text, names[i]);
		check(!v || strlen(v) <= strlen(text));
		free(v);
	}
}

static void deposit(const char *json, size_t len)
{
	fx_chorus_deposit d;

	if (fx_chorus__parse_deposit(ctx, json, len, &d, "IN_DP_E1_CII_16B") <
	    0) {
		check(!d.flow && !d.date && !d.syntax);
		return;
	}
	check(d.flow && *d.flow && d.syntax && !d.maybe_sent);
	check_clean(d.flow);
	check_clean(d.date);
	check_clean(d.syntax);
	fx_chorus_deposit_clear(&d);
}

static void flow_report(const char *json, size_t len)
{
	fx_chorus_flow_report r;
	size_t i;

	if (fx_chorus__parse_flow_report(ctx, json, len, &r, FLOW) < 0) {
		check(!r.flow && !r.state && !r.errors && !r.nerrors);
		return;
	}
	check(r.flow && !strcmp(r.flow, FLOW) && r.state);
	check_clean(r.state);
	check_clean(r.state_time);
	check_clean(r.deposit_time);
	fx_chorus_flow_classify(r.state);
	for (i = 0; i < r.nerrors; i++) {
		check(r.errors[i].message != NULL);
		check_clean(r.errors[i].message);
		check_clean(r.errors[i].invoice);
		check_clean(r.errors[i].code);
	}
	fx_chorus_flow_report_clear(&r);
}

static void invoice_page(const char *json, size_t len)
{
	fx_chorus_invoice *list = NULL;
	size_t count = 0, i;
	long long pages = 0;
	int err, first;

	/* twice: the second page is appended to the first */
	err = fx_chorus__parse_invoice_page(ctx, json, len, &list, &count,
					    &pages);
	first = (int) count;
	if (err == 0) {
		check(count > 0 && pages >= 0);
		err = fx_chorus__parse_invoice_page(ctx, json, len, &list,
						    &count, &pages);
		check(err == 0 && count == 2 * (size_t) first);
	}
	for (i = 0; err == 0 && i < count; i++) {
		check(list[i].id >= 0);
		check_clean(list[i].number);
		check_clean(list[i].status);
		check_clean(list[i].amount);
	}
	fx_chorus_invoices_free(list, count);
}

static void invoice_status(const char *json, size_t len)
{
	char *status = NULL;

	if (fx_chorus__parse_invoice_status(ctx, json, len, &status) < 0) {
		check(!status);
		return;
	}
	check(status != NULL);
	check_clean(status);
	free(status);
}

static void structure_search(const char *json, size_t len)
{
	fx_chorus_structure s;
	int err;

	memset(&s, 0, sizeof(s));
	err = fx_chorus__parse_structure_search(ctx, json, len, &s, SIRET);
	check(err <= 1);
	if (err == 0) {
		check(s.id >= 0);
		check_clean(s.name);
		check_clean(s.status);
	}
	fx_chorus_structure_clear(&s);
}

static void structure(const char *json, size_t len)
{
	fx_chorus_structure s;

	memset(&s, 0, sizeof(s));
	if (fx_chorus__parse_structure(ctx, json, len, &s) == 0) {
		check(s.service_required <= 1 && s.commitment_required <= 1 &&
		      s.service_or_commitment <= 1);
		check_clean(s.name);
	}
	fx_chorus_structure_clear(&s);
}

static void service_page(const char *json, size_t len)
{
	fx_chorus_structure s;
	long long pages = 0;
	size_t i;

	memset(&s, 0, sizeof(s));
	if (fx_chorus__parse_service_page(ctx, json, len, &s, &pages) == 0) {
		/* a page may hold only inactive services: none kept */
		check(pages >= 0);
		for (i = 0; i < s.nservices; i++) {
			check(s.services[i].code && s.services[i].id >= 0);
			check_clean(s.services[i].code);
			check_clean(s.services[i].label);
		}
	}
	fx_chorus_structure_clear(&s);
}

static void service(const char *json, size_t len)
{
	fx_chorus_service sv;

	memset(&sv, 0, sizeof(sv));
	if (fx_chorus__parse_service(ctx, json, len, &sv) == 0)
		check(sv.commitment_required <= 1);
}

/* The cache: what is read writes back, and reads back the same. */
static void cache(const char *text)
{
	fx_chorus_structure s, again;
	char *json = NULL, *json2 = NULL;

	if (fx_chorus_structure_from_json(&s, ctx, text) < 0) {
		check(!s.siret && !s.services && !s.nservices);
		return;
	}
	check(s.siret && s.id >= 0);
	check(fx_chorus_structure_to_json(&json, &s) == 0 && json);
	check(fx_chorus_structure_from_json(&again, ctx, json) == 0);
	check(fx_chorus_structure_to_json(&json2, &again) == 0 && json2);
	check(!strcmp(json, json2));
	check(again.id == s.id && again.nservices == s.nservices);
	free(json);
	free(json2);
	fx_chorus_structure_clear(&s);
	fx_chorus_structure_clear(&again);
}

static void journal(const uint8_t *data, size_t size)
{
	const fx_journal_entry *e;
	fx_journal *j = NULL;
	struct scratch t;
	size_t i, n;

	if (scratch_open(&t, "journal.json") < 0)
		return;
	if (put_file(t.file, data, size) < 0)
		goto out;
	if (fx_journal_open(&j, ctx, t.file) == 0) {
		n = fx_journal_count(j);
		for (i = 0; i < n; i++) {
			e = fx_journal_get(j, i);
			check(e && strlen(e->sha256) == 64);
			check(fx_journal_find_sha256(j, e->sha256) != NULL);
			if (e->flow)
				check(fx_journal_find_flow(j, e->flow) != NULL);
		}
		check(fx_journal_get(j, n) == NULL);
	}
out:
	fx_journal_close(j);
	scratch_close(&t);
}

static void profile(const uint8_t *data, size_t size)
{
	fx_chorus_profile *p = NULL;
	struct scratch t;

	if (scratch_open(&t, "chorus.conf") < 0)
		return;
	if (put_file(t.file, data, size) < 0)
		goto out;
	if (fx_chorus_profile_load(&p, ctx, t.file, PROFILE) == 0)
		check(p && p->name && !strcmp(p->name, PROFILE));
	else
		check(p == NULL);
	fx_chorus_profile_free(p);
out:
	scratch_close(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int which;
	char *text;
	size_t len;

	if (!ctx && setup() < 0)
		return 0;
	if (size < 1)
		return 0;
	which = (unsigned int) (uint8_t) (data[0] - 'a') % 16;
	len = size - 1;
	/* a copy of exactly the bytes, so that reading past them shows;
	 * the NUL after them is for the readers that take C strings */
	if (!(text = malloc(len + 1)))
		return 0;
	memcpy(text, data + 1, len);
	text[len] = '\0';
	switch (which) {
	case 0: answer(text, len); break;
	case 1: token(text, len); break;
	case 2: oauth_error(text, len); break;
	case 3: auth_param(text); break;
	case 4: fx_chorus__parse_health(ctx, text, len); break;
	case 5: deposit(text, len); break;
	case 6: flow_report(text, len); break;
	case 7: invoice_page(text, len); break;
	case 8: invoice_status(text, len); break;
	case 9: structure_search(text, len); break;
	case 10: structure(text, len); break;
	case 11: service_page(text, len); break;
	case 12: service(text, len); break;
	case 13: cache(text); break;
	case 14: journal(data + 1, len); break;
	case 15: profile(data + 1, len); break;
	}
	free(text);
	return 0;
}
