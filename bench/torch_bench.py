#!/usr/bin/env python3
"""The PyTorch side of bench/run.py: the same workloads as nnc_perf_bench,
written as a PyTorch user would. Prints one JSON object on stdout.

  torch_bench.py activations --rows R --columns C --runs N --threads T
  torch_bench.py train --epochs E --threads T [--steps S] [--model mlp|cnn]
  torch_bench.py predict --runs N --threads T
  torch_bench.py memory --rows R --columns C

Thread counts, the OpenBLAS variant and OPENBLAS_CORETYPE are chosen by run.py, which runs this
script once per setting (OpenBLAS reads its environment when it loads).
"""
import argparse
import copy
import gzip
import json
import math
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from timing import median_ms

FASHION = "/usr/share/datasets/fashion-mnist/"


# The activations of nnc_perf_bench: the formula composed from torch ops
# (what autograd records op by op) and PyTorch's own op where there is one.
def composed(name, x, beta):
    if name == "swish":
        return x * torch.sigmoid(x)
    if name == "gelu":
        return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
    if name == "mish":
        return x * torch.tanh(F.softplus(x))
    if name == "elu":
        return torch.where(x > 0, x, torch.exp(x) - 1)
    if name == "ncu":
        return x - x ** 3
    if name == "swish_beta":
        return x * torch.sigmoid(beta * x)
    raise ValueError(name)


NATIVE = {"swish": F.silu, "gelu": F.gelu, "mish": F.mish, "elu": F.elu}
ACTIVATIONS = ["swish", "gelu", "mish", "elu", "ncu", "swish_beta"]


def activation_operands(rows, columns):
    """x, dy and a learnable beta, as nnc_perf_bench draws them."""
    torch.manual_seed(42)
    x = (torch.randn(rows, columns) * 2).requires_grad_()
    return x, torch.randn(rows, columns), torch.tensor(1.0, requires_grad=True)


def activation_step(f, x, dy, beta):
    """Forward and backward of f(x, beta); the gradients are dropped first so
    that backward writes them rather than adding to them."""
    def step():
        x.grad = None
        beta.grad = None
        f(x, beta).backward(dy)
    return step


def bench_activations(args):
    x, dy, beta = activation_operands(args.rows, args.columns)
    results = {}
    for name in ACTIVATIONS:
        row = {"composed": median_ms(activation_step(lambda t, b: composed(name, t, b), x, dy, beta), args.runs)}
        if name in NATIVE:
            row["native"] = median_ms(activation_step(lambda t, b: NATIVE[name](t), x, dy, beta), args.runs)
        results[name] = row
    return {"activations": results}


def read_idx(images, labels):
    with gzip.open(images) as f:
        pixels = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(labels) as f:
        classes = np.frombuffer(f.read(), np.uint8, offset=8)
    return torch.from_numpy(pixels.astype(np.float32) / 255.0), torch.from_numpy(classes.astype(np.int64))


class Swish(torch.nn.Module):
    """examples/activations.nn's swish: x * sigmoid(beta * x), beta learnable."""

    def __init__(self):
        super().__init__()
        self.beta = torch.nn.Parameter(torch.tensor(1.0))

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x)


def fashion_mlp():
    """examples/fashion_mlp.nn with nnc's initialisation: He normal for the
    relu and swish layers, Xavier uniform for the output, zero biases."""
    fc1, fc2, out = torch.nn.Linear(784, 256), torch.nn.Linear(256, 128), torch.nn.Linear(128, 10)
    for layer in (fc1, fc2):
        torch.nn.init.normal_(layer.weight, 0.0, math.sqrt(2.0 / layer.in_features))
    torch.nn.init.xavier_uniform_(out.weight)
    for layer in (fc1, fc2, out):
        torch.nn.init.zeros_(layer.bias)
    return torch.nn.Sequential(fc1, torch.nn.ReLU(), fc2, Swish(), out)


def fashion_cnn():
    """examples/fashion_cnn.nn with nnc's initialisation: He normal for the
    convolutions (fan_in C * k * k) and the relu layer, Xavier uniform for
    the output, zero biases. Images [N, 1, 28, 28]."""
    c1, c2 = torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.Conv2d(16, 32, 3, padding=1)
    h, out = torch.nn.Linear(32 * 7 * 7, 128), torch.nn.Linear(128, 10)
    for layer in (c1, c2, h):
        fan_in = layer.weight[0].numel()
        torch.nn.init.normal_(layer.weight, 0.0, math.sqrt(2.0 / fan_in))
    torch.nn.init.xavier_uniform_(out.weight)
    for layer in (c1, c2, h, out):
        torch.nn.init.zeros_(layer.bias)
    return torch.nn.Sequential(torch.nn.Unflatten(1, (1, 28, 28)), c1, torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               c2, torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), h, torch.nn.ReLU(), out)


def accuracy(model, x, y):
    with torch.inference_mode():
        correct = 0
        for first in range(0, len(x), 1000):  # in batches: the CNN's activations of 10000 images at once are large
            correct += (model(x[first:first + 1000]).argmax(1) == y[first:first + 1000]).sum().item()
        return correct / len(x)


def bench_train(args):
    torch.manual_seed(1)
    train_x, train_y = read_idx(FASHION + "train-images-idx3-ubyte.gz", FASHION + "train-labels-idx1-ubyte.gz")
    test_x, test_y = read_idx(FASHION + "t10k-images-idx3-ubyte.gz", FASHION + "t10k-labels-idx1-ubyte.gz")
    model = fashion_cnn() if args.model == "cnn" else fashion_mlp()
    result = {}
    if args.compile:
        # torch.compile (PyTorch 2.x): the first step compiles; it runs once
        # before the timed epochs, from which the weights start again.
        plain, initial = model, copy.deepcopy(model.state_dict())
        model = torch.compile(plain, mode=args.compile)
        warm_up = torch.optim.Adam(model.parameters(), lr=1e-3)
        start = time.perf_counter()
        F.cross_entropy(model(train_x[:args.batch]), train_y[:args.batch]).backward()
        warm_up.step()
        result["compile_seconds"] = time.perf_counter() - start
        plain.load_state_dict(initial)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    seconds, samples = 0.0, 0
    for _ in range(args.epochs):
        order = torch.randperm(len(train_x))
        start = time.perf_counter()
        for step, first in enumerate(range(0, len(train_x), args.batch)):
            if args.steps and step == args.steps:
                break
            batch = order[first:first + args.batch]
            x, y = train_x[batch], train_y[batch]
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            samples += len(batch)
        seconds += time.perf_counter() - start
    result.update({"seconds": seconds, "samples": samples, "samples_per_second": samples / seconds})
    result["test_accuracy"] = accuracy(model, test_x, test_y)
    return result


def bench_predict(args):
    """The median of single calls (a median of batches of calls would be
    dragged up by the OS preempting the process, on a loaded machine)."""
    torch.manual_seed(1)
    model = fashion_mlp().eval()
    x = torch.rand(1, 784)
    times = []
    with torch.inference_mode():
        for i in range(100 * args.runs + 100):
            start = time.perf_counter()
            model(x)
            if i >= 100:  # warm-up
                times.append(time.perf_counter() - start)
    return {"predict_us": statistics.median(times) * 1e6}


def bench_memory(args):
    """A training step of nnc_perf_bench's memory model: [rows, columns]
    input -> + bias -> x * tanh(softplus(a * x)) -> dense(1) -> mse. Counts
    the bytes autograd saves for backward and the peak RSS growth of the step."""
    torch.manual_seed(1)
    x = torch.randn(args.rows, args.columns) * 2
    target = torch.randint(0, 2, (args.rows, 1)).float()
    bias = torch.zeros(args.columns, requires_grad=True)
    a = torch.tensor(0.5, requires_grad=True)
    out = torch.nn.Linear(args.columns, 1)
    saved = {}

    def pack(t):
        if t.dim() == 2 and t.shape[0] == args.rows:  # batch-sized tensors, as nnc counts them
            saved[t.data_ptr()] = t.numel() * t.element_size()
        return t

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        z = x + bias
        y = z * torch.tanh(F.softplus(a * z))
        loss = F.mse_loss(out(y), target)
    loss.backward()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"saved_tensors": len(saved), "saved_bytes": sum(saved.values()), "peak_rss_growth_bytes": (after - before) * 1024}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["activations", "train", "predict", "memory"])
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--columns", type=int, default=4096)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=0, help="stop each epoch after this many steps (probes)")
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp", help="train: examples/fashion_mlp.nn or fashion_cnn.nn")
    parser.add_argument("--compile", default=None, metavar="MODE",
                        help="train: the model under torch.compile in this mode (PyTorch 2.x)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    bench = {"activations": bench_activations, "train": bench_train, "predict": bench_predict, "memory": bench_memory}
    result = bench[args.workload](args)
    result["torch"] = torch.__version__
    result["threads"] = args.threads
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
