// The training loop's per-epoch reports, on a fake model whose gradients
// and output maxima are known in advance.
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/Trainer.h"

namespace nnc::runtime {
namespace {

// One parameter of two elements whose gradient at the k-th step (from 1) is
// (k, k); takeOutputMaxima reports, for layer "h", how many steps ran since
// the last call.
class FakeModel : public Trainable {
public:
  const Tensor& predict(const Tensor& x) override {
    prediction_ = Tensor({x.dim(0), 2});
    return prediction_;
  }
  double trainStep(const Tensor& x, const BatchTargets&) override {
    prediction_ = Tensor({x.dim(0), 2});  // two equal logits: class 0
    ++steps_;
    ++stepsSinceTake_;
    gradient_.fill(static_cast<float>(steps_));
    return 0.5;
  }
  std::vector<ParameterRef> parameters() override { return {{"h.weight", &value_, &gradient_}}; }
  const Tensor* lastTrainingPrediction() const override { return &prediction_; }
  Loss loss() const override { return Loss::CrossEntropy; }
  std::optional<std::string> firstNonFiniteLayer(const Tensor&, const BatchTargets&) override {
    return std::nullopt;
  }
  void trackOutputMaxima(const std::vector<std::string>&) override {}
  std::vector<LayerOutputMaxima> takeOutputMaxima() override {
    Tensor steps({1});
    steps[0] = static_cast<float>(stepsSinceTake_);
    stepsSinceTake_ = 0;
    return {{"h", steps}};
  }

private:
  Tensor prediction_, value_{2}, gradient_{2};
  int steps_ = 0, stepsSinceTake_ = 0;
};

// 6 samples in batches of 2: 3 steps per epoch.
Dataset sixSamples() {
  Dataset data;
  data.features = Tensor({6, 1});
  data.labels = {0, 1, 0, 1, 0, 1};
  data.numClasses = 2;
  return data;
}

TrainResult trainTwoEpochs(bool gradientNorms) {
  FakeModel model;
  Optimizer optimizer(OptimizerSettings{});
  Dataset data = sixSamples();
  TrainSettings settings{2, 2, 1, 0};
  settings.gradientNorms = gradientNorms;
  return train(model, optimizer, data, data, settings, {});
}

TEST(Trainer, GradientNormsAreTheRootMeanSquareOverTheEpochsSteps) {
  TrainResult result = trainTwoEpochs(true);
  ASSERT_TRUE(result.error.empty()) << result.error;
  ASSERT_EQ(result.epochs.size(), 2u);
  // Step k's norm is k * sqrt(2): epoch 1 has steps 1-3, epoch 2 steps 4-6.
  // The RMS, not the mean of the norms (2 sqrt(2) in epoch 1).
  const std::vector<GradientNorm>& first = result.epochs[0].gradientNorms;
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].parameter, "h.weight");
  EXPECT_NEAR(first[0].rms, std::sqrt(2.0 * (1 + 4 + 9) / 3), 1e-9);
  const std::vector<GradientNorm>& second = result.epochs[1].gradientNorms;
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NEAR(second[0].rms, std::sqrt(2.0 * (16 + 25 + 36) / 3), 1e-9);
}

TEST(Trainer, GradientNormsAreLeftOutUnlessAskedFor) {
  TrainResult result = trainTwoEpochs(false);
  ASSERT_EQ(result.epochs.size(), 2u);
  EXPECT_TRUE(result.epochs[0].gradientNorms.empty());
  EXPECT_TRUE(result.epochs[1].gradientNorms.empty());
}

TEST(Trainer, EachEpochReportsTheOutputMaximaOfItsOwnSteps) {
  TrainResult result = trainTwoEpochs(false);
  ASSERT_EQ(result.epochs.size(), 2u);
  for (const EpochReport& report : result.epochs) {
    ASSERT_EQ(report.outputMaxima.size(), 1u);
    EXPECT_EQ(report.outputMaxima[0].layer, "h");
    EXPECT_EQ(report.outputMaxima[0].maxima[0], 3) << "epoch " << report.epoch;
  }
}

}  // namespace
}  // namespace nnc::runtime

namespace nnc::runtime {
namespace {

TEST(Schedule, StepAndCosineGiveEachEpochsRate) {
  LearningRateSchedule step{.kind = LearningRateSchedule::Kind::Step, .stepSize = 2, .gamma = 0.5};
  const double steps[] = {0.1, 0.1, 0.05, 0.05, 0.025};
  for (int e = 0; e < 5; ++e) EXPECT_DOUBLE_EQ(step.at(0.1, e, 5), steps[e]) << e;
  // Two epochs of warmup, then CosineAnnealingLR(T_max = 4) from 0.1: 0.1 (1 + cos(pi k / 4)) / 2.
  LearningRateSchedule cosine{.kind = LearningRateSchedule::Kind::Cosine, .warmup = 2, .minimum = 0};
  const double cosines[] = {0.05, 0.1, 0.1, 0.05 * (1 + std::sqrt(0.5)), 0.05, 0.05 * (1 - std::sqrt(0.5))};
  for (int e = 0; e < 6; ++e) EXPECT_NEAR(cosine.at(0.1, e, 6), cosines[e], 1e-15) << e;
  EXPECT_DOUBLE_EQ(LearningRateSchedule{}.at(0.1, 3, 6), 0.1);
}

TEST(Trainer, EachEpochRunsAtItsScheduledRate) {
  FakeModel model;
  Optimizer optimizer(OptimizerSettings{.learningRate = 0.1f});
  Dataset data = sixSamples();
  TrainSettings settings{3, 2, 1, 0};
  settings.schedule = {.kind = LearningRateSchedule::Kind::Step, .stepSize = 1, .gamma = 0.5};
  TrainResult result = train(model, optimizer, data, data, settings, {});
  ASSERT_EQ(result.epochs.size(), 3u);
  EXPECT_FLOAT_EQ(static_cast<float>(result.epochs[0].learningRate), 0.1f);
  EXPECT_FLOAT_EQ(static_cast<float>(result.epochs[1].learningRate), 0.05f);
  EXPECT_FLOAT_EQ(static_cast<float>(result.epochs[2].learningRate), 0.025f);
}

TEST(Trainer, ClippingBringsEachStepsGradientNormDownToTheLimit) {
  // SGD with rate 1 from w = 0: step k's gradient (k, k) has norm k*sqrt(2)
  // > 1, so each step moves w by exactly 1 (clip_grad_norm_(1)) along (1, 1).
  for (double limit : {0.0, 1.0}) {
    FakeModel model;
    Optimizer sgd(OptimizerSettings{.kind = OptimizerSettings::Kind::SGD, .learningRate = 1});
    Dataset data = sixSamples();
    TrainSettings settings{1, 2, 1, 0};
    settings.clipGradientNorm = limit;
    train(model, sgd, data, data, settings, {});
    const Tensor& w = *model.parameters()[0].value;
    double expected = limit == 0 ? -(1 + 2 + 3) : -3 / std::sqrt(2.0);
    EXPECT_NEAR(w[0], expected, 1e-5) << limit;
    EXPECT_NEAR(w[1], expected, 1e-5) << limit;
  }
}

}  // namespace
}  // namespace nnc::runtime

namespace nnc::runtime {
namespace {

// The training accuracy counts each step's prediction against its batch:
// class 0 for all six samples, three of which are class 0.
TEST(Trainer, TrainingAccuracyComesFromEachStepsPrediction) {
  TrainResult result = trainTwoEpochs(false);
  ASSERT_EQ(result.epochs.size(), 2u);
  for (const EpochReport& epoch : result.epochs) {
    ASSERT_TRUE(epoch.trainAccuracy);
    EXPECT_DOUBLE_EQ(*epoch.trainAccuracy, 0.5);
    EXPECT_FALSE(epoch.trainRmse);
  }
}

// The fake predicts class 0 (two equal logits) for every sample: each
// class's samples land in column 0 of its row, across batches; a class
// the outputs cannot name (label 2 of a 2-output model) gets a row too.
TEST(Evaluate, ConfusionMatrixCountsTrueClassAgainstPredictedClass) {
  FakeModel model;
  Dataset data = sixSamples();
  Evaluation result = evaluate(model, data, 4);
  EXPECT_EQ(result.classes, 2);
  EXPECT_EQ(result.confusion, (std::vector<int64_t>{3, 0, 3, 0}));
  EXPECT_DOUBLE_EQ(result.accuracy, 0.5);

  data.labels = {0, 2, 2, 1, 0, 0};
  data.numClasses = 3;
  result = evaluate(model, data, 4);
  EXPECT_EQ(result.classes, 3);
  EXPECT_EQ(result.confusion, (std::vector<int64_t>{3, 0, 0, 1, 0, 0, 2, 0, 0}));
  EXPECT_DOUBLE_EQ(result.accuracy, 0.5);
}

}  // namespace
}  // namespace nnc::runtime

namespace nnc::runtime {
namespace {

// The fake's test loss is the same every epoch (log 2: two equal logits),
// so the first epoch is the best and every later one is without
// improvement.
TEST(Trainer, StopsEarlyAfterPatienceEpochsWithoutALowerTestLoss) {
  FakeModel model;
  Optimizer optimizer(OptimizerSettings{});
  Dataset data = sixSamples();
  TrainSettings settings{10, 2, 1, 0};
  settings.patience = 2;
  TrainResult result = train(model, optimizer, data, data, settings, {});
  ASSERT_TRUE(result.error.empty()) << result.error;
  EXPECT_TRUE(result.stoppedEarly);
  ASSERT_EQ(result.epochs.size(), 3u);
  EXPECT_TRUE(result.epochs[0].best);
  EXPECT_FALSE(result.epochs[1].best);
  EXPECT_EQ(result.epochs.back().watch.bestEpoch, 1);
  EXPECT_EQ(result.epochs.back().watch.epochsSinceBest, 2);
  EXPECT_NEAR(result.epochs.back().watch.best, std::log(2.0), 1e-6);

  // A run resumed with that record stops before training anything.
  settings.firstEpoch = 3;
  settings.watch = result.epochs.back().watch;
  TrainResult resumed = train(model, optimizer, data, data, settings, {});
  EXPECT_TRUE(resumed.stoppedEarly);
  EXPECT_TRUE(resumed.epochs.empty());
}

// torch's ReduceLROnPlateau(factor=0.1, patience=1): the rate drops after
// more than one epoch without improvement, then the count starts again.
TEST(Trainer, PlateauScheduleCutsTheRateWhenTheTestLossStalls) {
  FakeModel model;
  OptimizerSettings adam;
  adam.learningRate = 0.01f;
  Optimizer optimizer(adam);
  Dataset data = sixSamples();
  TrainSettings settings{6, 2, 1, 0};
  settings.schedule.kind = LearningRateSchedule::Kind::Plateau;
  settings.schedule.gamma = 0.1;
  settings.schedule.patience = 1;
  settings.schedule.minimum = 2e-5;
  TrainResult result = train(model, optimizer, data, data, settings, {});
  ASSERT_EQ(result.epochs.size(), 6u);
  std::vector<double> rates;
  for (const EpochReport& e : result.epochs) rates.push_back(e.learningRate);
  const double expected[] = {0.01, 0.01, 0.01, 0.001, 0.001, 1e-4};
  for (size_t i = 0; i < rates.size(); ++i) EXPECT_NEAR(rates[i], expected[i], 1e-9) << "epoch " << i + 1;
}

TEST(TestLossWatch, RoundTripsThroughCheckpointMetadataAndRefusesMalformedValues) {
  TestLossWatch watch;
  watch.record(0.5, 1);
  watch.record(0.25, 2);
  watch.record(0.3, 3);
  watch.rateScale = 0.01;
  std::map<std::string, std::string> metadata;
  watch.writeTo(metadata);
  std::optional<TestLossWatch> back = TestLossWatch::readFrom(metadata);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->best, 0.25);
  EXPECT_EQ(back->bestEpoch, 2);
  EXPECT_EQ(back->epochsSinceBest, 1);
  EXPECT_EQ(back->rateScale, 0.01);
  EXPECT_TRUE(std::isinf(back->plateauBest));  // "inf" written and read
  // A checkpoint without the keys: a fresh run's watch.
  ASSERT_TRUE(TestLossWatch::readFrom({}));
  EXPECT_TRUE(std::isinf(TestLossWatch::readFrom({})->best));
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"test_loss.best", "nan"}, {"test_loss.best_epoch", "-1"}, {"plateau.rate_scale", "-1"},
           {"test_loss.epochs_since_best", "2x"}}) {
    std::map<std::string, std::string> bad = metadata;
    bad[key] = value;
    EXPECT_FALSE(TestLossWatch::readFrom(bad)) << key << " = " << value;
  }
}

}  // namespace
}  // namespace nnc::runtime
