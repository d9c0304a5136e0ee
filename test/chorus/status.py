#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""status.py - `facture status` against the fake Chorus Pro server:
operands (flow, file, none, --all), --offline, the JSON shape, invoice
statuses along their lifecycle, suspended and refused invoices, rejected
and partial flows, and a flow of 12 invoices (more than a page)

Run: with_server.py --tls -- python3 status.py FACTURE [CASE...]
"""

import json
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chorus_harness import (  # noqa: E402
    REPORT_PATH, SEARCH_PATH, check, expect_deposited_line, expect_in,
    expect_rc, run_cases, sha256_file)

FLOW_KEYS = {'file', 'sha256', 'number', 'syntax', 'flow', 'date', 'state',
             'class', 'errors', 'invoices'}


def deposit(c, *paths, wait=False):
    args = ['submit', '--offline'] + (['--wait', '--poll=0.05']
                                      if wait else []) + list(paths)
    r = c.run(*args)
    return r, [expect_deposited_line(r, p) for p in paths]


def status_json(c, *args, expect=0):
    r = c.run('status', '-f', 'json', *args, expect=expect)
    doc = r.json()
    check(doc.get('version') == 1, 'json version %r' % doc.get('version'))
    check(doc.get('profile') == 'default', 'json profile %r'
          % doc.get('profile'))
    flows = doc.get('flows')
    check(isinstance(flows, list), 'json flows is not a list')
    for f in flows:
        missing = FLOW_KEYS - set(f)
        check(not missing, 'json flow object lacks %s' % sorted(missing))
    return r, flows


def invoice_line(out, number):
    m = re.search(r'^\s+%s\s+(\S.*)$' % re.escape(number), out, re.M)
    return m.group(1).strip() if m else None


def case_status_of_a_flow_and_of_a_file(c):
    p = c.ubl('a.xml', 'ST-1')
    q = c.ubl('b.xml', 'ST-2')
    _, (fa, fb) = deposit(c, p, q)
    r = c.run('status', fa, expect=0)
    check(re.search(r'^%s\s+IN_INTEGRE\s+\S*a\.xml\s+deposited '
                    r'\d{4}-\d{2}-\d{2}' % fa, r.out, re.M),
          'no "%s  IN_INTEGRE  a.xml  deposited DATE" line' % fa)
    check(invoice_line(r.out, 'ST-1') == 'DEPOSEE',
          'invoice ST-1 line: %r' % invoice_line(r.out, 'ST-1'))
    check(fb not in r.out, 'status FLOW showed another flow')
    r = c.run('status', q, expect=0)
    expect_in(r.out, fb, r, 'stdout')
    check(fa not in r.out, 'status FILE showed another flow')
    e = c.journal_entry(p)
    check(e.get('state') == 'IN_INTEGRE', 'journal state %r after status'
          % e.get('state'))


def case_status_json_shape(c):
    p = c.ubl('a.xml', 'STJ-1')
    _, (flow,) = deposit(c, p)
    r, flows = status_json(c, flow)
    check(len(flows) == 1, 'wanted 1 flow, got %d' % len(flows))
    f = flows[0]
    check(f['flow'] == flow, 'flow %r' % f['flow'])
    check(f['sha256'] == sha256_file(p), 'sha256 differs')
    check(f['number'] == 'STJ-1', 'number %r' % f['number'])
    check(f['syntax'] == 'IN_DP_E1_UBL_INVOICE', 'syntax %r' % f['syntax'])
    check(f['state'] == 'IN_INTEGRE', 'state %r' % f['state'])
    check(f['class'] == 'integrated', 'class %r' % f['class'])
    check(f['errors'] == [], 'errors %r' % f['errors'])
    inv = f['invoices']
    check(isinstance(inv, list) and len(inv) == 1, 'invoices %r' % inv)
    check(isinstance(inv[0].get('id'), int), 'invoice id %r'
          % inv[0].get('id'))
    check(inv[0].get('number') == 'STJ-1' and
          inv[0].get('status') == 'DEPOSEE', 'invoice %r' % inv[0])


def case_no_operand_and_all(c):
    c.fake.config(processing='steps')
    p = c.ubl('a.xml', 'STN-1')
    q = c.ubl('b.xml', 'STN-2')
    _, (fa, fb) = deposit(c, p, q, wait=False)
    # drive flow a to its end through --wait of status? no: status itself
    for _ in range(6):
        r = c.run('status', fa, expect=0)
        if c.journal_entry(p).get('state') == 'IN_INTEGRE':
            break
    check(c.journal_entry(p).get('state') == 'IN_INTEGRE',
          'status never saw flow a integrated (state %r)'
          % c.journal_entry(p).get('state'))
    # no operand: the pending flow b, not the integrated a
    r = c.run('status', expect=0)
    expect_in(r.out, fb, r, 'stdout')
    check(fa not in r.out, 'no operand showed the integrated flow %s' % fa)
    r = c.run('status', '--all', expect=0)
    expect_in(r.out, fa, r, 'stdout')
    expect_in(r.out, fb, r, 'stdout')


def case_offline_asks_nothing(c):
    p = c.ubl('a.xml', 'STO-1')
    _, (flow,) = deposit(c, p)
    before = c.fake.stats().get('requests', {})
    r = c.run('status', '--offline', '--all', expect=0)
    expect_in(r.out, flow, r, 'stdout')
    r, flows = status_json(c, '--offline', '--all')
    check(len(flows) == 1 and flows[0]['flow'] == flow,
          'offline json: %r' % flows)
    check(c.fake.stats().get('requests', {}) == before,
          '--offline sent requests')


def case_unknown_operand(c):
    c.ubl('a.xml', 'STU-1')
    r = c.run('status', 'CPP0011110000000000099999')
    expect_rc(r, 1)
    expect_in(r.err, "no deposit of CPP0011110000000000099999 in the "
              "journal of profile 'default'", r, 'stderr')
    r = c.run('status', os.path.join(c.work, 'a.xml'))
    expect_rc(r, 1)
    expect_in(r.err, 'in the journal of profile', r, 'stderr')


def case_changed_file_is_not_found(c):
    p = c.ubl('a.xml', 'STC-1')
    _, (flow,) = deposit(c, p)
    # other bytes under the same name: not the file that was deposited
    c.ubl('a.xml', 'STC-2')
    r = c.run('status', '--offline', p)
    expect_rc(r, 1)
    expect_in(r.err, 'no deposit of', r, 'stderr')
    check(flow not in r.out, 'a changed file was shown as flow %s' % flow)
    # a file removed since is found by the path the journal recorded
    os.unlink(p)
    r = c.run('status', '--offline', p, expect=0)
    expect_in(r.out, flow, r, 'stdout')


def case_entry_without_state(c):
    # a journal written by hand, or by another version: no state, no
    # flow; status takes it as an attempt whose outcome is unknown
    jp = c.journal_path()
    os.makedirs(os.path.dirname(jp), mode=0o700, exist_ok=True)
    with open(jp, 'w') as f:
        json.dump({'version': 1, 'entries': [{
            'sha256': 'ab' * 32, 'file': 'gone.xml', 'number': 'STS-1',
            'syntax': 'IN_DP_E1_UBL_INVOICE', 'time': 1700000000,
            'detail': 'written by hand'}]}, f)
    r, flows = status_json(c)
    check(len(flows) == 1 and flows[0]['class'] == 'unknown',
          'wanted one entry of class unknown: %r' % flows)
    r, flows = status_json(c, '--offline')
    check(len(flows) == 1 and flows[0]['class'] == 'unknown',
          'offline: wanted one entry of class unknown: %r' % flows)
    r = c.run('status', expect=0)
    expect_in(r.out, 'gone.xml', r, 'stdout')


def case_lifecycle(c):
    p = c.ubl('a.xml', 'STL-1')
    _, (flow,) = deposit(c, p)
    _, flows = status_json(c, flow)
    inv = flows[0]['invoices'][0]
    check(inv['status'] == 'DEPOSEE', 'first status %r' % inv['status'])
    seen = ['DEPOSEE']
    for want in ('MISE_A_DISPOSITION', 'MANDATEE', 'MISE_EN_PAIEMENT'):
        # the buyer moves on: one history call behind facture's back
        c.fake.advance_invoice(inv['id'])
        r, flows = status_json(c, flow)
        got = flows[0]['invoices'][0]['status']
        check(got == want, 'status %r after the buyer moved to %s (seen: %s)'
              % (got, want, ' -> '.join(seen)))
        seen.append(got)
        r = c.run('status', flow, expect=0)
        check(invoice_line(r.out, 'STL-1') is not None,
              'no line for the invoice')
    check(seen[-1] == 'MISE_EN_PAIEMENT',
          'the lifecycle seen was %s' % ' -> '.join(seen))


def suspended(c, number, final):
    p = c.ubl('a.xml', number)
    _, (flow,) = deposit(c, p)
    _, flows = status_json(c, flow)
    inv = flows[0]['invoices'][0]
    c.fake.advance_invoice(inv['id'])
    r = c.run('status', flow)
    expect_rc(r, 1)
    check(final in (invoice_line(r.out, number) or ''),
          'invoice line %r, wanted %s' % (invoice_line(r.out, number),
                                          final))
    r, flows = status_json(c, flow, expect=1)
    check(flows[0]['invoices'][0]['status'] == final,
          'json status %r' % flows[0]['invoices'][0]['status'])


def case_suspended_invoice(c):
    suspended(c, 'STS-SUSPEND-1', 'SUSPENDUE')


def case_refused_invoice(c):
    suspended(c, 'STS-REFUSE-1', 'REJETEE')


def case_recycled_invoice(c):
    suspended(c, 'STS-RECYCLE-1', 'A_RECYCLER')


def case_rejected_flow(c):
    p = c.ubl('r.xml', 'STR-REJECT-1')
    _, (flow,) = deposit(c, p)
    r = c.run('status', flow)
    expect_rc(r, 1)
    check(re.search(r'^%s\s+IN_REJETE' % flow, r.out, re.M),
          'no "%s  IN_REJETE" line' % flow)
    check(re.search(r'STR-REJECT-1\s+rejected: .+', r.out),
          'no "STR-REJECT-1  rejected: message" line')
    r, flows = status_json(c, flow, expect=1)
    f = flows[0]
    check(f['class'] == 'failed', 'class %r' % f['class'])
    check(f['errors'] and f['errors'][0].get('invoice') == 'STR-REJECT-1',
          'errors %r' % f['errors'])


def case_partial_flow(c):
    z = c.zip('p.zip', [c.ubl('p1.xml', 'STP-1'),
                        c.ubl('p2.xml', 'STP-REJECT-2')])
    _, (flow,) = deposit(c, z)
    r, flows = status_json(c, flow, expect=1)
    f = flows[0]
    check(f['state'] == 'IN_INTEGRE_PARTIEL', 'state %r' % f['state'])
    check(f['class'] == 'partial', 'class %r' % f['class'])
    check([e.get('invoice') for e in f['errors']] == ['STP-REJECT-2'],
          'errors %r' % f['errors'])
    numbers = [i.get('number') for i in f['invoices']]
    check(numbers == ['STP-1'], 'invoices of the flow: %r' % numbers)


def case_twelve_invoices_in_one_flow(c):
    members = [c.ubl('m%02d.xml' % i, 'ST12-%02d' % i)
               for i in range(1, 13)]
    z = c.zip('twelve.zip', members)
    _, (flow,) = deposit(c, z)
    r = c.run('status', flow, expect=0)
    for i in range(1, 13):
        check(invoice_line(r.out, 'ST12-%02d' % i) == 'DEPOSEE',
              'invoice ST12-%02d missing from the text' % i)
    r, flows = status_json(c, flow)
    numbers = sorted(i['number'] for i in flows[0]['invoices'])
    check(numbers == ['ST12-%02d' % i for i in range(1, 13)],
          'json invoices: %r' % numbers)


def case_twelve_invoices_small_pages(c):
    # the server's default page is 10; a client asking for bigger pages is
    # free to, but must follow "pages" whatever it gets
    # free to, but must follow "pages" whatever it gets: pages of 5 here
    c.fake.config(page_size_default=5, page_size_max=5)
    members = [c.ubl('m%02d.xml' % i, 'SP12-%02d' % i)
               for i in range(1, 13)]
    _, (flow,) = deposit(c, c.zip('twelve.zip', members))
    before = c.fake.stats()['requests'].get(SEARCH_PATH, 0)
    r, flows = status_json(c, flow)
    numbers = sorted(i['number'] for i in flows[0]['invoices'])
    check(numbers == ['SP12-%02d' % i for i in range(1, 13)],
          'json invoices: %r' % numbers)
    pages = c.fake.stats()['requests'].get(SEARCH_PATH, 0) - before
    check(pages >= 3, '%d search requests for 12 invoices in pages of 5'
          % pages)


def case_status_retries_a_503(c):
    p = c.ubl('a.xml', 'ST503-1')
    _, (flow,) = deposit(c, p)
    c.fake.faults({'path': REPORT_PATH, 'kind': '503', 'count': 2},
                  {'path': SEARCH_PATH, 'kind': '503', 'count': 1})
    r = c.run('status', flow, expect=0)
    expect_in(r.out, 'IN_INTEGRE', r, 'stdout')
    check(c.fake.requests(REPORT_PATH) >= 3, 'the report was not retried')


def case_status_network_failure(c):
    p = c.ubl('a.xml', 'STNET-1')
    _, (flow,) = deposit(c, p)
    c.fake.faults({'path': REPORT_PATH, 'kind': '500', 'count': 50})
    r = c.run('status', flow)
    expect_rc(r, 5)


CASES = [
    case_status_of_a_flow_and_of_a_file,
    case_status_json_shape,
    case_no_operand_and_all,
    case_offline_asks_nothing,
    case_unknown_operand,
    case_changed_file_is_not_found,
    case_entry_without_state,
    case_lifecycle,
    case_suspended_invoice,
    case_refused_invoice,
    case_recycled_invoice,
    case_rejected_flow,
    case_partial_flow,
    case_twelve_invoices_in_one_flow,
    case_twelve_invoices_small_pages,
    case_status_retries_a_503,
    case_status_network_failure,
]

if __name__ == '__main__':
    sys.exit(run_cases(CASES))
