#include "backend/StableForms.h"

#include "ir/Rewrite.h"

namespace nnc::backend {

namespace {

void addStableRules(ir::RuleSet& r) {
  using ir::Op;
  ir::Ex a = r.wildcard("a");
  // 1 - tanh(a)^2 loses everything once float32 tanh rounds to +-1 (|a| > 9):
  // the absolute error 1.2e-7 is then multiplied by whatever the chain rule
  // brings (gelu_tanh'' at x = -5.4 was off by 9e-6). 1/cosh(a)^2 keeps full
  // relative accuracy at the price of a cosh.
  r.rewrite(1 - pow(call(Op::Tanh, a), 2), 1 / pow(call(Op::Cosh, a), 2));
}

// Run after the rules above (which must still see tanh): fewer
// transcendental calls, at the same relative accuracy.
void addFasterRules(ir::RuleSet& r) {
  using ir::Op;
  ir::Ex a = r.wildcard("a");
  // mish's tanh(softplus(a)), and the cosh(softplus(a)) of its derivative,
  // from one exp instead of exp, log1p and tanh (or cosh): with n = exp(a),
  //   tanh(softplus(a)) = n(n + 2) / (n(n + 2) + 2),
  // written as 1 / (1 + 2/(n(n + 2))), which neither overflows (a > 44:
  // 2/inf = 0 gives 1) nor cancels (a << 0), and with m = 1 + n,
  //   cosh(softplus(a)) = (m + 1/m) / 2.
  ir::Ex n = call(Op::Exp, a);
  r.rewrite(call(Op::Tanh, call(Op::Softplus, a)), 1 / (1 + 2 / (n * (n + 2))));
  r.rewrite(call(Op::Cosh, call(Op::Softplus, a)), 0.5 * ((1 + n) + 1 / (1 + n)));
}

const ir::RuleSet& stableRules() {
  static ir::RuleSet rules;
  static const bool filled = (addStableRules(rules), true);
  (void)filled;
  return rules;
}

const ir::RuleSet& fasterRules() {
  static ir::RuleSet rules;
  static const bool filled = (addFasterRules(rules), true);
  (void)filled;
  return rules;
}

}  // namespace

ir::ExprRef stableForms(ir::ExprContext& ctx, ir::ExprRef e) {
  return ir::rewriteEverywhere(ctx, ir::rewriteEverywhere(ctx, e, stableRules()), fasterRules());
}

}  // namespace nnc::backend
