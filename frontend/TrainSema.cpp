#include "frontend/TrainSema.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <span>

#include <fmt/format.h>

#include "support/Spelling.h"

namespace nnc::frontend {

namespace {

constexpr const char* kSettings[] = {"data",          "test",          "test_fraction",        "optimizer",
                                     "schedule",      "batch",         "epochs",               "seed",
                                     "clip_grad_norm", "patience",     "bias_weight_decay",    "activation_lr",
                                     "activation_weight_decay"};

// The range an optimizer or schedule argument must lie in.
enum class Range {
  Positive,
  NonNegative,
  BelowOne,   // 0 <= v < 1
  Flag,       // 0 or 1
  Count,      // a whole number from 1
  WholeCount  // a whole number from 0
};

// One argument of a call setting (`adam(lr = 0.01)`), stored into a field of `Def`.
template <typename Def>
struct Argument {
  const char* name;
  double Def::*field;
  Range range;
};
using OptimizerArgument = Argument<OptimizerDef>;

// Positional arguments come in this order (PyTorch's).
constexpr OptimizerArgument kSgdArguments[] = {{"lr", &OptimizerDef::learningRate, Range::Positive},
                                               {"momentum", &OptimizerDef::momentum, Range::BelowOne},
                                               {"weight_decay", &OptimizerDef::weightDecay, Range::NonNegative},
                                               {"nesterov", &OptimizerDef::nesterov, Range::Flag}};
constexpr OptimizerArgument kAdamArguments[] = {{"lr", &OptimizerDef::learningRate, Range::Positive},
                                                {"beta1", &OptimizerDef::beta1, Range::BelowOne},
                                                {"beta2", &OptimizerDef::beta2, Range::BelowOne},
                                                {"eps", &OptimizerDef::epsilon, Range::Positive},
                                                {"weight_decay", &OptimizerDef::weightDecay, Range::NonNegative}};
constexpr OptimizerArgument kRmspropArguments[] = {{"lr", &OptimizerDef::learningRate, Range::Positive},
                                                   {"alpha", &OptimizerDef::alpha, Range::BelowOne},
                                                   {"eps", &OptimizerDef::epsilon, Range::Positive},
                                                   {"weight_decay", &OptimizerDef::weightDecay, Range::NonNegative},
                                                   {"momentum", &OptimizerDef::momentum, Range::BelowOne}};

// The optimisers by name, with their arguments and PyTorch's defaults
// where they differ from OptimizerDef's.
struct OptimizerKind {
  const char* name;
  OptimizerDef::Kind kind;
  std::span<const OptimizerArgument> arguments;
  void (*defaults)(OptimizerDef&);
};
const OptimizerKind kOptimizers[] = {
    {"sgd", OptimizerDef::Kind::SGD, kSgdArguments, [](OptimizerDef&) {}},
    {"adam", OptimizerDef::Kind::Adam, kAdamArguments, [](OptimizerDef&) {}},
    {"adamw", OptimizerDef::Kind::AdamW, kAdamArguments, [](OptimizerDef& d) { d.weightDecay = 0.01; }},
    {"rmsprop", OptimizerDef::Kind::RMSprop, kRmspropArguments, [](OptimizerDef& d) { d.learningRate = 0.01; }},
};

constexpr Argument<ScheduleDef> kStepArguments[] = {{"step_size", &ScheduleDef::stepSize, Range::Count},
                                                    {"gamma", &ScheduleDef::gamma, Range::Positive}};
constexpr Argument<ScheduleDef> kCosineArguments[] = {{"warmup", &ScheduleDef::warmup, Range::WholeCount},
                                                      {"min_lr", &ScheduleDef::minLearningRate, Range::NonNegative}};
// torch's ReduceLROnPlateau: factor, patience, min_lr (on the test loss).
constexpr Argument<ScheduleDef> kPlateauArguments[] = {{"factor", &ScheduleDef::gamma, Range::BelowOne},
                                                       {"patience", &ScheduleDef::patience, Range::WholeCount},
                                                       {"min_lr", &ScheduleDef::minLearningRate, Range::NonNegative}};

// "a, b and c"
std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

// A value as it reads in a message: 0.5, "file.csv", adam(...).
std::string describe(const ast::SettingValue& value) {
  switch (value.kind) {
    case ast::SettingValue::Kind::Number: return value.number.text;
    case ast::SettingValue::Kind::String: return fmt::format("\"{}\"", value.text);
    case ast::SettingValue::Kind::Call: return value.arguments.empty() ? value.text : value.text + "(...)";
  }
  return "";
}

class TrainChecker {
public:
  TrainChecker(const TrainingScope& scope, const SourceBuffer& source, Diagnostics& diags)
      : scope_(scope), source_(source), diags_(diags) {}

  std::optional<TrainingDef> check(const ast::TrainDecl& decl) {
    size_t errorsBefore = diags_.errorCount();
    TrainingDef out;
    out.model = decl.model;
    out.modelRange = decl.modelRange;
    out.range = decl.range;
    checkModelName(decl);

    std::map<std::string, const ast::Setting*> seen;
    bool hasData = false;
    const ast::Setting* testFraction = nullptr;
    OptimizerDef groups;  // the parameter groups' settings, whichever order they and `optimizer` come in
    for (const ast::Setting& setting : decl.settings) {
      if (std::find(std::begin(kSettings), std::end(kSettings), setting.key) == std::end(kSettings)) {
        reportUnknown(setting);
        continue;
      }
      auto [first, inserted] = seen.emplace(setting.key, &setting);
      if (!inserted) {
        error(setting.keyRange, fmt::format("'{}' is set twice", setting.key));
        note(first->second->keyRange, "first set here");
        continue;
      }
      const std::string& key = setting.key;
      const ast::SettingValue& value = setting.value;
      if (key == "data") {
        hasData = true;
        if (auto data = dataSource(value, key)) out.data = std::move(*data);
      } else if (key == "test") {
        out.test = dataSource(value, key);
      } else if (key == "test_fraction") {
        testFraction = &setting;
        if (auto fraction = number(value, key)) {
          if (*fraction > 0 && *fraction < 1) out.testFraction = *fraction;
          else error(value.range, fmt::format("test_fraction must be between 0 and 1 (exclusive), found {}", value.number.text));
        }
      } else if (key == "optimizer") {
        if (auto optimizer = this->optimizer(value)) out.optimizer = *optimizer;
      } else if (key == "schedule") {
        if (auto schedule = this->schedule(value)) out.schedule = *schedule;
      } else if (key == "clip_grad_norm") {
        if (auto norm = number(value, key)) {
          if (*norm > 0 && std::isfinite(static_cast<float>(*norm))) out.clipGradNorm = *norm;
          else error(value.range, fmt::format("clip_grad_norm must be a positive number, found {}", value.number.text));
        }
      } else if (key == "batch") {
        if (auto batch = integer(value, key, 1, kMaxCount)) out.batchSize = *batch;
      } else if (key == "epochs") {
        if (auto epochs = integer(value, key, 1, kMaxCount)) out.epochs = *epochs;
      } else if (key == "bias_weight_decay" || key == "activation_weight_decay") {
        if (auto decay = number(value, key)) {
          if (*decay >= 0 && std::isfinite(static_cast<float>(*decay)))
            (key == "bias_weight_decay" ? groups.biasWeightDecay : groups.activationWeightDecay) = *decay;
          else error(value.range, fmt::format("{} must be a number from 0, found {}", key, value.number.text));
        }
      } else if (key == "activation_lr") {
        if (auto rate = number(value, key)) {
          if (isUsableLearningRate(*rate)) groups.activationLearningRate = *rate;
          else error(value.range, fmt::format("activation_lr must be a positive number that float32 holds, found {}",
                                              value.number.text));
        }
      } else if (key == "patience") {
        if (auto patience = integer(value, key, 1, kMaxCount)) out.patience = *patience;
      } else if (key == "seed") {
        if (auto seed = integer(value, key, 0, kMaxSeed)) out.seed = static_cast<uint64_t>(*seed);
      }
    }
    if (!hasData)
      error(decl.modelRange, fmt::format("training of '{}' has no data; add it, e.g. data = idx(\"images.gz\", "
                                         "\"labels.gz\");",
                                         decl.model));
    out.optimizer.biasWeightDecay = groups.biasWeightDecay;
    out.optimizer.activationLearningRate = groups.activationLearningRate;
    out.optimizer.activationWeightDecay = groups.activationWeightDecay;
    if (testFraction && seen.count("test"))
      error(testFraction->keyRange, "give either test or test_fraction, not both");
    if (diags_.errorCount() != errorsBefore) return std::nullopt;
    return out;
  }

private:
  // Batch sizes and epochs beyond this are mistakes, and would overflow counters.
  static constexpr int64_t kMaxCount = int64_t{1} << 31;
  // Every integer up to here is exact in a double.
  static constexpr int64_t kMaxSeed = int64_t{1} << 53;

  void error(SourceRange range, std::string message) { diags_.error(&source_, range, std::move(message)); }
  void note(SourceRange range, std::string message) { diags_.note(&source_, range, std::move(message)); }

  void checkModelName(const ast::TrainDecl& decl) {
    const std::vector<std::string>& models = scope_.models;
    if (std::find(models.begin(), models.end(), decl.model) != models.end()) return;
    std::string message = fmt::format("unknown model '{}'", decl.model);
    const std::vector<std::string>& imported = scope_.importedModels;
    if (auto suggestion = closestSpelling(decl.model, models))
      message += fmt::format("; did you mean '{}'?", *suggestion);
    else if (std::find(imported.begin(), imported.end(), decl.model) != imported.end())
      message += ": it is in an imported file, and imports bring in activations only";
    else if (models.empty())
      message += ": this file defines no models";
    error(decl.modelRange, message);
  }

  void reportUnknown(const ast::Setting& setting) {
    std::vector<std::string> names(std::begin(kSettings), std::end(kSettings));
    std::string message = fmt::format("unknown setting '{}'", setting.key);
    if (auto suggestion = closestSpelling(setting.key, names))
      message += fmt::format("; did you mean '{}'?", *suggestion);
    else
      message += fmt::format(" (the settings are {})", listed(names));
    error(setting.keyRange, message);
  }

  // A number, finite. Empty after reporting why not.
  std::optional<double> number(const ast::SettingValue& value, const std::string& key) {
    if (value.kind != ast::SettingValue::Kind::Number) {
      error(value.range, fmt::format("{} must be a number, found {}", key, describe(value)));
      return std::nullopt;
    }
    if (std::isinf(value.number.value)) {
      error(value.range, fmt::format("number '{}' is too large for a double", value.number.text));
      return std::nullopt;
    }
    return value.number.value;
  }

  std::optional<int64_t> integer(const ast::SettingValue& value, const std::string& key, int64_t min, int64_t max) {
    const char* kind = min > 0 ? "a positive integer" : "a non-negative integer";
    if (value.kind != ast::SettingValue::Kind::Number) {
      error(value.range, fmt::format("{} must be {}, found {}", key, kind, describe(value)));
      return std::nullopt;
    }
    std::optional<double> v = number(value, key);
    if (!v) return std::nullopt;
    if (*v < static_cast<double>(min) || *v != std::floor(*v)) {
      error(value.range, fmt::format("{} must be {}, found {}", key, kind, value.number.text));
      return std::nullopt;
    }
    if (*v > static_cast<double>(max)) {
      error(value.range, fmt::format("{} must be at most {}, found {}", key, max, value.number.text));
      return std::nullopt;
    }
    return static_cast<int64_t>(*v);
  }

  // idx(IMAGES, LABELS) | csv(FILE, label = COLUMN)
  std::optional<DataSource> dataSource(const ast::SettingValue& value, const std::string& key) {
    static const std::string kForms = "idx(IMAGES, LABELS) or csv(FILE, label = COLUMN)";
    if (value.kind != ast::SettingValue::Kind::Call) {
      error(value.range, fmt::format("{} must be {}, found {}", key, kForms, describe(value)));
      return std::nullopt;
    }
    if (value.text == "idx") return idx(value);
    if (value.text == "csv") return csv(value);
    std::string message = fmt::format("unknown data format '{}'", value.text);
    if (auto suggestion = closestSpelling(value.text, {"idx", "csv"}))
      message += fmt::format("; did you mean '{}'?", *suggestion);
    error(value.range, message + fmt::format(" ({} is {})", key, kForms));
    return std::nullopt;
  }

  std::optional<DataSource> idx(const ast::SettingValue& value) {
    size_t errorsBefore = diags_.errorCount();
    DataSource out;
    out.kind = DataSource::Kind::Idx;
    out.range = value.range;
    for (const ast::SettingArgument& argument : value.arguments) {
      if (!argument.name.empty()) {
        error(argument.nameRange, "idx takes no named arguments: idx(IMAGES, LABELS)");
        continue;
      }
      if (auto path = filePath(argument.value, "idx")) out.paths.push_back(*path);
    }
    if (diags_.errorCount() != errorsBefore) return std::nullopt;
    if (value.arguments.size() != 2) {
      error(value.range, fmt::format("idx takes 2 files, images and labels: idx(IMAGES, LABELS); found {}",
                                     value.arguments.size()));
      return std::nullopt;
    }
    return out;
  }

  std::optional<DataSource> csv(const ast::SettingValue& value) {
    size_t errorsBefore = diags_.errorCount();
    DataSource out;
    out.kind = DataSource::Kind::Csv;
    out.range = value.range;
    bool hasFile = false, hasLabel = false;
    size_t positional = 0;
    for (const ast::SettingArgument& argument : value.arguments) {
      std::string name = argument.name;
      if (name.empty()) name = positional == 0 ? "file" : positional == 1 ? "label" : "";
      if (argument.name.empty()) ++positional;
      if (name.empty()) {
        error(argument.value.range, "too many arguments to csv: it takes a file and label = COLUMN");
      } else if (name != "file" && name != "label") {
        std::string message = fmt::format("csv has no argument named '{}'", name);
        if (auto suggestion = closestSpelling(name, {"file", "label"}))
          message += fmt::format("; did you mean '{}'?", *suggestion);
        error(argument.nameRange, message);
      } else if ((name == "file" && hasFile) || (name == "label" && hasLabel)) {
        error(argument.name.empty() ? argument.value.range : argument.nameRange,
              fmt::format("'{}' of csv is given twice", name));
      } else if (name == "file") {
        hasFile = true;
        if (auto path = filePath(argument.value, "csv")) out.paths.push_back(*path);
      } else {
        hasLabel = true;
        // Columns count from 0, like pandas' iloc; -1 (the default) is the last.
        if (auto column = integer(argument.value, "label", 0, kMaxCount)) out.labelColumn = *column;
      }
    }
    if (!hasFile && diags_.errorCount() == errorsBefore)
      error(value.range, "csv needs a file: csv(\"file.csv\", label = COLUMN)");
    if (diags_.errorCount() != errorsBefore) return std::nullopt;
    return out;
  }

  // A quoted path; relative ones are taken from the .nn file's folder.
  std::optional<std::string> filePath(const ast::SettingValue& value, const char* format) {
    if (value.kind != ast::SettingValue::Kind::String) {
      error(value.range, fmt::format("{} expects file names in quotes, found {}", format, describe(value)));
      return std::nullopt;
    }
    if (value.text.empty()) {
      error(value.range, "empty file name");
      return std::nullopt;
    }
    std::filesystem::path path(value.text);
    if (path.is_absolute()) return value.text;
    return (std::filesystem::path(scope_.directory) / path).lexically_normal().string();
  }

  // sgd(lr, momentum, weight_decay, nesterov) | adam(lr, beta1, beta2, eps, weight_decay)
  // | adamw(lr, beta1, beta2, eps, weight_decay) | rmsprop(lr, alpha, eps, weight_decay, momentum)
  std::optional<OptimizerDef> optimizer(const ast::SettingValue& value) {
    std::vector<std::string> kinds;
    for (const OptimizerKind& k : kOptimizers) kinds.push_back(k.name);
    if (value.kind != ast::SettingValue::Kind::Call) {
      std::string calls;  // "sgd(...), adam(...) or rmsprop(...)"
      for (size_t i = 0; i < kinds.size(); ++i)
        calls += (i == 0 ? "" : i + 1 == kinds.size() ? " or " : ", ") + kinds[i] + "(...)";
      error(value.range, fmt::format("optimizer must be {}, found {}", calls, describe(value)));
      return std::nullopt;
    }
    OptimizerDef out;
    out.range = value.range;
    const OptimizerKind* kind = nullptr;
    for (const OptimizerKind& k : kOptimizers)
      if (value.text == k.name) kind = &k;
    if (!kind) {
      std::string message = fmt::format("unknown optimizer '{}'", value.text);
      if (auto suggestion = closestSpelling(value.text, kinds)) message += fmt::format("; did you mean '{}'?", *suggestion);
      error(value.range, message + fmt::format(" (the optimizers are {})", listed(kinds)));
      return std::nullopt;
    }
    out.kind = kind->kind;
    kind->defaults(out);
    std::span<const OptimizerArgument> arguments = kind->arguments;
    size_t errorsBefore = diags_.errorCount();
    callArguments(value, arguments, out);
    // As torch.optim.SGD: Nesterov momentum needs a momentum.
    if (out.nesterov != 0 && out.momentum == 0)
      error(value.range, "sgd(nesterov = 1) needs a momentum above 0 (Nesterov's step looks ahead along it)");
    if (diags_.errorCount() != errorsBefore) return std::nullopt;
    return out;
  }

  // A call's arguments by position or by name into `out`'s fields, each
  // checked against its range; errors name the call and its arguments.
  template <typename Def>
  void callArguments(const ast::SettingValue& value, std::span<const Argument<Def>> arguments, Def& out) {
    std::vector<std::string> names;
    for (const Argument<Def>& a : arguments) names.push_back(a.name);
    std::vector<bool> given(arguments.size(), false);
    size_t positional = 0;
    for (const ast::SettingArgument& argument : value.arguments) {
      size_t index = 0;
      if (argument.name.empty()) {
        index = positional++;
        if (index >= arguments.size()) {
          error(argument.value.range, fmt::format("too many arguments to {}: it takes {}", value.text, listed(names)));
          continue;
        }
      } else {
        while (index < arguments.size() && argument.name != arguments[index].name) ++index;
        if (index == arguments.size()) {
          std::string message = fmt::format("{} has no argument named '{}'", value.text, argument.name);
          if (auto suggestion = closestSpelling(argument.name, names))
            message += fmt::format("; did you mean '{}'?", *suggestion);
          else
            message += fmt::format(" (it takes {})", listed(names));
          error(argument.nameRange, message);
          continue;
        }
      }
      const Argument<Def>& spec = arguments[index];
      if (given[index]) {
        error(argument.name.empty() ? argument.value.range : argument.nameRange,
              fmt::format("'{}' of {} is given twice", spec.name, value.text));
        continue;
      }
      given[index] = true;
      std::optional<double> v = number(argument.value, spec.name);
      if (v && inRange(*v, spec, argument.value)) out.*spec.field = *v;
    }
  }

  // schedule = step(step_size, gamma) | cosine(warmup, min_lr) | plateau(factor, patience, min_lr)
  std::optional<ScheduleDef> schedule(const ast::SettingValue& value) {
    ScheduleDef out;
    out.range = value.range;
    bool call = value.kind == ast::SettingValue::Kind::Call;
    if (call && value.text == "step") {
      out.kind = ScheduleDef::Kind::Step;
    } else if (call && value.text == "cosine") {
      out.kind = ScheduleDef::Kind::Cosine;
    } else if (call && value.text == "plateau") {
      out.kind = ScheduleDef::Kind::Plateau;
    } else {
      std::string message =
          fmt::format("schedule must be step(...), cosine(...) or plateau(...), found {}", describe(value));
      if (call)
        if (auto suggestion = closestSpelling(value.text, {"step", "cosine", "plateau"}))
          message = fmt::format("unknown schedule '{}'; did you mean '{}'? (the schedules are step, cosine and "
                                "plateau)",
                                value.text, *suggestion);
      error(value.range, message);
      return std::nullopt;
    }
    size_t errorsBefore = diags_.errorCount();
    switch (out.kind) {
      case ScheduleDef::Kind::Step: callArguments<ScheduleDef>(value, kStepArguments, out); break;
      case ScheduleDef::Kind::Cosine: callArguments<ScheduleDef>(value, kCosineArguments, out); break;
      case ScheduleDef::Kind::Plateau: callArguments<ScheduleDef>(value, kPlateauArguments, out); break;
      case ScheduleDef::Kind::None: break;
    }
    if (diags_.errorCount() != errorsBefore) return std::nullopt;
    return out;
  }

  // Checked as written and as the optimiser uses it, in float32: lr = 1e-320
  // is positive but 0 there (training nothing), beta2 = 0.99999999999 is
  // below 1 but 1 there (Adam then divides by 1 - beta2^t = 0).
  template <typename Def>
  bool inRange(double v, const Argument<Def>& spec, const ast::SettingValue& value) {
    const char* expected = rangeProblem(v, spec.range);
    if (expected) {
      error(value.range, fmt::format("{} must be {}, found {}", spec.name, expected, value.number.text));
      return false;
    }
    const float used = static_cast<float>(v);
    if (const char* problem = std::isfinite(used) ? rangeProblem(used, spec.range) : "finite") {
      error(value.range, fmt::format("{} = {} is {} in float32, the precision training runs in; it must be {} there",
                                     spec.name, value.number.text, used, problem));
      return false;
    }
    return true;
  }

  static const char* rangeProblem(double v, Range range) {
    switch (range) {
      case Range::Positive: return v > 0 ? nullptr : "positive";
      case Range::NonNegative: return v >= 0 ? nullptr : "at least 0";
      case Range::BelowOne: return v >= 0 && v < 1 ? nullptr : "at least 0 and less than 1";
      case Range::Flag: return v == 0 || v == 1 ? nullptr : "0 or 1";
      case Range::Count: return v >= 1 && v == std::floor(v) && v <= 1e9 ? nullptr : "a whole number from 1";
      case Range::WholeCount: return v >= 0 && v == std::floor(v) && v <= 1e9 ? nullptr : "a whole number from 0";
    }
    return nullptr;
  }

  const TrainingScope& scope_;
  const SourceBuffer& source_;
  Diagnostics& diags_;
};

}  // namespace

std::vector<TrainingDef> analyzeTrainings(const std::vector<ast::TrainDecl>& trainings, const TrainingScope& scope,
                                          const SourceBuffer& source, Diagnostics& diags) {
  TrainChecker checker(scope, source, diags);
  std::vector<TrainingDef> out;
  for (const ast::TrainDecl& decl : trainings)
    if (std::optional<TrainingDef> training = checker.check(decl)) out.push_back(std::move(*training));
  return out;
}

bool isUsableLearningRate(double rate) {
  const float used = static_cast<float>(rate);
  return used > 0 && std::isfinite(used);
}

}  // namespace nnc::frontend
