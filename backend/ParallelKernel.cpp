#include "backend/ParallelKernel.h"

#include <algorithm>

#include "runtime/Parallel.h"

namespace nnc::backend {

namespace {

// Below this a chunk's loop costs less than handing it to another thread.
constexpr int64_t kChunkElements = int64_t{1} << 13;
constexpr int64_t kMaxChunks = 16;

}  // namespace

void runParallel(const Kernel& kernel, const KernelArgs<float>& args, ChunkScratch& scratch) {
  const int64_t wanted = std::clamp(args.rows * args.cols / kChunkElements, int64_t{1}, kMaxChunks);
  const int64_t chunkRows = (args.rows + wanted - 1) / wanted;
  const int64_t chunks = chunkRows > 0 ? (args.rows + chunkRows - 1) / chunkRows : 1;
  if (chunks <= 1) {
    kernel.run(args);
    return;
  }
  const Kernel::Arity& arity = kernel.arity();
  const size_t readCount = arity.inputs + arity.parameters, writeCount = arity.outputs + arity.columnSums;
  const size_t columns = static_cast<size_t>(args.cols);
  scratch.reads.resize(readCount * static_cast<size_t>(chunks));
  scratch.writes.resize(writeCount * static_cast<size_t>(chunks));
  scratch.partialSums.assign(arity.columnSums * static_cast<size_t>(chunks) * columns, 0.0f);
  // Chunk c's arrays: inputs and outputs start chunkRows rows further on;
  // parameters are shared; column sums go to partial sums of its own.
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t offset = c * chunkRows * args.stride;
    const float** reads = scratch.reads.data() + readCount * static_cast<size_t>(c);
    float** writes = scratch.writes.data() + writeCount * static_cast<size_t>(c);
    for (size_t k = 0; k < arity.inputs; ++k) *reads++ = args.inputs[k] + offset;
    for (size_t k = 0; k < arity.parameters; ++k) *reads++ = args.parameters[k];
    for (size_t k = 0; k < arity.outputs; ++k) *writes++ = args.outputs[k] + offset;
    for (size_t k = 0; k < arity.columnSums; ++k)
      *writes++ = scratch.partialSums.data() + (k * static_cast<size_t>(chunks) + static_cast<size_t>(c)) * columns;
  }
  runtime::parallelFor(chunks, [&](int64_t c) {
    const float* const* reads = scratch.reads.data() + readCount * static_cast<size_t>(c);
    float* const* writes = scratch.writes.data() + writeCount * static_cast<size_t>(c);
    kernel.run(KernelArgs<float>{std::min(chunkRows, args.rows - c * chunkRows), args.cols, args.stride, reads,
                                 reads + arity.inputs, writes, writes + arity.outputs});
  });
  for (size_t k = 0; k < arity.columnSums; ++k) {
    float* total = args.columnSums[k];
    for (int64_t c = 0; c < chunks; ++c) {
      const float* partial = scratch.partialSums.data() + (k * static_cast<size_t>(chunks) + static_cast<size_t>(c)) * columns;
      for (size_t j = 0; j < columns; ++j) total[j] += partial[j];
    }
  }
}

}  // namespace nnc::backend
