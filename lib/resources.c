/* SPDX-License-Identifier: MIT */
/*
 * resources.c - finding an embedded file by its path
 */
#include <string.h>

#include "internal.h"
#include "resources.h"
#include "banned.h"

int fx_resource__find(const char *path, const unsigned char **data, size_t *len)
{
	size_t lo = 0, hi = fx_resources_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, fx_resources[mid].path);

		if (c == 0) {
			*data = fx_resources[mid].data;
			*len = fx_resources[mid].len;
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return FX_EIO;
}
