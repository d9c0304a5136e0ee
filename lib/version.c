/* SPDX-License-Identifier: MIT */
/*
 * version.c - versions of the library and of what it runs on
 */
#include <libxml/xmlversion.h>
#include <libxslt/xsltconfig.h>

#include "internal.h"
#include "banned.h"

const char *fx_version(void)
{
	return FX_VERSION;
}

const char *fx_schema_version(void)
{
	return "facture-xsd 1 (UBL 2.1, CII D16B)";
}

const char *fx_rules_version(void)
{
	return "EN 16931 " FX_RULES_EN16931_VERSION;
}

const char *fx_libxml2_version(void)
{
	return LIBXML_DOTTED_VERSION;
}

const char *fx_libxslt_version(void)
{
	return LIBXSLT_DOTTED_VERSION;
}
