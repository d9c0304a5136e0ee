# SPDX-License-Identifier: MIT
"""chorus_harness.py - shared by the integration tests of submit, status
and buyer against the fake Chorus Pro server (test/fake-chorus)

A test script is run by ctest as

    with_server.py --tls -- python3 test/chorus/SCRIPT.py FACTURE

and calls run_cases(cases).  Each case gets fresh XDG_STATE_HOME,
XDG_CONFIG_HOME and HOME directories and a reset server, runs facture
through Case.run (which keeps every output), and fails by raising Fail.
After each case, whatever it passed or failed, every output it saw is
searched for the secrets: one found is a failure of the case.  One line
per case is printed (ok / FAIL with the reason and the stderr of the
commands); the script exits 1 when a case failed, 77 when there is no
server (FAKE_CHORUS_URL unset) or no facture program.
"""

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, '..', '..'))
EXAMPLES = os.path.join(SOURCE_DIR, 'examples')

# The seeded buyers of the fake server (test/fake-chorus/README.md).
BUYER_NOTHING = '11000201100044'    # MINISTERE DES ESSAIS: nothing required
BUYER_SERVICE = '21760000100010'    # COMMUNE DE TESTVILLE: service code
BUYER_COMMITMENT = '26000000300012'  # HOPITAL DES TESTS: commitment number
BUYER_EITHER = '20000000400016'     # REGION EXEMPLE: service or commitment
BUYER_INACTIVE = '19000000500016'   # LYCEE FERME: inactive
# A valid SIRET that is not in the directory.
BUYER_UNKNOWN = '73282932000074'

FLOW_RE = re.compile(r'CPP\d{22}')
DATE_RE = re.compile(r'\d{4}-\d{2}-\d{2}')

DEPOSIT_PATH = '/cpro/factures/v1/deposer/flux'
REPORT_PATH = '/cpro/transverses/v1/consulterCRDetaille'
SEARCH_PATH = '/cpro/factures/v1/rechercher/fournisseur'
TOKEN_PATH = '/api/oauth/token'
STRUCT_PREFIX = '/cpro/structures/'


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# ---- the server ---------------------------------------------------------

class Fake:
    """The control endpoints of the fake server, and a raw API client for
    what the tests do behind facture's back (advancing an invoice)."""

    def __init__(self):
        self.url = os.environ['FAKE_CHORUS_URL'].rstrip('/')
        self.cacert = os.environ.get('FAKE_CHORUS_CACERT')
        self.wrong_cacert = os.environ.get('FAKE_CHORUS_WRONG_CACERT')
        self.log = os.environ.get('FAKE_CHORUS_LOG')
        if self.url.startswith('https:'):
            self.ssl = ssl.create_default_context(cafile=self.cacert)
        else:
            self.ssl = None

    def request(self, method, path, body=None, headers=None, form=False,
                timeout=30):
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                hdrs.setdefault('Content-Type',
                                'application/x-www-form-urlencoded')
            else:
                data = json.dumps(body).encode()
                hdrs.setdefault('Content-Type', 'application/json')
        req = urllib.request.Request(self.url + path, data=data,
                                     headers=hdrs, method=method)
        try:
            with urllib.request.urlopen(req, context=self.ssl,
                                        timeout=timeout) as r:
                raw = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            raw = e.read()
            status = e.code
        text = raw.decode('utf-8', 'replace')
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def control(self, method, path, body=None):
        status, answer = self.request(method, '/_fake/' + path, body)
        if status != 200:
            raise Fail('fake server: %s /_fake/%s answered %s: %r'
                       % (method, path, status, answer))
        return answer

    def reset(self):
        self.control('POST', 'reset', {})

    def config(self, **values):
        self.control('POST', 'config', values)

    def faults(self, *faults):
        self.control('POST', 'faults', {'faults': list(faults)})

    def deposits(self):
        return self.control('GET', 'deposits')['deposits']

    def stats(self):
        return self.control('GET', 'stats')

    def requests(self, path):
        return self.stats().get('requests', {}).get(path, 0)

    def struct_requests(self):
        return sum(n for p, n in self.stats().get('requests', {}).items()
                   if p.startswith(STRUCT_PREFIX))

    def revoke_tokens(self):
        self.control('POST', 'revoke-tokens', {})

    # What a client does, for the tests' own moves on the server.
    def api(self, path, body):
        env = os.environ
        status, tok = self.request('POST', TOKEN_PATH, {
            'grant_type': 'client_credentials',
            'client_id': env['FACTURE_CHORUS_CLIENT_ID'],
            'client_secret': env['FACTURE_CHORUS_CLIENT_SECRET'],
            'scope': 'openid'}, form=True)
        if status != 200:
            raise Fail('fake server: no token (%s)' % status)
        account = base64.b64encode(('%s:%s' % (
            env['FACTURE_CHORUS_LOGIN'],
            env['FACTURE_CHORUS_PASSWORD'])).encode()).decode()
        status, answer = self.request('POST', path, body, headers={
            'Authorization': 'Bearer ' + tok['access_token'],
            'cpro-account': account,
            'Content-Type': 'application/json;charset=utf-8'})
        if status != 200:
            raise Fail('fake server: %s answered %s: %r'
                       % (path, status, answer))
        return answer

    def advance_invoice(self, invoice_id):
        """One consulter/historique call: the fake moves the invoice one
        status further; returns the new status."""
        a = self.api('/cpro/factures/v1/consulter/historique',
                     {'idFacture': invoice_id})
        return a.get('statutCourantCode')

    def wait_for(self, what, pred, timeout=15.0, step=0.01):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():
                return
            time.sleep(step)
        raise Fail('gave up waiting for %s' % what)


def closed_port_url():
    """An https URL on the loopback where nothing listens."""
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return 'https://127.0.0.1:%d' % port


# ---- invoices -----------------------------------------------------------

def _sub_first(pattern, repl, text, what):
    new, n = re.subn(pattern, repl, text, count=1)
    if n != 1:
        raise Fail('test data: cannot find %s in the example' % what)
    return new


def make_ubl(number, buyer=BUYER_NOTHING, service=None, commitment='keep',
             no_siret=False, invalid=False):
    """examples/invoice-ubl.xml with invoice number NUMBER and buyer
    SIRET BUYER (scheme 0009).  SERVICE / COMMITMENT: 'keep' the
    example's BT-10 / BT-13, None to remove it, or a new value.  By
    default no BT-10: the example's is not a service of any seeded
    buyer."""
    with open(os.path.join(EXAMPLES, 'invoice-ubl.xml'),
              encoding='utf-8') as f:
        x = f.read()
    x = _sub_first(r'<cbc:ID>FA-2025-0042</cbc:ID>',
                   '<cbc:ID>%s</cbc:ID>' % number, x, 'BT-1')
    x = x.replace('91530468700014', buyer)
    if service is None:
        x = _sub_first(r'\s*<cbc:BuyerReference>[^<]*</cbc:BuyerReference>',
                       '', x, 'BT-10')
    elif service != 'keep':
        x = _sub_first(r'<cbc:BuyerReference>[^<]*</cbc:BuyerReference>',
                       '<cbc:BuyerReference>%s</cbc:BuyerReference>'
                       % service, x, 'BT-10')
    if commitment is None:
        x = _sub_first(r'\s*<cac:OrderReference>\s*<cbc:ID>[^<]*</cbc:ID>'
                       r'\s*</cac:OrderReference>', '', x, 'BT-13')
    elif commitment != 'keep':
        x = _sub_first(r'(<cac:OrderReference>\s*<cbc:ID>)[^<]*',
                       r'\g<1>' + commitment, x, 'BT-13')
    if no_siret:
        # the buyer's PartyIdentification goes; BT-47 keeps its SIREN
        # (scheme 0002), so no identifier of the buyer has scheme 0009
        x = _sub_first(r'(?s)(<cac:AccountingCustomerParty>\s*<cac:Party>\s*'
                       r'<cbc:EndpointID[^>]*>[^<]*</cbc:EndpointID>)\s*'
                       r'<cac:PartyIdentification>.*?'
                       r'</cac:PartyIdentification>', r'\1', x,
                       'the buyer PartyIdentification')
    if invalid:
        x = _sub_first(r'\s*<cbc:IssueDate>[^<]*</cbc:IssueDate>', '', x,
                       'BT-2')
    return x.encode('utf-8')


def make_cii(number, buyer=BUYER_NOTHING, service=None, commitment='keep'):
    with open(os.path.join(EXAMPLES, 'invoice-cii.xml'),
              encoding='utf-8') as f:
        x = f.read()
    x = _sub_first(r'<ram:ID>FV-2025-0318</ram:ID>',
                   '<ram:ID>%s</ram:ID>' % number, x, 'BT-1')
    x = x.replace('91530468700014', buyer)
    if service is None:
        x = _sub_first(r'\s*<ram:BuyerReference>[^<]*</ram:BuyerReference>',
                       '', x, 'BT-10')
    elif service != 'keep':
        x = _sub_first(r'<ram:BuyerReference>[^<]*</ram:BuyerReference>',
                       '<ram:BuyerReference>%s</ram:BuyerReference>'
                       % service, x, 'BT-10')
    if commitment is None:
        x = _sub_first(r'(?s)\s*<ram:BuyerOrderReferencedDocument>.*?'
                       r'</ram:BuyerOrderReferencedDocument>', '', x,
                       'BT-13')
    elif commitment != 'keep':
        x = _sub_first(r'(<ram:BuyerOrderReferencedDocument>\s*'
                       r'<ram:IssuerAssignedID>)[^<]*',
                       r'\g<1>' + commitment, x, 'BT-13')
    return x.encode('utf-8')


def sha256_file(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---- a case -------------------------------------------------------------

class Result:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err

    @property
    def both(self):
        return self.out + self.err

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError as e:
            raise Fail('%s: stdout is not one JSON document (%s): %r'
                       % (self.cmdline(), e, self.out[:400]))

    def cmdline(self):
        return 'facture ' + ' '.join(self.args)


class Case:
    def __init__(self, harness, name):
        self.h = harness
        self.name = name
        self.fake = harness.fake
        self.tmp = tempfile.mkdtemp(prefix='fx-chorus-')
        self.state = os.path.join(self.tmp, 'state')
        self.config_home = os.path.join(self.tmp, 'config')
        self.home = os.path.join(self.tmp, 'home')
        self.work = os.path.join(self.tmp, 'work')
        for d in (self.config_home, self.home, self.work):
            os.mkdir(d)
        self.results = []
        self.extra_secrets = []
        env = dict(os.environ)
        for k in list(env):
            if k.startswith('FACTURE_CHORUS_') or k == 'FACTURE_DATA_DIR':
                del env[k]
        env.update({
            'XDG_STATE_HOME': self.state,
            'XDG_CONFIG_HOME': self.config_home,
            'HOME': self.home,
            'LC_ALL': 'C',
        })
        for k in ('API_URL', 'TOKEN_URL', 'CLIENT_ID', 'CLIENT_SECRET',
                  'LOGIN', 'PASSWORD'):
            env['FACTURE_CHORUS_' + k] = os.environ['FACTURE_CHORUS_' + k]
        self.env = env

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # files
    def write(self, name, data, mode=None):
        path = os.path.join(self.work, name)
        with open(path, 'wb') as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        if mode is not None:
            os.chmod(path, mode)
        return path

    def valid(self, path):
        """Fail loudly when a test invoice is not valid for facture
        validate: the test would test the wrong thing."""
        p = subprocess.run([self.h.facture, 'validate', '-q', path],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=self.env, timeout=60)
        if p.returncode != 0:
            raise Fail('test data %s is not valid (validate exit %d): %s'
                       % (os.path.basename(path), p.returncode,
                          (p.stdout + p.stderr).decode('utf-8',
                                                       'replace')[:800]))
        return path

    def ubl(self, name, number, **kw):
        check_valid = kw.pop('check_valid', True)
        path = self.write(name, make_ubl(number, **kw))
        return self.valid(path) if check_valid else path

    def cii(self, name, number, **kw):
        check_valid = kw.pop('check_valid', True)
        path = self.write(name, make_cii(number, **kw))
        return self.valid(path) if check_valid else path

    def facturx(self, name, number, repack=False, **kw):
        """A Factur-X PDF around a CII invoice: written afresh by the
        tests' PDF writer (test/pdf/pdfgen.py), or, with REPACK, the
        example PDF with its invoice replaced by `facture pack --replace`
        (an incremental update: the old invoice stays in the file)."""
        cii = make_cii(number, **kw)
        out = os.path.join(self.work, name)
        if not repack:
            sys.path.insert(0, os.path.join(SOURCE_DIR, 'test', 'pdf'))
            import pdfgen
            with open(out, 'wb') as f:
                f.write(pdfgen.facturx(cii, title='Invoice ' + number))
            return self.valid(out)
        xml = self.write(name + '.cii.xml', cii)
        p = subprocess.run([self.h.facture, 'pack', '--replace', '-o', out,
                            os.path.join(EXAMPLES, 'invoice-facturx.pdf'),
                            xml], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=self.env, timeout=60)
        if p.returncode != 0:
            raise Fail('test data: facture pack --replace failed: %s'
                       % p.stderr.decode('utf-8', 'replace'))
        os.unlink(xml)
        return self.valid(out)

    def zip(self, name, members):
        out = os.path.join(self.work, name)
        p = subprocess.run([self.h.facture, 'pack', '-z', out] + members,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=self.env, timeout=60)
        if p.returncode != 0:
            raise Fail('test data: facture pack -z failed: %s'
                       % p.stderr.decode('utf-8', 'replace'))
        return self.valid(out)

    def conf(self, text, mode=0o600, path=None):
        """Write a profile file (default: the default location)."""
        if path is None:
            d = os.path.join(self.config_home, 'facture')
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, 'chorus.conf')
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, mode)
        for m in re.finditer(r'^\s*(client_secret|password)\s*=\s*(\S+)',
                             text, re.M):
            self.extra_secrets.append(m.group(2))
        return path

    # running facture
    def args_for(self, args, cacert=True):
        args = list(args)
        if cacert and self.fake.cacert and not any(
                a.startswith('--cacert') for a in args):
            # after the command name
            args.insert(1, '--cacert=' + self.fake.cacert)
        return args

    def _check_argv(self, args):
        for s in self.h.secrets() + self.extra_secrets:
            for a in args:
                if s in a:
                    raise Fail('the test itself put a secret on argv: %r'
                               % a)

    def run(self, *args, env=None, unset=(), cacert=True, timeout=60,
            expect=None):
        args = self.args_for(args, cacert)
        self._check_argv(args)
        e = dict(self.env)
        for k in unset:
            e.pop(k, None)
        if env:
            e.update(env)
        try:
            p = subprocess.run([self.h.facture] + args,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=e,
                               stdin=subprocess.DEVNULL, timeout=timeout,
                               cwd=self.work)
            r = Result(args, p.returncode,
                       p.stdout.decode('utf-8', 'replace'),
                       p.stderr.decode('utf-8', 'replace'))
        except subprocess.TimeoutExpired as t:
            r = Result(args, 'timeout',
                       (t.stdout or b'').decode('utf-8', 'replace'),
                       (t.stderr or b'').decode('utf-8', 'replace'))
        self.results.append(r)
        if expect is not None and r.rc != expect:
            raise Fail('%s: exit %s, wanted %s' % (r.cmdline(), r.rc,
                                                    expect))
        return r

    def start(self, *args, env=None):
        """Start facture in the background (for the kill cases)."""
        args = self.args_for(args)
        self._check_argv(args)
        e = dict(self.env)
        if env:
            e.update(env)
        out = tempfile.TemporaryFile(dir=self.tmp)
        err = tempfile.TemporaryFile(dir=self.tmp)
        p = subprocess.Popen([self.h.facture] + args, stdout=out,
                             stderr=err, env=e, stdin=subprocess.DEVNULL,
                             cwd=self.work)
        p._fx = (args, out, err)
        return p

    def collect(self, p):
        """The Result of a process started with start()."""
        args, out, err = p._fx
        out.seek(0)
        err.seek(0)
        r = Result(args, p.returncode,
                   out.read().decode('utf-8', 'replace'),
                   err.read().decode('utf-8', 'replace'))
        out.close()
        err.close()
        self.results.append(r)
        return r

    # the journal
    def journal_path(self, profile='default'):
        return os.path.join(self.state, 'facture',
                            profile + '.journal.json')

    def journal(self, profile='default'):
        path = self.journal_path(profile)
        if not os.path.exists(path):
            return []
        with open(path) as f:
            doc = json.load(f)
        check(isinstance(doc, dict) and isinstance(doc.get('entries'), list),
              'journal %s: not {"version", "entries": [...]}' % path)
        return doc['entries']

    def journal_entry(self, path, profile='default'):
        """The newest journal entry for the bytes of PATH."""
        digest = sha256_file(path)
        found = [e for e in self.journal(profile)
                 if e.get('sha256') == digest]
        check(found, 'no journal entry for %s (sha256 %s); journal: %s'
              % (os.path.basename(path), digest[:12],
                 json.dumps(self.journal(profile))[:600]))
        return max(found, key=lambda e: e.get('time') or 0)


# ---- checks shared by the scripts ---------------------------------------

def expect_rc(r, want):
    check(r.rc == want, '%s: exit %s, wanted %s' % (r.cmdline(), r.rc, want))


def expect_in(text, needle, r, where='output'):
    check(needle in text, '%s: %s lacks %r' % (r.cmdline(), where, needle))


def expect_deposited_line(r, path):
    """'FILE: deposited as flow CPP... on DATE' for PATH; the flow."""
    base = os.path.basename(path)
    m = re.search(r'^(.*%s): deposited as flow (CPP\d{22}) on '
                  r'(\d{4}-\d{2}-\d{2})$' % re.escape(base), r.out, re.M)
    check(m, '%s: stdout has no "%s: deposited as flow CPP... on '
          'YYYY-MM-DD" line' % (r.cmdline(), base))
    return m.group(2)


# ---- the runner ---------------------------------------------------------

class Harness:
    def __init__(self, facture):
        self.facture = facture
        self.fake = Fake()
        self.failed = 0
        self.total = 0

    def secrets(self):
        env = os.environ
        s = [env['FACTURE_CHORUS_CLIENT_SECRET'],
             env['FACTURE_CHORUS_PASSWORD']]
        s.append(base64.b64encode(('%s:%s' % (
            env['FACTURE_CHORUS_LOGIN'],
            env['FACTURE_CHORUS_PASSWORD'])).encode()).decode())
        return [x for x in s if x]

    def run_case(self, fn):
        name = fn.__name__.replace('case_', '').replace('_', '-')
        c = Case(self, name)
        self.total += 1
        reason = None
        skipped = None
        t0 = time.monotonic()
        try:
            self.fake.reset()
            fn(c)
        except Skip as e:
            skipped = str(e)
        except Fail as e:
            reason = str(e)
        except Exception:
            reason = 'error in the test: ' + traceback.format_exc()
        # the global assertion: no secret in any output of any case
        for r in c.results:
            for s in self.secrets() + c.extra_secrets:
                for where, text in (('stdout', r.out), ('stderr', r.err)):
                    if s in text:
                        reason = (reason + '; ' if reason else '') + (
                            'a secret appears in the %s of %s'
                            % (where, r.cmdline()))
        dt = time.monotonic() - t0
        if skipped is not None:
            print('skip %s: %s' % (name, skipped))
        elif reason is None:
            print('ok   %s (%.1f s)' % (name, dt))
        else:
            self.failed += 1
            print('FAIL %s: %s' % (name, reason))
            for r in c.results[-3:]:
                print('     $ %s   -> exit %s' % (r.cmdline(), r.rc))
                for label, text in (('stdout', r.out), ('stderr', r.err)):
                    text = text.rstrip()
                    if text:
                        if len(text) > 1500:
                            text = text[:1500] + '...'
                        print('       %s: %s' % (
                            label, text.replace('\n', '\n               ')))
        sys.stdout.flush()
        c.cleanup()


def run_cases(cases, argv=None):
    argv = sys.argv if argv is None else argv
    name = os.path.basename(argv[0])
    if len(argv) < 2:
        print('usage: %s FACTURE [CASE...]' % name)
        return 2
    if not os.environ.get('FAKE_CHORUS_URL'):
        print('%s: skipped: FAKE_CHORUS_URL is not set (run it under '
              'test/fake-chorus/with_server.py --tls)' % name)
        return 77
    facture = os.path.abspath(argv[1])
    if not os.access(facture, os.X_OK):
        print('%s: no program at %s' % (name, facture))
        return 1
    only = set(argv[2:])
    h = Harness(facture)
    t0 = time.monotonic()
    for fn in cases:
        cname = fn.__name__.replace('case_', '').replace('_', '-')
        if only and cname not in only:
            continue
        h.run_case(fn)
    # the server's log must not hold the secrets either
    if h.fake.log and os.path.exists(h.fake.log):
        with open(h.fake.log, encoding='utf-8', errors='replace') as f:
            log = f.read()
        h.total += 1
        leaked = [s for s in h.secrets() if s in log]
        if leaked:
            h.failed += 1
            print('FAIL server-log: the fake server log holds a secret')
        else:
            print('ok   server-log: no secret in the fake server log')
    print('%s: %d cases, %d failed, %.1f s'
          % (name, h.total, h.failed, time.monotonic() - t0))
    return 1 if h.failed else 0
