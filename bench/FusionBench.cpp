// nnc_fusion_bench: one training step (forward, loss, backward) of an
// activation layer compiled with and without elementwise fusion, for
// swish, gelu and a formula with a learnable parameter. Prints the median
// step times and the memory the backward pass keeps; checks that both
// variants compute the same loss and gradients (exit status 1 if not), so
// `--smoke` is a test. See README.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backend/CompiledModel.h"
#include "bench/BenchGraph.h"

namespace nnc::bench {
namespace {

struct Options {
  int64_t rows = 1024, columns = 4096;
  int runs = 21;
  std::string jsonPath;
  bool printGraphs = false;
};

constexpr const char* kUsage =
    "usage: nnc_fusion_bench [--smoke] [--rows N] [--columns C] [--runs R] [--json FILE] [--print-graphs]\n";

// Agreement asked of the two variants: relative to the largest magnitude of
// each quantity (loss, each parameter's gradient), not elementwise, so that
// gradient entries near 0 do not make it flaky. Float sums over the batch in
// a different order differ by ~1e-6.
constexpr double kTolerance = 1e-4;

bool parseOptions(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool hasValue = i + 1 < argc;
    if (arg == "--smoke") {
      options.rows = 16;
      options.columns = 64;
      options.runs = 7;
    } else if (arg == "--rows" && hasValue) options.rows = std::atoll(argv[++i]);
    else if (arg == "--columns" && hasValue) options.columns = std::atoll(argv[++i]);
    else if (arg == "--runs" && hasValue) options.runs = std::atoi(argv[++i]);
    else if (arg == "--json" && hasValue) options.jsonPath = argv[++i];
    else if (arg == "--print-graphs") options.printGraphs = true;
    else return false;
  }
  return options.rows > 0 && options.columns > 0 && options.runs > 0;
}

// A random batch: inputs spread over the activations' curved part, and
// targets 0 or 1 for the one output.
struct Batch {
  runtime::Tensor x;
  std::vector<int32_t> labels;
};

Batch makeBatch(int64_t rows, int64_t columns) {
  std::mt19937_64 random(42);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::uniform_int_distribution<int32_t> label(0, 1);
  Batch batch{runtime::Tensor({rows, columns}), std::vector<int32_t>(static_cast<size_t>(rows))};
  for (float& v : batch.x.values()) v = normal(random);
  for (int32_t& l : batch.labels) l = label(random);
  return batch;
}

// One variant of one activation, compiled.
struct Compiled {
  std::unique_ptr<backend::CompiledModel> model;
  MemoryUse memory;
};

std::optional<Compiled> compileVariant(const Activation& activation, Variant variant, const Options& options,
                                       backend::FormulaJIT& jit, ir::ExprContext& exprs) {
  Diagnostics diags;
  std::optional<ir::Graph> graph = buildLayerGraph(activation, options.columns, exprs, diags);
  if (!graph || !optimize(*graph, variant, diags)) {
    fmt::print(stderr, "{}: {}: cannot build the graph:\n{}", activation.name, variantName(variant), diags.render());
    return std::nullopt;
  }
  if (options.printGraphs) fmt::print("# {} {}\n{}\n", activation.name, variantName(variant), ir::printGraph(*graph));
  Compiled result;
  result.memory = memoryUse(*graph, options.rows);
  std::string error;
  result.model = backend::CompiledModel::compile(std::move(*graph), jit, /*seed=*/1, error);
  if (!result.model) {
    fmt::print(stderr, "{}: {}: {}\n", activation.name, variantName(variant), error);
    return std::nullopt;
  }
  return result;
}

// Gives `to` the parameter values of `from`, by name: the variants' graphs
// may list the parameters in another order, and so draw other initial values.
void copyParameters(backend::CompiledModel& from, backend::CompiledModel& to) {
  std::map<std::string, const runtime::Tensor*> values;
  for (const runtime::ParameterRef& p : from.parameters()) values[p.name] = p.value;
  for (const runtime::ParameterRef& p : to.parameters())
    if (auto found = values.find(p.name); found != values.end()) *p.value = *found->second;
}

struct StepResult {
  double loss = 0;
  std::map<std::string, std::vector<float>> gradients;  // parameter name -> gradient
};

StepResult runStep(backend::CompiledModel& model, const Batch& batch) {
  StepResult result;
  result.loss = model.trainStep(batch.x, batch.labels);
  for (const runtime::ParameterRef& p : model.parameters()) {
    std::span<const float> g = p.gradient->values();
    result.gradients[p.name].assign(g.begin(), g.end());
  }
  return result;
}

// The largest difference between the variants, relative to the quantity's
// largest magnitude (see kTolerance); reports every mismatch on stderr.
double compareVariants(const std::string& name, const StepResult& unfused, const StepResult& fused) {
  auto relative = [](double difference, double scale) { return difference / std::max(scale, 1e-30); };
  double worst = relative(std::abs(unfused.loss - fused.loss), std::abs(fused.loss));
  if (unfused.gradients.size() != fused.gradients.size()) {
    fmt::print(stderr, "{}: the variants have different parameters\n", name);
    return INFINITY;
  }
  for (const auto& [parameter, expected] : fused.gradients) {
    auto other = unfused.gradients.find(parameter);
    if (other == unfused.gradients.end() || other->second.size() != expected.size()) {
      fmt::print(stderr, "{}: parameter '{}' differs in shape between the variants\n", name, parameter);
      return INFINITY;
    }
    double difference = 0, scale = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
      difference = std::max(difference, std::abs(double(expected[i]) - double(other->second[i])));
      scale = std::max(scale, std::abs(double(expected[i])));
    }
    double error = relative(difference, scale);
    if (!(error <= kTolerance))
      fmt::print(stderr, "{}: gradient of '{}' differs: max |fused - unfused| = {:g}, max |fused| = {:g}\n", name,
                 parameter, difference, scale);
    worst = std::max(worst, error);
  }
  if (!(worst <= kTolerance))
    fmt::print(stderr, "{}: loss unfused {:.9g}, fused {:.9g}\n", name, unfused.loss, fused.loss);
  return worst;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

double millisecondsOf(backend::CompiledModel& model, const Batch& batch) {
  auto start = std::chrono::steady_clock::now();
  model.trainStep(batch.x, batch.labels);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

struct Row {
  std::string activation;
  double unfusedMs = 0, fusedMs = 0;
  MemoryUse unfusedMemory, fusedMemory;
  double difference = 0;  // see compareVariants
};

// Median step times. The variants alternate run by run, so a load that
// comes and goes on the machine (a build next door) hits both alike.
void timeVariants(Compiled& unfused, Compiled& fused, const Batch& batch, int runs, Row& row) {
  for (int i = 0; i < 3; ++i) {  // warm-up: page in the buffers, settle the clocks
    unfused.model->trainStep(batch.x, batch.labels);
    fused.model->trainStep(batch.x, batch.labels);
  }
  std::vector<double> unfusedTimes, fusedTimes;
  for (int i = 0; i < runs; ++i) {
    unfusedTimes.push_back(millisecondsOf(*unfused.model, batch));
    fusedTimes.push_back(millisecondsOf(*fused.model, batch));
  }
  row.unfusedMs = median(unfusedTimes);
  row.fusedMs = median(fusedTimes);
}

double mebibytes(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

void printTable(const std::vector<Row>& rows, const Options& options) {
  fmt::print("input [{}, {}] -> bias + activation -> dense(1) -> mse; median of {} training steps\n", options.rows,
             options.columns, options.runs);
  fmt::print("{:<10} {:>11} {:>9} {:>8} {:>12} {:>10} {:>13} {:>11} {:>9}\n", "activation", "unfused ms", "fused ms",
             "speedup", "unfused MiB", "fused MiB", "unfused saved", "fused saved", "max diff");
  for (const Row& r : rows)
    fmt::print("{:<10} {:>11.3f} {:>9.3f} {:>7.2f}x {:>12.1f} {:>10.1f} {:>13} {:>11} {:>9.1e}\n", r.activation,
               r.unfusedMs, r.fusedMs, r.unfusedMs / r.fusedMs, mebibytes(r.unfusedMemory.bufferBytes),
               mebibytes(r.fusedMemory.bufferBytes), r.unfusedMemory.savedTensors, r.fusedMemory.savedTensors,
               r.difference);
}

bool writeJson(const std::vector<Row>& rows, const Options& options) {
  std::ofstream out(options.jsonPath);
  out << fmt::format("{{\n  \"rows\": {}, \"columns\": {}, \"runs\": {}, \"tolerance\": {},\n  \"results\": [\n",
                     options.rows, options.columns, options.runs, kTolerance);
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    out << fmt::format(
        "    {{\"activation\": \"{}\", \"unfused_ms\": {:.4f}, \"fused_ms\": {:.4f}, \"speedup\": {:.3f}, "
        "\"unfused_bytes\": {}, \"fused_bytes\": {}, \"unfused_saved_tensors\": {}, \"fused_saved_tensors\": {}, "
        "\"max_relative_difference\": {:.3g}}}{}\n",
        r.activation, r.unfusedMs, r.fusedMs, r.unfusedMs / r.fusedMs, r.unfusedMemory.bufferBytes,
        r.fusedMemory.bufferBytes, r.unfusedMemory.savedTensors, r.fusedMemory.savedTensors, r.difference,
        i + 1 < rows.size() ? "," : "");
  }
  out << "  ]\n}\n";
  return static_cast<bool>(out);
}

int run(const Options& options) {
  std::string error;
  std::unique_ptr<backend::FormulaJIT> jit = backend::FormulaJIT::create(error);
  if (!jit) {
    fmt::print(stderr, "cannot create the JIT: {}\n", error);
    return 1;
  }
  ir::ExprContext exprs;
  Batch batch = makeBatch(options.rows, options.columns);
  std::vector<Row> rows;
  bool agree = true;
  for (const Activation& activation : benchActivations()) {
    std::optional<Compiled> unfused = compileVariant(activation, Variant::Unfused, options, *jit, exprs);
    std::optional<Compiled> fused = compileVariant(activation, Variant::Fused, options, *jit, exprs);
    if (!unfused || !fused) return 1;
    Row& row = rows.emplace_back();
    row.activation = activation.name;
    row.unfusedMemory = unfused->memory;
    row.fusedMemory = fused->memory;
    copyParameters(*fused->model, *unfused->model);
    row.difference = compareVariants(activation.name, runStep(*unfused->model, batch), runStep(*fused->model, batch));
    agree &= row.difference <= kTolerance;
    timeVariants(*unfused, *fused, batch, options.runs, row);
  }
  printTable(rows, options);
  if (!options.jsonPath.empty() && !writeJson(rows, options)) {
    fmt::print(stderr, "cannot write '{}'\n", options.jsonPath);
    return 1;
  }
  if (!agree) fmt::print(stderr, "FAILED: fused and unfused results differ by more than {:g} (relative)\n", kTolerance);
  return agree ? 0 : 1;
}

}  // namespace
}  // namespace nnc::bench

int main(int argc, char** argv) {
  nnc::bench::Options options;
  if (!nnc::bench::parseOptions(argc, argv, options)) {
    std::fputs(nnc::bench::kUsage, stderr);
    return 2;
  }
  return nnc::bench::run(options);
}
