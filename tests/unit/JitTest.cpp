// The JIT against the double interpreter: float32 results within
// 2e-6 * max(1, |exact|) on [-10, 10] for every example activation and its
// first two derivatives; double results to near machine precision.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <thread>

#include "backend/FormulaJIT.h"
#include "backend/ParallelKernel.h"
#include "ir/Diff.h"
#include "ir/Interpreter.h"
#include "ir/Printer.h"
#include "runtime/AlignedBuffer.h"
#include "runtime/Parallel.h"
#include "JitFixture.h"
#include "TestSupport.h"

namespace nnc::backend {
namespace {

using ir::ExprRef;

class JitTest : public test::JitFixture {};

// Points on [-10, 10]: a fine grid (odd count, so the vector loop's
// remainder runs too) plus the kinks and zero.
std::vector<double> samplePoints() {
  std::vector<double> points;
  for (int i = 0; i <= 4000; ++i) points.push_back(-10 + 20.0 * i / 4000);
  for (double p : {0.0, 1e-8, -1e-8, 1e-3, -1e-3}) points.push_back(p);
  return points;
}

template <typename T>
std::vector<std::vector<T>> runKernel(const Kernel& kernel, const std::vector<double>& points,
                                      const std::vector<double>& params, size_t outputs) {
  runtime::AlignedBuffer<T> x(points.size());
  for (size_t i = 0; i < points.size(); ++i) x[i] = static_cast<T>(points[i]);
  std::vector<T> p(params.begin(), params.end());
  std::vector<std::vector<T>> results(outputs, std::vector<T>(points.size()));
  std::vector<T*> pointers;
  for (auto& r : results) pointers.push_back(r.data());
  std::vector<const T*> parameterPointers;
  for (const T& value : p) parameterPointers.push_back(&value);
  const T* inputs[] = {x.data()};
  int64_t n = static_cast<int64_t>(points.size());
  kernel.run(KernelArgs<T>{1, n, n, inputs, parameterPointers.data(), pointers.data(), nullptr});
  return results;
}

// An activation's kernel (f and its derivatives at the parameters'
// defaults) and what the interpreter needs to check it.
struct ActivationCase {
  KernelSpec spec;
  std::vector<std::string> oracleInputs;  // the variable, then the parameters
  std::vector<double> params;             // their defaults
};

ActivationCase activationCase(const frontend::ActivationDef& act, const ir::Derivatives& d, ElementType type) {
  ActivationCase c{{d.orders, {act.input}, {}, type, {}}, {act.input}, {}};
  for (const frontend::ParameterDef& p : act.parameters) {
    c.spec.parameters.push_back({p.name});
    c.oracleInputs.push_back(p.name);
    c.params.push_back(p.defaultValue);
  }
  return c;
}

// A float32 kernel for `formula` whose transcendental is emitted inline
// (backend/InlineMath.h): vectorised, and calling neither libm's `libmName`
// nor any libmvec function.
std::unique_ptr<Kernel> inlineFloatKernel(FormulaJIT& jit, const char* formula, const char* libmName) {
  ir::ExprContext ctx;
  KernelResult compiled = jit.compile({{test::parseExpr(ctx, formula)}, {"x"}, {}, ElementType::F32, {}});
  EXPECT_NE(compiled.kernel, nullptr) << compiled.error;
  if (!compiled.kernel) return nullptr;
  const std::string& ir = compiled.kernel->llvmIR();
  EXPECT_NE(ir.find("vector.body"), std::string::npos) << ir;
  EXPECT_EQ(ir.find(std::string("@") + libmName), std::string::npos) << ir;
  EXPECT_EQ(ir.find("@_ZGV"), std::string::npos) << ir;
  return std::move(compiled.kernel);
}

// `count` + 1 evenly spaced points on [from, to], then `extra`.
std::vector<double> gridPoints(double from, double to, int count, std::initializer_list<double> extra) {
  std::vector<double> points;
  for (int i = 0; i <= count; ++i) points.push_back(from + (to - from) * i / count);
  points.insert(points.end(), extra);
  return points;
}

// One ulp at `value`, or at the smallest normal float for subnormals.
float ulpAt(float value) {
  float magnitude = std::max(std::abs(value), FLT_MIN);
  return std::nextafter(magnitude, INFINITY) - magnitude;
}

TEST_F(JitTest, Float32ActivationsMatchTheInterpreter) {
  ir::ExprContext ctx;
  frontend::Module module = test::loadActivations(ctx);
  std::vector<double> points = samplePoints();
  for (const frontend::ActivationDef& act : module.activations) {
    ir::Derivatives d = ir::derivatives(ctx, act.body, act.input, 2);
    auto [spec, inputs, params] = activationCase(act, d, ElementType::F32);
    KernelResult compiled = jit_->compile(spec);
    ASSERT_NE(compiled.kernel, nullptr) << compiled.error;
    auto results = runKernel<float>(*compiled.kernel, points, params, d.orders.size());
    ir::Interpreter oracle(d.orders, inputs);
    std::vector<double> exact(d.orders.size());
    int failures = 0;
    for (size_t i = 0; i < points.size() && failures < 5; ++i) {
      std::vector<double> values{static_cast<double>(static_cast<float>(points[i]))};
      values.insert(values.end(), params.begin(), params.end());
      oracle.run(values, exact);
      for (size_t k = 0; k < d.orders.size(); ++k) {
        double tolerance = 2e-6 * std::max(1.0, std::abs(exact[k]));
        if (std::abs(results[k][i] - exact[k]) <= tolerance) continue;
        ++failures;
        ADD_FAILURE() << act.name << " order " << k << " (" << ir::print(d.orders[k]) << ") at x=" << values[0]
                      << ": JIT " << results[k][i] << ", exact " << exact[k];
      }
    }
  }
}

TEST_F(JitTest, Float64MatchesTheInterpreterClosely) {
  ir::ExprContext ctx;
  frontend::Module module = test::loadActivations(ctx);
  std::vector<double> points = samplePoints();
  for (const char* name : {"swish", "gelu", "mish", "selu", "softsign", "ncu"}) {
    const frontend::ActivationDef* act = module.activation(name);
    ir::Derivatives d = ir::derivatives(ctx, act->body, act->input, 1);
    auto [spec, inputs, params] = activationCase(*act, d, ElementType::F64);
    KernelResult compiled = jit_->compile(spec);
    ASSERT_NE(compiled.kernel, nullptr) << compiled.error;
    auto results = runKernel<double>(*compiled.kernel, points, params, d.orders.size());
    ir::Interpreter oracle(d.orders, inputs);
    std::vector<double> exact(d.orders.size());
    for (size_t i = 0; i < points.size(); ++i) {
      std::vector<double> values{points[i]};
      values.insert(values.end(), params.begin(), params.end());
      oracle.run(values, exact);
      for (size_t k = 0; k < d.orders.size(); ++k)
        ASSERT_NEAR(results[k][i], exact[k], 1e-13 * std::max(1.0, std::abs(exact[k])))
            << name << " order " << k << " at x=" << points[i];
    }
  }
}

TEST_F(JitTest, ParametersAreReadAtRunTime) {
  ir::ExprContext ctx;
  ExprRef f = test::parseExpr(ctx, "x * sigmoid(beta * x)");
  KernelResult compiled = jit_->compile({{f}, {"x"}, {{"beta"}}, ElementType::F64, {}});
  ASSERT_NE(compiled.kernel, nullptr) << compiled.error;
  for (double beta : {0.0, 1.0, 2.5}) {
    auto results = runKernel<double>(*compiled.kernel, {1.5}, {beta}, 1);
    EXPECT_NEAR(results[0][0], 1.5 / (1 + std::exp(-beta * 1.5)), 1e-15);
  }
}

TEST_F(JitTest, NaNAndInfinityPropagate) {
  ir::ExprContext ctx;
  ExprRef relu = test::parseExpr(ctx, "max(x, 0)");
  ExprRef log = test::parseExpr(ctx, "log(x)");
  KernelResult compiled = jit_->compile({{relu, log}, {"x"}, {}, ElementType::F32, {}});
  ASSERT_NE(compiled.kernel, nullptr) << compiled.error;
  auto results = runKernel<float>(*compiled.kernel, {NAN, 0.0, -1.0}, {}, 2);
  EXPECT_TRUE(std::isnan(results[0][0])) << "relu(NaN) must stay NaN so training can report it";
  EXPECT_EQ(results[1][1], -INFINITY);
  EXPECT_TRUE(std::isnan(results[1][2]));
}

// Float exp is emitted inline (backend/InlineMath.h): within 2 ulp of
// libm's double exp rounded to float, with its overflow, underflow
// (subnormals included) and special values.
TEST_F(JitTest, InlineFloatExpIsWithinTwoUlp) {
  std::unique_ptr<Kernel> kernel = inlineFloatKernel(*jit_, "exp(x)", "expf");
  ASSERT_NE(kernel, nullptr);
  std::vector<double> points = gridPoints(-104, 89, 200000, {0.0, -0.0, 1e-30, -1e-30, 88.72283, 88.72284, 88.7229,
                                                             89.5, 1000.0, -87.3, -87.4, -100.0, -103.9, -104.5, -1000.0});
  auto results = runKernel<float>(*kernel, points, {}, 1);
  int failures = 0;
  for (size_t i = 0; i < points.size() && failures < 5; ++i) {
    float x = static_cast<float>(points[i]);
    float exact = static_cast<float>(std::exp(static_cast<double>(x)));
    float got = results[0][i];
    if (got == exact || std::abs(got - exact) <= 2 * ulpAt(exact)) continue;
    ++failures;
    ADD_FAILURE() << "exp(" << x << "): inline " << got << ", libm " << exact;
  }
  auto special = runKernel<float>(*kernel, {NAN, INFINITY, -INFINITY}, {}, 1);
  EXPECT_TRUE(std::isnan(special[0][0]));
  EXPECT_EQ(special[0][1], INFINITY);
  EXPECT_EQ(special[0][2], 0.0f);
}

// Float erf is inline too: within 4e-7 absolute and 8 ulp of double erf
// rounded to float, odd, saturating at +-1.
TEST_F(JitTest, InlineFloatErfIsWithinEightUlp) {
  std::unique_ptr<Kernel> kernel = inlineFloatKernel(*jit_, "erf(x)", "erff");
  ASSERT_NE(kernel, nullptr);
  std::vector<double> points =
      gridPoints(-6, 6, 200000, {0.0, 1e-30, -1e-30, 1e-6, -3e-4, 3.9199, 3.9201, 10.0, -1e30});
  auto results = runKernel<float>(*kernel, points, {}, 1);
  int failures = 0;
  for (size_t i = 0; i < points.size() && failures < 5; ++i) {
    float x = static_cast<float>(points[i]);
    double exact = std::erf(static_cast<double>(x));
    double error = std::abs(results[0][i] - exact);
    if (error <= 4e-7 && error <= 8 * ulpAt(static_cast<float>(exact))) continue;
    ++failures;
    ADD_FAILURE() << "erf(" << x << "): inline " << results[0][i] << ", exact " << exact;
  }
  auto special = runKernel<float>(*kernel, {NAN, INFINITY, -INFINITY, -0.0}, {}, 1);
  EXPECT_TRUE(std::isnan(special[0][0]));
  EXPECT_EQ(special[0][1], 1.0f);
  EXPECT_EQ(special[0][2], -1.0f);
  EXPECT_TRUE(std::signbit(special[0][3]));
}

TEST_F(JitTest, TranscendentalsAreVectorisedWithLibmvec) {
  ir::ExprContext ctx;
  for (const char* formula : {"tanh(x)", "log1p(x)", "softplus(x)"}) {
    ExprRef f = test::parseExpr(ctx, formula);
    KernelResult compiled = jit_->compile({{f}, {"x"}, {}, ElementType::F32, {}});
    ASSERT_NE(compiled.kernel, nullptr) << compiled.error;
    const std::string& ir = compiled.kernel->llvmIR();
    EXPECT_NE(ir.find("vector.body"), std::string::npos) << formula;
    EXPECT_NE(ir.find("@_ZGV"), std::string::npos) << formula << " calls scalar libm in the vector loop:\n" << ir;
  }
}

TEST_F(JitTest, BlockKernelComputesALayersBackwardWithPerUnitParameters) {
  // A swish layer's backward over columns [2, 7) of a [5, 9] activation
  // block, beta learnable per unit: dx = dy * f'(x), dbeta[c] += dy * df/dbeta.
  ir::ExprContext ctx;
  ExprRef f = test::parseExpr(ctx, "x * sigmoid(beta * x)");
  ExprRef dx = ctx.make(ir::Op::Mul, {ctx.var("dy"), ir::derivatives(ctx, f, "x", 1).orders[1]});
  ExprRef dbeta = ctx.make(ir::Op::Mul, {ctx.var("dy"), ir::derivatives(ctx, f, "beta", 1).orders[1]});
  KernelSpec spec{{dx}, {"x", "dy"}, {{"beta", true}}, ElementType::F64, {dbeta}};
  KernelResult compiled = jit_->compile(spec);
  ASSERT_NE(compiled.kernel, nullptr) << compiled.error;
  EXPECT_NE(compiled.kernel->llvmIR().find("vector.body"), std::string::npos);

  const int64_t rows = 5, stride = 9, first = 2, cols = 5;
  std::vector<double> x(rows * stride), dy(rows * stride), out(rows * stride, -1), beta(cols), sums(cols, 0.25);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = std::sin(0.7 * static_cast<double>(i)) * 3;
    dy[i] = std::cos(1.3 * static_cast<double>(i));
  }
  for (int64_t c = 0; c < cols; ++c) beta[c] = 0.5 + 0.25 * static_cast<double>(c);
  const double* inputs[] = {x.data() + first, dy.data() + first};
  const double* parameters[] = {beta.data()};
  double* outputs[] = {out.data() + first};
  double* columnSums[] = {sums.data()};
  compiled.kernel->run(KernelArgs<double>{rows, cols, stride, inputs, parameters, outputs, columnSums});

  ir::Interpreter oracle(std::vector<ExprRef>{dx, dbeta}, {"x", "dy", "beta"});
  std::vector<double> expectedSums(cols, 0.25);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < stride; ++j) {
      size_t i = static_cast<size_t>(r * stride + j);
      if (j < first || j >= first + cols) {
        EXPECT_EQ(out[i], -1) << "wrote outside the block at " << r << "," << j;
        continue;
      }
      double expected[2];
      oracle.run(std::vector<double>{x[i], dy[i], beta[j - first]}, expected);
      EXPECT_NEAR(out[i], expected[0], 1e-13);
      expectedSums[j - first] += expected[1];
    }
  }
  for (int64_t c = 0; c < cols; ++c) EXPECT_NEAR(sums[c], expectedSums[c], 1e-12) << "column " << c;
}

// Several kernels compiled in one call are built on the pool's threads: each
// result is its own spec's kernel (the same bits as compiled alone), and a
// spec that fails reports its error without taking the others with it.
TEST_F(JitTest, KernelsCompiledTogetherAreEachTheirOwn) {
  runtime::setThreadCount(2);
  ir::ExprContext ctx;
  const char* formulas[] = {"x * x", "exp(x)", "tanh(x) + y", "sigmoid(x)", "erf(x)", "softplus(x)"};
  std::vector<KernelSpec> specs;
  for (const char* f : formulas) specs.push_back({{test::parseExpr(ctx, f)}, {"x"}, {}, ElementType::F32, {}});
  specs[5].type = ElementType::F64;
  std::vector<KernelResult> together = jit_->compile(specs);
  runtime::setThreadCount(runtime::coreCount());
  ASSERT_EQ(together.size(), specs.size());
  EXPECT_EQ(together[2].kernel, nullptr);
  EXPECT_EQ(together[2].error,
            "internal error: a compiled formula reads 'y', which is neither an input nor a parameter");
  std::vector<double> points = samplePoints();
  for (size_t k : {0u, 1u, 3u, 4u, 5u}) {
    ASSERT_NE(together[k].kernel, nullptr) << formulas[k] << ": " << together[k].error;
    KernelResult alone = jit_->compile(specs[k]);
    ASSERT_NE(alone.kernel, nullptr) << alone.error;
    if (specs[k].type == ElementType::F64) {
      EXPECT_EQ(runKernel<double>(*together[k].kernel, points, {}, 1), runKernel<double>(*alone.kernel, points, {}, 1));
      continue;
    }
    std::vector<float> found = runKernel<float>(*together[k].kernel, points, {}, 1)[0];
    EXPECT_EQ(found, runKernel<float>(*alone.kernel, points, {}, 1)[0]) << formulas[k];
    ir::Interpreter oracle(specs[k].outputs, {"x"});
    std::vector<double> expected(1);
    for (size_t i = 0; i < points.size(); i += 97) {
      oracle.run(std::vector<double>{static_cast<float>(points[i])}, expected);
      EXPECT_NEAR(found[i], expected[0], 2e-6 * std::max(1.0, std::abs(expected[0])))
          << formulas[k] << " at " << points[i];
    }
  }
}

// runParallel cuts a block into row chunks shared by the pool's threads: the
// outputs are kernel.run's, and the column sums (added chunk by chunk) are
// the same bits whatever the number of threads.
TEST_F(JitTest, ParallelRunsGiveTheSameBitsWithAnyThreadCount) {
  ir::ExprContext ctx;
  ExprRef f = test::parseExpr(ctx, "x * sigmoid(beta * x)");
  ExprRef dx = ctx.make(ir::Op::Mul, {ctx.var("dy"), ir::derivatives(ctx, f, "x", 1).orders[1]});
  ExprRef dbeta = ctx.make(ir::Op::Mul, {ctx.var("dy"), ir::derivatives(ctx, f, "beta", 1).orders[1]});
  KernelResult compiled = jit_->compile({{dx}, {"x", "dy"}, {{"beta", true}}, ElementType::F32, {dbeta}});
  ASSERT_NE(compiled.kernel, nullptr) << compiled.error;
  const int64_t rows = 1000, cols = 300;  // 300k elements: several chunks
  std::vector<float> x(rows * cols), dy(rows * cols), beta(cols, 1.5f);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(std::sin(0.7 * static_cast<double>(i)) * 3);
    dy[i] = static_cast<float>(std::cos(1.3 * static_cast<double>(i)));
  }
  auto run = [&](int threads, bool parallel) {
    runtime::setThreadCount(threads);
    std::vector<float> out(x.size()), sums(cols, 0.25f);
    const float* inputs[] = {x.data(), dy.data()};
    const float* parameters[] = {beta.data()};
    float* outputs[] = {out.data()};
    float* columnSums[] = {sums.data()};
    KernelArgs<float> args{rows, cols, cols, inputs, parameters, outputs, columnSums};
    ChunkScratch scratch;
    if (parallel) runParallel(*compiled.kernel, args, scratch);
    else compiled.kernel->run(args);
    return std::make_pair(out, sums);
  };
  int saved = runtime::threadCount();
  auto serial = run(1, false), one = run(1, true), two = run(2, true), three = run(3, true);
  runtime::setThreadCount(saved);
  EXPECT_EQ(one.first, serial.first);
  EXPECT_EQ(two, one);
  EXPECT_EQ(three, one);
  for (int64_t c = 0; c < cols; ++c)
    EXPECT_NEAR(one.second[c], serial.second[c], 1e-4 * std::max(1.0f, std::abs(serial.second[c])));
}

TEST_F(JitTest, KernelsRunConcurrently) {
  ir::ExprContext ctx;
  ExprRef f = test::parseExpr(ctx, "x*tanh(softplus(x))");
  KernelResult compiled = jit_->compile({{f}, {"x"}, {}, ElementType::F64, {}});
  ASSERT_NE(compiled.kernel, nullptr);
  std::vector<double> points = samplePoints();
  auto expected = runKernel<double>(*compiled.kernel, points, {}, 1);
  std::vector<std::thread> threads;
  std::vector<bool> same(4, false);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] { same[t] = runKernel<double>(*compiled.kernel, points, {}, 1) == expected; });
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_TRUE(same[t]) << "thread " << t;
}

}  // namespace
}  // namespace nnc::backend
