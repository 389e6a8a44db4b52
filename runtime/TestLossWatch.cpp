#include "runtime/TestLossWatch.h"

#include <charconv>
#include <type_traits>
#include <cmath>

#include <fmt/format.h>

namespace nnc::runtime {

namespace {

constexpr const char* kBest = "test_loss.best";
constexpr const char* kBestEpoch = "test_loss.best_epoch";
constexpr const char* kSinceBest = "test_loss.epochs_since_best";
constexpr const char* kPlateauBest = "plateau.best";
constexpr const char* kPlateauEpochs = "plateau.epochs_since_best";
constexpr const char* kRateScale = "plateau.rate_scale";

template <typename T>
bool parse(const std::string& text, T& value) {
  if (text == "inf" && std::is_floating_point_v<T>) {
    value = std::numeric_limits<T>::infinity();
    return true;
  }
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

bool TestLossWatch::record(double loss, int64_t epoch) {
  if (loss < best) {
    best = loss;
    bestEpoch = epoch;
    epochsSinceBest = 0;
    return true;
  }
  ++epochsSinceBest;
  return false;
}

void TestLossWatch::stepPlateau(double loss, const LearningRateSchedule& schedule) {
  if (schedule.kind != LearningRateSchedule::Kind::Plateau) return;
  if (loss < plateauBest * (1 - 1e-4)) {  // torch's mode 'min', threshold 1e-4 'rel'
    plateauBest = loss;
    plateauEpochs = 0;
    return;
  }
  if (++plateauEpochs > schedule.patience) {
    rateScale *= schedule.gamma;
    plateauEpochs = 0;
  }
}

void TestLossWatch::writeTo(std::map<std::string, std::string>& metadata) const {
  auto number = [](double v) { return std::isinf(v) ? std::string("inf") : fmt::format("{:.17g}", v); };
  metadata[kBest] = number(best);
  metadata[kBestEpoch] = std::to_string(bestEpoch);
  metadata[kSinceBest] = std::to_string(epochsSinceBest);
  metadata[kPlateauBest] = number(plateauBest);
  metadata[kPlateauEpochs] = std::to_string(plateauEpochs);
  metadata[kRateScale] = number(rateScale);
}

std::optional<TestLossWatch> TestLossWatch::readFrom(const std::map<std::string, std::string>& metadata) {
  TestLossWatch watch;
  bool valid = true;
  auto read = [&](const char* key, auto& value) {
    if (auto found = metadata.find(key); found != metadata.end()) valid = valid && parse(found->second, value);
  };
  read(kBest, watch.best);
  read(kBestEpoch, watch.bestEpoch);
  read(kSinceBest, watch.epochsSinceBest);
  read(kPlateauBest, watch.plateauBest);
  read(kPlateauEpochs, watch.plateauEpochs);
  read(kRateScale, watch.rateScale);
  valid = valid && !std::isnan(watch.best) && watch.bestEpoch >= 0 && watch.epochsSinceBest >= 0 &&
          !std::isnan(watch.plateauBest) && watch.plateauEpochs >= 0 && watch.rateScale >= 0 &&
          std::isfinite(watch.rateScale);  // (factor 0, or many cuts, reach 0)
  if (!valid) return std::nullopt;
  return watch;
}

}  // namespace nnc::runtime
