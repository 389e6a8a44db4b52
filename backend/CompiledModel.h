#pragma once
// A model's forward and backward graph ready to run: matrix products call
// the runtime's GEMM, each layer's activation (and its backward, with the
// gradients of learnable parameters) is one JIT-compiled loop.
#include <memory>
#include <string>
#include <vector>

#include "backend/FormulaJIT.h"
#include "ir/Graph.h"
#include "runtime/Trainable.h"

namespace nnc::backend {

class CompiledModel : public runtime::Trainable {
public:
  // `graph` is a training graph (with the backward part autodiff appends)
  // or an inference graph (without: predict, but no trainStep). Parameters
  // are the graph's Parameter nodes, initialised from `seed`. Null and
  // `error` on failure.
  static std::unique_ptr<CompiledModel> compile(ir::Graph graph, FormulaJIT& jit, uint64_t seed, std::string& error);
  ~CompiledModel() override;

  const runtime::Tensor& predict(const runtime::Tensor& x) override;

  // For inference from several threads at once: each thread runs the
  // forward pass in a workspace of its own (the batch-sized values); the
  // parameters are shared and only read. Not concurrent with trainStep or
  // with changing the parameters.
  struct Workspace;
  struct WorkspaceDeleter {
    void operator()(Workspace* workspace) const;
  };
  using WorkspacePtr = std::unique_ptr<Workspace, WorkspaceDeleter>;
  WorkspacePtr newWorkspace() const;
  // `input` holds `rows` samples; it is copied straight into the workspace.
  const runtime::Tensor& predict(std::span<const float> input, int64_t rows, Workspace& workspace) const;
  // Draws every parameter's initial value again, as compile() did for
  // `seed`: one compiled model trains from several seeds (nnc sweep).
  void initializeParameters(uint64_t seed);
  // Whether the graph has its backward part; trainStep on one that does
  // not returns NaN and changes nothing.
  bool trainable() const;
  double trainStep(const runtime::Tensor& x, const runtime::BatchTargets& targets) override;
  void setTrainingStep(int64_t step) override;
  runtime::Tensor* inputBatch(int64_t rows) override;
  std::vector<runtime::ParameterRef> parameters() override;
  const runtime::Tensor* lastTrainingPrediction() const override;
  runtime::Loss loss() const override;
  std::optional<std::string> firstNonFiniteLayer(const runtime::Tensor& x, const runtime::BatchTargets& targets) override;
  void trackOutputMaxima(const std::vector<std::string>& layers) override;
  std::vector<runtime::LayerOutputMaxima> takeOutputMaxima() override;

  const ir::Graph& graph() const;

  // The JIT-compiled loops, in graph order, for --emit=llvm|asm: which node
  // and columns each computes ("map %5 (fc1), columns [0, 256)").
  struct KernelListing {
    std::string label;
    const Kernel* kernel;
  };
  std::vector<KernelListing> kernels() const;

private:
  struct Impl;
  explicit CompiledModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nnc::backend
