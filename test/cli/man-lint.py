#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""man-lint.py - every page in man/ formats without a single warning

Runs `groff -mdoc -ww -z -Tutf8` on each page: any output or a non-zero
exit is a failure.  Also checks that each page's .Dt matches its file name
(facture-validate.1 -> .Dt FACTURE-VALIDATE 1) and that it has .Dd, .Dt, .Os
and the NAME, SYNOPSIS or DESCRIPTION sections mdoc expects.

Exit status: 0 all pages clean, 1 a page has a problem, 77 groff or the
pages are missing (ctest reports that as skipped).
"""

import argparse
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import manpages  # noqa: E402


def check_header(path, lines):
    problems = []
    base = os.path.basename(path)
    name, _, section = base.rpartition('.')
    want = '%s %s' % (name.upper(), section)
    dt = [l for l in lines if l.startswith('.Dt ')]
    if not dt:
        problems.append('no .Dt line')
    elif ' '.join(manpages.split_args(dt[0][4:])) != want:
        problems.append('.Dt says %r, the file name wants %r'
                        % (dt[0][4:].strip(), want))
    for macro in ('.Dd', '.Os'):
        if not any(l == macro or l.startswith(macro + ' ') for l in lines):
            problems.append('no %s line' % macro)
    secs = manpages.sections(lines)
    for sec in ('NAME', 'DESCRIPTION'):
        if sec not in secs:
            problems.append('no %s section' % sec)
    if section in '18' and 'SYNOPSIS' not in secs:
        problems.append('no SYNOPSIS section')
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--source-dir', default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..'))
    opts = ap.parse_args()

    groff = shutil.which('groff')
    if not groff:
        print('man-lint: skipped: groff is not installed (apt install groff)')
        return 77
    pages = manpages.man_pages(opts.source_dir)
    if not pages:
        print('man-lint: skipped: no pages in %s/man'
              % os.path.abspath(opts.source_dir))
        return 77

    failed = 0
    for path in pages:
        rel = os.path.relpath(path, opts.source_dir)
        p = subprocess.run([groff, '-mdoc', '-ww', '-z', '-Tutf8', path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=dict(os.environ, LC_ALL='C.UTF-8'))
        problems = []
        if p.returncode != 0:
            problems.append('groff exited with status %d' % p.returncode)
        out = p.stdout.decode('utf-8', 'replace').strip()
        if out:
            problems.append('groff said:\n    ' + out.replace('\n', '\n    '))
        problems += check_header(path, manpages.read_page(path))
        if problems:
            failed += 1
            print('FAIL %s' % rel)
            for pr in problems:
                print('  ' + pr)
        else:
            print('ok   %s' % rel)
    print('%d pages, %d with problems' % (len(pages), failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
