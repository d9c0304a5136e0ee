/* SPDX-License-Identifier: MIT */
/*
 * zip.h - reading and writing zip archives of invoices
 *
 * Our own zip code on zlib, for bundling several invoices into one
 * deposit (Chorus Pro takes a zip of invoices of one syntax).  Archives
 * are untrusted: member names that would leave the target directory are
 * flagged, and the reader refuses zip bombs (too many entries, members
 * larger than the context's size limit, a total or a compression ratio
 * beyond the limits below, members that overlap) and reports truncated or
 * inconsistent archives with an error.  Stored and deflated members are
 * read; ZIP64, multi-disk and encrypted archives are refused.
 */
#ifndef FACTURE_ZIP_H
#define FACTURE_ZIP_H

#include "common.h"
#include "ctx.h"
#include "render.h"

FX_BEGIN_DECLS

typedef struct fx_zip fx_zip;

#define FX_ZIP_MAX_ENTRIES 10000 /* members of one archive */
/* the sum of the members' sizes: 1 GiB */
#define FX_ZIP_MAX_TOTAL ((unsigned long long) 1 << 30)
/* a member larger than 1 MiB may not be more than 200 times smaller
 * compressed: invoices compress about tenfold, bombs a thousandfold */
#define FX_ZIP_MAX_RATIO 200

/* One member, as the central directory describes it. */
typedef struct fx_zip_entry {
	const char *name;	 /* as stored; UTF-8 when the archive says so */
	unsigned long long size; /* uncompressed */
	unsigned long long compressed;
	unsigned long crc32;
	int method; /* 0 stored, 8 deflated */
	int is_dir; /* the name ends with '/' */
	/* a relative path without "..", a leading '/', a drive letter, a
	 * backslash or a control character: safe to create under a
	 * directory */
	int safe;
} fx_zip_entry;

/*
 * Open an archive held in memory (copied).  NAME is used in messages.
 * *out is freed with fx_zip_free.  Errors: FX_EPARSE (not a zip archive,
 * truncated, inconsistent, or overlapping members), FX_EUNSUPPORTED
 * (ZIP64, several disks), FX_ETOOBIG (over the limits above, or a member
 * over the context's size limit), FX_ENOMEM.
 */
FX_EXTERN int fx_zip_open_memory(fx_zip **out, fx_ctx *ctx, const char *name,
				 const void *data, size_t len);

/* The same for a file ("-" is standard input); FX_EIO when unreadable. */
FX_EXTERN int fx_zip_open_file(fx_zip **out, fx_ctx *ctx, const char *path);

FX_EXTERN void fx_zip_free(fx_zip *zip);

FX_EXTERN const char *fx_zip_name(const fx_zip *zip);
FX_EXTERN size_t fx_zip_count(const fx_zip *zip);
/* The I-th member, in the order of the central directory; NULL past the
 * end.  Owned by ZIP. */
FX_EXTERN const fx_zip_entry *fx_zip_get(const fx_zip *zip, size_t i);

/*
 * The bytes of member I, checked against its size and CRC-32.  *out is
 * owned by ZIP and valid until the next fx_zip_read or fx_zip_free.
 * Errors: FX_EINVALID (no such member), FX_EPARSE (damaged data, wrong
 * size or CRC), FX_EUNSUPPORTED (encrypted, or a method other than
 * stored and deflated), FX_ETOOBIG, FX_ENOMEM.
 */
FX_EXTERN int fx_zip_read(const unsigned char **out, size_t *len, fx_ctx *ctx,
			  fx_zip *zip, size_t i);

/* A member to write: NAME must be safe (see fx_zip_entry) and unique. */
typedef struct fx_zip_member {
	const char *name;
	const void *data;
	size_t len;
} fx_zip_member;

/*
 * Write an archive of the N MEMBERS through WRITE (see render.h), each
 * deflated (or stored, when deflating does not make it smaller), dated
 * 1980-01-01 so that the same members make the same archive.  Errors:
 * FX_EINVALID (an unsafe, empty or repeated name, or more members or
 * bytes than the reader accepts), FX_EIO (WRITE failed), FX_ENOMEM.
 */
FX_EXTERN int fx_zip_write(fx_ctx *ctx, const fx_zip_member *members, size_t n,
			   fx_write_fn write, void *payload);

/* Whether NAME is safe to create under a directory (see fx_zip_entry). */
FX_EXTERN int fx_zip_name_is_safe(const char *name);

FX_END_DECLS

#endif
