#include "runtime/Loss.h"

#include <algorithm>
#include <cmath>

namespace nnc::runtime {

namespace {

// log(p) with p clamped away from 0, as PyTorch's BCELoss clamps log at -100.
double clampedLog(double p) { return std::max(std::log(p), -100.0); }

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
        total += std::max(x, 0.0) - x * y + std::log1p(std::exp(-std::abs(x)));
        double sigmoid = x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x));
        if (g) g[0] = static_cast<float>((sigmoid - y) * scale);
        break;
      }
    }
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
