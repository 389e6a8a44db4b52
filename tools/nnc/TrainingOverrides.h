#pragma once
// The options that override a `train` declaration's settings, shared by
// nnc train and nnc sweep: --epochs, --batch, --lr, --seed.
#include <vector>

#include "frontend/Model.h"
#include "tools/nnc/Options.h"

namespace nnc::cli {

std::vector<OptionSpec> trainingOverrideOptions();

// Applies the options given to `training`; errors for bad values.
void applyTrainingOverrides(const ParsedOptions& options, frontend::TrainingDef& training, Diagnostics& diags);

}  // namespace nnc::cli
