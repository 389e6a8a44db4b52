#pragma once
// A model (frontend/Model.h) as a forward Graph, value by value: for each
// dense layer z = x W^T + b, then its activations by column range; a
// formula of values as one Map; then the loss of the output value.
#include "frontend/Model.h"
#include "ir/Graph.h"

namespace nnc::frontend {

ir::Graph buildForwardGraph(const ModelDef& model, ir::ExprContext& exprs);

}  // namespace nnc::frontend
