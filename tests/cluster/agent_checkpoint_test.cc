// The pure parts of restarting a cluster: the registry of agents and the
// executor checkpoints as text, plus the /proc start time used against pid
// reuse.
#include "cluster/agent_checkpoint.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "cluster/checkpoint_writer.h"
#include "cluster/cluster_registry.h"
#include "tests/fakes/temp_dir.h"

namespace mlaunch::cluster {
namespace {

TEST(ClusterRegistryTest, RoundTripsAndRejectsBadEntriesNamingThem) {
  ClusterRegistry registry;
  registry.agents.push_back({"M-S0", "127.0.0.2", 41000});
  registry.agents.push_back({"M-S1", "127.0.0.3", 41001});
  auto parsed = ParseRegistry(RegistryText(registry));
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(parsed.value().agents, registry.agents);

  EXPECT_EQ(ParseRegistry("[").message(), "not a JSON object");
  EXPECT_EQ(ParseRegistry(R"({"agents": 3})").message(), "'agents' must be an array");
  EXPECT_EQ(ParseRegistry(R"({"agents": [{"id": "", "address": "a", "port": 1}]})").message(),
            "agents[0].id must be a non-empty string");
  EXPECT_EQ(ParseRegistry(R"({"agents": [{"id": "x", "address": "a", "port": 0}]})").message(),
            "agents[0].port must be an integer in 1-65535");
}

TEST(ClusterRegistryTest, RemembersAgentsMarkedGone) {
  ClusterRegistry registry;
  registry.agents.push_back({"M-S0", "127.0.0.2", 41000});
  registry.agents.push_back({"M-S1", "127.0.0.3", 41001});
  EXPECT_TRUE(registry.MarkGone("M-S0"));
  EXPECT_FALSE(registry.MarkGone("M-S9"));
  const std::string text = RegistryText(registry);
  EXPECT_NE(text.find("\"gone\": true"), std::string::npos) << text;
  auto parsed = ParseRegistry(text);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  ASSERT_EQ(parsed.value().agents.size(), 2u);
  EXPECT_TRUE(parsed.value().agents[0].gone);
  EXPECT_FALSE(parsed.value().agents[1].gone);
  EXPECT_EQ(parsed.value().agents, registry.agents);
  EXPECT_EQ(ParseRegistry(R"({"agents": [{"id": "x", "address": "a", "port": 1, "gone": "yes"}]})")
                .message(),
            "agents[0].gone must be true or false");
}

TEST(ClusterRegistryTest, MissingFileIsAFirstStartAndSavedOneLoadsBack) {
  const mlaunch::testing::TempDir temp("registry_test");
  const std::string path = RegistryPath(temp.path());
  auto none = LoadRegistry(path);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().has_value());
  ClusterRegistry registry;
  registry.agents.push_back({"M-S0", "127.0.0.2", 41000});
  ASSERT_TRUE(SaveRegistry(path, registry).ok());
  auto loaded = LoadRegistry(path);
  ASSERT_TRUE(loaded.ok() && loaded.value().has_value());
  EXPECT_EQ(loaded.value()->agents, registry.agents);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

ExecutorCheckpoint Sample() {
  ExecutorCheckpoint checkpoint;
  checkpoint.framework.set_user("alice");
  checkpoint.framework.set_name("web");
  checkpoint.framework.set_checkpoint(true);
  checkpoint.framework.mutable_id()->set_value("F1");
  checkpoint.executor.mutable_executor_id()->set_value("E1");
  checkpoint.executor.mutable_command()->set_value("./mesos-launch-executor");
  checkpoint.container_id = "c-1";
  checkpoint.sandbox = "/w/slaves/S0/frameworks/F1/executors/E1/runs/c-1";
  checkpoint.pid = 4242;
  checkpoint.start_time = 123456789;
  CheckpointedTask task;
  task.info.set_name("t1");
  task.info.mutable_task_id()->set_value("t1");
  task.info.mutable_agent_id()->set_value("S0");
  task.info.set_data(std::string("\0\x01binary", 8));
  task.state = mesos::v1::TASK_RUNNING;
  checkpoint.tasks.push_back(task);
  return checkpoint;
}

TEST(ExecutorCheckpointTest, RoundTripsEveryField) {
  const ExecutorCheckpoint sample = Sample();
  auto parsed = ParseCheckpoint(CheckpointText(sample));
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  const ExecutorCheckpoint& back = parsed.value();
  EXPECT_EQ(back.framework.SerializeAsString(), sample.framework.SerializeAsString());
  EXPECT_EQ(back.executor.SerializeAsString(), sample.executor.SerializeAsString());
  EXPECT_EQ(back.container_id, "c-1");
  EXPECT_EQ(back.sandbox, sample.sandbox);
  EXPECT_EQ(back.pid, 4242);
  EXPECT_EQ(back.start_time, 123456789u);
  ASSERT_EQ(back.tasks.size(), 1u);
  EXPECT_EQ(back.tasks[0].info.data(), sample.tasks[0].info.data());
  EXPECT_EQ(back.tasks[0].state, mesos::v1::TASK_RUNNING);
}

// Issue #17, attack 13: a secret given to an executor is not written to
// disk, where a crash would leave it; its variable stays, without a value.
TEST(ExecutorCheckpointTest, SecretValuesAreNotWritten) {
  ExecutorCheckpoint sample = Sample();
  auto add_secret = [](mesos::v1::CommandInfo* command) {
    auto* v = command->mutable_environment()->add_variables();
    v->set_name("DB_PASSWORD");
    v->set_type(mesos::v1::Environment::Variable::SECRET);
    v->mutable_secret()->set_type(mesos::v1::Secret::VALUE);
    v->mutable_secret()->mutable_value()->set_data("hunter2-distinctive");
    auto* plain = command->mutable_environment()->add_variables();
    plain->set_name("MODE");
    plain->set_value("prod");
  };
  add_secret(sample.executor.mutable_command());
  add_secret(sample.tasks[0].info.mutable_command());
  const std::string text = CheckpointText(sample);
  EXPECT_EQ(text.find("hunter2-distinctive"), std::string::npos);
  auto parsed = ParseCheckpoint(text);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  const auto& variables = parsed->executor.command().environment().variables();
  ASSERT_EQ(variables.size(), 2);
  EXPECT_EQ(variables[0].name(), "DB_PASSWORD");
  EXPECT_EQ(variables[0].secret().value().data(), "");
  EXPECT_EQ(variables[1].value(), "prod");
  EXPECT_FALSE(parsed->tasks[0].info.has_executor());  // nothing added on the way
}

TEST(ExecutorCheckpointTest, BadTextIsAnErrorNamingTheField) {
  EXPECT_FALSE(ParseCheckpoint("{").ok());
  std::string text = CheckpointText(Sample());
  const std::string state = "\"TASK_RUNNING\"";
  text.replace(text.find(state), state.size(), "\"RUNNING\"");
  EXPECT_EQ(ParseCheckpoint(text).message(), "task t1: 'state' must be a task state name");
  ExecutorCheckpoint no_id = Sample();
  no_id.framework.clear_id();
  EXPECT_EQ(ParseCheckpoint(CheckpointText(no_id)).message(), "'framework_info' has no id");
}

TEST(ExecutorCheckpointTest, WrittenCheckpointsAreReadBackAndRemoved) {
  const mlaunch::testing::TempDir temp("checkpoint_test");
  const std::string meta = AgentMetaDir(temp.path(), "S0");
  auto none = ReadCheckpoints(meta);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.value().empty());
  ASSERT_TRUE(WriteCheckpoint(meta, Sample()).ok());
  auto read = ReadCheckpoints(meta);
  ASSERT_TRUE(read.ok()) << read.message();
  ASSERT_EQ(read.value().size(), 1u);
  EXPECT_EQ(read.value()[0].executor.executor_id().value(), "E1");
  RemoveCheckpoint(meta, "F1", "E1");
  read = ReadCheckpoints(meta);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read.value().empty());
}

// The agent removes an ended run's checkpoint behind its back; a record of
// a later run of the same executor id, written meanwhile, stays.
TEST(ExecutorCheckpointTest, RemovingACheckpointKeepsTheRecordOfALaterRun) {
  const mlaunch::testing::TempDir temp("checkpoint_test");
  const std::string meta = AgentMetaDir(temp.path(), "S0");
  ASSERT_TRUE(WriteCheckpoint(meta, Sample()).ok());
  ProcessRecord later;
  later.framework_id = "F1";
  later.executor_id = "E1";
  later.container_id = "c-2";
  later.pid = 4243;
  later.start_time = 1;
  later.session = 0;
  ASSERT_TRUE(WriteProcessRecord(meta, later).ok());
  RemoveCheckpoint(meta, "F1", "E1");
  auto checkpoints = ReadCheckpoints(meta);
  ASSERT_TRUE(checkpoints.ok());
  EXPECT_TRUE(checkpoints.value().empty());
  auto records = ReadProcessRecords(meta);
  ASSERT_TRUE(records.ok()) << records.message();
  ASSERT_EQ(records.value().size(), 1u);
  EXPECT_EQ(records.value()[0].container_id, "c-2");
  RemoveProcessRecord(meta, later);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(meta) / "frameworks" / "F1"))
      << "nothing left: the directories went with the last file";
}

class CheckpointWriterTest : public ::testing::Test {
 protected:
  CheckpointWriterTest() { meta_ = AgentMetaDir(root_, "S0"); }
  static ExecutorCheckpoint WithState(mesos::v1::TaskState state) {
    ExecutorCheckpoint checkpoint = Sample();
    checkpoint.tasks[0].state = state;
    return checkpoint;
  }
  std::vector<ExecutorCheckpoint> OnDisk() const {
    auto read = ReadCheckpoints(meta_);
    EXPECT_TRUE(read.ok()) << read.message();
    return read.ok() ? read.value() : std::vector<ExecutorCheckpoint>{};
  }

  const mlaunch::testing::TempDir temp_{"checkpoint_writer_test"};
  const std::string root_ = temp_.path();
  std::string meta_;
};

TEST_F(CheckpointWriterTest, TheLatestStateIsOnDiskWhenItsCallbacksRun) {
  ASSERT_FALSE(root_.empty());
  CheckpointWriter writer;
  std::atomic<int> written{0};
  std::vector<mesos::v1::TaskState> seen_at_callback;
  std::mutex seen_mutex;
  auto record = [&] {
    std::lock_guard<std::mutex> lock(seen_mutex);
    auto read = ReadCheckpoints(meta_);
    seen_at_callback.push_back(read.ok() && read.value().size() == 1
                                   ? read.value()[0].tasks[0].state
                                   : mesos::v1::TASK_UNKNOWN);
    ++written;
  };
  writer.Put(meta_, WithState(mesos::v1::TASK_STAGING), record);
  writer.Put(meta_, WithState(mesos::v1::TASK_STARTING), record);
  writer.Put(meta_, WithState(mesos::v1::TASK_RUNNING), record);
  writer.Flush();
  EXPECT_EQ(written.load(), 3);
  ASSERT_EQ(OnDisk().size(), 1u);
  EXPECT_EQ(OnDisk()[0].tasks[0].state, mesos::v1::TASK_RUNNING);
  // Each callback saw its own state or a newer one on disk, never an older.
  ASSERT_EQ(seen_at_callback.size(), 3u);
  EXPECT_NE(seen_at_callback[0], mesos::v1::TASK_UNKNOWN) << "nothing on disk yet";
  EXPECT_NE(seen_at_callback[1], mesos::v1::TASK_STAGING);
  EXPECT_NE(seen_at_callback[1], mesos::v1::TASK_UNKNOWN);
  EXPECT_EQ(seen_at_callback[2], mesos::v1::TASK_RUNNING);
  EXPECT_EQ(writer.failures(), 0u);
}

TEST_F(CheckpointWriterTest, ARemovalDropsWhatWasPendingAndAPutAfterItWritesAgain) {
  ASSERT_FALSE(root_.empty());
  CheckpointWriter writer;
  int written = 0;
  writer.Put(meta_, WithState(mesos::v1::TASK_RUNNING), [&] { ++written; });
  writer.Remove(meta_, "F1", "E1");
  writer.Flush();
  EXPECT_EQ(written, 1) << "a dropped state's callback runs too";
  EXPECT_TRUE(OnDisk().empty());

  writer.Put(meta_, WithState(mesos::v1::TASK_RUNNING));
  writer.Flush();
  ASSERT_EQ(OnDisk().size(), 1u);
  writer.Remove(meta_, "F1", "E1");
  writer.Put(meta_, WithState(mesos::v1::TASK_STAGING));  // the same id, started again
  writer.Flush();
  ASSERT_EQ(OnDisk().size(), 1u);
  EXPECT_EQ(OnDisk()[0].tasks[0].state, mesos::v1::TASK_STAGING);
}

TEST_F(CheckpointWriterTest, AFailedWriteIsCountedItsCallbackRunsAndTheOldFileStays) {
  ASSERT_FALSE(root_.empty());
  CheckpointWriter writer;
  writer.Put(meta_, WithState(mesos::v1::TASK_STAGING));
  writer.Flush();
  // A directory where the temporary file would go: the rename cannot happen.
  const std::filesystem::path dir =
      std::filesystem::path(meta_) / "frameworks" / "F1" / "executors" / "E1";
  std::filesystem::create_directory(dir / "executor.json.tmp");
  bool called = false;
  writer.Put(meta_, WithState(mesos::v1::TASK_RUNNING), [&] { called = true; });
  writer.Flush();
  EXPECT_TRUE(called);
  EXPECT_EQ(writer.failures(), 1u);
  ASSERT_EQ(OnDisk().size(), 1u);
  EXPECT_EQ(OnDisk()[0].tasks[0].state, mesos::v1::TASK_STAGING);
}

TEST_F(CheckpointWriterTest, TheDestructorWritesWhatIsPending) {
  ASSERT_FALSE(root_.empty());
  {
    CheckpointWriter writer;
    writer.Put(meta_, WithState(mesos::v1::TASK_RUNNING));
  }
  ASSERT_EQ(OnDisk().size(), 1u);
  EXPECT_EQ(OnDisk()[0].tasks[0].state, mesos::v1::TASK_RUNNING);
}

// Issue #17, attack 1: ids that would lead out of the work dir name no
// directory; checkpoints with them are refused, and removing them touches
// nothing.
TEST(AgentCheckpoint, HostileIdsNameNoDirectory) {
  for (const std::string& bad : std::vector<std::string>{
           "", ".", "..", "a/b", "../x", std::string("a\0b", 3), std::string(256, 'x')}) {
    EXPECT_FALSE(IsDirectoryName(bad)) << bad;
  }
  for (const std::string& good :
       std::vector<std::string>{"F1", "web.0.3f2a", "...", "a b", std::string(255, 'x')}) {
    EXPECT_TRUE(IsDirectoryName(good)) << good;
  }
  const mlaunch::testing::TempDir temp("checkpoint_test");
  const std::filesystem::path root = temp.path();
  const std::string meta = AgentMetaDir((root / "work").string(), "S0");
  std::filesystem::create_directories(root / "keep");
  ExecutorCheckpoint hostile = Sample();
  hostile.framework.mutable_id()->set_value("../../../../../keep");
  EXPECT_FALSE(WriteCheckpoint(meta, hostile).ok());
  RemoveCheckpoint(meta, "../../../../..", "keep");
  EXPECT_TRUE(std::filesystem::exists(root / "keep"));
  EXPECT_FALSE(std::filesystem::exists(root / "work" / "meta"));
}

TEST(ProcessRecordTest, RoundTripsRejectsBadTextAndLivesInTheExecutorsRunDir) {
  ProcessRecord record;
  record.framework_id = "F1";
  record.executor_id = "E1";
  record.container_id = "c-1";
  record.pid = 4242;
  record.start_time = 987654321;
  record.session = 17;
  EXPECT_EQ(ProcessRecordText(record), "{\"pid\":4242,\"session\":17,\"start_time\":987654321}\n");
  auto parsed = ParseProcessRecord(ProcessRecordText(record));
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(parsed.value().pid, 4242);
  EXPECT_EQ(parsed.value().start_time, 987654321u);
  EXPECT_EQ(parsed.value().session, 17);
  EXPECT_EQ(ParseProcessRecord("[]").message(), "not a JSON object");
  EXPECT_EQ(ParseProcessRecord(R"({"pid": 1, "start_time": 1, "session": 1})").message(),
            "'pid' must be an integer above 1");
  EXPECT_EQ(ParseProcessRecord(R"({"pid": 9, "start_time": -1, "session": 1})").message(),
            "'start_time' must be a non-negative integer");
  EXPECT_EQ(ParseProcessRecord(R"({"pid": 9, "start_time": 1})").message(),
            "'session' must be a non-negative integer");
  EXPECT_EQ(ParseProcessRecord(R"({"pid": 9, "start_time": 1, "session": -1})").message(),
            "'session' must be a non-negative integer");
  // In a container whose session leader is outside its pid namespace,
  // getsid() says 0: such a record is still a record.
  auto outside = ParseProcessRecord(R"({"pid": 9, "start_time": 1, "session": 0})");
  ASSERT_TRUE(outside.ok()) << outside.message();
  EXPECT_EQ(outside.value().session, 0);

  const mlaunch::testing::TempDir temp("process_record_test");
  const std::string meta = AgentMetaDir(temp.path(), "S0");
  ASSERT_TRUE(WriteProcessRecord(meta, record).ok());
  EXPECT_TRUE(std::filesystem::exists(meta + "/frameworks/F1/executors/E1/runs/c-1/process.json"));
  EXPECT_TRUE(ReadCheckpoints(meta).value().empty()) << "a record is no checkpoint";
  auto read = ReadProcessRecords(meta);
  ASSERT_TRUE(read.ok()) << read.message();
  ASSERT_EQ(read.value().size(), 1u);
  EXPECT_EQ(read.value()[0].framework_id, "F1");
  EXPECT_EQ(read.value()[0].executor_id, "E1");
  EXPECT_EQ(read.value()[0].container_id, "c-1");
  EXPECT_EQ(read.value()[0].pid, 4242);
  // Removing it removes the executor's directory, which holds no checkpoint.
  RemoveProcessRecord(meta, record);
  EXPECT_FALSE(std::filesystem::exists(meta + "/frameworks/F1/executors/E1"));
  // A broken one fails the read, naming the file.
  ASSERT_TRUE(WriteProcessRecord(meta, record).ok());
  const std::string file = meta + "/frameworks/F1/executors/E1/runs/c-1/process.json";
  {
    std::ofstream broken(file);
    broken << "{";
  }
  read = ReadProcessRecords(meta);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.message(), file + ": not a JSON object");
}

TEST(ProcessStartTimeTest, KnowsLiveProcessesAndNotEndedOnes) {
  const auto self = ProcessStartTime(getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(ProcessStartTime(getpid()), self);  // stable
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(ProcessStartTime(child).has_value());
}

}  // namespace
}  // namespace mlaunch::cluster
