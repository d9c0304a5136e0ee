# SPDX-License-Identifier: MIT
# lib.sh - what the signature tests share; sourced by each test as
#   . lib.sh FACTURE KEYS SOURCE_DIR [SHARED_DIR]
# KEYS is the directory make-keys.sh filled.  Each test gets a fresh
# working directory ($WORK), removed at the end, and counts its checks.
set -u
FACTURE=$1
KEYS=$2
SRC=$3
SHARED=${4:-$SRC/../shared}
EXAMPLES=$SRC/examples
failures=0
checks=0

if [ ! -x "$FACTURE" ]; then
	echo "no facture program at $FACTURE"
	exit 1
fi
if [ ! -f "$KEYS/signer.pem" ]; then
	echo "skipped: no test credentials in $KEYS (the sign.keys test makes them)"
	exit 77
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fx-sign-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
unset FACTURE_KEY_PASSWORD
export LC_ALL=C

ok() {
	checks=$((checks + 1))
	echo "ok   $*"
}

bad() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "FAIL $*"
}

# run NAME CMD...: run CMD, its output in NAME.out and NAME.err, its
# status in $status
run() {
	_name=$1
	shift
	"$@" >"$_name.out" 2>"$_name.err"
	status=$?
}

# expect STATUS NAME CMD...: run CMD and check its exit status
expect() {
	_want=$1
	shift
	run "$@"
	if [ "$status" -eq "$_want" ]; then
		ok "$1: exit status $_want"
	else
		bad "$1: exit status $status, wanted $_want"
		sed 's/^/     | /' "$1.out" "$1.err" | head -20
	fi
}

# has NAME STREAM TEXT: the out or err of NAME holds TEXT (fixed string)
has() {
	if grep -qF -- "$3" "$1.$2"; then
		ok "$1: $2 says '$3'"
	else
		bad "$1: $2 does not say '$3'"
		sed 's/^/     | /' "$1.$2" | head -20
	fi
}

lacks() {
	if grep -qF -- "$3" "$1.$2"; then
		bad "$1: $2 says '$3'"
		sed 's/^/     | /' "$1.$2" | head -20
	else
		ok "$1: $2 does not say '$3'"
	fi
}

same_file() {
	if cmp -s "$1" "$2"; then
		ok "$3"
	else
		bad "$3"
	fi
}

# sign NAME OUT INPUT [OPTIONS...]: sign with the RSA test signer
sign_rsa() {
	out=$1 in=$2
	shift 2
	"$FACTURE" sign -q --key "$KEYS/signer-key.pem" \
		--cert "$KEYS/signer.pem" -o "$out" "$@" "$in"
}

verify_ca() {
	"$FACTURE" verify --ca "$KEYS/test-ca.pem" "$@"
}

finish() {
	echo "$checks checks, $failures failed"
	[ "$failures" -eq 0 ]
	exit $?
}
