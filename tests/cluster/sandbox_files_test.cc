// Sandbox files as operators read them, and the paths that must not lead
// out of a sandbox (issue #24: `..`, symlinks, absolute paths).
#include "cluster/sandbox_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/fakes/temp_dir.h"

namespace mlaunch::cluster {
namespace {

namespace fs = std::filesystem;

class SandboxFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_dir_ = root_ / "slaves" / "S0";
    run_ = agent_dir_ / "frameworks" / "F1" / "executors" / "E1" / "runs" / "R1";
    fs::create_directories(run_ / "logs");
    fs::create_symlink("R1", run_.parent_path() / "latest");
    Write(run_ / "stdout", "line one\nline two\n");
    Write(run_ / "stderr", "");
    Write(run_ / "logs" / "app.log", "app\n");
    Write(root_ / "secret", "not for tasks");
  }

  static void Write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

  SandboxFiles Files() const { return SandboxFiles(agent_dir_.string()); }

  int ReadStatus(const std::string& path) const {
    auto read = Files().Read(path, 0, 100);
    if (auto* refused = std::get_if<FileRefusal>(&read)) return refused->status;
    return 200;
  }

  const mlaunch::testing::TempDir temp_{"sandbox-files"};
  const fs::path root_ = temp_.path();
  fs::path agent_dir_;
  fs::path run_;
};

const std::string kLatest = "/frameworks/F1/executors/E1/runs/latest";

TEST_F(SandboxFilesTest, ReadsPiecesOfAFile) {
  auto read = Files().Read(kLatest + "/stdout", 5, 3);
  ASSERT_TRUE(std::holds_alternative<FileChunk>(read));
  EXPECT_EQ(std::get<FileChunk>(read).data, "one");
  EXPECT_EQ(std::get<FileChunk>(read).size, 18u);
  EXPECT_EQ(std::get<FileChunk>(read).offset, 5u);
  // Past the end: nothing, and the size.
  read = Files().Read(kLatest + "/stdout", 100, 10);
  ASSERT_TRUE(std::holds_alternative<FileChunk>(read));
  EXPECT_EQ(std::get<FileChunk>(read).data, "");
  EXPECT_EQ(std::get<FileChunk>(read).size, 18u);
  // By the run's own id too, and deeper in the sandbox.
  EXPECT_EQ(ReadStatus("/frameworks/F1/executors/E1/runs/R1/stdout"), 200);
  EXPECT_EQ(ReadStatus(kLatest + "/logs/app.log"), 200);
}

TEST_F(SandboxFilesTest, AReadIsCappedAtTheLimit) {
  Write(run_ / "big", std::string(kMaxFileReadBytes + 10, 'x'));
  auto read = Files().Read(kLatest + "/big", 0, kMaxFileReadBytes * 4);
  ASSERT_TRUE(std::holds_alternative<FileChunk>(read));
  EXPECT_EQ(std::get<FileChunk>(read).data.size(), static_cast<std::size_t>(kMaxFileReadBytes));
}

TEST_F(SandboxFilesTest, ListsADirectorySortedWithModesAndOwners) {
  auto listed = Files().List(kLatest);
  ASSERT_TRUE(std::holds_alternative<std::vector<mesos::v1::FileInfo>>(listed));
  const auto& files = std::get<std::vector<mesos::v1::FileInfo>>(listed);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path(), kLatest + "/logs");
  EXPECT_EQ(files[1].path(), kLatest + "/stderr");
  EXPECT_EQ(files[2].path(), kLatest + "/stdout");
  EXPECT_EQ(files[2].size(), 18u);
  EXPECT_TRUE(S_ISDIR(files[0].mode()));
  EXPECT_FALSE(files[2].uid().empty());
  const nlohmann::json json = BrowseJson(files);
  EXPECT_EQ(json[0]["mode"].get<std::string>().front(), 'd');
  EXPECT_EQ(json[2]["mode"].get<std::string>().substr(0, 1), "-");
  EXPECT_EQ(json[2]["path"], kLatest + "/stdout");
  // A file lists as itself.
  listed = Files().List(kLatest + "/stdout");
  ASSERT_TRUE(std::holds_alternative<std::vector<mesos::v1::FileInfo>>(listed));
  EXPECT_EQ(std::get<std::vector<mesos::v1::FileInfo>>(listed).size(), 1u);
}

TEST_F(SandboxFilesTest, PathsOutsideASandboxAreRefused) {
  for (const std::string& path :
       {std::string("/etc/passwd"), std::string(""), std::string("relative/stdout"),
        kLatest + "/../../../../../../../secret", kLatest + "/./stdout",
        std::string("/frameworks/../executors/E1/runs/latest/stdout"),
        std::string("/frameworks/F1/executors/E1/runs/latest/..%2Fstdout"),
        std::string("/frameworks/F1/executors/E1/runs"),
        std::string("/frameworks/F1/tasks/E1/runs/latest/stdout"),
        std::string("/frameworks/F1/executors/E1/runs/latest/stdout\0x", 48)}) {
    const int status = ReadStatus(path);
    EXPECT_TRUE(status == 400 || status == 404) << "'" << path << "' answered " << status;
  }
  EXPECT_EQ(ReadStatus(kLatest + "/../../../../../../../secret"), 400);
  EXPECT_EQ(ReadStatus("/etc/passwd"), 400);
  EXPECT_EQ(ReadStatus("/frameworks/F9/executors/E1/runs/latest/stdout"), 404);
  EXPECT_EQ(ReadStatus(kLatest + "/nothing"), 404);
  EXPECT_EQ(ReadStatus(kLatest + "/stdout/"), 404);
  EXPECT_EQ(ReadStatus("/" + std::string(8000, 'x')), 400);
}

TEST_F(SandboxFilesTest, SymlinksAreListedNeverFollowed) {
  fs::create_symlink(root_ / "secret", run_ / "escape");
  fs::create_symlink(root_, run_ / "up");
  fs::create_symlink("stdout", run_ / "inside");
  EXPECT_EQ(ReadStatus(kLatest + "/escape"), 404);
  EXPECT_EQ(ReadStatus(kLatest + "/up/secret"), 404);
  EXPECT_EQ(ReadStatus(kLatest + "/inside"), 404);
  auto listed = Files().List(kLatest + "/up");
  ASSERT_TRUE(std::holds_alternative<FileRefusal>(listed));
  listed = Files().List(kLatest);
  ASSERT_TRUE(std::holds_alternative<std::vector<mesos::v1::FileInfo>>(listed));
  bool link_listed = false;
  for (const auto& file : std::get<std::vector<mesos::v1::FileInfo>>(listed)) {
    if (file.path() == kLatest + "/escape") link_listed = S_ISLNK(file.mode());
  }
  EXPECT_TRUE(link_listed);
}

TEST_F(SandboxFilesTest, AFifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo((run_ / "pipe").c_str(), 0600), 0);
  EXPECT_EQ(ReadStatus(kLatest + "/pipe"), 404);  // returns: nothing opened it for reading
}

TEST_F(SandboxFilesTest, AnAgentWithoutAnIdHasNoSandboxes) {
  auto read = SandboxFiles("").Read(kLatest + "/stdout", 0, 10);
  ASSERT_TRUE(std::holds_alternative<FileRefusal>(read));
  EXPECT_EQ(std::get<FileRefusal>(read).status, 404);
}

}  // namespace
}  // namespace mlaunch::cluster
