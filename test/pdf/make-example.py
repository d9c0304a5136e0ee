#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make-example.py - write examples/invoice-facturx.pdf, the Factur-X PDF
of the README and the manual pages: examples/invoice-cii.xml embedded as
factur-x.xml by our own writer (pdfgen.py).

  make-example.py            write it
  make-example.py --check    exit 1 if the file in examples/ is not what
                             this script writes (a ctest test does this)
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pdfgen  # noqa: E402


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    xml_path = os.path.join(root, "examples", "invoice-cii.xml")
    pdf_path = os.path.join(root, "examples", "invoice-facturx.pdf")
    with open(xml_path, "rb") as f:
        xml = f.read()
    pdf = pdfgen.facturx(xml, title="Invoice (Factur-X example)")
    if sys.argv[1:] == ["--check"]:
        with open(pdf_path, "rb") as f:
            if f.read() != pdf:
                print("FAIL %s is not what make-example.py writes: run it "
                      "again" % os.path.relpath(pdf_path, root))
                return 1
        print("ok   %s" % os.path.relpath(pdf_path, root))
        return 0
    with open(pdf_path, "wb") as f:
        f.write(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
