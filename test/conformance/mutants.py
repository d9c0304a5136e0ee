#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mutants.py - schema verdicts on generated mutants: facture vs the official
XSDs.

Takes the schema-valid XML invoices of ../shared/corpus (UBL Invoice, UBL
CreditNote, CII), makes seeded, reproducible mutants of them by editing the
text (so that line numbers stay close to the source's), and has each mutant
judged twice:
  - the oracle: xmllint with the official schemas (../shared/reference/xsd);
  - us: facture validate (once, over all mutants, JSON report), or xmllint
    with our own schemas (--engine=xmllint-ours, for schema work before the
    C program exists).
A mutant is valid for us when layers.schema == "pass". The test passes when
both agree on at least 99% of the mutants and at least 2,000 were judged.

Mutation kinds:
  drop       remove one element (any but the root; the oracle decides whether
             it was required)
  duplicate  repeat one element right after itself
  swap       exchange two sibling elements of different names
  value      break the text of a date or a number (amount, quantity, rate...)
  insert     put an element where it does not belong: an unknown name in the
             parent's namespace, or a copy of an element from elsewhere
  graft      insert an element taken from another corpus invoice of the same
             syntax, into a parent of the same name that lacks it, after the
             sibling it follows there (often legal: tests that we are not
             too strict)
  namespace  move one element to another namespace (foreign, another one of
             the same standard, or none)
  attribute  remove an attribute, empty its value, or add an unknown one
Values (kind "value") are also set to lexical edge cases (leap day, time
zone, surrounding blanks, "+12.50", ".5"), most of which the XSD types accept,
so that some mutants stay valid and strictness is tested as well as laxity.

Exit status: 0 pass, 1 agreement below 99% or too few mutants judged, 2 the
test could not run, 77 skipped (../shared or xmllint absent).
"""

import argparse
import collections
import hashlib
import os
import random
import re
import sys
import tempfile
import time
import xml.parsers.expat

import conflib

KINDS = ("drop", "duplicate", "swap", "value", "insert", "graft",
         "namespace", "attribute")

# Share of the mutants per syntax (there are ten times fewer credit notes
# than invoices in the corpus, but their schema differs enough to matter).
SYNTAX_WEIGHT = (("ubl-invoice", 2), ("ubl-creditnote", 1), ("cii", 2))

MIN_JUDGED = 2000
MIN_AGREEMENT = 99.0
DEFAULT_COUNT = 2400
TRIES = 50  # attempts to make one mutant before giving up on it

UBL_NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:"
           "CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:"
           "CommonAggregateComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:"
           "CommonExtensionComponents-2",
}
CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:"
           "ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
FOREIGN_NS = "urn:facture:test:not-an-invoice-namespace"
FRESH_PREFIX = b"fxmut"

UNKNOWN_NAMES = ("FactureUnknown", "Remark", "InvoiceComment", "Extra",
                 "TotalAmountX", "IDX")

DATE_TEXT = re.compile(rb"^\s*(\d{4}-\d{2}-\d{2}|\d{8})\s*$")
NUMBER_TEXT = re.compile(rb"^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$")
NUMBER_NAME = re.compile(r"Amount|Quantity|Percent|Rate|Numeric|Measure|"
                         r"Total|Price|Factor")

BROKEN_DATES = (b"2023-02-30", b"2023-13-01", b"01.02.2023", b"2023/01/05",
                b"20230105", b"", b"2023-01-05T10:00:00", b"2023-1-5",
                b"tomorrow", b"2023-00-10", b"2023-02-29", b"2023-01-05+25:00")
BROKEN_NUMBERS = (b"12,50", b"1.234,56", b"EUR 12.00", b"1e3", b"",
                  b"12.5.0", b"--5", b"NaN", b"0x10", b"12 .50", b"1 000",
                  b"ten", b"INF", b"+-1")
# Unusual but well-typed: xs:date and xs:decimal accept these.
EDGE_DATES = (b"2024-02-29", b"2023-01-05Z", b"2023-01-05+02:00",
              b" 2023-01-05 ", b"2023-12-31-05:00", b"0001-01-01")
EDGE_NUMBERS = (b"+12.50", b"12.", b".5", b" 12.50 ", b"0012.50", b"-0",
                b"100000000000000000000.000001")
EDGE_SHARE = 0.3


# ------------------------------------------------------------ document index

class Node:
    """One element of a source document, located by byte offsets."""
    __slots__ = ("start", "stag_end", "etag_start", "end", "uri", "local",
                 "qname", "parent", "children")

    def __init__(self):
        self.children = []
        self.parent = None

    @property
    def prefix(self):
        p, sep, _ = self.qname.partition(b":")
        return p if sep else b""

    def is_leaf(self):
        return not self.children


def _tag_end(data, i):
    """Offset just past the '>' of the tag that starts at data[i] == '<'."""
    j = i + 1
    n = len(data)
    while j < n:
        c = data[j]
        if c == 0x3E:  # '>'
            return j + 1
        if c in (0x22, 0x27):  # quote: skip the attribute value
            j = data.index(bytes((c,)), j + 1)
        j += 1
    raise ValueError("unterminated tag at %d" % i)


_NAME_END = re.compile(rb"[\s/>]")


def index_document(data):
    """All elements of data in document order (root first)."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    nodes = []
    stack = []

    def on_start(name, attrs):
        i = parser.CurrentByteIndex
        if data[i:i + 1] != b"<":
            raise ValueError("expat offset %d is not a tag" % i)
        n = Node()
        n.start = i
        n.stag_end = _tag_end(data, i)
        uri, _, n.local = name.rpartition(" ")
        n.uri = uri or None
        n.qname = data[i + 1:i + 1 + _NAME_END.search(data, i + 1).start()
                       - (i + 1)]
        if stack:
            n.parent = stack[-1]
            stack[-1].children.append(n)
        stack.append(n)
        nodes.append(n)

    def on_end(name):
        n = stack.pop()
        if data[n.stag_end - 2:n.stag_end] == b"/>":
            n.etag_start = n.end = n.stag_end
        else:
            i = parser.CurrentByteIndex
            if data[i:i + 2] != b"</":
                raise ValueError("expat offset %d is not an end tag" % i)
            n.etag_start = i
            n.end = _tag_end(data, i)

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.Parse(data, True)
    return nodes


def well_formed(data):
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError:
        return False
    return True


def line_of(data, offset):
    return data.count(b"\n", 0, offset) + 1


def path_of(node):
    """An XPath-like location with the source's prefixes, 1-based indexes."""
    steps = []
    while node is not None:
        q = node.qname.decode("utf-8", "replace")
        if node.parent is None:
            steps.append("/" + q)
        else:
            same = [c for c in node.parent.children if c.qname == node.qname]
            steps.append("/%s[%d]" % (q, same.index(node) + 1))
        node = node.parent
    return "".join(reversed(steps))


def lead_start(data, node):
    """Start of the node including its line break and indentation, when it
    sits alone at the start of its line; else node.start."""
    k = node.start
    while k > 0 and data[k - 1] in b" \t":
        k -= 1
    if k > 0 and data[k - 1] == 0x0A:
        k -= 1
        if k > 0 and data[k - 1] == 0x0D:
            k -= 1
        return k
    return node.start


def indent_of(data, node):
    k = node.start
    while k > 0 and data[k - 1] in b" \t":
        k -= 1
    if k == 0 or data[k - 1] == 0x0A:
        return data[k:node.start]
    return b""


def where(data, node):
    return "line %d %s" % (line_of(data, node.start), path_of(node))


def q(node):
    return node.qname.decode("utf-8", "replace")


# ----------------------------------------------------------------- mutations
# Each takes (rng, data, nodes, syntax, pool) and returns (new bytes,
# description) or None when it does not apply to this document. pool holds
# the other sources of the same syntax, as (path, bytes, nodes).

def pick_element(rng, nodes):
    """Any element but the root. Half of the time a parent is drawn first,
    so that the small aggregates (whose children are often required) are
    not drowned by the many leaves of the invoice lines."""
    if rng.random() < 0.5:
        return rng.choice(nodes[1:])
    parent = rng.choice([n for n in nodes if n.children])
    return rng.choice(parent.children)


def mut_drop(rng, data, nodes, syntax, pool):
    node = pick_element(rng, nodes)
    a = lead_start(data, node)
    return (data[:a] + data[node.end:],
            "dropped %s at %s" % (q(node), where(data, node)))


def mut_duplicate(rng, data, nodes, syntax, pool):
    node = pick_element(rng, nodes)
    a = lead_start(data, node)
    copy = data[a:node.end]
    return (data[:node.end] + copy + data[node.end:],
            "duplicated %s at %s" % (q(node), where(data, node)))


def mut_swap(rng, data, nodes, syntax, pool):
    parents = [n for n in nodes
               if len(set(c.qname for c in n.children)) >= 2]
    if not parents:
        return None
    parent = rng.choice(parents)
    kids = parent.children
    if rng.random() < 0.6:
        pairs = [(x, y) for x, y in zip(kids, kids[1:]) if x.qname != y.qname]
        a, b = rng.choice(pairs)
    else:
        while True:
            a, b = sorted(rng.sample(range(len(kids)), 2))
            a, b = kids[a], kids[b]
            if a.qname != b.qname:
                break
    A = data[a.start:a.end]
    B = data[b.start:b.end]
    return (data[:a.start] + B + data[a.end:b.start] + A + data[b.end:],
            "swapped %s (%s) with %s (%s)"
            % (q(a), where(data, a), q(b), where(data, b)))


def mut_value(rng, data, nodes, syntax, pool):
    cands = []
    for n in nodes:
        if not n.is_leaf() or n.etag_start == n.stag_end:
            continue
        text = data[n.stag_end:n.etag_start]
        if DATE_TEXT.match(text) and ("Date" in n.local
                                      or "date" in n.local):
            cands.append((n, "date", text))
        elif NUMBER_TEXT.match(text) and NUMBER_NAME.search(n.local):
            cands.append((n, "number", text))
    if not cands:
        return None
    # Dates are far fewer than numbers: draw the category first.
    what = rng.choice(sorted(set(c[1] for c in cands)))
    node, what, old = rng.choice([c for c in cands if c[1] == what])
    edge = rng.random() < EDGE_SHARE
    if what == "date":
        table = EDGE_DATES if edge else BROKEN_DATES
    else:
        table = EDGE_NUMBERS if edge else BROKEN_NUMBERS
    new = rng.choice([t for t in table if t != old.strip()])
    return (data[:node.stag_end] + new + data[node.etag_start:],
            "%s %s of %s at %s: %r -> %r"
            % ("set unusual" if edge else "broke", what, q(node),
               where(data, node),
               old.decode("utf-8", "replace"), new.decode("utf-8")))


def mut_insert(rng, data, nodes, syntax, pool):
    parents = [n for n in nodes if n.children]
    parent = rng.choice(parents)
    kids = parent.children
    pos = rng.randrange(len(kids) + 1)
    if rng.random() < 0.5:
        name = rng.choice(UNKNOWN_NAMES).encode()
        qname = parent.prefix + b":" + name if parent.prefix else name
        elem = b"<" + qname + b">1</" + qname + b">"
        what = "unknown element %s" % qname.decode()
    else:
        src = rng.choice(nodes[1:])
        elem = data[src.start:src.end]
        what = "copy of %s from %s" % (q(src), where(data, src))
    if pos < len(kids):
        anchor = kids[pos]
        at = anchor.start
        text = elem + b"\n" + indent_of(data, anchor)
        place = "before %s" % q(anchor)
    else:
        anchor = kids[-1]
        at = anchor.end
        text = b"\n" + indent_of(data, anchor) + elem
        place = "after %s" % q(anchor)
    return (data[:at] + text + data[at:],
            "inserted %s into %s (%s), %s"
            % (what, q(parent), where(data, parent), place))


def mut_namespace(rng, data, nodes, syntax, pool):
    node = pick_element(rng, nodes)
    family = UBL_NS if syntax.startswith("ubl") else CII_NS
    choice = rng.random()
    prefix = None
    if choice < 0.4:
        uri = FOREIGN_NS
    elif choice < 0.85:
        others = [(p, u) for p, u in family.items() if u != node.uri]
        prefix, uri = rng.choice(others)
    else:
        uri = ""
    local = node.local.encode("utf-8")
    root_decl = b'xmlns:%s="%s"' % (prefix.encode(), uri.encode()) \
        if prefix else None
    if root_decl and root_decl in data[nodes[0].start:nodes[0].stag_end]:
        # The standard's usual prefix is bound on the root: use it.
        newq = prefix.encode() + b":" + local
        decl = b""
    elif uri:
        newq = FRESH_PREFIX + b":" + local
        decl = b" xmlns:" + FRESH_PREFIX + b'="' + uri.encode() + b'"'
    else:
        newq = local
        decl = b' xmlns=""'
    name_end = node.start + 1 + len(node.qname)
    stag = b"<" + newq + decl + data[name_end:node.stag_end]
    if node.etag_start == node.stag_end:  # empty element
        new = data[:node.start] + stag + data[node.stag_end:]
    else:
        new = (data[:node.start] + stag
               + data[node.stag_end:node.etag_start]
               + b"</" + newq + b">" + data[node.end:])
    return (new, "moved %s at %s from namespace %s to %s"
            % (q(node), where(data, node), node.uri,
               uri or "no namespace"))


_ATTR = re.compile(rb"""(\s+)([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')""")
UNKNOWN_ATTRS = (b"fxExtra", b"currency", b"schemeVersion", b"format")


def attributes_of(data, node):
    """[(match start, match end, name, value start, value end)], offsets in
    data, namespace declarations left out."""
    out = []
    stag = data[node.start:node.stag_end]
    for m in _ATTR.finditer(stag, 1 + len(node.qname)):
        name = m.group(2)
        if name == b"xmlns" or name.startswith(b"xmlns:"):
            continue
        out.append((node.start + m.start(), node.start + m.end(), name,
                    node.start + m.start(3) + 1, node.start + m.end(3) - 1))
    return out


def mut_attribute(rng, data, nodes, syntax, pool):
    choice = rng.random()
    if choice < 0.6:
        with_attrs = [n for n in nodes if attributes_of(data, n)]
        if not with_attrs:
            return None
        node = rng.choice(with_attrs)
        a0, a1, name, v0, v1 = rng.choice(attributes_of(data, node))
        name = name.decode("utf-8", "replace")
        if choice < 0.35:
            return (data[:a0] + data[a1:],
                    "removed attribute %s of %s at %s"
                    % (name, q(node), where(data, node)))
        return (data[:v0] + data[v1:],
                "emptied attribute %s=%r of %s at %s"
                % (name, data[v0:v1].decode("utf-8", "replace"), q(node),
                   where(data, node)))
    node = pick_element(rng, nodes)
    name = rng.choice(UNKNOWN_ATTRS)
    if rng.random() < 0.3:
        attr = (b' xmlns:fxatt="' + FOREIGN_NS.encode() + b'" fxatt:'
                + name + b'="1"')
        what = "foreign-namespace attribute fxatt:%s" % name.decode()
    else:
        attr = b" " + name + b'="1"'
        what = "unknown attribute %s" % name.decode()
    at = node.start + 1 + len(node.qname)
    if name.decode() in [a[2].decode() for a in attributes_of(data, node)]:
        return None
    return (data[:at] + attr + data[at:],
            "added %s to %s at %s" % (what, q(node), where(data, node)))


_NS_DECL = re.compile(rb"""xmlns(?::([^\s=]+))?\s*=\s*("[^"]*"|'[^']*')""")
_PREFIX_USE = re.compile(rb"</?(?:([A-Za-z_][\w.-]*):)?[A-Za-z_][\w.-]*[\s/>]")


def root_namespaces(data, nodes):
    """{prefix: uri} declared on the root element (b"" = default)."""
    stag = data[nodes[0].start:nodes[0].stag_end]
    return {(m.group(1) or b""): m.group(2)[1:-1]
            for m in _NS_DECL.finditer(stag)}


def mut_graft(rng, data, nodes, syntax, pool):
    # Most draws find no place to graft: try a few donors per call.
    for _ in range(20):
        res = _graft_once(rng, data, nodes, pool)
        if res is not None:
            return res
    return None


def _graft_once(rng, data, nodes, pool):
    rel, ddata, dnodes = rng.choice(pool)
    if ddata is data:
        return None
    x = pick_element(rng, dnodes)
    if x.parent is None or x.parent.parent is None:
        return None  # children of the root: graft deeper only
    key = lambda n: (n.uri, n.local)
    # Parents of the same name that lack this child: adding an element
    # the document does not have yet is the interesting (often legal) case.
    targets = [n for n in nodes if n.children and key(n) == key(x.parent)
               and all(key(c) != key(x) for c in n.children)]
    if not targets:
        return None
    parent = rng.choice(targets)
    sibs = x.parent.children
    k = sibs.index(x)
    text = ddata[x.start:x.end]
    if b"xmlns" in text:
        return None
    # Every prefix the graft uses must mean the same in both documents.
    ours, theirs = root_namespaces(data, nodes), root_namespaces(ddata, dnodes)
    for m in _PREFIX_USE.finditer(text):
        p = m.group(1) or b""
        if p not in theirs or ours.get(p) != theirs[p]:
            return None
    if k == 0:
        anchor = parent.children[0]
        at = anchor.start
        new = text + b"\n" + indent_of(data, anchor)
        place = "as first child"
    else:
        prev = [c for c in parent.children if key(c) == key(sibs[k - 1])]
        if not prev:
            return None
        anchor = prev[-1]
        at = anchor.end
        new = b"\n" + indent_of(data, anchor) + text
        place = "after %s" % q(anchor)
    return (data[:at] + new + data[at:],
            "grafted %s from %s line %d into %s (%s), %s"
            % (q(x), rel, line_of(ddata, x.start), q(parent),
               where(data, parent), place))


MUTATORS = {
    "graft": mut_graft,
    "attribute": mut_attribute,
    "drop": mut_drop,
    "duplicate": mut_duplicate,
    "swap": mut_swap,
    "value": mut_value,
    "insert": mut_insert,
    "namespace": mut_namespace,
}


# ------------------------------------------------------------------ generate

class Mutant:
    __slots__ = ("name", "path", "syntax", "kind", "source", "change",
                 "official", "official_msg", "ours", "ours_msg",
                 "ours_syntax", "inconsistency")


def load_sources(corpus, files):
    """{syntax: [(relative path, bytes, nodes)]} of the schema-valid files."""
    sources = collections.OrderedDict((s, []) for s in
                                      conflib.INVOICE_SYNTAXES)
    for rel, entry in conflib.corpus_xml_entries(files):
        syn = entry.get("syntax")
        if syn not in sources or entry.get("xsd_valid") is not True:
            continue
        with open(os.path.join(corpus, rel), "rb") as f:
            data = f.read()
        try:
            nodes = index_document(data)
        except (ValueError, xml.parsers.expat.ExpatError) as e:
            print("note: source %s skipped: %s" % (rel, e))
            continue
        if len(nodes) < 3:
            continue
        sources[syn].append((rel, data, nodes))
    return sources


def generate(sources, count, seed, outdir, syntaxes):
    rng = random.Random(seed)
    slots = [(syn, kind) for syn, w in SYNTAX_WEIGHT if syn in syntaxes
             for _ in range(w) for kind in KINDS]
    seen = set(hashlib.sha1(d).digest()
               for lst in sources.values() for _, d, _ in lst)
    mutants = []
    discarded = collections.Counter()
    for i in range(count):
        syn, kind = slots[i % len(slots)]
        if not sources[syn]:
            discarded["no source for " + syn] += 1
            continue
        for _ in range(TRIES):
            rel, data, nodes = rng.choice(sources[syn])
            res = MUTATORS[kind](rng, data, nodes, syn, sources[syn])
            if res is None:
                discarded["not applicable"] += 1
                continue
            new, change = res
            digest = hashlib.sha1(new).digest()
            if digest in seen:
                discarded["duplicate"] += 1
                continue
            if not well_formed(new):
                discarded["not well-formed"] += 1
                continue
            seen.add(digest)
            m = Mutant()
            m.name = "%05d-%s-%s.xml" % (i, syn, kind)
            m.path = os.path.join(outdir, m.name)
            m.syntax, m.kind, m.source, m.change = syn, kind, rel, change
            m.official = m.ours = m.official_msg = m.ours_msg = None
            m.ours_syntax = m.inconsistency = None
            with open(m.path, "wb") as f:
                f.write(new)
            mutants.append(m)
            break
        else:
            discarded["gave up"] += 1
    return mutants, discarded


# --------------------------------------------------------------------- judge

def judge_xmllint(mutants, schemas, xmllint, attr):
    by_syntax = collections.defaultdict(list)
    for m in mutants:
        by_syntax[m.syntax].append(m)
    for syn, ms in by_syntax.items():
        res = conflib.xmllint_judge(schemas[syn], [m.path for m in ms],
                                    xmllint)
        for m in ms:
            valid, msg = res[m.path]
            # No verdict (parse error): rejected, with xmllint's reason.
            setattr(m, attr, bool(valid))
            setattr(m, attr + "_msg", msg)


def judge_facture(mutants, facture, jobs):
    run = conflib.run_facture(facture, [m.path for m in mutants], jobs=jobs)
    for m in mutants:
        entry = run.files[m.path]
        m.ours, m.ours_msg, m.inconsistency = \
            conflib.facture_schema_verdict(entry)
        m.ours_syntax = entry.get("syntax")
    return run


# -------------------------------------------------------------------- report

def verdict_word(v):
    return {True: "valid", False: "invalid", None: "-"}[v]


def report(mutants, discarded, args, engine, seconds):
    judged = [m for m in mutants
              if m.official is not None and m.ours is not None]
    print("engine: %s" % engine)
    print("seed %s, %d mutants asked, %d made, %d judged"
          % (args.seed, args.count, len(mutants), len(judged)))
    if discarded:
        print("generator retries: %s" % ", ".join(
            "%s %d" % kv for kv in sorted(discarded.items())))
    print("time: generate %.1f s, official xmllint %.1f s, ours %.1f s"
          % seconds)
    print()

    syns = [s for s, _ in SYNTAX_WEIGHT if s in args.syntaxes]
    # Mutants and official rejections per kind and syntax.
    print("%-10s" % "kind" + "".join("%18s" % s for s in syns)
          + "%18s" % "all")
    print("%-10s" % "" + "%18s" % "made/rejected" * (len(syns) + 1))
    made = collections.Counter()
    rej = collections.Counter()
    for m in judged:
        for key in ((m.kind, m.syntax), (m.kind, "all"), ("all", m.syntax),
                    ("all", "all")):
            made[key] += 1
            rej[key] += not m.official
    for kind in KINDS + ("all",):
        print("%-10s" % kind + "".join(
            "%18s" % ("%d/%d" % (made[kind, s], rej[kind, s]))
            for s in syns + ["all"]))
    print()

    # Agreement per kind and overall.
    print("%-10s %7s %7s %9s %12s %12s" % ("kind", "judged", "agree",
                                           "agreement", "too strict",
                                           "too lax"))
    agree_all = 0
    for kind in KINDS + ("all",):
        ms = [m for m in judged if kind == "all" or m.kind == kind]
        agree = sum(m.official == m.ours for m in ms)
        strict = sum(m.official and not m.ours for m in ms)
        lax = sum(m.ours and not m.official for m in ms)
        if kind == "all":
            agree_all = agree
        print("%-10s %7d %7d %8.2f%% %12d %12d"
              % (kind, len(ms), agree, conflib.pct(agree, len(ms)),
                 strict, lax))
    for syn in syns:
        ms = [m for m in judged if m.syntax == syn]
        agree = sum(m.official == m.ours for m in ms)
        print("%-16s %d/%d agree (%.2f%%)" % (syn, agree, len(ms),
                                              conflib.pct(agree, len(ms))))
    print("(too strict: we reject what the official schema accepts; "
          "too lax: the reverse)")

    bad = [m for m in judged if m.official != m.ours]
    if bad:
        print()
        print("DISAGREEMENTS (%d):" % len(bad))
        for m in bad:
            print("  %s [%s %s] %s" % (m.name, m.kind, m.syntax, m.source))
            print("      change:   %s" % m.change)
            print("      official: %s%s" % (verdict_word(m.official),
                                           ": " + m.official_msg
                                           if m.official_msg else ""))
            print("      ours:     %s%s" % (verdict_word(m.ours),
                                           ": " + m.ours_msg
                                           if m.ours_msg else ""))
    wrong_syntax = [m for m in judged
                    if m.ours_syntax is not None
                    and m.ours_syntax != m.syntax]
    if wrong_syntax:
        print()
        print("NOTE: %d mutants detected as another syntax "
              "(not counted against agreement by itself):"
              % len(wrong_syntax))
        for m in wrong_syntax:
            print("  %s: %s, detected %s" % (m.name, m.syntax,
                                              m.ours_syntax))
    incons = [m for m in judged if m.inconsistency]
    if incons:
        print()
        print("INCONSISTENT REPORTS (%d):" % len(incons))
        for m in incons:
            print("  %s: %s (%s)" % (m.name, m.inconsistency,
                                     m.ours_msg or "-"))

    need = min(MIN_JUDGED, args.count)
    agreement = conflib.pct(agree_all, len(judged))
    ok = len(judged) >= need and agreement >= MIN_AGREEMENT and not incons
    print()
    print("agreement %.2f%% on %d mutants (need >= %.0f%% on >= %d)"
          % (agreement, len(judged), MIN_AGREEMENT, need))
    print("RESULT: %s" % ("PASS" if ok else "FAIL"))
    return ok


def write_manifest(mutants, outdir):
    with open(os.path.join(outdir, "manifest.tsv"), "w",
              encoding="utf-8") as f:
        f.write("mutant\tsyntax\tkind\tsource\tofficial\tours\tchange\t"
                "official_first\tours_first\n")
        for m in mutants:
            f.write("\t".join((m.name, m.syntax, m.kind, m.source,
                               verdict_word(m.official),
                               verdict_word(m.ours), m.change,
                               m.official_msg or "", m.ours_msg or ""))
                    + "\n")


# ---------------------------------------------------------------------- main

def parse_args():
    ap = argparse.ArgumentParser(
        description="Generate mutants of the schema-valid corpus invoices "
                    "and compare facture's schema verdicts with the official "
                    "XSDs (xmllint).")
    ap.add_argument("--facture", help="path to the facture program")
    ap.add_argument("--shared", default=None,
                    help="shared material (default: <repo>/../shared)")
    ap.add_argument("--count", type=int, default=DEFAULT_COUNT,
                    help="mutants to make (default %d)" % DEFAULT_COUNT)
    ap.add_argument("--seed", default="1",
                    help="random seed (default 1): same seed, same mutants")
    ap.add_argument("--keep", metavar="DIR", default=None,
                    help="write the mutants and manifest.tsv to DIR and keep "
                         "them (default: a temporary directory, removed)")
    ap.add_argument("--engine", default="facture",
                    choices=("facture", "xmllint-ours"),
                    help="who is compared with the official schemas")
    ap.add_argument("--xsd-dir", default=None,
                    help="our schemas, for --engine=xmllint-ours "
                         "(default: <repo>/xsd)")
    ap.add_argument("-j", "--jobs", type=int, default=2,
                    help="facture worker threads (default 2)")
    ap.add_argument("--syntax", default=",".join(conflib.INVOICE_SYNTAXES),
                    help="comma-separated syntaxes to mutate (default: all "
                         "of %s)" % ",".join(conflib.INVOICE_SYNTAXES))
    args = ap.parse_args()
    args.syntaxes = [s for s in args.syntax.split(",") if s]
    for s in args.syntaxes:
        if s not in conflib.INVOICE_SYNTAXES:
            ap.error("unknown syntax %r" % s)
    return args


def main():
    args = parse_args()
    if args.count < 1:
        conflib.die("--count must be positive")
    shared = os.path.abspath(args.shared or conflib.default_shared())
    if not os.path.isdir(shared):
        conflib.skip("shared material %s not found (expected beside the "
                     "repository, in ../shared)" % shared)
    xmllint = conflib.find_xmllint()
    if not xmllint:
        conflib.skip("xmllint not found (Debian package libxml2-utils)")
    corpus, files = conflib.load_expected(shared)
    ref = os.path.join(shared, "reference", "xsd")
    official = {s: os.path.join(ref, p)
                for s, p in conflib.OFFICIAL_XSD.items()}
    for p in official.values():
        if not os.path.isfile(p):
            conflib.skip("official schema %s not found" % p)

    if args.engine == "facture":
        facture = conflib.check_facture(args.facture)
        engine = "facture (%s)" % facture
    else:
        xsd_dir = os.path.abspath(args.xsd_dir or
                                  os.path.join(conflib.repo_root(), "xsd"))
        ours = {s: os.path.join(xsd_dir, p)
                for s, p in conflib.OUR_XSD.items() if s in args.syntaxes}
        for p in ours.values():
            if not os.path.isfile(p):
                conflib.die("our schema %s not found" % p)
        engine = "xmllint with our schemas in %s" % xsd_dir

    tmp = None
    if args.keep:
        outdir = os.path.abspath(args.keep)
        os.makedirs(outdir, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="facture-mutants-")
        outdir = tmp.name
    try:
        t0 = time.monotonic()
        sources = load_sources(corpus, files)
        print("sources: %s" % ", ".join("%s %d" % (s, len(v))
                                        for s, v in sources.items()))
        mutants, discarded = generate(sources, args.count, args.seed, outdir,
                                      args.syntaxes)
        t1 = time.monotonic()
        try:
            judge_xmllint(mutants, official, xmllint, "official")
        except RuntimeError as e:
            conflib.die(str(e))
        t2 = time.monotonic()
        try:
            if args.engine == "facture":
                judge_facture(mutants, facture, args.jobs)
            else:
                judge_xmllint(mutants, ours, xmllint, "ours")
        except RuntimeError as e:
            conflib.die(str(e))
        t3 = time.monotonic()
        ok = report(mutants, discarded, args, engine,
                    (t1 - t0, t2 - t1, t3 - t2))
        if args.keep:
            write_manifest(mutants, outdir)
            print("mutants kept in %s (see manifest.tsv)" % outdir)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
