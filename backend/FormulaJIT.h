#pragma once
// JIT compilation of formulas to native loops. A kernel evaluates several
// formulas (typically f, f', ..., or a layer's forward and backward) over a
// [rows, cols] block of row-major arrays in one pass over memory, each
// shared subexpression computed once per element:
//
//   for r in [0, rows), c in [0, cols), i = r*stride + c:
//     outputs[k][i]     = outputs_k(inputs[0][i], ..., params)
//     columnSums[k][c] += columnSums_k(...)       (parameter gradients)
//
// A parameter is a scalar (params[k][0]) or one value per column
// (params[k][c]: PReLU's slope per unit). A 1-D array is rows = 1.
// LLVM types stay inside this library; errors come back as strings.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/Expr.h"

namespace nnc::backend {

enum class ElementType { F32, F64 };

struct KernelParameter {
  std::string name;
  bool perColumn = false;
};

struct KernelSpec {
  std::vector<ir::ExprRef> outputs;
  std::vector<std::string> inputs = {"x"};  // Vars read per element, in order
  std::vector<KernelParameter> parameters;  // Vars read from params[], in order
  ElementType type = ElementType::F32;
  std::vector<ir::ExprRef> columnSums;      // accumulated over rows into [cols] arrays
};

template <typename T>
struct KernelArgs {
  int64_t rows = 1, cols = 0, stride = 0;  // stride: elements from one row to the next
  const T* const* inputs = nullptr;
  const T* const* parameters = nullptr;
  T* const* outputs = nullptr;
  T* const* columnSums = nullptr;
};

// A compiled kernel; callable (from any thread) while its FormulaJIT lives.
class Kernel {
public:
  void run(const KernelArgs<float>& args) const { call(args); }
  void run(const KernelArgs<double>& args) const { call(args); }
  ElementType type() const { return type_; }
  // How many arrays each of KernelArgs' pointer arrays holds (the spec's
  // inputs, parameters, outputs and columnSums).
  struct Arity {
    size_t inputs = 0, parameters = 0, outputs = 0, columnSums = 0;
  };
  const Arity& arity() const { return arity_; }
  // The optimised LLVM IR the kernel was compiled from.
  const std::string& llvmIR() const { return llvmIR_; }

private:
  friend class FormulaJIT;
  template <typename T>
  void call(const KernelArgs<T>& a) const {
    using Entry = void (*)(int64_t, int64_t, int64_t, const T* const*, const T* const*, T* const*, T* const*);
    reinterpret_cast<Entry>(address_)(a.rows, a.cols, a.stride, a.inputs, a.parameters, a.outputs, a.columnSums);
  }
  uint64_t address_ = 0;
  ElementType type_ = ElementType::F32;
  Arity arity_;
  std::string llvmIR_;
};

struct KernelResult {
  std::unique_ptr<Kernel> kernel;  // null on failure
  std::string error;
};

class FormulaJIT {
public:
  // Sets up an ORC LLJIT for the host CPU (name and features), with glibc's
  // libmvec for vectorised transcendentals. Returns null and sets `error`
  // when the host cannot be targeted.
  static std::unique_ptr<FormulaJIT> create(std::string& error);
  ~FormulaJIT();

  // Lowers, optimises (O3, vectorising for the host) and compiles.
  KernelResult compile(const KernelSpec& spec);
  // The same for several kernels, built in parallel on the thread pool
  // (runtime/Parallel.h); a result per spec, in order.
  std::vector<KernelResult> compile(const std::vector<KernelSpec>& specs);
  // Host CPU name, e.g. "znver4".
  std::string cpuName() const;
  // The host assembly for a kernel's optimised LLVM IR (Kernel::llvmIR),
  // as the JIT generates it; empty and `error` set on failure.
  std::string assembly(const std::string& llvmIR, std::string& error) const;

private:
  struct Impl;
  struct KernelBuild;
  explicit FormulaJIT(std::unique_ptr<Impl> impl);
  void buildObject(KernelBuild& build) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nnc::backend
