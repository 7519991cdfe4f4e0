#!/usr/bin/env python3
"""Checks what librtipc.so exports.

1. The dynamic symbols (nm -D --defined-only) are exactly symbols.txt: any
   addition or removal fails, with a diff. Update symbols.txt on purpose only.
2. Every function declared RTIPC_EXPORT in rtipc.h is exported.
3. Every exported rtipc_* function is declared in rtipc.h.
4. The version script names every symbol explicitly in its node (no glob
   in a global: section, which would silently put new functions into an
   old node), and each symbol's node is the one the library exports it in.
"""
import argparse
import difflib
import re
import subprocess
import sys


def exported(nm, lib):
    out = subprocess.run([nm, '-D', '--defined-only', lib], check=True,
                         capture_output=True, text=True).stdout
    symbols = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            symbols.add(f'{fields[-2]} {fields[-1]}')  # "TYPE name[@@VERSION]"
    return symbols


def bare_name(symbol):
    return symbol.split()[-1].split('@')[0]


def read_list(path):
    with open(path) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [' '.join(line.split()) for line in lines if line]


def declared(header):
    with open(header) as f:
        text = f.read()
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    text = re.sub(r'//[^\n]*', ' ', text)
    text = re.sub(r'^\s*#[^\n]*', ' ', text, flags=re.M)
    return set(re.findall(r'\bRTIPC_EXPORT\b[^;{}()]*?\b(rtipc_\w+)\s*\(', text))


def map_nodes(path):
    """{symbol: node} from a version script, and the globs it uses."""
    with open(path) as f:
        text = re.sub(r'/\*.*?\*/', ' ', f.read(), flags=re.S)
    nodes, globs = {}, []
    for node, body in re.findall(r'(\w[\w.]*)\s*\{(.*?)\}', text, flags=re.S):
        section = None
        for word in re.findall(r'[\w*.]+:|[^\s;]+', body):
            if word.endswith(':'):
                section = word[:-1]
            elif section == 'global':
                if '*' in word or '?' in word:
                    globs.append(f'{node}: {word}')
                else:
                    nodes[word] = node
    return nodes, globs


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--nm', default='nm')
    parser.add_argument('--lib', required=True)
    parser.add_argument('--list', required=True, help='symbols.txt')
    parser.add_argument('--header', required=True, help='rtipc.h')
    parser.add_argument('--map', required=True, help='rtipc.map')
    args = parser.parse_args()

    failures = 0
    have = exported(args.nm, args.lib)
    want = set(read_list(args.list))
    if have != want:
        failures += 1
        print(f'{args.lib} exports a different set of symbols than {args.list}:')
        sys.stdout.writelines(difflib.unified_diff(
            [s + '\n' for s in sorted(want, key=bare_name)],
            [s + '\n' for s in sorted(have, key=bare_name)],
            fromfile=args.list, tofile='nm -D --defined-only ' + args.lib))

    functions = {bare_name(s) for s in have if s.split()[0] in 'TtWi'}
    in_header = declared(args.header)
    if not in_header:
        failures += 1
        print(f'found no RTIPC_EXPORT declarations in {args.header}')
    for name in sorted(in_header - functions):
        failures += 1
        print(f'declared in rtipc.h but not exported: {name}')
    for name in sorted(n for n in functions - in_header if n.startswith('rtipc_')):
        failures += 1
        print(f'exported but not declared RTIPC_EXPORT in rtipc.h: {name}')

    in_map, globs = map_nodes(args.map)
    for g in globs:
        failures += 1
        print(f'{args.map}: a glob in a global section ({g}); name every symbol')
    exported_nodes = {bare_name(s): s.split('@')[-1] for s in have if '@' in s}
    for name, node in sorted(exported_nodes.items()):
        if name.startswith('rtipc_') and in_map.get(name) != node:
            failures += 1
            print(f'{name} is exported in {node} but the map puts it in {in_map.get(name)}')
    for name in sorted(set(in_map) - set(exported_nodes)):
        failures += 1
        print(f'{args.map} names {name}, which the library does not export')

    print(f'{len(have)} symbols exported, {len(in_header)} functions declared: '
          f'{"FAIL" if failures else "ok"}')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
