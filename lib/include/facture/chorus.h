/* SPDX-License-Identifier: MIT */
/*
 * chorus.h - Chorus Pro: deposit invoices through the PISTE API, follow
 * them, look up public buyers; and the local journal of deposits
 *
 * Three parts, usable on their own:
 *
 *  - fx_chorus_profile: credentials and endpoints read from an INI file
 *    (chorus.conf), one [section] per named profile.
 *  - fx_chorus: the API client (libcurl, cJSON).  It gets an OAuth2 token
 *    from PISTE (client credentials), keeps it for the run and renews it
 *    before it expires, and sends on every call the Bearer token, the
 *    cpro-account header (base64 of login:password) and JSON bodies.  TLS
 *    verification is always on.  Calls that change nothing (token, report,
 *    searches, lookups) are retried with exponential backoff on network
 *    failures, HTTP 429 and 5xx; a deposit never is.
 *  - fx_journal: what was deposited, kept on disk so that nothing is lost
 *    and nothing is sent twice.
 *
 * Errors follow common.h: FX_EKEY for credentials (PISTE refused the
 * client id or secret, HTTP 401 or 403 from the API, a profile file
 * readable by others), FX_ENET for the network and the remote side
 * (connection, TLS, timeout, HTTP 4xx/5xx, codeRetour other than 0, a body
 * that is not the JSON expected), FX_EIO for local files.  The message
 * (fx_ctx_last_error) says what happened in words: the HTTP status, the
 * WWW-Authenticate reason, codeRetour and libelle.  Secrets never appear
 * in a message.
 */
#ifndef FACTURE_CHORUS_H
#define FACTURE_CHORUS_H

#include "common.h"
#include "ctx.h"
#include "doc.h"
#include "report.h"

FX_BEGIN_DECLS

/* ---- Profiles ---------------------------------------------------------- */

typedef enum fx_chorus_env {
	FX_CHORUS_SANDBOX = 0, /* the "qualification" platform */
	FX_CHORUS_PRODUCTION
} fx_chorus_env;

/* "sandbox" or "production" (also accepted: "qualif", "prod"). */
FX_EXTERN int fx_chorus_env_parse(fx_chorus_env *out, const char *name);
FX_EXTERN const char *fx_chorus_env_name(fx_chorus_env env);

/* The PISTE API and token URLs of an environment. */
FX_EXTERN const char *fx_chorus_default_api_url(fx_chorus_env env);
FX_EXTERN const char *fx_chorus_default_token_url(fx_chorus_env env);

/*
 * What a profile says.  NULL for what it does not say.  Keys of a section:
 * client_id, client_secret, login, password, env, api_url, token_url,
 * cacert, timeout (seconds).
 */
typedef struct fx_chorus_profile {
	char *name;
	char *client_id;
	char *client_secret;
	char *login;
	char *password;
	char *env; /* as written; parse with fx_chorus_env_parse */
	char *api_url;
	char *token_url;
	char *cacert;
	char *timeout;
} fx_chorus_profile;

/*
 * Read section NAME of the INI file PATH into *out (freed with
 * fx_chorus_profile_free).  Lines are "key = value", "[name]", or
 * comments starting with '#' or ';'.  Errors: FX_EIO (cannot read),
 * FX_EPARSE (a line that is none of those; the message gives the line
 * number), FX_EINVALID (no such section; unknown key), FX_EKEY (the file
 * holds a secret and is readable or writable by group or others: the
 * message says to run chmod 600).
 */
FX_EXTERN int fx_chorus_profile_load(fx_chorus_profile **out, fx_ctx *ctx,
				     const char *path, const char *name);
/* Wipe the secrets and free; NULL is allowed. */
FX_EXTERN void fx_chorus_profile_free(fx_chorus_profile *profile);

/* ---- The API client ---------------------------------------------------- */

#define FX_CHORUS_OPTS_VERSION 1

typedef struct fx_chorus_opts {
	unsigned int version;	   /* FX_CHORUS_OPTS_VERSION */
	const char *client_id;	   /* PISTE application */
	const char *client_secret; /* PISTE application */
	const char *login;	   /* Chorus Pro technical account */
	const char *password;	   /* Chorus Pro technical account */
	fx_chorus_env env;
	const char *api_url;   /* NULL: fx_chorus_default_api_url(env) */
	const char *token_url; /* NULL: fx_chorus_default_token_url(env) */
	const char *cacert;    /* PEM bundle to trust; NULL: the system's */
	long timeout_ms;       /* per request; 0: 30000 */
	unsigned int retries;  /* extra tries of idempotent calls; 3 */
	long backoff_ms;       /* first pause between tries, doubled; 500 */
	/* Called before each pause, for progress ("retrying in 2 s"); may
	 * be NULL. */
	void (*on_retry)(const char *what, long delay_ms, void *payload);
	void *payload;
} fx_chorus_opts;

FX_EXTERN void fx_chorus_opts_init(fx_chorus_opts *opts);

typedef struct fx_chorus fx_chorus;

/*
 * A client for OPTS (strings are copied).  No network traffic yet.
 * Errors: FX_EINVALID (a credential is missing: the message names it),
 * FX_ENOMEM.
 */
FX_EXTERN int fx_chorus_new(fx_chorus **out, fx_ctx *ctx,
			    const fx_chorus_opts *opts);
/* Wipe the secrets and the token, free; NULL is allowed. */
FX_EXTERN void fx_chorus_free(fx_chorus *chorus);

/* Get a token, then call the health check: credentials and service. */
FX_EXTERN int fx_chorus_check(fx_chorus *chorus);

/*
 * POST a JSON body (text) to PATH under the API URL, for example
 * "/cpro/transverses/v1/consulterCRDetaille"; *answer is the JSON answer
 * (free()).  IDEMPOTENT says whether the call may be retried.  A codeRetour
 * other than 0 is an error.  For the operations below that have no typed
 * function.
 */
FX_EXTERN int fx_chorus_post(fx_chorus *chorus, const char *path,
			     const char *body, int idempotent, char **answer);

/* HTTP status of the last answer, 0 when none came. */
FX_EXTERN long fx_chorus_last_http_status(const fx_chorus *chorus);

/* The syntaxeFlux for a document: IN_DP_E1_UBL_INVOICE,
 * IN_DP_E1_CII_16B, IN_DP_E2_CII_FACTURX (a PDF); NULL otherwise. */
FX_EXTERN const char *fx_chorus_flow_syntax(fx_syntax syntax);

typedef struct fx_chorus_deposit {
	char *flow;   /* numeroFluxDepot */
	char *date;   /* dateDepot, YYYY-MM-DD */
	char *syntax; /* syntaxeFlux echoed */
	/* Set when the call failed in a way that leaves the deposit
	 * uncertain: the request may have reached the server (timeout or
	 * connection lost after sending).  0 when it surely did not. */
	int maybe_sent;
} fx_chorus_deposit;

/*
 * Deposit one flow (deposerFluxFacture): DATA of LEN bytes under the file
 * name NAME (with its extension), of syntaxeFlux SYNTAX.  Never retried.
 * On failure *out->maybe_sent tells whether it may have arrived anyway.
 * Free the strings with fx_chorus_deposit_clear.
 */
FX_EXTERN int fx_chorus_deposit_flow(fx_chorus_deposit *out, fx_chorus *chorus,
				     const char *name, const void *data,
				     size_t len, const char *syntax);
FX_EXTERN void fx_chorus_deposit_clear(fx_chorus_deposit *deposit);

/* How a flow state counts (chorus-api.md §3.3). */
typedef enum fx_chorus_flow_class {
	FX_FLOW_PENDING = 0, /* anything not below, unknown states too */
	FX_FLOW_INTEGRATED,  /* IN_INTEGRE */
	FX_FLOW_PARTIAL,     /* IN_INTEGRE_PARTIEL */
	FX_FLOW_FAILED	     /* IN_REJETE, IN_INCIDENTE, QP_IRRECEVABLE ... */
} fx_chorus_flow_class;

FX_EXTERN fx_chorus_flow_class fx_chorus_flow_classify(const char *state);

/* One invoice the platform refused within a flow (listeErreurDP), or a
 * technical error of the flow (listeErreurTechnique: invoice NULL). */
typedef struct fx_chorus_flow_error {
	char *invoice; /* numeroDP */
	char *message; /* libelleErreurDP, libelleErreur */
	char *code;    /* codeErreur, or NULL */
} fx_chorus_flow_error;

typedef struct fx_chorus_flow_report {
	char *flow;  /* numeroFluxDepot */
	char *state; /* etatCourantDepotFlux */
	char *state_time;
	char *deposit_time;
	fx_chorus_flow_error *errors;
	size_t nerrors;
} fx_chorus_flow_report;

/* consulterCRDetaille for FLOW.  Retried.  Free with
 * fx_chorus_flow_report_clear. */
FX_EXTERN int fx_chorus_flow_report_get(fx_chorus_flow_report *out,
					fx_chorus *chorus, const char *flow);
FX_EXTERN void fx_chorus_flow_report_clear(fx_chorus_flow_report *report);

/* An invoice as the supplier sees it on the platform. */
typedef struct fx_chorus_invoice {
	long long id; /* identifiantFactureCPP */
	char *number; /* numeroFacture */
	char *status; /* statut: DEPOSEE, MISE_A_DISPOSITION ... */
	char *flow;   /* numeroFluxDepot */
	char *deposit_date;
	char *invoice_date;
	char *buyer;  /* codeDestinataire */
	char *type;   /* typeFacture */
	char *amount; /* montantTTC, as the JSON wrote it */
	char *currency;
} fx_chorus_invoice;

typedef struct fx_chorus_invoice_query {
	const char *flow;      /* numeroFluxDepot, or NULL */
	const char *number;    /* numeroFacture, or NULL */
	const char *from, *to; /* periodeDateDepotDu / Au, YYYY-MM-DD */
} fx_chorus_invoice_query;

/*
 * rechercher/fournisseur, following every page (a "no result" answer,
 * codeRetour 20000 or an empty list, is an empty result, not an error).
 * Retried.  *out is an array of *n invoices, freed with
 * fx_chorus_invoices_free.
 */
FX_EXTERN int fx_chorus_invoices_search(fx_chorus_invoice **out, size_t *n,
					fx_chorus *chorus,
					const fx_chorus_invoice_query *query);
FX_EXTERN void fx_chorus_invoices_free(fx_chorus_invoice *invoices, size_t n);

/* consulter/historique: the current status of invoice ID (free()). */
FX_EXTERN int fx_chorus_invoice_status(char **status, fx_chorus *chorus,
				       long long id);

/* A public buyer in the Chorus Pro directory. */
typedef struct fx_chorus_service {
	char *code;  /* codeService */
	char *label; /* libelleService */
	long long id;
	int commitment_required; /* consulter/service: numeroEngagement */
} fx_chorus_service;

typedef struct fx_chorus_structure {
	char *siret;
	long long id; /* idStructureCPP */
	char *name;   /* designationStructure / raisonSocialeStructure */
	char *status; /* ACTIVE, INACTIVE */
	int service_required;	     /* codeServiceDoitEtreRenseigne */
	int commitment_required;     /* numeroEJDoitEtreRenseigne */
	int service_or_commitment;   /* gestionNumeroEJOuCodeService */
	fx_chorus_service *services; /* the active ones */
	size_t nservices;
	char *fetched; /* when it was looked up, ISO 8601 UTC */
} fx_chorus_structure;

/*
 * rechercherStructure, consulterStructure, rechercherServicesStructure
 * (every page), consulterServiceStructure for each active service.
 * Returns 0 when found, 1 when SIRET is not in the directory (*out is then
 * zeroed), or a negative error.  Retried.  Free with
 * fx_chorus_structure_clear.
 */
FX_EXTERN int fx_chorus_structure_lookup(fx_chorus_structure *out,
					 fx_chorus *chorus, const char *siret);
FX_EXTERN void fx_chorus_structure_clear(fx_chorus_structure *structure);

/* A structure to and from the JSON of the local cache (free()). */
FX_EXTERN int fx_chorus_structure_to_json(char **out,
					  const fx_chorus_structure *structure);
FX_EXTERN int fx_chorus_structure_from_json(fx_chorus_structure *out,
					    fx_ctx *ctx, const char *json);

/* ---- Chorus Pro checks on an invoice ----------------------------------- */

/* What submit needs from an invoice (an XML invoice, or the XML taken
 * out of a Factur-X PDF).  NULL for what is absent. */
typedef struct fx_chorus_facts {
	char *number;	    /* BT-1 */
	char *issue_date;   /* BT-2, YYYY-MM-DD */
	char *buyer_id;	    /* the buyer identifier Chorus Pro routes on */
	char *buyer_scheme; /* its schemeID, "0009" for a SIRET */
	char *buyer_term;   /* "BT-46" or "BT-47": where it was found */
	char *service_code; /* BT-10, buyer reference */
	char *commitment;   /* BT-13, purchase order reference */
} fx_chorus_facts;

/* Read the facts of an XML invoice (UBL or CII).  FX_EINVALID for a
 * document that is neither. */
FX_EXTERN int fx_chorus_facts_read(fx_chorus_facts *out, fx_ctx *ctx,
				   const fx_doc *doc);
FX_EXTERN void fx_chorus_facts_clear(fx_chorus_facts *facts);

/* Is TEXT a SIRET: 14 digits with a valid Luhn key?  (La Poste's
 * establishments, SIREN 356000000, may instead have a digit sum that is a
 * multiple of 5.) */
FX_EXTERN int fx_siret_valid(const char *text);

/*
 * Add to REPORT (layer "chorus") the findings of the Chorus Pro checks:
 * CPRO-01 the buyer has no identifier with scheme 0009; CPRO-02 it is not
 * a valid SIRET; CPRO-03 the service code (BT-10) is missing and the
 * buyer requires one; CPRO-04 the commitment number (BT-13) is missing
 * and the buyer requires one; CPRO-05 neither is given and the buyer
 * requires one of them; CPRO-06 the service code is not an active service
 * of the buyer; CPRO-07 the buyer is not in the directory.  STRUCTURE is
 * NULL when the buyer was not looked up (offline): CPRO-03..07 are then
 * skipped; FOUND says whether the lookup found it.
 */
FX_EXTERN int fx_chorus_check_invoice(fx_report *report,
				      const fx_chorus_facts *facts,
				      const fx_chorus_structure *structure,
				      int found);

/* ---- The journal ------------------------------------------------------- */

/*
 * One deposit.  STATE is "sending" (written before the request: if the
 * program dies, the outcome is unknown), "unknown" (the request may have
 * arrived), "failed" (it surely did not: nothing to fear), or, once a
 * flow number is known, the last flow state seen ("deposited" until the
 * first report, then IN_INTEGRE, IN_REJETE ...).
 */
typedef struct fx_journal_entry {
	char sha256[65];    /* of the bytes deposited, lower-case hex */
	const char *file;   /* path as given */
	const char *number; /* invoice number, BT-1 ("" for an archive) */
	const char *syntax; /* syntaxeFlux */
	const char *flow;   /* numeroFluxDepot, NULL until known */
	const char *date;   /* dateDepot */
	long long time;	    /* when it was sent, seconds since 1970 */
	const char *state;
	const char *detail; /* last error or rejection message, or NULL */
	long long updated;  /* last change */
} fx_journal_entry;

typedef struct fx_journal fx_journal;

/*
 * Open (creating it and its directory, mode 0700, if needed) the journal
 * at PATH and lock it for this process (another process holding it gets
 * FX_EIO with a message saying so).  The file is JSON; a damaged one is
 * FX_EPARSE and is never overwritten.
 */
FX_EXTERN int fx_journal_open(fx_journal **out, fx_ctx *ctx, const char *path);
/* Unlock and free (does not save); NULL is allowed. */
FX_EXTERN void fx_journal_close(fx_journal *journal);

FX_EXTERN size_t fx_journal_count(const fx_journal *journal);
FX_EXTERN const fx_journal_entry *fx_journal_get(const fx_journal *journal,
						 size_t i);
/* The newest entry for a file digest, a flow, or NULL. */
FX_EXTERN const fx_journal_entry *
fx_journal_find_sha256(const fx_journal *journal, const char *sha256);
FX_EXTERN const fx_journal_entry *
fx_journal_find_flow(const fx_journal *journal, const char *flow);

/*
 * Add ENTRY (strings copied), or, when an entry with the same sha256 and
 * time exists, replace it; then write the whole journal to a temporary
 * file, fsync it, rename it over PATH and fsync the directory.  When this
 * returns 0 the entry is on disk.
 */
FX_EXTERN int fx_journal_put(fx_journal *journal,
			     const fx_journal_entry *entry);

/* sha256 of LEN bytes at DATA, as 64 lower-case hex digits and a NUL. */
FX_EXTERN void fx_sha256_hex(char out[65], const void *data, size_t len);

FX_END_DECLS

#endif
