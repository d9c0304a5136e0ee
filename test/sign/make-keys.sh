#!/bin/sh
# SPDX-License-Identifier: MIT
# make-keys.sh DIR - fresh test credentials in DIR, made with the openssl
# program: a test CA and the signers it issues (RSA, ECDSA P-256, one
# expired, one whose certificate is not for signatures), another CA with
# a signer nobody trusts, an encrypted key and a PKCS#12 file.  The
# passwords (*.pass) are made up here, only to be looked for in what
# facture prints.
set -eu
dir=$1
if ! command -v openssl >/dev/null 2>&1; then
	echo "skipped: no openssl program"
	exit 77
fi
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

cat >ca.cnf <<'CNF'
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $ENV::CADIR
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
policy = anything
unique_subject = no
email_in_dn = no
[ anything ]
countryName = optional
organizationName = optional
commonName = supplied
[ root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ signer ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tls ]
basicConstraints = CA:FALSE
keyUsage = critical, keyEncipherment
CNF

fail() {
	echo "make-keys: $*" >&2
	exit 1
}

# ca NAME SUBJECT: a self-signed CA, valid from 2019 to 2100
ca() {
	mkdir -p "$1.db"
	: >"$1.db/index.txt"
	echo 1000 >"$1.db/serial"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$1-key.pem" \
		-subj "$2" -out "$1.csr" 2>/dev/null || fail "request of $1"
	CADIR=$1.db openssl ca -batch -config ca.cnf -selfsign \
		-keyfile "$1-key.pem" -in "$1.csr" -out "$1.pem" -notext \
		-extensions root -startdate 20190101000000Z \
		-enddate 21000101000000Z >/dev/null 2>&1 || fail "CA $1"
}

# issue CA NAME SUBJECT START END EXTENSIONS REQ-OPTIONS...
issue() {
	ca=$1 name=$2 subject=$3 start=$4 end=$5 ext=$6
	shift 6
	openssl req -new "$@" -nodes -keyout "$name-key.pem" \
		-subj "$subject" -out "$name.csr" 2>/dev/null ||
		fail "request of $name"
	CADIR=$ca.db openssl ca -batch -config ca.cnf -cert "$ca.pem" \
		-keyfile "$ca-key.pem" -in "$name.csr" -out "$name.pem" \
		-notext -extensions "$ext" -startdate "$start" -enddate "$end" \
		>/dev/null 2>&1 || fail "certificate of $name"
}

rsa="-newkey rsa:2048"
ca test-ca "/C=FR/O=Facture Tests/CN=Facture Test CA"
ca other-ca "/C=FR/O=Somebody Else/CN=Other CA"
# shellcheck disable=SC2086
{
issue test-ca signer "/C=FR/O=Facture Tests/CN=Test Signer" \
	20240101000000Z 21000101000000Z signer $rsa
issue test-ca ecdsa "/C=FR/O=Facture Tests/CN=ECDSA Signer" \
	20240101000000Z 21000101000000Z signer \
	-newkey ec -pkeyopt ec_paramgen_curve:P-256
issue test-ca expired "/C=FR/O=Facture Tests/CN=Expired Signer" \
	20200101000000Z 20210101000000Z signer $rsa
issue test-ca tls "/C=FR/O=Facture Tests/CN=Not For Signing" \
	20240101000000Z 21000101000000Z tls $rsa
issue other-ca untrusted "/C=FR/O=Somebody Else/CN=Untrusted Signer" \
	20240101000000Z 21000101000000Z signer $rsa
}

# secrets: an encrypted copy of the signer's key, and a PKCS#12 file
printf 'pem-Secret-%s\n' "$$" >key.pass
printf 'p12-Secret-%s\n' "$$" >p12.pass
openssl pkey -in signer-key.pem -aes-256-cbc -passout file:key.pass \
	-out signer-key-encrypted.pem 2>/dev/null || fail "encrypted key"
openssl pkcs12 -export -inkey signer-key.pem -in signer.pem \
	-certfile test-ca.pem -name "Test Signer" -passout file:p12.pass \
	-out signer.p12 2>/dev/null || fail "PKCS#12 file"
rm -f ./*.csr
echo "make-keys: credentials in $dir"
