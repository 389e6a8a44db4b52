#pragma once
// Loading a .nn program for the model commands (train, compile): the file,
// its imports, and the model's graph with its backward part.
#include <memory>
#include <optional>
#include <string>

#include "frontend/Model.h"
#include "ir/Graph.h"
#include "support/Diagnostics.h"

namespace nnc::cli {

struct LoadedProgram {
  std::unique_ptr<ir::ExprContext> exprs = std::make_unique<ir::ExprContext>();
  frontend::Program program;
};

std::optional<LoadedProgram> loadProgram(const std::string& path, Diagnostics& diags);

// The forward and backward graph of a model, verified.
ir::Graph buildTrainingGraph(const frontend::ModelDef& model, ir::ExprContext& exprs);

}  // namespace nnc::cli
