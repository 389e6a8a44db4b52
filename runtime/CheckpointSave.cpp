// saveCheckpoint: lays out the safetensors header and data, then hands the
// bytes to writeFileAtomically.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/AtomicFile.h"
#include "runtime/Checkpoint.h"
#include "runtime/CheckpointFormat.h"

namespace nnc::runtime {
namespace {

namespace format = checkpoint_format;
using nlohmann::json;

// Tensors go to disk as their in-memory bytes; safetensors is little-endian.
static_assert(std::endian::native == std::endian::little, "checkpoints assume a little-endian host");

// Why these tensors cannot be saved, or "" if they can.
std::string checkTensors(const std::vector<NamedTensor>& tensors) {
  std::set<std::string_view> seen;
  for (const NamedTensor& t : tensors) {
    if (t.name == format::kMetadataKey) return fmt::format("'{}' is reserved and cannot name a tensor", t.name);
    if (!seen.insert(t.name).second) return fmt::format("two tensors are named '{}'", t.name);
    // Only a default-constructed Tensor has no storage for its shape.
    if (elementCount(t.tensor.shape()) != t.tensor.size()) return fmt::format("tensor '{}' has no storage", t.name);
  }
  return "";
}

// The header (without padding) for tensors packed in the order given.
json buildHeader(const std::vector<const NamedTensor*>& tensors, const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  json& meta = header[format::kMetadataKey] = json::object();
  for (const auto& [key, value] : metadata) meta[key] = value;
  meta[format::kFormatKey] = format::kFormatVersion;
  meta.erase(std::string(format::kChecksumKey));
  uint64_t offset = 0;
  for (const NamedTensor* t : tensors) {
    json shape = json::array();
    for (int64_t d : t->tensor.shape()) shape.push_back(static_cast<uint64_t>(d));
    uint64_t end = offset + t->tensor.bytes();
    header[t->name] = {{"dtype", format::kDtypeF32}, {"shape", std::move(shape)}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  return header;
}

std::span<const std::byte> bytesOf(const std::string& text) { return std::as_bytes(std::span(text)); }

}  // namespace

bool saveCheckpoint(const std::string& path, const Checkpoint& checkpoint, Diagnostics& diagnostics) {
  auto fail = [&](const std::string& why) {
    diagnostics.error(fmt::format("cannot write checkpoint '{}': {}", path, why));
    return false;
  };
  if (std::string problem = checkTensors(checkpoint.tensors); !problem.empty()) return fail(problem);

  std::vector<const NamedTensor*> sorted;
  for (const NamedTensor& t : checkpoint.tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](const NamedTensor* a, const NamedTensor* b) { return a->name < b->name; });

  std::string headerText;
  try {
    json header = buildHeader(sorted, checkpoint.metadata);
    header[format::kMetadataKey][format::kChecksumKey] = format::kChecksumPlaceholder;
    headerText = header.dump();
  } catch (const json::exception&) {
    // dump() refuses to write strings that are not UTF-8.
    return fail("a tensor name or metadata string is not valid UTF-8");
  }
  // Pad with spaces (JSON whitespace) so the data starts 8-byte aligned, as
  // the safetensors library itself writes it.
  headerText.append((8 - headerText.size() % 8) % 8, ' ');
  // The checksum covers these bytes as they are stored, with its own digits
  // as the placeholder, then the data; then the digits take their place.
  size_t digits = format::checksumDigitsAt(headerText);
  if (digits == std::string::npos) return fail("internal error: the checksum's place in the header is not unique");
  format::Checksum checksum = format::Checksum::overStoredHeader(headerText);
  for (const NamedTensor* t : sorted) checksum.addData(t->tensor.data(), t->tensor.bytes());
  headerText.replace(digits, format::kChecksumPlaceholder.size(), checksum.hex());

  std::string headerSize(format::kHeaderSizeBytes, '\0');
  for (size_t i = 0; i < format::kHeaderSizeBytes; ++i)
    headerSize[i] = static_cast<char>((static_cast<uint64_t>(headerText.size()) >> (8 * i)) & 0xff);

  std::vector<std::span<const std::byte>> pieces{bytesOf(headerSize), bytesOf(headerText)};
  for (const NamedTensor* t : sorted) pieces.push_back(std::as_bytes(t->tensor.values()));
  if (std::error_code error = writeFileAtomically(path, pieces)) return fail(error.message());
  return true;
}

}  // namespace nnc::runtime
