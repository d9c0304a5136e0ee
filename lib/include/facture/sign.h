/* SPDX-License-Identifier: MIT */
/*
 * sign.h - XAdES-BES signatures on invoices: signing and verifying
 *
 * A UBL invoice or credit note is signed in place (an enveloped signature
 * in the UBL 2.1 signature extension, ext:UBLExtensions); a CII invoice,
 * whose schema has no room for one, gets a detached signature: a separate
 * ds:Signature document that refers to the invoice by its digest.  Both
 * are XML-DSig signatures with XAdES-BES signed properties (signing time,
 * and the digest, issuer and serial number of the signing certificate).
 *
 * Secrets (private keys, passwords) are wiped from memory once used; they
 * never appear in error messages.
 */
#ifndef FACTURE_SIGN_H
#define FACTURE_SIGN_H

#include "common.h"
#include "ctx.h"
#include "doc.h"
#include "render.h"

FX_BEGIN_DECLS

/* The digest of references, signature and certificate. */
typedef enum fx_digest {
	FX_DIGEST_SHA256 = 0,
	FX_DIGEST_SHA384,
	FX_DIGEST_SHA512
} fx_digest;

/* Parse "sha256", "sha384" or "sha512"; FX_EINVALID otherwise. */
FX_EXTERN int fx_digest_parse(fx_digest *out, const char *name);
/* "sha256", ...; "unknown" for a value out of range. */
FX_EXTERN const char *fx_digest_name(fx_digest digest);

/*
 * Parse a time: YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS with optional
 * fractions of a second and an optional zone (Z, +HH:MM, -HH:MM); no zone
 * means UTC.  *out is seconds since 1970-01-01T00:00:00Z.  Returns
 * FX_EINVALID for anything else.
 */
FX_EXTERN int fx_time_parse(long long *out, const char *text);

/* A private key with its certificate and the rest of its chain. */
typedef struct fx_signer fx_signer;

/*
 * Load a signer from PEM (or DER) files: the private key KEY_PATH (PKCS#8
 * or traditional, encrypted or not), its certificate CERT_PATH (further
 * certificates in that file are taken as the chain) and optionally more of
 * the chain in CHAIN_PATH (NULL for none).  PASSWORD decrypts an encrypted
 * key; NULL when there is none.  The caller keeps and wipes PASSWORD.
 * RSA keys and ECDSA keys on P-256, P-384 or P-521 are supported.
 * On success *out is freed with fx_signer_free.
 * Errors: FX_EIO (cannot read a file), FX_EKEY (not a key or certificate,
 * encrypted key without password, wrong password, key and certificate do
 * not match, unsupported key), FX_ENOMEM.
 */
FX_EXTERN int fx_signer_load_pem(fx_signer **out, fx_ctx *ctx,
				 const char *key_path, const char *cert_path,
				 const char *chain_path, const char *password);

/*
 * Load a signer from a PKCS#12 file (key, certificate and chain) with its
 * PASSWORD (NULL or "" for none).  Errors as fx_signer_load_pem; a wrong
 * password is FX_EKEY.
 */
FX_EXTERN int fx_signer_load_pkcs12(fx_signer **out, fx_ctx *ctx,
				    const char *path, const char *password);

/* Wipe and free a signer; NULL is allowed. */
FX_EXTERN void fx_signer_free(fx_signer *signer);

/* The subject of the signer's certificate, RFC 2253 style
 * ("CN=Jane,O=Example,C=FR"); owned by the signer. */
FX_EXTERN const char *fx_signer_subject(const fx_signer *signer);

#define FX_SIGN_OPTS_VERSION 1

typedef struct fx_sign_opts {
	unsigned int version; /* FX_SIGN_OPTS_VERSION */
	fx_digest digest;     /* default FX_DIGEST_SHA256 */
	int pss;	      /* RSA keys: RSASSA-PSS instead of PKCS#1 v1.5 */
	int detached;	      /* detached even for UBL (CII always is) */
	int fixed_time;	      /* use signing_time instead of the clock */
	long long signing_time; /* seconds since the epoch, UTC */
	/* name the certificate with xades:SigningCertificate (XAdES 1.3.2,
	 * which the official UBL 2.1 schema knows) instead of
	 * SigningCertificateV2 (EN 319 132-1, the default) */
	int signing_certificate_v1;
	/* detached: how the signature names the invoice (a relative URI);
	 * NULL takes the last component of the document's name */
	const char *uri;
} fx_sign_opts;

#define FX_SIGN_OPTS_INIT                                                   \
	{                                                                   \
		FX_SIGN_OPTS_VERSION, FX_DIGEST_SHA256, 0, 0, 0, 0, 0, NULL \
	}

/*
 * The URI of the signature method fx_sign would use with SIGNER and OPTS
 * ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", ...), a static
 * string; NULL when they do not fit together (PSS with an ECDSA key).
 */
FX_EXTERN const char *fx_sign_method(const fx_signer *signer,
				     const fx_sign_opts *opts);

/*
 * Sign DOC with SIGNER and write the result through WRITE: for UBL the
 * signed document (the input with the signature added), for CII (or with
 * OPTS->detached) the detached signature document.  OPTS may be NULL for
 * the defaults.  Nothing is written when the call fails.
 * Errors: FX_ENOTINVOICE or FX_EUNSUPPORTED (DOC is not a UBL or CII
 * invoice), FX_EINVALID (a detached signature needs a name for the
 * invoice), FX_EKEY (the certificate is not valid at the signing time, is
 * not meant for signatures, or the key cannot make the signature asked
 * for, such as PSS with an ECDSA key), FX_EIO (WRITE failed), FX_ENOMEM,
 * FX_EINTERNAL.
 */
FX_EXTERN int fx_sign(fx_ctx *ctx, const fx_doc *doc, const fx_signer *signer,
		      const fx_sign_opts *opts, fx_write_fn write,
		      void *payload);

/* How one check of a signature ended. */
typedef enum fx_sig_check {
	FX_SIG_CHECK_NOT_RUN = 0,
	FX_SIG_CHECK_PASS,
	FX_SIG_CHECK_FAIL
} fx_sig_check;

/*
 * One signature found and checked.  Strings are owned by the verification
 * they come from; NULL when unknown.
 */
typedef struct fx_signature_info {
	int valid;		 /* every check below ran and passed */
	const char *id;		 /* Id attribute of ds:Signature */
	unsigned long line;	 /* of ds:Signature in its document */
	fx_sig_check references; /* digests of the invoice and properties */
	fx_sig_check value;	 /* the signature value over SignedInfo */
	fx_sig_check properties; /* XAdES: signed properties, and the
				    certificate they name is the signer's */
	fx_sig_check chain;	 /* the certificate chains to a trust anchor
				    and is valid at the time checked */
	const char *subject;	 /* signer's certificate, RFC 2253 style */
	const char *issuer;
	const char *serial; /* upper-case hexadecimal, as openssl prints it */
	const char *not_before; /* YYYY-MM-DDTHH:MM:SSZ */
	const char *not_after;
	const char *signing_time;     /* xades:SigningTime as written */
	const char *signature_method; /* algorithm URIs */
	const char *digest_method;    /* of the reference to the invoice */
	const char *c14n_method;
	size_t nproblems; /* why it is not valid, in the order found */
	const char *const *problems;
} fx_signature_info;

/* The result of fx_verify. */
typedef struct fx_verification fx_verification;

#define FX_VERIFY_OPTS_VERSION 1

typedef struct fx_verify_opts {
	unsigned int version; /* FX_VERIFY_OPTS_VERSION */
	/* PEM file of trusted certificates; NULL: the system's store */
	const char *ca_file;
	int at_set;   /* check certificates at AT instead of now */
	long long at; /* seconds since the epoch, UTC */
	/* a detached signature of DOC; NULL: DOC's enveloped signatures */
	const fx_doc *signature;
} fx_verify_opts;

#define FX_VERIFY_OPTS_INIT                              \
	{                                                \
		FX_VERIFY_OPTS_VERSION, NULL, 0, 0, NULL \
	}

/*
 * Verify the signatures of DOC: the enveloped ones in a UBL document, or
 * the detached one in OPTS->signature, whose reference to the invoice is
 * checked against DOC's bytes (whatever name it gives the invoice).
 * A bad or missing signature is a result, not an error: the call returns
 * 0 and *out (freed with fx_verification_free) says what was found.
 * Errors: FX_EKEY (the trust anchors cannot be loaded), FX_EINVALID (no
 * DOC, or OPTS->signature is not a signature document), FX_ENOMEM,
 * FX_EINTERNAL.
 */
FX_EXTERN int fx_verify(fx_verification **out, fx_ctx *ctx, const fx_doc *doc,
			const fx_verify_opts *opts);
FX_EXTERN void fx_verification_free(fx_verification *v);

/* Signatures found, in document order, and the I-th (NULL past the end). */
FX_EXTERN size_t fx_verification_count(const fx_verification *v);
FX_EXTERN const fx_signature_info *fx_verification_get(const fx_verification *v,
						       size_t i);
/* 1 when at least one signature was found and all are valid. */
FX_EXTERN int fx_verification_valid(const fx_verification *v);

FX_END_DECLS

#endif
