#pragma once
// Resolves what a dense layer names as its activation (`relu`,
// `leaky_relu(0.05)`, `swish(beta = 2)`, `tanh`) to the formula the layer
// applies to each unit.
#include <optional>

#include "frontend/AST.h"
#include "frontend/Model.h"
#include "frontend/ModelDeclSema.h"
#include "support/Diagnostics.h"

namespace nnc::frontend {

// `use` is a Call whose arguments are parameter values, by position or by
// name (the unit's input is implicit). The name is an activation in `scope`
// or a built-in function of one argument. Non-learnable
// parameters are replaced by their values; learnable ones stay Vars of the
// body, listed with their initial values (an argument overrides the
// default) and `perUnit`. firstUnit and units are left for the caller.
std::optional<LayerActivation> resolveLayerActivation(const ast::Expr& use, bool perUnit, const ActivationScope& scope,
                                                      const SourceBuffer& source, ir::ExprContext& ctx,
                                                      Diagnostics& diags);

}  // namespace nnc::frontend
