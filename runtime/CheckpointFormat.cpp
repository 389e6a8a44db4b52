#include "runtime/CheckpointFormat.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <fmt/format.h>

namespace nnc::runtime::checkpoint_format {

Checksum::Checksum(const nlohmann::json& header) : crc_(crc32_z(0, nullptr, 0)) {
  nlohmann::json covered = header;
  auto metadata = covered.find(kMetadataKey);
  if (metadata != covered.end() && metadata->is_object()) metadata->erase(std::string(kChecksumKey));
  // Throws on strings that are not UTF-8; the loader's parser has already
  // refused those, and the saver turns the exception into a diagnostic.
  std::string text = covered.dump();
  addData(text.data(), text.size());
}

void Checksum::addData(const void* bytes, size_t size) {
  // zlib answers a null buffer (an empty tensor's) with the initial value,
  // which would silently restart the checksum.
  if (size == 0) return;
  crc_ = crc32_z(crc_, static_cast<const Bytef*>(bytes), size);
}

std::string Checksum::hex() const { return fmt::format("{:08x}", crc_); }

}  // namespace nnc::runtime::checkpoint_format
