#pragma once
// Semantic checks and lowering of the AST to the Expr IR: name resolution
// (with "did you mean" suggestions), arity, activation calls (inlined),
// recursion between activations, constant parameter defaults.
#include <string>
#include <vector>

#include "frontend/AST.h"
#include "frontend/Module.h"
#include "support/Diagnostics.h"

namespace nnc::frontend {

// Checks a parsed file. Activations with errors are left out of the result;
// all errors are reported.
Module analyzeFile(const ast::File& file, const SourceBuffer& source, ir::ExprContext& ctx,
                   Diagnostics& diags);

// A name in a formula that is neither the variable, a constant nor a
// function: a parameter the caller must bind (or keep symbolic).
struct FreeName {
  std::string name;
  SourceRange range;  // its first use
};

struct FormulaResult {
  ir::ExprRef expr = nullptr;  // null on error
  std::vector<FreeName> freeNames;
};

// Checks a formula in the variable `variable`. It may call the activations
// of `library` (parameters it does not pass take their defaults).
FormulaResult analyzeFormula(const ast::Expr& formula, const SourceBuffer& source,
                             const Module* library, const std::string& variable,
                             ir::ExprContext& ctx, Diagnostics& diags);

}  // namespace nnc::frontend
