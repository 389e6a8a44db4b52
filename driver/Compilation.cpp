#include "driver/Compilation.h"

#include <fmt/format.h>

#include "frontend/GraphBuilder.h"

namespace nnc::driver {

std::string formatStatistics(const passes::PassContext& context) {
  std::string out = "=== pass statistics ===\n";
  for (const auto& [pass, counters] : context.statistics())
    for (const auto& [what, count] : counters) out += fmt::format("{:>10} {} - {}\n", count, pass, what);
  return out;
}

std::optional<ir::Graph> compileModelGraph(const frontend::ModelDef& model, const LoadedProgram& loaded,
                                           const CompilerSettings& settings, Diagnostics& diags, std::ostream& log,
                                           passes::TrainedParameters* trained) {
  std::optional<passes::Pipeline> pipeline = passes::Pipeline::create(settings.pipeline, diags);
  if (!pipeline) return std::nullopt;
  ir::Graph graph = frontend::buildForwardGraph(model, *loaded.exprs);
  passes::PassContext context(diags, loaded.mainSource(), settings.lints);
  context.setTrainedParameters(trained);
  bool ok = pipeline->run(graph, context, &log);
  if (settings.stats) log << formatStatistics(context);
  if (!ok) return std::nullopt;
  return graph;
}

std::optional<NativeModel> compileNative(ir::Graph graph, uint64_t seed, Diagnostics& diags) {
  NativeModel native;
  std::string error;
  native.jit = backend::FormulaJIT::create(error);
  if (native.jit) native.model = backend::CompiledModel::compile(std::move(graph), *native.jit, seed, error);
  if (!native.model) {
    diags.error(error);
    return std::nullopt;
  }
  return native;
}

}  // namespace nnc::driver
