// GEMM against a naive product, optimisers against PyTorch's update rules
// worked by hand, initialisers' statistics and reproducibility.
#include <gtest/gtest.h>

#include "runtime/Loss.h"

#include <cmath>
#include <map>
#include <limits>
#include <random>

#include "runtime/Gemm.h"
#include "runtime/Initializer.h"
#include "runtime/Optimizer.h"

namespace nnc::runtime {
namespace {

Tensor randomTensor(Shape shape, uint64_t seed) {
  Tensor t(std::move(shape));
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (float& v : t.values()) v = uniform(random);
  return t;
}

float at(const Tensor& t, int64_t i, int64_t j, Transpose transposed) {
  return transposed == Transpose::Yes ? t[j * t.dim(1) + i] : t[i * t.dim(1) + j];
}

TEST(Gemm, MatchesNaiveProductForEveryTransposeCombination) {
  const int64_t m = 37, k = 53, n = 19;  // odd sizes: no lucky block multiples
  for (Transpose ta : {Transpose::No, Transpose::Yes}) {
    for (Transpose tb : {Transpose::No, Transpose::Yes}) {
      Tensor a = randomTensor(ta == Transpose::No ? Shape{m, k} : Shape{k, m}, 1);
      Tensor b = randomTensor(tb == Transpose::No ? Shape{k, n} : Shape{n, k}, 2);
      Tensor c = randomTensor({m, n}, 3);
      Tensor original = c;
      gemm(a, ta, b, tb, c, 0.5f, 2.0f);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          double expected = 2.0 * original[i * n + j];
          for (int64_t p = 0; p < k; ++p) expected += 0.5 * at(a, i, p, ta) * at(b, p, j, tb);
          ASSERT_NEAR(c[i * n + j], expected, 1e-4) << "i=" << i << " j=" << j;
        }
      }
    }
  }
}

TEST(Gemm, BiasAddAndRowSums) {
  Tensor y{2, 3};
  Tensor bias{3};
  for (int j = 0; j < 3; ++j) bias[j] = static_cast<float>(j + 1);
  addRowBias(y, bias);
  addRowBias(y, bias);
  EXPECT_EQ(y[0], 2);
  EXPECT_EQ(y[5], 6);
  Tensor sums{3};
  sumRows(y, sums);
  EXPECT_EQ(sums[0], 4);
  EXPECT_EQ(sums[2], 12);
}

TEST(Gemm, RunningColumnMaxima) {
  Tensor y{3, 2};
  for (int64_t i = 0; i < 6; ++i) y[i] = static_cast<float>(i % 2 ? -i : i);  // column 1 all negative
  Tensor m{2};
  m.fill(-std::numeric_limits<float>::infinity());
  maxRowsInto(y, m);
  EXPECT_EQ(m[0], 4);
  EXPECT_EQ(m[1], -1);
  y.fill(0.5f);
  maxRowsInto(y, m);  // keeps the larger of old and new
  EXPECT_EQ(m[0], 4);
  EXPECT_EQ(m[1], 0.5f);
}

struct OneParameter {
  Tensor w{1}, g{1};
  std::vector<ParameterRef> refs() { return {{"w", &w, &g}}; }
};

// Against real-valued targets, as PyTorch's losses with reduction='mean'
// (values computed by hand from their definitions): the mean over all
// elements, and its gradient.
TEST(Loss, TargetLossesFollowPyTorch) {
  const float prediction[] = {0.5f, 3.0f, -1.0f, 2.0f};
  const float targets[] = {0.0f, 1.0f, -1.0f, 4.5f};  // d = 0.5, 2, 0, -2.5
  float gradient[4];
  // MSELoss: (0.25 + 4 + 0 + 6.25) / 4; d/dp = 2 d / 4
  EXPECT_NEAR(targetLossAndGradient(Loss::MSE, prediction, targets, 2, 2, gradient), 2.625, 1e-12);
  EXPECT_FLOAT_EQ(gradient[1], 1.0f);
  EXPECT_FLOAT_EQ(gradient[3], -1.25f);
  // L1Loss: (0.5 + 2 + 0 + 2.5) / 4; d/dp = sign(d) / 4, sign(0) = 0
  EXPECT_NEAR(targetLossAndGradient(Loss::L1, prediction, targets, 2, 2, gradient), 1.25, 1e-12);
  EXPECT_EQ(std::vector<float>(gradient, gradient + 4), (std::vector<float>{0.25f, 0.25f, 0.0f, -0.25f}));
  // HuberLoss(delta=1): (0.125 + 1.5 + 0 + 2) / 4; d/dp = clamp(d, -1, 1) / 4
  EXPECT_NEAR(targetLossAndGradient(Loss::Huber, prediction, targets, 2, 2, gradient), 0.90625, 1e-12);
  EXPECT_EQ(std::vector<float>(gradient, gradient + 4), (std::vector<float>{0.125f, 0.25f, 0.0f, -0.25f}));
  // BCEWithLogitsLoss on logits 0 and 2 with targets 1 and 0.25:
  // (log 2 + (log(1 + e^2) - 0.5)) / 2
  const float logits[] = {0.0f, 2.0f}, soft[] = {1.0f, 0.25f};
  EXPECT_NEAR(targetLossAndGradient(Loss::BCEWithLogits, logits, soft, 1, 2, gradient),
              (std::log(2.0) + std::log1p(std::exp(2.0)) - 0.5) / 2, 1e-7);
  EXPECT_NEAR(gradient[0], (0.5 - 1) / 2, 1e-7);
  // No elements: no loss (and no division by zero).
  EXPECT_EQ(targetLossAndGradient(Loss::MSE, prediction, targets, 0, 2, nullptr), 0.0);
}

TEST(Optimizer, SgdWithMomentumAndWeightDecayFollowsPyTorch) {
  OneParameter p;
  p.w[0] = 1.0f;
  Optimizer sgd({.kind = OptimizerSettings::Kind::SGD, .learningRate = 0.1f, .momentum = 0.9f, .weightDecay = 0.5f});
  p.g[0] = 2.0f;
  sgd.step(p.refs());  // grad = 2 + 0.5*1 = 2.5; buf = 2.5; w = 1 - 0.25
  EXPECT_FLOAT_EQ(p.w[0], 0.75f);
  sgd.step(p.refs());  // grad = 2 + 0.375 = 2.375; buf = 0.9*2.5 + 2.375 = 4.625
  EXPECT_FLOAT_EQ(p.w[0], 0.75f - 0.4625f);
}

// torch's param_groups: the bias without weight decay, the activation
// parameter at its own rate, which follows a schedule in proportion.
TEST(Optimizer, ParameterGroupsHaveTheirOwnRateAndWeightDecay) {
  Tensor w({1}), b({1}), a({1}), gw({1}), gb({1}), ga({1});
  w[0] = b[0] = a[0] = 1.0f;
  gw[0] = gb[0] = ga[0] = 2.0f;
  std::vector<ParameterRef> refs = {{"fc.weight", &w, &gw, ParameterRole::Weight},
                                    {"fc.bias", &b, &gb, ParameterRole::Bias},
                                    {"fc.prelu.a", &a, &ga, ParameterRole::Activation}};
  OptimizerSettings settings{.kind = OptimizerSettings::Kind::SGD, .learningRate = 0.1f, .weightDecay = 0.5f};
  settings.biasWeightDecay = 0.0f;
  settings.activationLearningRate = 0.01f;
  settings.activationWeightDecay = 0.0f;
  Optimizer sgd(settings);
  sgd.step(refs);
  EXPECT_FLOAT_EQ(w[0], 1 - 0.1f * (2 + 0.5f));  // the optimizer's rate and decay
  EXPECT_FLOAT_EQ(b[0], 1 - 0.1f * 2);           // no decay
  EXPECT_FLOAT_EQ(a[0], 1 - 0.01f * 2);          // its own rate, no decay
  sgd.setLearningRate(0.05f);                    // a schedule halves the rate: the activations' too
  float before = a[0];
  sgd.step(refs);
  EXPECT_FLOAT_EQ(a[0], before - 0.005f * 2);
}

TEST(Optimizer, AdamFollowsPyTorch) {
  OneParameter p;
  p.w[0] = 1.0f;
  Optimizer adam({.kind = OptimizerSettings::Kind::Adam, .learningRate = 0.01f});
  p.g[0] = 0.5f;
  adam.step(p.refs());  // first step moves by lr * sign(g) (bias-corrected m/sqrt(v) = 1)
  EXPECT_NEAR(p.w[0], 0.99f, 1e-6);
  p.g[0] = -1.0f;
  adam.step(p.refs());
  double m = 0.9 * 0.05 + 0.1 * -1.0, v = 0.999 * 0.00025 + 0.001 * 1.0;
  double expected = 0.99 - 0.01 * (m / (1 - 0.81)) / (std::sqrt(v / (1 - 0.999 * 0.999)) + 1e-8);
  EXPECT_NEAR(p.w[0], expected, 1e-6);
  EXPECT_EQ(adam.steps(), 2);
  auto state = adam.state();
  EXPECT_EQ(state.count("optimizer.adam.m.w"), 1u);
  EXPECT_EQ(state.count("optimizer.adam.v.w"), 1u);
  EXPECT_EQ((*state.at("optimizer.steps"))[0], 0.0f);  // 2^24 * 0 + 2
  EXPECT_EQ((*state.at("optimizer.steps"))[1], 2.0f);
}

// The next three as torch.optim defines them, step by step by hand.
TEST(Optimizer, SgdWithNesterovLooksAheadAlongItsMomentum) {
  OneParameter p;
  p.w[0] = 1.0f;
  Optimizer sgd({.kind = OptimizerSettings::Kind::SGD, .learningRate = 0.1f, .momentum = 0.5f, .nesterov = true});
  p.g[0] = 2.0f;
  sgd.step(p.refs());  // buf = 2; step = g + 0.5*buf = 3; w = 1 - 0.3
  EXPECT_FLOAT_EQ(p.w[0], 0.7f);
  p.g[0] = 1.0f;
  sgd.step(p.refs());  // buf = 0.5*2 + 1 = 2; step = 1 + 0.5*2 = 2; w = 0.7 - 0.2
  EXPECT_FLOAT_EQ(p.w[0], 0.5f);
}

TEST(Optimizer, AdamWDecaysTheWeightApartFromTheGradient) {
  OneParameter p;
  p.w[0] = 2.0f;
  Optimizer adamw({.kind = OptimizerSettings::Kind::AdamW, .learningRate = 0.1f, .weightDecay = 0.5f});
  p.g[0] = 0.25f;
  adamw.step(p.refs());  // w = 2 * (1 - 0.1*0.5) = 1.9, then the Adam step of g alone: -lr * sign(g)
  EXPECT_NEAR(p.w[0], 1.9 - 0.1, 1e-6);
  p.g[0] = -1.0f;
  adamw.step(p.refs());
  double w = 1.8 * (1 - 0.05), m = 0.9 * 0.025 + 0.1 * -1.0, v = 0.999 * 0.0000625 + 0.001 * 1.0;
  double expected = w - 0.1 * (m / (1 - 0.81)) / (std::sqrt(v / (1 - 0.999 * 0.999)) + 1e-8);
  EXPECT_NEAR(p.w[0], expected, 1e-6);
  EXPECT_EQ(adamw.state().count("optimizer.adamw.m.w"), 1u);
  EXPECT_EQ(adamw.state().count("optimizer.adamw.v.w"), 1u);
}

TEST(Optimizer, RmspropDividesByTheRootOfTheAverageSquare) {
  OneParameter plain, heavy;
  plain.w[0] = heavy.w[0] = 1.0f;
  Optimizer rmsprop({.kind = OptimizerSettings::Kind::RMSprop, .learningRate = 0.01f, .alpha = 0.9f});
  Optimizer withMomentum({.kind = OptimizerSettings::Kind::RMSprop, .learningRate = 0.01f, .momentum = 0.5f,
                          .alpha = 0.9f, .weightDecay = 1.0f});
  plain.g[0] = heavy.g[0] = 2.0f;
  rmsprop.step(plain.refs());  // sq = 0.1*4 = 0.4; w -= 0.01 * 2 / (sqrt(0.4) + 1e-8)
  double w = 1 - 0.01 * 2 / (std::sqrt(0.4) + 1e-8);
  EXPECT_NEAR(plain.w[0], w, 1e-6);
  plain.g[0] = -1.0f;
  rmsprop.step(plain.refs());  // sq = 0.9*0.4 + 0.1*1 = 0.46
  EXPECT_NEAR(plain.w[0], w + 0.01 / (std::sqrt(0.46) + 1e-8), 1e-6);

  withMomentum.step(heavy.refs());  // g = 2 + 1*1 = 3; sq = 0.9; buf = 3/sqrt(0.9); w -= 0.01*buf
  double buf = 3 / (std::sqrt(0.9) + 1e-8), hw = 1 - 0.01 * buf;
  EXPECT_NEAR(heavy.w[0], hw, 1e-6);
  heavy.g[0] = 0.0f;
  withMomentum.step(heavy.refs());  // g = hw; sq = 0.81 + 0.1*hw^2; buf = 0.5*buf + hw/sqrt(sq)
  buf = 0.5 * buf + hw / (std::sqrt(0.81 + 0.1 * hw * hw) + 1e-8);
  EXPECT_NEAR(heavy.w[0], hw - 0.01 * buf, 1e-6);
  auto state = withMomentum.state();
  EXPECT_EQ(state.count("optimizer.rmsprop.square_avg.w"), 1u);
  EXPECT_EQ(state.count("optimizer.rmsprop.momentum.w"), 1u);
  EXPECT_EQ(rmsprop.state().count("optimizer.rmsprop.momentum.w"), 0u);
}

TEST(Optimizer, RmspropStateIsCheckedWhenRestored) {
  OneParameter p;
  Optimizer rmsprop({.kind = OptimizerSettings::Kind::RMSprop});
  std::map<std::string, Tensor> saved;
  saved["optimizer.rmsprop.square_avg.w"] = Tensor{1};
  saved["optimizer.rmsprop.square_avg.w"][0] = -1;
  EXPECT_EQ(rmsprop.restoreState(saved, p.refs()),
            "'optimizer.rmsprop.square_avg.w' holds -1 at element 0; RMSprop's square_avg values are averages of "
            "squares, never below 0");
  saved.clear();
  saved["optimizer.adam.m.w"] = Tensor{1};
  EXPECT_EQ(rmsprop.restoreState(saved, p.refs()), "'optimizer.adam.m.w' is not state of this model's rmsprop optimiser");
}

TEST(Optimizer, RestoredStateContinuesExactly) {
  auto run = [](int steps, Optimizer& adam, OneParameter& p) {
    for (int i = 0; i < steps; ++i) {
      p.g[0] = 2 * p.w[0] - 1;  // gradient of (w - 0.5)^2
      adam.step(p.refs());
    }
  };
  OneParameter straight, interrupted;
  straight.w[0] = interrupted.w[0] = 3;
  Optimizer a({.learningRate = 0.05f}), b({.learningRate = 0.05f});
  run(10, a, straight);
  run(4, b, interrupted);
  // "Checkpoint": the weight and a copy of the optimiser state.
  std::map<std::string, Tensor> saved;
  for (auto& [name, tensor] : b.state()) saved[name] = *tensor;
  OneParameter resumed;
  resumed.w[0] = interrupted.w[0];
  Optimizer c({.learningRate = 0.05f});
  EXPECT_EQ(c.restoreState(saved, resumed.refs()), "");
  EXPECT_EQ(c.steps(), 4);
  run(6, c, resumed);
  EXPECT_EQ(resumed.w[0], straight.w[0]);  // bit-exact
}

TEST(Optimizer, RefusesStateThatDoesNotFit) {
  OneParameter p;
  Optimizer adam({});
  std::map<std::string, Tensor> wrongShape{{"optimizer.adam.m.w", Tensor{3}}};
  EXPECT_EQ(adam.restoreState(wrongShape, p.refs()), "'optimizer.adam.m.w' has shape [3], but 'w' has [1]");
  std::map<std::string, Tensor> badSteps{{"optimizer.steps", Tensor{0}}};
  EXPECT_EQ(adam.restoreState(badSteps, p.refs()),
            "'optimizer.steps' must hold a whole number of steps (2^24 times its first value plus its second, each a "
            "whole number below 2^24), not [0] values");
  for (float bad : {std::numeric_limits<float>::infinity(), 1e30f, -1.0f, 2.5f, std::nanf("")}) {
    Tensor steps{2};
    steps[1] = bad;
    std::map<std::string, Tensor> state{{"optimizer.steps", steps}};
    EXPECT_NE(adam.restoreState(state, p.refs()).find("'optimizer.steps' must hold a whole number of steps"),
              std::string::npos)
        << bad;
  }
  // Moments must be finite, and Adam's second moments not below 0 (they
  // loaded, and training then blamed the learning rate).
  Tensor negative{1}, notANumber{1};
  negative[0] = -1;
  notANumber[0] = std::nanf("");
  std::map<std::string, Tensor> badV{{"optimizer.adam.v.w", negative}};
  EXPECT_EQ(adam.restoreState(badV, p.refs()),
            "'optimizer.adam.v.w' holds -1 at element 0; Adam's second moments are averages of squares, never below 0");
  std::map<std::string, Tensor> badM{{"optimizer.adam.m.w", notANumber}};
  EXPECT_EQ(adam.restoreState(badM, p.refs()), "'optimizer.adam.m.w' holds nan at element 0");
  std::map<std::string, Tensor> foreign{{"optimizer.sgd.momentum.w", Tensor{1}}};
  EXPECT_EQ(adam.restoreState(foreign, p.refs()), "'optimizer.sgd.momentum.w' is not state of this model's adam optimiser");
}

// Step counts past 2^24 (where one float stops counting) survive a save
// and restore exactly; an earlier checkpoint's one-value count still reads.
TEST(Optimizer, StepCountsAreStoredExactly) {
  OneParameter p;
  Optimizer adam({});
  Tensor counter{2};
  counter[0] = 3;                 // 3 * 2^24
  counter[1] = 16777215;          // + 2^24 - 1
  std::map<std::string, Tensor> state{{"optimizer.steps", counter}};
  ASSERT_EQ(adam.restoreState(state, p.refs()), "");
  EXPECT_EQ(adam.steps(), 4 * (int64_t{1} << 24) - 1);
  adam.step(p.refs());
  EXPECT_EQ(adam.steps(), 4 * (int64_t{1} << 24));
  EXPECT_EQ((*adam.state().at("optimizer.steps"))[0], 4.0f);
  EXPECT_EQ((*adam.state().at("optimizer.steps"))[1], 0.0f);
  Tensor old{1};
  old[0] = 1234;
  std::map<std::string, Tensor> earlier{{"optimizer.steps", old}};
  ASSERT_EQ(adam.restoreState(earlier, p.refs()), "");
  EXPECT_EQ(adam.steps(), 1234);
}

TEST(Optimizer, AdamMinimisesAQuadratic) {
  OneParameter p;
  p.w[0] = 5;
  Optimizer adam({.learningRate = 0.1f});
  for (int i = 0; i < 500; ++i) {
    p.g[0] = 2 * (p.w[0] - 1.5f);
    adam.step(p.refs());
  }
  EXPECT_NEAR(p.w[0], 1.5f, 1e-2);
}

TEST(Initializer, StatisticsMatchTheScheme) {
  std::mt19937_64 random(42);
  Tensor he{256, 784}, xavier{256, 784};
  initializeWeights(he, InitScheme::He, random);
  initializeWeights(xavier, InitScheme::Xavier, random);
  auto stats = [](const Tensor& t) {
    double sum = 0, squares = 0, largest = 0;
    for (float v : t.values()) {
      sum += v;
      squares += double(v) * v;
      largest = std::max(largest, std::abs(double(v)));
    }
    double mean = sum / t.size();
    return std::tuple(mean, std::sqrt(squares / t.size() - mean * mean), largest);
  };
  auto [heMean, heStd, heMax] = stats(he);
  EXPECT_NEAR(heMean, 0, 1e-3);
  EXPECT_NEAR(heStd, std::sqrt(2.0 / 784), 1e-3);
  auto [xMean, xStd, xMax] = stats(xavier);
  double limit = std::sqrt(6.0 / (784 + 256));
  EXPECT_NEAR(xMean, 0, 1e-3);
  EXPECT_NEAR(xStd, limit / std::sqrt(3.0), 1e-3);  // std of U(-l, l)
  EXPECT_LE(xMax, limit);
  (void)heMax;
}

TEST(Initializer, SameSeedSameWeights) {
  Tensor a{64, 32}, b{64, 32}, c{64, 32};
  std::mt19937_64 r1(7), r2(7), r3(8);
  initializeWeights(a, InitScheme::He, r1);
  initializeWeights(b, InitScheme::He, r2);
  initializeWeights(c, InitScheme::He, r3);
  EXPECT_TRUE(std::equal(a.values().begin(), a.values().end(), b.values().begin()));
  EXPECT_FALSE(std::equal(a.values().begin(), a.values().end(), c.values().begin()));
}

}  // namespace
}  // namespace nnc::runtime
