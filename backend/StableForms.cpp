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
// transcendental calls and divisions, exact over the whole real line in
// either precision. sigmoid(a), its complement 1 - sigmoid(a), mish's
// tanh(softplus(a)) and the 1/cosh(softplus(a))^2 of its derivative all
// come from one t = exp(-|a|), which lies in [0, 1] and so never overflows
// (an earlier form took exp(min(a, 20)) and froze every value past 20).
// With m = exp(softplus(a)) = 1 + exp(a):
//   a < 0:  m = 1 + t,        tanh(softplus(a)) = (t^2 + 2t) / (t^2 + 2t + 2),
//   a >= 0: m = (1 + t) / t,  tanh(softplus(a)) = (1 + 2t) / (1 + 2t + 2t^2),
// so with s = (a < 0 ? t^2 : 1) and r = (a < 0 ? 1 : t^2):
//   tanh(softplus(a)) = N / D,  N = 2t + s,  D = N + 2r,
//   1/cosh(softplus(a))^2 = 1 - N^2/D^2 = 4r (N + r) / D^2,
// sharing 1/D: mish's backward loop divides once for them. Each keeps full
// relative accuracy at both ends (t^2 + 2t ~ 2t for a << 0; 4t^2 (1 + t)^2
// / D^2 ~ 4t^2 for a >> 0) and reaches its limit exactly where t rounds
// to 0. Likewise sigmoid(a) = (a < 0 ? t : 1) / (1 + t) and 1 - sigmoid(a)
// = (a < 0 ? 1 : t) / (1 + t), sharing 1/(1 + t): the complement, which
// every sigmoid derivative holds, without the cancellation of 1 - s (which
// left 1e-5 relative error in float64 at a = 25, and nothing past 17 in
// float32). cosh(softplus(a)) itself, which grows, is left to the plain
// lowering (cosh of the stable softplus).
// The names are those of the comment: t, s, r, N (n) and D (d).
struct SoftplusForms {
  ir::Ex t, negative, s, r, n, d, inverse, inverseOnePlusT;
  explicit SoftplusForms(ir::RuleSet& rules, ir::Ex a)
      : t(call(ir::Op::Exp, -call(ir::Op::Abs, a))),
        negative(a < rules.num(0)),
        s(where(negative, pow(t, 2), rules.num(1))),
        r(where(negative, rules.num(1), pow(t, 2))),
        n(2 * t + s),
        d(n + 2 * r),
        inverse(1 / d),
        inverseOnePlusT(1 / (1 + t)) {}
};

// Whole-expression forms, matched before their inner cosh or sigmoid is
// rewritten (rewriting goes bottom-up, one rule set per walk).
void addSquaredFormRules(ir::RuleSet& r) {
  using ir::Op;
  ir::Ex a = r.wildcard("a");
  SoftplusForms f(r, a);
  r.rewrite(1 / pow(call(Op::Cosh, call(Op::Softplus, a)), 2), 4 * f.r * (f.n + f.r) * pow(f.inverse, 2));
  r.rewrite(1 - call(Op::Sigmoid, a), where(f.negative, r.num(1), f.t) * f.inverseOnePlusT);
}

void addFasterRules(ir::RuleSet& r) {
  using ir::Op;
  ir::Ex a = r.wildcard("a");
  SoftplusForms f(r, a);
  r.rewrite(call(Op::Tanh, call(Op::Softplus, a)), f.n * f.inverse);
  r.rewrite(call(Op::Sigmoid, a), where(f.negative, f.t, r.num(1)) * f.inverseOnePlusT);
}

const ir::RuleSet& stableRules() {
  static ir::RuleSet rules;
  static const bool filled = (addStableRules(rules), true);
  (void)filled;
  return rules;
}

const ir::RuleSet& squaredFormRules() {
  static ir::RuleSet rules;
  static const bool filled = (addSquaredFormRules(rules), true);
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
  for (const ir::RuleSet* rules : {&stableRules(), &squaredFormRules(), &fasterRules()})
    e = ir::rewriteEverywhere(ctx, e, *rules);
  return e;
}

}  // namespace nnc::backend
