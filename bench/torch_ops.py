#!/usr/bin/env python3
"""nnc's activations as PyTorch operators (nnc torch) against the same
activation composed from torch ops and against torch's own op, in PyTorch.

usage: bench/torch_ops.py [--build BUILD] [--runs N] [--smoke] [--json P]

Run it with a Python that has torch and its C++ headers (Debian:
/usr/bin/python3 with python3-torch and libtorch-dev). For each activation,
in one process, on --threads threads (default: all cores; OpenBLAS on
--blas-threads, default 1):
- forward + backward of the activation alone on 4096x4096 float32, with its
  learnable parameter (median of --runs, the variants taking turns);
- the bytes autograd saves for backward in that step, and in the training
  step's forward (saved_tensors_hooks, each storage once);
- a training step (SGD) of a 784-1024-1024-10 MLP on a batch of 256 with
  the activation after each hidden layer (median of --runs, taking turns).
Prints a Markdown table; --json writes the figures.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def swish(x, beta):
    return x * torch.sigmoid(beta * x)


class Composed(torch.nn.Module):
    """The activation as torch ops, with the generated module's parameters."""

    def __init__(self, formula, like):
        super().__init__()
        self.formula = formula
        self.params = torch.nn.ParameterList([torch.nn.Parameter(p.detach().clone()) for p in like.parameters()])

    def forward(self, x):
        return self.formula(x, list(self.params))


class Native(torch.nn.Module):
    def __init__(self, op):
        super().__init__()
        self.op = op

    def forward(self, x):
        return self.op(x)


# name: (generated module class, units?, composed formula, native module or None)
CASES = {
    "swish": ("Swish", None, lambda x, p: swish(x, p[0]), lambda units: Native(F.silu)),
    "swish per unit": ("Swish", "units", lambda x, p: swish(x, p[0]), None),
    "mish": ("Mish", None, lambda x, p: x * torch.tanh(F.softplus(x)), lambda units: Native(F.mish)),
    "gelu": ("Gelu", None, lambda x, p: 0.5 * x * (1 + torch.erf(x / math.sqrt(2))), lambda units: Native(F.gelu)),
    "prelu per unit": ("Prelu", "units", lambda x, p: torch.where(x > 0, x, p[0] * x),
                       lambda units: torch.nn.PReLU(units, init=0.25)),
}


def median_ms(steps, runs):
    """Each step's median time, the steps taking turns (so that drift in the
    machine's speed falls on all of them alike)."""
    times = {name: [] for name in steps}
    for step in steps.values():
        step()  # warm up (allocations, the first call's dispatch)
    for _ in range(runs):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append((time.perf_counter() - start) * 1e3)
    return {name: sorted(t)[len(t) // 2] for name, t in times.items()}


def saved_bytes(module, x):
    storages = {}

    def pack(t):
        storages[t.data_ptr()] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        module(x)
    return sum(storages.values())


def activation_step(module, x, dy):
    def step():
        for p in module.parameters():
            p.grad = None
        x.grad = None
        module(x).backward(dy)
    return step


def mlp(activation, width):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(784, width), activation(width), torch.nn.Linear(width, width),
                               activation(width), torch.nn.Linear(width, 10))


def training_step(model, batch):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(batch, 784), torch.randint(0, 10, (batch,))

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that everything runs")
    parser.add_argument("--json", default=None)
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch's threads (default: all cores)")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="OpenBLAS's threads (default 1: see below)")
    args = parser.parse_args()
    # Debian's torch runs its own ops on OpenMP threads and its matrix
    # products on OpenBLAS's: both at once oversubscribe the cores, and a
    # step of the MLP took 49-85 ms, against 31-41 ms with one OpenBLAS
    # thread. OpenBLAS reads the variable when it loads: the script runs
    # itself again with it set.
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(args.blas_threads):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.blas_threads))
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    torch.set_num_threads(args.threads)
    ext = os.path.join(args.build, "bench", "torch-ops")
    subprocess.run([os.path.join(args.build, "bin", "nnc"), "torch", os.path.join(ROOT, "examples", "activations.nn"),
                    "--act", "swish,mish,gelu,prelu", "--name", "nnc_bench_ops", "-o", ext], check=True,
                   stdout=subprocess.DEVNULL)
    sys.path.insert(0, ext)
    import nnc_bench_ops

    rows, cols = (256, 256) if args.smoke else (4096, 4096)
    width, batch = (64, 32) if args.smoke else (1024, 256)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(rows, cols, generator=gen).requires_grad_()
    dy = torch.randn(rows, cols, generator=gen)
    results = {"threads": torch.get_num_threads(), "blas_threads": args.blas_threads, "torch": torch.__version__,
               "shape": [rows, cols],
               "mlp": [784, width, width, 10], "batch": batch, "cases": {}}
    for name, (cls, units, formula, native) in CASES.items():
        def generated(u, cls=cls, units=units):
            return getattr(nnc_bench_ops, cls)(**({"units": u} if units else {}))
        variants = {"nnc op": generated, "composed": lambda u, generated=generated, formula=formula: Composed(
            formula, generated(u))}
        if native:
            variants["torch op"] = native
        modules = {variant: make(cols) for variant, make in variants.items()}
        alone = median_ms({v: activation_step(m, x, dy) for v, m in modules.items()}, args.runs)
        models = {v: mlp(make, width) for v, make in variants.items()}
        training = median_ms({v: training_step(m, batch) for v, m in models.items()}, args.runs)
        batch_x = torch.randn(batch, 784)
        results["cases"][name] = {v: {"fwd_bwd_ms": alone[v], "saved_bytes": saved_bytes(modules[v], x),
                                      "train_step_ms": training[v],
                                      "train_saved_bytes": saved_bytes(models[v], batch_x)} for v in variants}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads (OpenBLAS {args.blas_threads}); "
          f"activation alone on {rows}x{cols} float32, "
          f"training step of a 784-{width}-{width}-10 MLP on batch {batch}")
    print("| activation | variant | fwd+bwd ms | vs nnc op | saved MB | train step ms | vs nnc op | step saved MB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, case in results["cases"].items():
        ours = case["nnc op"]
        for variant, r in case.items():
            print(f"| {name} | {variant} | {r['fwd_bwd_ms']:.1f} | {r['fwd_bwd_ms'] / ours['fwd_bwd_ms']:.2f}x | "
                  f"{r['saved_bytes'] / 2**20:.0f} | {r['train_step_ms']:.1f} | "
                  f"{r['train_step_ms'] / ours['train_step_ms']:.2f}x | {r['train_saved_bytes'] / 2**20:.1f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
