#pragma once
// Reverse-mode automatic differentiation as a graph pass: appends the
// backward graph to the forward one. Activation derivatives come from the
// Expr `diff` (so any formula, with its learnable parameters, gets its
// backward for free), fused into one Map per layer: dz = dy * f'(z), and
// the parameter gradients as column sums in the same pass over memory.
#include <string>

#include "ir/Graph.h"

namespace nnc::passes {

// Returns false (and leaves the graph alone) if it has no loss or already
// has its backward part. `error` (if given) receives an internal error: a
// gradient that reached an op autodiff cannot differentiate.
bool appendBackward(ir::Graph& graph, std::string* error = nullptr);

}  // namespace nnc::passes
