/* SPDX-License-Identifier: MIT */
/*
 * resources.h - the files embedded in the library at build time
 */
#ifndef FX_RESOURCES_H
#define FX_RESOURCES_H

#include <stddef.h>

struct fx_resource {
	const char *path; /* "xsd/ubl/invoice.xsd" */
	const unsigned char *data;
	size_t len;
};

/* Sorted by path. */
extern const struct fx_resource fx_resources[];
extern const size_t fx_resources_count;

#endif
