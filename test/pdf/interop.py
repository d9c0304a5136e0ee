#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""interop.py - facture's PDF reader against two independent ones, poppler
(pdfdetach) and qpdf, on the same files.

The files: PDFs we write here with pdfgen.py (classic table, cross-
reference stream with a PNG predictor, object streams, name tree with
/Kids, an incremental update, non-ASCII names, several attachments), and
every PDF of ../shared/corpus/pdf when it is there.  For each file that
poppler can read:
  - the embedded files facture lists in the name tree are, in order, those
    of `pdfdetach -list`, and their keys those of
    `qpdf --list-attachments`;
  - the bytes of each, written by `facture extract --all`, are those of
    `pdfdetach -save N` and of `qpdf --show-attachment=KEY`.
(That `facture extract` picks the right one is corpus.py's business.)

Exit status: 0 all agree, 1 a disagreement, 77 skipped (no pdfdetach or
qpdf).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pdfgen  # noqa: E402

SKIP = 77


def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          **kw)


def generated(root):
    """(name, bytes) of the PDFs we write for this test."""
    xml = open(os.path.join(root, "examples", "invoice-cii.xml"),
               "rb").read()
    extra = [("Zahlungsaufstellung.pdf", b"%PDF-1.4 not really\n",
              "application/pdf", "Supplement"),
             ("r\u00e9sum\u00e9 \u20ac.txt", "d\u00e9tail\n".encode(),
              "text/plain", "Unspecified"),
             ("logo.png", bytes(range(256)) * 40, "image/png", "Data")]
    out = [
        ("table.pdf", pdfgen.facturx(xml)),
        ("xref-stream.pdf", pdfgen.facturx(xml, xref="stream")),
        ("object-streams.pdf", pdfgen.facturx(xml, xref="stream",
                                              objstm=True)),
        ("kids.pdf", pdfgen.facturx(xml, extra=extra, kids=3)),
        ("kids-objstm.pdf", pdfgen.facturx(xml, extra=extra, kids=2,
                                           xref="stream", objstm=True)),
        ("zugferd-name.pdf", pdfgen.facturx(xml, name="zugferd-invoice.xml",
                                            relationship="Data")),
    ]
    # an incremental update that replaces the invoice's embedded file
    base = pdfgen.facturx(xml)
    newer = xml.replace(b"</rsm:CrossIndustryInvoice>",
                        b"<!-- corrected -->\n</rsm:CrossIndustryInvoice>")
    # object numbers of pdfgen.facturx: 1 font, 2 content, 3 pages,
    # 4 page, 5 embedded file, 6 file specification, ...
    trailer = base[base.rindex(b"trailer"):]
    out.append(("updated.pdf", pdfgen.append_update(
        base, {5: pdfgen.Stream("/Type /EmbeddedFile /Subtype /text#2Fxml",
                                newer)},
        root=int(trailer.split(b"/Root ")[1].split()[0]),
        size=int(trailer.split(b"/Size ")[1].split()[0]))))
    return out


def check_file(facture, path, tmp, problems, label):
    """Compare one file; returns the number of attachments compared."""
    p = run(["pdfdetach", "-list", path])
    if p.returncode != 0:
        return 0  # poppler cannot read it: corpus.py judges our errors
    lines = p.stdout.decode("utf-8", "replace").splitlines()[1:]
    poppler = [l.split(": ", 1)[1] for l in lines if ": " in l]
    p = run([facture, "extract", "--list", "-f", "json", path])
    if p.returncode != 0:
        problems.append("%s: facture extract --list exited %d: %s" % (
            label, p.returncode, p.stderr.decode("utf-8", "replace")))
        return 0
    ours = [a for a in json.loads(p.stdout)["attachments"] if a["in_names"]]
    if [a["name"] for a in ours] != poppler:
        problems.append("%s: facture lists %r, pdfdetach %r"
                        % (label, [a["name"] for a in ours], poppler))
        return 0
    q = run(["qpdf", "--list-attachments", path])
    qkeys = [l.split(" -> ")[0] for l in
             q.stdout.decode("utf-8", "replace").splitlines()
             if " -> " in l]
    if q.returncode in (0, 3) and sorted(qkeys) != sorted(
            a["key"] for a in ours):
        problems.append("%s: facture keys %r, qpdf %r"
                        % (label, [a["key"] for a in ours], qkeys))

    outdir = os.path.join(tmp, "all")
    shutil.rmtree(outdir, ignore_errors=True)
    os.mkdir(outdir)
    names = [a["name"] for a in ours]
    p = run([facture, "extract", "--all", "-o", outdir, path])
    compared = 0
    for i, a in enumerate(ours):
        if names.count(a["name"]) > 1 or "/" in a["name"]:
            continue  # the same name twice: compare the others
        mine_path = os.path.join(outdir, a["name"])
        if not os.path.exists(mine_path):
            problems.append("%s: facture extract --all wrote no '%s': %s"
                            % (label, a["name"],
                               p.stderr.decode("utf-8", "replace")))
            continue
        mine = open(mine_path, "rb").read()
        theirs_path = os.path.join(tmp, "poppler.bin")
        s = run(["pdfdetach", "-save", str(i + 1), "-o", theirs_path, path])
        if s.returncode == 0:
            if open(theirs_path, "rb").read() != mine:
                problems.append("%s: '%s' differs from pdfdetach -save %d"
                                % (label, a["name"], i + 1))
        s = run(["qpdf", "--show-attachment=" + a["key"], path])
        if s.returncode in (0, 3) and s.stdout != mine:
            problems.append("%s: '%s' differs from qpdf "
                            "--show-attachment" % (label, a["name"]))
        compared += 1
    return compared


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--facture",
                    default=os.path.join(root, "build", "facture"))
    ap.add_argument("--shared", default=os.path.join(root, "..", "shared"))
    opts = ap.parse_args()
    for tool in ("pdfdetach", "qpdf"):
        if not shutil.which(tool):
            print("SKIP: %s is not installed (poppler-utils, qpdf)" % tool)
            return SKIP

    problems = []
    files = compared = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in generated(root):
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(data)
            q = run(["qpdf", "--check", path])
            if q.returncode != 0:
                problems.append("%s: our test file fails qpdf --check: %s"
                                % (name, q.stdout[-300:]))
            n = check_file(opts.facture, path, tmp, problems, name)
            if not n:
                problems.append("%s: no attachment compared" % name)
            files += 1
            compared += n
        corpus = os.path.join(opts.shared, "corpus", "pdf")
        if os.path.isdir(corpus):
            for dirpath, _, names in sorted(os.walk(corpus)):
                for n in sorted(names):
                    if not n.lower().endswith(".pdf"):
                        continue
                    path = os.path.join(dirpath, n)
                    compared += check_file(opts.facture, path, tmp,
                                           problems,
                                           os.path.relpath(path, corpus))
                    files += 1
        else:
            print("note: %s not found: only our own PDFs are compared"
                  % corpus)
    print("pdf interop: %d PDFs, %d attachments compared with pdfdetach "
          "and qpdf" % (files, compared))
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
