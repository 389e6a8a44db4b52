#pragma once
// Loading a .nn program for the model commands (train, compile, check,
// predict, backprop): the file and its imports, and label checks.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frontend/Model.h"
#include "ir/Graph.h"
#include "runtime/Dataset.h"
#include "runtime/Optimizer.h"
#include "support/Diagnostics.h"

namespace nnc::cli {

struct LoadedProgram {
  std::unique_ptr<ir::ExprContext> exprs = std::make_unique<ir::ExprContext>();
  frontend::Program program;
};

std::optional<LoadedProgram> loadProgram(const std::string& path, Diagnostics& diags);

// Every file the program reads: the .nn file, its imports, and the data
// files of its `train` declarations (outputs must not replace them).
std::vector<std::string> programInputs(const frontend::Program& program);

// The samples a `train` declaration names (idx or csv), with class labels
// or, if `targetColumns` > 0, that many real-valued targets per sample.
std::optional<runtime::Dataset> loadDataSource(const frontend::DataSource& source, int64_t targetColumns,
                                               Diagnostics& diags);

// The optimiser a `train` declaration configures.
runtime::OptimizerSettings optimizerSettings(const frontend::OptimizerDef& def);

// Checks that a data set's labels suit the model's output and loss (one
// unit per class for cross_entropy, 0/1 labels and one unit for the bce
// losses), or that it has the model's real-valued targets; errors point at
// `range` in `source`.
void checkTargets(const frontend::ModelDef& model, const runtime::Dataset& data, const SourceBuffer* source,
                 SourceRange range, const char* what, Diagnostics& diags);

}  // namespace nnc::cli
