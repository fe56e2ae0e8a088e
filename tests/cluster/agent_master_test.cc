// A LocalAgent registered with a real Master, the test playing a scheduler
// over HTTP with the project's client: an accepted LAUNCH starts a real
// executor process, whose exit reaches the scheduler as TASK_FAILED and
// FAILURE, and a scheduler's MESSAGE reaches the executor; and the
// mesos-launch-cluster program, whose SIGTERM leaves no
// executor process behind. Bounded, event-driven waits only.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/agent.h"
#include "cluster/executor_token.h"
#include "cluster/master_http.h"
#include "common/curl_http_client.h"
#include "common/recordio.h"
#include "gtest/gtest.h"
#include "tests/fakes/temp_dir.h"

namespace mlaunch::cluster {
namespace {

using mesos::v1::scheduler::Call;
using mesos::v1::scheduler::Event;

constexpr auto kWait = std::chrono::seconds(20);

// The scheduler's subscription: its stream id and decoded events.
class SchedulerStream {
 public:
  SchedulerStream(HttpClient& client, const std::string& url) {
    Call subscribe;
    subscribe.set_type(Call::SUBSCRIBE);
    auto* framework = subscribe.mutable_subscribe()->mutable_framework_info();
    framework->set_user("nobody");
    framework->set_name("agent-master-test");
    HttpHeaders headers;
    headers.Set("Content-Type", "application/x-protobuf");
    headers.Set("Accept", "application/x-protobuf");
    HttpClient::StreamCallbacks callbacks;
    callbacks.on_headers = [this](int, const HttpHeaders& response_headers) {
      std::lock_guard<std::mutex> lock(mutex_);
      stream_id_ = response_headers.Get("Mesos-Stream-Id").value_or("");
      return true;
    };
    callbacks.on_bytes = [this](std::string_view bytes) {
      std::vector<std::string> records;
      std::lock_guard<std::mutex> lock(mutex_);
      if (!decoder_.Feed(bytes, &records).ok()) return false;
      for (const auto& record : records) {
        Event event;
        EXPECT_TRUE(event.ParseFromString(record));
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

  // The first event of `type` not taken yet.
  std::optional<Event> Next(Event::Type type) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::optional<Event> found;
    changed_.wait_for(lock, kWait, [&] {
      for (auto it = events_.begin(); it != events_.end(); ++it) {
        if (it->type() == type) {
          found = *it;
          events_.erase(it);
          return true;
        }
      }
      return ended_;
    });
    return found;
  }
  std::string stream_id() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stream_id_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  RecordIODecoder decoder_;
  std::vector<Event> events_;
  std::string stream_id_;
  bool ended_ = false;
  std::unique_ptr<HttpClient::Stream> stream_;
};

// ACCEPTs the first offer of `scheduler` with task t1 (the offer's cpus) on
// executor e1 running `command` in a shell -- or, with `command_task`, t1
// running it as a command task (no executor); the HTTP status of the ACCEPT.
int LaunchOnFirstOffer(HttpClient& client, const std::string& url, SchedulerStream& scheduler,
                       const std::string& command, bool command_task = false,
                       std::string* framework_id = nullptr) {
  auto subscribed = scheduler.Next(Event::SUBSCRIBED);
  if (!subscribed) return -1;
  if (framework_id) *framework_id = subscribed->subscribed().framework_id().value();
  auto offers = scheduler.Next(Event::OFFERS);
  if (!offers || offers->offers().offers_size() == 0) return -1;
  const mesos::v1::Offer& offer = offers->offers().offers(0);
  Call accept;
  accept.set_type(Call::ACCEPT);
  *accept.mutable_framework_id() = subscribed->subscribed().framework_id();
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* operation = accept.mutable_accept()->add_operations();
  operation->set_type(mesos::v1::Offer::Operation::LAUNCH);
  mesos::v1::TaskInfo* task = operation->mutable_launch()->add_task_infos();
  task->set_name("t1");
  task->mutable_task_id()->set_value("t1");
  *task->mutable_agent_id() = offer.agent_id();
  for (const auto& resource : offer.resources()) {
    if (resource.name() == "cpus") *task->add_resources() = resource;
  }
  if (command_task) {
    task->mutable_command()->set_value(command);
  } else {
    auto* executor = task->mutable_executor();
    executor->mutable_executor_id()->set_value("e1");
    executor->mutable_command()->set_value(command);
  }
  HttpHeaders headers;
  headers.Set("Content-Type", "application/x-protobuf");
  headers.Set("Mesos-Stream-Id", scheduler.stream_id());
  auto accepted = client.Post(url, headers, accept.SerializeAsString(), {});
  return accepted.ok() ? accepted.value().status : -1;
}

TEST(AgentWithMasterTest, ExecutorExitReachesTheSchedulerAsTaskFailedAndFailure) {
  const mlaunch::testing::TempDir temp("agent_master_test");
  const std::string work_dir = temp.path();

  Master::Options master_options;
  master_options.allocation_interval = 50;
  auto master = Master::Start(master_options);
  ASSERT_TRUE(master.ok()) << master.message();
  LocalAgent::Options agent_options;
  agent_options.work_dir = work_dir;
  auto agent = LocalAgent::Start(agent_options);
  ASSERT_TRUE(agent.ok()) << agent.message();
  mesos::v1::AgentInfo info;
  info.set_hostname("127.0.0.2");
  auto* cpus = info.add_resources();
  cpus->set_name("cpus");
  cpus->set_type(mesos::v1::Value::SCALAR);
  cpus->mutable_scalar()->set_value(2);
  agent.value()->RegisterWith(*master.value(), info);

  CurlHttpClient client;
  const std::string url = master.value()->url() + "/api/v1/scheduler";
  SchedulerStream scheduler(client, url);
  EXPECT_EQ(LaunchOnFirstOffer(client, url, scheduler, "exit 7"), 202);

  auto update = scheduler.Next(Event::UPDATE);
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ(update->update().status().task_id().value(), "t1");
  EXPECT_EQ(update->update().status().state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(update->update().status().reason(), mesos::v1::TaskStatus::REASON_EXECUTOR_TERMINATED);
  auto failure = scheduler.Next(Event::FAILURE);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->failure().executor_id().value(), "e1");
  ASSERT_TRUE(failure->failure().has_status());
  EXPECT_TRUE(WIFEXITED(failure->failure().status()));
  EXPECT_EQ(WEXITSTATUS(failure->failure().status()), 7);

  agent.value()->Stop();
  master.value()->Stop();
}

// As an executor has it: the token the agent gives executor `executor` of
// `fw`, made here with the agent's key for the container the agent started
// (the executor's environment may not be readable yet: the child can still
// be between fork and exec). Empty, with a failure added, when it cannot be.
std::string ExecutorTokenFor(const std::string& work_dir, const std::string& agent_id,
                             const std::string& fw, const std::string& executor) {
  std::error_code error;
  const std::string container_id =
      std::filesystem::read_symlink(std::filesystem::path(work_dir) / "slaves" / agent_id /
                                        "frameworks" / fw / "executors" / executor / "runs/latest",
                                    error)
          .string();
  if (error) {
    ADD_FAILURE() << "no run of " << executor << ": " << error.message();
    return "";
  }
  auto tokens = ExecutorTokens::Open(work_dir + "/executor_secret_key");
  if (!tokens.ok()) {
    ADD_FAILURE() << tokens.message();
    return "";
  }
  return tokens->Issue({fw, executor, container_id});
}

// A scheduler's MESSAGE through the real master and agent: the executor
// (played by the test on the agent's executor API) gets it as a MESSAGE
// event, bytes intact.
TEST(AgentWithMasterTest, SchedulerMessageReachesTheExecutorAsAMessageEvent) {
  const mlaunch::testing::TempDir temp("agent_master_test");
  const std::string work_dir = temp.path();
  Master::Options master_options;
  master_options.allocation_interval = 50;
  auto master = Master::Start(master_options);
  ASSERT_TRUE(master.ok()) << master.message();
  LocalAgent::Options agent_options;
  agent_options.work_dir = work_dir;
  auto agent = LocalAgent::Start(agent_options);
  ASSERT_TRUE(agent.ok()) << agent.message();
  mesos::v1::AgentInfo info;
  info.set_hostname("127.0.0.2");
  auto* cpus = info.add_resources();
  cpus->set_name("cpus");
  cpus->set_type(mesos::v1::Value::SCALAR);
  cpus->mutable_scalar()->set_value(2);
  const std::string agent_id = agent.value()->RegisterWith(*master.value(), info);

  CurlHttpClient client;
  const std::string url = master.value()->url() + "/api/v1/scheduler";
  SchedulerStream scheduler(client, url);
  std::string fw;
  ASSERT_EQ(
      LaunchOnFirstOffer(client, url, scheduler, "exec sleep 60", /*command_task=*/false, &fw),
      202);
  ASSERT_TRUE(agent.value()->WaitForRequests(kWait));

  // The executor subscribes.
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<mesos::v1::executor::Event> events;
  RecordIODecoder decoder;
  mesos::v1::executor::Call subscribe;
  subscribe.set_type(mesos::v1::executor::Call::SUBSCRIBE);
  subscribe.mutable_framework_id()->set_value(fw);
  subscribe.mutable_executor_id()->set_value("e1");
  subscribe.mutable_subscribe();
  HttpHeaders headers;
  headers.Set("Content-Type", "application/x-protobuf");
  headers.Set("Accept", "application/x-protobuf");
  const std::string token = ExecutorTokenFor(work_dir, agent_id, fw, "e1");
  ASSERT_FALSE(token.empty());
  headers.Set("Authorization", "Bearer " + token);
  HttpClient::StreamCallbacks callbacks;
  callbacks.on_headers = [](int, const HttpHeaders&) { return true; };
  callbacks.on_bytes = [&](std::string_view bytes) {
    std::vector<std::string> records;
    std::lock_guard<std::mutex> lock(mutex);
    if (!decoder.Feed(bytes, &records).ok()) return false;
    for (const auto& record : records) {
      mesos::v1::executor::Event event;
      EXPECT_TRUE(event.ParseFromString(record));
      events.push_back(event);
    }
    changed.notify_all();
    return true;
  };
  callbacks.on_end = [&](const Status&) {};
  auto executor_stream =
      client.OpenStream("http://" + agent.value()->endpoint() + "/api/v1/executor", headers,
                        subscribe.SerializeAsString(), {}, std::move(callbacks));
  auto wait_for = [&](std::size_t n) {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait_for(lock, kWait, [&] { return events.size() >= n; });
    return events;
  };
  ASSERT_EQ(wait_for(2).size(), 2u);  // SUBSCRIBED, LAUNCH

  Call message;
  message.set_type(Call::MESSAGE);
  message.mutable_framework_id()->set_value(fw);
  message.mutable_message()->mutable_agent_id()->set_value(agent_id);
  message.mutable_message()->mutable_executor_id()->set_value("e1");
  message.mutable_message()->set_data(std::string("hello\0executor", 14));
  HttpHeaders call_headers;
  call_headers.Set("Content-Type", "application/x-protobuf");
  call_headers.Set("Mesos-Stream-Id", scheduler.stream_id());
  auto posted = client.Post(url, call_headers, message.SerializeAsString(), {});
  ASSERT_TRUE(posted.ok()) << posted.message();
  EXPECT_EQ(posted.value().status, 202);
  const auto got = wait_for(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].type(), mesos::v1::executor::Event::MESSAGE);
  EXPECT_EQ(got[2].message().data(), std::string("hello\0executor", 14));

  executor_stream.reset();
  agent.value()->Stop();
  master.value()->Stop();
}

// A command task through the master: the agent runs it under the real
// mesos-launch-executor; the scheduler gets TASK_STARTING, TASK_RUNNING,
// TASK_FINISHED from the executor (executor id = task id) and no FAILURE
// once that executor has exited; the master then offers the task's
// resources again, with no executor of its own known there.
TEST(AgentWithMasterTest, CommandTaskFinishesWithoutAFailureEvent) {
  const mlaunch::testing::TempDir temp("agent_master_test");
  const std::string work_dir = temp.path();

  Master::Options master_options;
  master_options.allocation_interval = 50;
  auto master = Master::Start(master_options);
  ASSERT_TRUE(master.ok()) << master.message();
  LocalAgent::Options agent_options;
  agent_options.work_dir = work_dir;
  agent_options.launcher_dir = ML_BINARY_DIR "/bin";
  auto agent = LocalAgent::Start(agent_options);
  ASSERT_TRUE(agent.ok()) << agent.message();
  mesos::v1::AgentInfo info;
  info.set_hostname("127.0.0.2");
  auto* cpus = info.add_resources();
  cpus->set_name("cpus");
  cpus->set_type(mesos::v1::Value::SCALAR);
  cpus->mutable_scalar()->set_value(2);
  const std::string agent_id = agent.value()->RegisterWith(*master.value(), info);

  CurlHttpClient client;
  const std::string url = master.value()->url() + "/api/v1/scheduler";
  SchedulerStream scheduler(client, url);
  std::string framework_id;
  EXPECT_EQ(
      LaunchOnFirstOffer(client, url, scheduler, "exit 0", /*command_task=*/true, &framework_id),
      202);

  std::vector<mesos::v1::TaskState> states;
  for (int i = 0; i < 3; ++i) {
    auto update = scheduler.Next(Event::UPDATE);
    ASSERT_TRUE(update.has_value()) << "update " << i;
    const mesos::v1::TaskStatus& status = update->update().status();
    EXPECT_EQ(status.task_id().value(), "t1");
    EXPECT_EQ(status.executor_id().value(), "t1");
    EXPECT_EQ(status.source(), mesos::v1::TaskStatus::SOURCE_EXECUTOR);
    states.push_back(status.state());
    // Acknowledged, so the next one is forwarded.
    Call acknowledge;
    acknowledge.set_type(Call::ACKNOWLEDGE);
    acknowledge.mutable_framework_id()->set_value(framework_id);
    *acknowledge.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
    *acknowledge.mutable_acknowledge()->mutable_task_id() = status.task_id();
    acknowledge.mutable_acknowledge()->set_uuid(status.uuid());
    HttpHeaders headers;
    headers.Set("Content-Type", "application/x-protobuf");
    headers.Set("Mesos-Stream-Id", scheduler.stream_id());
    auto acked = client.Post(url, headers, acknowledge.SerializeAsString(), {});
    ASSERT_TRUE(acked.ok());
    EXPECT_EQ(acked.value().status, 202);
  }
  EXPECT_EQ(states,
            (std::vector<mesos::v1::TaskState>{mesos::v1::TASK_STARTING, mesos::v1::TASK_RUNNING,
                                               mesos::v1::TASK_FINISHED}));
  // The executor has gone (the agent knows it no more) and the next offer
  // holds the task's cpus again, naming no executor.
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (agent.value()->ExecutorPid(framework_id, "t1") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto offers = scheduler.Next(Event::OFFERS);
  ASSERT_TRUE(offers.has_value());
  ASSERT_GT(offers->offers().offers_size(), 0);
  EXPECT_EQ(offers->offers().offers(0).agent_id().value(), agent_id);
  EXPECT_EQ(offers->offers().offers(0).executor_ids_size(), 0);
  agent.value()->Stop();  // reports what it still had, before the check below
  master.value()->Stop();
  EXPECT_FALSE(scheduler.Next(Event::FAILURE).has_value());
}

// True when `pid` has ended or ends within a few seconds (pidfd: works for
// processes that are not our children).
bool Ends(pid_t pid) {
  const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd ended{fd, POLLIN, 0};
  const int ready = poll(&ended, 1, 5'000);
  close(fd);
  return ready == 1;
}

// One line from `fd`, waiting at most kWait for it.
std::string ReadLine(int fd) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (line.empty() || line.back() != '\n') {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd ready{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&ready, 1, static_cast<int>(left.count())) != 1) {
      break;
    }
    char c;
    if (read(fd, &c, 1) != 1) break;
    line += c;
  }
  return line;
}

TEST(ClusterProgramTest, SigtermKillsEveryExecutorAndWhatItStarted) {
  const mlaunch::testing::TempDir temp("cluster_program_test");
  const std::string work_dir = temp.path();
  const std::string fifo = work_dir + "/pids";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const int pids = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(pids, 0);

  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  const std::string program = ML_BINARY_DIR "/bin/mesos-launch-cluster";
  const std::string cluster_work_dir = work_dir + "/w";
  const pid_t cluster = fork();
  ASSERT_GE(cluster, 0);
  if (cluster == 0) {
    dup2(out[1], 1);
    execl(program.c_str(), program.c_str(), "--port", "0", "--agents", "1", "--allocation-interval",
          "0.05", "--work-dir", cluster_work_dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  const std::string listening = ReadLine(out[0]);
  close(out[0]);
  const std::string prefix = "master listening on ";
  ASSERT_EQ(listening.rfind(prefix, 0), 0u) << listening;
  const std::string url =
      listening.substr(prefix.size(), listening.size() - prefix.size() - 1) + "/api/v1/scheduler";

  CurlHttpClient client;
  SchedulerStream scheduler(client, url);
  EXPECT_EQ(
      LaunchOnFirstOffer(client, url, scheduler, "sleep 60 & echo $$ $! > " + fifo + "; wait"),
      202);
  const std::string line = ReadLine(pids);
  close(pids);
  int executor = 0;
  int grandchild = 0;
  ASSERT_EQ(sscanf(line.c_str(), "%d %d", &executor, &grandchild), 2) << line;

  ASSERT_EQ(kill(cluster, SIGTERM), 0);
  ASSERT_TRUE(Ends(cluster));
  int status = 0;
  ASSERT_EQ(waitpid(cluster, &status, 0), cluster);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_TRUE(Ends(executor));
  EXPECT_TRUE(Ends(grandchild));
}

}  // namespace
}  // namespace mlaunch::cluster
