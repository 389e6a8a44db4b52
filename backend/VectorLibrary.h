#pragma once
// Which vector variants of C math functions the loop vectoriser may call:
// glibc's libmvec, following the x86_64 vector function ABI.
#include <string>
#include <vector>

#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/ADT/StringMap.h>

namespace nnc::backend {

// Registers libmvec's variants usable on a CPU with these features
// (SSE always; AVX2 and AVX-512 when present) in `tli`.
void addLibmvecMappings(llvm::TargetLibraryInfoImpl& tli, const llvm::StringMap<bool>& cpuFeatures);

// The shared library holding them.
inline constexpr const char* kLibmvecPath = "libmvec.so.1";

}  // namespace nnc::backend
