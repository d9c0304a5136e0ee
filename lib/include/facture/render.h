/* SPDX-License-Identifier: MIT */
/*
 * render.h - writing reports as text, JSON, JUnit XML or SARIF
 *
 * A renderer writes one document per run: begin, one call per report in
 * input order, end with the summary.  It never writes itself: bytes go to
 * the caller's write function.
 */
#ifndef FACTURE_RENDER_H
#define FACTURE_RENDER_H

#include "common.h"
#include "report.h"

FX_BEGIN_DECLS

typedef struct fx_renderer fx_renderer;

typedef enum fx_format {
	FX_FORMAT_TEXT = 0,
	FX_FORMAT_JSON,
	FX_FORMAT_JUNIT,
	FX_FORMAT_SARIF,
	FX_FORMAT_SVRL /* Schematron results: the rules layer only */
} fx_format;

/* Returns 0, or a negative value to stop the renderer (an I/O error). */
typedef int (*fx_write_fn)(const char *data, size_t len, void *payload);

#define FX_RENDER_OPTS_VERSION 1

typedef struct fx_render_opts {
	unsigned int version; /* FX_RENDER_OPTS_VERSION */
	int color;	      /* text: ANSI colours */
	int verbose;	      /* text: a line for each valid file too */
	fx_write_fn write;
	void *payload;
} fx_render_opts;

#define FX_RENDER_OPTS_INIT                              \
	{                                                \
		FX_RENDER_OPTS_VERSION, 0, 0, NULL, NULL \
	}

/* Totals of a run, given to fx_renderer_end. */
typedef struct fx_summary {
	size_t files, valid, invalid, errors;
	size_t fatal, warning, info;
	double seconds;
} fx_summary;

#define FX_SUMMARY_INIT                  \
	{                                \
		0, 0, 0, 0, 0, 0, 0, 0.0 \
	}

/* Add one report's counts to a summary. */
FX_EXTERN void fx_summary_add(fx_summary *summary, const fx_report *report);

/* Parse "text", "json", "junit", "sarif", "svrl"; FX_EINVALID otherwise. */
FX_EXTERN int fx_format_parse(fx_format *out, const char *name);

/*
 * A renderer for FORMAT writing through OPTS->write.  Errors: FX_EINVALID
 * (no write function), FX_ENOMEM.  Each later call returns FX_EIO once the
 * write function has failed.
 */
FX_EXTERN int fx_renderer_new(fx_renderer **out, fx_format format,
			      const fx_render_opts *opts);
FX_EXTERN int fx_renderer_begin(fx_renderer *r);
FX_EXTERN int fx_renderer_add(fx_renderer *r, const fx_report *report);
FX_EXTERN int fx_renderer_end(fx_renderer *r, const fx_summary *summary);
FX_EXTERN void fx_renderer_free(fx_renderer *r);

FX_END_DECLS

#endif
