/* SPDX-License-Identifier: MIT */
/*
 * version.h - versions of the library and of what it carries
 */
#ifndef FACTURE_VERSION_H
#define FACTURE_VERSION_H

#include "common.h"

FX_BEGIN_DECLS

#define FX_VERSION	 "0.1.0"
#define FX_VERSION_MAJOR 0
#define FX_VERSION_MINOR 1
#define FX_VERSION_PATCH 0

/* The release of the CEN EN 16931 validation artefacts our rules match. */
#define FX_RULES_EN16931_VERSION "1.3.16"

/* The version of the library actually linked. */
FX_EXTERN const char *fx_version(void);
/* Our schema set: "facture-xsd 1 (UBL 2.1, CII D16B)". */
FX_EXTERN const char *fx_schema_version(void);
/* Business rule sets carried: "EN 16931 1.3.16 ...". */
FX_EXTERN const char *fx_rules_version(void);
/* Versions of the libraries we run on, as they report them. */
FX_EXTERN const char *fx_libxml2_version(void);
FX_EXTERN const char *fx_libxslt_version(void);

FX_END_DECLS

#endif
