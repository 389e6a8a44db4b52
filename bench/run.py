#!/usr/bin/env python3
"""nnc against PyTorch and against the machine's limits, in one run.

  bench/run.py [--build build] [--runs N] [--epochs E] [--out DIR] [--readme]
  bench/run.py --smoke            tiny sizes, seconds; the test suite runs it
  bench/run.py --from DIR/results.json [--readme]   the tables of an earlier run

Runs nnc's side (nnc_perf_bench, nnc_api_bench, nnc_aot_bench, the nnc CLI) and PyTorch's
(torch_bench.py, under a Python that has torch: this one, /usr/bin/python3
or --python), prints the tables, writes DIR/results.json and, with
--readme, replaces the latest table in bench/README.md. Without torch the
PyTorch columns are left empty and the run says so. See README.md.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FASHION_MLP = os.path.join(ROOT, "examples", "fashion_mlp.nn")
FASHION_CNN = os.path.join(ROOT, "examples", "fashion_cnn.nn")
# Multiply-adds x 2 of one training sample of fashion_cnn.nn: the forward
# pass (conv 1->16 and 16->32 of 3x3 at 28x28 and 14x14, dense 1568->128
# and 128->10), the weight gradients (as many) and the input gradients (as
# many, but for the first convolution's, which nothing needs).
CNN_FORWARD_FLOPS = 2 * (16 * 9 * 784 + 32 * 144 * 196 + 1568 * 128 + 128 * 10)
CNN_STEP_FLOPS_PER_SAMPLE = 3 * CNN_FORWARD_FLOPS - 2 * 16 * 9 * 784
BEGIN, END = "<!-- latest results: begin -->", "<!-- latest results: end -->"


def log(message):
    print(message, file=sys.stderr, flush=True)


def run_json(command, env=None):
    """Runs a benchmark program and returns the JSON object it prints."""
    log("  $ " + " ".join(command))
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def process_ms(command, runs):
    """Median wall and CPU (user + system) milliseconds of running `command`:
    on a loaded machine the CPU time is what the process itself costs."""
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall.append((time.perf_counter() - start) * 1e3)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e3)
    return {"wall_ms": statistics.median(wall), "cpu_ms": statistics.median(cpu)}


def machine():
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "load_average": os.getloadavg()[0]}


def git_commit():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def torch_python(requested):
    """A Python interpreter that can import torch, or None."""
    candidates = [requested] if requested else [sys.executable, "/usr/bin/python3"]
    for python in candidates:
        if python and subprocess.run([python, "-c", "import torch"], capture_output=True).returncode == 0:
            return python
    return None


# ---- nnc ------------------------------------------------------------------

def median_record(records, key):
    """The record whose `key` is the median (the lower one of an even count)."""
    ordered = sorted(records, key=lambda r: r[key])
    return dict(ordered[(len(ordered) - 1) // 2], rounds=[r[key] for r in records])


class Nnc:
    def __init__(self, args):
        bin_dir = os.path.join(args.build, "bin")
        self.perf, self.api, self.aot, self.nnc = (
            os.path.join(bin_dir, name) for name in ("nnc_perf_bench", "nnc_api_bench", "nnc_aot_bench", "nnc"))
        self.args = args

    def limits_and_kernels(self, sizes):
        args, perf = self.args, self.perf
        results = {}
        log("nnc:")
        results["stream"] = run_json([perf, "stream", "--elements", str(sizes["rows"] * sizes["columns"]),
                                      "--runs", str(args.runs)])
        results["gemm"] = run_json([perf, "gemm", "--runs", str(max(3, args.runs // 2))])
        results["gemm_batch1"] = run_json([perf, "gemm", "--batch", "1", "--runs", str(args.runs)])
        size = ["--rows", str(sizes["rows"]), "--columns", str(sizes["columns"]), "--runs", str(args.runs)]
        results["activations"] = run_json([perf, "activations", *size])
        results["activations_one_thread"] = run_json([perf, "activations", "--threads", "1", *size])
        results["memory"] = run_json([perf, "memory", "--rows", str(sizes["memory_rows"]),
                                      "--columns", str(sizes["memory_columns"])])
        log("  timing nnc compile --emit=llvm and nnc --version")
        results["cli_compile"] = process_ms([self.nnc, "compile", FASHION_MLP, "--emit=llvm"], args.runs)
        results["version"] = process_ms([self.nnc, "--version"], args.runs)
        return results

    def train(self, threads=None, model=FASHION_MLP, epochs=None):
        metrics = os.path.join(self.args.out, "nnc-train.json")
        epochs = epochs or self.args.epochs
        command = [self.nnc, "train", model, "--epochs", str(epochs), "--metrics-json", metrics]
        env = dict(os.environ, NNC_THREADS=str(threads)) if threads else None
        log("  $ " + (f"NNC_THREADS={threads} " if threads else "") + " ".join(command))
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        with open(metrics) as f:
            return json.load(f)

    def predict(self):
        return run_json([self.api, "--runs", str(self.args.runs)])

    def predict_aot(self):
        return run_json([self.aot, "--runs", str(self.args.runs)])


BLAS_DIR = "/usr/lib/x86_64-linux-gnu"


def setting_name(setting):
    variant, coretype = setting or (None, None)
    return f"OpenBLAS {variant or 'default'}, OPENBLAS_CORETYPE {coretype or 'default'}"


class Torch:
    def __init__(self, args, python):
        self.script = os.path.join(HERE, "torch_bench.py")
        self.args, self.python = args, python
        self.thread_counts = [1] if args.smoke else sorted({1, os.cpu_count() or 1})

    def bench(self, workload, threads, setting=None, *extra):
        """Runs torch_bench.py with a BLAS setting: (variant, coretype), either None for the default."""
        variant, coretype = setting or (None, None)
        env = dict(os.environ)
        if variant:
            # torch loads libblas.so.3: take it from that variant's folder.
            env["LD_LIBRARY_PATH"] = os.path.join(BLAS_DIR, "openblas-" + variant)
        if coretype:
            env["OPENBLAS_CORETYPE"] = coretype
        return run_json([self.python, self.script, workload, "--threads", str(threads), *extra], env)

    def probe_settings(self, workload, key, better, *extra):
        """Runs `workload` once under every installed OpenBLAS variant, coretype and thread count; returns the
        probes and, per thread count, the setting whose `key` is best (`better`: max or min)."""
        variants = [v for v in ("openmp", "pthread", "serial")
                    if os.path.exists(os.path.join(BLAS_DIR, "openblas-" + v, "libblas.so.3"))] or [None]
        probes = []
        for variant in variants:
            for coretype in [None] + self.args.coretypes:
                for threads in self.thread_counts:
                    result = self.bench(workload, threads, (variant, coretype), *extra)
                    probes.append({key: result[key], "threads": threads, "setting": (variant, coretype)})
        best = {t: better((p for p in probes if p["threads"] == t), key=lambda p: p[key])["setting"]
                for t in self.thread_counts}
        return probes, best

    def probe(self, sizes):
        """The fastest OpenBLAS setting for each thread count: for training, over a few hundred steps, and for
        one-sample prediction, which runs other kernels (matrix-vector; OPENBLAS_CORETYPE Haswell took 90 us
        here where the default took 32)."""
        log("PyTorch:")
        train_probes, self.settings = self.probe_settings("train", "samples_per_second", max, "--epochs", "1",
                                                          "--steps", str(sizes["probe_steps"]))
        predict_probes, self.predict_settings = self.probe_settings("predict", "predict_us", min, "--runs", "1")
        return [dict(p, setting=setting_name(p["setting"])) for p in train_probes + predict_probes]

    def kernels(self, sizes):
        """Activations (the best thread count per number) and memory."""
        results = {}
        size = ["--rows", str(sizes["rows"]), "--columns", str(sizes["columns"]), "--runs", str(self.args.runs)]
        activations = [self.bench("activations", t, self.settings[t], *size) for t in self.thread_counts]
        results["activations"] = {}
        for name in activations[0]["activations"]:
            best = {}
            for run in activations:
                for variant, ms in run["activations"][name].items():
                    if variant not in best or ms < best[variant][0]:
                        best[variant] = (ms, run["threads"])
            results["activations"][name] = {variant: {"ms": ms, "threads": t} for variant, (ms, t) in best.items()}
        results["memory"] = self.bench("memory", 1, None, "--rows", str(sizes["memory_rows"]),
                                       "--columns", str(sizes["memory_columns"]))
        results["version"] = activations[0]["torch"]
        return results

    def train(self, threads, sizes, model="mlp", epochs=None):
        """The MLP, or the CNN (with the OpenBLAS setting the MLP's probe chose: Debian's torch convolves
        through OpenBLAS's SGEMM too)."""
        result = self.bench("train", threads, self.settings[threads], "--epochs", str(epochs or self.args.epochs),
                            "--steps", str(sizes["train_steps"]), "--model", model)
        return dict(result, setting=setting_name(self.settings[threads]))

    def predict(self, threads):
        result = self.bench("predict", threads, self.predict_settings[threads], "--runs", str(self.args.runs))
        return dict(result, setting=setting_name(self.predict_settings[threads]))


def run_rounds(args, sizes, nnc, torch):
    """Training and prediction, nnc and PyTorch in turn, --rounds times, so
    that load coming and going on the machine hits both; medians per setting."""
    runs = {}
    for round in range(args.rounds):
        log(f"round {round + 1} of {args.rounds}:")
        runs.setdefault("nnc_train", []).append(nnc.train())
        if not args.smoke:
            runs.setdefault("nnc_train_one_thread", []).append(nnc.train(threads=1))
        runs.setdefault("nnc_api", []).append(nnc.predict())
        runs.setdefault("nnc_aot", []).append(nnc.predict_aot())
        for t in torch.thread_counts if torch else []:
            runs.setdefault(f"torch_train_{t}", []).append(torch.train(t, sizes))
            runs.setdefault(f"torch_predict_{t}", []).append(torch.predict(t))
        if args.cnn_epochs:
            runs.setdefault("nnc_cnn", []).append(nnc.train(model=FASHION_CNN, epochs=args.cnn_epochs))
            for t in torch.thread_counts if torch else []:
                runs.setdefault(f"torch_cnn_{t}", []).append(torch.train(t, sizes, "cnn", args.cnn_epochs))
    results = {"nnc": {"train": median_record(runs["nnc_train"], "samples_per_second"),
                       "api": median_record(runs["nnc_api"], "predict_us"),
                       "aot": median_record(runs["nnc_aot"], "predict_us")}}
    if "nnc_train_one_thread" in runs:
        results["nnc"]["train_one_thread"] = median_record(runs["nnc_train_one_thread"], "samples_per_second")
    if "nnc_cnn" in runs:
        results["nnc"]["cnn"] = median_record(runs["nnc_cnn"], "samples_per_second")
    if torch:
        trains = [median_record(runs[f"torch_train_{t}"], "samples_per_second") for t in torch.thread_counts]
        predicts = [median_record(runs[f"torch_predict_{t}"], "predict_us") for t in torch.thread_counts]
        results["torch"] = {"train": max(trains, key=lambda r: r["samples_per_second"]), "train_by_threads": trains,
                            "predict": min(predicts, key=lambda r: r["predict_us"]), "predict_by_threads": predicts}
        if "nnc_cnn" in runs:
            cnns = [median_record(runs[f"torch_cnn_{t}"], "samples_per_second") for t in torch.thread_counts]
            results["torch"]["cnn"] = max(cnns, key=lambda r: r["samples_per_second"])
            results["torch"]["cnn_by_threads"] = cnns
    return results


# ---- the tables -------------------------------------------------------------

def ratio(a, b):
    return a / b if a and b else None


def fmt(value, spec=".2f", suffix=""):
    return "–" if value is None else format(value, spec) + suffix


def mark(ok):
    return "" if ok is None else (" ✓" if ok else " ✗")


def tables(r):
    nnc, torch, m = r["nnc"], r.get("torch"), r["machine"]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores, load average {m['load_average']:.1f} at the start "
             f"and {r['load_average_end']:.1f} at the end; nnc {r['commit']} ({r['nnc_threads']}); "
             + (f"PyTorch {torch['version']} with OpenBLAS." if torch else "PyTorch not installed: its columns are empty."),
             f"Medians of {r['runs']} runs; training and prediction: medians of {r['rounds']} rounds that run nnc "
             "and PyTorch in turn. ✓/✗: the issue's target met or not.", ""]

    # 1. Activations.
    a = nnc["activations"]
    stream = nnc["stream"]
    rows, cols = a["rows"], a["columns"]
    bound_ms = (a["forward_bytes"] / stream["scale_gbs"] + a["backward_bytes"] / stream["triad_gbs"]) * 1e-6
    lines += [f"**Activation forward + backward**, {rows}x{cols} float32 ({rows * cols / 2**20:.0f}M elements); "
              f"bound: the {(a['forward_bytes'] + a['backward_bytes']) / 1e6:.0f} MB the two loops move at the "
              f"measured bandwidth (scale {stream['scale_gbs']:.1f} GB/s for the forward loop, triad "
              f"{stream['triad_gbs']:.1f} GB/s for the backward loop): {bound_ms:.2f} ms.", "",
              "| activation | nnc ms | nnc 1 thread ms | PyTorch composed ms | PyTorch native ms | vs composed (≥10x) "
              "| vs native (≥2x) | nnc / bound (≤1.3) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, n in a["activations"].items():
        t = torch["activations"].get(name, {}) if torch else {}
        composed = t.get("composed", {}).get("ms")
        native = t.get("native", {}).get("ms")
        vs_composed, vs_native, vs_bound = ratio(composed, n["ms"]), ratio(native, n["ms"]), n["ms"] / bound_ms
        one = nnc["activations_one_thread"]["activations"][name]["ms"]
        lines.append(f"| {name} | {n['ms']:.2f} | {one:.2f} | {fmt(composed)} | {fmt(native)} "
                     f"| {fmt(vs_composed, '.1f', 'x')}{mark(None if vs_composed is None else vs_composed >= 10)} "
                     f"| {fmt(vs_native, '.1f', 'x')}{mark(None if vs_native is None else vs_native >= 2)} "
                     f"| {vs_bound:.2f}{mark(vs_bound <= 1.3)} |")
    if torch:
        threads = sorted({v["threads"] for t in torch["activations"].values() for v in t.values()})
        lines.append(f"\nPyTorch's best of 1 and {m['cores']} threads per cell (used: {threads}).")
    lines.append("")

    # 2. Training.
    g, train = nnc["gemm"], nnc["train"]
    step_rate = train["samples_per_second"] / g["batch"]
    lines += [f"**Training** examples/fashion_mlp.nn (784-256-128-10, relu and swish with learnable beta, Adam, "
              f"batch {g['batch']}), {train['epochs']} epochs on Fashion-MNIST; training time only (no evaluation).",
              "", "| | samples/s | test accuracy | settings |", "|---|---:|---:|---|",
              f"| nnc | {train['samples_per_second']:.0f} | {train['test_accuracy']:.4f} | {r['nnc_threads']} |"]
    if "train_one_thread" in nnc:
        one = nnc["train_one_thread"]
        lines.append(f"| nnc | {one['samples_per_second']:.0f} | {one['test_accuracy']:.4f} | NNC_THREADS=1 |")
    if torch:
        for t in torch["train_by_threads"]:
            lines.append(f"| PyTorch | {t['samples_per_second']:.0f} | {t['test_accuracy']:.4f} "
                         f"| {t['threads']} thread{'s' if t['threads'] > 1 else ''}, {t['setting']} |")
        t = torch["train"]
        speedup = ratio(train["samples_per_second"], t["samples_per_second"])
        lines += ["", f"nnc (default) / PyTorch (its best): **{speedup:.2f}x** samples/s (target ≥1.5x)"
                  f"{mark(speedup >= 1.5)}; accuracy difference {train['test_accuracy'] - t['test_accuracy']:+.4f}. "
                  "Per round (samples/s): nnc " + ", ".join(f"{x:.0f}" for x in train["rounds"]) +
                  "; PyTorch " + ", ".join(f"{x:.0f}" for x in t["rounds"]) + ". OpenBLAS variant (libblas.so.3) and "
                  "OPENBLAS_CORETYPE: the fastest for that thread count over the probe steps."]
    step_gflops = g["step_flops"] * step_rate / 1e9
    peak = max(g["peak_gflops_one_thread"], g["peak_gflops"])
    lines += ["", f"GEMM: nnc's SGEMM (OpenBLAS, pthread variant, one call per piece) {g['peak_size']}³ reaches {g['peak_gflops_one_thread']:.0f} GFLOP/s on one "
              f"thread and {g['peak_gflops']:.0f} GFLOP/s on the pool ({g['threads']} threads); the better, "
              f"**{peak:.0f} GFLOP/s**, is the peak here. "
              f"The step's {len(g['products'])} matrix products ({g['step_flops'] / 1e6:.0f} MFLOP) run at "
              f"{g['step_gemm_gflops']:.0f} GFLOP/s alone ({g['step_gemm_gflops'] / peak:.0%} of the peak, "
              f"{g['step_gemm_ms']:.2f} ms); whole training steps reach {step_gflops:.0f} GFLOP/s "
              f"({step_gflops / peak:.0%} of the peak: the products take "
              f"{g['step_gemm_ms'] * step_rate / 10:.0f}% of the step).", ""]

    if "cnn" in nnc:
        lines += cnn_table(nnc["cnn"], torch, peak)

    # 3-4. Latency.
    api, aot, cli, version = nnc["api"], nnc["aot"], nnc["cli_compile"], nnc["version"]
    lines += ["**Latency**", "", "| | nnc | PyTorch | ratio | target |", "|---|---:|---:|---:|---|"]
    torch_us = torch["predict"]["predict_us"] if torch else None
    speedup = ratio(torch_us, api["predict_us"])
    aot_speedup = ratio(torch_us, aot["predict_us"])
    lines += [f"| predict one sample through the library (`Model::predict`; µs) | {api['predict_us']:.1f} | {fmt(torch_us, '.1f')} "
              f"| {fmt(speedup, '.1f', 'x')} | ≥5x{mark(None if speedup is None else speedup >= 5)} |",
              f"| predict one sample through the AOT object (`nnc compile -o`, C; µs) | {aot['predict_us']:.1f} "
              f"| {fmt(torch_us, '.1f')} | {fmt(aot_speedup, '.1f', 'x')} "
              f"| ≥5x{mark(None if aot_speedup is None else aot_speedup >= 5)} |",
              f"| its three matrix-vector products alone (µs) | {nnc['gemm_batch1']['forward_inference_ms'] * 1e3:.1f} "
              f"| | | |",
              f"| compile the MLP in process, first / next (ms) | {api['first_compile_ms']:.0f} / "
              f"{api['compile_ms']:.0f} | | | <150{mark(api['first_compile_ms'] < 150)} |",
              f"| `nnc compile --emit=llvm` process, wall / CPU (ms) | {cli['wall_ms']:.0f} / {cli['cpu_ms']:.0f} "
              f"| | | |",
              f"| `nnc --version` process, wall / CPU (ms) | {version['wall_ms']:.1f} / {version['cpu_ms']:.1f} | | "
              f"| <20{mark(version['wall_ms'] < 20)} |", ""]
    if torch and "setting" in torch["predict"]:
        p = torch["predict"]
        lines += [f"PyTorch's prediction: {p['threads']} thread{'s' if p['threads'] > 1 else ''}, {p['setting']} "
                  "(the fastest over one probe run of each).", ""]

    # 5. Memory.
    mem = nnc["memory"]
    lines += [f"**Memory** of one training step, [{mem['rows']}, {mem['columns']}] input → bias → "
              f"`x * tanh(softplus(a * x))` (a learnable) → dense(1) → mse; batch-sized tensors only.", "",
              "| | saved for backward | saved MiB | all buffers MiB | peak RSS growth MiB |",
              "|---|---:|---:|---:|---:|",
              f"| nnc | {mem['saved_tensors']} | {mem['saved_bytes'] / 2**20:.1f} | {mem['plan_bytes'] / 2**20:.1f} "
              f"| {mem['peak_rss_growth_bytes'] / 2**20:.1f} |"]
    if torch:
        t = torch["memory"]
        lines.append(f"| PyTorch composed | {t['saved_tensors']} | {t['saved_bytes'] / 2**20:.1f} | "
                     f"| {t['peak_rss_growth_bytes'] / 2**20:.1f} |")
    return "\n".join(lines) + "\n"


def cnn_table(cnn, torch, peak):
    """Training examples/fashion_cnn.nn, nnc against PyTorch's same network."""
    lines = [f"**Training** examples/fashion_cnn.nn (conv 3x3 1->16, relu, max pool 2; conv 3x3 16->32, relu, max "
             f"pool 2; dense 1568-128 relu; dense 128-10; Adam, batch 128), {cnn['epochs']} epochs on Fashion-MNIST; "
             "training time only.", "", "| | samples/s | GFLOP/s | test accuracy | settings |", "|---|---:|---:|---:|---|"]

    def row(name, record, settings):
        gflops = record["samples_per_second"] * CNN_STEP_FLOPS_PER_SAMPLE / 1e9
        return (f"| {name} | {record['samples_per_second']:.0f} | {gflops:.0f} ({gflops / peak:.0%} of the peak) "
                f"| {record['test_accuracy']:.4f} | {settings} |")

    lines.append(row("nnc", cnn, "default threads"))
    if torch and "cnn" in torch:
        for t in torch["cnn_by_threads"]:
            lines.append(row("PyTorch", t, f"{t['threads']} thread{'s' if t['threads'] > 1 else ''}, {t['setting']}"))
        best = torch["cnn"]
        speedup = ratio(cnn["samples_per_second"], best["samples_per_second"])
        lines += ["", f"nnc / PyTorch (its best): **{speedup:.2f}x** samples/s (target ≥1.5x){mark(speedup >= 1.5)}; "
                  f"accuracy difference {cnn['test_accuracy'] - best['test_accuracy']:+.4f}. Per round (samples/s): "
                  "nnc " + ", ".join(f"{x:.0f}" for x in cnn["rounds"]) + "; PyTorch " +
                  ", ".join(f"{x:.0f}" for x in best["rounds"]) + ". GFLOP/s: the step's multiply-adds "
                  f"({CNN_STEP_FLOPS_PER_SAMPLE / 1e6:.2f} MFLOP a sample) per second, against the GEMM peak above."]
    return lines + [""]


def update_readme(text, begin_marker=BEGIN, end_marker=END):
    """Replaces what bench/README.md holds between the two markers."""
    path = os.path.join(HERE, "README.md")
    with open(path) as f:
        readme = f.read()
    begin, end = readme.index(begin_marker) + len(begin_marker), readme.index(end_marker)
    with open(path, "w") as f:
        f.write(readme[:begin] + "\n" + text + readme[end:])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"), help="nnc's build folder")
    parser.add_argument("--runs", type=int, default=11, help="runs per median")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs, for both")
    parser.add_argument("--cnn-epochs", type=int, default=2,
                        help="epochs of examples/fashion_cnn.nn, for both (0: not run; --smoke does not run it)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="times training and prediction run, nnc and PyTorch in turn (medians)")
    parser.add_argument("--out", default=None, help="folder for results.json (default: BUILD/bench)")
    parser.add_argument("--python", default=None, help="a Python with torch (default: this one, /usr/bin/python3)")
    parser.add_argument("--coretypes", default="SkylakeX,Haswell",
                        help="OPENBLAS_CORETYPE values to probe besides the default (comma-separated)")
    parser.add_argument("--readme", action="store_true", help="write the tables into bench/README.md")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that everything runs")
    parser.add_argument("--from", dest="results", default=None,
                        help="run nothing: the tables of an earlier run's results.json")
    args = parser.parse_args()
    if args.results:
        with open(args.results) as f:
            text = tables(json.load(f))
        print(text)
        if args.readme:
            update_readme(text)
        return
    args.coretypes = [c for c in args.coretypes.split(",") if c]
    sizes = {"rows": 4096, "columns": 4096, "memory_rows": 1024, "memory_columns": 4096, "probe_steps": 300,
             "train_steps": 0}
    if args.smoke:
        sizes = {"rows": 64, "columns": 256, "memory_rows": 64, "memory_columns": 256, "probe_steps": 10,
                 "train_steps": 20}
        args.runs, args.epochs, args.rounds, args.coretypes = 3, 1, 1, []
        args.cnn_epochs = 0  # an epoch of the CNN takes ~10 s: beyond a smoke test
    args.out = args.out or os.path.join(args.build, "bench")
    os.makedirs(args.out, exist_ok=True)

    results = {"machine": machine(), "commit": git_commit(), "runs": args.runs, "rounds": args.rounds}
    nnc = Nnc(args)
    results["nnc"] = nnc.limits_and_kernels(sizes)
    threads = results["nnc"]["stream"]["threads"]
    results["nnc_threads"] = f"{threads} thread{'s' if threads > 1 else ''}"
    python = torch_python(args.python)
    torch = Torch(args, python) if python else None
    if torch:
        results["torch"] = {"probes": torch.probe(sizes)}
        results["torch"].update(torch.kernels(sizes))
    else:
        log("PyTorch is not installed (no Python here imports torch): only nnc's side was run")
    paired = run_rounds(args, sizes, nnc, torch)
    results["nnc"].update(paired["nnc"])
    if torch:
        results["torch"].update(paired["torch"])
    results["load_average_end"] = os.getloadavg()[0]
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    text = tables(results)
    print(text)
    if args.readme:
        update_readme(text)


if __name__ == "__main__":
    main()
