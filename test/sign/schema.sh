#!/bin/sh
# SPDX-License-Identifier: MIT
# schema.sh FACTURE KEYS SOURCE_DIR [SHARED_DIR] - a signed UBL invoice
# or credit note is still valid: facture validate finds exactly what it
# finds in the unsigned one (no UBL-CR-001 for a block of signatures only),
# and (when ../shared has the official UBL 2.1
# schemas) xmllint with the official schema accepts it with
# --signing-certificate=v1, and finds nothing but SigningCertificateV2
# (unknown to the XAdES 1.3.2 schema that UBL 2.1 bundles) by default.
. "$3/test/sign/lib.sh"

for doc in invoice-ubl creditnote-ubl; do
	cp "$EXAMPLES/$doc.xml" "$doc.xml"
	for v in v2 v1; do
		signed=$doc-$v.xml
		expect 0 "sign-$doc-$v" sign_rsa "$signed" "$doc.xml" \
			--signing-certificate=$v
		expect 0 "validate-$doc-$v" "$FACTURE" validate -v -f json \
			"$signed"
		"$FACTURE" validate -v -f json "$doc.xml" >"unsigned-$doc.json" \
			2>/dev/null
		# the same findings (lines move: compared without them)
		if python3 - "validate-$doc-$v.out" "unsigned-$doc.json" <<'PY'
import json, sys
def findings(path):
    doc = json.load(open(path))
    return [(f['severity'], f['rule'], f['message'], f['xpath'])
            for f in doc['files'][0]['findings']]
signed, unsigned = findings(sys.argv[1]), findings(sys.argv[2])
new = [f for f in signed if f not in unsigned]
gone = [f for f in unsigned if f not in signed]
for f in gone:
    print('     lost: %s' % (f,))
for f in new:
    print('     new: %s' % (f,))
sys.exit(0 if not gone and not new else 1)
PY
		then
			ok "validate-$doc-$v: no new finding"
		else
			bad "validate-$doc-$v: findings differ from the unsigned one"
		fi
		has "validate-$doc-$v" out '"status": "valid"'
	done
done

schemas=$SHARED/reference/xsd/ubl-2.1/maindoc
if [ ! -d "$schemas" ] || ! command -v xmllint >/dev/null 2>&1; then
	echo "note: no official schemas in $schemas (or no xmllint): the" \
		"official-schema checks are left out"
	finish
fi
for doc in invoice-ubl:UBL-Invoice-2.1.xsd creditnote-ubl:UBL-CreditNote-2.1.xsd; do
	name=${doc%%:*}
	xsd=$schemas/${doc#*:}
	expect 0 "official-$name-v1" xmllint --noout --schema "$xsd" \
		"$name-v1.xml"
	expect 3 "official-$name-v2" xmllint --noout --schema "$xsd" \
		"$name-v2.xml"
	others=$(grep 'Schemas validity error' "official-$name-v2.err" |
		grep -vc "SigningCertificateV2': This element is not expected")
	if [ "$others" -eq 0 ]; then
		ok "official-$name-v2: SigningCertificateV2 is all it rejects"
	else
		bad "official-$name-v2: $others other errors"
	fi
done
finish
