"""nnc activations as PyTorch operators (nnc torch), checked in PyTorch.

usage: torch_ops.py NNC SOURCE_DIR WORK_DIR

Generates an extension from examples/activations.nn and
tests/interop/torch_activations.nn, imports it (which builds it against
the installed PyTorch), and checks, printing one line per check:
- torch.autograd.gradcheck in float64 for every operator, parameters per
  layer and per unit;
- float32 outputs and gradients against the same formula composed from
  torch ops (and torch's own op where it has one);
- a two-process DistributedDataParallel step (gloo, loopback) gives the
  parameters one process gets from the combined batch;
- the autograd graph saves only the operator's operands;
- no rows, a transposed input, NaN and infinities.
Exits non-zero if any check fails.
"""
import math
import os
import socket
import subprocess
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

ACTIVATIONS = ["swish", "mish", "gelu", "elu", "prelu", "ncu", "softplus", "sine", "relu", "swiglu", "scaled_tanh",
               "shifted_elu", "every_op"]


def swish(x, beta):
    return x * torch.sigmoid(beta * x)


def elu(x, alpha):
    return torch.where(x > 0, x, alpha * (torch.exp(x) - 1))


# The formulas composed from torch ops, by activation: (inputs, params) -> output.
COMPOSED = {
    "swish": lambda i, p: swish(i[0], p[0]),
    "mish": lambda i, p: i[0] * torch.tanh(F.softplus(i[0])),
    "gelu": lambda i, p: 0.5 * i[0] * (1 + torch.erf(i[0] / math.sqrt(2))),
    "elu": lambda i, p: elu(i[0], 1.0),
    "prelu": lambda i, p: torch.where(i[0] > 0, i[0], p[0] * i[0]),
    "ncu": lambda i, p: i[0] - i[0] ** 3,
    "softplus": lambda i, p: F.softplus(i[0]),
    "sine": lambda i, p: torch.sin(i[0]),
    "relu": lambda i, p: torch.clamp(i[0], min=0),
    "swiglu": lambda i, p: swish(i[0], p[0]) * i[1],
    "scaled_tanh": lambda i, p: p[0] * torch.tanh(p[1] * i[0]),
    "shifted_elu": lambda i, p: elu(i[0] - p[0], 0.7),
}
# torch's own op where it has one (parameters per layer at their defaults).
NATIVE = {"swish": F.silu, "mish": F.mish, "gelu": F.gelu, "elu": F.elu, "softplus": F.softplus, "relu": F.relu}

failures = 0


def report(ok, what):
    global failures
    failures += not ok
    print(f"{'ok' if ok else 'FAIL'} {what}")


def generate(nnc, source, work):
    ext = os.path.join(work, "ext")
    for nn, acts in (("examples/activations.nn", "swish,mish,gelu,elu,prelu,ncu,softplus,sine,relu"),
                     ("tests/interop/torch_activations.nn", "swiglu,scaled_tanh,shifted_elu,every_op")):
        name = "nnc_ops_" + ("std" if "examples" in nn else "test")
        subprocess.run([nnc, "torch", os.path.join(source, nn), "--act", acts, "--name", name, "-o", ext],
                       check=True, stdout=subprocess.DEVNULL)
    sys.path.insert(0, ext)
    import nnc_ops_std
    import nnc_ops_test
    return {**{a: (nnc_ops_std, getattr(nnc_ops_std.ops, a)) for a in ACTIVATIONS if hasattr(nnc_ops_std.ops, a)},
            **{a: (nnc_ops_test, getattr(nnc_ops_test.ops, a)) for a in ("swiglu", "scaled_tanh", "shifted_elu",
                                                                         "every_op")}}


def module_of(library, name, units):
    cls = getattr(library, "".join(part.capitalize() for part in name.split("_")))
    return cls(units=units) if "units" in cls.__init__.__code__.co_varnames else cls()


def operands(name, module, shape, dtype, gen):
    count = 2 if name == "swiglu" else 1
    inputs = [torch.randn(shape, dtype=dtype, generator=gen).requires_grad_() for _ in range(count)]
    params = [p.detach().to(dtype).add(0.1 * torch.randn(p.shape, dtype=dtype, generator=gen)).requires_grad_()
              for p in module.parameters()]
    return inputs, params


def check_gradients(ops):
    gen = torch.Generator().manual_seed(3)
    for name, (library, op) in ops.items():
        for units in (None, 6):
            module = module_of(library, name, units)
            if units and not list(module.parameters()):
                continue
            inputs, params = operands(name, module, (5, 6), torch.float64, gen)
            ok = torch.autograd.gradcheck(lambda *a: op(*a), (*inputs, *params), eps=1e-6, atol=1e-7, rtol=1e-5,
                                           raise_exception=False)
            report(ok, f"gradcheck float64 {name} parameters per {'unit' if units else 'layer'}")


def check_composed(ops):
    gen = torch.Generator().manual_seed(4)
    for name, (library, op) in ops.items():
        if name not in COMPOSED:
            continue
        for units in (None, 64):
            module = module_of(library, name, units)
            if units and not list(module.parameters()):
                continue
            inputs, params = operands(name, module, (300, 64), torch.float32, gen)
            dy = torch.randn(300, 64, generator=gen)
            ours = op(*inputs, *params)
            theirs = COMPOSED[name](inputs, params)
            got = torch.autograd.grad(ours, inputs + params, dy)
            want = torch.autograd.grad(theirs, inputs + params, dy)
            worst = max(((g - w).abs().max() / (w.abs().max() + 1e-30)).item() for g, w in zip((ours,) + got,
                                                                                                 (theirs,) + want))
            report(worst < 2e-5, f"{name} float32 per {'unit' if units else 'layer'} against the composed formula "
                                 f"(worst relative difference {worst:.1e})")
        if name in NATIVE:
            x = torch.randn(1000, generator=gen).requires_grad_()
            module = module_of(library, name, None)
            ours = module(x)
            theirs = NATIVE[name](x)
            gx, = torch.autograd.grad(ours, x, torch.ones_like(x))
            tx, = torch.autograd.grad(theirs, x, torch.ones_like(x))
            close = torch.allclose(ours, theirs, rtol=1e-5, atol=1e-6) and torch.allclose(gx, tx, rtol=1e-5, atol=1e-6)
            report(close, f"{name} float32 against torch's {NATIVE[name].__name__}")


def check_edges(ops):
    """No rows, a transposed (non-contiguous) input, and a non-finite one."""
    library, op = ops["swish"]
    module = module_of(library, "swish", 5)
    empty = torch.zeros(0, 5, requires_grad=True)
    y = module(empty)
    y.sum().backward()
    report(y.shape == (0, 5) and empty.grad.shape == (0, 5) and module.beta.grad.abs().sum().item() == 0,
           "swish of no rows gives no rows and zero parameter gradients")
    x = torch.randn(5, 7).t().requires_grad_()
    ours = op(x, module.beta)
    theirs = swish(x, module.beta)
    report(torch.allclose(ours, theirs, rtol=1e-6, atol=1e-7), "swish of a transposed input")
    special = torch.tensor([[float("nan"), float("inf"), -float("inf"), 0.0, 88.0]])
    got = op(special, torch.ones(5))
    want = swish(special, torch.ones(5))
    report(torch.equal(torch.isnan(got), torch.isnan(want)) and torch.allclose(got.nan_to_num(), want.nan_to_num()),
           "swish of NaN, infinities, 0 and 88 as the composed formula")


def check_saved(ops):
    """Autograd keeps the operands, nothing the activation computed."""
    library, op = ops["swish"]
    module = module_of(library, "swish", 64)
    x = torch.randn(128, 64, requires_grad=True)
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t.data_ptr()) or t, lambda t: t):
        module(x)
    report(sorted(saved) == sorted([x.data_ptr(), module.beta.data_ptr()]),
           f"swish saves only its input and beta ({len(saved)} tensors)")


def ddp_worker(rank, world, port, ext, result):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    sys.path.insert(0, ext)
    import nnc_ops_std
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), nnc_ops_std.Swish(units=16), torch.nn.Linear(16, 4),
                                nnc_ops_std.Prelu())
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    gen = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 8, generator=gen), torch.randn(32, 4, generator=gen)
    part = slice(rank * 32 // world, (rank + 1) * 32 // world)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        F.mse_loss(model(x[part]), y[part]).backward()
        optimizer.step()
    if rank == 0:
        torch.save([p.detach().clone() for p in model.parameters()], result)
    dist.destroy_process_group()


def check_ddp(work):
    ext = os.path.join(work, "ext")
    results = []
    for world in (1, 2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        result = os.path.join(work, f"ddp{world}.pt")
        mp.spawn(ddp_worker, args=(world, port, ext, result), nprocs=world, join=True)
        results.append(torch.load(result))
    worst = max((a - b).abs().max().item() for a, b in zip(*results))
    report(worst < 1e-6, f"DDP on 2 processes (gloo) gives the parameters of 1 process on the whole batch "
                         f"(worst difference {worst:.1e})")


def main():
    nnc, source, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(2)
    ops = generate(nnc, source, work)
    check_gradients(ops)
    check_composed(ops)
    check_edges(ops)
    check_saved(ops)
    check_ddp(work)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
