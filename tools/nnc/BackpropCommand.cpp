// nnc backprop: the loss and every parameter's gradient for one batch, to
// check a model (a custom activation) against another framework.
#include <fmt/format.h>

#include "driver/Program.h"
#include "runtime/Checkpoint.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/ModelCommand.h"
#include "tools/nnc/OutputFile.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc backprop F.nn --weights W.safetensors --data D.csv --out G.safetensors [--model NAME]\n"
    "\n"
    "Runs the samples of D.csv as one batch: prints the mean loss and writes the\n"
    "gradient of every parameter to G.safetensors, under the weights' names.\n\n";

}  // namespace

int runBackprop(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs = modelOptions();
  specs.insert(specs.end() - 1, {"out", "G.safetensors", "where to write the gradients"});
  auto options = parseOptions("backprop", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  if (options && !options->get("out")) diags.error("--out is required");
  std::optional<driver::ReadyModel> ready;
  if (options && !diags.hasErrors()) ready = prepareModel(*options, true, DataRule::Labelled, diags, err);
  if (!ready) {
    return failWith(err, diags);
  }
  std::vector<std::string> inputs = driver::programInputs(ready->loaded.program);
  inputs.push_back(*options->get("weights"));
  inputs.push_back(*options->get("data"));
  if (!checkNotAnInput("--out", *options->get("out"), inputs, diags)) return failWith(err, diags);
  printWarnings(err, diags);
  const runtime::Dataset& data = ready->data;
  double loss = ready->native.model->trainStep(data.features, data.hasTargets() ? runtime::BatchTargets(data.targets)
                                                                         : runtime::BatchTargets(data.labels));
  runtime::Checkpoint gradients;
  for (const runtime::ParameterRef& p : ready->native.model->parameters()) gradients.tensors.push_back({p.name, *p.gradient});
  gradients.metadata["content"] = "gradients";
  gradients.metadata["loss"] = fmt::format("{:.9g}", loss);
  if (!runtime::saveCheckpoint(*options->get("out"), gradients, diags)) {
    return failWith(err, diags);
  }
  out << fmt::format("loss {:.9g}\n", loss);
  return 0;
}

}  // namespace nnc::cli
