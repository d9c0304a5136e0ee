#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""corpus.py - facture extract and the pdf layer of facture validate on
every PDF of ../shared/corpus/pdf, against corpus/expected.json.

For each PDF:
  - `facture extract --list -f json` lists, in the /EmbeddedFiles name
    tree, exactly the `attachments` recorded (the names poppler's
    pdfdetach gives), and the /AFRelationship values of the file
    specifications (name tree and catalog /AF) are `af_relationships`;
  - `facture extract` writes the invoice: the name of the attachment it
    picks is `embedded_xml` and the sha256 of its bytes `embedded_sha256`;
    a PDF without `embedded_xml` makes it exit 3 with a message;
  - `facture validate -f json` (all files in one run) reports PDF-A-PART
    exactly when `pdfa_part` is not "3", PDF-XMP-LEVEL exactly when the
    XMP ConformanceLevel does not match the profile of `bt24`, and
    PDF-XMP-FILENAME exactly when the XMP DocumentFileName is not
    `embedded_xml`; a PDF without an invoice gets PDF-NO-INVOICE;
  - damaged files (`qpdf_error`) get a clear error: exit status 3 and a
    "facture: " message, never a crash.
No run may end on a signal or print a sanitizer report.

Exit status: 0 all agree, 1 a disagreement, 77 skipped (../shared absent).
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

SKIP = 77

# The XMP fx:ConformanceLevel of each Factur-X profile, by the last part
# of its BT-24 identifier (written from the Factur-X 1.0 and XRechnung
# identifiers, independently of the C code).
LEVELS = {
    "minimum": "MINIMUM",
    "basicwl": "BASIC WL",
    "basic": "BASIC",
    "en16931": "EN 16931",
    "extended": "EXTENDED",
}


def level_of(bt24):
    if not bt24:
        return None
    low = bt24.lower()
    if "extended-ctc-fr" in low or "peppol" in low:
        return None
    if "xrechnung" in low:
        return "XRECHNUNG"
    for base in ("factur-x.eu:1p0:", "zugferd.de:2p0:"):
        if base in low:
            rest = low.split(base, 1)[1]
            return LEVELS.get(rest.split("#")[0].split(":")[0])
    if low == "urn:cen.eu:en16931:2017":
        return "EN 16931"
    return None


def fx_values(values):
    """Values of the Factur-X/ZUGFeRD properties ("fx:EN 16931" ->
    "EN 16931"), leaving out other schemas (adt:...)."""
    out = []
    for v in values or []:
        prefix, _, rest = v.partition(":")
        if prefix in ("fx", "zf"):
            out.append(rest)
    return out


def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          **kw)


def crashed(p):
    err = p.stderr.decode("utf-8", "replace")
    return (p.returncode < 0 or p.returncode > 6 or
            "Sanitizer" in err or "runtime error" in err)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--facture",
                    default=os.path.join(root, "build", "facture"))
    ap.add_argument("--shared",
                    default=os.path.join(root, "..", "shared"))
    ap.add_argument("-v", "--verbose", action="store_true")
    opts = ap.parse_args()

    corpus = os.path.join(opts.shared, "corpus")
    exp_path = os.path.join(corpus, "expected.json")
    if not os.path.isfile(exp_path):
        print("SKIP: %s not found (the shared corpus lives beside the "
              "repository, in ../shared)" % exp_path)
        return SKIP
    with open(exp_path, encoding="utf-8") as f:
        files = json.load(f)["files"]
    pdfs = sorted(p for p, e in files.items() if e.get("syntax") == "pdf")
    if not pdfs:
        print("SKIP: no PDF in the corpus")
        return SKIP

    problems = []
    counts = dict(files=0, listed=0, extracted=0, no_invoice=0, damaged=0,
                  layer=0)

    def bad(path, msg):
        problems.append("%s: %s" % (path, msg))

    with tempfile.TemporaryDirectory() as tmp:
        for rel in pdfs:
            e = files[rel]
            path = os.path.join(corpus, rel)
            counts["files"] += 1
            p = run([opts.facture, "extract", "--list", "-f", "json", path])
            if crashed(p):
                bad(rel, "extract --list crashed (status %d): %s"
                    % (p.returncode, p.stderr[-300:]))
                continue
            if "qpdf_error" in e and p.returncode != 0:
                counts["damaged"] += 1
                if p.returncode != 3 or not p.stderr.startswith(
                        b"facture: "):
                    bad(rel, "damaged file: expected exit status 3 and a "
                        "message, got %d %r" % (p.returncode, p.stderr))
                continue
            if p.returncode != 0:
                bad(rel, "extract --list exited %d: %s"
                    % (p.returncode, p.stderr.decode("utf-8", "replace")))
                continue
            listing = json.loads(p.stdout)["attachments"]
            names = sorted(a["name"] for a in listing if a["in_names"])
            if names != sorted(e.get("attachments", [])):
                bad(rel, "attachments %r, expected %r"
                    % (names, sorted(e.get("attachments", []))))
            rels = sorted({a["relationship"] for a in listing
                           if a["relationship"]})
            if rels != sorted(e.get("af_relationships", [])):
                bad(rel, "AFRelationship values %r, expected %r"
                    % (rels, sorted(e.get("af_relationships", []))))
            counts["listed"] += 1

            out = os.path.join(tmp, "out.xml")
            if os.path.exists(out):
                os.unlink(out)
            p = run([opts.facture, "extract", "-o", out, path])
            if crashed(p):
                bad(rel, "extract crashed (status %d)" % p.returncode)
                continue
            want = e.get("embedded_xml")
            if want:
                picked = [a["name"] for a in listing if a["invoice"]]
                if picked != [want]:
                    bad(rel, "invoice attachment %r, expected %r"
                        % (picked, want))
                if p.returncode != 0:
                    bad(rel, "extract exited %d: %s" % (
                        p.returncode, p.stderr.decode("utf-8", "replace")))
                    continue
                with open(out, "rb") as f:
                    data = f.read()
                digest = hashlib.sha256(data).hexdigest()
                if digest != e.get("embedded_sha256") or \
                        len(data) != e.get("embedded_size"):
                    bad(rel, "extracted %d bytes, sha256 %s; expected %s "
                        "bytes, sha256 %s" % (len(data), digest,
                                              e.get("embedded_size"),
                                              e.get("embedded_sha256")))
                else:
                    counts["extracted"] += 1
            else:
                if p.returncode != 3 or b"no invoice" not in p.stderr:
                    bad(rel, "no invoice expected: extract should exit 3 "
                        "saying so, got %d %r" % (p.returncode, p.stderr))
                else:
                    counts["no_invoice"] += 1

        # the pdf layer, all files in one run
        lst = os.path.join(tmp, "files")
        with open(lst, "w", encoding="utf-8") as f:
            for rel in pdfs:
                f.write(os.path.join(corpus, rel) + "\n")
        p = run([opts.facture, "validate", "-q", "-j", "2", "-f", "json",
                 "--rules=none", "--files-from=" + lst])
        if crashed(p):
            bad("validate", "crashed (status %d): %s"
                % (p.returncode, p.stderr[-500:]))
        else:
            report = json.loads(p.stdout)
            by_path = {f["path"]: f for f in report["files"]}
            for rel in pdfs:
                e = files[rel]
                r = by_path.get(os.path.join(corpus, rel))
                if r is None:
                    bad(rel, "missing from the validate report")
                    continue
                rules = [f["rule"] for f in r["findings"]
                         if f["layer"] == "pdf"]
                if "qpdf_error" in e:
                    if r["status"] != "error":
                        bad(rel, "damaged: status %s" % r["status"])
                    continue
                expect = {}
                if not e.get("embedded_xml"):
                    expect["PDF-NO-INVOICE"] = True
                else:
                    expect["PDF-NO-INVOICE"] = False
                    expect["PDF-A-PART"] = e.get("pdfa_part") != "3"
                    level = level_of(e.get("bt24"))
                    cl = fx_values(e.get("xmp_ConformanceLevel"))
                    if level and e.get("xmp_DocumentFileName") is not None:
                        expect["PDF-XMP-LEVEL"] = not cl or \
                            cl[0].lower() != level.lower()
                    dfn = fx_values(e.get("xmp_DocumentFileName"))
                    if e.get("xmp_DocumentType") is not None:
                        expect["PDF-XMP-FILENAME"] = \
                            not dfn or dfn[0] != e["embedded_xml"]
                for rule, present in expect.items():
                    if (rule in rules) != present:
                        bad(rel, "%s %s, but expected.json says %s" % (
                            rule, "reported" if rule in rules
                            else "not reported",
                            "it applies" if present else "it does not"))
                counts["layer"] += 1
                if opts.verbose:
                    print("%s: %s" % (rel, ", ".join(rules) or "-"))

    print("pdf corpus: %(files)d PDFs: %(listed)d listed, %(extracted)d "
          "invoices extracted byte for byte, %(no_invoice)d without an "
          "invoice, %(damaged)d damaged (clear errors), %(layer)d pdf-layer "
          "verdicts compared" % counts)
    for msg in problems:
        print("FAIL " + msg)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
