/* SPDX-License-Identifier: MIT */
/*
 * chorus_parse.h - the readers of what PISTE and Chorus Pro answer
 *
 * chorus.c sends the requests and hands the text of each answer to one
 * of these; the fuzz target (test/fuzz/fuzz_chorus.c) calls the same
 * functions on any bytes.  Not exported.
 *
 * Each takes the answer as JSON (LEN bytes, not necessarily
 * NUL-terminated), checks its codeRetour, and reads the fields of its
 * operation into OUT.  Errors go to CTX: FX_ENET for an answer that is
 * not the JSON expected or whose codeRetour is not 0, FX_ENOMEM.
 */
#ifndef FX_CHORUS_PARSE_H
#define FX_CHORUS_PARSE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "facture/chorus.h"

/*
 * The {codeRetour, libelle} part of any answer about WHAT (an operation
 * path).  0 when codeRetour is 0 or absent; 1 for a "no result" code
 * (20000, 20007) when NO_RESULT; else an error (*REFUSED, may be NULL, is
 * then 1 when a codeRetour said no rather than the answer being
 * malformed).  *ROOT is the parsed answer, or NULL when it is not a JSON
 * object; the caller deletes it.  STATUS, when not 0, goes in messages.
 */
int fx_chorus__parse_answer(cJSON **root, fx_ctx *ctx, const char *json,
			    size_t len, const char *what, long status,
			    int no_result, int *refused);

/* A PISTE token answer: *token (a secret, to wipe and free) and its
 * lifetime in milliseconds. */
int fx_chorus__parse_token(fx_ctx *ctx, const char *json, size_t len,
			   char **token, long long *life_ms);
/* An OAuth2 error answer in words, into OUT (never fails). */
void fx_chorus__parse_oauth_error(char *out, size_t size, const char *json,
				  size_t len, long status);
/* Parameter NAME of a WWW-Authenticate HEADER (free()), or NULL. */
char *fx_chorus__parse_auth_param(const char *header, const char *name);

/* The health check: an error when statusCode is not OK. */
int fx_chorus__parse_health(fx_ctx *ctx, const char *json, size_t len);

/* deposer/flux.  SYNTAX is kept when the answer echoes none.  On failure
 * out->maybe_sent says whether the flow may exist anyway. */
int fx_chorus__parse_deposit(fx_ctx *ctx, const char *json, size_t len,
			     fx_chorus_deposit *out, const char *syntax);

/* consulterCRDetaille of FLOW (copied into out->flow; may be NULL). */
int fx_chorus__parse_flow_report(fx_ctx *ctx, const char *json, size_t len,
				 fx_chorus_flow_report *out, const char *flow);

/*
 * One page of rechercher/fournisseur: its invoices are appended to *list
 * (*count of them; on failure too, for fx_chorus_invoices_free), *pages
 * is the number of pages announced.  1 when the page holds nothing.
 */
int fx_chorus__parse_invoice_page(fx_ctx *ctx, const char *json, size_t len,
				  fx_chorus_invoice **list, size_t *count,
				  long long *pages);

/* consulter/historique: the current status (free()). */
int fx_chorus__parse_invoice_status(fx_ctx *ctx, const char *json, size_t len,
				    char **status);

/* rechercherStructure for SIRET: id, name and status into S; 1 when the
 * SIRET is not among the results. */
int fx_chorus__parse_structure_search(fx_ctx *ctx, const char *json, size_t len,
				      fx_chorus_structure *s,
				      const char *siret);
/* consulterStructure: the flags (and the name if S has none) into S. */
int fx_chorus__parse_structure(fx_ctx *ctx, const char *json, size_t len,
			       fx_chorus_structure *s);
/* One page of rechercherServicesStructure: the active services are
 * appended to S; 1 when the page holds none. */
int fx_chorus__parse_service_page(fx_ctx *ctx, const char *json, size_t len,
				  fx_chorus_structure *s, long long *pages);
/* consulterServiceStructure: whether SV needs a commitment number. */
int fx_chorus__parse_service(fx_ctx *ctx, const char *json, size_t len,
			     fx_chorus_service *sv);

#endif
