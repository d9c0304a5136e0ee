#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""recovery.py - nothing lost, nothing sent twice: deposits whose outcome
is uncertain (timeout after the server took the deposit, connection
closed with no answer), the journal lock, and the submit process killed
in the middle of a batch, then run again

The kill cases come last: the deposit they leave sleeping in the fake
server would otherwise land in a later case.

Run: with_server.py --tls -- python3 recovery.py FACTURE [CASE...]
"""

import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chorus_harness import (  # noqa: E402
    DEPOSIT_PATH, FLOW_RE, check, expect_deposited_line, expect_in,
    expect_rc, run_cases)

UNCERTAIN = re.compile(r'may have reached Chorus Pro')
FOUND = re.compile(r'already on Chorus Pro as flow (CPP\d{22}) \(an earlier '
                   r'attempt arrived\); not sent again')


def uncertain_deposit(c, number, kind, delay=3.0):
    """Deposit one invoice through a fault that leaves the outcome
    uncertain; returns its path."""
    p = c.ubl('u.xml', number)
    fault = {'path': DEPOSIT_PATH, 'kind': kind, 'count': 1}
    if kind.endswith('slow'):
        fault['delay'] = delay
    c.fake.faults(fault)
    r = c.run('submit', '--offline', '--timeout=1', p)
    expect_rc(r, 5)
    check(UNCERTAIN.search(r.both),
          'no "may have reached Chorus Pro" message')
    e = c.journal_entry(p)
    check(e.get('state') == 'unknown', 'journal state %r, wanted unknown'
          % e.get('state'))
    check(not e.get('flow'), 'an uncertain entry has a flow')
    expect_in(r.err, '1 uncertain', r, 'stderr (summary)')
    return p


def case_timeout_after_commit_then_status_resolves(c):
    p = uncertain_deposit(c, 'R-TS-1', 'commit-then-slow')
    deps = c.fake.deposits()
    check(len(deps) == 1, 'the fault should have recorded the deposit')
    flow = deps[0]['flow']
    r = c.run('status', expect=0)
    expect_in(r.out, flow, r, 'stdout')
    e = c.journal_entry(p)
    check(e.get('flow') == flow, 'status did not record flow %s in the '
          'journal (entry: %r)' % (flow, e))
    check(e.get('state') not in ('unknown', 'sending'),
          'state still %r' % e.get('state'))
    r = c.run('submit', '--offline', p)
    expect_rc(r, 1)
    expect_in(r.both, 'already deposited', r)
    check(len(c.fake.deposits()) == 1,
          'deposited again: %d deposits' % len(c.fake.deposits()))


def case_timeout_after_commit_then_submit_finds_it(c):
    p = uncertain_deposit(c, 'R-TS-2', 'commit-then-slow')
    flow = c.fake.deposits()[0]['flow']
    r = c.run('submit', '--offline', '-f', 'json', p, expect=0)
    f = r.json()['files'][0]
    check(f['result'] == 'found-on-server', 'json result %r' % f['result'])
    check(f['flow'] == flow, 'json flow %r, wanted %s' % (f['flow'], flow))
    check(len(c.fake.deposits()) == 1, 'deposited again')
    check(c.journal_entry(p).get('flow') == flow, 'journal lacks the flow')


def case_timeout_after_commit_text(c):
    p = uncertain_deposit(c, 'R-TS-3', 'commit-then-slow')
    flow = c.fake.deposits()[0]['flow']
    r = c.run('submit', '--offline', p, expect=0)
    m = FOUND.search(r.out)
    check(m, 'no "FILE: already on Chorus Pro as flow ... not sent again" '
          'line on stdout')
    check(m.group(1) == flow, 'found flow %s, wanted %s' % (m.group(1),
                                                           flow))
    check(len(c.fake.deposits()) == 1, 'deposited again')


def case_commit_then_reset_not_sent_again(c):
    p = uncertain_deposit(c, 'R-CR-1', 'commit-then-reset')
    check(len(c.fake.deposits()) == 1, 'the fault recorded no deposit')
    r = c.run('submit', '--offline', p, expect=0)
    check(FOUND.search(r.out), 'not found on the server')
    check(len(c.fake.deposits()) == 1, 'deposited again')


def case_reset_before_processing_then_deposited(c):
    p = uncertain_deposit(c, 'R-RS-1', 'reset')
    check(c.fake.deposits() == [], 'the reset fault recorded a deposit')
    r = c.run('submit', '--offline', p, expect=0)
    expect_deposited_line(r, p)
    check(len(c.fake.deposits()) == 1, 'wanted exactly 1 deposit')
    check(FLOW_RE.fullmatch(c.journal_entry(p).get('flow') or ''),
          'no flow in the journal')


def case_status_keeps_unknown_when_not_found(c):
    p = uncertain_deposit(c, 'R-NF-1', 'reset')
    r = c.run('status', '-f', 'json')
    check(r.rc in (0, 1), 'status exit %s' % r.rc)
    flows = r.json().get('flows', [])
    check(len(flows) == 1 and flows[0].get('class') == 'unknown',
          'status json: wanted one entry of class unknown: %r' % flows)
    check(c.journal_entry(p).get('state') == 'unknown',
          'status changed an unresolved entry to %r'
          % c.journal_entry(p).get('state'))


def case_journal_is_locked_during_a_run(c):
    a = c.ubl('a.xml', 'R-LOCK-1')
    b = c.ubl('b.xml', 'R-LOCK-2')
    c.fake.faults({'path': DEPOSIT_PATH, 'kind': 'slow', 'delay': 3,
                   'count': 1})
    p = c.start('submit', '--offline', a)
    try:
        c.fake.wait_for('the deposit request',
                        lambda: c.fake.requests(DEPOSIT_PATH) >= 1)
        r = c.run('submit', '--offline', b)
        expect_rc(r, 3)
        expect_in(r.err, 'in use', r, 'stderr')
        r = c.run('status', '--offline')
        expect_rc(r, 3)
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    r = c.collect(p)
    expect_rc(r, 0)
    check(len(c.fake.deposits()) == 1, 'wanted 1 deposit')


def case_damaged_journal_is_not_overwritten(c):
    p = c.ubl('a.xml', 'R-DMG-1')
    jp = c.journal_path()
    os.makedirs(os.path.dirname(jp), exist_ok=True)
    with open(jp, 'w') as f:
        f.write('{"version": 1, "entries": [ {"sha256": ')
    before = open(jp, 'rb').read()
    r = c.run('submit', '--offline', p)
    expect_rc(r, 3)
    expect_in(r.both, jp, r)
    check(open(jp, 'rb').read() == before, 'the damaged journal was '
          'rewritten')
    check(c.fake.deposits() == [], 'deposited without a journal')
    r = c.run('status', '--all', '--offline')
    expect_rc(r, 3)


def case_unwritable_journal_means_no_deposit(c):
    if os.geteuid() == 0:
        # root writes anywhere: make the journal's place a directory
        jp = c.journal_path()
        os.makedirs(jp)
    else:
        os.makedirs(c.state, mode=0o500)
    p = c.ubl('a.xml', 'R-RO-1')
    r = c.run('submit', '--offline', p)
    expect_rc(r, 3)
    check(c.fake.deposits() == [], 'deposited although the journal could '
          'not be written')
    check(c.fake.requests(DEPOSIT_PATH) == 0, 'a deposit request was sent')


def case_failed_again_keeps_the_earlier_deposit(c):
    # a deposit, then an --again that surely failed: the newest entry is
    # "failed", but the file was deposited all the same
    p = c.ubl('a.xml', 'R-FA-1')
    r = c.run('submit', '--offline', p, expect=0)
    flow = expect_deposited_line(r, p)
    c.fake.faults({'path': DEPOSIT_PATH, 'kind': '503', 'count': 1})
    c.run('submit', '--offline', '--again', p, expect=5)
    check(c.journal_entry(p).get('state') == 'failed',
          'the failed --again is %r in the journal'
          % c.journal_entry(p).get('state'))
    r = c.run('submit', '--offline', p)
    expect_rc(r, 1)
    expect_in(r.out, 'already deposited on', r, 'stdout')
    expect_in(r.out, flow, r, 'stdout')
    check(len(c.fake.deposits()) == 1, 'deposited again without --again: '
          '%d deposits' % len(c.fake.deposits()))


def case_unknown_again_not_found_keeps_the_earlier_deposit(c):
    # the first flow is not processed yet, so the search finds nothing;
    # the file was deposited all the same
    c.fake.config(processing='steps')
    p = c.ubl('a.xml', 'R-UA-1')
    r = c.run('submit', '--offline', p, expect=0)
    flow = expect_deposited_line(r, p)
    c.fake.faults({'path': DEPOSIT_PATH, 'kind': 'reset', 'count': 1})
    c.run('submit', '--offline', '--timeout=1', '--again', p, expect=5)
    r = c.run('submit', '--offline', p)
    expect_rc(r, 1)
    expect_in(r.out, 'already deposited on', r, 'stdout')
    expect_in(r.out, flow, r, 'stdout')
    check(len(c.fake.deposits()) == 1, 'deposited again without --again: '
          '%d deposits' % len(c.fake.deposits()))


def again_arrived_uncertain(c, number):
    """A deposit, then an --again that reached the server without an
    answer; returns (path, first flow, second flow)."""
    p = c.ubl('a.xml', number)
    r = c.run('submit', '--offline', p, expect=0)
    flow1 = expect_deposited_line(r, p)
    c.fake.faults({'path': DEPOSIT_PATH, 'kind': 'commit-then-reset',
                   'count': 1})
    c.run('submit', '--offline', '--timeout=1', '--again', p, expect=5)
    deps = c.fake.deposits()
    check(len(deps) == 2, 'the fault recorded no second deposit')
    flow2 = deps[1]['flow']
    check(flow2 != flow1, 'the server gave the same flow twice')
    return p, flow1, flow2


def case_uncertain_again_is_not_taken_for_the_first_flow(c):
    p, flow1, flow2 = again_arrived_uncertain(c, 'R-UF-1')
    r = c.run('submit', '--offline', p, expect=0)
    m = FOUND.search(r.out)
    check(m, 'the arrived --again is not found on the server')
    check(m.group(1) == flow2, 'the uncertain attempt was taken for flow '
          '%s, the first deposit; it arrived as %s' % (m.group(1), flow2))
    check(c.journal_entry(p).get('flow') == flow2,
          'the journal gives the attempt flow %r, wanted %s'
          % (c.journal_entry(p).get('flow'), flow2))
    check(len(c.fake.deposits()) == 2, 'deposited a third time')


def case_status_resolves_an_uncertain_again_to_its_own_flow(c):
    p, flow1, flow2 = again_arrived_uncertain(c, 'R-UF-2')
    r = c.run('status', expect=0)
    expect_in(r.out, flow2, r, 'stdout')
    flows = [e.get('flow') for e in c.journal()]
    check(sorted(f for f in flows if f) == sorted([flow1, flow2]),
          'journal flows %r, wanted %s and %s once each'
          % (flows, flow1, flow2))


def kill_after(c, third_kind):
    files = [c.ubl('k%d.xml' % i, 'R-KILL-%s-%d' % (third_kind[:6], i))
             for i in range(1, 6)]
    # the first two deposits go through, the third is held a long time
    c.fake.faults({'path': DEPOSIT_PATH, 'kind': 'pass', 'count': 2},
                  {'path': DEPOSIT_PATH, 'kind': third_kind, 'delay': 300,
                   'count': 1})
    p = c.start('submit', '--offline', *files)
    try:
        c.fake.wait_for('the third deposit request',
                        lambda: c.fake.requests(DEPOSIT_PATH) >= 3,
                        timeout=30)
        if third_kind == 'commit-then-slow':
            c.fake.wait_for('the third deposit recorded',
                            lambda: len(c.fake.deposits()) >= 3)
        time.sleep(0.2)
        check(p.poll() is None, 'submit ended before it was killed')
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    c.collect(p)
    before = len(c.fake.deposits())
    check(before == (3 if third_kind == 'commit-then-slow' else 2),
          'the server has %d deposits at the kill' % before)
    e = c.journal_entry(files[2])
    check(e.get('state') == 'sending', 'the killed deposit is %r in the '
          'journal, wanted sending' % e.get('state'))
    # the same command again
    r = c.run('submit', '--offline', *files)
    expect_rc(r, 1)  # the first two are refused as already deposited
    for f in files[:2]:
        check(re.search(r'%s: already deposited on' % re.escape(
            os.path.basename(f)), r.out),
            '%s is not refused as already deposited' % f)
    deps = c.fake.deposits()
    check(len(deps) == 5, 'exactly 5 deposits wanted, the server has %d'
          % len(deps))
    flows = set()
    for f in files:
        e = c.journal_entry(f)
        check(FLOW_RE.fullmatch(e.get('flow') or ''),
              'no flow in the journal for %s (%r)' % (f, e))
        flows.add(e['flow'])
    check(flows == {d['flow'] for d in deps},
          'the journal flows are not the server flows')
    return r, files


def case_killed_while_a_deposit_waits(c):
    r, files = kill_after(c, 'slow')
    for f in files[2:]:
        expect_deposited_line(r, f)


def case_killed_after_the_deposit_arrived(c):
    r, files = kill_after(c, 'commit-then-slow')
    check(re.search(r'^.*k3\.xml: ' + FOUND.pattern, r.out, re.M),
          'k3.xml is not reported as found on the server, not sent again')
    for f in files[3:]:
        expect_deposited_line(r, f)


CASES = [
    case_timeout_after_commit_then_status_resolves,
    case_timeout_after_commit_then_submit_finds_it,
    case_timeout_after_commit_text,
    case_commit_then_reset_not_sent_again,
    case_reset_before_processing_then_deposited,
    case_status_keeps_unknown_when_not_found,
    case_journal_is_locked_during_a_run,
    case_damaged_journal_is_not_overwritten,
    case_unwritable_journal_means_no_deposit,
    case_failed_again_keeps_the_earlier_deposit,
    case_unknown_again_not_found_keeps_the_earlier_deposit,
    case_uncertain_again_is_not_taken_for_the_first_flow,
    case_status_resolves_an_uncertain_again_to_its_own_flow,
    # last: they leave a sleeping deposit in the server
    case_killed_while_a_deposit_waits,
    case_killed_after_the_deposit_arrived,
]

if __name__ == '__main__':
    sys.exit(run_cases(CASES))
