#pragma once
// Dropout (torch.nn.functional.dropout in training): each element is kept
// with probability 1 - p and scaled by 1 / (1 - p), or zeroed; p = 1 zeroes
// everything. Whether element i is kept is a hash of (seed, step, stream,
// i), not a draw from a sequential generator: the backward step finds the
// same mask again without saving it, and the mask is the same for any
// thread count and any split of the work.
#include <cstdint>

namespace nnc::runtime {

// The mask's key for a training step: the model's seed, the step's number
// and the dropout's stream (one per dropout in the model).
uint64_t dropoutKey(uint64_t seed, uint64_t step, uint64_t stream);

// y = x * mask / (1 - p) over `count` elements (the batch's, row by row).
void dropoutForward(const float* x, int64_t count, double p, uint64_t key, float* y);
// dx = dy * mask / (1 - p): the forward pass's mask for the same key.
void dropoutBackward(const float* dy, int64_t count, double p, uint64_t key, float* dx);

}  // namespace nnc::runtime
