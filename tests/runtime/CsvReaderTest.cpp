// CSV data sets: the layouts people write, and the exact message, position
// and caret of every kind of bad row.
#include <gtest/gtest.h>

#include "runtime/CsvReader.h"
#include "tests/runtime/DataFiles.h"

namespace nnc::runtime {
namespace {

std::vector<float> valuesOf(const Tensor& t) { return {t.values().begin(), t.values().end()}; }

TEST(CsvReader, ReadsTheLayoutsPeopleWrite) {
  struct Case {
    const char* name;
    std::string text;
    CsvOptions options;
    std::vector<float> features;  // two rows of two features
    std::vector<int32_t> labels;
  };
  const Case cases[] = {
      {"plain", "1,2,0\n3.5,-4e-1,2\n", {}, {1, 2, 3.5f, -0.4f}, {0, 2}},
      {"no final newline", "1,2,0\n3,4,1", {}, {1, 2, 3, 4}, {0, 1}},
      {"header detected", "width,height,class\n1,2,0\n3,4,1\n", {}, {1, 2, 3, 4}, {0, 1}},
      {"CRLF, spaces, blank lines, '+'", "\r\n 1 , +2,0\r\n\r\n3,\t4 ,1\r\n\r\n  \n", {}, {1, 2, 3, 4}, {0, 1}},
      {"byte order mark and header", "\xEF\xBB\xBFx,y,label\n1,2,0\n3,4,1\n", {}, {1, 2, 3, 4}, {0, 1}},
      {"label first", "0,1,2\n1,3,4\n", {.labelColumn = 0}, {1, 2, 3, 4}, {0, 1}},
      {"label in the middle, from the end", "1,0,2\n3,1,4\n", {.labelColumn = -2}, {1, 2, 3, 4}, {0, 1}},
      {"integral label written as real", "1,2,3.0\n3,4,1e1\n", {}, {1, 2, 3, 4}, {3, 10}},
      {"header forced", "7,8,9\n1,2,0\n3,4,1\n", {.header = CsvHeader::Present}, {1, 2, 3, 4}, {0, 1}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Diagnostics diags;
    std::optional<Dataset> data = parseCsvDataset(c.text, "data.csv", diags, c.options);
    ASSERT_TRUE(data) << diags.render();
    EXPECT_EQ(data->features.shape(), (Shape{2, 2}));
    EXPECT_EQ(valuesOf(data->features), c.features);
    EXPECT_EQ(data->labels, c.labels);
    EXPECT_EQ(data->numClasses, *std::max_element(c.labels.begin(), c.labels.end()) + 1);
  }
}

// Samples to predict: rows of exactly the model's features have no label;
// rows with one more column are read as always (the label ignored).
TEST(CsvReader, RowsOfTheFeaturesOnlyAreUnlabelledWhenAllowed) {
  CsvOptions options{.unlabelledColumns = 2};
  Diagnostics diags;
  std::optional<Dataset> data = parseCsvDataset("x,y\n1,2\n3,4\n5,6\n", "data.csv", diags, options);
  ASSERT_TRUE(data) << diags.render();
  EXPECT_TRUE(data->unlabelled());
  EXPECT_EQ(data->sampleCount(), 3);
  EXPECT_EQ(valuesOf(data->features), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(data->labels.empty());
  data = parseCsvDataset("1,2,1\n3,4,0\n", "data.csv", diags, options);
  ASSERT_TRUE(data) << diags.render();
  EXPECT_FALSE(data->unlabelled());
  EXPECT_EQ(data->labels, (std::vector<int32_t>{1, 0}));
  options.unlabelledColumns = 1;  // one feature: a single column is allowed
  data = parseCsvDataset("1\n3\n", "data.csv", diags, options);
  ASSERT_TRUE(data) << diags.render();
  EXPECT_EQ(data->sampleCount(), 2);
  // Without the option such rows lack their label.
  EXPECT_FALSE(parseCsvDataset("1\n3\n", "data.csv", diags, {}));
  EXPECT_NE(diags.render().find("a row needs at least 2 columns, the features and a label; found 1"), std::string::npos);
}

TEST(CsvReader, HeaderAbsentMakesTheFirstRowData) {
  Diagnostics diags;
  std::optional<Dataset> data = parseCsvDataset("a,b,0\n", "data.csv", diags, {.header = CsvHeader::Absent});
  EXPECT_FALSE(data);
  EXPECT_EQ(diags.render(),
            "data.csv:1:1: error: 'a' is not a number\n  a,b,0\n  ^\n"
            "data.csv:1:3: error: 'b' is not a number\n  a,b,0\n    ^\n");
}

TEST(CsvReader, ReportsEachBadRowExactly) {
  struct Case {
    const char* name;
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {"short row", "1,2,3,4,0\n1,2,3,0\n",
       "data.csv:2:8: error: expected 5 columns, found 4\n  1,2,3,0\n         ^\n"},
      {"long row", "x,y,label\n1,2,0\n1,2,3,44\n",
       "data.csv:3:7: error: expected 3 columns, found 4\n  1,2,3,44\n        ^~\n"},
      {"not a number", "1,2,0\n1,abc,0\n", "data.csv:2:3: error: 'abc' is not a number\n  1,abc,0\n    ^~~\n"},
      {"number with junk", "1,2,0\n1,2.5x,0\n",
       "data.csv:2:3: error: '2.5x' is not a number\n  1,2.5x,0\n    ^~~~\n"},
      {"empty field", "1,2,0\n1,,0\n", "data.csv:2:3: error: empty field, expected a number\n  1,,0\n    ^\n"},
      {"nan", "1,2,0\n1, nan ,0\n", "data.csv:2:4: error: non-finite value 'nan'\n  1, nan ,0\n     ^~~\n"},
      {"infinity", "1,2,0\n-inf,2,0\n", "data.csv:2:1: error: non-finite value '-inf'\n  -inf,2,0\n  ^~~~\n"},
      {"beyond float", "1,2,0\n1e39,2,0\n",
       "data.csv:2:1: error: '1e39' is out of range for float32\n  1e39,2,0\n  ^~~~\n"},
      {"beyond double", "1,2,0\n1,1e999,0\n",
       "data.csv:2:3: error: '1e999' is out of range for float32\n  1,1e999,0\n    ^~~~~\n"},
      {"fractional label", "1,2,0\n1,2,2.5\n",
       "data.csv:2:5: error: label '2.5' is not a class index (an integer from 0 to 65535)\n  1,2,2.5\n      ^~~\n"},
      {"negative label", "1,2,-1\n",
       "data.csv:1:5: error: label '-1' is not a class index (an integer from 0 to 65535)\n  1,2,-1\n      ^~\n"},
      {"huge label", "1,2,65536\n",
       "data.csv:1:5: error: label '65536' is not a class index (an integer from 0 to 65535)\n  1,2,65536\n"
       "      ^~~~~\n"},
      {"several errors in a row", "1,x,y\n",
       "data.csv:1:3: error: 'x' is not a number\n  1,x,y\n    ^\n"
       "data.csv:1:5: error: 'y' is not a number\n  1,x,y\n      ^\n"},
      {"empty file", "", "data.csv: error: file is empty\n"},
      {"blank lines only", "\n  \r\n\n", "data.csv: error: file is empty\n"},
      {"header only", "a,b,label\r\n", "data.csv: error: no data rows\n"},
      {"one column", "1\n2\n",
       "data.csv:1:1: error: a row needs at least 2 columns, the features and a label; found 1\n  1\n  ^\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Diagnostics diags;
    EXPECT_FALSE(parseCsvDataset(c.text, "data.csv", diags));
    EXPECT_EQ(diags.render(), c.expected);
  }
}

TEST(CsvReader, ReadsRealValuedTargetsFromTheLastColumnsOrFromTheLabelColumn) {
  Diagnostics diags;
  // Targets are any finite numbers (a class label must be a small integer).
  std::optional<Dataset> last = parseCsvDataset("1,2,0.5,-7.25\n3,4,1e3,0\n", "data.csv", diags, {.targetColumns = 2});
  ASSERT_TRUE(last) << diags.render();
  EXPECT_TRUE(last->labels.empty());
  EXPECT_EQ(last->sampleCount(), 2);
  EXPECT_EQ(valuesOf(last->features), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(valuesOf(last->targets), (std::vector<float>{0.5f, -7.25f, 1000, 0}));
  std::optional<Dataset> first =
      parseCsvDataset("0.5,1,2\n-1,3,4\n", "data.csv", diags, {.labelColumn = 0, .targetColumns = 1});
  ASSERT_TRUE(first) << diags.render();
  EXPECT_EQ(valuesOf(first->features), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(valuesOf(first->targets), (std::vector<float>{0.5f, -1}));
  // Split and batched, the targets stay with their samples.
  Dataset held = splitOff(*last, 0.5, 3);
  EXPECT_EQ(held.sampleCount() + last->sampleCount(), 2);
  EXPECT_EQ(held.targets.dim(1), 2);
}

TEST(CsvReader, ReportsTargetsThatDoNotFit) {
  Diagnostics diags;
  EXPECT_FALSE(parseCsvDataset("1,2,3\n", "data.csv", diags, {.labelColumn = 2, .targetColumns = 2}));
  EXPECT_FALSE(parseCsvDataset("1,2\n", "data.csv", diags, {.targetColumns = 2}));
  EXPECT_EQ(diags.render(),
            "data.csv: error: 2 target columns from column 2 do not fit: rows have 3 columns\n"
            "data.csv: error: rows have 2 columns, all of them targets: none is left for features\n");
}

TEST(CsvReader, ReportsALabelColumnThatDoesNotExist) {
  for (int column : {3, -4}) {
    Diagnostics diags;
    EXPECT_FALSE(parseCsvDataset("1,2,0\n", "data.csv", diags, {.labelColumn = column}));
    EXPECT_EQ(diags.render(),
              "data.csv: error: label column " + std::to_string(column) + " does not exist: rows have 3 columns\n");
  }
}

TEST(CsvReader, ReportsTheFirstTenErrorsAndCountsTheRest) {
  std::string text = "1,2,0\n";
  for (int i = 0; i < 13; ++i) text += "1,?,0\n";
  Diagnostics diags;
  EXPECT_FALSE(parseCsvDataset(text, "data.csv", diags));
  std::string expected;
  for (int line = 2; line <= 11; ++line)
    expected += "data.csv:" + std::to_string(line) + ":3: error: '?' is not a number\n  1,?,0\n    ^\n";
  expected += "data.csv: error: ... and 3 more errors\n";
  EXPECT_EQ(diags.render(), expected);
}

class CsvFile : public testing_data::ScratchDir {};

TEST_F(CsvFile, ReadsPlainAndGzippedFiles) {
  const std::string text = "a,b,y\n0.5,1,1\n2,3,0\n";
  for (const std::string& path : {writePlain("data.csv", text), writeGzip("data.csv.gz", text)}) {
    SCOPED_TRACE(path);
    Diagnostics diags;
    std::optional<Dataset> data = loadCsvDataset(path, diags);
    ASSERT_TRUE(data) << diags.render();
    EXPECT_EQ(valuesOf(data->features), (std::vector<float>{0.5f, 1, 2, 3}));
    EXPECT_EQ(data->labels, (std::vector<int32_t>{1, 0}));
    EXPECT_EQ(data->numClasses, 2);
  }
}

TEST_F(CsvFile, NamesTheFileInMessages) {
  Diagnostics diags;
  EXPECT_FALSE(loadCsvDataset(path("missing.csv"), diags));
  std::string path2 = writePlain("bad.csv", "1,2,0\n1,2\n");
  EXPECT_FALSE(loadCsvDataset(path2, diags));
  EXPECT_EQ(diags.render(), "nnc: error: cannot open '" + path("missing.csv") +
                                "': No such file or directory\n" + path2 +
                                ":2:4: error: expected 3 columns, found 2\n  1,2\n     ^\n");
}

}  // namespace
}  // namespace nnc::runtime
