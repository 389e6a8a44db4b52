"""Writes a copy of an nnc checkpoint with one float changed and its nnc
checksum and format removed, as another tool would write it (so it loads
without the checksum noticing the change).

  python3 tamper_checkpoint.py IN OUT TENSOR INDEX VALUE

VALUE is a float ("nan", "inf", "-1", "1e30").
"""
import json
import struct
import sys

source, target, name, index, value = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
data = open(source, "rb").read()
size = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + size])
body = bytearray(data[8 + size:])
meta = header.get("__metadata__", {})
meta.pop("nnc.crc32", None)
meta.pop("format", None)
begin = header[name]["data_offsets"][0] + 4 * index
body[begin:begin + 4] = struct.pack("<f", value)
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
open(target, "wb").write(struct.pack("<Q", len(text)) + text + bytes(body))
