#include "runtime/Initializer.h"

#include <cmath>

namespace nnc::runtime {

void initializeWeights(Tensor& weight, InitScheme scheme, std::mt19937_64& random) {
  double fanOut = static_cast<double>(weight.dim(0)), fanIn = static_cast<double>(weight.dim(1));
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
