#pragma once
// The training loop: shuffled mini-batches, an optimiser step per batch,
// evaluation on held-out data after each epoch, and a stop with a report
// when the loss or a gradient stops being finite. Library code: it reports
// through callbacks and never prints.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/Dataset.h"
#include "runtime/Optimizer.h"
#include "runtime/Schedule.h"
#include "runtime/TestLossWatch.h"
#include "runtime/Trainable.h"

namespace nnc::runtime {

struct TrainSettings {
  int64_t epochs = 10;
  int64_t batchSize = 128;
  uint64_t seed = 1;
  int64_t firstEpoch = 0;  // > 0 when resuming from a checkpoint
  bool gradientNorms = false;  // fill EpochReport::gradientNorms: one pass over every gradient per step
  LearningRateSchedule schedule = {};  // of the optimiser's rate at the start
  // > 0: before each step the gradients are scaled down so their total L2
  // norm is at most this (torch.nn.utils.clip_grad_norm_: by
  // max / (norm + 1e-6) when the norm is above max).
  double clipGradientNorm = 0;
  // > 0: stop once the test loss has not improved for this many epochs
  // (early stopping, as Lightning's EarlyStopping on a validation loss).
  int64_t patience = 0;
  TestLossWatch watch = {};  // the test loss so far: a resumed run's from its checkpoint
};

struct Evaluation {
  double loss = 0;
  double accuracy = 0;  // classes: of the samples; multi-label targets: of the elements; values: 0
  // Real-valued targets of a value loss (mse, l1, huber), over every
  // element: root mean square error, mean absolute error, and R^2 (1 -
  // residual / total sum of squares per target column, averaged over the
  // columns, as scikit-learn's r2_score).
  bool regression = false;
  double rmse = 0, mae = 0, r2 = 0;
  // Class labels: how many samples of each class (row) got each predicted
  // class (column), [classes * classes] row-major; empty for targets.
  int64_t classes = 0;
  std::vector<int64_t> confusion;
};

// A parameter's gradient norm over an epoch: the root mean square over its
// steps of the L2 norm, sqrt(mean ||g||^2). Squares add up without a square
// root per step, and the result is the norm of all the epoch's gradients
// together, scaled to one step.
struct GradientNorm {
  std::string parameter;
  double rms = 0;
};

struct EpochReport {
  int64_t epoch = 0;  // 1-based
  int64_t epochs = 0;
  double trainLoss = 0;  // mean over the epoch's batches
  // The task's metric on the training batches as they were trained on (each
  // from its step's forward pass, as Keras reports it): the accuracy for
  // classes and 0/1 labels, the RMSE for real values; unset when the model
  // does not keep its predictions.
  std::optional<double> trainAccuracy, trainRmse;
  Evaluation test;
  double seconds = 0;
  int64_t samples = 0;
  double learningRate = 0;  // the optimiser's in this epoch
  std::vector<GradientNorm> gradientNorms;     // in parameters() order; empty unless asked for
  std::vector<LayerOutputMaxima> outputMaxima;  // of the layers the model tracks, over this epoch's steps
  bool best = false;    // its test loss is the lowest of the run so far
  TestLossWatch watch;  // after this epoch (checkpoints keep it)
};

struct TrainEvents {
  // After each batch: samples done in this epoch, of how many, running mean loss.
  std::function<void(int64_t done, int64_t total, double loss)> batchDone;
  // After each epoch; returning false stops training (e.g. a checkpoint
  // could not be written: going on would lose the work).
  std::function<bool(const EpochReport&)> epochDone;
};

struct TrainResult {
  std::vector<EpochReport> epochs;
  // Set when training stopped on a non-finite loss or gradient: what, where
  // (the layer it started in) and when (epoch and step). The parameters are
  // those of the last good step.
  std::string error;
  bool stoppedByCaller = false;  // epochDone returned false
  bool stoppedEarly = false;     // TrainSettings::patience epochs without a better test loss
};

Evaluation evaluate(Trainable& model, const Dataset& data, int64_t batchSize);
// The batch training evaluates the test data in, for a training batch:
// larger batches make fewer, faster products, and the figures depend on
// the batch only through the products' rounding.
inline int64_t evaluationBatchSize(int64_t trainingBatch) { return trainingBatch > 256 ? trainingBatch : 256; }

TrainResult train(Trainable& model, Optimizer& optimizer, const Dataset& trainData, const Dataset& testData,
                  const TrainSettings& settings, const TrainEvents& events);

}  // namespace nnc::runtime
