#!/bin/sh
# SPDX-License-Identifier: MIT
# large.sh FACTURE KEYS SOURCE_DIR - signing and verifying take time in
# proportion to the invoice: a UBL invoice of 5,000 lines (about 4 MB) is
# signed and verified in seconds, not minutes (the XPath filter of the UBL
# signature profile, evaluated as xmlsec does it, grows with the square
# of the document).  A 200-line invoice signed by facture is checked by
# the xmlsec1 program, which evaluates the XPath filter the slow way: both
# ways cut the same nodes.
. "$3/test/sign/lib.sh"

# the example with its first line repeated COUNT times
grow() {
	python3 - "$EXAMPLES/invoice-ubl.xml" "$1" <<'PY'
import re, sys
text = open(sys.argv[1], encoding='utf-8').read()
m = re.search(r'\s*<cac:InvoiceLine>.*?</cac:InvoiceLine>', text, re.S)
text = text[:m.end()] + m.group(0) * int(sys.argv[2]) + text[m.end():]
sys.stdout.write(text)
PY
}

# seconds taken by a command, its status in $status
timed() {
	start=$(date +%s%N)
	run "$@"
	end=$(date +%s%N)
	elapsed=$(( (end - start) / 1000000 ))
}

grow 5000 >large.xml
size=$(wc -c <large.xml)
if [ "$size" -gt 3000000 ]; then
	ok "large.xml has $size bytes"
else
	bad "large.xml has only $size bytes"
fi
# generous limits: sanitizer builds are several times slower
timed sign-large sign_rsa large-signed.xml large.xml
if [ "$status" -eq 0 ] && [ "$elapsed" -lt 20000 ]; then
	ok "sign-large: signed in $elapsed ms"
else
	bad "sign-large: status $status after $elapsed ms"
fi
timed verify-large verify_ca -q large-signed.xml
if [ "$status" -eq 0 ] && [ "$elapsed" -lt 20000 ]; then
	ok "verify-large: verified in $elapsed ms"
else
	bad "verify-large: status $status after $elapsed ms"
fi
sed 's|<cbc:IssueDate>2025-03-14<|<cbc:IssueDate>2025-03-15<|' \
	large-signed.xml >large-changed.xml
timed verify-large-changed verify_ca -q large-changed.xml
if [ "$status" -eq 1 ] && [ "$elapsed" -lt 20000 ]; then
	ok "verify-large-changed: invalid, found in $elapsed ms"
else
	bad "verify-large-changed: status $status after $elapsed ms"
fi

# the same cut as xmlsec's own XPath evaluation
if command -v xmlsec1 >/dev/null 2>&1; then
	grow 200 >medium.xml
	expect 0 sign-medium sign_rsa medium-signed.xml medium.xml
	expect 0 xmlsec1-medium xmlsec1 --verify --trusted-pem \
		"$KEYS/test-ca.pem" medium-signed.xml
	sed 's|<cbc:IssueDate>2025-03-14<|<cbc:IssueDate>2025-03-15<|' \
		medium-signed.xml >medium-changed.xml
	expect 1 xmlsec1-medium-changed xmlsec1 --verify --trusted-pem \
		"$KEYS/test-ca.pem" medium-changed.xml
else
	echo "note: no xmlsec1 program: the comparison with it is left out"
fi
finish
