#pragma once
// Reads IDX files, the format of MNIST and Fashion-MNIST: a big-endian magic
// number (two zero bytes, a type code, the rank), one big-endian uint32 per
// dimension, then the elements, big-endian and row-major. Gzip files (the
// form they are distributed in) are decompressed while read.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/Dataset.h"
#include "runtime/Tensor.h"
#include "support/Diagnostics.h"

namespace nnc::runtime {

// The element type codes of the format (the magic number's third byte).
enum class IdxType : uint8_t {
  UByte = 0x08,
  Byte = 0x09,
  Short = 0x0B,
  Int = 0x0C,
  Float = 0x0D,
  Double = 0x0E,
};

// "ubyte", "byte", "short", "int", "float", "double".
std::string_view idxTypeName(IdxType type);

// An IDX file's contents in its own shape, values as stored (not scaled).
// Converting to float32 is exact except for ints beyond 2^24 and doubles.
struct IdxArray {
  IdxType type;
  Tensor values;
};

// Any IDX file, of any type and rank.
std::optional<IdxArray> readIdx(const std::string& path, Diagnostics& diags);

// An MNIST-style pair: ubyte images [N, rows, cols] (magic 0x00000803) and
// ubyte labels [N] (magic 0x00000801). Features are the images flattened to
// [N, rows * cols] and scaled to [0, 1]; numClasses is the largest label + 1.
// Reports every problem it finds in either file.
std::optional<Dataset> loadIdxDataset(const std::string& imagesPath, const std::string& labelsPath,
                                      Diagnostics& diags);

}  // namespace nnc::runtime
