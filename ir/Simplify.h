#pragma once
// Simplification: constant folding, the rewrite rules of SimplifyRules.cpp,
// and canonical sums and products (like terms collected, constants merged,
// operands in a deterministic order). The result is equal to the input
// wherever the input is defined.
#include "ir/Expr.h"

namespace nnc::ir {

ExprRef simplify(ExprContext& ctx, ExprRef e);

// True when `e` is > 0 wherever it is defined (exp, sigmoid, positive
// constants, ...): what makes cancelling `e/e` safe.
bool isProvablyPositive(ExprRef e);
bool isProvablyNonZero(ExprRef e);

}  // namespace nnc::ir
