// nnc_perf_bench: nnc's side of bench/run.py, and the machine's limits it
// is compared with. Each command prints one JSON object:
//
//   nnc_perf_bench stream      [--elements N] [--runs R]   memory bandwidth (scale, triad)
//   nnc_perf_bench gemm        [--runs R] [--batch B]      SGEMM peak and the MLP's products at batch B
//   nnc_perf_bench activations [--rows R] [--columns C] [--runs R]
//   nnc_perf_bench memory      [--rows R] [--columns C]    a training step's buffers
//
// See README.md for what each measures.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backend/CompiledModel.h"
#include "backend/ParallelKernel.h"
#include "bench/BenchGraph.h"
#include "frontend/GraphBuilder.h"
#include "frontend/ModelSema.h"
#include "ir/Builder.h"
#include "ir/Diff.h"
#include "ir/Simplify.h"
#include "runtime/AlignedBuffer.h"
#include "runtime/CApi.h"
#include "runtime/Gemm.h"
#include "runtime/Parallel.h"

namespace nnc::bench {
namespace {

struct Options {
  std::string command;
  int64_t elements = 0, rows = 0, columns = 0, batch = 128;
  int runs = 0;
  std::string model = NNC_EXAMPLES_DIR "/fashion_mlp.nn";
};

constexpr const char* kUsage =
    "usage: nnc_perf_bench stream|gemm|activations|memory [--elements N] [--rows R] [--columns C] [--runs R]\n"
    "                      [--batch B] [--model F.nn] [--threads T]\n";

bool parseOptions(int argc, char** argv, Options& options) {
  if (argc < 2) return false;
  options.command = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--elements") options.elements = std::atoll(argv[i + 1]);
    else if (arg == "--rows") options.rows = std::atoll(argv[i + 1]);
    else if (arg == "--columns") options.columns = std::atoll(argv[i + 1]);
    else if (arg == "--runs") options.runs = std::atoi(argv[i + 1]);
    else if (arg == "--batch") options.batch = std::atoll(argv[i + 1]);
    else if (arg == "--model") options.model = argv[i + 1];
    else if (arg == "--threads") runtime::setThreadCount(std::atoi(argv[i + 1]));
    else return false;
  }
  return argc % 2 == 0;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

// The median wall time of `step` in milliseconds, after two warm-up calls.
double medianMs(int runs, const std::function<void()>& step) {
  step();
  step();
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    step();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return median(times);
}

std::vector<float> randomValues(int64_t n, float scale, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(static_cast<size_t>(n));
  for (float& v : values) v = normal(random);
  return values;
}

// ---- stream: the memory bandwidth a compiled loop reaches ----------------
//
// scale (a = s*b) reads one array and writes one, as an activation's forward
// loop; triad (a = b + s*c) reads two and writes one, as its backward loop.
// Bytes are counted as STREAM counts them (reads + writes, no write-allocate).

__attribute__((noinline)) void scale(float* a, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) a[i] = 3.0f * b[i];
}

__attribute__((noinline)) void triad(float* a, const float* b, const float* c, int64_t n) {
  for (int64_t i = 0; i < n; ++i) a[i] = b[i] + 3.0f * c[i];
}

// On the thread pool, in 16 contiguous pieces as nnc's kernels (backend/ParallelKernel.h).
void inPieces(int64_t n, const std::function<void(int64_t, int64_t)>& loop) {
  constexpr int64_t kPieces = 16;
  int64_t piece = (n + kPieces - 1) / kPieces;
  runtime::parallelFor(kPieces, [&](int64_t p) {
    int64_t begin = std::min(n, p * piece);
    loop(begin, std::min(n, begin + piece) - begin);
  });
}

int runStream(const Options& options) {
  int64_t n = options.elements > 0 ? options.elements : int64_t{1} << 24;
  int runs = options.runs > 0 ? options.runs : 11;
  runtime::AlignedBuffer<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n)), c(static_cast<size_t>(n));
  std::fill(b.data(), b.data() + n, 1.0f);
  std::fill(c.data(), c.data() + n, 2.0f);
  std::fill(a.data(), a.data() + n, 0.0f);
  double bytes = static_cast<double>(n) * sizeof(float);
  double scaleMs = medianMs(runs, [&] { inPieces(n, [&](int64_t i, int64_t m) { scale(a.data() + i, b.data() + i, m); }); });
  double triadMs = medianMs(runs, [&] {
    inPieces(n, [&](int64_t i, int64_t m) { triad(a.data() + i, b.data() + i, c.data() + i, m); });
  });
  fmt::print("{{\"threads\": {}, \"elements\": {}, \"runs\": {}, \"scale_ms\": {:.4f}, \"scale_gbs\": {:.2f}, \"triad_ms\": {:.4f}, "
             "\"triad_gbs\": {:.2f}}}\n",
             runtime::threadCount(), n, runs, scaleMs, 2 * bytes / scaleMs * 1e-6, triadMs, 3 * bytes / triadMs * 1e-6);
  return 0;
}

// ---- gemm: SGEMM peak, and the products of the MLP's training step -------

struct Product {
  std::string label;
  runtime::Tensor a, b, c;
  runtime::Transpose ta, tb;
  double flops = 0;
  bool forward = false;  // in the forward pass (what predict runs)
};

runtime::Shape concrete(const ir::TensorShape& shape, int64_t batch) {
  runtime::Shape out(shape.begin(), shape.end());
  for (int64_t& d : out)
    if (d == ir::kBatch) d = batch;
  return out;
}

Product makeProduct(std::string label, runtime::Shape a, runtime::Transpose ta, runtime::Shape b,
                    runtime::Transpose tb, runtime::Shape c) {
  int64_t inner = ta == runtime::Transpose::Yes ? a[0] : a[1];
  Product p{std::move(label), runtime::Tensor(a), runtime::Tensor(b), runtime::Tensor(c), ta, tb,
            2.0 * static_cast<double>(c[0] * c[1] * inner)};
  std::vector<float> va = randomValues(p.a.size(), 1, 1), vb = randomValues(p.b.size(), 1, 2);
  std::copy(va.begin(), va.end(), p.a.data());
  std::copy(vb.begin(), vb.end(), p.b.data());
  return p;
}

// The matrix products of the model's -O2 training graph, in graph order.
std::optional<std::vector<Product>> modelProducts(const Options& options) {
  Diagnostics diags;
  ir::ExprContext exprs;
  std::optional<frontend::Program> program = frontend::analyzeProgram(options.model, exprs, diags);
  if (!program || program->models.empty()) {
    fmt::print(stderr, "{}", diags.render());
    return std::nullopt;
  }
  ir::Graph graph = frontend::buildForwardGraph(program->models.front(), exprs);
  if (!optimize(graph, Variant::Fused, diags)) {
    fmt::print(stderr, "{}", diags.render());
    return std::nullopt;
  }
  std::vector<Product> products;
  bool forward = true;
  for (const ir::GraphNode& node : graph.nodes()) {
    forward = forward && ir::graphOpInfo(node.op).role != ir::GraphOpRole::Loss;  // Loss, or a formula's Mean
    if (node.op != ir::GraphOp::MatMul) continue;
    auto shape = [&](ir::ValueId v) { return concrete(graph.value(v).shape, options.batch); };
    auto t = [](bool yes) { return yes ? runtime::Transpose::Yes : runtime::Transpose::No; };
    runtime::Shape c = shape(node.results[0]);
    products.push_back(makeProduct(fmt::format("{} [{}x{}]{}", node.layer, c[0], c[1], node.transposeA ? " dW" : ""),
                                   shape(node.operands[0]), t(node.transposeA), shape(node.operands[1]),
                                   t(node.transposeB), c));
    products.back().forward = forward;
  }
  return products;
}

// Milliseconds per call of `multiply`, the median of `runs` timings of
// `repeat` calls.
template <class Multiply>
double repeatedMs(int runs, int repeat, Multiply multiply) {
  return medianMs(runs, [&] {
           for (int i = 0; i < repeat; ++i) multiply();
         }) /
         repeat;
}

double gemmMs(Product& p, int runs, int repeat) {
  return repeatedMs(runs, repeat, [&] { runtime::gemm(p.a, p.ta, p.b, p.tb, p.c); });
}

// The product as inference runs it (runtime/CApi.h's nnc_rt_matmul_inference).
double inferenceMs(Product& p, int runs, int repeat) {
  return repeatedMs(runs, repeat, [&] {
    nnc_rt_matmul_inference(p.a.data(), p.a.dim(0), p.a.dim(1), p.ta == runtime::Transpose::Yes, p.b.data(),
                            p.b.dim(0), p.b.dim(1), p.tb == runtime::Transpose::Yes, p.c.data());
  });
}

// The peak on one thread and on the pool, then each product on the pool.
int runGemm(const Options& options) {
  int runs = options.runs > 0 ? options.runs : 7;
  int64_t n = 1024;
  Product peak = makeProduct("peak", {n, n}, runtime::Transpose::No, {n, n}, runtime::Transpose::No, {n, n});
  int threads = runtime::threadCount();
  auto peakOn = [&](int count) {
    runtime::setThreadCount(count);
    double ms = gemmMs(peak, runs, 1);
    runtime::setThreadCount(threads);
    return ms;
  };
  std::optional<std::vector<Product>> products = modelProducts(options);
  if (!products) return 1;
  // The peaks before and after the products, the better of each: load
  // from other programs comes and goes, and the peak is what the machine
  // can do at its best.
  double peakOneMs = peakOn(1), peakMs = peakOn(threads);
  std::string list;
  double totalFlops = 0, totalMs = 0, forwardMs = 0, inferenceTotalMs = 0;
  for (Product& p : *products) {
    double ms = gemmMs(p, runs, 20);
    totalFlops += p.flops;
    totalMs += ms;
    std::string inference;
    if (p.forward) {
      forwardMs += ms;
      double inferenceProductMs = inferenceMs(p, runs, 20);
      inferenceTotalMs += inferenceProductMs;
      inference = fmt::format(", \"inference_ms\": {:.5f}, \"inference_gflops\": {:.1f}", inferenceProductMs,
                              p.flops / inferenceProductMs * 1e-6);
    }
    list += fmt::format("{}{{\"product\": \"{}\", \"ms\": {:.5f}, \"gflops\": {:.1f}{}}}",
                        list.empty() ? "" : ", ", p.label, ms, p.flops / ms * 1e-6, inference);
  }
  peakOneMs = std::min(peakOneMs, peakOn(1));
  peakMs = std::min(peakMs, peakOn(threads));
  fmt::print("{{\"threads\": {}, \"peak_size\": {}, \"peak_gflops_one_thread\": {:.1f}, \"peak_gflops\": {:.1f}, "
             "\"batch\": {}, \"step_flops\": {:.0f}, \"step_gemm_ms\": {:.4f}, \"step_gemm_gflops\": {:.1f}, "
             "\"forward_gemm_ms\": {:.5f}, \"forward_inference_ms\": {:.5f}, \"products\": [{}]}}\n",
             threads, n, peak.flops / peakOneMs * 1e-6, peak.flops / peakMs * 1e-6, options.batch, totalFlops, totalMs,
             totalFlops / totalMs * 1e-6, forwardMs, inferenceTotalMs, list);
  return 0;
}

// ---- activations: one layer's activation, forward and backward ----------
//
// The kernels autodiff makes for an activation Map (passes/Autodiff.cpp):
// forward y = f(x); backward dx = dy * f'(x), with dy * df/dp summed per
// column for a learnable parameter p. Forward reads x and writes y;
// backward reads x and dy and writes dx: 20 bytes per element.

struct BenchActivation {
  const char* name;
  const char* declaration;
};

const BenchActivation kActivations[] = {
    {"swish", "activation swish(x) = x * sigmoid(x);"},
    {"gelu", "activation gelu(x) = 0.5 * x * (1 + erf(x / sqrt(2)));"},
    {"mish", "activation mish(x) = x * tanh(softplus(x));"},
    {"elu", "activation elu(x) = where(x > 0, x, exp(x) - 1);"},
    {"ncu", "activation ncu(x) = x - x^3;"},
    {"swish_beta", "activation swish_beta(x; learnable beta = 1) = x * sigmoid(beta * x);"},
};

struct ActivationKernels {
  std::unique_ptr<backend::Kernel> forward, backward;
  bool learnable = false;
};

std::optional<ActivationKernels> compileActivation(const BenchActivation& activation, backend::FormulaJIT& jit,
                                                   ir::ExprContext& exprs) {
  Diagnostics diags;
  std::optional<frontend::Program> program =
      frontend::analyzeProgramText(std::string(activation.name) + ".nn", activation.declaration, exprs, diags);
  const frontend::ActivationDef* def = program ? program->activations.activation(activation.name) : nullptr;
  if (!def) {
    fmt::print(stderr, "{}: {}", activation.name, diags.render());
    return std::nullopt;
  }
  backend::KernelSpec forward, backward;
  forward.inputs = {def->input};
  forward.outputs = {ir::simplify(exprs, def->body)};
  backward.inputs = {def->input, "dy"};
  ir::Ex dy(exprs, exprs.var("dy"));
  auto chain = [&](const std::string& var) {
    return ir::simplify(exprs, dy * dy.wrap(ir::derivatives(exprs, def->body, var, 1).orders[1]));
  };
  backward.outputs = {chain(def->input)};
  ActivationKernels kernels;
  for (const frontend::ParameterDef& p : def->parameters) {
    forward.parameters.push_back({p.name, false});
    backward.parameters.push_back({p.name, false});
    backward.columnSums.push_back(chain(p.name));
    kernels.learnable = true;
  }
  backend::KernelResult f = jit.compile(forward), b = jit.compile(backward);
  if (!f.kernel || !b.kernel) {
    fmt::print(stderr, "{}: {}{}\n", activation.name, f.error, b.error);
    return std::nullopt;
  }
  kernels.forward = std::move(f.kernel);
  kernels.backward = std::move(b.kernel);
  return kernels;
}

// Forward then backward over [rows, cols], as a training step runs them.
struct ActivationRun {
  const ActivationKernels& kernels;
  int64_t rows, cols;
  const float *x, *dy;
  float *y, *dx, *columnSum;
  float parameter = 1, parameterGradient = 0;
  backend::ChunkScratch scratch{};

  // As CompiledModel runs a Map: on the thread pool (backend/ParallelKernel.h).
  void forward() {
    const float* inputs[] = {x};
    const float* params[] = {&parameter};
    float* outputs[] = {y};
    backend::runParallel(*kernels.forward, {rows, cols, cols, inputs, params, outputs, nullptr}, scratch);
  }
  void backward() {
    const float* inputs[] = {x, dy};
    const float* params[] = {&parameter};
    float* outputs[] = {dx};
    float* sums[] = {columnSum};
    if (kernels.learnable) std::fill(columnSum, columnSum + cols, 0.0f);
    backend::runParallel(*kernels.backward, {rows, cols, cols, inputs, params, outputs, sums}, scratch);
    if (!kernels.learnable) return;
    double total = 0;
    for (int64_t c = 0; c < cols; ++c) total += columnSum[c];
    parameterGradient = static_cast<float>(total);
  }
};

// dx must be dy * f'(x): checked against central differences of the forward
// kernel on the first elements, so that the timed kernels compute the right thing.
bool checkDerivative(const char* name, const ActivationKernels& kernels, const float* x, const float* dy,
                     const float* dx) {
  constexpr int64_t kPoints = 64;
  constexpr float kStep = 1e-2f;
  std::vector<float> plus(x, x + kPoints), minus(x, x + kPoints), yPlus(kPoints), yMinus(kPoints);
  for (int64_t i = 0; i < kPoints; ++i) {
    plus[static_cast<size_t>(i)] += kStep;
    minus[static_cast<size_t>(i)] -= kStep;
  }
  ActivationRun up{kernels, 1, kPoints, plus.data(), nullptr, yPlus.data(), nullptr, nullptr};
  ActivationRun down{kernels, 1, kPoints, minus.data(), nullptr, yMinus.data(), nullptr, nullptr};
  up.forward();
  down.forward();
  for (int64_t i = 0; i < kPoints; ++i) {
    size_t k = static_cast<size_t>(i);
    double expected = dy[i] * (double(yPlus[k]) - yMinus[k]) / (2 * kStep);
    if (std::abs(expected - dx[i]) > 2e-2 * std::max(1.0, std::abs(expected))) {
      fmt::print(stderr, "{}: dx[{}] = {} but finite differences give {}\n", name, i, dx[i], expected);
      return false;
    }
  }
  return true;
}

int runActivations(const Options& options) {
  int64_t rows = options.rows > 0 ? options.rows : 4096, cols = options.columns > 0 ? options.columns : 4096;
  int runs = options.runs > 0 ? options.runs : 11;
  std::string error;
  std::unique_ptr<backend::FormulaJIT> jit = backend::FormulaJIT::create(error);
  if (!jit) {
    fmt::print(stderr, "cannot create the JIT: {}\n", error);
    return 1;
  }
  size_t n = static_cast<size_t>(rows * cols);
  std::vector<float> xValues = randomValues(rows * cols, 2, 42), dyValues = randomValues(rows * cols, 1, 43);
  runtime::AlignedBuffer<float> x(n), dy(n), y(n), dx(n), columnSum(static_cast<size_t>(cols));
  std::copy(xValues.begin(), xValues.end(), x.data());
  std::copy(dyValues.begin(), dyValues.end(), dy.data());
  std::fill(y.data(), y.data() + n, 0.0f);
  std::fill(dx.data(), dx.data() + n, 0.0f);
  ir::ExprContext exprs;
  std::string list;
  for (const BenchActivation& activation : kActivations) {
    std::optional<ActivationKernels> kernels = compileActivation(activation, *jit, exprs);
    if (!kernels) return 1;
    ActivationRun run{*kernels, rows, cols, x.data(), dy.data(), y.data(), dx.data(), columnSum.data()};
    double forwardMs = medianMs(runs, [&] { run.forward(); });
    double backwardMs = medianMs(runs, [&] { run.backward(); });
    double bothMs = medianMs(runs, [&] {
      run.forward();
      run.backward();
    });
    if (!checkDerivative(activation.name, *kernels, x.data(), dy.data(), dx.data())) return 1;
    list += fmt::format("{}\"{}\": {{\"ms\": {:.4f}, \"forward_ms\": {:.4f}, \"backward_ms\": {:.4f}}}",
                        list.empty() ? "" : ", ", activation.name, bothMs, forwardMs, backwardMs);
  }
  fmt::print("{{\"threads\": {}, \"rows\": {}, \"columns\": {}, \"runs\": {}, \"forward_bytes\": {}, \"backward_bytes\": {}, "
             "\"activations\": {{{}}}}}\n",
             runtime::threadCount(), rows, cols, runs, 8 * rows * cols, 12 * rows * cols, list);
  return 0;
}

// ---- memory: what a training step with a custom activation allocates ----

int64_t maxResidentBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

int runMemory(const Options& options) {
  int64_t rows = options.rows > 0 ? options.rows : 1024, cols = options.columns > 0 ? options.columns : 4096;
  const Activation& custom = benchActivations().back();  // x * tanh(softplus(a * x)), a learnable
  std::string error;
  std::unique_ptr<backend::FormulaJIT> jit = backend::FormulaJIT::create(error);
  ir::ExprContext exprs;
  Diagnostics diags;
  std::optional<ir::Graph> graph = buildLayerGraph(custom, cols, exprs, diags);
  if (!jit || !graph || !optimize(*graph, Variant::Fused, diags)) {
    fmt::print(stderr, "{}{}", error, diags.render());
    return 1;
  }
  MemoryUse use = memoryUse(*graph, rows);
  std::unique_ptr<backend::CompiledModel> model = backend::CompiledModel::compile(std::move(*graph), *jit, 1, error);
  if (!model) {
    fmt::print(stderr, "{}\n", error);
    return 1;
  }
  runtime::Tensor x({rows, cols});
  std::vector<float> values = randomValues(rows * cols, 2, 42);
  std::copy(values.begin(), values.end(), x.data());
  std::vector<int32_t> labels(static_cast<size_t>(rows), 1);
  int64_t before = maxResidentBytes();
  model->trainStep(x, labels);
  int64_t after = maxResidentBytes();
  fmt::print("{{\"rows\": {}, \"columns\": {}, \"activation\": \"{}\", \"plan_bytes\": {}, \"saved_tensors\": {}, "
             "\"saved_bytes\": {}, \"peak_rss_growth_bytes\": {}}}\n",
             rows, cols, custom.declaration, use.bufferBytes, use.savedTensors, use.savedBytes, after - before);
  return 0;
}

}  // namespace
}  // namespace nnc::bench

int main(int argc, char** argv) {
  nnc::bench::Options options;
  if (!nnc::bench::parseOptions(argc, argv, options)) {
    std::fputs(nnc::bench::kUsage, stderr);
    return 2;
  }
  const std::string& command = options.command;
  if (command == "stream") return nnc::bench::runStream(options);
  if (command == "gemm") return nnc::bench::runGemm(options);
  if (command == "activations") return nnc::bench::runActivations(options);
  if (command == "memory") return nnc::bench::runMemory(options);
  std::fputs(nnc::bench::kUsage, stderr);
  return 2;
}
