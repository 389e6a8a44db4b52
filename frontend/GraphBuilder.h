#pragma once
// A model (frontend/Model.h) as a forward Graph, value by value: for each
// dense layer z = x W^T + b, then its activations by column range; a
// formula of values as one Map; then the loss of the output value.
#include "frontend/Model.h"
#include "ir/Graph.h"

namespace nnc::frontend {

ir::Graph buildForwardGraph(const ModelDef& model, ir::ExprContext& exprs);

// The checkpoint name of a learnable activation parameter, unique in the
// model: PReLU's slope in fc1 is "fc1.a"; in a mixed layer "fc1.prelu.a",
// and "fc1.prelu_2.a" for the layer's second prelu range.
std::string activationParameterName(const LayerDef& layer, const LayerActivation& act, const LearnableParameter& p);

}  // namespace nnc::frontend
