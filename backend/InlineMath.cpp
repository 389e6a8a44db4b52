#include "backend/InlineMath.h"

#include <cmath>

#include <llvm/IR/Intrinsics.h>

namespace nnc::backend {

namespace {

llvm::Value* constant(llvm::IRBuilder<>& b, double v) { return llvm::ConstantFP::get(b.getFloatTy(), v); }

// x * y + z, fused where the target has FMA (a plain multiply and add
// elsewhere: every use below is accurate either way).
llvm::Value* fma(llvm::IRBuilder<>& b, llvm::Value* x, llvm::Value* y, llvm::Value* z) {
  return b.CreateIntrinsic(llvm::Intrinsic::fmuladd, {b.getFloatTy()}, {x, y, z});
}

// 2^k for an integer k in [-126, 127], built from its exponent bits.
llvm::Value* powerOfTwo(llvm::IRBuilder<>& b, llvm::Value* k) {
  llvm::Value* bits = b.CreateShl(b.CreateAdd(k, b.getInt32(127)), b.getInt32(23));
  return b.CreateBitCast(bits, b.getFloatTy());
}

}  // namespace

// exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in
// [-ln2/2, ln2/2]:
// - r is accurate: ln 2 is split in a high part with few bits (n * high and
//   x - n * high are exact for |n| <= 150) and the low rest (Cody and Waite);
// - exp(r) is its Taylor polynomial to r^7 (error r^8/8! < 6e-9 relative
//   on that interval, under half an ulp), by Horner's rule with FMAs;
// - 2^n is applied as 2^(n/2) * 2^(n - n/2), so that n from -150 to 128
//   needs no special case: the product rounds to a subnormal, to 0 or to
//   infinity exactly where exp does.
// x is first clamped to [-104, 89], beyond which float exp is 0 or inf; NaN
// is kept aside (converting it to an integer would be poison) and returned.
llvm::Value* emitExpF32(llvm::IRBuilder<>& b, llvm::Value* x) {
  llvm::Value* isNaN = b.CreateFCmpUNO(x, x);
  llvm::Value* clamped = b.CreateSelect(b.CreateFCmpOGT(x, constant(b, 89.0)), constant(b, 89.0), x);
  clamped = b.CreateSelect(b.CreateFCmpOLT(clamped, constant(b, -104.0)), constant(b, -104.0), clamped);
  clamped = b.CreateSelect(isNaN, constant(b, 0.0), clamped);

  llvm::Value* n = b.CreateUnaryIntrinsic(llvm::Intrinsic::rint, b.CreateFMul(clamped, constant(b, M_LOG2E)));
  const double ln2High = 0.693359375;  // 9 significant bits
  const double ln2Low = M_LN2 - ln2High;
  llvm::Value* r = fma(b, n, constant(b, -ln2High), clamped);
  r = fma(b, n, constant(b, -ln2Low), r);

  llvm::Value* p = constant(b, 1.0 / 5040);
  for (double c : {1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1.0, 1.0}) p = fma(b, p, r, constant(b, c));

  llvm::Value* k = b.CreateFPToSI(n, b.getInt32Ty());
  llvm::Value* half = b.CreateAShr(k, b.getInt32(1));
  llvm::Value* y = b.CreateFMul(b.CreateFMul(p, powerOfTwo(b, half)), powerOfTwo(b, b.CreateSub(k, half)));
  return b.CreateSelect(isNaN, x, y);
}

}  // namespace nnc::backend
