#include "tools/nnc/Options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "support/Spelling.h"

namespace nnc::cli {

std::optional<std::string> ParsedOptions::get(const std::string& name) const {
  auto found = values_.find(name);
  if (found == values_.end() || found->second.empty()) return std::nullopt;
  return found->second.back();
}

std::vector<std::string> ParsedOptions::all(const std::string& name) const {
  auto found = values_.find(name);
  return found == values_.end() ? std::vector<std::string>{} : found->second;
}

std::optional<ParsedOptions> parseOptions(const std::string& command, const std::vector<OptionSpec>& specs,
                                          const std::vector<std::string>& args, Diagnostics& diags) {
  ParsedOptions parsed;
  size_t errorsBefore = diags.errorCount();
  bool optionsEnded = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (optionsEnded) {
      parsed.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {  // everything after is positional, e.g. a formula "-x^2"
      optionsEnded = true;
      continue;
    }
    // A lone "-" or a negative number is a positional argument, not an option.
    bool looksLikeOption = arg.size() > 1 && arg[0] == '-' && !std::isdigit(static_cast<unsigned char>(arg[1])) && arg[1] != '.';
    if (!looksLikeOption) {
      parsed.positional_.push_back(arg);
      continue;
    }
    std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
    if (arg == "-h") body = "help";
    std::optional<std::string> value;
    if (size_t equals = body.find('='); equals != std::string::npos) {
      value = body.substr(equals + 1);
      body = body.substr(0, equals);
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& s : specs)
      if (s.name == body) spec = &s;
    // Compiler-style one-letter options carry their value attached: -O2,
    // -Werror, -Wno-vanishing-gradient.
    if (!spec && arg[1] != '-' && body.size() > 1 && !value) {
      for (const OptionSpec& s : specs)
        if (s.name.size() == 1 && s.name[0] == body[0] && !s.valueName.empty()) spec = &s;
      if (spec) {
        value = body.substr(1);
        body = spec->name;
      }
    }
    if (!spec) {
      std::vector<std::string> names;
      for (const OptionSpec& s : specs) names.push_back(s.name);
      std::string message = fmt::format("unknown option '{}' for 'nnc {}'", arg, command);
      if (auto suggestion = closestSpelling(body, names); suggestion && arg[1] == '-') {
        message += fmt::format("; did you mean '--{}'?", *suggestion);
      } else if (arg[1] != '-') {
        message += fmt::format("; to pass a formula that starts with '-', write: nnc {} -- '{}'", command, arg);
      }
      diags.error(message);
      continue;
    }
    if (spec->valueName.empty()) {
      if (value) diags.error(fmt::format("option '--{}' takes no value", spec->name));
      parsed.values_[spec->name].push_back("");
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        diags.error(fmt::format("option '{}{}' needs a value ({})", spec->name.size() == 1 ? "-" : "--", spec->name,
                                spec->valueName));
        continue;
      }
      value = args[++i];
    }
    auto& slot = parsed.values_[spec->name];
    if (!spec->repeatable && !slot.empty()) {
      diags.error(fmt::format("option '--{}' is given more than once", spec->name));
      continue;
    }
    slot.push_back(*value);
  }
  if (diags.errorCount() != errorsBefore) return std::nullopt;
  return parsed;
}

int failWith(std::ostream& err, const Diagnostics& diags) {
  err << diags.render();
  return 1;
}

void printWarnings(std::ostream& err, Diagnostics& diags) {
  err << diags.render() << std::flush;
  diags.clear();
}

std::string formatOptionsHelp(const std::vector<OptionSpec>& specs) {
  std::string out = "Options:\n";
  for (const OptionSpec& s : specs) {
    std::string left = s.name.size() == 1 ? "  -" + s.name + s.valueName
                                          : "  --" + s.name + (s.valueName.empty() ? "" : "=" + s.valueName);
    out += fmt::format("{:<26} {}\n", left, s.help);
  }
  return out;
}

std::optional<long> parseInteger(const std::string& option, const std::string& text, long min, long max,
                                 Diagnostics& diags) {
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || value < min || value > max) {
    diags.error(fmt::format("option '--{}' needs a whole number from {} to {}, not '{}'", option, min, max, text));
    return std::nullopt;
  }
  return value;
}

std::optional<double> parseReal(const std::string& what, const std::string& text, Diagnostics& diags) {
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value)) {
    diags.error(fmt::format("{} needs a finite number, not '{}'", what, text));
    return std::nullopt;
  }
  return value;
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

}  // namespace nnc::cli
