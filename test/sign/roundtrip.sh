#!/bin/sh
# SPDX-License-Identifier: MIT
# roundtrip.sh FACTURE KEYS SOURCE_DIR - sign, then verify: UBL invoice
# and credit note (enveloped) and CII (detached), with every kind of key,
# digest and credential file; the input is never modified; a fixed
# signing time gives the same bytes; the signer reported is the one
# openssl reads in the certificate.
. "$3/test/sign/lib.sh"

subject=$(openssl x509 -in "$KEYS/signer.pem" -noout -subject \
	-nameopt RFC2253 | sed 's/^subject=//')
serial=$(openssl x509 -in "$KEYS/signer.pem" -noout -serial |
	sed 's/^serial=//')
ec_subject=$(openssl x509 -in "$KEYS/ecdsa.pem" -noout -subject \
	-nameopt RFC2253 | sed 's/^subject=//')

for doc in invoice-ubl creditnote-ubl invoice-cii; do
	cp "$EXAMPLES/$doc.xml" "$doc.xml"
done

# one UBL invoice, every way of signing it
n=0
while read -r label options; do
	n=$((n + 1))
	case $label in
	ecdsa*) key=$KEYS/ecdsa-key.pem cert=$KEYS/ecdsa.pem who=$ec_subject ;;
	*) key=$KEYS/signer-key.pem cert=$KEYS/signer.pem who=$subject ;;
	esac
	# shellcheck disable=SC2086
	case $label in
	pkcs12)
		expect 0 "sign-$label" "$FACTURE" sign --pkcs12 \
			"$KEYS/signer.p12" --password-file "$KEYS/p12.pass" \
			-o "s$n.xml" invoice-ubl.xml ;;
	encrypted-pem)
		expect 0 "sign-$label" sh -c '"$1" sign --key "$2" --cert "$3" \
			--password-fd 3 -o "$4" invoice-ubl.xml 3<"$5"' sh \
			"$FACTURE" "$KEYS/signer-key-encrypted.pem" \
			"$KEYS/signer.pem" "s$n.xml" "$KEYS/key.pass" ;;
	*)
		expect 0 "sign-$label" "$FACTURE" sign --key "$key" \
			--cert "$cert" $options -o "s$n.xml" invoice-ubl.xml ;;
	esac
	expect 0 "verify-$label" verify_ca "s$n.xml"
	has "verify-$label" out "valid signature by $who"
	lacks "verify-$label" out "invalid"
done <<'CASES'
rsa-sha256
rsa-sha384 --digest=sha384
rsa-sha512 --digest=sha512
rsa-pss-sha256 --pss
rsa-pss-sha512 --pss --digest=sha512
ecdsa-sha256
ecdsa-sha384 --digest=sha384
rsa-v1 --signing-certificate=v1
ecdsa-v1 --signing-certificate=v1 --digest=sha512
pkcs12
encrypted-pem
CASES

# what the report says, against openssl
expect 0 verify-details verify_ca s1.xml
has verify-details out "certificate:  serial $serial,"
has verify-details out "rsa-sha256, digest sha256"
expect 0 verify-pss-details verify_ca s4.xml
has verify-pss-details out "sha256-rsa-MGF1, digest sha256"
expect 0 verify-ecdsa-details verify_ca s6.xml
has verify-ecdsa-details out "ecdsa-sha256"
expect 0 verify-json verify_ca -f json s2.xml
has verify-json out '"status": "valid"'
has verify-json out '"signature": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"'
has verify-json out "\"serial\": \"$serial\""
has verify-json out '"checks": {"references": "pass", "signature": "pass", "signed_properties": "pass", "certificate": "pass"}'
expect 0 verify-verbose verify_ca -v s1.xml
has verify-verbose out "references pass, signature value pass, signed properties pass, certificate pass"
expect 0 verify-quiet verify_ca -q s1.xml
if [ -s verify-quiet.out ]; then
	bad "verify -q prints something for a valid signature"
else
	ok "verify -q prints nothing for a valid signature"
fi
expect 0 verify-stdin sh -c '"$1" verify --ca "$2" - <"$3"' sh "$FACTURE" \
	"$KEYS/test-ca.pem" s1.xml
has verify-stdin out "<stdin>:"

# credit note, and a signature on top of a signature
expect 0 sign-creditnote sign_rsa cn.xml creditnote-ubl.xml
expect 0 verify-creditnote verify_ca cn.xml
expect 0 sign-twice "$FACTURE" sign -q --key "$KEYS/ecdsa-key.pem" \
	--cert "$KEYS/ecdsa.pem" -o twice.xml s1.xml
expect 0 verify-twice verify_ca twice.xml
if [ "$(grep -c 'valid signature by' verify-twice.out)" -eq 2 ]; then
	ok "verify-twice: two valid signatures"
else
	bad "verify-twice: not two valid signatures"
fi
has verify-twice out "$ec_subject"

# signing from standard input to standard output
expect 0 sign-stdin sh -c '"$1" sign -q --key "$2" --cert "$3" - <"$4" >"$5"' \
	sh "$FACTURE" "$KEYS/signer-key.pem" "$KEYS/signer.pem" \
	invoice-ubl.xml piped.xml
expect 0 verify-piped verify_ca piped.xml

# CII: a detached signature beside the invoice by default
expect 0 sign-cii-default "$FACTURE" sign --key "$KEYS/signer-key.pem" \
	--cert "$KEYS/signer.pem" invoice-cii.xml
has sign-cii-default err "signed 'invoice-cii.xml'"
has sign-cii-default err "detached signature in 'invoice-cii.xml.xades.xml'"
if [ -f invoice-cii.xml.xades.xml ]; then
	ok "the detached signature is invoice-cii.xml.xades.xml"
else
	bad "no invoice-cii.xml.xades.xml"
fi
if grep -q 'URI="invoice-cii.xml"' invoice-cii.xml.xades.xml; then
	ok "the detached signature names invoice-cii.xml"
else
	bad "the detached signature does not name invoice-cii.xml"
fi
expect 0 verify-cii-default verify_ca invoice-cii.xml
has verify-cii-default out "invoice-cii.xml.xades.xml:2: valid signature"
expect 0 sign-cii-ecdsa "$FACTURE" sign -q --key "$KEYS/ecdsa-key.pem" \
	--cert "$KEYS/ecdsa.pem" --digest=sha384 -o other.xades.xml \
	invoice-cii.xml
expect 0 verify-cii-sig verify_ca --sig other.xades.xml invoice-cii.xml
has verify-cii-sig out "other.xades.xml:2: valid signature by $ec_subject"
expect 0 sign-cii-pss sign_rsa pss.xades.xml invoice-cii.xml --pss \
	--digest=sha512
expect 0 verify-cii-pss verify_ca --sig pss.xades.xml invoice-cii.xml

# a UBL invoice can be signed detached too (the library's option), and a
# CII signature does not sign a UBL invoice
expect 1 verify-wrong-invoice verify_ca --sig other.xades.xml invoice-ubl.xml
has verify-wrong-invoice out "the invoice does not match the signature"

# the inputs were never touched
for doc in invoice-ubl creditnote-ubl invoice-cii; do
	same_file "$EXAMPLES/$doc.xml" "$doc.xml" "$doc.xml is unchanged"
done
expect 2 sign-over-input sign_rsa invoice-ubl.xml invoice-ubl.xml
has sign-over-input err "is the invoice itself"
same_file "$EXAMPLES/invoice-ubl.xml" invoice-ubl.xml \
	"invoice-ubl.xml is unchanged after an attempt to sign over it"

# a fixed signing time makes the same bytes (PKCS#1 v1.5 is
# deterministic); another time, other bytes
t1=--signing-time=2025-03-01T10:00:00Z
t2=--signing-time=2025-03-01T10:00:01+00:00
expect 0 sign-fixed-1 sign_rsa fixed1.xml invoice-ubl.xml "$t1"
expect 0 sign-fixed-2 sign_rsa fixed2.xml invoice-ubl.xml "$t1"
expect 0 sign-fixed-3 sign_rsa fixed3.xml invoice-ubl.xml "$t2"
same_file fixed1.xml fixed2.xml "same time, same bytes"
if cmp -s fixed1.xml fixed3.xml; then
	bad "another signing time gives the same bytes"
else
	ok "another signing time gives other bytes"
fi
if grep -q '<xades:SigningTime>2025-03-01T10:00:00Z</xades:SigningTime>' \
	fixed1.xml; then
	ok "the signing time is recorded as given"
else
	bad "the signing time is not recorded as given"
fi
expect 2 sign-bad-time sign_rsa x.xml invoice-ubl.xml \
	--signing-time=2025-02-30T00:00:00Z
expect 2 sign-bad-digest sign_rsa x.xml invoice-ubl.xml --digest=sha1
finish
