#!/bin/sh
# SPDX-License-Identifier: MIT
# interop.sh FACTURE KEYS SOURCE_DIR - facture against an independent
# implementation: every signature facture makes verifies with the xmlsec1
# program (but RSASSA-PSS, which xmlsec 1.2 does not know: those are
# checked with xmllint and openssl instead), and signatures that xmlsec1
# makes from a template written here verify with facture.  The digests
# are also recomputed with xmllint and openssl.
. "$3/test/sign/lib.sh"

for tool in xmlsec1 xmllint python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "skipped: no $tool program"
		exit 77
	fi
done
TEMPLATE=$SRC/test/sign/make-template.py
IDATTR="--id-attr:Id http://uri.etsi.org/01903/v1.3.2#:SignedProperties"
cp "$EXAMPLES/invoice-ubl.xml" "$EXAMPLES/creditnote-ubl.xml" \
	"$EXAMPLES/invoice-cii.xml" .

# xmlsec1 verifies FILE (in the current directory) against the test CA
xmlsec1_verify() {
	# shellcheck disable=SC2086
	xmlsec1 --verify --trusted-pem "$KEYS/test-ca.pem" $IDATTR "$@"
}

# --- ours, checked by xmlsec1 -------------------------------------------
n=0
while read -r doc key options; do
	n=$((n + 1))
	case $key in
	ecdsa) k=$KEYS/ecdsa-key.pem c=$KEYS/ecdsa.pem ;;
	*) k=$KEYS/signer-key.pem c=$KEYS/signer.pem ;;
	esac
	# shellcheck disable=SC2086
	expect 0 "ours-$n-sign" "$FACTURE" sign -q --key "$k" --cert "$c" \
		$options -o "ours$n.xml" "$doc"
	expect 0 "ours-$n-xmlsec1-$doc-$key${options:+-}$(echo $options |
		tr -d ' -=')" xmlsec1_verify "ours$n.xml"
done <<'CASES'
invoice-ubl.xml rsa
invoice-ubl.xml rsa --digest=sha384
invoice-ubl.xml rsa --digest=sha512 --signing-certificate=v1
invoice-ubl.xml ecdsa
invoice-ubl.xml ecdsa --digest=sha512
creditnote-ubl.xml rsa
CASES
expect 0 ours-chain-sign "$FACTURE" sign -q --key "$KEYS/signer-key.pem" \
	--cert "$KEYS/signer.pem" --chain "$KEYS/test-ca.pem" -o chain.xml \
	invoice-ubl.xml
expect 0 ours-chain-xmlsec1 xmlsec1_verify chain.xml

# a detached signature: xmlsec1 finds the invoice by its name
expect 0 ours-cii-sign "$FACTURE" sign -q --key "$KEYS/ecdsa-key.pem" \
	--cert "$KEYS/ecdsa.pem" invoice-cii.xml
expect 0 ours-cii-xmlsec1 xmlsec1_verify invoice-cii.xml.xades.xml
expect 0 ours-cii-rsa-sign "$FACTURE" sign -q --key "$KEYS/signer-key.pem" \
	--cert "$KEYS/signer.pem" --digest=sha512 -o rsa.xades.xml invoice-cii.xml
expect 0 ours-cii-rsa-xmlsec1 xmlsec1_verify rsa.xades.xml

# xmlsec1 can say no: a changed invoice fails with it too
sed 's|<cbc:IssueDate>2025-03-14<|<cbc:IssueDate>2025-03-15<|' ours1.xml \
	>changed.xml
expect 1 ours-changed-xmlsec1 xmlsec1_verify changed.xml
mkdir other && cp invoice-cii.xml.xades.xml other/ &&
	sed 's|<ram:DuePayableAmount>|<ram:DuePayableAmount>1|' invoice-cii.xml \
		>other/invoice-cii.xml
expect 1 ours-cii-changed-xmlsec1 sh -c 'cd other && xmlsec1 --verify \
	--trusted-pem "$1" invoice-cii.xml.xades.xml' sh "$KEYS/test-ca.pem"

# --- xmlsec1's, checked by us ---------------------------------------------
template() {
	python3 "$TEMPLATE" "$@" || bad "make-template.py $*"
}
xmlsec1_sign() {
	out=$1 key=$2 cert=$3 tmpl=$4
	# shellcheck disable=SC2086
	xmlsec1 --sign --privkey-pem "$key,$cert" $IDATTR --output "$out" "$tmpl"
}
template enveloped invoice-ubl.xml "$KEYS/signer.pem" rsa-sha256 t-rsa.xml
expect 0 theirs-rsa-sign xmlsec1_sign theirs-rsa.xml "$KEYS/signer-key.pem" \
	"$KEYS/signer.pem" t-rsa.xml
expect 0 theirs-rsa-verify verify_ca -v theirs-rsa.xml
has theirs-rsa-verify out "valid signature by CN=Test Signer,O=Facture Tests,C=FR"
has theirs-rsa-verify out "signing time: 2025-05-05T05:05:05Z"
has theirs-rsa-verify out "signed properties pass"

template enveloped creditnote-ubl.xml "$KEYS/ecdsa.pem" ecdsa-sha256 t-ec.xml
expect 0 theirs-ecdsa-sign xmlsec1_sign theirs-ec.xml "$KEYS/ecdsa-key.pem" \
	"$KEYS/ecdsa.pem" t-ec.xml
expect 0 theirs-ecdsa-verify verify_ca theirs-ec.xml
has theirs-ecdsa-verify out "valid signature by CN=ECDSA Signer"

template detached invoice-cii.xml "$KEYS/signer.pem" rsa-sha256 t-det.xml
expect 0 theirs-detached-sign xmlsec1_sign theirs-det.xml \
	"$KEYS/signer-key.pem" "$KEYS/signer.pem" t-det.xml
expect 0 theirs-detached-verify verify_ca --sig theirs-det.xml invoice-cii.xml
has theirs-detached-verify out "theirs-det.xml:2: valid signature"

# a template that names another certificate than the one signing
template enveloped invoice-ubl.xml "$KEYS/signer.pem" rsa-sha256 t-lie.xml \
	--cert-of "$KEYS/ecdsa.pem"
expect 0 theirs-lie-sign xmlsec1_sign theirs-lie.xml "$KEYS/signer-key.pem" \
	"$KEYS/signer.pem" t-lie.xml
expect 1 theirs-lie-verify verify_ca theirs-lie.xml
has theirs-lie-verify out "name another certificate than the one that signed"

# the enveloped-signature transform instead of the UBL XPath filter is
# fine; an XPath filter that leaves out more than signatures is refused
sed 's|<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath [^>]*>[^<]*</ds:XPath></ds:Transform>|<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>|' \
	t-rsa.xml >t-env.xml
expect 0 theirs-enveloped-sign xmlsec1_sign theirs-env.xml \
	"$KEYS/signer-key.pem" "$KEYS/signer.pem" t-env.xml
if grep -q 'xmldsig#enveloped-signature' theirs-env.xml; then
	ok "theirs-enveloped: the template has the enveloped-signature transform"
else
	bad "theirs-enveloped: the template has no enveloped-signature transform"
fi
expect 0 theirs-enveloped-verify verify_ca theirs-env.xml
sed 's|count(ancestor-or-self::sig:UBLDocumentSignatures [^<]*)</ds:XPath>|not(ancestor-or-self::sig:UBLDocumentSignatures or ancestor-or-self::cac:LegalMonetaryTotal)</ds:XPath>|' \
	t-rsa.xml >t-partial.xml
expect 0 theirs-partial-sign xmlsec1_sign theirs-partial.xml \
	"$KEYS/signer-key.pem" "$KEYS/signer.pem" t-partial.xml
expect 0 theirs-partial-xmlsec1 xmlsec1_verify theirs-partial.xml
expect 1 theirs-partial-verify verify_ca theirs-partial.xml
has theirs-partial-verify out "only the XPath filters of the UBL signature profile"
has theirs-partial-verify out "does not cover the whole invoice"

# and a signature by xmlsec1 changed afterwards
sed 's|<cbc:IssueDate>2025-03-14<|<cbc:IssueDate>2025-03-15<|' theirs-rsa.xml \
	>theirs-changed.xml
expect 1 theirs-changed-verify verify_ca theirs-changed.xml
has theirs-changed-verify out "the invoice was changed after signing"

# --- digests and values recomputed with xmllint and openssl ---------------
# element EL of FILE as a document of its own (namespace of PREFIX
# declared on it), canonicalized with exclusive c14n by xmllint
extract_c14n() {
	python3 - "$1" "$2" >piece.xml <<'PY'
import re, sys
text = open(sys.argv[1], encoding='utf-8').read()
el = sys.argv[2]
m = re.search(r'<%s[ >].*?</%s>' % (el, el), text, re.S)
piece = m.group(0)
decls = ' xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'
if el.startswith('xades:'):
    decls += ' xmlns:xades="http://uri.etsi.org/01903/v1.3.2#"'
piece = re.sub(r'^<%s' % el, '<%s%s' % (el, decls), piece)
sys.stdout.write(piece)
PY
	xmllint --exc-c14n piece.xml
}
# the text of the first element EL in FILE
text_of() {
	python3 - "$1" "$2" <<'PY'
import re, sys
text = open(sys.argv[1], encoding='utf-8').read()
m = re.search(r'<%s[^>]*>(.*?)</%s>' % (sys.argv[2], sys.argv[2]), text, re.S)
print(''.join(m.group(1).split()))
PY
}
b64_sha() {
	openssl dgst "-$1" -binary | base64 -w 0
}

expect 0 pss-sign "$FACTURE" sign -q --pss --key "$KEYS/signer-key.pem" \
	--cert "$KEYS/signer.pem" -o pss.xml invoice-ubl.xml
openssl x509 -in "$KEYS/signer.pem" -pubkey -noout >pub.pem
extract_c14n pss.xml ds:SignedInfo >signedinfo.c14n
text_of pss.xml ds:SignatureValue | base64 -d >signature.bin
expect 0 pss-openssl openssl dgst -sha256 -sigopt rsa_padding_mode:pss \
	-sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 \
	-verify pub.pem -signature signature.bin signedinfo.c14n
has pss-openssl out "Verified OK"
# the same check fails on a changed SignedInfo
sed 's/xades-1-ref0/xades-1-ref1/' signedinfo.c14n >changed.c14n
expect 1 pss-openssl-changed openssl dgst -sha256 -sigopt rsa_padding_mode:pss \
	-sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 \
	-verify pub.pem -signature signature.bin changed.c14n

expect 0 pss512-sign "$FACTURE" sign -q --pss --digest=sha512 \
	--key "$KEYS/signer-key.pem" --cert "$KEYS/signer.pem" -o pss512.xml \
	invoice-ubl.xml
extract_c14n pss512.xml ds:SignedInfo >signedinfo512.c14n
text_of pss512.xml ds:SignatureValue | base64 -d >signature512.bin
expect 0 pss512-openssl openssl dgst -sha512 -sigopt rsa_padding_mode:pss \
	-sigopt rsa_pss_saltlen:64 -sigopt rsa_mgf1_md:sha512 \
	-verify pub.pem -signature signature512.bin signedinfo512.c14n

# the digest of the signed properties
want=$(python3 - pss.xml <<'PY'
import re, sys
t = open(sys.argv[1]).read()
refs = re.findall(r'<ds:Reference[^>]*URI="([^"]*)".*?<ds:DigestValue>([^<]*)<', t, re.S)
print(dict(refs)['#xades-1-signedprops'])
PY
)
got=$(extract_c14n pss.xml xades:SignedProperties | b64_sha sha256)
if [ -n "$want" ] && [ "$want" = "$got" ]; then
	ok "the digest of the signed properties is what openssl computes"
else
	bad "signed properties digest: signature says '$want', openssl '$got'"
fi

# the digest of a detached invoice is that of its bytes
want=$(text_of invoice-cii.xml.xades.xml ds:DigestValue)
got=$(b64_sha sha256 <invoice-cii.xml)
if [ "$want" = "$got" ]; then
	ok "the digest of the detached invoice is that of its bytes"
else
	bad "detached digest: signature says '$want', openssl '$got'"
fi

# the digest of an enveloped invoice: the document without its
# signatures and comments, canonicalized by xmllint
python3 - ours1.xml <<'PY' >unsigned.xml
import re, sys
t = open(sys.argv[1], encoding='utf-8').read()
t = re.sub(r'<sig:UBLDocumentSignatures.*?</sig:UBLDocumentSignatures>', '',
           t, flags=re.S)
t = re.sub(r'<!--.*?-->', '', t, flags=re.S)
sys.stdout.write(t)
PY
want=$(text_of ours1.xml ds:DigestValue)
got=$(xmllint --c14n unsigned.xml | b64_sha sha256)
if [ -n "$want" ] && [ "$want" = "$got" ]; then
	ok "the digest of the enveloped invoice is what xmllint and openssl compute"
else
	bad "enveloped digest: signature says '$want', xmllint+openssl '$got'"
fi

# IssuerSerialV2 decodes (openssl asn1parse) to the certificate's issuer
# and serial number
text_of ours1.xml xades:IssuerSerialV2 | base64 -d >isv2.der
expect 0 isv2-asn1parse openssl asn1parse -inform DER -in isv2.der -i
has isv2-asn1parse out "cont [ 4 ]"
has isv2-asn1parse out ":Facture Test CA"
serial=$(openssl x509 -in "$KEYS/signer.pem" -noout -serial | sed 's/.*=//')
has isv2-asn1parse out "INTEGER           :$serial"
finish
