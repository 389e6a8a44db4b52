"""Writes a small image classification set as CSV: 6x6 one-channel images
(36 columns, row by row) and a label, the quadrant that is brightest.
Deterministic: python3 quadrants.py ROWS > quadrants.csv"""
import random
import sys

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 400
rng = random.Random(7)
for r in range(rows):
    label = r % 4
    top, left = (label // 2) * 3, (label % 2) * 3
    pixels = []
    for y in range(6):
        for x in range(6):
            bright = top <= y < top + 3 and left <= x < left + 3
            pixels.append(rng.uniform(0, 0.6) + (0.5 if bright else 0))
    print(",".join(f"{p:.3f}" for p in pixels) + f",{label}")
