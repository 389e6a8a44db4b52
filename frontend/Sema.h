#pragma once
// Semantic checks and lowering of the AST to the Expr IR: name resolution
// (with "did you mean" suggestions), arity, activation calls (inlined),
// recursion between activations, constant parameter defaults.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "frontend/AST.h"
#include "frontend/Module.h"
#include "support/Diagnostics.h"

namespace nnc::frontend {

// How deep a formula may nest once the activations it calls are inlined.
// Each file's nesting is limited by the parser (kMaxNesting), but calls
// compose: a1(x) = a0(a0(x)), a2(x) = a1(a1(x)), ... doubles the depth at
// each step, and the simplifier and differentiator take time quadratic in it
// (a third of a second at this limit, 20 times that in a sanitizer build;
// minutes, or a stack overflow, at 2^16).
inline constexpr uint32_t kMaxInlinedHeight = 256;

// Checks a parsed file. Activations with errors are left out of the result;
// all errors are reported.
Module analyzeFile(const ast::File& file, const SourceBuffer& source, ir::ExprContext& ctx,
                   Diagnostics& diags);
// The same for a file that imports activations: its own may call those of
// `imported` (a name it defines itself is its own).
Module analyzeFile(const ast::File& file, const SourceBuffer& source, const Module& imported,
                   ir::ExprContext& ctx, Diagnostics& diags);

// A constant expression (numbers, pi, built-in functions of them): a
// parameter value written in a model. `what` names it in errors ("the value
// of 'slope'"). Empty after an error.
std::optional<double> analyzeConstant(const ast::Expr& e, const std::string& what, const SourceBuffer& source,
                                      ir::ExprContext& ctx, Diagnostics& diags);

// A name in a formula that is neither the variable, a constant nor a
// function: a parameter the caller must bind (or keep symbolic).
struct FreeName {
  std::string name;
  SourceRange range;  // its first use
};

struct FormulaResult {
  ir::ExprRef expr = nullptr;  // null on error
  std::vector<FreeName> freeNames;
  // The learnable parameters of the activations it calls that it does not
  // pass: the formula's own, with their defaults, as for an activation
  // (docs/language.md).
  std::vector<ParameterDef> liftedParameters;
};

// Checks a formula in the variable `variable`. It may call the activations
// of `library` (parameters it does not pass take their defaults, or, if
// learnable, become the formula's).
FormulaResult analyzeFormula(const ast::Expr& formula, const SourceBuffer& source,
                             const Module* library, const std::string& variable,
                             ir::ExprContext& ctx, Diagnostics& diags);

// Resolves a name or call in a formula over a model's tensors (a value, a
// dense layer applied to one, concat(...)) to the Var it becomes, reporting
// its errors; empty if it is none of those (a function or activation call).
using TensorOperandResolver = std::function<std::optional<std::string>(const ast::Expr&)>;

// Checks an elementwise formula over a model's values, `owner` ("value
// 'h2'") naming it in errors. Names and calls `resolve` accepts become its
// Vars; the formula may call the activations of `library`, gates of
// several inputs among them. `valueNames` are all the model's value
// names (for suggestions, and no lifted parameter may take one).
FormulaResult analyzeTensorFormula(const ast::Expr& formula, const SourceBuffer& source, const Module* library,
                                   const std::string& owner, const std::vector<std::string>& valueNames,
                                   const TensorOperandResolver& resolve, ir::ExprContext& ctx, Diagnostics& diags);

// The formula with its lifted parameters at their defaults: what a plot or
// an evaluation that binds no parameters computes.
ir::ExprRef atParameterDefaults(ir::ExprContext& ctx, const FormulaResult& result);

}  // namespace nnc::frontend
