#include "tools/nnc/ReplSession.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <fmt/format.h>

#include "driver/Program.h"
#include "frontend/Parser.h"
#include "frontend/Sema.h"
#include "ir/Diff.h"
#include "ir/Printer.h"
#include "plot/Sampling.h"
#include "plot/Scale.h"
#include "plot/SvgChart.h"
#include "plot/TerminalChart.h"
#include "support/Spelling.h"
#include "tools/nnc/ActivationChart.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/ExprDump.h"
#include "tools/nnc/NumberFormat.h"
#include "tools/nnc/Options.h"
#include "tools/nnc/OutputFile.h"
#include "tools/nnc/ReplEntry.h"

namespace nnc::cli {

struct ReplSession::Command {
  const char* name;
  const char* arguments;
  const char* help;
  void (ReplSession::*run)(const std::vector<std::string>&);
};

const std::vector<ReplSession::Command>& ReplSession::commands() {
  static const std::vector<Command> kCommands = {
      {"grad", "NAME [ORDER]", "the simplified derivative of an activation (order 1 to 8, default 1)", &ReplSession::grad},
      {"plot", "NAME [FROM TO] [--svg FILE]",
       "draw the activation and its derivative (default on [-5, 5]); --svg writes an SVG file", &ReplSession::plot},
      {"ir", "NAME", "the Expr IR of the activation and its derivative, as the kernel computes them", &ReplSession::ir},
      {"llvm", "NAME", "the optimised LLVM IR of the activation's kernel", &ReplSession::llvm},
      {"load", "FILE.nn", "load a file's activations and models", &ReplSession::load},
      {"train", "[EPOCHS] [OPTIONS]", "train the loaded file's model as `nnc train FILE.nn` does", &ReplSession::train},
      {"check", "", "run the lints over the loaded file's models", &ReplSession::check},
      {"list", "", "the activations defined so far", &ReplSession::list},
      {"help", "", "this help", &ReplSession::help},
      {"quit", "", "leave (so does end of input, Ctrl-D)", nullptr},
  };
  return kCommands;
}

namespace {

constexpr int kMaxGradOrder = 8;
constexpr uint32_t kMaxPrintedNodes = 200'000;

std::vector<std::string> splitWords(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::string trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

// The identifier an entry starts with (a command's name after its ':').
std::string firstWord(const std::string& text) {
  size_t end = 0;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) ++end;
  return text.substr(0, end);
}

// Blank lines and comments only: nothing to do (a script's comments).
bool onlyComments(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    line = trim(line);
    if (!line.empty() && line[0] != '#' && line.rfind("//", 0) != 0) return false;
  }
  return true;
}


// "swish(x; learnable beta = 1)"
std::string signature(const frontend::ActivationDef& def) {
  std::string text = def.name + "(" + def.input;
  for (const std::string& other : def.otherInputs) text += ", " + other;
  for (size_t i = 0; i < def.parameters.size(); ++i) {
    const frontend::ParameterDef& p = def.parameters[i];
    text += fmt::format("{}{}{} = {}", i ? ", " : "; ", p.learnable ? "learnable " : "", p.name,
                        ir::printNumber(p.defaultValue));
  }
  return text + ")";
}

}  // namespace

ReplSession::ReplSession(std::ostream& out, std::ostream& err)
    : out_(out), err_(err), ctx_(std::make_unique<ir::ExprContext>()) {}

ReplSession::~ReplSession() = default;

void ReplSession::report() {
  out_ << std::flush;  // keep the order of results and errors when both go to one pipe
  err_ << diags_.render() << std::flush;
  diags_.clear();
}

backend::FormulaJIT* ReplSession::jit() {
  if (!jit_) {
    std::string error;
    jit_ = backend::FormulaJIT::create(error);
    if (!jit_) diags_.error(error);
  }
  return jit_.get();
}

bool ReplSession::handle(const std::string& entry) {
  std::string text = trim(entry);
  if (onlyComments(text)) return true;
  if (text[0] == ':') {
    std::string name = firstWord(text.substr(1));
    if (name == "quit" || name == "q" || name == "exit") return false;
  }
  if (text[0] == ':') command(text);
  else if (isDeclaration(text)) declare(text);
  else evaluate(text);
  report();
  out_ << std::flush;
  return true;
}

// ---- Completeness and completion -------------------------------------------

bool ReplSession::isComplete(const std::string& text) {
  ReplEntry entry;
  entry.addLine(text);
  return entry.complete();
}

std::vector<std::string> ReplSession::completions(const std::string& line, const std::string& word) const {
  std::vector<std::string> candidates;
  bool lineStart = trim(line).empty();
  if (lineStart && !word.empty() && word[0] == ':') {
    for (const Command& c : commands()) candidates.push_back(std::string(":") + c.name);
  } else {
    for (const frontend::ActivationDef& a : module_.activations) candidates.push_back(a.name);
    // After a command only activation names make sense.
    if (trim(line).empty() || trim(line)[0] != ':') {
      for (const ir::OpInfo* op : ir::functionOps()) candidates.push_back(op->spelling);
      candidates.push_back("pi");
      if (lineStart) candidates.insert(candidates.end(), kReplKeywords.begin(), kReplKeywords.end());
    }
  }
  std::vector<std::string> matches;
  for (const std::string& c : candidates)
    if (c.compare(0, word.size(), word) == 0 && std::find(matches.begin(), matches.end(), c) == matches.end())
      matches.push_back(c);
  std::sort(matches.begin(), matches.end());
  return matches;
}

// ---- Declarations and expressions ------------------------------------------

void ReplSession::declare(const std::string& text) {
  SourceBuffer source("<repl>", text);
  std::optional<ast::File> file = frontend::parseFile(source, diags_);
  if (!file) return;
  if (!file->models.empty() || !file->trainings.empty() || !file->imports.empty()) {
    diags_.error("only activations can be declared here: put models, training and imports in a .nn file and "
                 ":load it");
    return;
  }
  frontend::Module declared = frontend::analyzeFile(*file, source, module_, *ctx_, diags_);
  for (const frontend::ActivationDef& def : declared.activations) {
    bool redefined = module_.activation(def.name) != nullptr;
    if (define(def)) out_ << (redefined ? "redefined " : "defined ") << signature(def) << "\n";
  }
}

bool ReplSession::define(const frontend::ActivationDef& def) {
  backend::FormulaJIT* compiler = jit();
  if (!compiler) return false;
  // A gate of several inputs is only called (inlined) by formulas: it has
  // no kernel of one variable to plot or dump.
  if (!def.otherInputs.empty()) {
    kernels_.erase(def.name);
    remember(def);
    return true;
  }
  std::vector<ir::Binding> defaults;
  for (const frontend::ParameterDef& p : def.parameters) defaults.push_back({p.name, ctx_->constant(p.defaultValue)});
  std::string error;
  std::optional<FormulaKernel> kernel =
      FormulaKernel::compile(*compiler, *ctx_, ir::substitute(*ctx_, def.body, defaults), def.input, 1, error);
  if (!kernel) {
    diags_.error(fmt::format("cannot compile '{}': {}", def.name, error));
    return false;
  }
  kernels_.insert_or_assign(def.name, std::move(*kernel));
  remember(def);
  return true;
}

void ReplSession::remember(const frontend::ActivationDef& def) {
  auto existing = std::find_if(module_.activations.begin(), module_.activations.end(),
                               [&](const frontend::ActivationDef& a) { return a.name == def.name; });
  if (existing != module_.activations.end()) *existing = def;
  else module_.activations.push_back(def);
}

const FormulaKernel* ReplSession::kernelOf(const frontend::ActivationDef& def) {
  auto found = kernels_.find(def.name);
  if (found != kernels_.end()) return &found->second;
  diags_.error(fmt::format("'{}' is a gate of {} inputs; :plot, :ir and :llvm take activations of one input",
                           def.name, def.otherInputs.size() + 1));
  return nullptr;
}

void ReplSession::evaluate(const std::string& text) {
  SourceBuffer source("<repl>", text);
  ast::ExprPtr formula = frontend::parseFormula(source, diags_);
  if (!formula) return;
  // No variable: every name must be a constant, a function or an activation.
  frontend::FormulaResult result = frontend::analyzeFormula(*formula, source, &module_, "", *ctx_, diags_);
  if (!result.expr) return;
  for (const frontend::FreeName& f : result.freeNames) {
    std::vector<std::string> names{"pi"};
    for (const frontend::ActivationDef& a : module_.activations) names.push_back(a.name);
    std::string message = fmt::format("unknown name '{}'", f.name);
    if (auto suggestion = closestSpelling(f.name, names)) message += fmt::format("; did you mean '{}'?", *suggestion);
    else if (f.name == "x")
      message += "; an expression here is evaluated, it has no variable: define a function with "
                 "`activation f(x) = ...;`";
    diags_.error(&source, f.range, message);
  }
  if (!result.freeNames.empty()) return;
  backend::FormulaJIT* compiler = jit();
  if (!compiler) return;
  // Compiled and run like a definition: a kernel of one output, at one point.
  std::string error;
  std::optional<FormulaKernel> kernel =
      FormulaKernel::compile(*compiler, *ctx_, frontend::atParameterDefaults(*ctx_, result), "x", 0, error);
  if (!kernel) {
    diags_.error(error);
    return;
  }
  out_ << formatNumber(kernel->evaluate(0.0)) << "\n";
}

// ---- Commands ---------------------------------------------------------------

void ReplSession::command(const std::string& text) {
  std::vector<std::string> words = splitWords(text.substr(1));
  if (words.empty()) {
    diags_.error("a command name must follow ':'; :help lists them");
    return;
  }
  std::string name = words[0];
  words.erase(words.begin());
  std::vector<std::string> names;
  for (const Command& c : commands()) {
    if (name == c.name) return (this->*c.run)(words);
    names.push_back(c.name);
  }
  std::string message = fmt::format("unknown command ':{}'", name);
  if (auto suggestion = closestSpelling(name, names)) message += fmt::format("; did you mean ':{}'?", *suggestion);
  diags_.error(message + " (:help lists the commands)");
}

const frontend::ActivationDef* ReplSession::activationNamed(const std::string& name) {
  if (const frontend::ActivationDef* def = module_.activation(name)) return def;
  std::vector<std::string> names;
  for (const frontend::ActivationDef& a : module_.activations) names.push_back(a.name);
  std::string message = fmt::format("no activation '{}'", name);
  if (auto suggestion = closestSpelling(name, names)) message += fmt::format("; did you mean '{}'?", *suggestion);
  else if (ir::functionNamed(name))
    message += fmt::format("; '{}' is a built-in function: define `activation {}(x) = {}(x);` to use it here", name,
                           name, name);
  else if (names.empty()) message += " (none is defined yet: `activation f(x) = ...;` or :load a file)";
  diags_.error(message);
  return nullptr;
}

void ReplSession::grad(const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) {
    diags_.error("usage: :grad NAME [ORDER]");
    return;
  }
  const frontend::ActivationDef* def = activationNamed(args[0]);
  long order = 1;
  if (args.size() == 2) order = parseInteger("order", args[1], 1, kMaxGradOrder, diags_).value_or(0);
  if (!def || order == 0) return;
  // Parameters stay symbolic, as with `nnc grad --act`; a gate is derived
  // in each of its inputs, a line each.
  std::vector<std::string> variables{def->input};
  variables.insert(variables.end(), def->otherInputs.begin(), def->otherInputs.end());
  for (const std::string& variable : variables) {
    ir::Derivatives result = ir::derivatives(*ctx_, def->body, variable, static_cast<int>(order));
    if (!result.error.empty()) {
      diags_.error(result.error);
      return;
    }
    if (result.orders.back()->treeSize() > kMaxPrintedNodes) {
      diags_.error(fmt::format("the derivative of order {} has more than {} nodes when written out; too large to "
                               "print",
                               order, kMaxPrintedNodes));
      return;
    }
    std::string label = variables.size() == 1 ? derivativeLabel(def->name, variable, static_cast<size_t>(order))
                                              : order == 1 ? fmt::format("d/d{} {}", variable, def->name)
                                                           : fmt::format("d^{}/d{}^{} {}", order, variable, order, def->name);
    out_ << label << " = " << ir::print(result.orders.back()) << "\n";
  }
}

void ReplSession::plot(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  std::optional<std::string> svgPath;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--svg" && i + 1 < args.size()) svgPath = args[++i];
    else if (args[i] == "--svg") diags_.error("--svg needs a file name");
    else positional.push_back(args[i]);
  }
  if (positional.size() != 1 && positional.size() != 3) diags_.error("usage: :plot NAME [FROM TO] [--svg FILE]");
  if (diags_.hasErrors()) return;
  double from = -5, to = 5;
  if (positional.size() == 3) {
    from = parseReal("FROM", positional[1], diags_).value_or(0);
    to = parseReal("TO", positional[2], diags_).value_or(0);
    if (!diags_.hasErrors() && !(from < to)) diags_.error(fmt::format("FROM ({}) must be less than TO ({})", from, to));
    else if (std::string problem = plot::xRangeProblem(from, to, plot::kDefaultSamples);
             !diags_.hasErrors() && !problem.empty())
      diags_.error("FROM/TO: " + problem);
  }
  const frontend::ActivationDef* def = activationNamed(positional[0]);
  if (!def || diags_.hasErrors()) return;
  const FormulaKernel* kernel = kernelOf(*def);
  if (!kernel) return;
  plot::Chart chart = activationChart(*kernel, def->name, def->input, from, to);
  if (!svgPath) {
    chart.title = fmt::format("{} on [{}, {}]", def->name, from, to);
    out_ << plot::renderTerminal(chart);
    return;
  }
  if (writeTextFile(*svgPath, plot::renderSvg({chart}), diags_)) out_ << "wrote " << *svgPath << "\n";
}

void ReplSession::ir(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    diags_.error("usage: :ir NAME");
    return;
  }
  const frontend::ActivationDef* def = activationNamed(args[0]);
  const FormulaKernel* kernel = def ? kernelOf(*def) : nullptr;
  if (!kernel) return;
  out_ << "; " << signature(*def) << ", parameters at their defaults\n"
       << dumpExprDag(kernel->outputs(),
                      {derivativeLabel(def->name, def->input, 0), derivativeLabel(def->name, def->input, 1)});
}

void ReplSession::llvm(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    diags_.error("usage: :llvm NAME");
    return;
  }
  if (const frontend::ActivationDef* def = activationNamed(args[0]))
    if (const FormulaKernel* kernel = kernelOf(*def)) out_ << kernel->kernel().llvmIR();
}

void ReplSession::load(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    diags_.error("usage: :load FILE.nn");
    return;
  }
  std::optional<driver::LoadedProgram> loaded = driver::loadProgram(args[0], diags_);
  if (!loaded) return;
  // The file's Exprs live in its own context: bring its activations into the session's.
  std::vector<std::string> names;
  for (frontend::ActivationDef def : loaded->program.activations.activations) {
    def.body = ir::copyInto(*ctx_, def.body);
    if (!define(def)) return;
    names.push_back(def.name);
  }
  std::vector<std::string> models;
  for (const frontend::ModelDef& m : loaded->program.models) models.push_back(m.name);
  loadedPath_ = args[0];
  out_ << fmt::format("loaded {}: {} activation{}, {} model{}{}\n", args[0], names.size(), names.size() == 1 ? "" : "s",
                      models.size(), models.size() == 1 ? "" : "s",
                      models.empty() ? "" : fmt::format(" ({})", fmt::join(models, ", ")));
}

void ReplSession::train(const std::vector<std::string>& args) {
  if (!loadedPath_) {
    diags_.error("no file loaded: :load FILE.nn first (its `train` declaration says what to train)");
    return;
  }
  // The same as `nnc train FILE [--epochs N] [OPTIONS]`, on the file as it is now.
  Args trainArgs{*loadedPath_};
  size_t first = 0;
  if (!args.empty() && !args[0].empty() && std::isdigit(static_cast<unsigned char>(args[0][0]))) {
    trainArgs.insert(trainArgs.end(), {"--epochs", args[0]});
    first = 1;
  }
  trainArgs.insert(trainArgs.end(), args.begin() + static_cast<long>(first), args.end());
  out_ << std::flush;
  runTrain(trainArgs, out_, err_);
}

void ReplSession::check(const std::vector<std::string>& args) {
  if (!loadedPath_) {
    diags_.error("no file loaded: :load FILE.nn first");
    return;
  }
  Args checkArgs{*loadedPath_};
  checkArgs.insert(checkArgs.end(), args.begin(), args.end());
  out_ << std::flush;
  runCheck(checkArgs, out_, err_);
}

void ReplSession::list(const std::vector<std::string>&) {
  if (module_.activations.empty()) out_ << "no activations yet\n";
  for (const frontend::ActivationDef& def : module_.activations)
    out_ << signature(def) << " = " << ir::print(def.body) << "\n";
}

void ReplSession::help(const std::vector<std::string>&) {
  out_ << "Enter a declaration, an expression or a command:\n"
          "  activation f(x) = x * sigmoid(x);   define (or redefine) an activation; it may call earlier ones\n"
          "  f(1.5) * 2                         evaluate an expression\n"
          "A declaration continues over several lines until its `;`. Tab completes names.\n\n"
          "Commands:\n";
  for (const Command& c : commands())
    out_ << fmt::format("  :{:<34} {}\n", fmt::format("{} {}", c.name, c.arguments), c.help);
}

}  // namespace nnc::cli
