"""Writes a small synthetic CSV data set for the `nnc train` tests.

  python3 make_csv.py OUT [--rows N] [--seed S] [--label-first] [--header]

Two features x, y drawn uniformly from [-1, 1] and the label 1 if x + y > 0,
else 0: linearly separable, so a single linear layer learns it. The label is
the last column, or the first with --label-first; --header adds a header row.
The same seed gives the same rows in either layout.
"""
import argparse
import random

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--rows", type=int, default=400)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--label-first", action="store_true")
parser.add_argument("--header", action="store_true")
args = parser.parse_args()

rng = random.Random(args.seed)
with open(args.out, "w") as f:
    if args.header:
        f.write("label,x,y\n" if args.label_first else "x,y,label\n")
    for _ in range(args.rows):
        x, y = rng.uniform(-1, 1), rng.uniform(-1, 1)
        label = int(x + y > 0)
        f.write(f"{label},{x:.4f},{y:.4f}\n" if args.label_first else f"{x:.4f},{y:.4f},{label}\n")
