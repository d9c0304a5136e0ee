#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/rules.py - the business rules: speed, linear cost, memory.

Measures, on this machine, in one run:
  1. warm batch, one process, -j 1: schema + all rules over every XML
     invoice of ../shared/corpus, per invoice (goal: <= 1 ms);
  2. cold, one file: `facture validate one.xml`, median of 20 runs
     (goal: <= 50 ms);
  3. linear cost: generated valid invoices (UBL and CII) with 10, 100,
     1,000 and 10,000 lines: time per line across sizes (goal: within 2x),
     the 10,000-line invoice in <= 2 s and <= 200 MB peak memory.
For scale, the official artefacts under Saxon-HE take 10-25 ms per invoice
once warm, plus about 2.2 s of start-up and compilation per run.

Usage: bench/rules.py [--facture build/facture] [--shared ../shared]
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

UBL_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
 <cbc:ID>BENCH-{n}</cbc:ID>
 <cbc:IssueDate>2025-06-02</cbc:IssueDate>
 <cbc:DueDate>2025-07-02</cbc:DueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cbc:BuyerReference>BENCH</cbc:BuyerReference>
 <cac:AccountingSupplierParty><cac:Party>
  <cbc:EndpointID schemeID="0009">84271936100011</cbc:EndpointID>
  <cac:PostalAddress><cbc:CityName>Lyon</cbc:CityName><cbc:PostalZone>69002</cbc:PostalZone>
   <cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>FR50842719361</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Banc d'essai SARL</cbc:RegistrationName></cac:PartyLegalEntity>
 </cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party>
  <cbc:EndpointID schemeID="0009">91530468700014</cbc:EndpointID>
  <cac:PostalAddress><cbc:CityName>Marseille</cbc:CityName><cbc:PostalZone>13007</cbc:PostalZone>
   <cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
  <cac:PartyLegalEntity><cbc:RegistrationName>Client de mesure SAS</cbc:RegistrationName></cac:PartyLegalEntity>
 </cac:Party></cac:AccountingCustomerParty>
 <cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
  <cac:PayeeFinancialAccount><cbc:ID>FR7630006000011234567890189</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>
 <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{vat}</cbc:TaxAmount>
  <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">{net}</cbc:TaxableAmount>
   <cbc:TaxAmount currencyID="EUR">{vat}</cbc:TaxAmount>
   <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
  </cac:TaxSubtotal></cac:TaxTotal>
 <cac:LegalMonetaryTotal>
  <cbc:LineExtensionAmount currencyID="EUR">{net}</cbc:LineExtensionAmount>
  <cbc:TaxExclusiveAmount currencyID="EUR">{net}</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="EUR">{gross}</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="EUR">{gross}</cbc:PayableAmount>
 </cac:LegalMonetaryTotal>
"""
UBL_LINE = """ <cac:InvoiceLine><cbc:ID>{i}</cbc:ID>
  <cbc:InvoicedQuantity unitCode="C62">2</cbc:InvoicedQuantity>
  <cbc:LineExtensionAmount currencyID="EUR">25.00</cbc:LineExtensionAmount>
  <cac:Item><cbc:Name>Article {i}</cbc:Name>
   <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
  <cac:Price><cbc:PriceAmount currencyID="EUR">12.50</cbc:PriceAmount></cac:Price>
 </cac:InvoiceLine>
"""
CII_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument><ram:ID>BENCH-{n}</ram:ID><ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20250602</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
"""
CII_LINE = """  <ram:IncludedSupplyChainTradeLineItem>
   <ram:AssociatedDocumentLineDocument><ram:LineID>{i}</ram:LineID></ram:AssociatedDocumentLineDocument>
   <ram:SpecifiedTradeProduct><ram:Name>Article {i}</ram:Name></ram:SpecifiedTradeProduct>
   <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>12.50</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
   <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">2</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
   <ram:SpecifiedLineTradeSettlement>
    <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>
    <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>25.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
   </ram:SpecifiedLineTradeSettlement>
  </ram:IncludedSupplyChainTradeLineItem>
"""
CII_TAIL = """  <ram:ApplicableHeaderTradeAgreement>
   <ram:BuyerReference>BENCH</ram:BuyerReference>
   <ram:SellerTradeParty><ram:Name>Banc d'essai SARL</ram:Name>
    <ram:PostalTradeAddress><ram:PostcodeCode>69002</ram:PostcodeCode><ram:CityName>Lyon</ram:CityName><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR50842719361</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Client de mesure SAS</ram:Name>
    <ram:PostalTradeAddress><ram:PostcodeCode>13007</ram:PostcodeCode><ram:CityName>Marseille</ram:CityName><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress></ram:BuyerTradeParty>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>30</ram:TypeCode>
    <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>FR7630006000011234567890189</ram:IBANID></ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>
   <ram:ApplicableTradeTax><ram:CalculatedAmount>{vat}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>{net}</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>
   <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format="102">20250702</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:LineTotalAmount>{net}</ram:LineTotalAmount><ram:TaxBasisTotalAmount>{net}</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">{vat}</ram:TaxTotalAmount><ram:GrandTotalAmount>{gross}</ram:GrandTotalAmount>
    <ram:DuePayableAmount>{gross}</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def cents(c):
    return "%d.%02d" % (c // 100, c % 100)


def generate(syntax, n):
    """A valid invoice with N lines of 25.00 at 20 % VAT."""
    net = 2500 * n
    vat = net // 5
    v = {"n": n, "net": cents(net), "vat": cents(vat),
         "gross": cents(net + vat)}
    if syntax == "ubl":
        return (UBL_HEAD.format(**v)
                + "".join(UBL_LINE.format(i=i + 1) for i in range(n))
                + "</Invoice>\n")
    return (CII_HEAD.format(**v)
            + "".join(CII_LINE.format(i=i + 1) for i in range(n))
            + CII_TAIL.format(**v))


def run(cmd):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return time.perf_counter() - t0, r


def peak_rss_kib(cmd):
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    child.returncode = 0
    return usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--facture", default=os.path.join(ROOT, "build", "facture"))
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = ap.parse_args()
    fx = args.facture

    rules = subprocess.run([fx, "rules", "-f", "json"], capture_output=True,
                           text=True).stdout
    print("rule checks carried: %d" % len(json.loads(rules or "[]")))

    with tempfile.TemporaryDirectory() as tmp:
        expected = os.path.join(args.shared, "corpus", "expected.json")
        if os.path.exists(expected):
            with open(expected) as f:
                files = json.load(f)["files"]
            paths = [os.path.join(args.shared, "corpus", p)
                     for p, e in sorted(files.items())
                     if e.get("syntax") in ("ubl-invoice", "ubl-creditnote",
                                            "cii")]
            listing = os.path.join(tmp, "list")
            with open(listing, "w") as f:
                f.write("\n".join(paths) + "\n")
            best = min(run([fx, "validate", "-q", "--files-from", listing])[0]
                       for _ in range(3))
            schema = min(run([fx, "validate", "-q", "--rules=none",
                              "--files-from", listing])[0] for _ in range(3))
            print("warm batch, -j 1, %d corpus invoices: %.3f s, %.3f ms per "
                  "invoice (schema only: %.3f ms)  [goal: <= 1 ms; Saxon: "
                  "10-25 ms]" % (len(paths), best, 1000 * best / len(paths),
                                 1000 * schema / len(paths)))
        else:
            print("SKIP warm batch: %s not found" % expected)

        one = os.path.join(ROOT, "examples", "invoice-ubl.xml")
        cold = statistics.median(run([fx, "validate", "-q", one])[0]
                                 for _ in range(20))
        print("cold, one file (examples/invoice-ubl.xml): %.1f ms median  "
              "[goal: <= 50 ms; Saxon: 2.5-4 s]" % (1000 * cold))

        for syntax in ("ubl", "cii"):
            def timed(n, repeat):
                path = os.path.join(tmp, "%s-%d.xml" % (syntax, n))
                with open(path, "w") as f:
                    f.write(generate(syntax, n))
                t, r = min((run([fx, "validate", "-q", path])
                            for _ in range(repeat)), key=lambda x: x[0])
                if r.returncode != 0:
                    print("  %s %d lines: NOT VALID (exit %d):\n%s"
                          % (syntax, n, r.returncode,
                             r.stdout.decode()[:2000]))
                return path, t

            # the fixed cost of a run (start-up, compiling the rules) is
            # what a one-line invoice takes: the rest grows with the lines
            _, fixed = timed(1, 10)
            per_line = []
            for n in (10, 100, 1000, 10000):
                path, t = timed(n, 5 if n < 10000 else 2)
                marginal = max(t - fixed, 1e-9) / n
                extra = ""
                if n == 10000:
                    rss = peak_rss_kib([fx, "validate", "-q", path])
                    extra = ", peak RSS %.1f MiB  [goal: <= 2 s, <= 200 MB]" \
                        % (rss / 1024)
                if n >= 100:
                    per_line.append(marginal)
                print("  %s %6d lines: %8.3f s, %6.1f us per line beyond "
                      "the fixed %.1f ms%s" % (syntax.upper(), n, t,
                                               1e6 * marginal, 1000 * fixed,
                                               extra))
            print("  %s time per line, 100 to 10,000 lines: max/min = %.2f  "
                  "[goal: <= 2]" % (syntax.upper(),
                                    max(per_line) / min(per_line)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
