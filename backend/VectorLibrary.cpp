#include "backend/VectorLibrary.h"

#include <deque>

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

}  // namespace

void addLibmvecMappings(llvm::TargetLibraryInfoImpl& tli, const llvm::StringMap<bool>& cpuFeatures) {
  // VecDesc holds StringRefs: the strings must outlive the TLI, so they
  // live for the process (a few hundred bytes).
  static std::deque<std::string> names;
  std::vector<llvm::VecDesc> descriptions;
  for (const Isa& isa : kIsas) {
    if (isa.feature[0] != '\0' && !cpuFeatures.lookup(isa.feature)) continue;
    for (const MathFunction& f : mathFunctions()) {
      for (bool single : {true, false}) {
        unsigned lanes = isa.bits / (single ? 32 : 64);
        std::string scalar = f.name + (single ? "f" : "");
        std::string parameters(f.arity, 'v');
        const std::string& scalarName = names.emplace_back(scalar);
        const std::string& vectorName =
            names.emplace_back("_ZGV" + std::string(1, isa.letter) + "N" + std::to_string(lanes) + parameters + "_" + scalar);
        const std::string& abiPrefix = names.emplace_back("_ZGV_LLVM_N" + std::to_string(lanes) + parameters);
        descriptions.emplace_back(scalarName, vectorName, llvm::ElementCount::getFixed(lanes), false, abiPrefix);
      }
    }
  }
  tli.addVectorizableFunctions(descriptions);
}

}  // namespace nnc::backend
