#include "backend/FormulaJIT.h"

#include <mutex>

#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
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
#include "runtime/Parallel.h"

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
  // The host's, for a target machine per kernel build.
  llvm::orc::JITTargetMachineBuilder machineBuilder{llvm::Triple()};
  std::unique_ptr<llvm::TargetMachine> targetMachine;
  llvm::StringMap<bool> cpuFeatures;
  std::string featureString;
  std::mutex mutex;  // one compile() at a time; compiled kernels are callable from any thread
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
  impl->machineBuilder = *machineBuilder;
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
  return std::move(compile(std::vector<KernelSpec>{spec})[0]);
}

// One kernel on its way through LLVM. Everything from lowering to the object
// file runs on any thread: the module has an LLVM context of its own, and
// the formulas an ExprContext of their own (neither may be shared between
// threads).
struct FormulaJIT::KernelBuild {
  std::string name;
  ir::ExprContext formulas;
  KernelSpec stable;  // the spec's formulas in their stable forms, in `formulas`
  std::string error;
  std::string llvmIR;
  std::unique_ptr<llvm::MemoryBuffer> object;
};

// Lowers, optimises and compiles `build` to an object file, with a target
// machine of its own (a TargetMachine is not safe to share between threads).
void FormulaJIT::buildObject(KernelBuild& build) const {
  auto targetMachine = impl_->machineBuilder.createTargetMachine();
  if (!targetMachine) {
    build.error = "cannot create a target machine: " + message(targetMachine.takeError());
    return;
  }
  llvm::LLVMContext context;
  llvm::Module module(build.name, context);
  module.setDataLayout(impl_->jit->getDataLayout());
  module.setTargetTriple((*targetMachine)->getTargetTriple().str());
  lowerKernel(module, build.stable, build.name);
  for (llvm::Function& f : module) {
    if (f.isDeclaration()) continue;
    f.addFnAttr("target-cpu", (*targetMachine)->getTargetCPU());
    f.addFnAttr("target-features", impl_->featureString);
  }
  std::string verifierOutput;
  llvm::raw_string_ostream verifierStream(verifierOutput);
  if (llvm::verifyModule(module, &verifierStream)) {
    build.error = "internal error: invalid LLVM IR for a formula: " + verifierOutput;
    return;
  }
  optimizeModule(module, **targetMachine, impl_->cpuFeatures);
  llvm::raw_string_ostream irStream(build.llvmIR);
  module.print(irStream, nullptr);
  auto object = llvm::orc::SimpleCompiler(**targetMachine)(module);
  if (!object) {
    build.error = "cannot compile a formula: " + message(object.takeError());
    return;
  }
  build.object = std::move(*object);
}

// LLVM's optimisation and code generation are most of a model's compile
// time (~15 ms a kernel here), and kernels are independent: they are built
// on the thread pool, then linked into the JIT one by one.
std::vector<KernelResult> FormulaJIT::compile(const std::vector<KernelSpec>& specs) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<std::unique_ptr<KernelBuild>> builds;
  std::vector<KernelResult> results(specs.size());
  for (const KernelSpec& spec : specs) {
    auto& build = *builds.emplace_back(std::make_unique<KernelBuild>());
    build.name = "nnc_kernel_" + std::to_string(impl_->kernelCount++);
    build.stable = spec;
    for (ir::ExprRef& output : build.stable.outputs)
      output = stableForms(build.formulas, ir::copyInto(build.formulas, output));
    for (ir::ExprRef& sum : build.stable.columnSums)
      sum = stableForms(build.formulas, ir::copyInto(build.formulas, sum));
    build.error = unboundVariableProblem(build.stable);
  }
  runtime::parallelFor(static_cast<int64_t>(builds.size()), [&](int64_t i) {
    KernelBuild& build = *builds[static_cast<size_t>(i)];
    if (build.error.empty()) buildObject(build);
  });
  for (size_t i = 0; i < specs.size(); ++i) {
    KernelBuild& build = *builds[i];
    if (!build.error.empty()) {
      results[i].error = build.error;
      continue;
    }
    if (auto error = impl_->jit->addObjectFile(std::move(build.object))) {
      results[i].error = "cannot load a compiled formula: " + message(std::move(error));
      continue;
    }
    auto symbol = impl_->jit->lookup(build.name);
    if (!symbol) {
      results[i].error = "cannot link a formula: " + message(symbol.takeError());
      continue;
    }
    auto kernel = std::make_unique<Kernel>();
    kernel->type_ = specs[i].type;
    kernel->arity_ = {specs[i].inputs.size(), specs[i].parameters.size(), specs[i].outputs.size(),
                      specs[i].columnSums.size()};
    kernel->llvmIR_ = std::move(build.llvmIR);
    kernel->address_ = symbol->getValue();
    results[i].kernel = std::move(kernel);
  }
  return results;
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
