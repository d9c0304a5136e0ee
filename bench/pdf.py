#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/pdf.py - extracting the invoice of a 1 MB Factur-X PDF: facture
against qpdf, side by side.

Makes two 1 MB PDFs around examples/invoice-cii.xml with our test writer
(test/pdf/pdfgen.py): one with a classic cross-reference table, one with a
cross-reference stream and object streams (the invoice in the middle of
1 MB of image data either way).  Then, on each, in one run:
  1. `facture extract FILE > OUT` against
     `qpdf --show-attachment=factur-x.xml FILE > OUT`, whole processes,
     median wall time of --repeat runs, and the ratio; then
     `facture extract -o OUT FILE`, which also syncs OUT to the disk and
     renames it into place;
  2. the same extraction inside one process, through libfacture
     (fx_pdf_open_file, fx_pdf_find_invoice, fx_pdf_attachment_data,
     called with ctypes), median of --repeat runs: the reader's own cost
     without process start-up.
The goal (issue 4): at most 5 ms, and 20 times faster than qpdf.

Usage: bench/pdf.py [--facture build/facture] [--repeat 50]
"""
import argparse
import ctypes
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "test", "pdf"))
import pdfgen  # noqa: E402

SIZE = 1 << 20


def wall(cmd, out):
    with open(out, "wb") as f:
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=f, stderr=subprocess.PIPE)
        t = time.perf_counter() - t0
    if p.returncode not in (0, 3):  # qpdf: 3 is "warnings"
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), p.stderr))
    return t


def median_ms(fn, repeat):
    fn()  # warm the page cache
    return statistics.median(fn() for _ in range(repeat)) * 1000


class Lib:
    """Just what the in-process measure needs from libfacture."""

    def __init__(self, path):
        self.so = ctypes.CDLL(path)
        vp, sz = ctypes.c_void_p, ctypes.c_size_t
        self.so.fx_global_init.restype = ctypes.c_int
        self.so.fx_ctx_new.argtypes = [ctypes.POINTER(vp)]
        self.so.fx_pdf_open_file.argtypes = [ctypes.POINTER(vp), vp,
                                             ctypes.c_char_p]
        self.so.fx_pdf_find_invoice.argtypes = [ctypes.POINTER(sz), vp, vp]
        self.so.fx_pdf_attachment_data.argtypes = [
            ctypes.POINTER(vp), ctypes.POINTER(sz), vp, vp, sz]
        self.so.fx_pdf_free.argtypes = [vp]
        self.so.fx_global_init()
        self.ctx = vp()
        if self.so.fx_ctx_new(ctypes.byref(self.ctx)) != 0:
            raise RuntimeError("fx_ctx_new failed")

    def extract(self, path):
        """Seconds to open PATH and decode its invoice; its size."""
        vp, sz = ctypes.c_void_p, ctypes.c_size_t
        pdf, idx, data, n = vp(), sz(), vp(), sz()
        t0 = time.perf_counter()
        if self.so.fx_pdf_open_file(ctypes.byref(pdf), self.ctx,
                                    path.encode()) != 0:
            raise RuntimeError("fx_pdf_open_file failed")
        if self.so.fx_pdf_find_invoice(ctypes.byref(idx), self.ctx,
                                       pdf) != 0 or \
                self.so.fx_pdf_attachment_data(
                    ctypes.byref(data), ctypes.byref(n), self.ctx, pdf,
                    idx) != 0:
            raise RuntimeError("extraction failed")
        self.so.fx_pdf_free(pdf)
        return time.perf_counter() - t0, n.value


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--facture", default=os.path.join(ROOT, "build",
                                                      "facture"))
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()
    facture = os.path.abspath(args.facture)
    if not shutil.which("qpdf"):
        print("SKIP: qpdf is not installed")
        return 77
    lib = os.path.join(os.path.dirname(facture), "libfacture.so")
    xml = open(os.path.join(ROOT, "examples", "invoice-cii.xml"),
               "rb").read()
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.xml")
        inproc = Lib(lib) if os.path.exists(lib) else None
        for label, kw in (("classic xref table", {}),
                          ("xref stream + object streams",
                           {"xref": "stream", "objstm": True})):
            pdf = pdfgen.facturx(xml, pad=SIZE - 20000, **kw)
            path = os.path.join(tmp, "big.pdf")
            with open(path, "wb") as f:
                f.write(pdf)
            ours = median_ms(lambda: wall([facture, "extract", path], out),
                             args.repeat)
            if open(out, "rb").read() != xml:
                raise RuntimeError("facture extracted the wrong bytes")
            atomic = median_ms(lambda: wall([facture, "extract", "-o", out,
                                             path], os.devnull),
                               args.repeat)
            theirs = median_ms(
                lambda: wall(["qpdf", "--show-attachment=factur-x.xml",
                              path], out), args.repeat)
            if open(out, "rb").read() != xml:
                raise RuntimeError("qpdf extracted the wrong bytes")
            lines.append("%-30s %7.2f MB  facture %6.2f ms  qpdf %7.2f ms"
                         "  qpdf/facture %5.1fx"
                         % (label, len(pdf) / 1e6, ours, theirs,
                            theirs / ours))
            lines.append("%-30s %7s     facture -o OUT (atomic, fsync) "
                         "%6.2f ms" % ("", "", atomic))
            if inproc:
                t = median_ms(lambda: inproc.extract(path)[0],
                              args.repeat * 4)
                lines.append("%-30s %7s     libfacture in one process "
                             "%6.3f ms" % ("", "", t))
    print("extract the invoice (%d bytes) from a 1 MB PDF, median of %d "
          "runs:" % (len(xml), args.repeat))
    for line in lines:
        print("  " + line)

    # pack: the invoice into a 1 MB Factur-X PDF, replacing the one it has,
    # against qpdf --add-attachment --replace (which writes the file anew)
    with tempfile.TemporaryDirectory() as tmp:
        plain = os.path.join(tmp, "plain.pdf")
        with open(plain, "wb") as f:
            f.write(pdfgen.facturx(xml, pad=SIZE - 20000))
        inv = os.path.join(tmp, "factur-x.xml")
        with open(inv, "wb") as f:
            f.write(xml)
        out = os.path.join(tmp, "out.pdf")
        repeat = max(5, args.repeat // 5)
        ours = median_ms(lambda: wall([facture, "pack", "--replace", "-o", out,
                                       plain, inv], os.devnull), repeat)
        forced = median_ms(lambda: wall([facture, "pack", "--replace",
                                         "--force", "-o", out, plain, inv],
                                        os.devnull), repeat)
        theirs = median_ms(lambda: wall(["qpdf", plain, "--add-attachment",
                                         inv, "--replace", "--", out],
                                        os.devnull), repeat)
        print("pack the invoice into a 1 MB PDF, median of %d runs:" % repeat)
        print("  facture pack %6.2f ms (validating the XML first)  "
              "facture pack --force %6.2f ms  qpdf --add-attachment %6.2f ms"
              "  qpdf/facture %.1fx (--force: %.1fx)  [goal: <= 10 ms, 20x]"
              % (ours, forced, theirs, theirs / ours, theirs / forced))
    return 0


if __name__ == "__main__":
    sys.exit(main())
