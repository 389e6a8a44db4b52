#pragma once
// Expr IR -> LLVM IR: one loop evaluating every output formula per element.
#include <string>

#include <llvm/IR/Module.h>

#include "backend/FormulaJIT.h"

namespace nnc::backend {

// Adds `void name(i64 n, ptr x, ptr params, ptr outputs)` to `module`.
llvm::Function* lowerKernel(llvm::Module& module, const KernelSpec& spec, const std::string& name);

}  // namespace nnc::backend
