#pragma once
// Sets the thread pool's size for a test's scope and restores it after.
#include "runtime/Parallel.h"

namespace nnc::runtime {

class ThreadCount {
public:
  explicit ThreadCount(int threads) : saved_(threadCount()) { setThreadCount(threads); }
  ~ThreadCount() { setThreadCount(saved_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;

private:
  int saved_;
};

}  // namespace nnc::runtime
