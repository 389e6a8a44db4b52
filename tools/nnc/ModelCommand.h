#pragma once
// The options predict and backprop share, read into the driver's request
// for a compiled model with loaded weights and data.
#include <optional>
#include <ostream>
#include <vector>

#include "driver/Inference.h"
#include "tools/nnc/Options.h"

namespace nnc::cli {

// What a command's --data may be.
enum class DataRule {
  Labelled,         // required, with labels or targets (backprop)
  MayBeUnlabelled,  // required; rows may hold the features only (predict)
  Optional,         // without it, the test data of the model's `train` declaration (evaluate)
};

// Options: the .nn file (positional), --weights, --data, optional --model,
// and the compiler flags; --print-after and --stats output goes to `log`.
// `training`: compile the backward part too (backprop); predict needs only
// the forward graph.
std::optional<driver::ReadyModel> prepareModel(const ParsedOptions& options, bool training, DataRule data,
                                               Diagnostics& diags, std::ostream& log);

std::vector<OptionSpec> modelOptions();

}  // namespace nnc::cli
