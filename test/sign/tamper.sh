#!/bin/sh
# SPDX-License-Identifier: MIT
# tamper.sh FACTURE KEYS SOURCE_DIR - a signed invoice changed in any
# way fails, with a verdict (exit status 1) that says what changed: an
# amount, the signed properties, the signature value, the certificate,
# what the signature covers; a detached signature over another file; an
# Id given twice.  An unsigned invoice is a verdict too.
. "$3/test/sign/lib.sh"

cp "$EXAMPLES/invoice-ubl.xml" invoice-ubl.xml
cp "$EXAMPLES/invoice-cii.xml" invoice-cii.xml
expect 0 sign-ubl sign_rsa signed.xml invoice-ubl.xml \
	--signing-time=2025-03-01T10:00:00Z
expect 0 verify-untouched verify_ca signed.xml

# change one thing with sed, check the verdict and the reason
tampered() {
	name=$1 expr=$2 reason=$3
	sed "$expr" signed.xml >"$name.xml"
	if cmp -s signed.xml "$name.xml"; then
		bad "$name: the change '$expr' changed nothing"
		return
	fi
	expect 1 "$name" verify_ca "$name.xml"
	has "$name" out "invalid signature"
	has "$name" out "$reason"
	lacks "$name" out ": valid signature"
}

tampered amount \
	's|<cbc:PayableAmount currencyID="EUR">4293.68|<cbc:PayableAmount currencyID="EUR">4293.69|' \
	"the invoice was changed after signing"
tampered issue-date 's|<cbc:IssueDate>2025-03-14<|<cbc:IssueDate>2025-03-15<|' \
	"the invoice was changed after signing"
tampered added-attribute 's|<cbc:Note>|<cbc:Note languageID="fr">|' \
	"the invoice was changed after signing"
tampered blank 's|  <cbc:IssueDate>|   <cbc:IssueDate>|' \
	"the invoice was changed after signing"
tampered signing-time \
	's|2025-03-01T10:00:00Z</xades:SigningTime>|2025-03-02T10:00:00Z</xades:SigningTime>|' \
	"the signed properties were changed after signing"
tampered cert-digest \
	's|\(<xades:CertDigest>.*<ds:DigestValue>\)...|\1AAA|' \
	"the signed properties were changed after signing"
tampered issuer-serial \
	's|<xades:IssuerSerialV2>M|<xades:IssuerSerialV2>N|' \
	"the signed properties were changed after signing"
# one character of the value, another base64 one in its place
python3 - <<'PY'
s = open('signed.xml').read()
i = s.index('<ds:SignatureValue>') + len('<ds:SignatureValue>') + 10
s = s[:i] + ('B' if s[i] == 'A' else 'A') + s[i + 1:]
open('signature-value.xml', 'w').write(s)
PY
expect 1 signature-value verify_ca signature-value.xml
has signature-value out "the signature value does not match"
tampered reference-uri 's|URI="" |URI="#xades-1-signedprops" |; s|<ds:Reference Id="xades-1-ref0" URI="">|<ds:Reference Id="xades-1-ref0" URI="#xades-1-signedprops">|' \
	"does not cover the whole invoice"
tampered props-target 's|Target="#xades-1"|Target="#elsewhere"|' \
	"is for another signature"

# the signature values of PSS and ECDSA, changed
for kind in pss ecdsa; do
	case $kind in
	pss) expect 0 "sign-$kind" sign_rsa "$kind.xml" invoice-ubl.xml --pss ;;
	ecdsa) expect 0 "sign-$kind" "$FACTURE" sign -q \
		--key "$KEYS/ecdsa-key.pem" --cert "$KEYS/ecdsa.pem" \
		-o "$kind.xml" invoice-ubl.xml ;;
	esac
	python3 - "$kind.xml" "$kind-value.xml" <<'PY'
import sys
s = open(sys.argv[1]).read()
i = s.index('<ds:SignatureValue>') + len('<ds:SignatureValue>') + 5
s = s[:i] + ('B' if s[i] == 'A' else 'A') + s[i + 1:]
open(sys.argv[2], 'w').write(s)
PY
	expect 0 "$kind-untouched" verify_ca "$kind.xml"
	expect 1 "$kind-value" verify_ca "$kind-value.xml"
	has "$kind-value" out "the signature value does not match"
done

# comments are not signed (canonical XML without comments): adding one
# changes nothing that counts
sed 's|</cbc:Note>|</cbc:Note><!-- a comment -->|' signed.xml >comment.xml
expect 0 comment verify_ca comment.xml

# another certificate in ds:KeyInfo: its key did not sign
cert_b64() {
	openssl x509 -in "$1" -outform DER | base64 -w 64
}
python3 - "$(cert_b64 "$KEYS/untrusted.pem")" <<'PY'
import re, sys
s = open('signed.xml').read()
s = re.sub(r'<ds:X509Certificate>[^<]*</ds:X509Certificate>',
           '<ds:X509Certificate>' + sys.argv[1] + '</ds:X509Certificate>', s)
open('other-cert.xml', 'w').write(s)
PY
expect 1 other-cert verify_ca other-cert.xml
has other-cert out "the signature value does not match"
has other-cert out "name another certificate than the one that signed"

# an Id given twice: the reference could point at the wrong element
sed 's|<cbc:Note>|<cbc:Note Id="xades-1-signedprops">|' signed.xml >dup-id.xml
expect 1 duplicate-id verify_ca dup-id.xml
has duplicate-id out "the Id 'xades-1-signedprops' is given to two elements"

# no signed properties at all: plain XML-DSig is not XAdES
python3 - <<'PY'
import re
s = open('signed.xml').read()
s = re.sub(r'<ds:Object>.*?</ds:Object>', '', s, flags=re.S)
open('no-xades.xml', 'w').write(s)
PY
expect 1 no-xades verify_ca no-xades.xml
has no-xades out "no XAdES signed properties"

# CII: a changed invoice, or another file, does not match its signature
expect 0 sign-cii sign_rsa cii.xades.xml invoice-cii.xml
expect 0 verify-cii verify_ca --sig cii.xades.xml invoice-cii.xml
sed 's|<ram:DuePayableAmount>|<ram:DuePayableAmount>1|' invoice-cii.xml \
	>changed-cii.xml
expect 1 cii-changed verify_ca --sig cii.xades.xml changed-cii.xml
has cii-changed out "the invoice does not match the signature"
expect 1 cii-other-file verify_ca --sig cii.xades.xml invoice-ubl.xml
has cii-other-file out "the invoice does not match the signature"
sed 's|<xades:SigningTime>2|<xades:SigningTime>1|' cii.xades.xml \
	>cii-props.xades.xml
expect 1 cii-props verify_ca --sig cii-props.xades.xml invoice-cii.xml
has cii-props out "the signed properties were changed after signing"

# no signature is a verdict, not an error
expect 1 unsigned-ubl verify_ca invoice-ubl.xml
has unsigned-ubl out "invoice-ubl.xml: not signed"
expect 1 unsigned-cii verify_ca invoice-cii.xml
has unsigned-cii out "invoice-cii.xml: not signed"
has unsigned-cii err "there is no 'invoice-cii.xml.xades.xml'"
expect 1 unsigned-json verify_ca -f json invoice-ubl.xml
has unsigned-json out '"status": "unsigned"'

# and the wrong way round, or not an invoice at all
expect 2 sig-as-invoice verify_ca cii.xades.xml
has sig-as-invoice err "is a detached signature"
expect 3 not-a-signature verify_ca --sig invoice-ubl.xml invoice-cii.xml
has not-a-signature err "is not a detached signature"
printf '<other xmlns="urn:example"/>\n' >other.xml
expect 3 verify-other verify_ca other.xml
expect 3 sign-other sign_rsa out.xml other.xml
if [ -e out.xml ]; then
	bad "a failed signing left out.xml behind"
else
	ok "a failed signing leaves no output file"
fi
expect 3 verify-missing verify_ca no-such-file.xml
finish
