#!/usr/bin/env python3
"""README.md shows an example file verbatim: the first fenced block after
the line '<!-- example: NAME -->' must equal the file, so that the example in
the README is the one that is built and run as a test. NAME is the example's
path relative to the README (default: derived from EXAMPLE_FILE); the
fence may name any language.

usage: check_readme_example.py README EXAMPLE_FILE [NAME]"""
import difflib
import os
import sys


def block_after_marker(readme, marker):
    lines = readme.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == marker)
    begin = next(i for i in range(start, len(lines)) if lines[i].startswith('```'))
    end = next(i for i in range(begin + 1, len(lines)) if lines[i].startswith('```'))
    return lines[begin + 1:end]


def main(readme_path, example_path, name=None):
    if name is None:
        name = os.path.relpath(example_path, os.path.dirname(os.path.abspath(readme_path)))
    with open(readme_path) as f:
        shown = block_after_marker(f.read(), f'<!-- example: {name} -->')
    with open(example_path) as f:
        built = f.read().splitlines(keepends=True)
    if shown == built:
        print(f'{readme_path} shows {example_path} verbatim')
        return 0
    print(f'{readme_path} and {example_path} differ:')
    sys.stdout.writelines(difflib.unified_diff(built, shown, example_path, readme_path))
    return 1


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:4]))
