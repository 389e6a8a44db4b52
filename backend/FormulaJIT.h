#pragma once
// JIT compilation of formulas to native loops. A kernel evaluates several
// formulas of one input (typically f, f', f'', ...) in one pass over memory,
// each shared subexpression computed once per element:
//
//   void kernel(int64_t n, const T* x, const T* params, T* const* outputs)
//   outputs[k][i] = formula_k(x[i], params...)   for i in [0, n)
//
// LLVM types stay inside this library; errors come back as strings.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/Expr.h"

namespace nnc::backend {

enum class ElementType { F32, F64 };

struct KernelSpec {
  std::vector<ir::ExprRef> outputs;
  std::string input = "x";              // the Var that is the array element
  std::vector<std::string> parameters;  // Vars read from params[], in order
  ElementType type = ElementType::F32;
};

// A compiled kernel; callable while its FormulaJIT lives.
class Kernel {
public:
  using F32 = void (*)(int64_t, const float*, const float*, float* const*);
  using F64 = void (*)(int64_t, const double*, const double*, double* const*);
  void run(int64_t n, const float* x, const float* params, float* const* outputs) const {
    reinterpret_cast<F32>(address_)(n, x, params, outputs);
  }
  void run(int64_t n, const double* x, const double* params, double* const* outputs) const {
    reinterpret_cast<F64>(address_)(n, x, params, outputs);
  }
  ElementType type() const { return type_; }
  // The optimised LLVM IR the kernel was compiled from.
  const std::string& llvmIR() const { return llvmIR_; }

private:
  friend class FormulaJIT;
  uint64_t address_ = 0;
  ElementType type_ = ElementType::F32;
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
  // Host CPU name, e.g. "znver4".
  std::string cpuName() const;

private:
  struct Impl;
  explicit FormulaJIT(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nnc::backend
