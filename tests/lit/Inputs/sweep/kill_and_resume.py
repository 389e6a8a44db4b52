"""A sweep killed (SIGKILL) after its first recorded run and then run again
gives the same results as an uninterrupted sweep: every (variant, seed)
run's epochs, losses, accuracies, dead units and gradient norms (not its
times). Usage: kill_and_resume.py NNC FOLDER ARGS..."""
import json
import os
import signal
import subprocess
import sys
import time

nnc, folder, args = sys.argv[1], sys.argv[2], sys.argv[3:]


def sweep(report, **kw):
    return subprocess.Popen([nnc, "sweep", *args, "--report", report], stdout=subprocess.DEVNULL, **kw)


def runs(report):
    try:
        with open(f"{report}/results.json") as f:
            return json.load(f)["runs"]
    except (OSError, ValueError):
        return []


def comparable(records):
    for r in records:
        for e in r["epochs"]:
            del e["seconds"]
    return sorted(records, key=lambda r: (r["variant"], r["seed"]))


whole, killed = f"{folder}/whole", f"{folder}/killed"
assert sweep(whole).wait() == 0
total = len(runs(whole))
process = sweep(killed)
deadline = time.time() + 120
while len(runs(killed)) < 1 and process.poll() is None and time.time() < deadline:
    time.sleep(0.005)
process.send_signal(signal.SIGKILL)
process.wait()
done = len(runs(killed))
assert 1 <= done < total, f"the kill came after {done} of {total} runs"
assert sweep(killed).wait() == 0
assert comparable(runs(killed)) == comparable(runs(whole)), "the resumed sweep differs"
print(f"resumed sweep agrees with the uninterrupted one: {total} runs (killed after {done})")
