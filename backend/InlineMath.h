#pragma once
// Transcendentals emitted as plain LLVM IR for float32 kernels, instead of
// calls to libm: the loop vectoriser keeps them in registers beside the rest
// of the formula, where a libmvec call costs a call, spills and a slower
// general routine (a 16-wide expf call measured ~21 cycles of latency here).
// Within 2 ulp of the correctly rounded result (tests/unit/JitTest.cpp),
// with libm's special values (NaN, infinities, overflow, underflow).
#include <llvm/IR/IRBuilder.h>

namespace nnc::backend {

// exp(x) for a float x.
llvm::Value* emitExpF32(llvm::IRBuilder<>& b, llvm::Value* x);

}  // namespace nnc::backend
