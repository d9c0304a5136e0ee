#!/bin/sh
# SPDX-License-Identifier: MIT
# certs.sh FACTURE KEYS SOURCE_DIR - certificates and trust: a key that
# is not the certificate's, an expired signer (refused at signing time,
# a failed verdict now, a good one at --at), a signer nobody trusts, a
# certificate not meant for signatures, trust anchors that cannot be
# used, a chain given with --chain.
. "$3/test/sign/lib.sh"

cp "$EXAMPLES/invoice-ubl.xml" in.xml
ubl=in.xml

# the wrong certificate for the key: nothing is signed
expect 4 wrong-cert "$FACTURE" sign --key "$KEYS/signer-key.pem" \
	--cert "$KEYS/ecdsa.pem" -o out.xml $ubl
has wrong-cert err "does not match the certificate"
if [ -e out.xml ]; then
	bad "wrong-cert: out.xml was written"
else
	ok "wrong-cert: no output"
fi
expect 4 wrong-cert-2 "$FACTURE" sign --key "$KEYS/untrusted-key.pem" \
	--cert "$KEYS/signer.pem" -o out.xml $ubl

# expired: refused now; signed in its time, invalid now, valid then
expect 4 expired-now "$FACTURE" sign --key "$KEYS/expired-key.pem" \
	--cert "$KEYS/expired.pem" -o out.xml $ubl
has expired-now err "expired on 2021-01-01T00:00:00Z"
expect 4 expired-before "$FACTURE" sign --key "$KEYS/expired-key.pem" \
	--cert "$KEYS/expired.pem" --signing-time=2019-06-01 -o out.xml $ubl
has expired-before err "is not valid before 2020-01-01T00:00:00Z"
expect 0 expired-then "$FACTURE" sign --key "$KEYS/expired-key.pem" \
	--cert "$KEYS/expired.pem" --signing-time=2020-06-01T12:00:00Z \
	-o expired.xml $ubl
expect 1 verify-expired verify_ca expired.xml
has verify-expired out "the signer's certificate expired on 2021-01-01T00:00:00Z"
expect 1 verify-expired-json verify_ca -f json expired.xml
has verify-expired-json out '"certificate": "fail"'
has verify-expired-json out '"signature": "pass"'
expect 0 verify-expired-at verify_ca --at 2020-06-01T12:00:00Z expired.xml
expect 1 verify-expired-at-2 verify_ca --at 2021-01-01T00:00:01Z expired.xml
expect 1 verify-before verify_ca --at 2019-12-31 expired.xml
has verify-before out "is not valid before 2020-01-01T00:00:00Z"
expect 2 verify-bad-at verify_ca --at yesterday expired.xml

# a signer from a CA that is not trusted
expect 0 sign-untrusted "$FACTURE" sign -q --key "$KEYS/untrusted-key.pem" \
	--cert "$KEYS/untrusted.pem" -o untrusted.xml $ubl
expect 1 verify-untrusted verify_ca untrusted.xml
has verify-untrusted out "the signer's certificate is not trusted"
has verify-untrusted out "CN=Untrusted Signer"
expect 0 verify-untrusted-own "$FACTURE" verify --ca "$KEYS/other-ca.pem" \
	untrusted.xml
# our test CA is in no system store
expect 0 sign-trusted sign_rsa signed.xml $ubl
expect 1 verify-system "$FACTURE" verify signed.xml
has verify-system out "not trusted"
# a bundle of several anchors
cat "$KEYS/other-ca.pem" "$KEYS/test-ca.pem" >bundle.pem
expect 0 verify-bundle "$FACTURE" verify --ca bundle.pem signed.xml

# a certificate whose key usage is not for signatures
expect 4 tls "$FACTURE" sign --key "$KEYS/tls-key.pem" --cert "$KEYS/tls.pem" \
	-o out.xml $ubl
has tls err "is not meant for signatures"

# PSS needs RSA
expect 4 pss-ecdsa "$FACTURE" sign --pss --key "$KEYS/ecdsa-key.pem" \
	--cert "$KEYS/ecdsa.pem" -o out.xml $ubl
has pss-ecdsa err "RSASSA-PSS needs an RSA key"

# trust anchors that cannot be used: exit status 4
expect 4 ca-missing "$FACTURE" verify --ca no-such-ca.pem signed.xml
has ca-missing err "cannot open the trust anchors 'no-such-ca.pem'"
expect 4 ca-not-pem "$FACTURE" verify --ca "$KEYS/key.pass" signed.xml
has ca-not-pem err "no certificate in the trust anchors"

# credentials that cannot be read, or are not what they claim
expect 4 key-missing "$FACTURE" sign --key no-key.pem --cert "$KEYS/signer.pem" \
	-o out.xml $ubl
has key-missing err "cannot open key 'no-key.pem'"
expect 4 cert-is-key "$FACTURE" sign --key "$KEYS/signer-key.pem" \
	--cert "$KEYS/signer-key.pem" -o out.xml $ubl
has cert-is-key err "no certificate in certificate"
expect 4 key-is-cert "$FACTURE" sign --key "$KEYS/signer.pem" \
	--cert "$KEYS/signer.pem" -o out.xml $ubl
has key-is-cert err "no private key in"
expect 4 p12-not-p12 "$FACTURE" sign --pkcs12 "$KEYS/signer.pem" -o out.xml \
	$ubl
has p12-not-p12 err "is not a PKCS#12 file"

# the chain goes in ds:KeyInfo, after the signer's certificate
expect 0 sign-chain "$FACTURE" sign -q --key "$KEYS/signer-key.pem" \
	--cert "$KEYS/signer.pem" --chain "$KEYS/test-ca.pem" -o chain.xml $ubl
if [ "$(grep -c '<ds:X509Certificate>' chain.xml)" -eq 2 ]; then
	ok "sign-chain: two certificates in ds:KeyInfo"
else
	bad "sign-chain: not two certificates in ds:KeyInfo"
fi
expect 0 verify-chain verify_ca chain.xml
has verify-chain out "valid signature by CN=Test Signer"
# the PKCS#12 file holds the CA too
expect 0 sign-p12-chain "$FACTURE" sign -q --pkcs12 "$KEYS/signer.p12" \
	--password-file "$KEYS/p12.pass" -o p12.xml $ubl
if [ "$(grep -c '<ds:X509Certificate>' p12.xml)" -eq 2 ]; then
	ok "sign-p12-chain: two certificates in ds:KeyInfo"
else
	bad "sign-p12-chain: not two certificates in ds:KeyInfo"
fi
finish
