#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""help-synopsis.py - the program's -h and the manual agree

For the program itself (facture -h against man/facture.1) and for each
command with options (facture CMD -h against man/facture-CMD.1):
  - the options in the usage lines of -h (from "usage:" to the first blank
    line) are those named with Fl in the SYNOPSIS of the page;
  - all options shown by -h are those named with Fl in the OPTIONS of
    the page.
Options are compared as typed: -f, --format ("-qv" in a usage line and
"Fl qv" in a page name -q and -v).

And the command table (the "Commands:" list of `facture help`) agrees
with the manual: every command has man/facture-CMD.1, except help itself,
which facture.1 documents; every command has an entry (.It Cm CMD) in the
COMMANDS section of facture.1; every man/facture-*.1 page is about a
command that exists.

Exit status: 0 all agree, 1 a mismatch, 77 no pages (ctest: skipped).
"""

import argparse
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import manpages  # noqa: E402

OPTION = re.compile(r'(?<![\w\'-])(--[a-z][a-z0-9-]*|-[A-Za-z0-9]+)')

# Commands documented in facture.1 rather than on a page of their own.
DOCUMENTED_IN_MAIN = {'help'}


def options_in(text):
    """Options typed in TEXT: "--format=FORMAT" -> --format, "[-qv]" ->
    -q, -v."""
    found = set()
    for m in OPTION.finditer(text):
        tok = m.group(1)
        if tok.startswith('--'):
            found.add(tok)
        else:
            found.update('-' + ch for ch in tok[1:])
    return found


def split_help(text):
    """(usage part, the rest) of a -h text."""
    lines = text.splitlines()
    usage, rest, in_usage = [], [], False
    for line in lines:
        if line.startswith('usage:'):
            in_usage = True
        if in_usage and not line.strip():
            in_usage = False
        (usage if in_usage else rest).append(line)
    return '\n'.join(usage), '\n'.join(rest)


def option_lines(text):
    """Only the lines of the option list (they start with spaces and a
    dash): prose such as "'facture <command> -h' tells more" is not an
    option list."""
    return '\n'.join(l for l in text.splitlines()
                     if re.match(r'\s+-', l))


def run(facture, args):
    p = subprocess.run(['facture'] + args, executable=facture,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL,
                       env=dict(os.environ, LC_ALL='C'))
    return p.returncode, p.stdout.decode('utf-8', 'replace')


def compare(what, shown, documented, shown_where, doc_where):
    problems = []
    for o in sorted(shown - documented):
        problems.append('%s: %s is shown by %s but not in %s'
                        % (what, o, shown_where, doc_where))
    for o in sorted(documented - shown):
        problems.append('%s: %s is in %s but not shown by %s'
                        % (what, o, doc_where, shown_where))
    return problems


def check_command(facture, source_dir, cmd):
    """Compare `facture [CMD] -h` with its page.  CMD None: the program."""
    args = ([cmd] if cmd else []) + ['-h']
    page = os.path.join(source_dir, 'man',
                        'facture-%s.1' % cmd if cmd else 'facture.1')
    rel = os.path.relpath(page, source_dir)
    shown_where = 'facture %s' % ' '.join(args)
    status, text = run(facture, args)
    if status != 0:
        return ['%s exited with status %d' % (shown_where, status)]
    if not os.path.exists(page):
        return ['%s: no such page' % rel]
    secs = manpages.sections(manpages.read_page(page))
    usage, rest = split_help(text)
    problems = []
    if not usage:
        problems.append('%s prints no "usage:" line' % shown_where)
    if 'SYNOPSIS' not in secs:
        problems.append('%s has no SYNOPSIS section' % rel)
    else:
        problems += compare('synopsis', options_in(usage),
                            set(manpages.flags(secs['SYNOPSIS'])),
                            'the usage of ' + shown_where,
                            'the SYNOPSIS of ' + rel)
    if 'OPTIONS' not in secs:
        problems.append('%s has no OPTIONS section' % rel)
    else:
        shown = options_in(usage) | options_in(option_lines(rest))
        problems += compare('options', shown,
                            set(manpages.flags(secs['OPTIONS'])),
                            shown_where, 'the OPTIONS of ' + rel)
    return problems


def command_table(facture):
    """Names in the "Commands:" list of `facture help`."""
    status, text = run(facture, ['help'])
    if status != 0:
        raise RuntimeError('facture help exited with status %d' % status)
    names, in_list = [], False
    for line in text.splitlines():
        if line.strip() == 'Commands:':
            in_list = True
        elif in_list and not line.strip():
            break
        elif in_list:
            names.append(line.split()[0])
    if not names:
        raise RuntimeError('facture help lists no commands')
    return names


def check_table(facture, source_dir):
    problems = []
    names = command_table(facture)
    main_page = os.path.join(source_dir, 'man', 'facture.1')
    main_cmds = set()
    if os.path.exists(main_page):
        secs = manpages.sections(manpages.read_page(main_page))
        for line in secs.get('COMMANDS', []):
            args = manpages.split_args(line[1:]) if line.startswith('.') \
                else []
            if args[:2] and args[0] == 'It' and len(args) > 2 and \
                    args[1] == 'Cm':
                main_cmds.add(args[2])
    else:
        problems.append('man/facture.1: no such page')
    for name in names:
        page = os.path.join(source_dir, 'man', 'facture-%s.1' % name)
        if name not in DOCUMENTED_IN_MAIN and not os.path.exists(page):
            problems.append('command %s has no page man/facture-%s.1'
                            % (name, name))
        if name not in main_cmds:
            problems.append('command %s has no entry (.It Cm %s) in the '
                            'COMMANDS of man/facture.1' % (name, name))
    for page in manpages.man_pages(source_dir, 'facture-*.1'):
        name = os.path.basename(page)[len('facture-'):-len('.1')]
        if name not in names:
            problems.append('%s is about a command that is not in the '
                            'command table' % os.path.relpath(page,
                                                              source_dir))
    return names, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('--source-dir', default=os.path.join(here, '..', '..'))
    ap.add_argument('--facture')
    opts = ap.parse_args()
    source_dir = os.path.abspath(opts.source_dir)
    facture = os.path.abspath(opts.facture or
                              os.path.join(source_dir, 'build', 'facture'))
    if not manpages.man_pages(source_dir):
        print('help-synopsis: skipped: no pages in %s/man' % source_dir)
        return 77
    if not os.access(facture, os.X_OK):
        print('help-synopsis: no program at %s: build it first' % facture)
        return 1

    try:
        names, problems = check_table(facture, source_dir)
    except RuntimeError as e:
        print('FAIL command table: %s' % e)
        return 1
    print('%s command table: %s' % ('FAIL' if problems else 'ok  ',
                                    ', '.join(names)))
    for p in problems:
        print('  ' + p)
    failed = bool(problems)

    # the program, then each command that takes options
    for cmd in [None] + [n for n in names if n not in DOCUMENTED_IN_MAIN]:
        label = 'facture %s-h' % (cmd + ' ' if cmd else '')
        problems = check_command(facture, source_dir, cmd)
        print('%s %s' % ('FAIL' if problems else 'ok  ', label))
        for p in problems:
            print('  ' + p)
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
