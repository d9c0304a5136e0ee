#!/bin/sh
# SPDX-License-Identifier: MIT
# secrets.sh FACTURE KEYS SOURCE_DIR - passwords and private keys never
# show in what facture writes: standard output, standard error and the
# files it makes, whether it succeeds or fails (right, wrong and missing
# passwords; passwords given on the command line; keys given where
# certificates are expected).
. "$3/test/sign/lib.sh"

cp "$EXAMPLES/invoice-ubl.xml" in.xml
cp "$EXAMPLES/invoice-cii.xml" cii.xml
wrong=Wrong-Secret-$$
printf '%s\n' "$wrong" >wrong.pass
p12=$KEYS/signer.p12
enc=$KEYS/signer-key-encrypted.pem
mkdir runs
i=0

# each run's streams and outputs go to runs/; its status does not matter
try() {
	i=$((i + 1))
	"$@" >"runs/$i.out" 2>"runs/$i.err" 3<"$KEYS/p12.pass" 4<wrong.pass
}

F=$FACTURE
try "$F" sign --pkcs12 "$p12" --password-file "$KEYS/p12.pass" -o runs/a.xml in.xml
try "$F" sign --pkcs12 "$p12" --password-fd 3 -v -o runs/b.xml in.xml
try "$F" sign --pkcs12 "$p12" --password-fd 4 -v -o runs/c.xml in.xml
try "$F" sign --pkcs12 "$p12" --password-file wrong.pass -o runs/d.xml in.xml
try "$F" sign --pkcs12 "$p12" -o runs/e.xml in.xml
try env FACTURE_KEY_PASSWORD="$wrong" "$F" sign --pkcs12 "$p12" -o runs/f.xml in.xml
try env FACTURE_KEY_PASSWORD="$(cat "$KEYS/p12.pass")" "$F" sign -v \
	--pkcs12 "$p12" -o runs/g.xml in.xml
try "$F" sign --key "$enc" --cert "$KEYS/signer.pem" --password-file \
	"$KEYS/key.pass" -v -o runs/h.xml in.xml
try "$F" sign --key "$enc" --cert "$KEYS/signer.pem" --password-file \
	wrong.pass -o runs/i.xml in.xml
try "$F" sign --key "$enc" --cert "$KEYS/signer.pem" -o runs/j.xml in.xml
try "$F" sign --key "$KEYS/signer-key.pem" --cert "$KEYS/signer-key.pem" \
	-o runs/k.xml in.xml
try "$F" sign --key "$KEYS/signer-key.pem" --cert "$KEYS/ecdsa.pem" \
	-o runs/l.xml in.xml
try "$F" sign --key "$KEYS/ecdsa-key.pem" --cert "$KEYS/ecdsa.pem" \
	-v -o runs/m.xades.xml cii.xml
try "$F" sign --pkcs12 "$KEYS/signer-key.pem" -o runs/n.xml in.xml
try "$F" sign --pkcs12 "$p12" "--password=$wrong" in.xml
try "$F" sign --pkcs12 "$p12" --password "$wrong" in.xml
try "$F" sign --pkcs12 "$p12" "--passwd=$wrong" in.xml
try "$F" sign --pkcs12 "$p12" "--pass=$wrong" in.xml
try "$F" sign --pkcs12 "$p12" "--pa=$wrong" in.xml
try "$F" sign --pkcs12 "$p12" "--password-fd=$wrong" in.xml
try "$F" sign --key "$KEYS/signer-key.pem" --cert "$KEYS/signer.pem" in.xml
try "$F" verify --ca "$KEYS/signer-key.pem" runs/a.xml
try "$F" verify --ca "$KEYS/test-ca.pem" -v runs/a.xml
try "$F" verify --ca "$KEYS/test-ca.pem" -f json runs/h.xml
try "$F" verify --ca "$KEYS/test-ca.pem" --sig runs/m.xades.xml cii.xml

if [ -s runs/a.xml ] && [ -s runs/b.xml ] && [ -s runs/g.xml ] &&
	[ -s runs/h.xml ] && [ -s runs/m.xades.xml ]; then
	ok "the runs that should sign did"
else
	bad "some runs that should sign did not"
fi

# every line of base64 of the private keys, and the passwords
key_lines() {
	openssl pkey -in "$1" -outform PEM 2>/dev/null | grep -v -- '-----'
}
{
	key_lines "$KEYS/signer-key.pem"
	key_lines "$KEYS/ecdsa-key.pem"
	openssl pkey -in "$KEYS/signer-key.pem" -traditional 2>/dev/null |
		grep -v -- '-----'
	grep -v -- '-----' "$KEYS/signer-key.pem" "$KEYS/ecdsa-key.pem" \
		"$enc" | sed 's/^[^:]*://'
	cat "$KEYS/p12.pass" "$KEYS/key.pass"
	echo "$wrong"
} | grep -v '^$' | sort -u >secrets.txt
n=$(wc -l <secrets.txt)
if [ "$n" -gt 20 ]; then
	ok "$n secret strings to look for"
else
	bad "only $n secret strings to look for"
fi
# the search must be able to find them: plant one and look
cp runs/1.err planted.txt
sed -n 2p secrets.txt >>planted.txt
if grep -qF -f secrets.txt planted.txt; then
	ok "a planted secret is found"
else
	bad "a planted secret is not found: the search is broken"
fi
found=$(grep -lF -f secrets.txt runs/* || true)
if [ -z "$found" ]; then
	ok "no secret in $(ls runs | wc -l) outputs of $i runs"
else
	bad "secrets in: $found"
fi

# FACTURE_KEY_PASSWORD does not stay in the environment of the process
# (/proc/PID/environ) once read: facture is caught waiting for its input
# on a pipe, after it has read the password
if [ -r /proc/self/environ ] && command -v mkfifo >/dev/null 2>&1; then
	mkfifo input.fifo
	FX_MARKER=still-here FACTURE_KEY_PASSWORD="$(cat "$KEYS/p12.pass")" \
		timeout 30 "$FACTURE" sign -q --pkcs12 "$p12" \
		-o runs/fifo.xml - <input.fifo >runs/fifo.out 2>runs/fifo.err &
	waiter=$!
	# the writing end, which lets the reader's open go on
	exec 3>input.fifo
	# facture itself, under timeout; it has read the password once it
	# waits for its input on the pipe
	pid= tries=0
	while [ $tries -lt 100 ]; do
		[ -n "$pid" ] || pid=$(ps -o pid= --ppid "$waiter" 2>/dev/null |
			tr -d ' ')
		case $([ -n "$pid" ] && cat "/proc/$pid/wchan" 2>/dev/null) in
		*pipe_read*) break ;;
		esac
		sleep 0.05
		tries=$((tries + 1))
	done
	tr '\0' '\n' <"/proc/$pid/environ" >environ.txt 2>/dev/null
	cat in.xml >&3
	exec 3>&-
	wait "$waiter"
	if grep -q '^FX_MARKER=still-here$' environ.txt; then
		ok "the environment of the running process could be read"
	else
		bad "the environment of the running process could not be read"
	fi
	if grep -qF -f "$KEYS/p12.pass" environ.txt; then
		bad "the password is still in /proc/PID/environ"
	else
		ok "the password is gone from /proc/PID/environ"
	fi
	if [ -s runs/fifo.xml ]; then
		ok "the signing that waited for its input went on"
	else
		bad "the signing that waited for its input made nothing"
	fi
else
	echo "note: no /proc or mkfifo: the environment check is left out"
fi
finish
