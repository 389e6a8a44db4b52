#pragma once
// Symbolic differentiation of formulas.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ir/Expr.h"

namespace nnc::ir {

// d e / d var, straight from the rule table, not simplified.
ExprRef diff(ExprContext& ctx, ExprRef e, std::string_view var);

// A formula's derivatives up to some order, each simplified.
struct DerivativeLimits {
  size_t maxNodes = 200000;  // refuse derivatives that grow past this
};
struct Derivatives {
  std::vector<ExprRef> orders;  // orders[k] is the k-th derivative; [0] is e
  std::string error;            // set (and orders truncated) when a limit is hit
};
Derivatives derivatives(ExprContext& ctx, ExprRef e, std::string_view var, int order,
                        DerivativeLimits limits = {});

}  // namespace nnc::ir
