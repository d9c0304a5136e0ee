/* SPDX-License-Identifier: MIT */
/*
 * decimal.h - exact decimal arithmetic for the business rules (private)
 */
#ifndef FX_DECIMAL_H
#define FX_DECIMAL_H

#include <stddef.h>

__extension__ typedef __int128 fx_int128;

/* The value mant / 10^scale. */
struct fx_decimal {
	fx_int128 mant;
	int scale;
};

/* Each returns 0, or -1 for a string that is not a decimal number or a
 * result beyond 35 digits. */
int fx_decimal_parse(struct fx_decimal *out, const char *s);
int fx_decimal_add(struct fx_decimal *out, const struct fx_decimal *a,
		   const struct fx_decimal *b);
int fx_decimal_sub(struct fx_decimal *out, const struct fx_decimal *a,
		   const struct fx_decimal *b);
int fx_decimal_mul(struct fx_decimal *out, const struct fx_decimal *a,
		   const struct fx_decimal *b);
/* Halves go towards positive infinity, as XPath's round() does. */
int fx_decimal_round(struct fx_decimal *out, const struct fx_decimal *a,
		     int digits);
/* -1, 0 or 1. */
int fx_decimal_cmp(const struct fx_decimal *a, const struct fx_decimal *b);
/* "-12.50"; -1 when SIZE is too small. */
int fx_decimal_format(char *buf, size_t size, const struct fx_decimal *d);

#endif
