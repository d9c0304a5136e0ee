/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pdf.c - libFuzzer target: any bytes through the PDF reader
 * (attachments, their data, the invoice, the XMP metadata) and the pdf
 * layer of fx_validate
 *
 * Build: cmake -B build-fuzz -DCMAKE_C_COMPILER=clang -DFX_FUZZ=ON
 * Run:   cd build-fuzz && ctest -L fuzz   (a bounded run, see
 *        test/fuzz/CMakeLists.txt), or by hand:
 *        build-fuzz/test/fuzz/fuzz_pdf -max_total_time=60 DIR SEEDS
 * The default build runs this same function over the regression corpus
 * with a plain driver (test/pdf/fuzz-driver.c), without libFuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <facture/facture.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_report(const fx_report *report)
{
	size_t i;

	for (i = 0; i < fx_report_count(report); i++) {
		const fx_finding *f = fx_report_get(report, i);

		if (!f->message || !f->file || !f->rule)
			__builtin_trap();
	}
	/* never valid unless the embedded invoice passed its schema */
	if (fx_report_outcome(report) == FX_OUTCOME_VALID &&
	    (fx_report_layer(report, FX_LAYER_SCHEMA) != FX_LAYER_PASS ||
	     fx_report_layer(report, FX_LAYER_PDF) != FX_LAYER_PASS))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static fx_ctx *ctx;
	fx_validate_opts opts = FX_VALIDATE_OPTS_INIT;
	fx_report *report = NULL;
	fx_pdf *pdf = NULL;
	const fx_pdf_xmp *xmp;
	const unsigned char *bytes;
	size_t n, i, len, pdfa;

	if (!ctx) {
		fx_global_init();
		if (fx_ctx_new(&ctx) < 0)
			return 0;
		/* small limits: bombs show up fast */
		fx_ctx_set_max_size(ctx, 1 << 20);
	}
	if (fx_pdf_open_memory(&pdf, ctx, "fuzz.pdf", data, size) == 0) {
		if (!fx_pdf_name(pdf) || !fx_pdf_version(pdf))
			__builtin_trap();
		fx_pdf_output_intents(pdf, &pdfa);
		fx_pdf_has_af(pdf);
		if (fx_pdf_attachment_count(&n, ctx, pdf) == 0) {
			for (i = 0; i < n; i++) {
				const fx_pdf_attachment *a =
					fx_pdf_attachment_get(pdf, i);

				if (!a || (a->name &&
					   strlen(a->name) > size * 4 + 64))
					__builtin_trap();
				if (fx_pdf_attachment_data(&bytes, &len, ctx,
							   pdf, i) == 0 &&
				    len > (1 << 20))
					__builtin_trap();
			}
			fx_pdf_find_invoice(&i, ctx, pdf);
		}
		fx_pdf_xmp_read(&xmp, ctx, pdf);
		fx_pdf_free(pdf);
	}
	/* the rules are slow and fuzzed elsewhere: the pdf layer here */
	opts.rules = FX_RULES_NONE;
	if (fx_validate_memory(&report, ctx, "fuzz.pdf", data, size, &opts) ==
	    0) {
		check_report(report);
		fx_report_free(report);
	}
	return 0;
}
