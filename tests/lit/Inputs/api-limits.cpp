// For api-limits.test: the library checks training numbers as float32 uses
// them, and compiles on a stack of its own, whatever the caller's.
#include <pthread.h>

#include <cmath>
#include <cstdio>
#include <string>
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

// An activation nested 199 deep (the parser allows 200), compiled from a
// thread with a 256 KB stack: it overflowed that stack.
void* compileDeepFormula(void* result) {
  std::string body = "x";
  for (int i = 0; i < 198; ++i) body = "(" + body + " + 1)";
  std::string text = "activation deep(x) = " + body + ";\nmodel m { input 2; dense out(2, deep); loss mse; }\n";
  nnc::CompileResult compiled = nnc::Model::compileString(text, "deep.nn");
  *static_cast<std::string*>(result) = compiled.model ? "compiled" : compiled.status.text();
  return nullptr;
}

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

  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, 256 * 1024);
  pthread_t thread;
  std::string deep;
  if (pthread_create(&thread, &attributes, compileDeepFormula, &deep) != 0) return 1;
  pthread_join(thread, nullptr);
  std::printf("199 deep on a 256 KB stack: %s\n", deep.c_str());
  return 0;
}
