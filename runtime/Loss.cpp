#include "runtime/Loss.h"

#include <algorithm>
#include <cmath>

namespace nnc::runtime {

namespace {

// log(p) with p clamped away from 0, as PyTorch's BCELoss clamps log at -100.
double clampedLog(double p) { return std::max(std::log(p), -100.0); }

double sigmoid(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }

// max(x, 0) - x y + log1p(exp(-|x|)): log(1 + exp(x)) - x y without overflow.
double bceWithLogits(double x, double y) { return std::max(x, 0.0) - x * y + std::log1p(std::exp(-std::abs(x))); }

}  // namespace

double lossAndGradient(Loss loss, const Tensor& prediction, std::span<const int32_t> labels, Tensor* gradient) {
  return lossAndGradient(loss, prediction.data(), prediction.dim(0), prediction.dim(1), labels,
                         gradient ? gradient->data() : nullptr);
}

double lossAndGradient(Loss loss, const float* prediction, int64_t rows, int64_t classes,
                       std::span<const int32_t> labels, float* gradient) {
  const double scale = 1.0 / static_cast<double>(rows);
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* z = prediction + r * classes;
    float* g = gradient ? gradient + r * classes : nullptr;
    int32_t label = labels[static_cast<size_t>(r)];
    switch (loss) {
      case Loss::CrossEntropy: {
        // loss = logsumexp(z) - z[label]; d/dz = softmax(z) - onehot
        float largest = *std::max_element(z, z + classes);
        double sum = 0;
        for (int64_t c = 0; c < classes; ++c) sum += std::exp(double(z[c]) - largest);
        total += std::log(sum) + largest - z[label];
        if (g)
          for (int64_t c = 0; c < classes; ++c)
            g[c] = static_cast<float>((std::exp(double(z[c]) - largest) / sum - (c == label ? 1 : 0)) * scale);
        break;
      }
      case Loss::MSE: {
        // mean over all N*C elements, as torch.nn.MSELoss; no division per
        // element (the sum is divided once at the end)
        const double gradientScale = 2 * scale / static_cast<double>(classes);
        double squares = 0;
        for (int64_t c = 0; c < classes; ++c) {
          double target = classes == 1 ? label : (c == label ? 1.0 : 0.0);
          double diff = z[c] - target;
          squares += diff * diff;
          if (g) g[c] = static_cast<float>(gradientScale * diff);
        }
        total += squares / static_cast<double>(classes);
        break;
      }
      case Loss::BCE: {
        double p = std::clamp(double(z[0]), 0.0, 1.0), y = label;
        total += -(y * clampedLog(p) + (1 - y) * clampedLog(1 - p));
        // d/dp, with p kept off 0 and 1 so the gradient stays finite
        double safe = std::clamp(p, 1e-12, 1 - 1e-12);
        if (g) g[0] = static_cast<float>((safe - y) / (safe * (1 - safe)) * scale);
        break;
      }
      case Loss::BCEWithLogits: {
        double x = z[0], y = label;
        total += bceWithLogits(x, y);
        if (g) g[0] = static_cast<float>((sigmoid(x) - y) * scale);
        break;
      }
      case Loss::L1:
      case Loss::Huber: return NAN;  // (real-valued targets only: targetLossAndGradient)
    }
  }
  return total * scale;
}

double targetLossAndGradient(Loss loss, const float* prediction, const float* targets, int64_t rows, int64_t cols,
                             float* gradient) {
  const int64_t count = rows * cols;
  if (count == 0) return 0;
  const double scale = 1.0 / static_cast<double>(count);
  double total = 0;
  for (int64_t i = 0; i < count; ++i) {
    double p = prediction[i], t = targets[i], d = p - t, g = 0;
    switch (loss) {
      case Loss::MSE:
        total += d * d;
        g = 2 * d;
        break;
      case Loss::L1:
        total += std::abs(d);
        g = d > 0 ? 1 : d < 0 ? -1 : 0;  // torch's sign(0) = 0
        break;
      case Loss::Huber:
        total += std::abs(d) < 1 ? 0.5 * d * d : std::abs(d) - 0.5;
        g = std::clamp(d, -1.0, 1.0);
        break;
      case Loss::BCE: {
        double q = std::clamp(p, 0.0, 1.0);
        total += -(t * clampedLog(q) + (1 - t) * clampedLog(1 - q));
        double safe = std::clamp(q, 1e-12, 1 - 1e-12);
        g = (safe - t) / (safe * (1 - safe));
        break;
      }
      case Loss::BCEWithLogits:
        total += bceWithLogits(p, t);
        g = sigmoid(p) - t;
        break;
      case Loss::CrossEntropy: return NAN;  // (class labels only)
    }
    if (gradient) gradient[i] = static_cast<float>(g * scale);
  }
  return total * scale;
}

int32_t predictedClass(Loss loss, const float* row, int64_t classes) {
  if (classes == 1) {
    float threshold = loss == Loss::BCEWithLogits ? 0.0f : 0.5f;
    if (loss == Loss::MSE) return static_cast<int32_t>(std::lround(row[0]));
    return row[0] > threshold ? 1 : 0;
  }
  return static_cast<int32_t>(std::max_element(row, row + classes) - row);
}

}  // namespace nnc::runtime
