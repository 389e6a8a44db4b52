"""Compares two outputs of tests/lit/aot.test within a relative tolerance:
two prediction listings (rows of numbers), or `nnc backprop`'s gradient file
against the listing the compiled object printed (`loss L`, then one line per
parameter: its name and values)."""
import json
import struct
import sys

TOLERANCE = 1e-4


def close(a, b):
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def numbers(path):
    return [[float(v) for v in line.split()] for line in open(path)]


def safetensors(path):
    data = open(path, "rb").read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out[name] = struct.unpack("<%df" % ((end - begin) // 4), data[8 + size + begin:8 + size + end])
    return out


mode, expected, actual = sys.argv[1:4]
if mode == "predictions":
    a, b = numbers(expected), numbers(actual)
    assert len(a) == len(b) and len(a) > 0, (len(a), len(b))
    bad = [(r, x, y) for r, (p, q) in enumerate(zip(a, b)) for x, y in zip(p, q) if not close(x, y)]
    assert not bad, bad[:5]
    print("predictions agree:", len(a), "rows")
else:
    gradients = safetensors(expected)
    lines = [line.split() for line in open(actual)]
    assert lines[0][0] == "loss"
    listed = {line[0]: [float(v) for v in line[1:]] for line in lines[1:]}
    assert sorted(listed) == sorted(gradients), (sorted(listed), sorted(gradients))
    for name, values in gradients.items():
        bad = [(i, x, y) for i, (x, y) in enumerate(zip(values, listed[name])) if not close(x, y)]
        assert not bad and len(values) == len(listed[name]), (name, bad[:5])
    print("gradients agree:", len(gradients), "parameters")
