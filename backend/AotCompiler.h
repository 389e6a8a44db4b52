#pragma once
// Ahead-of-time compilation: a model's graph as an object file (or LLVM IR,
// or assembly) with plain C functions over caller-owned buffers, and the C
// header that declares them. The object needs only the runtime's C API
// (runtime/CApi.h) and glibc's libmvec: no LLVM, no ANTLR.
#include <string>
#include <utility>
#include <vector>

#include "backend/FormulaJIT.h"
#include "ir/Graph.h"

namespace nnc::backend {

enum class AotFormat { Object, LLVM, Assembly };

struct AotOptions {
  std::string prefix;       // C identifier the functions start with: PREFIX_forward
  std::string source;       // for the header's comment: "examples/xor_ncu.nn, model xor_ncu"
  std::string targetCpu;    // "" for this machine; else an LLVM CPU name (x86-64-v3, znver4, ...)
  bool backward = false;    // also PREFIX_backward: loss and every parameter's gradient
  using Format = AotFormat;
  Format format = Format::Object;
  // Trained values, by parameter name, to embed as PREFIX_trained_parameters; empty: none.
  std::vector<std::pair<std::string, std::vector<float>>> trainedParameters;
};

struct AotResult {
  std::string output;  // the object file's bytes, or the IR or assembly text
  std::string header;
  std::string error;   // set on failure
};

// `graph` has its backward part (autodiff) when options.backward is set.
AotResult compileAheadOfTime(const ir::Graph& graph, const AotOptions& options);

// An object of standalone kernels with external linkage, each
// `void NAME(i64 rows, i64 cols, i64 stride, ptr inputs, ptr params, ptr
// outputs, ptr columnSums)` as FormulaJIT.h describes (column sums are
// added to what the arrays hold), for `targetCpu` ("": this machine).
// Empty, with `error`, on failure.
std::string compileKernels(const std::vector<std::pair<std::string, KernelSpec>>& kernels,
                           const std::string& targetCpu, AotFormat format, std::string& error);

}  // namespace nnc::backend
