"""Two sweeps' results.json hold the same runs: every (variant, seed) with
the same epochs, losses, accuracies, dead units and gradient norms (times
aside), in whatever order they finished."""
import json
import sys


def runs(folder):
    records = json.load(open(f"{folder}/results.json"))["runs"]
    for r in records:
        for e in r["epochs"]:
            del e["seconds"]
    return sorted(records, key=lambda r: (r["variant"], r["seed"]))


a, b = runs(sys.argv[1]), runs(sys.argv[2])
assert a == b, "the sweeps differ"
print(f"same runs: {len(a)}")
