#pragma once
// Weight initialisation matched to the activation, seeded and reproducible.
#include <cstdint>
#include <random>

#include "runtime/Tensor.h"

namespace nnc::runtime {

enum class InitScheme {
  He,      // relu-like (slope 1 on one side): normal, std = sqrt(2 / fan_in)
  Xavier,  // tanh/sigmoid-like (symmetric, slope ~1 at 0): uniform, limit sqrt(6 / (fan_in + fan_out))
};

// Fills a [out, in] weight matrix, or a convolution's [out, in, k, k]. The same seed gives the same weights.
void initializeWeights(Tensor& weight, InitScheme scheme, std::mt19937_64& random);

}  // namespace nnc::runtime
