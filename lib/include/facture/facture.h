/* SPDX-License-Identifier: MIT */
/*
 * facture.h - libfacture, everything at once
 */
#ifndef FACTURE_H
#define FACTURE_H

#include "common.h"
#include "version.h"
#include "ctx.h"
#include "doc.h"
#include "report.h"
#include "validate.h"
#include "render.h"
#include "sign.h"
#include "pdf.h"
#include "zip.h"
#include "rules.h"
#include "chorus.h"

#endif
