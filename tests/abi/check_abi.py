#!/usr/bin/env python3
"""Checks librtipc.so's ABI against the committed baseline (tests/abi/rtipc.abi).

Fails on any incompatible change (a removed or changed function, a changed
type other than a config struct growing at its end) and on a new function
placed in a version node that the baseline already has: new functions need
a new node in capi/rtipc.map. Skips (exit 77) when the library has no debug
information to read the types from. scripts/abi-baseline rewrites the
baseline for a release.
"""
import argparse
import re
import subprocess
import sys

SKIP = 77


def has_debug_info(readelf, lib):
    sections = subprocess.run([readelf, '-S', '-W', lib], check=True, capture_output=True,
                              text=True).stdout
    return '.debug_info' in sections


def baseline_symbols(path):
    """{name: node} of the baseline's exported rtipc_* symbols."""
    with open(path) as f:
        return dict(re.findall(r"<elf-symbol name='(rtipc_\w+)' version='([^']*)'", f.read()))


def library_symbols(nm, lib):
    """{name: node} of what the library exports now."""
    out = subprocess.run([nm, '-D', '--defined-only', lib], check=True, capture_output=True,
                         text=True).stdout
    return dict(re.findall(r'\b(rtipc_\w+)@@?([\w.]+)', out))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--abidiff', required=True)
    parser.add_argument('--readelf', required=True)
    parser.add_argument('--nm', required=True)
    parser.add_argument('--lib', required=True)
    parser.add_argument('--headers', required=True)
    parser.add_argument('--baseline', required=True)
    parser.add_argument('--suppressions', required=True)
    args = parser.parse_args()

    if not has_debug_info(args.readelf, args.lib):
        print(f'{args.lib} has no debug information: nothing to compare (build with -g)')
        return SKIP
    run = subprocess.run([args.abidiff, '--exported-interfaces-only', '--no-unreferenced-symbols',
                          '--suppressions', args.suppressions, '--headers-dir2', args.headers,
                          args.baseline, args.lib], capture_output=True, text=True)
    report = run.stdout + run.stderr
    print(report.strip() or 'abidiff: no change')
    if run.returncode & 1 or run.returncode & 2:
        print(f'abidiff failed (exit {run.returncode})')
        return 1
    failures = []
    if run.returncode & 8:
        failures.append('incompatible change (see above)')
    summary = re.search(r'Functions changes summary: \d+ Removed, (\d+) Changed', report)
    if summary and int(summary.group(1)):
        failures.append(f'{summary.group(1)} function(s) changed type (see above)')
    # Symbols: abidiff does not see a function that the headers do not
    # reach, so compare the exported sets directly.
    old, new = baseline_symbols(args.baseline), library_symbols(args.nm, args.lib)
    old_nodes = set(old.values())
    for name in sorted(set(old) - set(new)):
        failures.append(f'{name}@{old[name]} was removed')
    for name in sorted(set(old) & set(new)):
        if old[name] != new[name]:
            failures.append(f'{name} moved from node {old[name]} to {new[name]}')
    for name in sorted(set(new) - set(old)):
        if new[name] in old_nodes:
            failures.append(f'{name} was added to {new[name]}, a node the baseline has: '
                            'add a new node to capi/rtipc.map')
        else:
            print(f'added: {name}@{new[name]} (a new node: compatible)')
    for f in failures:
        print('FAIL: ' + f)
    print('ABI check: ' + ('FAIL' if failures else 'ok'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
