#include "runtime/IdxReader.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <new>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/ReadWholeFile.h"

namespace nnc::runtime {

namespace {
// A header whose claims have been checked against the bytes present.
struct IdxHeader {
  IdxType type;
  Shape shape;
  int64_t elements;
  size_t dataOffset;  // bytes before the first element
};

// The one magic number a caller accepts, and what it means, for messages.
struct ExpectedMagic {
  uint32_t magic;
  const char* meaning;
};

constexpr ExpectedMagic kMnistImages{0x00000803, "ubyte images [N, rows, cols]"};
constexpr ExpectedMagic kMnistLabels{0x00000801, "ubyte labels [N]"};
}  // namespace

std::string_view idxTypeName(IdxType type) {
  switch (type) {
    case IdxType::UByte: return "ubyte";
    case IdxType::Byte: return "byte";
    case IdxType::Short: return "short";
    case IdxType::Int: return "int";
    case IdxType::Float: return "float";
    case IdxType::Double: return "double";
  }
  return "?";
}

static size_t elementBytes(IdxType type) {
  switch (type) {
    case IdxType::UByte:
    case IdxType::Byte: return 1;
    case IdxType::Short: return 2;
    case IdxType::Int:
    case IdxType::Float: return 4;
    case IdxType::Double: return 8;
  }
  return 1;
}

static bool isIdxTypeCode(uint32_t code) {
  for (IdxType type : {IdxType::UByte, IdxType::Byte, IdxType::Short, IdxType::Int, IdxType::Float, IdxType::Double})
    if (code == static_cast<uint32_t>(type)) return true;
  return false;
}

static uint64_t loadBigEndian(const unsigned char* bytes, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) value = value << 8 | bytes[i];
  return value;
}

static std::string shapeText(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

static std::string countOf(uint64_t count, std::string_view noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

static std::optional<IdxHeader> parseHeader(std::string_view bytes, const std::string& path,
                                            const ExpectedMagic* expected, Diagnostics& diags) {
  auto fail = [&](std::string message) {
    diags.errorInFile(path, {}, "", std::move(message));
    return std::nullopt;
  };
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.empty()) return fail("file is empty");
  if (bytes.size() < 4)
    return fail(fmt::format("truncated: expected a 4-byte magic number, read {}", countOf(bytes.size(), "byte")));

  auto magic = static_cast<uint32_t>(loadBigEndian(data, 4));
  if (expected && magic != expected->magic)
    return fail(fmt::format("wrong magic number 0x{:08x}, expected 0x{:08x} ({})", magic, expected->magic,
                            expected->meaning));
  if (magic >> 16 != 0)
    return fail(fmt::format("wrong magic number 0x{:08x}, expected 0x0000 then a type code and a rank: "
                            "not an IDX file",
                            magic));
  uint32_t code = magic >> 8 & 0xff;
  if (!isIdxTypeCode(code))
    return fail(fmt::format("unsupported IDX type code 0x{:02x} in magic number 0x{:08x}; supported: "
                            "0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float, 0x0e double",
                            code, magic));
  auto type = static_cast<IdxType>(code);

  size_t rank = magic & 0xff;
  size_t headerBytes = 4 + 4 * rank;
  if (bytes.size() < headerBytes)
    return fail(fmt::format("truncated: expected {} after the magic number ({}), read {}", countOf(rank, "dimension"),
                            countOf(4 * rank, "byte"), countOf(bytes.size() - 4, "byte")));
  Shape shape;
  for (size_t i = 0; i < rank; ++i) shape.push_back(static_cast<int64_t>(loadBigEndian(data + 4 + 4 * i, 4)));

  // Refused before anything is allocated for them. One item (an image) must
  // have a size too: with no items the product is 0 whatever the others are.
  int64_t elements = elementCount(shape);
  int64_t itemElements = elementCount(Shape(shape.begin() + (rank > 0 ? 1 : 0), shape.end()));
  size_t size = elementBytes(type);
  if (elements < 0 || itemElements < 0 ||
      static_cast<uint64_t>(std::max(elements, itemElements)) > std::numeric_limits<uint64_t>::max() / size)
    return fail(fmt::format("dimensions {} are too large", shapeText(shape)));
  uint64_t needed = static_cast<uint64_t>(elements) * size;
  uint64_t present = bytes.size() - headerBytes;
  if (present < needed) {
    // An item is one entry along the first dimension (one image, one label).
    uint64_t items = rank > 0 ? static_cast<uint64_t>(shape[0]) : 1;
    uint64_t itemBytes = needed / items;
    return fail(fmt::format("truncated: expected {} ({} of {} {} data), read {} ({})", countOf(items, "item"),
                            countOf(needed, "byte"), shapeText(shape), idxTypeName(type),
                            countOf(present / itemBytes, "item"), countOf(present, "byte")));
  }
  return IdxHeader{type, std::move(shape), elements, headerBytes};
}

// Calls sink(i, value) for each element, decoded from big-endian; one loop
// per type so the conversion is not re-dispatched per element.
template <typename Sink>
static void forEachElement(IdxType type, const unsigned char* data, int64_t count, Sink&& sink) {
  switch (type) {
    case IdxType::UByte:
      for (int64_t i = 0; i < count; ++i) sink(i, data[i]);
      return;
    case IdxType::Byte:
      for (int64_t i = 0; i < count; ++i) sink(i, static_cast<int8_t>(data[i]));
      return;
    case IdxType::Short:
      for (int64_t i = 0; i < count; ++i) sink(i, static_cast<int16_t>(loadBigEndian(data + 2 * i, 2)));
      return;
    case IdxType::Int:
      for (int64_t i = 0; i < count; ++i) sink(i, static_cast<int32_t>(loadBigEndian(data + 4 * i, 4)));
      return;
    case IdxType::Float:
      for (int64_t i = 0; i < count; ++i)
        sink(i, std::bit_cast<float>(static_cast<uint32_t>(loadBigEndian(data + 4 * i, 4))));
      return;
    case IdxType::Double:
      for (int64_t i = 0; i < count; ++i) sink(i, std::bit_cast<double>(loadBigEndian(data + 8 * i, 8)));
      return;
  }
}

static const unsigned char* elementData(const std::string& bytes, const IdxHeader& header) {
  return reinterpret_cast<const unsigned char*>(bytes.data()) + header.dataOffset;
}

std::optional<IdxArray> readIdx(const std::string& path, Diagnostics& diags) {
  std::optional<std::string> bytes = readWholeFile(path, diags);
  if (!bytes) return std::nullopt;
  std::optional<IdxHeader> header = parseHeader(*bytes, path, nullptr, diags);
  if (!header) return std::nullopt;
  IdxArray array{header->type, Tensor(header->shape)};
  float* out = array.values.data();
  forEachElement(header->type, elementData(*bytes, *header), header->elements,
                 [out](int64_t i, auto value) { out[i] = static_cast<float>(value); });
  return array;
}

std::optional<Dataset> loadIdxDataset(const std::string& imagesPath, const std::string& labelsPath,
                                      Diagnostics& diags) {
  // Both files are read and checked before giving up, so one run reports the
  // problems of both.
  std::optional<std::string> imageBytes = readWholeFile(imagesPath, diags);
  std::optional<IdxHeader> images =
      imageBytes ? parseHeader(*imageBytes, imagesPath, &kMnistImages, diags) : std::nullopt;
  std::optional<std::string> labelBytes = readWholeFile(labelsPath, diags);
  std::optional<IdxHeader> labels =
      labelBytes ? parseHeader(*labelBytes, labelsPath, &kMnistLabels, diags) : std::nullopt;
  if (!images || !labels) return std::nullopt;

  int64_t count = images->shape[0];
  if (labels->shape[0] != count) {
    diags.errorInFile(labelsPath, {}, "",
                      fmt::format("holds {} but '{}' holds {}", countOf(static_cast<uint64_t>(labels->shape[0]), "label"),
                                  imagesPath, countOf(static_cast<uint64_t>(count), "image")));
    return std::nullopt;
  }

  Dataset data;
  try {
    data.features = Tensor({count, images->shape[1] * images->shape[2]});
  } catch (const std::bad_alloc&) {
    diags.errorInFile(imagesPath, {}, "",
                      fmt::format("not enough memory for its {} images as float32 samples", count));
    return std::nullopt;
  }
  const unsigned char* pixels = elementData(*imageBytes, *images);
  float* features = data.features.data();
  for (int64_t i = 0; i < data.features.size(); ++i) features[i] = static_cast<float>(pixels[i]) / 255.0f;

  const unsigned char* classes = elementData(*labelBytes, *labels);
  data.labels.assign(classes, classes + count);
  data.numClasses = count == 0 ? 0 : *std::max_element(data.labels.begin(), data.labels.end()) + 1;
  data.imageShape = {1, images->shape[1], images->shape[2]};
  return data;
}

}  // namespace nnc::runtime
