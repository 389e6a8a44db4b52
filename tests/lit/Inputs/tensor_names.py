"""Prints the tensor names of a safetensors file (not optimizer state), sorted."""
import json
import struct
import sys

data = open(sys.argv[1], "rb").read()
(header_size,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + header_size])
print(" ".join(sorted(k for k in header if k != "__metadata__" and not k.startswith("optimizer"))))
