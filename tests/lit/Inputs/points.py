"""Helpers for eval-many-points.test (not a test itself).

  points.py at N [SCALE [START]]
                              print N points START, START + SCALE, ... comma-separated
  points.py expect N          print the exact `eval 'x^2 + 1' --order 1` output
                              for the points 0..N-1 (all small integers)
  points.py close A B TOL     check that two eval outputs have the same points
                              and agree to a relative tolerance TOL
"""
import sys

def at(n, scale, start):
    # repr() gives the shortest text that reads back as the same double.
    print(",".join(repr(start + i * scale) for i in range(n)))

def expect(n):
    for i in range(n):
        print(" ".join(str(v) for v in (i, i * i + 1, 2 * i)))

def close(a, b, tol):
    rows_a = [line.split() for line in open(a)]
    rows_b = [line.split() for line in open(b)]
    if len(rows_a) != len(rows_b) or not rows_a:
        sys.exit("row counts differ: " + str(len(rows_a)) + " vs " + str(len(rows_b)))
    for ra, rb in zip(rows_a, rows_b):
        if len(ra) != len(rb) or ra[0] != rb[0]:
            sys.exit("rows differ: " + " ".join(ra) + " | " + " ".join(rb))
        for va, vb in zip(ra[1:], rb[1:]):
            fa, fb = float(va), float(vb)
            if abs(fa - fb) > tol * max(1.0, abs(fb)):
                sys.exit("values differ: " + " ".join(ra) + " | " + " ".join(rb))
    print("close: " + str(len(rows_a)) + " rows")

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "at":
        scale = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
        start = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
        at(int(sys.argv[2]), int(scale) if scale.is_integer() else scale,
           int(start) if start.is_integer() else start)
    elif cmd == "expect":
        expect(int(sys.argv[2]))
    elif cmd == "close":
        close(sys.argv[2], sys.argv[3], float(sys.argv[4]))
