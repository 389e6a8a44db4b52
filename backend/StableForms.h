#pragma once
// Rewrites applied just before lowering: ones that trade a little speed for
// float32 accuracy where the symbolic form cancels catastrophically, then
// ones that compute a composition with fewer transcendental calls at the
// same accuracy.
#include "ir/Expr.h"

namespace nnc::backend {

// `e` with numerically stable equivalents substituted, built in `ctx`.
ir::ExprRef stableForms(ir::ExprContext& ctx, ir::ExprRef e);

}  // namespace nnc::backend
