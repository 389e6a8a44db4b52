#pragma once
// Turning a model into native code: the one place that builds its graph,
// runs the pass pipeline with the lints, and JIT-compiles the result. The
// CLI, the REPL and the library all compile through here.
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>

#include "backend/CompiledModel.h"
#include "backend/FormulaJIT.h"
#include "driver/Program.h"
#include "passes/Pipeline.h"

namespace nnc::driver {

struct CompilerSettings {
  passes::PipelineOptions pipeline;
  passes::LintSettings lints;
  bool stats = false;  // count what each pass did, written to the log
};

// The model's graph after the pipeline. Lint findings go to `diags`;
// --print-after output and statistics to `log`. Nullopt if a lint or pass
// reported an error. `trained`: parameter values for inference passes
// (fold-linear), or null.
std::optional<ir::Graph> compileModelGraph(const frontend::ModelDef& model, const LoadedProgram& loaded,
                                           const CompilerSettings& settings, Diagnostics& diags, std::ostream& log,
                                           passes::TrainedParameters* trained = nullptr);

// The statistics as `nnc ... --stats` prints them.
std::string formatStatistics(const passes::PassContext& context);

// A graph compiled by the JIT, with the JIT that owns its code.
struct NativeModel {
  std::unique_ptr<backend::FormulaJIT> jit;
  std::unique_ptr<backend::CompiledModel> model;
};

// `seed` draws the initial weights. Nullopt after an error (the JIT cannot
// start, or code generation failed).
std::optional<NativeModel> compileNative(ir::Graph graph, uint64_t seed, Diagnostics& diags);

}  // namespace nnc::driver
