#pragma once
// Checkpoints of a training run: the model's parameters (PyTorch's names),
// the optimiser's state and the epoch reached, for --save and --load.
#include <cstdint>
#include <optional>
#include <string>

#include "backend/CompiledModel.h"
#include "frontend/Model.h"
#include "passes/Pass.h"
#include "runtime/Checkpoint.h"
#include "runtime/Optimizer.h"
#include "runtime/TestLossWatch.h"
#include "support/Diagnostics.h"

namespace nnc::driver {

// Copies every parameter from the checkpoint, reporting each one missing or
// of the wrong shape ("{source} has no tensor 'x' for {owner}"); true if all fit.
bool loadParameters(const runtime::Checkpoint& checkpoint, const std::string& source, const std::string& owner,
                    const std::vector<runtime::ParameterRef>& parameters, Diagnostics& diags);

// `watch`: the test loss so far (early stopping and the plateau schedule
// go on with it when the run resumes).
runtime::Checkpoint makeCheckpoint(backend::CompiledModel& model, runtime::Optimizer& optimizer, int64_t epoch,
                                   const std::string& modelName, const runtime::TestLossWatch* watch = nullptr);

// Records the seed and batch of the training run in the checkpoint: the
// seed chose the test data held out of the training data, which nnc
// evaluate takes again, in the run's batches.
void recordTrainingRun(runtime::Checkpoint& checkpoint, const frontend::TrainingDef& training);
// The seed and batch a checkpoint records; nullopt for each it lacks.
std::optional<uint64_t> recordedSeed(const runtime::Checkpoint& checkpoint);
std::optional<int64_t> recordedBatch(const runtime::Checkpoint& checkpoint);

// "" if `checkpoint` can hold `modelName`'s weights, else why not (it holds
// gradients written by nnc backprop).
std::string weightsProblem(const runtime::Checkpoint& checkpoint, const std::string& modelName);

// The tensors of a checkpoint that can be `model`'s weights: named after one
// of its layers ("fc1.weight", "fc1.swish.beta"), of its formula values
// with learnable parameters ("g.beta") or of its layernorm, conv2d,
// batchnorm and embedding values ("n.weight", "bn.running_mean"). Others (another model's,
// a huge unrelated one) are not read into memory.
runtime::TensorFilter modelTensors(const frontend::ModelDef& model);

// A checkpoint's tensors as the values inference passes read (fold-linear).
passes::TrainedParameters trainedParameters(const runtime::Checkpoint& checkpoint);

// Loads a checkpoint into the model and optimiser after checking it fits
// them; returns the epochs done, and fills `watch` (if given) with the test
// loss so far (a fresh run's if the checkpoint has none).
std::optional<int64_t> restore(const std::string& path, const std::string& modelName, backend::CompiledModel& model,
                               runtime::Optimizer& optimizer, Diagnostics& diags,
                               runtime::TestLossWatch* watch = nullptr);

}  // namespace nnc::driver
