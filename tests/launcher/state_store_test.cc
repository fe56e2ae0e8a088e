#include "launcher/state_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mlaunch {
namespace {

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mesos-launch-state-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(StateStoreTest, NothingSavedIsNoState) {
  StateStore store(root_ + "/state", "web");
  Result<std::optional<SavedState>> loaded = store.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_FALSE(loaded.value().has_value());
}

TEST_F(StateStoreTest, SaveLoadAndClear) {
  StateStore store(root_ + "/nested/state", "mesos-launch-web");
  ASSERT_TRUE(store.Save({"fw-1", {{"web.0.abc", "agent-1"}}}).ok());
  struct stat st;
  ASSERT_EQ(stat(store.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // framework ids are not for everyone
  Result<std::optional<SavedState>> loaded = store.Load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded.value().has_value());
  EXPECT_EQ(loaded.value()->framework_id, "fw-1");
  ASSERT_EQ(loaded.value()->tasks.size(), 1u);
  EXPECT_EQ(loaded.value()->tasks[0].agent_id, "agent-1");
  ASSERT_TRUE(store.Clear().ok());
  EXPECT_FALSE(store.Load().value().has_value());
  EXPECT_TRUE(store.Clear().ok());  // clearing twice is fine
}

TEST_F(StateStoreTest, ACorruptFileIsAnErrorAndIsKept) {
  StateStore store(root_, "web");
  std::ofstream(store.path()) << "{not json";
  Result<std::optional<SavedState>> loaded = store.Load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("is not a mesos-launch state file"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(store.path()));
}

TEST_F(StateStoreTest, FrameworkNamesBecomeSafeFileNames) {
  StateStore store(root_, "../../etc/passwd");
  EXPECT_EQ(store.path(), root_ + "/_.._.._etc_passwd.json");
}

TEST(StateStoreDir, XdgStateHomeFirstThenHome) {
  EXPECT_EQ(StateStore::DefaultDir("/x", "/home/u"), "/x/mesos-launch");
  EXPECT_EQ(StateStore::DefaultDir(std::nullopt, "/home/u"), "/home/u/.local/state/mesos-launch");
  EXPECT_EQ(StateStore::DefaultDir("", "/home/u"), "/home/u/.local/state/mesos-launch");
}

}  // namespace
}  // namespace mlaunch
