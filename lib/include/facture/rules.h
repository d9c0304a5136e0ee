/* SPDX-License-Identifier: MIT */
/*
 * rules.h - the business rules the library carries
 */
#ifndef FACTURE_RULES_H
#define FACTURE_RULES_H

#include "common.h"
#include "ctx.h"
#include "report.h"

FX_BEGIN_DECLS

/* One check of a rule set.  A rule id can have several checks (one per
 * context it applies to).  Strings are owned by the library. */
typedef struct fx_rule {
	const char *id;	      /* official id: "BR-CO-10" */
	fx_severity severity; /* its flag */
	const char *set;      /* rule set: "en16931-ubl", "en16931-cii" */
	const char *terms;    /* business terms, space-separated, or "" */
	const char *pattern;  /* the group of rules it belongs to */
	const char *message;  /* our message; {expr} where values go */
} fx_rule;

/* Called once per check; a non-zero return stops the walk. */
typedef int (*fx_rule_fn)(const fx_rule *rule, void *payload);

/*
 * Call FN for every check of every rule set, in the order of the sets and
 * of their sources.  Returns 0, the non-zero value FN stopped with, or
 * FX_EINTERNAL / FX_ENOMEM (message in CTX).
 */
FX_EXTERN int fx_rules_foreach(fx_ctx *ctx, fx_rule_fn fn, void *payload);

/*
 * Our explanation of rule ID: what it checks, why, how to fix an invoice
 * that breaks it.  *out points at LEN bytes of the library's own text,
 * lines indented by two spaces; *family is set when the text is the one
 * of the rule's family (UBL-CR-*), not the rule's own.  *out is NULL when
 * there is none.  Returns 0, or FX_EINTERNAL when the texts are missing.
 */
FX_EXTERN int fx_rules_explain(const char **out, size_t *len, int *family,
			       fx_ctx *ctx, const char *id);

FX_END_DECLS

#endif
