#pragma once
// How much memory training a model needs, estimated before anything is
// allocated, so a model that cannot fit is refused up front with the size it
// needs rather than failing (or swapping) an hour in.
#include <cstdint>
#include <optional>

#include "frontend/Model.h"
#include "support/Diagnostics.h"

namespace nnc::driver {

struct TrainingMemory {
  double parameterBytes = 0;   // float32 parameters, their gradients, the optimiser's moments
  double activationBytes = 0;  // one batch: every layer's outputs, ~3 copies for forward and backward
  double total() const { return parameterBytes + activationBytes; }
};

TrainingMemory estimateTrainingMemory(const frontend::ModelDef& model, const frontend::TrainingDef& training);

// The machine's physical memory in bytes (sysconf); nullopt if unknown.
std::optional<double> physicalMemoryBytes();

// An error at the model if training it needs more than `available` bytes;
// returns whether it fits.
bool checkTrainingMemory(const frontend::ModelDef& model, const frontend::TrainingDef& training, double available,
                         const SourceBuffer* source, Diagnostics& diags);

}  // namespace nnc::driver
