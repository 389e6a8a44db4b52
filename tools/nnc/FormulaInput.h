#pragma once
// What `nnc grad` and `nnc eval` work on: a formula from the command line or
// an activation from a .nn file (--file F --act NAME), its variable, and its
// parameters with any values given by --param or declared defaults.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frontend/Module.h"
#include "ir/Expr.h"
#include "support/Diagnostics.h"
#include "tools/nnc/Options.h"

namespace nnc::cli {

struct FormulaParameter {
  std::string name;
  std::optional<double> value;  // empty: no default and no --param
  SourceRange range;            // where it is declared or first used
  bool boundOnCommandLine = false;  // by --param
};

struct FormulaInput {
  std::vector<std::unique_ptr<SourceBuffer>> sources;  // the command-line formula
  std::vector<std::shared_ptr<const SourceBuffer>> fileSources;  // --file and its imports
  const SourceBuffer* formulaSource = nullptr;
  ir::ExprRef expr = nullptr;
  std::string variable = "x";
  std::vector<std::string> otherVariables;  // a gate's further inputs (activation swiglu(a, b))
  std::vector<FormulaParameter> parameters;

  const FormulaParameter* parameter(const std::string& name) const {
    for (const FormulaParameter& p : parameters)
      if (p.name == name) return &p;
    return nullptr;
  }
};

// The options every formula command takes.
std::vector<OptionSpec> formulaOptions();

// Reads the formula or activation; nullopt (with errors in diags) if bad.
std::optional<FormulaInput> loadFormula(const ParsedOptions& options, ir::ExprContext& ctx, Diagnostics& diags);

// What grad and eval share: the parsed options, the formula, the variable
// to differentiate by (--wrt, or the formula's own) and --order. A member is
// empty where its part had errors (all of which are in the Diagnostics).
struct FormulaRequest {
  std::optional<ParsedOptions> options;
  std::optional<FormulaInput> input;
  std::optional<std::string> variable;
  std::optional<long> order;
  bool wantsHelp() const { return options && options->has("help"); }
  bool complete() const { return options && input && variable && order; }
};

FormulaRequest parseFormulaRequest(const std::string& command, const std::vector<OptionSpec>& specs,
                                   const std::vector<std::string>& args, long defaultOrder, ir::ExprContext& ctx,
                                   Diagnostics& diags);

}  // namespace nnc::cli
