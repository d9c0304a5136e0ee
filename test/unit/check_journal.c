/* SPDX-License-Identifier: MIT */
/*
 * check_journal.c - unit tests of the Chorus Pro profiles
 * (fx_chorus_profile_*) and of the deposit journal (fx_journal_*,
 * fx_sha256_hex)
 *
 * The journal is read back by cJSON here, not only by the journal itself,
 * so that its format is checked as a reader of the file would see it.
 * Failures to save are made two ways: a directory we may not write to
 * (not for root, who may write anywhere) and a file-size limit
 * (RLIMIT_FSIZE), which holds for root too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "helpers.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Which files and directories the library syncs: the library is linked
 * statically, so this fsync is the one it calls.  It notes the inode of
 * each descriptor while a test listens, then syncs for real.
 */
static int fsync_listening;
static size_t fsync_count;
static struct stat fsync_seen[64];

int fsync(int fd)
{
	if (fsync_listening && fsync_count < ARRAY_SIZE(fsync_seen) &&
	    fstat(fd, &fsync_seen[fsync_count]) == 0)
		fsync_count++;
	return (int) syscall(SYS_fsync, fd);
}

/* Was PATH synced since the test started listening? */
static int was_synced(const char *path)
{
	struct stat st;
	size_t i;

	ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
	for (i = 0; i < fsync_count; i++)
		if (fsync_seen[i].st_dev == st.st_dev &&
		    fsync_seen[i].st_ino == st.st_ino)
			return 1;
	return 0;
}

/* ---- Profiles ---------------------------------------------------------- */

static char *write_profile(const char *dir, const char *text, mode_t mode)
{
	char *path = t_path(dir, "chorus.conf");

	t_write_file(path, text, strlen(text));
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static int load(fx_chorus_profile **p, fx_ctx *ctx, const char *path,
		const char *name)
{
	return fx_chorus_profile_load(p, ctx, path, name);
}

static const char good_profiles[] =
	"# facture: Chorus Pro profiles\n"
	"; another comment\n"
	"\n"
	"[default]\n"
	"client_id = abc\n"
	"client_secret = \"s3cr=t # not a comment\"\n"
	"  login\t=   TECH_1_x@cpro.fr   \r\n"
	"password = \"\"\n"
	"env = sandbox\n"
	"\n"
	"[ prod ]\n"
	"env = production\n"
	"api_url = https://api.example.test\n"
	"token_url = https://oauth.example.test/token\n"
	"cacert = /etc/ssl/x.pem\n"
	"timeout = 45\n"
	"[default]\n"
	"client_id = later-wins\n";

START_TEST(profile_sections_quotes_and_comments_are_read)
{
	char *dir = t_tmpdir(), *path = write_profile(dir, good_profiles, 0600);
	fx_ctx *ctx = t_ctx();
	fx_chorus_profile *p = NULL;
	int err;

	err = load(&p, ctx, path, "default");
	ck_assert_msg(err == 0, "%d %s", err, fx_ctx_last_error(ctx)->message);
	ck_assert_str_eq(p->name, "default");
	ck_assert_str_eq(p->client_id, "later-wins");
	ck_assert_str_eq(p->client_secret, "s3cr=t # not a comment");
	ck_assert_str_eq(p->login, "TECH_1_x@cpro.fr");
	ck_assert_str_eq(p->password, "");
	ck_assert_str_eq(p->env, "sandbox");
	ck_assert_ptr_null(p->api_url);
	ck_assert_ptr_null(p->timeout);
	fx_chorus_profile_free(p);

	ck_assert_int_eq(load(&p, ctx, path, "prod"), 0);
	ck_assert_str_eq(p->env, "production");
	ck_assert_str_eq(p->api_url, "https://api.example.test");
	ck_assert_str_eq(p->token_url, "https://oauth.example.test/token");
	ck_assert_str_eq(p->cacert, "/etc/ssl/x.pem");
	ck_assert_str_eq(p->timeout, "45");
	ck_assert_ptr_null(p->client_id);
	ck_assert_ptr_null(p->client_secret);
	fx_chorus_profile_free(p);
	fx_chorus_profile_free(NULL);

	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(profile_unknown_key_fails_with_einvalid_naming_it)
{
	char *dir = t_tmpdir();
	char *path = write_profile(dir,
				   "[default]\nclient_id = a\n"
				   "clientsecret = b\n",
				   0600);
	fx_ctx *ctx = t_ctx();
	fx_chorus_profile *p = (fx_chorus_profile *) 1;
	const char *msg;

	ck_assert_int_eq(load(&p, ctx, path, "default"), FX_EINVALID);
	ck_assert_ptr_null(p);
	msg = fx_ctx_last_error(ctx)->message;
	ck_assert_msg(strstr(msg, "'clientsecret'") && strstr(msg, "line 3"),
		      "%s", msg);
	/* an unknown key in another profile is found as well */
	free(path);
	path = write_profile(dir, "[default]\nlogin = a\n[x]\ncolor = red\n",
			     0600);
	ck_assert_int_eq(load(&p, ctx, path, "default"), FX_EINVALID);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message, "color"));
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(profile_missing_section_lists_the_profiles_found)
{
	char *dir = t_tmpdir();
	char *path = write_profile(dir,
				   "[alpha]\nenv = sandbox\n[beta]\n"
				   "[alpha]\nlogin = x\n",
				   0600);
	fx_ctx *ctx = t_ctx();
	fx_chorus_profile *p = NULL;
	const char *msg;
	char *want = NULL;

	ck_assert_int_eq(load(&p, ctx, path, "default"), FX_EINVALID);
	ck_assert_ptr_null(p);
	msg = fx_ctx_last_error(ctx)->message;
	ck_assert_int_ge(asprintf(&want, "no profile 'default' in %s", path),
			 0);
	ck_assert_msg(strstr(msg, want), "%s", msg);
	ck_assert_msg(strstr(msg, "'alpha', 'beta'"), "%s", msg);
	ck_assert_uint_eq(t_count(msg, "alpha"), 1);
	/* a section name is matched whole */
	ck_assert_int_eq(load(&p, ctx, path, "alph"), FX_EINVALID);
	free(want);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

/* Modes that let group or others in: each refused with a secret, with
 * what they may do. */
static const mode_t leaky_modes[] = { 0644, 0640, 0604, 0602,
				      0620, 0666, 0622, 0647 };

static const char *leak_of(mode_t mode)
{
	return mode & 044 ? "readable" : "writable";
}

START_TEST(profile_readable_by_others_with_a_secret_is_refused)
{
	static const char *const texts[] = {
		"[default]\nclient_secret = s\n",
		"[default]\nlogin = l\npassword = p\n",
		/* the secret of another profile counts as well */
		"[default]\nlogin = l\n[other]\nclient_secret = s\n",
	};
	char *dir = t_tmpdir(), *path, *want = NULL;
	fx_ctx *ctx = t_ctx();
	fx_chorus_profile *p = NULL;
	size_t t;

	for (t = 0; t < ARRAY_SIZE(texts); t++) {
		path = write_profile(dir, texts[t], leaky_modes[_i]);
		ck_assert_int_eq(load(&p, ctx, path, "default"), FX_EKEY);
		ck_assert_ptr_null(p);
		free(want);
		ck_assert_int_ge(asprintf(&want,
					  "%s is %s by others and holds "
					  "secrets; run: chmod 600 %s",
					  path, leak_of(leaky_modes[_i]), path),
				 0);
		ck_assert_str_eq(fx_ctx_last_error(ctx)->message, want);
		/* and once fixed, it is read */
		ck_assert_int_eq(chmod(path, 0600), 0);
		ck_assert_int_eq(load(&p, ctx, path, "default"), 0);
		fx_chorus_profile_free(p);
		p = NULL;
		ck_assert_int_eq(chmod(path, 0400), 0);
		ck_assert_int_eq(load(&p, ctx, path, "default"), 0);
		fx_chorus_profile_free(p);
		p = NULL;
		unlink(path); /* read-only now, even for its owner */
		free(path);
	}
	free(want);
	t_rmtree(dir);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(profile_with_a_secret_may_be_searched_but_not_read_by_others)
{
	/* execute bits let nobody read or change a plain file */
	static const mode_t modes[] = { 0601, 0610, 0611, 0700, 0711 };
	char *dir = t_tmpdir(), *path;
	fx_ctx *ctx = t_ctx();
	fx_chorus_profile *p = NULL;
	size_t m;
	int err;

	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		path = write_profile(dir, "[default]\npassword = p\n",
				     modes[m]);
		err = load(&p, ctx, path, "default");
		ck_assert_msg(err == 0, "mode %04o: %d %s", (unsigned) modes[m],
			      err, fx_ctx_last_error(ctx)->message);
		ck_assert_str_eq(p->password, "p");
		fx_chorus_profile_free(p);
		p = NULL;
		free(path);
	}
	t_rmtree(dir);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(profile_unknown_key_never_shows_what_may_be_a_secret)
{
	/* a colon for '=', or a base64 value wrapped onto its own line:
	 * the text before the '=' is the secret, not a key */
	static const char *const texts[] = {
		"[default]\npassword: c2VjcmV0LXZhbHVl==\n",
		"[default]\nclient_secret = c2VjcmV0\nLXZhbHVlLXNlY3JldA==\n",
		"[default]\nclient secret = Zm9vYmFy\n",
	};
	static const char *const secrets[] = { "c2VjcmV0", "LXZhbHVl",
					       "Zm9vYmFy" };
	char *dir = t_tmpdir(), *path;
	fx_ctx *ctx = t_ctx();
	fx_chorus_profile *p = NULL;
	const char *msg;
	size_t t;

	for (t = 0; t < ARRAY_SIZE(texts); t++) {
		path = write_profile(dir, texts[t], 0600);
		ck_assert_int_eq(load(&p, ctx, path, "default"), FX_EINVALID);
		ck_assert_ptr_null(p);
		msg = fx_ctx_last_error(ctx)->message;
		ck_assert_msg(!strstr(msg, secrets[t]), "%s", msg);
		ck_assert_msg(strstr(msg, t == 1 ? "line 3" : "line 2") &&
				      strstr(msg, path) &&
				      strstr(msg, "unknown key"),
			      "%s", msg);
		free(path);
	}
	t_rmtree(dir);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(profile_readable_by_others_without_a_secret_is_accepted)
{
	char *dir = t_tmpdir();
	char *path = write_profile(dir,
				   "[default]\nclient_id = id\nlogin = l\n"
				   "env = prod\n",
				   0644);
	fx_ctx *ctx = t_ctx();
	fx_chorus_profile *p = NULL;

	ck_assert_int_eq(load(&p, ctx, path, "default"), 0);
	ck_assert_str_eq(p->client_id, "id");
	ck_assert_str_eq(p->env, "prod");
	fx_chorus_profile_free(p);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(profile_of_another_user_with_a_secret_is_refused)
{
	char *dir = t_tmpdir();
	char *path = write_profile(dir, "[default]\npassword = p\n", 0600);
	fx_ctx *ctx = t_ctx();
	fx_chorus_profile *p = NULL;
	uid_t other = geteuid() == 0 ? 65534 : 0;

	if (chown(path, other, (gid_t) -1) < 0) {
		/* only root may give a file away */
		fprintf(stderr,
			"check_journal: cannot chown (%s): the owner "
			"test is skipped\n",
			strerror(errno));
		goto out;
	}
	ck_assert_int_eq(load(&p, ctx, path, "default"), FX_EKEY);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "holds secrets"));
	/* without a secret, the owner does not matter */
	t_write_file(path, "[default]\nlogin = l\n",
		     strlen("[default]\nlogin = l\n"));
	ck_assert_int_eq(load(&p, ctx, path, "default"), 0);
	fx_chorus_profile_free(p);
out:
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

static const struct bad_profile {
	const char *text;
	size_t len; /* 0: strlen */
	int code;
	const char *says;
} bad_profiles[] = {
	{ "[default]\nclient_id abc\n", 0, FX_EPARSE, "line 2" },
	{ "[default\nlogin = a\n", 0, FX_EPARSE, "line 1" },
	{ "[]\n", 0, FX_EPARSE, "empty section name" },
	{ "login = a\n[default]\n", 0, FX_EPARSE, "before any [profile]" },
	{ "[default]\n = a\n", 0, FX_EPARSE, "no key" },
	{ "[default]\nlogin = a\0b\n", 22, FX_EPARSE, "NUL" },
};

START_TEST(profile_bad_lines_fail_with_eparse)
{
	const struct bad_profile *b = &bad_profiles[_i];
	char *dir = t_tmpdir(), *path = t_path(dir, "chorus.conf");
	fx_ctx *ctx = t_ctx();
	fx_chorus_profile *p = NULL;
	const char *msg;

	t_write_file(path, b->text, b->len ? b->len : strlen(b->text));
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(load(&p, ctx, path, "default"), b->code);
	ck_assert_ptr_null(p);
	msg = fx_ctx_last_error(ctx)->message;
	ck_assert_msg(strstr(msg, b->says) && strstr(msg, path), "%s", msg);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(profile_long_line_and_big_file_are_refused)
{
	char *dir = t_tmpdir(), *path = t_path(dir, "chorus.conf");
	fx_ctx *ctx = t_ctx();
	fx_chorus_profile *p = NULL;
	size_t size = 1024 * 1024 + 1;
	char *text = malloc(size);

	ck_assert_ptr_nonnull(text);
	/* one line of 5000 bytes: a comment, but too long */
	memset(text, '#', 5000);
	memcpy(text + 5000, "\n[default]\n", 11);
	t_write_file(path, text, 5011);
	ck_assert_int_eq(load(&p, ctx, path, "default"), FX_EPARSE);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "longer than"));

	/* short comment lines, one byte over a MiB in all */
	memset(text, '#', size);
	for (size_t i = 99; i < size; i += 100)
		text[i] = '\n';
	t_write_file(path, text, size);
	ck_assert_int_eq(load(&p, ctx, path, "default"), FX_ETOOBIG);
	ck_assert_int_eq(truncate(path, (off_t) size - 1), 0);
	ck_assert_int_eq(load(&p, ctx, path, "default"), FX_EINVALID);

	/* and not a file at all */
	ck_assert_int_eq(load(&p, ctx, dir, "default"), FX_EIO);
	ck_assert_int_eq(load(&p, ctx, "/nonexistent/chorus.conf", "default"),
			 FX_EIO);
	ck_assert_int_eq(load(&p, ctx, "/dev/null", "default"), FX_EIO);
	free(text);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

/* ---- sha256 ------------------------------------------------------------ */

START_TEST(sha256_matches_the_known_vectors)
{
	char hex[65];

	fx_sha256_hex(hex, "abc", 3);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
			      "b00361a396177a9cb410ff61f20015ad");
	fx_sha256_hex(hex, "", 0);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
			      "27ae41e4649b934ca495991b7852b855");
}
END_TEST

/* ---- The journal ------------------------------------------------------- */

static fx_journal_entry entry(const char *data, long long time,
			      const char *state, const char *flow)
{
	fx_journal_entry e;

	memset(&e, 0, sizeof(e));
	fx_sha256_hex(e.sha256, data, strlen(data));
	e.file = "invoices/a.xml";
	e.number = "F-1";
	e.syntax = "IN_DP_E1_UBL_INVOICE";
	e.flow = flow;
	e.date = flow ? "2026-11-27" : NULL;
	e.time = time;
	e.state = state;
	e.detail = NULL;
	e.updated = time + 1;
	return e;
}

static fx_journal *open_ok(fx_ctx *ctx, const char *path)
{
	fx_journal *j = NULL;
	int err = fx_journal_open(&j, ctx, path);

	ck_assert_msg(err == 0, "open: %d %s", err,
		      fx_ctx_last_error(ctx)->message);
	return j;
}

static void put_ok(fx_journal *j, fx_ctx *ctx, const fx_journal_entry *e)
{
	int err = fx_journal_put(j, e);

	ck_assert_msg(err == 0, "put: %d %s", err,
		      fx_ctx_last_error(ctx)->message);
}

static void assert_str_or_null(const char *got, const char *want)
{
	if (!want)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got, want);
}

START_TEST(journal_is_created_written_as_json_and_read_back)
{
	char *dir = t_tmpdir(), *sub = t_path(dir, "state/facture");
	char *path = t_path(sub, "default.journal.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j = open_ok(ctx, path);
	fx_journal_entry e = entry("invoice one", 1700000000, "sending", NULL);
	const fx_journal_entry *got;
	struct stat st;
	cJSON *root, *item;
	char *text, *lock = t_path(sub, "default.journal.json.lock");

	/* the directories are made private; the file waits for a put */
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(stat(lock, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_uint_eq(fx_journal_count(j), 0);
	ck_assert_ptr_null(fx_journal_get(j, 0));

	e.detail = "a \"quoted\" détail\n";
	put_ok(j, ctx, &e);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	fx_journal_close(j);

	/* the file, as any JSON reader sees it */
	text = t_read_file(path, NULL);
	root = cJSON_Parse(text);
	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(
		cJSON_GetObjectItemCaseSensitive(root, "version")->valueint, 1);
	item = cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(root, "entries"), 0);
	ck_assert_ptr_nonnull(item);
	ck_assert_str_eq(
		cJSON_GetObjectItemCaseSensitive(item, "sha256")->valuestring,
		e.sha256);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(item, "flow")));
	ck_assert_str_eq(
		cJSON_GetObjectItemCaseSensitive(item, "state")->valuestring,
		"sending");
	ck_assert(cJSON_GetObjectItemCaseSensitive(item, "time")->valuedouble ==
		  1700000000.0);
	cJSON_Delete(root);
	free(text);

	/* and as the journal reads it again */
	j = open_ok(ctx, path);
	ck_assert_uint_eq(fx_journal_count(j), 1);
	got = fx_journal_get(j, 0);
	ck_assert_str_eq(got->sha256, e.sha256);
	ck_assert_str_eq(got->file, e.file);
	ck_assert_str_eq(got->number, e.number);
	ck_assert_str_eq(got->syntax, e.syntax);
	ck_assert_ptr_null(got->flow);
	ck_assert_ptr_null(got->date);
	ck_assert_str_eq(got->state, "sending");
	ck_assert_str_eq(got->detail, e.detail);
	ck_assert_int_eq(got->time, 1700000000);
	ck_assert_int_eq(got->updated, 1700000001);
	fx_journal_close(j);

	t_rmtree(dir);
	free(lock);
	free(path);
	free(sub);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(journal_put_replaces_same_digest_and_time_else_appends)
{
	char *dir = t_tmpdir(), *path = t_path(dir, "j.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j = open_ok(ctx, path);
	fx_journal_entry a = entry("A", 100, "sending", NULL);
	fx_journal_entry b = entry("B", 100, "sending", NULL);
	fx_journal_entry a2 = entry("A", 200, "sending", NULL);
	const fx_journal_entry *got;

	put_ok(j, ctx, &a);
	put_ok(j, ctx, &b);
	put_ok(j, ctx, &a2);
	ck_assert_uint_eq(fx_journal_count(j), 3);

	/* the same attempt, now with its flow */
	a = entry("A", 100, "deposited", "CPP0011110000000000000001");
	put_ok(j, ctx, &a);
	ck_assert_uint_eq(fx_journal_count(j), 3);
	got = fx_journal_get(j, 0);
	ck_assert_str_eq(got->state, "deposited");
	assert_str_or_null(got->flow, "CPP0011110000000000000001");
	ck_assert_str_eq(fx_journal_get(j, 1)->sha256, b.sha256);
	ck_assert_int_eq(fx_journal_get(j, 2)->time, 200);
	fx_journal_close(j);

	/* the order is kept on disk */
	j = open_ok(ctx, path);
	ck_assert_uint_eq(fx_journal_count(j), 3);
	ck_assert_str_eq(fx_journal_get(j, 0)->state, "deposited");
	ck_assert_str_eq(fx_journal_get(j, 1)->sha256, b.sha256);
	ck_assert_int_eq(fx_journal_get(j, 2)->time, 200);
	fx_journal_close(j);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(journal_find_returns_the_newest_match)
{
	char *dir = t_tmpdir(), *path = t_path(dir, "j.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j = open_ok(ctx, path);
	fx_journal_entry e;
	const fx_journal_entry *got;
	char sha[65];

	e = entry("A", 100, "failed", NULL);
	put_ok(j, ctx, &e);
	e = entry("A", 300, "IN_INTEGRE", "CPP0011110000000000000002");
	put_ok(j, ctx, &e);
	e = entry("A", 200, "IN_REJETE", "CPP0011110000000000000001");
	put_ok(j, ctx, &e);
	e = entry("B", 300, "deposited", "CPP0011110000000000000002");
	e.number = "tie, written last";
	put_ok(j, ctx, &e);

	fx_sha256_hex(sha, "A", 1);
	got = fx_journal_find_sha256(j, sha);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(got->time, 300);
	ck_assert_str_eq(got->state, "IN_INTEGRE");

	got = fx_journal_find_flow(j, "CPP0011110000000000000002");
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got->number, "tie, written last");
	got = fx_journal_find_flow(j, "CPP0011110000000000000001");
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got->state, "IN_REJETE");

	fx_sha256_hex(sha, "C", 1);
	ck_assert_ptr_null(fx_journal_find_sha256(j, sha));
	ck_assert_ptr_null(fx_journal_find_flow(j, "CPP9"));
	ck_assert_ptr_null(fx_journal_find_flow(j, NULL));
	fx_journal_close(j);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(journal_held_by_another_open_fails_with_eio)
{
	char *dir = t_tmpdir(), *path = t_path(dir, "j.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j = open_ok(ctx, path), *k = (fx_journal *) 1;
	char *want = NULL;

	/* flock locks belong to an open file: a second open conflicts
	 * in the same process as it would in another one */
	ck_assert_int_eq(fx_journal_open(&k, ctx, path), FX_EIO);
	ck_assert_ptr_null(k);
	ck_assert_int_ge(asprintf(&want,
				  "the journal '%s' is in use by another "
				  "facture process",
				  path),
			 0);
	ck_assert_str_eq(fx_ctx_last_error(ctx)->message, want);
	fx_journal_close(j);
	k = open_ok(ctx, path);
	fx_journal_close(k);
	free(want);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

static const char *const damaged[] = {
	"{\"version\": 1, \"entries\": [",
	"not json at all",
	"[]",
	"{\"entries\": []}",
	"{\"version\": 1, \"entries\": {}}",
	"{\"version\": 1, \"entries\": []} trailing",
	"{\"version\": 1, \"entries\": [{\"sha256\": \"abc\", \"time\": 1}]}",
	"{\"version\": 1, \"entries\": [{\"sha256\": "
	"\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\","
	" \"time\": \"yesterday\"}]}",
	"{\"version\": 1, \"entries\": [{\"sha256\": "
	"\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\","
	" \"flow\": 12}]}",
	"{\"version\": 1, \"entries\": [7]}",
};

START_TEST(journal_damaged_fails_with_eparse_and_is_left_as_it_is)
{
	char *dir = t_tmpdir(), *path = t_path(dir, "j.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j = (fx_journal *) 1;
	const char *msg;
	char *after;
	size_t len;

	t_write_file(path, damaged[_i], strlen(damaged[_i]));
	ck_assert_int_eq(fx_journal_open(&j, ctx, path), FX_EPARSE);
	ck_assert_ptr_null(j);
	msg = fx_ctx_last_error(ctx)->message;
	ck_assert_msg(strstr(msg, path) && strstr(msg, "damaged"), "%s", msg);
	after = t_read_file(path, &len);
	ck_assert_uint_eq(len, strlen(damaged[_i]));
	ck_assert(memcmp(after, damaged[_i], len) == 0);
	/* the failed open gave the lock back: not "in use" (FX_EIO) */
	ck_assert_int_eq(fx_journal_open(&j, ctx, path), FX_EPARSE);
	free(after);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(journal_version_and_size_limits)
{
	char *dir = t_tmpdir(), *path = t_path(dir, "j.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j = NULL;
	int fd;

	t_write_file(path, "{\"version\": 2, \"entries\": []}",
		     strlen("{\"version\": 2, \"entries\": []}"));
	ck_assert_int_eq(fx_journal_open(&j, ctx, path), FX_EUNSUPPORTED);
	/* an empty file holds nothing to lose: an empty journal */
	t_write_file(path, "\n", 1);
	j = open_ok(ctx, path);
	ck_assert_uint_eq(fx_journal_count(j), 0);
	fx_journal_close(j);
	j = NULL;
	/* a sparse file just over the limit costs no disk */
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t) 256 * 1024 * 1024 + 1), 0);
	close(fd);
	ck_assert_int_eq(fx_journal_open(&j, ctx, path), FX_ETOOBIG);
	ck_assert_ptr_null(j);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(journal_put_refuses_a_bad_digest)
{
	char *dir = t_tmpdir(), *path = t_path(dir, "j.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j = open_ok(ctx, path);
	fx_journal_entry e = entry("A", 1, "sending", NULL);

	e.sha256[3] = 'G';
	ck_assert_int_eq(fx_journal_put(j, &e), FX_EINVALID);
	e = entry("A", 1, "sending", NULL);
	e.sha256[0] = 'A'; /* upper case is not our form */
	ck_assert_int_eq(fx_journal_put(j, &e), FX_EINVALID);
	ck_assert_uint_eq(fx_journal_count(j), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	fx_journal_close(j);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(journal_new_directories_reach_the_disk_with_the_file)
{
	char *dir = t_tmpdir(), *a = t_path(dir, "a"), *b = t_path(a, "b"),
	     *path = t_path(b, "j.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j;
	fx_journal_entry e = entry("A", 1, "sending", NULL);

	fsync_listening = 1;
	j = open_ok(ctx, path);
	put_ok(j, ctx, &e);
	fsync_listening = 0;
	/* the file, the directory that names it, and each directory made
	 * for it in the one that names it: else a crash may lose them */
	ck_assert_msg(was_synced(path), "the journal file was not synced");
	ck_assert_msg(was_synced(b), "the journal's directory was not synced");
	ck_assert_msg(was_synced(a), "the new 'a' (naming 'b') was not synced");
	ck_assert_msg(was_synced(dir), "'%s' (naming 'a') was not synced", dir);
	fx_journal_close(j);

	/* directories that were there are left alone */
	fsync_count = 0;
	fsync_listening = 1;
	j = open_ok(ctx, path);
	fsync_listening = 0;
	ck_assert_uint_eq(fsync_count, 0);
	fx_journal_close(j);

	/* a relative path: its first directory is named by "." */
	ck_assert_int_eq(chdir(a), 0);
	fsync_listening = 1;
	j = open_ok(ctx, "r//s/j.json");
	fsync_listening = 0;
	ck_assert_msg(was_synced("."), "'.' (naming 'r') was not synced");
	ck_assert_msg(was_synced("r"), "the new 'r' (naming 's') was not "
				       "synced");
	fx_journal_close(j);
	ck_assert_int_eq(chdir("/"), 0);
	t_rmtree(dir);
	free(path);
	free(b);
	free(a);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(journal_put_refuses_times_it_could_not_read_back)
{
	char *dir = t_tmpdir(), *path = t_path(dir, "j.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j = open_ok(ctx, path);
	fx_journal_entry e = entry("A", 1, "sending", NULL);
	const long long edge = 9007199254740992LL; /* 2^53 */

	/* a double cannot hold it: the file would read as damaged, and
	 * every later run would stop on it */
	e.time = LLONG_MAX;
	ck_assert_int_eq(fx_journal_put(j, &e), FX_EINVALID);
	ck_assert_ptr_nonnull(strstr(fx_ctx_last_error(ctx)->message, "time"));
	e = entry("A", 1, "sending", NULL);
	e.updated = LLONG_MIN;
	ck_assert_int_eq(fx_journal_put(j, &e), FX_EINVALID);
	ck_assert_uint_eq(fx_journal_count(j), 0);
	ck_assert_int_eq(access(path, F_OK), -1);

	/* the largest that is exact is kept exactly */
	e = entry("A", edge, "sending", NULL);
	e.updated = -edge;
	put_ok(j, ctx, &e);
	fx_journal_close(j);
	j = open_ok(ctx, path);
	ck_assert_uint_eq(fx_journal_count(j), 1);
	ck_assert(fx_journal_get(j, 0)->time == edge);
	ck_assert(fx_journal_get(j, 0)->updated == -edge);
	fx_journal_close(j);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(journal_put_updates_the_entry_that_find_returns)
{
	char *dir = t_tmpdir(), *path = t_path(dir, "j.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j;
	fx_journal_entry e = entry("A", 5, "sending", NULL);
	const fx_journal_entry *got;
	char *text = NULL;

	/* two records of one attempt, as a hand-edited file may have */
	ck_assert_int_ge(asprintf(&text,
				  "{\"version\": 1, \"entries\": ["
				  "{\"sha256\": \"%s\", \"time\": 5, "
				  "\"state\": \"first\"},"
				  "{\"sha256\": \"%s\", \"time\": 5, "
				  "\"state\": \"second\"}]}",
				  e.sha256, e.sha256),
			 0);
	t_write_file(path, text, strlen(text));
	j = open_ok(ctx, path);
	got = fx_journal_find_sha256(j, e.sha256);
	ck_assert_str_eq(got->state, "second");
	e.state = "unknown";
	put_ok(j, ctx, &e);
	ck_assert_uint_eq(fx_journal_count(j), 2);
	got = fx_journal_find_sha256(j, e.sha256);
	ck_assert_str_eq(got->state, "unknown");
	fx_journal_close(j);
	free(text);
	t_rmtree(dir);
	free(path);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

/* How many temporary files of the journal are left in DIR. */
static size_t strays(const char *dir)
{
	char *cmd = NULL, *out = t_path(dir, "../strays.txt");
	size_t n;
	char *text;

	ck_assert_int_ge(asprintf(&cmd,
				  "ls -A '%s' | grep -c '\\.tmp\\.' > '%s'",
				  dir, out),
			 0);
	(void) system(cmd);
	text = t_read_file(out, NULL);
	n = (size_t) strtoul(text, NULL, 10);
	unlink(out);
	free(text);
	free(cmd);
	free(out);
	return n;
}

START_TEST(journal_failed_save_keeps_the_old_file_and_the_entry_in_memory)
{
	char *dir = t_tmpdir(), *sub = t_path(dir, "s"),
	     *path = t_path(sub, "j.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j = open_ok(ctx, path);
	fx_journal_entry a = entry("A", 1, "sending", NULL);
	fx_journal_entry b = entry("B", 2, "sending", NULL);
	fx_journal_entry c = entry("C", 3, "sending", NULL);
	struct rlimit old, small;
	char *before, *after;
	size_t blen, alen;
	int err;

	put_ok(j, ctx, &a);
	before = t_read_file(path, &blen);

	/* writes beyond 64 bytes fail with EFBIG, even for root */
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 64;
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	err = fx_journal_put(j, &b);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	ck_assert_int_eq(err, FX_EIO);
	ck_assert_ptr_nonnull(
		strstr(fx_ctx_last_error(ctx)->message, "j.json"));
	after = t_read_file(path, &alen);
	ck_assert_uint_eq(alen, blen);
	ck_assert(memcmp(before, after, alen) == 0);
	ck_assert_uint_eq(strays(sub), 0);
	/* not on disk, but not forgotten: the next save writes it */
	ck_assert_uint_eq(fx_journal_count(j), 2);
	put_ok(j, ctx, &c);
	fx_journal_close(j);
	j = open_ok(ctx, path);
	ck_assert_uint_eq(fx_journal_count(j), 3);
	ck_assert_str_eq(fx_journal_get(j, 1)->sha256, b.sha256);
	fx_journal_close(j);

	free(before);
	free(after);
	t_rmtree(dir);
	free(path);
	free(sub);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(journal_in_an_unwritable_directory_keeps_the_old_file)
{
	char *dir = t_tmpdir(), *sub = t_path(dir, "s"),
	     *path = t_path(sub, "j.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j;
	fx_journal_entry a = entry("A", 1, "sending", NULL);
	fx_journal_entry b = entry("B", 2, "sending", NULL);
	char *before, *after;
	size_t blen, alen;
	int err;

	if (geteuid() == 0) {
		/* root writes anywhere; the size-limit test covers it */
		fprintf(stderr, "check_journal: running as root: the "
				"unwritable-directory test is skipped\n");
		goto out;
	}
	j = open_ok(ctx, path);
	put_ok(j, ctx, &a);
	before = t_read_file(path, &blen);
	ck_assert_int_eq(chmod(sub, 0500), 0);
	err = fx_journal_put(j, &b);
	ck_assert_int_eq(chmod(sub, 0700), 0);
	ck_assert_int_eq(err, FX_EIO);
	after = t_read_file(path, &alen);
	ck_assert_uint_eq(alen, blen);
	ck_assert(memcmp(before, after, alen) == 0);
	ck_assert_uint_eq(fx_journal_count(j), 2);
	fx_journal_close(j);
	free(before);
	free(after);
out:
	t_rmtree(dir);
	free(path);
	free(sub);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

START_TEST(journal_under_a_file_cannot_be_opened)
{
	char *dir = t_tmpdir(), *file = t_path(dir, "f"),
	     *path = t_path(file, "j.json");
	fx_ctx *ctx = t_ctx();
	fx_journal *j = NULL;

	t_write_file(file, "x", 1);
	ck_assert_int_eq(fx_journal_open(&j, ctx, path), FX_EIO);
	ck_assert_ptr_null(j);
	ck_assert_int_eq(fx_journal_open(&j, ctx, ""), FX_EINVALID);
	t_rmtree(dir);
	free(path);
	free(file);
	free(dir);
	fx_ctx_free(ctx);
}
END_TEST

static Suite *journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("profile");

	tcase_add_test(tc, profile_sections_quotes_and_comments_are_read);
	tcase_add_test(tc, profile_unknown_key_fails_with_einvalid_naming_it);
	tcase_add_test(tc, profile_missing_section_lists_the_profiles_found);
	tcase_add_loop_test(tc,
			    profile_readable_by_others_with_a_secret_is_refused,
			    0, (int) ARRAY_SIZE(leaky_modes));
	tcase_add_test(tc,
		       profile_readable_by_others_without_a_secret_is_accepted);
	tcase_add_test(
		tc,
		profile_with_a_secret_may_be_searched_but_not_read_by_others);
	tcase_add_test(tc,
		       profile_unknown_key_never_shows_what_may_be_a_secret);
	tcase_add_test(tc, profile_of_another_user_with_a_secret_is_refused);
	tcase_add_loop_test(tc, profile_bad_lines_fail_with_eparse, 0,
			    (int) ARRAY_SIZE(bad_profiles));
	tcase_add_test(tc, profile_long_line_and_big_file_are_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("journal");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sha256_matches_the_known_vectors);
	tcase_add_test(tc, journal_is_created_written_as_json_and_read_back);
	tcase_add_test(tc,
		       journal_put_replaces_same_digest_and_time_else_appends);
	tcase_add_test(tc, journal_find_returns_the_newest_match);
	tcase_add_test(tc, journal_held_by_another_open_fails_with_eio);
	tcase_add_loop_test(
		tc, journal_damaged_fails_with_eparse_and_is_left_as_it_is, 0,
		(int) ARRAY_SIZE(damaged));
	tcase_add_test(tc, journal_version_and_size_limits);
	tcase_add_test(tc, journal_put_refuses_a_bad_digest);
	tcase_add_test(tc,
		       journal_new_directories_reach_the_disk_with_the_file);
	tcase_add_test(tc, journal_put_refuses_times_it_could_not_read_back);
	tcase_add_test(tc, journal_put_updates_the_entry_that_find_returns);
	tcase_add_test(
		tc,
		journal_failed_save_keeps_the_old_file_and_the_entry_in_memory);
	tcase_add_test(tc,
		       journal_in_an_unwritable_directory_keeps_the_old_file);
	tcase_add_test(tc, journal_under_a_file_cannot_be_opened);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(journal_suite());
}
