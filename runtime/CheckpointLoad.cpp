// loadCheckpoint: reads a safetensors file without trusting any of it. Every
// size and offset is checked against the file before anything is allocated
// or read, so a damaged or hostile file gives an error, never a crash.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <limits>
#include <new>
#include <numeric>
#include <set>
#include <system_error>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/Checkpoint.h"
#include "runtime/CheckpointFormat.h"
#include "support/InputFile.h"

namespace nnc::runtime {
namespace {

namespace format = checkpoint_format;
using nlohmann::json;

static_assert(std::endian::native == std::endian::little, "checkpoints assume a little-endian host");

// Where one tensor's bytes lie in the data buffer, once validated.
struct TensorEntry {
  std::string name;
  Shape shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// Thrown inside the reader only, and caught at its one entry point, so that
// each check is a single line; the message is the whole diagnostic.
struct LoadError {
  std::string message;
};

// strerror's text, thread-safely.
std::string errnoText() { return std::system_category().message(errno); }

bool isNonNegativeInteger(const json& value) {
  return value.is_number_unsigned() && value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

class CheckpointReader {
public:
  CheckpointReader(const std::string& path, int fd, const TensorFilter& wanted)
      : path_(path), fd_(fd), wanted_(wanted) {}

  Checkpoint read() {
    uint64_t fileSize = regularFileSize();
    if (fileSize < format::kHeaderSizeBytes)
      throw invalid(fmt::format("the file has {} bytes, too few for the {}-byte header size", fileSize,
                                format::kHeaderSizeBytes));
    uint64_t headerSize = readHeaderSize();
    uint64_t afterSize = fileSize - format::kHeaderSizeBytes;
    if (headerSize > afterSize)
      throw invalid(fmt::format("header size {} is larger than the file ({} bytes)", headerSize, fileSize));
    if (headerSize > format::kMaxHeaderBytes)
      throw invalid(fmt::format("header size {} exceeds the safetensors limit of {} bytes", headerSize,
                                format::kMaxHeaderBytes));
    dataStart_ = format::kHeaderSizeBytes + headerSize;
    dataSize_ = afterSize - headerSize;

    std::string headerText(static_cast<size_t>(headerSize), '\0');
    readAt(format::kHeaderSizeBytes, headerText.data(), headerText.size());
    json header = parseHeader(headerText);
    Checkpoint checkpoint;
    checkpoint.metadata = readMetadata(header);
    std::vector<TensorEntry> entries = readEntries(header);
    std::vector<size_t> byOffset = checkLayout(entries);
    std::string version;
    std::optional<std::string> expectedChecksum = takeNncMetadata(checkpoint.metadata, version);

    std::optional<format::Checksum> checksum;
    if (expectedChecksum) checksum = headerChecksum(version, header, headerText, *expectedChecksum);
    std::vector<std::optional<NamedTensor>> kept(entries.size());
    for (size_t i : byOffset) {
      if (wanted_ && !wanted_(entries[i].name)) {
        if (checksum) streamThroughChecksum(entries[i], *checksum);
        continue;
      }
      Tensor tensor(entries[i].shape);
      readAt(dataStart_ + entries[i].begin, tensor.data(), tensor.bytes());
      if (checksum) checksum->addData(tensor.data(), tensor.bytes());
      kept[i] = NamedTensor{entries[i].name, std::move(tensor)};
    }
    for (std::optional<NamedTensor>& t : kept)
      if (t) checkpoint.tensors.push_back(std::move(*t));
    if (checksum && checksum->hex() != *expectedChecksum)
      throw damaged(fmt::format("checksum mismatch (expected {}, found {})", *expectedChecksum, checksum->hex()));
    return checkpoint;
  }

private:
  LoadError invalid(const std::string& why) const {
    return {fmt::format("checkpoint '{}' is invalid: {}", path_, why)};
  }
  LoadError damaged(const std::string& why) const {
    return {fmt::format("checkpoint '{}' is damaged: {}", path_, why)};
  }
  LoadError cannotRead(const std::string& why) const {
    return {fmt::format("cannot read checkpoint '{}': {}", path_, why)};
  }

  uint64_t regularFileSize() const {
    struct stat info {};
    if (::fstat(fd_, &info) != 0) throw cannotRead(errnoText());
    if (S_ISDIR(info.st_mode)) throw cannotRead(std::system_category().message(EISDIR));
    if (!S_ISREG(info.st_mode)) throw cannotRead("not a regular file");
    return static_cast<uint64_t>(info.st_size);
  }

  void readAt(uint64_t offset, void* destination, size_t size) const {
    auto* bytes = static_cast<char*>(destination);
    while (size > 0) {
      ssize_t got = ::pread(fd_, bytes, size, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw cannotRead(errnoText());
      if (got == 0) throw cannotRead("the file shrank while being read");
      bytes += got;
      offset += static_cast<uint64_t>(got);
      size -= static_cast<size_t>(got);
    }
  }

  // The checksum of the header, as the file's format version computes it,
  // before the data is added to it.
  format::Checksum headerChecksum(const std::string& version, const json& header, std::string headerText,
                                  const std::string& expected) const {
    if (version == format::kFormatVersion1) return format::Checksum::overParsedHeader(header);
    size_t digits = format::checksumDigitsAt(headerText);
    const size_t width = format::kChecksumPlaceholder.size();
    if (digits == std::string::npos || headerText.compare(digits, width, expected) != 0)
      throw damaged(fmt::format("its header does not hold \"{}\":\"{}\" once, as written", format::kChecksumKey,
                                expected));
    headerText.replace(digits, width, format::kChecksumPlaceholder);
    return format::Checksum::overStoredHeader(headerText);
  }

  // A tensor nobody wants, checksummed a piece at a time and not kept.
  void streamThroughChecksum(const TensorEntry& entry, format::Checksum& checksum) const {
    std::vector<char> piece(size_t{1} << 20);
    for (uint64_t at = entry.begin; at < entry.end;) {
      size_t size = static_cast<size_t>(std::min<uint64_t>(piece.size(), entry.end - at));
      readAt(dataStart_ + at, piece.data(), size);
      checksum.addData(piece.data(), size);
      at += size;
    }
  }

  uint64_t readHeaderSize() const {
    unsigned char bytes[format::kHeaderSizeBytes];
    readAt(0, bytes, sizeof bytes);
    uint64_t size = 0;
    for (size_t i = 0; i < format::kHeaderSizeBytes; ++i) size |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    return size;
  }

  json parseHeader(const std::string& text) const {
    json header;
    // A safetensors header nests three deep (the header, a tensor's entry,
    // its shape): deeper nesting is refused as it is parsed, before anything
    // recursive (destruction, re-serialisation for the checksum) meets it;
    // the parser itself keeps its own stack. A key given twice in one object
    // is refused too: the parser would keep the last, which a checksum over
    // the parsed JSON cannot see.
    static constexpr int kMaxDepth = 3;
    std::vector<std::set<std::string>> keysOfOpenObjects;
    auto check = [&](int depth, json::parse_event_t event, json& parsed) {
      if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
          depth >= kMaxDepth)
        throw invalid(fmt::format("the header nests deeper than {} levels", kMaxDepth));
      if (event == json::parse_event_t::object_start) keysOfOpenObjects.emplace_back();
      if (event == json::parse_event_t::object_end) keysOfOpenObjects.pop_back();
      if (event == json::parse_event_t::key && !keysOfOpenObjects.back().insert(parsed.get<std::string>()).second)
        throw invalid(fmt::format("the header gives the key \"{}\" twice", parsed.get<std::string>()));
      return true;
    };
    try {
      header = json::parse(text, check);
    } catch (const json::parse_error& error) {
      // what() is "[json.exception.parse_error.101] parse error at ..."; the
      // bracketed id means nothing to a user.
      std::string_view what = error.what();
      if (size_t idEnd = what.find("] "); idEnd != std::string_view::npos) what.remove_prefix(idEnd + 2);
      throw invalid(fmt::format("malformed JSON header: {}", what));
    }
    if (!header.is_object()) throw invalid("the header is not a JSON object");
    // Then the format's rules for the bytes themselves: the JSON starts at the
    // first byte (no BOM, no whitespace) and only spaces pad it after its
    // closing brace (no NUL, no other bytes a checksum of the parsed JSON
    // would not see).
    if (text.empty() || text.front() != '{')
      throw invalid("the header does not start with '{' (the format allows nothing before it)");
    size_t end = text.find_last_not_of(' ');
    if (text[end] != '}') throw invalid("the header is padded with something other than spaces after its JSON");
    if (text.find('\0') != std::string::npos) throw invalid("the header holds a NUL byte");
    return header;
  }

  std::map<std::string, std::string> readMetadata(const json& header) const {
    std::map<std::string, std::string> metadata;
    auto it = header.find(format::kMetadataKey);
    if (it == header.end()) return metadata;
    if (!it->is_object()) throw invalid(fmt::format("{} is not a JSON object", format::kMetadataKey));
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) throw invalid(fmt::format("{} value of '{}' is not a string", format::kMetadataKey, key));
      metadata[key] = value.get<std::string>();
    }
    return metadata;
  }

  // One entry per tensor, in name order, each consistent on its own.
  std::vector<TensorEntry> readEntries(const json& header) const {
    std::vector<TensorEntry> entries;
    for (const auto& [name, info] : header.items()) {
      if (name == format::kMetadataKey) continue;
      if (!info.is_object()) throw invalid(fmt::format("tensor '{}' is not described by a JSON object", name));
      entries.push_back(readEntry(name, info));
    }
    return entries;
  }

  TensorEntry readEntry(const std::string& name, const json& info) const {
    TensorEntry entry{name, {}, 0, 0};
    for (const auto& [key, value] : info.items())
      if (key != "dtype" && key != "shape" && key != "data_offsets")
        throw invalid(fmt::format("tensor '{}' has the key \"{}\"; a tensor's entry holds only \"dtype\", "
                                  "\"shape\" and \"data_offsets\"", name, key));
    auto dtype = info.find("dtype");
    if (dtype == info.end() || !dtype->is_string()) throw invalid(fmt::format("tensor '{}' has no \"dtype\" string", name));
    if (*dtype != format::kDtypeF32)
      throw invalid(fmt::format("tensor '{}' has dtype {}; only F32 is supported", name, dtype->get<std::string>()));

    auto shape = info.find("shape");
    if (shape == info.end() || !shape->is_array() || !std::all_of(shape->begin(), shape->end(), isNonNegativeInteger))
      throw invalid(fmt::format("tensor '{}' has no \"shape\" array of non-negative integers", name));
    for (const json& d : *shape) entry.shape.push_back(d.get<int64_t>());
    int64_t count = elementCount(entry.shape);
    if (count < 0 || count > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(sizeof(float)))
      throw invalid(fmt::format("tensor '{}' has an absurd shape [{}]", name, fmt::join(entry.shape, ", ")));

    auto offsets = info.find("data_offsets");
    if (offsets == info.end() || !offsets->is_array() || offsets->size() != 2 ||
        !std::all_of(offsets->begin(), offsets->end(), isNonNegativeInteger))
      throw invalid(fmt::format("tensor '{}' has no \"data_offsets\" pair of non-negative integers", name));
    entry.begin = (*offsets)[0].get<uint64_t>();
    entry.end = (*offsets)[1].get<uint64_t>();
    if (entry.end < entry.begin)
      throw invalid(fmt::format("tensor '{}' has data_offsets [{}, {}] that end before they begin", name, entry.begin,
                                entry.end));
    uint64_t needed = static_cast<uint64_t>(count) * sizeof(float);
    if (entry.end - entry.begin != needed)
      throw invalid(fmt::format("tensor '{}' of shape [{}] needs {} bytes but its data_offsets [{}, {}] span {}", name,
                                fmt::join(entry.shape, ", "), needed, entry.begin, entry.end, entry.end - entry.begin));
    return entry;
  }

  // safetensors packs tensors with no gap and no overlap, and nothing after
  // the last one; a file that does not is damaged or not safetensors. Returns
  // the entries' indices in data order.
  std::vector<size_t> checkLayout(const std::vector<TensorEntry>& entries) const {
    std::vector<size_t> order(entries.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return std::tie(entries[a].begin, entries[a].end) < std::tie(entries[b].begin, entries[b].end);
    });
    uint64_t covered = 0;
    const TensorEntry* previous = nullptr;
    for (size_t i : order) {
      const TensorEntry& entry = entries[i];
      if (entry.begin < covered)
        throw invalid(fmt::format("tensors '{}' and '{}' overlap in the data buffer", previous->name, entry.name));
      if (entry.begin > covered)
        throw invalid(fmt::format("bytes {} to {} of the data buffer belong to no tensor", covered, entry.begin));
      covered = entry.end;
      // Empty tensors cannot overlap anything; remember the last real one.
      if (entry.end > entry.begin) previous = &entry;
    }
    if (covered > dataSize_)
      throw LoadError{fmt::format("checkpoint '{}' is truncated: its tensors need {} bytes of data but the file holds {}",
                                  path_, covered, dataSize_)};
    if (covered < dataSize_)
      throw invalid(fmt::format("the last {} bytes of the data buffer belong to no tensor", dataSize_ - covered));
    return order;
  }

  // For an nnc checkpoint, checks its format version, removes nnc's keys from
  // the user's metadata and returns the checksum it must match; for a file
  // from another tool (no nnc keys), nullopt. Either nnc key marks the file as
  // nnc's, so one damaged byte in the other cannot pass it off as foreign.
  std::optional<std::string> takeNncMetadata(std::map<std::string, std::string>& metadata, std::string& version) const {
    auto format = metadata.find(std::string(format::kFormatKey));
    auto checksum = metadata.find(std::string(format::kChecksumKey));
    bool nncFormat = format != metadata.end() && format->second.starts_with("nnc-");
    if (!nncFormat && checksum == metadata.end()) return std::nullopt;
    if (format == metadata.end()) throw damaged("its nnc checksum has no format version beside it");
    if (format->second != format::kFormatVersion && format->second != format::kFormatVersion1)
      throw LoadError{fmt::format("checkpoint '{}' has format '{}', which this nnc cannot read (it reads {} and {})",
                                  path_, format->second, format::kFormatVersion1, format::kFormatVersion)};
    version = format->second;
    if (checksum == metadata.end()) throw damaged("its nnc metadata has no checksum");
    std::string expected = checksum->second;
    metadata.erase(format);
    metadata.erase(checksum);
    return expected;
  }

  const std::string& path_;
  int fd_;
  const TensorFilter& wanted_;  // empty: every tensor
  uint64_t dataStart_ = 0;
  uint64_t dataSize_ = 0;
};

}  // namespace

std::optional<Checkpoint> loadCheckpoint(const std::string& path, Diagnostics& diagnostics, const TensorFilter& wanted) {
  std::string whyNot;
  int fd = openInputFile(path, whyNot);
  if (fd < 0) {
    diagnostics.error(fmt::format("cannot read checkpoint '{}': {}", path, whyNot));
    return std::nullopt;
  }
  std::optional<Checkpoint> checkpoint;
  try {
    checkpoint = CheckpointReader(path, fd, wanted).read();
  } catch (const LoadError& error) {
    diagnostics.error(error.message);
  } catch (const std::bad_alloc&) {
    diagnostics.error(fmt::format("cannot read checkpoint '{}': out of memory", path));
  } catch (const std::exception& error) {
    // Every JSON value is type-checked before use, so reaching this is a bug
    // in the checks; still an error, not a crash.
    diagnostics.error(fmt::format("checkpoint '{}' is invalid: {}", path, error.what()));
  }
  ::close(fd);
  return checkpoint;
}

}  // namespace nnc::runtime
