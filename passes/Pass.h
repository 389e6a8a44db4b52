#pragma once
// The pass interface: every Graph -> Graph transformation and every lint is
// a function `bool run(Graph&, PassContext&)` that returns "changed", named
// once in Passes.def. The context carries what passes report (diagnostics,
// statistics) and what some of them need (the source text, lint settings).
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Graph.h"
#include "support/Diagnostics.h"

namespace nnc::passes {

// Trained parameter values by name, for passes that fold parameters
// together at inference (fold-linear); float32, row-major.
struct TrainedParameter {
  ir::TensorShape shape;
  std::vector<float> values;
};
using TrainedParameters = std::map<std::string, TrainedParameter>;

// Which lints report, and whether their warnings are errors (-Werror).
struct LintSettings {
  std::set<std::string> disabled;   // lint names given as -Wno-NAME
  bool warningsAreErrors = false;
  bool silent = false;              // -w: no warnings at all
};

class PassContext {
public:
  PassContext(Diagnostics& diags, const SourceBuffer* source, LintSettings lints = {})
      : diags_(diags), source_(source), lints_(std::move(lints)) {}

  Diagnostics& diags() { return diags_; }
  // The text the graph's source ranges point into (the model's file).
  const SourceBuffer* source() const { return source_; }

  // A lint finding at `range`: a warning tagged [-WNAME], an error under
  // -Werror, nothing if the lint is disabled. Returns whether it was shown.
  bool warn(std::string_view lint, SourceRange range, std::string message);
  // A lint's observation that is not a problem: a note tagged [-WNAME],
  // never an error (not even under -Werror); nothing if disabled.
  bool remark(std::string_view lint, SourceRange range, std::string message);
  void note(SourceRange range, std::string message) { diags_.note(source_, range, std::move(message)); }
  void error(SourceRange range, std::string message) { diags_.error(source_, range, std::move(message)); }
  bool lintEnabled(std::string_view lint) const;

  // Trained values, when the graph is compiled for inference with them;
  // null otherwise. Passes may add parameters they create.
  TrainedParameters* trainedParameters() const { return trained_; }
  void setTrainedParameters(TrainedParameters* trained) { trained_ = trained; }
  // The trained values, or null after reporting that `pass` needs them.
  TrainedParameters* requireTrainedParameters(std::string_view pass);

  // Statistics (--stats): `what` the running pass did, `count` times.
  void count(std::string_view what, int64_t count = 1);
  void setCurrentPass(std::string_view name) { currentPass_ = name; }
  // pass name -> description -> count, in name order.
  const std::map<std::string, std::map<std::string, int64_t>>& statistics() const { return statistics_; }

private:
  Diagnostics& diags_;
  const SourceBuffer* source_;
  LintSettings lints_;
  TrainedParameters* trained_ = nullptr;
  std::string currentPass_;
  std::map<std::string, std::map<std::string, int64_t>> statistics_;
};

// A parameter a fold makes from trained ones (fold-linear, fold-batchnorm):
// a Parameter node `name` of `layer` at `range`, its values recorded in
// `trained` so that inference loads them like the saved ones.
ir::ValueId addFoldedParameter(ir::Graph& graph, TrainedParameters& trained, const std::string& name,
                               const std::string& layer, SourceRange range, TrainedParameter value);

using PassFunction = bool (*)(ir::Graph&, PassContext&);

// Where in a pipeline a pass may run; a list must not go back to an earlier
// stage (Any passes aside).
enum class PassStage {
  Lint,      // reads the forward graph as the model built it
  Forward,   // changes the forward graph that autodiff differentiates
  Autodiff,
  Any,       // correct before or after autodiff
};

struct PassInfo {
  std::string_view name;       // as written in --passes= and --print-after=
  PassFunction run;
  PassStage stage;
  std::string_view summary;    // one line for --help and docs
};

// The warnings lints report, as named in -Wno-NAME and shown as [-WNAME].
std::span<const std::string_view> lintWarningNames();

// Every pass, in Passes.def order.
std::span<const PassInfo> allPasses();
const PassInfo* findPass(std::string_view name);

// The passes, declared from the table.
#define NNC_PASS(name, function, stage, summary) bool function(ir::Graph& graph, PassContext& context);
#include "passes/Passes.def"

}  // namespace nnc::passes
