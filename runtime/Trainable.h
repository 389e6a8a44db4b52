#pragma once
// What the training loop needs from a compiled model, whether JIT-compiled
// (backend/CompiledModel) or ahead-of-time: the runtime links no compiler.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "runtime/Loss.h"
#include "runtime/Optimizer.h"
#include "runtime/Tensor.h"

namespace nnc::runtime {

class Trainable {
public:
  virtual ~Trainable() = default;
  // The prediction for a batch x [N, F]; valid until the next call.
  virtual const Tensor& predict(const Tensor& x) = 0;
  // Forward, loss and backward for a batch; returns the mean loss. The
  // gradients of parameters() are then ready for an optimiser step.
  virtual double trainStep(const Tensor& x, std::span<const int32_t> labels) = 0;
  virtual std::vector<ParameterRef> parameters() = 0;
  virtual Loss loss() const = 0;
  // After a non-finite loss or gradient on batch (x, labels): runs that
  // step again and returns the first layer, in execution order, whose output
  // or gradient is not finite (where the trouble started).
  virtual std::optional<std::string> firstNonFiniteLayer(const Tensor& x, std::span<const int32_t> labels) = 0;
};

}  // namespace nnc::runtime
