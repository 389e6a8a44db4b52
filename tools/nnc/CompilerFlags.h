#pragma once
// The compiler flags every model command shares (compile, train, check,
// predict, backprop): -O0..-O3, --passes, --print-after, --stats and the
// warning flags -Werror, -Wno-NAME, -w; and the one place that turns a
// model into its optimised graph with them.
#include <optional>
#include <ostream>
#include <vector>

#include "passes/Pipeline.h"
#include "tools/nnc/ModelInput.h"
#include "tools/nnc/Options.h"

namespace nnc::cli {

struct CompilerFlags {
  passes::PipelineOptions pipeline;
  passes::LintSettings lints;
  bool stats = false;
};

std::vector<OptionSpec> compilerOptions();

// Reads the flags of compilerOptions(); nullopt (with errors) if one is bad.
std::optional<CompilerFlags> parseCompilerFlags(const ParsedOptions& options, Diagnostics& diags, bool training);

// The model's graph after the pipeline the flags choose. Lint findings go
// to `diags`; --print-after output and --stats to `log`. Nullopt if a lint
// or pass reported an error.
// `trained`: parameter values for inference passes (fold-linear), or null.
std::optional<ir::Graph> compileModelGraph(const frontend::ModelDef& model, const LoadedProgram& loaded,
                                           const CompilerFlags& flags, Diagnostics& diags, std::ostream& log,
                                           passes::TrainedParameters* trained = nullptr);

// The statistics as `nnc ... --stats` prints them.
std::string formatStatistics(const passes::PassContext& context);

}  // namespace nnc::cli
