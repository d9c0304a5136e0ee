/* SPDX-License-Identifier: MIT */
/*
 * report.c - findings of one validation
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "banned.h"

struct fx_report {
	char *file;
	fx_finding *findings;
	size_t count, cap;
	size_t by_severity[3];
	fx_layer_state layers[FX_LAYER_COUNT];
	int error;
	fx_syntax syntax;
	fx_profile profile;
	char *profile_id;
};

int fx_report_new(fx_report **out, const char *file)
{
	fx_report *r;

	*out = NULL;
	if (!(r = calloc(1, sizeof(*r))))
		return FX_ENOMEM;
	if (file && !(r->file = fx_strdup(file))) {
		free(r);
		return FX_ENOMEM;
	}
	*out = r;
	return 0;
}

static void finding_release(fx_finding *f)
{
	free((char *) f->rule);
	free((char *) f->message);
	free((char *) f->terms);
	free((char *) f->file);
	free((char *) f->xpath);
}

void fx_report_free(fx_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->count; i++)
		finding_release(&r->findings[i]);
	free(r->findings);
	free(r->file);
	free(r->profile_id);
	free(r);
}

static int dup_field(const char **dst, const char *src)
{
	*dst = NULL;
	if (src && !(*dst = fx_strdup(src)))
		return FX_ENOMEM;
	return 0;
}

int fx_report_add(fx_report *r, const fx_finding *f)
{
	fx_finding copy;

	if (!r || !f || (unsigned) f->severity > FX_SEVERITY_INFO ||
	    (unsigned) f->layer >= FX_LAYER_COUNT)
		return FX_EINVALID;
	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		fx_finding *p = realloc(r->findings, cap * sizeof(*p));

		if (!p)
			return FX_ENOMEM;
		r->findings = p;
		r->cap = cap;
	}
	memset(&copy, 0, sizeof(copy));
	copy.severity = f->severity;
	copy.layer = f->layer;
	copy.line = f->line;
	copy.column = f->column;
	if (dup_field(&copy.rule, f->rule) < 0 ||
	    dup_field(&copy.message, f->message ? f->message : "") < 0 ||
	    dup_field(&copy.terms, f->terms) < 0 ||
	    dup_field(&copy.file, f->file ? f->file : r->file) < 0 ||
	    dup_field(&copy.xpath, f->xpath) < 0) {
		finding_release(&copy);
		return FX_ENOMEM;
	}
	r->findings[r->count++] = copy;
	r->by_severity[f->severity]++;
	if (f->severity == FX_SEVERITY_FATAL &&
	    r->layers[f->layer] != FX_LAYER_FAIL)
		r->layers[f->layer] = FX_LAYER_FAIL;
	return 0;
}

int fx_report__addf(fx_report *r, fx_severity severity, fx_layer layer,
		    const char *rule, unsigned long line, unsigned long column,
		    const char *xpath, const char *fmt, ...)
{
	struct fx_buf msg = FX_BUF_INIT;
	fx_finding f;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = fx_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (err < 0)
		goto out;
	memset(&f, 0, sizeof(f));
	f.severity = severity;
	f.layer = layer;
	f.rule = rule;
	f.message = msg.ptr;
	f.line = line;
	f.column = column;
	f.xpath = xpath;
	err = fx_report_add(r, &f);
out:
	fx_buf_release(&msg);
	return err;
}

const char *fx_report_file(const fx_report *r)
{
	return r->file;
}
size_t fx_report_count(const fx_report *r)
{
	return r->count;
}

const fx_finding *fx_report_get(const fx_report *r, size_t i)
{
	return i < r->count ? &r->findings[i] : NULL;
}

size_t fx_report_count_severity(const fx_report *r, fx_severity severity)
{
	return (unsigned) severity <= FX_SEVERITY_INFO
		       ? r->by_severity[severity]
		       : 0;
}

fx_outcome fx_report_outcome(const fx_report *r)
{
	if (r->error)
		return FX_OUTCOME_ERROR;
	if (r->by_severity[FX_SEVERITY_FATAL])
		return FX_OUTCOME_INVALID;
	return FX_OUTCOME_VALID;
}

fx_layer_state fx_report_layer(const fx_report *r, fx_layer layer)
{
	return (unsigned) layer < FX_LAYER_COUNT ? r->layers[layer]
						 : FX_LAYER_NOT_RUN;
}

void fx_report_set_layer(fx_report *r, fx_layer layer, fx_layer_state state)
{
	if ((unsigned) layer < FX_LAYER_COUNT)
		r->layers[layer] = state;
}

void fx_report_set_error(fx_report *r, int code)
{
	r->error = code < 0 ? code : FX_ERROR;
}

int fx_report_error(const fx_report *r)
{
	return r->error;
}

fx_syntax fx_report_syntax(const fx_report *r)
{
	return r->syntax;
}
fx_profile fx_report_profile(const fx_report *r)
{
	return r->profile;
}
const char *fx_report_profile_id(const fx_report *r)
{
	return r->profile_id;
}

void fx_report__set_doc(fx_report *r, const fx_doc *doc)
{
	r->syntax = fx_doc_syntax(doc);
	r->profile = fx_doc_profile(doc);
	free(r->profile_id);
	r->profile_id = fx_strdup(fx_doc_profile_id(doc));
}

int fx_report__set_profile(fx_report *r, fx_profile profile, const char *id)
{
	char *copy = NULL;

	if (id && !(copy = fx_strdup(id)))
		return FX_ENOMEM;
	free(r->profile_id);
	r->profile_id = copy;
	r->profile = profile;
	return 0;
}

const char *fx_severity_name(fx_severity severity)
{
	static const char *const names[] = { "fatal", "warning", "info" };

	return (unsigned) severity <= FX_SEVERITY_INFO ? names[severity] : "?";
}

const char *fx_layer_name(fx_layer layer)
{
	static const char *const names[] = { "input", "xml", "schema",
					     "rules", "pdf", "chorus" };

	return (unsigned) layer < FX_LAYER_COUNT ? names[layer] : "?";
}
