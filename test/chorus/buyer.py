#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""buyer.py - `facture buyer` against the fake Chorus Pro server: the
requirements of each seeded buyer, unknown and invalid SIRETs, the
cache, --offline, --refresh and the JSON output

Run: with_server.py --tls -- python3 buyer.py FACTURE [CASE...]
"""

import json
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chorus_harness import (  # noqa: E402
    BUYER_COMMITMENT, BUYER_EITHER, BUYER_INACTIVE, BUYER_NOTHING,
    BUYER_SERVICE, BUYER_UNKNOWN, check, expect_in, expect_rc, run_cases)

# What `facture buyer` must say of each seeded buyer:
# (SIRET, name, status, service code, commitment number, services shown,
#  services not shown, services that need a commitment number)
SEEDED = [
    (BUYER_NOTHING, 'MINISTERE DES ESSAIS', 'ACTIVE', 'not required',
     'not required', ['ACHATS'], ['ANCIEN'], []),
    (BUYER_SERVICE, 'COMMUNE DE TESTVILLE', 'ACTIVE', 'required',
     'not required', ['MAIRIE', 'CANTINE'], [], []),
    (BUYER_COMMITMENT, 'HOPITAL DES TESTS', 'ACTIVE', 'not required',
     'required', [], [], []),
    (BUYER_EITHER, 'REGION EXEMPLE', 'ACTIVE', None, None,
     ['TRAVAUX', 'CULTURE'], [], ['TRAVAUX']),
    (BUYER_INACTIVE, 'LYCEE FERME', 'INACTIVE', 'not required',
     'not required', [], [], []),
]


def block_of(out, siret):
    """The lines of the text block about SIRET."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(siret):
            block = [line]
            for more in lines[i + 1:]:
                if not more.startswith(' '):
                    break
                block.append(more)
            return block
    return None


def case_each_seeded_buyer(c):
    for (siret, name, status, service, ejn, shown, hidden,
         with_ej) in SEEDED:
        r = c.run('buyer', siret, expect=0)
        b = block_of(r.out, siret)
        check(b, 'no block starting with %s' % siret)
        check(re.match(r'%s\s+%s \(%s, idStructureCPP \d+\)$'
                       % (siret, re.escape(name), status), b[0]),
              'first line %r' % b[0])
        text = '\n'.join(b)
        if service:
            check(re.search(r'service code \(BT-10\): %s$' % service, text,
                            re.M), '%s: service code should be %s'
                  % (name, service))
        if ejn:
            check(re.search(r'commitment number \(BT-13\): %s$' % ejn,
                            text, re.M), '%s: commitment should be %s'
                  % (name, ejn))
        if service is None:
            # service code or commitment number: neither line may say
            # plainly "required" or "not required"
            for term in ('service code \\(BT-10\\)',
                         'commitment number \\(BT-13\\)'):
                m = re.search(r'%s: (.+)$' % term, text, re.M)
                check(m and re.search(r'\b(or|unless|either)\b',
                                      m.group(1)),
                      '%s: the "service code or commitment number" '
                      'requirement is not shown' % name)
        for code in shown:
            check(re.search(r'^\s+%s\s' % code, text, re.M) or
                  re.search(r'^\s+%s$' % code, text, re.M),
                  '%s: active service %s not listed' % (name, code))
        for code in hidden:
            check(not re.search(r'^\s+%s\b' % code, text, re.M),
                  '%s: inactive service %s listed' % (name, code))
        for code in with_ej:
            check(re.search(r'^\s+%s\s.*commitment number required' % code,
                            text, re.M),
                  '%s: service %s is not marked "commitment number '
                  'required"' % (name, code))
        check(re.search(r'looked up \d{4}-\d{2}-\d{2}T', text),
              '%s: no "looked up DATE" line' % name)


def case_several_operands(c):
    r = c.run('buyer', BUYER_NOTHING, BUYER_SERVICE, expect=0)
    check(block_of(r.out, BUYER_NOTHING) and block_of(r.out, BUYER_SERVICE),
          'not a block per operand')


def case_unknown_siret(c):
    r = c.run('buyer', BUYER_UNKNOWN)
    expect_rc(r, 1)
    expect_in(r.both, '%s: not in the Chorus Pro directory' % BUYER_UNKNOWN,
              r)
    r = c.run('buyer', BUYER_NOTHING, BUYER_UNKNOWN)
    expect_rc(r, 1)
    check(block_of(r.out, BUYER_NOTHING), 'the known buyer is not shown')


def case_invalid_siret(c):
    r = c.run('buyer', '123')
    expect_rc(r, 2)
    expect_in(r.err, "'123' is not a SIRET (14 digits with a valid check "
              "digit)", r, 'stderr')
    bad = BUYER_NOTHING[:-1] + str((int(BUYER_NOTHING[-1]) + 1) % 10)
    r = c.run('buyer', bad)
    expect_rc(r, 2)
    check(c.fake.struct_requests() == 0, 'an invalid SIRET was looked up')


def case_offline_without_cache(c):
    r = c.run('buyer', '--offline', BUYER_NOTHING)
    expect_rc(r, 1)
    check(c.fake.struct_requests() == 0, '--offline asked the directory')


def case_cache_then_refresh(c):
    c.run('buyer', BUYER_SERVICE, expect=0)
    n = c.fake.struct_requests()
    check(n >= 2, 'the lookup made only %d structures requests' % n)
    cache = os.path.join(c.state, 'facture', 'default.structures.json')
    check(os.path.exists(cache), 'no cache file %s' % cache)
    with open(cache) as f:
        doc = json.load(f)
    check(BUYER_SERVICE in doc, 'the cache has no key %s' % BUYER_SERVICE)
    r = c.run('buyer', BUYER_SERVICE, expect=0)
    check(c.fake.struct_requests() == n,
          'the second lookup asked the directory again')
    expect_in(r.out, 'COMMUNE DE TESTVILLE', r, 'stdout')
    r = c.run('buyer', '--offline', BUYER_SERVICE, expect=0)
    expect_in(r.out, 'COMMUNE DE TESTVILLE', r, 'stdout')
    check(c.fake.struct_requests() == n, '--offline asked the directory')
    r = c.run('buyer', '--refresh', BUYER_SERVICE, expect=0)
    check(c.fake.struct_requests() > n, '--refresh did not ask again')


def case_stale_cache_is_looked_up_again(c):
    c.run('buyer', BUYER_NOTHING, expect=0)
    n = c.fake.struct_requests()
    cache = os.path.join(c.state, 'facture', 'default.structures.json')
    with open(cache) as f:
        text = f.read()
    # make the entry eight days old
    new = re.sub(r'"(\d{4}-\d{2}-\d{2})T', '"2000-01-01T', text)
    check(new != text, 'no ISO date in the cache to age')
    with open(cache, 'w') as f:
        f.write(new)
    c.run('buyer', BUYER_NOTHING, expect=0)
    check(c.fake.struct_requests() > n,
          'an entry older than 7 days was used')


def case_json(c):
    r = c.run('buyer', '-f', 'json', BUYER_EITHER, BUYER_NOTHING, expect=0)
    doc = r.json()
    check(doc.get('version') == 1, 'version %r' % doc.get('version'))
    st = doc.get('structures')
    check(isinstance(st, list) and len(st) == 2, 'structures %r' % st)
    text = json.dumps(st[0])
    check(BUYER_EITHER in text and 'REGION EXEMPLE' in text,
          'the first structure is not REGION EXEMPLE: %s' % text[:300])
    check('TRAVAUX' in text and 'CULTURE' in text,
          'the services are not in the JSON')
    check(BUYER_NOTHING in json.dumps(st[1]), 'order not kept')
    r = c.run('buyer', '--format=json', BUYER_UNKNOWN)
    expect_rc(r, 1)
    doc = r.json()
    check(doc.get('structures') == [], 'unknown buyer: %r' % doc)


def case_network_failure(c):
    c.fake.faults({'path': '/cpro/structures/v1/rechercher', 'kind': '503',
                   'count': 50})
    r = c.run('buyer', BUYER_NOTHING)
    expect_rc(r, 5)
    expect_in(r.err, '503', r, 'stderr')


CASES = [
    case_each_seeded_buyer,
    case_several_operands,
    case_unknown_siret,
    case_invalid_siret,
    case_offline_without_cache,
    case_cache_then_refresh,
    case_stale_cache_is_looked_up_again,
    case_json,
    case_network_failure,
]

if __name__ == '__main__':
    sys.exit(run_cases(CASES))
