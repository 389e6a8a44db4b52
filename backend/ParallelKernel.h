#pragma once
// Runs a compiled kernel over many rows on the thread pool (runtime/Parallel.h).
#include <vector>

#include "backend/FormulaJIT.h"

namespace nnc::backend {

// Buffers kept from call to call, so that a run allocates nothing once
// they have grown: per-chunk argument arrays and partial column sums.
struct ChunkScratch {
  std::vector<const float*> reads;
  std::vector<float*> writes;
  std::vector<float> partialSums;
};

// The same as kernel.run(args), column sums accumulated into
// args.columnSums included, with the rows cut into chunks of about 32K
// elements (at most 16) that the pool's threads share. The cut depends on
// the shape only, and the chunks' partial column sums are added in chunk
// order: the results do not depend on the number of threads. One chunk
// (small blocks) is exactly kernel.run(args).
void runParallel(const Kernel& kernel, const KernelArgs<float>& args, ChunkScratch& scratch);

}  // namespace nnc::backend
