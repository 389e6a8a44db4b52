#pragma once
// What training a model needs besides its code: its data, loaded and
// checked against the model, and its optimiser. `nnc train` and the
// library's Model::train prepare a run through here.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "frontend/Model.h"
#include "runtime/Dataset.h"
#include "runtime/Optimizer.h"
#include "runtime/Schedule.h"
#include "runtime/Trainer.h"
#include "support/Diagnostics.h"

namespace nnc::driver {

// The samples a `train` declaration names (idx or csv), with class labels
// or, if `targetColumns` > 0, that many real-valued targets per sample.
std::optional<runtime::Dataset> loadDataSource(const frontend::DataSource& source, int64_t targetColumns,
                                               Diagnostics& diags);

// Checks that a data set's labels suit the model's output and loss (one
// unit per class for cross_entropy, 0/1 labels and one unit for the bce
// losses), or that it has the model's real-valued targets; errors point at
// `range` in `source`.
void checkTargets(const frontend::ModelDef& model, const runtime::Dataset& data, const SourceBuffer* source,
                  SourceRange range, const char* what, Diagnostics& diags);

struct TrainingData {
  runtime::Dataset train, test;
};

// The training and test data of `training` (the test data held out of the
// training data when the declaration names none), checked against `model`:
// features, labels or targets, neither empty. Errors point at the
// declaration's data sources in `source`. Nullopt after an error.
std::optional<TrainingData> loadTrainingData(const frontend::ModelDef& model, const frontend::TrainingDef& training,
                                             const SourceBuffer* source, Diagnostics& diags);

// The optimiser a `train` declaration configures.
runtime::OptimizerSettings optimizerSettings(const frontend::OptimizerDef& def);

// Its learning-rate schedule.
runtime::LearningRateSchedule learningRateSchedule(const frontend::ScheduleDef& def);

// Each layer's weight-gradient norm of an epoch, in forward order
// (--grad-norms, the sweep's gradient-norm ratio).
std::vector<std::pair<std::string, double>> layerGradientNorms(const frontend::ModelDef& model,
                                                               const runtime::EpochReport& report);

// The training loop's settings a `train` declaration gives: epochs, batch,
// seed, schedule, gradient clipping.
runtime::TrainSettings trainSettings(const frontend::TrainingDef& training);

}  // namespace nnc::driver
