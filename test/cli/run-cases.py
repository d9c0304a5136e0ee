#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""run-cases.py - golden tests of the facture program

Each case is a directory test/cli/cases/NAME/ holding the command line to
run, its inputs and the output it must give (see test/cli/README.md).  The
runner runs the command with the case directory as current directory,
normalises what varies from run to run (timings, temporary paths, random
suffixes of temporary files) and compares standard output, standard error,
exit status and the output of an optional check script with the expected
files, printing a unified diff on mismatch.

  run-cases.py [--facture=PATH] [--source-dir=DIR] [--bless] [CASE ...]

With --bless (or FX_BLESS=1 in the environment) the expected files are
rewritten from what the program did, for review with git diff.

Exit status: 0 all cases passed (or were skipped), 1 a case failed, 2 usage,
77 every case asked for was skipped (ctest reports that as skipped).
"""

import argparse
import difflib
import os
import pty
import re
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tty

SKIP = 77
TIMEOUT = 60  # seconds for one command; billion laughs must not get near

HERE = os.path.dirname(os.path.abspath(__file__))


class CaseError(Exception):
    """The case itself is broken (not the program under test)."""


class Skip(Exception):
    pass


def read_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def read_text(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path, encoding='utf-8', newline='') as f:
        return f.read()


def write_text(path, text):
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)


# ---- normalisation --------------------------------------------------

PROGRESS = re.compile(rb'(\rvalidating[^\r\n]*)(?:\rvalidating[^\r\n]*)*')


def collapse_progress(data):
    """A run of progress updates becomes its first one, digits as N: how
    many updates are shown, and at which counts, depends on the clock."""
    return PROGRESS.sub(lambda m: re.sub(rb'[0-9]+', b'N', m.group(1)), data)


def visible(text):
    """Control characters other than newline and tab made visible, so that
    expected files stay plain text and diffs show colours and \\r."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch in '\n\t' or o >= 0x20 and o != 0x7f:
            out.append(ch)
        elif ch == '\r':
            out.append('\\r')
        elif o == 0x1b:
            out.append('\\e')
        else:
            out.append('\\x%02x' % o)
    return ''.join(out)


def normalise(data, subst):
    """bytes -> text with what varies replaced by stable tokens."""
    data = collapse_progress(data)
    text = data.decode('utf-8', errors='backslashreplace')
    for value, token in subst:
        if value:
            text = text.replace(value, token)
    text = re.sub(r'\bin [0-9]+\.[0-9]+ s\b', 'in X s', text)
    text = re.sub(r'"seconds": [0-9]+(\.[0-9]+)?', '"seconds": X', text)
    text = re.sub(r'\btime="[0-9]+(\.[0-9]+)?"', 'time="X"', text)
    # mkstemp suffixes of the temporary files behind -o
    text = re.sub(r'\.tmp[A-Za-z0-9]{6}\b', '.tmpXXXXXX', text)
    # versions of the libraries we run on, printed by --version
    text = re.sub(r'\blibxml2 [0-9][0-9.]*, libxslt [0-9][0-9.]*',
                  'libxml2 N.N.N, libxslt N.N.N', text)
    return visible(text)


# ---- running one case -----------------------------------------------

def case_env(case_dir, base, placeholders):
    """The environment of the program: ours, minus what changes its
    behaviour, plus the case's env file (KEY=VALUE sets, KEY unsets)."""
    env = dict(base)
    for key in ('NO_COLOR', 'FACTURE_DATA_DIR', 'TERM', 'LANG',
                'LANGUAGE', 'COLUMNS'):
        env.pop(key, None)
    env['LC_ALL'] = 'C'
    text = read_text(os.path.join(case_dir, 'env'))
    if text is None:
        return env
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        if '=' in line:
            key, value = line.split('=', 1)
            env[key.strip()] = expand(value, placeholders)
        elif re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', line):
            env.pop(line, None)
        else:
            raise CaseError('env:%d: expected KEY=VALUE or KEY, not %r'
                            % (n, line))
    return env


def expand(s, placeholders):
    for name, value in placeholders.items():
        s = s.replace('$' + name, value)
    return s


def run_script(case_dir, name, env):
    """Run the case's setup or check script with sh; returns (status,
    output bytes) or None when there is no such script."""
    path = os.path.join(case_dir, name)
    if not os.path.exists(path):
        return None
    p = subprocess.run(['sh', path], cwd=case_dir, env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=TIMEOUT)
    return p.returncode, p.stdout


def drain(fd, chunks):
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: the other side of the pty is closed
        return False
    if not data:
        return False
    chunks.append(data)
    return True


def run_program(facture, args, case_dir, env, stdin_bytes, ttys,
                stdout_full):
    """Run facture (argv[0] "facture", as when it is found on PATH) and
    return (status, stdout bytes, stderr bytes)."""
    argv = ['facture'] + args
    streams = {}
    masters = {}
    closers = []
    try:
        for name in ('stdout', 'stderr'):
            if name in ttys:
                master, slave = pty.openpty()
                tty.setraw(slave)  # no \n -> \r\n translation
                masters[name] = master
                streams[name] = slave
                closers.append(slave)
            elif name == 'stdout' and stdout_full:
                streams[name] = open('/dev/full', 'wb')
                closers.append(streams[name])
            else:
                streams[name] = subprocess.PIPE
        if stdin_bytes is None:
            stdin = subprocess.DEVNULL
        else:
            # a real file, as a shell redirection would give
            stdin = tempfile.TemporaryFile()
            stdin.write(stdin_bytes)
            stdin.seek(0)
            closers.append(stdin)
        p = subprocess.Popen(argv, executable=facture, cwd=case_dir,
                             env=env, stdin=stdin, stdout=streams['stdout'],
                             stderr=streams['stderr'])
    finally:
        for c in closers:
            if isinstance(c, int):
                os.close(c)
            else:
                c.close()

    chunks = {'stdout': [], 'stderr': []}
    open_fds = {}
    for name in ('stdout', 'stderr'):
        if name in masters:
            open_fds[masters[name]] = name
        elif streams[name] == subprocess.PIPE:
            open_fds[getattr(p, name).fileno()] = name
    deadline = time.monotonic() + TIMEOUT
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            p.kill()
            p.wait()
            raise TimeoutError
        ready, _, _ = select.select(list(open_fds), [], [], left)
        for fd in ready:
            if not drain(fd, chunks[open_fds[fd]]):
                del open_fds[fd]
    try:
        status = p.wait(timeout=max(deadline - time.monotonic(), 1))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise TimeoutError
    for fd in masters.values():
        os.close(fd)
    for name in ('stdout', 'stderr'):
        f = getattr(p, name)
        if f:
            f.close()
    return status, b''.join(chunks['stdout']), b''.join(chunks['stderr'])


def read_cmd(case_dir):
    text = read_text(os.path.join(case_dir, 'cmd'))
    if text is None:
        raise CaseError('no cmd file')
    lines = [l for l in text.splitlines() if l.strip()]
    if len(lines) > 1:
        raise CaseError('cmd must be one line')
    try:
        return shlex.split(lines[0]) if lines else []
    except ValueError as e:
        raise CaseError('cmd: %s' % e)


def diff(expected, actual, name):
    return ''.join(difflib.unified_diff(
        expected.splitlines(keepends=True), actual.splitlines(keepends=True),
        'expected-' + name, 'actual ' + name))


def run_case(name, case_dir, opts):
    """Returns ('pass'|'fail'|'skip', message)."""
    tmp = tempfile.mkdtemp(prefix='fx-cli-')
    try:
        return run_case_in(name, case_dir, opts, tmp)
    finally:
        if opts.keep:
            print('  kept %s' % tmp)
        else:
            # a case may leave files it made unreadable
            for root, dirs, _ in os.walk(tmp):
                for d in dirs:
                    try:
                        os.chmod(os.path.join(root, d), 0o700)
                    except OSError:
                        pass
            shutil.rmtree(tmp, ignore_errors=True)


def run_case_in(name, case_dir, opts, tmp):
    examples = os.path.relpath(os.path.join(opts.source_dir, 'examples'),
                               case_dir)
    data = os.path.relpath(os.path.join(HERE, 'data'), case_dir)
    srcdir = os.path.relpath(opts.source_dir, case_dir)
    placeholders = {'EXAMPLES': examples, 'DATA': data, 'SRCDIR': srcdir,
                    'TMP': tmp}
    subst = [(os.path.realpath(tmp), '$TMP'), (tmp, '$TMP'),
             (examples, '$EXAMPLES'), (data, '$DATA')]

    args = [expand(a, placeholders) for a in read_cmd(case_dir)]
    env = case_env(case_dir, os.environ, placeholders)
    script_env = dict(env)
    script_env.update({'TMP': tmp, 'EXAMPLES': examples, 'DATA': data,
                       'SRCDIR': srcdir, 'FACTURE': opts.facture})

    setup = run_script(case_dir, 'setup', script_env)
    if setup and setup[0] == SKIP:
        reason = setup[1].decode('utf-8', 'replace').strip()
        raise Skip(reason or 'the setup script asked to skip')
    if setup and setup[0] != 0:
        raise CaseError('setup failed with status %d:\n%s'
                        % (setup[0], setup[1].decode('utf-8', 'replace')))

    stdin_path = os.path.join(case_dir, 'stdin')
    stdin_bytes = read_bytes(stdin_path) if os.path.exists(stdin_path) \
        else None
    ttys = (read_text(os.path.join(case_dir, 'tty')) or '').split()
    for t in ttys:
        if t not in ('stdout', 'stderr'):
            raise CaseError('tty: expected stdout and/or stderr, not %r' % t)
    stdout_full = os.path.exists(os.path.join(case_dir, 'stdout-full'))

    try:
        status, out, err = run_program(opts.facture, args, case_dir, env,
                                       stdin_bytes, ttys, stdout_full)
    except TimeoutError:
        return 'fail', 'timed out after %d s' % TIMEOUT

    actual = {
        'stdout': normalise(out, subst),
        'stderr': normalise(err, subst),
        'status': '%d\n' % status,
    }
    check = run_script(case_dir, 'check', script_env)
    if check is not None:
        actual['check'] = normalise(check[1], subst)
        if check[0] != 0:
            actual['check'] += '[check exited with status %d]\n' % check[0]

    bug = read_text(os.path.join(case_dir, 'bug'))
    if opts.bless and bug is not None and not opts.bless_bugs:
        return 'pass', 'not blessed: its expected files show a known bug ' \
            'fixed (see its bug file; --bless-bugs to bless it anyway)'
    if opts.bless:
        for key, value in actual.items():
            write_text(os.path.join(case_dir, 'expected-' + key), value)
        return 'pass', 'blessed'

    problems = []
    for key, value in actual.items():
        default = '0\n' if key == 'status' else ''
        expected = read_text(os.path.join(case_dir, 'expected-' + key),
                             default)
        if expected != value:
            problems.append(diff(expected, value, key))
    if problems:
        cmd = read_text(os.path.join(case_dir, 'cmd')).strip()
        why = ''
        if bug is not None:
            why = 'known bug, expected output is the fixed one:\n  %s\n' \
                % bug.strip().replace('\n', '\n  ')
        return 'fail', '%scommand: facture %s\n%s' % (why, cmd,
                                                      ''.join(problems))
    return 'pass', ''


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--facture', help='the program (default: '
                    'SOURCE-DIR/build/facture)')
    ap.add_argument('--source-dir', help='top of the source tree '
                    '(default: two levels above this script)')
    ap.add_argument('--cases', help='directory of the cases (default: '
                    'the cases directory beside this script)')
    ap.add_argument('--bless', action='store_true',
                    help='rewrite the expected files from the actual output')
    ap.add_argument('--bless-bugs', action='store_true',
                    help='with --bless, also rewrite the cases that have a '
                    'bug file')
    ap.add_argument('--keep', action='store_true',
                    help='keep the temporary directories, for debugging')
    ap.add_argument('case', nargs='*', help='case names (default: all)')
    opts = ap.parse_args()

    opts.bless = opts.bless or os.environ.get('FX_BLESS', '') not in ('', '0')
    opts.source_dir = os.path.abspath(
        opts.source_dir or os.path.join(HERE, '..', '..'))
    opts.facture = os.path.abspath(
        opts.facture or os.path.join(opts.source_dir, 'build', 'facture'))
    cases_dir = os.path.abspath(opts.cases or os.path.join(HERE, 'cases'))
    if not os.access(opts.facture, os.X_OK):
        print('run-cases: no program at %s: build it first (make)'
              % opts.facture, file=sys.stderr)
        return 2

    names = opts.case or sorted(
        d for d in os.listdir(cases_dir)
        if os.path.isfile(os.path.join(cases_dir, d, 'cmd')))
    counts = {'pass': 0, 'fail': 0, 'skip': 0}
    for name in names:
        case_dir = os.path.join(cases_dir, name)
        if not os.path.isfile(os.path.join(case_dir, 'cmd')):
            print('run-cases: no case %s (no %s/cmd)' % (name, case_dir),
                  file=sys.stderr)
            return 2
        try:
            result, message = run_case(name, case_dir, opts)
        except Skip as e:
            result, message = 'skip', str(e)
        except (CaseError, OSError, subprocess.SubprocessError) as e:
            result, message = 'fail', 'broken case: %s' % e
        counts[result] += 1
        word = {'pass': 'ok  ', 'fail': 'FAIL', 'skip': 'skip'}[result]
        if result == 'pass' and not message:
            print('%s %s' % (word, name))
        else:
            sep = ': ' if result == 'skip' or result == 'pass' else '\n'
            print('%s %s%s%s' % (word, name, sep, message.rstrip('\n')))
        sys.stdout.flush()

    if len(names) > 1:
        print('%d passed, %d failed, %d skipped'
              % (counts['pass'], counts['fail'], counts['skip']))
    if counts['fail']:
        return 1
    if counts['skip'] and not counts['pass']:
        return SKIP
    return 0


if __name__ == '__main__':
    sys.exit(main())
