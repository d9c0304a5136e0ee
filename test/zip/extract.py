#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""extract.py - `facture extract ARCHIVE.zip` on archives made by an
independent writer, Python's zipfile (and broken here on purpose).

  - members deflated, stored and in subdirectories come out byte for
    byte, under -o DIR, and `--list -f json` names them with their sizes;
  - members whose names are absolute, go up with '..' or hold a backslash
    are not written anywhere (exit status 3, a message each), while the
    others are;
  - an existing file is never replaced (exit status 3);
  - a bzip2 member is refused by name, a truncated archive and a zip bomb
    with a clear error (exit status 3), never a crash.

Exit status: 0 all as expected, 1 otherwise.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile


def run(args, cwd=None):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, cwd=cwd)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--facture", default=os.path.join(root, "build",
                                                      "facture"))
    opts = ap.parse_args()
    fx = os.path.abspath(opts.facture)
    cii = open(os.path.join(root, "examples", "invoice-cii.xml"), "rb").read()
    ubl = open(os.path.join(root, "examples", "invoice-ubl.xml"), "rb").read()
    problems = []

    def check(cond, what):
        if not cond:
            problems.append(what)

    def crashed(p):
        err = p.stderr.decode("utf-8", "replace")
        return p.returncode < 0 or p.returncode > 6 or "Sanitizer" in err \
            or "runtime error" in err

    with tempfile.TemporaryDirectory() as tmp:
        good = os.path.join(tmp, "good.zip")
        with zipfile.ZipFile(good, "w") as z:
            z.writestr(zipfile.ZipInfo("2025/cii.xml"), cii,
                       zipfile.ZIP_DEFLATED)
            z.writestr("ubl.xml", ubl, zipfile.ZIP_STORED)
            z.writestr("r\u00e9sum\u00e9.xml", b"<x/>", zipfile.ZIP_DEFLATED)
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        p = run([fx, "extract", "-o", out, good])
        check(p.returncode == 0, "good.zip: exit %d %r" % (p.returncode,
                                                         p.stderr))
        for name, data in (("2025/cii.xml", cii), ("ubl.xml", ubl),
                           ("r\u00e9sum\u00e9.xml", b"<x/>")):
            path = os.path.join(out, name)
            check(os.path.exists(path) and open(path, "rb").read() == data,
                  "good.zip: %s not written byte for byte" % name)
        p = run([fx, "extract", "--list", "-f", "json", good])
        listing = json.loads(p.stdout)["members"] if p.returncode == 0 \
            else []
        check([(m["name"], m["size"]) for m in listing] ==
              [("2025/cii.xml", len(cii)), ("ubl.xml", len(ubl)),
               ("r\u00e9sum\u00e9.xml", 4)],
              "good.zip: --list says %r" % listing)
        p = run([fx, "extract", "-o", out, good])
        check(p.returncode == 3 and b"exists" in p.stderr,
              "good.zip again: files replaced? %d %r" % (p.returncode,
                                                        p.stderr))

        evil = os.path.join(tmp, "evil.zip")
        with zipfile.ZipFile(evil, "w") as z:
            z.writestr("ok.xml", b"<ok/>")
            for n in ("../up.xml", "/abs.xml", "a\\b.xml", "x/../../up2.xml"):
                z.writestr(zipfile.ZipInfo(n), b"evil")
        out2 = os.path.join(tmp, "deep", "out2")
        os.makedirs(out2)
        p = run([fx, "extract", "-o", out2, evil])
        check(p.returncode == 3 and p.stderr.count(b"is not written") == 4,
              "evil.zip: %d %r" % (p.returncode, p.stderr))
        check(os.path.exists(os.path.join(out2, "ok.xml")),
              "evil.zip: the safe member was not written")
        written = []
        for d, _, names in os.walk(tmp):
            written += [os.path.join(d, n) for n in names
                        if n.startswith(("up", "abs", "a\\b"))]
        check(not written, "evil.zip wrote %r" % written)

        bz = os.path.join(tmp, "bzip2.zip")
        with zipfile.ZipFile(bz, "w", zipfile.ZIP_BZIP2) as z:
            z.writestr("b.xml", cii)
        p = run([fx, "extract", "-o", out2, bz])
        check(p.returncode == 3 and b"method 12" in p.stderr,
              "bzip2.zip: %d %r" % (p.returncode, p.stderr))

        data = open(good, "rb").read()
        for cut in range(0, len(data), max(1, len(data) // 40)):
            t = os.path.join(tmp, "cut.zip")
            with open(t, "wb") as f:
                f.write(data[:cut])
            p = run([fx, "extract", "--list", t])
            check(not crashed(p) and p.returncode == 3 and
                  p.stderr.startswith(b"facture: "),
                  "truncated at %d: %d %r" % (cut, p.returncode, p.stderr))

        bomb = os.path.join(tmp, "bomb.zip")
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("zeros.xml", bytes(50 << 20))
        p = run([fx, "extract", "-o", out2, bomb])
        check(p.returncode == 3 and b"zip bomb" in p.stderr,
              "bomb.zip: %d %r" % (p.returncode, p.stderr))
        with open(bomb, "rb") as f:
            p = subprocess.run([fx, "extract", "--list", "-"], stdin=f,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        check(p.returncode == 3 and b"<stdin>" in p.stderr,
              "bomb.zip on stdin: %d %r" % (p.returncode, p.stderr))

    print("zip extract: %d problems" % len(problems))
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
