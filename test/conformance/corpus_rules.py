#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""corpus_rules.py - our business rules against the official verdicts.

Runs facture once over every XML invoice of ../shared/corpus and compares,
file by file, the rule ids our rules layer reports (fatal and warning) with
the ids the official EN 16931 artefacts 1.3.16 fired (expected.json).

The rule set is written family by family, so the comparison is made on the
rule ids the program carries for each syntax (`facture rules`): an
implemented rule must agree with the official run on every file; the ids
not written yet are counted as coverage, not as failures.  A known and
explained difference goes in rules-exceptions.txt (path, rule id, reason)
and is counted in the output.

Fails unless the fatal sets agree on 100% of the files and the warning sets
on at least 99%.  Prints agreement per family and per rule and lists every
file that disagrees with its missing and extra ids.

Usage: corpus_rules.py --facture PATH [--shared DIR] [--verbose]
"""

import argparse
import collections
import json
import os
import subprocess
import sys

import conflib

EXCEPTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "rules-exceptions.txt")


def implemented_ids(facture):
    """Rule ids (with their flag) of each rule set the program carries, as
    `facture rules -f json` lists them: the build, not the sources, so that
    an older build is not judged on rules it does not have."""
    proc = subprocess.run([facture, "rules", "-f", "json"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        conflib.die("facture rules failed: %s"
                    % proc.stderr.decode("utf-8", "replace"))
    ids = {"ubl": {}, "cii": {}}
    for rule in json.loads(proc.stdout.decode("utf-8")):
        syn = "cii" if rule["set"].endswith("-cii") else "ubl"
        ids[syn][rule["id"]] = rule["flag"]
    return ids


def family(rule):
    """BR-CO-10 -> BR-CO, BR-S-08 -> BR-S, UBL-SR-12 -> UBL-SR, BR-01 -> BR."""
    parts = rule.split("-")
    while parts and parts[-1].isdigit():
        parts.pop()
    return "-".join(parts) or rule


def load_exceptions():
    known = {}
    if not os.path.exists(EXCEPTIONS):
        return known
    with open(EXCEPTIONS, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = line.split(None, 2)
            if len(fields) < 3:
                conflib.die("%s:%d: want PATH RULE REASON" % (EXCEPTIONS, n))
            known[(fields[0], fields[1])] = fields[2]
    return known


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--facture", required=True)
    ap.add_argument("--shared", default=conflib.default_shared())
    ap.add_argument("--verbose", action="store_true",
                    help="list every disagreeing file, not the first 40")
    args = ap.parse_args()

    _, files = conflib.load_expected(args.shared)
    ours = implemented_ids(args.facture)
    known = load_exceptions()

    entries = [(p, e) for p, e in sorted(files.items())
               if e.get("syntax") in conflib.INVOICE_SYNTAXES
               and e.get("fatal") is not None]
    paths = [os.path.join(args.shared, "corpus", p) for p, _ in entries]
    try:
        run = conflib.run_facture(args.facture, paths, jobs=2)
    except RuntimeError as e:
        conflib.die(str(e))

    agree = {"fatal": 0, "warning": 0}
    excepted = 0
    per_rule = collections.defaultdict(lambda: [0, 0, 0])  # both, missing, extra
    official_ids = {"ubl": set(), "cii": set()}
    bad = []
    for (rel, exp), path in zip(entries, paths):
        syn = "cii" if exp["syntax"] == "cii" else "ubl"
        impl = ours[syn]
        got = run.files[path]
        found = {"fatal": set(), "warning": set()}
        for f in got.get("findings", []):
            if f.get("layer") == "rules" and f.get("severity") in found:
                found[f["severity"]].add(f["rule"])
        ok_all = True
        diffs = []
        for sev in ("fatal", "warning"):
            official = set(exp.get(sev) or [])
            official_ids[syn] |= official
            want = {r for r in official if r in impl}
            have = found[sev]
            for r in want & have:
                per_rule[r][0] += 1
            missing, extra = want - have, have - want
            for r in list(missing) + list(extra):
                if (rel, r) in known:
                    excepted += 1
                    missing.discard(r)
                    extra.discard(r)
            for r in missing:
                per_rule[r][1] += 1
            for r in extra:
                per_rule[r][2] += 1
            if missing or extra:
                ok_all = False
                diffs.append("%s: missing %s, extra %s" % (
                    sev, sorted(missing) or "-", sorted(extra) or "-"))
            else:
                agree[sev] += 1
        if not ok_all:
            bad.append((rel, diffs, got))

    n = len(entries)
    print("business rules against the official verdicts, %d corpus files"
          % n)
    for syn in ("ubl", "cii"):
        impl = ours[syn]
        seen = official_ids[syn]
        fams = collections.defaultdict(lambda: [0, 0])
        for r in seen:
            fams[family(r)][1] += 1
            if r in impl:
                fams[family(r)][0] += 1
        print("\n%s: %d rule ids written, %d of the %d ids the official run "
              "fired on the corpus" % (syn.upper(), len(impl),
                                       len(seen & set(impl)), len(seen)))
        print("  family      written/fired")
        for fam in sorted(fams):
            print("  %-10s %4d/%d" % (fam, fams[fam][0], fams[fam][1]))

    print("\nper rule (files where both fired / only official / only ours):")
    for r in sorted(per_rule):
        both, missing, extra = per_rule[r]
        mark = "" if not missing and not extra else "   <-- disagrees"
        print("  %-12s %5d %5d %5d%s" % (r, both, missing, extra, mark))

    print("\nfatal sets agree on %d of %d files (%s), warning sets on %d (%s)"
          % (agree["fatal"], n, "%.2f%%" % conflib.pct(agree["fatal"], n),
             agree["warning"], "%.2f%%" % conflib.pct(agree["warning"], n)))
    print("known exceptions counted: %d (%s)" % (excepted,
                                                 os.path.basename(EXCEPTIONS)))
    if bad:
        print("\nfiles that disagree (%d):" % len(bad))
        for rel, diffs, got in bad[:None if args.verbose else 40]:
            print("  %s\n      %s" % (rel, "\n      ".join(diffs)))
        if len(bad) > 40 and not args.verbose:
            print("  ... and %d more (--verbose lists them all)"
                  % (len(bad) - 40))

    ok = agree["fatal"] == n and agree["warning"] >= 0.99 * n
    print("\nRESULT: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
