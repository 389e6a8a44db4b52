// XOR with one neuron of a custom activation, trained through nnc's C++
// library: compile a model from a string, run training steps on our own
// data, predict from several threads, and save a checkpoint.
#include <cstdio>
#include <thread>
#include <vector>

#include <nnc/nnc.h>

namespace {

// ncu(z) = z - z^3 is positive for 0 < z < 1 and negative for z > 1, so one
// unit can tell 01 and 10 (z near 0.7) from 00 (z < 0) and 11 (z near 1.9).
const char* kModel = R"(
activation ncu(x) = x - x^3;
model xor {
  input 2;
  dense neuron(1, ncu);
  loss bce_with_logits;
}
)";

}  // namespace

int main(int argc, char** argv) {
  nnc::CompileOptions options;
  options.learningRate = 0.1;  // Adam's
  options.seed = 2;            // seed 1 starts next to the saddle at w = 0, where the loss is log 2
  nnc::CompileResult compiled = nnc::Model::compileString(kModel, "xor.nn", options);
  if (!compiled.model) {
    std::fputs(compiled.status.text().c_str(), stderr);
    return 1;
  }
  nnc::Model& model = *compiled.model;
  std::printf("model %s: %lld inputs, %lld output, parameters:", model.name().c_str(),
              static_cast<long long>(model.inputSize()), static_cast<long long>(model.outputSize()));
  for (const nnc::ParameterInfo& p : model.parameters()) std::printf(" %s", p.name.c_str());
  std::printf("\n");

  const std::vector<float> inputs = {0, 0, 0, 1, 1, 0, 1, 1};
  const std::vector<int32_t> labels = {0, 1, 1, 0};
  double loss = 0;
  for (int step = 0; step < 800; ++step) {
    if (nnc::Status s = model.trainStep(inputs, labels, &loss); !s) {
      std::fputs(s.text().c_str(), stderr);
      return 1;
    }
  }
  std::printf("loss after 800 steps: %.4f\n", loss);

  // Inference from four threads at once, each with its own output.
  std::vector<std::vector<float>> outputs(4, std::vector<float>(4));
  std::vector<std::thread> threads;
  for (auto& out : outputs) threads.emplace_back([&model, &inputs, &out] { (void)model.predict(inputs, out); });
  for (std::thread& t : threads) t.join();
  int correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) correct += (outputs[0][i] > 0) == (labels[i] == 1);
  bool agree = outputs[0] == outputs[1] && outputs[0] == outputs[2] && outputs[0] == outputs[3];
  std::printf("logits %.3f %.3f %.3f %.3f: %d of 4 right; the 4 threads %s\n", outputs[0][0], outputs[0][1],
              outputs[0][2], outputs[0][3], correct, agree ? "agree" : "DISAGREE");

  // Errors are values: a wrong-sized buffer is refused, nothing crashes.
  std::vector<float> tooSmall(3);
  nnc::Status refused = model.predict(inputs, tooSmall);
  std::printf("%s", refused.text().c_str());

  if (argc > 1) {
    if (nnc::Status s = model.save(argv[1]); !s) {
      std::fputs(s.text().c_str(), stderr);
      return 1;
    }
    std::printf("saved %s\n", argv[1]);
  }
  return correct == 4 && agree ? 0 : 1;
}
