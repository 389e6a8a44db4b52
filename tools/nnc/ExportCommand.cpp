// nnc export: a model as ONNX, for ONNX Runtime and the servers on it.
#include <cstdint>

#include <fmt/format.h>

#include "driver/Export.h"
#include "driver/Program.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/CompilerFlags.h"
#include "tools/nnc/Options.h"
#include "tools/nnc/OutputFile.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc export F.nn -o MODEL.onnx [--weights W.safetensors | --seed N] [--model NAME] [--onnx-functions]\n"
    "       nnc export F.nn --emit=onnx-text [-o FILE] ...\n"
    "\n"
    "Writes the model's forward graph as an ONNX model (opset 17): its input,\n"
    "its prediction (what nnc predict prints as raw outputs), and its\n"
    "parameters as initializers, the trained ones of --weights, else the\n"
    "initial ones its seed draws. Formulas become primitive ONNX ops that\n"
    "compute nnc's definitions; with --onnx-functions each activation is a\n"
    "function of the `nnc` domain instead. The model passes ONNX's checker\n"
    "and shape inference before it is written. --emit=onnx-text prints ONNX's\n"
    "text form (to standard output without -o).\n\n";

}  // namespace

int runExport(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs{
      {"o", "FILE", "where to write the model ('-': standard output, for --emit=onnx-text)"},
      {"emit", "KIND", "onnx (the binary model, default) or onnx-text"},
      {"weights", "W.safetensors", "the trained parameters (default: the initial ones)"},
      {"seed", "N", "without --weights: the seed that draws the initial parameters (default: the train declaration's)"},
      {"model", "NAME", "which model of the file (default: its only one)"},
      {"onnx-functions", "", "each activation as an ONNX function (domain nnc) rather than inlined ops"}};
  // The graph is exported as built (ONNX Runtime optimises it): of the
  // compiler flags, only the lints' apply.
  for (OptionSpec& spec : warningOptions()) specs.push_back(std::move(spec));
  specs.push_back({"help", "", "show this help"});
  auto options = parseOptions("export", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  std::optional<driver::CompilerSettings> flags;
  if (options) flags = parseCompilerFlags(*options, diags, false);
  if (options && options->positional().size() != 1) diags.error("give one .nn file, e.g. nnc export model.nn -o model.onnx");
  std::string emit = options ? options->get("emit").value_or("onnx") : "";
  if (options && emit != "onnx" && emit != "onnx-text")
    diags.error(fmt::format("unknown --emit={}; use onnx or onnx-text", emit));
  std::optional<std::string> outPath = options ? options->get("o") : std::nullopt;
  if (options && emit == "onnx" && (!outPath || *outPath == "-"))
    diags.error("the binary ONNX model needs -o FILE (--emit=onnx-text prints the text form)");
  std::optional<uint64_t> seed;
  if (options && options->get("seed")) {
    if (options->get("weights")) diags.error("--seed draws initial parameters; it cannot go with --weights");
    if (std::optional<long> value = parseInteger("seed", *options->get("seed"), 0, INT64_MAX, diags))
      seed = static_cast<uint64_t>(*value);
  }
  if (diags.hasErrors()) return failWith(err, diags);

  driver::ExportRequest request{options->positional()[0], options->get("model"), options->get("weights"), seed,
                                *flags, options->has("onnx-functions"), NNC_VERSION};
  if (outPath) {
    std::vector<std::string> inputs{request.programPath};
    if (request.weightsPath) inputs.push_back(*request.weightsPath);
    if (!checkNotAnInput("-o", *outPath, inputs, diags)) return failWith(err, diags);
  }
  std::optional<onnx::ModelProto> model = driver::exportModel(request, diags, err);
  if (!model) return failWith(err, diags);
  printWarnings(err, diags);
  if (emit == "onnx-text") {
    std::string text = interop::onnxText(*model);
    if (!outPath) {
      out << text;
      return 0;
    }
    return writeTextFile(*outPath, text, diags, &out) ? 0 : failWith(err, diags);
  }
  return writeTextFile(*outPath, model->SerializeAsString(), diags) ? 0 : failWith(err, diags);
}

}  // namespace nnc::cli
