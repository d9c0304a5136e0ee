#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""corpus_xsd.py - our schema verdict on every corpus XML invoice equals the
official one.

For every XML file of ../shared/corpus whose expected syntax is ubl-invoice,
ubl-creditnote or cii, the schema verdict of facture (layers.schema == "pass"
in its JSON report) must equal `xsd_valid` in corpus/expected.json (xmllint
with the official UBL 2.1 / CII D16B uncoupled schemas), and the syntax facture
detects must equal the expected one. Files of syntax `other` (ZUGFeRD 1.0,
wrong root element, not well-formed) must not be reported valid.

Exit status: 0 full agreement, 1 any disagreement, 2 the test could not run,
77 skipped (../shared absent).

Other engines, to check the schemas without the C program:
  --engine=xmllint-ours      xmllint with our XSDs (--xsd-dir, default xsd/)
  --engine=xmllint-official  xmllint with the official XSDs (checks that this
                             harness reproduces expected.json)
"""

import argparse
import collections
import os
import sys
import time

import conflib

# Syntaxes facture may report for a corpus file of syntax "other", by the
# kind of negative input the corpus note describes.
OTHER_SYNTAX = (
    ("ZUGFeRD 1.0", {"zugferd1"}),
    ("not well-formed", {"unknown", "xml"}),
    ("wrong root", {"xml"}),
)


def other_syntaxes(entry):
    note = entry.get("note") or ""
    for key, allowed in OTHER_SYNTAX:
        if key in note:
            return allowed
    return {"zugferd1", "xml", "unknown"}


def parse_args():
    ap = argparse.ArgumentParser(
        description="Compare facture's schema verdicts on the corpus XML "
                    "invoices with the official ones (expected.json).")
    ap.add_argument("--facture", help="path to the facture program")
    ap.add_argument("--shared", default=None,
                    help="shared material (default: <repo>/../shared)")
    ap.add_argument("--engine", default="facture",
                    choices=("facture", "xmllint-ours", "xmllint-official"),
                    help="who judges (default: facture)")
    ap.add_argument("--xsd-dir", default=None,
                    help="our schemas, for --engine=xmllint-ours "
                         "(default: <repo>/xsd)")
    ap.add_argument("-j", "--jobs", type=int, default=2,
                    help="facture worker threads (default 2)")
    ap.add_argument("--syntax", default=",".join(conflib.INVOICE_SYNTAXES),
                    help="comma-separated syntaxes to check (default: all "
                         "of %s); files of syntax `other` are always "
                         "checked" % ",".join(conflib.INVOICE_SYNTAXES))
    args = ap.parse_args()
    args.syntaxes = tuple(s for s in args.syntax.split(",") if s)
    for s in args.syntaxes:
        if s not in conflib.INVOICE_SYNTAXES:
            ap.error("unknown syntax %r" % s)
    return args


def judge_with_facture(facture, jobs, items):
    """{path: (valid, syntax, first finding, inconsistency)}."""
    paths = [abspath for _, abspath, _ in items]
    try:
        run = conflib.run_facture(facture, paths, jobs=jobs)
    except RuntimeError as e:
        conflib.die(str(e))
    print("facture: %d files in %.1f s (exit status %d)"
          % (len(paths), run.seconds, run.status))
    out = {}
    for p in paths:
        entry = run.files[p]
        valid, first, bad = conflib.facture_schema_verdict(entry)
        xml_failed = (entry.get("layers") or {}).get("xml") == "fail"
        out[p] = (valid, entry.get("syntax"), first, bad, entry.get("status"),
                  xml_failed)
    return out


def judge_with_xmllint(schemas, items, syntaxes):
    """Same shape as judge_with_facture; syntax is not detected (None).

    Files of syntax `other` are tried against every schema: valid if any
    accepts them.
    """
    xmllint = conflib.find_xmllint()
    if not xmllint:
        conflib.skip("xmllint not found (Debian package libxml2-utils)")
    by_schema = collections.defaultdict(list)
    for _, abspath, entry in items:
        syn = entry["syntax"]
        targets = syntaxes if syn == "other" else (syn,)
        for t in targets:
            by_schema[t].append(abspath)
    verdicts = collections.defaultdict(list)
    t0 = time.monotonic()
    for syn, paths in sorted(by_schema.items()):
        xsd = schemas[syn]
        try:
            res = conflib.xmllint_judge(xsd, paths, xmllint)
        except RuntimeError as e:
            conflib.die(str(e))
        for p, v in res.items():
            verdicts[p].append(v)
    print("xmllint: %d files in %.1f s" % (len(items), time.monotonic() - t0))
    out = {}
    for _, abspath, _ in items:
        vs = verdicts[abspath]
        valid = any(v is True for v, _ in vs)
        first = next((m for v, m in vs if m), None)
        out[abspath] = (valid, None, first, None,
                        "valid" if valid else "invalid", False)
    return out


def main():
    args = parse_args()
    root = conflib.repo_root()
    shared = os.path.abspath(args.shared or conflib.default_shared())
    if not os.path.isdir(shared):
        conflib.skip("shared material %s not found (expected beside the "
                     "repository, in ../shared)" % shared)
    corpus, files = conflib.load_expected(shared)

    items = []  # (relative path, absolute path, entry)
    for rel, entry in conflib.corpus_xml_entries(files):
        if entry.get("syntax") in args.syntaxes + ("other",):
            items.append((rel, os.path.join(corpus, rel), entry))
    missing = [a for _, a, _ in items if not os.path.isfile(a)]
    if missing:
        conflib.die("%d corpus files listed in expected.json are missing, "
                    "e.g. %s" % (len(missing), missing[0]))

    if args.engine == "facture":
        facture = conflib.check_facture(args.facture)
        judged = judge_with_facture(facture, args.jobs, items)
        engine = "facture"
    else:
        if args.engine == "xmllint-ours":
            xsd_dir = os.path.abspath(args.xsd_dir or os.path.join(root, "xsd"))
            table = conflib.OUR_XSD
        else:
            xsd_dir = os.path.join(shared, "reference", "xsd")
            table = conflib.OFFICIAL_XSD
        schemas = {}
        for syn, rel in table.items():
            if syn not in args.syntaxes:
                continue
            schemas[syn] = os.path.join(xsd_dir, rel)
            if not os.path.isfile(schemas[syn]):
                conflib.die("schema %s not found" % schemas[syn])
        judged = judge_with_xmllint(schemas, items, args.syntaxes)
        engine = args.engine + " (" + xsd_dir + ")"

    # Compare.
    stats = collections.OrderedDict(
        (s, collections.Counter()) for s in args.syntaxes)
    disagreements = []  # (path, what, expected, ours, detail)
    syntax_problems = []
    syntax_notes = []
    inconsistencies = []
    others = collections.Counter()
    for rel, abspath, entry in items:
        valid, syntax, first, bad, status, xml_failed = judged[abspath]
        exp_syntax = entry["syntax"]
        if bad:
            inconsistencies.append((rel, bad, first))
        if exp_syntax == "other":
            others["files"] += 1
            allowed = other_syntaxes(entry)
            if valid or status == "valid":
                others["reported valid"] += 1
                disagreements.append((rel, "other", "not valid", "valid",
                                      first))
            if syntax is not None and syntax not in allowed:
                syntax_problems.append((rel, "/".join(sorted(allowed)),
                                        syntax))
            continue
        st = stats[exp_syntax]
        expected = bool(entry.get("xsd_valid"))
        st["files"] += 1
        st["official valid"] += expected
        st["ours valid"] += valid
        if syntax is not None and syntax != exp_syntax:
            if xml_failed and syntax in ("unknown", "xml"):
                # Not well-formed: expected.json names the syntax from the
                # root start tag; reading it from broken XML is optional.
                syntax_notes.append((rel, exp_syntax, syntax))
            else:
                syntax_problems.append((rel, exp_syntax, syntax))
        if valid == expected:
            st["agree"] += 1
        else:
            disagreements.append((rel, exp_syntax,
                                  "valid" if expected else "invalid",
                                  "valid" if valid else "invalid", first))

    # Report.
    print("engine: %s" % engine)
    print("corpus: %s" % corpus)
    print()
    print("%-16s %6s %9s %9s %7s %9s" % ("syntax", "files", "official",
                                          "ours", "agree", "agreement"))
    print("%-16s %6s %9s %9s %7s %9s" % ("", "", "valid", "valid", "", ""))
    total = collections.Counter()
    for syn, st in stats.items():
        total.update(st)
        print("%-16s %6d %9d %9d %7d %8.2f%%"
              % (syn, st["files"], st["official valid"], st["ours valid"],
                 st["agree"], conflib.pct(st["agree"], st["files"])))
    print("%-16s %6d %9d %9d %7d %8.2f%%"
          % ("all", total["files"], total["official valid"],
             total["ours valid"], total["agree"],
             conflib.pct(total["agree"], total["files"])))
    print("%-16s %6d  (reported valid: %d, must be 0)"
          % ("other", others["files"], others["reported valid"]))
    if engine == "facture":
        print("syntax detection: %d of %d files as expected, %d accepted "
              "(not well-formed, see NOTE)"
              % (len(items) - len(syntax_problems) - len(syntax_notes),
                 len(items), len(syntax_notes)))

    if disagreements:
        print()
        print("DISAGREEMENTS (%d): path | syntax | official | ours | "
              "our first finding" % len(disagreements))
        for rel, syn, exp, ours, first in disagreements:
            print("  %s | %s | %s | %s | %s" % (rel, syn, exp, ours,
                                                first or "-"))
    if syntax_problems:
        print()
        print("SYNTAX DETECTION (%d): path | expected | detected"
              % len(syntax_problems))
        for rel, exp, got in syntax_problems:
            print("  %s | %s | %s" % (rel, exp, got))
    if syntax_notes:
        print()
        print("NOTE: not well-formed files detected as another syntax "
              "(accepted) (%d): path | expected | detected"
              % len(syntax_notes))
        for rel, exp, got in syntax_notes:
            print("  %s | %s | %s" % (rel, exp, got))
    if inconsistencies:
        print()
        print("INCONSISTENT REPORTS (%d): path | problem | first finding"
              % len(inconsistencies))
        for rel, bad, first in inconsistencies:
            print("  %s | %s | %s" % (rel, bad, first or "-"))

    ok = not disagreements and not syntax_problems and not inconsistencies
    print()
    print("RESULT: %s" % ("PASS (100% agreement)" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
