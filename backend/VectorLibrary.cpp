#include "backend/VectorLibrary.h"

#include <string>
#include <vector>

#include "ir/Expr.h"

namespace nnc::backend {

namespace {

// x86_64 vector ABI ISA letters and register widths in bits.
struct Isa {
  char letter;
  unsigned bits;
  const char* feature;  // CPU feature required; "" for the SSE baseline
};
constexpr Isa kIsas[] = {{'b', 128, ""}, {'d', 256, "avx2"}, {'e', 512, "avx512f"}};

// libmvec functions by their scalar libm name and number of arguments.
struct MathFunction {
  std::string name;
  int arity;
};

std::vector<MathFunction> mathFunctions() {
  std::vector<MathFunction> functions{{"pow", 2}};
  // Every op whose lowering is a libm call (the op table's libm column).
  for (const ir::OpInfo* info : ir::functionOps())
    if (info->libm[0] != '\0') functions.push_back({info->libm, info->arity});
  return functions;
}

// Every variant for every ISA, built once (thread-safe static
// initialisation: kernels are optimised on several threads at once).
// VecDesc holds StringRefs, so the names live for the process.
struct Variant {
  const char* feature;
  std::string scalar, vector, abiPrefix;
  unsigned lanes;
};

const std::vector<Variant>& allVariants() {
  static const std::vector<Variant> variants = [] {
    std::vector<Variant> all;
    for (const Isa& isa : kIsas) {
      for (const MathFunction& f : mathFunctions()) {
        for (bool single : {true, false}) {
          unsigned lanes = isa.bits / (single ? 32 : 64);
          std::string scalar = f.name + (single ? "f" : "");
          std::string parameters(f.arity, 'v');
          all.push_back({isa.feature, scalar,
                         "_ZGV" + std::string(1, isa.letter) + "N" + std::to_string(lanes) + parameters + "_" + scalar,
                         "_ZGV_LLVM_N" + std::to_string(lanes) + parameters, lanes});
        }
      }
    }
    return all;
  }();
  return variants;
}

}  // namespace

void addLibmvecMappings(llvm::TargetLibraryInfoImpl& tli, const llvm::StringMap<bool>& cpuFeatures) {
  std::vector<llvm::VecDesc> descriptions;
  for (const Variant& v : allVariants()) {
    if (v.feature[0] != '\0' && !cpuFeatures.lookup(v.feature)) continue;
    descriptions.emplace_back(v.scalar, v.vector, llvm::ElementCount::getFixed(v.lanes), false, v.abiPrefix);
  }
  tli.addVectorizableFunctions(descriptions);
}

}  // namespace nnc::backend
