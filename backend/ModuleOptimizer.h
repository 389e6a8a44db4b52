#pragma once
// The optimisation pipeline every generated module goes through, JIT or
// ahead of time: O3 with the target machine (without it nothing vectorises)
// and glibc's libmvec known to the loop vectoriser.
#include <llvm/ADT/StringMap.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

namespace nnc::backend {

void optimizeModule(llvm::Module& module, llvm::TargetMachine& targetMachine,
                    const llvm::StringMap<bool>& cpuFeatures);

}  // namespace nnc::backend
