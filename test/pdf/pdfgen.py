# SPDX-License-Identifier: MIT
"""pdfgen.py - a small PDF writer of our own for the tests, the example
file and the benchmark (standard library only).

It writes what facture's reader must understand: classic cross-reference
tables or cross-reference streams (with a PNG predictor), object streams,
incremental updates, name trees with /Kids, and Factur-X files (an
embedded invoice, its file specification, the catalog /AF array, XMP
metadata with the PDF/A and Factur-X properties, an output intent).  The
output is deterministic: no dates, no random IDs, so that a file made
twice is the same file.

This is not a PDF/A producer: fonts are not embedded and the output
intent has no ICC profile.  facture checks the Factur-X container (see
facture-validate(1)), not PDF/A conformance as a whole.
"""

import hashlib
import random
import zlib


class Stream:
    """A stream object: extra dictionary entries (a str such as
    "/Type /EmbeddedFile") and its data, Flate-compressed unless asked
    otherwise."""

    def __init__(self, entries, data, flate=True, predictor_columns=None):
        self.entries = entries
        self.raw = data
        if predictor_columns:
            data = png_up(data, predictor_columns)
            entries += (" /DecodeParms << /Predictor 12 /Columns %d >>"
                        % predictor_columns)
        if flate:
            data = zlib.compress(data, 9)
            entries += " /Filter /FlateDecode"
        self.full_entries = entries
        self.data = data

    def serialize(self):
        return (b"<< %s /Length %d >>\nstream\n"
                % (self.full_entries.encode("latin-1"), len(self.data)) +
                self.data + b"\nendstream")


def png_up(data, columns):
    """Rows of COLUMNS bytes with the PNG "Up" filter (type 2) before
    each."""
    out, prev = bytearray(), bytes(columns)
    for i in range(0, len(data), columns):
        row = data[i:i + columns].ljust(columns, b"\0")
        out.append(2)
        out += bytes((row[k] - prev[k]) & 0xFF for k in range(columns))
        prev = row
    return bytes(out)


def pdf_string(text):
    """A PDF text string: ASCII as a literal, anything else as UTF-16BE
    with a byte order mark, in hexadecimal."""
    try:
        raw = text.encode("ascii")
        if all(32 <= b < 127 for b in raw):
            return "(%s)" % text.replace("\\", "\\\\").replace(
                "(", "\\(").replace(")", "\\)")
    except UnicodeEncodeError:
        pass
    return "<FEFF%s>" % text.encode("utf-16-be").hex().upper()


def pdf_name(name):
    """A name, with #xx for what a name cannot hold."""
    out = ""
    for b in name.encode("utf-8"):
        c = chr(b)
        if 33 <= b <= 126 and c not in "()<>[]{}/%#":
            out += c
        else:
            out += "#%02X" % b
    return "/" + out


class Doc:
    """Objects by number; serialize() writes the whole file."""

    def __init__(self, version="1.7"):
        self.version = version
        self.objects = {}
        self.next = 1

    def reserve(self):
        n = self.next
        self.next += 1
        return n

    def set(self, num, body):
        self.objects[num] = body
        self.next = max(self.next, num + 1)
        return num

    def add(self, body):
        return self.set(self.reserve(), body)

    @staticmethod
    def _body(body):
        if isinstance(body, Stream):
            return body.serialize()
        return body.encode("latin-1") if isinstance(body, str) else body

    def serialize(self, root, info=None, xref="table", objstm=False,
                  file_id=True, trailer_extra=""):
        """The file: header, objects, then the cross-reference data as a
        table (xref="table") or a stream ("stream"); OBJSTM puts every
        object that is not a stream into one object stream (needs a
        cross-reference stream)."""
        out = bytearray(b"%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n"
                        % self.version.encode())
        offsets = {}  # num -> ("o", offset) or ("s", stream num, index)
        nums = sorted(self.objects)
        packed = []
        if objstm:
            packed = [n for n in nums
                      if not isinstance(self.objects[n], Stream)]
        for n in nums:
            if n in packed:
                continue
            offsets[n] = ("o", len(out))
            out += b"%d 0 obj\n" % n + self._body(self.objects[n]) + \
                b"\nendobj\n"
        if packed:
            head, body = [], bytearray()
            for n in packed:
                head.append("%d %d" % (n, len(body)))
                body += self._body(self.objects[n]) + b"\n"
            head = (" ".join(head) + "\n").encode()
            osnum = max(nums) + 1
            s = Stream("/Type /ObjStm /N %d /First %d" % (len(packed),
                                                          len(head)),
                       head + bytes(body))
            offsets[osnum] = ("o", len(out))
            out += b"%d 0 obj\n" % osnum + s.serialize() + b"\nendobj\n"
            for i, n in enumerate(packed):
                offsets[n] = ("s", osnum, i)
        ident = ""
        if file_id:
            h = hashlib.md5(bytes(out)).hexdigest().upper()
            ident = " /ID [<%s> <%s>]" % (h, h)
        trailer = "/Root %d 0 R%s%s%s" % (
            root, " /Info %d 0 R" % info if info else "", ident,
            trailer_extra)
        if xref == "table":
            size = max(offsets) + 1
            xref_at = len(out)
            out += b"xref\n0 %d\n0000000000 65535 f \n" % size
            for n in range(1, size):
                if n in offsets:
                    out += b"%010d 00000 n \n" % offsets[n][1]
                else:
                    out += b"0000000000 65535 f \n"
            out += b"trailer\n<< /Size %d %s >>\n" % (
                size, trailer.encode("latin-1"))
        else:
            xnum = max(offsets) + 1
            xref_at = len(out)
            offsets[xnum] = ("o", xref_at)
            size = xnum + 1
            rows = bytearray()
            for n in range(size):
                e = offsets.get(n)
                if e is None:
                    rows += bytes([0]) + (0).to_bytes(4, "big") + \
                        (65535 if n == 0 else 0).to_bytes(2, "big")
                elif e[0] == "o":
                    rows += bytes([1]) + e[1].to_bytes(4, "big") + \
                        (0).to_bytes(2, "big")
                else:
                    rows += bytes([2]) + e[1].to_bytes(4, "big") + \
                        e[2].to_bytes(2, "big")
            s = Stream("/Type /XRef /Size %d /W [1 4 2] %s"
                       % (size, trailer), bytes(rows), predictor_columns=7)
            out += b"%d 0 obj\n" % xnum + s.serialize() + b"\nendobj\n"
        out += b"startxref\n%d\n%%%%EOF\n" % xref_at
        return bytes(out)


def append_update(base, objects, root, size, trailer_extra=""):
    """An incremental update of BASE: OBJECTS ({num: body}) appended with
    a cross-reference table whose /Prev is BASE's last section."""
    prev = int(base[base.rindex(b"startxref") + 9:].split()[0])
    out = bytearray(base)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets = {}
    for n in sorted(objects):
        offsets[n] = len(out)
        out += b"%d 0 obj\n" % n + Doc._body(objects[n]) + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n"
    for n in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (n, offsets[n])
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d%s >>\n" % (
        size, root, prev, trailer_extra.encode("latin-1"))
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"


def xmp(part="3", conformance="B", level="EN 16931",
        file_name="factur-x.xml", doc_type="INVOICE", version="1.0",
        fx_ns=FX_NS, attributes=False):
    """An XMP packet with the PDF/A identification and the Factur-X
    properties (None leaves one out); ATTRIBUTES writes them as
    attributes of rdf:Description rather than as elements."""
    props = []
    if part is not None:
        props.append(("pdfaid", "part", part))
    if conformance is not None:
        props.append(("pdfaid", "conformance", conformance))
    fx = [("fx", k, v) for k, v in (("DocumentType", doc_type),
                                     ("DocumentFileName", file_name),
                                     ("Version", version),
                                     ("ConformanceLevel", level))
          if v is not None]
    if attributes:
        attrs = " ".join('%s:%s="%s"' % p for p in props + fx)
        desc = ('  <rdf:Description rdf:about="" '
                'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" '
                'xmlns:fx="%s" %s/>\n' % (fx_ns, attrs))
    else:
        desc = ('  <rdf:Description rdf:about="" '
                'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">\n' +
                "".join("   <%s:%s>%s</%s:%s>\n" % (a, b, c, a, b)
                        for a, b, c in props) +
                "  </rdf:Description>\n")
        if fx:
            desc += ('  <rdf:Description rdf:about="" xmlns:fx="%s">\n'
                     % fx_ns +
                     "".join("   <%s:%s>%s</%s:%s>\n" % (a, b, c, a, b)
                             for a, b, c in fx) +
                     "  </rdf:Description>\n")
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
            ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
            '22-rdf-syntax-ns#">\n' + desc +
            ' </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>'
            ).encode("utf-8")


def attachment(doc, name, data, mime="text/xml", relationship="Alternative",
               desc=None):
    """An embedded file and its file specification; returns the number of
    the file specification."""
    ef = doc.add(Stream("/Type /EmbeddedFile /Subtype %s /Params << /Size "
                        "%d /CheckSum <%s> >>"
                        % (pdf_name(mime), len(data),
                           hashlib.md5(data).hexdigest().upper()), data))
    spec = "<< /Type /Filespec /F %s /UF %s /EF << /F %d 0 R /UF %d 0 R >>" \
        % (pdf_string(name), pdf_string(name), ef, ef)
    if relationship:
        spec += " /AFRelationship /%s" % relationship
    if desc:
        spec += " /Desc %s" % pdf_string(desc)
    return doc.add(spec + " >>")


def name_tree(doc, entries, kids=0):
    """A name tree of ENTRIES ([(name, file spec number)], sorted); with
    KIDS > 0 the entries are spread over that many leaf nodes under a
    root node with /Kids."""
    entries = sorted(entries)
    if not kids:
        return doc.add("<< /Names [%s] >>" % " ".join(
            "%s %d 0 R" % (pdf_string(n), s) for n, s in entries))
    leaves = []
    per = max(1, -(-len(entries) // kids))
    for i in range(0, len(entries), per):
        part = entries[i:i + per]
        leaves.append(doc.add("<< /Limits [%s %s] /Names [%s] >>" % (
            pdf_string(part[0][0]), pdf_string(part[-1][0]),
            " ".join("%s %d 0 R" % (pdf_string(n), s) for n, s in part))))
    return doc.add("<< /Kids [%s] >>" % " ".join("%d 0 R" % k
                                                 for k in leaves))


def facturx(xml, name="factur-x.xml", level="EN 16931",
            relationship="Alternative", xref="table", objstm=False,
            extra=(), in_af=True, output_intent=True, metadata=None,
            kids=0, pad=0, title="Invoice", version="1.7"):
    """A Factur-X PDF around XML (bytes).  EXTRA: more attachments, as
    (name, data, mime, relationship).  METADATA: the XMP bytes (default:
    xmp(level=LEVEL, file_name=NAME)), or False for none.  PAD: about
    that many more bytes, as an image of noise, for size."""
    doc = Doc(version)
    font = doc.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    resources = "/Font << /F1 %d 0 R >>" % font
    ops = "BT /F1 18 Tf 72 760 Td %s Tj ET" % pdf_string(title)
    if pad:
        side = max(1, int(pad ** 0.5))
        rnd = random.Random(side)
        noise = bytes(rnd.getrandbits(8) for _ in range(side * side))
        img = doc.add(Stream("/Type /XObject /Subtype /Image /Width %d "
                             "/Height %d /ColorSpace /DeviceGray "
                             "/BitsPerComponent 8" % (side, side), noise,
                             flate=False))
        resources += " /XObject << /Im1 %d 0 R >>" % img
        ops += " q 200 0 0 200 72 400 cm /Im1 Do Q"
    content = doc.add(Stream("", ops.encode("latin-1")))
    pages = doc.reserve()
    page = doc.add("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                   "/Resources << %s >> /Contents %d 0 R >>"
                   % (pages, resources, content))
    doc.set(pages, "<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page)
    specs = []
    if xml is not None:
        specs.append((name, attachment(doc, name, xml,
                                       relationship=relationship,
                                       desc="Factur-X invoice")))
    for ename, data, mime, rel in extra:
        specs.append((ename, attachment(doc, ename, data, mime, rel)))
    catalog = "<< /Type /Catalog /Pages %d 0 R" % pages
    if specs:
        catalog += " /Names << /EmbeddedFiles %d 0 R >>" % name_tree(
            doc, specs, kids)
    if in_af and specs:
        catalog += " /AF [%s]" % " ".join("%d 0 R" % s for _, s in specs)
    if metadata is None:
        metadata = xmp(level=level, file_name=name)
    if metadata:
        catalog += " /Metadata %d 0 R" % doc.add(
            Stream("/Type /Metadata /Subtype /XML", metadata, flate=False))
    if output_intent:
        catalog += (" /OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1 "
                    "/OutputConditionIdentifier (sRGB IEC61966-2.1) "
                    "/Info (sRGB IEC61966-2.1) >>]")
    root = doc.add(catalog + " >>")
    info = doc.add("<< /Title %s /Producer (facture test suite) >>"
                   % pdf_string(title))
    return doc.serialize(root, info, xref=xref, objstm=objstm)
