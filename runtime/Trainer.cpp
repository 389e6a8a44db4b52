#include "runtime/Trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

namespace nnc::runtime {

namespace {

// The factor that brings the gradients' total L2 norm down to `maxNorm`
// (1 when it is below, or without clipping), as torch's clip_grad_norm_:
// max / (norm + 1e-6). Summed in double, one parameter after another, so
// the same for every thread count.
float clipScale(const std::vector<ParameterRef>& parameters, double maxNorm) {
  if (maxNorm <= 0) return 1;
  double squares = 0;
  for (const ParameterRef& p : parameters)
    for (float g : p.gradient->values()) squares += static_cast<double>(g) * g;
  double coefficient = maxNorm / (std::sqrt(squares) + 1e-6);
  return coefficient < 1 ? static_cast<float>(coefficient) : 1.0f;
}

bool isValueLoss(Loss loss) { return loss == Loss::MSE || loss == Loss::L1 || loss == Loss::Huber; }

// Whether a prediction element read as a 0/1 label (above 0.5, or above 0
// for logits) is the target's (above 0.5): multi-label accuracy.
bool labelRight(Loss loss, double prediction, double target) {
  double threshold = loss == Loss::BCEWithLogits ? 0.0 : 0.5;
  return (prediction > threshold) == (target > 0.5);
}

// The task's metric over the batches of an epoch, from each step's
// prediction: right answers (classes, or 0/1 labels element by element) or
// squared errors (real values).
class RunningMetric {
public:
  explicit RunningMetric(Loss loss) : loss_(loss) {}

  void add(const Tensor& prediction, const BatchTargets& targets) {
    int64_t rows = prediction.dim(0), columns = prediction.dim(1);
    if (!targets.values) {
      for (int64_t r = 0; r < rows; ++r)
        right_ += predictedClass(loss_, prediction.data() + r * columns, columns) == targets.labels[static_cast<size_t>(r)];
      count_ += rows;
      return;
    }
    const float* t = targets.values->data();
    for (int64_t i = 0; i < rows * columns; ++i) {
      double d = static_cast<double>(prediction[i]) - t[i];
      squares_ += d * d;
      right_ += labelRight(loss_, prediction[i], t[i]);
    }
    count_ += rows * columns;
    values_ = isValueLoss(loss_);
  }

  void report(EpochReport& report) const {
    if (count_ == 0) return;
    double n = static_cast<double>(count_);
    if (values_) report.trainRmse = std::sqrt(squares_ / n);
    else report.trainAccuracy = static_cast<double>(right_) / n;
  }

private:
  Loss loss_;
  int64_t right_ = 0, count_ = 0;
  double squares_ = 0;
  bool values_ = false;
};

// Adds each parameter's squared gradient norm of this step to `sums`.
void addSquaredNorms(const std::vector<ParameterRef>& parameters, std::vector<double>& sums) {
  for (size_t i = 0; i < parameters.size(); ++i) sums[i] += squaredNorm(*parameters[i].gradient);
}

std::vector<GradientNorm> rmsNorms(const std::vector<ParameterRef>& parameters, const std::vector<double>& sums,
                                   int64_t steps) {
  std::vector<GradientNorm> norms;
  for (size_t i = 0; i < parameters.size(); ++i)
    norms.push_back({parameters[i].name, steps > 0 ? std::sqrt(sums[i] / static_cast<double>(steps)) : 0.0});
  return norms;
}

// The metrics of a data set with real-valued targets.
Evaluation evaluateTargets(Trainable& model, const Dataset& data, int64_t batchSize) {
  Evaluation result;
  int64_t n = data.sampleCount(), features = data.featureCount(), width = data.targetCount();
  Loss loss = model.loss();
  result.regression = isValueLoss(loss);
  double lossSum = 0, squares = 0, absolutes = 0;
  int64_t correct = 0;
  std::vector<double> columnSum(static_cast<size_t>(width), 0), columnSquares(static_cast<size_t>(width), 0),
      residual(static_cast<size_t>(width), 0);
  Tensor x;
  for (int64_t start = 0; start < n; start += batchSize) {
    int64_t rows = std::min(batchSize, n - start);
    if (x.rank() != 2 || x.dim(0) != rows) x = Tensor({rows, features});  // at most twice
    std::copy(data.features.data() + start * features, data.features.data() + (start + rows) * features, x.data());
    const Tensor& prediction = model.predict(x);
    const float* targets = data.targets.data() + start * width;
    lossSum += targetLossAndGradient(loss, prediction.data(), targets, rows, width, nullptr) * static_cast<double>(rows);
    for (int64_t i = 0; i < rows * width; ++i) {
      double p = prediction[i], t = targets[i], d = p - t;
      auto c = static_cast<size_t>(i % width);
      squares += d * d;
      absolutes += std::abs(d);
      residual[c] += d * d;
      columnSum[c] += t;
      columnSquares[c] += t * t;
      correct += labelRight(loss, p, t);
    }
  }
  double elements = static_cast<double>(n * width);
  result.loss = lossSum / static_cast<double>(n);
  result.rmse = std::sqrt(squares / elements);
  result.mae = absolutes / elements;
  result.accuracy = result.regression ? 0 : static_cast<double>(correct) / elements;
  double r2 = 0;
  for (size_t c = 0; c < columnSum.size(); ++c) {
    double mean = columnSum[c] / static_cast<double>(n);
    double total = columnSquares[c] - static_cast<double>(n) * mean * mean;
    r2 += total > 0 ? 1 - residual[c] / total : (residual[c] == 0 ? 1 : 0);
  }
  result.r2 = r2 / static_cast<double>(width);
  return result;
}

}  // namespace

Evaluation evaluate(Trainable& model, const Dataset& data, int64_t batchSize) {
  Evaluation result;
  int64_t n = data.sampleCount(), features = data.featureCount();
  if (n == 0) return result;
  if (data.hasTargets()) return evaluateTargets(model, data, batchSize);
  int64_t correct = 0;
  double lossSum = 0;
  Tensor x;
  for (int64_t start = 0; start < n; start += batchSize) {
    int64_t rows = std::min(batchSize, n - start);
    if (x.rank() != 2 || x.dim(0) != rows) x = Tensor({rows, features});  // at most twice
    std::copy(data.features.data() + start * features, data.features.data() + (start + rows) * features, x.data());
    std::span<const int32_t> labels(data.labels.data() + start, static_cast<size_t>(rows));
    const Tensor& prediction = model.predict(x);
    lossSum += lossAndGradient(model.loss(), prediction, labels, nullptr) * static_cast<double>(rows);
    int64_t classes = prediction.dim(1);
    if (result.confusion.empty()) {
      // One output scores a yes/no question (bce, or mse of a 0/1 label): two classes.
      result.classes = std::max({data.numClasses, classes, int64_t{2}});
      result.confusion.assign(static_cast<size_t>(result.classes * result.classes), 0);
    }
    for (int64_t r = 0; r < rows; ++r) {
      int32_t actual = labels[static_cast<size_t>(r)];
      int32_t predicted = predictedClass(model.loss(), prediction.data() + r * classes, classes);
      correct += predicted == actual;
      // (mse of one output rounds to any integer: counted where it is a class)
      if (actual >= 0 && actual < result.classes && predicted >= 0 && predicted < result.classes)
        ++result.confusion[static_cast<size_t>(actual * result.classes + predicted)];
    }
  }
  result.loss = lossSum / static_cast<double>(n);
  result.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  return result;
}

TrainResult train(Trainable& model, Optimizer& optimizer, const Dataset& trainData, const Dataset& testData,
                  const TrainSettings& settings, const TrainEvents& events) {
  TrainResult result;
  Batcher batcher(trainData, settings.batchSize, settings.seed);
  Tensor x, targets;
  std::vector<int32_t> labels;
  std::vector<ParameterRef> parameters = model.parameters();
  // The schedule is a function of the epoch, so a resumed run picks its
  // rate up where it stopped.
  const double baseRate = optimizer.settings().learningRate;
  TestLossWatch watch = settings.watch;
  for (int64_t epoch = settings.firstEpoch; epoch < settings.epochs; ++epoch) {
    if (settings.patience > 0 && watch.epochsSinceBest >= settings.patience) {  // a resumed run that had stopped
      result.stoppedEarly = true;
      return result;
    }
    auto start = std::chrono::steady_clock::now();
    optimizer.setLearningRate(
        static_cast<float>(settings.schedule.at(baseRate, epoch, settings.epochs, watch.rateScale)));
    batcher.startEpoch(static_cast<uint64_t>(epoch));
    double lossSum = 0;
    int64_t batches = 0, done = 0;
    std::vector<double> squaredNorms(settings.gradientNorms ? parameters.size() : 0, 0.0);
    RunningMetric trainMetric(model.loss());
    while (int64_t rows = batcher.nextBatchRows()) {
      // Straight into the model's input where it has one: no copy per step.
      Tensor* input = model.inputBatch(rows);
      Tensor& batch = input ? *input : x;
      batcher.next(batch, labels, &targets);
      BatchTargets wanted = trainData.hasTargets() ? BatchTargets(targets) : BatchTargets(labels);
      model.setTrainingStep(optimizer.steps());
      double loss = model.trainStep(batch, wanted);
      bool gradientsFinite = true;
      for (const ParameterRef& p : parameters) gradientsFinite = gradientsFinite && allFinite(*p.gradient);
      if (!std::isfinite(loss) || !gradientsFinite) {
        std::optional<std::string> layer = model.firstNonFiniteLayer(batch, wanted);
        result.error = fmt::format("{} became {} at epoch {}, step {}{}; training stopped before updating the "
                                   "parameters with it",
                                   std::isfinite(loss) ? "a gradient" : "the loss",
                                   std::isnan(loss) ? "NaN" : (std::isfinite(loss) ? "non-finite" : "infinite"),
                                   epoch + 1, batches + 1,
                                   layer ? fmt::format(" (first non-finite values in layer '{}')", *layer)
                                         : " (every layer's values are finite: it arose in the loss)");
        return result;
      }
      if (settings.gradientNorms) addSquaredNorms(parameters, squaredNorms);
      if (const Tensor* prediction = model.lastTrainingPrediction()) trainMetric.add(*prediction, wanted);
      bool parametersFinite = optimizer.step(parameters, clipScale(parameters, settings.clipGradientNorm));
      for (const ParameterRef& p : parameters) {
        if (parametersFinite || allFinite(*p.value)) continue;
        result.error = fmt::format("parameter '{}' became non-finite in the optimiser step at epoch {}, step {} "
                                   "(the learning rate may be too large); training stopped, the last checkpoint "
                                   "written holds the last good state",
                                   p.name, epoch + 1, batches + 1);
        return result;
      }
      lossSum += loss;
      ++batches;
      done += rows;
      if (events.batchDone) events.batchDone(done, trainData.sampleCount(), lossSum / static_cast<double>(batches));
    }
    EpochReport report;
    report.epoch = epoch + 1;
    report.epochs = settings.epochs;
    report.trainLoss = batches ? lossSum / static_cast<double>(batches) : 0;
    trainMetric.report(report);
    report.samples = done;
    report.learningRate = optimizer.settings().learningRate;
    if (settings.gradientNorms) report.gradientNorms = rmsNorms(parameters, squaredNorms, batches);
    report.outputMaxima = model.takeOutputMaxima();
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report.test = evaluate(model, testData, evaluationBatchSize(settings.batchSize));
    if (!std::isfinite(report.test.loss)) {
      result.error = fmt::format("the test loss of epoch {} is not finite ({}); training stopped", epoch + 1,
                                 report.test.loss);
      return result;
    }
    report.best = watch.record(report.test.loss, report.epoch);
    watch.stepPlateau(report.test.loss, settings.schedule);
    report.watch = watch;
    result.epochs.push_back(report);
    if (events.epochDone && !events.epochDone(report)) {
      result.stoppedByCaller = true;
      return result;
    }
    if (settings.patience > 0 && watch.epochsSinceBest >= settings.patience && epoch + 1 < settings.epochs) {
      result.stoppedEarly = true;
      return result;
    }
  }
  return result;
}

}  // namespace nnc::runtime
