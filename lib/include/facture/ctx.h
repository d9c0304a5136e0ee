/* SPDX-License-Identifier: MIT */
/*
 * ctx.h - per-worker context: settings and the last error
 *
 * A context is used by one thread at a time.  Workers running in parallel
 * each own one; what is compiled once (schemas) is shared behind them.
 */
#ifndef FACTURE_CTX_H
#define FACTURE_CTX_H

#include "common.h"

FX_BEGIN_DECLS

typedef struct fx_ctx fx_ctx;

/* Default largest input accepted by the loaders: 100 MiB. */
#define FX_DEFAULT_MAX_SIZE ((size_t) 100 * 1024 * 1024)

/* What went wrong in the last failed call made with a context. */
typedef struct fx_error {
	int code;	      /* an FX_E* code */
	const char *message;  /* lower case, no full stop */
	const char *file;     /* the input concerned, or NULL */
	unsigned long line;   /* 0 when unknown */
	unsigned long column; /* 0 when unknown */
} fx_error;

/*
 * Initialise the library once, from the main thread, before any other
 * call; fx_global_shutdown() releases what it holds.  Both return an FX_E*
 * code.  Calling init twice is harmless.
 */
FX_EXTERN int fx_global_init(void);
FX_EXTERN void fx_global_shutdown(void);

/*
 * Use the schemas found under DIR/xsd/ instead of the ones embedded in the
 * library (for development).  Call before the first validation; NULL goes
 * back to the embedded set.  Returns FX_EINVALID once schemas are compiled.
 */
FX_EXTERN int fx_global_set_data_dir(const char *dir);

/* A new context with default settings; free it with fx_ctx_free. */
FX_EXTERN int fx_ctx_new(fx_ctx **out);
FX_EXTERN void fx_ctx_free(fx_ctx *ctx);

/* Largest input the loaders accept, in bytes (default FX_DEFAULT_MAX_SIZE). */
FX_EXTERN void fx_ctx_set_max_size(fx_ctx *ctx, size_t max);
FX_EXTERN size_t fx_ctx_max_size(const fx_ctx *ctx);

/*
 * The error of the last failed call, owned by the context and valid until
 * the next call with it.  Never NULL: code is FX_OK when nothing failed.
 */
FX_EXTERN const fx_error *fx_ctx_last_error(const fx_ctx *ctx);

FX_END_DECLS

#endif
