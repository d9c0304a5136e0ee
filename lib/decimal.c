/* SPDX-License-Identifier: MIT */
/*
 * decimal.c - exact decimal numbers for money: parse, add, multiply,
 * round, compare, print
 *
 * Amounts in invoices are decimal strings; doing their arithmetic in
 * binary floating point gives 0.1 + 0.2 = 0.30000000000000004 and, sooner
 * or later, a rule that fails by a cent.  A value here is an integer
 * mantissa and a count of decimals, exact up to 38 digits.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "decimal.h"
#include "banned.h"

#define MAX_SCALE 30

static const fx_int128 limit = (fx_int128) 1000000000000000000LL *
			       (fx_int128) 10000000000000000LL; /* 1e34 */

static int grow_scale(struct fx_decimal *d, int scale)
{
	while (d->scale < scale) {
		if (d->mant >= limit || d->mant <= -limit)
			return -1;
		d->mant *= 10;
		d->scale++;
	}
	return 0;
}

int fx_decimal_parse(struct fx_decimal *out, const char *s)
{
	struct fx_decimal d = { 0, 0 };
	int neg = 0, digits = 0, dot = 0;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		if (d.mant >= limit)
			return -1;
		d.mant = d.mant * 10 + (*s - '0');
		digits++;
		if (dot && ++d.scale > MAX_SCALE)
			return -1;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s || !digits)
		return -1;
	if (neg)
		d.mant = -d.mant;
	*out = d;
	return 0;
}

int fx_decimal_add(struct fx_decimal *out, const struct fx_decimal *a,
		   const struct fx_decimal *b)
{
	struct fx_decimal x = *a, y = *b;
	int scale = x.scale > y.scale ? x.scale : y.scale;

	if (grow_scale(&x, scale) < 0 || grow_scale(&y, scale) < 0)
		return -1;
	if ((y.mant > 0 && x.mant > limit * 10 - y.mant) ||
	    (y.mant < 0 && x.mant < -limit * 10 - y.mant))
		return -1;
	out->mant = x.mant + y.mant;
	out->scale = scale;
	return 0;
}

int fx_decimal_sub(struct fx_decimal *out, const struct fx_decimal *a,
		   const struct fx_decimal *b)
{
	struct fx_decimal neg = { -b->mant, b->scale };

	return fx_decimal_add(out, a, &neg);
}

int fx_decimal_mul(struct fx_decimal *out, const struct fx_decimal *a,
		   const struct fx_decimal *b)
{
	fx_int128 x = a->mant, y = b->mant;
	int scale = a->scale + b->scale;

	if (x && y) {
		fx_int128 ax = x < 0 ? -x : x, ay = y < 0 ? -y : y;

		if (ax > limit * 10 / ay)
			return -1;
	}
	out->mant = x * y;
	out->scale = scale;
	/* keep the scale bounded: extra zeros carry no information */
	while (out->scale > MAX_SCALE) {
		out->mant /= 10;
		out->scale--;
	}
	return 0;
}

/*
 * Round to DIGITS decimals, halves towards positive infinity: what
 * round() of XPath does, and so what the official rules compute.
 */
int fx_decimal_round(struct fx_decimal *out, const struct fx_decimal *a,
		     int digits)
{
	struct fx_decimal d = *a;
	fx_int128 p = 1, q, r;
	int drop;

	if (digits < 0 || digits > MAX_SCALE)
		return -1;
	if (d.scale <= digits) {
		if (grow_scale(&d, digits) < 0)
			return -1;
		*out = d;
		return 0;
	}
	for (drop = d.scale - digits; drop > 0; drop--)
		p *= 10;
	q = d.mant / p;
	r = d.mant % p;
	/* C division truncates towards zero; floor it, then look at 2r */
	if (r < 0) {
		q -= 1;
		r += p;
	}
	if (2 * r >= p)
		q += 1;
	out->mant = q;
	out->scale = digits;
	return 0;
}

int fx_decimal_cmp(const struct fx_decimal *a, const struct fx_decimal *b)
{
	struct fx_decimal diff;

	if (fx_decimal_sub(&diff, a, b) < 0) {
		/* too far apart to subtract: the signs and sizes decide */
		if ((a->mant < 0) != (b->mant < 0))
			return a->mant < 0 ? -1 : 1;
		return a->scale < b->scale ? (a->mant < 0 ? -1 : 1)
					   : (a->mant < 0 ? 1 : -1);
	}
	return diff.mant < 0 ? -1 : diff.mant > 0;
}

int fx_decimal_format(char *buf, size_t size, const struct fx_decimal *d)
{
	char digits[64];
	fx_int128 m = d->mant < 0 ? -d->mant : d->mant;
	int n = 0, len;

	do {
		digits[n++] = (char) ('0' + (int) (m % 10));
		m /= 10;
	} while (m && n < (int) sizeof(digits) - 1);
	while (n <= d->scale)
		digits[n++] = '0';
	len = 0;
	if (d->mant < 0 && (size_t) len + 1 < size)
		buf[len++] = '-';
	while (n > 0) {
		if (n == d->scale && (size_t) len + 1 < size)
			buf[len++] = '.';
		if ((size_t) len + 1 < size)
			buf[len++] = digits[n - 1];
		n--;
	}
	if (size == 0)
		return -1;
	buf[len < (int) size ? len : (int) size - 1] = '\0';
	return (size_t) len + 1 < size ? 0 : -1;
}
