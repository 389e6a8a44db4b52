#pragma once
// A small rewrite engine: rules are `rewrite(pattern, result[, condition])`
// written with the Ex builder over wildcards. A wildcard matches any
// subformula; the same wildcard twice must match the same subformula.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/Builder.h"

namespace nnc::ir {

using Bindings = std::map<std::string, ExprRef>;

struct RewriteRule {
  ExprRef pattern;
  ExprRef result;
  std::function<bool(const Bindings&)> condition;  // empty: always applies
};

class RuleSet {
public:
  // Wildcards are Vars whose names start with '?' (no source name can).
  Ex wildcard(const char* name) { return {patterns_, patterns_.var(std::string("?") + name)}; }
  Ex num(double v) { return {patterns_, patterns_.constant(v)}; }
  void rewrite(Ex pattern, Ex result, std::function<bool(const Bindings&)> condition = {}) {
    rules_.push_back({pattern, result, std::move(condition)});
  }
  // The first rule that matches `e`, instantiated in `ctx`; nullopt if none.
  std::optional<ExprRef> apply(ExprContext& ctx, ExprRef e) const;

private:
  ExprContext patterns_;
  std::vector<RewriteRule> rules_;
};

// Applies `rules` everywhere in `e`, bottom-up, once per node.
ExprRef rewriteEverywhere(ExprContext& ctx, ExprRef e, const RuleSet& rules);

// The simplifier's rules (SimplifyRules.cpp).
const RuleSet& simplifierRules();

}  // namespace nnc::ir
