// backend/StableForms.cpp rewrites sigmoid, its complement and softplus'
// tanh and cosh into forms that share one exp. They must hold on the whole
// real line in both precisions: an earlier form capped exp's argument at 20
// and froze every value past it (cosh(softplus(30)) gave cosh(softplus(20)),
// float64 sigmoid'(30) gave sigmoid'(20)). Each formula is compiled alone
// (so its rewrite fires) and checked, relatively, against the same function
// in long double on [-1e4, 1e4], densely around the old cap and the points
// where exp over- or underflows in either precision.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <functional>
#include <limits>

#include "backend/FormulaJIT.h"
#include "runtime/AlignedBuffer.h"
#include "JitFixture.h"
#include "TestSupport.h"

namespace nnc::backend {
namespace {

using Exact = std::function<long double(long double)>;

long double softplusL(long double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
long double sigmoidL(long double x) { return 1 / (1 + std::exp(-x)); }
long double sech2SoftplusL(long double x) { return 1 / std::pow(std::cosh(softplusL(x)), 2); }

struct Case {
  const char* formula;
  Exact exact;
  // Relative error down to the smallest normal; else relative to max(1, |exact|),
  // for a formula whose last step cancels as written (log of a value near 1).
  bool relative = true;
  // Checked only where this intermediate value is finite in the precision:
  // past that the formula as written overflows, whatever its forms.
  Exact intermediate = nullptr;
};

const Case kCases[] = {
    {"sigmoid(x)", sigmoidL},
    {"1 - sigmoid(x)", [](long double x) { return sigmoidL(-x); }},
    {"sigmoid(x)*(1 - sigmoid(x))", [](long double x) { return sigmoidL(x) * sigmoidL(-x); }},
    {"x*sigmoid(x)", [](long double x) { return x * sigmoidL(x); }},
    {"sigmoid(x) + x*sigmoid(x)*(1 - sigmoid(x))",
     [](long double x) { return sigmoidL(x) + x * sigmoidL(x) * sigmoidL(-x); }},
    {"tanh(softplus(x))", [](long double x) { return std::tanh(softplusL(x)); }},
    {"1/cosh(softplus(x))^2", sech2SoftplusL},
    {"1 - tanh(softplus(x))^2", sech2SoftplusL},
    {"cosh(softplus(x))", [](long double x) { return std::cosh(softplusL(x)); }},
    {"log(cosh(softplus(x)))", [](long double x) { return std::log(std::cosh(softplusL(x))); }, false,
     [](long double x) { return std::cosh(softplusL(x)); }},
    {"x*tanh(softplus(x))", [](long double x) { return x * std::tanh(softplusL(x)); }},
    // mish's derivative, as nnc derives it.
    {"tanh(softplus(x)) + x*sigmoid(x)*(1 - tanh(softplus(x))^2)",
     [](long double x) { return std::tanh(softplusL(x)) + x * sigmoidL(x) * sech2SoftplusL(x); }},
};

// [-1e4, 1e4] evenly, then both signs of the points where the forms change
// behaviour: the old cap (20), where exp over- or underflows in float32
// (87-89) and float64 (708-710), where float32 and float64 sigmoid round to
// 1 (17, 37).
std::vector<double> points() {
  std::vector<double> out;
  for (int i = 0; i <= 20000; ++i) out.push_back(-1e4 + i);
  for (double p : {0.0, 1e-30, 1e-8, 0.5, 1.0, 2.0, 5.0, 10.0, 16.0, 17.0, 18.0, 19.5, 19.999, 20.0, 20.001, 20.5, 21.0,
                   25.0, 30.0, 36.0, 37.0, 38.0, 40.0, 44.0, 50.0, 80.0, 87.0, 87.5, 88.0, 88.5, 88.7, 88.8, 89.0, 89.5,
                   90.0, 100.0, 200.0, 500.0, 700.0, 708.0, 709.0, 709.7, 710.0, 711.0, 745.0, 746.0, 1000.0, 5000.0}) {
    out.push_back(p);
    out.push_back(-p);
  }
  return out;
}

template <typename T>
void checkEverywhere(FormulaJIT& jit, ElementType type, double relativeTolerance) {
  const std::vector<double> xs = points();
  for (const Case& c : kCases) {
    ir::ExprContext ctx;
    KernelResult compiled = jit.compile({{test::parseExpr(ctx, c.formula)}, {"x"}, {}, type, {}});
    ASSERT_NE(compiled.kernel, nullptr) << compiled.error;
    runtime::AlignedBuffer<T> x(xs.size()), y(xs.size());
    for (size_t i = 0; i < xs.size(); ++i) x[i] = static_cast<T>(xs[i]);
    const T* inputs[] = {x.data()};
    T* outputs[] = {y.data()};
    const int64_t n = static_cast<int64_t>(xs.size());
    compiled.kernel->run(KernelArgs<T>{1, n, n, inputs, nullptr, outputs, nullptr});
    int failures = 0;
    for (size_t i = 0; i < xs.size() && failures < 5; ++i) {
      const long double max = static_cast<long double>(std::numeric_limits<T>::max());
      if (c.intermediate && std::fabs(c.intermediate(static_cast<long double>(x[i]))) > max) continue;
      const long double exact = c.exact(static_cast<long double>(x[i]));
      const T got = y[i];
      bool ok;
      if (std::fabs(exact) > max)
        ok = std::isinf(got) && std::signbit(got) == std::signbit(exact);  // overflows, as the type must
      else if (c.relative)  // subnormal results keep fewer bits
        ok = std::fabs(static_cast<long double>(got) - exact) <=
             relativeTolerance * std::fabs(exact) + 2 * static_cast<long double>(std::numeric_limits<T>::min());
      else
        ok = std::fabs(static_cast<long double>(got) - exact) <= relativeTolerance * std::max(1.0L, std::fabs(exact));
      if (ok) continue;
      ++failures;
      ADD_FAILURE() << c.formula << (type == ElementType::F32 ? " (float32)" : " (float64)") << " at x=" << x[i]
                    << ": JIT " << got << ", exact " << static_cast<double>(exact);
    }
  }
}

class StableFormsTest : public test::JitFixture {};

TEST_F(StableFormsTest, Float32HoldsOnTheWholeRealLine) { checkEverywhere<float>(*jit_, ElementType::F32, 4e-6); }

TEST_F(StableFormsTest, Float64HoldsOnTheWholeRealLine) { checkEverywhere<double>(*jit_, ElementType::F64, 1e-12); }

}  // namespace
}  // namespace nnc::backend
