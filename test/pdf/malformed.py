#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""malformed.py - damaged and hostile PDFs, made here, through facture.

Writes some seventy PDFs that are broken on purpose (truncated files, wrong
offsets and lengths, /Prev loops, reference cycles, absurd counts,
decompression bombs, deep nesting, bad filters and predictors, hostile
XMP, encryption...) and runs on each `facture validate` and
`facture extract --list`: every run must end with a verdict or a clear
error (exit status 0 to 3, a message on stderr for 3), within the time
limit, never on a signal or a sanitizer report.  With --driver, the
fuzzing target's plain driver runs over the same files and over the
committed regression corpus (test/fuzz/corpus-pdf).

  malformed.py --facture F [--driver D]   run the checks
  malformed.py --write DIR                only write the files

Exit status: 0 all clean, 1 a failure.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import zlib

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pdfgen  # noqa: E402

TIMEOUT = 30

CII = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
       b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:'
       b'standard:CrossIndustryInvoice:100"/>\n')


def simple(catalog_extra=b"", objects=(), trailer_extra=b"", root=1,
           xref=True, header=b"%PDF-1.7\n"):
    """A file from raw objects [(num, body)]; the catalog is object 1
    unless OBJECTS defines it."""
    out = bytearray(header)
    offs = {}
    objs = list(objects)
    if not any(n == 1 for n, _ in objs):
        objs.insert(0, (1, b"<< /Type /Catalog" + catalog_extra + b" >>"))
    for n, body in objs:
        offs[n] = len(out)
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    if xref:
        at = len(out)
        size = max(offs) + 1
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        for n in range(1, size):
            out += (b"%010d 00000 n \n" % offs[n] if n in offs
                    else b"0000000000 65535 f \n")
        out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n" \
            b"%%%%EOF\n" % (size, root, trailer_extra, at)
    return bytes(out)


def stream(dict_src, data):
    return b"<< %s /Length %d >>\nstream\n" % (dict_src, len(data)) + \
        data + b"\nendstream"


def att_pdf(stream_dict, data, name=b"factur-x.xml"):
    """One attachment whose stream has STREAM_DICT and DATA as given."""
    return simple(b" /Names << /EmbeddedFiles << /Names [(a) 2 0 R] >> >>"
                  b" /AF [2 0 R]",
                  [(2, b"<< /F (" + name + b") /EF << /F 3 0 R >> "
                    b"/AFRelationship /Data >>"),
                   (3, stream(stream_dict, data))])


def cases():
    good = pdfgen.facturx(CII, level="EN 16931")
    good_x = pdfgen.facturx(CII, xref="stream", objstm=True, kids=2,
                            extra=[("a.txt", b"a", "text/plain", "Data")])
    c = {}
    for i, cut in enumerate((1, 9, 100, len(good) // 3, len(good) // 2,
                             len(good) - 40, len(good) - 8)):
        c["truncated-%d" % i] = good[:cut]
    for i, cut in enumerate((len(good_x) // 4, len(good_x) // 2,
                             len(good_x) - 30)):
        c["truncated-xref-stream-%d" % i] = good_x[:cut]
    c["header-only"] = b"%PDF-1.7\n"
    c["garbage-after-header"] = b"%PDF-1.4\n" + bytes(range(256)) * 16
    c["startxref-beyond-eof"] = good.replace(
        b"startxref\n", b"startxref\n99999999")
    c["startxref-inside-stream"] = good[:good.rindex(b"startxref")] + \
        b"startxref\n300\n%%EOF\n"
    c["offsets-shifted"] = good.replace(b" 00000 n", b" 00007 n").replace(
        b"\n00000", b"\n00001")
    c["prev-to-itself"] = simple(trailer_extra=b" /Prev 9")
    c["prev-garbage"] = simple(trailer_extra=b" /Prev 3")
    c["root-is-itself"] = simple(objects=[(1, b"1 0 R")])
    c["no-catalog"] = simple(objects=[(1, b"<< /Type /Pages >>")])
    c["names-cycle"] = simple(
        b" /Names << /EmbeddedFiles 2 0 R >>",
        [(2, b"<< /Kids [2 0 R 3 0 R] >>"), (3, b"<< /Kids [2 0 R 3 0 R] "
                                             b"/Names [(a) 4 0 R] >>"),
         (4, b"<< /F (a.xml) /EF << /F 4 0 R >> >>")])
    c["names-odd"] = simple(
        b" /Names << /EmbeddedFiles << /Names [(a) 2 0 R (b)] >> >>",
        [(2, b"<< /F (a.xml) >>")])
    c["names-not-strings"] = simple(
        b" /Names << /EmbeddedFiles << /Names [1 2 0 R /x 2 0 R] >> >>",
        [(2, b"<< /F (a.xml) /EF << /F 2 0 R >> >>")])
    c["ref-chain-cycle"] = simple(b" /Names 2 0 R",
                                  [(2, b"3 0 R"), (3, b"2 0 R")])
    c["length-self"] = att_pdf(b"/Length 3 0 R", CII).replace(
        b"/Length 3 0 R /Length %d" % len(CII), b"/Length 3 0 R")
    c["length-huge"] = att_pdf(b"", CII).replace(
        b"/Length %d" % len(CII), b"/Length 99999999999999999999")
    c["length-negative"] = att_pdf(b"", CII).replace(
        b"/Length %d" % len(CII), b"/Length -5")
    c["no-endstream"] = att_pdf(b"", CII).replace(b"endstream", b"endstrea")
    c["flate-garbage"] = att_pdf(b"/Filter /FlateDecode",
                                 b"x\x9c" + bytes(range(200)))
    c["flate-truncated"] = att_pdf(b"/Filter /FlateDecode",
                                   zlib.compress(CII * 50)[:60])
    c["flate-bomb"] = att_pdf(b"/Filter /FlateDecode",
                              zlib.compress(bytes(120 << 20), 9))
    c["flate-bomb-twice"] = att_pdf(
        b"/Filter [/FlateDecode /FlateDecode]",
        zlib.compress(zlib.compress(bytes(120 << 20), 9), 9))
    c["predictor-zero-columns"] = att_pdf(
        b"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 0 >>",
        zlib.compress(CII))
    c["predictor-huge-columns"] = att_pdf(
        b"/Filter /FlateDecode /DecodeParms << /Predictor 15 "
        b"/Columns 2000000000 /Colors 32 /BitsPerComponent 16 >>",
        zlib.compress(CII))
    c["predictor-bad-type"] = att_pdf(
        b"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >>",
        zlib.compress(b"\x07abcd" * 10))
    c["predictor-tiff-4bit"] = att_pdf(
        b"/Filter /FlateDecode /DecodeParms << /Predictor 2 "
        b"/BitsPerComponent 4 >>", zlib.compress(CII))
    c["filters-too-many"] = att_pdf(b"/Filter [" + b"/AHx " * 20 + b"]",
                                    b"41>")
    c["filter-not-a-name"] = att_pdf(b"/Filter (x)", CII)
    c["filter-lzw"] = att_pdf(b"/Filter /LZWDecode", b"\x80\x0b\x60\x50")
    c["a85-bad"] = att_pdf(b"/Filter /ASCII85Decode", b"abc\x7fdef~>")
    c["a85-overflow"] = att_pdf(b"/Filter /A85", b"uuuuu~>")
    c["hex-bad"] = att_pdf(b"/Filter /AHx", b"4G>")
    c["runlength-short"] = att_pdf(b"/Filter /RL", b"\x7fab")
    c["ef-not-a-stream"] = simple(
        b" /Names << /EmbeddedFiles << /Names [(a) 2 0 R] >> >>",
        [(2, b"<< /F (factur-x.xml) /EF << /F 1 0 R >> >>")])
    c["filespec-is-a-string"] = simple(
        b" /Names << /EmbeddedFiles << /Names [(a) (factur-x.xml)] >> >>")
    c["attachment-is-a-pdf"] = att_pdf(b"", good)
    c["attachment-not-xml"] = att_pdf(b"", b"\x00\x01 binary")
    c["attachment-billion-laughs"] = att_pdf(
        b"", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;&b;&b;</r>')
    c["xmp-not-xml"] = pdfgen.facturx(CII, metadata=b"\x00\xff not xml")
    c["xmp-entities"] = pdfgen.facturx(
        CII, metadata=b'<!DOCTYPE x [<!ENTITY e SYSTEM "/etc/passwd">]>'
        b'<x>&e;</x>')
    c["xmp-deep"] = pdfgen.facturx(CII, metadata=b"<a>" * 20000)
    c["deep-arrays"] = simple(b" /X " + b"[" * 100000)
    c["deep-dicts"] = simple(b" /X " + b"<< /A " * 50000)
    c["unterminated-string"] = simple(b" /X (abc")
    c["unterminated-hex"] = simple(b" /X <414")
    c["name-with-nul"] = simple(b" /X#00Y /Z#zz /#")
    c["huge-numbers"] = simple(
        b" /X 99999999999999999999999999 /Y -.5e3 /Z 4294967296 0 R")
    c["huge-object-numbers"] = b"%PDF-1.7\n99999999999 0 obj\n<< /Type " \
        b"/Catalog >>\nendobj\n2147483647 65535 obj\n<< /Type /Catalog >>" \
        b"\nendobj\n%%EOF\n"
    c["xref-huge-count"] = simple().replace(b"xref\n0 2", b"xref\n0 "
                                            b"2000000000")
    c["xref-stream-bad-w"] = (
        b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog >>\nendobj\n2 0 obj\n"
        + stream(b"/Type /XRef /W [9 9 9] /Size 3 /Root 1 0 R", b"\0" * 27)
        + b"\nendobj\nstartxref\n49\n%%EOF\n")
    c["xref-stream-index-odd"] = (
        b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog >>\nendobj\n2 0 obj\n"
        + stream(b"/Type /XRef /W [1 2 1] /Index [0] /Size 3 /Root 1 0 R",
                 b"\0" * 8)
        + b"\nendobj\nstartxref\n49\n%%EOF\n")
    c["xref-stream-index-huge"] = (
        b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog >>\nendobj\n2 0 obj\n"
        + stream(b"/Type /XRef /W [1 4 2] /Index [0 2147483647] /Size "
                 b"2147483647 /Root 1 0 R", b"\1\0\0\0\x09\0\0" * 2)
        + b"\nendobj\nstartxref\n49\n%%EOF\n")
    c["objstm-huge-n"] = (
        b"%PDF-1.5\n2 0 obj\n" + stream(b"/Type /ObjStm /N 2000000000 "
                                        b"/First 5", b"1 0 <<>>")
        + b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    c["objstm-first-beyond"] = (
        b"%PDF-1.5\n2 0 obj\n" + stream(b"/Type /ObjStm /N 1 /First 999",
                                        b"1 0 << /Type /Catalog >>")
        + b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    c["objstm-offset-beyond"] = (
        b"%PDF-1.5\n2 0 obj\n" + stream(b"/Type /ObjStm /N 1 /First 9",
                                        b"1 999999 << /Type /Catalog >>")
        + b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    c["objstm-bomb"] = (
        b"%PDF-1.5\n2 0 obj\n" + stream(
            b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
            zlib.compress(b"1 0 " + b" " * (80 << 20), 9))
        + b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    # read again by every object that starts inside them: quadratic
    # without the reader's budget
    c["many-unterminated-strings"] = b"%PDF-1.7\n" + b"".join(
        b"%d 0 obj (\n" % i for i in range(1, 30000))
    c["one-long-comment"] = b"%PDF-1.7\n" + b" ".join(
        b"%d 0 obj %%" % i for i in range(1, 30000))
    c["many-open-dicts"] = b"%PDF-1.7\n" + b"".join(
        b"%d 0 obj <<" % i for i in range(1, 30000))
    c["encrypted"] = pdfgen.facturx(CII).replace(
        b"/Root", b"/Encrypt << /Filter /Standard /V 1 >> /Root")
    c["af-only"] = pdfgen.facturx(CII).replace(b"/EmbeddedFiles",
                                                 b"/NotEmbeddedFiles")
    return c


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--facture")
    ap.add_argument("--driver", help="the fuzz target's plain driver")
    ap.add_argument("--write", metavar="DIR")
    opts = ap.parse_args()
    files = cases()
    if opts.write:
        os.makedirs(opts.write, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(opts.write, name + ".pdf"), "wb") as f:
                f.write(data)
        return 0
    if not opts.facture:
        ap.error("--facture or --write")
    problems = []
    runs = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in sorted(files.items()):
            path = os.path.join(tmp, name + ".pdf")
            with open(path, "wb") as f:
                f.write(data)
            for args in (["validate", "-q", "--max-size=100M", path],
                         ["extract", "--list", path],
                         ["extract", "-o", os.path.join(tmp, "out"), path]):
                runs += 1
                try:
                    p = subprocess.run([opts.facture] + args,
                                       stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE,
                                       stdin=subprocess.DEVNULL,
                                       timeout=TIMEOUT)
                except subprocess.TimeoutExpired:
                    problems.append("%s: facture %s took more than %d s"
                                    % (name, args[0], TIMEOUT))
                    continue
                err = p.stderr.decode("utf-8", "replace")
                if p.returncode < 0 or p.returncode > 3 or \
                        "Sanitizer" in err or "runtime error" in err:
                    problems.append("%s: facture %s exited %d: %s"
                                    % (name, " ".join(args[:-1]),
                                       p.returncode, err[-400:]))
                elif p.returncode == 3 and args[0] == "extract" and \
                        not err.startswith("facture: "):
                    problems.append("%s: exit status 3 without a message"
                                    % name)
        if opts.driver:
            seeds = os.path.join(os.path.dirname(here), "fuzz",
                                 "corpus-pdf")
            p = subprocess.run([opts.driver, tmp] +
                               ([seeds] if os.path.isdir(seeds) else []),
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=600)
            err = p.stderr.decode("utf-8", "replace")
            if p.returncode != 0 or "Sanitizer" in err or \
                    "runtime error" in err:
                problems.append("fuzz driver exited %d: %s"
                                % (p.returncode, err[-600:]))
            else:
                print(p.stdout.decode().strip())
    print("pdf malformed: %d files, %d runs of facture" % (len(files), runs))
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
