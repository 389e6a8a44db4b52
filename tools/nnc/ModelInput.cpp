#include "tools/nnc/ModelInput.h"

#include "frontend/GraphBuilder.h"
#include "frontend/ModelSema.h"
#include "passes/Autodiff.h"

namespace nnc::cli {

std::optional<LoadedProgram> loadProgram(const std::string& path, Diagnostics& diags) {
  LoadedProgram loaded;
  std::optional<frontend::Program> program = frontend::analyzeProgram(path, *loaded.exprs, diags);
  if (!program || diags.hasErrors()) return std::nullopt;
  loaded.program = std::move(*program);
  return loaded;
}

ir::Graph buildTrainingGraph(const frontend::ModelDef& model, ir::ExprContext& exprs) {
  ir::Graph graph = frontend::buildForwardGraph(model, exprs);
  passes::appendBackward(graph);
  return graph;
}

}  // namespace nnc::cli
