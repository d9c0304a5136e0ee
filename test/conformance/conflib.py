# SPDX-License-Identifier: MIT
"""conflib.py - shared helpers of the schema conformance scripts.

Locates the repository and ../shared, reads the corpus verdicts, and runs the
two kinds of judges over a batch of files:
  - xmllint with a set of XSDs (the official ones, or ours under xsd/), one
    process per schema and batch of files;
  - facture itself, once over the whole batch (--files-from, JSON report).
Standard library only.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77  # ctest SKIP_RETURN_CODE
HARNESS_ERROR = 2  # the test could not run as asked (not a verdict)

INVOICE_SYNTAXES = ("ubl-invoice", "ubl-creditnote", "cii")

# Official schemas, relative to <shared>/reference/xsd.
OFFICIAL_XSD = {
    "ubl-invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "ubl-creditnote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    "cii": "cii-d16b/uncoupled_clm/CII/uncefact/data/standard/"
           "CrossIndustryInvoice_100pD16B.xsd",
}

# Our schemas, relative to the repository's xsd/ (or --xsd-dir).
OUR_XSD = {
    "ubl-invoice": "ubl/invoice.xsd",
    "ubl-creditnote": "ubl/creditnote.xsd",
    "cii": "cii/cii.xsd",
}

# Batch size for one xmllint process: keeps argv far below ARG_MAX.
XMLLINT_BATCH = 400


def repo_root():
    """The repository root, found from this file's place (test/conformance)."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.dirname(os.path.dirname(here))


def default_shared():
    return os.path.normpath(os.path.join(repo_root(), "..", "shared"))


def skip(msg):
    print("SKIP: " + msg)
    sys.stdout.flush()
    sys.exit(SKIP)


def die(msg):
    print("error: " + msg, file=sys.stderr)
    sys.exit(HARNESS_ERROR)


def load_expected(shared):
    """The corpus verdicts, or a SKIP exit when the corpus is absent."""
    corpus = os.path.join(shared, "corpus")
    path = os.path.join(corpus, "expected.json")
    if not os.path.isfile(path):
        skip("corpus verdicts %s not found (the shared corpus lives beside "
             "the repository in ../shared)" % path)
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return corpus, data["files"]


def corpus_xml_entries(files):
    """Sorted (relative path, entry) of the corpus XML files (xml/...)."""
    return [(p, e) for p, e in sorted(files.items()) if p.startswith("xml/")]


# ----------------------------------------------------------------- xmllint

_VERDICT = re.compile(r"^(.*) (validates|fails to validate)$")


def xmllint_judge(xsd, paths, xmllint="xmllint"):
    """Validate paths against xsd with xmllint.

    Returns {path: (valid or None, first message or None)}. valid is None
    when xmllint printed no verdict for that file (for instance a parse error
    stops it before validation); such files count as rejected by callers,
    with the message saying why.
    """
    result = {}
    for i in range(0, len(paths), XMLLINT_BATCH):
        batch = paths[i:i + XMLLINT_BATCH]
        proc = subprocess.run(
            [xmllint, "--noout", "--nonet", "--schema", xsd] + batch,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        err = proc.stderr.decode("utf-8", "replace")
        if "failed to compile" in err and proc.returncode == 5:
            raise RuntimeError("xmllint could not compile %s:\n%s"
                               % (xsd, _tail(err, 15)))
        wanted = set(batch)
        first = {}
        verdict = {}
        for line in err.splitlines():
            m = _VERDICT.match(line)
            if m and m.group(1) in wanted:
                verdict[m.group(1)] = m.group(2) == "validates"
                continue
            # "PATH:LINE: element X: Schemas validity error : ..." or
            # "PATH:LINE: parser error : ..."
            head, sep, _ = line.partition(":")
            if sep and head in wanted and head not in first:
                first[head] = line[len(head) + 1:].strip()
        for p in batch:
            v = verdict.get(p)
            msg = first.get(p)
            if v is None and msg is None:
                msg = "no verdict from xmllint (exit %d)" % proc.returncode
            result[p] = (v, msg)
    return result


def _tail(text, n):
    lines = text.splitlines()
    return "\n".join(lines[-n:])


def find_xmllint():
    return shutil.which("xmllint")


# ----------------------------------------------------------------- facture

class FactureRun:
    """One facture run over many files: per-path report entries."""

    def __init__(self, status, files, stderr, seconds):
        self.status = status
        self.files = files  # path -> file object of the JSON report
        self.stderr = stderr
        self.seconds = seconds


def run_facture(facture, paths, jobs=2, extra=()):
    """Run `facture validate --format=json --files-from=LIST` over paths.

    Raises RuntimeError when the run itself went wrong: usage or internal
    error exit, no JSON on stdout, or a report that does not list every
    input in order.
    """
    import time

    fd, listfile = tempfile.mkstemp(prefix="facture-conf-", suffix=".list")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for p in paths:
                f.write(p + "\n")
        cmd = [facture, "validate", "--format=json", "--color=never",
               "--files-from=" + listfile, "-j", str(jobs)] + list(extra)
        t0 = time.monotonic()
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        seconds = time.monotonic() - t0
    finally:
        os.unlink(listfile)
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode in (2, 6) or proc.returncode < 0:
        raise RuntimeError("%s exited with status %d:\n%s"
                           % (" ".join(cmd), proc.returncode,
                              _tail(stderr, 20)))
    try:
        report = json.loads(proc.stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise RuntimeError("facture did not print a JSON report (%s); "
                           "status %d, stderr:\n%s"
                           % (e, proc.returncode, _tail(stderr, 20)))
    entries = report.get("files")
    if not isinstance(entries, list) or len(entries) != len(paths):
        raise RuntimeError("facture reported %s files for %d inputs"
                           % (len(entries) if isinstance(entries, list)
                              else "no", len(paths)))
    files = {}
    for want, got in zip(paths, entries):
        if os.path.normpath(got.get("path") or "") != os.path.normpath(want):
            raise RuntimeError("report out of input order: expected %r, "
                               "got %r" % (want, got.get("path")))
        files[want] = got
    return FactureRun(proc.returncode, files, stderr, seconds)


STRUCTURE_LAYERS = ("input", "xml", "schema")


def facture_schema_verdict(entry):
    """(valid, first finding text, inconsistency or None) of one report entry.

    valid means layers.schema == "pass". The inconsistency is set when that
    disagrees with the findings (a fatal finding in input/xml/schema while the
    schema layer passed, or a failed schema layer without such a finding).
    """
    layers = entry.get("layers") or {}
    valid = layers.get("schema") == "pass"
    findings = entry.get("findings") or []
    fatal = [f for f in findings
             if f.get("severity") == "fatal"
             and f.get("layer") in STRUCTURE_LAYERS]
    inconsistency = None
    if valid and fatal:
        inconsistency = "schema layer passed but there is a fatal finding"
    elif not valid and not fatal:
        inconsistency = ("schema layer is %r but there is no fatal finding "
                         "in input/xml/schema" % layers.get("schema"))
    first = fatal[0] if fatal else (findings[0] if findings else None)
    return valid, format_finding(first), inconsistency


def format_finding(f):
    if not f:
        return None
    where = ""
    if f.get("line"):
        where = "%s:%s: " % (f.get("line"), f.get("column") or 0)
    return "%s%s[%s/%s]: %s" % (where, f.get("severity"), f.get("rule"),
                                 f.get("layer"), f.get("message"))


def check_facture(path):
    if not path:
        die("--facture PATH is required with --engine=facture")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        die("facture program %r not found or not executable "
            "(build it with `make` in the repository)" % path)
    return os.path.abspath(path)


def pct(n, d):
    return 100.0 * n / d if d else 100.0
