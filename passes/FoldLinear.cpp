// fold-linear: the transformation lint-linear-collapse suggests, at
// inference with trained weights. A run of dense layers where every layer
// but the last has no activation or an affine one, y = a (W x + b) + c per
// unit, is one layer:
//   W' = W_last diag(a_k) W_k ... diag(a_1) W_1,
//   b' = W_last (... a_1 (W_1 0 + b_1) + c_1 ...) + b_last,
// computed in double precision, followed by the last layer's activation.
// The folded parameters are named "first+...+last.weight" / ".bias".
#include <Eigen/Dense>
#include <fmt/format.h>

#include "analysis/ActivationFacts.h"
#include "passes/LayerStack.h"
#include "passes/Pass.h"

namespace nnc::passes {

namespace {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// The layer's pieces a fold needs, found from the output backwards.
struct FoldableLayer {
  const DenseLayer* layer;
  size_t matmul, addBias;
  ir::ValueId weight, bias;
};

std::optional<FoldableLayer> foldable(const ir::Graph& graph, const DenseLayer& layer) {
  // The layer's own activation (or softmax) stays: only what comes before it folds.
  ir::ValueId preActivation = layer.activation ? layer.activation->operands[0]
                              : layer.softmax  ? layer.softmax->operands[0]
                                               : layer.output;
  size_t addBias = static_cast<size_t>(graph.value(preActivation).producer);
  if (graph.nodes()[addBias].op != ir::GraphOp::AddBias) return std::nullopt;  // a fused bias: run before fuse-bias
  size_t matmul = static_cast<size_t>(graph.value(graph.nodes()[addBias].operands[0]).producer);
  // A shared layer (applied more than once) keeps its weights for the others.
  ir::ValueId weight = graph.nodes()[matmul].operands[1];
  size_t products = 0;
  for (const ir::GraphNode& node : graph.nodes())
    products += node.op == ir::GraphOp::MatMul && node.operands[1] == weight;
  if (products != 1) return std::nullopt;
  return FoldableLayer{&layer, matmul, addBias, weight, graph.nodes()[addBias].operands[1]};
}

// Per unit: the activation's slope a and offset c (y = a z + c), with the
// trained values of its parameters; nullopt if not affine.
std::optional<std::pair<Vector, Vector>> affineCoefficients(const ir::Graph& graph, const DenseLayer& layer,
                                                            const TrainedParameters& trained) {
  Vector a = Vector::Ones(layer.units), c = Vector::Zero(layer.units);
  if (layer.softmax) return std::nullopt;
  if (!layer.activation) return std::make_pair(a, c);
  for (const ir::MapSegment& segment : layer.activation->segments) {
    for (int64_t column = 0; column < segment.columns; ++column) {
      std::vector<std::pair<std::string, double>> parameters;
      for (const ir::MapSegment::Param& p : segment.params) {
        const std::string& name = graph.nodes()[static_cast<size_t>(graph.value(p.value).producer)].name;
        const TrainedParameter& value = trained.at(name);
        parameters.emplace_back(p.var, value.values[static_cast<size_t>(p.perColumn ? p.firstElement + column
                                                                                  : p.firstElement)]);
      }
      analysis::ActivationFacts facts(graph.exprs(), segment.outputs[0], segment.inputVars[0], parameters);
      if (!facts.affine() || facts.zeroDerivative()) return std::nullopt;
      a[segment.firstColumn + column] = facts.slope(0);
      c[segment.firstColumn + column] = facts.value(0);
    }
  }
  return std::make_pair(a, c);
}

Matrix matrixOf(const TrainedParameter& p) {
  Matrix m(p.shape[0], p.shape[1]);
  for (int64_t r = 0; r < p.shape[0]; ++r)
    for (int64_t k = 0; k < p.shape[1]; ++k) m(r, k) = p.values[static_cast<size_t>(r * p.shape[1] + k)];
  return m;
}

Vector vectorOf(const TrainedParameter& p) {
  Vector v(static_cast<int64_t>(p.values.size()));
  for (size_t i = 0; i < p.values.size(); ++i) v[static_cast<int64_t>(i)] = p.values[i];
  return v;
}

const std::string& parameterName(const ir::Graph& graph, ir::ValueId value) {
  return graph.nodes()[static_cast<size_t>(graph.value(value).producer)].name;
}

struct Fold {
  std::vector<FoldableLayer> run;
  std::string name;
  TrainedParameter weight, bias;
};

// The folded weight and bias of a run (computed before the graph changes:
// DenseLayer points into its nodes).
Fold computeFold(const ir::Graph& graph, const std::vector<FoldableLayer>& run, const TrainedParameters& trained) {
  const FoldableLayer& first = run.front();
  const FoldableLayer& last = run.back();
  int64_t inputs = graph.value(first.weight).shape[1];
  Matrix m = Matrix::Identity(inputs, inputs);
  Vector v = Vector::Zero(inputs);
  for (const FoldableLayer& layer : run) {
    Matrix w = matrixOf(trained.at(parameterName(graph, layer.weight)));
    Vector b = vectorOf(trained.at(parameterName(graph, layer.bias)));
    m = w * m;
    v = w * v + b;
    if (&layer == &last) break;  // the last layer's activation stays
    auto [a, c] = *affineCoefficients(graph, *layer.layer, trained);
    m = a.asDiagonal() * m;
    v = a.cwiseProduct(v) + c;
  }
  Fold fold{run, "", {{m.rows(), m.cols()}, {}}, {{v.size()}, {}}};
  for (const FoldableLayer& layer : run) {
    if (!fold.name.empty()) fold.name += '+';
    fold.name += layer.layer->name;
  }
  for (int64_t r = 0; r < m.rows(); ++r)
    for (int64_t k = 0; k < m.cols(); ++k) fold.weight.values.push_back(static_cast<float>(m(r, k)));
  for (int64_t i = 0; i < v.size(); ++i) fold.bias.values.push_back(static_cast<float>(v[i]));
  return fold;
}

// The run's last layer reads the run's input through the folded parameters;
// the layers before it are left for dce.
void applyFold(ir::Graph& graph, const Fold& fold, TrainedParameters& trained) {
  const FoldableLayer& first = fold.run.front();
  const FoldableLayer& last = fold.run.back();
  const std::string& name = fold.name;
  ir::ValueId x = graph.nodes()[first.matmul].operands[0];
  ir::ValueId newWeight = addFoldedParameter(graph, trained, name + ".weight", name, first.layer->range, fold.weight);
  ir::ValueId newBias = addFoldedParameter(graph, trained, name + ".bias", name, first.layer->range, fold.bias);
  ir::GraphNode& product = graph.mutableNode(last.matmul);
  product.operands = {x, newWeight};
  product.layer = name;
  ir::GraphNode& addBias = graph.mutableNode(last.addBias);
  addBias.operands[1] = newBias;
  addBias.layer = name;
}

}  // namespace

bool foldLinear(ir::Graph& graph, PassContext& context) {
  TrainedParameters* trained = context.requireTrainedParameters("fold-linear");
  if (!trained) return false;
  // Weights that do not match the model are reported when they are loaded.
  for (const ir::GraphNode& node : graph.nodes()) {
    if (node.op != ir::GraphOp::Parameter) continue;
    auto found = trained->find(node.name);
    if (found == trained->end() || found->second.shape != graph.value(node.results[0]).shape) return false;
  }
  std::vector<DenseLayer> layers = denseLayers(graph);
  std::vector<std::vector<size_t>> readers = graph.readers();
  std::vector<std::vector<FoldableLayer>> runs;
  std::vector<FoldableLayer> run;
  const DenseLayer* previous = nullptr;  // the run's last layer
  for (const DenseLayer& layer : layers) {
    std::optional<FoldableLayer> piece = foldable(graph, layer);
    // A run is a chain: each layer reads the one before, and nothing else
    // does (a residual sum still needs the inner layer's output).
    bool continues = previous && previous->output == layer.input &&
                     readers[static_cast<size_t>(layer.input)].size() == 1;
    if (!piece || !continues) {  // (a run that leads into something else is left as it is)
      run.clear();
      previous = nullptr;
      if (!piece) continue;
    }
    run.push_back(*piece);
    previous = &layer;
    if (!affineCoefficients(graph, layer, *trained)) {  // this layer ends the run (its activation stays)
      if (run.size() > 1) runs.push_back(run);
      run.clear();
      previous = nullptr;
    }
  }
  if (run.size() > 1) runs.push_back(run);
  std::vector<Fold> folds;
  for (const std::vector<FoldableLayer>& r : runs) folds.push_back(computeFold(graph, r, *trained));
  for (const Fold& fold : folds) {
    applyFold(graph, fold, *trained);
    context.count("layers folded away", static_cast<int64_t>(fold.run.size() - 1));
  }
  if (folds.empty()) return false;
  graph.sortTopologically();
  return true;
}

}  // namespace nnc::passes
