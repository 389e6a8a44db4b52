// Losses as formulas (passes/LossFormulas): each elementwise loss, compiled
// by the JIT in float32 with its derivative from diff, agrees with the
// runtime's hand-written loss and gradient (PyTorch's definitions) at
// ordinary and extreme points; the losses that are not formulas say so.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "JitFixture.h"
#include "ir/Builder.h"
#include "ir/Diff.h"
#include "ir/Simplify.h"
#include "passes/LossFormulas.h"
#include "runtime/Loss.h"

namespace nnc {
namespace {

using passes::kLossPredictionVar;
using passes::kLossTargetVar;

struct Case {
  ir::LossKind kind;
  runtime::Loss runtime;
  std::vector<std::pair<float, float>> points;  // (prediction, target)
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {ir::LossKind::MSE, runtime::Loss::MSE, {{0, 0}, {3, 1}, {-2, 0.5f}, {1e15f, -1e15f}, {-7e-20f, 0}}},
      // l1's derivative at p = t is torch's sign(0) = 0.
      {ir::LossKind::L1, runtime::Loss::L1, {{0, 0}, {3, 1}, {-2, 0.5f}, {1e30f, 0}, {1, 1}}},
      // huber's two pieces meet at |p - t| = 1; one ulp either side.
      {ir::LossKind::Huber,
       runtime::Loss::Huber,
       {{0, 0}, {3, 1}, {-2, 0.5f}, {1, 0}, {std::nextafter(1.0f, 0.0f), 0}, {std::nextafter(1.0f, 2.0f), 0},
        {-1, 0}, {1e30f, 0}}},
      // Logits far out on both sides: the loss stays finite and exact
      // (softplus, not log(1 + exp)), the gradient sigmoid(p) - t.
      {ir::LossKind::BCEWithLogits,
       runtime::Loss::BCEWithLogits,
       {{0, 0}, {3, 1}, {-2, 0.5f}, {100, 0}, {-100, 1}, {1e4f, 1}, {-1e4f, 0}, {88.8f, 0.3f}, {-104, 0.7f}}},
  };
  return all;
}

class LossFormulas : public test::JitFixture {};

TEST_F(LossFormulas, JitCompiledFormulaAndDerivativeMatchTheRuntime) {
  for (const Case& c : cases()) {
    ir::ExprContext exprs;
    std::optional<ir::ExprRef> loss = passes::elementwiseLoss(c.kind, exprs);
    ASSERT_TRUE(loss) << static_cast<int>(c.kind);
    ir::ExprRef gradient = ir::derivatives(exprs, *loss, kLossPredictionVar, 1).orders[1];
    backend::KernelSpec spec;
    spec.outputs = {ir::simplify(exprs, *loss), gradient};
    spec.inputs = {kLossPredictionVar, kLossTargetVar};
    backend::KernelResult compiled = jit_->compile(spec);
    ASSERT_NE(compiled.kernel, nullptr) << compiled.error;
    for (auto [p, t] : c.points) {
      float value = 0, slope = 0;
      const float* inputs[] = {&p, &t};
      float* outputs[] = {&value, &slope};
      compiled.kernel->run(backend::KernelArgs<float>{1, 1, 1, inputs, nullptr, outputs, nullptr});
      float expectedSlope = 0;
      double expected = runtime::targetLossAndGradient(c.runtime, &p, &t, 1, 1, &expectedSlope);
      SCOPED_TRACE(testing::Message() << "loss " << static_cast<int>(c.kind) << " at p=" << p << " t=" << t);
      ASSERT_TRUE(std::isfinite(value));
      EXPECT_NEAR(value, expected, 1e-6 * std::max(1.0, std::abs(expected)));
      EXPECT_NEAR(slope, expectedSlope, 1e-6 * std::max(1.0f, std::abs(expectedSlope)));
    }
  }
}

TEST(LossFormulasTable, LossesThatAreNotElementwiseFormulasHaveNone) {
  ir::ExprContext exprs;
  EXPECT_FALSE(passes::elementwiseLoss(ir::LossKind::CrossEntropy, exprs));
  EXPECT_FALSE(passes::elementwiseLoss(ir::LossKind::BCE, exprs));
}

}  // namespace
}  // namespace nnc
