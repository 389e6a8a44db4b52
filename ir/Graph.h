#pragma once
// The Graph IR: a typed, shape-checked dataflow of tensor ops, in
// topological order (each node reads only earlier values). Forward graphs
// come from models (frontend/Model.h); the autodiff pass appends the
// backward part. A verifier checks it and a printer shows it as text.
#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/Expr.h"
#include "support/SourceBuffer.h"

namespace nnc::ir {

// Dimension -1 is the batch size, known only when a batch arrives. A
// shape may have any rank ([N, C, H, W] as well as [N, F]).
inline constexpr int64_t kBatch = -1;
using TensorShape = std::vector<int64_t>;

// How many elements a value of `shape` has per batch: the batch dimension
// counts as one row ([N, 256] -> 256, [10, 128] -> 1280).
inline int64_t elementsPerBatchRow(const TensorShape& shape) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d == kBatch ? 1 : d;
  return count;
}

// How many elements one row of a value holds when it is seen as a matrix
// [rows, columns]: everything after the first dimension ([N, 8, 14, 14] ->
// 1568, [O, C, 3, 3] -> 9C); a rank-1 value [U] is one row of U.
inline int64_t rowWidth(const TensorShape& shape) {
  if (shape.size() < 2) return shape.empty() ? 1 : shape[0];
  int64_t count = 1;
  for (size_t i = 1; i < shape.size(); ++i) count *= shape[i];
  return count;
}

// What a value's elements are: float32 data, or int32 class labels.
enum class ElementType { F32, I32 };

// A value's type: element type and shape ("f32[N, 256]", "i32[N]").
struct ValueType {
  ElementType element = ElementType::F32;
  TensorShape shape;
  bool operator==(const ValueType&) const = default;
};

using ValueId = int32_t;

enum class GraphOp {
#define NNC_GRAPH_OP(Name, spelling, operands, role, typeRule) Name,
#include "ir/GraphOps.def"
};

// What autodiff does with an op (GraphOps.def says which each is).
enum class GraphOpRole { Source, Forward, Backward, Loss };

class Graph;
struct GraphNode;

// What an op's type rule reads: the node (its op and attributes), its
// operands' types and the result types its builder declared (empty when
// they are to be inferred).
struct TypeQuery {
  const Graph& graph;
  const GraphNode& node;
  std::vector<ValueType> operands, declared;
};
// The node's result types, or why the node is malformed.
struct TypeResult {
  std::vector<ValueType> results;
  std::string problem;
};
using TypeRule = TypeResult (*)(const TypeQuery&);

struct GraphOpInfo {
  const char* spelling;  // as printed: "matmul"
  int operands;          // how many it reads; -1: one or more
  GraphOpRole role;
  TypeRule typeRule;     // its shape function and verifier (ir/GraphTypeRules.cpp)
};
const GraphOpInfo& graphOpInfo(GraphOp op);
// Whether the op reads OpAttributes::window (convolutions, pools and their gradients).
bool readsWindow(GraphOp op);

enum class LossKind { MSE, BCE, CrossEntropy, BCEWithLogits, L1, Huber };

// Where a Map segment came from, for diagnostics only. It never decides
// what the segment computes, so any two compare equal: CSE merges the same
// formula of the same values written in two places.
struct SegmentOrigin {
  std::string activation;               // the activation's name as written ("relu")
  SourceRange range;                    // where the layer names it
  bool operator==(const SegmentOrigin&) const { return true; }
  std::strong_ordering operator<=>(const SegmentOrigin&) const { return std::strong_ordering::equal; }
};

// One column range of a Map: outputs[k] = formulas[k](inputs...) for the
// columns [firstColumn, firstColumn + columns), and per-column sums
// (parameter gradients) accumulated over rows.
struct MapSegment {
  int64_t firstColumn = 0, columns = 0;
  SegmentOrigin origin;
  std::vector<std::string> inputVars;   // the Var each Map operand binds, in operand order
  struct Param {
    std::string var;                    // the Var in the formulas
    ValueId value;                      // one element per column (per column), or one the segment reads as a scalar
    bool perColumn = false;
    int64_t firstElement = 0;           // per column: the element of this segment's first column; else the scalar
    auto operator<=>(const Param&) const = default;
  };
  std::vector<Param> params;
  std::vector<ExprRef> outputs;         // one per Map result of shape [N, U]
  // Sums over the rows (parameter gradients), written into a Map result:
  // per column at [firstElement, firstElement + columns), or, for a `total`
  // (the gradient of a parameter the segment reads as one scalar), the
  // total over all the segment's columns at firstElement.
  struct ColumnSum {
    ExprRef formula;
    int result;                         // which Map result
    int64_t firstElement = 0;
    bool total = false;
    auto operator<=>(const ColumnSum&) const = default;
  };
  std::vector<ColumnSum> columnSums;
  auto operator<=>(const MapSegment&) const = default;
};

// Everything besides its op and operands that decides what a node
// computes. An attribute a new op needs goes here, so CSE (which merges
// nodes with equal op, operands and attributes) can never merge two nodes
// that differ in it.
struct OpAttributes {
  bool transposeA = false, transposeB = false;  // MatMul
  int64_t firstColumn = 0;                      // Slice, PadColumns: where the slice starts
  LossKind loss = LossKind::CrossEntropy;       // Loss, LossGrad
  double epsilon = 1e-5;                        // LayerNorm, BatchNorm and their gradients: added to the variance
  double momentum = 0.1;                        // BatchNorm: how far a training step moves the running statistics
  double probability = 0;                       // Dropout, DropoutGrad: of zeroing an element
  uint64_t stream = 0;                          // Dropout, DropoutGrad: which of the model's dropouts (its masks' key)
  // Conv2d, the pools and their gradients: a square window of `kernel`
  // (a convolution's is its weight's), moved `stride` elements at a time
  // over the input padded with `padding` zeros on every side; a
  // convolution's taps are `dilation` apart, and its channels in `groups`
  // groups (torch's Conv2d, MaxPool2d and AvgPool2d, with ceil_mode off).
  struct Window {
    int64_t kernel = 1, stride = 1, padding = 0, dilation = 1, groups = 1;
    // The output's size along a dimension of `size` (torch's formula).
    int64_t outputSize(int64_t size) const { return (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1; }
    auto operator<=>(const Window&) const = default;
  } window;
  // Parameter: how to initialise it. Weights use He or Xavier by the layer's
  // activation; biases and normalisation shifts are zero, normalisation
  // scales one; activation parameters start at initialValue.
  // An embedding table is standard normal (torch's nn.Embedding).
  enum class Init { Zero, He, Xavier, Constant, One, Normal } init = Init::Zero;
  double initialValue = 0;
  // Parameter: false for a statistic its op updates while training, which
  // no optimiser touches and no gradient reaches (batchnorm's running mean
  // and variance, torch's buffers).
  bool trained = true;
  std::vector<MapSegment> segments;             // Map
  auto operator<=>(const OpAttributes&) const = default;
};

struct GraphNode : OpAttributes {
  GraphOp op;
  std::vector<ValueId> operands;
  std::vector<ValueId> results;         // most ops have one
  std::string name;                     // parameters: checkpoint name ("fc1.weight"); others: for printing
  SourceRange range;                    // the source construct it came from
  std::string layer;                    // the layer it belongs to, for diagnostics
  const OpAttributes& attributes() const { return *this; }
};

// What a value of the graph's interface is to whoever runs the graph.
enum class PortRole {
  Samples,     // input: the batch of samples [N, F] (several declared inputs are its column ranges)
  Targets,     // input: what the loss compares with, class labels or real-valued targets
  Prediction,  // output: the model's outputs
  Loss,        // output: the mean loss of the batch [1] (a training graph)
};

// A value the graph takes from or gives back to the caller, by role, under
// the model's name for it (what an exporter calls the graph's inputs and
// outputs).
struct GraphPort {
  PortRole role;
  std::string name;
  ValueId value = -1;
};

struct GraphValue {
  TensorShape shape;
  ElementType element = ElementType::F32;
  ValueId producer = -1;                // index of the node
  ValueType type() const { return {element, shape}; }
};

class Graph {
public:
  explicit Graph(ExprContext& exprs) : exprs_(&exprs) {}

  ExprContext& exprs() const { return *exprs_; }
  const std::vector<GraphNode>& nodes() const { return nodes_; }
  const GraphValue& value(ValueId id) const { return values_[static_cast<size_t>(id)]; }
  size_t numValues() const { return values_.size(); }

  // Adds a node whose result types its op's rule infers (matmul, add_bias,
  // ...); returns its index. A node the rule rejects gets one f32[] result,
  // and verify() reports why.
  size_t add(GraphNode node);
  // Adds a node whose results are float32 of the given shapes (sources,
  // maps, slices: the ops whose rule checks declared types rather than
  // inferring them).
  size_t add(GraphNode node, const std::vector<TensorShape>& resultShapes);
  // The same with results of any element type.
  size_t addTyped(GraphNode node, std::vector<ValueType> resultTypes);
  ValueId result(size_t node, size_t i = 0) const { return nodes_[node].results[i]; }
  // For passes that rewrite a node in place (its results keep their ids).
  // Any change may change lifetimes, so it drops the memory plan.
  GraphNode& mutableNode(size_t node) {
    bufferOf.clear();
    return nodes_[node];
  }

  // Makes every reader of `from` (nodes, Map parameters, the ports, the
  // layer applications and the gradient list) read `to` instead.
  void replaceAllUses(ValueId from, ValueId to);
  // Removes the nodes nothing needs and renumbers the values, keeping the
  // order. Needed: the ports, every gradient pair and, transitively,
  // whatever they read. Returns how many
  // nodes were removed.
  size_t eraseUnusedNodes();
  // Puts the nodes back in an order where each reads only earlier values
  // (after a pass appended nodes that earlier ones read), keeping the
  // present order wherever it is already valid.
  // `wanted` (if given) is the position each node would like, instead of
  // its index: a node a pass appended can ask for the place of the one it
  // replaces.
  void sortTopologically(const std::vector<size_t>& wanted = {});
  // Which node reads each value, in node order (Map parameters included).
  std::vector<std::vector<size_t>> readers() const;

  // The graph's interface (Glow's placeholders and saves): its inputs,
  // the samples then the labels or targets, and its outputs, the
  // prediction then the loss. Targets bind them by role; dce keeps them;
  // a value replaced by a pass takes its ports with it.
  const std::vector<GraphPort>& inputs() const { return inputs_; }
  const std::vector<GraphPort>& outputs() const { return outputs_; }
  // Makes `value` the port of `role` (added, or replacing that role's).
  void bind(PortRole role, std::string name, ValueId value);
  // The value of the port of `role`; -1 if the graph has none.
  ValueId port(PortRole role) const;
  ValueId input() const { return port(PortRole::Samples); }
  ValueId labels() const { return port(PortRole::Targets); }
  ValueId prediction() const { return port(PortRole::Prediction); }
  ValueId loss() const { return port(PortRole::Loss); }

  // Parameter value -> its gradient value (filled by autodiff).
  std::vector<std::pair<ValueId, ValueId>> gradients;
  // Each application of a dense layer, as the builder made it, in graph
  // order (a shared layer has one per application): the value its matrix
  // product reads, the product, and the layer's output (its activation's
  // result, softmax's, or the bias addition's). The lints, the dead-unit
  // monitor and the reports read layers here, not by rediscovering them,
  // wherever passes moved their values (a fused loop may compute an output
  // as a second result); an application whose values were removed (folded
  // layers) is dropped. An activation of a convolution (a1 = relu(conv1))
  // is recorded too, as a layer of channels, for the dead-unit monitor and
  // the reports; the lints of dense layers pass over it.
  struct LayerApplication {
    std::string layer;
    ValueId input = -1, product = -1, output = -1;
    enum class Kind { Dense, Convolution } kind = Kind::Dense;
  };
  std::vector<LayerApplication> layerApplications;
  // The output of the layer's last application; -1 if it has none.
  ValueId layerOutput(const std::string& layer) const;
  // Whether `value` is a layer's output.
  bool isLayerOutput(ValueId value) const;
  // The memory plan (the memory-plan pass): value -> the buffer it lives in;
  // values in one buffer are never live at once. Empty: one buffer each.
  std::vector<int32_t> bufferOf;

private:
  // Keeps the nodes at `order`, in that order, renumbering the values.
  void reorder(const std::vector<size_t>& order);

  ExprContext* exprs_;
  std::vector<GraphPort> inputs_, outputs_;
  std::vector<GraphNode> nodes_;
  std::vector<GraphValue> values_;
};

// The result types `node` has by its op's rule, given the `declared` ones
// (empty: inferred). Operand counts are checked first.
TypeResult inferResultTypes(const Graph& graph, const GraphNode& node, std::vector<ValueType> declared);

// "f32[N, 256]"
std::string typeText(const ValueType& type);

// Checks every node by its op's type rule (result types, operand shapes,
// attributes, Map bindings) and that each reads only earlier values; empty
// if the graph is well formed, else the first problem (an internal error).
std::string verify(const Graph& graph);

// Deterministic text, one node per line: `%3 = matmul %0, %1^T : f32[N, 256]`,
// with ` @2` after a value the memory plan puts in buffer 2.
std::string printGraph(const Graph& graph);

}  // namespace nnc::ir
