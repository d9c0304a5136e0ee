#!/bin/sh
# SPDX-License-Identifier: MIT
# passwords.sh FACTURE KEYS SOURCE_DIR - passwords come from a file, a
# file descriptor or FACTURE_KEY_PASSWORD, never from the command line;
# a wrong or missing one is exit status 4 with a message that says so.
. "$3/test/sign/lib.sh"

cp "$EXAMPLES/invoice-ubl.xml" in.xml
p12=$KEYS/signer.p12
enc=$KEYS/signer-key-encrypted.pem
printf 'not-the-password\n' >wrong.pass

# PKCS#12
expect 4 p12-none "$FACTURE" sign --pkcs12 "$p12" -o out.xml in.xml
has p12-none err "needs a password"
has p12-none err "--password-file=FILE, --password-fd=N or FACTURE_KEY_PASSWORD"
expect 4 p12-wrong "$FACTURE" sign --pkcs12 "$p12" --password-file wrong.pass \
	-o out.xml in.xml
has p12-wrong err "wrong password"
expect 4 p12-wrong-env env FACTURE_KEY_PASSWORD=not-the-password \
	"$FACTURE" sign --pkcs12 "$p12" -o out.xml in.xml
has p12-wrong-env err "wrong password"
if [ -e out.xml ]; then
	bad "a refused password left out.xml behind"
else
	ok "a refused password leaves no output"
fi
expect 0 p12-file "$FACTURE" sign -q --pkcs12 "$p12" \
	--password-file "$KEYS/p12.pass" -o a.xml in.xml
expect 0 p12-fd sh -c '"$1" sign -q --pkcs12 "$2" --password-fd 7 -o b.xml \
	in.xml 7<"$3"' sh "$FACTURE" "$p12" "$KEYS/p12.pass"
expect 0 p12-env env FACTURE_KEY_PASSWORD="$(cat "$KEYS/p12.pass")" \
	"$FACTURE" sign -q --pkcs12 "$p12" -o c.xml in.xml
# the option wins over the environment
expect 0 p12-file-over-env env FACTURE_KEY_PASSWORD=not-the-password \
	"$FACTURE" sign -q --pkcs12 "$p12" --password-file "$KEYS/p12.pass" \
	-o d.xml in.xml
# a password file with a CRLF ending, as some editors write it
printf '%s\r\n' "$(cat "$KEYS/p12.pass")" >crlf.pass
expect 0 p12-crlf "$FACTURE" sign -q --pkcs12 "$p12" --password-file crlf.pass \
	-o e.xml in.xml
for f in a b c d e; do
	expect 0 "verify-$f" verify_ca "$f.xml"
done

# an encrypted PEM key
expect 4 pem-none "$FACTURE" sign --key "$enc" --cert "$KEYS/signer.pem" \
	-o out.xml in.xml
has pem-none err "is encrypted and no password was given"
expect 4 pem-wrong "$FACTURE" sign --key "$enc" --cert "$KEYS/signer.pem" \
	--password-file wrong.pass -o out.xml in.xml
has pem-wrong err "wrong password"
expect 0 pem-right "$FACTURE" sign -q --key "$enc" --cert "$KEYS/signer.pem" \
	--password-file "$KEYS/key.pass" -o f.xml in.xml
expect 4 password-file-missing "$FACTURE" sign --key "$enc" \
	--cert "$KEYS/signer.pem" --password-file no-such.pass -o out.xml in.xml
has password-file-missing err "cannot open the password file: No such file"
lacks password-file-missing err "no-such.pass"
expect 4 password-fd-closed "$FACTURE" sign --key "$enc" \
	--cert "$KEYS/signer.pem" --password-fd 9 -o out.xml in.xml
has password-fd-closed err "cannot read the password from file descriptor 9"

# never on the command line: refused, whatever the spelling, and the
# value is not repeated
for opt in --password=hunter2-argv "--password hunter2-argv" \
	--pass=hunter2-argv --passwd=hunter2-argv --passphrase=hunter2-argv \
	--passw=hunter2-argv --passin=hunter2-argv --pas=hunter2-argv; do
	name=argv-$(printf '%s' "$opt" | sed 's/[= ].*//; s/^--//')
	# shellcheck disable=SC2086
	expect 2 "$name" "$FACTURE" sign --pkcs12 "$p12" $opt -o out.xml in.xml
	has "$name" err "passwords are not taken on the command line"
	has "$name" err "--password-file=FILE"
	has "$name" err "--password-fd=N"
	has "$name" err "FACTURE_KEY_PASSWORD"
	lacks "$name" err "hunter2"
	lacks "$name" out "hunter2"
done
expect 2 argv-last "$FACTURE" sign --pkcs12 "$p12" in.xml --password
has argv-last err "passwords are not taken on the command line"
expect 2 two-ways "$FACTURE" sign --pkcs12 "$p12" --password-file a \
	--password-fd 3 in.xml
has two-ways err "give the password one way"
expect 2 bad-fd "$FACTURE" sign --pkcs12 "$p12" --password-fd=three \
	-o out.xml in.xml
has bad-fd err "--password-fd takes a file descriptor number"
# an unknown option is named without what follows its '='
expect 2 unknown-option "$FACTURE" sign --pkcs12 "$p12" --secret=hunter2 in.xml
has unknown-option err "unknown option '--secret'"
lacks unknown-option err "hunter2"
finish
