#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""config.py - profiles, environment and credentials of the Chorus Pro
commands, through `facture submit --check` against the fake server

Run: with_server.py --tls -- python3 config.py FACTURE [CASE...]
"""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chorus_harness import (  # noqa: E402
    Fail, check, closed_port_url, expect_in, expect_rc, run_cases,
    TOKEN_PATH)

OK_LINE = "credentials accepted, Chorus Pro is available"
CREDS = ('FACTURE_CHORUS_CLIENT_ID', 'FACTURE_CHORUS_CLIENT_SECRET',
         'FACTURE_CHORUS_LOGIN', 'FACTURE_CHORUS_PASSWORD')


def good():
    e = os.environ
    return {'client_id': e['FACTURE_CHORUS_CLIENT_ID'],
            'client_secret': e['FACTURE_CHORUS_CLIENT_SECRET'],
            'login': e['FACTURE_CHORUS_LOGIN'],
            'password': e['FACTURE_CHORUS_PASSWORD'],
            'api_url': e['FACTURE_CHORUS_API_URL'],
            'token_url': e['FACTURE_CHORUS_TOKEN_URL']}


def section(name, **kv):
    return '[%s]\n%s\n' % (name, ''.join('%s = %s\n' % (k, v)
                                         for k, v in kv.items()))


def case_check_with_environment(c):
    r = c.run('submit', '--check', expect=0)
    expect_in(r.both, "profile 'default' (sandbox): " + OK_LINE, r)
    check(c.fake.requests(TOKEN_PATH) == 1,
          'one token request expected, the server saw %d'
          % c.fake.requests(TOKEN_PATH))
    check(c.fake.deposits() == [], '--check deposited something')


def case_several_profiles_in_the_file(c):
    g = good()
    bad = dict(g, client_secret='wrong-secret-in-default')
    c.conf('# two profiles\n' + section('default', **bad) +
           '; the working one\n' + section('other', **g))
    # credentials from the file only
    r = c.run('submit', '--check', unset=CREDS + (
        'FACTURE_CHORUS_API_URL', 'FACTURE_CHORUS_TOKEN_URL'))
    expect_rc(r, 4)
    r = c.run('submit', '-p', 'other', '--check', unset=CREDS + (
        'FACTURE_CHORUS_API_URL', 'FACTURE_CHORUS_TOKEN_URL'), expect=0)
    expect_in(r.both, "profile 'other'", r)
    r = c.run('submit', '--profile=other', '--check', unset=CREDS,
              expect=0)
    r = c.run('submit', '--check', unset=CREDS,
              env={'FACTURE_CHORUS_PROFILE': 'other'}, expect=0)
    expect_in(r.both, "profile 'other'", r)


def case_environment_overrides_the_file(c):
    g = good()
    c.conf(section('default', **dict(g, client_secret='wrong-in-file',
                                     password='wrong-password-in-file')))
    # the environment (the harness sets every credential) wins
    c.run('submit', '--check', expect=0)
    # and without it, the file's wrong secret is used and refused
    r = c.run('submit', '--check', unset=('FACTURE_CHORUS_CLIENT_SECRET',))
    expect_rc(r, 4)


def case_explicit_config_file(c):
    g = good()
    path = os.path.join(c.work, 'elsewhere.conf')
    c.conf(section('default', **g), path=path)
    c.run('submit', '--config=' + path, '--check', unset=CREDS, expect=0)
    c.run('submit', '--check', unset=CREDS,
          env={'FACTURE_CHORUS_CONFIG': path}, expect=0)
    r = c.run('submit', '--config=' + path + '.missing', '--check')
    expect_rc(r, 4)
    r = c.run('submit', '--config=' + path, '-p', 'nosuch', '--check')
    expect_rc(r, 4)
    expect_in(r.err, 'nosuch', r, 'stderr')


def case_profile_file_readable_by_others_is_refused(c):
    g = good()
    path = c.conf(section('default', **g), mode=0o644)
    r = c.run('submit', '--check', unset=CREDS)
    expect_rc(r, 4)
    expect_in(r.err, '%s is readable by others and holds secrets; run: '
              'chmod 600 %s' % (path, path), r, 'stderr')
    check(c.fake.requests(TOKEN_PATH) == 0,
          'a token was asked for with a refused profile file')
    # group-writable is refused too
    os.chmod(path, 0o620)
    r = c.run('submit', '--check', unset=CREDS)
    expect_rc(r, 4)
    # the same file made private works
    os.chmod(path, 0o600)
    c.run('submit', '--check', unset=CREDS, expect=0)


def case_world_readable_file_without_secrets_is_fine(c):
    g = good()
    c.conf(section('default', client_id=g['client_id'], login=g['login'],
                   api_url=g['api_url'], token_url=g['token_url']),
           mode=0o644)
    c.run('submit', '--check', unset=('FACTURE_CHORUS_CLIENT_ID',
                                      'FACTURE_CHORUS_LOGIN'), expect=0)


def case_missing_credential_is_named(c):
    r = c.run('submit', '--check', unset=('FACTURE_CHORUS_CLIENT_SECRET',))
    expect_rc(r, 4)
    expect_in(r.err, "no client_secret for profile 'default': set "
              "client_secret in ", r, 'stderr')
    expect_in(r.err, 'FACTURE_CHORUS_CLIENT_SECRET', r, 'stderr')
    r = c.run('submit', '--check', unset=('FACTURE_CHORUS_PASSWORD',))
    expect_rc(r, 4)
    expect_in(r.err, "no password for profile 'default'", r, 'stderr')
    check(c.fake.requests(TOKEN_PATH) == 0,
          'a token was asked for without every credential')


def case_secrets_are_not_taken_on_the_command_line(c):
    for opt in ('--client-secret=x', '--password=x', '--client_secret=x'):
        r = c.run('submit', opt, '--check')
        expect_rc(r, 2)


def case_check_wrong_secret(c):
    r = c.run('submit', '--check',
              env={'FACTURE_CHORUS_CLIENT_SECRET': 'not-the-secret-1'})
    c.extra_secrets.append('not-the-secret-1')
    expect_rc(r, 4)
    check(re.search(r'client id or secret|invalid_client', r.err),
          '%s: stderr does not say the client id or secret was refused'
          % r.cmdline())


def case_check_wrong_password(c):
    r = c.run('submit', '--check',
              env={'FACTURE_CHORUS_PASSWORD': 'not-the-password-1'})
    c.extra_secrets.append('not-the-password-1')
    expect_rc(r, 4)
    expect_in(r.err, 'login or password incorrects', r, 'stderr')


def case_check_wrong_ca(c):
    r = c.run('submit', '--cacert=' + c.fake.wrong_cacert, '--check')
    expect_rc(r, 5)
    check(re.search(r'TLS|SSL|certificate', r.err, re.I),
          '%s: stderr does not mention TLS or the certificate'
          % r.cmdline())
    check(c.fake.requests(TOKEN_PATH) == 0,
          'the token request went through an untrusted TLS connection')


def case_check_without_cacert_uses_the_system_store(c):
    # the throw-away CA is not in the system's store: refused
    r = c.run('submit', '--check', cacert=False)
    expect_rc(r, 5)


def case_check_server_down(c):
    url = closed_port_url()
    r = c.run('submit', '--check', '--timeout=2', env={
        'FACTURE_CHORUS_API_URL': url,
        'FACTURE_CHORUS_TOKEN_URL': url + TOKEN_PATH})
    expect_rc(r, 5)


def case_check_unsubscribed_api(c):
    c.fake.config(unsubscribed=['transverses'])
    r = c.run('submit', '--check')
    expect_rc(r, 4)
    expect_in(r.err, '403', r, 'stderr')


def case_timeout_and_format_values_are_checked(c):
    for bad in (['--timeout=abc'], ['--timeout=-1'], ['-f', 'xml'],
                ['--poll=x']):
        r = c.run('submit', *bad, '--check')
        if r.rc != 2:
            raise Fail('%s: exit %s, wanted 2' % (r.cmdline(), r.rc))


CASES = [
    case_check_with_environment,
    case_several_profiles_in_the_file,
    case_environment_overrides_the_file,
    case_explicit_config_file,
    case_profile_file_readable_by_others_is_refused,
    case_world_readable_file_without_secrets_is_fine,
    case_missing_credential_is_named,
    case_secrets_are_not_taken_on_the_command_line,
    case_check_wrong_secret,
    case_check_wrong_password,
    case_check_wrong_ca,
    case_check_without_cacert_uses_the_system_store,
    case_check_server_down,
    case_check_unsubscribed_api,
    case_timeout_and_format_values_are_checked,
]

if __name__ == '__main__':
    sys.exit(run_cases(CASES))
