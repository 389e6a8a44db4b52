"""Checks a run of early-stop.test against its settings: the history in the
metrics JSON (argv[2]) ends 5 epochs after the lowest test loss, and each
rate change follows 3 epochs without a test loss below the best so far by
torch's relative 1e-4 (ReduceLROnPlateau, patience 2, factor 0.5)."""
import json
import sys

h = json.load(open(sys.argv[2]))["history"]
losses = [e["test_loss"] for e in h]
lowest = losses.index(min(losses))
assert len(h) - 1 - lowest == 5, (lowest, len(h))
best, bad, rate = float("inf"), 0, h[0]["learning_rate"]
for e in h:
    assert abs(e["learning_rate"] - rate) < 1e-12, (e, rate)
    if e["test_loss"] < best * (1 - 1e-4):
        best, bad = e["test_loss"], 0
    else:
        bad += 1
        if bad > 2:
            rate, bad = rate * 0.5, 0
print("stopped 5 epochs after the lowest test loss; the rate halved after each 3 epochs without improvement")
