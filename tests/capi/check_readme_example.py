#!/usr/bin/env python3
"""README.md shows an example verbatim: the first ``` block after the line
'<!-- example: NAME -->' must equal the file, so that the example in the
README is the one that is built and run as a test. NAME is the example's
path in the repository (default examples/readme.c).

usage: check_readme_example.py README EXAMPLE_FILE [NAME]"""
import difflib
import sys


def block_after_marker(readme, name):
    marker = f'<!-- example: {name} -->'
    lines = readme.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == marker)
    begin = next(i for i in range(start, len(lines)) if lines[i].startswith('```'))
    end = next(i for i in range(begin + 1, len(lines)) if lines[i].startswith('```'))
    return lines[begin + 1:end]


def main(readme_path, example_path, name='examples/readme.c'):
    with open(readme_path) as f:
        shown = block_after_marker(f.read(), name)
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
