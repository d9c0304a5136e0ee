#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cii_syntax_paths.py - the CII syntax rules against the official schema,
and each of them firing.

Most CII-SR rules and many CII-DT rules of rules/cii/syntax.sch say "this
part of CII is not used by EN 16931"; the corpus shows few of them at work.
This test takes every such rule whose part is named by a path (the groups of
absolute paths, and the data type rules on the children of a document
reference, a tax, a period or a postal address) and:
  1. looks each step of the path up in the official CII D16B schema
     (../shared/reference/xsd, uncoupled variant): the part must be a child
     the schema declares for the type of its parent, else the rule could
     never fire on a schema-valid invoice;
  2. gives the part to a copy of examples/invoice-cii.xml and runs facture
     over all the copies at once: each copy must be reported under the
     rule's id, and under no other id of those rules but the ones bound to
     an ancestor of the part.

Exit status: 0 pass, 1 a check failed, 2 the test could not run, 77 skipped
(../shared absent).
"""

import argparse
import json
import os
import re
import sys
import tempfile
import xml.etree.ElementTree as ET

import conflib

SCH = "{http://purl.oclc.org/dsdl/schematron}"
XSD = "{http://www.w3.org/2001/XMLSchema}"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:"
           "ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
ROOT = "/rsm:CrossIndustryInvoice"
TX = ROOT + "/rsm:SupplyChainTradeTransaction"

# Where the data type rules on children find a parent of their kind in the
# example, by the parent test of the rule.
FAMILIES = (
    ("'ReferencedDocument'",
     TX + "/ram:ApplicableHeaderTradeAgreement/ram:ContractReferencedDocument"),
    ("'TradeTax'", TX + "/ram:IncludedSupplyChainTradeLineItem"
     "/ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"),
    ("parent::ram:BillingSpecifiedPeriod",
     TX + "/ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod"),
    ("parent::ram:PostalTradeAddress", TX + "/ram:ApplicableHeaderTradeAgreement"
     "/ram:SellerTradeParty/ram:PostalTradeAddress"),
    ("'DocumentContextParameter'", ROOT + "/rsm:ExchangedDocumentContext"
     "/ram:GuidelineSpecifiedDocumentContextParameter"),
)

# Rules the official artefacts bind to a part the schema puts elsewhere.
KNOWN = {
    "CII-SR-036": "ram:ParentLineID belongs to ram:AssociatedDocumentLineDocument; "
                  "the official test looks for it on the line itself",
    "CII-SR-037": "ram:LineStatusCode: the same",
    "CII-SR-038": "ram:LineStatusReasonCode: the same",
    "CII-SR-438": "the official test looks for ram:ValuationBreakdownStatement; "
                  "the schema's element is rsm:ValuationBreakdownStatement",
}


def qname(step):
    prefix, local = step.split(":")
    return "{%s}%s" % (NS[prefix], local)


# ---- the official schema --------------------------------------------------

def load_schema(xsd_dir):
    """Types of the D16B schema: name -> (children {qname: type}, attributes)."""
    types = {}
    for fname, ns in (("CrossIndustryInvoice_100pD16B.xsd", "rsm"),
                      ("CrossIndustryInvoice_ReusableAggregateBusiness"
                       "InformationEntity_100pD16B.xsd", "ram"),
                      ("CrossIndustryInvoice_UnqualifiedDataType_100pD16B.xsd",
                       "udt"),
                      ("CrossIndustryInvoice_QualifiedDataType_100pD16B.xsd",
                       "qdt")):
        tree = ET.parse(os.path.join(xsd_dir, fname))

        def read(ctype, key):
            children, attrs = {}, set()
            for el in ctype.iter(XSD + "element"):
                name = el.get("name")
                if not name:
                    continue
                typ = el.get("type")
                if typ is None:  # an anonymous type: keep its attributes
                    typ = "%s:%s/%s" % (ns, key, name)
                    types[typ] = ({}, {a.get("name") for a in
                                       el.iter(XSD + "attribute")})
                children["{%s}%s" % (NS[ns], name)] = typ
            for a in ctype.iter(XSD + "attribute"):
                if a.get("name") and a not in attrs:
                    attrs.add(a.get("name"))
            return children, attrs

        for ctype in tree.getroot().findall(XSD + "complexType"):
            key = ctype.get("name")
            children, attrs = read(ctype, key)
            types["%s:%s" % (ns, key)] = (children, attrs)
    return types


def schema_check(types, path):
    """None when each step of PATH is declared under its parent, else why."""
    steps = path.strip("/").split("/")
    typ = "rsm:CrossIndustryInvoiceType"
    for i, step in enumerate(steps[1:], 1):
        children, attrs = types.get(typ, ({}, set()))
        if step.startswith("@"):
            if step[1:] not in attrs:
                return "%s has no attribute %s" % ("/".join(steps[:i]), step)
            continue
        child = children.get(qname(step))
        if child is None:
            return "%s has no child %s" % ("/".join(steps[:i]), step)
        typ = child
    return None


# ---- the rules ------------------------------------------------------------

def rule_paths(sch):
    """(rule id, path of the part it forbids, whether the mutant test applies)
    for each rule of syntax.sch that names its part by a path."""
    out = []
    for rule in ET.parse(sch).getroot().iter(SCH + "rule"):
        alts = [a.strip() for a in rule.get("context").split("|")]
        for check in rule:
            if check.tag not in (SCH + "report", SCH + "assert"):
                continue
            rid, test = check.get("id"), check.get("test")
            if all(a.startswith(ROOT + "/") for a in alts):
                if test == "true()" and len(alts) == 1 and "/@" in alts[0]:
                    out.append((rid, alts[0], True))
                    continue
                m = re.fullmatch(r"self::(\w+:\w+)", test or "")
                if m and check.tag == SCH + "report":
                    hits = [a for a in alts if a.endswith("/" + m.group(1))]
                    if not hits:  # the context lost the part: a typo
                        out.append((rid, None, False))
                    for a in hits:
                        out.append((rid, a, True))
                continue
            # the data type rules on children: context "ram:X"
            if len(alts) != 1 or "/" in alts[0] or check.tag != SCH + "report":
                continue
            for key, parent in FAMILIES:
                if key in test:
                    exact = " and not(" not in test
                    child = alts[0]
                    if child.startswith("udt:"):  # a period's start or end
                        m = re.search(r"parent::(ram:\w+)", test)
                        child = m.group(1) + "/" + child
                    out.append((rid, parent + "/" + child, exact))
                    break
    return out


# ---- the mutants ----------------------------------------------------------

def mutant(example, path):
    """The example with PATH added: missing steps created, the last one new."""
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)
    tree = ET.parse(example)
    node = tree.getroot()
    steps = path.strip("/").split("/")[1:]
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if step.startswith("@"):
            node.set(step[1:], "x")
            break
        found = None if last else node.find(qname(step))
        if found is None:
            found = ET.SubElement(node, qname(step))
            if last:
                found.text = "1"
        node = found
    return tree


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--facture", required=True)
    ap.add_argument("--shared", default=conflib.default_shared())
    args = ap.parse_args()

    root = conflib.repo_root()
    xsd_dir = os.path.join(args.shared, "reference", "xsd", "cii-d16b",
                           "uncoupled_clm", "CII", "uncefact", "data",
                           "standard")
    if not os.path.isdir(xsd_dir):
        conflib.skip("%s not found" % xsd_dir)
    types = load_schema(xsd_dir)
    rules = rule_paths(os.path.join(root, "rules", "cii", "syntax.sch"))
    if len(rules) < 400:
        conflib.die("only %d rules with a path found in syntax.sch" % len(rules))

    failures = []
    known = 0
    for rid, path, _ in rules:
        if path is None:
            failures.append("%s: no part of its rule's context is the one "
                            "its test names" % rid)
            continue
        why = schema_check(types, path)
        if why and rid in KNOWN:
            known += 1
        elif why:
            failures.append("%s: %s (%s)" % (rid, why, path))
    print("schema: %d rule paths looked up in the official D16B schema, "
          "%d known exceptions, %d not found"
          % (len(rules), known, len(failures)))

    ids = {rid for rid, _, _ in rules}
    by_path = {}
    for rid, path, exact in rules:
        if path and exact:
            by_path.setdefault(path, set()).add(rid)
    example = os.path.join(root, "examples", "invoice-cii.xml")
    with tempfile.TemporaryDirectory(prefix="facture-cii-paths-") as tmp:
        files = []
        for n, path in enumerate(sorted(by_path)):
            name = os.path.join(tmp, "m%04d.xml" % n)
            mutant(example, path).write(name, xml_declaration=True,
                                        encoding="UTF-8")
            files.append((name, path))
        try:
            run = conflib.run_facture(args.facture, [f for f, _ in files])
        except RuntimeError as e:
            conflib.die(str(e))
        fired = 0
        for name, path in files:
            want = by_path[path]
            allowed = set(want)
            for other, rids in by_path.items():
                if path.startswith(other + "/"):
                    allowed |= rids
            got = {f["rule"] for f in run.files[name].get("findings", [])
                   if f.get("layer") == "rules" and f["rule"] in ids}
            missing, extra = want - got, got - allowed
            if missing or extra:
                failures.append("%s: missing %s, extra %s"
                                % (path, sorted(missing) or "-",
                                   sorted(extra) or "-"))
            else:
                fired += 1
    print("mutants: %d of %d parts reported under their rule ids"
          % (fired, len(files)))
    for f in failures:
        print("  FAIL " + f)
    print("RESULT: %s" % ("PASS" if not failures else "FAIL"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
