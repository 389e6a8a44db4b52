// The thread pool, and that threads change no result: GEMM cut into pieces
// and the JIT's chunked loops (tests/unit/JitTest.cpp) give the same bits
// as one thread.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "runtime/Gemm.h"
#include "runtime/Parallel.h"
#include "ThreadCount.h"

namespace nnc::runtime {
namespace {

TEST(Parallel, RunsEveryIndexOnce) {
  ThreadCount threads(4);
  std::vector<std::atomic<int>> runs(1000);
  parallelFor(1000, [&](int64_t i) { ++runs[static_cast<size_t>(i)]; });
  for (const std::atomic<int>& r : runs) EXPECT_EQ(r.load(), 1);
}

TEST(Parallel, NestedAndConcurrentCallsRunSerially) {
  ThreadCount threads(3);
  std::atomic<int64_t> total{0};
  auto nested = [&] {
    parallelFor(8, [&](int64_t) { parallelFor(10, [&](int64_t j) { total += j; }); });
  };
  std::thread other(nested);
  nested();
  other.join();
  EXPECT_EQ(total.load(), 2 * 8 * 45);
}

Tensor randomTensor(Shape shape, uint64_t seed) {
  Tensor t(std::move(shape));
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (float& v : t.values()) v = uniform(random);
  return t;
}

// The products of a 784-256-128-10 MLP's training step at batch 128 and 1,
// and odd sizes: with 1, 2, 3 and 7 threads, C is bit for bit the same.
// tests/runtime/every_coretype.py runs this under each OPENBLAS_CORETYPE the
// CPU can run (kernels tile differently; Haswell's broke an earlier cut).
TEST(Parallel, GemmGivesTheSameBitsWithAnyThreadCount) {
  std::printf("OpenBLAS kernels: %s\n", blasKernelName());
  struct Case {
    int64_t m, k, n;
  };
  const Case cases[] = {{128, 784, 256}, {128, 256, 128}, {128, 128, 10}, {256, 128, 784}, {128, 128, 256},
                        {10, 128, 128},  {1, 784, 256},   {300, 517, 301}, {97, 1000, 1531},
                        {2500, 784, 256}, {2500, 10, 128}, {12, 784, 256},  {5, 300, 2000}};
  for (const Case& s : cases) {
    for (Transpose ta : {Transpose::No, Transpose::Yes}) {
      for (Transpose tb : {Transpose::No, Transpose::Yes}) {
        Tensor a = randomTensor(ta == Transpose::No ? Shape{s.m, s.k} : Shape{s.k, s.m}, 1);
        Tensor b = randomTensor(tb == Transpose::No ? Shape{s.k, s.n} : Shape{s.n, s.k}, 2);
        std::vector<Tensor> results;
        for (int threads : {1, 2, 3, 7}) {
          ThreadCount count(threads);
          Tensor c({s.m, s.n});
          gemm(a, ta, b, tb, c);
          results.push_back(std::move(c));
        }
        for (size_t r = 1; r < results.size(); ++r)
          for (int64_t i = 0; i < results[0].size(); ++i)
            ASSERT_EQ(results[0][i], results[r][i]) << s.m << "x" << s.k << "x" << s.n << " transposes "
                                                    << (ta == Transpose::Yes) << (tb == Transpose::Yes)
                                                    << ", element " << i << ", " << (r == 3 ? 7 : r + 1) << " threads";
      }
    }
  }
}

// A product with no rows or no columns writes nothing and does not divide by
// its size (it did: SIGFPE on a 0-row prediction).
TEST(Parallel, GemmWithAnEmptyResultWritesNothing) {
  Tensor a = randomTensor({0, 784}, 1), b = randomTensor({784, 256}, 2);
  Tensor c({0, 256});
  gemm(a, Transpose::No, b, Transpose::No, c);
  EXPECT_EQ(c.size(), 0);
  Tensor wide = randomTensor({3, 0}, 3), tall = randomTensor({0, 4}, 4);
  Tensor zeroed({3, 4});
  for (float& v : zeroed.values()) v = 7;
  gemm(wide, Transpose::No, tall, Transpose::No, zeroed);  // k = 0: C = 0 * C
  for (float v : zeroed.values()) EXPECT_EQ(v, 0.0f);
}

TEST(Parallel, ThreadSettingTakesWholeNumbersUpToTheCores) {
  const int cores = coreCount();
  EXPECT_EQ(readThreadSetting(nullptr).threads, cores);
  EXPECT_TRUE(readThreadSetting(nullptr).problem.empty());
  ThreadSetting one = readThreadSetting("1");
  EXPECT_EQ(one.threads, 1);
  EXPECT_TRUE(one.problem.empty());
  ThreadSetting many = readThreadSetting("100000");
  EXPECT_EQ(many.threads, cores);
  EXPECT_FALSE(many.invalid);
  EXPECT_EQ(many.problem, "NNC_THREADS=100000 is more than the " + std::to_string(cores) +
                              " cores of this machine; using " + std::to_string(cores));
  for (const char* bad : {"0", "-1", "abc", "", " 2", "2x", "+2", "99999999999999999999"}) {
    ThreadSetting s = readThreadSetting(bad);
    EXPECT_TRUE(s.invalid) << bad;
    EXPECT_EQ(s.threads, cores) << bad;
    EXPECT_EQ(s.problem, std::string("NNC_THREADS='") + bad + "' is not a number of threads (a whole number from 1)");
  }
}

}  // namespace
}  // namespace nnc::runtime
