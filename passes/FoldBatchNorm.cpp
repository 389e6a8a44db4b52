// fold-batchnorm: at inference with trained parameters, a batchnorm is an
// affine map per channel, y = s (x - mean) + beta with s = gamma / sqrt(var
// + eps) from its running statistics; where it reads a convolution or a
// dense layer without activation, and nothing else reads that layer, the
// layer computes it: per output channel o,
//   W'[o] = s[o] W[o],   b'[o] = s[o] (b[o] - mean[o]) + beta[o],
// in double precision. The folded parameters are named "layer+norm.weight"
// and ".bias" (as fold-linear names its folds); the batchnorm is left for dce.
#include <cmath>

#include <fmt/format.h>

#include "passes/Pass.h"

namespace nnc::passes {

namespace {

const std::string& nameOf(const ir::Graph& graph, ir::ValueId parameter) {
  return graph.nodes()[static_cast<size_t>(graph.value(parameter).producer)].name;
}

// The node computing a batchnorm's input, a conv2d or an add_bias of a
// matmul by a weight [U, F], and its weight and bias; nullopt otherwise.
struct Foldable {
  size_t node;  // the conv2d, or the add_bias (whose matmul gets the new weight)
  size_t product;
  ir::ValueId weight, bias;
};

std::optional<Foldable> foldableInput(const ir::Graph& graph, ir::ValueId x) {
  size_t producer = static_cast<size_t>(graph.value(x).producer);
  const ir::GraphNode& node = graph.nodes()[producer];
  if (node.op == ir::GraphOp::Conv2d) return Foldable{producer, producer, node.operands[1], node.operands[2]};
  if (node.op != ir::GraphOp::AddBias) return std::nullopt;
  size_t product = static_cast<size_t>(graph.value(node.operands[0]).producer);
  const ir::GraphNode& matmul = graph.nodes()[product];
  if (matmul.op != ir::GraphOp::MatMul || matmul.transposeA || !matmul.transposeB) return std::nullopt;
  return Foldable{producer, product, matmul.operands[1], node.operands[1]};
}

}  // namespace

bool foldBatchNorm(ir::Graph& graph, PassContext& context) {
  TrainedParameters* trained = context.requireTrainedParameters("fold-batchnorm");
  if (!trained) return false;
  std::vector<std::vector<size_t>> readers = graph.readers();
  size_t folded = 0;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const ir::GraphNode norm = graph.nodes()[n];  // a copy: add() below may reallocate the node list
    if (norm.op != ir::GraphOp::BatchNorm) continue;
    ir::ValueId x = norm.operands[0];
    std::optional<Foldable> layer = foldableInput(graph, x);
    if (!layer || readers[static_cast<size_t>(x)].size() != 1) continue;
    // A weight or bias another node reads (a shared layer) keeps its values for it.
    if (readers[static_cast<size_t>(layer->weight)].size() != 1 || readers[static_cast<size_t>(layer->bias)].size() != 1)
      continue;
    auto values = [&](ir::ValueId v) -> const TrainedParameter* {
      auto found = trained->find(nameOf(graph, v));
      return found == trained->end() ? nullptr : &found->second;
    };
    const TrainedParameter *w = values(layer->weight), *b = values(layer->bias), *gamma = values(norm.operands[1]),
                           *beta = values(norm.operands[2]), *mean = values(norm.operands[3]),
                           *variance = values(norm.operands[4]);
    if (!w || !b || !gamma || !beta || !mean || !variance) return false;  // (reported when the weights were loaded)
    const size_t channels = b->values.size(), perChannel = w->values.size() / channels;
    std::string name = fmt::format("{}+{}", graph.nodes()[layer->node].layer, norm.layer);
    TrainedParameter weight{w->shape, {}}, bias{b->shape, {}};
    for (size_t o = 0; o < channels; ++o) {
      double s = gamma->values[o] / std::sqrt(static_cast<double>(variance->values[o]) + norm.epsilon);
      for (size_t i = 0; i < perChannel; ++i) weight.values.push_back(static_cast<float>(s * w->values[o * perChannel + i]));
      bias.values.push_back(static_cast<float>(s * (static_cast<double>(b->values[o]) - mean->values[o]) + beta->values[o]));
    }
    ir::ValueId newWeight = addFoldedParameter(graph, *trained, name + ".weight", name, norm.range, std::move(weight));
    ir::ValueId newBias = addFoldedParameter(graph, *trained, name + ".bias", name, norm.range, std::move(bias));
    if (layer->node == layer->product) {  // conv2d
      graph.mutableNode(layer->node).operands[1] = newWeight;
      graph.mutableNode(layer->node).operands[2] = newBias;
    } else {
      graph.mutableNode(layer->product).operands[1] = newWeight;
      graph.mutableNode(layer->node).operands[1] = newBias;
    }
    graph.mutableNode(layer->node).layer = name;
    graph.replaceAllUses(norm.results[0], x);
    ++folded;
  }
  context.count("batchnorms folded into the layer before them", static_cast<int64_t>(folded));
  if (!folded) return false;
  graph.sortTopologically();
  return true;
}

}  // namespace nnc::passes
