#include "tools/nnc/CompilerFlags.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "support/Spelling.h"

namespace nnc::cli {

std::vector<OptionSpec> warningOptions() {
  return {
      {"W", "error|no-NAME", "-Werror: warnings are errors; -Wno-NAME silences one warning", true},
      {"w", "", "no warnings"},
  };
}

std::vector<OptionSpec> compilerOptions() {
  std::vector<OptionSpec> specs{
      {"O", "LEVEL", "optimisation level 0-3 (default 2): which passes run; the last given counts", true},
      {"passes", "A,B,...", "run exactly these passes, in this order (see nnc compile --list-passes)"},
      {"print-after", "PASS", "print the graph after PASS (or 'all'); repeatable", true},
      {"stats", "", "count what each pass did"},
  };
  for (OptionSpec& spec : warningOptions()) specs.push_back(std::move(spec));
  return specs;
}

std::optional<driver::CompilerSettings> parseCompilerFlags(const ParsedOptions& options, Diagnostics& diags,
                                                           bool training) {
  driver::CompilerSettings flags;
  size_t errorsBefore = diags.errorCount();
  flags.pipeline.training = training;
  if (auto level = options.get("O")) {
    if (level->size() == 1 && (*level)[0] >= '0' && (*level)[0] <= '3')
      flags.pipeline.optimizationLevel = (*level)[0] - '0';
    else
      diags.error(fmt::format("unknown optimisation level '-O{}'; use -O0, -O1, -O2 or -O3", *level));
  }
  if (auto list = options.get("passes")) flags.pipeline.passes = splitList(*list);
  for (const std::string& name : options.all("print-after"))
    for (const std::string& item : splitList(name)) flags.pipeline.printAfter.push_back(item);
  flags.stats = options.has("stats");
  flags.lints.silent = options.has("w");
  std::vector<std::string> warnings(passes::lintWarningNames().begin(), passes::lintWarningNames().end());
  for (const std::string& w : options.all("W")) {
    if (w == "error") {
      flags.lints.warningsAreErrors = true;
      continue;
    }
    std::string name = w.rfind("no-", 0) == 0 ? w.substr(3) : "";
    if (std::find(warnings.begin(), warnings.end(), name) != warnings.end()) {
      flags.lints.disabled.insert(name);
      continue;
    }
    std::string message = fmt::format("unknown warning option '-W{}'", w);
    if (auto suggestion = closestSpelling(name.empty() ? w : name, warnings))
      message += fmt::format("; did you mean '-Wno-{}'?", *suggestion);
    diags.error(message + fmt::format(" (warnings: {})", fmt::join(warnings, ", ")));
  }
  // Pass names are checked now, before any data is loaded.
  if (diags.errorCount() == errorsBefore) passes::Pipeline::create(flags.pipeline, diags);
  if (diags.errorCount() != errorsBefore) return std::nullopt;
  return flags;
}

}  // namespace nnc::cli
