/* SPDX-License-Identifier: MIT */
/*
 * report.h - the findings of one validation
 */
#ifndef FACTURE_REPORT_H
#define FACTURE_REPORT_H

#include "common.h"
#include "doc.h"

FX_BEGIN_DECLS

typedef struct fx_report fx_report;

typedef enum fx_severity {
	FX_SEVERITY_FATAL = 0,
	FX_SEVERITY_WARNING,
	FX_SEVERITY_INFO
} fx_severity;

/* The layers of ARCHITECTURE.md, in the order they run. */
typedef enum fx_layer {
	FX_LAYER_INPUT = 0, /* reading and recognising the input */
	FX_LAYER_XML,	    /* well-formedness */
	FX_LAYER_SCHEMA,    /* XSD */
	FX_LAYER_RULES,	    /* business rules */
	FX_LAYER_PDF,	    /* Factur-X container */
	FX_LAYER_CHORUS,    /* Chorus Pro requirements (submit) */
	FX_LAYER_COUNT
} fx_layer;

/* How a layer ended for one document. */
typedef enum fx_layer_state {
	FX_LAYER_NOT_RUN = 0,
	FX_LAYER_PASS,
	FX_LAYER_FAIL
} fx_layer_state;

/* The verdict on one document. */
typedef enum fx_outcome {
	FX_OUTCOME_VALID = 0, /* every layer that applies ran and passed */
	FX_OUTCOME_INVALID,   /* a layer found a fatal problem */
	FX_OUTCOME_ERROR      /* the document could not be checked */
} fx_outcome;

/* One finding; strings are owned by the report.  Unknown values are NULL
 * (strings) or 0 (line, column). */
typedef struct fx_finding {
	fx_severity severity;
	fx_layer layer;
	const char *rule; /* "XSD", "XML", "INPUT", "BR-CO-10", ... */
	const char *message;
	const char *terms; /* business terms, e.g. "BT-106, BT-131" */
	const char *file;
	unsigned long line;
	unsigned long column;
	const char *xpath;
} fx_finding;

/*
 * An empty report about FILE (a copy is kept; NULL is allowed).  Reports
 * are usually made by fx_validate; this is for callers that add findings
 * of their own.
 */
FX_EXTERN int fx_report_new(fx_report **out, const char *file);
FX_EXTERN void fx_report_free(fx_report *report);

/* Add a copy of FINDING (its file defaults to the report's). */
FX_EXTERN int fx_report_add(fx_report *report, const fx_finding *finding);

FX_EXTERN const char *fx_report_file(const fx_report *report);
FX_EXTERN size_t fx_report_count(const fx_report *report);
/* The I-th finding, in the order found; NULL past the end. */
FX_EXTERN const fx_finding *fx_report_get(const fx_report *report, size_t i);
FX_EXTERN size_t fx_report_count_severity(const fx_report *report,
					  fx_severity severity);

FX_EXTERN fx_outcome fx_report_outcome(const fx_report *report);
FX_EXTERN fx_layer_state fx_report_layer(const fx_report *report,
					 fx_layer layer);
FX_EXTERN void fx_report_set_layer(fx_report *report, fx_layer layer,
				   fx_layer_state state);
/*
 * Mark the document as impossible to check, for the reason CODE (an FX_E*
 * code: FX_EIO, FX_EPARSE, FX_EUNSUPPORTED, FX_EINTERNAL...).  The outcome
 * becomes ERROR; fx_report_error tells the code (FX_OK when none).
 */
FX_EXTERN void fx_report_set_error(fx_report *report, int code);
FX_EXTERN int fx_report_error(const fx_report *report);

/* What the document turned out to be; FX_SYNTAX_UNKNOWN when unread.  XML
 * that is not well-formed is named by its root start tag, when whole. */
FX_EXTERN fx_syntax fx_report_syntax(const fx_report *report);
FX_EXTERN fx_profile fx_report_profile(const fx_report *report);
FX_EXTERN const char *fx_report_profile_id(const fx_report *report);

FX_EXTERN const char *fx_severity_name(fx_severity severity); /* "fatal" */
FX_EXTERN const char *fx_layer_name(fx_layer layer);	      /* "schema" */

FX_END_DECLS

#endif
