// IDX reading: values of every element type, plain and gzip files, and the
// exact message of every way a file can be wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>

#include "runtime/IdxReader.h"
#include "tests/runtime/DataFiles.h"

namespace nnc::runtime {
namespace {

using namespace std::string_literals;
using testing_data::appendBigEndian;
using testing_data::idxHeader;
using testing_data::idxUbyte;

// 3 images of 2x2 and their labels.
const std::string kImages = idxUbyte({3, 2, 2}, {0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0});
const std::string kLabels = idxUbyte({3}, {7, 0, 2});

class IdxReader : public testing_data::ScratchDir {};

TEST_F(IdxReader, LoadsPlainAndGzippedMnistPairs) {
  for (bool gzipped : {false, true}) {
    SCOPED_TRACE(gzipped ? "gzip" : "plain");
    auto write = [&](const std::string& name, const std::string& bytes) {
      return gzipped ? writeGzip(name + ".gz", bytes) : writePlain(name, bytes);
    };
    Diagnostics diags;
    std::optional<Dataset> data = loadIdxDataset(write("images", kImages), write("labels", kLabels), diags);
    ASSERT_TRUE(data) << diags.render();
    EXPECT_EQ(data->features.shapeString(), "[3, 4]");
    const float expected[] = {0, 1, 0.2f, 0.4f, 1 / 255.f, 2 / 255.f, 3 / 255.f, 4 / 255.f, 1, 1, 0, 0};
    for (int i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(data->features[i], expected[i]) << i;
    EXPECT_EQ(data->labels, (std::vector<int32_t>{7, 0, 2}));
    EXPECT_EQ(data->numClasses, 8);
  }
}

TEST_F(IdxReader, DecodesEveryElementType) {
  struct Case {
    IdxType type;
    int bytes;
    uint64_t encoded;  // big-endian bit pattern of the value
    float value;
  };
  const Case cases[] = {
      {IdxType::UByte, 1, 200, 200.0f},
      {IdxType::Byte, 1, 0xfd, -3.0f},
      {IdxType::Short, 2, 0xfed4, -300.0f},
      {IdxType::Int, 4, 100000, 100000.0f},
      {IdxType::Int, 4, 0xffffff9c, -100.0f},
      {IdxType::Float, 4, std::bit_cast<uint32_t>(1.5f), 1.5f},
      {IdxType::Double, 8, std::bit_cast<uint64_t>(-2.25), -2.25f},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(idxTypeName(c.type)));
    // A [2, 1, 2] array: the value, then 0, 1 and the value again.
    uint64_t one = c.type == IdxType::Float    ? std::bit_cast<uint32_t>(1.0f)
                   : c.type == IdxType::Double ? std::bit_cast<uint64_t>(1.0)
                                               : 1;
    std::string bytes = idxHeader(static_cast<uint32_t>(c.type) << 8 | 3, {2, 1, 2});
    for (uint64_t v : {c.encoded, uint64_t{0}, one, c.encoded}) appendBigEndian(bytes, v, c.bytes);
    Diagnostics diags;
    std::optional<IdxArray> array = readIdx(writePlain("array", bytes), diags);
    ASSERT_TRUE(array) << diags.render();
    EXPECT_EQ(array->type, c.type);
    EXPECT_EQ(array->values.shapeString(), "[2, 1, 2]");
    EXPECT_EQ(array->values[0], c.value);
    EXPECT_EQ(array->values[1], 0.0f);
    EXPECT_EQ(array->values[2], 1.0f);
    EXPECT_EQ(array->values[3], c.value);
  }
}

TEST_F(IdxReader, ReadsScalarsAndEmptyArrays) {
  Diagnostics diags;
  std::optional<IdxArray> scalar = readIdx(writePlain("scalar", idxUbyte({}, {42})), diags);
  ASSERT_TRUE(scalar) << diags.render();
  EXPECT_EQ(scalar->values.shapeString(), "[]");
  EXPECT_EQ(scalar->values[0], 42.0f);
  std::optional<IdxArray> empty = readIdx(writePlain("empty", idxUbyte({0, 5}, {})), diags);
  ASSERT_TRUE(empty) << diags.render();
  EXPECT_EQ(empty->values.size(), 0);
}

// Keeps the first `keep` bytes of `bytes`.
std::string cut(const std::string& bytes, size_t keep) { return bytes.substr(0, keep); }

TEST_F(IdxReader, ReportsEachBrokenFileExactly) {
  struct Case {
    const char* name;
    std::function<std::string()> images;  // writes the file, returns its path
    std::function<std::string()> labels;
    std::function<std::string()> expected;  // the rendered diagnostics
  };
  auto plain = [this](const char* file, std::string bytes) {
    return [this, file, bytes] { return writePlain(file, bytes); };
  };
  auto good = [&](const char* which) { return plain(which, which[0] == 'i' ? kImages : kLabels); };
  std::string gzipFooterless;  // kImages gzipped, without the 8-byte CRC/size footer
  std::string gzipBadCrc;      // kImages gzipped, with a wrong CRC
  {
    std::string gz = (writeGzip("whole.gz", kImages), read("whole.gz"));
    gzipFooterless = cut(gz, gz.size() - 8);
    gzipBadCrc = gz;
    gzipBadCrc[gz.size() - 8] ^= 0x55;
  }
  const std::vector<Case> cases = {
      {"missing file", [this] { return path("nowhere.gz"); }, good("labels"),
       [this] { return "nnc: error: cannot open '" + path("nowhere.gz") + "': No such file or directory\n"; }},
      {"directory", [this] { return path(""); }, good("labels"),
       [this] { return "nnc: error: cannot open '" + path("") + "': Is a directory\n"; }},
      {"empty file", plain("images", ""), good("labels"), [this] { return path("images") + ": error: file is empty\n"; }},
      {"short magic", plain("images", "\0\0"s), good("labels"),
       [this] { return path("images") + ": error: truncated: expected a 4-byte magic number, read 2 bytes\n"; }},
      {"labels given as images", good("labels"), good("labels"),
       [this] {
         return path("labels") +
                ": error: wrong magic number 0x00000801, expected 0x00000803 (ubyte images [N, rows, cols])\n";
       }},
      {"images given as labels", good("images"), plain("labels", kImages),
       [this] {
         return path("labels") + ": error: wrong magic number 0x00000803, expected 0x00000801 (ubyte labels [N])\n";
       }},
      {"short dimensions", plain("images", cut(kImages, 10)), good("labels"),
       [this] {
         return path("images") +
                ": error: truncated: expected 3 dimensions after the magic number (12 bytes), read 6 bytes\n";
       }},
      {"short data", plain("images", cut(kImages, 16 + 9)), good("labels"),
       [this] {
         return path("images") +
                ": error: truncated: expected 3 items (12 bytes of [3, 2, 2] ubyte data), read 2 items (9 bytes)\n";
       }},
      {"gzip stream cut short", plain("images.gz", gzipFooterless), good("labels"),
       [this] {
         return path("images.gz") + ": error: truncated: the gzip stream ends early, after 28 bytes of data\n";
       }},
      {"gzip checksum wrong", plain("images.gz", gzipBadCrc), good("labels"),
       [this] { return path("images.gz") + ": error: cannot read: incorrect data check\n"; }},
      // No images, but images of 2^64 pixels: the product is 0, the image
      // size overflowed (a memset of 2^64 floats: SIGSEGV).
      {"image size overflows with no images", plain("images", idxHeader(0x803, {0, 0xffffffff, 0xffffffff})),
       plain("labels", idxHeader(0x801, {0})),
       [this] { return path("images") + ": error: dimensions [0, 4294967295, 4294967295] are too large\n"; }},
      {"dimensions overflow", plain("images", idxHeader(0x803, {0xffffffff, 0xffffffff, 0xffffffff})),
       good("labels"),
       [this] {
         return path("images") + ": error: dimensions [4294967295, 4294967295, 4294967295] are too large\n";
       }},
      {"dimensions absurd", plain("images", idxHeader(0x803, {1000000, 1000000, 1000})), good("labels"),
       [this] {
         return path("images") +
                ": error: truncated: expected 1000000 items (1000000000000000 bytes of [1000000, 1000000, 1000] "
                "ubyte data), read 0 items (0 bytes)\n";
       }},
      {"count mismatch", good("images"), plain("labels", idxUbyte({2}, {1, 2})),
       [this] { return path("labels") + ": error: holds 2 labels but '" + path("images") + "' holds 3 images\n"; }},
      {"both files broken", plain("images", ""), plain("labels", "\0\0\x08"s),
       [this] {
         return path("images") + ": error: file is empty\n" + path("labels") +
                ": error: truncated: expected a 4-byte magic number, read 3 bytes\n";
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Diagnostics diags;
    EXPECT_FALSE(loadIdxDataset(c.images(), c.labels(), diags));
    EXPECT_EQ(diags.render(), c.expected());
  }
}

TEST_F(IdxReader, ReportsFilesThatAreNotIdxExactly) {
  struct Case {
    const char* name;
    std::string bytes;
    std::string message;
  };
  const Case cases[] = {
      {"zip file", "PK\x03\x04rest",
       "wrong magic number 0x504b0304, expected 0x0000 then a type code and a rank: not an IDX file"},
      {"unknown type", idxHeader(0x00000a01, {1}) + "x",
       "unsupported IDX type code 0x0a in magic number 0x00000a01; supported: 0x08 ubyte, 0x09 byte, "
       "0x0b short, 0x0c int, 0x0d float, 0x0e double"},
      {"one dimension short", cut(idxHeader(0x00000d02, {1, 1}), 9),
       "truncated: expected 2 dimensions after the magic number (8 bytes), read 5 bytes"},
      {"double data short", idxHeader(0x00000e01, {1}) + "1234567",
       "truncated: expected 1 item (8 bytes of [1] double data), read 0 items (7 bytes)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Diagnostics diags;
    EXPECT_FALSE(readIdx(writePlain("file", c.bytes), diags));
    EXPECT_EQ(diags.render(), path("file") + ": error: " + c.message + "\n");
  }
}

// The real data set, from Debian's dataset-fashion-mnist package.
TEST(FashionMnist, LoadsTrainingAndTestSets) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(dir + "train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  struct Split {
    const char* prefix;
    int64_t count;
  };
  for (Split split : {Split{"train", 60000}, Split{"t10k", 10000}}) {
    SCOPED_TRACE(split.prefix);
    Diagnostics diags;
    auto start = std::chrono::steady_clock::now();
    std::optional<Dataset> data = loadIdxDataset(dir + split.prefix + "-images-idx3-ubyte.gz",
                                                 dir + split.prefix + "-labels-idx1-ubyte.gz", diags);
    auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
    ASSERT_TRUE(data) << diags.render();
    ::testing::Test::RecordProperty(std::string(split.prefix) + "_load_ms", static_cast<int>(elapsed.count()));
    EXPECT_EQ(data->features.shape(), (Shape{split.count, 784}));
    EXPECT_EQ(data->sampleCount(), split.count);
    EXPECT_EQ(data->numClasses, 10);
    auto [low, high] = std::minmax_element(data->features.values().begin(), data->features.values().end());
    EXPECT_EQ(*low, 0.0f);
    EXPECT_EQ(*high, 1.0f);
    // The classes are balanced: a tenth of the samples each.
    std::vector<int64_t> perClass(10);
    for (int32_t label : data->labels) {
      ASSERT_TRUE(label >= 0 && label < 10) << label;
      ++perClass[static_cast<size_t>(label)];
    }
    for (int64_t n : perClass) EXPECT_EQ(n, split.count / 10);
    EXPECT_EQ(data->labels[0], 9);  // both sets open with an ankle boot
  }
}

}  // namespace
}  // namespace nnc::runtime
