"""Kills `nnc train --save` at random moments and checks the checkpoint.

  python3 kill_during_save.py NNC MODEL.nn MODEL_NAME CHECKPOINT [--rounds N] [--max-delay S]
                              [--max-seconds S]

Each round starts `NNC train MODEL.nn --model MODEL_NAME --save CHECKPOINT`
(the checkpoint of the previous round, if any, is still there: saving must
replace it atomically), waits a random time and sends SIGKILL. Then the
checkpoint, if one exists, must load (`--load CHECKPOINT --epochs 1` resumes
and has nothing to train, so nothing is written), and no temporary file other
than the killed process's own `CHECKPOINT.tmp.<pid>` may exist (SIGKILL
cannot be cleaned up after; such a file is removed before the next round).
No round starts after --max-seconds (so a slow build, such as a sanitizer
one, runs fewer rounds rather than for longer); at least 3 rounds must run.
Finally the last checkpoint is resumed for two more epochs and the result
compared byte for byte with an uninterrupted run to the same epoch: a resumed
run is the same run.

Prints one line per round, how many kills were survived, and `kill test
passed`; exits 1 at the first
failure, saying what failed.
"""
import argparse
import glob
import json
import os
import random
import signal
import struct
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("nnc")
parser.add_argument("model_file")
parser.add_argument("model_name")
parser.add_argument("checkpoint")
parser.add_argument("--rounds", type=int, default=6)
parser.add_argument("--max-delay", type=float, default=1.5)
parser.add_argument("--max-seconds", type=float, default=60)
args = parser.parse_args()


def fail(message):
    print(f"FAILED: {message}")
    sys.exit(1)


def nnc_train(*extra):
    command = [args.nnc, "train", args.model_file, "--model", args.model_name, *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def checkpoint_epoch(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        return int(json.loads(f.read(size))["__metadata__"]["epoch"])


def temporaries():
    return sorted(glob.glob(glob.escape(args.checkpoint) + ".tmp.*"))


for stale in temporaries() + [args.checkpoint]:
    if os.path.exists(stale):
        os.remove(stale)

# The delays are random but printed, so a failure can be reproduced.
rng = random.Random()
delays = [round(rng.uniform(0.05, args.max_delay), 3) for _ in range(args.rounds)]
left_behind = 0
started = time.monotonic()
survived = 0
for round_number, delay in enumerate(delays, 1):
    if time.monotonic() - started > args.max_seconds:
        break
    process = subprocess.Popen(
        [args.nnc, "train", args.model_file, "--model", args.model_name, "--save", args.checkpoint],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate()
    if process.returncode != -signal.SIGKILL:
        fail(f"round {round_number}: nnc ended by itself (exit {process.returncode}) before the kill "
             f"after {delay} s; stderr: {stderr.decode()!r}")

    own = f"{args.checkpoint}.tmp.{process.pid}"
    others = [t for t in temporaries() if t != own]
    if others:
        fail(f"round {round_number} (kill after {delay} s): temporary files of other runs: {others}")
    if os.path.exists(own):
        left_behind += 1
        os.remove(own)

    survived += 1
    if not os.path.exists(args.checkpoint):
        print(f"round {round_number}: killed after {delay} s, no checkpoint yet")
        continue
    epoch = checkpoint_epoch(args.checkpoint)
    if epoch < 1:
        fail(f"round {round_number}: the checkpoint claims epoch {epoch}")
    loaded = nnc_train("--load", args.checkpoint, "--epochs", "1")
    expected = (f"resumed from '{args.checkpoint}' after epoch {epoch}\n"
                "nothing to train: the checkpoint is already at the last epoch\n")
    if loaded.returncode != 0 or loaded.stdout != expected or loaded.stderr:
        fail(f"round {round_number} (kill after {delay} s): the checkpoint does not load: exit "
             f"{loaded.returncode}, stdout {loaded.stdout!r}, stderr {loaded.stderr!r}")
    if temporaries():
        fail(f"round {round_number}: loading left temporary files: {temporaries()}")
    print(f"round {round_number}: killed after {delay} s, checkpoint at epoch {epoch} loads")

if survived < 3:
    fail(f"only {survived} rounds ran in {args.max_seconds} s")
if not os.path.exists(args.checkpoint):
    fail(f"no round got as far as a checkpoint (delays {delays[:survived]})")

# Resume the last checkpoint for two more epochs; compare with a run that was
# never interrupted.
target = str(checkpoint_epoch(args.checkpoint) + 2)
resumed, straight = args.checkpoint + ".resumed", args.checkpoint + ".straight"
run = nnc_train("--load", args.checkpoint, "--epochs", target, "--save", resumed)
if run.returncode != 0:
    fail(f"resuming failed: {run.stderr!r}")
run = nnc_train("--epochs", target, "--save", straight)
if run.returncode != 0:
    fail(f"the uninterrupted run failed: {run.stderr!r}")
with open(resumed, "rb") as a, open(straight, "rb") as b:
    if a.read() != b.read():
        fail(f"resuming the killed run's checkpoint to epoch {target} does not give the uninterrupted run's "
             f"checkpoint ({resumed} differs from {straight})")
if temporaries() or glob.glob(glob.escape(resumed) + ".tmp.*") or glob.glob(glob.escape(straight) + ".tmp.*"):
    fail("a run that was not killed left a temporary file")
print(f"resumed to epoch {target}: the same checkpoint as an uninterrupted run")
print(f"{left_behind} of {survived} kills left a temporary file (killed while saving)")
print(f"survived {survived} kills in {time.monotonic() - started:.1f} s")
print("kill test passed")
