// The thread pool, and that threads change no result: GEMM cut into pieces
// and the JIT's chunked loops (tests/unit/JitTest.cpp) give the same bits
// as one thread.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "runtime/Gemm.h"
#include "runtime/Parallel.h"

namespace nnc::runtime {
namespace {

// Restores the pool's size after a test.
class ThreadCount {
public:
  explicit ThreadCount(int threads) : saved_(threadCount()) { setThreadCount(threads); }
  ~ThreadCount() { setThreadCount(saved_); }

private:
  int saved_;
};

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
// and odd sizes: with 1, 2 and 3 threads, C is bit for bit the same.
TEST(Parallel, GemmGivesTheSameBitsWithAnyThreadCount) {
  struct Case {
    int64_t m, k, n;
  };
  const Case cases[] = {{128, 784, 256}, {128, 256, 128}, {128, 128, 10}, {256, 128, 784}, {128, 128, 256},
                        {10, 128, 128},  {1, 784, 256},   {300, 517, 301}, {97, 1000, 1531}};
  for (const Case& s : cases) {
    for (Transpose ta : {Transpose::No, Transpose::Yes}) {
      for (Transpose tb : {Transpose::No, Transpose::Yes}) {
        Tensor a = randomTensor(ta == Transpose::No ? Shape{s.m, s.k} : Shape{s.k, s.m}, 1);
        Tensor b = randomTensor(tb == Transpose::No ? Shape{s.k, s.n} : Shape{s.n, s.k}, 2);
        std::vector<Tensor> results;
        for (int threads : {1, 2, 3}) {
          ThreadCount count(threads);
          Tensor c({s.m, s.n});
          gemm(a, ta, b, tb, c);
          results.push_back(std::move(c));
        }
        for (size_t r = 1; r < results.size(); ++r)
          for (int64_t i = 0; i < results[0].size(); ++i)
            ASSERT_EQ(results[0][i], results[r][i]) << s.m << "x" << s.k << "x" << s.n << " transposes "
                                                    << (ta == Transpose::Yes) << (tb == Transpose::Yes)
                                                    << ", element " << i << ", " << r + 1 << " threads";
      }
    }
  }
}

}  // namespace
}  // namespace nnc::runtime
