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
// Version 2 (written): the checksum covers the header's bytes as stored.
// Version 1 (still read): it covered the header re-serialised from what was
// parsed, which could not see what parsing drops (a key given twice,
// padding, the spelling of numbers).
inline constexpr std::string_view kFormatVersion = "nnc-checkpoint-2";
inline constexpr std::string_view kFormatVersion1 = "nnc-checkpoint-1";
// Namespaced, so that a file from another tool never carries it by accident.
inline constexpr std::string_view kChecksumKey = "nnc.crc32";
// The checksum's value while it is computed: it cannot cover itself.
inline constexpr std::string_view kChecksumPlaceholder = "00000000";

// CRC-32 (zlib's) over the header and then the data buffer. Covering the
// header too means a flipped byte in a tensor name or shape is caught, not
// only one in the values.
class Checksum {
public:
  // Version 2: the header's bytes as stored (padding included), with the
  // checksum's eight digits read as kChecksumPlaceholder.
  static Checksum overStoredHeader(std::string_view headerWithPlaceholder);
  // Version 1: nlohmann's compact dump of the parsed header without the
  // checksum key (canonical: sorted keys, fixed number and string spelling).
  static Checksum overParsedHeader(const nlohmann::json& header);
  void addData(const void* bytes, size_t size);
  // Eight lowercase hex digits.
  std::string hex() const;

private:
  Checksum();
  unsigned long crc_;
};

// Where the checksum's eight digits lie in a stored header: after the one
// `"nnc.crc32":"` in it (a key is written so only where it is a key: inside
// a string its quotes would be escaped). npos if it is not there once.
size_t checksumDigitsAt(std::string_view header);

}  // namespace nnc::runtime::checkpoint_format
