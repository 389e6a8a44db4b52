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
// before it sleeps, and how long an idle worker keeps checking for the next
// job before it sleeps. Jobs come in bursts (a training step is ~20 of them,
// a prediction a few, microseconds apart), and waking a sleeping thread costs
// the caller a system call and the job several microseconds before the
// worker starts; a worker still checking starts at once and costs nothing to
// call. The bound keeps a worker the OS puts beside the caller on a busy
// machine from taking more than this from it, as OpenMP's spin-then-sleep
// wait policy does.
constexpr std::chrono::microseconds kSpin{50};
constexpr std::chrono::microseconds kIdleSpin{200};

void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Checks `ready` until it holds or `limit` has passed; returns whether it holds.
template <typename Ready>
bool spinUntil(Ready ready, std::chrono::microseconds limit = kSpin) {
  auto until = std::chrono::steady_clock::now() + limit;
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
      generation_.fetch_add(1);  // ends any worker's spin
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
    bool sleeping;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = job;
      generation_.fetch_add(1);
      sleeping = sleepers_ > 0;
    }
    if (sleeping) wake_.notify_all();
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
      spinUntil([&] { return generation_.load() != seen; }, kIdleSpin);
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!stop_ && generation_.load() == seen) {
          ++sleepers_;
          wake_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
          --sleepers_;
        }
        if (stop_) return;
        seen = generation_.load();
        job = job_;
      }
      if (job) work(*job);
    }
  }

  std::mutex submit_;  // one job at a time
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  std::shared_ptr<Job> job_;
  // Changed under mutex_ (with job_); read without it by spinning workers.
  std::atomic<uint64_t> generation_{0};
  int sleepers_ = 0;  // workers waiting on wake_
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

int defaultThreads() { return readThreadSetting(std::getenv("NNC_THREADS")).threads; }

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

int coreCount() {
  // Read once: hardware_concurrency() reads /sys on every call, and every
  // matrix product asks.
  static const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return cores;
}

ThreadSetting readThreadSetting(const char* value) {
  const int cores = coreCount();
  if (value == nullptr) return {cores, false, ""};
  const std::string text(value);
  // Digits only: strtol would take " 4", "+4" and "4abc".
  const bool digits = !text.empty() && text.size() <= 9 &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const long threads = digits ? std::strtol(text.c_str(), nullptr, 10) : 0;
  if (threads < 1)
    return {cores, true, "NNC_THREADS='" + text + "' is not a number of threads (a whole number from 1)"};
  if (threads > cores)
    return {cores, false, "NNC_THREADS=" + text + " is more than the " + std::to_string(cores) +
                       " cores of this machine; using " + std::to_string(cores)};
  return {static_cast<int>(threads), false, ""};
}

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
