#pragma once
// nnc as a library: compile a model written in the nnc language (a .nn
// file or a string) in-process with the LLVM JIT, run it on batches, train
// it, and read, write, save and load its parameters.
//
// Errors come back as values (Status, with clang-style diagnostics that
// name the file, line and column); the library never prints and never
// aborts on bad input. One Model may serve predict() from several threads
// at once; training and parameter changes need the caller to exclude other
// calls on that Model.
//
//   nnc::CompileResult compiled = nnc::Model::compileFile("mlp.nn");
//   if (!compiled.model) { std::cerr << compiled.status.text(); return 1; }
//   std::vector<float> out(rows * compiled.model->outputSize());
//   nnc::Status s = compiled.model->predict(input, out);
//
// Only the C++ standard library appears here: link nnc::nnc (find_package(nnc)).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

// The library exports exactly what this header declares; the compiler
// inside it (and LLVM's, ANTLR's symbols) stays hidden.
#if defined(__GNUC__)
#define NNC_API __attribute__((visibility("default")))
#else
#define NNC_API
#endif

namespace nnc {

// One diagnostic: an error, a warning (a lint) or a note.
struct Message {
  enum class Severity { Error, Warning, Note };
  Severity severity = Severity::Error;
  std::string file;          // empty: not tied to a file
  int line = 0, column = 0;  // 1-based; 0 when there is no position
  std::string message;
  std::string rendered;      // as the nnc CLI prints it, with the source line and a caret
};

// Success, or what went wrong. Warnings may accompany success.
class NNC_API Status {
public:
  Status() = default;
  static Status error(std::string message);
  explicit Status(std::vector<Message> messages);

  bool ok() const;
  explicit operator bool() const { return ok(); }
  const std::vector<Message>& messages() const { return messages_; }
  // Every message, rendered as the CLI prints it, one after another.
  std::string text() const;

private:
  std::vector<Message> messages_;
};

struct CompileOptions {
  std::string model;            // which model of the file; empty: its only one (with several, an error)
  int optimizationLevel = 2;    // 0-3, as nnc's -O
  bool warningsAreErrors = false;
  uint64_t seed = 1;            // initial weights (the file's train seed is not used here)
  double learningRate = 0;      // 0: the file's `train` optimizer's (Adam's 1e-3 without one)
};

// One line of training progress: what `nnc train` prints per epoch.
struct EpochProgress {
  int64_t epoch = 0, epochs = 0;
  double trainLoss = 0, testLoss = 0, testAccuracy = 0, seconds = 0;
  // A model with real-valued targets (target y[N]; loss mse/l1/huber):
  // the test RMSE and R^2 (testAccuracy is then 0).
  double testRmse = 0, testR2 = 0;
};

struct TrainOptions {
  int64_t epochs = 0;                                   // 0: the file's
  // Called after every epoch; return false to stop early.
  std::function<bool(const EpochProgress&)> onEpoch;
};

struct ParameterInfo {
  std::string name;             // PyTorch's names: "fc1.weight", "fc1.bias", "fc1.a"
  std::vector<int64_t> shape;
};

class Model;

struct CompileResult {
  std::unique_ptr<Model> model;  // null on error
  Status status;                 // errors, or the warnings of a success
};

class NNC_API Model {
public:
  // Reads, checks (lints included), optimises and JIT-compiles a model.
  static CompileResult compileFile(const std::string& path, const CompileOptions& options = {});
  // The same for text in memory; `name` names it in diagnostics, and
  // imports and data paths are relative to its folder.
  static CompileResult compileString(const std::string& text, const std::string& name = "<string>.nn",
                                     const CompileOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& name() const;
  int64_t inputSize() const;
  int64_t outputSize() const;

  // The model's outputs for `input`, rows of inputSize() floats, row-major,
  // into `output` (rows x outputSize()). Safe to call from several threads.
  Status predict(std::span<const float> input, std::span<float> output) const;

  // One step of the optimiser of the file's `train` declaration (Adam with
  // its defaults if there is none): forward, loss, backward, update.
  // `labels` holds one class index per row. The batch's mean loss goes to
  // `loss` if given.
  Status trainStep(std::span<const float> input, std::span<const int32_t> labels, double* loss = nullptr);

  // Trains on the data of the file's `train` declaration, evaluating on its
  // test data after every epoch.
  Status train(const TrainOptions& options = {});

  std::vector<ParameterInfo> parameters() const;
  Status getParameter(const std::string& name, std::vector<float>& values) const;
  Status setParameter(const std::string& name, std::span<const float> values);

  // Checkpoints in nnc's safetensors format (the same as nnc train --save).
  Status save(const std::string& path) const;
  Status load(const std::string& path);

private:
  friend struct ModelFactory;
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nnc
