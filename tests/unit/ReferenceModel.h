#pragma once
// A slow, obviously-correct evaluation of a forward graph in double
// precision: the oracle that whole-network gradients are checked against
// (central finite differences of this loss).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ir/Graph.h"
#include "ir/Interpreter.h"
#include "runtime/Dropout.h"
#include "runtime/Trainable.h"

namespace nnc::test {

using Matrix = std::vector<std::vector<double>>;  // [rows][cols]; a vector is one row

class ReferenceModel {
public:
  explicit ReferenceModel(const ir::Graph& graph) : graph_(graph) {}
  // The seed the models it checks are compiled with: their first training
  // step's dropout masks are drawn from it.
  static constexpr uint64_t kDropoutSeed = 7;

  // parameters: by Parameter value id, row-major values.
  // `targets`: real-valued targets [rows][T] instead of the labels.
  double loss(const Matrix& x, std::span<const int32_t> labels, const std::map<ir::ValueId, std::vector<double>>& parameters,
              const Matrix* targets = nullptr) const {
    std::map<ir::ValueId, Matrix> values;
    values[graph_.input()] = x;
    if (targets) values[graph_.labels()] = *targets;
    for (const ir::GraphNode& node : graph_.nodes()) {
      if (node.op == ir::GraphOp::LossGrad || node.op == ir::GraphOp::MeanGrad) break;  // forward part only
      switch (node.op) {
        case ir::GraphOp::Parameter: {
          const std::vector<double>& flat = parameters.at(node.results[0]);
          const ir::TensorShape& shape = graph_.value(node.results[0]).shape;
          int64_t cols = shape.size() == 2 ? shape[1] : static_cast<int64_t>(flat.size());
          Matrix m(flat.size() / static_cast<size_t>(cols), std::vector<double>(static_cast<size_t>(cols)));
          for (size_t i = 0; i < flat.size(); ++i) m[i / static_cast<size_t>(cols)][i % static_cast<size_t>(cols)] = flat[i];
          values[node.results[0]] = m;
          break;
        }
        case ir::GraphOp::MatMul: values[node.results[0]] = matmul(values.at(node.operands[0]), values.at(node.operands[1]), node.transposeB); break;
        case ir::GraphOp::AddBias: {
          Matrix out = values.at(node.operands[0]);
          const std::vector<double>& bias = values.at(node.operands[1])[0];
          for (auto& row : out)
            for (size_t c = 0; c < row.size(); ++c) row[c] += bias[c];
          values[node.results[0]] = out;
          break;
        }
        case ir::GraphOp::Map: values[node.results[0]] = map(node, values); break;
        case ir::GraphOp::Softmax: values[node.results[0]] = softmax(values.at(node.operands[0])); break;
        case ir::GraphOp::LayerNorm: {
          Matrix out = values.at(node.operands[0]);
          const std::vector<double>& gamma = values.at(node.operands[1])[0];
          const std::vector<double>& beta = values.at(node.operands[2])[0];
          for (auto& row : out) {
            double mean = 0, variance = 0;
            for (double v : row) mean += v / static_cast<double>(row.size());
            for (double v : row) variance += (v - mean) * (v - mean) / static_cast<double>(row.size());
            for (size_t c = 0; c < row.size(); ++c)
              row[c] = gamma[c] * (row[c] - mean) / std::sqrt(variance + node.epsilon) + beta[c];
          }
          values[node.results[0]] = out;
          break;
        }
        case ir::GraphOp::Concat: {
          Matrix out(x.size());
          for (ir::ValueId operand : node.operands)
            for (size_t r = 0; r < out.size(); ++r)
              out[r].insert(out[r].end(), values.at(operand)[r].begin(), values.at(operand)[r].end());
          values[node.results[0]] = out;
          break;
        }
        case ir::GraphOp::Slice: {
          Matrix out = values.at(node.operands[0]);
          int64_t columns = graph_.value(node.results[0]).shape[1];
          for (auto& row : out)
            row = std::vector<double>(row.begin() + node.firstColumn, row.begin() + node.firstColumn + columns);
          values[node.results[0]] = out;
          break;
        }
        case ir::GraphOp::Loss:
          return targets ? targetLossOf(node.loss, values.at(node.operands[0]), *targets)
                         : lossOf(node.loss, values.at(node.operands[0]), labels);
        // The mean of a loss formula's Map (autodiff's lowering): the
        // oracle computes that loss its own way, from the Map's prediction.
        case ir::GraphOp::Mean: {
          const ir::GraphNode& elements = graph_.nodes()[static_cast<size_t>(graph_.value(node.operands[0]).producer)];
          return targetLossOf(node.loss, values.at(elements.operands[0]), *targets);
        }
        case ir::GraphOp::BatchNorm: values[node.results[0]] = batchNorm(node, values); break;
        case ir::GraphOp::Dropout: values[node.results[0]] = dropout(node, values.at(node.operands[0])); break;
        case ir::GraphOp::Embedding: {
          const Matrix& table = values.at(node.operands[1]);  // [V][D]
          Matrix out;
          for (const std::vector<double>& indices : values.at(node.operands[0])) {
            std::vector<double> row;
            for (double index : indices) {
              const std::vector<double>& selected = table[static_cast<size_t>(index)];
              row.insert(row.end(), selected.begin(), selected.end());
            }
            out.push_back(std::move(row));
          }
          values[node.results[0]] = out;
          break;
        }
        case ir::GraphOp::Conv2d: values[node.results[0]] = conv2d(node, values); break;
        case ir::GraphOp::MaxPool2d:
        case ir::GraphOp::AvgPool2d: values[node.results[0]] = pool2d(node, values.at(node.operands[0])); break;
        case ir::GraphOp::Reshape: values[node.results[0]] = values.at(node.operands[0]); break;  // rows stay flat
        case ir::GraphOp::Input:
        case ir::GraphOp::Labels:
        case ir::GraphOp::Targets: break;
        // Backward ops: the oracle computes the loss only.
        case ir::GraphOp::ColumnSum:
        case ir::GraphOp::SoftmaxGrad:
        case ir::GraphOp::LayerNormGrad:
        case ir::GraphOp::BatchNormGrad:
        case ir::GraphOp::DropoutGrad:
        case ir::GraphOp::EmbeddingGrad:
        case ir::GraphOp::Conv2dInputGrad:
        case ir::GraphOp::Conv2dWeightGrad:
        case ir::GraphOp::MaxPool2dGrad:
        case ir::GraphOp::AvgPool2dGrad:
        case ir::GraphOp::LossGrad:
        case ir::GraphOp::MeanGrad:
        case ir::GraphOp::PadColumns: return NAN;
      }
    }
    return NAN;
  }

private:
  static Matrix matmul(const Matrix& a, const Matrix& w, bool transposeW) {
    size_t rows = a.size(), inner = a[0].size(), cols = transposeW ? w.size() : w[0].size();
    Matrix out(rows, std::vector<double>(cols, 0.0));
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < cols; ++c)
        for (size_t k = 0; k < inner; ++k) out[r][c] += a[r][k] * (transposeW ? w[c][k] : w[k][c]);
    return out;
  }

  // Each output element as torch's Conv2d defines it, tap by tap.
  Matrix conv2d(const ir::GraphNode& node, const std::map<ir::ValueId, Matrix>& values) const {
    const ir::TensorShape &in = graph_.value(node.operands[0]).shape, &out = graph_.value(node.results[0]).shape;
    const std::vector<double>& w = values.at(node.operands[1])[0];
    const std::vector<double>& b = values.at(node.operands[2])[0];
    const ir::OpAttributes::Window& win = node.window;
    int64_t C = in[1], H = in[2], W = in[3], O = out[1], outH = out[2], outW = out[3], k = win.kernel;
    int64_t perGroupIn = C / win.groups, perGroupOut = O / win.groups;
    Matrix result;
    for (const std::vector<double>& x : values.at(node.operands[0])) {
      std::vector<double> y(static_cast<size_t>(O * outH * outW));
      for (int64_t o = 0; o < O; ++o)
        for (int64_t oh = 0; oh < outH; ++oh)
          for (int64_t ow = 0; ow < outW; ++ow) {
            double sum = b[static_cast<size_t>(o)];
            for (int64_t c = 0; c < perGroupIn; ++c)
              for (int64_t i = 0; i < k; ++i)
                for (int64_t j = 0; j < k; ++j) {
                  int64_t ih = oh * win.stride - win.padding + i * win.dilation;
                  int64_t iw = ow * win.stride - win.padding + j * win.dilation;
                  if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                  int64_t channel = o / perGroupOut * perGroupIn + c;
                  sum += w[static_cast<size_t>(((o * perGroupIn + c) * k + i) * k + j)] *
                         x[static_cast<size_t>((channel * H + ih) * W + iw)];
                }
            y[static_cast<size_t>((o * outH + oh) * outW + ow)] = sum;
          }
      result.push_back(std::move(y));
    }
    return result;
  }

  // A training step's dropout: the mask of the JIT's first step (step 0) of
  // a model compiled with seed kDropoutSeed, as GraphModelTest compiles them.
  static Matrix dropout(const ir::GraphNode& node, Matrix x) {
    size_t width = x.empty() ? 0 : x[0].size();
    std::vector<float> ones(x.size() * width, 1.0f), mask(ones.size());
    runtime::dropoutForward(ones.data(), static_cast<int64_t>(ones.size()), node.probability,
                            runtime::dropoutKey(kDropoutSeed, 0, node.stream), mask.data());
    for (size_t r = 0; r < x.size(); ++r)
      for (size_t c = 0; c < width; ++c) x[r][c] *= mask[r * width + c];
    return x;
  }

  // A training step's batchnorm: each channel by its batch mean and biased variance.
  Matrix batchNorm(const ir::GraphNode& node, const std::map<ir::ValueId, Matrix>& values) const {
    Matrix out = values.at(node.operands[0]);
    const std::vector<double>& gamma = values.at(node.operands[1])[0];
    const std::vector<double>& beta = values.at(node.operands[2])[0];
    const ir::TensorShape& shape = graph_.value(node.operands[0]).shape;
    size_t channels = static_cast<size_t>(shape[1]), positions = static_cast<size_t>(ir::rowWidth(shape)) / channels;
    for (size_t c = 0; c < channels; ++c) {
      double mean = 0, variance = 0, count = static_cast<double>(out.size() * positions);
      for (const auto& row : out)
        for (size_t p = 0; p < positions; ++p) mean += row[c * positions + p] / count;
      for (const auto& row : out)
        for (size_t p = 0; p < positions; ++p) variance += std::pow(row[c * positions + p] - mean, 2) / count;
      for (auto& row : out)
        for (size_t p = 0; p < positions; ++p) {
          double& v = row[c * positions + p];
          v = gamma[c] * (v - mean) / std::sqrt(variance + node.epsilon) + beta[c];
        }
    }
    return out;
  }

  // Each window's maximum, or its mean counting the padding.
  Matrix pool2d(const ir::GraphNode& node, const Matrix& x) const {
    const ir::TensorShape &in = graph_.value(node.operands[0]).shape, &out = graph_.value(node.results[0]).shape;
    const ir::OpAttributes::Window& win = node.window;
    int64_t C = in[1], H = in[2], W = in[3], outH = out[2], outW = out[3], k = win.kernel;
    bool max = node.op == ir::GraphOp::MaxPool2d;
    Matrix result;
    for (const std::vector<double>& row : x) {
      std::vector<double> y;
      for (int64_t c = 0; c < C; ++c)
        for (int64_t oh = 0; oh < outH; ++oh)
          for (int64_t ow = 0; ow < outW; ++ow) {
            double best = -INFINITY, sum = 0;
            for (int64_t i = 0; i < k; ++i)
              for (int64_t j = 0; j < k; ++j) {
                int64_t ih = oh * win.stride - win.padding + i, iw = ow * win.stride - win.padding + j;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                double v = row[static_cast<size_t>((c * H + ih) * W + iw)];
                best = std::max(best, v);
                sum += v;
              }
            y.push_back(max ? best : sum / static_cast<double>(k * k));
          }
      result.push_back(std::move(y));
    }
    return result;
  }

  static Matrix softmax(Matrix z) {
    for (auto& row : z) {
      double top = row[0], sum = 0;
      for (double v : row) top = std::max(top, v);
      for (double& v : row) sum += (v = std::exp(v - top));
      for (double& v : row) v /= sum;
    }
    return z;
  }

  Matrix map(const ir::GraphNode& node, const std::map<ir::ValueId, Matrix>& values) const {
    const Matrix& z = values.at(node.operands[0]);
    Matrix out = z;
    for (const ir::MapSegment& segment : node.segments) {
      std::vector<std::string> names = segment.inputVars;
      for (const ir::MapSegment::Param& p : segment.params) names.push_back(p.var);
      ir::Interpreter f(segment.outputs, names);
      for (size_t r = 0; r < z.size(); ++r) {
        for (int64_t c = 0; c < segment.columns; ++c) {
          size_t column = static_cast<size_t>(segment.firstColumn + c);
          std::vector<double> inputs;
          for (ir::ValueId operand : node.operands) inputs.push_back(values.at(operand)[r][column]);
          for (const ir::MapSegment::Param& p : segment.params)
            inputs.push_back(values.at(p.value)[0][static_cast<size_t>(p.perColumn ? c : p.firstElement)]);
          out[r][column] = f.run1(inputs);
        }
      }
    }
    return out;
  }

  // The mean over every element, as PyTorch's losses with reduction='mean'.
  static double targetLossOf(ir::LossKind kind, const Matrix& z, const Matrix& targets) {
    double total = 0, count = 0;
    for (size_t r = 0; r < z.size(); ++r)
      for (size_t c = 0; c < z[r].size(); ++c, ++count) {
        double p = z[r][c], t = targets[r][c], d = p - t;
        switch (kind) {
          case ir::LossKind::MSE: total += d * d; break;
          case ir::LossKind::L1: total += std::abs(d); break;
          case ir::LossKind::Huber: total += std::abs(d) < 1 ? 0.5 * d * d : std::abs(d) - 0.5; break;
          case ir::LossKind::BCE: total += -(t * std::log(p) + (1 - t) * std::log(1 - p)); break;
          case ir::LossKind::BCEWithLogits: total += std::log1p(std::exp(p)) - t * p; break;
          case ir::LossKind::CrossEntropy: return NAN;
        }
      }
    return total / count;
  }

  static double lossOf(ir::LossKind kind, const Matrix& z, std::span<const int32_t> labels) {
    double total = 0;
    for (size_t r = 0; r < z.size(); ++r) {
      const std::vector<double>& row = z[r];
      double y = labels[r];
      switch (kind) {
        case ir::LossKind::CrossEntropy: {
          double sum = 0;
          for (double v : row) sum += std::exp(v);
          total += std::log(sum) - row[static_cast<size_t>(labels[r])];
          break;
        }
        case ir::LossKind::MSE:
          for (size_t c = 0; c < row.size(); ++c) {
            double target = row.size() == 1 ? y : (static_cast<int32_t>(c) == labels[r] ? 1.0 : 0.0);
            total += (row[c] - target) * (row[c] - target) / static_cast<double>(row.size());
          }
          break;
        case ir::LossKind::BCE: total += -(y * std::log(row[0]) + (1 - y) * std::log(1 - row[0])); break;
        case ir::LossKind::BCEWithLogits: total += std::log1p(std::exp(row[0])) - y * row[0]; break;
        case ir::LossKind::L1:
        case ir::LossKind::Huber: return NAN;  // (real-valued targets only)
      }
    }
    return total / static_cast<double>(z.size());
  }

  const ir::Graph& graph_;
};

// Checks every parameter gradient that `model` computed in its last
// trainStep on (x, labels) against central finite differences of the
// reference loss of `forward` (the graph `model` was compiled from, before
// autodiff). `what` names the case in failures.
// With `targets`, the loss compares real-valued targets (labels unused).
inline void expectGradientsMatch(const ir::Graph& forward, runtime::Trainable& model, const runtime::Tensor& x,
                                 std::span<const int32_t> labels, const std::string& what,
                                 const runtime::Tensor* targets = nullptr) {
  ReferenceModel reference(forward);
  std::optional<Matrix> targetRows;
  if (targets) {
    int64_t width = targets->dim(1);
    targetRows = Matrix(static_cast<size_t>(targets->dim(0)), std::vector<double>(static_cast<size_t>(width)));
    for (int64_t i = 0; i < targets->size(); ++i)
      (*targetRows)[static_cast<size_t>(i / width)][static_cast<size_t>(i % width)] = (*targets)[i];
  }
  const Matrix* targetMatrix = targetRows ? &*targetRows : nullptr;
  int64_t rows = x.dim(0), cols = x.dim(1);
  Matrix xs(static_cast<size_t>(rows), std::vector<double>(static_cast<size_t>(cols)));
  for (int64_t i = 0; i < x.size(); ++i) xs[static_cast<size_t>(i / cols)][static_cast<size_t>(i % cols)] = x[i];
  std::map<ir::ValueId, std::vector<double>> parameters;
  std::vector<std::pair<ir::ValueId, runtime::ParameterRef>> byValue;
  for (const runtime::ParameterRef& ref : model.parameters()) {
    ir::ValueId id = -1;
    for (const ir::GraphNode& node : forward.nodes())
      if (node.op == ir::GraphOp::Parameter && node.name == ref.name) id = node.results[0];
    ASSERT_GE(id, 0) << "no parameter " << ref.name << " in the forward graph (" << what << ")";
    parameters[id] = std::vector<double>(ref.value->values().begin(), ref.value->values().end());
    byValue.push_back({id, ref});
  }
  // Every parameter of the forward graph has a gradient.
  size_t declared = 0;
  for (const ir::GraphNode& node : forward.nodes()) declared += node.op == ir::GraphOp::Parameter;
  EXPECT_EQ(byValue.size(), declared) << what;
  for (auto& [id, ref] : byValue) {
    std::vector<double>& p = parameters[id];
    for (size_t i = 0; i < p.size(); ++i) {
      double saved = p[i], h = 1e-6 * std::max(1.0, std::abs(saved));
      p[i] = saved + h;
      double up = reference.loss(xs, labels, parameters, targetMatrix);
      p[i] = saved - h;
      double down = reference.loss(xs, labels, parameters, targetMatrix);
      p[i] = saved;
      double numeric = (up - down) / (2 * h);
      EXPECT_NEAR((*ref.gradient)[static_cast<int64_t>(i)], numeric, 1e-4 + 1e-3 * std::abs(numeric))
          << ref.name << "[" << i << "] (" << what << ")";
    }
  }
}

}  // namespace nnc::test
