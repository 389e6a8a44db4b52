#pragma once
// nnc's threads: one pool for the process, shared by the matrix products
// (runtime/Gemm.cpp) and the JIT-compiled elementwise loops, so they never
// oversubscribe the cores. Its size is NNC_THREADS if set, else one thread
// per core, and never more threads than cores.
//
// Work is handed out piece by piece: a thread that the OS leaves waiting
// (the cores are busy with other programs) delays only the piece it holds,
// and the caller does any piece no thread has taken. What each piece
// computes, and so every result, is the same whatever thread runs it.
#include <cstdint>
#include <functional>
#include <string>

namespace nnc::runtime {

// The machine's hardware threads. Work whose result could depend on how it
// is cut (runtime/Gemm.cpp) is cut by this, never by threadCount(), so that
// every NNC_THREADS gives the same bits.
int coreCount();

// NNC_THREADS as the pool reads it: a whole number from 1, above coreCount()
// taken as coreCount() (more threads than cores only wait for each other).
// `problem` says why a value that was set is not used as written, for a tool
// to report (an error when `invalid`: not a number of threads at all; else a
// warning); empty when it is used as written or was not set.
struct ThreadSetting {
  int threads = 1;
  bool invalid = false;
  std::string problem;
};
ThreadSetting readThreadSetting(const char* value);

int threadCount();
// The pool's size from now on (at least 1; may exceed coreCount()): for
// benchmarks and tests.
void setThreadCount(int threads);

// Runs body(i) once for every i in [0, count), on the calling thread and the
// pool's, and returns when all are done. Serial when count is 1, the pool
// has one thread, or the pool is busy (a call from inside body, or from
// another thread at the same time).
void parallelFor(int64_t count, const std::function<void(int64_t)>& body);

}  // namespace nnc::runtime
