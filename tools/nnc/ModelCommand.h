#pragma once
// What predict and backprop share: a model of a .nn file, compiled, with its
// weights loaded from a checkpoint, and a CSV data set to run it on.
#include <memory>
#include <optional>
#include <string>

#include "backend/CompiledModel.h"
#include "runtime/Dataset.h"
#include "tools/nnc/ModelInput.h"
#include "tools/nnc/Options.h"

namespace nnc::cli {

struct ReadyModel {
  LoadedProgram loaded;
  std::unique_ptr<backend::FormulaJIT> jit;
  std::unique_ptr<backend::CompiledModel> model;
  runtime::Dataset data;
};

// Options: the .nn file (positional), --weights, --data, optional --model,
// and the compiler flags; --print-after and --stats output goes to `log`.
std::optional<ReadyModel> prepareModel(const ParsedOptions& options, Diagnostics& diags, std::ostream& log);

std::vector<OptionSpec> modelOptions();

}  // namespace nnc::cli
