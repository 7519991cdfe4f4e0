#!/usr/bin/env python3
"""README.md shows examples/readme.c verbatim: the first ```c block after the
line '<!-- example: examples/readme.c -->' must equal the file, so that the
example in the README is the one that is built and run as a test."""
import difflib
import sys

MARKER = '<!-- example: examples/readme.c -->'


def block_after_marker(readme):
    lines = readme.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == MARKER)
    begin = next(i for i in range(start, len(lines)) if lines[i].startswith('```c'))
    end = next(i for i in range(begin + 1, len(lines)) if lines[i].startswith('```'))
    return lines[begin + 1:end]


def main(readme_path, example_path):
    with open(readme_path) as f:
        shown = block_after_marker(f.read())
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
