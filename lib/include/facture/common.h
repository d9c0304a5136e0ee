/* SPDX-License-Identifier: MIT */
/*
 * common.h - error codes and export macros shared by every libfacture header
 */
#ifndef FACTURE_COMMON_H
#define FACTURE_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
#define FX_BEGIN_DECLS extern "C" {
#define FX_END_DECLS   }
#else
#define FX_BEGIN_DECLS
#define FX_END_DECLS
#endif

#if defined(FX_BUILDING_LIBRARY) && defined(__GNUC__)
#define FX_EXTERN __attribute__((visibility("default")))
#else
#define FX_EXTERN
#endif

FX_BEGIN_DECLS

/*
 * Every library call that can fail returns 0 on success or one of these
 * negative codes; the context passed to the call then holds a message
 * (fx_ctx_last_error).  A bad invoice is not a failure: it is a result,
 * reported through fx_report.
 */
typedef enum fx_error_code {
	FX_OK = 0,
	FX_ERROR = -1,	      /* anything not covered below */
	FX_ENOMEM = -2,	      /* out of memory */
	FX_EIO = -3,	      /* cannot open, read or write */
	FX_EPARSE = -4,	      /* input is not well-formed */
	FX_ETOOBIG = -5,      /* input larger than the configured limit */
	FX_EUNSUPPORTED = -6, /* recognised, but not handled (yet) */
	FX_ENOTINVOICE = -7,  /* well-formed, but not an invoice we know */
	FX_EINVALID = -8,     /* invalid argument from the caller */
	FX_EKEY = -9,	      /* key, certificate or credential problem */
	FX_ENET = -10,	      /* network or remote failure */
	FX_EINTERNAL = -11    /* a bug, or a broken embedded resource */
} fx_error_code;

/* A short, stable English name for an error code ("io", "parse", ...). */
FX_EXTERN const char *fx_error_name(int code);

FX_END_DECLS

#endif
