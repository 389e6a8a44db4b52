#include "tools/nnc/ModelCommand.h"

#include "tools/nnc/CompilerFlags.h"

namespace nnc::cli {

std::vector<OptionSpec> modelOptions() {
  std::vector<OptionSpec> specs = {
      {"weights", "W.safetensors", "the parameters (a checkpoint from nnc train --save, or PyTorch's names)"},
      {"data", "D.csv", "samples, laid out as the model's training CSV (its label column where `label =` says)"},
      {"model", "NAME", "which model of the file (default: its only one)"},
  };
  for (OptionSpec& spec : compilerOptions()) specs.push_back(std::move(spec));
  specs.push_back({"help", "", "show this help"});
  return specs;
}

std::optional<driver::ReadyModel> prepareModel(const ParsedOptions& options, bool training, DataRule data,
                                               Diagnostics& diags, std::ostream& log) {
  std::optional<driver::CompilerSettings> settings = parseCompilerFlags(options, diags, training);
  if (options.positional().size() != 1) diags.error("give one .nn file");
  if (!options.get("weights")) diags.error("--weights is required");
  if (!options.get("data") && data != DataRule::Optional) diags.error("--data is required");
  if (!settings || diags.hasErrors()) return std::nullopt;
  settings->pipeline.foldLinear = options.has("fold-linear");
  driver::InferenceRequest request{options.positional()[0], options.get("model"), *options.get("weights"),
                                   options.get("data"), *settings, data == DataRule::MayBeUnlabelled};
  return driver::prepareInference(request, diags, log);
}

}  // namespace nnc::cli
