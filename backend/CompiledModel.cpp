#include "backend/CompiledModel.h"

#include <cmath>
#include <limits>
#include <random>

#include "backend/ParallelKernel.h"
#include "runtime/CApi.h"
#include "runtime/Gemm.h"
#include "runtime/Initializer.h"
#include "runtime/Softmax.h"

namespace nnc::backend {

namespace {

using ir::GraphNode;
using ir::GraphOp;
using runtime::Tensor;

runtime::Loss runtimeLoss(ir::LossKind kind) {
  switch (kind) {
    case ir::LossKind::MSE: return runtime::Loss::MSE;
    case ir::LossKind::BCE: return runtime::Loss::BCE;
    case ir::LossKind::CrossEntropy: return runtime::Loss::CrossEntropy;
    case ir::LossKind::BCEWithLogits: return runtime::Loss::BCEWithLogits;
    case ir::LossKind::L1: return runtime::Loss::L1;
    case ir::LossKind::Huber: return runtime::Loss::Huber;
  }
  return runtime::Loss::CrossEntropy;
}

}  // namespace

// Per kernel: argument arrays and column-sum buffers, allocated once.
struct Scratch {
  std::vector<const float*> inputs, params;
  std::vector<float*> outputs;
  std::vector<Tensor> sums;
  std::vector<float*> sumPointers;
  ChunkScratch chunks;  // for runParallel

  Scratch() = default;
  Scratch(const Scratch& other) : sums(other.sums) {
    inputs.reserve(other.inputs.capacity());
    params.reserve(other.params.capacity());
    outputs.reserve(other.outputs.capacity());
    for (Tensor& sum : sums) sumPointers.push_back(sum.data());  // its own sums, not the copied pointers
  }
  Scratch& operator=(const Scratch&) = delete;
};

// What one run of the graph writes: the batch-sized values and the kernels'
// argument arrays. Parameters and their gradients are the model's.
struct CompiledModel::Workspace {
  std::vector<Tensor> tensors;  // by slot; only batch-sized slots are used
  std::vector<Scratch> scratches;
  int64_t batch = -1;
};

struct CompiledModel::Impl {
  ir::Graph graph;
  // Values' storage: value v lives in slot[v], in the model's tensors
  // (parameters, gradients) or, if batch-sized, in a Workspace. Values the
  // memory plan puts in one buffer share a slot (they all have shape [N, C]).
  std::vector<Tensor> tensors;
  std::vector<size_t> slot;
  std::vector<bool> batchSlot;
  std::vector<std::unique_ptr<Kernel>> kernels;  // one per Map segment, found through kernelIndex
  std::vector<std::vector<size_t>> kernelIndex;  // node -> kernel per segment
  Workspace own;                            // training's and predict()'s
  size_t lossGradNode = 0;                  // the first backward node
  size_t lossNode = 0;
  runtime::Loss lossKind = runtime::Loss::CrossEntropy;        // what the Loss node computes
  runtime::Loss predictionLoss = runtime::Loss::CrossEntropy;  // how to read the prediction
  bool realTargets = false;  // the loss compares real-valued targets, not class labels
  int64_t batch = -1;
  // Layers whose output maxima trainStep keeps (dead-unit detection): the
  // node that computes the layer's output, checked right after it runs,
  // before the memory plan lets another value reuse its buffer.
  struct TrackedOutput {
    size_t node;
    runtime::LayerOutputMaxima maxima;
  };
  std::vector<TrackedOutput> tracked;

  explicit Impl(ir::Graph g) : graph(std::move(g)) {}

  // Gives every batch-shaped value of `ws` the rows of this batch.
  void shapeFor(Workspace& ws, int64_t rows) const {
    if (rows == ws.batch) return;
    ws.batch = rows;
    std::vector<bool> done(ws.tensors.size(), false);
    for (size_t v = 0; v < graph.numValues(); ++v) {
      const ir::TensorShape& shape = graph.value(static_cast<ir::ValueId>(v)).shape;
      if (!batchSlot[slot[v]] || done[slot[v]]) continue;
      runtime::Shape concrete(shape.begin(), shape.end());
      concrete[0] = rows;
      ws.tensors[slot[v]] = Tensor(concrete);
      done[slot[v]] = true;
    }
  }

  Workspace newWorkspace() const {
    Workspace ws;
    ws.tensors.resize(tensors.size());
    ws.scratches = std::vector<Scratch>(own.scratches);  // copies get pointers to their own sums
    return ws;
  }

  // The value's tensor: a parameter or gradient is the model's; a batch-sized
  // value is the workspace's. (Parameters are only read in a forward pass,
  // so workspaces can run it concurrently.)
  Tensor& at(Workspace& ws, ir::ValueId id) {
    size_t s = slot[static_cast<size_t>(id)];
    return batchSlot[s] ? ws.tensors[s] : tensors[s];
  }
  Tensor& at(ir::ValueId id) { return at(own, id); }

  // The forward pass on `rows` samples, keeping the tracked maxima if `track`.
  void runForward(Workspace& ws, std::span<const float> input, int64_t rows, bool track) {
    shapeFor(ws, rows);
    float* destination = at(ws, graph.input).data();
    if (input.data() != destination) std::copy(input.begin(), input.end(), destination);  // see inputBatch
    for (size_t n = 0; n < lossNode; ++n) {
      runNode(ws, n, runtime::BatchTargets(std::span<const int32_t>()));
      if (!track) continue;
      for (TrackedOutput& t : tracked)
        if (t.node == n) runtime::maxRowsInto(at(ws, graph.nodes()[n].results[0]), t.maxima.maxima);
    }
  }

  // A layer's output is the result of its last forward node (its activation
  // Map, or the bias addition of a linear layer), whatever passes fused.
  std::optional<size_t> outputNode(const std::string& layer) const {
    std::optional<size_t> last;
    for (size_t n = 0; n < lossNode; ++n)
      if (graph.nodes()[n].layer == layer && graph.nodes()[n].op != GraphOp::Parameter) last = n;
    return last;
  }

  // One tensor per value, or per buffer of the memory plan.
  void assignSlots() {
    const std::vector<int32_t>& plan = graph.bufferOf;
    slot.resize(graph.numValues());
    size_t count = 0;
    std::vector<size_t> bufferSlot;
    for (size_t v = 0; v < graph.numValues(); ++v) {
      int32_t buffer = plan.size() == graph.numValues() ? plan[v] : -1;
      if (buffer < 0) {
        slot[v] = count++;
        continue;
      }
      if (bufferSlot.size() <= static_cast<size_t>(buffer)) bufferSlot.resize(static_cast<size_t>(buffer) + 1, SIZE_MAX);
      if (bufferSlot[static_cast<size_t>(buffer)] == SIZE_MAX) bufferSlot[static_cast<size_t>(buffer)] = count++;
      slot[v] = bufferSlot[static_cast<size_t>(buffer)];
    }
    tensors.resize(count);
    batchSlot.assign(count, false);
    for (size_t v = 0; v < graph.numValues(); ++v) {
      const ir::TensorShape& shape = graph.value(static_cast<ir::ValueId>(v)).shape;
      if (!shape.empty() && shape[0] == ir::kBatch) batchSlot[slot[v]] = true;
    }
    own.tensors.resize(count);
  }

  // The loss (and, with `gradient`, d loss / d prediction) against the
  // batch's labels or real-valued targets.
  // Targets of the wrong kind or count (a caller's mistake) give NaN, which
  // training reports, rather than a read past the end.
  double loss(const Tensor& prediction, const runtime::BatchTargets& targets, Tensor* gradient) const {
    int64_t rows = prediction.dim(0);
    bool fits = realTargets ? targets.values && targets.values->rank() == 2 && targets.values->dim(0) == rows &&
                                  targets.values->dim(1) == prediction.dim(1)
                            : !targets.values && static_cast<int64_t>(targets.labels.size()) == rows;
    if (!fits) {
      if (gradient) gradient->fill(std::numeric_limits<float>::quiet_NaN());
      return std::numeric_limits<double>::quiet_NaN();
    }
    if (!targets.values) return runtime::lossAndGradient(lossKind, prediction, targets.labels, gradient);
    return runtime::targetLossAndGradient(lossKind, prediction.data(), targets.values->data(), prediction.dim(0),
                                          prediction.dim(1), gradient ? gradient->data() : nullptr);
  }

  void runNode(Workspace& ws, size_t n, const runtime::BatchTargets& targets) {
    const GraphNode& node = graph.nodes()[n];
    auto at = [&](ir::ValueId id) -> Tensor& { return this->at(ws, id); };
    switch (node.op) {
      case GraphOp::Input:
      case GraphOp::Labels:
      case GraphOp::Targets:
      case GraphOp::Parameter: break;
      case GraphOp::MatMul:
        runtime::gemm(at(node.operands[0]), node.transposeA ? runtime::Transpose::Yes : runtime::Transpose::No,
                      at(node.operands[1]), node.transposeB ? runtime::Transpose::Yes : runtime::Transpose::No,
                      at(node.results[0]));
        break;
      case GraphOp::AddBias: {
        Tensor& out = at(node.results[0]);
        const Tensor& in = at(node.operands[0]);
        std::copy(in.data(), in.data() + in.size(), out.data());
        runtime::addRowBias(out, at(node.operands[1]));
        break;
      }
      case GraphOp::ColumnSum: runtime::sumRows(at(node.operands[0]), at(node.results[0])); break;
      case GraphOp::Map: runMap(ws, n); break;
      case GraphOp::Softmax: runtime::softmaxRows(at(node.operands[0]), at(node.results[0])); break;
      case GraphOp::SoftmaxGrad:
        runtime::softmaxRowsBackward(at(node.operands[0]), at(node.operands[1]), at(node.results[0]));
        break;
      case GraphOp::Loss: at(node.results[0])[0] = static_cast<float>(loss(at(node.operands[0]), targets, nullptr)); break;
      case GraphOp::LossGrad: loss(at(node.operands[0]), targets, &at(node.results[0])); break;
      case GraphOp::Concat: {
        Tensor& out = at(node.results[0]);
        int64_t first = 0;
        for (ir::ValueId operand : node.operands) {
          const Tensor& part = at(operand);
          nnc_rt_copy_columns(part.data(), part.dim(1), 0, part.dim(0), part.dim(1), out.data(), out.dim(1), first);
          first += part.dim(1);
        }
        break;
      }
      case GraphOp::Slice: {
        const Tensor& in = at(node.operands[0]);
        Tensor& out = at(node.results[0]);
        nnc_rt_copy_columns(in.data(), in.dim(1), node.firstColumn, in.dim(0), out.dim(1), out.data(), out.dim(1), 0);
        break;
      }
      case GraphOp::PadColumns: {
        const Tensor& in = at(node.operands[0]);
        Tensor& out = at(node.results[0]);
        out.fill(0);
        nnc_rt_copy_columns(in.data(), in.dim(1), 0, in.dim(0), in.dim(1), out.data(), out.dim(1), node.firstColumn);
        break;
      }
    }
  }

  void runMap(Workspace& ws, size_t n) {
    const GraphNode& node = graph.nodes()[n];
    auto at = [&](ir::ValueId id) -> Tensor& { return this->at(ws, id); };
    // [N, U] blocks; a [U] value (a parameter gradient summed by autodiff)
    // is one row.
    const Tensor& first = at(node.operands[0]);
    int64_t rows = first.rank() == 2 ? first.dim(0) : 1, stride = first.dim(first.rank() - 1);
    for (size_t s = 0; s < node.segments.size(); ++s) {
      const ir::MapSegment& segment = node.segments[s];
      // Reused every batch: clear() keeps the capacity, so nothing is allocated.
      Scratch& scratch = ws.scratches[kernelIndex[n][s]];
      scratch.inputs.clear();
      for (ir::ValueId operand : node.operands) scratch.inputs.push_back(at(operand).data() + segment.firstColumn);
      scratch.params.clear();
      for (const ir::MapSegment::Param& p : segment.params) scratch.params.push_back(at(p.value).data() + p.firstElement);
      scratch.outputs.clear();
      for (size_t k = 0; k < segment.outputs.size(); ++k)
        scratch.outputs.push_back(at(node.results[k]).data() + segment.firstColumn);
      // Parameter gradients accumulate per column; a per-layer (scalar)
      // parameter's gradient is then the sum over its columns.
      std::vector<Tensor>& sums = scratch.sums;
      for (Tensor& sum : sums) sum.fill(0);
      runParallel(*kernels[kernelIndex[n][s]],
                  KernelArgs<float>{rows, segment.columns, stride, scratch.inputs.data(), scratch.params.data(),
                                    scratch.outputs.data(), scratch.sumPointers.data()},
                  scratch.chunks);
      for (size_t k = 0; k < sums.size(); ++k) {
        const ir::MapSegment::ColumnSum& sum = segment.columnSums[k];
        Tensor& gradient = at(node.results[static_cast<size_t>(sum.result)]);
        if (gradient.size() == 1) {
          double total = 0;
          for (float v : sums[k].values()) total += v;
          gradient[0] = static_cast<float>(total);
        } else {
          std::copy(sums[k].data(), sums[k].data() + sums[k].size(), gradient.data() + sum.firstElement);
        }
      }
    }
  }

  void initialize(uint64_t seed) {
    std::mt19937_64 random(seed);
    for (const GraphNode& node : graph.nodes()) {
      if (node.op != GraphOp::Parameter) continue;
      Tensor& t = at(node.results[0]);
      switch (node.init) {
        case GraphNode::Init::Zero: t.fill(0); break;
        case GraphNode::Init::He: runtime::initializeWeights(t, runtime::InitScheme::He, random); break;
        case GraphNode::Init::Xavier: runtime::initializeWeights(t, runtime::InitScheme::Xavier, random); break;
        case GraphNode::Init::Constant: t.fill(static_cast<float>(node.initialValue)); break;
      }
    }
  }
};

CompiledModel::CompiledModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledModel::~CompiledModel() = default;

std::unique_ptr<CompiledModel> CompiledModel::compile(ir::Graph graph, FormulaJIT& jit, uint64_t seed,
                                                      std::string& error) {
  auto impl = std::make_unique<Impl>(std::move(graph));
  const ir::Graph& g = impl->graph;
  impl->assignSlots();
  impl->kernelIndex.resize(g.nodes().size());
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const GraphNode& node = g.nodes()[n];
    if (node.op == GraphOp::Targets) impl->realTargets = true;
    if (node.op == GraphOp::Loss) {
      impl->lossNode = n;
      impl->lossKind = runtimeLoss(node.loss);
      // After fuse-loss the loss reads the logits and the prediction is the
      // sigmoid of them: for accuracy and for predict, it is still bce's.
      bool fused = node.operands[0] != g.prediction && node.loss == ir::LossKind::BCEWithLogits;
      impl->predictionLoss = fused ? runtime::Loss::BCE : impl->lossKind;
    }
    if (node.op == GraphOp::LossGrad) impl->lossGradNode = n;
    // Values without a batch dimension (parameters, their gradients) have
    // fixed shapes: allocate them now.
    for (ir::ValueId r : node.results) {
      const ir::TensorShape& shape = g.value(r).shape;
      if (shape.empty() || shape[0] != ir::kBatch) impl->at(r) = Tensor(runtime::Shape(shape));
    }
    for (const ir::MapSegment& segment : node.segments) {
      KernelSpec spec;
      spec.outputs = segment.outputs;
      spec.inputs = segment.inputVars;
      for (const ir::MapSegment::Param& p : segment.params) spec.parameters.push_back({p.var, p.perColumn});
      for (const ir::MapSegment::ColumnSum& sum : segment.columnSums) spec.columnSums.push_back(sum.formula);
      KernelResult compiled = jit.compile(spec);
      if (!compiled.kernel) {
        error = compiled.error;
        return nullptr;
      }
      impl->kernelIndex[n].push_back(impl->kernels.size());
      impl->kernels.push_back(std::move(compiled.kernel));
      Scratch& scratch = impl->own.scratches.emplace_back();
      for (size_t k = 0; k < segment.columnSums.size(); ++k) scratch.sums.emplace_back(runtime::Shape{segment.columns});
      for (Tensor& sum : scratch.sums) scratch.sumPointers.push_back(sum.data());
      scratch.inputs.reserve(node.operands.size());
      scratch.params.reserve(segment.params.size());
      scratch.outputs.reserve(segment.outputs.size());
    }
  }
  if (impl->lossGradNode == 0) {
    error = "internal error: the model's graph has no backward part";
    return nullptr;
  }
  impl->initialize(seed);
  return std::unique_ptr<CompiledModel>(new CompiledModel(std::move(impl)));
}

const Tensor& CompiledModel::predict(const Tensor& x) {
  impl_->runForward(impl_->own, x.values(), x.dim(0), false);
  return impl_->at(impl_->graph.prediction);
}

CompiledModel::WorkspacePtr CompiledModel::newWorkspace() const {
  return WorkspacePtr(new Workspace(impl_->newWorkspace()));
}

void CompiledModel::WorkspaceDeleter::operator()(Workspace* workspace) const { delete workspace; }

const Tensor& CompiledModel::predict(std::span<const float> input, int64_t rows, Workspace& workspace) const {
  impl_->runForward(workspace, input, rows, false);
  return impl_->at(workspace, impl_->graph.prediction);
}

Tensor* CompiledModel::inputBatch(int64_t rows) {
  impl_->shapeFor(impl_->own, rows);
  return &impl_->at(impl_->graph.input);
}

double CompiledModel::trainStep(const Tensor& x, const runtime::BatchTargets& targets) {
  Impl& m = *impl_;
  m.runForward(m.own, x.values(), x.dim(0), true);
  m.runNode(m.own, m.lossNode, targets);
  for (size_t n = m.lossGradNode; n < m.graph.nodes().size(); ++n) m.runNode(m.own, n, targets);
  return m.at(m.graph.loss)[0];
}

std::vector<runtime::ParameterRef> CompiledModel::parameters() {
  std::vector<runtime::ParameterRef> out;
  for (auto [value, gradient] : impl_->graph.gradients) {
    const GraphNode& node = impl_->graph.nodes()[static_cast<size_t>(impl_->graph.value(value).producer)];
    out.push_back({node.name, &impl_->at(value), &impl_->at(gradient)});
  }
  return out;
}

void CompiledModel::trackOutputMaxima(const std::vector<std::string>& layers) {
  Impl& m = *impl_;
  m.tracked.clear();
  for (const std::string& layer : layers) {
    std::optional<size_t> node = m.outputNode(layer);
    if (!node) continue;
    const ir::TensorShape& shape = m.graph.value(m.graph.nodes()[*node].results[0]).shape;
    Tensor maxima(runtime::Shape{shape.back()});
    maxima.fill(-std::numeric_limits<float>::infinity());
    m.tracked.push_back({*node, {layer, std::move(maxima)}});
  }
}

std::vector<runtime::LayerOutputMaxima> CompiledModel::takeOutputMaxima() {
  std::vector<runtime::LayerOutputMaxima> out;
  for (Impl::TrackedOutput& t : impl_->tracked) {
    out.push_back(t.maxima);
    t.maxima.maxima.fill(-std::numeric_limits<float>::infinity());
  }
  return out;
}

runtime::Loss CompiledModel::loss() const { return impl_->predictionLoss; }

const ir::Graph& CompiledModel::graph() const { return impl_->graph; }

std::vector<CompiledModel::KernelListing> CompiledModel::kernels() const {
  std::vector<KernelListing> out;
  const ir::Graph& g = impl_->graph;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const GraphNode& node = g.nodes()[n];
    for (size_t s = 0; s < node.segments.size(); ++s) {
      const ir::MapSegment& segment = node.segments[s];
      std::string label = "map %" + std::to_string(node.results[0]);
      if (!node.layer.empty()) label += " (" + node.layer + ")";
      label += ", columns [" + std::to_string(segment.firstColumn) + ", " +
               std::to_string(segment.firstColumn + segment.columns) + ")";
      out.push_back({label, impl_->kernels[impl_->kernelIndex[n][s]].get()});
    }
  }
  return out;
}

std::optional<std::string> CompiledModel::firstNonFiniteLayer(const Tensor& x, const runtime::BatchTargets& targets) {
  // The memory plan reuses buffers, so the values of the failed step are
  // partly overwritten: run it again, checking each node's results as soon
  // as they are computed (forward first, where a NaN enters, then backward).
  Impl& m = *impl_;
  m.shapeFor(m.own, x.dim(0));
  std::copy(x.data(), x.data() + x.size(), m.at(m.graph.input).data());
  for (size_t n = 0; n < m.graph.nodes().size(); ++n) {
    m.runNode(m.own, n, targets);
    const GraphNode& node = m.graph.nodes()[n];
    if (node.layer.empty() || node.op == GraphOp::Parameter) continue;
    for (ir::ValueId r : node.results)
      if (!runtime::allFinite(m.at(r))) return node.layer;
  }
  return std::nullopt;
}

}  // namespace nnc::backend
