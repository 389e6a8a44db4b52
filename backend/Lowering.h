#pragma once
// Expr IR -> LLVM IR: one loop evaluating every output formula per element.
#include <string>

#include <llvm/IR/Module.h>

#include "backend/FormulaJIT.h"

namespace nnc::backend {

// Adds `void name(i64 rows, i64 cols, i64 stride, ptr inputs, ptr params,
// ptr outputs, ptr columnSums)` to `module` (see FormulaJIT.h).
// The caller checks the spec first: every Var its formulas read must be
// one of its inputs or parameters.
llvm::Function* lowerKernel(llvm::Module& module, const KernelSpec& spec, const std::string& name);

// Empty if every Var of the spec's formulas is bound; else an internal
// error naming the first that is not.
std::string unboundVariableProblem(const KernelSpec& spec);

}  // namespace nnc::backend
