#include "driver/ActivationVariants.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "frontend/ModelSema.h"
#include "support/Spelling.h"

namespace nnc::driver {

namespace {

const frontend::LayerDef* findLayer(const frontend::ModelDef& model, const std::string& name) {
  for (const frontend::LayerDef& layer : model.layers)
    if (layer.name == name) return &layer;
  return nullptr;
}

std::vector<std::string> layerNames(const frontend::ModelDef& model) {
  std::vector<std::string> names;
  for (const frontend::LayerDef& layer : model.layers) names.push_back(layer.name);
  return names;
}

std::string trim(const std::string& text) {
  size_t first = text.find_first_not_of(" \t"), last = text.find_last_not_of(" \t");
  return first == std::string::npos ? "" : text.substr(first, last - first + 1);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) parts.push_back(trim(part));
  return parts;
}

// A formula of x ("x*sigmoid(1.702*x)") rather than an activation's name
// and options ("prelu, per_unit"): it reads x.
bool isFormula(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    bool word = std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_';
    if (!word || text[i] != 'x') continue;
    bool before = i > 0 && (std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_');
    bool after = i + 1 < text.size() && (std::isalnum(static_cast<unsigned char>(text[i + 1])) || text[i + 1] == '_');
    if (!before && !after) return true;
  }
  return false;
}

// A mix's parts, "relu:128+tanh:128" -> {relu, 128}, {tanh, 128}.
std::optional<std::vector<std::pair<std::string, double>>> mixParts(const std::string& mix, Diagnostics& diags) {
  std::vector<std::pair<std::string, double>> parts;
  for (const std::string& part : split(mix, '+')) {
    size_t colon = part.rfind(':');
    std::string name = trim(part.substr(0, colon));
    double weight = 0;
    bool ok = colon != std::string::npos && !name.empty();
    if (ok) {
      std::string number = trim(part.substr(colon + 1));
      char* end = nullptr;
      weight = std::strtod(number.c_str(), &end);
      ok = !number.empty() && end == number.c_str() + number.size() && weight > 0 && std::isfinite(weight);
    }
    if (!ok) {
      diags.error(fmt::format("--mix '{}': '{}' is not ACTIVATION:SIZE (e.g. relu:128+tanh:128)", mix, part));
      return std::nullopt;
    }
    parts.emplace_back(name, weight);
  }
  if (parts.size() < 2) {
    diags.error(fmt::format("--mix '{}' mixes nothing: give two or more ACTIVATION:SIZE joined by '+'", mix));
    return std::nullopt;
  }
  return parts;
}

// The mix on a layer of `units`: each part's share of the units in
// proportion to its size (largest remainders first), written as a mixed
// layer's options ("relu: 64, tanh: 64").
std::optional<std::string> mixOptions(const std::string& mix, const std::vector<std::pair<std::string, double>>& parts,
                                      const frontend::LayerDef& layer, Diagnostics& diags) {
  double total = 0;
  for (const auto& [name, weight] : parts) total += weight;
  std::vector<int64_t> units;
  std::vector<std::pair<double, size_t>> remainders;
  int64_t given = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    double exact = static_cast<double>(layer.units) * parts[i].second / total;
    units.push_back(static_cast<int64_t>(std::floor(exact)));
    given += units.back();
    remainders.emplace_back(exact - std::floor(exact), i);
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](auto a, auto b) { return a.first > b.first; });
  for (size_t k = 0; given < layer.units; ++k, ++given) ++units[remainders[k % remainders.size()].second];
  std::vector<std::string> options;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (units[i] == 0) {
      diags.error(fmt::format("--mix '{}' gives '{}' no unit of layer '{}' ({} units)", mix, parts[i].first,
                              layer.name, layer.units));
      return std::nullopt;
    }
    options.push_back(fmt::format("{}: {}", parts[i].first, units[i]));
  }
  return fmt::format("{}", fmt::join(options, ", "));
}

}  // namespace

std::vector<std::string> hiddenLayers(const frontend::ModelDef& model) {
  const frontend::ValueDef& output = model.values[model.output];
  std::vector<std::string> names;
  for (size_t i = 0; i < model.layers.size(); ++i) {
    bool isOutput = output.kind == frontend::ValueDef::Kind::Dense && output.layer == i;
    if (!model.layers[i].activations.empty() && !isOutput) names.push_back(model.layers[i].name);
  }
  return names;
}

std::optional<std::vector<ActivationVariant>> planVariants(const frontend::ModelDef& model,
                                                           const VariantRequest& request, Diagnostics& diags) {
  size_t errorsBefore = diags.errorCount();
  std::vector<std::string> layers = request.layers.empty() ? hiddenLayers(model) : request.layers;
  std::vector<const frontend::LayerDef*> defs;
  for (const std::string& name : layers) {
    const frontend::LayerDef* layer = findLayer(model, name);
    if (!layer) {
      std::string message = fmt::format("--layers: model '{}' has no layer '{}'", model.name, name);
      if (auto suggestion = closestSpelling(name, layerNames(model)))
        message += fmt::format("; did you mean '{}'?", *suggestion);
      else message += fmt::format(" (its layers: {})", fmt::join(layerNames(model), ", "));
      diags.error(message);
    }
    defs.push_back(layer);
  }
  if (layers.empty()) diags.error(fmt::format("model '{}' has no hidden layer with an activation to vary; name "
                                              "layers with --layers", model.name));
  if (diags.errorCount() != errorsBefore) return std::nullopt;

  std::vector<ActivationVariant> variants;
  int formulas = 0;
  for (const std::string& activation : request.activations) {
    ActivationVariant variant{activation, {}, {}};
    std::string options = activation;
    if (isFormula(activation)) {
      options = fmt::format("sweep_f{}", ++formulas);
      variant.declarations.push_back(fmt::format("activation {}(x) = {};", options, activation));
    }
    for (const std::string& layer : layers) variant.layers.emplace_back(layer, options);
    variants.push_back(std::move(variant));
  }
  for (const std::string& mix : request.mixes) {
    std::optional<std::vector<std::pair<std::string, double>>> parts = mixParts(mix, diags);
    if (!parts) continue;
    ActivationVariant variant{mix, {}, {}};
    for (const frontend::LayerDef* layer : defs)
      if (std::optional<std::string> options = mixOptions(mix, *parts, *layer, diags))
        variant.layers.emplace_back(layer->name, *options);
    variants.push_back(std::move(variant));
  }
  for (const std::vector<std::string>& perLayer : request.perLayer) {
    std::string name = fmt::format("{}", fmt::join(perLayer, "/"));
    if (perLayer.size() != layers.size()) {
      diags.error(fmt::format("--per-layer {} gives {} activation{} for {} layer{} ({})", fmt::join(perLayer, ","),
                              perLayer.size(), perLayer.size() == 1 ? "" : "s", layers.size(),
                              layers.size() == 1 ? "" : "s", fmt::join(layers, ", ")));
      continue;
    }
    ActivationVariant variant{name, {}, {}};
    for (size_t i = 0; i < layers.size(); ++i) variant.layers.emplace_back(layers[i], perLayer[i]);
    variants.push_back(std::move(variant));
  }
  std::set<std::string> names;
  for (const ActivationVariant& variant : variants)
    if (!names.insert(variant.name).second) diags.error(fmt::format("the variant '{}' is given twice", variant.name));
  if (variants.empty() && diags.errorCount() == errorsBefore)
    diags.error("nothing to compare: give activations with --acts, --act, --mix or --per-layer");
  if (diags.errorCount() != errorsBefore) return std::nullopt;
  return variants;
}

std::optional<frontend::ModelDef> applyVariant(const frontend::ModelDef& model, const ActivationVariant& variant,
                                               const LoadedProgram& loaded, Diagnostics& diags) {
  std::string header = fmt::format(
      "import \"{}\";\n", std::filesystem::absolute(loaded.mainSource()->name()).lexically_normal().string());
  for (const std::string& declaration : variant.declarations) header += declaration + "\n";
  frontend::ModelDef changed = model;
  // Layer by layer, a one-layer probe model of the layer's width; the
  // first that fails stops (its error would repeat for the next layers).
  for (const auto& [layer, options] : variant.layers) {
    auto target = std::find_if(changed.layers.begin(), changed.layers.end(),
                               [&](const frontend::LayerDef& l) { return l.name == layer; });
    std::string text = header + fmt::format("model sweep_probe {{ input 1; dense {}({}, {}); loss mse; }}\n", layer,
                                            target->units, options);
    size_t errorsBefore = diags.errorCount();
    std::optional<frontend::Program> probe =
        frontend::analyzeProgramText(fmt::format("variant '{}'", variant.name), text, *loaded.exprs, diags);
    if (!probe || diags.errorCount() != errorsBefore) return std::nullopt;
    const frontend::LayerDef& from = probe->model("sweep_probe")->layers.at(0);
    target->activations = from.activations;
    target->softmax = from.softmax;
    target->softmaxRange = target->range;
    for (frontend::LayerActivation& activation : target->activations) activation.range = target->range;
  }
  return changed;
}

}  // namespace nnc::driver
