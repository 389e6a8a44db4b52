#!/usr/bin/env python3
"""nnc against the strongest peers, side by side in one run: PyTorch 2.x
(eager and torch.compile), JAX (jax.jit) and ONNX Runtime.

usage: bench/peers.py --setup                    # make the peers' environment (once; ~6 GB, minutes)
       bench/peers.py [--runs N] [--smoke] [--json P] [--readme]

The peers live in a virtual environment under the build folder
(build/peers-venv), from PyPI, pinned (PINS below); never on the system or
on the README's main path. A peer that is not installed there is reported
as missing and its columns stay empty. nnc's side: nnc_perf_bench (stream,
activations), nnc_api_bench (compile, predict) and `nnc export`; the
peers' side: bench/peer_bench.py under the environment's Python.

Workloads (medians of --runs):
- activation forward + backward, 4096x4096 float32 (swish, gelu, mish,
  elu, ncu, swish with a learnable beta): nnc's JIT loops, torch eager,
  torch.compile (the faster of its modes, by a probe), jax.jit of the vjp;
  and the bandwidth bound of the bytes nnc's loops move.
- compile latency of examples/fashion_mlp.nn's training step: nnc's
  Model::compileFile (parse, passes, autodiff, JIT) against the first call
  of torch.compile's and of jax.jit's step, each in a fresh process.
- inference of the same MLP, one sample and a batch of 64: nnc's predict
  against ONNX Runtime on the model `nnc export` wrote, torch eager and
  torch.compile (median of single calls).
- training examples/fashion_mlp.nn (--epochs) and fashion_cnn.nn
  (--cnn-epochs) on Fashion-MNIST, batch 128, Adam: `nnc train` against
  torch eager, torch.compile (bench/torch_bench.py --compile) and JAX with
  optax (peer_bench.py train-jax), the same networks and initialisation.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import git_commit, log, machine, run_json, update_readme  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PINS = ["torch==2.15.0", "jax==0.10.2", "jaxlib==0.10.2", "optax==0.2.8", "onnxruntime==1.23.2", "numpy==2.3.5"]
# Targets of issue 17 (ratios in one run).
ACTIVATION_TARGET, BOUND_TARGET, INFERENCE_TARGET, COMPILE_TARGET = 2.0, 1.15, 3.0, 10.0
# Where --readme writes the tables in bench/README.md.
README_BEGIN, README_END = "<!-- peers results: begin -->", "<!-- peers results: end -->"
# The multiply-adds of a training step of examples/fashion_cnn.nn, per sample (bench/README.md).
CNN_FLOPS_PER_SAMPLE = 7.08e6


def setup(venv):
    if not os.path.exists(os.path.join(venv, "bin", "python")):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "--quiet", "--disable-pip-version-check"] + PINS,
                   check=True)
    with open(os.path.join(venv, "pins"), "w") as f:
        f.write(" ".join(PINS) + "\n")


def peer(venv, *args):
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        return None
    return run_json([python, os.path.join(ROOT, "bench", "peer_bench.py")] + list(args))


def ratio(a, b):
    return a / b if a and b else None


def text(value, spec=".2f", suffix=""):
    return "" if value is None else f"{value:{spec}}{suffix}"


def mark(ok):
    return "" if ok is None else (" ✓" if ok else " ✗")


def activation_table(nnc, stream, peers):
    bound = (nnc["forward_bytes"] / stream["scale_gbs"] + nnc["backward_bytes"] / stream["triad_gbs"]) * 1e-6
    torch = (peers or {}).get("torch", {})
    jax = (peers or {}).get("jax", {})
    lines = [f"Activation forward + backward, {nnc['rows']}x{nnc['columns']} float32 (ms); bound: the bytes nnc's "
             f"loops move at the measured bandwidth (scale {stream['scale_gbs']:.1f} GB/s, triad "
             f"{stream['triad_gbs']:.1f} GB/s): {bound:.2f} ms. torch {torch.get('version', 'missing')}, "
             f"jax {jax.get('version', 'missing')}.", "",
             "| activation | nnc | torch eager | torch.compile (mode) | jax.jit | best peer / nnc (≥2x) | "
             "nnc / bound (≤1.15) |", "|---|---|---|---|---|---|---|"]
    for name, n in nnc["activations"].items():
        t = torch.get("activations", {}).get(name, {})
        j = jax.get("activations", {}).get(name, {})
        compiled = t.get("compile", {})
        peers_ms = [v for v in (compiled.get("ms"), j.get("ms")) if v]
        best = min(peers_ms) if peers_ms else None
        vs_peer, vs_bound = ratio(best, n["ms"]), n["ms"] / bound
        lines.append(f"| {name} | {n['ms']:.2f} | {text(t.get('eager_ms'))} | {text(compiled.get('ms'))}"
                     f"{' (' + compiled['mode'] + ')' if compiled else ''} | {text(j.get('ms'))} | "
                     f"{text(vs_peer, suffix='x')}{mark(vs_peer and vs_peer >= ACTIVATION_TARGET)} | "
                     f"{vs_bound:.2f}{mark(vs_bound <= BOUND_TARGET)} |")
    return lines


def compile_table(api, peers):
    p = peers or {}
    best = min([v for v in (p.get("torch_compile_first_call_ms"), p.get("jax_jit_first_call_ms")) if v], default=None)
    r = ratio(best, api["first_compile_ms"])
    return ["Compile latency of the fashion MLP's training step (ms): nnc's Model::compileFile (parse, passes, "
            "autodiff, JIT of forward and backward), the first call of torch.compile's step and of jax.jit's.", "",
            "| nnc | torch.compile first call | jax.jit first call | best peer / nnc (≥10x) |", "|---|---|---|---|",
            f"| {api['first_compile_ms']:.0f} | {text(p.get('torch_compile_first_call_ms'), '.0f')} | "
            f"{text(p.get('jax_jit_first_call_ms'), '.0f')} | {text(r, '.1f', 'x')}"
            f"{mark(r and r >= COMPILE_TARGET)} |"]


def inference_table(api, peers):
    lines = ["Inference of the fashion MLP (µs, median of single calls): nnc's predict, ONNX Runtime on the model "
             "`nnc export` wrote, torch eager and torch.compile.", "",
             "| batch | nnc | ONNX Runtime | torch eager | torch.compile | best of ORT and torch.compile / nnc "
             "(≥3x for one sample) |", "|---|---|---|---|---|---|"]
    for batch, nnc in api.items():
        p = (peers or {}).get(str(batch), {})
        best = min([v for v in (p.get("onnxruntime_us"), p.get("torch_compile_us")) if v], default=None)
        r = ratio(best, nnc["predict_us"])
        lines.append(f"| {batch} | {nnc['predict_us']:.1f} | {text(p.get('onnxruntime_us'), '.1f')} | "
                     f"{text(p.get('torch_eager_us'), '.1f')} | {text(p.get('torch_compile_us'), '.1f')} | "
                     f"{text(r, '.2f', 'x')}{mark(r and r >= INFERENCE_TARGET) if batch == 1 else ''} |")
    return lines


def nnc_train(nnc, model, epochs, work):
    metrics = os.path.join(work, "nnc-train.json")
    command = [nnc, "train", model, "--epochs", str(epochs), "--metrics-json", metrics, "-w"]
    log("  $ " + " ".join(command))
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    with open(metrics) as f:
        return json.load(f)


def peer_train(venv, model, epochs, steps):
    """torch eager, torch.compile and JAX/optax on the same network."""
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        return {}
    torch_bench = [python, os.path.join(ROOT, "bench", "torch_bench.py"), "train", "--model", model, "--epochs",
                   str(epochs), "--threads", str(os.cpu_count())] + (["--steps", str(steps)] if steps else [])
    return {"torch eager": run_json(torch_bench), "torch.compile": run_json(torch_bench + ["--compile", "default"]),
            "jax.jit": peer(venv, "train-jax", "--model", model, "--epochs", str(epochs))}


def training_table(name, nnc, peers, flops_per_sample, peak_gflops, target):
    ran = {peer_name: r for peer_name, r in peers.items() if r and not r.get("missing")}
    best = max((r["samples_per_second"] for r in ran.values()), default=None)
    r = ratio(nnc["samples_per_second"], best)
    gflops = nnc["samples_per_second"] * flops_per_sample / 1e9
    lines = [f"| {name} | nnc | {nnc['samples_per_second']:.0f} | {nnc['test_accuracy']:.4f} | "
             f"{gflops:.1f} ({gflops / peak_gflops:.0%}) | {text(r, '.2f', 'x')}{mark(r and r >= target)} |"]
    for peer_name, p in ran.items():
        lines.append(f"| {name} | {peer_name} | {p['samples_per_second']:.0f} | {p['test_accuracy']:.4f} | "
                     f"{p['samples_per_second'] * flops_per_sample / 1e9:.1f} | |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--venv", default=None, help="the peers' environment (default: BUILD/peers-venv)")
    parser.add_argument("--setup", action="store_true", help="make or update the peers' environment, then stop")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that everything runs")
    parser.add_argument("--json", default=None)
    parser.add_argument("--readme", action="store_true", help="write the tables into bench/README.md")
    parser.add_argument("--epochs", type=int, default=5, help="MLP training epochs, for each")
    parser.add_argument("--cnn-epochs", type=int, default=2, help="CNN training epochs, for each")
    args = parser.parse_args()
    venv = args.venv or os.path.join(args.build, "peers-venv")
    if args.setup:
        setup(venv)
        return
    if not os.path.exists(os.path.join(venv, "bin", "python")):
        log(f"no peers' environment at {venv} (bench/peers.py --setup makes it): the peers' columns stay empty")
    bin_dir = os.path.join(args.build, "bin")
    rows = 256 if args.smoke else 4096
    runs = 1 if args.smoke else args.runs
    work = os.path.join(args.build, "bench", "peers")
    os.makedirs(work, exist_ok=True)

    stream = run_json([os.path.join(bin_dir, "nnc_perf_bench"), "stream", "--runs", str(runs)])
    nnc_act = run_json([os.path.join(bin_dir, "nnc_perf_bench"), "activations", "--rows", str(rows), "--columns",
                        str(rows), "--runs", str(runs)])
    peer_act = peer(venv, "activations", "--rows", str(rows), "--columns", str(rows), "--runs", str(runs))
    model = os.path.join(ROOT, "examples", "fashion_mlp.nn")
    api = {b: run_json([os.path.join(bin_dir, "nnc_api_bench"), "--model", model, "--runs", str(runs), "--batch",
                        str(b)]) for b in (1, 64)}
    peer_compile = peer(venv, "compile")
    onnx = os.path.join(work, "fashion_mlp.onnx")
    subprocess.run([os.path.join(bin_dir, "nnc"), "export", model, "-w", "-o", onnx], check=True)
    peer_inference = peer(venv, "inference", "--onnx", onnx, "--runs", str(runs))

    gemm = run_json([os.path.join(bin_dir, "nnc_perf_bench"), "gemm", "--runs", str(runs)])
    epochs, cnn_epochs, steps = (1, 1, 20) if args.smoke else (args.epochs, args.cnn_epochs, 0)
    train = {"mlp": (nnc_train(os.path.join(bin_dir, "nnc"), model, epochs, work),
                     {} if args.smoke else peer_train(venv, "mlp", epochs, steps))}
    if not args.smoke:  # (a CNN epoch is minutes for some peers)
        train["cnn"] = (nnc_train(os.path.join(bin_dir, "nnc"), os.path.join(ROOT, "examples", "fashion_cnn.nn"),
                                  cnn_epochs, work), peer_train(venv, "cnn", cnn_epochs, steps))

    m = machine()
    lines = [f"{m['cpu']}, {m['cores']} cores, load {m['load_average']:.1f} at the start; nnc {git_commit()}.", ""]
    lines += activation_table(nnc_act, stream, peer_act) + [""]
    lines += compile_table(api[1], peer_compile) + [""]
    lines += inference_table(api, peer_inference) + [""]
    lines += [f"Training on Fashion-MNIST, batch 128, Adam (lr 1e-3), the same networks and initialisation "
              f"({epochs} epochs of the MLP" + (f", {cnn_epochs} of the CNN" if "cnn" in train else "") +
              f"; samples/s of the training time, compilation "
              f"excluded), GFLOP/s of the step's multiply-adds against the SGEMM peak "
              f"({gemm['peak_gflops']:.0f} GFLOP/s on {gemm['threads']} threads).", "",
              "| model | framework | samples/s | test accuracy | GFLOP/s | nnc / best peer (≥1.5x MLP, ≥1.3x CNN) |",
              "|---|---|---|---|---|---|"]
    mlp_flops = gemm["step_flops"] / gemm["batch"]
    lines += training_table("MLP", train["mlp"][0], train["mlp"][1], mlp_flops, gemm["peak_gflops"], 1.5)
    if "cnn" in train:
        lines += training_table("CNN", train["cnn"][0], train["cnn"][1], CNN_FLOPS_PER_SAMPLE, gemm["peak_gflops"], 1.3)
    print("\n".join(lines))
    if args.readme:
        update_readme("\n".join(lines) + "\n", README_BEGIN, README_END)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": m, "stream": stream, "nnc_activations": nnc_act, "peer_activations": peer_act,
                       "nnc_api": api, "peer_compile": peer_compile, "peer_inference": peer_inference, "gemm": gemm,
                       "train": train}, f, indent=1)


if __name__ == "__main__":
    main()
