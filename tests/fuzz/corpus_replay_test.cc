// The fuzzers' regression tests, in the normal (and the sanitizer) test
// runs: every input in tests/fuzz/corpus/TARGET/ (seeds, and any input a
// fuzzer ever crashed on, added there with its fix) is fed once more to the
// very code of that fuzzer (its .cc is compiled into this test with
// LLVMFuzzerTestOneInput renamed). A crash, abort or sanitizer report fails
// the test; the spec loader also replays every spec in the tree.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int SpecLoadOneInput(const uint8_t* data, size_t size);
extern "C" int RecordIoOneInput(const uint8_t* data, size_t size);
extern "C" int EventStreamOneInput(const uint8_t* data, size_t size);
extern "C" int HttpRequestOneInput(const uint8_t* data, size_t size);
extern "C" int HttpRequestInitialize(int* argc, char*** argv);
extern "C" int MasterCallOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> FilesUnder(const std::string& dir, const std::string& extension = "") {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(fs::path(ML_SOURCE_DIR) / dir)) {
    if (!entry.is_regular_file()) continue;
    if (!extension.empty() && entry.path().extension() != extension) continue;
    out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replays every file; returns how many.
size_t Replay(const std::vector<fs::path>& files, int (*one_input)(const uint8_t*, size_t)) {
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    const std::string bytes = ReadAll(file);
    EXPECT_EQ(one_input(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
  }
  return files.size();
}

TEST(FuzzCorpus, SpecLoaderSurvivesItsCorpusAndEverySpecInTheTree) {
  std::vector<fs::path> files = FilesUnder("tests/fuzz/corpus/spec_load");
  for (const char* dir : {"specs", "examples", "tests/data/specs/bad", "tests/data/specs/good",
                          "tests/data/specs/fuzz"}) {
    for (const fs::path& f : FilesUnder(dir, ".yaml")) files.push_back(f);
  }
  EXPECT_GE(Replay(files, SpecLoadOneInput), 100u);
}

TEST(FuzzCorpus, RecordIoDecoderSurvivesItsCorpus) {
  EXPECT_GE(Replay(FilesUnder("tests/fuzz/corpus/recordio"), RecordIoOneInput), 3u);
}

TEST(FuzzCorpus, EventStreamDecoderSurvivesItsCorpus) {
  EXPECT_GE(Replay(FilesUnder("tests/fuzz/corpus/event_stream"), EventStreamOneInput), 3u);
}

TEST(FuzzCorpus, HttpServiceSurvivesItsCorpus) {
  ASSERT_EQ(HttpRequestInitialize(nullptr, nullptr), 0);
  EXPECT_GE(Replay(FilesUnder("tests/fuzz/corpus/http_request"), HttpRequestOneInput), 10u);
}

TEST(FuzzCorpus, MasterSurvivesItsCallCorpus) {
  EXPECT_GE(Replay(FilesUnder("tests/fuzz/corpus/master_call"), MasterCallOneInput), 20u);
}

}  // namespace
