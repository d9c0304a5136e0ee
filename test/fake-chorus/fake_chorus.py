#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A fake Chorus Pro + PISTE server for facture's tests.

One loopback listener serves the PISTE token endpoint (/api/oauth/token),
the Chorus Pro API (/cpro/...) and control endpoints for the tests
(/_fake/...).  It follows ../shared/research/chorus-api.md section 5;
README.md beside this file documents every route, the configuration, the
magic invoice numbers and the fault kinds.  Standard library only.
"""

import argparse
import base64
import binascii
import copy
import datetime
import gzip
import hashlib
import io
import json
import math
import os
import re
import secrets
import signal
import socket
import ssl
import sys
import tarfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
import zipfile
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# --------------------------------------------------------------------------
# Seeded directory.  Every SIRET is 14 digits with a valid Luhn key.

SUPPLIER = {
    "idStructureCPP": 26300100,
    "siret": "84271936100011",
    "designation": "FOURNISSEUR DE TEST",
}

# Public buyers (README.md has the same table):
#   id        SIRET           name                  statut    requires
#   26300001  11000201100044  MINISTERE DES ESSAIS  ACTIVE    nothing
#   26300002  21760000100010  COMMUNE DE TESTVILLE  ACTIVE    service code
#   26300003  26000000300012  HOPITAL DES TESTS     ACTIVE    commitment (EJ)
#   26300004  20000000400016  REGION EXEMPLE        ACTIVE    service or EJ
#   26300005  19000000500016  LYCEE FERME           INACTIVE  nothing
STRUCTURES = [
    {
        "idStructureCPP": 26300001,
        "siret": "11000201100044",
        "designation": "MINISTERE DES ESSAIS",
        "statut": "ACTIVE",
        "codeServiceDoitEtreRenseigne": False,
        "numeroEJDoitEtreRenseigne": False,
        "gestionNumeroEJOuCodeService": False,
        "services": [
            {"idService": 10600001, "codeService": "ACHATS",
             "libelleService": "Service des achats", "estActif": True,
             "numeroEngagement": False},
            {"idService": 10600002, "codeService": "ANCIEN",
             "libelleService": "Ancien service", "estActif": False,
             "numeroEngagement": False},
        ],
    },
    {
        "idStructureCPP": 26300002,
        "siret": "21760000100010",
        "designation": "COMMUNE DE TESTVILLE",
        "statut": "ACTIVE",
        "codeServiceDoitEtreRenseigne": True,
        "numeroEJDoitEtreRenseigne": False,
        "gestionNumeroEJOuCodeService": False,
        "services": [
            {"idService": 10600003, "codeService": "MAIRIE",
             "libelleService": "Mairie", "estActif": True,
             "numeroEngagement": False},
            {"idService": 10600004, "codeService": "CANTINE",
             "libelleService": "Cantine scolaire", "estActif": True,
             "numeroEngagement": False},
        ],
    },
    {
        "idStructureCPP": 26300003,
        "siret": "26000000300012",
        "designation": "HOPITAL DES TESTS",
        "statut": "ACTIVE",
        "codeServiceDoitEtreRenseigne": False,
        "numeroEJDoitEtreRenseigne": True,
        "gestionNumeroEJOuCodeService": False,
        "services": [],
    },
    {
        "idStructureCPP": 26300004,
        "siret": "20000000400016",
        "designation": "REGION EXEMPLE",
        "statut": "ACTIVE",
        "codeServiceDoitEtreRenseigne": False,
        "numeroEJDoitEtreRenseigne": False,
        "gestionNumeroEJOuCodeService": True,
        "services": [
            {"idService": 10600005, "codeService": "TRAVAUX",
             "libelleService": "Direction des travaux", "estActif": True,
             "numeroEngagement": True},
            {"idService": 10600006, "codeService": "CULTURE",
             "libelleService": "Direction de la culture", "estActif": True,
             "numeroEngagement": False},
        ],
    },
    {
        "idStructureCPP": 26300005,
        "siret": "19000000500016",
        "designation": "LYCEE FERME",
        "statut": "INACTIVE",
        "codeServiceDoitEtreRenseigne": False,
        "numeroEJDoitEtreRenseigne": False,
        "gestionNumeroEJOuCodeService": False,
        "services": [],
    },
]

DEFAULT_CONFIG = {
    "client_id": "test-client",
    "client_secret": "test-secret",
    "login": "TECH_1_test@cpro.fr",
    "password": "test-password",
    "token_lifetime": 3600,
    "processing": "immediate",
    "max_bytes": 10485760,
    "functional_error_status": 400,
    "no_result_style": "20000",
    "unsubscribed": [],
    "page_size_default": 10,
    "page_size_max": 0,
    "check_buyer": False,
}

# syntaxeFlux codes of chorus-api.md 3.2 and the content each one expects.
SYNTAXES = {
    "IN_DP_E1_UBL_INVOICE": "ubl",
    "IN_DP_E1_CII_16B": "cii",
    "IN_DP_E2_CII_FACTURX": "facturx",
    "IN_DP_E2_UBL_INVOICE_MIN": "ubl",
    "IN_DP_E2_CII_MIN_16B": "cii",
    "IN_DP_E2_CPP_FACTURE_MIN": None,
    "IN_DP_E1_CII": "cii",
    "IN_DP_E2_CII_MIN": "cii",
    "IN_DP_E1_PES_FACTURE": None,
    "IN_DP_E2_PES_FACTURE_MIN": None,
    "IN_DP_E1_XCBL": None,
    "IN_DP_E3_UBL_INVOICE": "ubl",
}

PENDING_STEPS = [
    "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP",
    "IN_EN_ATTENTE_TRAITEMENT_CPP",
    "IN_EN_COURS_TRAITEMENT_CPP",
]

LIFECYCLES = [
    # (magic substring, statuses after DEPOSEE); first match wins
    ("SUSPEND", ["SUSPENDUE"]),
    ("RECYCLE", ["A_RECYCLER"]),
    ("REFUSE", ["REJETEE"]),
    ("", ["MISE_A_DISPOSITION", "MANDATEE", "MISE_EN_PAIEMENT"]),
]

FAULT_KINDS = ("500", "503", "429", "401", "reset", "slow",
               "commit-then-reset", "commit-then-slow", "codeRetour",
               "empty", "malformed", "pass")

NS_UBL_INV = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_UBL_CN = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS_CAC = ("urn:oasis:names:specification:ubl:schema:xsd:"
          "CommonAggregateComponents-2")
NS_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS_RAM = ("urn:un:unece:uncefact:data:standard:"
          "ReusableAggregateBusinessInformationEntity:100")
NS_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"cbc": NS_CBC, "cac": NS_CAC, "rsm": NS_RSM, "ram": NS_RAM,
         "udt": NS_UDT}

# Functional error codes of this fake (only 20000 and 20001 are known
# Chorus values, chorus-api.md 4).
E_NO_RESULT = 20000
E_TOO_LARGE = 20001
E_BAD_FIELD = 20002
E_UNKNOWN_FLOW = 20003
E_UNKNOWN_INVOICE = 20004
E_UNKNOWN_STRUCTURE = 20005

HEALTH_BODY = {
    "body": "L'API CPRO est actuellement disponible et fonctionnel.",
    "statusCode": "OK",
    "statusCodeValue": 200,
}

# A tiny PDF, served base64-encoded as the consulterCR "fichierCR".
REPORT_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
              b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
              b"trailer<</Root 1 0 R>>\n%%EOF\n")


def now_iso():
    return datetime.datetime.now().astimezone().isoformat(
        timespec="milliseconds")


def now_minute():
    return datetime.datetime.now().strftime("%Y-%m-%d %H:%M")


def today():
    return datetime.date.today().isoformat()


# --------------------------------------------------------------------------
# Content analysis of a deposited flow.

class Unit:
    """One file of a flow: a lone file or an archive member."""

    def __init__(self, name):
        self.name = name
        self.ok = False
        self.error = None       # message when not ok
        self.technical = False  # error is about unreadable content
        self.info = {}          # invoice data found (number, buyer...)
        self.incident = False


def xml_text(root, path):
    el = root.find(path, NSMAP)
    if el is None or el.text is None:
        return None
    return el.text.strip()


def parse_amount(text):
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def pick_id(elements):
    """The first identifier with scheme 0009 (SIRET), else the first one."""
    found = [(el.get("schemeID"), el.text.strip()) for el in elements
             if el is not None and el.text and el.text.strip()]
    for scheme, text in found:
        if scheme == "0009":
            return text
    return found[0][1] if found else None


def ubl_party_id(party):
    if party is None:
        return None
    els = []
    for path in ("cac:PartyIdentification/cbc:ID",
                 "cac:PartyLegalEntity/cbc:CompanyID", "cbc:EndpointID"):
        els += party.findall(path, NSMAP)
    return pick_id(els)


def ubl_info(root):
    credit = root.tag == "{%s}CreditNote" % NS_UBL_CN
    code = xml_text(root, "cbc:CreditNoteTypeCode" if credit else
                    "cbc:InvoiceTypeCode")
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NSMAP)
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NSMAP)
    name = None
    if buyer is not None:
        name = (xml_text(buyer, "cac:PartyLegalEntity/cbc:RegistrationName")
                or xml_text(buyer, "cac:PartyName/cbc:Name"))
    return {
        "number": xml_text(root, "cbc:ID"),
        "date": xml_text(root, "cbc:IssueDate"),
        "type": "AVOIR" if credit or code == "381" else "FACTURE",
        "buyer": ubl_party_id(buyer),
        "buyer_name": name,
        "seller": ubl_party_id(seller),
        "service": xml_text(root, "cbc:BuyerReference"),
        "commitment": xml_text(root, "cac:OrderReference/cbc:ID"),
        "currency": xml_text(root, "cbc:DocumentCurrencyCode"),
        "ht": parse_amount(xml_text(
            root, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount")),
        "ttc": parse_amount(xml_text(
            root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")),
        "payable": parse_amount(xml_text(
            root, "cac:LegalMonetaryTotal/cbc:PayableAmount")),
    }


def cii_party_id(party):
    if party is None:
        return None
    els = []
    for path in ("ram:SpecifiedLegalOrganization/ram:ID", "ram:GlobalID",
                 "ram:ID"):
        els += party.findall(path, NSMAP)
    return pick_id(els)


def cii_info(root):
    tx = "rsm:SupplyChainTradeTransaction/"
    agr = tx + "ram:ApplicableHeaderTradeAgreement/"
    stl = tx + "ram:ApplicableHeaderTradeSettlement/"
    tot = stl + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    date = xml_text(root, "rsm:ExchangedDocument/ram:IssueDateTime/"
                    "udt:DateTimeString")
    if date and re.fullmatch(r"\d{8}", date):
        date = "%s-%s-%s" % (date[:4], date[4:6], date[6:])
    buyer = root.find(agr + "ram:BuyerTradeParty", NSMAP)
    return {
        "number": xml_text(root, "rsm:ExchangedDocument/ram:ID"),
        "date": date,
        "type": ("AVOIR" if xml_text(root, "rsm:ExchangedDocument/"
                                     "ram:TypeCode") == "381" else "FACTURE"),
        "buyer": cii_party_id(buyer),
        "buyer_name": (xml_text(buyer, "ram:Name")
                       if buyer is not None else None),
        "seller": cii_party_id(root.find(agr + "ram:SellerTradeParty",
                                         NSMAP)),
        "service": xml_text(root, agr + "ram:BuyerReference"),
        "commitment": xml_text(root, agr + "ram:BuyerOrderReferencedDocument/"
                               "ram:IssuerAssignedID"),
        "currency": xml_text(root, stl + "ram:InvoiceCurrencyCode"),
        "ht": parse_amount(xml_text(root, tot + "ram:TaxBasisTotalAmount")),
        "ttc": parse_amount(xml_text(root, tot + "ram:GrandTotalAmount")),
        "payable": parse_amount(xml_text(root, tot + "ram:DuePayableAmount")),
    }


def parse_xml(data):
    """Return (root, kind) with kind in ubl, cii, other; raise ValueError."""
    if b"<!ENTITY" in data:
        raise ValueError("entity declarations are not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise ValueError("not well-formed XML (%s)" % e) from None
    if root.tag in ("{%s}Invoice" % NS_UBL_INV, "{%s}CreditNote" % NS_UBL_CN):
        return root, "ubl"
    if root.tag == "{%s}CrossIndustryInvoice" % NS_RSM:
        return root, "cii"
    return root, "other"


STREAM_RE = re.compile(rb"stream\r?\n(.*?)endstream", re.S)


def pdf_find_cii(data):
    """Inflate every PDF stream; return the bytes of the CII XML or None.

    The last one wins: an incremental update that replaces the invoice
    appends the new one after the old, which stays in the file."""
    found = None
    for m in STREAM_RE.finditer(data):
        raw = m.group(1)
        candidates = []
        try:
            candidates.append(zlib.decompressobj().decompress(raw))
        except zlib.error:
            pass
        candidates.append(raw)
        for c in candidates:
            if b"CrossIndustryInvoice" not in c:
                continue
            c = c.strip()
            try:
                _, kind = parse_xml(c)
            except ValueError:
                continue
            if kind == "cii":
                found = c
                break
    return found


KIND_NAMES = {"ubl": "a UBL invoice", "cii": "a CII invoice",
              "facturx": "a Factur-X PDF"}


def analyse_unit(name, data, syntax, family, config):
    u = Unit(name)
    if family is None:
        u.technical = True
        u.error = ("the fake server does not simulate syntaxeFlux '%s'"
                   % syntax)
        return u
    if data.startswith(b"%PDF-"):
        if family != "facturx":
            u.error = ("'%s' is a PDF, but syntaxeFlux '%s' expects %s"
                       % (name, syntax, KIND_NAMES[family]))
            return u
        xml = pdf_find_cii(data)
        if xml is None:
            u.technical = True
            u.error = ("no CII invoice (CrossIndustryInvoice) found in the "
                       "streams of PDF '%s'" % name)
            return u
        root, kind = parse_xml(xml)
    else:
        try:
            root, kind = parse_xml(data)
        except ValueError as e:
            u.technical = True
            u.error = "'%s' cannot be read: %s" % (name, e)
            return u
        if kind == "other":
            u.error = ("'%s' has root element %s, which is not an invoice"
                       % (name, root.tag))
            return u
    u.info = ubl_info(root) if kind == "ubl" else cii_info(root)
    if family == "facturx" and not data.startswith(b"%PDF-"):
        u.error = ("'%s' is %s XML, but syntaxeFlux '%s' expects a "
                   "Factur-X PDF" % (name, kind.upper(), syntax))
        return u
    if family != "facturx" and kind != family:
        u.error = ("'%s' is %s, but syntaxeFlux '%s' expects %s"
                   % (name, KIND_NAMES[kind], syntax, KIND_NAMES[family]))
        return u
    number = u.info.get("number")
    if not number:
        u.error = "'%s' has no invoice number" % name
        return u
    if "INCIDENT" in number:
        u.incident = True
    if "REJECT" in number:
        u.error = ("Le destinataire de la facture %s est refuse par le "
                   "serveur de test (numero magique REJECT)" % number)
        return u
    if config.get("check_buyer"):
        err = check_buyer(u.info)
        if err:
            u.error = err
            return u
    u.ok = True
    return u


def check_buyer(info):
    siret = info.get("buyer")
    st = structure_by_siret(siret) if siret else None
    if st is None:
        return ("le destinataire '%s' de la facture %s n'est pas reference "
                "dans l'annuaire de test" % (siret, info.get("number")))
    if st["statut"] != "ACTIVE":
        return "le destinataire '%s' est inactif" % siret
    service, ej = info.get("service"), info.get("commitment")
    active = {s["codeService"]: s for s in st["services"] if s["estActif"]}
    if service and service not in active:
        return ("le service '%s' n'est pas un service actif du "
                "destinataire '%s'" % (service, siret))
    if st["codeServiceDoitEtreRenseigne"] and not service:
        return "le destinataire '%s' exige un code service" % siret
    if st["numeroEJDoitEtreRenseigne"] and not ej:
        return "le destinataire '%s' exige un numero d'engagement" % siret
    if st["gestionNumeroEJOuCodeService"] and not (service or ej):
        return ("le destinataire '%s' exige un code service ou un numero "
                "d'engagement" % siret)
    if service and active[service]["numeroEngagement"] and not ej:
        return ("le service '%s' exige un numero d'engagement" % service)
    return None


def is_zip(data):
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def is_archive_name(name):
    low = name.lower()
    return low.endswith((".zip", ".tar.gz", ".tgz"))


def archive_members(data):
    """Return [(name, bytes)] of the archive; raise on an unreadable one."""
    out = []
    if is_zip(data):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                out.append((info.filename, zf.read(info)))
        return out
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
        for m in tf.getmembers():
            if not m.isfile():
                continue
            f = tf.extractfile(m)
            out.append((m.name, f.read()))
    return out


def analyse_flow(data, name, syntax, config):
    """Decide the terminal state of a flow.

    Returns a dict: state, units (list of Unit), dp (listeErreurDP),
    tech (listeErreurTechnique).
    """
    family = SYNTAXES[syntax]
    res = {"state": None, "units": [], "dp": [], "tech": []}

    def tech(msg, code="FAKE_TECH_01"):
        res["tech"].append({"codeErreur": code, "libelleErreur": msg,
                            "natureErreur": "TECHNIQUE"})

    container = is_zip(data) or data[:2] == b"\x1f\x8b"
    if container or is_archive_name(name):
        try:
            if not container:
                raise ValueError("content is not a zip or tar.gz archive")
            members = archive_members(data)
        except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError,
                zlib.error, ValueError, gzip.BadGzipFile) as e:
            res["state"] = "IN_INCIDENTE"
            tech("archive '%s' cannot be read: %s" % (name, e),
                 "FAKE_TECH_02")
            return res
        if not members:
            res["state"] = "IN_REJETE"
            tech("archive '%s' holds no file" % name)
            return res
        for mname, mdata in members:
            if is_zip(mdata) or mdata[:2] == b"\x1f\x8b":
                u = Unit(mname)
                u.error = "'%s' is an archive inside the archive" % mname
            else:
                u = analyse_unit(mname, mdata, syntax, family, config)
            res["units"].append(u)
    else:
        res["units"].append(analyse_unit(name, data, syntax, family, config))

    units = res["units"]
    for u in units:
        if u.ok:
            continue
        if u.technical and not container:
            tech(u.error)
            continue
        res["dp"].append({
            "identifiantDestinataire": u.info.get("buyer") or "",
            "identifiantFournisseur": u.info.get("seller") or "",
            "libelleErreurDP": u.error,
            "numeroDP": u.info.get("number") or u.name,
        })
    good = sum(1 for u in units if u.ok)
    if any(u.incident for u in units):
        res["state"] = "IN_INCIDENTE"
        tech("incident forced by an invoice number containing INCIDENT",
             "FAKE_TECH_03")
    elif good == len(units):
        res["state"] = "IN_INTEGRE"
    elif good == 0:
        res["state"] = "IN_REJETE"
    else:
        res["state"] = "IN_INTEGRE_PARTIEL"
    return res


def structure_by_siret(siret):
    for s in STRUCTURES:
        if s["siret"] == siret:
            return s
    return None


def structure_by_id(ident):
    for s in STRUCTURES:
        if s["idStructureCPP"] == ident:
            return s
    return None


# --------------------------------------------------------------------------
# Server state.

class FuncError(Exception):
    """A functional error: answered as {codeRetour, libelle}."""

    def __init__(self, code, libelle):
        super().__init__(libelle)
        self.code = code
        self.libelle = libelle


class Response:
    def __init__(self, status, body=b"", headers=None, ctype=None):
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        if ctype:
            self.headers.append(("Content-Type", ctype))


def json_response(status, obj, headers=None):
    return Response(status, json.dumps(obj, ensure_ascii=False).encode(),
                    headers, "application/json;charset=utf-8")


class State:
    def __init__(self, file_config):
        self.lock = threading.RLock()
        self.file_config = file_config
        self.reset()

    def reset(self):
        with self.lock:
            self.config = copy.deepcopy(DEFAULT_CONFIG)
            self.config.update(copy.deepcopy(self.file_config))
            self.tokens = {}
            self.tokens_issued = 0
            self.requests = {}
            self.faults = []
            self.flows = {}
            self.flow_order = []
            self.flow_counter = 0
            self.invoices = {}
            self.invoice_counter = 0

    def take_fault(self, path):
        with self.lock:
            for f in self.faults:
                p = f["path"]
                if (p == "*" or p == path or
                        (p.endswith("*") and path.startswith(p[:-1]))):
                    f["count"] -= 1
                    if f["count"] <= 0:
                        self.faults.remove(f)
                    return f
        return None


def check_config(values):
    """Validate a partial configuration; raise ValueError."""
    if not isinstance(values, dict):
        raise ValueError("configuration must be a JSON object")
    for k, v in values.items():
        if k not in DEFAULT_CONFIG:
            raise ValueError("unknown configuration key '%s'" % k)
        ref = DEFAULT_CONFIG[k]
        if isinstance(ref, bool):
            ok = isinstance(v, bool)
        elif isinstance(ref, int):
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) \
                and v >= 0
        elif isinstance(ref, list):
            ok = isinstance(v, list) and all(isinstance(x, str) for x in v)
        else:
            ok = isinstance(v, str)
        if not ok:
            raise ValueError("configuration key '%s' has a value of the "
                             "wrong type: %r" % (k, v))
    allowed = {"processing": ("immediate", "steps"),
               "no_result_style": ("20000", "empty"),
               "functional_error_status": (200, 400)}
    for k, choices in allowed.items():
        if k in values and values[k] not in choices:
            raise ValueError("configuration key '%s' is %r, expected one of "
                             "%s" % (k, values[k], list(choices)))
    if "page_size_default" in values and values["page_size_default"] < 1:
        raise ValueError("page_size_default must be at least 1")


def check_fault(f):
    if not isinstance(f, dict):
        raise ValueError("a fault must be a JSON object")
    out = dict(f)
    if not isinstance(out.get("path"), str) or not out["path"]:
        raise ValueError("fault has no 'path'")
    if out.get("kind") not in FAULT_KINDS:
        raise ValueError("fault kind %r is not one of %s"
                         % (out.get("kind"), list(FAULT_KINDS)))
    out.setdefault("count", 1)
    out.setdefault("delay", 3.0)
    out.setdefault("codeRetour", 99999)
    out.setdefault("libelle", "FAKE_MSG_99.999 erreur fonctionnelle injectee")
    if not isinstance(out["count"], int) or out["count"] < 1:
        raise ValueError("fault count must be a positive integer")
    if not isinstance(out["delay"], (int, float)) or out["delay"] < 0:
        raise ValueError("fault delay must be a number of seconds")
    if "status" in out and not isinstance(out["status"], int):
        raise ValueError("fault status must be an integer")
    return out


# --------------------------------------------------------------------------
# The API.

def want_str(body, key, required=True):
    v = body.get(key)
    if v is None:
        if required:
            raise FuncError(E_BAD_FIELD, "champ '%s' absent" % key)
        return None
    if not isinstance(v, str):
        raise FuncError(E_BAD_FIELD, "champ '%s' : une chaine est attendue, "
                        "pas %s" % (key, json.dumps(v)))
    return v


def want_int(body, key, required=True, minimum=None):
    v = body.get(key)
    if v is None:
        if required:
            raise FuncError(E_BAD_FIELD, "champ '%s' absent" % key)
        return None
    if isinstance(v, str) and re.fullmatch(r"-?\d+", v):
        v = int(v)
    if not isinstance(v, int) or isinstance(v, bool):
        raise FuncError(E_BAD_FIELD, "champ '%s' : un entier est attendu, "
                        "pas %s" % (key, json.dumps(v)))
    if minimum is not None and v < minimum:
        raise FuncError(E_BAD_FIELD, "champ '%s' vaut %d, minimum %d"
                        % (key, v, minimum))
    return v


def want_obj(body, key):
    v = body.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise FuncError(E_BAD_FIELD, "champ '%s' : un objet est attendu"
                        % key)
    return v


def paginate(items, page, size):
    total = len(items)
    pages = int(math.ceil(total / size)) if total else 0
    start = (page - 1) * size
    return items[start:start + size], {
        "pageCourante": page, "pages": pages,
        "nbResultatsParPage": size, "total": total}


class Api:
    def __init__(self, state):
        self.st = state
        self.routes = {
            "/cpro/factures/v1/deposer/flux": ("POST", self.deposer_flux),
            "/cpro/transverses/v1/consulterCRDetaille":
                ("POST", self.consulter_cr_detaille),
            "/cpro/transverses/v1/consulterCR": ("POST", self.consulter_cr),
            "/cpro/factures/v1/rechercher/fournisseur":
                ("POST", self.rechercher_fournisseur),
            "/cpro/factures/v1/consulter/historique":
                ("POST", self.consulter_historique),
            "/cpro/factures/v1/consulter/fournisseur":
                ("POST", self.consulter_fournisseur),
            "/cpro/structures/v1/rechercher":
                ("POST", self.rechercher_structure),
            "/cpro/structures/v1/consulter":
                ("POST", self.consulter_structure),
            "/cpro/structures/v1/rechercher/services":
                ("POST", self.rechercher_services),
            "/cpro/structures/v1/consulter/service":
                ("POST", self.consulter_service),
            "/cpro/transverses/v1/health-check": ("GET", self.health_check),
            "/cpro/transverses/v1/recuperer/structures/actives/fournisseur":
                ("POST", self.structures_actives),
            "/cpro/transverses/v1/recuperer/formatflux":
                ("POST", self.formatflux),
        }

    @property
    def cfg(self):
        return self.st.config

    def no_result(self, extra_empty):
        if self.cfg["no_result_style"] == "20000":
            return json_response(200, {
                "codeRetour": E_NO_RESULT, "libelle": "TRA_MSG_00.015"})
        body = {"codeRetour": 0, "libelle": "TRA_MSG_00.000"}
        body.update(extra_empty)
        return json_response(200, body)

    # ---------------------------------------------------------------- token
    def token(self, handler, body):
        ctype = handler.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != \
                "application/x-www-form-urlencoded":
            return json_response(400, {
                "error": "invalid_request",
                "error_description": "Content-Type must be "
                "application/x-www-form-urlencoded, not '%s'" % ctype})
        try:
            form = urllib.parse.parse_qs(body.decode("utf-8"),
                                         keep_blank_values=True,
                                         strict_parsing=False)
        except UnicodeDecodeError:
            form = {}
        field = {k: v[0] for k, v in form.items()}
        auth = handler.headers.get("Authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                cid, _, sec = base64.b64decode(auth[6:]).decode().partition(
                    ":")
                field.setdefault("client_id", urllib.parse.unquote(cid))
                field.setdefault("client_secret", urllib.parse.unquote(sec))
            except (binascii.Error, UnicodeDecodeError):
                pass
        grant = field.get("grant_type")
        if grant != "client_credentials":
            return json_response(400, {
                "error": "unsupported_grant_type",
                "error_description": "grant_type %r is not supported, only "
                "client_credentials" % grant})
        cfg = self.cfg
        if (field.get("client_id") != cfg["client_id"] or
                field.get("client_secret") != cfg["client_secret"]):
            return json_response(400, {
                "error": "invalid_client",
                "error_description": "client authentication failed: unknown "
                "client or wrong secret"})
        tok = secrets.token_urlsafe(24)
        life = cfg["token_lifetime"]
        with self.st.lock:
            self.st.tokens[tok] = time.monotonic() + life
            self.st.tokens_issued += 1
        return json_response(200, {
            "access_token": tok, "token_type": "Bearer",
            "expires_in": int(life), "scope": "openid"},
            [("Cache-Control", "no-store")])

    # ----------------------------------------------------------- middleware
    def cpro(self, handler, method, path, body):
        route = self.routes.get(path)
        if route is None:
            return json_response(404, {"error": "no API at '%s'" % path})
        want, fn = route
        if method != want:
            return Response(405, b"", [("Allow", want)])
        auth = handler.headers.get("Authorization", "")
        tok = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        with self.st.lock:
            exp = self.st.tokens.get(tok) if tok else None
        if exp is None or exp <= time.monotonic():
            return Response(401, b"", [(
                "WWW-Authenticate", 'Bearer realm="PISTE",'
                'error="invalid_token",'
                'error_description="token expired or unknown"')])
        if not self.account_ok(handler.headers.get("cpro-account")):
            return Response(401, b"", [(
                "WWW-Authenticate", 'Bearer realm="PISTE",'
                'error="Unauthorized",'
                'error_description="login or password incorrects"')])
        api = path.split("/")[2]
        if api in self.cfg["unsubscribed"]:
            return Response(403, b"")
        if method == "GET":
            return fn({})
        ctype = handler.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            return json_response(415, {
                "codeRetour": -1,
                "libelle": "Content-Type '%s' is not application/json"
                % ctype})
        try:
            obj = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            return json_response(400, {
                "codeRetour": -1,
                "libelle": "request body is not JSON: %s" % e})
        if not isinstance(obj, dict):
            return json_response(400, {
                "codeRetour": -1,
                "libelle": "request body is JSON %s, not an object"
                % type(obj).__name__})
        try:
            return fn(obj)
        except FuncError as e:
            return json_response(self.cfg["functional_error_status"],
                                 {"codeRetour": e.code, "libelle": e.libelle})

    def account_ok(self, value):
        if not value:
            return False
        try:
            raw = base64.b64decode(value.strip(), validate=True)
            text = raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        if ":" not in text:
            return False
        login, _, password = text.partition(":")
        return login == self.cfg["login"] and password == self.cfg["password"]

    # ------------------------------------------------------------- deposit
    def deposer_flux(self, body):
        b64 = want_str(body, "fichierFlux")
        name = want_str(body, "nomFichier")
        syntax = want_str(body, "syntaxeFlux")
        if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", b64) or len(b64) % 4:
            raise FuncError(E_BAD_FIELD, "champ 'fichierFlux' : ce n'est pas "
                            "du base64 RFC 4648 strict (%d caracteres)"
                            % len(b64))
        try:
            data = base64.b64decode(b64, validate=True)
        except binascii.Error as e:
            raise FuncError(E_BAD_FIELD, "champ 'fichierFlux' : base64 "
                            "invalide (%s)" % e) from None
        if not data:
            raise FuncError(E_BAD_FIELD, "champ 'fichierFlux' : fichier vide")
        if not name or len(name) > 200:
            raise FuncError(E_BAD_FIELD, "champ 'nomFichier' : %d caracteres,"
                            " il en faut de 1 a 200" % len(name))
        if not re.search(r"[^./\\]\.[A-Za-z0-9]+$", name):
            raise FuncError(E_BAD_FIELD, "champ 'nomFichier' : '%s' n'a pas "
                            "d'extension" % name)
        if syntax not in SYNTAXES:
            raise FuncError(E_BAD_FIELD, "champ 'syntaxeFlux' : '%s' n'est "
                            "pas une syntaxe acceptee" % syntax)
        sig = body.get("avecSignature")
        if sig is not None and not isinstance(sig, bool):
            raise FuncError(E_BAD_FIELD, "champ 'avecSignature' : un booleen "
                            "est attendu, pas %s" % json.dumps(sig))
        want_int(body, "idUtilisateurCourant", required=False)
        if len(data) > self.cfg["max_bytes"]:
            raise FuncError(E_TOO_LARGE, "GDP_MSG_11.022")

        analysis = analyse_flow(data, name, syntax, self.cfg)
        with self.st.lock:
            self.st.flow_counter += 1
            flow_id = "CPP00111100000000000%05d" % self.st.flow_counter
            flow = {
                "flow": flow_id,
                "nomFichier": name,
                "syntaxeFlux": syntax,
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "invoices": [u.info.get("number") for u in analysis["units"]
                             if u.info.get("number")],
                "time": now_iso(),
                "dateDepot": today(),
                "terminal": analysis["state"],
                "analysis": analysis,
                "steps": self.cfg["processing"] == "steps",
                "consults": 0,
                "decided": False,
                "state_time": now_iso(),
            }
            self.st.flows[flow_id] = flow
            self.st.flow_order.append(flow_id)
            if not flow["steps"]:
                self.decide(flow)
        return json_response(200, {
            "codeRetour": 0, "libelle": "GCU_MSG_01_000",
            "numeroFluxDepot": flow_id, "dateDepot": flow["dateDepot"],
            "syntaxeFlux": syntax})

    def decide(self, flow):
        """The flow reached its terminal state: publish its invoices."""
        flow["decided"] = True
        flow["state_time"] = now_iso()
        if flow["terminal"] not in ("IN_INTEGRE", "IN_INTEGRE_PARTIEL"):
            return
        for u in flow["analysis"]["units"]:
            if not u.ok:
                continue
            self.st.invoice_counter += 1
            ident = 3125100 + self.st.invoice_counter
            number = u.info["number"]
            script = next(s for magic, s in LIFECYCLES if magic in number)
            self.st.invoices[ident] = {
                "id": ident, "info": u.info, "flow": flow["flow"],
                "dateDepot": flow["dateDepot"],
                "statuses": ["DEPOSEE"] + script, "index": 0,
                "history": [("DEPOSEE", now_minute())],
            }

    def flow_state(self, flow):
        """Current state; with processing 'steps' each consult moves on."""
        if flow["decided"]:
            return flow["terminal"]
        n = flow["consults"]
        flow["consults"] += 1
        if n < len(PENDING_STEPS):
            if n > 0:
                flow["state_time"] = now_iso()
            return PENDING_STEPS[n]
        self.decide(flow)
        return flow["terminal"]

    def find_flow(self, body):
        ident = want_str(body, "numeroFluxDepot")
        flow = self.st.flows.get(ident)
        if flow is None:
            raise FuncError(E_UNKNOWN_FLOW, "le flux '%s' est inconnu"
                            % ident)
        return flow

    def consulter_cr_detaille(self, body):
        with self.st.lock:
            flow = self.find_flow(body)
            state = self.flow_state(flow)
            a = flow["analysis"] if flow["decided"] else {"dp": [],
                                                          "tech": []}
            return json_response(200, {
                "codeRetour": 0, "libelle": "TRA_MSG_00.000",
                "numeroFluxDepot": flow["flow"],
                "codeInterfaceDepotFlux": "FAKE001A",
                "dateDepotFlux": flow["time"],
                "dateHeureEtatCourantFlux": flow["state_time"],
                "etatCourantDepotFlux": state,
                "nomFichier": flow["nomFichier"],
                "listeErreurDP": a["dp"],
                "listeErreurTechnique": a["tech"],
            })

    def consulter_cr(self, body):
        with self.st.lock:
            flow = self.find_flow(body)
            state = self.flow_state(flow)
            return json_response(200, {
                "codeRetour": 0, "libelle": "TRA_MSG_00.000",
                "numeroFluxDepot": flow["flow"],
                "codeInterfaceFlux": "FAKE001A",
                "nomFichierFlux": flow["nomFichier"],
                "codeAppliPartenaire": "FAKE",
                "designationPartenaire": "Serveur Chorus Pro de test",
                "dateDepotFlux": flow["time"],
                "dateHeureEtatCourantFlux": flow["state_time"],
                "etatCourantFlux": state,
                "fichierCR": base64.b64encode(REPORT_PDF).decode(),
            })

    # ------------------------------------------------------------ invoices
    def invoice_item(self, inv):
        i = inv["info"]
        st = structure_by_siret(i.get("buyer") or "")
        return {
            "identifiantFactureCPP": inv["id"],
            "numeroFacture": i["number"],
            "statut": inv["statuses"][inv["index"]],
            "numeroFluxDepot": inv["flow"],
            "dateDepot": inv["dateDepot"],
            "dateFacture": i.get("date"),
            "codeDestinataire": i.get("buyer"),
            "designationDestinataire": (st["designation"] if st
                                        else i.get("buyer_name")),
            "codeServiceExecutant": i.get("service"),
            "montantHT": i.get("ht"),
            "montantTTC": i.get("ttc"),
            "montantAPayer": i.get("payable"),
            "devise": i.get("currency"),
            "typeFacture": i.get("type", "FACTURE"),
            "typeDemandePaiement": i.get("type", "FACTURE"),
            "modeDepot": "DEPOT_API",
        }

    def page_size(self, asked):
        """The page size of a search: what the client asked, else the
        default; never more than page_size_max when that is set (real
        Chorus Pro is said to cap pages, OCA-#650)."""
        size = asked or self.cfg["page_size_default"]
        if self.cfg["page_size_max"]:
            size = min(size, self.cfg["page_size_max"])
        return size

    def rechercher_fournisseur(self, body):
        flow = want_str(body, "numeroFluxDepot", required=False)
        number = want_str(body, "numeroFacture", required=False)
        since = want_str(body, "periodeDateDepotDu", required=False)
        until = want_str(body, "periodeDateDepotAu", required=False)
        ftype = want_str(body, "typeFacture", required=False)
        statuts = body.get("statutCourant")
        if statuts is not None and (not isinstance(statuts, list) or
                                    not all(isinstance(s, str)
                                            for s in statuts)):
            raise FuncError(E_BAD_FIELD, "champ 'statutCourant' : une liste "
                            "de chaines est attendue")
        for key, v in (("periodeDateDepotDu", since),
                       ("periodeDateDepotAu", until)):
            if v is not None and not re.fullmatch(r"\d{4}-\d\d-\d\d", v):
                raise FuncError(E_BAD_FIELD, "champ '%s' : date '%s' au "
                                "format AAAA-MM-JJ attendue" % (key, v))
        pag = want_obj(body, "rechercheFactureParFournisseur")
        page = want_int(pag, "pageResultatDemandee", False, 1) or 1
        size = self.page_size(want_int(pag, "nbResultatsParPage", False, 1))
        with self.st.lock:
            found = []
            for ident in sorted(self.st.invoices):
                inv = self.st.invoices[ident]
                item = self.invoice_item(inv)
                if flow is not None and inv["flow"] != flow:
                    continue
                if number is not None and item["numeroFacture"] != number:
                    continue
                if since is not None and inv["dateDepot"] < since:
                    continue
                if until is not None and inv["dateDepot"] > until:
                    continue
                if ftype is not None and item["typeFacture"] != ftype:
                    continue
                if statuts and item["statut"] not in statuts:
                    continue
                found.append(item)
        if not found:
            return self.no_result({"listeFactures": [], "parametresRetour": {
                "pageCourante": page, "pages": 0,
                "nbResultatsParPage": size, "total": 0}})
        items, ret = paginate(found, page, size)
        return json_response(200, {
            "codeRetour": 0, "libelle": "TRA_MSG_00.000",
            "listeFactures": items, "parametresRetour": ret})

    def find_invoice(self, body, key):
        ident = want_int(body, key)
        inv = self.st.invoices.get(ident)
        if inv is None:
            raise FuncError(E_UNKNOWN_INVOICE, "la facture %d est inconnue"
                            % ident)
        return inv

    def consulter_historique(self, body):
        with self.st.lock:
            inv = self.find_invoice(body, "idFacture")
            if inv["index"] + 1 < len(inv["statuses"]):
                inv["index"] += 1
                inv["history"].append((inv["statuses"][inv["index"]],
                                       now_minute()))
            histo = [{"histoStatutId": i + 1, "histoStatutCode": code,
                      "histoStatutDatePassage": when,
                      "histoStatutCommentaire": "",
                      "histoStatutUtilisateurNom": "FAKE",
                      "histoStatutUtilisateurPrenom": "Chorus"}
                     for i, (code, when) in enumerate(inv["history"])]
            current = inv["statuses"][inv["index"]]
            return json_response(200, {
                "codeRetour": 0, "libelle": "TRA_MSG_00.000",
                "idFacture": inv["id"],
                "numeroFacture": inv["info"]["number"],
                "modeDepot": "DEPOT_API",
                "statutCourantCode": current,
                "historiquesDesStatuts": {
                    "histoStatut": histo,
                    "totalHistoStatut": len(histo)},
                "historiquesDesEvenementsComplementaires": {
                    "histoEvenementComplementaire": [],
                    "totalHistoEvenementComplementaire": 0},
                "historiquesDesActionsUtilisateurs": {
                    "histoAction": [], "totalHistoAction": 0},
                "derniereAction": {},
            })

    def consulter_fournisseur(self, body):
        with self.st.lock:
            inv = self.find_invoice(body, "identifiantFactureCPP")
            item = self.invoice_item(inv)
            i = inv["info"]
            return json_response(200, {
                "codeRetour": 0, "libelle": "TRA_MSG_00.000",
                "facture": {
                    "identifiantFactureCPP": inv["id"],
                    "numeroFacture": i["number"],
                    "statutFacture": item["statut"],
                    "typeFacture": item["typeFacture"],
                    "dateFacture": i.get("date"),
                    "dateDepot": inv["dateDepot"],
                    "numeroFluxDepot": inv["flow"],
                    "modeDepot": "DEPOT_API",
                    "destinataire": {
                        "codeDestinataire": i.get("buyer"),
                        "libelleDestinataire":
                            item["designationDestinataire"],
                        "codeServiceExecutant": i.get("service")},
                    "fournisseur": {
                        "idFournisseur": SUPPLIER["idStructureCPP"],
                        "codeFournisseur": i.get("seller")},
                    "montantTotal": {
                        "montantHtTotal": i.get("ht"),
                        "montantTtcTotal": i.get("ttc"),
                        "montantAPayer": i.get("payable")},
                    "references": {
                        "deviseFacture": i.get("currency"),
                        "numeroEngagement": i.get("commitment")},
                }})

    # ---------------------------------------------------------- structures
    def rechercher_structure(self, body):
        crit = want_obj(body, "structure")
        siret = want_str(crit, "identifiantStructure", required=False)
        kind = want_str(crit, "typeIdentifiantStructure", required=False)
        name = want_str(crit, "raisonSocialeStructure", required=False)
        statut = want_str(crit, "statutStructure", required=False)
        pag = want_obj(body, "parametres")
        page = want_int(pag, "pageResultatDemandee", False, 1) or 1
        size = self.page_size(want_int(pag, "nbResultatsParPage", False, 1))
        everything = [dict(s, prive=False) for s in STRUCTURES] + [{
            "idStructureCPP": SUPPLIER["idStructureCPP"],
            "siret": SUPPLIER["siret"],
            "designation": SUPPLIER["designation"],
            "statut": "ACTIVE", "prive": True}]
        found = []
        for s in everything:
            if siret is not None and s["siret"] != siret:
                continue
            if kind is not None and kind != "SIRET":
                continue
            if name is not None and \
                    name.lower() not in s["designation"].lower():
                continue
            if statut is not None and \
                    {"ACTIF": "ACTIVE", "INACTIF": "INACTIVE"}.get(
                        statut) != s["statut"]:
                continue
            found.append({
                "idStructureCPP": s["idStructureCPP"],
                "identifiantStructure": s["siret"],
                "designationStructure": s["designation"],
                "typeIdentifiantStructure": "SIRET",
                "statut": s["statut"]})
        if not found:
            return self.no_result({"listeStructures": [], "parametresRetour": {
                "pageCourante": page, "pages": 0,
                "nbResultatsParPage": size, "total": 0}})
        items, ret = paginate(found, page, size)
        return json_response(200, {
            "codeRetour": 0, "libelle": "TRA_MSG_00.000",
            "listeStructures": items, "parametresRetour": ret})

    def find_structure(self, body, key):
        if key not in body and key == "idStructureCPP" and \
                "idStructure" in body:
            key = "idStructure"
        ident = want_int(body, key)
        s = structure_by_id(ident)
        if s is None:
            raise FuncError(E_UNKNOWN_STRUCTURE, "la structure %d est "
                            "inconnue" % ident)
        return s

    def consulter_structure(self, body):
        s = self.find_structure(body, "idStructureCPP")
        return json_response(200, {
            "codeRetour": 0, "libelle": "TRA_MSG_00.000",
            "informationGenerales": {
                "idStructureCPP": s["idStructureCPP"],
                "identifiantStructure": s["siret"],
                "typeIdentifiantStructure": "SIRET",
                "raisonSocialeStructure": s["designation"],
                "libelleStructure": s["designation"],
                "emailStructure": "contact@example.invalid",
                "numeroTVA": None,
                "structurePriveePublique": "PUBLIQUE",
                "statut": s["statut"],
            },
            "adressePostaleDuSiege": {
                "adresse": "1 rue des Essais", "codePostal": "75000",
                "ville": "PARIS", "pays": "FR"},
            "parametres": {
                "codeServiceDoitEtreRenseigne":
                    s["codeServiceDoitEtreRenseigne"],
                "numeroEJDoitEtreRenseigne": s["numeroEJDoitEtreRenseigne"],
                "gestionNumeroEJOuCodeService":
                    s["gestionNumeroEJOuCodeService"],
                "connexionEDI": False, "estMoaUniquement": False,
                "estValideurDelegue": False, "getaMoa": False,
                "nonDiffusibleInsee": False, "recevoirDonneesViaEDI": False,
                "statutMiseEnPaiementNestPasRemonte": False,
            },
        })

    def rechercher_services(self, body):
        s = self.find_structure(body, "idStructure")
        pag = want_obj(body, "parametresRechercherServicesStructure")
        page = want_int(pag, "pageResultatDemandee", False, 1) or 1
        size = self.page_size(want_int(pag, "nbResultatsParPage", False, 1))
        found = [{
            "idService": sv["idService"], "codeService": sv["codeService"],
            "libelleService": sv["libelleService"],
            "estActif": sv["estActif"],
            "statutService": "ACTIF" if sv["estActif"] else "INACTIF",
            "dateDbtService": "2016-10-25 17:42",
            "dateFinService": None if sv["estActif"] else "2020-01-01 00:00",
        } for sv in s["services"]]
        if not found:
            return self.no_result({"listeServices": [], "parametresRetour": {
                "pageCourante": page, "pages": 0,
                "nbResultatsParPage": size, "total": 0}})
        items, ret = paginate(found, page, size)
        return json_response(200, {
            "codeRetour": 0, "libelle": "TRA_MSG_00.000",
            "listeServices": items, "parametresRetour": ret})

    def consulter_service(self, body):
        s = self.find_structure(body, "idStructure")
        ident = want_int(body, "idService")
        for sv in s["services"]:
            if sv["idService"] == ident:
                break
        else:
            raise FuncError(E_UNKNOWN_STRUCTURE, "le service %d n'existe pas "
                            "dans la structure %d"
                            % (ident, s["idStructureCPP"]))
        return json_response(200, {
            "codeRetour": 0, "libelle": "TRA_MSG_00.000",
            "informationsGenerales": {
                "idService": sv["idService"],
                "codeService": sv["codeService"],
                "nomService": sv["libelleService"],
                "descriptionService": sv["libelleService"],
                "estActif": sv["estActif"]},
            "adressePostale": {"adresse": "1 rue des Essais",
                               "codePostal": "75000", "ville": "PARIS",
                               "pays": "FR"},
            "parametres": {
                "numeroEngagement": sv["numeroEngagement"],
                "miseEnPaiement": False,
                "dateDebutValidite": "2016-10-25T17:42:00.000+01:00",
                "dateFinValidite": None},
        })

    # ---------------------------------------------------------- transverses
    def health_check(self, _body):
        return json_response(200, HEALTH_BODY)

    def structures_actives(self, _body):
        return json_response(200, {
            "codeRetour": 0, "libelle": "TRA_MSG_00.000",
            "listeStructures": [{
                "idStructureCPP": SUPPLIER["idStructureCPP"],
                "identifiant": SUPPLIER["siret"],
                "designationStructure": SUPPLIER["designation"]}]})

    def formatflux(self, _body):
        return json_response(200, {
            "codeRetour": 0, "libelle": "TRA_MSG_00.000",
            "listeFormatFlux": [{"formatFlux": k} for k in SYNTAXES]})


# --------------------------------------------------------------------------
# Control endpoints.

def public_flow(flow, state):
    return {
        "flow": flow["flow"], "nomFichier": flow["nomFichier"],
        "syntaxeFlux": flow["syntaxeFlux"], "sha256": flow["sha256"],
        "size": flow["size"], "invoices": flow["invoices"],
        "state": state, "terminal": flow["terminal"], "time": flow["time"],
    }


def control(state, api, method, path, body):
    def bad(msg, status=400):
        return json_response(status, {"error": msg})

    def parse():
        if not body.strip():
            return {}
        return json.loads(body.decode("utf-8"))

    routes = {"/_fake/reset": ("POST",), "/_fake/config": ("GET", "POST"),
              "/_fake/deposits": ("GET",), "/_fake/stats": ("GET",),
              "/_fake/revoke-tokens": ("POST",),
              "/_fake/faults": ("GET", "POST", "DELETE"),
              "/_fake/invoices": ("GET",)}
    if path not in routes:
        return bad("no control endpoint '%s'" % path, 404)
    if method not in routes[path]:
        return bad("%s is not allowed on %s" % (method, path), 405)
    try:
        obj = parse() if method == "POST" else {}
    except (UnicodeDecodeError, ValueError) as e:
        return bad("body is not JSON: %s" % e)
    with state.lock:
        if path == "/_fake/reset":
            state.reset()
            return json_response(200, {"ok": True})
        if path == "/_fake/config":
            if method == "POST":
                try:
                    check_config(obj)
                except ValueError as e:
                    return bad(str(e))
                state.config.update(obj)
            return json_response(200, {"config": state.config})
        if path == "/_fake/deposits":
            out = []
            for fid in state.flow_order:
                f = state.flows[fid]
                cur = f["terminal"] if f["decided"] else \
                    PENDING_STEPS[max(0, min(f["consults"] - 1,
                                             len(PENDING_STEPS) - 1))]
                out.append(public_flow(f, cur))
            return json_response(200, {"deposits": out})
        if path == "/_fake/stats":
            return json_response(200, {
                "requests": dict(state.requests),
                "tokens_issued": state.tokens_issued,
                "tokens_valid": sum(1 for e in state.tokens.values()
                                    if e > time.monotonic()),
                "faults_pending": len(state.faults)})
        if path == "/_fake/revoke-tokens":
            n = len(state.tokens)
            state.tokens.clear()
            return json_response(200, {"revoked": n})
        if path == "/_fake/invoices":
            return json_response(200, {"invoices": [
                api.invoice_item(state.invoices[i])
                for i in sorted(state.invoices)]})
        # /_fake/faults
        if method == "POST":
            faults = obj.get("faults") if isinstance(obj, dict) else None
            if not isinstance(faults, list):
                return bad("expected {\"faults\": [...]}")
            try:
                checked = [check_fault(f) for f in faults]
            except ValueError as e:
                return bad(str(e))
            state.faults.extend(checked)
        elif method == "DELETE":
            state.faults.clear()
        return json_response(200, {"faults": state.faults})


# --------------------------------------------------------------------------
# HTTP plumbing.

class Log:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.fp = open(path, "a", buffering=1) if path else sys.stderr

    def line(self, text):
        stamp = datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3]
        with self.lock:
            try:
                self.fp.write("%s %s\n" % (stamp, text))
                self.fp.flush()
            except (OSError, ValueError):
                pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeChorus/1.0"
    sys_version = ""

    def setup(self):
        self.request.settimeout(120)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):
        pass  # one line per request is written by dispatch()

    def log_error(self, fmt, *args):
        self.server.log.line("error %s" % (fmt % args))

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n",
                                                            b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline(16)
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def dispatch(self, method):
        srv = self.server
        path = urllib.parse.urlsplit(self.path).path
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.send(Response(400, b"bad request body"), method, path)
            self.close_connection = True
            return
        if path.startswith("/_fake/"):
            self.send(control(srv.state, srv.api, method, path, body),
                      method, path)
            return
        with srv.state.lock:
            srv.state.requests[path] = srv.state.requests.get(path, 0) + 1
        fault = srv.state.take_fault(path)
        kind = fault["kind"] if fault else None
        note = " fault=%s" % kind if kind else ""
        if kind == "reset":
            self.drop(method, path, note)
            return
        if kind in ("slow",):
            time.sleep(fault["delay"])
        simple = {"500": "Internal Server Error",
                  "503": "Service Unavailable",
                  "429": "Too Many Requests"}
        if kind in simple:
            hdrs = []
            if "retry_after" in fault:
                hdrs.append(("Retry-After", str(fault["retry_after"])))
            self.send(Response(fault.get("status", int(kind)),
                               simple[kind].encode() + b"\n", hdrs,
                               "text/plain"), method, path, note)
            return
        if kind == "401":
            self.send(Response(401, b"", [(
                "WWW-Authenticate", 'Bearer realm="PISTE",'
                'error="invalid_token",'
                'error_description="token expired or unknown"')]),
                method, path, note)
            return
        if kind == "codeRetour":
            status = fault.get("status",
                               srv.state.config["functional_error_status"])
            self.send(json_response(status, {
                "codeRetour": fault["codeRetour"],
                "libelle": fault["libelle"]}), method, path, note)
            return
        if kind == "empty":
            self.send(Response(fault.get("status", 200), b"", None,
                               "application/json;charset=utf-8"),
                      method, path, note)
            return
        if kind == "malformed":
            self.send(Response(fault.get("status", 200),
                               b"{\"codeRetour\": 0, \"libelle\": <html>",
                               None, "application/json;charset=utf-8"),
                      method, path, note)
            return

        if path == "/api/oauth/token":
            if method != "POST":
                resp = Response(405, b"", [("Allow", "POST")])
            else:
                resp = srv.api.token(self, body)
        elif path.startswith("/cpro/"):
            resp = srv.api.cpro(self, method, path, body)
        else:
            resp = json_response(404, {"error": "nothing at '%s'" % path})

        if kind == "commit-then-reset":
            self.drop(method, path, note + " (after %d)" % resp.status)
            return
        if kind == "commit-then-slow":
            time.sleep(fault["delay"])
        self.send(resp, method, path, note)

    def send(self, resp, method, path, note=""):
        self.server.log.line("%s %s %d%s" % (method, path, resp.status, note))
        try:
            self.send_response(resp.status)
            for k, v in resp.headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            self.wfile.write(resp.body)
            self.wfile.flush()
        except OSError as e:
            self.server.log.line("%s %s client gone: %s" % (method, path, e))
            self.close_connection = True

    def drop(self, method, path, note):
        """Close the connection without any answer."""
        self.server.log.line("%s %s no-answer%s" % (method, path, note))
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, state, api, log, sslctx):
        self.state, self.api, self.log, self.sslctx = state, api, log, sslctx
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.sslctx is not None:
            sock = self.sslctx.wrap_socket(sock, server_side=True,
                                           do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        self.log.line("connection error: %s: %s" % (type(e).__name__, e))


def main(argv=None):
    ap = argparse.ArgumentParser(description="fake Chorus Pro server")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--ready-file")
    ap.add_argument("--config")
    ap.add_argument("--log")
    ap.add_argument("--exit-with-parent", action="store_true",
                    help="stop when the parent process goes away")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")

    file_config = {}
    if args.config:
        try:
            with open(args.config, encoding="utf-8") as f:
                file_config = json.load(f)
            check_config(file_config)
        except (OSError, ValueError) as e:
            print("fake_chorus: bad --config '%s': %s" % (args.config, e),
                  file=sys.stderr)
            return 2

    sslctx = None
    if args.tls_cert:
        sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sslctx.load_cert_chain(args.tls_cert, args.tls_key)

    log = Log(args.log)
    state = State(file_config)
    api = Api(state)
    srv = Server(("127.0.0.1", args.port), state, api, log, sslctx)
    port = srv.server_address[1]
    url = "%s://127.0.0.1:%d" % ("https" if sslctx else "http", port)

    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    parent = os.getppid()

    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    log.line("listening on %s" % url)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"port": port, "url": url, "pid": os.getpid()}, f)
        os.replace(tmp, args.ready_file)
    else:
        print(url, flush=True)

    while not stop.wait(0.5):
        if args.exit_with_parent and os.getppid() != parent:
            log.line("parent went away")
            break
    srv.shutdown()
    srv.server_close()
    log.line("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
