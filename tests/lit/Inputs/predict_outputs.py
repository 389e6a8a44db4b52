"""Checks nnc predict's three readings of the same rows against each other:
argv[1] raw outputs, argv[2] probabilities, argv[3] classes (one per line),
argv[4] the probabilities written with --out (CSV under a header)."""
import math
import sys

raw = [[float(v) for v in line.split()] for line in open(sys.argv[1])]
prob = [[float(v) for v in line.split()] for line in open(sys.argv[2])]
classes = [int(line) for line in open(sys.argv[3])]
csv = open(sys.argv[4]).read().splitlines()
assert len(raw) == len(prob) == len(classes) == len(csv) - 1 > 0
for z, p, c in zip(raw, prob, classes):
    top = max(z)
    e = [math.exp(v - top) for v in z]
    assert all(abs(q - v / sum(e)) < 1e-6 for q, v in zip(p, e)), (z, p)
    assert abs(sum(p) - 1) < 1e-6 and c == z.index(top), (z, p, c)
assert csv[0] == "p0,p1", csv[0]
assert [[float(v) for v in line.split(",")] for line in csv[1:]] == prob
print(f"{len(raw)} rows: probabilities are the softmax of the outputs, classes their argmax, the CSV the same under p0,p1")
