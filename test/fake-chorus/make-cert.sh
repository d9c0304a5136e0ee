#!/bin/sh
# SPDX-License-Identifier: MIT
# make-cert.sh DIR: throw-away TLS material for the fake Chorus Pro server.
#   DIR/ca.pem        a test CA
#   DIR/server.pem    certificate for 127.0.0.1 (IP SAN) and localhost,
#   DIR/server.key    signed by that CA, and its key
#   DIR/wrong-ca.pem  another CA, which signed nothing we serve
# Exits 77 (skip) when the openssl program is missing.
set -eu

dir=${1:?usage: make-cert.sh DIR}
command -v openssl >/dev/null 2>&1 || {
	echo "make-cert.sh: openssl program not found" >&2
	exit 77
}
mkdir -p "$dir"
cd "$dir"
umask 077

cat >ca.cnf <<'CNF'
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
cat >server.cnf <<'CNF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

# Run openssl quietly, but show what it said when it fails.
run() {
	"$@" 2>>openssl.log || {
		cat openssl.log >&2
		echo "make-cert.sh: failed: $*" >&2
		exit 1
	}
}

make_ca() { # name subject
	run openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1.key" -subj "$2" -out "$1.csr"
	run openssl x509 -req -in "$1.csr" -signkey "$1.key" -days 30 \
		-sha256 -extfile ca.cnf -out "$1.pem"
}

make_ca ca "/CN=facture fake Chorus test CA"
make_ca wrong-ca "/CN=facture unrelated test CA"

run openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout server.key -subj "/CN=127.0.0.1" -out server.csr
run openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
	-CAcreateserial -days 30 -sha256 -extfile server.cnf \
	-out server.pem

rm -f ./*.csr ./*.cnf ca.srl wrong-ca.key openssl.log
chmod 644 ca.pem wrong-ca.pem server.pem
