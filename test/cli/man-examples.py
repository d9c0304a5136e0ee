#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""man-examples.py - every example of the manual runs as the page says

Takes each command line of the EXAMPLES sections of man/*.[1-9] (the .Dl
lines and the lines of .Bd -literal displays) that runs facture, that is
whose first word is `facture` or that pipes into `facture`, and runs it
with sh from the top of the source tree, with the built program first on
PATH as `facture` and standard input from /dev/null (unless the example
redirects it).

The exit status it must have (the convention of our pages):
  - when the prose that introduces the example (the text since the last
    .Pp) says "exits with status N", "exit status N" or "status N", the
    command must exit with N;
  - otherwise it must exit with 0 or 1: a verdict, valid or invalid,
    never a usage error (2), an input or output error (3), an internal
    error (6) or a signal.
Paths under /tmp/ in an example are moved to a temporary directory, so
that running the examples writes nothing outside it.

Exit status: 0 all examples behave, 1 one does not, 77 no pages or no
examples (ctest: skipped).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import manpages  # noqa: E402

TIMEOUT = 120
STATUS = re.compile(r'\b(?:exits?|exit status|status)\s+(?:with\s+)?'
                    r'(?:status\s+)?(\d+)\b', re.I)
RUNS_FACTURE = re.compile(r'^\s*facture\b|\|\s*facture\b')


def examples(path):
    secs = manpages.sections(manpages.read_page(path))
    result = []
    for cmd, prose in manpages.display_lines(secs.get('EXAMPLES', [])):
        cmd = cmd.strip()
        if cmd.startswith('$ '):
            cmd = cmd[2:]
        if not RUNS_FACTURE.search(cmd):
            continue
        m = STATUS.search(prose)
        result.append((cmd, int(m.group(1)) if m else None))
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('--source-dir', default=os.path.join(here, '..', '..'))
    ap.add_argument('--facture')
    ap.add_argument('-v', '--verbose', action='store_true',
                    help='show the output of every example')
    opts = ap.parse_args()
    source_dir = os.path.abspath(opts.source_dir)
    facture = os.path.abspath(opts.facture or
                              os.path.join(source_dir, 'build', 'facture'))
    pages = manpages.man_pages(source_dir)
    if not pages:
        print('man-examples: skipped: no pages in %s/man' % source_dir)
        return 77
    if not os.access(facture, os.X_OK):
        print('man-examples: no program at %s: build it first' % facture)
        return 1

    tmp = tempfile.mkdtemp(prefix='fx-man-examples-')
    try:
        bindir = os.path.join(tmp, 'bin')
        work = os.path.join(tmp, 'tmp')
        os.mkdir(bindir)
        os.mkdir(work)
        os.symlink(facture, os.path.join(bindir, 'facture'))
        # the Chorus Pro commands keep a journal and a profile under
        # the XDG directories: the examples get their own, not the user's
        env = dict(os.environ, PATH=bindir + os.pathsep +
                   os.environ.get('PATH', '/usr/bin:/bin'), LC_ALL='C',
                   HOME=work, XDG_STATE_HOME=os.path.join(work, 'state'),
                   XDG_CONFIG_HOME=os.path.join(work, 'config'))
        for key in ('NO_COLOR', 'FACTURE_DATA_DIR'):
            env.pop(key, None)
        for key in list(env):
            if key.startswith('FACTURE_CHORUS_'):
                env.pop(key)

        total = failed = 0
        for page in pages:
            rel = os.path.relpath(page, source_dir)
            for cmd, want in examples(page):
                total += 1
                run_cmd = cmd.replace('/tmp/', work + '/')
                try:
                    p = subprocess.run(['sh', '-c', run_cmd], cwd=source_dir,
                                       env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE,
                                       timeout=TIMEOUT)
                    status = p.returncode
                except subprocess.TimeoutExpired:
                    p, status = None, 'timeout'
                if want is None:
                    ok = status in (0, 1)
                    wanted = '0 or 1'
                else:
                    ok = status == want
                    wanted = str(want)
                failed += not ok
                print('%s %s: %s  (status %s, wanted %s)'
                      % ('ok  ' if ok else 'FAIL', rel, cmd, status, wanted))
                if p is not None and (not ok or opts.verbose):
                    for name, data in (('stdout', p.stdout),
                                       ('stderr', p.stderr)):
                        text = data.decode('utf-8', 'replace').rstrip()
                        if text:
                            print('  %s:\n    %s' % (
                                name, text.replace('\n', '\n    ')))
        if total == 0:
            print('man-examples: skipped: no facture command in the '
                  'EXAMPLES of %s' % ', '.join(
                      os.path.relpath(p, source_dir) for p in pages))
            return 77
        print('%d examples, %d failed' % (total, failed))
        return 1 if failed else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
