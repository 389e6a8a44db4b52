#pragma once
// The Expr IR of formulas as the DAG it is: one numbered line per distinct
// node, operands before their users, shared nodes once (so sigmoid(x) in an
// activation and its derivative shows as one node used twice).
//
//   %0 = var x
//   %1 = sigmoid %0
//   %2 = mul %0, %1
//   out0 = %2
#include <string>
#include <vector>

#include "ir/Expr.h"

namespace nnc::cli {

// `names[k]` is shown as a comment on output k's line.
std::string dumpExprDag(const std::vector<ir::ExprRef>& outputs, const std::vector<std::string>& names);

}  // namespace nnc::cli
