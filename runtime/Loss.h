#pragma once
// Losses over a batch, as PyTorch defines them (mean over the batch), and
// their gradients with respect to the model's prediction.
#include <cstdint>
#include <span>

#include "runtime/Tensor.h"

namespace nnc::runtime {

enum class Loss {
  MSE,            // prediction [N, C] against one-hot labels (C > 1) or the label value (C = 1)
  BCE,            // prediction [N, 1] is a probability; label 0 or 1
  CrossEntropy,   // prediction [N, C] are logits; contains the softmax (log-sum-exp, stable)
  BCEWithLogits,  // prediction [N, 1] is a logit: stable max(z,0) - z*y + log1p(exp(-|z|))
  L1,             // real-valued targets only: mean |p - t| (torch.nn.L1Loss)
  Huber,          // real-valued targets only: 0.5 d^2 if |d| < 1, else |d| - 0.5 (torch.nn.HuberLoss, delta 1)
};

// Mean loss over the batch; also writes d loss / d prediction into `gradient`
// (same shape as prediction) when it is not null.
double lossAndGradient(Loss loss, const Tensor& prediction, std::span<const int32_t> labels, Tensor* gradient);
// The same over a row-major [rows, classes] array (gradient may be null).
double lossAndGradient(Loss loss, const float* prediction, int64_t rows, int64_t classes,
                       std::span<const int32_t> labels, float* gradient);

// Against real-valued targets [rows, cols] (the same shape as the
// prediction): the mean over all rows * cols elements, as PyTorch's losses
// with reduction='mean'. MSE, L1 and Huber compare values; BCE and
// BCEWithLogits are multi-label (each element a probability or logit, each
// target in [0, 1]). CrossEntropy takes class labels, not targets.
double targetLossAndGradient(Loss loss, const float* prediction, const float* targets, int64_t rows, int64_t cols,
                             float* gradient);

// Predicted class per row: argmax for C > 1, threshold (0.5 for probabilities,
// 0 for logits) for C = 1.
int32_t predictedClass(Loss loss, const float* row, int64_t classes);

}  // namespace nnc::runtime
