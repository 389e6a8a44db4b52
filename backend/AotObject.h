#pragma once
// What every ahead-of-time object shares (inside the backend: it brings
// LLVM): the target machine it is compiled for (this machine's CPU and
// features, or a named CPU) and the last steps from an LLVM module to bytes
// (target attributes, verifier, optimiser, code generator). The model
// compiler and the kernel objects of AotCompiler.h build on it.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <llvm/ADT/StringMap.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include "backend/AotCompiler.h"
#include "backend/FormulaJIT.h"

namespace nnc::backend {

struct AotMachine {
  std::string triple, cpu, featureString;
  llvm::StringMap<bool> features;  // what the vector math library may use
  std::unique_ptr<llvm::TargetMachine> machine;
};

// `targetCpu` empty: this machine. Nullopt, with `error` set, for an
// unknown CPU name or a target LLVM cannot build.
std::optional<AotMachine> aotMachine(const std::string& targetCpu, std::string& error);

// A module for `machine` (triple and data layout set).
std::unique_ptr<llvm::Module> aotModule(const std::string& name, llvm::LLVMContext& context, const AotMachine& machine);

// Marks every function for the machine's CPU, verifies and optimises the
// module, and writes it in `format` into `output`. False, with `error`,
// when the IR is invalid (an internal error) or cannot be emitted.
bool emitModule(llvm::Module& module, AotMachine& machine, AotFormat format, std::string& output,
                std::string& error);

// `spec` lowered into `module` as NAME, its formulas in nnc's stable
// forms; null, with `error`, if a formula reads a variable the spec does
// not bind (an internal error).
llvm::Function* lowerAotKernel(llvm::Module& module, const KernelSpec& spec, const std::string& name,
                               std::string& error);

}  // namespace nnc::backend
