#pragma once
// Helpers for the data-loading tests: a scratch directory removed afterwards,
// and writers for plain and gzip files, IDX headers included.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace nnc::runtime::testing_data {

// A fresh directory per test (named by process and test, so parallel ctest
// runs do not collide).
class ScratchDir : public ::testing::Test {
protected:
  void SetUp() override {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(test->test_suite_name()) + "." + test->name();
    for (char& c : name)
      if (c == '/') c = '_';
    dir_ = std::filesystem::path(::testing::TempDir()) / ("nnc-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& file) const { return (dir_ / file).string(); }

  std::string writePlain(const std::string& file, const std::string& bytes) const {
    std::ofstream(path(file), std::ios::binary) << bytes;
    return path(file);
  }

  std::string writeGzip(const std::string& file, const std::string& bytes) const {
    gzFile out = gzopen(path(file).c_str(), "wb");
    EXPECT_NE(out, nullptr);
    EXPECT_EQ(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    EXPECT_EQ(gzclose(out), Z_OK);
    return path(file);
  }

  std::string read(const std::string& file) const {
    std::ifstream in(path(file), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

private:
  std::filesystem::path dir_;
};

inline void appendBigEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>(value >> (8 * i) & 0xff);
}

// An IDX header: magic number then one uint32 per dimension.
inline std::string idxHeader(uint32_t magic, const std::vector<uint32_t>& dims) {
  std::string out;
  appendBigEndian(out, magic, 4);
  for (uint32_t d : dims) appendBigEndian(out, d, 4);
  return out;
}

// A ubyte IDX file (magic 0x0000 08 rank) holding `values`.
inline std::string idxUbyte(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values) {
  std::string out = idxHeader(0x0800u | static_cast<uint32_t>(dims.size()), dims);
  out.append(values.begin(), values.end());
  return out;
}

}  // namespace nnc::runtime::testing_data
