# SPDX-License-Identifier: MIT
"""manpages.py - reading our mdoc pages, for the checks of the manual

Just enough of mdoc for the tests: sections, macro lines split into
arguments, flags named by Fl, and the command lines of Dl and Bd -literal
displays.  Not a formatter.
"""

import glob
import os
import re

# Escapes that occur in command lines and option names.
ESCAPES = [
    ('\\&', ''), ('\\-', '-'), ('\\(aq', "'"), ('\\(dq', '"'),
    ('\\(ga', '`'), ('\\(ti', '~'), ('\\(ha', '^'), ('\\e', '\\'),
    ('\\%', ''), ('\\ ', ' '),
]

# mdoc macros that can appear inside a macro line (callable macros).
CALLABLE = set('''
Ac Ad An Ao Ap Aq Ar At Bc Bo Bq Brc Bro Brq Bsx Bx Cd Cm Dc Do Dq Dv Dx
Ec Em En Eo Er Es Ev Fa Fc Fl Fn Fo Fr Fx Ic Lb Li Lk Ms Mt Nm No Ns Nx
Oc Oo Op Ox Pa Pc Pf Po Pq Qc Ql Qo Qq Sc Sm So Sq St Sx Sy Tn Ux Va Vt
Xc Xo Xr
'''.split())

# Delimiters that mdoc keeps apart from macro arguments.
DELIMITERS = set('| , . ; : ( ) [ ] ? !'.split())


def unescape(s):
    for esc, plain in ESCAPES:
        s = s.replace(esc, plain)
    return s


def split_args(line):
    """Arguments of a macro line, with mdoc's double quotes."""
    args, cur, quoted, i = [], [], False, 0
    have = False
    while i < len(line):
        c = line[i]
        if quoted:
            if c == '"' and line[i + 1:i + 2] == '"':
                cur.append('"')
                i += 1
            elif c == '"':
                quoted = False
            else:
                cur.append(c)
        elif c == '"':
            quoted = True
            have = True
        elif c in ' \t':
            if cur or have:
                args.append(''.join(cur))
            cur, have = [], False
        else:
            cur.append(c)
        i += 1
    if cur or have:
        args.append(''.join(cur))
    return args


def read_page(path):
    with open(path, encoding='utf-8') as f:
        return f.read().splitlines()


def sections(lines):
    """{section name: [lines]} in page order; .Sh lines themselves left
    out."""
    result, name = {}, None
    for line in lines:
        if line.startswith('.Sh '):
            name = unescape(' '.join(split_args(line[4:])))
            result.setdefault(name, [])
        elif name is not None:
            result[name].append(line)
    return result


def flags(lines):
    """Options named by Fl macros in LINES, as they are typed: "-f",
    "--format".  "Fl qv" names -q and -v."""
    found = []
    for line in lines:
        if not line.startswith('.') or line.startswith('.\\"'):
            continue
        args = split_args(unescape(line[1:]))
        in_fl = False
        for a in args:
            if a in CALLABLE:
                in_fl = a == 'Fl'
                continue
            if not in_fl or a in DELIMITERS or a == '':
                continue
            if a.startswith('-'):
                name = a[1:]
                name = name.split('=', 1)[0]
                if name:
                    found.append('--' + name)
            elif re.fullmatch(r'[A-Za-z0-9]+', a):
                found.extend('-' + ch for ch in a)
            # anything else (a stray word) is not a flag
    return found


def man_pages(source_dir, pattern='*.[1-9]'):
    return sorted(glob.glob(os.path.join(source_dir, 'man', pattern)))


def display_lines(lines):
    """(line, paragraph) for each line of a Dl or a Bd -literal display;
    PARAGRAPH is the prose since the last paragraph break."""
    out, prose, in_bd = [], [], False
    for line in lines:
        if in_bd:
            if line.startswith('.Ed'):
                in_bd = False
            elif not line.startswith('.'):
                out.append((unescape(line), ' '.join(prose)))
            continue
        if line.startswith('.Pp') or line.startswith('.Sh') or \
                line.startswith('.Ss'):
            prose = []
        elif line.startswith('.Dl '):
            out.append((unescape(' '.join(split_args(line[4:]))),
                        ' '.join(prose)))
        elif line.startswith('.Bd') and '-literal' in line:
            in_bd = True
        elif line.startswith('.\\"'):
            continue
        elif line.startswith('.'):
            args = split_args(unescape(line[1:]))
            prose.append(' '.join(a for a in args[1:]
                                  if a not in CALLABLE))
        else:
            prose.append(unescape(line))
    return out
