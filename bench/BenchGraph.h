#pragma once
// The graphs the fusion benchmark compiles. Each activation becomes the
// model `input C; dense h(C, act); dense out(1); loss mse;` with h's matrix
// product removed (x W^T replaced by x): a training step is then h's bias
// and activation, a matrix-vector product, and their backward. A square
// GEMM in h would take most of the time and hide what fusion changes, and
// so would mse over C outputs (runtime/Loss.cpp is a scalar loop), hence
// the one output.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/Graph.h"
#include "support/Diagnostics.h"

namespace nnc::bench {

struct Activation {
  std::string name;
  std::string declaration;  // .nn text: `activation NAME(x...) = ...;`
};

// swish, gelu (erf form) and a formula with a learnable parameter.
const std::vector<Activation>& benchActivations();

enum class Variant { Unfused, Fused };
const char* variantName(Variant variant);

// FUSED: the -O2 training pipeline. UNFUSED: the same list with
// unfuse-elementwise inserted just before autodiff (see the .cpp for why
// not first).
std::vector<std::string> pipelineFor(Variant variant);

// The forward graph of the layer above for `columns` units; nullopt (and
// errors in `diags`) if the declaration does not compile.
std::optional<ir::Graph> buildLayerGraph(const Activation& activation, int64_t columns, ir::ExprContext& exprs,
                                         Diagnostics& diags);

// Runs the variant's pipeline (autodiff included) over `graph`.
bool optimize(ir::Graph& graph, Variant variant, Diagnostics& diags);

// What the backward pass costs in memory, for a batch of `rows` samples.
struct MemoryUse {
  int64_t bufferBytes = 0;  // batch-sized buffers after memory-plan: sum of rows * C * 4
  int savedTensors = 0;     // batch-sized forward values the backward reads (input included)
  int64_t savedBytes = 0;   // their size: sum of rows * C * 4
};
MemoryUse memoryUse(const ir::Graph& graph, int64_t rows);

}  // namespace nnc::bench
