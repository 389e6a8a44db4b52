#include "ir/Rewrite.h"

#include <functional>
#include <unordered_map>

namespace nnc::ir {

namespace {

bool isWildcard(ExprRef p) { return p->isVar() && !p->name().empty() && p->name()[0] == '?'; }

bool match(ExprRef pattern, ExprRef e, Bindings& bindings) {
  if (isWildcard(pattern)) {
    auto [slot, inserted] = bindings.emplace(pattern->name(), e);
    return inserted || slot->second == e;
  }
  if (pattern->op() != e->op()) return false;
  if (pattern->isConst()) return pattern->value() == e->value();
  if (pattern->isVar()) return pattern->name() == e->name();
  for (size_t i = 0; i < pattern->numOperands(); ++i)
    if (!match(pattern->operand(i), e->operand(i), bindings)) return false;
  return true;
}

// Builds the rule's result in the target context.
ExprRef instantiate(ExprContext& ctx, ExprRef result, const Bindings& bindings) {
  if (isWildcard(result)) return bindings.at(result->name());
  if (result->isConst()) return ctx.constant(result->value());
  if (result->isVar()) return ctx.var(result->name());
  std::array<ExprRef, 3> operands{};
  for (size_t i = 0; i < result->numOperands(); ++i)
    operands[i] = instantiate(ctx, result->operand(i), bindings);
  return ctx.make(result->op(), std::span<const ExprRef>(operands.data(), result->numOperands()));
}

}  // namespace

std::optional<ExprRef> RuleSet::apply(ExprContext& ctx, ExprRef e) const {
  for (const RewriteRule& rule : rules_) {
    Bindings bindings;
    if (!match(rule.pattern, e, bindings)) continue;
    if (rule.condition && !rule.condition(bindings)) continue;
    return instantiate(ctx, rule.result, bindings);
  }
  return std::nullopt;
}

ExprRef rewriteEverywhere(ExprContext& ctx, ExprRef root, const RuleSet& rules) {
  std::unordered_map<ExprRef, ExprRef> memo;
  std::function<ExprRef(ExprRef)> visit = [&](ExprRef e) -> ExprRef {
    if (auto found = memo.find(e); found != memo.end()) return found->second;
    ExprRef result = e;
    if (e->numOperands() > 0) {
      std::array<ExprRef, 3> operands{};
      for (size_t i = 0; i < e->numOperands(); ++i) operands[i] = visit(e->operand(i));
      result = ctx.make(e->op(), std::span<const ExprRef>(operands.data(), e->numOperands()));
    }
    if (auto rewritten = rules.apply(ctx, result)) result = *rewritten;
    memo.emplace(e, result);
    return result;
  };
  return visit(root);
}

}  // namespace nnc::ir
