"""Prints the structure of the terminal plots in nnc repl output (:plot),
for FileCheck: each plot's title, each series' label and y range, how many
rows it has and how many of them have braille dots, and the x labels.

usage: terminal_plot_summary.py < OUTPUT
"""
import re
import sys

BRAILLE = re.compile("[\u2801-\u28ff]")


def main():
    lines = sys.stdin.read().splitlines()
    for i, line in enumerate(lines):
        if not re.fullmatch(r".+ on \[.+, .+\]", line):
            continue
        print(f"plot '{line}'")
        j = i + 1
        while j < len(lines) and "└" not in lines[j]:
            label = lines[j]
            rows = []
            j += 1
            while j < len(lines) and re.match(r"^ *[^ ]* [┤│]", lines[j]):
                rows.append(lines[j])
                j += 1
            top = rows[0].split("┤")[0].strip()
            bottom = rows[-1].split("┤")[0].strip()
            drawn = sum(1 for r in rows if BRAILLE.search(r))
            widths = {len(r.split("┤" if "┤" in r else "│", 1)[1]) for r in rows}
            print(f"  series '{label}': y from {bottom} to {top}, {len(rows)} rows, {drawn} with dots, "
                  f"at most {max(widths)} columns")
        print(f"  axis: {len(lines[j].split('└')[1])} columns")
        print(f"  x labels: {' '.join(lines[j + 1].split())}")


if __name__ == "__main__":
    main()
