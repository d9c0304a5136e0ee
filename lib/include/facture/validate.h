/* SPDX-License-Identifier: MIT */
/*
 * validate.h - running the validation layers over a document
 */
#ifndef FACTURE_VALIDATE_H
#define FACTURE_VALIDATE_H

#include "common.h"
#include "ctx.h"
#include "doc.h"
#include "report.h"

FX_BEGIN_DECLS

#define FX_VALIDATE_OPTS_VERSION 1

/* Which business rules run after the schema layer. */
typedef enum fx_rules {
	FX_RULES_EN16931 = 0, /* EN 16931 (CEN artefacts 1.3.16) */
	FX_RULES_NONE	      /* none: well-formedness and schema only */
} fx_rules;

typedef struct fx_validate_opts {
	unsigned int version; /* FX_VALIDATE_OPTS_VERSION */
	int schema;	      /* run the schema layer (default 1) */
	fx_rules rules;	      /* default FX_RULES_EN16931 */
	/* skip the rules when the schema layer failed (default 0: the
	 * rules run anyway, as the official validators do) */
	int stop_on_schema_error;
} fx_validate_opts;

#define FX_VALIDATE_OPTS_INIT                                    \
	{                                                        \
		FX_VALIDATE_OPTS_VERSION, 1, FX_RULES_EN16931, 0 \
	}

/*
 * Validate a loaded document: every layer that applies, in order, all
 * findings into one new report (*out, freed by the caller).  A document
 * that cannot be checked (PDF or zip for now, ZUGFeRD 1.0, other XML) gets
 * a finding and the ERROR outcome: it is never reported valid by default.
 * OPTS may be NULL for the defaults.  Returns 0 whatever the verdict, or
 * FX_ENOMEM / FX_EINTERNAL / FX_EINVALID when the call itself failed.
 */
FX_EXTERN int fx_validate(fx_report **out, fx_ctx *ctx, const fx_doc *doc,
			  const fx_validate_opts *opts);

/*
 * Load PATH ("-" for standard input) and validate it.  Problems with the
 * input itself (unreadable, too big, not well-formed) become findings of
 * the input or xml layer, with the ERROR outcome, so a batch can go on:
 * the call returns 0 with a report in every such case.
 */
FX_EXTERN int fx_validate_file(fx_report **out, fx_ctx *ctx, const char *path,
			       const fx_validate_opts *opts);

/* The same for bytes in memory; NAME is used in the report. */
FX_EXTERN int fx_validate_memory(fx_report **out, fx_ctx *ctx, const char *name,
				 const void *data, size_t len,
				 const fx_validate_opts *opts);

FX_END_DECLS

#endif
