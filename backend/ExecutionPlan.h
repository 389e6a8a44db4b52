#pragma once
// A model's graph lowered once, for every target: where each value lives,
// which nodes run in which phase (forward, loss, backward), the kernels to
// compile (one per Map segment) and the table of parameters. The JIT
// (CompiledModel) runs a plan; the AOT compiler emits one as C functions.
// Neither decides storage, order or kernels for itself, so a new target
// is one more reader of this plan.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend/FormulaJIT.h"
#include "ir/Graph.h"

namespace nnc::backend {

// The arrays a run of the plan addresses. Batch-sized values share one
// workspace array: value v's [rows, C] block starts at rows * offset, and
// the values without a batch dimension (the loss, sums that are not
// parameter gradients) follow at rows * batchColumns + offset. Values the
// memory plan puts in one buffer share an offset.
enum class Region {
  None,        // never stored (a value no step reads)
  Input,       // the batch of samples, the caller's
  Targets,     // class labels or real-valued targets, the caller's
  Parameters,  // parameter `parameter` of the table, at `offset` in one flat array
  Gradients,   // the gradient of parameter `parameter`, at its offset in a flat array like the parameters'
  Batch,       // the workspace, rows * offset
  Fixed,       // the workspace, rows * batchColumns + offset
};

struct Placement {
  Region region = Region::None;
  int64_t offset = 0;      // in floats (Batch: floats per row)
  int32_t parameter = -1;  // Parameters, Gradients: the index in ExecutionPlan::parameters
};

struct PlannedParameter {
  std::string name;              // the checkpoint's ("fc1.weight")
  std::string layer;             // the layer it belongs to
  ir::ValueId value = -1;
  ir::ValueId gradient = -1;     // -1 in a forward-only graph
  ir::TensorShape shape;
  int64_t offset = 0, count = 0;  // in the flat parameter (and gradient) array, floats
  ir::GraphNode::Init init = ir::GraphNode::Init::Zero;
  double initialValue = 0;
  bool trained = true;           // false: a statistic its op updates (batchnorm's running mean and variance)
};

struct PlannedKernel {
  size_t node = 0, segment = 0;
  KernelSpec spec;     // formulas in the graph's ExprContext, before each target's stable forms
  std::string label;   // "map %5 (fc1), columns [0, 256)", for listings
};

struct ExecutionPlan {
  std::vector<Placement> placement;  // by value
  std::vector<PlannedParameter> parameters;
  std::vector<PlannedKernel> kernels;
  std::vector<std::vector<size_t>> kernelOf;  // node -> its kernels, one per Map segment
  // Nodes by phase, in graph order; source nodes (input, targets,
  // parameters) compute nothing and are in none.
  std::vector<size_t> forward;   // up to the prediction: what inference runs
  std::vector<size_t> loss;      // the Loss node (empty without one)
  std::vector<size_t> backward;  // from d loss / d prediction to every parameter gradient
  int64_t parameterFloats = 0, batchColumns = 0, fixedFloats = 0;
  ir::ValueId input = -1, targets = -1, prediction = -1, lossValue = -1;
  bool realTargets = false;  // the loss compares real-valued targets, not class labels
  // Which loss the graph trains with, and the value it compares with the
  // targets (the prediction, or the logits before it after fuse-loss).
  std::optional<ir::LossKind> lossKind;
  ir::ValueId lossInput = -1;

  int64_t workspaceFloats(int64_t rows) const { return rows * batchColumns + fixedFloats; }
  // The value's first float in its region, for a batch of `rows`.
  int64_t offsetIn(ir::ValueId value, int64_t rows) const;
};

// Every array in a plan starts on a 64-byte boundary (16 floats) of an
// array allocated on one: matrix products over unaligned weights split
// AVX-512 loads across cache lines (one-sample prediction through
// fashion_mlp ran 6.9 us instead of 5.7).
inline constexpr int64_t kPlanAlignFloats = 16;

// Lowers a verified graph. A graph without a loss (inference) has empty
// `loss` and `backward` phases. Nullopt and `error` (an internal error) if
// the graph cannot be planned.
std::optional<ExecutionPlan> planExecution(const ir::Graph& graph, std::string& error);

// A target runs or emits plans. Before it compiles one it says which
// nodes it cannot handle, so an unsupported op is an error naming the
// target, never a silently wrong program.
class Target {
public:
  virtual ~Target() = default;
  virtual const char* name() const = 0;
  // "" if this target can run `node` of `graph` as `plan` lowers it, else why not.
  virtual std::string unsupported(const ir::Graph& graph, const ExecutionPlan& plan, size_t node) const = 0;
};

// The first node `target` cannot run, as an error message; "" if none.
std::string firstUnsupported(const Target& target, const ir::Graph& graph, const ExecutionPlan& plan);

}  // namespace nnc::backend
