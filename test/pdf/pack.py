#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pack.py - `facture pack`, checked by readers that are not ours.

Input PDFs: some we write with pdfgen.py (a plain PDF without metadata or
output intent, one with cross-reference and object streams, one that
already has attachments in a name tree with /Kids, a Factur-X file whose
invoice we replace) and the PDF/A-3 files of ../shared/corpus/pdf with a
valid CII invoice when they are there (their own invoice is packed back
with --replace).  For every PDF we pack:
  - the input's bytes are a prefix of the output, the input is unchanged;
  - `qpdf --check` finds no error;
  - `pdfdetach -list` lists the attachment, the others are still there,
    and `pdfdetach -savefile` gives our XML byte for byte;
  - `pdfinfo -meta` shows our XMP (pdfaid:part 3, fx:ConformanceLevel,
    fx:DocumentFileName);
  - `facture extract` gives the same bytes back;
  - `facture validate` has no finding of the pdf layer (and passes it).
Then the refusals (an invalid invoice, an invoice already embedded
without --replace: no output left behind) and `pack --zip`, read back by
Python's zipfile.

Exit status: 0 all good, 1 a failure, 77 skipped (no qpdf or poppler).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pdfgen  # noqa: E402

SKIP = 77
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
failures = []
# fx:ConformanceLevel by the profile recorded in expected.json; None (an
# XRechnung or unknown profile): only its presence is checked
LEVELS = {"MINIMUM": "MINIMUM", "BASICWL": "BASIC WL", "BASIC": "BASIC",
          "EN16931": "EN 16931", "EXTENDED": "EXTENDED"}


def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          **kw)


def fail(name, what):
    failures.append("%s: %s" % (name, what))
    print("FAIL %s: %s" % (name, what))


def detach_list(path):
    r = run(["pdfdetach", "-list", path])
    if r.returncode:
        return None
    names = []
    for line in r.stdout.decode("utf-8", "replace").splitlines()[1:]:
        if ":" in line:
            names.append(line.split(":", 1)[1].strip())
    return names


def check_packed(facture, tmp, name, src, xml, xml_name="factur-x.xml",
                 level="EN 16931", extra_args=(), expect_kept=(),
                 expect_gone=(), pdfa=True):
    """Pack XML into SRC and check the output; True when it went well."""
    inp = os.path.join(tmp, name + ".in.pdf")
    out = os.path.join(tmp, name + ".out.pdf")
    xmlp = os.path.join(tmp, name + ".xml")
    with open(inp, "wb") as f:
        f.write(src)
    with open(xmlp, "wb") as f:
        f.write(xml)
    r = run([facture, "pack", "-o", out] + list(extra_args) + [inp, xmlp])
    if r.returncode:
        fail(name, "pack exited %d: %s" % (r.returncode,
                                           r.stderr.decode().strip()))
        return False
    data = open(out, "rb").read()
    if open(inp, "rb").read() != src:
        fail(name, "the input was modified")
    if not data.startswith(src) or len(data) <= len(src):
        fail(name, "the input is not a prefix of the output")
    r = run(["qpdf", "--check", out])
    if r.returncode:
        fail(name, "qpdf --check: %d %s" % (
            r.returncode, (r.stdout + r.stderr).decode()[-400:]))
    names = detach_list(out)
    if names is None or xml_name not in names:
        fail(name, "pdfdetach -list: %r" % (names,))
    else:
        for k in expect_kept:
            if k not in names:
                fail(name, "attachment %s lost: %r" % (k, names))
        for k in expect_gone:
            if k in names:
                fail(name, "attachment %s not replaced: %r" % (k, names))
        saved = os.path.join(tmp, name + ".detached")
        r = run(["pdfdetach", "-savefile", xml_name, "-o", saved, out])
        if r.returncode or open(saved, "rb").read() != xml:
            fail(name, "pdfdetach -savefile does not give our XML")
    r = run(["pdfinfo", "-meta", out])
    meta = r.stdout.decode("utf-8", "replace")
    for want in ("<pdfaid:part>3</pdfaid:part>",
                 "<fx:ConformanceLevel>%s</fx:ConformanceLevel>" % level
                 if level else "<fx:ConformanceLevel>",
                 "<fx:DocumentFileName>%s</fx:DocumentFileName>" % xml_name,
                 "<pdfaSchema:prefix>fx</pdfaSchema:prefix>"):
        if want not in meta:
            fail(name, "pdfinfo -meta lacks %s" % want)
    try:
        root = ET.fromstring(meta.strip().encode("utf-8"))
    except ET.ParseError as e:
        fail(name, "the XMP is not well-formed: %s" % e)
        root = None
    # PDF/A: the title of the information dictionary is in the XMP too
    title = None
    for line in run(["pdfinfo", out]).stdout.decode(
            "utf-8", "replace").splitlines():
        if line.startswith("Title:"):
            title = line.split(":", 1)[1].strip()
    if root is not None and title:
        got = [li.text for li in root.iter(
            "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}li")
            # pdfinfo shows the first line of a title only
            if li.text and li.text.strip().startswith(title)]
        if not got:
            fail(name, "dc:title lacks the document title %r" % title)
    r = run([facture, "extract", out])
    if r.returncode or r.stdout != xml:
        fail(name, "facture extract does not give our XML back")
    if pdfa:
        r = run([facture, "validate", "-f", "json", out])
        try:
            rep = json.loads(r.stdout)["files"][0]
        except (ValueError, KeyError, IndexError):
            fail(name, "facture validate: no report")
            return True
        pdf_findings = [f for f in rep.get("findings", [])
                        if f.get("layer") == "pdf"]
        if pdf_findings or rep["layers"].get("pdf") != "pass":
            fail(name, "pdf layer: %s %s" % (rep["layers"].get("pdf"),
                                             json.dumps(pdf_findings)))
    return True


def corpus_inputs(shared):
    """(name, pdf bytes, its invoice) of the PDF/A-3 corpus files that
    carry a valid CII invoice."""
    exp_path = os.path.join(shared, "corpus", "expected.json")
    if not os.path.exists(exp_path):
        return None
    files = json.load(open(exp_path))["files"]
    out = []
    for rel, e in sorted(files.items()):
        if not rel.endswith(".pdf") or e.get("pdfa_part") != "3":
            continue
        if e.get("embedded_syntax") != "cii" or not e.get(
                "schematron_valid") or e.get("fatal"):
            continue
        path = os.path.join(shared, "corpus", rel)
        if not os.path.exists(path):
            continue
        level = LEVELS.get(e.get("facturx_profile"))
        out.append((rel, open(path, "rb").read(), level))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--facture", required=True)
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = ap.parse_args()
    for tool in ("qpdf", "pdfdetach", "pdfinfo"):
        if not shutil.which(tool):
            print("skipped: %s is not installed" % tool)
            return SKIP
    facture = os.path.abspath(args.facture)
    xml = open(os.path.join(ROOT, "examples", "invoice-cii.xml"),
               "rb").read()
    ubl = open(os.path.join(ROOT, "examples", "invoice-ubl.xml"),
               "rb").read()
    extra = [("Lieferschein.pdf", b"%PDF-1.4 not really\n",
              "application/pdf", "Supplement"),
             ("r\u00e9sum\u00e9.txt", "d\u00e9tail\n".encode(),
              "text/plain", "Unspecified"),
             ("a-first.csv", b"1;2\n", "text/csv", "Data")]
    tmp = tempfile.mkdtemp(prefix="fx-pack-")
    try:
        n = 0
        plain = pdfgen.facturx(None, metadata=False, output_intent=False)
        check_packed(facture, tmp, "plain", plain, xml)
        check_packed(facture, tmp, "xref-stream",
                     pdfgen.facturx(None, metadata=False,
                                    output_intent=False, xref="stream",
                                    objstm=True), xml)
        check_packed(facture, tmp, "attachments",
                     pdfgen.facturx(None, extra=extra, kids=2), xml,
                     expect_kept=[e[0] for e in extra])
        check_packed(facture, tmp, "replace", pdfgen.facturx(xml + b"\n"),
                     xml, extra_args=["--replace"])
        check_packed(facture, tmp, "replace-other-name",
                     pdfgen.facturx(xml + b"\n", name="zugferd-invoice.xml",
                                    extra=extra[:1]),
                     xml, extra_args=["--replace"],
                     expect_kept=["Lieferschein.pdf"],
                     expect_gone=["zugferd-invoice.xml"])
        check_packed(facture, tmp, "zugferd", plain, xml,
                     xml_name="zugferd-invoice.xml",
                     extra_args=["--flavor=zugferd",
                                 "--attach=" + os.path.join(
                                     ROOT, "examples", "invoice-ubl.xml")],
                     expect_kept=["invoice-ubl.xml"])
        n += 6

        corpus = corpus_inputs(args.shared)
        if corpus is None:
            print("note: ../shared/corpus is not there: only generated "
                  "PDFs were packed")
        else:
            for rel, src, level in corpus:
                r = subprocess.run([facture, "extract", "-"], input=src,
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
                if r.returncode:
                    fail(rel, "cannot extract its invoice")
                    continue
                # --force: our verdict on the XML is not the subject here
                check_packed(facture, tmp, "corpus-%d" % n, src, r.stdout,
                             level=level, extra_args=["--replace",
                                                      "--force"])
                n += 1

        # refusals: nothing written, input untouched
        inp = os.path.join(tmp, "refuse.pdf")
        out = os.path.join(tmp, "refused.pdf")
        bad = os.path.join(tmp, "bad.xml")
        with open(inp, "wb") as f:
            f.write(pdfgen.facturx(xml))
        with open(bad, "wb") as f:
            f.write(xml.replace(b"<ram:TypeCode>380</ram:TypeCode>",
                                b"<ram:TypeCode>999</ram:TypeCode>", 1))
        r = run([facture, "pack", "-o", out, inp,
                 os.path.join(ROOT, "examples", "invoice-cii.xml")])
        if r.returncode != 3 or os.path.exists(out):
            fail("already-embedded", "exit %d, output %s" % (
                r.returncode, os.path.exists(out)))
        r = run([facture, "pack", "--replace", "-o", out, inp, bad])
        if (r.returncode != 1 or os.path.exists(out)):
            fail("invalid-refused", "exit %d, output %s" % (
                r.returncode, os.path.exists(out)))
        r = run([facture, "pack", "--replace", "--force", "-o", out, inp,
                 bad])
        if r.returncode or not os.path.exists(out):
            fail("invalid-forced", "exit %d" % r.returncode)
        if open(inp, "rb").read() != pdfgen.facturx(xml):
            fail("refusals", "the input was modified")

        # --zip, read back by zipfile
        a = os.path.join(tmp, "a.xml")
        b = os.path.join(tmp, "b.xml")
        with open(a, "wb") as f:
            f.write(xml)
        with open(b, "wb") as f:
            f.write(xml.replace(b"\n", b"\r\n"))
        z = os.path.join(tmp, "deposit.zip")
        r = run([facture, "pack", "--zip", z, a, b])
        if r.returncode:
            fail("zip", "exit %d: %s" % (r.returncode, r.stderr.decode()))
        else:
            with zipfile.ZipFile(z) as zf:
                if zf.testzip() is not None or zf.namelist() != [
                        "a.xml", "b.xml"] or zf.read("a.xml") != xml or \
                        zf.read("b.xml") != open(b, "rb").read():
                    fail("zip", "members %r" % zf.namelist())
        u = os.path.join(tmp, "u.xml")
        with open(u, "wb") as f:
            f.write(ubl)
        z2 = os.path.join(tmp, "mixed.zip")
        r = run([facture, "pack", "--zip", z2, a, u])
        if r.returncode != 2 or os.path.exists(z2):
            fail("zip-mixed", "exit %d" % r.returncode)
        print("%d PDFs packed, %d failures" % (n, len(failures)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
