"""The peers' side of bench/peers.py: PyTorch 2.x (eager and torch.compile),
JAX (jax.jit) and ONNX Runtime on nnc's workloads. Runs under the peers'
virtual environment (bench/peers.py --setup makes it) and prints one JSON
object; a peer that is not installed is reported as missing.

usage: peer_bench.py activations [--rows R] [--columns C] [--runs N]
       peer_bench.py compile
       peer_bench.py inference --onnx M.onnx [--runs N]
       peer_bench.py train-jax [--model mlp|cnn] [--epochs E] [--batch B]
"""
import argparse
import json
import math
import sys
import time

from timing import median_ms, timed_ms

ACTIVATIONS = ["swish", "gelu", "mish", "elu", "ncu", "swish_beta"]
# torch.compile's modes the probe tries; the faster one counts.
COMPILE_MODES = ["default", "max-autotune-no-cudagraphs"]


def installed(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


# The activations of nnc_perf_bench: torch's as torch_bench.py composes
# them (it runs them eager too), JAX's in its ops.
def jax_formula(name):
    import jax
    import jax.numpy as jnp
    return {
        "swish": lambda x, beta: x * jax.nn.sigmoid(x),
        "gelu": lambda x, beta: 0.5 * x * (1 + jax.scipy.special.erf(x / math.sqrt(2))),
        "mish": lambda x, beta: x * jnp.tanh(jax.nn.softplus(x)),
        "elu": lambda x, beta: jnp.where(x > 0, x, jnp.exp(x) - 1),
        "ncu": lambda x, beta: x - x ** 3,
        "swish_beta": lambda x, beta: x * jax.nn.sigmoid(beta * x),
    }[name]


def torch_activations(args):
    import torch
    from torch_bench import activation_operands, activation_step, composed
    x, dy, beta = activation_operands(args.rows, args.columns)
    results = {}
    for name in ACTIVATIONS:
        def formula(t, b, name=name):
            return composed(name, t, b)

        def stepper(f):
            return activation_step(f, x, dy, beta)

        row = {"eager_ms": median_ms(stepper(formula), args.runs)}
        best = None
        for mode in COMPILE_MODES:
            torch._dynamo.reset()
            compiled = torch.compile(formula, mode=mode)
            first = timed_ms(stepper(compiled))
            ms = median_ms(stepper(compiled), args.runs)
            if best is None or ms < best["ms"]:
                best = {"mode": mode, "ms": ms, "first_call_ms": first}
        row["compile"] = best
        results[name] = row
    return {"version": torch.__version__, "threads": torch.get_num_threads(), "activations": results}


def jax_activations(args):
    import jax
    import jax.numpy as jnp
    key = jax.random.PRNGKey(42)
    x = jax.random.normal(key, (args.rows, args.columns), jnp.float32) * 2
    dy = jax.random.normal(jax.random.PRNGKey(1), (args.rows, args.columns), jnp.float32)
    beta = jnp.float32(1.0)
    results = {}
    for name in ACTIVATIONS:
        formula = jax_formula(name)

        # Forward and backward in one compiled function: the output and the
        # gradients of x and beta given dy.
        @jax.jit
        def step(x, beta, dy, formula=formula):
            y, vjp = jax.vjp(formula, x, beta)
            dx, dbeta = vjp(dy)
            return y, dx, dbeta

        first = timed_ms(lambda: jax.block_until_ready(step(x, beta, dy)))
        ms = median_ms(lambda: jax.block_until_ready(step(x, beta, dy)), args.runs)
        results[name] = {"ms": ms, "first_call_ms": first}
    return {"version": jax.__version__, "activations": results}


def activations(args):
    out = {}
    out["torch"] = torch_activations(args) if installed("torch") else {"missing": True}
    out["jax"] = jax_activations(args) if installed("jax") else {"missing": True}
    return out


def torch_mlp():
    """examples/fashion_mlp.nn in torch, as torch_bench.py builds it."""
    import torch
    from torch_bench import fashion_mlp
    torch.manual_seed(0)
    return fashion_mlp()


def compile_latency(args):
    """The first call of a training step (forward, loss, backward, update)
    of the same MLP: torch.compile and jax.jit, each in a fresh process."""
    out = {}
    if installed("torch"):
        import torch
        import torch.nn.functional as F
        model = torch_mlp()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        x, y = torch.rand(128, 784), torch.randint(0, 10, (128,))

        @torch.compile
        def step(x, y):
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            return loss

        first = timed_ms(lambda: (step(x, y), optimizer.step()))
        out["torch_compile_first_call_ms"] = first
        out["torch_compile_next_call_ms"] = median_ms(lambda: (step(x, y), optimizer.step()), 5)
    if installed("jax"):
        import jax
        import jax.numpy as jnp
        keys = jax.random.split(jax.random.PRNGKey(0), 3)
        sizes = [(784, 256), (256, 128), (128, 10)]
        params = [(jax.random.normal(k, s) * math.sqrt(2 / s[0]), jnp.zeros(s[1])) for k, s in zip(keys, sizes)]
        params.append(jnp.float32(1.0))

        def loss(params, x, y):
            (w1, b1), (w2, b2), (w3, b3), beta = params
            h = jax.nn.relu(x @ w1 + b1)
            z = h @ w2 + b2
            g = z * jax.nn.sigmoid(beta * z)
            logits = g @ w3 + b3
            return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))

        @jax.jit
        def step(params, x, y):
            value, grads = jax.value_and_grad(loss)(params, x, y)
            return value, jax.tree_util.tree_map(lambda p, g: p - 0.01 * g, params, grads)

        x = jax.random.uniform(keys[0], (128, 784))
        y = jax.random.randint(keys[1], (128,), 0, 10)
        out["jax_jit_first_call_ms"] = timed_ms(lambda: jax.block_until_ready(step(params, x, y)))
        out["jax_jit_next_call_ms"] = median_ms(lambda: jax.block_until_ready(step(params, x, y)), 5)
    return out


def inference(args):
    """One sample and a batch of 64 through the MLP: ONNX Runtime on the
    model nnc exported, torch eager and torch.compile; medians of single calls."""
    import numpy as np
    out = {}
    for batch in (1, 64):
        x = np.random.default_rng(1).uniform(0, 1, (batch, 784)).astype(np.float32)
        row = {}
        if installed("onnxruntime"):
            import onnxruntime as ort
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            session = ort.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
            name = session.get_inputs()[0].name
            row["onnxruntime_us"] = median_ms(lambda: session.run(None, {name: x}), 100 * args.runs, 100) * 1e3
        if installed("torch"):
            import torch
            model = torch_mlp().eval()
            t = torch.from_numpy(x)
            with torch.inference_mode():
                row["torch_eager_us"] = median_ms(lambda: model(t), 100 * args.runs, 100) * 1e3
                compiled = torch.compile(model)
                row["torch_compile_us"] = median_ms(lambda: compiled(t), 100 * args.runs, 100) * 1e3
        out[str(batch)] = row
    return out


FASHION = "/usr/share/datasets/fashion-mnist/"


def read_idx(images, labels):
    import gzip
    import numpy as np
    with gzip.open(FASHION + images) as f:
        pixels = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(FASHION + labels) as f:
        classes = np.frombuffer(f.read(), np.uint8, offset=8)
    return pixels.astype(np.float32) / 255.0, classes.astype(np.int32)


def jax_networks():
    """examples/fashion_mlp.nn and fashion_cnn.nn in JAX, with nnc's
    initialisation (He normal for the relu and swish layers and the
    convolutions, fan_in C*k*k; Xavier uniform for the output; zero biases)."""
    import jax
    import jax.numpy as jnp

    def he(key, shape, fan_in):
        return jax.random.normal(key, shape) * math.sqrt(2.0 / fan_in)

    def xavier(key, fan_in, fan_out):
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return jax.random.uniform(key, (fan_in, fan_out), minval=-limit, maxval=limit)

    def mlp_init(key):
        k = jax.random.split(key, 3)
        return {"fc1": (he(k[0], (784, 256), 784), jnp.zeros(256)), "fc2": (he(k[1], (256, 128), 256), jnp.zeros(128)),
                "beta": jnp.float32(1.0), "out": (xavier(k[2], 128, 10), jnp.zeros(10))}

    def mlp(p, x):
        h = jax.nn.relu(x @ p["fc1"][0] + p["fc1"][1])
        z = h @ p["fc2"][0] + p["fc2"][1]
        return (z * jax.nn.sigmoid(p["beta"] * z)) @ p["out"][0] + p["out"][1]

    def cnn_init(key):
        k = jax.random.split(key, 4)
        return {"conv1": (he(k[0], (16, 1, 3, 3), 9), jnp.zeros(16)), "conv2": (he(k[1], (32, 16, 3, 3), 144),
                                                                             jnp.zeros(32)),
                "fc": (he(k[2], (1568, 128), 1568), jnp.zeros(128)), "out": (xavier(k[3], 128, 10), jnp.zeros(10))}

    def conv_relu_pool(x, w, b):
        y = jax.lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NCHW", "OIHW", "NCHW"))
        y = jax.nn.relu(y + b[None, :, None, None])
        return jax.lax.reduce_window(y, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def cnn(p, x):
        h = conv_relu_pool(x.reshape(-1, 1, 28, 28), *p["conv1"])
        h = conv_relu_pool(h, *p["conv2"]).reshape(x.shape[0], -1)
        h = jax.nn.relu(h @ p["fc"][0] + p["fc"][1])
        return h @ p["out"][0] + p["out"][1]

    return {"mlp": (mlp_init, mlp), "cnn": (cnn_init, cnn)}


def jax_train(args):
    """Adam (lr 1e-3), batch --batch, --epochs epochs over Fashion-MNIST,
    shuffled each epoch; the first step (jit's compilation) runs before the
    timed epochs, on copies."""
    if not (installed("jax") and installed("optax")):
        return {"missing": True}
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    train_x, train_y = read_idx("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
    test_x, test_y = read_idx("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    init, forward = jax_networks()[args.model]
    params = init(jax.random.PRNGKey(1))
    optimizer = optax.adam(1e-3)
    state = optimizer.init(params)

    def loss(params, x, y):
        logits = forward(params, x)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))

    @jax.jit
    def step(params, state, x, y):
        grads = jax.grad(loss)(params, x, y)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    compile_seconds = timed_ms(lambda: jax.block_until_ready(step(params, state, train_x[:args.batch],
                                                                  train_y[:args.batch]))) / 1e3
    rng = np.random.default_rng(1)
    seconds, samples = 0.0, 0
    for _ in range(args.epochs):
        order = rng.permutation(len(train_x))
        start = time.perf_counter()
        for first in range(0, len(train_x) - args.batch + 1, args.batch):
            batch = order[first:first + args.batch]
            params, state = step(params, state, train_x[batch], train_y[batch])
            samples += len(batch)
        jax.block_until_ready(params)
        seconds += time.perf_counter() - start
    predict = jax.jit(forward)
    correct = sum(int((np.asarray(predict(params, test_x[i:i + 1000])).argmax(1) == test_y[i:i + 1000]).sum())
                  for i in range(0, len(test_x), 1000))
    return {"version": jax.__version__, "compile_seconds": compile_seconds, "seconds": seconds, "samples": samples,
            "samples_per_second": samples / seconds, "test_accuracy": correct / len(test_x)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["activations", "compile", "inference", "train-jax"])
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--columns", type=int, default=4096)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--onnx", default=None)
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    result = {"activations": activations, "compile": compile_latency, "inference": inference,
              "train-jax": jax_train}[args.workload](args)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
