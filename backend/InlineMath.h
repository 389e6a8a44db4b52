#pragma once
// Transcendentals emitted as plain LLVM IR for float32 kernels, instead of
// calls to libm: the loop vectoriser keeps them in registers beside the rest
// of the formula, where a libmvec call costs a call, spills and a slower
// general routine (a 16-wide expf call measured ~21 cycles of latency here).
// With libm's special values (NaN, infinities, overflow, underflow); the
// accuracy of each is tested in tests/unit/JitTest.cpp.
#include <llvm/IR/IRBuilder.h>

namespace nnc::backend {

// exp(x) for a float x, within 2 ulp.
llvm::Value* emitExpF32(llvm::IRBuilder<>& b, llvm::Value* x);

// erf(x) for a float x, within 4e-7 absolute and 8 ulp (3e-7 and 5 ulp with FMA).
llvm::Value* emitErfF32(llvm::IRBuilder<>& b, llvm::Value* x);

}  // namespace nnc::backend
