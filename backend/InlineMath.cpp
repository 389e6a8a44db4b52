#include "backend/InlineMath.h"

#include <cmath>
#include <iterator>

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

// erf(x) = sign(x) * t P(t^2) / Q(t^2), t = min(|x|, 3.92): a rational
// approximation of degrees 6 and 5 in t^2, fitted for nnc by
// scripts/fit_erf.py (error 2.7e-9 in exact arithmetic on [0, 3.92]; the
// script prints these coefficients again). Past 3.92 float erf is 1
// (erfc(3.92) = 1.6e-8 is below half an ulp of 1). Rounding in float32
// brings the error to 3e-7 (5 ulp) near x = 3, where erf is 1 - 2e-5; near
// 0 the error is relative (P(0) = 2/sqrt(pi)). NaN passes through the
// arithmetic; infinities give +-1.
llvm::Value* emitErfF32(llvm::IRBuilder<>& b, llvm::Value* x) {
  static constexpr double kLimit = 3.92;
  static constexpr double kNumerator[] = {1.1283791759591149,     0.18475330432888282,    0.054270721001657675,
                                          0.003832920241144447,   0.0003798080738970142,  4.699974157514945e-06,
                                          -1.3241479967008029e-08};
  static constexpr double kDenominator[] = {1.0,
                                            0.4970668383238397,
                                            0.11378434216406415,
                                            0.0154295484222945,
                                            0.0013044389148235348,
                                            6.325666335716635e-05};
  auto horner = [&](const auto& coefficients, llvm::Value* s) {
    const size_t n = std::size(coefficients);
    llvm::Value* sum = constant(b, coefficients[n - 1]);
    for (size_t k = n - 1; k-- > 0;) sum = fma(b, sum, s, constant(b, coefficients[k]));
    return sum;
  };
  llvm::Value* magnitude = b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
  llvm::Value* t = b.CreateSelect(b.CreateFCmpOGT(magnitude, constant(b, kLimit)), constant(b, kLimit), magnitude);
  llvm::Value* s = b.CreateFMul(t, t);
  llvm::Value* y = b.CreateFDiv(b.CreateFMul(t, horner(kNumerator, s)), horner(kDenominator, s));
  y = b.CreateSelect(b.CreateFCmpOGT(y, constant(b, 1.0)), constant(b, 1.0), y);
  return b.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, y, x);
}

}  // namespace nnc::backend
