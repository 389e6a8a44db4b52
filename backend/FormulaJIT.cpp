#include "backend/FormulaJIT.h"

#include <mutex>

#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IRReader/IRReader.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include "backend/Lowering.h"
#include "backend/ModuleOptimizer.h"
#include "backend/StableForms.h"
#include "backend/VectorLibrary.h"

namespace nnc::backend {

namespace {

std::string message(llvm::Error error) { return llvm::toString(std::move(error)); }

void initializeLLVM() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

}  // namespace

struct FormulaJIT::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::unique_ptr<llvm::TargetMachine> targetMachine;
  llvm::StringMap<bool> cpuFeatures;
  std::string featureString;
  std::mutex mutex;  // one compilation at a time; compiled kernels are callable from any thread
  int kernelCount = 0;
};

FormulaJIT::FormulaJIT(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FormulaJIT::~FormulaJIT() = default;

std::unique_ptr<FormulaJIT> FormulaJIT::create(std::string& error) {
  initializeLLVM();
  auto impl = std::make_unique<Impl>();
  auto machineBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machineBuilder) {
    error = "cannot target this machine: " + message(machineBuilder.takeError());
    return nullptr;
  }
  // detectHost() sets the host CPU name and its features (AVX-512 here).
  machineBuilder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  impl->cpuFeatures = llvm::sys::getHostCPUFeatures();
  impl->featureString = machineBuilder->getFeatures().getString();
  auto targetMachine = machineBuilder->createTargetMachine();
  if (!targetMachine) {
    error = "cannot create a target machine: " + message(targetMachine.takeError());
    return nullptr;
  }
  impl->targetMachine = std::move(*targetMachine);
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*machineBuilder).create();
  if (!jit) {
    error = "cannot start the JIT: " + message(jit.takeError());
    return nullptr;
  }
  impl->jit = std::move(*jit);
  char prefix = impl->jit->getDataLayout().getGlobalPrefix();
  auto& dylib = impl->jit->getMainJITDylib();
  // Scalar libm (loop remainders) from the process, vector variants from libmvec.
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix);
  if (!process) {
    error = "cannot search the process for symbols: " + message(process.takeError());
    return nullptr;
  }
  dylib.addGenerator(std::move(*process));
  auto libmvec = llvm::orc::DynamicLibrarySearchGenerator::Load(kLibmvecPath, prefix);
  if (!libmvec) {
    error = std::string("cannot load glibc's vector math library ") + kLibmvecPath + ": " +
            message(libmvec.takeError());
    return nullptr;
  }
  dylib.addGenerator(std::move(*libmvec));
  return std::unique_ptr<FormulaJIT>(new FormulaJIT(std::move(impl)));
}

std::string FormulaJIT::cpuName() const { return impl_->targetMachine->getTargetCPU().str(); }

KernelResult FormulaJIT::compile(const KernelSpec& spec) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  KernelResult result;
  std::string name = "nnc_kernel_" + std::to_string(impl_->kernelCount++);
  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>(name, *context);
  module->setDataLayout(impl_->jit->getDataLayout());
  module->setTargetTriple(impl_->targetMachine->getTargetTriple().str());

  // The kernel's formulas, in a context of its own, in their stable forms.
  ir::ExprContext formulas;
  KernelSpec stable = spec;
  for (ir::ExprRef& output : stable.outputs) output = stableForms(formulas, ir::copyInto(formulas, output));
  for (ir::ExprRef& sum : stable.columnSums) sum = stableForms(formulas, ir::copyInto(formulas, sum));
  if (std::string problem = unboundVariableProblem(stable); !problem.empty()) {
    result.error = problem;
    return result;
  }
  lowerKernel(*module, stable, name);
  for (llvm::Function& f : *module) {
    if (f.isDeclaration()) continue;
    f.addFnAttr("target-cpu", impl_->targetMachine->getTargetCPU());
    f.addFnAttr("target-features", impl_->featureString);
  }
  std::string verifierOutput;
  llvm::raw_string_ostream verifierStream(verifierOutput);
  if (llvm::verifyModule(*module, &verifierStream)) {
    result.error = "internal error: invalid LLVM IR for a formula: " + verifierOutput;
    return result;
  }
  optimizeModule(*module, *impl_->targetMachine, impl_->cpuFeatures);

  auto kernel = std::make_unique<Kernel>();
  kernel->type_ = spec.type;
  kernel->arity_ = {spec.inputs.size(), spec.parameters.size(), spec.outputs.size(), spec.columnSums.size()};
  llvm::raw_string_ostream irStream(kernel->llvmIR_);
  module->print(irStream, nullptr);

  if (auto error = impl_->jit->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
    result.error = "cannot compile a formula: " + message(std::move(error));
    return result;
  }
  auto symbol = impl_->jit->lookup(name);
  if (!symbol) {
    result.error = "cannot link a formula: " + message(symbol.takeError());
    return result;
  }
  kernel->address_ = symbol->getValue();
  result.kernel = std::move(kernel);
  return result;
}

std::string FormulaJIT::assembly(const std::string& llvmIR, std::string& error) const {
  llvm::LLVMContext context;
  llvm::SMDiagnostic parseError;
  std::unique_ptr<llvm::Module> module =
      llvm::parseIR(llvm::MemoryBufferRef(llvmIR, "kernel"), parseError, context);
  if (!module) {
    error = "internal error: cannot read back a kernel's LLVM IR: " + parseError.getMessage().str();
    return "";
  }
  llvm::SmallString<4096> text;
  llvm::raw_svector_ostream out(text);
  // Code generation only (the IR is already optimised), with the JIT's
  // target machine, so this is the code the JIT runs.
  llvm::legacy::PassManager codegen;
  if (impl_->targetMachine->addPassesToEmitFile(codegen, out, nullptr, llvm::CodeGenFileType::AssemblyFile)) {
    error = "internal error: the target cannot emit assembly";
    return "";
  }
  codegen.run(*module);
  return std::string(text.str());
}

}  // namespace nnc::backend
