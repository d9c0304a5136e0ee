/* SPDX-License-Identifier: MIT */
/*
 * journal.c - the local record of deposits to Chorus Pro
 *
 * The platform has no idempotency key: every accepted deposit becomes a
 * new flow.  What keeps an invoice from being sent twice is this file,
 * so it is written the careful way: the whole journal goes to a new file
 * in the same directory, which is synced and then renamed over the old
 * one, and the directory is synced too.  A reader sees the old journal or
 * the new one, never half of one, even after a crash.
 *
 * One process at a time: a lock file beside the journal (PATH.lock, so
 * that the lock survives the renames of PATH) is held from open to close.
 *
 * When a save fails, the entry stays in memory (a later put will try to
 * write it again) and the file on disk is the previous journal.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "internal.h"
#include "banned.h"

#define JOURNAL_VERSION	 1
#define MAX_JOURNAL_SIZE ((size_t) 256 * 1024 * 1024)
/* Times are JSON numbers: read as doubles, exact up to 2^53. */
#define MAX_EXACT_TIME 9007199254740992LL

struct fx_journal {
	fx_ctx *ctx;
	char *path;
	char *dir; /* where PATH is, for the temporary file and fsync */
	int lock_fd;
	fx_journal_entry *entries;
	size_t count, cap;
};

void fx_sha256_hex(char out[65], const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32) {
		/* only when OpenSSL itself is broken; never a valid digest */
		out[0] = '\0';
		return;
	}
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xF];
	}
	out[64] = '\0';
}

/* ---- Entries ----------------------------------------------------------- */

static void entry_release(fx_journal_entry *e)
{
	free((char *) e->file);
	free((char *) e->number);
	free((char *) e->syntax);
	free((char *) e->flow);
	free((char *) e->date);
	free((char *) e->state);
	free((char *) e->detail);
	memset(e, 0, sizeof(*e));
}

static int dup_opt(const char **dst, const char *src)
{
	*dst = NULL;
	if (src && !(*dst = fx_strdup(src)))
		return -1;
	return 0;
}

static int entry_copy(fx_journal_entry *dst, const fx_journal_entry *src)
{
	memset(dst, 0, sizeof(*dst));
	memcpy(dst->sha256, src->sha256, sizeof(dst->sha256));
	dst->sha256[64] = '\0';
	dst->time = src->time;
	dst->updated = src->updated;
	if (dup_opt(&dst->file, src->file) < 0 ||
	    dup_opt(&dst->number, src->number) < 0 ||
	    dup_opt(&dst->syntax, src->syntax) < 0 ||
	    dup_opt(&dst->flow, src->flow) < 0 ||
	    dup_opt(&dst->date, src->date) < 0 ||
	    dup_opt(&dst->state, src->state) < 0 ||
	    dup_opt(&dst->detail, src->detail) < 0) {
		entry_release(dst);
		return FX_ENOMEM;
	}
	return 0;
}

static int sha256_ok(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static int append(fx_journal *j, fx_journal_entry *e)
{
	if (j->count == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 16;
		fx_journal_entry *p = realloc(j->entries, cap * sizeof(*p));

		if (!p)
			return FX_ENOMEM;
		j->entries = p;
		j->cap = cap;
	}
	j->entries[j->count++] = *e;
	memset(e, 0, sizeof(*e));
	return 0;
}

/* ---- Reading ----------------------------------------------------------- */

static int json_string(const char **dst, const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	*dst = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return -1;
	return (*dst = fx_strdup(v->valuestring)) ? 0 : FX_ENOMEM;
}

static int json_time(long long *dst, const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	*dst = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	/* whole seconds that a double holds exactly (range first: the
	 * cast of a larger value would be undefined) */
	if (!cJSON_IsNumber(v) || v->valuedouble < (double) -MAX_EXACT_TIME ||
	    v->valuedouble > (double) MAX_EXACT_TIME ||
	    v->valuedouble != (double) (long long) v->valuedouble)
		return -1;
	*dst = (long long) v->valuedouble;
	return 0;
}

static int entry_from_json(fx_journal_entry *e, const cJSON *obj)
{
	static const char *const names[] = { "file", "number", "syntax", "flow",
					     "date", "state",  "detail" };
	const char **fields[FX_ARRAY_SIZE(names)];
	const cJSON *sha;
	size_t i;
	int err;

	memset(e, 0, sizeof(*e));
	fields[0] = &e->file;
	fields[1] = &e->number;
	fields[2] = &e->syntax;
	fields[3] = &e->flow;
	fields[4] = &e->date;
	fields[5] = &e->state;
	fields[6] = &e->detail;
	if (!cJSON_IsObject(obj))
		return -1;
	sha = cJSON_GetObjectItemCaseSensitive(obj, "sha256");
	if (!cJSON_IsString(sha) || strlen(sha->valuestring) != 64 ||
	    !sha256_ok(sha->valuestring))
		return -1;
	memcpy(e->sha256, sha->valuestring, 65);
	for (i = 0; i < FX_ARRAY_SIZE(names); i++)
		if ((err = json_string(fields[i], obj, names[i])) < 0)
			goto fail;
	if ((err = json_time(&e->time, obj, "time")) < 0 ||
	    (err = json_time(&e->updated, obj, "updated")) < 0)
		goto fail;
	return 0;
fail:
	entry_release(e);
	return err;
}

static int load(fx_journal *j)
{
	struct fx_buf text = FX_BUF_INIT;
	fx_journal_entry e;
	cJSON *root = NULL;
	const cJSON *version, *entries, *item;
	size_t i, n;
	struct stat st;
	const char *p;
	ssize_t got;
	int fd, err = 0;

	memset(&e, 0, sizeof(e));
	if ((fd = open(j->path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == ENOENT)
			return 0; /* a first run: an empty journal */
		return fx_ctx__error(j->ctx, FX_EIO,
				     "cannot open the journal '%s': %s",
				     j->path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		err = fx_ctx__error(j->ctx, FX_EIO,
				    "cannot read the journal '%s': %s", j->path,
				    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = fx_ctx__error(j->ctx, FX_EIO,
				    "cannot read the journal '%s': not a "
				    "regular file",
				    j->path);
		goto out;
	}
	if ((unsigned long long) st.st_size > MAX_JOURNAL_SIZE) {
		err = fx_ctx__error(j->ctx, FX_ETOOBIG,
				    "the journal '%s' is larger than %zu MiB",
				    j->path, MAX_JOURNAL_SIZE >> 20);
		goto out;
	}
	if (fx_buf_grow(&text, (size_t) st.st_size + 1) < 0) {
		err = fx_ctx__error(j->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		if (text.cap - text.len < 2) {
			if (text.len > MAX_JOURNAL_SIZE)
				break; /* it grew while we read: too big */
			if (fx_buf_grow(&text, 65536) < 0) {
				err = fx_ctx__error(j->ctx, FX_ENOMEM,
						    "out of memory");
				goto out;
			}
		}
		got = read(fd, text.ptr + text.len, text.cap - 1 - text.len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = fx_ctx__error(j->ctx, FX_EIO,
					    "cannot read the journal '%s': %s",
					    j->path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		text.len += (size_t) got;
	}
	text.ptr[text.len] = '\0';
	if (text.len > MAX_JOURNAL_SIZE) {
		err = fx_ctx__error(j->ctx, FX_ETOOBIG,
				    "the journal '%s' is larger than %zu MiB",
				    j->path, MAX_JOURNAL_SIZE >> 20);
		goto out;
	}
	/* an empty file (made by hand) holds nothing to lose */
	for (p = text.ptr; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
	     p++)
		;
	if (!*p && (size_t) (p - text.ptr) == text.len)
		goto out;

	/* the NUL after the text is given too: cJSON then refuses
	 * anything after the document instead of ignoring it */
	if (memchr(text.ptr, '\0', text.len) ||
	    !(root = cJSON_ParseWithLengthOpts(text.ptr, text.len + 1, NULL,
					       1)) ||
	    !cJSON_IsObject(root)) {
		err = fx_ctx__error(j->ctx, FX_EPARSE,
				    "the journal '%s' is damaged: not a JSON "
				    "object; it was left as it is (move it "
				    "away to start a new one)",
				    j->path);
		goto out;
	}
	version = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!cJSON_IsNumber(version)) {
		err = fx_ctx__error(j->ctx, FX_EPARSE,
				    "the journal '%s' is damaged: it has no "
				    "version number",
				    j->path);
		goto out;
	}
	if (version->valuedouble != JOURNAL_VERSION) {
		err = fx_ctx__error(j->ctx, FX_EUNSUPPORTED,
				    "the journal '%s' has version %g; this "
				    "facture reads version %d only",
				    j->path, version->valuedouble,
				    JOURNAL_VERSION);
		goto out;
	}
	entries = cJSON_GetObjectItemCaseSensitive(root, "entries");
	if (!cJSON_IsArray(entries)) {
		err = fx_ctx__error(j->ctx, FX_EPARSE,
				    "the journal '%s' is damaged: its "
				    "\"entries\" is not an array",
				    j->path);
		goto out;
	}
	n = (size_t) cJSON_GetArraySize(entries);
	i = 0;
	cJSON_ArrayForEach(item, entries)
	{
		if ((err = entry_from_json(&e, item)) == FX_ENOMEM) {
			err = fx_ctx__error(j->ctx, FX_ENOMEM, "out of memory");
			goto out;
		}
		if (err < 0) {
			err = fx_ctx__error(
				j->ctx, FX_EPARSE,
				"the journal '%s' is damaged: entry "
				"%zu of %zu is not a deposit record "
				"(a sha256 of 64 hex digits, strings "
				"or null, times in seconds)",
				j->path, i + 1, n);
			goto out;
		}
		if ((err = append(j, &e)) < 0) {
			err = fx_ctx__error(j->ctx, FX_ENOMEM, "out of memory");
			goto out;
		}
		i++;
	}
out:
	entry_release(&e);
	cJSON_Delete(root);
	fx_buf_release(&text);
	close(fd);
	return err;
}

/* ---- Writing ----------------------------------------------------------- */

static int add_string(cJSON *obj, const char *name, const char *value)
{
	cJSON *v = value ? cJSON_CreateString(value) : cJSON_CreateNull();

	return v && cJSON_AddItemToObject(obj, name, v) ? 0 : -1;
}

/* Written by hand: cJSON prints doubles with 15 digits only, and a time
 * must read back as it was. */
static int add_time(cJSON *obj, const char *name, long long t)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%lld", t);

	if (n <= 0 || (size_t) n >= sizeof(text))
		return -1;
	return cJSON_AddRawToObject(obj, name, text) ? 0 : -1;
}

static char *serialise(const fx_journal *j)
{
	cJSON *root, *entries, *obj;
	char *text = NULL;
	size_t i;

	if (!(root = cJSON_CreateObject()) ||
	    !cJSON_AddNumberToObject(root, "version", JOURNAL_VERSION) ||
	    !(entries = cJSON_AddArrayToObject(root, "entries")))
		goto out;
	for (i = 0; i < j->count; i++) {
		const fx_journal_entry *e = &j->entries[i];

		if (!(obj = cJSON_CreateObject()))
			goto out;
		if (!cJSON_AddItemToArray(entries, obj)) {
			cJSON_Delete(obj);
			goto out;
		}
		if (add_string(obj, "sha256", e->sha256) < 0 ||
		    add_string(obj, "file", e->file) < 0 ||
		    add_string(obj, "number", e->number) < 0 ||
		    add_string(obj, "syntax", e->syntax) < 0 ||
		    add_string(obj, "flow", e->flow) < 0 ||
		    add_string(obj, "date", e->date) < 0 ||
		    add_time(obj, "time", e->time) < 0 ||
		    add_string(obj, "state", e->state) < 0 ||
		    add_string(obj, "detail", e->detail) < 0 ||
		    add_time(obj, "updated", e->updated) < 0)
			goto out;
	}
	text = cJSON_Print(root);
out:
	cJSON_Delete(root);
	return text;
}

static int write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t) n;
	}
	return 0;
}

/* fsync DIR, so that the names it holds reach the disk. */
static int sync_dir(fx_ctx *ctx, const char *dir)
{
	int fd, err = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(fd) < 0)
		err = fx_ctx__error(ctx, FX_EIO,
				    "cannot sync the directory '%s' of the "
				    "journal: %s",
				    dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	return err;
}

static int save(fx_journal *j)
{
	struct fx_buf tmp = FX_BUF_INIT;
	char *text = NULL;
	int fd = -1, err = 0, saved;

	if (!(text = serialise(j))) {
		err = fx_ctx__error(j->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if (fx_buf_printf(&tmp, "%s.tmp.XXXXXX", j->path) < 0) {
		err = fx_ctx__error(j->ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if ((fd = mkstemp(tmp.ptr)) < 0) {
		err = fx_ctx__error(j->ctx, FX_EIO,
				    "cannot write the journal '%s': cannot "
				    "create a file in '%s': %s",
				    j->path, j->dir, strerror(errno));
		fx_buf_release(&tmp); /* nothing to remove */
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || write_all(fd, text, strlen(text)) < 0 ||
	    write_all(fd, "\n", 1) < 0 || fsync(fd) < 0) {
		err = fx_ctx__error(j->ctx, FX_EIO,
				    "cannot write the journal '%s': %s",
				    j->path, strerror(errno));
		goto out;
	}
	saved = close(fd);
	fd = -1;
	if (saved < 0) {
		err = fx_ctx__error(j->ctx, FX_EIO,
				    "cannot write the journal '%s': %s",
				    j->path, strerror(errno));
		goto out;
	}
	if (rename(tmp.ptr, j->path) < 0) {
		err = fx_ctx__error(j->ctx, FX_EIO,
				    "cannot replace the journal '%s': %s",
				    j->path, strerror(errno));
		goto out;
	}
	fx_buf_release(&tmp); /* renamed: nothing to remove */
	/* the rename itself must reach the disk */
	err = sync_dir(j->ctx, j->dir);
out:
	if (fd >= 0)
		close(fd);
	if (tmp.ptr)
		unlink(tmp.ptr);
	fx_buf_release(&tmp);
	free(text);
	return err;
}

/* ---- Opening and the lock ---------------------------------------------- */

/* Sync the directory that names PATH (whose last name ends at END). */
static int sync_parent(fx_ctx *ctx, char *path, char *end)
{
	char *cut = end, saved;
	int err;

	while (cut > path && cut[-1] != '/')
		cut--;
	if (cut == path)
		return sync_dir(ctx, "."); /* a relative first name */
	/* back over the slashes before the name */
	cut--;
	while (cut > path && cut[-1] == '/')
		cut--;
	if (cut == path)
		return sync_dir(ctx, "/");
	saved = *cut;
	*cut = '\0';
	err = sync_dir(ctx, path);
	*cut = saved;
	return err;
}

/*
 * mkdir -p DIR, mode 0700 for what is made.  A directory made is synced
 * into its parent: else a crash could take it away, with the journal
 * that was said to be on disk.
 */
static int make_dirs(fx_ctx *ctx, const char *dir)
{
	char *copy, *p;
	int err = 0, last;

	if (!(copy = fx_strdup(dir)))
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	for (p = copy + 1;; p++) {
		last = *p == '\0';
		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) == 0) {
			if ((err = sync_parent(ctx, copy, p)) < 0)
				break;
		} else if (errno != EEXIST) {
			err = fx_ctx__error(ctx, FX_EIO,
					    "cannot create the directory '%s': "
					    "%s",
					    copy, strerror(errno));
			break;
		}
		if (last)
			break;
		*p = '/';
	}
	free(copy);
	return err;
}

int fx_journal_open(fx_journal **out, fx_ctx *ctx, const char *path)
{
	struct fx_buf lock = FX_BUF_INIT;
	fx_journal *j = NULL;
	const char *slash;
	int err;

	*out = NULL;
	if (!path || !*path || path[strlen(path) - 1] == '/')
		return fx_ctx__error(ctx, FX_EINVALID,
				     "the journal needs a file name, not '%s'",
				     path ? path : "");
	if (!(j = calloc(1, sizeof(*j)))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	j->ctx = ctx;
	j->lock_fd = -1;
	slash = strrchr(path, '/');
	if (!(j->path = fx_strdup(path)) ||
	    !(j->dir = slash ? fx_strndup(path,
					  slash == path
						  ? 1
						  : (size_t) (slash - path))
			     : fx_strdup(".")) ||
	    fx_buf_printf(&lock, "%s.lock", path) < 0) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if (slash && (err = make_dirs(ctx, j->dir)) < 0)
		goto out;
	j->lock_fd =
		open(lock.ptr, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (j->lock_fd < 0) {
		err = fx_ctx__error(ctx, FX_EIO,
				    "cannot open the lock file '%s' of the "
				    "journal: %s",
				    lock.ptr, strerror(errno));
		goto out;
	}
	if (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			err = fx_ctx__error(ctx, FX_EIO,
					    "the journal '%s' is in use by "
					    "another facture process",
					    path);
		else
			err = fx_ctx__error(ctx, FX_EIO,
					    "cannot lock the journal '%s': %s",
					    path, strerror(errno));
		goto out;
	}
	if ((err = load(j)) < 0)
		goto out;
	*out = j;
	j = NULL;
out:
	fx_buf_release(&lock);
	fx_journal_close(j);
	return err;
}

void fx_journal_close(fx_journal *j)
{
	size_t i;

	if (!j)
		return;
	if (j->lock_fd >= 0)
		close(j->lock_fd); /* and with it the lock */
	for (i = 0; i < j->count; i++)
		entry_release(&j->entries[i]);
	free(j->entries);
	free(j->path);
	free(j->dir);
	free(j);
}

/* ---- Entries in and out ------------------------------------------------ */

size_t fx_journal_count(const fx_journal *j)
{
	return j ? j->count : 0;
}

const fx_journal_entry *fx_journal_get(const fx_journal *j, size_t i)
{
	return j && i < j->count ? &j->entries[i] : NULL;
}

/* The newest: the largest time, and the last written among equals. */
static const fx_journal_entry *find(const fx_journal *j, const char *what,
				    int by_flow)
{
	const fx_journal_entry *best = NULL;
	size_t i;

	if (!j || !what)
		return NULL;
	for (i = 0; i < j->count; i++) {
		const fx_journal_entry *e = &j->entries[i];
		const char *key = by_flow ? e->flow : e->sha256;

		if (key && !strcmp(key, what) &&
		    (!best || e->time >= best->time))
			best = e;
	}
	return best;
}

const fx_journal_entry *fx_journal_find_sha256(const fx_journal *j,
					       const char *sha256)
{
	return find(j, sha256, 0);
}

const fx_journal_entry *fx_journal_find_flow(const fx_journal *j,
					     const char *flow)
{
	return find(j, flow, 1);
}

static int time_ok(long long t)
{
	return t >= -MAX_EXACT_TIME && t <= MAX_EXACT_TIME;
}

int fx_journal_put(fx_journal *j, const fx_journal_entry *entry)
{
	fx_journal_entry copy;
	size_t i;

	if (!j || !entry)
		return FX_EINVALID;
	if (!sha256_ok(entry->sha256))
		return fx_ctx__error(j->ctx, FX_EINVALID,
				     "a journal entry needs the sha256 of the "
				     "file as 64 lower-case hex digits");
	/* what the file could not give back must not go into it */
	if (!time_ok(entry->time) || !time_ok(entry->updated))
		return fx_ctx__error(j->ctx, FX_EINVALID,
				     "a journal entry's time (%lld) or time "
				     "of update (%lld) is out of range: "
				     "seconds since 1970 within 2^53",
				     entry->time, entry->updated);
	if (entry_copy(&copy, entry) < 0)
		return fx_ctx__error(j->ctx, FX_ENOMEM, "out of memory");
	/* the last of equals, as find sees it */
	for (i = j->count; i > 0; i--)
		if (j->entries[i - 1].time == copy.time &&
		    !strcmp(j->entries[i - 1].sha256, copy.sha256))
			break;
	if (i > 0) {
		entry_release(&j->entries[i - 1]);
		j->entries[i - 1] = copy;
	} else if (append(j, &copy) < 0) {
		entry_release(&copy);
		return fx_ctx__error(j->ctx, FX_ENOMEM, "out of memory");
	}
	return save(j);
}
