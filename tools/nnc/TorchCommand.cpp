// nnc torch: activations of a .nn file as PyTorch operators.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "driver/Program.h"
#include "interop/TorchExtension.h"
#include "support/Spelling.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/Options.h"
#include "tools/nnc/OutputFile.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc torch F.nn -o DIR [--act A,B,...] [--name NAME] [--target-cpu CPU]\n"
    "\n"
    "Writes a PyTorch extension into DIR: each activation of F.nn (or of --act)\n"
    "as an operator torch.ops.NAME.ACT, with nnc's kernels compiled ahead of\n"
    "time for the CPU (forward, and backward recomputing the activation from\n"
    "its input; float32 and float64), an autograd function that saves only the\n"
    "operands, and NAME.py, a module with an nn.Module per activation whose\n"
    "learnable parameters are nn.Parameters, one value per layer or per unit.\n"
    "`import NAME` (with DIR on the path) builds the C++ part against the\n"
    "installed PyTorch on first use. Parameters that are not learnable keep\n"
    "their default values.\n\n";

bool isIdentifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// The activations --act names (default: every one the file defines or
// imports), each once.
std::vector<const frontend::ActivationDef*> chosenActivations(const frontend::Module& module,
                                                              const std::optional<std::string>& wanted,
                                                              const std::string& file, Diagnostics& diags) {
  std::vector<const frontend::ActivationDef*> chosen;
  if (!wanted) {
    for (const frontend::ActivationDef& a : module.activations) chosen.push_back(&a);
    if (chosen.empty()) diags.error(fmt::format("'{}' defines no activation", file));
    return chosen;
  }
  std::vector<std::string> known;
  for (const frontend::ActivationDef& a : module.activations) known.push_back(a.name);
  for (const std::string& name : splitList(*wanted)) {
    const frontend::ActivationDef* a = module.activation(name);
    if (!a) {
      std::string message = fmt::format("--act {}: '{}' defines no activation of that name", name, file);
      if (auto suggestion = closestSpelling(name, known)) message += fmt::format("; did you mean '{}'?", *suggestion);
      diags.error(message);
      continue;
    }
    if (std::find(chosen.begin(), chosen.end(), a) == chosen.end()) chosen.push_back(a);
  }
  if (chosen.empty() && !diags.hasErrors()) diags.error("--act names no activation");
  return chosen;
}

}  // namespace

int runTorch(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  std::vector<OptionSpec> specs{
      {"o", "DIR", "the folder to write the extension into (made if missing)"},
      {"act", "A,B,...", "the activations (default: every one F.nn defines or imports)"},
      {"name", "NAME", "the extension: its Python module and torch.ops.NAME (default: nnc_activations)"},
      {"target-cpu", "CPU", "the CPU to compile the kernels for (default: this machine's)"},
      {"help", "", "show this help"}};
  auto options = parseOptions("torch", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  if (options && options->positional().size() != 1) diags.error("give one .nn file, e.g. nnc torch acts.nn -o ext");
  if (options && !options->get("o")) diags.error("-o DIR is required: the folder for the extension's files");
  std::string name = options ? options->get("name").value_or("nnc_activations") : "";
  if (options && !isIdentifier(name))
    diags.error(fmt::format("--name {}: the extension's name must be a Python and C++ identifier "
                            "(letters, digits and '_', not first a digit)", name));
  if (diags.hasErrors()) return failWith(err, diags);
  const std::string& file = options->positional()[0];
  std::optional<driver::LoadedProgram> loaded = driver::loadProgram(file, diags);
  if (!loaded) return failWith(err, diags);
  interop::TorchExtensionRequest request;
  request.activations = chosenActivations(loaded->program.activations, options->get("act"), file, diags);
  request.name = name;
  request.targetCpu = options->get("target-cpu").value_or("");
  if (diags.hasErrors()) return failWith(err, diags);
  std::optional<interop::TorchExtension> extension = interop::generateTorchExtension(request, diags);
  std::string dir = *options->get("o");
  if (!extension || !makeOutputDirectory("-o", dir, diags)) return failWith(err, diags);
  for (const auto& [fileName, contents] : extension->files)
    if (!writeTextFile(dir + "/" + fileName, contents, diags)) return failWith(err, diags);
  std::vector<std::string> names;
  for (const frontend::ActivationDef* a : request.activations) names.push_back(a->name);
  out << fmt::format("wrote {}/{}.py: torch.ops.{}.{{{}}}\n", dir, name, name, fmt::join(names, ", "));
  return 0;
}

}  // namespace nnc::cli
