#pragma once
// What nnc adds to the safetensors format, shared by the saver and the loader
// so that the two cannot disagree on it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace nnc::runtime::checkpoint_format {

// safetensors: an 8-byte little-endian header size, the JSON header, the data.
inline constexpr size_t kHeaderSizeBytes = 8;
// safetensors' own readers refuse larger headers; so do we, before allocating.
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;
inline constexpr std::string_view kMetadataKey = "__metadata__";
inline constexpr std::string_view kDtypeF32 = "F32";

// "format" is the key the Hugging Face tools use too ("pt" for PyTorch).
inline constexpr std::string_view kFormatKey = "format";
inline constexpr std::string_view kFormatVersion = "nnc-checkpoint-1";
// Namespaced, so that a file from another tool never carries it by accident.
inline constexpr std::string_view kChecksumKey = "nnc.crc32";

// CRC-32 (zlib's) over the header, less the checksum itself, and then the data
// buffer. Covering the header too means a flipped byte in a tensor name or
// shape is caught, not only one in the values. The header enters in
// nlohmann's compact dump, which is canonical (sorted keys, fixed number and
// string spelling), so the loader recomputes it from what it parsed.
class Checksum {
public:
  explicit Checksum(const nlohmann::json& header);
  void addData(const void* bytes, size_t size);
  // Eight lowercase hex digits.
  std::string hex() const;

private:
  unsigned long crc_;
};

}  // namespace nnc::runtime::checkpoint_format
