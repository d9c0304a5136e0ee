#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ubl_syntax_rules.py - the UBL syntax rules on invoices made to break them.

The corpus (corpus_rules.py) makes only some of the UBL syntax rules fire.
This test breaks each of them on purpose, starting from the valid examples
of examples/, and checks what facture reports:

- UBL-CR (elements and attributes outside EN 16931) and UBL-DT-08 to -28
  (attributes outside EN 16931): the message of each rule, as
  `facture rules -f json` lists it, names the element or attribute and where
  it is: "X in the invoice", "X in P", "X in an invoice line", "X in P of an
  invoice line", "X in any P", "X" (anywhere), "the A attribute of X in ...".
  For every rule the test puts that node into an example and validates it.
  Its oracle is an evaluation of all those paths in Python (ElementTree) on
  the same document: the set of UBL-CR and UBL-DT ids facture reports must
  be the set of paths found, no more, no less; so a rule that fires on the
  wrong node fails too.  The few rules whose test is not "this node is
  there" (UBL-CR-002, -412, -665, -666, -673, UBL-DT-18) have their own
  cases, both ways;
- UBL-SR (cardinalities), UBL-DT-01, -06, -07 and some code list rules
  (BR-CL): a table of edits that must make a given rule fire, or not.

Usage: ubl_syntax_rules.py --facture PATH
Exit status: 0 pass, 1 fail, 2 the test could not run.
"""

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
}
INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDITNOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
LINES = ("{%s}InvoiceLine" % NS["cac"], "{%s}CreditNoteLine" % NS["cac"])
# rules whose official test is more than "this node is there"
SPECIAL = {"UBL-CR-002", "UBL-CR-412", "UBL-CR-665", "UBL-CR-666",
           "UBL-CR-673", "UBL-DT-18"}


def qname(step):
    prefix, local = step.split(":")
    return "{%s}%s" % (NS[prefix], local)


def die(msg):
    print("error: " + msg, file=sys.stderr)
    sys.exit(2)


# ---- where a rule's message says its node is -----------------------------

class Where:
    """anchor: root, line or any; steps: element names from the anchor;
    attr: the attribute, or None for the element itself."""

    def __init__(self, anchor, steps, attr=None):
        self.anchor, self.steps, self.attr = anchor, steps, attr

    def found(self, ix):
        """Does the document (an Index) hold such a node?"""
        if not self.steps:
            return any(self.attr in el.attrib for el in ix.elements)
        want = [qname(s) for s in self.steps]
        for el in ix.by_tag.get(want[-1], ()):
            if self.attr is not None and self.attr not in el.attrib:
                continue
            node = el
            for tag in reversed(want[:-1]):
                node = ix.parent.get(node)
                if node is None or node.tag != tag:
                    break
            else:
                up = ix.parent.get(node)
                if self.anchor == "root" and up is not ix.root:
                    continue
                if self.anchor == "line" and (
                        up is None or up.tag not in LINES
                        or ix.parent.get(up) is not ix.root):
                    continue
                return True
        return False


class Index:
    """A document's elements, by name and with their parents."""

    def __init__(self, doc):
        self.root = doc.getroot()
        self.elements = list(self.root.iter())
        self.parent = {c: p for p in self.elements for c in p}
        self.by_tag = {}
        for el in self.elements:
            self.by_tag.setdefault(el.tag, []).append(el)


def where_of(rule):
    """The node a UBL-CR or UBL-DT rule is about, read from its message."""
    m = rule["message"]
    if rule["id"].startswith("UBL-DT-"):
        a = re.match(r"the (\w+) attribute of \{name\(\.\.\)\} is not part", m)
        return Where("any", [], a.group(1)) if a else None
    a = re.match(r"the (\w+) attribute is not part of EN 16931$", m)
    if a:
        return Where("any", [], a.group(1))
    attr = None
    a = re.match(r"the (\w+) attribute of (\S+) (in .*|is not part of EN 16931)$",
                 m)
    if a:
        attr, m = a.group(1), "%s %s" % (a.group(2), a.group(3))
    e = re.match(r"(\S+) is not part of EN 16931$", m)
    if e:
        return Where("any", [e.group(1)], attr)
    e = re.match(r"(\S+) in (.+) is not part of EN 16931$", m)
    if not e:
        return None
    node, where = e.group(1), e.group(2)
    if where == "the invoice":
        return Where("root", [node], attr)
    if where == "an invoice line":
        return Where("line", [node], attr)
    if where.endswith(" of an invoice line"):
        return Where("line", where[:-len(" of an invoice line")].split("/")
                     + [node], attr)
    if where.startswith("any "):
        return Where("any", where[4:].split("/") + [node], attr)
    return Where("root", where.split("/") + [node], attr)


# ---- documents ---------------------------------------------------------------

def load(name):
    return ET.parse(os.path.join(ROOT, "examples", name))


def child(parent, tag):
    """The first child named tag, made when there is none."""
    for c in parent:
        if c.tag == tag:
            return c
    return ET.SubElement(parent, tag)


def anchor_of(doc, anchor):
    root = doc.getroot()
    if anchor == "line":
        for c in root:
            if c.tag in LINES:
                return c
        return ET.SubElement(root, LINES[0])
    return root


def plant(w):
    """An example with the node W names added."""
    first = qname(w.steps[0]) if w.steps else None
    doc = load("invoice-ubl.xml")
    if first and w.anchor == "root" and all(c.tag != first
                                            for c in doc.getroot()):
        other = load("creditnote-ubl.xml")
        if any(c.tag == first for c in other.getroot()):
            doc = other
    node = anchor_of(doc, w.anchor)
    if not w.steps:       # an attribute anywhere: on the invoice number
        node = child(node, qname("cbc:ID"))
        node.set(w.attr, "x")
        return doc
    for step in w.steps[:-1]:
        node = child(node, qname(step))
    last = qname(w.steps[-1])
    if w.attr is not None:
        node = child(node, last)
        node.set(w.attr, "x")
    else:
        ET.SubElement(node, last).text = "1"
    return doc


def snippet(xml):
    """Elements from a text where the prefixes cac, cbc and ext are bound."""
    decl = " ".join('xmlns:%s="%s"' % kv for kv in NS.items())
    return list(ET.fromstring("<r %s>%s</r>" % (decl, xml)))


def edit(base, parent, xml, times=1):
    """BASE (an example) with XML added TIMES under PARENT, a path of
    element names from the root ('' the root, 'LINE' the first line)."""
    doc = load(base)
    node = doc.getroot()
    for step in filter(None, parent.split("/")):
        node = anchor_of(doc, "line") if step == "LINE" else child(node, qname(step))
    for _ in range(times):
        for el in snippet(xml):
            node.append(copy.deepcopy(el))
    return doc


# ---- the cases of the tables ---------------------------------------------------

INV, CN = "invoice-ubl.xml", "creditnote-ubl.xml"
ASP = "cac:AccountingSupplierParty/cac:Party"
ACP = "cac:AccountingCustomerParty/cac:Party"
VAT_REG = ("<cac:PartyTaxScheme><cbc:CompanyID>FR00123456789</cbc:CompanyID>"
           "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>")
PAYEE = "<cac:PayeeParty><cac:PartyName><cbc:Name>Payee</cbc:Name></cac:PartyName>%s</cac:PayeeParty>"

# (rule, fires?, base, parent, xml, times)
CASES = [
    ("UBL-SR-01", True, INV, "", "<cac:ContractDocumentReference><cbc:ID>C</cbc:ID></cac:ContractDocumentReference>", 2),
    ("UBL-SR-02", True, INV, "", "<cac:ReceiptDocumentReference><cbc:ID>R</cbc:ID></cac:ReceiptDocumentReference>", 2),
    ("UBL-SR-03", True, INV, "", "<cac:DespatchDocumentReference><cbc:ID>D</cbc:ID></cac:DespatchDocumentReference>", 2),
    ("UBL-SR-04", True, INV, "", "<cac:AdditionalDocumentReference><cbc:ID>O</cbc:ID><cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:AdditionalDocumentReference>", 2),
    ("UBL-SR-05", True, INV, "", "<cac:PaymentTerms><cbc:Note>30 days</cbc:Note></cac:PaymentTerms>", 2),
    ("UBL-SR-06", True, INV, "cac:BillingReference", "<cac:InvoiceDocumentReference><cbc:ID>P</cbc:ID></cac:InvoiceDocumentReference>", 2),
    ("UBL-SR-07", True, INV, "", "<cac:BillingReference><cac:InvoiceDocumentReference><cbc:IssueDate>2025-01-02</cbc:IssueDate></cac:InvoiceDocumentReference></cac:BillingReference>", 1),
    ("UBL-SR-07", False, INV, "", "<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>P</cbc:ID></cac:InvoiceDocumentReference></cac:BillingReference>", 1),
    ("UBL-SR-08", True, INV, "", "<cac:InvoicePeriod><cbc:StartDate>2025-01-01</cbc:StartDate></cac:InvoicePeriod>", 2),
    ("UBL-SR-09", True, INV, ASP + "/cac:PartyLegalEntity", "<cbc:RegistrationName>Other</cbc:RegistrationName>", 1),
    ("UBL-SR-10", True, INV, ASP, "<cac:PartyName><cbc:Name>T</cbc:Name></cac:PartyName>", 2),
    ("UBL-SR-11", True, INV, ASP + "/cac:PartyLegalEntity", "<cbc:CompanyID>1</cbc:CompanyID>", 2),
    ("UBL-SR-12", True, INV, ASP, VAT_REG, 2),
    ("UBL-SR-13", True, INV, ASP, "<cac:PartyTaxScheme><cbc:CompanyID>T1</cbc:CompanyID><cac:TaxScheme><cbc:ID>FC</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>", 2),
    ("UBL-SR-14", True, INV, ASP + "/cac:PartyLegalEntity", "<cbc:CompanyLegalForm>SA</cbc:CompanyLegalForm>", 2),
    ("UBL-SR-15", True, INV, ACP + "/cac:PartyLegalEntity", "<cbc:RegistrationName>Other</cbc:RegistrationName>", 1),
    ("UBL-SR-16", True, INV, ACP, "<cac:PartyIdentification><cbc:ID>B</cbc:ID></cac:PartyIdentification>", 2),
    ("UBL-SR-17", True, INV, ACP + "/cac:PartyLegalEntity", "<cbc:CompanyID>1</cbc:CompanyID>", 2),
    ("UBL-SR-18", True, INV, ACP, VAT_REG, 2),
    ("UBL-SR-19", True, INV, "", PAYEE % "<cac:PartyName><cbc:Name>Second</cbc:Name></cac:PartyName>", 1),
    ("UBL-SR-19", False, INV, "", PAYEE % "", 1),
    ("UBL-SR-20", True, INV, "", PAYEE % "<cac:PartyIdentification><cbc:ID>1</cbc:ID></cac:PartyIdentification><cac:PartyIdentification><cbc:ID>2</cbc:ID></cac:PartyIdentification>", 1),
    ("UBL-SR-21", True, INV, "", PAYEE % "<cac:PartyLegalEntity><cbc:CompanyID>1</cbc:CompanyID><cbc:CompanyID>2</cbc:CompanyID></cac:PartyLegalEntity>", 1),
    ("UBL-SR-22", True, INV, "cac:TaxRepresentativeParty/cac:Party", "<cac:PartyName><cbc:Name>R</cbc:Name></cac:PartyName>", 2),
    ("UBL-SR-23", True, INV, "cac:TaxRepresentativeParty/cac:Party", VAT_REG, 2),
    ("UBL-SR-24", True, INV, "", "<cac:Delivery><cbc:ActualDeliveryDate>2025-01-02</cbc:ActualDeliveryDate></cac:Delivery>", 2),
    ("UBL-SR-25", True, INV, "cac:Delivery/cac:DeliveryParty", "<cac:PartyName><cbc:Name>D</cbc:Name></cac:PartyName>", 2),
    ("UBL-SR-26", True, INV, "cac:PaymentMeans", "<cbc:PaymentID>X1</cbc:PaymentID>", 2),
    ("UBL-SR-27", True, INV, "cac:PaymentMeans", "<cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>", 1),
    ("UBL-SR-28", True, INV, "cac:PaymentMeans", "<cac:PaymentMandate><cbc:ID>M</cbc:ID></cac:PaymentMandate>", 2),
    ("UBL-SR-29", True, INV, ASP, "<cac:PartyIdentification><cbc:ID schemeID=\"SEPA\">S</cbc:ID></cac:PartyIdentification>", 2),
    ("UBL-SR-30", True, INV, "", "<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:AllowanceChargeReason>a</cbc:AllowanceChargeReason><cbc:AllowanceChargeReason>b</cbc:AllowanceChargeReason></cac:AllowanceCharge>", 1),
    ("UBL-SR-31", True, INV, "", "<cac:AllowanceCharge><cbc:ChargeIndicator> 1 </cbc:ChargeIndicator><cbc:AllowanceChargeReason>a</cbc:AllowanceChargeReason><cbc:AllowanceChargeReason>b</cbc:AllowanceChargeReason></cac:AllowanceCharge>", 1),
    ("UBL-SR-32", True, INV, "cac:TaxTotal/cac:TaxSubtotal", "<cac:TaxCategory><cbc:TaxExemptionReason>a</cbc:TaxExemptionReason><cbc:TaxExemptionReason>b</cbc:TaxExemptionReason></cac:TaxCategory>", 1),
    ("UBL-SR-33", True, INV, "", "<cac:AdditionalDocumentReference><cbc:ID>A</cbc:ID><cbc:DocumentDescription>a</cbc:DocumentDescription><cbc:DocumentDescription>b</cbc:DocumentDescription></cac:AdditionalDocumentReference>", 1),
    ("UBL-SR-34", True, INV, "LINE", "<cbc:Note>n</cbc:Note>", 2),
    ("UBL-SR-35", True, INV, "LINE", "<cac:OrderLineReference><cbc:LineID>1</cbc:LineID></cac:OrderLineReference>", 2),
    ("UBL-SR-36", True, INV, "LINE", "<cac:InvoicePeriod><cbc:StartDate>2025-01-01</cbc:StartDate></cac:InvoicePeriod>", 2),
    ("UBL-SR-37", True, INV, "LINE/cac:Price", "<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:Amount currencyID=\"EUR\">1</cbc:Amount></cac:AllowanceCharge>", 2),
    ("UBL-SR-39", True, INV, "", "<cac:ProjectReference><cbc:ID>P</cbc:ID></cac:ProjectReference>", 2),
    ("UBL-SR-40", True, INV, ACP, "<cac:PartyName><cbc:Name>B</cbc:Name></cac:PartyName>", 2),
    ("UBL-SR-42", True, INV, ASP, VAT_REG, 3),
    ("UBL-SR-43", True, INV, "", "<cac:AdditionalDocumentReference><cbc:ID schemeID=\"AAB\">A</cbc:ID></cac:AdditionalDocumentReference>", 1),
    ("UBL-SR-43", False, INV, "", "<cac:AdditionalDocumentReference><cbc:ID schemeID=\"AAB\">A</cbc:ID><cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:AdditionalDocumentReference>", 1),
    ("UBL-SR-43", False, CN, "", "<cac:AdditionalDocumentReference><cbc:ID schemeID=\"AAB\">A</cbc:ID><cbc:DocumentTypeCode>50</cbc:DocumentTypeCode></cac:AdditionalDocumentReference>", 1),
    ("UBL-SR-44", True, INV, "", "<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode><cbc:PaymentID>OTHER</cbc:PaymentID></cac:PaymentMeans>", 1),
    ("UBL-SR-45", True, INV, "cac:PaymentMeans", "<cbc:PaymentDueDate>2025-01-02</cbc:PaymentDueDate>", 2),
    ("UBL-SR-46", True, INV, "", "<cac:PaymentMeans><cbc:PaymentMeansCode name=\"transfer\">30</cbc:PaymentMeansCode></cac:PaymentMeans>", 2),
    ("UBL-SR-47", True, INV, "", "<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode></cac:PaymentMeans>", 1),
    ("UBL-SR-47", False, INV, "", "<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode></cac:PaymentMeans>", 1),
    ("UBL-SR-48", True, INV, "LINE/cac:Item", "<cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID></cac:ClassifiedTaxCategory>", 1),
    ("UBL-SR-49", True, INV, "cac:InvoicePeriod", "<cbc:DescriptionCode>3</cbc:DescriptionCode>", 2),
    ("UBL-SR-50", True, INV, "LINE/cac:Item", "<cbc:Description>d</cbc:Description>", 2),
    ("UBL-SR-51", True, INV, ASP + "/cac:PostalAddress", "<cac:AddressLine><cbc:Line>l</cbc:Line></cac:AddressLine>", 2),
    ("UBL-SR-51", False, INV, ASP + "/cac:PostalAddress", "<cac:AddressLine><cbc:Line>l</cbc:Line></cac:AddressLine>", 1),
    ("UBL-SR-52", True, INV, "LINE", "<cac:DocumentReference><cbc:ID>d</cbc:ID></cac:DocumentReference>", 2),
    ("UBL-SR-53", True, INV, ACP, "<cac:PartyTaxScheme><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>", 1),
    ("UBL-SR-53", True, INV, ACP, "<cac:PartyTaxScheme><cbc:CompanyID>FR1</cbc:CompanyID></cac:PartyTaxScheme>", 1),
    ("UBL-SR-54", True, INV, "", "<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode><cac:CardAccount><cbc:PrimaryAccountNumberID>1234</cbc:PrimaryAccountNumberID><cbc:NetworkID>VISA</cbc:NetworkID></cac:CardAccount></cac:PaymentMeans>", 2),
    ("UBL-SR-54", False, INV, "", "<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode><cac:CardAccount><cbc:PrimaryAccountNumberID>1234</cbc:PrimaryAccountNumberID><cbc:NetworkID>VISA</cbc:NetworkID></cac:CardAccount></cac:PaymentMeans>", 1),
    ("UBL-SR-55", True, INV, "", "<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode><cac:PaymentMandate><cbc:ID>M</cbc:ID></cac:PaymentMandate></cac:PaymentMeans>", 2),
    ("UBL-SR-56", True, INV, "", "<cac:OriginatorDocumentReference><cbc:ID>L</cbc:ID></cac:OriginatorDocumentReference>", 2),
    ("UBL-SR-56", False, INV, "", "<cac:OriginatorDocumentReference><cbc:ID>L</cbc:ID></cac:OriginatorDocumentReference>", 1),
    ("UBL-DT-01", True, INV, "", "<cbc:Amount currencyID=\"EUR\">1.005</cbc:Amount>", 1),
    ("UBL-DT-01", False, INV, "LINE/cac:Price", "<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:Amount currencyID=\"EUR\">1.005</cbc:Amount></cac:AllowanceCharge>", 1),
    ("UBL-DT-01", True, INV, "", "<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><TotalAmount xmlns=\"urn:x\">1.234</TotalAmount></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>", 1),
    ("UBL-DT-06", True, INV, "", "<cac:AdditionalDocumentReference><cbc:ID>A</cbc:ID><cac:Attachment><cbc:EmbeddedDocumentBinaryObject filename=\"a.pdf\">QQ==</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>", 1),
    ("UBL-DT-07", True, INV, "", "<cac:AdditionalDocumentReference><cbc:ID>A</cbc:ID><cac:Attachment><cbc:EmbeddedDocumentBinaryObject mimeCode=\"application/pdf\">QQ==</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>", 1),
    # the rules whose test is more than "this node is there"
    ("UBL-CR-002", True, INV, "", "<cbc:UBLVersionID>2.2</cbc:UBLVersionID>", 1),
    ("UBL-CR-002", False, INV, "", "<cbc:UBLVersionID>2.1</cbc:UBLVersionID>", 1),
    ("UBL-CR-412", True, INV, "cac:PaymentMeans", "<cbc:PaymentDueDate>2025-01-02</cbc:PaymentDueDate>", 1),
    ("UBL-CR-412", False, CN, "cac:PaymentMeans", "<cbc:PaymentDueDate>2025-01-02</cbc:PaymentDueDate>", 1),
    ("UBL-CR-665", True, INV, "", "<cac:AdditionalDocumentReference><cbc:ID schemeID=\"AAB\">A</cbc:ID><cbc:DocumentTypeCode>916</cbc:DocumentTypeCode></cac:AdditionalDocumentReference>", 1),
    ("UBL-CR-665", False, INV, "", "<cac:AdditionalDocumentReference><cbc:ID schemeID=\"AAB\">A</cbc:ID><cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:AdditionalDocumentReference>", 1),
    ("UBL-CR-666", True, INV, "", "<cac:AdditionalDocumentReference><cbc:ID>A</cbc:ID><cbc:DocumentTypeCode>130</cbc:DocumentTypeCode><cac:Attachment/></cac:AdditionalDocumentReference>", 1),
    ("UBL-CR-666", False, INV, "", "<cac:AdditionalDocumentReference><cbc:ID>A</cbc:ID><cac:Attachment/></cac:AdditionalDocumentReference>", 1),
    ("UBL-CR-673", True, INV, "", "<cac:AdditionalDocumentReference><cbc:ID>A</cbc:ID><cbc:DocumentTypeCode>130</cbc:DocumentTypeCode><cbc:DocumentDescription>d</cbc:DocumentDescription></cac:AdditionalDocumentReference>", 1),
    ("UBL-CR-673", False, INV, "", "<cac:AdditionalDocumentReference><cbc:ID>A</cbc:ID><cbc:DocumentDescription>d</cbc:DocumentDescription></cac:AdditionalDocumentReference>", 1),
    ("UBL-DT-18", True, INV, ACP, "<cac:PartyIdentification><cbc:ID name=\"n\">B</cbc:ID></cac:PartyIdentification>", 1),
    ("UBL-DT-18", False, INV, "", "<cac:PaymentMeans><cbc:PaymentMeansCode name=\"transfer\">30</cbc:PaymentMeansCode></cac:PaymentMeans>", 1),
    # code lists: how a code is read
    ("BR-CL-01", True, INV, "", "<cbc:InvoiceTypeCode>381</cbc:InvoiceTypeCode>", 1),
    ("BR-CL-03", True, INV, "", "<cbc:Amount>1</cbc:Amount>", 1),
    ("BR-CL-03", False, INV, "", "<cbc:Amount currencyID=\" EUR \">1</cbc:Amount>", 1),
    ("BR-CL-10", True, INV, ACP, "<cac:PartyIdentification><cbc:ID schemeID=\"SEPA\">S</cbc:ID></cac:PartyIdentification>", 1),
    ("BR-CL-10", False, INV, ASP, "<cac:PartyIdentification><cbc:ID schemeID=\"SEPA\">S</cbc:ID></cac:PartyIdentification>", 1),
    ("BR-CL-19", True, INV, "", "<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:AllowanceChargeReasonCode>ZZZ</cbc:AllowanceChargeReasonCode></cac:AllowanceCharge>", 1),
    ("BR-CL-20", False, INV, "", "<cac:AllowanceCharge><cbc:ChargeIndicator>true</cbc:ChargeIndicator><cbc:AllowanceChargeReasonCode>ZZZ</cbc:AllowanceChargeReasonCode></cac:AllowanceCharge>", 1),
    ("BR-CL-22", False, INV, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", "<cbc:TaxExemptionReasonCode>vatex-eu-ic</cbc:TaxExemptionReasonCode>", 1),
    ("BR-CL-24", True, INV, "", "<cac:AdditionalDocumentReference><cbc:ID>A</cbc:ID><cac:Attachment><cbc:EmbeddedDocumentBinaryObject mimeCode=\"application/pdf \" filename=\"a.pdf\">QQ==</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>", 1),
    ("BR-CL-26", True, INV, "cac:Delivery/cac:DeliveryLocation", "<cbc:ID schemeID=\"9999\">L</cbc:ID>", 1),
    ("BR-CL-26", False, INV, "cac:Delivery/cac:DeliveryLocation", "<cbc:ID schemeID=\"0088\">L</cbc:ID>", 1),
]


# ---- running facture -----------------------------------------------------------

def write(doc, path):
    ns = CREDITNOTE if doc.getroot().tag.startswith("{%s}" % CREDITNOTE) \
        else INVOICE
    ET.register_namespace("", ns)
    for p, uri in NS.items():
        ET.register_namespace(p, uri)
    doc.write(path, encoding="UTF-8", xml_declaration=True)


def validate(facture, paths):
    """path -> {rule id: flag} of the rules layer, one facture run."""
    fd, listing = tempfile.mkstemp(suffix=".list")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(paths) + "\n")
    try:
        p = subprocess.run([facture, "validate", "-f", "json", "-j", "2",
                            "--files-from=" + listing],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    finally:
        os.unlink(listing)
    if p.returncode not in (0, 1):
        die("facture validate exited with %d: %s"
            % (p.returncode, p.stderr.decode("utf-8", "replace")[-2000:]))
    out = {}
    for f in json.loads(p.stdout)["files"]:
        out[f["path"]] = {x["rule"]: x["severity"] for x in f["findings"]
                          if x["layer"] == "rules"}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--facture", required=True)
    args = ap.parse_args()

    p = subprocess.run([args.facture, "rules", "-f", "json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        die("facture rules failed")
    rules = [r for r in json.loads(p.stdout) if r["set"] == "en16931-ubl"]
    flags = {r["id"]: r["flag"] for r in rules}
    where = {}
    for r in rules:
        if not re.match(r"UBL-(CR|DT)-\d+$", r["id"]) or r["id"] == "UBL-DT-01":
            continue
        if r["id"] in ("UBL-DT-06", "UBL-DT-07") or r["id"] in SPECIAL:
            continue
        w = where_of(r)
        if w is None:
            die("cannot read where %s applies from its message: %r"
                % (r["id"], r["message"]))
        where[r["id"]] = w
    if len(where) < 650:
        die("only %d UBL-CR/UBL-DT rules found" % len(where))

    def oracle(doc):
        ix = Index(doc)
        return {rid for rid, w in where.items() if w.found(ix)}

    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        docs = []   # (label, path, expected restricted ids or None, rule, fires)
        for name in (INV, CN):
            path = os.path.join(tmp, "base-" + name)
            write(load(name), path)
            docs.append(("example " + name, path, set(), None, None))
        for rid, w in sorted(where.items()):
            doc = plant(w)
            path = os.path.join(tmp, rid + ".xml")
            write(doc, path)
            docs.append((rid, path, oracle(doc), rid, True))
        for n, (rid, fires, base, parent, xml, times) in enumerate(CASES):
            doc = edit(base, parent, xml, times)
            path = os.path.join(tmp, "case-%03d.xml" % n)
            write(doc, path)
            docs.append(("%s %s (case %d)" % (rid, "fires" if fires else
                                              "holds", n), path, None, rid,
                         fires))
        got = validate(args.facture, [d[1] for d in docs])

        for label, path, expected, rid, fires in docs:
            found = got.get(path, {})
            if expected is not None:
                ours = {r for r in found if r in where}
                if ours != expected:
                    failures.append("%s: expected %s, got %s" % (
                        label, sorted(expected) or "-", sorted(ours) or "-"))
            if rid is not None and (rid in found) != fires:
                failures.append("%s: %s %s" % (label, rid, "did not fire"
                                               if fires else "fired"))
            if rid is not None and rid in found and found[rid] != flags.get(rid):
                failures.append("%s: %s reported as %s, listed as %s"
                                % (label, rid, found[rid], flags.get(rid)))
        print("UBL syntax rules: %d rules found by path, %d cases, %d "
              "documents" % (len(where), len(CASES), len(docs)))
    for f in failures:
        print("FAIL " + f)
    print("RESULT: %s" % ("PASS" if not failures else
                          "FAIL (%d)" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
