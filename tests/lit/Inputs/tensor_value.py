"""Prints a tensor of a safetensors file (argv[1]) by name (argv[2]): the
name, then its values rounded to 6 decimals."""
import json
import struct
import sys

data = open(sys.argv[1], "rb").read()
(size,) = struct.unpack("<Q", data[:8])
info = json.loads(data[8:8 + size])[sys.argv[2]]
begin, end = info["data_offsets"]
values = struct.unpack("<%df" % ((end - begin) // 4), data[8 + size + begin:8 + size + end])
print(sys.argv[2], " ".join(f"{round(v, 6):g}" for v in values))
