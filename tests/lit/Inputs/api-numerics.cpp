// For api-numerics.test: the library refuses learning rates float32 cannot
// hold, and a training step whose update overflows the parameters fails.
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include <nnc/nnc.h>

namespace {

const char* kModel = R"(
model lin {
  input 2;
  dense out(2);
  loss cross_entropy;
}
)";

}  // namespace

int main() {
  for (double rate : {std::nan(""), -1.0, 1e-320, 1e39}) {
    nnc::CompileOptions options;
    options.learningRate = rate;
    nnc::CompileResult compiled = nnc::Model::compileString(kModel, "lin.nn", options);
    std::printf("learningRate %g: %s", rate, compiled.model ? "compiled\n" : compiled.status.text().c_str());
  }
  nnc::CompileOptions options;
  options.learningRate = 3e38;  // holds in float32, and overflows the first update
  nnc::CompileResult compiled = nnc::Model::compileString(kModel, "lin.nn", options);
  if (!compiled.model) return 1;
  const std::vector<float> inputs = {0, 1, 1, 0, 1, 1, 0, 0};
  const std::vector<int32_t> labels = {0, 1, 1, 0};
  for (int step = 1; step <= 3; ++step) {
    nnc::Status s = compiled.model->trainStep(inputs, labels);
    std::printf("step %d: %s", step, s ? "ok\n" : s.text().c_str());
    if (!s) break;
  }
  return 0;
}
