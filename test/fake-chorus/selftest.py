#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of the fake Chorus Pro server.

Run under with_server.py (which sets FAKE_CHORUS_URL and friends); talks to
the server with urllib only, over HTTPS when FAKE_CHORUS_CACERT is set.
Every check prints what it verifies; the first failure stops the run with
exit status 1.  Exit 77 when FAKE_CHORUS_URL is not set.
"""

import base64
import datetime
import http.client
import io
import json
import os
import re
import ssl
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
URL = os.environ.get("FAKE_CHORUS_URL")
CA = os.environ.get("FAKE_CHORUS_CACERT")
WRONG_CA = os.environ.get("FAKE_CHORUS_WRONG_CACERT")
CLIENT_ID = os.environ.get("FACTURE_CHORUS_CLIENT_ID")
SECRET = os.environ.get("FACTURE_CHORUS_CLIENT_SECRET")
LOGIN = os.environ.get("FACTURE_CHORUS_LOGIN")
PASSWORD = os.environ.get("FACTURE_CHORUS_PASSWORD")

SIRETS = {
    "MINISTERE DES ESSAIS": "11000201100044",
    "COMMUNE DE TESTVILLE": "21760000100010",
    "HOPITAL DES TESTS": "26000000300012",
    "REGION EXEMPLE": "20000000400016",
    "LYCEE FERME": "19000000500016",
}

checks = 0


def check(cond, what, detail=None):
    global checks
    checks += 1
    if not cond:
        print("FAIL: %s" % what)
        if detail is not None:
            print("      got: %s" % (detail,))
        sys.exit(1)
    print("ok %d - %s" % (checks, what))


def context(cafile=None):
    if not URL.startswith("https:"):
        return None
    return ssl.create_default_context(cafile=cafile or CA)


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def raw(method, path, body=None, headers=None, timeout=10, cafile=None):
    """One request; returns an Answer, raises on a transport failure."""
    req = urllib.request.Request(URL + path, data=body, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout,
                                    context=context(cafile)) as r:
            return Answer(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Answer(e.code, e.headers, e.read())


def no_answer(method, path, body=None, headers=None, timeout=10):
    """Expect a transport failure; return its description."""
    try:
        a = raw(method, path, body, headers, timeout)
    except (urllib.error.URLError, http.client.HTTPException,
            ConnectionError, TimeoutError, ssl.SSLError, OSError) as e:
        return "%s: %s" % (type(e).__name__, e)
    return None if a is None else "HTTP %d" % a.status


def reset(c):
    """Reset the server; tokens go too, so C gets a new one."""
    fake("POST", "reset")
    c.renew()


def fake(method, name, obj=None):
    body = json.dumps(obj).encode() if obj is not None else None
    a = raw(method, "/_fake/" + name, body,
            {"Content-Type": "application/json"})
    assert a.status == 200, (name, a.status, a.body)
    return a.json()


def get_token(cid=None, secret=None, grant="client_credentials"):
    form = "grant_type=%s&client_id=%s&client_secret=%s&scope=openid" % (
        grant, cid or CLIENT_ID, secret or SECRET)
    return raw("POST", "/api/oauth/token", form.encode(),
               {"Content-Type": "application/x-www-form-urlencoded"})


def account(login=None, password=None):
    return base64.b64encode(("%s:%s" % (login or LOGIN, password or PASSWORD))
                            .encode()).decode()


class Client:
    def __init__(self):
        self.renew()

    def renew(self):
        a = get_token()
        assert a.status == 200, a.body
        self.token = a.json()["access_token"]

    def headers(self, **over):
        h = {"Authorization": "Bearer " + self.token,
             "cpro-account": account(),
             "Content-Type": "application/json;charset=utf-8"}
        h.update(over)
        return {k: v for k, v in h.items() if v is not None}

    def post(self, path, obj, timeout=10, **over):
        return raw("POST", "/cpro/" + path, json.dumps(obj).encode(),
                   self.headers(**over), timeout)

    def deposit(self, data, name, syntax, timeout=10):
        return self.post("factures/v1/deposer/flux", {
            "fichierFlux": base64.b64encode(data).decode(),
            "nomFichier": name, "syntaxeFlux": syntax,
            "avecSignature": False}, timeout)

    def report(self, flow):
        a = self.post("transverses/v1/consulterCRDetaille",
                      {"numeroFluxDepot": flow})
        assert a.status == 200, a.body
        return a.json()


# ------------------------------------------------------------- invoices

def ubl(number, buyer="11000201100044", credit=False):
    root = "CreditNote" if credit else "Invoice"
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<%s xmlns="urn:oasis:names:specification:ubl:schema:xsd:%s-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>%s</cbc:ID>
 <cbc:IssueDate>2025-03-14</cbc:IssueDate>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cac:AccountingSupplierParty><cac:Party><cac:PartyIdentification>
  <cbc:ID schemeID="0009">84271936100011</cbc:ID>
 </cac:PartyIdentification></cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party><cac:PartyIdentification>
  <cbc:ID schemeID="0009">%s</cbc:ID>
 </cac:PartyIdentification></cac:Party></cac:AccountingCustomerParty>
 <cac:LegalMonetaryTotal>
  <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="EUR">120.00</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="EUR">120.00</cbc:PayableAmount>
 </cac:LegalMonetaryTotal>
</%s>
""" % (root, root, number, buyer, root)).encode()


def cii(number, buyer="11000201100044"):
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
 xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocument><ram:ID>%s</ram:ID><ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20250314</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:ApplicableHeaderTradeAgreement>
   <ram:BuyerReference>MAIRIE</ram:BuyerReference>
   <ram:SellerTradeParty><ram:Name>S</ram:Name></ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>B</ram:Name><ram:SpecifiedLegalOrganization>
    <ram:ID schemeID="0009">%s</ram:ID></ram:SpecifiedLegalOrganization>
   </ram:BuyerTradeParty>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:TaxBasisTotalAmount>50.00</ram:TaxBasisTotalAmount>
    <ram:GrandTotalAmount>60.00</ram:GrandTotalAmount>
    <ram:DuePayableAmount>60.00</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""" % (number, buyer)).encode()


def pdf(xml):
    """A small PDF carrying XML (or nothing) in a FlateDecode stream."""
    out = b"%PDF-1.7\n1 0 obj\n<</Type/Catalog>>\nendobj\n"
    if xml is not None:
        z = zlib.compress(xml)
        out += (b"2 0 obj\n<</Type/EmbeddedFile/Subtype/text#2Fxml"
                b"/Filter/FlateDecode/Length %d>>\nstream\n" % len(z)
                + z + b"\nendstream\nendobj\n")
    z = zlib.compress(b"BT /F1 12 Tf (page) Tj ET")
    out += (b"3 0 obj\n<</Filter/FlateDecode/Length %d>>\nstream\r\n"
            % len(z) + z + b"\r\nendstream\nendobj\n")
    return out + b"trailer\n<</Root 1 0 R>>\n%%EOF\n"


def make_zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def luhn(s):
    total = 0
    for i, c in enumerate(reversed(s)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# ---------------------------------------------------------------- tests

def test_token():
    print("# token endpoint")
    a = get_token()
    j = a.json()
    check(a.status == 200 and j["token_type"] == "Bearer" and
          j["expires_in"] == 3600 and j["scope"] == "openid" and
          len(j["access_token"]) >= 16, "token issued with Bearer/3600/openid",
          j)
    b = get_token().json()["access_token"]
    check(b != j["access_token"], "each token is new and random")
    a = get_token(secret="wrong")
    check(a.status == 400 and a.json()["error"] == "invalid_client",
          "wrong client secret -> 400 invalid_client", (a.status, a.body))
    a = get_token(cid="nobody")
    check(a.status == 400 and a.json()["error"] == "invalid_client",
          "unknown client id -> 400 invalid_client")
    a = get_token(grant="password")
    check(a.status == 400 and a.json()["error"] == "unsupported_grant_type",
          "grant_type password -> 400 unsupported_grant_type")
    a = raw("POST", "/api/oauth/token", json.dumps({
        "grant_type": "client_credentials"}).encode(),
        {"Content-Type": "application/json"})
    check(a.status == 400, "JSON body at the token endpoint -> 400")
    a = raw("GET", "/api/oauth/token")
    check(a.status == 405, "GET on the token endpoint -> 405")


def test_middleware(c):
    print("# /cpro middleware")
    path = "/cpro/transverses/v1/recuperer/formatflux"
    a = raw("POST", path, b"{}", c.headers(Authorization=None))
    www = a.headers.get("WWW-Authenticate", "")
    check(a.status == 401 and 'error="invalid_token"' in www and
          'realm="PISTE"' in www, "no Bearer -> 401 invalid_token", www)
    a = raw("POST", path, b"{}", c.headers(Authorization="Bearer nope"))
    check(a.status == 401 and "invalid_token" in
          a.headers.get("WWW-Authenticate", ""), "unknown token -> 401")
    a = raw("POST", path, b"{}", c.headers(**{"cpro-account": None}))
    www = a.headers.get("WWW-Authenticate", "")
    check(a.status == 401 and 'error="Unauthorized"' in www and
          "login or password incorrects" in www,
          "no cpro-account -> 401 Unauthorized", www)
    for label, value in (
            ("not base64", "%%%not-base64%%%"),
            ("no colon", base64.b64encode(b"justlogin").decode()),
            ("wrong password", account(password="bad")),
            ("wrong login", account(login="TECH_2_other@cpro.fr"))):
        a = raw("POST", path, b"{}", c.headers(**{"cpro-account": value}))
        check(a.status == 401 and "login or password incorrects" in
              a.headers.get("WWW-Authenticate", ""),
              "cpro-account %s -> 401 with the reason" % label)
    a = raw("POST", "/cpro/factures/v1/nothing", b"{}", c.headers())
    check(a.status == 404, "unknown route -> 404")
    a = raw("GET", "/cpro/factures/v1/deposer/flux", None, c.headers())
    check(a.status == 405, "GET on deposer/flux -> 405")
    a = raw("POST", "/cpro/transverses/v1/health-check", b"{}", c.headers())
    check(a.status == 405, "POST on health-check -> 405")
    a = raw("POST", path, b"{}", c.headers(**{"Content-Type": "text/plain"}))
    check(a.status == 415, "Content-Type text/plain -> 415")
    a = raw("POST", path, b"{}", c.headers(**{
        "Content-Type": "application/json"}))
    check(a.status == 200, "application/json without charset is accepted")
    for body in (b"[1, 2]", b"not json", b""):
        a = raw("POST", path, body, c.headers())
        j = a.json()
        check(a.status == 400 and j["codeRetour"] == -1 and j["libelle"],
              "body %r -> 400 codeRetour -1" % body)
    fake("POST", "config", {"unsubscribed": ["structures"]})
    a = c.post("structures/v1/rechercher", {"structure": {
        "identifiantStructure": "11000201100044"}})
    check(a.status == 403 and a.body == b"",
          "unsubscribed structures API -> 403 with an empty body")
    a = c.post("transverses/v1/recuperer/formatflux", {})
    check(a.status == 200, "other APIs still answer")
    fake("POST", "config", {"unsubscribed": []})
    fake("POST", "config", {"token_lifetime": 1})
    short = Client()
    time.sleep(1.3)
    a = short.post("transverses/v1/recuperer/formatflux", {})
    check(a.status == 401 and "invalid_token" in
          a.headers.get("WWW-Authenticate", ""),
          "token older than token_lifetime -> 401")
    fake("POST", "config", {"token_lifetime": 3600})
    old = Client()
    r = fake("POST", "revoke-tokens")
    check(r["revoked"] >= 1, "revoke-tokens revoked the issued tokens")
    a = old.post("transverses/v1/recuperer/formatflux", {})
    check(a.status == 401, "revoked token -> 401")
    old.renew()
    a = old.post("transverses/v1/recuperer/formatflux", {})
    check(a.status == 200, "a new token works after the revocation")
    c.renew()


def test_transverses(c):
    print("# transverses")
    a = raw("GET", "/cpro/transverses/v1/health-check", None, c.headers())
    check(a.status == 200 and a.json()["statusCode"] == "OK" and
          a.json()["statusCodeValue"] == 200, "health-check body", a.body)
    a = raw("GET", "/cpro/transverses/v1/health-check", None,
            c.headers(**{"cpro-account": account(password="x")}))
    check(a.status == 401, "health-check with a wrong password -> 401")
    j = c.post("transverses/v1/recuperer/structures/actives/fournisseur",
               {}).json()
    s = j["listeStructures"][0]
    check(j["codeRetour"] == 0 and s["identifiant"] == "84271936100011" and
          isinstance(s["idStructureCPP"], int),
          "structures actives fournisseur lists the supplier", j)
    j = c.post("transverses/v1/recuperer/formatflux", {}).json()
    names = [x["formatFlux"] for x in j["listeFormatFlux"]]
    check("IN_DP_E1_CII_16B" in names and "IN_DP_E1_FACTURX" not in names,
          "formatflux lists the syntaxes", names)


def test_deposit_checks(c):
    print("# deposer/flux request checks")
    good = base64.b64encode(ubl("F-CHK")).decode()
    base = {"fichierFlux": good, "nomFichier": "f.xml",
            "syntaxeFlux": "IN_DP_E1_UBL_INVOICE"}
    cases = [
        ("fichierFlux missing", {"fichierFlux": None}),
        ("fichierFlux with a newline", {"fichierFlux": good[:8] + "\n" +
                                        good[8:]}),
        ("fichierFlux url-safe base64", {"fichierFlux": "ab-_"}),
        ("fichierFlux without padding", {"fichierFlux": "QUJD" + "QQ"}),
        ("fichierFlux empty", {"fichierFlux": ""}),
        ("nomFichier missing", {"nomFichier": None}),
        ("nomFichier without extension", {"nomFichier": "facture"}),
        ("nomFichier of 201 characters", {"nomFichier": "a" * 197 + ".xml"}),
        ("syntaxeFlux IN_DP_E1_FACTURX", {"syntaxeFlux": "IN_DP_E1_FACTURX"}),
        ("avecSignature a string", {"avecSignature": "no"}),
        ("idUtilisateurCourant a float", {"idUtilisateurCourant": 1.5}),
    ]
    before = len(fake("GET", "deposits")["deposits"])
    for label, change in cases:
        body = dict(base)
        body.update(change)
        body = {k: v for k, v in body.items() if v is not None}
        a = c.post("factures/v1/deposer/flux", body)
        j = a.json()
        check(a.status == 400 and j["codeRetour"] not in (0, None) and
              j["libelle"], "%s -> 400 functional error" % label, j)
    for uid in (0, 12345):
        body = dict(base, idUtilisateurCourant=uid)
        a = c.post("factures/v1/deposer/flux", body)
        check(a.status == 200, "idUtilisateurCourant %d accepted" % uid)
    fake("POST", "config", {"max_bytes": 100})
    a = c.deposit(ubl("F-BIG"), "big.xml", "IN_DP_E1_UBL_INVOICE")
    j = a.json()
    check(a.status == 400 and j["codeRetour"] == 20001 and
          j["libelle"] == "GDP_MSG_11.022", "file above max_bytes -> 20001", j)
    fake("POST", "config", {"functional_error_status": 200})
    a = c.deposit(ubl("F-BIG"), "big.xml", "IN_DP_E1_UBL_INVOICE")
    check(a.status == 200 and a.json()["codeRetour"] == 20001,
          "functional_error_status 200 -> same error with HTTP 200")
    had = len(fake("GET", "deposits")["deposits"])
    check(had == before + 2, "only the two good requests were recorded")
    reset(c)
    after = fake("GET", "deposits")["deposits"]
    check(after == [], "reset clears the deposits")
    cfg = fake("GET", "config")["config"]
    check(cfg["max_bytes"] == 10485760 and
          cfg["functional_error_status"] == 400, "reset restores the config")
    r = raw("POST", "/_fake/config", b'{"no_such_key": 1}',
            {"Content-Type": "application/json"})
    check(r.status == 400, "an unknown config key is refused")


def test_deposits(c):
    print("# deposits and reports")
    a = c.deposit(ubl("F-OK-1"), "ok.xml", "IN_DP_E1_UBL_INVOICE")
    j = a.json()
    check(a.status == 200 and j["codeRetour"] == 0 and
          re.fullmatch(r"CPP\d{22}", j["numeroFluxDepot"]) and
          j["dateDepot"] == datetime.date.today().isoformat() and
          j["syntaxeFlux"] == "IN_DP_E1_UBL_INVOICE",
          "UBL deposit accepted: CPP + 22 digits, today, syntax echoed", j)
    flow1 = j["numeroFluxDepot"]
    j2 = c.deposit(ubl("F-OK-1"), "ok.xml", "IN_DP_E1_UBL_INVOICE").json()
    check(j2["numeroFluxDepot"] != flow1, "same bytes again -> a new flow id")
    deps = fake("GET", "deposits")["deposits"]
    d = deps[0]
    check(len(deps) == 2 and d["flow"] == flow1 and d["invoices"] ==
          ["F-OK-1"] and d["size"] == len(ubl("F-OK-1")) and
          d["nomFichier"] == "ok.xml" and len(d["sha256"]) == 64 and
          d["state"] == "IN_INTEGRE", "deposits recorded in order", d)
    r = c.report(flow1)
    check(r["codeRetour"] == 0 and r["etatCourantDepotFlux"] == "IN_INTEGRE"
          and r["listeErreurDP"] == [] and r["nomFichier"] == "ok.xml" and
          r["dateDepotFlux"] and r["dateHeureEtatCourantFlux"],
          "consulterCRDetaille -> IN_INTEGRE", r)
    a = c.post("transverses/v1/consulterCR", {"numeroFluxDepot": flow1})
    j = a.json()
    check(j["etatCourantFlux"] == "IN_INTEGRE" and
          "etatCourantDepotFlux" not in j and j["nomFichierFlux"] == "ok.xml"
          and base64.b64decode(j["fichierCR"]).startswith(b"%PDF-"),
          "consulterCR -> etatCourantFlux and a PDF fichierCR", j)
    a = c.post("transverses/v1/consulterCRDetaille",
               {"numeroFluxDepot": "CPP0000000000000000099999"})
    check(a.status == 400 and a.json()["codeRetour"] != 0,
          "unknown flow -> functional error")

    def flow_of(data, name, syntax):
        j = c.deposit(data, name, syntax).json()
        assert j["codeRetour"] == 0, j
        return c.report(j["numeroFluxDepot"])

    r = flow_of(cii("C-OK-1"), "c.xml", "IN_DP_E1_CII_16B")
    check(r["etatCourantDepotFlux"] == "IN_INTEGRE", "CII deposit integrated")
    r = flow_of(ubl("AV-1", credit=True), "cn.xml", "IN_DP_E1_UBL_INVOICE")
    check(r["etatCourantDepotFlux"] == "IN_INTEGRE",
          "UBL credit note integrated")
    r = flow_of(ubl("F-REJECT-1"), "r.xml", "IN_DP_E1_UBL_INVOICE")
    e = r["listeErreurDP"]
    check(r["etatCourantDepotFlux"] == "IN_REJETE" and len(e) == 1 and
          e[0]["numeroDP"] == "F-REJECT-1" and e[0]["libelleErreurDP"] and
          e[0]["identifiantDestinataire"] == "11000201100044",
          "REJECT invoice alone -> IN_REJETE with its listeErreurDP", r)
    r = flow_of(ubl("F-INCIDENT-1"), "i.xml", "IN_DP_E1_UBL_INVOICE")
    check(r["etatCourantDepotFlux"] == "IN_INCIDENTE" and
          r["listeErreurTechnique"], "INCIDENT invoice -> IN_INCIDENTE", r)
    r = flow_of(ubl("F-WRONG-SYNTAX"), "w.xml", "IN_DP_E1_CII_16B")
    e = r["listeErreurDP"]
    check(r["etatCourantDepotFlux"] == "IN_REJETE" and len(e) == 1 and
          "UBL" in e[0]["libelleErreurDP"] and
          "IN_DP_E1_CII_16B" in e[0]["libelleErreurDP"],
          "UBL under IN_DP_E1_CII_16B -> IN_REJETE saying so", e)
    r = flow_of(b"<a><b></a>", "bad.xml", "IN_DP_E1_UBL_INVOICE")
    check(r["etatCourantDepotFlux"] == "IN_REJETE" and
          r["listeErreurTechnique"], "malformed XML -> IN_REJETE (technical)")
    r = flow_of(pdf(cii("FX-1")), "fx.pdf", "IN_DP_E2_CII_FACTURX")
    deps = fake("GET", "deposits")["deposits"]
    check(r["etatCourantDepotFlux"] == "IN_INTEGRE" and
          deps[-1]["invoices"] == ["FX-1"],
          "Factur-X PDF: CII found in a Flate stream, integrated", r)
    r = flow_of(pdf(None), "nocii.pdf", "IN_DP_E2_CII_FACTURX")
    check(r["etatCourantDepotFlux"] == "IN_REJETE" and
          r["listeErreurTechnique"] and r["listeErreurDP"] == [],
          "PDF without CII -> IN_REJETE with listeErreurTechnique", r)
    r = flow_of(cii("FX-2"), "fx.xml", "IN_DP_E2_CII_FACTURX")
    check(r["etatCourantDepotFlux"] == "IN_REJETE",
          "bare CII XML under IN_DP_E2_CII_FACTURX -> IN_REJETE")
    z = make_zip([("a.xml", ubl("Z-1")), ("b.xml", ubl("Z-2")),
                  ("c.xml", ubl("Z-REJECT-3"))])
    r = flow_of(z, "lot.zip", "IN_DP_E1_UBL_INVOICE")
    e = r["listeErreurDP"]
    check(r["etatCourantDepotFlux"] == "IN_INTEGRE_PARTIEL" and len(e) == 1
          and e[0]["numeroDP"] == "Z-REJECT-3",
          "zip 2 good + 1 REJECT -> IN_INTEGRE_PARTIEL, one listeErreurDP", r)
    z = make_zip([("a.xml", ubl("Z-4")), ("b.xml", cii("Z-5")),
                  ("junk.txt", b"hello")])
    r = flow_of(z, "mix.zip", "IN_DP_E1_UBL_INVOICE")
    e = r["listeErreurDP"]
    check(r["etatCourantDepotFlux"] == "IN_INTEGRE_PARTIEL" and len(e) == 2
          and {x["numeroDP"] for x in e} == {"Z-5", "junk.txt"},
          "zip with a CII and a junk member -> 2 listeErreurDP", e)
    z = make_zip([("a.xml", ubl("Z-REJECT-6")), ("b.xml", b"oops")])
    r = flow_of(z, "bad.zip", "IN_DP_E1_UBL_INVOICE")
    check(r["etatCourantDepotFlux"] == "IN_REJETE" and
          len(r["listeErreurDP"]) == 2, "zip all bad -> IN_REJETE", r)
    z = make_zip([("a.pdf", pdf(cii("ZF-1"))), ("b.pdf", pdf(cii("ZF-2")))])
    r = flow_of(z, "fx.zip", "IN_DP_E2_CII_FACTURX")
    check(r["etatCourantDepotFlux"] == "IN_INTEGRE",
          "zip of two Factur-X PDFs -> IN_INTEGRE")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in (("t1.xml", ubl("T-1")), ("t2.xml", ubl("T-2"))):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    r = flow_of(buf.getvalue(), "lot.tar.gz", "IN_DP_E1_UBL_INVOICE")
    deps = fake("GET", "deposits")["deposits"]
    check(r["etatCourantDepotFlux"] == "IN_INTEGRE" and
          deps[-1]["invoices"] == ["T-1", "T-2"],
          "tar.gz of two UBL invoices -> IN_INTEGRE", deps[-1])
    z = make_zip([("a.xml", ubl("Z-7")), ("b.xml", ubl("Z-8"))])
    r = flow_of(z[:len(z) // 2], "cut.zip", "IN_DP_E1_UBL_INVOICE")
    check(r["etatCourantDepotFlux"] == "IN_INCIDENTE" and
          r["listeErreurTechnique"], "truncated zip -> IN_INCIDENTE", r)
    r = flow_of(b"plain text", "notzip.zip", "IN_DP_E1_UBL_INVOICE")
    check(r["etatCourantDepotFlux"] == "IN_INCIDENTE",
          "a .zip name on non-archive bytes -> IN_INCIDENTE")


def search(c, **kw):
    a = c.post("factures/v1/rechercher/fournisseur", kw)
    assert a.status == 200, a.body
    return a.json()


def test_search(c):
    print("# rechercher/fournisseur")
    reset(c)
    z = make_zip([("f%02d.xml" % i, ubl("P-%02d" % i)) for i in range(12)])
    j = c.deposit(z, "lot12.zip", "IN_DP_E1_UBL_INVOICE").json()
    flow = j["numeroFluxDepot"]
    r = search(c, numeroFluxDepot=flow)
    p = r["parametresRetour"]
    check(r["codeRetour"] == 0 and len(r["listeFactures"]) == 10 and
          p == {"pageCourante": 1, "pages": 2, "nbResultatsParPage": 10,
                "total": 12},
          "12 invoices, findable before any report: page 1 holds 10", p)
    it = r["listeFactures"][0]
    check(it["numeroFacture"] == "P-00" and it["statut"] == "DEPOSEE" and
          isinstance(it["identifiantFactureCPP"], int) and
          it["numeroFluxDepot"] == flow and it["codeDestinataire"] ==
          "11000201100044" and it["montantTTC"] == 120.0 and
          it["devise"] == "EUR" and it["typeFacture"] == "FACTURE" and
          it["dateFacture"] == "2025-03-14", "item fields", it)
    r2 = search(c, numeroFluxDepot=flow, rechercheFactureParFournisseur={
        "pageResultatDemandee": 2})
    check(len(r2["listeFactures"]) == 2 and
          r2["parametresRetour"]["pageCourante"] == 2, "page 2 holds 2")
    ids = [x["identifiantFactureCPP"] for x in r["listeFactures"] +
           r2["listeFactures"]]
    check(len(set(ids)) == 12, "identifiantFactureCPP unique")
    r = search(c, rechercheFactureParFournisseur={"pageResultatDemandee": 3,
                                                  "nbResultatsParPage": 5})
    check(len(r["listeFactures"]) == 2 and r["parametresRetour"]["pages"] == 3,
          "5 per page: page 3 of 3 holds 2", r["parametresRetour"])
    r = search(c, numeroFacture="P-07")
    check(r["parametresRetour"]["total"] == 1 and
          r["listeFactures"][0]["numeroFacture"] == "P-07",
          "filter numeroFacture")
    day = datetime.date.today()
    r = search(c, periodeDateDepotDu=day.isoformat(),
               periodeDateDepotAu=day.isoformat())
    check(r["parametresRetour"]["total"] == 12, "filter on today's dates")
    r = search(c, periodeDateDepotAu=(day - datetime.timedelta(1))
               .isoformat())
    check(r == {"codeRetour": 20000, "libelle": "TRA_MSG_00.015"},
          "no result -> codeRetour 20000 TRA_MSG_00.015", r)
    fake("POST", "config", {"no_result_style": "empty"})
    r = search(c, numeroFacture="NOPE")
    check(r["codeRetour"] == 0 and r["listeFactures"] == [] and
          r["parametresRetour"]["total"] == 0,
          "no_result_style empty -> codeRetour 0 and an empty list", r)
    fake("POST", "config", {"no_result_style": "20000", "page_size_default":
                            4})
    r = search(c, numeroFluxDepot=flow)
    check(len(r["listeFactures"]) == 4 and r["parametresRetour"]["pages"] ==
          3, "page_size_default is honoured")
    a = c.post("factures/v1/rechercher/fournisseur", {
        "rechercheFactureParFournisseur": {"nbResultatsParPage": 0}})
    check(a.status == 400, "nbResultatsParPage 0 -> functional error")

    print("# processing steps")
    fake("POST", "config", {"processing": "steps"})
    j = c.deposit(ubl("S-1"), "s.xml", "IN_DP_E1_UBL_INVOICE").json()
    flow = j["numeroFluxDepot"]
    r = search(c, numeroFluxDepot=flow)
    check(r["codeRetour"] == 20000, "steps: not searchable before decided")
    seen = [c.report(flow)["etatCourantDepotFlux"] for _ in range(3)]
    check(seen == ["IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP",
                   "IN_EN_ATTENTE_TRAITEMENT_CPP",
                   "IN_EN_COURS_TRAITEMENT_CPP"],
          "steps: three pending states, one per consult", seen)
    d = fake("GET", "deposits")["deposits"][-1]
    check(d["state"] == "IN_EN_COURS_TRAITEMENT_CPP",
          "/_fake/deposits shows the current pending state")
    a = c.post("transverses/v1/consulterCR", {"numeroFluxDepot": flow})
    check(a.json()["etatCourantFlux"] == "IN_INTEGRE",
          "steps: fourth consult (consulterCR) -> terminal")
    check(c.report(flow)["etatCourantDepotFlux"] == "IN_INTEGRE",
          "terminal state stays")
    r = search(c, numeroFluxDepot=flow)
    check(r["parametresRetour"]["total"] == 1, "searchable once decided")
    reset(c)


def test_history(c):
    print("# invoice lifecycle")
    reset(c)
    z = make_zip([("a.xml", ubl("H-1")), ("b.xml", ubl("H-SUSPEND-2")),
                  ("c.xml", ubl("H-RECYCLE-3")), ("d.xml", ubl("H-REFUSE-4"))])
    c.deposit(z, "h.zip", "IN_DP_E1_UBL_INVOICE")
    ids = {x["numeroFacture"]: x["identifiantFactureCPP"]
           for x in search(c)["listeFactures"]}

    def hist(n):
        a = c.post("factures/v1/consulter/historique", {"idFacture": ids[n]})
        assert a.status == 200, a.body
        return a.json()

    seq = [hist("H-1")["statutCourantCode"] for _ in range(4)]
    check(seq == ["MISE_A_DISPOSITION", "MANDATEE", "MISE_EN_PAIEMENT",
                  "MISE_EN_PAIEMENT"], "default lifecycle, one step per call",
          seq)
    h = hist("H-1")
    codes = [x["histoStatutCode"] for x in h["historiquesDesStatuts"]
             ["histoStatut"]]
    check(codes == ["DEPOSEE", "MISE_A_DISPOSITION", "MANDATEE",
                    "MISE_EN_PAIEMENT"] and
          h["historiquesDesStatuts"]["totalHistoStatut"] == 4 and
          h["numeroFacture"] == "H-1", "history oldest first", codes)
    for n, final in (("H-SUSPEND-2", "SUSPENDUE"),
                     ("H-RECYCLE-3", "A_RECYCLER"),
                     ("H-REFUSE-4", "REJETEE")):
        seq = [hist(n)["statutCourantCode"] for _ in range(2)]
        check(seq == [final, final], "%s -> %s and stays" % (n, final), seq)
    r = search(c, numeroFacture="H-1")
    check(r["listeFactures"][0]["statut"] == "MISE_EN_PAIEMENT",
          "rechercher shows the advanced statut")
    a = c.post("factures/v1/consulter/fournisseur",
               {"identifiantFactureCPP": ids["H-REFUSE-4"]})
    check(a.json()["facture"]["statutFacture"] == "REJETEE",
          "consulter/fournisseur statutFacture")
    a = c.post("factures/v1/consulter/historique", {"idFacture": 1})
    check(a.status == 400 and a.json()["codeRetour"] != 0,
          "unknown idFacture -> functional error")


def test_structures(c):
    print("# structures")
    expect = {
        "MINISTERE DES ESSAIS": ("ACTIVE", (False, False, False),
                                 {"ACHATS": True, "ANCIEN": False}),
        "COMMUNE DE TESTVILLE": ("ACTIVE", (True, False, False),
                                 {"MAIRIE": True, "CANTINE": True}),
        "HOPITAL DES TESTS": ("ACTIVE", (False, True, False), {}),
        "REGION EXEMPLE": ("ACTIVE", (False, False, True),
                           {"TRAVAUX": True, "CULTURE": True}),
        "LYCEE FERME": ("INACTIVE", (False, False, False), {}),
    }
    for name, (statut, flags, services) in expect.items():
        siret = SIRETS[name]
        check(len(siret) == 14 and luhn(siret), "%s SIRET %s passes Luhn"
              % (name, siret))
        r = c.post("structures/v1/rechercher", {
            "structure": {"identifiantStructure": siret,
                          "typeIdentifiantStructure": "SIRET"},
            "restreindreStructuresPrivees": False,
            "parametres": {"nbResultatsParPage": 10,
                           "pageResultatDemandee": 1}}).json()
        ls = r["listeStructures"]
        check(r["codeRetour"] == 0 and len(ls) == 1 and
              ls[0]["designationStructure"] == name and
              ls[0]["statut"] == statut and r["parametresRetour"]["total"] ==
              1, "rechercher %s -> one %s structure" % (siret, statut), r)
        sid = ls[0]["idStructureCPP"]
        j = c.post("structures/v1/consulter", {"idStructureCPP": sid,
                                               "codeLangue": "fr"}).json()
        p = j["parametres"]
        got = (p["codeServiceDoitEtreRenseigne"],
               p["numeroEJDoitEtreRenseigne"],
               p["gestionNumeroEJOuCodeService"])
        check(j["informationGenerales"]["identifiantStructure"] == siret and
              got == flags, "consulter %s flags %s" % (name, flags), got)
        a = c.post("structures/v1/rechercher/services", {
            "idStructure": sid,
            "parametresRechercherServicesStructure": {
                "nbResultatsParPage": 10000}})
        j = a.json()
        if not services:
            check(j == {"codeRetour": 20000, "libelle": "TRA_MSG_00.015"},
                  "%s has no service -> no-result answer" % name, j)
            continue
        got = {s["codeService"]: s["estActif"] for s in j["listeServices"]}
        check(got == services, "%s services %s" % (name, services), got)
        for s in j["listeServices"]:
            k = c.post("structures/v1/consulter/service", {
                "idStructure": sid, "idService": s["idService"]}).json()
            want = s["codeService"] == "TRAVAUX"
            check(k["codeRetour"] == 0 and
                  k["parametres"]["numeroEngagement"] is want and
                  k["informationsGenerales"]["codeService"] ==
                  s["codeService"], "consulter/service %s numeroEngagement %s"
                  % (s["codeService"], want))
    sid = 26300002
    j = c.post("structures/v1/rechercher/services", {
        "idStructure": sid, "parametresRechercherServicesStructure": {
            "nbResultatsParPage": 1, "pageResultatDemandee": 2}}).json()
    check(len(j["listeServices"]) == 1 and j["listeServices"][0]
          ["codeService"] == "CANTINE" and j["parametresRetour"]["pages"] == 2,
          "services paginated: 1 per page, page 2", j)
    r = c.post("structures/v1/rechercher", {"structure": {
        "identifiantStructure": "12345678901234",
        "typeIdentifiantStructure": "SIRET"}}).json()
    check(r == {"codeRetour": 20000, "libelle": "TRA_MSG_00.015"},
          "unknown SIRET -> no-result (20000 style)", r)
    fake("POST", "config", {"no_result_style": "empty"})
    r = c.post("structures/v1/rechercher", {"structure": {
        "identifiantStructure": "12345678901234"}}).json()
    check(r["codeRetour"] == 0 and r["listeStructures"] == [] and
          r["parametresRetour"]["total"] == 0,
          "unknown SIRET -> empty list (empty style)", r)
    fake("POST", "config", {"no_result_style": "20000"})
    a = c.post("structures/v1/consulter", {"idStructureCPP": 1})
    check(a.status == 400 and a.json()["codeRetour"] != 0,
          "consulter unknown structure -> functional error")


def test_check_buyer(c):
    print("# check_buyer")
    reset(c)
    fake("POST", "config", {"check_buyer": True})
    z = make_zip([("a.xml", ubl("B-1")),
                  ("b.xml", ubl("B-2", buyer="21760000100010")),
                  ("c.xml", cii("B-3", buyer="21760000100010"))])
    j = c.deposit(z, "b.zip", "IN_DP_E1_UBL_INVOICE").json()
    r = c.report(j["numeroFluxDepot"])
    check(r["etatCourantDepotFlux"] == "IN_INTEGRE_PARTIEL" and
          {e["numeroDP"] for e in r["listeErreurDP"]} == {"B-2", "B-3"},
          "check_buyer: a missing service code is refused", r)
    j = c.deposit(cii("B-4", buyer="21760000100010"), "c.xml",
                  "IN_DP_E1_CII_16B").json()
    check(c.report(j["numeroFluxDepot"])["etatCourantDepotFlux"] ==
          "IN_INTEGRE", "check_buyer: CII with service MAIRIE accepted")
    reset(c)


def test_faults(c):
    print("# faults")
    reset(c)
    dep = "/cpro/factures/v1/deposer/flux"
    fmt = "transverses/v1/recuperer/formatflux"

    def ndeposits():
        return len(fake("GET", "deposits")["deposits"])

    for kind in ("500", "503", "429"):
        fake("POST", "faults", {"faults": [{"path": "/cpro/" + fmt,
                                            "kind": kind}]})
        a = c.post(fmt, {})
        check(a.status == int(kind), "fault %s -> HTTP %s" % (kind, kind))
        check(c.post(fmt, {}).status == 200, "next call after %s is fine"
              % kind)
    fake("POST", "faults", {"faults": [{"path": "*", "kind": "503",
                                        "count": 2}]})
    got = [c.post(fmt, {}).status for _ in range(3)]
    check(got == [503, 503, 200], "path * with count 2", got)
    fake("POST", "faults", {"faults": [
        {"path": "/cpro/" + fmt, "kind": "pass"},
        {"path": "/cpro/" + fmt, "kind": "500"}]})
    got = [c.post(fmt, {}).status for _ in range(3)]
    check(got == [200, 500, 200], "pass lets one call through first", got)
    fake("POST", "faults", {"faults": [{"path": "/cpro/" + fmt,
                                        "kind": "401"}]})
    a = c.post(fmt, {})
    check(a.status == 401 and "invalid_token" in
          a.headers.get("WWW-Authenticate", ""),
          "fault 401 on a valid token")
    check(c.post(fmt, {}).status == 200, "the same token works next time")
    fake("POST", "faults", {"faults": [{"path": "/api/oauth/token",
                                        "kind": "503"}]})
    check(get_token().status == 503, "fault on the token endpoint")
    n = ndeposits()
    fake("POST", "faults", {"faults": [{"path": dep, "kind": "reset"}]})
    why = no_answer("POST", dep, json.dumps({
        "fichierFlux": base64.b64encode(ubl("R-1")).decode(),
        "nomFichier": "r.xml", "syntaxeFlux": "IN_DP_E1_UBL_INVOICE"}
    ).encode(), c.headers())
    check(why is not None and not why.startswith("HTTP"),
          "reset: no answer (%s)" % why)
    check(ndeposits() == n, "reset: nothing recorded")
    fake("POST", "faults", {"faults": [{"path": dep,
                                        "kind": "commit-then-reset"}]})
    why = no_answer("POST", dep, json.dumps({
        "fichierFlux": base64.b64encode(ubl("R-2")).decode(),
        "nomFichier": "r.xml", "syntaxeFlux": "IN_DP_E1_UBL_INVOICE"}
    ).encode(), c.headers())
    check(why is not None and not why.startswith("HTTP"),
          "commit-then-reset: no answer (%s)" % why)
    deps = fake("GET", "deposits")["deposits"]
    check(len(deps) == n + 1 and deps[-1]["invoices"] == ["R-2"],
          "commit-then-reset: the deposit was recorded")
    fake("POST", "faults", {"faults": [{"path": dep, "kind": "slow",
                                        "delay": 1.0}]})
    t = time.monotonic()
    a = c.deposit(ubl("R-3"), "r.xml", "IN_DP_E1_UBL_INVOICE")
    dt = time.monotonic() - t
    check(a.status == 200 and dt >= 1.0, "slow: answered after %.1f s" % dt)
    fake("POST", "faults", {"faults": [{"path": dep, "kind": "slow",
                                        "delay": 2.0}]})
    n = ndeposits()
    why = no_answer("POST", dep, json.dumps({
        "fichierFlux": base64.b64encode(ubl("R-4")).decode(),
        "nomFichier": "r.xml", "syntaxeFlux": "IN_DP_E1_UBL_INVOICE"}
    ).encode(), c.headers(), timeout=0.5)
    check(why is not None and not why.startswith("HTTP"),
          "slow with a 0.5 s client timeout: gave up (%s)" % why)
    check(ndeposits() == n, "slow: nothing recorded while sleeping")
    end = time.monotonic() + 6.0
    while ndeposits() == n and time.monotonic() < end:
        time.sleep(0.1)
    check(ndeposits() == n + 1, "slow: recorded after the sleep")
    fake("POST", "faults", {"faults": [{"path": dep,
                                        "kind": "commit-then-slow",
                                        "delay": 2.0}]})
    n = ndeposits()
    why = no_answer("POST", dep, json.dumps({
        "fichierFlux": base64.b64encode(ubl("R-5")).decode(),
        "nomFichier": "r.xml", "syntaxeFlux": "IN_DP_E1_UBL_INVOICE"}
    ).encode(), c.headers(), timeout=0.5)
    check(why is not None and not why.startswith("HTTP"),
          "commit-then-slow: client timed out (%s)" % why)
    deps = fake("GET", "deposits")["deposits"]
    check(len(deps) == n + 1 and deps[-1]["invoices"] == ["R-5"],
          "commit-then-slow: recorded before answering")
    fake("POST", "faults", {"faults": [
        {"path": dep, "kind": "codeRetour", "codeRetour": 20001,
         "libelle": "GDP_MSG_11.022"},
        {"path": dep, "kind": "codeRetour", "codeRetour": 20001,
         "libelle": "GDP_MSG_11.022", "status": 200}]})
    a = c.deposit(ubl("R-6"), "r.xml", "IN_DP_E1_UBL_INVOICE")
    check(a.status == 400 and a.json() == {"codeRetour": 20001,
                                           "libelle": "GDP_MSG_11.022"},
          "codeRetour fault with functional_error_status 400")
    a = c.deposit(ubl("R-6"), "r.xml", "IN_DP_E1_UBL_INVOICE")
    check(a.status == 200 and a.json()["codeRetour"] == 20001,
          "codeRetour fault with status 200")
    fake("POST", "faults", {"faults": [{"path": "/cpro/" + fmt,
                                        "kind": "empty"},
                                       {"path": "/cpro/" + fmt,
                                        "kind": "malformed"}]})
    a = c.post(fmt, {})
    check(a.status == 200 and a.body == b"", "empty: 200 with no body")
    a = c.post(fmt, {})
    try:
        json.loads(a.body)
        parsed = True
    except ValueError:
        parsed = False
    check(a.status == 200 and a.body and not parsed,
          "malformed: 200 with a body that is not JSON")
    r = raw("POST", "/_fake/faults", b'{"faults": [{"path": "*", "kind": '
            b'"explode"}]}', {"Content-Type": "application/json"})
    check(r.status == 400, "an unknown fault kind is refused")
    check(fake("GET", "faults")["faults"] == [], "fault queue is empty")
    st = fake("GET", "stats")
    check(st["requests"].get(dep, 0) == 7 and
          st["requests"].get("/api/oauth/token", 0) == st["tokens_issued"] + 1
          and "/_fake/stats" not in st["requests"],
          "stats count every API request, not the control ones", st)


def test_tls():
    if not URL.startswith("https:"):
        print("# plain HTTP: no TLS checks")
        return
    print("# TLS")
    try:
        raw("GET", "/_fake/stats", cafile=WRONG_CA)
        failed = None
    except urllib.error.URLError as e:
        failed = e.reason
    check(isinstance(failed, ssl.SSLCertVerificationError),
          "a client trusting the wrong CA refuses the server", failed)


def test_log():
    print("# log")
    with open(os.environ["FAKE_CHORUS_LOG"], encoding="utf-8") as f:
        text = f.read()
    check("POST /cpro/factures/v1/deposer/flux 200" in text,
          "one line per request with method, path and status")
    for secret in (SECRET, PASSWORD, account(), account(password="bad")):
        check(secret not in text, "the log does not hold %s..."
              % secret[:4])
    check("Bearer" not in text, "the log holds no Authorization value")


def test_wrapper():
    if not URL.startswith("https:"):
        return
    print("# with_server.py")
    ws = [sys.executable, os.path.join(HERE, "with_server.py")]
    script = ("import os, sys, urllib.request; "
              "urllib.request.urlopen(os.environ['FAKE_CHORUS_URL'] + "
              "'/_fake/stats').read(); sys.exit(int(sys.argv[1]))")
    for code in (0, 3, 77):
        rc = subprocess.call(ws + ["--", sys.executable, "-c", script,
                                   str(code)])
        check(rc == code, "plain server, command exit %d passes through"
              % code, rc)


def main():
    if not URL:
        print("FAKE_CHORUS_URL is not set: run me under with_server.py")
        return 77
    print("# server %s" % URL)
    test_token()
    c = Client()
    test_middleware(c)
    test_transverses(c)
    test_deposit_checks(c)
    c.renew()
    test_deposits(c)
    test_search(c)
    c.renew()
    test_history(c)
    test_structures(c)
    c.renew()
    test_check_buyer(c)
    test_faults(c)
    test_tls()
    test_log()
    test_wrapper()
    print("all %d checks passed" % checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
