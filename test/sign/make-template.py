#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make-template.py - an XAdES-BES signature template for `xmlsec1 --sign`

  make-template.py MODE INVOICE CERT METHOD OUT [--cert-of OTHER]

MODE is `enveloped` (INVOICE is UBL: the template is the invoice with an
empty ds:Signature in the UBL 2.1 signature extension) or `detached`
(the template is a ds:Signature referring to INVOICE by its base name).
METHOD is `rsa-sha256` or `ecdsa-sha256`.  The XAdES signed properties
(SigningTime, SigningCertificateV2 with the digest, issuer and serial
number of CERT) are computed here, with the standard library only, so
that they owe nothing to facture.  --cert-of names another certificate
to describe instead, to make a template that lies.
"""

import base64
import hashlib
import os
import re
import sys

DSIG = 'http://www.w3.org/2000/09/xmldsig#'
XADES = 'http://uri.etsi.org/01903/v1.3.2#'
SIG = 'urn:oasis:names:specification:ubl:schema:xsd:CommonSignatureComponents-2'
SAC = ('urn:oasis:names:specification:ubl:schema:xsd:'
       'SignatureAggregateComponents-2')
EXT = ('urn:oasis:names:specification:ubl:schema:xsd:'
       'CommonExtensionComponents-2')
CBC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'
UBL_XPATH = ('count(ancestor-or-self::sig:UBLDocumentSignatures | '
             'here()/ancestor::sig:UBLDocumentSignatures[1]) &gt; '
             'count(ancestor-or-self::sig:UBLDocumentSignatures)')


def pem_der(path):
    text = open(path).read()
    m = re.search(r'-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----',
                  text, re.S)
    return base64.b64decode(''.join(m.group(1).split()))


def tlv(buf, pos):
    """(tag, start of content, length of content, end) of the TLV at pos."""
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(buf[pos:pos + n], 'big')
        pos += n
    return tag, pos, length, pos + length


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(b)]) + b


def wrap(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def issuer_serial_v2(der):
    """DER of IssuerSerial (RFC 5035) for the certificate DER."""
    _, cert, _, _ = tlv(der, 0)
    _, tbs, _, _ = tlv(der, cert)
    pos = tbs
    tag, _, _, end = tlv(der, pos)
    if tag == 0xA0:  # explicit version
        pos = end
    _, _, _, end = tlv(der, pos)
    serial = der[pos:end]
    pos = end
    _, _, _, pos = tlv(der, pos)  # signature algorithm
    _, _, _, end = tlv(der, pos)
    issuer = der[pos:end]
    return wrap(0x30, wrap(0x30, wrap(0xA4, issuer)) + serial)


def signature(mode, invoice, der, method):
    methods = {
        'rsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
        'ecdsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
    }
    sha256 = 'http://www.w3.org/2001/04/xmlenc#sha256'
    exc = 'http://www.w3.org/2001/10/xml-exc-c14n#'
    digest = base64.b64encode(hashlib.sha256(der).digest()).decode()
    isv2 = base64.b64encode(issuer_serial_v2(der)).decode()
    if mode == 'enveloped':
        ref = ('<ds:Reference Id="tmpl-ref" URI="">'
               '<ds:Transforms>'
               '<ds:Transform Algorithm="http://www.w3.org/TR/1999/'
               'REC-xpath-19991116"><ds:XPath xmlns:sig="%s">%s</ds:XPath>'
               '</ds:Transform>'
               '<ds:Transform Algorithm="http://www.w3.org/TR/2001/'
               'REC-xml-c14n-20010315"/>'
               '</ds:Transforms>' % (SIG, UBL_XPATH))
    else:
        ref = '<ds:Reference Id="tmpl-ref" URI="%s">' % (
            os.path.basename(invoice))
    return (
        '<ds:Signature xmlns:ds="%(ds)s" Id="tmpl">\n'
        '<ds:SignedInfo>\n'
        '<ds:CanonicalizationMethod Algorithm="%(exc)s"/>\n'
        '<ds:SignatureMethod Algorithm="%(method)s"/>\n'
        '%(ref)s<ds:DigestMethod Algorithm="%(sha256)s"/>'
        '<ds:DigestValue></ds:DigestValue></ds:Reference>\n'
        '<ds:Reference Type="http://uri.etsi.org/01903#SignedProperties" '
        'URI="#tmpl-props"><ds:Transforms><ds:Transform Algorithm="%(exc)s"/>'
        '</ds:Transforms><ds:DigestMethod Algorithm="%(sha256)s"/>'
        '<ds:DigestValue></ds:DigestValue></ds:Reference>\n'
        '</ds:SignedInfo>\n'
        '<ds:SignatureValue></ds:SignatureValue>\n'
        '<ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data>'
        '</ds:KeyInfo>\n'
        '<ds:Object><xades:QualifyingProperties xmlns:xades="%(xades)s" '
        'Target="#tmpl"><xades:SignedProperties Id="tmpl-props">'
        '<xades:SignedSignatureProperties>'
        '<xades:SigningTime>2025-05-05T05:05:05Z</xades:SigningTime>'
        '<xades:SigningCertificateV2><xades:Cert><xades:CertDigest>'
        '<ds:DigestMethod Algorithm="%(sha256)s"/>'
        '<ds:DigestValue>%(digest)s</ds:DigestValue></xades:CertDigest>'
        '<xades:IssuerSerialV2>%(isv2)s</xades:IssuerSerialV2></xades:Cert>'
        '</xades:SigningCertificateV2></xades:SignedSignatureProperties>'
        '</xades:SignedProperties></xades:QualifyingProperties></ds:Object>\n'
        '</ds:Signature>' % {
            'ds': DSIG, 'xades': XADES, 'exc': exc, 'sha256': sha256,
            'method': methods[method], 'ref': ref, 'digest': digest,
            'isv2': isv2})


def main():
    args = sys.argv[1:]
    other = None
    if '--cert-of' in args:
        i = args.index('--cert-of')
        other = args[i + 1]
        del args[i:i + 2]
    mode, invoice, cert, method, out = args
    der = pem_der(other or cert)
    sig = signature(mode, invoice, der, method)
    if mode == 'detached':
        text = '<?xml version="1.0" encoding="UTF-8"?>\n' + sig + '\n'
    else:
        text = open(invoice, encoding='utf-8').read()
        ext = ('<ext:UBLExtensions xmlns:ext="%s"><ext:UBLExtension>'
               '<ext:ExtensionContent><sig:UBLDocumentSignatures '
               'xmlns:sig="%s" xmlns:sac="%s" xmlns:cbc="%s">'
               '<sac:SignatureInformation>%s</sac:SignatureInformation>'
               '</sig:UBLDocumentSignatures></ext:ExtensionContent>'
               '</ext:UBLExtension></ext:UBLExtensions>'
               % (EXT, SIG, SAC, CBC, sig))
        # right after the start tag of the root element
        m = re.search(r'<(Invoice|CreditNote)\b[^>]*>', text)
        text = text[:m.end()] + '\n  ' + ext + text[m.end():]
    open(out, 'w', encoding='utf-8').write(text)


if __name__ == '__main__':
    main()
