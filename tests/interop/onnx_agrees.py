"""ONNX Runtime against nnc predict, on every model of a folder's .nn files.

For each model: train it one epoch (nnc train --save), export it twice
(primitive ops, and activations as ONNX functions), and compare what ONNX
Runtime computes from each export with what `nnc predict` prints, on
samples that include zeros and large inputs. Prints one line per model and
exits non-zero if any output differs by more than 1e-5 of its row's
largest output.

usage: onnx_agrees.py NNC MODELS_DIR WORK_DIR [FILE:MODEL ...]

A model whose name starts with `embedding` gets indices as samples: whole
numbers in its table, and some outside it or between two (rows of NaN).
"""
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort

TOLERANCE = 1e-5
# Below float32's smallest normal number, engines differ in flushing to 0.
SMALLEST_NORMAL = float(np.finfo(np.float32).tiny)
# Examples of a mistake the lints refuse: export refuses them too.
REFUSED = {"fashion_softmax"}


def models_of(folder):
    """(file, model) for every model declared in the folder's .nn files."""
    found = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".nn"):
            continue
        with open(os.path.join(folder, name)) as f:
            for line in f:
                words = line.split()
                if len(words) >= 2 and words[0] == "model":
                    found.append((name, words[1].rstrip("{")))
    return found


def run(args, **kwargs):
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(args)}\n{done.stderr}")
    return done.stdout


def samples(model, features, rng):
    """Rows of the kinds the models see, and the edges: zeros, large values."""
    if model.startswith("embedding"):
        rows = [rng.integers(0, 12, features).astype(float) for _ in range(28)]
        rows += [np.full(features, -1.0), np.full(features, 12.0), np.full(features, 2.5), np.full(features, 1e9)]
        return np.array(rows, dtype=np.float32)
    rows = [rng.uniform(0, 1, features), np.zeros(features), rng.normal(0, 1, features),
            rng.normal(0, 30, features), np.full(features, 1e3), np.full(features, -1e3)]
    rows += [rng.uniform(-2, 2, features) for _ in range(26)]
    return np.array(rows, dtype=np.float32)


def main():
    nnc, folder, work = sys.argv[1:4]
    wanted = [tuple(arg.split(":")) for arg in sys.argv[4:]] or models_of(folder)
    os.makedirs(work, exist_ok=True)
    failures = 0
    for file, model in wanted:
        program = os.path.join(folder, file)
        if model in REFUSED:
            done = subprocess.run([nnc, "export", program, "--model", model, "-o", os.path.join(work, "refused.onnx")],
                                  capture_output=True, text=True)
            refused = done.returncode == 1 and "error:" in done.stderr and not os.path.exists(
                os.path.join(work, "refused.onnx"))
            failures += not refused
            print(f"{'ok' if refused else 'FAIL'} {file}:{model} refused by the lints")
            continue
        weights = os.path.join(work, f"{model}.safetensors")
        run([nnc, "train", program, "--model", model, "--epochs", "1", "--save", weights, "-w"], cwd=folder)
        worst, where = 0.0, ""
        rng = np.random.default_rng(sum(map(ord, model)))  # the same samples for a model on every run
        for variant, flags in (("ops", []), ("functions", ["--onnx-functions"])):
            onnx_path = os.path.join(work, f"{model}.{variant}.onnx")
            run([nnc, "export", program, "--model", model, "--weights", weights, "-o", onnx_path, "-w"] + flags,
                cwd=folder)
            session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
            given = session.get_inputs()[0]
            shape = given.shape[1:]
            x = samples(model, int(np.prod(shape)), rng)
            csv = os.path.join(work, f"{model}.csv")
            np.savetxt(csv, x, delimiter=",", fmt="%.9g")
            printed = run([nnc, "predict", program, "--model", model, "--weights", weights, "--data", csv],
                          cwd=folder)
            expected = np.array([[float(v) for v in line.split()] for line in printed.splitlines()])
            got = session.run(None, {given.name: x.reshape([len(x)] + list(shape))})[0].reshape(expected.shape)
            # A batch of no samples gives no rows (the batch dimension is symbolic throughout).
            empty = session.run(None, {given.name: x[:0].reshape([0] + list(shape))})[0]
            if empty.shape != (0,) + got.shape[1:]:
                worst, where = np.inf, f" ({variant}: a batch of no samples gave shape {empty.shape})"
            # Each row against its largest output (a logit near 0 differs by
            # the rounding of the larger terms that cancelled into it).
            scale = np.maximum(np.abs(expected).max(axis=1, keepdims=True), SMALLEST_NORMAL)
            with np.errstate(invalid="ignore"):
                error = np.where(np.isnan(expected) & np.isnan(got), 0, np.abs(got - expected) / scale)
            error = np.nan_to_num(error, nan=np.inf)
            if error.max() > worst:
                row, column = np.unravel_index(np.argmax(error), error.shape)
                worst = float(error.max())
                where = (f" ({variant}: sample {row}, output {column}: nnc {expected[row, column]:.9g}, "
                         f"ONNX Runtime {got[row, column]:.9g})")
        ok = worst <= TOLERANCE
        failures += not ok
        print(f"{'ok' if ok else 'FAIL'} {file}:{model} worst relative difference {worst:.2e}"
              + ("" if ok else where))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
