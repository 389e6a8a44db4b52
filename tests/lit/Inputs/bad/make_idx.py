"""Writes the IDX files of idx.nn into the folder given: 4 images of 2x1
pixels and their labels, and damaged copies (cut short, a wrong magic
number, 3 labels, a gzip file cut short, no images of 2^64 pixels)."""
import gzip
import os
import struct
import sys

out = sys.argv[1]
images = struct.pack(">IIII", 0x803, 4, 2, 1) + bytes([0, 0, 0, 255, 255, 0, 255, 255])
labels = struct.pack(">II", 0x801, 4) + bytes([0, 1, 1, 0])
files = {
    "images.idx": images,
    "labels.idx": labels,
    "images-cut.idx": images[:-3],
    "labels-cut.idx": labels[:6],
    "images-magic.idx": struct.pack(">I", 0x1234) + images[4:],
    "labels-3.idx": struct.pack(">II", 0x801, 3) + bytes([0, 1, 1]),
    "images-cut.idx.gz": gzip.compress(images, mtime=0)[:-10],
    # No images, each of 0xffffffff x 0xffffffff pixels: the pixel count overflows.
    "images-huge.idx": struct.pack(">IIII", 0x803, 0, 0xFFFFFFFF, 0xFFFFFFFF),
    "labels-0.idx": struct.pack(">II", 0x801, 0),
}
for name, data in files.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
