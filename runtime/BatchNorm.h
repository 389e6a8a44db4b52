#pragma once
// Batch normalisation per channel, as torch.nn.BatchNorm1d (features
// [N, C]: `positions` 1) and BatchNorm2d (images [N, C, H, W]: `positions`
// H * W). In training, each channel is normalised by the mean and the
// (biased) variance of its N * positions values in the batch, summed in
// double, and the running statistics move towards them by `momentum`
// (the running variance towards the unbiased variance, as torch's); at
// inference the running statistics normalise. Then y = gamma * xhat + beta.
// Channels run in parallel, each on one thread, so the bits depend on no
// thread count.
#include <cstdint>

namespace nnc::runtime {

struct BatchNormShape {
  int64_t batch = 0, channels = 0, positions = 1;
};

// Training: batch statistics. runningMean and runningVar are updated when
// not null (a replayed step, or an AOT object's backward, leaves them).
// A batch with one value per channel has no unbiased variance: the running
// variance is left as it was.
void batchNormTraining(const float* x, const float* gamma, const float* beta, const BatchNormShape& shape, double eps,
                       double momentum, float* runningMean, float* runningVar, float* y);
// Inference: the running statistics.
void batchNormInference(const float* x, const float* gamma, const float* beta, const float* runningMean,
                        const float* runningVar, const BatchNormShape& shape, double eps, float* y);
// The training step's gradient, from the saved x and dy (overwritten): with
// xhat and r = 1 / sqrt(var + eps) of the batch, g = dy * gamma, and means
// over a channel's values:  dx = r * (g - mean(g) - xhat * mean(g * xhat)),
// dgamma = sum dy * xhat, dbeta = sum dy.
void batchNormBackward(const float* x, const float* gamma, const float* dy, const BatchNormShape& shape, double eps,
                       float* dx, float* dgamma, float* dbeta);

}  // namespace nnc::runtime
