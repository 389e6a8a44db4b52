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

// The largest output of each unit of a layer over some training steps: a
// relu unit whose largest output is 0 had a zero slope for every sample and
// received no gradient (a dead unit).
struct LayerOutputMaxima {
  std::string layer;
  Tensor maxima;  // [units]
};

// What a batch is compared with: class indices, or real-valued targets
// [B, T] (regression, multi-label). Converts from the labels.
struct BatchTargets {
  std::span<const int32_t> labels;
  const Tensor* values = nullptr;

  BatchTargets(std::span<const int32_t> classes) : labels(classes) {}
  BatchTargets(const std::vector<int32_t>& classes) : labels(classes) {}
  explicit BatchTargets(const Tensor& targets) : values(&targets) {}
};

class Trainable {
public:
  virtual ~Trainable() = default;
  // The prediction for a batch x [N, F]; valid until the next call.
  virtual const Tensor& predict(const Tensor& x) = 0;
  // Forward, loss and backward for a batch; returns the mean loss. The
  // gradients of parameters() are then ready for an optimiser step.
  virtual double trainStep(const Tensor& x, const BatchTargets& targets) = 0;
  // The number of the training step to run next (the optimiser's count of
  // steps taken, so a resumed run goes on where it stopped): what draws its
  // dropout masks. Without it a model counts its own steps from 0.
  virtual void setTrainingStep(int64_t step) { (void)step; }
  // Where the next batch of `rows` samples can be written so that trainStep
  // on that same tensor reads it in place instead of copying it in; null if
  // the model has no such place. Valid until the next call of any method.
  virtual Tensor* inputBatch(int64_t rows) {
    (void)rows;
    return nullptr;
  }
  virtual std::vector<ParameterRef> parameters() = 0;
  // The prediction of the last trainStep's batch (from its forward pass,
  // before the optimiser's step), for the training metrics; null if the
  // model does not keep it. Valid until the next call of any method.
  virtual const Tensor* lastTrainingPrediction() const { return nullptr; }
  virtual Loss loss() const = 0;
  // After a non-finite loss or gradient on batch (x, targets): runs that
  // step again and returns the first layer, in execution order, whose output
  // or gradient is not finite (where the trouble started).
  virtual std::optional<std::string> firstNonFiniteLayer(const Tensor& x, const BatchTargets& targets) = 0;
  // From now on, trainStep (not predict) keeps the output maxima of these
  // layers; unknown names are ignored. Costs one pass over each layer's
  // [N, units] output per step.
  virtual void trackOutputMaxima(const std::vector<std::string>& layers) = 0;
  // The maxima since tracking began or since the last call, which starts
  // them again (at -infinity).
  virtual std::vector<LayerOutputMaxima> takeOutputMaxima() = 0;
};

}  // namespace nnc::runtime
