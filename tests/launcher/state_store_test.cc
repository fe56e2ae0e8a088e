#include "launcher/state_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/fakes/temp_dir.h"

namespace mlaunch {
namespace {

class StateStoreTest : public ::testing::Test {
 protected:
  const mlaunch::testing::TempDir temp_{"mesos-launch-state"};
  const std::string root_ = temp_.path();
};

TEST_F(StateStoreTest, NothingSavedIsNoState) {
  StateStore store(root_ + "/state", "web");
  Result<std::optional<SavedState>> loaded = store.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_FALSE(loaded.value().has_value());
}

KnownTask Task(const std::string& task_id, const std::string& agent_id) {
  KnownTask task;
  task.task_id = task_id;
  task.agent_id = agent_id;
  return task;
}

TEST_F(StateStoreTest, SaveLoadAndClear) {
  StateStore store(root_ + "/nested/state", "mesos-launch-web");
  ASSERT_TRUE(store.Save({"fw-1", {Task("web.0.abc", "agent-1")}}).ok());
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

// What placement, the live view and ${tasks.NAME...} need after a failover.
TEST_F(StateStoreTest, HostnameAttributesPortsAndHealthAreKept) {
  StateStore store(root_, "web");
  KnownTask web = Task("web.0.abc", "agent-1");
  web.hostname = "node-7.example.org";
  web.attributes = {{"rack", "r2"}, {"zone", "{a,b}"}};
  web.ports = {{"http", 31005}, {"admin", 31006}};
  web.healthy = true;
  KnownTask job = Task("job.0.def", "agent-2");
  ASSERT_TRUE(store.Save({"fw-1", {web, job}}).ok());
  Result<std::optional<SavedState>> loaded = store.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_TRUE(loaded.value().has_value());
  ASSERT_EQ(loaded.value()->tasks.size(), 2u);
  const KnownTask& back = loaded.value()->tasks[0];
  EXPECT_EQ(back.task_id, "web.0.abc");
  EXPECT_EQ(back.agent_id, "agent-1");
  EXPECT_EQ(back.hostname, "node-7.example.org");
  EXPECT_EQ(back.attributes, web.attributes);
  EXPECT_EQ(back.ports, web.ports);
  EXPECT_TRUE(back.healthy);
  EXPECT_EQ(loaded.value()->tasks[1].task_id, "job.0.def");
  EXPECT_TRUE(loaded.value()->tasks[1].ports.empty());
  EXPECT_FALSE(loaded.value()->tasks[1].healthy);
}

// Written by an earlier version: task and agent ids only.
TEST_F(StateStoreTest, AFileOfAnEarlierVersionIsRead) {
  StateStore store(root_, "web");
  std::ofstream(store.path()) << R"({"framework_id": "fw-1",
    "tasks": [{"task_id": "web.0.abc", "agent_id": "agent-1"}]})";
  Result<std::optional<SavedState>> loaded = store.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_TRUE(loaded.value().has_value());
  ASSERT_EQ(loaded.value()->tasks.size(), 1u);
  EXPECT_EQ(loaded.value()->tasks[0].task_id, "web.0.abc");
  EXPECT_EQ(loaded.value()->tasks[0].agent_id, "agent-1");
  EXPECT_EQ(loaded.value()->tasks[0].hostname, "");
  EXPECT_TRUE(loaded.value()->tasks[0].ports.empty());
}

// Fields of the wrong type are left out rather than trusted (or thrown on).
TEST_F(StateStoreTest, FieldsOfTheWrongTypeAreLeftOut) {
  StateStore store(root_, "web");
  std::ofstream(store.path()) << R"({"framework_id": "fw-1", "tasks": [
    {"task_id": "web.0.abc", "agent_id": 7, "hostname": ["x"], "healthy": "yes",
     "ports": {"http": 31005, "bad": -1, "big": 70000, "text": "31006"},
     "attributes": {"rack": "r1", "n": 3}},
    {"task_id": 5}, "junk"]})";
  Result<std::optional<SavedState>> loaded = store.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded.value()->tasks.size(), 1u);
  const KnownTask& t = loaded.value()->tasks[0];
  EXPECT_EQ(t.agent_id, "");
  EXPECT_EQ(t.hostname, "");
  EXPECT_FALSE(t.healthy);
  EXPECT_EQ(t.ports, (std::map<std::string, uint32_t>{{"http", 31005}}));
  EXPECT_EQ(t.attributes, (std::map<std::string, std::string>{{"rack", "r1"}}));
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
