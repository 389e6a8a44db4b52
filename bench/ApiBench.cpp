// nnc_api_bench: what a program embedding nnc (include/nnc/nnc.h) sees.
// Prints one JSON object:
//   compile_ms:  Model::compileFile of the model (parse, checks, passes with
//                autodiff, JIT of the forward and backward loops), the
//                first call in the process and the median of the next ones;
//   predict_us:  Model::predict of one sample (or of --batch samples), median
//                of 100 * runs single calls.
//
//   nnc_api_bench [--model F.nn] [--runs R] [--batch B]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "nnc/nnc.h"

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = NNC_EXAMPLES_DIR "/fashion_mlp.nn";
  int runs = 11, batch = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--model") path = argv[i + 1];
    else if (arg == "--runs") runs = std::max(1, std::atoi(argv[i + 1]));
    else if (arg == "--batch") batch = std::max(1, std::atoi(argv[i + 1]));
    else {
      std::fputs("usage: nnc_api_bench [--model F.nn] [--runs R] [--batch B]\n", stderr);
      return 2;
    }
  }

  auto start = std::chrono::steady_clock::now();
  nnc::CompileResult compiled = nnc::Model::compileFile(path);
  double firstCompile = secondsSince(start);
  if (!compiled.model) {
    std::fputs(compiled.status.text().c_str(), stderr);
    return 1;
  }
  std::vector<double> compiles;
  for (int i = 0; i < std::min(runs, 5); ++i) {
    start = std::chrono::steady_clock::now();
    nnc::CompileResult again = nnc::Model::compileFile(path);
    compiles.push_back(secondsSince(start));
  }

  nnc::Model& model = *compiled.model;
  std::vector<float> input(static_cast<size_t>(batch * model.inputSize())),
      output(static_cast<size_t>(batch * model.outputSize()));
  std::mt19937 random(1);
  std::uniform_real_distribution<float> pixel(0, 1);
  for (float& v : input) v = pixel(random);
  // The median of single calls (a median of batches of calls would be
  // dragged up by the OS preempting the process, on a loaded machine).
  std::vector<double> latencies;
  for (int i = 0; i < 100 * runs + 100; ++i) {
    start = std::chrono::steady_clock::now();
    if (!model.predict(input, output)) return 1;
    if (i >= 100) latencies.push_back(secondsSince(start));  // after 100 warm-up calls
  }
  std::printf("{\"model\": \"%s\", \"runs\": %d, \"batch\": %d, \"first_compile_ms\": %.2f, \"compile_ms\": %.2f, "
              "\"predict_us\": %.3f}\n",
              model.name().c_str(), runs, batch, firstCompile * 1e3, median(compiles) * 1e3, median(latencies) * 1e6);
  return 0;
}
