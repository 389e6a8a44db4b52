// nnc plot: an activation and its derivatives as an SVG chart.
#include <fmt/format.h>

#include "driver/Checkpoints.h"
#include "driver/ModelChoice.h"
#include "driver/Program.h"
#include "frontend/ModelSema.h"
#include "frontend/Parser.h"
#include "frontend/Sema.h"
#include "plot/Sampling.h"
#include "plot/Scale.h"
#include "plot/SvgChart.h"
#include "support/Spelling.h"
#include "tools/nnc/ActivationChart.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/LearnedActivations.h"
#include "tools/nnc/Options.h"
#include "tools/nnc/OutputFile.h"

namespace nnc::cli {

namespace {

const char* kUsage =
    "usage: nnc plot F.nn --act NAME[,NAME...] [--order N] [--from X] [--to X] -o FILE.svg\n"
    "       nnc plot [F.nn] --formula FORMULA [options]\n"
    "       nnc plot F.nn --weights W.safetensors --layer NAME [--model NAME] [--from X] [--to X] -o FILE.svg\n"
    "\n"
    "Draws each activation and its derivatives up to order N (default 1) over\n"
    "[from, to] (default [-5, 5]) as an SVG chart: one panel per activation,\n"
    "side by side. Parameters take their declared defaults. With --layer, draws\n"
    "that layer's activations as training left them (the learnable parameters of\n"
    "the checkpoint W) beside their initial shape. `-o -` writes the SVG to\n"
    "standard output.\n\n";

std::vector<OptionSpec> plotOptions() {
  return {{"act", "NAMES", "the activations of F.nn to draw, separated by commas (repeatable)", true},
          {"formula", "FORMULA", "draw a formula in x (it may call F.nn's activations; repeatable)", true},
          {"order", "N", "also draw the derivatives up to order N (0 to 4, default 1)"},
          {"from", "X", "left end of the x range (default -5)"},
          {"to", "X", "right end of the x range (default 5)"},
          {"layer", "NAME", "draw this layer's trained activations (with --weights)"},
          {"weights", "W.safetensors", "the checkpoint whose learnable parameters --layer draws"},
          {"model", "NAME", "which model --layer is in (default: the file's only one)"},
          {"o", "FILE", "the SVG file to write (- for standard output)"},
          {"help", "", "show this help"}};
}

// What one panel draws: a name for the title and legend, and its formula
// with every parameter bound.
struct PlotTarget {
  std::string title;
  std::string name;  // in the legend: name(x), name'(x), ...
  std::string variable;
  ir::ExprRef formula;
};

std::vector<std::string> splitNames(const std::vector<std::string>& lists) {
  std::vector<std::string> names;
  for (const std::string& list : lists) {
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = std::min(list.find(',', start), list.size());
      if (comma > start) names.push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return names;
}

std::optional<PlotTarget> activationTarget(const frontend::Module& module, const std::string& file,
                                           const std::string& name, ir::ExprContext& ctx, Diagnostics& diags) {
  const frontend::ActivationDef* def = module.activation(name);
  if (!def) {
    std::vector<std::string> names;
    for (const frontend::ActivationDef& a : module.activations) names.push_back(a.name);
    std::string message = fmt::format("'{}' defines no activation '{}'", file, name);
    if (auto suggestion = closestSpelling(name, names)) message += fmt::format("; did you mean '{}'?", *suggestion);
    diags.error(message);
    return std::nullopt;
  }
  if (!def->otherInputs.empty()) {
    diags.error(fmt::format("'{}' is a gate of {} inputs; nnc plot draws functions of one input", name,
                            def->otherInputs.size() + 1));
    return std::nullopt;
  }
  std::vector<ir::Binding> defaults;
  for (const frontend::ParameterDef& p : def->parameters) defaults.push_back({p.name, ctx.constant(p.defaultValue)});
  return PlotTarget{name, name, def->input, ir::substitute(ctx, def->body, defaults)};
}

std::optional<PlotTarget> formulaTarget(const std::string& text, const frontend::Module* library,
                                        SourceBuffer& source, ir::ExprContext& ctx, Diagnostics& diags) {
  ast::ExprPtr formula = frontend::parseFormula(source, diags);
  if (!formula) return std::nullopt;
  frontend::FormulaResult result = frontend::analyzeFormula(*formula, source, library, "x", ctx, diags);
  if (!result.expr) return std::nullopt;
  for (const frontend::FreeName& f : result.freeNames)
    diags.error(&source, f.range, fmt::format("unknown name '{}': a plotted formula has only the variable x", f.name));
  if (!result.freeNames.empty()) return std::nullopt;
  return PlotTarget{text, "f", "x", frontend::atParameterDefaults(ctx, result)};
}

// --layer: the layer's activations with the checkpoint's parameters.
int plotTrainedLayer(const ParsedOptions& options, double from, double to, std::ostream& out, std::ostream& err,
                     Diagnostics& diags) {
  const std::string& path = options.positional()[0];
  std::optional<driver::LoadedProgram> loaded = driver::loadProgram(path, diags);
  if (!loaded) return failWith(err, diags);
  const frontend::ModelDef* model =
      driver::chooseModel(loaded->program, options.get("model"), fmt::format("'{}'", path), "--model", diags);
  if (!model) return failWith(err, diags);
  std::string name = *options.get("layer");
  const frontend::LayerDef* layer = nullptr;
  std::vector<std::string> names;
  for (const frontend::LayerDef& l : model->layers) {
    names.push_back(l.name);
    if (l.name == name) layer = &l;
  }
  if (!layer) {
    std::string message = fmt::format("model '{}' has no layer '{}'", model->name, name);
    if (auto suggestion = closestSpelling(name, names)) message += fmt::format("; did you mean '{}'?", *suggestion);
    diags.error(message);
    return failWith(err, diags);
  }
  std::string weightsPath = *options.get("weights");
  std::vector<std::string> inputs = driver::programInputs(loaded->program);
  inputs.push_back(weightsPath);
  if (!checkNotAnInput("-o", *options.get("o"), inputs, diags)) return failWith(err, diags);
  std::optional<runtime::Checkpoint> weights =
      runtime::loadCheckpoint(weightsPath, diags, driver::modelTensors(*model));
  if (!weights) return failWith(err, diags);
  std::optional<std::vector<plot::Chart>> charts =
      learnedActivationCharts(*layer, *weights, weightsPath, from, to, diags);
  if (!charts) return failWith(err, diags);
  std::string svg = plot::renderSvg(*charts, std::min<size_t>(charts->size(), 3));
  if (!writeTextFile(*options.get("o"), svg, diags, &out)) return failWith(err, diags);
  return 0;
}

}  // namespace

int runPlot(const Args& args, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  ir::ExprContext ctx;
  std::vector<OptionSpec> specs = plotOptions();
  auto options = parseOptions("plot", specs, args, diags);
  if (options && options->has("help")) {
    out << kUsage << formatOptionsHelp(specs);
    return 0;
  }
  if (!options) return failWith(err, diags);
  long order = 1;
  double from = -5, to = 5;
  if (auto v = options->get("order")) order = parseInteger("order", *v, 0, 4, diags).value_or(1);
  if (auto v = options->get("from")) from = parseReal("--from", *v, diags).value_or(from);
  if (auto v = options->get("to")) to = parseReal("--to", *v, diags).value_or(to);
  if (!(from < to)) diags.error(fmt::format("--from ({}) must be less than --to ({})", from, to));
  else if (std::string problem = plot::xRangeProblem(from, to, plot::kDefaultSamples); !problem.empty())
    diags.error("--from/--to: " + problem);
  std::optional<std::string> output = options->get("o");
  if (!output) diags.error("no output file: give one with -o FILE.svg (or -o - for standard output)");
  std::vector<std::string> activations = splitNames(options->all("act"));
  std::vector<std::string> formulas = options->all("formula");
  const std::vector<std::string>& positional = options->positional();
  if (positional.size() > 1) diags.error("give at most one .nn file; quote a formula and pass it with --formula");
  if (options->get("layer") || options->get("weights")) {
    if (!activations.empty() || !formulas.empty() || options->get("order"))
      diags.error("--layer draws a trained layer's activations; it takes no --act, --formula or --order");
    if (!options->get("layer") || !options->get("weights") || positional.empty())
      diags.error("a trained layer is drawn from F.nn, --weights W.safetensors and --layer NAME together");
    if (diags.hasErrors()) return failWith(err, diags);
    return plotTrainedLayer(*options, from, to, out, err, diags);
  }
  if (activations.empty() && formulas.empty())
    diags.error("nothing to draw: give --act NAME (activations of a .nn file) or --formula FORMULA");
  if (!activations.empty() && positional.empty()) diags.error("--act needs a .nn file to say where it is defined");
  if (diags.hasErrors()) return failWith(err, diags);

  std::optional<frontend::Program> program;
  if (!positional.empty()) {
    program = frontend::analyzeProgram(positional[0], ctx, diags);
    if (!program || diags.hasErrors()) return failWith(err, diags);
  }
  if (program && !checkNotAnInput("-o", *output, driver::programInputs(*program), diags)) return failWith(err, diags);
  std::vector<PlotTarget> targets;
  for (const std::string& name : activations)
    if (auto target = activationTarget(program->activations, positional[0], name, ctx, diags)) targets.push_back(*target);
  std::vector<std::unique_ptr<SourceBuffer>> sources;
  for (const std::string& text : formulas) {
    sources.push_back(std::make_unique<SourceBuffer>("<formula>", text));
    if (auto target = formulaTarget(text, program ? &program->activations : nullptr, *sources.back(), ctx, diags))
      targets.push_back(*target);
  }
  if (diags.hasErrors()) return failWith(err, diags);

  std::string error;
  std::unique_ptr<backend::FormulaJIT> jit = backend::FormulaJIT::create(error);
  if (!jit) {
    diags.error(error);
    return failWith(err, diags);
  }
  std::vector<plot::Chart> charts;
  for (const PlotTarget& target : targets) {
    std::optional<FormulaKernel> kernel =
        FormulaKernel::compile(*jit, ctx, target.formula, target.variable, static_cast<int>(order), error);
    if (!kernel) {
      diags.error(fmt::format("cannot plot '{}': {}", target.title, error));
      return failWith(err, diags);
    }
    charts.push_back(activationChart(*kernel, target.name, target.variable, from, to));
    charts.back().title = target.title;
  }
  std::string svg = plot::renderSvg(charts, std::min<size_t>(charts.size(), 3));
  if (!writeTextFile(*output, svg, diags, &out)) return failWith(err, diags);
  return 0;
}

}  // namespace nnc::cli
