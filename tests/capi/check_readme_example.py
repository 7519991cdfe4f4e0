#!/usr/bin/env python3
"""README.md shows an example file verbatim: the first fenced block after
the line '<!-- example: PATH -->' (PATH relative to the README, e.g.
examples/readme.c) must equal the file, so that the example in the README is
the one that is built and run as a test. The fence's language follows the
file's extension (c, cpp, python)."""
import difflib
import os
import sys

FENCES = {'.c': 'c', '.cpp': 'cpp', '.py': 'python'}


def block_after_marker(readme, marker, fence):
    lines = readme.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == marker)
    begin = next(i for i in range(start, len(lines)) if lines[i].rstrip() == '```' + fence)
    end = next(i for i in range(begin + 1, len(lines)) if lines[i].startswith('```'))
    return lines[begin + 1:end]


def main(readme_path, example_path):
    relative = os.path.relpath(example_path, os.path.dirname(os.path.abspath(readme_path)))
    marker = f'<!-- example: {relative} -->'
    fence = FENCES.get(os.path.splitext(example_path)[1], '')
    with open(readme_path) as f:
        shown = block_after_marker(f.read(), marker, fence)
    with open(example_path) as f:
        built = f.read().splitlines(keepends=True)
    if shown == built:
        print(f'{readme_path} shows {example_path} verbatim')
        return 0
    print(f'{readme_path} and {example_path} differ:')
    sys.stdout.writelines(difflib.unified_diff(built, shown, example_path, readme_path))
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
