#pragma once
// The REPL's state and commands, apart from the terminal (LineEditor.h):
// it takes complete entries and writes results to `out`, diagnostics to
// `err`. As in LLVM's Kaleidoscope, every definition is JIT-compiled when
// it is entered and every expression is compiled and run.
//
//   activation f(x) = ...;     define (or redefine) an activation
//   f(1.5) * 2                 evaluate an expression
//   :grad f 2, :plot f -3 3    commands (see kCommands in ReplSession.cpp)
//
// An error is reported and the session goes on.
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "backend/FormulaJIT.h"
#include "frontend/Module.h"
#include "support/Diagnostics.h"
#include "tools/nnc/FormulaKernel.h"

namespace nnc::cli {

class ReplSession {
public:
  ReplSession(std::ostream& out, std::ostream& err);
  ~ReplSession();

  // Handles one entry; false when it asks to end the session (:quit).
  bool handle(const std::string& entry);

  // Whether `text` is a whole entry (ReplEntry::complete()).
  static bool isComplete(const std::string& text);

  // What `word` may complete to: commands after ':', otherwise activations,
  // built-in functions and keywords. `line` is the text before the word.
  std::vector<std::string> completions(const std::string& line, const std::string& word) const;

private:
  struct Command;
  static const std::vector<Command>& commands();

  void declare(const std::string& text);
  void evaluate(const std::string& text);
  void command(const std::string& text);
  // Adds or replaces an activation and compiles it (a gate, only added);
  // false after an error.
  bool define(const frontend::ActivationDef& def);
  void remember(const frontend::ActivationDef& def);  // adds or replaces it in module_
  // The activation's kernel; null, with an error, for a gate.
  const FormulaKernel* kernelOf(const frontend::ActivationDef& def);
  const frontend::ActivationDef* activationNamed(const std::string& name);
  backend::FormulaJIT* jit();
  void report();  // prints and clears the diagnostics

  void grad(const std::vector<std::string>& args);
  void plot(const std::vector<std::string>& args);
  void ir(const std::vector<std::string>& args);
  void llvm(const std::vector<std::string>& args);
  void load(const std::vector<std::string>& args);
  void train(const std::vector<std::string>& args);
  void check(const std::vector<std::string>& args);
  void list(const std::vector<std::string>& args);
  void help(const std::vector<std::string>& args);

  std::ostream& out_;
  std::ostream& err_;
  Diagnostics diags_;
  std::unique_ptr<ir::ExprContext> ctx_;
  std::unique_ptr<backend::FormulaJIT> jit_;
  frontend::Module module_;
  // Each activation's kernel: f and f' with parameters at their defaults
  // (gates have none).
  std::map<std::string, FormulaKernel> kernels_;
  std::optional<std::string> loadedPath_;  // the file of :load, for :train and :check
};

}  // namespace nnc::cli
