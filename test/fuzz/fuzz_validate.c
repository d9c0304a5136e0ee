/* SPDX-License-Identifier: MIT */
/*
 * fuzz_validate.c - libFuzzer target: any bytes through loading, detection
 * and the schema layer
 *
 * Build: cmake -B build-fuzz -DCMAKE_C_COMPILER=clang -DFX_FUZZ=ON
 * Run:   build-fuzz/test/fuzz/fuzz_validate -max_total_time=60 SEEDS/
 */
#include <stddef.h>
#include <stdint.h>

#include <facture/facture.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static fx_ctx *ctx;
	fx_report *report = NULL;
	size_t i;

	if (!ctx) {
		fx_global_init();
		if (fx_ctx_new(&ctx) < 0)
			return 0;
		fx_ctx_set_max_size(ctx, 1 << 20);
	}
	if (fx_validate_memory(&report, ctx, "fuzz.xml", data, size, NULL) < 0)
		return 0;
	/* every finding must be readable */
	for (i = 0; i < fx_report_count(report); i++) {
		const fx_finding *f = fx_report_get(report, i);

		if (!f->message || !f->file)
			__builtin_trap();
	}
	if (fx_report_outcome(report) == FX_OUTCOME_VALID &&
	    fx_report_layer(report, FX_LAYER_SCHEMA) != FX_LAYER_PASS)
		__builtin_trap(); /* never valid by default */
	fx_report_free(report);
	return 0;
}
