#include "runtime/Parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nnc::runtime {

namespace {

// How long a caller whose last pieces other threads still run keeps checking
// before it sleeps: the pieces are short, and waking a sleeping thread takes
// microseconds at best. (Idle workers do not spin: when the OS puts one on
// the caller's core it would take time from the caller.)
constexpr std::chrono::microseconds kSpin{50};

void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Checks `ready` until it holds or kSpin has passed; returns whether it holds.
template <typename Ready>
bool spinUntil(Ready ready) {
  auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0; !ready(); ++i) {
    if (i % 64 == 63 && std::chrono::steady_clock::now() > until) return false;
    pause();
  }
  return true;
}

// One parallelFor call. Workers that come late find no piece left and
// touch nothing but this (kept alive by their shared_ptr).
struct Job {
  const std::function<void(int64_t)>* body;
  int64_t count;
  std::atomic<int64_t> next{0}, done{0};
};

class Pool {
public:
  explicit Pool(int threads) {
    for (int t = 1; t < threads; ++t) workers_.emplace_back([this] { serve(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  // False (and nothing run) if another job is running.
  bool run(int64_t count, const std::function<void(int64_t)>& body) {
    std::unique_lock<std::mutex> submit(submit_, std::try_to_lock);
    if (!submit) return false;
    auto job = std::make_shared<Job>();
    job->body = &body;
    job->count = count;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = job;
      ++generation_;
    }
    wake_.notify_all();
    work(*job);
    auto allDone = [&] { return job->done.load() == count; };
    std::unique_lock<std::mutex> lock(mutex_, std::defer_lock);
    if (!spinUntil(allDone)) {
      lock.lock();
      finished_.wait(lock, allDone);
    }
    return true;
  }

private:
  void work(Job& job) {
    int64_t finished = 0;
    for (int64_t i; (i = job.next.fetch_add(1)) < job.count; ++finished) (*job.body)(i);
    if (finished > 0 && job.done.fetch_add(finished) + finished == job.count) {
      std::lock_guard<std::mutex> lock(mutex_);
      finished_.notify_all();
    }
  }

  void serve() {
    uint64_t seen = 0;
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
      }
      if (job) work(*job);
    }
  }

  std::mutex submit_;  // one job at a time
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  std::shared_ptr<Job> job_;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

int defaultThreads() {
  if (const char* value = std::getenv("NNC_THREADS")) {
    int threads = std::atoi(value);
    if (threads > 0) return threads;
  }
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

std::mutex poolMutex;
std::unique_ptr<Pool> pool;  // created at the first parallelFor that needs it
int poolSize = 0;            // 0: not chosen yet

Pool* thePool() {
  std::lock_guard<std::mutex> lock(poolMutex);
  if (poolSize == 0) poolSize = defaultThreads();
  if (!pool && poolSize > 1) pool = std::make_unique<Pool>(poolSize);
  return pool.get();
}

}  // namespace

int threadCount() {
  std::lock_guard<std::mutex> lock(poolMutex);
  if (poolSize == 0) poolSize = defaultThreads();
  return poolSize;
}

void setThreadCount(int threads) {
  std::lock_guard<std::mutex> lock(poolMutex);
  poolSize = std::max(1, threads);
  pool.reset();
}

void parallelFor(int64_t count, const std::function<void(int64_t)>& body) {
  Pool* p = count > 1 ? thePool() : nullptr;
  if (p && p->run(count, body)) return;
  for (int64_t i = 0; i < count; ++i) body(i);
}

}  // namespace nnc::runtime
