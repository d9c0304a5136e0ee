#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""submit.py - `facture submit` against the fake Chorus Pro server: the
kinds of files and their syntaxeFlux, the JSON output, validation and
the Chorus Pro checks, the buyer cache, the journal's refusals, --again,
--dry-run and --wait

Run: with_server.py --tls -- python3 submit.py FACTURE [CASE...]
"""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chorus_harness import (  # noqa: E402
    BUYER_COMMITMENT, BUYER_EITHER, BUYER_INACTIVE, BUYER_NOTHING,
    BUYER_SERVICE, BUYER_UNKNOWN, DATE_RE, DEPOSIT_PATH, FLOW_RE,
    REPORT_PATH, check, expect_deposited_line, expect_in, expect_rc,
    run_cases, sha256_file)

FILE_KEYS = {'file', 'sha256', 'number', 'syntax', 'result', 'flow', 'date',
             'state', 'message', 'findings', 'errors'}


def one_deposit(c, path, syntax):
    deps = c.fake.deposits()
    check(len(deps) == 1, 'wanted 1 deposit on the server, found %d'
          % len(deps))
    d = deps[0]
    check(d['syntaxeFlux'] == syntax, 'deposited as %s, wanted %s'
          % (d['syntaxeFlux'], syntax))
    check(d['sha256'] == sha256_file(path),
          'the server got other bytes than the file')
    check(d['nomFichier'] == os.path.basename(path),
          'nomFichier %r, wanted %r' % (d['nomFichier'],
                                        os.path.basename(path)))
    return d


def submit_one(c, path, syntax):
    r = c.run('submit', path, expect=0)
    flow = expect_deposited_line(r, path)
    d = one_deposit(c, path, syntax)
    check(d['flow'] == flow, 'printed flow %s, the server made %s'
          % (flow, d['flow']))
    e = c.journal_entry(path)
    check(e.get('flow') == flow, 'journal flow %r, wanted %s'
          % (e.get('flow'), flow))
    check(e.get('syntax') == syntax, 'journal syntax %r' % e.get('syntax'))
    check(e.get('state') not in ('sending', 'unknown', 'failed'),
          'journal state %r after a deposit' % e.get('state'))
    return r


def case_ubl(c):
    p = c.ubl('a.xml', 'S-UBL-1')
    r = submit_one(c, p, 'IN_DP_E1_UBL_INVOICE')
    expect_in(r.err, '1 file', r, 'stderr (summary)')
    check(c.fake.deposits()[0]['invoices'] == ['S-UBL-1'],
          'the server read another invoice number')


def case_cii(c):
    submit_one(c, c.cii('c.xml', 'S-CII-1'), 'IN_DP_E1_CII_16B')


def case_facturx_pdf(c):
    submit_one(c, c.facturx('f.pdf', 'S-FX-1'), 'IN_DP_E2_CII_FACTURX')
    check(c.fake.deposits()[0]['invoices'] == ['S-FX-1'],
          'the server did not find the CII invoice in the PDF')


def case_facturx_pdf_repacked(c):
    # the example PDF with a new invoice put in by facture pack --replace
    p = c.facturx('r.pdf', 'S-FXR-1', repack=True)
    submit_one(c, p, 'IN_DP_E2_CII_FACTURX')
    check(c.fake.deposits()[0]['invoices'] == ['S-FXR-1'],
          'the server read the invoice %r from the repacked PDF, not the '
          'current one' % c.fake.deposits()[0]['invoices'])


def case_zip(c):
    a = c.ubl('z1.xml', 'S-Z-1')
    b = c.ubl('z2.xml', 'S-Z-2')
    z = c.zip('batch.zip', [a, b])
    submit_one(c, z, 'IN_DP_E1_UBL_INVOICE')
    check(sorted(c.fake.deposits()[0]['invoices']) == ['S-Z-1', 'S-Z-2'],
          'the server did not find both invoices in the zip')


def case_names_without_extension_get_the_right_one(c):
    # nomFichier needs an extension, and the platform reads an archive
    # only as an archive: the extension follows the content
    a = c.ubl('n1.xml', 'S-NE-1')
    b = c.ubl('n2.xml', 'S-NE-2')
    z = c.zip('batch.zip', [a, b])
    os.rename(z, os.path.join(c.work, 'batch'))
    x = c.ubl('single', 'S-NE-3')
    c.run('submit', '--offline', os.path.join(c.work, 'batch'), x,
          expect=0)
    names = [d['nomFichier'] for d in c.fake.deposits()]
    check(names == ['batch.zip', 'single.xml'],
          'nomFichier %r, wanted batch.zip and single.xml' % names)


def case_zip_of_mixed_syntaxes_is_refused(c):
    a = c.ubl('m1.xml', 'S-M-1')
    b = c.cii('m2.xml', 'S-M-2')
    z = c.write('mixed.zip', b'')
    os.unlink(z)
    # pack refuses mixed syntaxes, so make the archive with Python
    import zipfile
    with zipfile.ZipFile(z, 'w') as zf:
        zf.write(a, 'm1.xml')
        zf.write(b, 'm2.xml')
    r = c.run('submit', z)
    expect_rc(r, 1)
    expect_in(r.both, 'members of different syntaxes', r)
    check(c.fake.deposits() == [], 'a mixed archive was deposited')


def case_not_an_invoice_is_refused(c):
    p = c.write('note.xml', b'<?xml version="1.0"?><note>hello</note>\n')
    r = c.run('submit', p)
    expect_rc(r, 1)
    expect_in(r.both, 'note.xml: not an invoice Chorus Pro accepts', r)
    pdf = c.write('plain.pdf', b'%PDF-1.4\n%%EOF\n')
    r = c.run('submit', pdf)
    check(r.rc in (1, 3), '%s: exit %s, wanted 1 (refused) or 3 (not '
          'readable as a PDF)' % (r.cmdline(), r.rc))
    check(c.fake.deposits() == [], 'a non-invoice was deposited')


def case_unreadable_file(c):
    r = c.run('submit', os.path.join(c.work, 'missing.xml'))
    expect_rc(r, 3)
    check(c.fake.deposits() == [], 'something was deposited')


def case_max_size(c):
    p = c.ubl('a.xml', 'S-MAX')
    r = c.run('submit', '--offline', '--max-size=1K', p)
    expect_rc(r, 3)
    check(c.fake.deposits() == [], 'a file over --max-size was deposited')
    r = c.run('submit', '--offline', '--max-size=lots', p)
    expect_rc(r, 2)
    c.run('submit', '--offline', '--max-size=1M', p, expect=0)


def case_four_kinds_in_one_run_json(c):
    files = [(c.ubl('j1.xml', 'S-J-1'), 'IN_DP_E1_UBL_INVOICE', 'S-J-1'),
             (c.cii('j2.xml', 'S-J-2'), 'IN_DP_E1_CII_16B', 'S-J-2'),
             (c.facturx('j3.pdf', 'S-J-3'), 'IN_DP_E2_CII_FACTURX',
              'S-J-3')]
    z = c.zip('j4.zip', [c.ubl('j4a.xml', 'S-J-4A'),
                         c.ubl('j4b.xml', 'S-J-4B')])
    files.append((z, 'IN_DP_E1_UBL_INVOICE', None))
    r = c.run('submit', '-f', 'json', *[f[0] for f in files], expect=0)
    doc = r.json()
    check(doc.get('version') == 1, 'json: version %r' % doc.get('version'))
    check(doc.get('profile') == 'default', 'json: profile %r'
          % doc.get('profile'))
    check(doc.get('env') == 'sandbox', 'json: env %r' % doc.get('env'))
    out = doc.get('files')
    check(isinstance(out, list) and len(out) == 4,
          'json: files is not a list of 4')
    deps = {d['flow']: d for d in c.fake.deposits()}
    check(len(deps) == 4, 'wanted 4 deposits, the server has %d'
          % len(deps))
    for (path, syntax, number), f in zip(files, out):
        missing = FILE_KEYS - set(f)
        check(not missing, 'json: file object lacks %s' % sorted(missing))
        check(f['result'] == 'deposited', 'json: %s result %r'
              % (f['file'], f['result']))
        check(f['syntax'] == syntax, 'json: %s syntax %r' % (f['file'],
                                                             f['syntax']))
        check(f['sha256'] == sha256_file(path), 'json: %s sha256 wrong'
              % f['file'])
        check(os.path.basename(f['file']) == os.path.basename(path),
              'json: file %r, wanted %s (order kept)' % (f['file'], path))
        check(f['flow'] in deps, 'json: flow %r is not on the server'
              % f['flow'])
        check(deps[f['flow']]['sha256'] == f['sha256'],
              'json: flow %s holds other bytes' % f['flow'])
        check(isinstance(f['date'], str) and DATE_RE.fullmatch(f['date']),
              'json: date %r' % f['date'])
        if number:
            check(f['number'] == number, 'json: number %r, wanted %s'
                  % (f['number'], number))
        check(f['state'] is None, 'json: state %r without --wait'
              % f['state'])
        check(isinstance(f['findings'], list) and
              isinstance(f['errors'], list), 'json: findings/errors')
    check(r.err.strip() == '' or 'deposited' in r.err,
          'stray text on stderr with -f json')


def case_invalid_invoice_refused_then_forced(c):
    p = c.ubl('bad.xml', 'S-BAD-1', invalid=True, check_valid=False)
    r = c.run('submit', p)
    expect_rc(r, 1)
    expect_in(r.both, 'not deposited', r)
    expect_in(r.both, 'use --force', r)
    check(re.search(r'(?:error|fatal)\[(XSD|BR-03)\]', r.both),
          'the validation errors are not printed like validate does')
    check(c.fake.deposits() == [], 'an invalid invoice was deposited')
    check(c.fake.requests(DEPOSIT_PATH) == 0, 'a deposit request was sent')
    r = c.run('submit', '--force', p, expect=0)
    check(re.search(r'(?:error|fatal)\[(XSD|BR-03)\]', r.both),
          '--force does not print the errors any more')
    expect_deposited_line(r, p)
    check(len(c.fake.deposits()) == 1, '--force did not deposit it')


def refused_with(c, path, rule, offline_ok=True):
    r = c.run('submit', path)
    expect_rc(r, 1)
    check(re.search(r'(?:error|fatal)\[%s\]' % rule, r.both),
          '%s: no fatal[%s] finding in the output' % (r.cmdline(), rule))
    expect_in(r.both, 'not deposited', r)
    check(c.fake.deposits() == [], '%s was deposited' % rule)
    return r


def case_cpro01_no_siret(c):
    refused_with(c, c.ubl('n.xml', 'S-C1', no_siret=True), 'CPRO-01')
    # also offline: it needs only the invoice
    r = c.run('submit', '--offline', os.path.join(c.work, 'n.xml'))
    expect_rc(r, 1)
    expect_in(r.both, 'CPRO-01', r)


def case_cpro02_bad_siret_key(c):
    bad = BUYER_NOTHING[:-1] + str((int(BUYER_NOTHING[-1]) + 1) % 10)
    p = c.ubl('k.xml', 'S-C2', buyer=bad, check_valid=False)
    refused_with(c, p, 'CPRO-02')
    r = c.run('submit', '--offline', p)
    expect_rc(r, 1)
    expect_in(r.both, 'CPRO-02', r)


def case_cpro03_service_code_required(c):
    p = c.ubl('s.xml', 'S-C3', buyer=BUYER_SERVICE, service=None)
    r = refused_with(c, p, 'CPRO-03')
    expect_in(r.both, BUYER_SERVICE, r)
    # with a service code of the buyer it goes
    q = c.ubl('s2.xml', 'S-C3B', buyer=BUYER_SERVICE, service='MAIRIE')
    r = c.run('submit', q, expect=0)
    expect_deposited_line(r, q)


def case_cpro04_commitment_required(c):
    p = c.ubl('e.xml', 'S-C4', buyer=BUYER_COMMITMENT, commitment=None)
    refused_with(c, p, 'CPRO-04')
    q = c.cii('e2.xml', 'S-C4B', buyer=BUYER_COMMITMENT, commitment=None)
    refused_with(c, q, 'CPRO-04')
    ok = c.ubl('e3.xml', 'S-C4C', buyer=BUYER_COMMITMENT,
               commitment='EJ-0001')
    c.run('submit', ok, expect=0)


def case_cpro04_service_requires_commitment(c):
    p = c.ubl('t.xml', 'S-C4S', buyer=BUYER_EITHER, service='TRAVAUX',
              commitment=None)
    refused_with(c, p, 'CPRO-04')


def case_cpro05_service_or_commitment(c):
    p = c.ubl('o.xml', 'S-C5', buyer=BUYER_EITHER, service=None,
              commitment=None)
    refused_with(c, p, 'CPRO-05')
    q = c.ubl('o2.xml', 'S-C5B', buyer=BUYER_EITHER, service=None,
              commitment='EJ-0002')
    c.run('submit', q, expect=0)


def case_cpro06_unknown_service(c):
    p = c.ubl('u.xml', 'S-C6', buyer=BUYER_SERVICE, service='NO-SUCH')
    refused_with(c, p, 'CPRO-06')


def case_cpro07_buyer_not_in_directory(c):
    p = c.ubl('x.xml', 'S-C7', buyer=BUYER_UNKNOWN)
    refused_with(c, p, 'CPRO-07')


def case_cpro08_inactive_buyer_is_a_warning(c):
    p = c.ubl('i.xml', 'S-C8', buyer=BUYER_INACTIVE)
    r = c.run('submit', p, expect=0)
    check(re.search(r'warning\[CPRO-08\]', r.both),
          'no warning[CPRO-08] for an inactive buyer')
    expect_deposited_line(r, p)


def case_offline_skips_the_lookup_checks(c):
    p = c.ubl('s.xml', 'S-OFF', buyer=BUYER_SERVICE, service=None)
    r = c.run('submit', '--offline', p, expect=0)
    check('CPRO-03' not in r.both, '--offline still ran CPRO-03')
    expect_deposited_line(r, p)
    check(c.fake.struct_requests() == 0,
          '--offline looked the buyer up (%d structures requests)'
          % c.fake.struct_requests())


def case_force_deposits_despite_chorus_checks(c):
    p = c.ubl('s.xml', 'S-FORCE', buyer=BUYER_SERVICE, service=None)
    r = c.run('submit', '--force', p, expect=0)
    expect_in(r.both, 'CPRO-03', r)
    expect_deposited_line(r, p)


def case_buyer_cache_is_used(c):
    p = c.ubl('s.xml', 'S-CACHE-1', buyer=BUYER_SERVICE, service='MAIRIE')
    q = c.ubl('s2.xml', 'S-CACHE-2', buyer=BUYER_SERVICE, service='CANTINE')
    c.run('submit', '--dry-run', p, expect=0)
    n = c.fake.struct_requests()
    check(n >= 1, 'the buyer was not looked up')
    cache = os.path.join(c.state, 'facture', 'default.structures.json')
    check(os.path.exists(cache), 'no cache at %s' % cache)
    c.run('submit', q, expect=0)
    check(c.fake.struct_requests() == n,
          'the second run asked the directory again (%d -> %d requests)'
          % (n, c.fake.struct_requests()))
    # --offline does not use the cache either: no CPRO-06 from it
    bad = c.ubl('s3.xml', 'S-CACHE-3', buyer=BUYER_SERVICE,
                service='NO-SUCH')
    r = c.run('submit', '--offline', '--dry-run', bad, expect=0)
    check('CPRO-06' not in r.both, '--offline used the cache')


def case_already_deposited_then_again(c):
    p = c.ubl('a.xml', 'S-AGAIN')
    r = c.run('submit', p, expect=0)
    flow = expect_deposited_line(r, p)
    r = c.run('submit', p)
    expect_rc(r, 1)
    m = re.search(r'already deposited on (\d{4}-\d{2}-\d{2}) as flow '
                  r'(CPP\d{22}) \(state ([A-Za-z_]+)\); use --again',
                  r.both)
    check(m, '%s: no "already deposited on DATE as flow CPP... (state '
          '...); use --again" message' % r.cmdline())
    check(m.group(2) == flow, 'the refusal names flow %s, not %s'
          % (m.group(2), flow))
    check(len(c.fake.deposits()) == 1, 'deposited twice without --again')
    r = c.run('submit', '--again', p, expect=0)
    flow2 = expect_deposited_line(r, p)
    check(flow2 != flow, '--again printed the old flow')
    check(len(c.fake.deposits()) == 2, '--again did not deposit')
    check(c.journal_entry(p).get('flow') == flow2,
          'the newest journal entry is not the second deposit')


def case_same_bytes_under_another_name_is_refused(c):
    p = c.ubl('a.xml', 'S-COPY')
    c.run('submit', p, expect=0)
    q = c.write('copy-of-a.xml', open(p, 'rb').read())
    r = c.run('submit', q)
    expect_rc(r, 1)
    expect_in(r.both, 'already deposited', r)
    check(len(c.fake.deposits()) == 1, 'the copy was deposited')


def case_dry_run_deposits_nothing(c):
    p = c.ubl('d.xml', 'S-DRY', buyer=BUYER_SERVICE, service='MAIRIE')
    jp = c.journal_path()
    r = c.run('submit', '--dry-run', p, expect=0)
    expect_in(r.out, '%s: would deposit as IN_DP_E1_UBL_INVOICE (invoice '
              'S-DRY, buyer %s)' % (os.path.basename(p), BUYER_SERVICE), r,
              'stdout')
    check(c.fake.deposits() == [], '--dry-run deposited')
    check(c.fake.requests(DEPOSIT_PATH) == 0, '--dry-run sent a deposit')
    check(not os.path.exists(jp) or c.journal() == [],
          '--dry-run wrote the journal')
    # with a journal: unchanged byte for byte
    q = c.ubl('e.xml', 'S-DRY-2')
    c.run('submit', q, expect=0)
    before = open(jp, 'rb').read()
    r = c.run('submit', '-n', p, expect=0)
    check(open(jp, 'rb').read() == before, '-n changed the journal')
    # and it sees the journal: an already deposited file is refused
    r = c.run('submit', '-n', q)
    expect_rc(r, 1)
    expect_in(r.both, 'already deposited', r)
    r = c.run('submit', '-n', '-f', 'json', p, expect=0)
    f = r.json()['files'][0]
    check(f['result'] == 'dry-run', 'json result %r' % f['result'])
    check(f['flow'] is None, 'json flow %r for a dry run' % f['flow'])
    check(len(c.fake.deposits()) == 1, 'a dry run deposited')


def case_wait_integrated(c):
    c.fake.config(processing='steps')
    p = c.ubl('w.xml', 'S-WAIT')
    r = c.run('submit', '--wait', '--poll=0.05', p, expect=0)
    flow = expect_deposited_line(r, p)
    check(re.search(r'%s: flow %s IN_INTEGRE$' % (re.escape('w.xml'), flow),
                    r.out, re.M),
          'no "w.xml: flow %s IN_INTEGRE" line' % flow)
    n = c.fake.requests(REPORT_PATH)
    check(n >= 4, 'processing in steps needs 4 reports, only %d asked' % n)
    check(c.journal_entry(p).get('state') == 'IN_INTEGRE',
          'journal state %r after --wait' % c.journal_entry(p).get('state'))


def case_wait_json_state(c):
    p = c.cii('w.xml', 'S-WAIT-J')
    r = c.run('submit', '--wait', '--poll=0.05', '-f', 'json', p, expect=0)
    f = r.json()['files'][0]
    check(f['state'] == 'IN_INTEGRE', 'json state %r' % f['state'])


def case_wait_rejected(c):
    p = c.ubl('r.xml', 'S-REJECT-1')
    r = c.run('submit', '--wait', '--poll=0.05', p)
    expect_rc(r, 1)
    check(re.search(r'r\.xml: flow CPP\d{22} IN_REJETE', r.out),
          'no "r.xml: flow CPP... IN_REJETE" line')
    m = re.search(r'r\.xml: invoice S-REJECT-1 rejected: (.+)', r.out)
    check(m and 'REJECT' in m.group(1),
          'no "invoice S-REJECT-1 rejected: <message of the server>" line')
    r = c.run('submit', '--wait', '--poll=0.05', '-f', 'json', '--again', p)
    expect_rc(r, 1)
    f = r.json()['files'][0]
    check(f['state'] == 'IN_REJETE', 'json state %r' % f['state'])
    check(f['errors'] and f['errors'][0].get('invoice') == 'S-REJECT-1' and
          f['errors'][0].get('message'), 'json errors %r' % f['errors'])


def case_wait_partial(c):
    a = c.ubl('p1.xml', 'S-P-1')
    b = c.ubl('p2.xml', 'S-P-REJECT')
    d = c.ubl('p3.xml', 'S-P-3')
    z = c.zip('part.zip', [a, b, d])
    c.fake.config(processing='steps')
    r = c.run('submit', '--wait', '--poll=0.05', z)
    expect_rc(r, 1)
    check(re.search(r'part\.zip: flow CPP\d{22} IN_INTEGRE_PARTIEL', r.out),
          'no "part.zip: flow CPP... IN_INTEGRE_PARTIEL" line')
    check(re.search(r'part\.zip: invoice S-P-REJECT rejected: .+', r.out),
          'no per-invoice error for S-P-REJECT')
    check(not re.search(r'invoice S-P-[13] rejected', r.out),
          'a good invoice is reported rejected')
    check(c.fake.requests(REPORT_PATH) >= 4,
          'fewer polls than processing steps')


def case_wait_incident(c):
    p = c.ubl('i.xml', 'S-INCIDENT')
    r = c.run('submit', '--wait', '--poll=0.05', p)
    expect_rc(r, 1)
    expect_in(r.out, 'IN_INCIDENTE', r, 'stdout')


def case_wait_timeout(c):
    c.fake.config(processing='steps')
    c.fake.faults({'path': REPORT_PATH, 'kind': 'slow', 'delay': 0.6,
                   'count': 20})
    p = c.ubl('t.xml', 'S-WT')
    r = c.run('submit', '--wait', '--poll=0.05', '--wait-timeout=1', p)
    expect_rc(r, 5)
    e = c.journal_entry(p)
    check(FLOW_RE.fullmatch(e.get('flow') or ''),
          'the flow is not kept in the journal after a wait timeout')


def case_summary_counts(c):
    good = c.ubl('g.xml', 'S-SUM-1')
    bad = c.ubl('b.xml', 'S-SUM-2', invalid=True, check_valid=False)
    other = c.ubl('h.xml', 'S-SUM-3')
    r = c.run('submit', good, bad, other)
    expect_rc(r, 1)
    expect_in(r.err, '3 files: 2 deposited, 1 refused', r, 'stderr')
    check(len(c.fake.deposits()) == 2, 'wanted 2 deposits')
    r = c.run('submit', '-q', c.ubl('q.xml', 'S-SUM-4'), expect=0)
    check(r.err.strip() == '', '-q printed on stderr: %r' % r.err[:200])


def case_long_and_non_ascii_file_name(c):
    name = 'facture-é' + 'x' * 230 + '.xml'
    p = c.ubl(name, 'S-NAME')
    c.run('submit', p, expect=0)
    d = c.fake.deposits()[0]
    n = d['nomFichier']
    check(len(n) <= 200 and n.endswith('.xml'),
          'nomFichier %r: more than 200 characters or no extension' % n)
    check(all(32 < ord(ch) < 127 for ch in n), 'nomFichier not ASCII: %r'
          % n)


CASES = [
    case_ubl,
    case_cii,
    case_facturx_pdf,
    case_facturx_pdf_repacked,
    case_zip,
    case_names_without_extension_get_the_right_one,
    case_zip_of_mixed_syntaxes_is_refused,
    case_not_an_invoice_is_refused,
    case_unreadable_file,
    case_max_size,
    case_four_kinds_in_one_run_json,
    case_invalid_invoice_refused_then_forced,
    case_cpro01_no_siret,
    case_cpro02_bad_siret_key,
    case_cpro03_service_code_required,
    case_cpro04_commitment_required,
    case_cpro04_service_requires_commitment,
    case_cpro05_service_or_commitment,
    case_cpro06_unknown_service,
    case_cpro07_buyer_not_in_directory,
    case_cpro08_inactive_buyer_is_a_warning,
    case_offline_skips_the_lookup_checks,
    case_force_deposits_despite_chorus_checks,
    case_buyer_cache_is_used,
    case_already_deposited_then_again,
    case_same_bytes_under_another_name_is_refused,
    case_dry_run_deposits_nothing,
    case_wait_integrated,
    case_wait_json_state,
    case_wait_rejected,
    case_wait_partial,
    case_wait_incident,
    case_wait_timeout,
    case_summary_counts,
    case_long_and_non_ascii_file_name,
]

if __name__ == '__main__':
    sys.exit(run_cases(CASES))
