#pragma once
// Checkpoints: named tensors plus string metadata, stored in the safetensors
// format (https://github.com/huggingface/safetensors) so that PyTorch and the
// Hugging Face tools read what nnc saves, and nnc reads what they save.
//
// On top of plain safetensors, nnc records its format version and a CRC-32 in
// the metadata (over the header's bytes as stored and the data), so a
// damaged checkpoint is refused instead of trained on.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/Tensor.h"
#include "support/Diagnostics.h"

namespace nnc::runtime {

// Names follow PyTorch's nn.Linear ("fc1.weight" [out, in], "fc1.bias"
// [out]); other training state is named tensors too
// ("optimizer.adam.m.fc1.weight", "swish.beta").
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

struct Checkpoint {
  std::vector<NamedTensor> tensors;
  // Free-form strings (epoch, model file, ...). The keys "format" and
  // "nnc.crc32" belong to the file format: saving overwrites them, and
  // loading an nnc checkpoint removes them.
  std::map<std::string, std::string> metadata;

  // nullptr when no tensor has that name.
  const Tensor* find(std::string_view name) const;
};

// Writes atomically: readers of `path` see the old file or the new one, never
// a partial one, even if the process dies midway. Tensors are written in name
// order, so the same content always gives the same bytes. Reports to
// `diagnostics` and returns false on failure (duplicate or reserved tensor
// names, strings that are not UTF-8, I/O errors).
bool saveCheckpoint(const std::string& path, const Checkpoint& checkpoint, Diagnostics& diagnostics);

// Reads a float32 safetensors file, from nnc or another tool, validating
// every field before trusting it. Files that carry nnc's format metadata must
// also match their checksum. Tensors come back in name order. Reports to
// `diagnostics` and returns nullopt on any problem; never throws.
//
// With `wanted`, only the tensors it accepts are read into memory; the
// others' bytes pass through the checksum a piece at a time (a 4 GB tensor a
// model does not use costs no memory).
using TensorFilter = std::function<bool(std::string_view name)>;
std::optional<Checkpoint> loadCheckpoint(const std::string& path, Diagnostics& diagnostics,
                                         const TensorFilter& wanted = {});

}  // namespace nnc::runtime
