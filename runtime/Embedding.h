#pragma once
// Embedding lookup, as torch.nn.Embedding: each of a sample's L indices
// selects a row of the table w [V, D]; the sample's output is the L rows
// side by side [L * D] (torch's [L, D], flattened). The indices arrive as
// floats (a CSV's columns); one that is not a whole number in [0, V) gives
// NaN in its D outputs, which training reports as non-finite values of the
// layer, and no gradient.
#include <cstdint>

namespace nnc::runtime {

struct EmbeddingShape {
  int64_t rows = 0, indices = 0, vocabulary = 0, dimension = 0;  // N, L, V, D
};

void embeddingForward(const float* x, const float* w, const EmbeddingShape& shape, float* y);
// dw [V, D] (overwritten): each row the sum of the dy of its lookups, added
// in sample order, so the bits do not depend on the thread count.
void embeddingBackward(const float* x, const float* dy, const EmbeddingShape& shape, float* dw);

}  // namespace nnc::runtime
