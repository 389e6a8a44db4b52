#include "runtime/Initializer.h"

#include <cmath>

namespace nnc::runtime {

void initializeWeights(Tensor& weight, InitScheme scheme, std::mt19937_64& random) {
  // A convolution's [O, C, k, k] has a receptive field of k * k taps per
  // input channel (torch's fan_in C * k * k and fan_out O * k * k).
  double receptiveField = 1;
  for (int d = 2; d < weight.rank(); ++d) receptiveField *= static_cast<double>(weight.dim(d));
  double fanOut = static_cast<double>(weight.dim(0)) * receptiveField;
  double fanIn = static_cast<double>(weight.dim(1)) * receptiveField;
  if (scheme == InitScheme::He) {
    std::normal_distribution<double> normal(0.0, std::sqrt(2.0 / fanIn));
    for (float& w : weight.values()) w = static_cast<float>(normal(random));
  } else {
    double limit = std::sqrt(6.0 / (fanIn + fanOut));
    std::uniform_real_distribution<double> uniform(-limit, limit);
    for (float& w : weight.values()) w = static_cast<float>(uniform(random));
  }
}

}  // namespace nnc::runtime
