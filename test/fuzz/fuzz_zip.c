/* SPDX-License-Identifier: MIT */
/*
 * fuzz_zip.c - libFuzzer target: any bytes through the zip reader, and
 * whatever it reads through the writer and back
 *
 * Build and run as fuzz_pdf (see test/fuzz/CMakeLists.txt): ctest -L fuzz
 * in a clang -DFX_FUZZ=ON build.  The default build runs it over
 * test/fuzz/corpus-zip with a plain driver (test/zip).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <facture/facture.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
	unsigned char *p;
	size_t len, cap;
};

static int sink_write(const char *d, size_t n, void *payload)
{
	struct sink *s = payload;

	if (s->len + n > s->cap) {
		size_t cap = (s->len + n) * 2;
		unsigned char *p = realloc(s->p, cap);

		if (!p)
			return -1;
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->len, d, n);
	s->len += n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static fx_ctx *ctx;
	fx_zip *zip = NULL, *again = NULL;
	fx_zip_member *m = NULL;
	struct sink out = { NULL, 0, 0 };
	const unsigned char *bytes;
	size_t i, n, len, ok = 0;

	if (!ctx) {
		fx_global_init();
		if (fx_ctx_new(&ctx) < 0)
			return 0;
		fx_ctx_set_max_size(ctx, 1 << 20);
	}
	if (fx_zip_open_memory(&zip, ctx, "fuzz.zip", data, size) < 0)
		return 0;
	n = fx_zip_count(zip);
	if (n > FX_ZIP_MAX_ENTRIES || !(m = calloc(n + 1, sizeof(*m))))
		goto out;
	for (i = 0; i < n; i++) {
		const fx_zip_entry *e = fx_zip_get(zip, i);

		/* safe is stricter than the name seen as a C string: a NUL
		 * inside the stored name makes it unsafe */
		if (!e || !e->name ||
		    (e->safe && !fx_zip_name_is_safe(e->name)))
			__builtin_trap();
		if (fx_zip_read(&bytes, &len, ctx, zip, i) < 0)
			continue;
		if (len != e->size)
			__builtin_trap();
		if (!e->safe || e->is_dir)
			continue;
		/* keep a copy: the next read reuses the buffer */
		if (!(m[ok].data = malloc(len + 1)))
			goto out;
		memcpy((void *) m[ok].data, bytes, len);
		m[ok].name = e->name;
		m[ok].len = len;
		ok++;
	}
	/* what was read writes and reads back the same, unless names repeat */
	if (fx_zip_write(ctx, m, ok, sink_write, &out) == 0) {
		if (fx_zip_open_memory(&again, ctx, "again.zip", out.p,
				       out.len) < 0 ||
		    fx_zip_count(again) != ok)
			__builtin_trap();
		for (i = 0; i < ok; i++)
			if (fx_zip_read(&bytes, &len, ctx, again, i) < 0 ||
			    len != m[i].len ||
			    (len && memcmp(bytes, m[i].data, len)))
				__builtin_trap();
	}
out:
	for (i = 0; m && i < ok; i++)
		free((void *) m[i].data);
	free(m);
	free(out.p);
	fx_zip_free(again);
	fx_zip_free(zip);
	return 0;
}
