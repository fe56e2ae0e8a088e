// LocalAgent: executors as real processes (environment, sandbox, output
// executor endpoint spoken to by the project's HTTP client, with the test
// playing the executor. Waits are bounded and event-driven: no sleeps.
#include "cluster/agent.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/agent_checkpoint.h"
#include "cluster/agent_environment.h"
#include "cluster/command_executor.h"
#include "cluster/executor_token.h"
#include "cluster/orphan_guard.h"
#include "cluster/port_leases.h"
#include "cluster/sandbox_gc.h"
#include "common/curl_http_client.h"
#include "common/recordio.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "mesos/v1/agent/agent.pb.h"
#include "tests/fakes/ci.h"
#include "tests/fakes/temp_dir.h"

namespace mlaunch::cluster {
namespace {

using mesos::v1::TaskStatus;
using mesos::v1::executor::Call;
using mesos::v1::executor::Event;
using std::chrono::milliseconds;

constexpr auto kWait = std::chrono::seconds(20);

// ----- the pure environment ------------------------------------------------

TEST(StoutDurationTest, PicksTheLargestWholeUnit) {
  EXPECT_EQ(StoutDuration(5'000'000'000), "5secs");
  EXPECT_EQ(StoutDuration(250'000'000), "250ms");
  EXPECT_EQ(StoutDuration(15LL * 60 * 1'000'000'000), "15mins");
  EXPECT_EQ(StoutDuration(1'500'000'000), "1500ms");
  EXPECT_EQ(StoutDuration(2LL * 3600 * 1'000'000'000), "2hrs");
  EXPECT_EQ(StoutDuration(7), "7ns");
  EXPECT_EQ(StoutDuration(0), "0ns");
}

ExecutorEnvironmentInput BaseInput() {
  ExecutorEnvironmentInput input;
  input.framework_id = "F1";
  input.executor_id = "E1";
  input.agent_id = "S0";
  input.sandbox = "/w/sandbox";
  input.agent_endpoint = "127.0.0.2:5051";
  return input;
}

TEST(ExecutorEnvironmentTest, GivesExactlyTheAgentVariablesWithoutCheckpointing) {
  auto env = ExecutorEnvironment(BaseInput());
  ASSERT_TRUE(env.ok());
  const std::map<std::string, std::string> expected = {
      {"LIBPROCESS_PORT", "0"},
      {"MESOS_AGENT_ENDPOINT", "127.0.0.2:5051"},
      {"MESOS_CHECKPOINT", "0"},
      {"MESOS_DIRECTORY", "/w/sandbox"},
      {"MESOS_EXECUTOR_ID", "E1"},
      {"MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "5secs"},
      {"MESOS_FRAMEWORK_ID", "F1"},
      {"MESOS_HTTP_COMMAND_EXECUTOR", "0"},
      {"MESOS_SANDBOX", "/w/sandbox"},
      {"MESOS_SLAVE_ID", "S0"},
      {"MESOS_SLAVE_PID", "slave(1)@127.0.0.2:5051"},
      {"PATH", kDefaultExecutorPath},
  };
  EXPECT_EQ(env.value(), expected);
}

TEST(ExecutorEnvironmentTest, CheckpointingAddsRecoveryTimeoutAndBackoff) {
  ExecutorEnvironmentInput input = BaseInput();
  input.checkpoint = true;
  auto env = ExecutorEnvironment(input);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env.value().at("MESOS_CHECKPOINT"), "1");
  EXPECT_EQ(env.value().at("MESOS_RECOVERY_TIMEOUT"), "15mins");
  EXPECT_EQ(env.value().at("MESOS_SUBSCRIPTION_BACKOFF_MAX"), "2secs");
}

TEST(ExecutorEnvironmentTest, UserValuesWinAndValueSecretsAreResolved) {
  ExecutorEnvironmentInput input = BaseInput();
  auto* path = input.user.add_variables();
  path->set_name("PATH");
  path->set_value("/opt/bin");
  auto* id = input.user.add_variables();
  id->set_name("MESOS_EXECUTOR_ID");
  id->set_value("mine");
  auto* secret = input.user.add_variables();
  secret->set_name("TOKEN");
  secret->set_type(mesos::v1::Environment::Variable::SECRET);
  secret->mutable_secret()->set_type(mesos::v1::Secret::VALUE);
  secret->mutable_secret()->mutable_value()->set_data("s3cr3t");
  auto env = ExecutorEnvironment(input);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env.value().at("PATH"), "/opt/bin");
  EXPECT_EQ(env.value().at("MESOS_EXECUTOR_ID"), "mine");
  EXPECT_EQ(env.value().at("TOKEN"), "s3cr3t");
}

TEST(ExecutorEnvironmentTest, ReferenceSecretsAreAnError) {
  ExecutorEnvironmentInput input = BaseInput();
  auto* secret = input.user.add_variables();
  secret->set_name("TOKEN");
  secret->set_type(mesos::v1::Environment::Variable::SECRET);
  secret->mutable_secret()->set_type(mesos::v1::Secret::REFERENCE);
  secret->mutable_secret()->mutable_reference()->set_name("vault/x");
  auto env = ExecutorEnvironment(input);
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.message().find("TOKEN"), std::string::npos);
}

// ----- the agent -----------------------------------------------------------

// What the agent reported, with bounded waits.
class Recorder {
 public:
  LocalAgent::Reports Reports() {
    LocalAgent::Reports reports;
    reports.status_update = [this](const std::string& framework_id, TaskStatus status) {
      std::lock_guard<std::mutex> lock(mutex_);
      EXPECT_EQ(framework_id, "F1");
      updates_.push_back(std::move(status));
      changed_.notify_all();
    };
    reports.executor_terminated = [this](const std::string& framework_id,
                                         const mesos::v1::ExecutorID& executor_id,
                                         int wait_status) {
      std::lock_guard<std::mutex> lock(mutex_);
      EXPECT_EQ(framework_id, "F1");
      terminated_.emplace_back(executor_id.value(), wait_status);
      changed_.notify_all();
    };
    reports.executor_message = [this](const std::string&, const mesos::v1::ExecutorID&,
                                      std::string data) {
      std::lock_guard<std::mutex> lock(mutex_);
      messages_.push_back(std::move(data));
      changed_.notify_all();
    };
    return reports;
  }

  std::vector<TaskStatus> WaitForUpdates(std::size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, kWait, [&] { return updates_.size() >= n; });
    return updates_;
  }
  std::vector<std::pair<std::string, int>> WaitForTerminated(std::size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, kWait, [&] { return terminated_.size() >= n; });
    return terminated_;
  }
  std::vector<std::string> WaitForMessages(std::size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, kWait, [&] { return messages_.size() >= n; });
    return messages_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<TaskStatus> updates_;
  std::vector<std::pair<std::string, int>> terminated_;
  std::vector<std::string> messages_;
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// True when `pid` has ended (or ends within a few seconds: a SIGKILL is
// delivered asynchronously). Waits on a pidfd, which works for processes
// that are not our children, and ignores whether anybody reaped it.
bool IsDead(pid_t pid) {
  const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd ended{fd, POLLIN, 0};
  const int ready = poll(&ended, 1, 5'000);
  close(fd);
  return ready == 1;
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override { StartAgent(); }
  void TearDown() override {
    if (agent_) agent_->Stop();
  }

  void StartAgent(milliseconds registration = std::chrono::minutes(1),
                  milliseconds grace = std::chrono::seconds(5),
                  const std::string& launcher_dir = ML_BINARY_DIR "/bin") {
    if (agent_) agent_->Stop();
    LocalAgent::Options options;
    options.address = "127.0.0.2";
    options.work_dir = work_dir_.string();
    options.registration_timeout = registration;
    options.shutdown_grace_period = grace;
    options.launcher_dir = launcher_dir;
    options.authenticate_executors = authenticate_executors_;
    if (sandbox_gc_) options.sandbox_gc = *sandbox_gc_;
    options.port_lease_dir = port_lease_dir_;
    options.max_connections = max_connections_;
    auto agent = LocalAgent::Start(options);
    ASSERT_TRUE(agent.ok()) << agent.message();
    agent_ = std::move(agent).value();
    mesos::v1::AgentInfo info;
    info.set_hostname("127.0.0.2");
    info.mutable_id()->set_value("S0");
    agent_->Attach(info, recorder_.Reports());
  }

  // LAUNCH of task T1 on executor E1 of framework F1 running `command`.
  void Launch(mesos::v1::CommandInfo command, const std::string& task_id = "T1",
              bool checkpoint = false, const std::string& executor_id = "E1") {
    LaunchTasks launch;
    launch.agent_id = "S0";
    launch.framework.set_checkpoint(checkpoint);
    launch.framework.set_user("nobody");
    launch.framework.set_name("test");
    launch.framework.mutable_id()->set_value("F1");
    mesos::v1::TaskInfo task;
    task.set_name(task_id);
    task.mutable_task_id()->set_value(task_id);
    task.mutable_agent_id()->set_value("S0");
    auto* executor = task.mutable_executor();
    executor->mutable_executor_id()->set_value(executor_id);
    *executor->mutable_command() = std::move(command);
    launch.tasks.push_back(task);
    agent_->Handle(launch);
  }

  static mesos::v1::CommandInfo Shell(const std::string& script) {
    mesos::v1::CommandInfo command;
    command.set_value(script);
    return command;
  }

  std::filesystem::path RunsDir() const {
    return work_dir_ / "slaves/S0/frameworks/F1/executors/E1/runs";
  }
  std::filesystem::path Sandbox() const { return std::filesystem::canonical(RunsDir() / "latest"); }

  std::string Url() const { return "http://" + agent_->endpoint() + "/api/v1/executor"; }

  // 'Bearer <token>' with the token the agent gave the executor of
  // `executor_id` of F1, for its latest run or for `container_id`; "" when
  // it has none.
  std::string Bearer(const std::string& executor_id = "E1", std::string container_id = "") const {
    if (container_id.empty()) {
      std::error_code error;
      container_id =
          std::filesystem::read_symlink(
              work_dir_ / "slaves/S0/frameworks/F1/executors" / executor_id / "runs/latest", error)
              .string();
      if (error) container_id = checkpointed_container_;
      if (container_id.empty()) return "";
    }
    auto tokens = ExecutorTokens::Open((work_dir_ / "executor_secret_key").string());
    if (!tokens.ok()) return "";
    return "Bearer " + tokens->Issue({"F1", executor_id, container_id});
  }

  // Posts `call` as its executor would, with its token (E1's for an
  // executor that has none).
  HttpClient::Response PostCall(const Call& call,
                                const std::string& content_type = "application/x-protobuf") {
    HttpHeaders headers;
    if (!content_type.empty()) headers.Set("Content-Type", content_type);
    std::string bearer = Bearer(call.executor_id().value());
    if (bearer.empty()) bearer = Bearer();
    if (!bearer.empty()) headers.Set("Authorization", bearer);
    auto response = client_.Post(Url(), headers, call.SerializePartialAsString(), {});
    EXPECT_TRUE(response.ok()) << response.message();
    return response.ok() ? response.value() : HttpClient::Response{};
  }

  static Call NewCall(Call::Type type) {
    Call call;
    call.mutable_framework_id()->set_value("F1");
    call.mutable_executor_id()->set_value("E1");
    call.set_type(type);
    return call;
  }

  const mlaunch::testing::TempDir temp_{"agent_test"};
  const std::filesystem::path work_dir_ = temp_.path();
  std::string checkpointed_container_;  // of a checkpoint written by the test
  bool authenticate_executors_ = true;
  std::size_t max_connections_ = 4096;
  std::optional<SandboxGc::Options> sandbox_gc_;
  std::string port_lease_dir_;
  Recorder recorder_;
  std::unique_ptr<LocalAgent> agent_;
  CurlHttpClient client_;
};

TEST_F(AgentTest, ExecutorGetsExactlyTheMesosEnvironment) {
  mesos::v1::CommandInfo command;
  command.set_shell(false);
  command.set_value("env");  // looked up on the executor's PATH
  command.add_arguments("env");
  auto* user = command.mutable_environment()->add_variables();
  user->set_name("GREETING");
  user->set_value("hello");
  Launch(command);
  ASSERT_EQ(recorder_.WaitForTerminated(1).size(), 1u);

  std::set<std::string> lines;
  std::stringstream out(ReadFile(Sandbox() / "stdout"));
  for (std::string line; std::getline(out, line);) lines.insert(line);
  const std::string sandbox = Sandbox().string();
  const std::string endpoint = agent_->endpoint();
  const std::set<std::string> expected = {
      "GREETING=hello",
      "LIBPROCESS_PORT=0",
      "MESOS_AGENT_ENDPOINT=" + endpoint,
      "MESOS_CHECKPOINT=0",
      "MESOS_DIRECTORY=" + sandbox,
      "MESOS_EXECUTOR_AUTHENTICATION_TOKEN=" + Bearer().substr(std::string("Bearer ").size()),
      "MESOS_EXECUTOR_ID=E1",
      "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=5secs",
      "MESOS_FRAMEWORK_ID=F1",
      "MESOS_HTTP_COMMAND_EXECUTOR=0",
      "MESOS_SANDBOX=" + sandbox,
      "MESOS_SLAVE_ID=S0",
      "MESOS_SLAVE_PID=slave(1)@" + endpoint,
      std::string("PATH=") + kDefaultExecutorPath,
  };
  EXPECT_EQ(lines, expected);
}

TEST_F(AgentTest, ExecutorRunsInItsSandboxWithOutputFilesAndItsExitFailsTheTask) {
  Launch(Shell("echo out; echo err >&2; pwd > cwd; exit 3"));
  const auto terminated = recorder_.WaitForTerminated(1);
  ASSERT_EQ(terminated.size(), 1u);
  EXPECT_EQ(terminated[0].first, "E1");
  ASSERT_TRUE(WIFEXITED(terminated[0].second));
  EXPECT_EQ(WEXITSTATUS(terminated[0].second), 3);

  // <work_dir>/slaves/S0/frameworks/F1/executors/E1/runs/<uuid>, runs/latest.
  std::vector<std::filesystem::path> runs;
  for (const auto& entry : std::filesystem::directory_iterator(RunsDir())) {
    if (!entry.is_symlink()) runs.push_back(entry.path());
  }
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].filename().string().size(), 36u);  // a UUID
  EXPECT_EQ(Sandbox(), std::filesystem::canonical(runs[0]));
  EXPECT_EQ(ReadFile(Sandbox() / "stdout"), "out\n");
  EXPECT_EQ(ReadFile(Sandbox() / "stderr"), "err\n");
  EXPECT_EQ(ReadFile(Sandbox() / "cwd"), Sandbox().string() + "\n");

  const auto updates = recorder_.WaitForUpdates(1);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].task_id().value(), "T1");
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_EXECUTOR_TERMINATED);
  EXPECT_EQ(updates[0].source(), TaskStatus::SOURCE_AGENT);
  EXPECT_EQ(updates[0].agent_id().value(), "S0");
  EXPECT_EQ(updates[0].executor_id().value(), "E1");
  EXPECT_EQ(updates[0].uuid().size(), 16u);
}

TEST_F(AgentTest, ExecutorThatNeverSubscribesIsKilledAtTheRegistrationTimeout) {
  StartAgent(milliseconds(200));
  Launch(Shell("exec sleep 60"));
  const auto updates = recorder_.WaitForUpdates(1);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_EXECUTOR_REGISTRATION_TIMEOUT);
  const auto terminated = recorder_.WaitForTerminated(1);
  ASSERT_EQ(terminated.size(), 1u);
  ASSERT_TRUE(WIFSIGNALED(terminated[0].second));
  EXPECT_EQ(WTERMSIG(terminated[0].second), SIGKILL);
  EXPECT_EQ(recorder_.WaitForUpdates(1).size(), 1u);  // no second update
}

TEST_F(AgentTest, UnsupportedUrisFailTheTaskNamingTheUri) {
  mesos::v1::CommandInfo command = Shell("true");
  command.add_uris()->set_value("ftp://example.invalid/x.tgz");
  Launch(command);
  const auto updates = recorder_.WaitForUpdates(1);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_EQ(updates[0].message(),
            "fetching ftp://example.invalid/x.tgz: ftp:// URIs are not "
            "supported (only file://, http://, https:// and absolute paths)");
}

TEST_F(AgentTest, LocalUrisAreCopiedIntoTheSandboxBeforeTheExecutorStarts) {
  const std::filesystem::path source = work_dir_ / "source.txt";
  std::ofstream(source) << "payload\n";
  mesos::v1::CommandInfo command =
      Shell("cat source.txt conf/copy.txt > seen; test -x tool && echo x > exec");
  command.add_uris()->set_value("file://" + source.string());
  auto* renamed = command.add_uris();
  renamed->set_value(source.string());
  renamed->set_output_file("conf/copy.txt");
  auto* tool = command.add_uris();
  tool->set_value(source.string());
  tool->set_output_file("tool");
  tool->set_executable(true);
  Launch(command);
  const auto terminated = recorder_.WaitForTerminated(1);
  ASSERT_EQ(terminated.size(), 1u);
  EXPECT_EQ(ReadFile(Sandbox() / "seen"), "payload\npayload\n");
  EXPECT_EQ(ReadFile(Sandbox() / "exec"), "x\n");
}

// /files/read's data has as many bytes as it stands for, so a follower
// adding them to its offset reads every byte once: a character cut by the
// read's end comes whole with the next read, a byte that is not UTF-8 is
// '?'.
TEST_F(AgentTest, FileReadsStandForTheirBytesOneForOne) {
  Launch(Shell("printf 'caf\\303\\251 \\377!' >&2"));  // "café", a space, FF, "!"
  ASSERT_EQ(recorder_.WaitForTerminated(1).size(), 1u);
  const std::string read = "http://" + agent_->endpoint() +
                           "/files/read?path=%2Fframeworks%2FF1%2Fexecutors%2FE1%2Fruns%2Flatest%"
                           "2Fstderr";
  auto data = [&](const std::string& query) {
    auto got = client_.Get(read + query, {}, {});
    EXPECT_TRUE(got.ok() && got->status == 200) << got.message();
    return got.ok() ? nlohmann::json::parse(got->body)["data"].get<std::string>() : "";
  };
  EXPECT_EQ(data("&offset=0&length=4"), "caf");  // é's first byte is left for the next read
  EXPECT_EQ(data("&offset=3"), "\xc3\xa9 ?!");
  EXPECT_EQ(data("&offset=0"), "caf\xc3\xa9 ?!");
}

// The sandboxes' files, as Mesos agents serve them: /files/read with
// offset and length (-1: the size), /files/browse, and the agent operator
// API's LIST_FILES and READ_FILE; nothing outside a sandbox; a browser may
// read them cross-origin only from the master's status page.
TEST_F(AgentTest, FilesAreReadOnlyFromSandboxesAndOnlyThePageMayReadThemCrossOrigin) {
  Launch(Shell("printf 'line one\\nline two\\n' >&2"));
  ASSERT_EQ(recorder_.WaitForTerminated(1).size(), 1u);
  const std::string base = "http://" + agent_->endpoint();
  auto get = [&](const std::string& target, HttpHeaders headers = {}) {
    auto got = client_.Get(base + target, headers, {});
    EXPECT_TRUE(got.ok()) << got.message();
    return got.ok() ? got.value() : HttpClient::Response{};
  };
  const std::string stderr_path = "%2Fframeworks%2FF1%2Fexecutors%2FE1%2Fruns%2Flatest%2Fstderr";
  HttpClient::Response whole = get("/files/read?offset=0&path=" + stderr_path);
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.headers.Get("Content-Type").value_or(""), "application/json");
  nlohmann::json body = nlohmann::json::parse(whole.body);
  EXPECT_EQ(body["data"], "line one\nline two\n");
  EXPECT_EQ(body["offset"], 0);
  body = nlohmann::json::parse(get("/files/read?offset=5&length=3&path=" + stderr_path).body);
  EXPECT_EQ(body["data"], "one");
  EXPECT_EQ(body["offset"], 5);
  // No offset, or -1: where the file ends, so a follower starts there.
  for (const std::string query : {"", "&offset=-1"}) {
    body = nlohmann::json::parse(get("/files/read?path=" + stderr_path + query).body);
    EXPECT_EQ(body["data"], "");
    EXPECT_EQ(body["offset"], 18);
  }
  EXPECT_EQ(get("/files/read?offset=-2&path=" + stderr_path).status, 400);
  EXPECT_EQ(get("/files/read?offset=0&length=x&path=" + stderr_path).status, 400);
  EXPECT_EQ(get("/files/read?offset=0").status, 400);
  EXPECT_EQ(get("/files/read?offset=0&path=%2Fetc%2Fpasswd").status, 400);
  EXPECT_EQ(
      get("/files/read?offset=0&path=" + stderr_path + "%2F..%2F..%2F..%2F..%2Fstderr").status,
      400);
  auto post = client_.Post(base + "/files/read?path=" + stderr_path, {}, "", {});
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->status, 405);

  const nlohmann::json listing = nlohmann::json::parse(
      get("/files/browse?path=%2Fframeworks%2FF1%2Fexecutors%2FE1%2Fruns%2Flatest").body);
  std::set<std::string> names;
  for (const auto& entry : listing) names.insert(entry["path"].get<std::string>());
  EXPECT_TRUE(names.count("/frameworks/F1/executors/E1/runs/latest/stderr")) << listing;
  EXPECT_TRUE(names.count("/frameworks/F1/executors/E1/runs/latest/stdout")) << listing;

  // The operator API of the agent, protobuf in and out.
  mesos::v1::agent::Call call;
  call.set_type(mesos::v1::agent::Call::READ_FILE);
  call.mutable_read_file()->set_path("/frameworks/F1/executors/E1/runs/latest/stderr");
  call.mutable_read_file()->set_offset(5);
  call.mutable_read_file()->set_length(3);
  HttpHeaders protobuf;
  protobuf.Set("Content-Type", "application/x-protobuf");
  protobuf.Set("Accept", "application/x-protobuf");
  auto answered = client_.Post(base + "/api/v1", protobuf, call.SerializeAsString(), {});
  ASSERT_TRUE(answered.ok());
  ASSERT_EQ(answered->status, 200) << answered->body;
  mesos::v1::agent::Response response;
  ASSERT_TRUE(response.ParseFromString(answered->body));
  EXPECT_EQ(response.type(), mesos::v1::agent::Response::READ_FILE);
  EXPECT_EQ(response.read_file().data(), "one");
  EXPECT_EQ(response.read_file().size(), 18u);
  call.Clear();
  call.set_type(mesos::v1::agent::Call::LIST_FILES);
  call.mutable_list_files()->set_path("/frameworks/F1/executors/E1/runs/latest/../../..");
  answered = client_.Post(base + "/api/v1", protobuf, call.SerializeAsString(), {});
  ASSERT_TRUE(answered.ok());
  EXPECT_EQ(answered->status, 400);
  call.mutable_list_files()->set_path("/frameworks/F1/executors/E1/runs/latest");
  answered = client_.Post(base + "/api/v1", protobuf, call.SerializeAsString(), {});
  ASSERT_TRUE(answered.ok());
  ASSERT_TRUE(response.ParseFromString(answered->body));
  EXPECT_GE(response.list_files().file_infos_size(), 2);
  call.Clear();
  call.set_type(mesos::v1::agent::Call::GET_FLAGS);
  answered = client_.Post(base + "/api/v1", protobuf, call.SerializeAsString(), {});
  ASSERT_TRUE(answered.ok());
  EXPECT_EQ(answered->status, 501);

  // The task owns its sandbox: a link or a FIFO where its output was is
  // not followed, nor waited on.
  std::ofstream(work_dir_ / "agent-secret") << "not for tasks";
  std::filesystem::remove(Sandbox() / "stderr");
  std::filesystem::create_symlink(work_dir_ / "agent-secret", Sandbox() / "stderr");
  EXPECT_EQ(get("/files/read?offset=0&path=" + stderr_path).status, 404);
  std::filesystem::remove(Sandbox() / "stderr");
  ASSERT_EQ(::mkfifo((Sandbox() / "stderr").c_str(), 0600), 0);
  EXPECT_EQ(get("/files/read?offset=0&path=" + stderr_path).status, 404);

  // Cross-origin reads: none here (the agent is attached to no master, so
  // it knows no status page), whatever the Origin.
  HttpHeaders origin;
  origin.Set("Origin", "http://evil.example");
  EXPECT_FALSE(get("/files/read?path=" + stderr_path, origin)
                   .headers.Get("Access-Control-Allow-Origin")
                   .has_value());
}

// Issue #17, attack 1, behind the master's check: whatever executor ids
// reach the agent, it creates nothing outside its work dir. (Framework ids:
// AgentCheckpoint.HostileIdsNameNoDirectory; the same check guards both.)
TEST_F(AgentTest, HostileExecutorIdsFailTheTaskAndCreateNothingOutsideTheWorkDir) {
  const std::filesystem::path outside =
      work_dir_.parent_path() / ("escaped-" + work_dir_.filename().string());
  const std::vector<std::string> ids = {"../../../../../../" + outside.filename().string(), ".",
                                        ".."};
  for (size_t i = 0; i < ids.size(); ++i) {
    LaunchTasks launch;
    launch.agent_id = "S0";
    launch.framework.set_user("nobody");
    launch.framework.set_name("test");
    launch.framework.mutable_id()->set_value("F1");
    mesos::v1::TaskInfo task;
    task.set_name("T" + std::to_string(i));
    task.mutable_task_id()->set_value("T" + std::to_string(i));
    task.mutable_agent_id()->set_value("S0");
    task.mutable_executor()->mutable_executor_id()->set_value(ids[i]);
    *task.mutable_executor()->mutable_command() = Shell("touch escaped-marker");
    launch.tasks.push_back(task);
    agent_->Handle(launch);
  }
  const auto updates = recorder_.WaitForUpdates(ids.size());
  ASSERT_EQ(updates.size(), ids.size());
  for (const auto& status : updates) {
    EXPECT_EQ(status.state(), mesos::v1::TASK_FAILED);
    EXPECT_EQ(status.message(), "the framework or executor id cannot name a sandbox directory");
  }
  EXPECT_FALSE(std::filesystem::exists(outside));
  std::error_code ignored;
  std::filesystem::remove_all(outside, ignored);
}

// An image the agent cannot run fails the task, saying why, and nothing runs
// on the host instead: one missing from podman's local store (or podman
// itself missing), and an image on the task rather than its executor.
TEST_F(AgentTest, AnImageTheAgentCannotRunFailsTheTaskSayingWhy) {
  const std::filesystem::path marker = work_dir_ / "ran-on-the-host";
  for (const bool on_executor : {true, false}) {
    LaunchTasks launch;
    launch.agent_id = "S0";
    launch.framework.set_name("test");
    launch.framework.mutable_id()->set_value("F1");
    mesos::v1::TaskInfo task;
    task.set_name("web");
    task.mutable_task_id()->set_value(on_executor ? "T-executor" : "T-task");
    task.mutable_agent_id()->set_value("S0");
    task.mutable_executor()->mutable_executor_id()->set_value(on_executor ? "E1" : "E2");
    *task.mutable_executor()->mutable_command() = Shell("touch '" + marker.string() + "'");
    mesos::v1::ContainerInfo* container =
        on_executor ? task.mutable_executor()->mutable_container() : task.mutable_container();
    container->set_type(mesos::v1::ContainerInfo::MESOS);
    container->mutable_mesos()->mutable_image()->set_type(mesos::v1::Image::DOCKER);
    container->mutable_mesos()->mutable_image()->mutable_docker()->set_name(
        "localhost/mesos-launch-test/no-such-image:" + std::to_string(::getpid()));
    launch.tasks.push_back(task);
    agent_->Handle(launch);
  }
  const auto updates = recorder_.WaitForUpdates(2);
  ASSERT_EQ(updates.size(), 2u);
  const bool podman = ::system("command -v podman >/dev/null 2>&1") == 0;
  if (mlaunch::testing::InCi()) {
    EXPECT_TRUE(podman) << "CI installs podman (scripts/setup.sh)";
  }
  for (const auto& status : updates) {
    EXPECT_EQ(status.state(), mesos::v1::TASK_FAILED);
    EXPECT_EQ(status.reason(), TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
    if (status.task_id().value() == "T-task") {
      EXPECT_EQ(status.message(),
                "a task under its own executor runs in the executor's image "
                "(ExecutorInfo.container), not one of its own "
                "(TaskInfo.container)");
    } else if (podman) {
      EXPECT_NE(status.message().find("is not in podman's local store, and this agent has no "
                                      "registry access"),
                std::string::npos)
          << status.message();
    } else {
      EXPECT_NE(status.message().find("podman is not installed"), std::string::npos)
          << status.message();
    }
  }
  EXPECT_FALSE(agent_->ExecutorPid("F1", "E1").has_value());
  EXPECT_FALSE(agent_->ExecutorPid("F1", "E2").has_value());
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(AgentTest, LocalUrisOutsideTheRulesFailTheTask) {
  const std::filesystem::path source = work_dir_ / "source.tar.gz";
  std::ofstream(source) << "not really";
  for (const auto& [uri, output] : std::vector<std::pair<std::string, std::string>>{
           {source.string(), ""},                    // a broken archive
           {"relative/path", ""},                    // no frameworks_home
           {source.string(), "../escape"},           // leaves the sandbox
           {"file://" + source.string() + "'", ""},  // illegal character
       }) {
    mesos::v1::CommandInfo command = Shell("true");
    auto* added = command.add_uris();
    added->set_value(uri);
    if (!output.empty()) added->set_output_file(output);
    Launch(command, "T-" + uri + output);
  }
  const auto updates = recorder_.WaitForUpdates(4);
  ASSERT_EQ(updates.size(), 4u);
  for (const auto& update : updates) {
    EXPECT_EQ(update.state(), mesos::v1::TASK_FAILED);
    EXPECT_EQ(update.reason(), TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
    EXPECT_EQ(update.message().rfind("fetching ", 0), 0u) << update.message();
  }
}

TEST_F(AgentTest, KillMinusNineOfTheExecutorFailsItsTaskAndKillsItsChildren) {
  const std::filesystem::path fifo = work_dir_ / "pid";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  Launch(Shell("sleep 60 & echo $! > " + fifo.string() + "; wait"));
  pollfd ready{reader, POLLIN, 0};
  ASSERT_EQ(poll(&ready, 1, 20'000), 1);
  char buffer[32] = {};
  ASSERT_GT(read(reader, buffer, sizeof(buffer) - 1), 0);
  close(reader);
  const pid_t grandchild = std::stoi(buffer);
  const auto executor = agent_->ExecutorPid("F1", "E1");
  ASSERT_TRUE(executor.has_value());
  EXPECT_EQ(getpgid(grandchild), *executor);  // the executor's own group

  ASSERT_EQ(kill(*executor, SIGKILL), 0);
  ASSERT_EQ(recorder_.WaitForTerminated(1).size(), 1u);
  const auto updates = recorder_.WaitForUpdates(1);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_EXECUTOR_TERMINATED);
  EXPECT_TRUE(IsDead(*executor));
  EXPECT_TRUE(IsDead(grandchild));
}

TEST_F(AgentTest, StoppingTheAgentLeavesNoProcessBehind) {
  const std::filesystem::path fifo = work_dir_ / "pid";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  Launch(Shell("sleep 60 & echo $! > " + fifo.string() + "; wait"));
  pollfd ready{reader, POLLIN, 0};
  ASSERT_EQ(poll(&ready, 1, 20'000), 1);
  char buffer[32] = {};
  ASSERT_GT(read(reader, buffer, sizeof(buffer) - 1), 0);
  close(reader);
  const pid_t grandchild = std::stoi(buffer);
  const auto executor = agent_->ExecutorPid("F1", "E1");
  ASSERT_TRUE(executor.has_value());

  agent_->Stop();
  EXPECT_TRUE(IsDead(*executor));
  // SIGKILL is delivered before Stop() returns; the orphan may await its
  // reaper.
  EXPECT_TRUE(IsDead(grandchild));
}

// ----- the executor endpoint -----------------------------------------------

TEST_F(AgentTest, ExecutorEndpointRefusesBadRequestsWithMesosStatusCodes) {
  Launch(Shell("exec sleep 60"));
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  Call subscribe = NewCall(Call::SUBSCRIBE);
  subscribe.mutable_subscribe();

  EXPECT_EQ(PostCall(subscribe, "").status, 400);
  auto unsupported = PostCall(subscribe, "text/plain");
  EXPECT_EQ(unsupported.status, 415);

  Call no_subscribe = NewCall(Call::SUBSCRIBE);
  auto missing = PostCall(no_subscribe);
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("carries its parameters in 'subscribe'"), std::string::npos)
      << missing.body;

  HttpHeaders headers;
  headers.Set("Content-Type", "application/x-protobuf");
  headers.Set("Accept", "text/html");
  headers.Set("Authorization", Bearer());
  auto refused = client_.Post(Url(), headers, subscribe.SerializeAsString(), {});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused.value().status, 406);

  EXPECT_EQ(PostCall(NewCall(Call::HEARTBEAT)).status, 202);

  Call update = NewCall(Call::UPDATE);
  auto* status = update.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("T1");
  status->set_state(mesos::v1::TASK_RUNNING);
  status->set_source(TaskStatus::SOURCE_EXECUTOR);
  status->set_uuid(std::string(16, 'U'));
  Call other_framework = update;
  other_framework.mutable_framework_id()->set_value("F9");
  auto unknown = PostCall(other_framework);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("framework F9"), std::string::npos) << unknown.body;
  Call other_executor = update;
  other_executor.mutable_executor_id()->set_value("E9");
  auto no_executor = PostCall(other_executor);
  EXPECT_EQ(no_executor.status, 400);
  EXPECT_NE(no_executor.body.find("executor E9"), std::string::npos) << no_executor.body;
  auto not_subscribed = PostCall(update);
  EXPECT_EQ(not_subscribed.status, 403);
  EXPECT_NE(not_subscribed.body.find("has not subscribed"), std::string::npos);

  Call short_uuid = update;
  short_uuid.mutable_update()->mutable_status()->set_uuid("abc");
  EXPECT_EQ(PostCall(short_uuid).status, 400);
  // Issue #18: 16 bytes without an RFC 4122 version are no uuid either.
  Call unversioned = update;
  unversioned.mutable_update()->mutable_status()->set_uuid(std::string(16, 'u'));
  EXPECT_EQ(PostCall(unversioned).status, 400);
  Call staging = update;
  staging.mutable_update()->mutable_status()->set_state(mesos::v1::TASK_STAGING);
  EXPECT_EQ(PostCall(staging).status, 400);
  Call from_master = update;
  from_master.mutable_update()->mutable_status()->set_source(TaskStatus::SOURCE_MASTER);
  EXPECT_EQ(PostCall(from_master).status, 400);
}

// Events of one subscription, decoded as they arrive.
class EventStream {
 public:
  EventStream(HttpClient& client, const std::string& url, const std::string& bearer,
              const Call& subscribe, bool json = false)
      : json_(json) {
    HttpHeaders headers;
    headers.Set("Content-Type", "application/x-protobuf");
    if (!bearer.empty()) headers.Set("Authorization", bearer);
    headers.Set("Accept", json ? "application/json" : "application/x-protobuf");
    HttpClient::StreamCallbacks callbacks;
    callbacks.on_headers = [this](int status, const HttpHeaders&) {
      std::lock_guard<std::mutex> lock(mutex_);
      status_ = status;
      return true;
    };
    callbacks.on_bytes = [this](std::string_view bytes) {
      std::vector<std::string> records;
      std::lock_guard<std::mutex> lock(mutex_);
      if (!decoder_.Feed(bytes, &records).ok()) return false;
      for (const auto& record : records) {
        Event event;
        if (json_) {
          EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(record, &event).ok()) << record;
        } else {
          EXPECT_TRUE(event.ParseFromString(record));
        }
        events_.push_back(event);
      }
      changed_.notify_all();
      return true;
    };
    callbacks.on_end = [this](const Status&) {
      std::lock_guard<std::mutex> lock(mutex_);
      ended_ = true;
      changed_.notify_all();
    };
    stream_ =
        client.OpenStream(url, headers, subscribe.SerializeAsString(), {}, std::move(callbacks));
  }

  std::vector<Event> WaitFor(std::size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, kWait, [&] { return events_.size() >= n || ended_; });
    return events_;
  }
  bool WaitForEnd() {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kWait, [&] { return ended_; });
  }
  int status() {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  RecordIODecoder decoder_;
  std::vector<Event> events_;
  int status_ = 0;
  bool ended_ = false;
  std::unique_ptr<HttpClient::Stream> stream_;
  bool json_;
};

// Issue #20: beyond 256 executors on one agent, new ones could not
// subscribe (every connection busy with a subscription) and timed out with
// no word of why. The limit is an option now, and the timeout names it.
TEST_F(AgentTest, AnExecutorRefusedAtTheConnectionLimitTimesOutSayingSo) {
  max_connections_ = 1;
  // Long enough for the refusal below to come first, even under TSan.
  StartAgent(milliseconds(2000));
  Launch(Shell("exec sleep 60"));
  Launch(Shell("exec sleep 60"), "T2", false, "E2");
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  Call subscribe = NewCall(Call::SUBSCRIBE);
  subscribe.mutable_subscribe();
  EventStream stream(client_, Url(), Bearer("E1"), subscribe);  // the one connection
  ASSERT_FALSE(stream.WaitFor(1).empty());
  Call subscribe_e2 = subscribe;
  subscribe_e2.mutable_executor_id()->set_value("E2");
  const auto refused = PostCall(subscribe_e2);
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("limit of 1 connections"), std::string::npos) << refused.body;

  const auto updates = recorder_.WaitForUpdates(1);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].task_id().value(), "T2");
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_EXECUTOR_REGISTRATION_TIMEOUT);
  EXPECT_NE(updates[0].message().find("refused 1 connections at its limit of 1"), std::string::npos)
      << updates[0].message();
  EXPECT_NE(updates[0].message().find("--agent-max-connections"), std::string::npos);
}

TEST_F(AgentTest, SubscribedExecutorGetsItsTaskAcknowledgementsAndShutdown) {
  StartAgent(std::chrono::minutes(1), milliseconds(100));
  Launch(Shell("exec sleep 60"));
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  const auto pid = agent_->ExecutorPid("F1", "E1");
  ASSERT_TRUE(pid.has_value());

  Call subscribe = NewCall(Call::SUBSCRIBE);
  subscribe.mutable_subscribe();
  EventStream stream(client_, Url(), Bearer(subscribe.executor_id().value()), subscribe);
  auto events = stream.WaitFor(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(stream.status(), 200);
  ASSERT_EQ(events[0].type(), Event::SUBSCRIBED);
  EXPECT_EQ(events[0].subscribed().executor_info().executor_id().value(), "E1");
  EXPECT_EQ(events[0].subscribed().framework_info().id().value(), "F1");
  EXPECT_EQ(events[0].subscribed().agent_info().id().value(), "S0");
  EXPECT_EQ(events[0].subscribed().container_id().value(), Sandbox().filename().string());
  ASSERT_EQ(events[1].type(), Event::LAUNCH);
  EXPECT_EQ(events[1].launch().task().task_id().value(), "T1");

  Call update = NewCall(Call::UPDATE);
  auto* status = update.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("T1");
  status->set_state(mesos::v1::TASK_RUNNING);
  status->set_source(TaskStatus::SOURCE_EXECUTOR);
  status->set_uuid(std::string("0123456789abcdef"));
  EXPECT_EQ(PostCall(update).status, 202);
  const auto updates = recorder_.WaitForUpdates(1);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_RUNNING);
  EXPECT_EQ(updates[0].source(), TaskStatus::SOURCE_EXECUTOR);
  EXPECT_EQ(updates[0].agent_id().value(), "S0");
  EXPECT_EQ(updates[0].executor_id().value(), "E1");
  EXPECT_EQ(updates[0].uuid(), "0123456789abcdef");
  events = stream.WaitFor(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].type(), Event::ACKNOWLEDGED);
  EXPECT_EQ(events[2].acknowledged().task_id().value(), "T1");
  EXPECT_EQ(events[2].acknowledged().uuid(), "0123456789abcdef");

  Call message = NewCall(Call::MESSAGE);
  message.mutable_message()->set_data("hi");
  EXPECT_EQ(PostCall(message).status, 202);
  EXPECT_EQ(recorder_.WaitForMessages(1), std::vector<std::string>{"hi"});

  KillTask kill;
  kill.framework_id = "F1";
  kill.task_id.set_value("T1");
  agent_->Handle(kill);
  events = stream.WaitFor(4);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3].type(), Event::KILL);
  EXPECT_EQ(events[3].kill().task_id().value(), "T1");

  // SHUTDOWN, then SIGKILL of the group after the 100 ms grace period.
  ShutdownExecutor shutdown;
  shutdown.framework_id = "F1";
  shutdown.executor_id.set_value("E1");
  agent_->Handle(shutdown);
  events = stream.WaitFor(5);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[4].type(), Event::SHUTDOWN);
  const auto terminated = recorder_.WaitForTerminated(1);
  ASSERT_EQ(terminated.size(), 1u);
  ASSERT_TRUE(WIFSIGNALED(terminated[0].second));
  EXPECT_EQ(WTERMSIG(terminated[0].second), SIGKILL);
  const auto all = recorder_.WaitForUpdates(2);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(all[1].reason(), TaskStatus::REASON_EXECUTOR_TERMINATED);
  EXPECT_TRUE(stream.WaitForEnd());
  EXPECT_TRUE(IsDead(*pid));
}

// JSON executor calls are read as Mesos reads them: the SUBSCRIBE of the
// npm `mesos-framework` library (0.5.3), which omits `subscribe`, is refused
// as Mesos refuses it; lowerCamelCase keys are not field names.
TEST_F(AgentTest, JsonExecutorCallsFollowMesosRules) {
  Launch(Shell("exec sleep 60"));
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  HttpHeaders headers;
  headers.Set("Content-Type", "application/json");
  headers.Set("Authorization", Bearer());
  auto no_subscribe = client_.Post(
      Url(), headers,
      R"({"type":"SUBSCRIBE","framework_id":{"value":"F1"},"executor_id":{"value":"E1"}})", {});
  ASSERT_TRUE(no_subscribe.ok());
  EXPECT_EQ(no_subscribe.value().status, 400);
  EXPECT_EQ(no_subscribe.value().body,
            "the call is malformed: a SUBSCRIBE call carries its parameters in 'subscribe', "
            "which is missing");
  auto camel = client_.Post(
      Url(), headers,
      R"({"type":"SUBSCRIBE","frameworkId":{"value":"F1"},"executorId":{"value":"E1"},)"
      R"("subscribe":{}})",
      {});
  ASSERT_TRUE(camel.ok());
  EXPECT_EQ(camel.value().status, 400);
  EXPECT_EQ(camel.value().body.rfind("the Call lacks required fields: ", 0), 0u)
      << camel.value().body;
}

TEST_F(AgentTest, JsonSubscriptionGetsJsonEventsAndLaterTasksAtOnce) {
  Launch(Shell("exec sleep 60"));
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  Call subscribe = NewCall(Call::SUBSCRIBE);
  subscribe.mutable_subscribe();
  EventStream stream(client_, Url(), Bearer(subscribe.executor_id().value()), subscribe,
                     /*json=*/true);
  auto events = stream.WaitFor(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type(), Event::SUBSCRIBED);
  EXPECT_EQ(events[1].type(), Event::LAUNCH);

  Launch(Shell("ignored: the executor runs already"), "T2");
  events = stream.WaitFor(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].type(), Event::LAUNCH);
  EXPECT_EQ(events[2].launch().task().task_id().value(), "T2");
}

TEST_F(AgentTest, SecondSubscribeReplacesTheFirstStream) {
  Launch(Shell("exec sleep 60"));
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  Call subscribe = NewCall(Call::SUBSCRIBE);
  subscribe.mutable_subscribe();
  EventStream first(client_, Url(), Bearer(subscribe.executor_id().value()), subscribe);
  ASSERT_EQ(first.WaitFor(2).size(), 2u);
  EventStream second(client_, Url(), Bearer(subscribe.executor_id().value()), subscribe);
  const auto events = second.WaitFor(1);
  ASSERT_GE(events.size(), 1u);
  EXPECT_EQ(events[0].type(), Event::SUBSCRIBED);
  EXPECT_TRUE(first.WaitForEnd());
}

TEST_F(AgentTest, KillingTheOnlyQueuedTaskKillsItAndShutsTheExecutorDown) {
  Launch(Shell("exec sleep 60"));
  KillTask kill;
  kill.framework_id = "F1";
  kill.task_id.set_value("T1");
  agent_->Handle(kill);
  const auto updates = recorder_.WaitForUpdates(1);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_KILLED);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH);
  ASSERT_EQ(recorder_.WaitForTerminated(1).size(), 1u);
  EXPECT_EQ(recorder_.WaitForUpdates(1).size(), 1u);  // nothing more to fail
}

TEST_F(AgentTest, SubscribeOfAnExecutorBeingShutDownGetsShutdown) {
  StartAgent(std::chrono::minutes(1), std::chrono::minutes(1));
  Launch(Shell("exec sleep 60"));
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  Call subscribe = NewCall(Call::SUBSCRIBE);
  subscribe.mutable_subscribe();
  EventStream first(client_, Url(), Bearer(subscribe.executor_id().value()), subscribe);
  ASSERT_EQ(first.WaitFor(2).size(), 2u);
  ShutdownFramework shutdown;
  shutdown.framework_id = "F1";
  agent_->Handle(shutdown);
  ASSERT_EQ(first.WaitFor(3).size(), 3u);
  EventStream again(client_, Url(), Bearer(subscribe.executor_id().value()), subscribe);
  const auto events = again.WaitFor(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type(), Event::SHUTDOWN);
  EXPECT_TRUE(again.WaitForEnd());
}

// Issue #17, item 2: any local process could POST an UPDATE for a healthy
// task and fail it. Executor calls need the token the agent gave that
// executor: 401 without one it signed, 403 with another executor's.
TEST_F(AgentTest, ExecutorCallsWithoutTheExecutorsTokenAreRefused) {
  Launch(Shell("exec sleep 60"));
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  Call subscribe = NewCall(Call::SUBSCRIBE);
  subscribe.mutable_subscribe();
  EventStream stream(client_, Url(), Bearer(), subscribe);
  ASSERT_EQ(stream.WaitFor(2).size(), 2u);  // SUBSCRIBED, LAUNCH
  Call update = NewCall(Call::UPDATE);
  auto* status = update.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("T1");
  status->set_state(mesos::v1::TASK_FAILED);
  status->set_source(TaskStatus::SOURCE_EXECUTOR);
  status->set_uuid(std::string(16, 'U'));
  const auto post = [&](const std::string& authorization) {
    HttpHeaders headers;
    headers.Set("Content-Type", "application/x-protobuf");
    if (!authorization.empty()) headers.Set("Authorization", authorization);
    auto response = client_.Post(Url(), headers, update.SerializeAsString(), {});
    EXPECT_TRUE(response.ok()) << response.message();
    return response.ok() ? response.value() : HttpClient::Response{};
  };
  const std::string token = Bearer().substr(std::string("Bearer ").size());
  ASSERT_FALSE(token.empty());
  // Another key (another agent's work dir) signs nothing this agent takes.
  const std::filesystem::path elsewhere = work_dir_ / "elsewhere";
  std::filesystem::create_directories(elsewhere);
  auto other_key = ExecutorTokens::Open((elsewhere / "executor_secret_key").string());
  ASSERT_TRUE(other_key.ok()) << other_key.message();
  std::string container = std::filesystem::read_symlink(RunsDir() / "latest").string();
  std::string tampered = token;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  for (const std::string& forged :
       std::vector<std::string>{"", "Bearer", "Bearer ", "Basic dXNlcjpwdw==", "Bearer " + tampered,
                                "Bearer " + other_key->Issue({"F1", "E1", container}),
                                "Bearer not-a-token", "bearer " + token}) {
    SCOPED_TRACE(forged);
    const HttpClient::Response refused = post(forged);
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.headers.Get("WWW-Authenticate").value_or(""),
              "Bearer realm=\"mesos-agent-executor\"");
  }
  // Signed by this agent, for another executor or another run of this one.
  auto tokens = ExecutorTokens::Open((work_dir_ / "executor_secret_key").string());
  ASSERT_TRUE(tokens.ok());
  for (const ExecutorClaims& other :
       {ExecutorClaims{"F1", "E2", container}, ExecutorClaims{"F1", "E1", "an-earlier-run"}}) {
    const HttpClient::Response refused = post("Bearer " + tokens->Issue(other));
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(refused.body, "the token was given to another executor");
  }
  // None of them reached the master; the executor's own update, sent with
  // its token, is the first that does.
  status->set_state(mesos::v1::TASK_RUNNING);
  status->set_uuid(std::string(16, 'R'));
  EXPECT_EQ(post("Bearer " + token).status, 202);
  const std::vector<TaskStatus> updates = recorder_.WaitForUpdates(1);
  ASSERT_GE(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_RUNNING);
}

// mesos-launch-cluster --no-executor-authentication: no token is given and
// none is asked for.
TEST_F(AgentTest, WithoutExecutorAuthenticationCallsNeedNoToken) {
  authenticate_executors_ = false;
  StartAgent();
  Launch(Shell("exec sleep 60"));
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  HttpHeaders headers;
  headers.Set("Content-Type", "application/x-protobuf");
  auto heartbeat = client_.Post(Url(), headers, NewCall(Call::HEARTBEAT).SerializeAsString(), {});
  ASSERT_TRUE(heartbeat.ok());
  EXPECT_EQ(heartbeat.value().status, 202);
  Call subscribe = NewCall(Call::SUBSCRIBE);
  subscribe.mutable_subscribe();
  EventStream stream(client_, Url(), /*bearer=*/"", subscribe);
  const auto events = stream.WaitFor(1);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].type(), Event::SUBSCRIBED);
}

// Issue #17, item 12: 27 launches with --executor-uri left 2.7 GB of
// executor copies. The sandbox of an ended executor is removed after the
// GC delay (here none), with its executor's directory once nothing of it
// is left; until then its output can be read.
TEST_F(AgentTest, SandboxesOfEndedExecutorsAreRemovedAfterTheDelay) {
  SandboxGc::Options gc;
  gc.delay = milliseconds(0);
  gc.keep_latest = 0;
  sandbox_gc_ = gc;
  StartAgent();
  Launch(Shell("head -c 1000000 /dev/zero > copy-of-an-executor; exit 3"));
  ASSERT_EQ(recorder_.WaitForTerminated(1).size(), 1u);
  // Removed before the agent reported the end.
  EXPECT_FALSE(std::filesystem::exists(work_dir_ / "slaves/S0/frameworks/F1/executors/E1"));
  EXPECT_TRUE(std::filesystem::exists(work_dir_ / "slaves/S0/frameworks/F1/executors"));

  // With the default policy (an hour, the latest ten kept) it stays.
  sandbox_gc_.reset();
  StartAgent();
  Launch(Shell("exit 3"));
  ASSERT_EQ(recorder_.WaitForTerminated(2).size(), 2u);
  EXPECT_TRUE(std::filesystem::exists(RunsDir() / "latest" / "stdout"));
}

// Issue #17, item 11: a port another agent on this machine (another
// mesos-launch) gave a task is refused at launch, saying so, rather than
// given twice; once released it can be given again.
TEST_F(AgentTest, APortLeasedElsewhereFailsTheLaunchSayingSo) {
  port_lease_dir_ = (work_dir_ / "leases").string();
  StartAgent();
  std::optional<std::vector<PortLease>> elsewhere;
  {
    auto held = LeasePorts(port_lease_dir_, "127.0.0.2", {31000});
    ASSERT_TRUE(held.ok()) << held.message();
    elsewhere = std::move(held).value();
  }
  const auto launch_on_port = [&](const std::string& executor_id) {
    LaunchTasks launch;
    launch.agent_id = "S0";
    launch.framework.set_name("test");
    launch.framework.mutable_id()->set_value("F1");
    mesos::v1::TaskInfo task;
    task.set_name("web");
    task.mutable_task_id()->set_value("T-" + executor_id);
    task.mutable_agent_id()->set_value("S0");
    mesos::v1::Resource* ports = task.add_resources();
    ports->set_name("ports");
    ports->set_type(mesos::v1::Value::RANGES);
    auto* range = ports->mutable_ranges()->add_range();
    range->set_begin(31000);
    range->set_end(31000);
    task.mutable_executor()->mutable_executor_id()->set_value(executor_id);
    task.mutable_executor()->mutable_command()->set_value("exec sleep 60");
    launch.tasks.push_back(task);
    agent_->Handle(launch);
  };
  launch_on_port("E1");
  const auto updates = recorder_.WaitForUpdates(1);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_EQ(updates[0].message(),
            "port 31000 of 127.0.0.2 is taken by a task of another mesos-launch or "
            "mesos-launch-cluster on this machine");
  EXPECT_FALSE(agent_->ExecutorPid("F1", "E1").has_value());

  elsewhere.reset();
  launch_on_port("E2");
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  EXPECT_TRUE(agent_->ExecutorPid("F1", "E2").has_value());
  EXPECT_TRUE(LeasedElsewhere(port_lease_dir_, "127.0.0.2", 31000));  // now this agent's
}

TEST_F(AgentTest, ExecutorEndpointAcceptsOnlyPost) {
  Launch(Shell("exec sleep 60"));
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(agent_->port());
  inet_pton(AF_INET, agent_->address().c_str(), &address.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const std::string request =
      "GET /slave(1)/api/v1/executor HTTP/1.1\r\nHost: agent\r\n"
      "Authorization: " +
      Bearer() + "\r\n\r\n";
  ASSERT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string reply;
  while (reply.find("\r\n\r\n") == std::string::npos) {
    pollfd ready{fd, POLLIN, 0};
    if (poll(&ready, 1, 20'000) != 1) break;
    char buffer[1024];
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    reply.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  EXPECT_EQ(reply.rfind("HTTP/1.1 405", 0), 0u) << reply;
  EXPECT_NE(reply.find("Allow: POST"), std::string::npos) << reply;
}

TEST_F(AgentTest, ResubscribeForwardsOnlyNewUnacknowledgedUpdatesAndAcksAll) {
  Launch(Shell("exec sleep 60"));
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  Call subscribe = NewCall(Call::SUBSCRIBE);
  subscribe.mutable_subscribe();
  EventStream first(client_, Url(), Bearer(subscribe.executor_id().value()), subscribe);
  ASSERT_EQ(first.WaitFor(2).size(), 2u);

  Call running = NewCall(Call::UPDATE);
  auto* status = running.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("T1");
  status->set_state(mesos::v1::TASK_RUNNING);
  status->set_source(TaskStatus::SOURCE_EXECUTOR);
  status->set_uuid("AAAAAAAAAAAAAAAA");
  EXPECT_EQ(PostCall(running).status, 202);
  ASSERT_EQ(recorder_.WaitForUpdates(1).size(), 1u);

  Call finished = running;
  finished.mutable_update()->mutable_status()->set_state(mesos::v1::TASK_FINISHED);
  finished.mutable_update()->mutable_status()->set_uuid("BBBBBBBBBBBBBBBB");
  Call resubscribe = NewCall(Call::SUBSCRIBE);
  *resubscribe.mutable_subscribe()->add_unacknowledged_updates() = running.update();
  *resubscribe.mutable_subscribe()->add_unacknowledged_updates() = finished.update();
  EventStream second(client_, Url(), Bearer(resubscribe.executor_id().value()), resubscribe);
  const auto events = second.WaitFor(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type(), Event::SUBSCRIBED);
  EXPECT_EQ(events[1].type(), Event::ACKNOWLEDGED);
  EXPECT_EQ(events[1].acknowledged().uuid(), "AAAAAAAAAAAAAAAA");
  EXPECT_EQ(events[2].type(), Event::ACKNOWLEDGED);
  EXPECT_EQ(events[2].acknowledged().uuid(), "BBBBBBBBBBBBBBBB");
  const auto updates = recorder_.WaitForUpdates(2);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[1].state(), mesos::v1::TASK_FINISHED);
  EXPECT_EQ(updates[1].uuid(), "BBBBBBBBBBBBBBBB");
  EXPECT_TRUE(first.WaitForEnd());
}

// ----- checkpointing and recovery -----------------------------------------

std::filesystem::path CheckpointFile(const std::filesystem::path& work_dir) {
  return work_dir / "meta/slaves/S0/frameworks/F1/executors/E1/executor.json";
}

TEST_F(AgentTest, CheckpointingFrameworkExecutorIsCheckpointedWithItsTaskStates) {
  Launch(Shell("exec sleep 60"), "T1", /*checkpoint=*/true);
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  const auto pid = agent_->ExecutorPid("F1", "E1");
  ASSERT_TRUE(pid.has_value());
  agent_->WaitForCheckpoints();  // written behind the launch
  auto read = ReadCheckpoints((work_dir_ / "meta/slaves/S0").string());
  ASSERT_TRUE(read.ok()) << read.message();
  ASSERT_EQ(read.value().size(), 1u);
  EXPECT_EQ(read.value()[0].pid, *pid);
  EXPECT_EQ(read.value()[0].start_time, ProcessStartTime(*pid).value_or(0));
  EXPECT_TRUE(read.value()[0].framework.checkpoint());
  ASSERT_EQ(read.value()[0].tasks.size(), 1u);
  EXPECT_EQ(read.value()[0].tasks[0].state, mesos::v1::TASK_STAGING);

  Call subscribe = NewCall(Call::SUBSCRIBE);
  subscribe.mutable_subscribe();
  EventStream stream(client_, Url(), Bearer(subscribe.executor_id().value()), subscribe);
  ASSERT_EQ(stream.WaitFor(2).size(), 2u);
  Call update = NewCall(Call::UPDATE);
  auto* status = update.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("T1");
  status->set_state(mesos::v1::TASK_RUNNING);
  status->set_source(TaskStatus::SOURCE_EXECUTOR);
  status->set_uuid(std::string("0123456789abcdef"));
  EXPECT_EQ(PostCall(update).status, 202);
  // Acknowledged once on disk.
  const auto events = stream.WaitFor(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].type(), Event::ACKNOWLEDGED);
  read = ReadCheckpoints((work_dir_ / "meta/slaves/S0").string());
  ASSERT_TRUE(read.ok() && read.value().size() == 1u);
  EXPECT_EQ(read.value()[0].tasks[0].state, mesos::v1::TASK_RUNNING);

  agent_->Stop();  // kills it: nothing left to recover
  EXPECT_FALSE(std::filesystem::exists(CheckpointFile(work_dir_)));
}

TEST_F(AgentTest, NonCheckpointingFrameworkExecutorIsRecordedAndGuardedNotCheckpointed) {
  Launch(Shell("exec sleep 60"));
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  const auto pid = agent_->ExecutorPid("F1", "E1");
  ASSERT_TRUE(pid.has_value());
  EXPECT_FALSE(std::filesystem::exists(CheckpointFile(work_dir_)));
  // Its process record, for an agent started again to kill it.
  auto records = ReadProcessRecords((work_dir_ / "meta/slaves/S0").string());
  ASSERT_TRUE(records.ok()) << records.message();
  ASSERT_EQ(records.value().size(), 1u);
  const ProcessRecord& record = records.value()[0];
  EXPECT_EQ(record.framework_id, "F1");
  EXPECT_EQ(record.executor_id, "E1");
  EXPECT_EQ(record.container_id, Sandbox().filename().string());
  EXPECT_EQ(record.pid, *pid);
  EXPECT_EQ(record.start_time, ProcessStartTime(*pid).value_or(0));
  EXPECT_EQ(record.session, getsid(0));
  // The orphan guard runs, in a session of its own, outside the sandbox.
  const auto guard = OrphanGuardPid();
  ASSERT_TRUE(guard.has_value());
  EXPECT_EQ(kill(*guard, 0), 0);
  EXPECT_EQ(getsid(*guard), *guard);
  std::ifstream comm("/proc/" + std::to_string(*guard) + "/comm");
  std::string name;
  std::getline(comm, name);
  EXPECT_EQ(name, "ml-orphan-guard");
  EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(*guard) + "/cwd"), "/");

  agent_->Stop();
  EXPECT_TRUE(IsDead(*pid));
  records = ReadProcessRecords((work_dir_ / "meta/slaves/S0").string());
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records.value().empty());
}

// The scheduler's MESSAGE, as the master hands it to the agent, reaches
// the subscribed executor as a MESSAGE event with the bytes as they were.
TEST_F(AgentTest, FrameworkMessageReachesTheSubscribedExecutor) {
  Launch(Shell("exec sleep 60"));
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  Call subscribe = NewCall(Call::SUBSCRIBE);
  subscribe.mutable_subscribe();
  EventStream stream(client_, Url(), Bearer(subscribe.executor_id().value()), subscribe);
  ASSERT_EQ(stream.WaitFor(2).size(), 2u);  // SUBSCRIBED, LAUNCH
  FrameworkToExecutor message;
  message.agent_id = "S0";
  message.framework_id = "F1";
  message.executor_id.set_value("E1");
  message.data = std::string("from the scheduler\0\xff", 20);
  agent_->Handle(message);
  FrameworkToExecutor elsewhere = message;  // no such executor: dropped
  elsewhere.executor_id.set_value("E2");
  agent_->Handle(elsewhere);
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  const auto events = stream.WaitFor(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].type(), Event::MESSAGE);
  EXPECT_EQ(events[2].message().data(), message.data);
}

// An agent started again (Options::agent_id "S0") over the checkpoint a
// crashed agent left: executor E1 of F1, process `pid`, with T1 RUNNING and
// T2 still STAGING.
class AgentRecoveryTest : public AgentTest {
 protected:
  void SetUp() override {}  // the agent starts in each test, over its checkpoint
  void TearDown() override {
    AgentTest::TearDown();
    if (child_ > 0) {
      kill(-child_, SIGKILL);
      int ignored = 0;
      waitpid(child_, &ignored, 0);
    }
  }

  // A process in its own group, as the agent starts executors.
  pid_t SpawnSleeper() {
    const pid_t child = fork();
    if (child == 0) {
      setpgid(0, 0);
      execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
      _exit(127);
    }
    setpgid(child, child);
    child_ = child;
    return child;
  }

  void WriteCheckpoint(pid_t pid, std::uint64_t start_time) {
    ExecutorCheckpoint checkpoint;
    checkpoint.framework.set_user("nobody");
    checkpoint.framework.set_name("test");
    checkpoint.framework.set_checkpoint(true);
    checkpoint.framework.mutable_id()->set_value("F1");
    checkpoint.executor.mutable_executor_id()->set_value("E1");
    checkpoint.executor.mutable_framework_id()->set_value("F1");
    checkpoint.container_id = "c-1";
    checkpointed_container_ = checkpoint.container_id;
    checkpoint.sandbox = (work_dir_ / "sandbox").string();
    checkpoint.pid = pid;
    checkpoint.start_time = start_time;
    for (const auto& [id, state] : std::vector<std::pair<std::string, mesos::v1::TaskState>>{
             {"T1", mesos::v1::TASK_RUNNING}, {"T2", mesos::v1::TASK_STAGING}}) {
      CheckpointedTask task;
      task.info.set_name(id);
      task.info.mutable_task_id()->set_value(id);
      task.info.mutable_agent_id()->set_value("S0");
      task.state = state;
      checkpoint.tasks.push_back(task);
    }
    ASSERT_TRUE(
        mlaunch::cluster::WriteCheckpoint((work_dir_ / "meta/slaves/S0").string(), checkpoint)
            .ok());
  }

  void Restart(milliseconds reregistration) {
    LocalAgent::Options options;
    options.address = "127.0.0.2";
    options.work_dir = work_dir_.string();
    options.agent_id = "S0";
    options.reregistration_timeout = reregistration;
    auto agent = LocalAgent::Start(options);
    ASSERT_TRUE(agent.ok()) << agent.message();
    agent_ = std::move(agent).value();
  }

  void Attach() {
    mesos::v1::AgentInfo info;
    info.set_hostname("127.0.0.2");
    info.mutable_id()->set_value("S0");
    agent_->Attach(info, recorder_.Reports());
  }

  static std::map<std::string, TaskStatus> ByTask(const std::vector<TaskStatus>& updates) {
    std::map<std::string, TaskStatus> by_task;
    for (const TaskStatus& status : updates) by_task[status.task_id().value()] = status;
    return by_task;
  }

  pid_t child_ = -1;
};

TEST_F(AgentRecoveryTest, LiveExecutorResubscribesAndIsKeptWithItsTasks) {
  const pid_t pid = SpawnSleeper();
  const auto start = ProcessStartTime(pid);
  ASSERT_TRUE(start.has_value());
  WriteCheckpoint(pid, *start);
  Restart(std::chrono::seconds(20));
  const auto recovered = agent_->Recovered();
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].framework.id().value(), "F1");
  EXPECT_EQ(recovered[0].tasks.size(), 2u);
  EXPECT_TRUE(agent_->Recovering());
  EXPECT_EQ(agent_->ExecutorPid("F1", "E1"), pid);
  Attach();

  // Until it is back, other calls are refused as still recovering.
  Call message = NewCall(Call::MESSAGE);
  message.mutable_message()->set_data("x");
  const auto refused = PostCall(message);
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("still recovering"), std::string::npos) << refused.body;
  EXPECT_EQ(PostCall(NewCall(Call::HEARTBEAT)).status, 202);

  // Back with T1's unacknowledged update; T2 it never got.
  Call subscribe = NewCall(Call::SUBSCRIBE);
  TaskStatus running;
  running.mutable_task_id()->set_value("T1");
  running.set_state(mesos::v1::TASK_RUNNING);
  running.set_source(TaskStatus::SOURCE_EXECUTOR);
  running.set_uuid("0123456789abcdef");
  *subscribe.mutable_subscribe()->add_unacknowledged_updates()->mutable_status() = running;
  // The key in the work dir outlived the crash: the token from before holds.
  EventStream stream(client_, Url(), Bearer(), subscribe);
  const auto events = stream.WaitFor(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type(), Event::SUBSCRIBED);
  EXPECT_EQ(events[0].subscribed().container_id().value(), "c-1");
  EXPECT_EQ(events[1].type(), Event::ACKNOWLEDGED);
  EXPECT_FALSE(agent_->Recovering());

  auto updates = ByTask(recorder_.WaitForUpdates(2));
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates["T1"].state(), mesos::v1::TASK_RUNNING);
  EXPECT_EQ(updates["T1"].uuid(), "0123456789abcdef");
  EXPECT_EQ(updates["T2"].state(), mesos::v1::TASK_LOST);
  EXPECT_EQ(updates["T2"].reason(), TaskStatus::REASON_AGENT_RESTARTED);
  EXPECT_NE(updates["T2"].message().find("agent restarted"), std::string::npos);
  EXPECT_EQ(PostCall(message).status, 202);

  // Its end is seen through the pidfd, with no wait status to tell.
  kill(pid, SIGKILL);
  const auto terminated = recorder_.WaitForTerminated(1);
  ASSERT_EQ(terminated.size(), 1u);
  EXPECT_EQ(terminated[0], std::make_pair(std::string("E1"), -1));
  updates = ByTask(recorder_.WaitForUpdates(3));
  EXPECT_EQ(updates["T1"].state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(updates["T1"].reason(), TaskStatus::REASON_EXECUTOR_TERMINATED);
  agent_->WaitForCheckpoints();  // removed behind the reaping
  EXPECT_FALSE(std::filesystem::exists(CheckpointFile(work_dir_)));
}

TEST_F(AgentRecoveryTest, ExecutorThatDoesNotComeBackIsKilledAtTheReregistrationTimeout) {
  const pid_t pid = SpawnSleeper();
  WriteCheckpoint(pid, ProcessStartTime(pid).value_or(0));
  Restart(milliseconds(200));
  Attach();
  const auto updates = ByTask(recorder_.WaitForUpdates(2));
  ASSERT_EQ(updates.size(), 2u);
  for (const auto& [id, status] : updates) {
    EXPECT_EQ(status.state(), mesos::v1::TASK_FAILED) << id;
    EXPECT_EQ(status.reason(), TaskStatus::REASON_EXECUTOR_REREGISTRATION_TIMEOUT) << id;
    EXPECT_EQ(status.source(), TaskStatus::SOURCE_AGENT);
  }
  EXPECT_TRUE(IsDead(pid));
  EXPECT_EQ(recorder_.WaitForTerminated(1).size(), 1u);
  EXPECT_FALSE(agent_->Recovering());
}

TEST_F(AgentRecoveryTest, DeadExecutorFailsItsTasksAndAReusedPidIsLeftAlone) {
  // The pid lives, but it is another process than the checkpointed one.
  const pid_t other = SpawnSleeper();
  WriteCheckpoint(other, ProcessStartTime(other).value_or(0) + 1);
  Restart(std::chrono::seconds(20));
  EXPECT_FALSE(agent_->Recovering());
  EXPECT_EQ(agent_->Recovered().size(), 1u);  // reported to the master as it was
  Attach();
  const auto updates = ByTask(recorder_.WaitForUpdates(2));
  ASSERT_EQ(updates.size(), 2u);
  for (const auto& [id, status] : updates) {
    EXPECT_EQ(status.state(), mesos::v1::TASK_FAILED) << id;
    EXPECT_EQ(status.reason(), TaskStatus::REASON_EXECUTOR_TERMINATED) << id;
  }
  EXPECT_EQ(recorder_.WaitForTerminated(1).size(), 1u);
  agent_->WaitForCheckpoints();  // removed behind the reaping
  EXPECT_FALSE(std::filesystem::exists(CheckpointFile(work_dir_)));
  EXPECT_EQ(kill(other, 0), 0);  // not killed: not ours
}

TEST_F(AgentRecoveryTest, StopKillsRecoveredExecutors) {
  const pid_t pid = SpawnSleeper();
  WriteCheckpoint(pid, ProcessStartTime(pid).value_or(0));
  Restart(std::chrono::seconds(20));
  Attach();
  agent_->Stop();
  EXPECT_TRUE(IsDead(pid));
  EXPECT_FALSE(std::filesystem::exists(CheckpointFile(work_dir_)));
}

// The records an agent leaves of every executor it starts: at recovery,
// one still alive and not recovered is killed with its process group; a
// recycled pid and a recovered executor are left alone.
TEST_F(AgentRecoveryTest, RecordedExecutorsThatAreNotRecoveredAreKilled) {
  const std::string meta_dir = (work_dir_ / "meta/slaves/S0").string();
  const pid_t orphan = SpawnSleeper();
  child_ = -1;
  const pid_t recycled = SpawnSleeper();
  child_ = -1;
  const pid_t recovered = SpawnSleeper();
  auto record = [&](const std::string& framework, const std::string& container, pid_t pid,
                    std::uint64_t start_time) {
    ProcessRecord entry;
    entry.framework_id = framework;
    entry.executor_id = "E1";
    entry.container_id = container;
    entry.pid = pid;
    entry.start_time = start_time;
    entry.session = getsid(0);
    ASSERT_TRUE(WriteProcessRecord(meta_dir, entry).ok());
  };
  record("F2", "c-orphan", orphan, ProcessStartTime(orphan).value_or(0));
  record("F3", "c-recycled", recycled, ProcessStartTime(recycled).value_or(0) + 1);
  record("F1", "c-1", recovered, ProcessStartTime(recovered).value_or(0));
  WriteCheckpoint(recovered, ProcessStartTime(recovered).value_or(0));  // container c-1

  Restart(std::chrono::seconds(20));
  EXPECT_EQ(agent_->KilledAtRecovery(), 1u);
  EXPECT_TRUE(IsDead(orphan));
  EXPECT_EQ(kill(recycled, 0), 0) << "another process than the one recorded";
  EXPECT_EQ(kill(recovered, 0), 0);
  EXPECT_TRUE(agent_->Recovering());
  auto left = ReadProcessRecords(meta_dir);
  ASSERT_TRUE(left.ok()) << left.message();
  ASSERT_EQ(left.value().size(), 1u);
  EXPECT_EQ(left.value()[0].container_id, "c-1");
  EXPECT_FALSE(std::filesystem::exists(work_dir_ / "meta/slaves/S0/frameworks/F2"));
  agent_->Stop();
  EXPECT_TRUE(IsDead(recovered));
  for (pid_t pid : {orphan, recycled}) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
}

// What a recorded executor started lives on in its process group after the
// executor itself died (SIGKILLed with the agent by PR_SET_PDEATHSIG): the
// agent started again kills the group.
TEST_F(AgentRecoveryTest, WhatADeadExecutorLeftInItsGroupIsKilled) {
  int ready[2];
  int go[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(go), 0);
  const pid_t leader = fork();
  if (leader == 0) {
    setpgid(0, 0);
    const pid_t member = fork();
    if (member == 0) {
      execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
      _exit(127);
    }
    (void)!write(ready[1], &member, sizeof member);
    char byte = 0;
    (void)!read(go[0], &byte, 1);
    _exit(0);
  }
  setpgid(leader, leader);
  child_ = leader;  // TearDown kills the group whatever happens
  pid_t member = -1;
  ASSERT_EQ(read(ready[0], &member, sizeof member), static_cast<ssize_t>(sizeof member));
  ProcessRecord entry;
  entry.framework_id = "F2";
  entry.executor_id = "E1";
  entry.container_id = "c-2";
  entry.pid = leader;
  entry.start_time = ProcessStartTime(leader).value_or(0);
  entry.session = getsid(0);
  ASSERT_TRUE(WriteProcessRecord((work_dir_ / "meta/slaves/S0").string(), entry).ok());
  ASSERT_EQ(write(go[1], "x", 1), 1);
  ASSERT_EQ(waitpid(leader, nullptr, 0), leader);  // the leader is gone
  for (int fd : {ready[0], ready[1], go[0], go[1]}) close(fd);
  ASSERT_EQ(kill(member, 0), 0);

  Restart(std::chrono::seconds(20));
  EXPECT_EQ(agent_->KilledAtRecovery(), 1u);
  EXPECT_TRUE(IsDead(member));
}

TEST_F(AgentRecoveryTest, UnreadableCheckpointFailsTheStartNamingTheFile) {
  std::filesystem::create_directories(CheckpointFile(work_dir_).parent_path());
  std::ofstream(CheckpointFile(work_dir_)) << "{ not json";
  LocalAgent::Options options;
  options.address = "127.0.0.2";
  options.work_dir = work_dir_.string();
  options.agent_id = "S0";
  auto agent = LocalAgent::Start(options);
  ASSERT_FALSE(agent.ok());
  EXPECT_NE(agent.message().find(CheckpointFile(work_dir_).string()), std::string::npos)
      << agent.message();
}

// ----- command tasks: the agent's command executor --------------------------

// Tasks with only TaskInfo.command, run by the real mesos-launch-executor
// (from the build's bin/) as their command executor, as a Mesos agent runs
// mesos-executor.
class AgentCommandTaskTest : public AgentTest {
 protected:
  // LAUNCH of task `task_id` of framework F1, with no executor.
  void LaunchCommand(const std::string& task_id, mesos::v1::CommandInfo command,
                     bool killing_state = false) {
    LaunchTasks launch;
    launch.agent_id = "S0";
    launch.framework.set_user("nobody");
    launch.framework.set_name("test");
    launch.framework.mutable_id()->set_value("F1");
    if (killing_state) {
      launch.framework.add_capabilities()->set_type(
          mesos::v1::FrameworkInfo::Capability::TASK_KILLING_STATE);
    }
    launch.tasks.push_back(CommandTask(task_id, std::move(command)));
    agent_->Handle(launch);
  }

  static mesos::v1::TaskInfo CommandTask(const std::string& task_id,
                                         mesos::v1::CommandInfo command) {
    mesos::v1::TaskInfo task;
    task.set_name(task_id);
    task.mutable_task_id()->set_value(task_id);
    task.mutable_agent_id()->set_value("S0");
    *task.mutable_command() = std::move(command);
    return task;
  }

  std::filesystem::path CommandRuns(const std::string& task_id) const {
    return work_dir_ / "slaves/S0/frameworks/F1/executors" / task_id / "runs";
  }

  static std::vector<mesos::v1::TaskState> States(const std::vector<TaskStatus>& updates) {
    std::vector<mesos::v1::TaskState> states;
    for (const TaskStatus& status : updates) states.push_back(status.state());
    return states;
  }

  // Polls (bounded) until `done` holds.
  static bool Eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return true;
  }

  bool ExecutorGone(const std::string& task_id) {
    return Eventually([&] { return !agent_->ExecutorPid("F1", task_id).has_value(); });
  }
};

TEST_F(AgentCommandTaskTest, ShellCommandFinishesWithItsFileAndStdoutInItsSandbox) {
  LaunchCommand("echo-1", Shell("echo hello > out; echo said hello; exit 0"));
  const auto updates = recorder_.WaitForUpdates(3);
  ASSERT_EQ(States(updates),
            (std::vector<mesos::v1::TaskState>{mesos::v1::TASK_STARTING, mesos::v1::TASK_RUNNING,
                                               mesos::v1::TASK_FINISHED}));
  for (const TaskStatus& status : updates) {
    EXPECT_EQ(status.executor_id().value(), "echo-1");  // the task's id
    EXPECT_EQ(status.source(), TaskStatus::SOURCE_EXECUTOR);
    EXPECT_EQ(status.task_id().value(), "echo-1");
  }
  const std::filesystem::path sandbox =
      std::filesystem::canonical(CommandRuns("echo-1") / "latest");
  EXPECT_EQ(sandbox.parent_path(), std::filesystem::canonical(CommandRuns("echo-1")));
  EXPECT_EQ(ReadFile(sandbox / "out"), "hello\n");
  EXPECT_NE(ReadFile(sandbox / "stdout").find("said hello\n"), std::string::npos)
      << ReadFile(sandbox / "stdout");
  // The executor exits once its last update is acknowledged; the scheduler
  // hears nothing of it (no FAILURE for a command executor).
  ASSERT_TRUE(ExecutorGone("echo-1"));
  EXPECT_TRUE(recorder_.WaitForTerminated(0).empty());
  EXPECT_EQ(recorder_.WaitForUpdates(3).size(), 3u);  // no agent-made update
}

// A command task's image (TaskInfo.container) is its command executor's:
// the launch goes to the container engine (which knows no such image here)
// instead of running the command on the host.
TEST_F(AgentCommandTaskTest, ACommandTaskInAnImageGoesToTheContainerEngine) {
  const std::filesystem::path marker = work_dir_ / "ran-on-the-host";
  mesos::v1::TaskInfo task = CommandTask("in-image", Shell("touch '" + marker.string() + "'"));
  mesos::v1::ContainerInfo* container = task.mutable_container();
  container->set_type(mesos::v1::ContainerInfo::MESOS);
  container->mutable_mesos()->mutable_image()->set_type(mesos::v1::Image::DOCKER);
  container->mutable_mesos()->mutable_image()->mutable_docker()->set_name(
      "localhost/mesos-launch-test/no-such-image:" + std::to_string(::getpid()));
  LaunchTasks launch;
  launch.agent_id = "S0";
  launch.framework.set_name("test");
  launch.framework.mutable_id()->set_value("F1");
  launch.tasks.push_back(task);
  agent_->Handle(launch);
  const auto updates = recorder_.WaitForUpdates(1);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(updates[0].executor_id().value(), "in-image");
  const bool podman = ::system("command -v podman >/dev/null 2>&1") == 0;
  EXPECT_NE(updates[0].message().find(podman ? "is not in podman's local store"
                                             : "podman is not installed"),
            std::string::npos)
      << updates[0].message();
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(AgentCommandTaskTest, NonZeroExitFailsTheTaskNamingTheStatus) {
  LaunchCommand("exit-3", Shell("exit 3"));
  const auto updates = recorder_.WaitForUpdates(3);
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(updates[2].state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(updates[2].message(), "exited with status 3");
  EXPECT_EQ(updates[2].executor_id().value(), "exit-3");
  ASSERT_TRUE(ExecutorGone("exit-3"));
  EXPECT_EQ(recorder_.WaitForUpdates(3).size(), 3u);
}

TEST_F(AgentCommandTaskTest, ArgvCommandExecsValueWithItsArguments) {
  mesos::v1::CommandInfo command;
  command.set_shell(false);
  command.set_value("/bin/sh");
  command.add_arguments("argv-zero");
  command.add_arguments("-c");
  command.add_arguments("echo \"$0 $GREETING\" > out");
  auto* greeting = command.mutable_environment()->add_variables();
  greeting->set_name("GREETING");
  greeting->set_value("hello");
  LaunchCommand("argv-1", command);
  const auto updates = recorder_.WaitForUpdates(3);
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(updates[2].state(), mesos::v1::TASK_FINISHED) << updates[2].message();
  EXPECT_EQ(ReadFile(CommandRuns("argv-1") / "latest/out"), "argv-zero hello\n");
}

TEST_F(AgentCommandTaskTest, KilledCommandIsKilledAndLeavesNoProcess) {
  LaunchCommand("sleep-1", Shell("echo $$ > pid; exec sleep 1000"));
  ASSERT_EQ(recorder_.WaitForUpdates(2).size(), 2u);  // STARTING, RUNNING
  const std::filesystem::path pid_file = CommandRuns("sleep-1") / "latest/pid";
  ASSERT_TRUE(Eventually([&] { return ReadFile(pid_file).find('\n') != std::string::npos; }));
  const pid_t command = std::stoi(ReadFile(pid_file));
  const auto executor = agent_->ExecutorPid("F1", "sleep-1");
  ASSERT_TRUE(executor.has_value());
  KillTask kill;
  kill.framework_id = "F1";
  kill.task_id.set_value("sleep-1");
  agent_->Handle(kill);
  const auto updates = recorder_.WaitForUpdates(3);
  ASSERT_EQ(States(updates),
            (std::vector<mesos::v1::TaskState>{mesos::v1::TASK_STARTING, mesos::v1::TASK_RUNNING,
                                               mesos::v1::TASK_KILLED}));
  EXPECT_EQ(updates[2].executor_id().value(), "sleep-1");
  EXPECT_TRUE(IsDead(command));
  EXPECT_TRUE(IsDead(*executor));
  ASSERT_TRUE(ExecutorGone("sleep-1"));
  EXPECT_TRUE(recorder_.WaitForTerminated(0).empty());
}

TEST_F(AgentCommandTaskTest, KillingStateIsReportedToFrameworksThatAskForIt) {
  LaunchCommand("sleep-2", Shell("exec sleep 1000"), /*killing_state=*/true);
  ASSERT_EQ(recorder_.WaitForUpdates(2).size(), 2u);
  KillTask kill;
  kill.framework_id = "F1";
  kill.task_id.set_value("sleep-2");
  agent_->Handle(kill);
  EXPECT_EQ(States(recorder_.WaitForUpdates(4)),
            (std::vector<mesos::v1::TaskState>{mesos::v1::TASK_STARTING, mesos::v1::TASK_RUNNING,
                                               mesos::v1::TASK_KILLING, mesos::v1::TASK_KILLED}));
}

TEST_F(AgentCommandTaskTest, MissingCommandExecutorFailsTheTaskNamingThePathAndTheFlag) {
  const std::string nowhere = (work_dir_ / "nowhere").string();
  StartAgent(std::chrono::minutes(1), std::chrono::seconds(5), nowhere);
  LaunchCommand("c1", Shell("true"));
  const auto updates = recorder_.WaitForUpdates(1);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_EQ(updates[0].executor_id().value(), "c1");
  EXPECT_NE(updates[0].message().find(nowhere + "/mesos-launch-executor"), std::string::npos)
      << updates[0].message();
  EXPECT_NE(updates[0].message().find("--launcher-dir"), std::string::npos) << updates[0].message();
}

// The test plays the command executor (a stand-in that waits) to see what
// the agent gives it: the synthesized ExecutorInfo in SUBSCRIBED, the task
// in LAUNCH, the task's URIs and environment.
TEST_F(AgentCommandTaskTest, CommandExecutorSubscribesWithTheSynthesizedExecutorInfo) {
  const std::filesystem::path launcher = work_dir_ / "launcher";
  std::filesystem::create_directories(launcher);
  const std::filesystem::path stand_in = launcher / "mesos-launch-executor";
  std::ofstream(stand_in) << "#!/bin/sh\nenv > env.txt\nexec sleep 60\n";
  std::filesystem::permissions(stand_in, std::filesystem::perms::owner_all);
  StartAgent(std::chrono::minutes(1), std::chrono::seconds(5), launcher.string());
  const std::filesystem::path artifact = work_dir_ / "artifact.txt";
  std::ofstream(artifact) << "fetched";

  mesos::v1::CommandInfo command = Shell("echo this is a long command");
  command.add_uris()->set_value(artifact.string());
  auto* greeting = command.mutable_environment()->add_variables();
  greeting->set_name("GREETING");
  greeting->set_value("hello");
  LaunchCommand("c1", command);
  ASSERT_TRUE(agent_->WaitForRequests(kWait));
  ASSERT_TRUE(agent_->ExecutorPid("F1", "c1").has_value());

  Call subscribe = NewCall(Call::SUBSCRIBE);
  subscribe.mutable_executor_id()->set_value("c1");
  subscribe.mutable_subscribe();
  EventStream stream(client_, Url(), Bearer(subscribe.executor_id().value()), subscribe);
  const auto events = stream.WaitFor(2);
  ASSERT_EQ(events.size(), 2u);
  ASSERT_EQ(events[0].type(), Event::SUBSCRIBED);
  const mesos::v1::ExecutorInfo& info = events[0].subscribed().executor_info();
  mesos::v1::FrameworkID framework_id;
  framework_id.set_value("F1");
  EXPECT_EQ(info.SerializeAsString(),
            CommandExecutorInfo(CommandTask("c1", command), framework_id, stand_in.string())
                .SerializeAsString())
      << info.DebugString();
  EXPECT_EQ(info.executor_id().value(), "c1");
  EXPECT_EQ(info.name(), "Command Executor (Task: c1) (Command: sh -c 'echo this is...')");
  EXPECT_EQ(info.source(), "c1");
  ASSERT_EQ(info.resources_size(), 2);
  EXPECT_EQ(info.resources(0).name(), "cpus");
  EXPECT_DOUBLE_EQ(info.resources(0).scalar().value(), 0.1);
  EXPECT_EQ(info.resources(1).name(), "mem");
  EXPECT_DOUBLE_EQ(info.resources(1).scalar().value(), 32);
  ASSERT_EQ(events[1].type(), Event::LAUNCH);
  EXPECT_EQ(events[1].launch().task().command().value(), "echo this is a long command");
  EXPECT_FALSE(events[1].launch().task().has_executor());

  const std::filesystem::path sandbox = std::filesystem::canonical(CommandRuns("c1") / "latest");
  EXPECT_EQ(ReadFile(sandbox / "artifact.txt"), "fetched");
  ASSERT_TRUE(
      Eventually([&] { return ReadFile(sandbox / "env.txt").find("PATH=") != std::string::npos; }));
  const std::string env = ReadFile(sandbox / "env.txt");
  EXPECT_NE(env.find("GREETING=hello\n"), std::string::npos) << env;
  EXPECT_NE(env.find("MESOS_EXECUTOR_ID=c1\n"), std::string::npos) << env;
}

}  // namespace
}  // namespace mlaunch::cluster
