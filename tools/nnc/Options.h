#pragma once
// A small command-line parser: `--name=value`, `--name value`, flags, and
// positional arguments, with errors for unknown options.
#include <map>
#include <ostream>
#include <optional>
#include <string>
#include <vector>

#include "support/Diagnostics.h"

namespace nnc::cli {

struct OptionSpec {
  std::string name;         // without the leading dashes
  std::string valueName;    // empty: a flag
  std::string help;
  bool repeatable = false;
};

class ParsedOptions {
public:
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> get(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

private:
  friend std::optional<ParsedOptions> parseOptions(const std::string&, const std::vector<OptionSpec>&,
                                                   const std::vector<std::string>&, Diagnostics&);
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// `command` names the subcommand in messages ("grad").
std::optional<ParsedOptions> parseOptions(const std::string& command, const std::vector<OptionSpec>& specs,
                                          const std::vector<std::string>& args, Diagnostics& diags);

// Prints the diagnostics and returns the exit code of a user error (1).
int failWith(std::ostream& err, const Diagnostics& diags);
// Prints the diagnostics of a run that goes on (warnings and notes) and
// clears them, so a later failure does not print them again.
void printWarnings(std::ostream& err, Diagnostics& diags);

// The options section of a subcommand's --help.
std::string formatOptionsHelp(const std::vector<OptionSpec>& specs);

// Parses an integer or real option value; reports and returns nullopt if bad.
std::optional<long> parseInteger(const std::string& option, const std::string& text, long min, long max,
                                 Diagnostics& diags);
std::optional<double> parseReal(const std::string& what, const std::string& text, Diagnostics& diags);

// The items of a comma-separated option value ("relu,gelu"), empty items left out.
std::vector<std::string> splitList(const std::string& text);

}  // namespace nnc::cli
