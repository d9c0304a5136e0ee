#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/schema.py - the schema layer against xmllint, side by side.

facture runs with --rules=none: this measures what xmllint does, parsing
and the schema; bench/rules.py measures the business rules.

Measures, on this machine, in one run:
  1. throughput: `facture validate` (schema layer only, -j 1 and -j 2) over
     every XML invoice of ../shared/corpus, against `xmllint --noout --schema`
     with the official XSDs over the same files (one xmllint per schema, all
     files on its command line: its best case);
  2. cold start: wall time of `facture validate one.xml`, median of 30 runs;
  3. a batch of 10,000 invoices with -j 2: wall time and peak memory (RSS).

Usage: bench/schema.py [--facture build/facture] [--shared ../shared]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

OFFICIAL = {
    "ubl-invoice": "xsd/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "ubl-creditnote": "xsd/ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    "cii": "xsd/cii-d16b/uncoupled_clm/CII/uncefact/data/standard/"
           "CrossIndustryInvoice_100pD16B.xsd",
}


def run(cmd):
    """Run CMD, return its wall time in seconds."""
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    return time.perf_counter() - t0


def peak_rss_kib(cmd):
    """Peak resident memory of CMD in KiB, from the kernel's rusage."""
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped by wait4
    return usage.ru_maxrss


def best_of(n, cmd):
    return min(run(cmd) for _ in range(n))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--facture", default=os.path.join(ROOT, "build", "facture"))
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    expected = os.path.join(args.shared, "corpus", "expected.json")
    if not os.path.exists(expected):
        print(f"SKIP: {expected} not found")
        return 77
    with open(expected) as f:
        files = json.load(f)["files"]
    by_syntax = {s: [] for s in OFFICIAL}
    for path, entry in sorted(files.items()):
        if entry.get("syntax") in by_syntax:
            by_syntax[entry["syntax"]].append(
                os.path.join(args.shared, "corpus", path))
    allfiles = [p for s in OFFICIAL for p in by_syntax[s]]
    n = len(allfiles)

    with tempfile.TemporaryDirectory() as tmp:
        listing = os.path.join(tmp, "files.txt")
        with open(listing, "w") as f:
            f.write("\n".join(allfiles) + "\n")

        # 1. throughput
        xmllint = 0.0
        for syntax, paths in by_syntax.items():
            xsd = os.path.join(args.shared, "reference", OFFICIAL[syntax])
            xmllint += best_of(args.repeat, ["xmllint", "--noout", "--nonet",
                                             "--schema", xsd] + paths)
        fx1 = best_of(args.repeat, [args.facture, "validate", "-q", "--rules=none",
                                    "--files-from", listing])
        fx2 = best_of(args.repeat, [args.facture, "validate", "-q", "--rules=none", "-j", "2",
                                    "--files-from", listing])
        print(f"throughput over {n} corpus XML invoices (best of {args.repeat}):")
        print(f"  xmllint --schema (official XSDs) {xmllint:8.3f} s  "
              f"{n / xmllint:8.0f} files/s  1.00x")
        print(f"  facture validate -j 1            {fx1:8.3f} s  "
              f"{n / fx1:8.0f} files/s  {xmllint / fx1:.2f}x")
        print(f"  facture validate -j 2            {fx2:8.3f} s  "
              f"{n / fx2:8.0f} files/s  {xmllint / fx2:.2f}x")

        # 2. cold start, one file
        one = next(p for p in by_syntax["ubl-invoice"]
                   if files[os.path.relpath(p, os.path.join(args.shared, "corpus"))]
                   .get("xsd_valid"))
        one_cii = next(p for p in by_syntax["cii"]
                       if files[os.path.relpath(p, os.path.join(args.shared, "corpus"))]
                       .get("xsd_valid"))
        for label, path, syntax in (("UBL", one, "ubl-invoice"),
                                    ("CII", one_cii, "cii")):
            xsd = os.path.join(args.shared, "reference", OFFICIAL[syntax])
            fx = statistics.median(run([args.facture, "validate", "-q", "--rules=none", path])
                                   for _ in range(30))
            xl = statistics.median(run(["xmllint", "--noout", "--nonet",
                                        "--schema", xsd, path])
                                   for _ in range(10))
            print(f"cold, one {label} file (median): facture {fx * 1000:.1f} ms, "
                  f"xmllint {xl * 1000:.1f} ms  ({xl / fx:.1f}x)  "
                  f"[goal: facture <= 20 ms]")

        # 3. 10,000 invoices, -j 2
        big = os.path.join(tmp, "10k.txt")
        with open(big, "w") as f:
            for i in range(10000):
                f.write(allfiles[i % n] + "\n")
        cmd = [args.facture, "validate", "-q", "--rules=none", "-j", "2", "-f", "json",
               "-o", os.path.join(tmp, "10k.json"), "--files-from", big]
        wall = run(cmd)
        rss = peak_rss_kib(cmd)
        print(f"10,000 invoices, -j 2, JSON report: {wall:.2f} s, "
              f"peak RSS {rss / 1024:.1f} MiB  [goal: <= 50 MB]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
