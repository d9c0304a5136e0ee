/* SPDX-License-Identifier: MIT */
/*
 * batch.c - validating many inputs with worker threads, in input order
 *
 * Inputs are produced lazily (operands, directory walks, --files-from),
 * so a batch of a million files costs no more memory than a batch of ten:
 * workers may run ahead of the output by a small window only.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

/* One directory being walked: its sorted entries and where we are. */
struct dir_frame {
	char *path;
	char **names;
	size_t count, next;
	struct dir_frame *up;
};

struct input_iter {
	const struct batch_source *src;
	int next_operand;
	struct dir_frame *dirs;
	char *line;
	size_t line_cap;
	int files_from_done;
	/* the archive whose members are being handed out */
	fx_ctx *zip_ctx;
	fx_zip *zip;
	char *zip_path;
	size_t zip_next;
	size_t max_size;
};

/* What a worker is given: a path; or a member of an archive, with its
 * bytes; or a note that a directory or an archive cannot give anything. */
struct item {
	char *path;
	char *problem;
	void *data;
	size_t len;
};

static int has_invoice_suffix(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && !strcasecmp(name + n - 4, ".xml")) ||
	       (n > 4 && !strcasecmp(name + n - 4, ".pdf"));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void frame_free(struct dir_frame *f)
{
	size_t i;

	for (i = 0; i < f->count; i++)
		free(f->names[i]);
	free(f->names);
	free(f->path);
	free(f);
}

/* Read and sort a directory; *problem is set when it cannot be read. */
static int frame_open(struct dir_frame **out, const char *path, char **problem)
{
	struct dir_frame *f;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	if (!(d = opendir(path))) {
		if (asprintf(problem, "cannot open directory '%s': %s", path,
			     strerror(errno)) < 0)
			return FX_ENOMEM;
		return 0;
	}
	if (!(f = calloc(1, sizeof(*f))) || !(f->path = strdup(path)))
		goto oom;
	while ((de = readdir(d))) {
		char **names;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!(names = realloc(f->names,
				      (f->count + 1) * sizeof(*names))))
			goto oom;
		f->names = names;
		if (!(f->names[f->count] = strdup(de->d_name)))
			goto oom;
		f->count++;
	}
	closedir(d);
	if (f->count > 1)
		qsort(f->names, f->count, sizeof(*f->names), cmp_names);
	*out = f;
	return 0;
oom:
	closedir(d);
	if (f)
		frame_free(f);
	return FX_ENOMEM;
}

static char *join(const char *dir, const char *name)
{
	char *p;
	size_t n = strlen(dir);

	if (asprintf(&p, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/",
		     name) < 0)
		return NULL;
	return p;
}

/* Start walking a directory operand; an empty walk is worth a note. */
static int enter_dir(struct input_iter *it, const char *path, struct item *out)
{
	struct dir_frame *f = NULL;
	int err;

	if ((err = frame_open(&f, path, &out->problem)) < 0)
		return err;
	if (!f) {
		out->path = strdup(path);
		return out->path ? 1 : FX_ENOMEM;
	}
	f->up = it->dirs;
	it->dirs = f;
	return 0;
}

/* The next invoice file of the walk in progress: 1 with *out, 0 when the
 * walk is over. */
static int next_in_dirs(struct input_iter *it, struct item *out)
{
	while (it->dirs) {
		struct dir_frame *f = it->dirs;
		struct stat st;
		char *p;

		if (f->next == f->count) {
			it->dirs = f->up;
			frame_free(f);
			continue;
		}
		if (!(p = join(f->path, f->names[f->next++])))
			return FX_ENOMEM;
		/* follow links to files, not to directories: no loops */
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			struct dir_frame *sub = NULL;
			int err = frame_open(&sub, p, &out->problem);

			if (err < 0 || out->problem) {
				if (err < 0)
					free(p);
				else
					out->path = p;
				return err < 0 ? err : 1;
			}
			free(p);
			sub->up = it->dirs;
			it->dirs = sub;
			continue;
		}
		if (has_invoice_suffix(p)) {
			out->path = p;
			return 1;
		}
		free(p);
	}
	return 0;
}

/* A zip archive, by its magic bytes (never by its name). */
static int is_zip(const char *path)
{
	unsigned char magic[4];
	FILE *fp = fopen(path, "rb");
	size_t n = fp ? fread(magic, 1, sizeof(magic), fp) : 0;

	if (fp)
		fclose(fp);
	return n == 4 && magic[0] == 'P' && magic[1] == 'K' &&
	       ((magic[2] == 3 && magic[3] == 4) ||
		(magic[2] == 5 && magic[3] == 6));
}

static void close_zip(struct input_iter *it)
{
	fx_zip_free(it->zip);
	fx_ctx_free(it->zip_ctx);
	free(it->zip_path);
	it->zip = NULL;
	it->zip_ctx = NULL;
	it->zip_path = NULL;
	it->zip_next = 0;
}

/* Open an archive operand: its members come next, each reported as
 * ARCHIVE:MEMBER.  An archive that cannot be read is one item that says
 * why. */
static int enter_zip(struct input_iter *it, const char *path, struct item *out)
{
	int err;

	if ((err = fx_ctx_new(&it->zip_ctx)) < 0)
		return err;
	fx_ctx_set_max_size(it->zip_ctx, it->max_size);
	if ((err = fx_zip_open_file(&it->zip, it->zip_ctx, path)) < 0) {
		if (err == FX_ENOMEM)
			return err;
		if (!(out->path = strdup(path)) ||
		    !(out->problem =
			      strdup(fx_ctx_last_error(it->zip_ctx)->message)))
			return FX_ENOMEM;
		close_zip(it);
		return 1;
	}
	if (!(it->zip_path = strdup(path)))
		return FX_ENOMEM;
	return 0;
}

/* The next member of the open archive: 1 with *out, 0 when it is done. */
static int next_in_zip(struct input_iter *it, struct item *out)
{
	while (it->zip && it->zip_next < fx_zip_count(it->zip)) {
		size_t i = it->zip_next++;
		const fx_zip_entry *e = fx_zip_get(it->zip, i);
		const unsigned char *bytes;
		size_t len;
		int err;

		if (e->is_dir)
			continue;
		if (asprintf(&out->path, "%s:%s", it->zip_path, e->name) < 0) {
			out->path = NULL;
			return FX_ENOMEM;
		}
		err = fx_zip_read(&bytes, &len, it->zip_ctx, it->zip, i);
		if (err == FX_ENOMEM)
			return err;
		if (err < 0) {
			out->problem =
				strdup(fx_ctx_last_error(it->zip_ctx)->message);
			return out->problem ? 1 : FX_ENOMEM;
		}
		if (!(out->data = malloc(len ? len : 1)))
			return FX_ENOMEM;
		memcpy(out->data, bytes, len);
		out->len = len;
		return 1;
	}
	if (it->zip) {
		int empty = fx_zip_count(it->zip) == 0;
		char *path = it->zip_path;

		it->zip_path = NULL;
		close_zip(it);
		if (empty) {
			/* an archive with nothing to check is worth saying so
			 */
			out->path = path;
			out->problem = strdup("the archive holds no file");
			return out->problem ? 1 : FX_ENOMEM;
		}
		free(path);
	}
	return 0;
}

static int operand(struct input_iter *it, const char *path, struct item *out)
{
	struct stat st;
	int err;

	if (!strcmp(path, "-") || stat(path, &st) < 0)
		return (out->path = strdup(path)) ? 1 : FX_ENOMEM;
	if (S_ISREG(st.st_mode) && is_zip(path)) {
		if ((err = enter_zip(it, path, out)) != 0)
			return err;
		return next_in_zip(it, out);
	}
	if (!S_ISDIR(st.st_mode))
		return (out->path = strdup(path)) ? 1 : FX_ENOMEM;

	if ((err = enter_dir(it, path, out)) != 0)
		return err;
	if ((err = next_in_dirs(it, out)) != 0)
		return err;
	/* a directory with nothing to check is worth saying so */
	if (asprintf(&out->problem, "no *.xml or *.pdf file in directory '%s'",
		     path) < 0) {
		out->problem = NULL;
		return FX_ENOMEM;
	}
	return (out->path = strdup(path)) ? 1 : FX_ENOMEM;
}

/* The next input: 1 with *out filled, 0 at the end, < 0 on failure. */
static int iter_next(struct input_iter *it, struct item *out)
{
	const struct batch_source *src = it->src;
	ssize_t n;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = next_in_zip(it, out)) != 0)
		return err;
	if ((err = next_in_dirs(it, out)) != 0)
		return err;
	if (it->next_operand < src->npaths)
		return operand(it, src->paths[it->next_operand++], out);
	while (src->files_from && !it->files_from_done) {
		n = getline(&it->line, &it->line_cap, src->files_from);
		if (n < 0) {
			if (ferror(src->files_from))
				cli_error("cannot read '%s': %s",
					  src->files_from_name,
					  strerror(errno));
			it->files_from_done = 1;
			return ferror(src->files_from) ? FX_EIO : 0;
		}
		while (n &&
		       (it->line[n - 1] == '\n' || it->line[n - 1] == '\r'))
			it->line[--n] = '\0';
		if (n == 0)
			continue;
		return operand(it, it->line, out);
	}
	return 0;
}

static void iter_release(struct input_iter *it)
{
	close_zip(it);
	while (it->dirs) {
		struct dir_frame *f = it->dirs;

		it->dirs = f->up;
		frame_free(f);
	}
	free(it->line);
}

static void item_release(struct item *item)
{
	free(item->path);
	free(item->problem);
	free(item->data);
	memset(item, 0, sizeof(*item));
}

/* Validate one item: always a report, unless memory ran out. */
static int process(fx_report **out, fx_ctx *ctx, const struct item *item,
		   const struct batch_opts *opts)
{
	fx_report *report = NULL;
	fx_finding f;
	int err;

	if (item->data)
		return fx_validate_memory(out, ctx, item->path, item->data,
					  item->len, &opts->validate);
	if (!item->problem)
		return fx_validate_file(out, ctx, item->path, &opts->validate);
	*out = NULL;
	if ((err = fx_report_new(&report, item->path)) < 0)
		return err;
	memset(&f, 0, sizeof(f));
	f.severity = FX_SEVERITY_FATAL;
	f.layer = FX_LAYER_INPUT;
	f.rule = "INPUT";
	f.message = item->problem;
	if ((err = fx_report_add(report, &f)) < 0) {
		fx_report_free(report);
		return err;
	}
	fx_report_set_layer(report, FX_LAYER_INPUT, FX_LAYER_FAIL);
	fx_report_set_error(report, FX_EIO);
	*out = report;
	return 0;
}

struct progress {
	int on;
	size_t done;
	double last;
	int shown;
};

static void progress_tick(struct progress *p)
{
	double now;

	p->done++;
	if (!p->on || p->done <= 20)
		return;
	now = cli_now();
	if (now - p->last < 0.1)
		return;
	p->last = now;
	p->shown = 1;
	fprintf(stderr, "\rvalidating: %zu files checked", p->done);
	fflush(stderr);
}

static void progress_clear(struct progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

/* ---- one thread -------------------------------------------------- */

static int run_serial(const struct batch_source *src,
		      const struct batch_opts *opts, struct progress *prog)
{
	struct input_iter it;
	struct item item;
	fx_report *report = NULL;
	fx_ctx *ctx = NULL;
	int err, more;

	memset(&it, 0, sizeof(it));
	memset(&item, 0, sizeof(item));
	it.src = src;
	it.max_size = opts->max_size;
	if ((err = fx_ctx_new(&ctx)) < 0)
		goto out;
	fx_ctx_set_max_size(ctx, opts->max_size);
	while ((more = iter_next(&it, &item)) > 0) {
		if ((err = process(&report, ctx, &item, opts)) < 0) {
			cli_error("%s: %s", item.path,
				  fx_ctx_last_error(ctx)->message);
			goto out;
		}
		err = opts->emit(report, opts->payload);
		fx_report_free(report);
		report = NULL;
		item_release(&item);
		progress_tick(prog);
		if (err < 0)
			goto out;
	}
	err = more;
out:
	item_release(&item);
	iter_release(&it);
	fx_ctx_free(ctx);
	return err;
}

/* ---- worker threads ------------------------------------------------ */

struct slot {
	fx_report *report;
	int done;
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t ready; /* a slot was filled */
	pthread_cond_t space; /* the window moved on, or stop */
	struct input_iter it;
	const struct batch_opts *opts;
	struct slot *slots;
	size_t window;
	size_t fetched; /* items handed out */
	size_t emitted; /* items written, in order */
	int exhausted;
	int stop;
	int err;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	fx_ctx *ctx = NULL;
	int err;

	if ((err = fx_ctx_new(&ctx)) < 0) {
		pthread_mutex_lock(&p->lock);
		p->err = err;
		p->stop = 1;
		pthread_cond_broadcast(&p->ready);
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	fx_ctx_set_max_size(ctx, p->opts->max_size);
	for (;;) {
		struct item item;
		fx_report *report = NULL;
		size_t idx;
		int more;

		pthread_mutex_lock(&p->lock);
		while (!p->stop && !p->exhausted &&
		       p->fetched >= p->emitted + p->window)
			pthread_cond_wait(&p->space, &p->lock);
		if (p->stop || p->exhausted) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		more = iter_next(&p->it, &item);
		if (more <= 0) {
			p->exhausted = 1;
			if (more < 0) {
				p->err = more;
				p->stop = 1;
			}
			pthread_cond_broadcast(&p->ready);
			pthread_cond_broadcast(&p->space);
			pthread_mutex_unlock(&p->lock);
			break;
		}
		idx = p->fetched++;
		pthread_mutex_unlock(&p->lock);

		err = process(&report, ctx, &item, p->opts);

		pthread_mutex_lock(&p->lock);
		if (err < 0) {
			cli_error("%s: %s", item.path,
				  fx_ctx_last_error(ctx)->message);
			p->err = err;
			p->stop = 1;
		}
		p->slots[idx % p->window].report = report;
		p->slots[idx % p->window].done = 1;
		/* the writer waits for one slot only: the next in order */
		if (idx == p->emitted || p->stop)
			pthread_cond_signal(&p->ready);
		pthread_mutex_unlock(&p->lock);
		item_release(&item);
	}
	fx_ctx_free(ctx);
	return NULL;
}

static int run_pool(const struct batch_source *src,
		    const struct batch_opts *opts, struct progress *prog)
{
	struct pool p;
	pthread_t *threads = NULL;
	unsigned i, started = 0;
	int err = 0;

	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.ready, NULL);
	pthread_cond_init(&p.space, NULL);
	p.it.src = src;
	p.it.max_size = opts->max_size;
	p.opts = opts;
	p.window = (size_t) opts->jobs * 4;
	if (!(p.slots = calloc(p.window, sizeof(*p.slots))) ||
	    !(threads = calloc(opts->jobs, sizeof(*threads)))) {
		err = FX_ENOMEM;
		goto out;
	}
	for (i = 0; i < opts->jobs; i++) {
		if (pthread_create(&threads[i], NULL, worker, &p) != 0)
			break;
		started++;
	}
	if (!started) {
		cli_error("cannot start worker threads");
		err = FX_EINTERNAL;
		goto out;
	}

	pthread_mutex_lock(&p.lock);
	for (;;) {
		struct slot *s = &p.slots[p.emitted % p.window];

		while (!s->done && !p.stop &&
		       !(p.exhausted && p.emitted == p.fetched))
			pthread_cond_wait(&p.ready, &p.lock);
		if (!s->done)
			break; /* the end, or a failure */
		pthread_mutex_unlock(&p.lock);

		err = s->report ? opts->emit(s->report, opts->payload) : 0;
		fx_report_free(s->report);
		progress_tick(prog);

		pthread_mutex_lock(&p.lock);
		s->report = NULL;
		s->done = 0;
		p.emitted++;
		if (err < 0) {
			p.stop = 1;
			p.err = err;
		}
		pthread_cond_broadcast(&p.space);
	}
	p.stop = 1;
	pthread_cond_broadcast(&p.space);
	pthread_mutex_unlock(&p.lock);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	err = p.err;
	for (i = 0; i < p.window; i++)
		fx_report_free(p.slots[i].report);
out:
	iter_release(&p.it);
	free(p.slots);
	free(threads);
	pthread_cond_destroy(&p.space);
	pthread_cond_destroy(&p.ready);
	pthread_mutex_destroy(&p.lock);
	return err;
}

int batch_run(const struct batch_source *src, const struct batch_opts *opts)
{
	struct progress prog = { opts->progress, 0, 0.0, 0 };
	int err;

	if (opts->jobs <= 1)
		err = run_serial(src, opts, &prog);
	else
		err = run_pool(src, opts, &prog);
	progress_clear(&prog);
	return err;
}
