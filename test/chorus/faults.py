#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""faults.py - `facture submit` when the platform misbehaves: token
renewal in the middle of a batch, revoked tokens, 5xx on idempotent
calls (retried) and on the deposit (not retried), codeRetour errors with
HTTP 200 and 400, empty and malformed answers, a credential error that
stops the batch

Run: with_server.py --tls -- python3 faults.py FACTURE [CASE...]
"""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chorus_harness import (  # noqa: E402
    BUYER_SERVICE, DEPOSIT_PATH, REPORT_PATH, TOKEN_PATH, check,
    expect_deposited_line, expect_in, expect_rc, run_cases)

STRUCT_SEARCH = '/cpro/structures/v1/rechercher'


def batch(c, n, prefix):
    return [c.ubl('b%d.xml' % i, '%s-%d' % (prefix, i)) for i in range(n)]


def all_deposited(c, r, files):
    for p in files:
        expect_deposited_line(r, p)
    deps = c.fake.deposits()
    check(len(deps) == len(files), 'wanted %d deposits, the server has %d'
          % (len(files), len(deps)))


def case_token_renewed_in_a_batch(c):
    # tokens live 1 s and the first deposits take 0.5 s each on the
    # server: the token runs out during the batch, whether the client
    # renews it ahead of time or after a refusal
    c.fake.config(token_lifetime=1)
    files = batch(c, 4, 'F-TOK')
    c.fake.faults({'path': DEPOSIT_PATH, 'kind': 'slow', 'delay': 0.5,
                   'count': 3})
    r = c.run('submit', '--offline', *files, expect=0)
    all_deposited(c, r, files)
    n = c.fake.stats().get('tokens_issued', 0)
    check(n >= 2, 'tokens_issued %d: the token was not renewed' % n)


def case_revoked_token_mid_run(c):
    files = batch(c, 3, 'F-REV')
    # slow deposits, so that the revocation lands in the middle
    c.fake.faults({'path': DEPOSIT_PATH, 'kind': 'slow', 'delay': 0.7,
                   'count': 3})
    p = c.start('submit', '--offline', *files)
    try:
        c.fake.wait_for('the first deposit',
                        lambda: len(c.fake.deposits()) >= 1, timeout=20)
        c.fake.revoke_tokens()
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    r = c.collect(p)
    expect_rc(r, 0)
    all_deposited(c, r, files)
    n = c.fake.stats().get('tokens_issued', 0)
    check(n >= 2, 'tokens_issued %d after the revocation' % n)


def case_401_on_a_valid_token_is_renewed(c):
    p = c.ubl('a.xml', 'F-401')
    c.fake.faults({'path': DEPOSIT_PATH, 'kind': '401', 'count': 1})
    r = c.run('submit', '--offline', p, expect=0)
    expect_deposited_line(r, p)
    check(len(c.fake.deposits()) == 1, 'wanted exactly 1 deposit')
    check(c.fake.stats().get('tokens_issued', 0) == 2,
          'wanted a second token after the 401')


def case_503_on_lookups_and_reports_retried(c):
    p = c.ubl('a.xml', 'F-503', buyer=BUYER_SERVICE, service='MAIRIE')
    c.fake.faults({'path': STRUCT_SEARCH, 'kind': '503', 'count': 2},
                  {'path': REPORT_PATH, 'kind': '503', 'count': 2},
                  {'path': TOKEN_PATH, 'kind': '503', 'count': 1})
    r = c.run('submit', '--wait', '--poll=0.05', p, expect=0)
    expect_deposited_line(r, p)
    check(c.fake.requests(STRUCT_SEARCH) >= 3,
          'the structure search was not retried')
    check(c.fake.requests(REPORT_PATH) >= 3, 'the report was not retried')
    check(c.fake.requests(TOKEN_PATH) >= 2, 'the token was not retried')
    expect_in(r.out, 'IN_INTEGRE', r, 'stdout')


def case_503_retries_are_told_unless_quiet(c):
    p = c.ubl('a.xml', 'F-503-Q', buyer=BUYER_SERVICE, service='MAIRIE')
    c.fake.faults({'path': STRUCT_SEARCH, 'kind': '503', 'count': 1})
    r = c.run('submit', '--dry-run', p, expect=0)
    check(re.search(r'retry', r.err, re.I),
          'no retry message on stderr: %r' % r.err[:300])
    # without the cache, so that the buyer is looked up again
    os.unlink(os.path.join(c.state, 'facture', 'default.structures.json'))
    c.fake.faults({'path': STRUCT_SEARCH, 'kind': '503', 'count': 1})
    n = c.fake.requests(STRUCT_SEARCH)
    r = c.run('submit', '-q', '--dry-run',
              c.ubl('b.xml', 'F-503-Q2', buyer=BUYER_SERVICE,
                    service='CANTINE'), expect=0)
    check(c.fake.requests(STRUCT_SEARCH) >= n + 2, 'no retry happened')
    check(r.err.strip() == '', '-q still printed: %r' % r.err[:300])


def case_503_on_the_deposit_is_not_retried(c):
    p = c.ubl('a.xml', 'F-DEP-503')
    c.fake.faults({'path': DEPOSIT_PATH, 'kind': '503', 'count': 1})
    r = c.run('submit', '--offline', p)
    expect_rc(r, 5)
    check(c.fake.requests(DEPOSIT_PATH) == 1,
          'the deposit was sent %d times' % c.fake.requests(DEPOSIT_PATH))
    check(c.fake.deposits() == [], 'recorded a deposit')
    e = c.journal_entry(p)
    check(e.get('state') == 'failed', 'journal state %r, wanted failed'
          % e.get('state'))
    # a rerun deposits it, without --again
    r = c.run('submit', '--offline', p, expect=0)
    expect_deposited_line(r, p)
    check(len(c.fake.deposits()) == 1, 'wanted 1 deposit after the rerun')


def case_500_in_a_batch_goes_on(c):
    files = batch(c, 3, 'F-500')
    c.fake.faults({'path': DEPOSIT_PATH, 'kind': 'pass', 'count': 1},
                  {'path': DEPOSIT_PATH, 'kind': '500', 'count': 1})
    r = c.run('submit', '--offline', *files)
    expect_rc(r, 5)
    expect_deposited_line(r, files[0])
    expect_deposited_line(r, files[2])
    check(len(c.fake.deposits()) == 2, 'wanted 2 deposits')
    expect_in(r.err, '3 files: 2 deposited', r, 'stderr')
    expect_in(r.err, '1 failed', r, 'stderr')


def coderetour(c, status):
    p = c.ubl('a.xml', 'F-CR-%d' % status)
    c.fake.faults({'path': DEPOSIT_PATH, 'kind': 'codeRetour',
                   'codeRetour': 20001, 'libelle': 'GDP_MSG_11.022',
                   'status': status, 'count': 1})
    r = c.run('submit', '--offline', p)
    expect_rc(r, 5)
    expect_in(r.both, 'GDP_MSG_11.022', r)
    expect_in(r.both, '20001', r)
    check(c.fake.requests(DEPOSIT_PATH) == 1, 'the deposit was repeated')
    e = c.journal_entry(p)
    check(e.get('state') == 'failed', 'journal state %r, wanted failed '
          '(the platform answered: the deposit surely did not happen)'
          % e.get('state'))


def case_coderetour_with_http_200(c):
    coderetour(c, 200)


def case_coderetour_with_http_400(c):
    coderetour(c, 400)


def case_coderetour_on_a_search(c):
    p = c.ubl('a.xml', 'F-CR-S', buyer=BUYER_SERVICE, service='MAIRIE')
    c.fake.faults({'path': STRUCT_SEARCH, 'kind': 'codeRetour',
                   'codeRetour': 20002, 'libelle': 'TEST_LIBELLE_X',
                   'status': 200, 'count': 1})
    r = c.run('submit', '--dry-run', p)
    expect_rc(r, 5)
    expect_in(r.both, 'TEST_LIBELLE_X', r)


def case_empty_and_malformed_answers(c):
    for kind in ('empty', 'malformed'):
        c.fake.reset()
        p = c.ubl('%s.xml' % kind, 'F-%s' % kind.upper())
        c.fake.faults({'path': DEPOSIT_PATH, 'kind': kind, 'count': 1})
        r = c.run('submit', '--offline', p)
        expect_rc(r, 5)
        check(re.search(r'malformed|empty|not JSON|JSON', r.both, re.I),
              '%s: the message does not say the answer was malformed: %r'
              % (kind, r.both[:300]))


def case_credential_error_stops_the_batch(c):
    files = batch(c, 3, 'F-STOP')
    c.fake.config(password='changed-on-the-server')
    r = c.run('submit', '--offline', *files)
    expect_rc(r, 4)
    expect_in(r.both, 'login or password incorrects', r)
    check(c.fake.requests(DEPOSIT_PATH) <= 1,
          'the batch went on after a credential error (%d deposit '
          'requests)' % c.fake.requests(DEPOSIT_PATH))
    check(c.fake.deposits() == [], 'deposited with refused credentials')


def case_unsubscribed_structures_api(c):
    c.fake.config(unsubscribed=['structures'])
    p = c.ubl('a.xml', 'F-403', buyer=BUYER_SERVICE, service='MAIRIE')
    r = c.run('submit', p)
    expect_rc(r, 4)
    expect_in(r.both, '403', r)
    check(c.fake.deposits() == [], 'deposited without the buyer lookup')


def case_timeout_before_processing_on_a_lookup_is_retried(c):
    p = c.ubl('a.xml', 'F-SLOW', buyer=BUYER_SERVICE, service='MAIRIE')
    c.fake.faults({'path': STRUCT_SEARCH, 'kind': 'slow', 'delay': 2,
                   'count': 1})
    r = c.run('submit', '--timeout=0.5', p, expect=0)
    expect_deposited_line(r, p)


CASES = [
    case_token_renewed_in_a_batch,
    case_revoked_token_mid_run,
    case_401_on_a_valid_token_is_renewed,
    case_503_on_lookups_and_reports_retried,
    case_503_retries_are_told_unless_quiet,
    case_503_on_the_deposit_is_not_retried,
    case_500_in_a_batch_goes_on,
    case_coderetour_with_http_200,
    case_coderetour_with_http_400,
    case_coderetour_on_a_search,
    case_empty_and_malformed_answers,
    case_credential_error_stops_the_batch,
    case_unsubscribed_structures_api,
    case_timeout_before_processing_on_a_lookup_is_retried,
]

if __name__ == '__main__':
    sys.exit(run_cases(CASES))
