/* SPDX-License-Identifier: MIT */
/*
 * chorus_profile.c - Chorus Pro profiles: credentials and endpoints from an
 * INI file
 *
 * The whole file is checked, not only the section asked for: a typing
 * mistake in another profile is better found now than on the day that
 * profile is used.  The file text holds secrets, so it lives in memory of
 * its own that is wiped before it is freed, and so are the values taken
 * out of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "banned.h"

#define MAX_PROFILE_FILE ((size_t) 1024 * 1024)
#define MAX_PROFILE_LINE 4096

/* The keys of a section, and where each goes in the profile. */
static const struct profile_key {
	const char *name;
	size_t offset;
	int secret;
} profile_keys[] = {
	{ "client_id", offsetof(fx_chorus_profile, client_id), 0 },
	{ "client_secret", offsetof(fx_chorus_profile, client_secret), 1 },
	{ "login", offsetof(fx_chorus_profile, login), 0 },
	{ "password", offsetof(fx_chorus_profile, password), 1 },
	{ "env", offsetof(fx_chorus_profile, env), 0 },
	{ "api_url", offsetof(fx_chorus_profile, api_url), 0 },
	{ "token_url", offsetof(fx_chorus_profile, token_url), 0 },
	{ "cacert", offsetof(fx_chorus_profile, cacert), 0 },
	{ "timeout", offsetof(fx_chorus_profile, timeout), 0 },
};

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void fx_chorus_profile_free(fx_chorus_profile *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < FX_ARRAY_SIZE(profile_keys); i++)
		wipe_free(*(char **) ((char *) p + profile_keys[i].offset));
	free(p->name);
	explicit_bzero(p, sizeof(*p));
	free(p);
}

struct file_text {
	char *ptr;
	size_t len;
	size_t size; /* allocated, wiped in full */
};

static void file_text_release(struct file_text *t)
{
	if (t->ptr) {
		explicit_bzero(t->ptr, t->size);
		free(t->ptr);
	}
	t->ptr = NULL;
	t->len = t->size = 0;
}

/*
 * Read the file at FD.  It may grow while we read: we read at most one
 * byte past the limit, which is enough to refuse it.
 */
static int read_text(struct file_text *out, fx_ctx *ctx, const char *path,
		     int fd, size_t hint)
{
	ssize_t n;

	out->size = (hint < MAX_PROFILE_FILE ? hint : MAX_PROFILE_FILE) + 2;
	if (!(out->ptr = malloc(out->size)))
		return fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
	out->len = 0;
	for (;;) {
		if (out->len + 1 == out->size) {
			size_t size = out->size * 2;
			char *p;

			if (size > MAX_PROFILE_FILE + 2)
				size = MAX_PROFILE_FILE + 2;
			if (out->len > MAX_PROFILE_FILE)
				break;
			/* move by hand so that no unwiped copy is left */
			if (!(p = malloc(size)))
				return fx_ctx__error(ctx, FX_ENOMEM,
						     "out of memory");
			memcpy(p, out->ptr, out->len);
			explicit_bzero(out->ptr, out->size);
			free(out->ptr);
			out->ptr = p;
			out->size = size;
		}
		n = read(fd, out->ptr + out->len, out->size - 1 - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fx_ctx__error(ctx, FX_EIO,
					     "cannot read '%s': %s", path,
					     strerror(errno));
		if (n == 0)
			break;
		out->len += (size_t) n;
	}
	out->ptr[out->len] = '\0';
	if (out->len > MAX_PROFILE_FILE)
		return fx_ctx__error(
			ctx, FX_ETOOBIG,
			"profile file '%s' is larger than %zu bytes", path,
			MAX_PROFILE_FILE);
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Trim [*start, *end) in place (no copy). */
static void trim(const char **start, const char **end)
{
	while (*start < *end && is_blank(**start))
		(*start)++;
	while (*end > *start && is_blank((*end)[-1]))
		(*end)--;
}

struct parse_state {
	fx_ctx *ctx;
	const char *path;
	const char *want;     /* the section asked for */
	fx_chorus_profile *p; /* filled from every section named WANT */
	int found;
	int in_wanted;
	int in_section;
	int has_secret;		/* any section sets a secret */
	struct fx_buf sections; /* "'a', 'b'" for the message */
};

static int note_section(struct parse_state *st, const char *name, size_t len)
{
	struct fx_buf quoted = FX_BUF_INIT;
	int err;

	if ((err = fx_buf_printf(&quoted, "'%.*s'", (int) len, name)) < 0)
		goto out;
	/* list each name once, even when the file repeats a section */
	if (st->sections.ptr) {
		const char *at = st->sections.ptr;

		while ((at = strstr(at, quoted.ptr))) {
			if ((at == st->sections.ptr || at[-1] == ' ') &&
			    (at[quoted.len] == ',' || at[quoted.len] == '\0'))
				goto out;
			at++;
		}
	}
	if (st->sections.len && (err = fx_buf_puts(&st->sections, ", ")) < 0)
		goto out;
	err = fx_buf_puts(&st->sections, quoted.ptr);
out:
	fx_buf_release(&quoted);
	return err < 0 ? fx_ctx__error(st->ctx, FX_ENOMEM, "out of memory") : 0;
}

#define KNOWN_KEYS                                                             \
	"client_id, client_secret, login, password, env, api_url, token_url, " \
	"cacert, timeout"

/*
 * Is [K, KEND) worth quoting in a message?  Keys are lower case words; text
 * of another shape before an '=' is more likely a value (base64 ends with
 * '=') or a line mistyped around one, and values may be secrets.
 */
static int looks_like_a_key(const char *k, const char *kend)
{
	if (kend - k > 32)
		return 0;
	for (; k < kend; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
		      *k == '_' || *k == '-' || *k == '.'))
			return 0;
	return 1;
}

static int parse_line(struct parse_state *st, unsigned long lineno,
		      const char *s, const char *end)
{
	const struct profile_key *key = NULL;
	const char *eq, *k, *kend, *v, *vend;
	char **slot;
	size_t i;

	trim(&s, &end);
	if (s == end || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		if (end[-1] != ']' || end - s < 2)
			return fx_ctx__error(st->ctx, FX_EPARSE,
					     "line %lu of '%s' opens a section "
					     "name with '[' but does not close "
					     "it with ']'",
					     lineno, st->path);
		k = s + 1;
		kend = end - 1;
		trim(&k, &kend);
		if (k == kend)
			return fx_ctx__error(st->ctx, FX_EPARSE,
					     "line %lu of '%s' has an empty "
					     "section name",
					     lineno, st->path);
		st->in_section = 1;
		st->in_wanted = (size_t) (kend - k) == strlen(st->want) &&
				memcmp(k, st->want, (size_t) (kend - k)) == 0;
		if (st->in_wanted)
			st->found = 1;
		return note_section(st, k, (size_t) (kend - k));
	}
	if (!(eq = memchr(s, '=', (size_t) (end - s))))
		return fx_ctx__error(
			st->ctx, FX_EPARSE,
			"line %lu of '%s' is neither 'key = value', "
			"'[profile]' nor a comment",
			lineno, st->path);
	k = s;
	kend = eq;
	v = eq + 1;
	vend = end;
	trim(&k, &kend);
	trim(&v, &vend);
	if (k == kend)
		return fx_ctx__error(st->ctx, FX_EPARSE,
				     "line %lu of '%s' has a value but no key",
				     lineno, st->path);
	for (i = 0; i < FX_ARRAY_SIZE(profile_keys); i++)
		if (strlen(profile_keys[i].name) == (size_t) (kend - k) &&
		    !memcmp(profile_keys[i].name, k, (size_t) (kend - k)))
			key = &profile_keys[i];
	if (!key && looks_like_a_key(k, kend))
		return fx_ctx__error(st->ctx, FX_EINVALID,
				     "unknown key '%.*s' on line %lu of '%s' "
				     "(known: " KNOWN_KEYS ")",
				     (int) (kend - k), k, lineno, st->path);
	if (!key)
		return fx_ctx__error(st->ctx, FX_EINVALID,
				     "unknown key on line %lu of '%s' (not "
				     "shown: it may be part of a secret); "
				     "keys are written 'key = value' and are "
				     "" KNOWN_KEYS,
				     lineno, st->path);
	if (!st->in_section)
		return fx_ctx__error(st->ctx, FX_EPARSE,
				     "line %lu of '%s' sets '%s' before any "
				     "[profile] line",
				     lineno, st->path, key->name);
	if (key->secret)
		st->has_secret = 1;
	if (!st->in_wanted)
		return 0;
	/* one pair of double quotes around the value is taken off */
	if (vend - v >= 2 && *v == '"' && vend[-1] == '"') {
		v++;
		vend--;
	}
	slot = (char **) ((char *) st->p + key->offset);
	wipe_free(*slot); /* a later line wins */
	if (!(*slot = fx_strndup(v, (size_t) (vend - v))))
		return fx_ctx__error(st->ctx, FX_ENOMEM, "out of memory");
	return 0;
}

static int parse_text(struct parse_state *st, const char *text, size_t len)
{
	const char *line = text, *end = text + len, *nl;
	unsigned long lineno = 0;
	int err;

	while (line < end) {
		lineno++;
		if (!(nl = memchr(line, '\n', (size_t) (end - line))))
			nl = end;
		if (nl - line > MAX_PROFILE_LINE)
			return fx_ctx__error(st->ctx, FX_EPARSE,
					     "line %lu of '%s' is longer than "
					     "%d bytes",
					     lineno, st->path,
					     MAX_PROFILE_LINE);
		if (memchr(line, '\0', (size_t) (nl - line)))
			return fx_ctx__error(st->ctx, FX_EPARSE,
					     "line %lu of '%s' holds a NUL "
					     "byte: not a text file",
					     lineno, st->path);
		if ((err = parse_line(st, lineno, line, nl)) < 0)
			return err;
		line = nl + 1;
	}
	return 0;
}

int fx_chorus_profile_load(fx_chorus_profile **out, fx_ctx *ctx,
			   const char *path, const char *name)
{
	struct parse_state st;
	struct file_text text = { NULL, 0, 0 };
	struct stat sb;
	int fd = -1, err;

	*out = NULL;
	memset(&st, 0, sizeof(st));
	if (!path || !*path || !name || !*name)
		return fx_ctx__error(ctx, FX_EINVALID,
				     "no profile file or profile name given");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return fx_ctx__error(ctx, FX_EIO, "cannot open '%s': %s", path,
				     strerror(errno));
	if (fstat(fd, &sb) < 0) {
		err = fx_ctx__error(ctx, FX_EIO, "cannot read '%s': %s", path,
				    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		err = fx_ctx__error(ctx, FX_EIO,
				    "cannot read '%s': not a regular file",
				    path);
		goto out;
	}
	if ((unsigned long long) sb.st_size > MAX_PROFILE_FILE) {
		err = fx_ctx__error(
			ctx, FX_ETOOBIG,
			"profile file '%s' is larger than %zu bytes", path,
			MAX_PROFILE_FILE);
		goto out;
	}
	if ((err = read_text(&text, ctx, path, fd, (size_t) sb.st_size)) < 0)
		goto out;

	st.ctx = ctx;
	st.path = path;
	st.want = name;
	if (!(st.p = calloc(1, sizeof(*st.p))) ||
	    !(st.p->name = fx_strdup(name))) {
		err = fx_ctx__error(ctx, FX_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = parse_text(&st, text.ptr, text.len)) < 0)
		goto out;

	/* secrets first: refuse a leaky file whatever was asked of it (an
	 * execute bit lets nobody read or change it) */
	if (st.has_secret && (sb.st_mode & 066)) {
		err = fx_ctx__error(
			ctx, FX_EKEY,
			"%s is %s by others and holds secrets; "
			"run: chmod 600 %s",
			path, sb.st_mode & 044 ? "readable" : "writable", path);
		goto out;
	}
	if (st.has_secret && sb.st_uid != geteuid()) {
		err = fx_ctx__error(ctx, FX_EKEY,
				    "%s holds secrets but belongs to user id "
				    "%lu, not to the user running facture "
				    "(%lu)",
				    path, (unsigned long) sb.st_uid,
				    (unsigned long) geteuid());
		goto out;
	}
	if (!st.found) {
		err = fx_ctx__error(ctx, FX_EINVALID,
				    "no profile '%s' in %s (%s%s)", name, path,
				    st.sections.len ? "profiles found: "
						    : "no profiles in it",
				    st.sections.len ? st.sections.ptr : "");
		goto out;
	}
	*out = st.p;
	st.p = NULL;
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	file_text_release(&text);
	fx_chorus_profile_free(st.p);
	fx_buf_release(&st.sections);
	return err;
}
