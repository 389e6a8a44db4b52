#include "runtime/CheckpointFormat.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <fmt/format.h>

namespace nnc::runtime::checkpoint_format {

Checksum::Checksum() : crc_(crc32_z(0, nullptr, 0)) {}

Checksum Checksum::overStoredHeader(std::string_view headerWithPlaceholder) {
  Checksum checksum;
  checksum.addData(headerWithPlaceholder.data(), headerWithPlaceholder.size());
  return checksum;
}

Checksum Checksum::overParsedHeader(const nlohmann::json& header) {
  nlohmann::json covered = header;
  auto metadata = covered.find(kMetadataKey);
  if (metadata != covered.end() && metadata->is_object()) metadata->erase(std::string(kChecksumKey));
  // Throws on strings that are not UTF-8; the loader's parser has already
  // refused those.
  std::string text = covered.dump();
  Checksum checksum;
  checksum.addData(text.data(), text.size());
  return checksum;
}

size_t checksumDigitsAt(std::string_view header) {
  const std::string key = fmt::format("\"{}\":\"", kChecksumKey);
  size_t at = header.find(key);
  if (at == std::string_view::npos || header.find(key, at + 1) != std::string_view::npos) return std::string_view::npos;
  size_t digits = at + key.size(), width = kChecksumPlaceholder.size();
  if (digits + width >= header.size() || header[digits + width] != '"') return std::string_view::npos;
  return digits;
}

void Checksum::addData(const void* bytes, size_t size) {
  // zlib answers a null buffer (an empty tensor's) with the initial value,
  // which would silently restart the checksum.
  if (size == 0) return;
  crc_ = crc32_z(crc_, static_cast<const Bytef*>(bytes), size);
}

std::string Checksum::hex() const { return fmt::format("{:08x}", crc_); }

}  // namespace nnc::runtime::checkpoint_format
