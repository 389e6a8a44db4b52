#include "backend/AotObject.h"

#include <fmt/format.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>

#include "backend/Lowering.h"
#include "backend/ModuleOptimizer.h"
#include "backend/StableForms.h"

namespace nnc::backend {

std::optional<AotMachine> aotMachine(const std::string& targetCpu, std::string& error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  AotMachine result;
  result.triple = llvm::sys::getDefaultTargetTriple();
  std::string lookupError;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(result.triple, lookupError);
  if (!target) {
    error = "cannot target " + result.triple + ": " + lookupError;
    return std::nullopt;
  }
  bool host = targetCpu.empty();
  result.cpu = host ? llvm::sys::getHostCPUName().str() : targetCpu;
  if (!host) {
    std::unique_ptr<llvm::MCSubtargetInfo> subtarget(target->createMCSubtargetInfo(result.triple, "", ""));
    if (!subtarget || !subtarget->isCPUStringValid(result.cpu)) {
      error = fmt::format("unknown --target-cpu '{}' (e.g. x86-64, x86-64-v3, znver4, skylake-avx512)", result.cpu);
      return std::nullopt;
    }
  }
  if (host) result.features = llvm::sys::getHostCPUFeatures();
  for (const auto& feature : result.features)
    result.featureString += (feature.second ? ",+" : ",-") + feature.first().str();
  if (!result.featureString.empty()) result.featureString.erase(0, 1);
  result.machine.reset(target->createTargetMachine(result.triple, result.cpu, result.featureString,
                                                   llvm::TargetOptions(), llvm::Reloc::PIC_, std::nullopt,
                                                   llvm::CodeGenOptLevel::Aggressive));
  if (!result.machine) {
    error = "cannot create a target machine for CPU '" + result.cpu + "'";
    return std::nullopt;
  }
  if (!host) {
    // The vector math variants the vectoriser may call depend on these.
    for (const char* feature : {"avx", "avx2", "avx512f"})
      result.features[feature] = result.machine->getMCSubtargetInfo()->checkFeatures(std::string("+") + feature);
  }
  return result;
}

std::unique_ptr<llvm::Module> aotModule(const std::string& name, llvm::LLVMContext& context, const AotMachine& machine) {
  auto module = std::make_unique<llvm::Module>(name, context);
  module->setTargetTriple(machine.triple);
  module->setDataLayout(machine.machine->createDataLayout());
  return module;
}

bool emitModule(llvm::Module& module, AotMachine& machine, AotFormat format, std::string& output,
                std::string& error) {
  for (llvm::Function& f : module) {
    if (f.isDeclaration()) continue;
    f.addFnAttr("target-cpu", machine.cpu);
    if (!machine.featureString.empty()) f.addFnAttr("target-features", machine.featureString);
  }
  std::string verifierOutput;
  llvm::raw_string_ostream verifierStream(verifierOutput);
  if (llvm::verifyModule(module, &verifierStream)) {
    error = "internal error: invalid LLVM IR for the model: " + verifierOutput;
    return false;
  }
  optimizeModule(module, *machine.machine, machine.features);

  llvm::raw_string_ostream out(output);
  if (format == AotFormat::LLVM) {
    module.print(out, nullptr);
  } else {
    llvm::SmallString<0> bytes;
    llvm::raw_svector_ostream stream(bytes);
    llvm::legacy::PassManager codegen;
    auto kind = format == AotFormat::Object ? llvm::CodeGenFileType::ObjectFile : llvm::CodeGenFileType::AssemblyFile;
    if (machine.machine->addPassesToEmitFile(codegen, stream, nullptr, kind)) {
      error = "internal error: the target cannot emit this file type";
      return false;
    }
    codegen.run(module);
    out << bytes.str();
  }
  out.flush();
  return true;
}

llvm::Function* lowerAotKernel(llvm::Module& module, const KernelSpec& original, const std::string& name,
                               std::string& error) {
  ir::ExprContext formulas;  // (lowering reads the formulas, the function keeps none)
  KernelSpec spec = original;
  for (ir::ExprRef& output : spec.outputs) output = stableForms(formulas, ir::copyInto(formulas, output));
  for (ir::ExprRef& sum : spec.columnSums) sum = stableForms(formulas, ir::copyInto(formulas, sum));
  if (error = unboundVariableProblem(spec); !error.empty()) return nullptr;
  return lowerKernel(module, spec, name);
}

std::string compileKernels(const std::vector<std::pair<std::string, KernelSpec>>& kernels,
                           const std::string& targetCpu, AotFormat format, std::string& error) {
  std::optional<AotMachine> machine = aotMachine(targetCpu, error);
  if (!machine) return "";
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> module = aotModule("kernels", context, *machine);
  for (const auto& [name, spec] : kernels)
    if (!lowerAotKernel(*module, spec, name, error)) return "";
  std::string output;
  if (!emitModule(*module, *machine, format, output, error)) return "";
  return output;
}

}  // namespace nnc::backend
