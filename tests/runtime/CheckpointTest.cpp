#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <csignal>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/Checkpoint.h"

namespace nnc::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

Tensor makeTensor(Shape shape, const std::vector<float>& values) {
  Tensor t(std::move(shape));
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

// Bit-exact: NaN payloads and -0.0 must survive, so no float comparison.
bool sameBits(const Tensor& a, const Tensor& b) {
  // An empty tensor's data() is null, which memcmp may not be given.
  return a.shape() == b.shape() && a.bytes() == b.bytes() &&
         (a.bytes() == 0 || std::memcmp(a.data(), b.data(), a.bytes()) == 0);
}

bool sameContent(const Checkpoint& a, const Checkpoint& b) {
  if (a.tensors.size() != b.tensors.size() || a.metadata != b.metadata) return false;
  for (size_t i = 0; i < a.tensors.size(); ++i)
    if (a.tensors[i].name != b.tensors[i].name || !sameBits(a.tensors[i].tensor, b.tensors[i].tensor)) return false;
  return true;
}

// What training writes: parameters in PyTorch's names, optimizer state, a
// learnable activation parameter, the step as a scalar; values that a sloppy
// writer would change (NaN payload, -0, infinity, subnormal); and, given out
// of order, to show that saving sorts them.
Checkpoint sampleCheckpoint() {
  Checkpoint c;
  c.tensors.push_back({"fc2.weight", makeTensor({2, 3}, {1.5f, -0.0f, std::numeric_limits<float>::infinity(),
                                                          std::bit_cast<float>(0x7fc01234u), 1e-45f, -3.25f})});
  c.tensors.push_back({"fc1.bias", makeTensor({3}, {0.1f, 0.2f, 0.3f})});
  c.tensors.push_back({"fc1.weight", makeTensor({3, 2}, {1, 2, 3, 4, 5, 6})});
  c.tensors.push_back({"optimizer.adam.m.fc1.bias", makeTensor({3}, {-1e30f, 0, 1e30f})});
  c.tensors.push_back({"optimizer.adam.step", makeTensor({}, {42})});
  c.tensors.push_back({"swish.beta", makeTensor({1}, {1.702f})});
  c.tensors.push_back({"unused", makeTensor({0, 4}, {})});
  c.metadata = {{"epoch", "7"}, {"model", "mlp.nn"}, {"note", "a \"quote\", a \\, a\nnewline, a tab\t, caf\xc3\xa9"}};
  return c;
}

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const std::string& path, const std::string& bytes) {
  // A new file rather than a truncated one: ext4 flushes a file truncated
  // and rewritten to disk on close, which made the damage loops take seconds.
  fs::remove(path);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string littleEndian64(uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xff);
  return bytes;
}

std::string floatBytes(const std::vector<float>& values) {
  return {reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)};
}

// A safetensors file laid out by hand, unpadded unless the header is.
std::string safetensorsFile(const std::string& header, const std::string& data) {
  return littleEndian64(header.size()) + header + data;
}

class CheckpointTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "nnc-checkpoint-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  std::vector<std::string> filesInDir() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string save(const std::string& name, const Checkpoint& checkpoint) {
    Diagnostics diags;
    EXPECT_TRUE(saveCheckpoint(path(name), checkpoint, diags)) << diags.render();
    return path(name);
  }

  // The rendered error of loading `bytes`, which must fail.
  std::string loadError(const std::string& bytes) {
    writeBytes(path("bad.safetensors"), bytes);
    Diagnostics diags;
    EXPECT_FALSE(loadCheckpoint(path("bad.safetensors"), diags).has_value());
    return diags.render();
  }

  std::string dir_;
};

TEST_F(CheckpointTest, RoundTripKeepsNamesShapesBitsAndMetadata) {
  Checkpoint saved = sampleCheckpoint();
  std::string file = save("model.safetensors", saved);

  Diagnostics diags;
  std::optional<Checkpoint> loaded = loadCheckpoint(file, diags);
  ASSERT_TRUE(loaded) << diags.render();
  EXPECT_FALSE(diags.hasErrors());

  std::vector<std::string> names;
  for (const NamedTensor& t : loaded->tensors) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"fc1.bias", "fc1.weight", "fc2.weight", "optimizer.adam.m.fc1.bias",
                                             "optimizer.adam.step", "swish.beta", "unused"}));
  for (const NamedTensor& t : saved.tensors) {
    const Tensor* back = loaded->find(t.name);
    ASSERT_NE(back, nullptr) << t.name;
    EXPECT_TRUE(sameBits(*back, t.tensor)) << t.name << " " << back->shapeString();
  }
  EXPECT_EQ(loaded->find("optimizer.adam.step")->rank(), 0);
  // The format's own keys are not the user's metadata.
  EXPECT_EQ(loaded->metadata, saved.metadata);
}

TEST_F(CheckpointTest, FindReturnsNullForAnUnknownName) {
  Checkpoint c = sampleCheckpoint();
  EXPECT_EQ(c.find("fc3.weight"), nullptr);
  EXPECT_EQ(c.find("fc1.bias"), &c.tensors[1].tensor);
}

TEST_F(CheckpointTest, SameContentGivesIdenticalBytes) {
  Checkpoint forward = sampleCheckpoint();
  Checkpoint reversed = forward;
  std::reverse(reversed.tensors.begin(), reversed.tensors.end());
  std::string a = readBytes(save("a.safetensors", forward));
  std::string b = readBytes(save("b.safetensors", reversed));
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
}

TEST_F(CheckpointTest, ReservedMetadataKeysAreOverwrittenNotDuplicated) {
  Checkpoint c;
  c.tensors.push_back({"w", makeTensor({2}, {1.0f, -2.0f})});
  c.metadata = {{"epoch", "3"}, {"format", "pt"}, {"nnc.crc32", "12345678"}};
  Checkpoint plain = c;
  plain.metadata = {{"epoch", "3"}};
  EXPECT_EQ(readBytes(save("a.safetensors", c)), readBytes(save("b.safetensors", plain)));
}

// The layout safetensors' own writer produces: compact JSON, padded with
// spaces to 8 bytes, data packed in header order. The checksum is pinned so
// that a change to what it covers cannot go unnoticed (it breaks old files);
// it was computed independently, with Python's zlib.crc32 over the header's
// bytes as stored, its own digits read as 00000000, followed by the data.
TEST_F(CheckpointTest, HeaderLayoutIsSafetensors) {
  Checkpoint c;
  c.tensors.push_back({"w", makeTensor({2}, {1.0f, -2.0f})});
  c.metadata = {{"epoch", "3"}};
  std::string header =
      R"({"__metadata__":{"epoch":"3","format":"nnc-checkpoint-2","nnc.crc32":"8f6abb10"},)"
      R"("w":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}})";
  ASSERT_EQ(header.size(), 134u);
  std::string expected = safetensorsFile(header + "  ", "\x00\x00\x80\x3f\x00\x00\x00\xc0"s);
  EXPECT_EQ(readBytes(save("w.safetensors", c)), expected);
}

// Checkpoints of the first format (checksum over the re-serialised header)
// still load: the file the test above pinned before the format changed.
TEST_F(CheckpointTest, ReadsTheFirstFormat) {
  std::string header =
      R"({"__metadata__":{"epoch":"3","format":"nnc-checkpoint-1","nnc.crc32":"c694df53"},)"
      R"("w":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}})";
  writeBytes(path("v1.safetensors"), safetensorsFile(header + "  ", "\x00\x00\x80\x3f\x00\x00\x00\xc0"s));
  Diagnostics diags;
  std::optional<Checkpoint> loaded = loadCheckpoint(path("v1.safetensors"), diags);
  ASSERT_TRUE(loaded) << diags.render();
  EXPECT_TRUE(sameBits(*loaded->find("w"), makeTensor({2}, {1.0f, -2.0f})));
  EXPECT_EQ(loaded->metadata, (std::map<std::string, std::string>{{"epoch", "3"}}));
}

// The checksum now sees what parsing drops: a space added inside the JSON
// (or a number spelt 2.0 for 2) is a change of the file.
TEST_F(CheckpointTest, TheChecksumCoversTheHeaderAsStored) {
  Checkpoint c;
  c.tensors.push_back({"w", makeTensor({2}, {1.0f, -2.0f})});
  std::string bytes = readBytes(save("w.safetensors", c));
  size_t shape = bytes.find("[2]}}  ");
  ASSERT_NE(shape, std::string::npos);
  std::string respelt = bytes;
  respelt.replace(shape, 7, "[ 2]}} ");  // a padding space moved into the JSON: the same parsed header
  std::string error = loadError(respelt);
  EXPECT_NE(error.find("is damaged: checksum mismatch"), std::string::npos) << error;
}

// As safetensors.torch.save_file writes: metadata {"format": "pt"}, keys in
// its own order, padding. nnc keeps the foreign metadata and needs no checksum.
TEST_F(CheckpointTest, ReadsSafetensorsFromOtherTools) {
  std::string header =
      R"({"__metadata__":{"format":"pt"},"fc.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},)"
      R"("fc.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  writeBytes(path("torch.safetensors"), safetensorsFile(header, floatBytes({0.5f, -1.5f, 2.0f})));

  Diagnostics diags;
  std::optional<Checkpoint> loaded = loadCheckpoint(path("torch.safetensors"), diags);
  ASSERT_TRUE(loaded) << diags.render();
  ASSERT_EQ(loaded->tensors.size(), 2u);
  EXPECT_EQ(loaded->tensors[0].name, "fc.bias");
  EXPECT_TRUE(sameBits(loaded->tensors[0].tensor, makeTensor({1}, {2.0f})));
  EXPECT_TRUE(sameBits(*loaded->find("fc.weight"), makeTensor({1, 2}, {0.5f, -1.5f})));
  EXPECT_EQ(loaded->metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
}

TEST_F(CheckpointTest, ReadsSafetensorsWithoutMetadataOrTensors) {
  writeBytes(path("bare.safetensors"), safetensorsFile(R"({"b":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})",
                                                       floatBytes({7.0f})));
  writeBytes(path("empty.safetensors"), safetensorsFile("{}", ""));
  Diagnostics diags;
  std::optional<Checkpoint> bare = loadCheckpoint(path("bare.safetensors"), diags);
  std::optional<Checkpoint> empty = loadCheckpoint(path("empty.safetensors"), diags);
  ASSERT_TRUE(bare && empty) << diags.render();
  EXPECT_TRUE(sameBits(*bare->find("b"), makeTensor({}, {7.0f})));
  EXPECT_TRUE(bare->metadata.empty());
  EXPECT_TRUE(empty->tensors.empty());
}

TEST_F(CheckpointTest, SavingReplacesAnExistingCheckpoint) {
  Checkpoint first;
  first.tensors.push_back({"w", makeTensor({2}, {1, 2})});
  Checkpoint second = sampleCheckpoint();
  save("model.safetensors", first);
  std::string file = save("model.safetensors", second);

  Diagnostics diags;
  std::optional<Checkpoint> loaded = loadCheckpoint(file, diags);
  ASSERT_TRUE(loaded) << diags.render();
  EXPECT_EQ(loaded->tensors.size(), second.tensors.size());
  EXPECT_EQ(filesInDir(), std::vector<std::string>{"model.safetensors"});  // no temporary file left
}

// Saving through a symlink replaces the file it names, and the link stays
// (the link itself was replaced by a file).
TEST_F(CheckpointTest, SavingThroughASymlinkKeepsTheLink) {
  Checkpoint first;
  first.tensors.push_back({"w", makeTensor({2}, {1, 2})});
  std::string target = save("target.safetensors", first);
  std::filesystem::create_symlink(target, path("link.safetensors"));
  save("link.safetensors", sampleCheckpoint());
  EXPECT_TRUE(std::filesystem::is_symlink(path("link.safetensors")));
  Diagnostics diags;
  std::optional<Checkpoint> loaded = loadCheckpoint(target, diags);
  ASSERT_TRUE(loaded) << diags.render();
  EXPECT_EQ(loaded->tensors.size(), sampleCheckpoint().tensors.size());
}

// A replaced checkpoint keeps its permissions (0600 became 0644).
TEST_F(CheckpointTest, SavingKeepsThePermissionsOfTheFileItReplaces) {
  std::string file = save("private.safetensors", sampleCheckpoint());
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  save("private.safetensors", sampleCheckpoint());
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// The temporary of a save that was killed (its process gone) is removed by
// the next save; one of a live process (another save) is left alone.
TEST_F(CheckpointTest, SavingRemovesTemporariesOfKilledSaves) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // a pid that no process has now
  std::ofstream(path("ck.safetensors.tmp." + std::to_string(child))) << "partial";
  std::ofstream(path("ck.safetensors.tmp." + std::to_string(::getppid()))) << "someone else's";
  save("ck.safetensors", sampleCheckpoint());
  EXPECT_EQ(filesInDir(), (std::vector<std::string>{"ck.safetensors", "ck.safetensors.tmp." + std::to_string(::getppid())}));
}

TEST_F(CheckpointTest, SaveIntoAMissingDirectoryFails) {
  std::string file = path("missing/model.safetensors");
  Diagnostics diags;
  EXPECT_FALSE(saveCheckpoint(file, sampleCheckpoint(), diags));
  EXPECT_EQ(diags.render(), "nnc: error: cannot write checkpoint '" + file + "': No such file or directory\n");
  EXPECT_TRUE(filesInDir().empty());
}

// A read-only directory does not stop root, so the parent is a regular file.
TEST_F(CheckpointTest, SaveUnderARegularFileFails) {
  writeBytes(path("notes.txt"), "not a directory");
  std::string file = path("notes.txt/model.safetensors");
  Diagnostics diags;
  EXPECT_FALSE(saveCheckpoint(file, sampleCheckpoint(), diags));
  EXPECT_EQ(diags.render(), "nnc: error: cannot write checkpoint '" + file + "': Not a directory\n");
  EXPECT_EQ(filesInDir(), std::vector<std::string>{"notes.txt"});
}

// The temporary file's name is taken by a directory, so the save fails
// before writing anything; the old checkpoint must be untouched, and the
// directory (not ours) must not be removed.
TEST_F(CheckpointTest, FailedSaveLeavesTheOldCheckpointIntact) {
  Checkpoint old;
  old.tensors.push_back({"w", makeTensor({2}, {1, 2})});
  std::string file = save("model.safetensors", old);
  std::string oldBytes = readBytes(file);
  std::string temporary = file + ".tmp." + std::to_string(::getpid());
  fs::create_directory(temporary);

  Diagnostics diags;
  EXPECT_FALSE(saveCheckpoint(file, sampleCheckpoint(), diags));
  EXPECT_EQ(diags.render(), "nnc: error: cannot write checkpoint '" + file + "': Is a directory\n");
  EXPECT_EQ(readBytes(file), oldBytes);
  EXPECT_TRUE(fs::is_directory(temporary));
}

// A write that fails halfway (here: the file size limit, which binds root
// too) must remove the partial temporary file and keep the old checkpoint.
TEST_F(CheckpointTest, SaveFailingMidwayRemovesItsTemporaryFile) {
  Checkpoint old;
  old.tensors.push_back({"w", makeTensor({2}, {1, 2})});
  std::string file = save("model.safetensors", old);
  std::string oldBytes = readBytes(file);
  Checkpoint big;
  big.tensors.push_back({"w", Tensor({4096})});

  rlimit previous{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &previous), 0);
  rlimit small = previous;
  small.rlim_cur = 1024;
  auto previousHandler = std::signal(SIGXFSZ, SIG_IGN);  // so write() fails with EFBIG instead
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  Diagnostics diags;
  bool saved = saveCheckpoint(file, big, diags);
  ::setrlimit(RLIMIT_FSIZE, &previous);
  std::signal(SIGXFSZ, previousHandler);

  EXPECT_FALSE(saved);
  EXPECT_EQ(diags.render(), "nnc: error: cannot write checkpoint '" + file + "': File too large\n");
  EXPECT_EQ(readBytes(file), oldBytes);
  EXPECT_EQ(filesInDir(), std::vector<std::string>{"model.safetensors"});
}

TEST_F(CheckpointTest, SaveRefusesWhatCannotBeStored) {
  struct Case {
    std::vector<NamedTensor> tensors;
    std::map<std::string, std::string> metadata;
    std::string why;
  };
  std::vector<Case> cases = {
      {{{"w", Tensor({1})}, {"w", Tensor({2})}}, {}, "two tensors are named 'w'"},
      {{{"__metadata__", Tensor({1})}}, {}, "'__metadata__' is reserved and cannot name a tensor"},
      {{{"w", Tensor()}}, {}, "tensor 'w' has no storage"},
      {{{"caf\xe9", Tensor({1})}}, {}, "a tensor name or metadata string is not valid UTF-8"},
      {{}, {{"note", "\xff"}}, "a tensor name or metadata string is not valid UTF-8"},
  };
  std::string file = path("model.safetensors");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    Diagnostics diags;
    EXPECT_FALSE(saveCheckpoint(file, Checkpoint{c.tensors, c.metadata}, diags));
    EXPECT_EQ(diags.render(), "nnc: error: cannot write checkpoint '" + file + "': " + c.why + "\n");
  }
  EXPECT_TRUE(filesInDir().empty());
}

TEST_F(CheckpointTest, LoadReportsAMissingFileOrADirectory) {
  Diagnostics diags;
  EXPECT_FALSE(loadCheckpoint(path("nothing.safetensors"), diags));
  EXPECT_FALSE(loadCheckpoint(dir_, diags));
  EXPECT_EQ(diags.render(), "nnc: error: cannot read checkpoint '" + path("nothing.safetensors") +
                                "': No such file or directory\n"
                                "nnc: error: cannot read checkpoint '" +
                                dir_ + "': Is a directory\n");
}

// Each way a file can be wrong, with the exact message. "P" stands for the path.
TEST_F(CheckpointTest, LoadRefusesInvalidFilesWithClearErrors) {
  auto tensor = [](const std::string& name, const std::string& shape, uint64_t begin, uint64_t end) {
    return "\"" + name + R"(":{"dtype":"F32","shape":)" + shape + ",\"data_offsets\":[" + std::to_string(begin) + "," +
           std::to_string(end) + "]}";
  };
  struct Case {
    std::string bytes;
    std::string message;
  };
  std::vector<Case> cases = {
      {"abcde", "checkpoint 'P' is invalid: the file has 5 bytes, too few for the 8-byte header size"},
      {littleEndian64(1000) + "{}", "checkpoint 'P' is invalid: header size 1000 is larger than the file (10 bytes)"},
      {safetensorsFile(R"({"w":)", ""),
       "checkpoint 'P' is invalid: malformed JSON header: parse error at line 1, column 6: syntax error while parsing "
       "value - unexpected end of input; expected '[', '{', or a literal"},
      {safetensorsFile("[1,2]", ""), "checkpoint 'P' is invalid: the header is not a JSON object"},
      {safetensorsFile(R"({"__metadata__":[]})", ""), "checkpoint 'P' is invalid: __metadata__ is not a JSON object"},
      {safetensorsFile(R"({"__metadata__":{"epoch":3}})", ""),
       "checkpoint 'P' is invalid: __metadata__ value of 'epoch' is not a string"},
      {safetensorsFile(R"({"w":5})", ""), "checkpoint 'P' is invalid: tensor 'w' is not described by a JSON object"},
      {safetensorsFile(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", floatBytes({1})),
       "checkpoint 'P' is invalid: tensor 'w' has no \"dtype\" string"},
      {safetensorsFile(R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", floatBytes({1})),
       "checkpoint 'P' is invalid: tensor 'w' has dtype F16; only F32 is supported"},
      {safetensorsFile("{" + tensor("w", "[-1]", 0, 4) + "}", floatBytes({1})),
       "checkpoint 'P' is invalid: tensor 'w' has no \"shape\" array of non-negative integers"},
      {safetensorsFile("{" + tensor("w", "[1.0]", 0, 4) + "}", floatBytes({1})),
       "checkpoint 'P' is invalid: tensor 'w' has no \"shape\" array of non-negative integers"},
      {safetensorsFile("{" + tensor("w", "[4294967296,4294967296]", 0, 4) + "}", floatBytes({1})),
       "checkpoint 'P' is invalid: tensor 'w' has an absurd shape [4294967296, 4294967296]"},
      // Fits int64 as a count, but not as bytes.
      {safetensorsFile("{" + tensor("w", "[2305843009213693952]", 0, 4) + "}", floatBytes({1})),
       "checkpoint 'P' is invalid: tensor 'w' has an absurd shape [2305843009213693952]"},
      {safetensorsFile(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", floatBytes({1})),
       "checkpoint 'P' is invalid: tensor 'w' has no \"data_offsets\" pair of non-negative integers"},
      {safetensorsFile("{" + tensor("w", "[1]", 8, 4) + "}", floatBytes({1})),
       "checkpoint 'P' is invalid: tensor 'w' has data_offsets [8, 4] that end before they begin"},
      {safetensorsFile("{" + tensor("w", "[2,3]", 0, 20) + "}", floatBytes({1, 2, 3, 4, 5})),
       "checkpoint 'P' is invalid: tensor 'w' of shape [2, 3] needs 24 bytes but its data_offsets [0, 20] span 20"},
      {safetensorsFile("{" + tensor("a", "[2]", 0, 8) + "," + tensor("b", "[2]", 4, 12) + "}", floatBytes({1, 2, 3})),
       "checkpoint 'P' is invalid: tensors 'a' and 'b' overlap in the data buffer"},
      {safetensorsFile("{" + tensor("a", "[1]", 0, 4) + "," + tensor("b", "[1]", 8, 12) + "}", floatBytes({1, 2, 3})),
       "checkpoint 'P' is invalid: bytes 4 to 8 of the data buffer belong to no tensor"},
      {safetensorsFile("{" + tensor("a", "[1]", 0, 4) + "}", floatBytes({1, 2})),
       "checkpoint 'P' is invalid: the last 4 bytes of the data buffer belong to no tensor"},
      {safetensorsFile("{" + tensor("a", "[4]", 0, 16) + "}", floatBytes({1, 2})),
       "checkpoint 'P' is truncated: its tensors need 16 bytes of data but the file holds 8"},
      {safetensorsFile(R"({"__metadata__":{"format":"nnc-checkpoint-3","nnc.crc32":"00000000"}})", ""),
       "checkpoint 'P' has format 'nnc-checkpoint-3', which this nnc cannot read (it reads nnc-checkpoint-1 and "
       "nnc-checkpoint-2)"},
      {safetensorsFile(R"({"__metadata__":{"format":"nnc-checkpoint-1"}})", ""),
       "checkpoint 'P' is damaged: its nnc metadata has no checksum"},
      {safetensorsFile(R"({"__metadata__":{"nnc.crc32":"00000000"}})", ""),
       "checkpoint 'P' is damaged: its nnc checksum has no format version beside it"},
      // Deep nesting inside an entry overflowed the stack when re-serialised
      // for the checksum (200 KB of it in the library): refused as parsed.
      {safetensorsFile(R"({"__metadata__":{"format":"nnc-checkpoint-1","nnc.crc32":"00000000"},"x":)" +
                           std::string(100000, '[') + std::string(100000, ']') + "}",
                       ""),
       "checkpoint 'P' is invalid: the header nests deeper than 3 levels"},
      // The format's byte rules, which a checksum of the parsed JSON cannot see.
      {safetensorsFile(R"( {"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", floatBytes({1})),
       "checkpoint 'P' is invalid: the header does not start with '{' (the format allows nothing before it)"},
      {safetensorsFile("\xEF\xBB\xBF{}", ""),  // a byte-order mark, which the parser skips
       "checkpoint 'P' is invalid: the header does not start with '{' (the format allows nothing before it)"},
      {safetensorsFile(std::string("{}\0\0", 4), ""),
       "checkpoint 'P' is invalid: the header is padded with something other than spaces after its JSON"},
      {safetensorsFile("{}\n", ""), "checkpoint 'P' is invalid: the header is padded with something other than spaces after its JSON"},
      {safetensorsFile(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                       floatBytes({1})),
       "checkpoint 'P' is invalid: the header gives the key \"w\" twice"},
      {safetensorsFile(R"({"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}})", floatBytes({1})),
       "checkpoint 'P' is invalid: the header gives the key \"dtype\" twice"},
      {safetensorsFile(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}})", floatBytes({1})),
       "checkpoint 'P' is invalid: tensor 'w' has the key \"extra\"; a tensor's entry holds only \"dtype\", "
       "\"shape\" and \"data_offsets\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    std::string expected = c.message;
    expected.replace(expected.find('P'), 1, path("bad.safetensors"));
    EXPECT_EQ(loadError(c.bytes), "nnc: error: " + expected + "\n");
  }
}

// A sparse file, so that the test does not write 100 MB.
TEST_F(CheckpointTest, LoadRefusesAHeaderOverTheSafetensorsLimit) {
  std::string file = path("huge.safetensors");
  writeBytes(file, littleEndian64(100'000'001));
  fs::resize_file(file, 8 + 100'000'001);
  Diagnostics diags;
  EXPECT_FALSE(loadCheckpoint(file, diags));
  EXPECT_EQ(diags.render(), "nnc: error: checkpoint '" + file +
                                "' is invalid: header size 100000001 exceeds the safetensors limit of 100000000 bytes\n");
}

// A tensor the caller does not want is not read into memory: a 2 GB one (a
// sparse file) beside the wanted one, loaded with a filter, leaves the peak
// memory far below its size (the whole file was read: 4.2 GB for 4 GB).
TEST_F(CheckpointTest, UnwantedTensorsAreNotRead) {
  const uint64_t hugeFloats = uint64_t{1} << 29;  // 2 GiB
  std::string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"unused\":{\"dtype\":\"F32\",\"shape\":[" +
                       std::to_string(hugeFloats) + "],\"data_offsets\":[8," + std::to_string(8 + 4 * hugeFloats) +
                       "]}}";
  header += std::string((8 - header.size() % 8) % 8, ' ');
  std::string file = path("big.safetensors");
  writeBytes(file, littleEndian64(header.size()) + header + floatBytes({1, 2}));
  fs::resize_file(file, 8 + header.size() + 8 + 4 * hugeFloats);
  struct rusage before {};
  ::getrusage(RUSAGE_SELF, &before);
  Diagnostics diags;
  std::optional<Checkpoint> loaded = loadCheckpoint(file, diags, [](std::string_view name) { return name == "w"; });
  ASSERT_TRUE(loaded) << diags.render();
  ASSERT_EQ(loaded->tensors.size(), 1u);
  EXPECT_EQ(loaded->tensors[0].name, "w");
  EXPECT_EQ(loaded->tensors[0].tensor[1], 2.0f);
  struct rusage after {};
  ::getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 256 * 1024) << "KiB of peak memory grown";
}

// The file of HeaderLayoutIsSafetensors with its last data byte flipped; the
// found checksum was computed with Python's zlib too.
TEST_F(CheckpointTest, LoadRefusesAChecksumMismatch) {
  Checkpoint c;
  c.tensors.push_back({"w", makeTensor({2}, {1.0f, -2.0f})});
  c.metadata = {{"epoch", "3"}};
  std::string bytes = readBytes(save("w.safetensors", c));
  bytes.back() = static_cast<char>(bytes.back() ^ 0x01);
  EXPECT_EQ(loadError(bytes), "nnc: error: checkpoint '" + path("bad.safetensors") +
                                  "' is damaged: checksum mismatch (expected 8f6abb10, found f86d8b86)\n");
}

// Where the space padding after the JSON header lies in a saved file: a
// changed byte there may still parse (whitespace) and change nothing.
std::pair<size_t, size_t> paddingRange(const std::string& file) {
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i) headerSize = headerSize << 8 | static_cast<unsigned char>(file[static_cast<size_t>(i)]);
  size_t headerEnd = 8 + static_cast<size_t>(headerSize);
  size_t jsonEnd = file.find_last_not_of(' ', headerEnd - 1) + 1;
  return {jsonEnd, headerEnd};
}

TEST_F(CheckpointTest, EveryTruncationIsRefused) {
  std::string bytes = readBytes(save("model.safetensors", sampleCheckpoint()));
  for (size_t length = 0; length < bytes.size(); ++length) {
    writeBytes(path("cut.safetensors"), bytes.substr(0, length));
    Diagnostics diags;
    EXPECT_FALSE(loadCheckpoint(path("cut.safetensors"), diags)) << "truncated to " << length << " bytes";
    EXPECT_TRUE(diags.hasErrors());
  }
}

// Every byte, several flips each: all refused, except in the padding spaces,
// where a flip may only turn a space into other whitespace.
TEST_F(CheckpointTest, EveryByteFlipIsRefused) {
  Checkpoint original = sampleCheckpoint();
  std::string bytes = readBytes(save("model.safetensors", original));
  auto [paddingBegin, paddingEnd] = paddingRange(bytes);
  Diagnostics reference;
  std::optional<Checkpoint> expected = loadCheckpoint(path("model.safetensors"), reference);
  ASSERT_TRUE(expected);

  for (size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char mask : {0x01, 0x02, 0x20, 0x80, 0xff}) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ mask);
      writeBytes(path("flipped.safetensors"), flipped);
      Diagnostics diags;
      std::optional<Checkpoint> loaded = loadCheckpoint(path("flipped.safetensors"), diags);
      bool inPadding = i >= paddingBegin && i < paddingEnd;
      if (inPadding && loaded) {
        EXPECT_TRUE(sameContent(*loaded, *expected)) << "byte " << i << " mask " << int(mask);
      } else {
        EXPECT_FALSE(loaded) << "byte " << i << " mask " << int(mask);
        EXPECT_TRUE(diags.hasErrors());
      }
    }
  }
}

// Several random bytes at once, seeded so failures reproduce.
TEST_F(CheckpointTest, RandomDamageIsRefused) {
  std::string bytes = readBytes(save("model.safetensors", sampleCheckpoint()));
  auto [paddingBegin, paddingEnd] = paddingRange(bytes);
  std::mt19937 random(20240611);
  std::uniform_int_distribution<size_t> position(0, bytes.size() - 1);
  std::uniform_int_distribution<int> count(1, 8), value(0, 255);
  for (int trial = 0; trial < 500; ++trial) {
    std::string damaged = bytes;
    bool outsidePadding = false;
    for (int n = count(random); n > 0; --n) {
      size_t i = position(random);
      char replacement = static_cast<char>(value(random));
      if (replacement == damaged[i]) continue;
      damaged[i] = replacement;
      outsidePadding |= i < paddingBegin || i >= paddingEnd;
    }
    writeBytes(path("damaged.safetensors"), damaged);
    Diagnostics diags;
    std::optional<Checkpoint> loaded = loadCheckpoint(path("damaged.safetensors"), diags);
    if (outsidePadding) {
      EXPECT_FALSE(loaded) << "trial " << trial;
    }
  }
}

// Other readers: Python's json and struct (the safetensors module is not
// installed here) read nnc's file by the safetensors spec and recompute the
// checksum; and a file Python writes with its default JSON spacing loads.
TEST_F(CheckpointTest, PythonReadsWhatNncWritesAndBack) {
  if (std::system("python3 -c 'import json, struct, zlib' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3 is not available";
  Checkpoint c;
  c.tensors.push_back({"fc1.weight", makeTensor({2, 2}, {1, -2, 0.5f, 3})});
  c.tensors.push_back({"fc1.bias", makeTensor({2}, {0.25f, -0.75f})});
  c.metadata = {{"note", "caf\xc3\xa9 \"quoted\"\n"}};
  std::string file = save("nnc.safetensors", c);

  std::string script = R"PY(
import json, struct, sys, zlib
raw = open(sys.argv[1], 'rb').read()
n, = struct.unpack('<Q', raw[:8])
text = raw[8:8 + n].decode('utf-8')
assert text.startswith('{') and n % 8 == 0
header, data = json.loads(text), raw[8 + n:]
meta = header.pop('__metadata__')
end = 0
for name, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):
    begin, stop = info['data_offsets']
    assert begin == end and info['dtype'] == 'F32'
    values = struct.unpack('<%df' % ((stop - begin) // 4), data[begin:stop])
    print(name, info['shape'], list(values))
    end = stop
assert end == len(data)
crc = meta.pop('nnc.crc32')
stored = raw[8:8 + n]
digits = stored.index(b'"nnc.crc32":"') + len(b'"nnc.crc32":"')
covered = stored[:digits] + b'00000000' + stored[digits + 8:]
print(meta['format'], repr(meta['note']), zlib.crc32(covered + data) == int(crc, 16))
out = json.dumps({'__metadata__': {'format': 'pt'}, 'b': {'dtype': 'F32', 'shape': [3], 'data_offsets': [0, 12]}})
out += ' ' * (-len(out) % 8)
open(sys.argv[2], 'wb').write(struct.pack('<Q', len(out)) + out.encode() + struct.pack('<3f', 1.5, -0.0, 8.0))
)PY";
  writeBytes(path("check.py"), script);
  std::string command = "python3 '" + path("check.py") + "' '" + file + "' '" + path("python.safetensors") + "' > '" +
                        path("out.txt") + "' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << readBytes(path("out.txt"));
  EXPECT_EQ(readBytes(path("out.txt")),
            "fc1.bias [2] [0.25, -0.75]\n"
            "fc1.weight [2, 2] [1.0, -2.0, 0.5, 3.0]\n"
            "nnc-checkpoint-2 'café \"quoted\"\\n' True\n");

  Diagnostics diags;
  std::optional<Checkpoint> fromPython = loadCheckpoint(path("python.safetensors"), diags);
  ASSERT_TRUE(fromPython) << diags.render();
  EXPECT_TRUE(sameBits(*fromPython->find("b"), makeTensor({3}, {1.5f, -0.0f, 8.0f})));
  EXPECT_EQ(fromPython->metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
}

}  // namespace
}  // namespace nnc::runtime
