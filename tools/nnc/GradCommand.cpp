// nnc grad: print a simplified derivative of a formula.
#include <fmt/format.h>

#include "ir/Diff.h"
#include "ir/Printer.h"
#include "ir/Simplify.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/FormulaInput.h"

namespace nnc::cli {

namespace {

constexpr uint32_t kMaxPrintedNodes = 2'000'000;

const char* kUsage =
    "usage: nnc grad FORMULA [--order N] [--wrt NAME] [--param NAME=VALUE]...\n"
    "       nnc grad --file F.nn --act NAME [options]\n"
    "\n"
    "Prints the simplified derivative of FORMULA (in the variable x) on one line,\n"
    "in the input syntax, so `nnc eval \"$(nnc grad F)\"` evaluates it.\n"
    "Parameters stay symbolic unless bound with --param.\n\n";

std::vector<OptionSpec> gradOptions() {
  std::vector<OptionSpec> specs = formulaOptions();
  specs.push_back({"help", "", "show this help"});
  return specs;
}

// The derivative of `order` in `variable`, simplified, with the --param
// values in; empty (with the error) if it cannot be printed.
std::optional<ir::ExprRef> printableDerivative(ir::ExprContext& ctx, const FormulaInput& input,
                                               const std::string& variable, long order, Diagnostics& diags) {
  ir::Derivatives result = ir::derivatives(ctx, input.expr, variable, static_cast<int>(order));
  if (!result.error.empty()) {
    diags.error(result.error);
    return std::nullopt;
  }
  // --param values go in after differentiating, so --wrt beta --param beta=2
  // is the derivative in beta, evaluated at beta = 2.
  std::vector<ir::Binding> bound;
  for (const FormulaParameter& p : input.parameters)
    if (p.boundOnCommandLine) bound.push_back({p.name, ctx.constant(*p.value)});
  if (!bound.empty()) result.orders.back() = ir::simplify(ctx, ir::substitute(ctx, result.orders.back(), bound));
  // Shared subformulas print once per use: a DAG of modest size can print
  // as gigabytes. Refuse rather than hang.
  ir::ExprRef derivative = result.orders.back();
  if (derivative->treeSize() > kMaxPrintedNodes) {
    diags.error(fmt::format("the derivative of order {} has more than {} nodes when written out; too large to "
                            "print (nnc eval can still evaluate it)",
                            order, kMaxPrintedNodes));
    return std::nullopt;
  }
  return derivative;
}

}  // namespace

int runGrad(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  ir::ExprContext ctx;
  std::vector<OptionSpec> specs = gradOptions();
  FormulaRequest request = parseFormulaRequest("grad", specs, args, 1, ctx, diags);
  if (request.wantsHelp()) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  if (diags.hasErrors() || !request.complete()) {
    return failWith(err, diags);
  }
  FormulaInput& input = *request.input;
  long order = *request.order;
  // A gate of several inputs without --wrt: its derivative in each input,
  // one line each ("d/da: ...").
  if (!input.otherVariables.empty() && !request.options->has("wrt")) {
    std::vector<std::string> variables{input.variable};
    variables.insert(variables.end(), input.otherVariables.begin(), input.otherVariables.end());
    for (const std::string& variable : variables) {
      std::optional<ir::ExprRef> derivative = printableDerivative(ctx, input, variable, order, diags);
      if (!derivative) return failWith(err, diags);
      out << "d/d" << variable << ": " << ir::print(*derivative) << "\n";
    }
    return 0;
  }
  std::optional<ir::ExprRef> derivative = printableDerivative(ctx, input, *request.variable, order, diags);
  if (!derivative) return failWith(err, diags);
  out << ir::print(*derivative) << "\n";
  return 0;
}

}  // namespace nnc::cli

