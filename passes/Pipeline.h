#pragma once
// Runs a list of passes over a graph: the list of an -O level or one the
// user gives (--passes=a,b,c), printing the graph after the passes asked
// for (--print-after) and verifying it after every pass.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "passes/Pass.h"

namespace nnc::passes {

struct PipelineOptions {
  int optimizationLevel = 2;                          // -O0 .. -O3
  std::optional<std::vector<std::string>> passes;     // --passes: exactly these
  std::vector<std::string> printAfter;                // pass names, or "all"
  bool training = true;                               // the graph needs its backward part
  bool foldLinear = false;                            // fold collapsing layers (inference, with weights)
};

class Pipeline {
public:
  // Checks the names (unknown ones get a "did you mean"); nullopt on error.
  static std::optional<Pipeline> create(const PipelineOptions& options, Diagnostics& diags);

  // The lints alone, as `nnc check` runs them.
  static Pipeline lintsOnly();

  const std::vector<const PassInfo*>& passes() const { return passes_; }

  // Runs every pass in order; after each, verifies the graph (a failure is
  // an internal error naming the pass) and prints it to `printTo` if asked.
  // Stops after the first pass that reports an error. Returns false if any
  // pass reported an error.
  bool run(ir::Graph& graph, PassContext& context, std::ostream* printTo = nullptr) const;

private:
  std::vector<const PassInfo*> passes_;
  std::vector<std::string> printAfter_;
};

// The pass names of an -O level, in order (without autodiff unless
// training; with fold-linear first if asked).
std::vector<std::string> passesForLevel(int level, bool training, bool foldLinear = false);

}  // namespace nnc::passes
