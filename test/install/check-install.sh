#!/bin/sh
# SPDX-License-Identifier: MIT
# check-install.sh BUILD_DIR [SANITIZERS] - install into a temporary prefix, then build a
# small program against the installed headers and library through
# facture.pc, run it, and check that the shared library exports fx_
# symbols only.
set -eu
build=$1
sanitize=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name facture.pc)
test -n "$pc" || { echo "FAIL: facture.pc not installed"; exit 1; }
test -x "$tmp/prefix/bin/facture" || { echo "FAIL: no facture program"; exit 1; }
ls "$tmp/prefix"/share/man/man1/facture.1 "$tmp/prefix"/share/man/man5/facture-report.5 >/dev/null

cat >"$tmp/use.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <facture/facture.h>

int main(void)
{
	static const char xml[] = "<x:Other xmlns:x='urn:example'/>";
	fx_ctx *ctx = NULL;
	fx_report *report = NULL;

	if (fx_global_init() < 0 || fx_ctx_new(&ctx) < 0)
		return 1;
	if (fx_validate_memory(&report, ctx, "mem.xml", xml, strlen(xml), NULL) < 0)
		return 1;
	printf("%s %d\n", fx_version(), (int)fx_report_outcome(report));
	fx_report_free(report);
	fx_ctx_free(ctx);
	fx_global_shutdown();
	return 0;
}
C
export PKG_CONFIG_PATH="$(dirname "$pc")"
flags=$(pkg-config --define-variable=prefix="$tmp/prefix" --cflags --libs facture)
# a library built with sanitizers wants its runtime in the program too
[ -n "$sanitize" ] && flags="-fsanitize=$sanitize $flags"
# shellcheck disable=SC2086
cc -o "$tmp/use" "$tmp/use.c" $flags
libdir=$(dirname "$(dirname "$pc")")
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/use")
[ "$out" = "$(LD_LIBRARY_PATH="$libdir" "$tmp/prefix/bin/facture" --version | sed -n '1s/^facture //p') 2" ] || {
	echo "FAIL: the installed library said '$out'"; exit 1; }

so=$(find "$libdir" -name 'libfacture.so.*' -type f | head -n 1)
leaked=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ && $3 !~ /^fx_/ && $3 !~ /^_/ {print $3}')
if [ -n "$leaked" ]; then
	echo "FAIL: libfacture.so exports symbols outside fx_:"; echo "$leaked"; exit 1
fi
echo "install: headers, library, facture.pc, program and man pages in place; fx_ symbols only"
