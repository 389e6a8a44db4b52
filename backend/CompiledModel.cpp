#include "backend/CompiledModel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "backend/ExecutionPlan.h"
#include "backend/ParallelKernel.h"
#include "runtime/BatchNorm.h"
#include "runtime/CApi.h"
#include "runtime/Conv2d.h"
#include "runtime/Dropout.h"
#include "runtime/Embedding.h"
#include "runtime/Gemm.h"
#include "runtime/Initializer.h"
#include "runtime/Pool2d.h"
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

// What one run of the plan writes: its workspace array (the batch-sized
// values and the fixed-size ones after them), the batch of samples, the
// prediction copied out, and the kernels' argument arrays. Parameters and
// their gradients are the model's.
struct CompiledModel::Workspace {
  runtime::AlignedBuffer<float> floats;  // ExecutionPlan::workspaceFloats(batch)
  Tensor input, prediction;
  const float* targets = nullptr;        // the real-valued targets of the step running (a loss formula reads them)
  // A training step's forward pass normalises by the batch's statistics
  // (batchnorm) and, unless it replays a step, updates the running ones;
  // inference reads the running ones.
  bool training = false, updateStatistics = false;
  uint64_t step = 0;                     // the training step running: its dropout masks
  std::vector<Scratch> scratches;        // by kernel
  int64_t batch = -1;
};

struct CompiledModel::Impl {
  ir::Graph graph;
  ExecutionPlan plan;
  // By the plan's parameter table: the optimiser and checkpoints work on
  // tensors, so the JIT keeps one per parameter and gradient rather than
  // the flat arrays an AOT object's caller passes.
  std::vector<Tensor> parameters, gradients;
  std::vector<std::unique_ptr<Kernel>> kernels;  // by the plan's kernels
  Workspace own;                                 // training's and predict()'s
  uint64_t seed = 0;                             // the initialisation's, which draws dropout masks too
  uint64_t nextStep = 0;                         // the training step to run next
  runtime::Loss lossKind = runtime::Loss::CrossEntropy;        // the loss trained (its Loss node, or its formula)
  runtime::Loss predictionLoss = runtime::Loss::CrossEntropy;  // how to read the prediction
  // Layers whose output maxima trainStep keeps (dead-unit detection): the
  // node that computes the layer's output, checked right after it runs,
  // before the memory plan lets another value reuse its buffer.
  struct TrackedOutput {
    size_t node;        // the node that computes it
    ir::ValueId value;  // the layer's output
    runtime::LayerOutputMaxima maxima;
  };
  std::vector<TrackedOutput> tracked;

  Impl(ir::Graph g, ExecutionPlan p) : graph(std::move(g)), plan(std::move(p)) {}

  int64_t columns(ir::ValueId v) const { return ir::rowWidth(graph.value(v).shape); }

  // [rows, C] for a batch-sized value, [1, C] for a [C] one, in a run of `batch` rows.
  int64_t rows(ir::ValueId v, int64_t batch) const {
    const ir::TensorShape& shape = graph.value(v).shape;
    if (shape.size() < 2) return 1;
    return shape[0] == ir::kBatch ? batch : shape[0];
  }

  // Gives the workspace the arrays of a batch of `rows` samples.
  void shapeFor(Workspace& ws, int64_t rows) const {
    if (rows == ws.batch) return;
    ws.batch = rows;
    ws.floats = runtime::AlignedBuffer<float>(static_cast<size_t>(plan.workspaceFloats(rows)));
    ws.input = Tensor({rows, columns(plan.input)});
    ws.prediction = Tensor({rows, columns(plan.prediction)});
  }

  Workspace newWorkspace() const {
    Workspace ws;
    ws.scratches = std::vector<Scratch>(own.scratches);  // copies get pointers to their own sums
    return ws;
  }

  // Where the value is in this run. (Parameters are only read in a forward
  // pass, so workspaces can run it concurrently.)
  float* at(Workspace& ws, ir::ValueId v) {
    const Placement& place = plan.placement[static_cast<size_t>(v)];
    switch (place.region) {
      case Region::Input: return ws.input.data();
      case Region::Parameters: return parameters[static_cast<size_t>(place.parameter)].data();
      case Region::Gradients: return gradients[static_cast<size_t>(place.parameter)].data();
      case Region::Batch:
      case Region::Fixed: return ws.floats.data() + plan.offsetIn(v, ws.batch);
      case Region::Targets:  // class labels reach the Loss node as the call's BatchTargets; see read()
      case Region::None: break;
    }
    return nullptr;
  }

  // Where a value a node reads is: at() for the values the plan writes, or
  // the step's real-valued targets (which a loss formula's Map reads).
  const float* read(Workspace& ws, ir::ValueId v) {
    if (plan.placement[static_cast<size_t>(v)].region == Region::Targets) return ws.targets;
    return at(ws, v);
  }

  // Whether `targets` are what the plan's loss compares with, for a batch of
  // `rows`: class labels, one per row, or real-valued targets of the
  // prediction's shape.
  bool targetsFit(const runtime::BatchTargets& targets, int64_t rows, int64_t cols) const {
    if (!plan.realTargets) return !targets.values && static_cast<int64_t>(targets.labels.size()) == rows;
    return targets.values && targets.values->rank() == 2 && targets.values->dim(0) == rows &&
           targets.values->dim(1) == cols;
  }

  // The forward pass on `rows` samples, keeping the tracked maxima if `track`.
  void runForward(Workspace& ws, std::span<const float> input, int64_t rows, bool track) {
    shapeFor(ws, rows);
    float* destination = ws.input.data();
    if (input.data() != destination) std::copy(input.begin(), input.end(), destination);  // see inputBatch
    for (size_t n : plan.forward) {
      runNode(ws, n, runtime::BatchTargets(std::span<const int32_t>()));
      if (!track) continue;
      for (TrackedOutput& t : tracked)
        if (t.node == n) runtime::maxRowsInto(at(ws, t.value), rows, columns(t.value), t.maxima.maxima.data());
    }
    const float* prediction = at(ws, plan.prediction);
    std::copy(prediction, prediction + ws.prediction.size(), ws.prediction.data());
  }

  // The layer whose output `value` is, if it is one (the graph records
  // them, wherever fusion put them).
  const std::string* layerOf(ir::ValueId value) const {
    for (const ir::Graph::LayerApplication& application : graph.layerApplications)
      if (application.output == value) return &application.layer;
    return nullptr;
  }

  // The loss (and, with `gradient`, d loss / d prediction) against the
  // batch's labels or real-valued targets.
  // Targets of the wrong kind or count (a caller's mistake) give NaN, which
  // training reports, rather than a read past the end.
  double loss(const float* prediction, int64_t rows, int64_t cols, const runtime::BatchTargets& targets,
              float* gradient) const {
    if (!targetsFit(targets, rows, cols)) {
      if (gradient) std::fill(gradient, gradient + rows * cols, std::numeric_limits<float>::quiet_NaN());
      return std::numeric_limits<double>::quiet_NaN();
    }
    if (!targets.values) return runtime::lossAndGradient(lossKind, prediction, rows, cols, targets.labels, gradient);
    return runtime::targetLossAndGradient(lossKind, prediction, targets.values->data(), rows, cols, gradient);
  }

  void runNode(Workspace& ws, size_t n, const runtime::BatchTargets& targets) {
    const GraphNode& node = graph.nodes()[n];
    auto at = [&](ir::ValueId id) { return this->at(ws, id); };
    auto rows = [&](ir::ValueId id) { return this->rows(id, ws.batch); };
    ir::ValueId in = node.operands.empty() ? -1 : node.operands[0], out = node.results[0];
    switch (node.op) {
      case GraphOp::Input:
      case GraphOp::Labels:
      case GraphOp::Targets:
      case GraphOp::Parameter: break;
      case GraphOp::MatMul: {
        ir::ValueId b = node.operands[1];
        // Inference multiplies in a fixed order (runtime/CApi.h says why),
        // as the AOT object's forward function does.
        auto matmul = ws.training ? nnc_rt_matmul : nnc_rt_matmul_inference;
        matmul(at(in), rows(in), columns(in), node.transposeA, at(b), rows(b), columns(b), node.transposeB, at(out));
        break;
      }
      case GraphOp::AddBias: runtime::addRowBias(at(in), at(node.operands[1]), rows(in), columns(in), at(out)); break;
      case GraphOp::ColumnSum: runtime::sumRows(at(in), rows(in), columns(in), at(out)); break;
      case GraphOp::Map: runMap(ws, n); break;
      case GraphOp::Softmax: runtime::softmaxRows(at(in), rows(in), columns(in), at(out)); break;
      case GraphOp::SoftmaxGrad:
        runtime::softmaxRowsBackward(at(in), at(node.operands[1]), rows(in), columns(in), at(out));
        break;
      case GraphOp::Loss: *at(out) = static_cast<float>(loss(at(in), rows(in), columns(in), targets, nullptr)); break;
      case GraphOp::Mean: *at(out) = nnc_rt_mean(at(in), rows(in) * columns(in)); break;
      case GraphOp::LayerNorm:
        nnc_rt_layernorm(at(in), at(node.operands[1]), at(node.operands[2]), rows(in), columns(in), node.epsilon,
                         at(out));
        break;
      case GraphOp::LayerNormGrad:
        nnc_rt_layernorm_backward(at(in), at(node.operands[1]), at(node.operands[2]), rows(in), columns(in),
                                  node.epsilon, at(out), at(node.results[1]), at(node.results[2]));
        break;
      case GraphOp::BatchNorm: {
        const float *gamma = at(node.operands[1]), *beta = at(node.operands[2]);
        float *mean = at(node.operands[3]), *variance = at(node.operands[4]);
        runtime::BatchNormShape s = batchNormShape(in, ws.batch);
        if (!ws.training) runtime::batchNormInference(at(in), gamma, beta, mean, variance, s, node.epsilon, at(out));
        else if (ws.updateStatistics)
          runtime::batchNormTraining(at(in), gamma, beta, s, node.epsilon, node.momentum, mean, variance, at(out));
        else runtime::batchNormTraining(at(in), gamma, beta, s, node.epsilon, node.momentum, nullptr, nullptr, at(out));
        break;
      }
      case GraphOp::Dropout:
      case GraphOp::DropoutGrad: {
        int64_t count = rows(in) * columns(in);
        if (node.op == GraphOp::Dropout && !ws.training) {
          std::copy(at(in), at(in) + count, at(out));  // inference: the identity
          break;
        }
        uint64_t key = runtime::dropoutKey(seed, ws.step, node.stream);
        if (node.op == GraphOp::Dropout) runtime::dropoutForward(at(in), count, node.probability, key, at(out));
        else runtime::dropoutBackward(at(in), count, node.probability, key, at(out));
        break;
      }
      case GraphOp::Embedding:
        runtime::embeddingForward(at(in), at(node.operands[1]), embeddingShape(in, node.operands[1], ws.batch),
                                  at(out));
        break;
      case GraphOp::EmbeddingGrad:
        runtime::embeddingBackward(at(in), at(node.operands[1]), embeddingShape(in, out, ws.batch), at(out));
        break;
      case GraphOp::BatchNormGrad:
        runtime::batchNormBackward(at(in), at(node.operands[1]), at(node.operands[2]), batchNormShape(in, ws.batch),
                                   node.epsilon, at(out), at(node.results[1]), at(node.results[2]));
        break;
      case GraphOp::Conv2d:
      case GraphOp::Conv2dInputGrad:
      case GraphOp::Conv2dWeightGrad: {
        runtime::Conv2dShape s = convShape(node, ws.batch);
        const float* second = at(node.operands[1]);
        if (node.op == GraphOp::Conv2d) runtime::conv2dForward(at(in), second, at(node.operands[2]), s, at(out));
        else if (node.op == GraphOp::Conv2dInputGrad) runtime::conv2dBackwardInput(at(in), second, s, at(out));
        else runtime::conv2dBackwardWeights(at(in), second, s, at(out), at(node.results[1]));
        break;
      }
      case GraphOp::MaxPool2d: runtime::maxPool2dForward(at(in), poolShape(node, in, ws.batch), at(out)); break;
      case GraphOp::MaxPool2dGrad:
        runtime::maxPool2dBackward(at(in), at(node.operands[1]), poolShape(node, in, ws.batch), at(out));
        break;
      case GraphOp::AvgPool2d: runtime::avgPool2dForward(at(in), poolShape(node, in, ws.batch), at(out)); break;
      case GraphOp::AvgPool2dGrad: runtime::avgPool2dBackward(at(in), poolShape(node, out, ws.batch), at(out)); break;
      case GraphOp::Reshape: std::copy(at(in), at(in) + rows(in) * columns(in), at(out)); break;
      case GraphOp::MeanGrad: nnc_rt_fill_mean_grad(rows(out) * columns(out), at(out)); break;
      case GraphOp::LossGrad: loss(at(in), rows(in), columns(in), targets, at(out)); break;
      case GraphOp::Concat: {
        int64_t first = 0;
        for (ir::ValueId part : node.operands) {
          nnc_rt_copy_columns(at(part), columns(part), 0, rows(part), columns(part), at(out), columns(out), first);
          first += columns(part);
        }
        break;
      }
      case GraphOp::Slice:
        nnc_rt_copy_columns(at(in), columns(in), node.firstColumn, rows(in), columns(out), at(out), columns(out), 0);
        break;
      case GraphOp::PadColumns:
        std::fill(at(out), at(out) + rows(out) * columns(out), 0.0f);
        nnc_rt_copy_columns(at(in), columns(in), 0, rows(in), columns(in), at(out), columns(out), node.firstColumn);
        break;
    }
  }

  // A convolution node's shapes in a run of `batch` samples: its image is
  // the forward input (the x of conv2d and of its weight gradient, the dx of
  // its input gradient), its weight the [O, C/groups, k, k] operand or result.
  runtime::Conv2dShape convShape(const GraphNode& node, int64_t batch) const {
    ir::ValueId image = node.op == GraphOp::Conv2dInputGrad ? node.results[0] : node.operands[0];
    ir::ValueId output = node.op == GraphOp::Conv2d            ? node.results[0]
                         : node.op == GraphOp::Conv2dInputGrad ? node.operands[0]
                                                               : node.operands[1];
    const ir::TensorShape &x = graph.value(image).shape, &y = graph.value(output).shape;
    const ir::OpAttributes::Window& w = node.window;
    return {batch, x[1], x[2], x[3], y[1], w.kernel, w.stride, w.padding, w.dilation, w.groups};
  }

  // An embedding's shape: its indices x [N, L] and its table [V, D].
  runtime::EmbeddingShape embeddingShape(ir::ValueId x, ir::ValueId table, int64_t batch) const {
    const ir::TensorShape &indices = graph.value(x).shape, &w = graph.value(table).shape;
    return {batch, indices[1], w[0], w[1]};
  }

  // A batchnorm's shape: channels, and positions per channel (H * W of an image).
  runtime::BatchNormShape batchNormShape(ir::ValueId x, int64_t batch) const {
    const ir::TensorShape& shape = graph.value(x).shape;
    return {batch, shape[1], ir::rowWidth(shape) / shape[1]};
  }

  // A pool's shapes: `image` is its (forward) input.
  runtime::Pool2dShape poolShape(const GraphNode& node, ir::ValueId image, int64_t batch) const {
    const ir::TensorShape& x = graph.value(image).shape;
    return {batch, x[1], x[2], x[3], node.window.kernel, node.window.stride, node.window.padding};
  }

  void runMap(Workspace& ws, size_t n) {
    const GraphNode& node = graph.nodes()[n];
    // [N, U] blocks; a [U] value (a parameter gradient summed by autodiff)
    // is one row.
    ir::ValueId first = node.operands[0];
    int64_t rows = this->rows(first, ws.batch), stride = columns(first);
    for (size_t s = 0; s < node.segments.size(); ++s) {
      const ir::MapSegment& segment = node.segments[s];
      size_t k = plan.kernelOf[n][s];
      // Reused every batch: clear() keeps the capacity, so nothing is allocated.
      Scratch& scratch = ws.scratches[k];
      scratch.inputs.clear();
      for (ir::ValueId operand : node.operands) scratch.inputs.push_back(read(ws, operand) + segment.firstColumn);
      scratch.params.clear();
      for (const ir::MapSegment::Param& p : segment.params) scratch.params.push_back(at(ws, p.value) + p.firstElement);
      scratch.outputs.clear();
      for (size_t o = 0; o < segment.outputs.size(); ++o)
        scratch.outputs.push_back(at(ws, node.results[o]) + segment.firstColumn);
      // Parameter gradients accumulate per column; a per-layer (scalar)
      // parameter's gradient is then the sum over its columns.
      std::vector<Tensor>& sums = scratch.sums;
      for (Tensor& sum : sums) sum.fill(0);
      runParallel(*kernels[k],
                  KernelArgs<float>{rows, segment.columns, stride, scratch.inputs.data(), scratch.params.data(),
                                    scratch.outputs.data(), scratch.sumPointers.data()},
                  scratch.chunks);
      for (size_t c = 0; c < sums.size(); ++c) {
        const ir::MapSegment::ColumnSum& sum = segment.columnSums[c];
        ir::ValueId result = node.results[static_cast<size_t>(sum.result)];
        float* gradient = at(ws, result);
        if (sum.total) {
          double total = 0;
          for (float v : sums[c].values()) total += v;
          gradient[sum.firstElement] = static_cast<float>(total);
        } else {
          std::copy(sums[c].data(), sums[c].data() + sums[c].size(), gradient + sum.firstElement);
        }
      }
    }
  }

  void initialize(uint64_t seed) {
    std::mt19937_64 random(seed);
    for (size_t i = 0; i < plan.parameters.size(); ++i) {
      const PlannedParameter& p = plan.parameters[i];
      Tensor& t = parameters[i];
      switch (p.init) {
        case GraphNode::Init::Zero: t.fill(0); break;
        case GraphNode::Init::He: runtime::initializeWeights(t, runtime::InitScheme::He, random); break;
        case GraphNode::Init::Xavier: runtime::initializeWeights(t, runtime::InitScheme::Xavier, random); break;
        case GraphNode::Init::Constant: t.fill(static_cast<float>(p.initialValue)); break;
        case GraphNode::Init::One: t.fill(1); break;
        case GraphNode::Init::Normal: {
          std::normal_distribution<double> normal(0.0, 1.0);
          for (float& v : t.values()) v = static_cast<float>(normal(random));
          break;
        }
      }
    }
  }
};

// The JIT as a target of execution plans: it runs every op.
class JitTarget final : public Target {
public:
  const char* name() const override { return "the JIT"; }
  std::string unsupported(const ir::Graph&, const ExecutionPlan&, size_t) const override { return ""; }
};

CompiledModel::CompiledModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledModel::~CompiledModel() = default;

std::unique_ptr<CompiledModel> CompiledModel::compile(ir::Graph graph, FormulaJIT& jit, uint64_t seed,
                                                      std::string& error) {
  std::optional<ExecutionPlan> plan = planExecution(graph, error);
  if (!plan) return nullptr;
  if (error = firstUnsupported(JitTarget(), graph, *plan); !error.empty()) return nullptr;
  auto impl = std::make_unique<Impl>(std::move(graph), std::move(*plan));
  const ir::Graph& g = impl->graph;
  const ExecutionPlan& p = impl->plan;
  if (p.lossKind) {
    impl->lossKind = runtimeLoss(*p.lossKind);
    // After fuse-loss the loss reads the logits and the prediction is the
    // sigmoid of them: for accuracy and for predict, it is still bce's.
    bool fused = p.lossInput != g.prediction() && *p.lossKind == ir::LossKind::BCEWithLogits;
    impl->predictionLoss = fused ? runtime::Loss::BCE : impl->lossKind;
  }
  for (const PlannedParameter& parameter : p.parameters) {
    impl->parameters.emplace_back(runtime::Shape(parameter.shape));
    impl->gradients.emplace_back(runtime::Shape(parameter.shape));
  }
  std::vector<KernelSpec> specs;
  for (const PlannedKernel& planned : p.kernels) specs.push_back(planned.spec);
  std::vector<KernelResult> compiled = jit.compile(specs);
  for (const KernelResult& kernel : compiled) {
    if (!kernel.kernel) {
      error = kernel.error;
      return nullptr;
    }
  }
  for (size_t k = 0; k < compiled.size(); ++k) {
    const PlannedKernel& planned = p.kernels[k];
    impl->kernels.push_back(std::move(compiled[k].kernel));
    const GraphNode& node = g.nodes()[planned.node];
    const ir::MapSegment& segment = node.segments[planned.segment];
    Scratch& scratch = impl->own.scratches.emplace_back();
    for (size_t k = 0; k < segment.columnSums.size(); ++k) scratch.sums.emplace_back(runtime::Shape{segment.columns});
    for (Tensor& sum : scratch.sums) scratch.sumPointers.push_back(sum.data());
    scratch.inputs.reserve(node.operands.size());
    scratch.params.reserve(segment.params.size());
    scratch.outputs.reserve(segment.outputs.size());
  }
  impl->seed = seed;
  impl->initialize(seed);
  return std::unique_ptr<CompiledModel>(new CompiledModel(std::move(impl)));
}

const Tensor& CompiledModel::predict(const Tensor& x) {
  impl_->runForward(impl_->own, x.values(), x.dim(0), false);
  return impl_->own.prediction;
}

CompiledModel::WorkspacePtr CompiledModel::newWorkspace() const {
  return WorkspacePtr(new Workspace(impl_->newWorkspace()));
}

void CompiledModel::WorkspaceDeleter::operator()(Workspace* workspace) const { delete workspace; }

const Tensor& CompiledModel::predict(std::span<const float> input, int64_t rows, Workspace& workspace) const {
  impl_->runForward(workspace, input, rows, false);
  return workspace.prediction;
}

Tensor* CompiledModel::inputBatch(int64_t rows) {
  impl_->shapeFor(impl_->own, rows);
  return &impl_->own.input;
}

void CompiledModel::initializeParameters(uint64_t seed) {
  impl_->seed = seed;
  impl_->initialize(seed);
}

void CompiledModel::setTrainingStep(int64_t step) { impl_->nextStep = static_cast<uint64_t>(step); }

bool CompiledModel::trainable() const { return !impl_->plan.backward.empty(); }

double CompiledModel::trainStep(const Tensor& x, const runtime::BatchTargets& targets) {
  Impl& m = *impl_;
  if (!trainable()) return std::numeric_limits<double>::quiet_NaN();  // an inference graph: see trainable()
  if (!m.targetsFit(targets, x.dim(0), m.columns(m.plan.prediction)))  // a caller's mistake: see loss()
    return std::numeric_limits<double>::quiet_NaN();
  m.own.targets = targets.values ? targets.values->data() : nullptr;
  m.own.training = m.own.updateStatistics = true;
  m.own.step = m.nextStep++;
  m.runForward(m.own, x.values(), x.dim(0), true);
  for (size_t n : m.plan.loss) m.runNode(m.own, n, targets);
  for (size_t n : m.plan.backward) m.runNode(m.own, n, targets);
  m.own.training = m.own.updateStatistics = false;
  return *m.at(m.own, m.plan.lossValue);
}

std::vector<runtime::ParameterRef> CompiledModel::parameters() {
  // Every Parameter node's, from the plan's table: an inference graph has
  // the same parameters as the training graph (its gradients stay 0).
  std::vector<runtime::ParameterRef> out;
  for (size_t i = 0; i < impl_->plan.parameters.size(); ++i) {
    // The builder initialises each kind its own way: weights He or Xavier,
    // biases and normalisation shifts at 0 and scales at 1 (the biases'
    // group, as torch recipes leave them undecayed), learnable activation
    // parameters at their written value.
    runtime::ParameterRole role = runtime::ParameterRole::Weight;
    switch (impl_->plan.parameters[i].init) {
      case GraphNode::Init::He:
      case GraphNode::Init::Xavier:
      case GraphNode::Init::Normal: role = runtime::ParameterRole::Weight; break;
      case GraphNode::Init::Zero:
      case GraphNode::Init::One: role = runtime::ParameterRole::Bias; break;
      case GraphNode::Init::Constant: role = runtime::ParameterRole::Activation; break;
    }
    if (!impl_->plan.parameters[i].trained) role = runtime::ParameterRole::Statistic;
    out.push_back({impl_->plan.parameters[i].name, &impl_->parameters[i], &impl_->gradients[i], role});
  }
  return out;
}

void CompiledModel::trackOutputMaxima(const std::vector<std::string>& layers) {
  Impl& m = *impl_;
  m.tracked.clear();
  for (const std::string& layer : layers) {
    ir::ValueId value = m.graph.layerOutput(layer);
    if (value < 0) continue;
    Tensor maxima(runtime::Shape{m.columns(value)});
    maxima.fill(-std::numeric_limits<float>::infinity());
    m.tracked.push_back({static_cast<size_t>(m.graph.value(value).producer), value, {layer, std::move(maxima)}});
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

const runtime::Tensor* CompiledModel::lastTrainingPrediction() const {
  // trainStep's forward pass copies its prediction out, as predict's does.
  return impl_->own.batch >= 0 ? &impl_->own.prediction : nullptr;
}

const ir::Graph& CompiledModel::graph() const { return impl_->graph; }

std::vector<CompiledModel::KernelListing> CompiledModel::kernels() const {
  std::vector<KernelListing> out;
  for (size_t k = 0; k < impl_->plan.kernels.size(); ++k)
    out.push_back({impl_->plan.kernels[k].label, impl_->kernels[k].get()});
  return out;
}

std::optional<std::string> CompiledModel::firstNonFiniteLayer(const Tensor& x, const runtime::BatchTargets& targets) {
  // The memory plan reuses buffers, so the values of the failed step are
  // partly overwritten: run it again, checking each node's results as soon
  // as they are computed (forward first, where a NaN enters, then backward).
  Impl& m = *impl_;
  if (!m.targetsFit(targets, x.dim(0), m.columns(m.plan.prediction))) return std::nullopt;
  m.shapeFor(m.own, x.dim(0));
  m.own.targets = targets.values ? targets.values->data() : nullptr;
  std::copy(x.data(), x.data() + x.size(), m.own.input.data());
  m.own.training = true;  // the step again, as it ran (its masks), but its statistics counted once
  m.own.step = m.nextStep ? m.nextStep - 1 : 0;
  struct Inference {
    Workspace& ws;
    ~Inference() { ws.training = false; }
  } restore{m.own};
  for (const std::vector<size_t>* phase : {&m.plan.forward, &m.plan.loss, &m.plan.backward})
    for (size_t n : *phase) {
      m.runNode(m.own, n, targets);
      const GraphNode& node = m.graph.nodes()[n];
      for (ir::ValueId r : node.results) {
        // Named after the layer whose output it is (a fused loop may compute
        // one layer's output beside another value), else the node's layer.
        const std::string* layer = m.layerOf(r);
        if (!layer && node.layer.empty()) continue;
        const float* values = m.at(m.own, r);
        int64_t count = m.rows(r, x.dim(0)) * m.columns(r);
        if (!std::all_of(values, values + count, [](float v) { return std::isfinite(v); }))
          return layer ? *layer : node.layer;
      }
    }
  return std::nullopt;
}

}  // namespace nnc::backend
