#pragma once
// Checks a model written as named values (`input x[784]; h = dense(x, 256,
// relu); y = h + dense(h, 256, tanh); loss cross_entropy(out);`) and turns
// it into a ModelDef graph: names resolved (each defined once, before it
// is used), sizes checked where values meet (`h + r` of different widths is
// an error at the `+`), formulas over values lowered to Exprs, layers named
// after their values, and unused values reported.
#include <optional>

#include "frontend/AST.h"
#include "frontend/Model.h"
#include "frontend/ModelDeclSema.h"
#include "support/Diagnostics.h"

namespace nnc::frontend {

// `out` has the model's name and loss kind already; `loss` is the loss
// declaration (null if the model has none: that error is reported).
std::optional<ModelDef> checkGraphModel(const ast::ModelDecl& decl, ModelDef out, const ast::LossDecl* loss,
                                        const ActivationScope& scope, const SourceBuffer& source,
                                        ir::ExprContext& ctx, Diagnostics& diags);

}  // namespace nnc::frontend
