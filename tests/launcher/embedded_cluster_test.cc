// mesos-launch's embedded cluster as another framework sees it: a command
// task (TaskInfo.command, no executor) runs under the mesos-launch-executor
// of the launcher directory it was given, and fails saying why without one.
// The test is the scheduler, through MasterClient; waits are bounded and
// event-driven.
#include "launcher/embedded_cluster.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "common/curl_http_client.h"
#include "gtest/gtest.h"
#include "launcher/master_client.h"

namespace mlaunch {
namespace {

using mesos::v1::scheduler::Call;
using mesos::v1::scheduler::Event;

constexpr auto kWait = std::chrono::seconds(20);

// A framework that launches one command task on its first offer and
// acknowledges every update; Run() returns the task's updates up to the
// terminal one.
class CommandFramework {
 public:
  explicit CommandFramework(const std::string& master_url)
      : client_(http_, Options(master_url), Callbacks()) {}
  ~CommandFramework() { client_.Stop(); }

  std::vector<mesos::v1::TaskStatus> Run(const std::string& shell) {
    shell_ = shell;
    client_.Start([] {
      Call subscribe;
      subscribe.set_type(Call::SUBSCRIBE);
      auto* framework = subscribe.mutable_subscribe()->mutable_framework_info();
      framework->set_user("nobody");
      framework->set_name("embedded-cluster-test");
      return subscribe;
    });
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, kWait, [&] { return done_; });
    return updates_;
  }

 private:
  static MasterClient::Options Options(const std::string& master_url) {
    MasterClient::Options options;
    options.masters = [master_url] { return std::vector<std::string>{master_url}; };
    return options;
  }

  MasterClient::Callbacks Callbacks() {
    MasterClient::Callbacks callbacks;
    callbacks.on_event = [this](MasterClient::EventPtr event) { OnEvent(*event); };
    callbacks.on_fatal = [this](const std::string& why) {
      ADD_FAILURE() << "the master refused the framework: " << why;
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
      changed_.notify_all();
    };
    return callbacks;
  }

  void OnEvent(const Event& event) {
    if (event.type() == Event::SUBSCRIBED) {
      framework_id_ = event.subscribed().framework_id();
    } else if (event.type() == Event::OFFERS && !launched_ && event.offers().offers_size() > 0) {
      launched_ = true;
      const mesos::v1::Offer& offer = event.offers().offers(0);
      Call accept;
      accept.set_type(Call::ACCEPT);
      *accept.mutable_framework_id() = framework_id_;
      *accept.mutable_accept()->add_offer_ids() = offer.id();
      auto* operation = accept.mutable_accept()->add_operations();
      operation->set_type(mesos::v1::Offer::Operation::LAUNCH);
      mesos::v1::TaskInfo* task = operation->mutable_launch()->add_task_infos();
      task->set_name("c1");
      task->mutable_task_id()->set_value("c1");
      *task->mutable_agent_id() = offer.agent_id();
      for (const auto& resource : offer.resources()) {
        if (resource.name() != "cpus") continue;
        mesos::v1::Resource* cpus = task->add_resources();
        *cpus = resource;
        cpus->mutable_scalar()->set_value(0.1);
      }
      task->mutable_command()->set_value(shell_);
      EXPECT_TRUE(client_.Send(accept).ok());
    } else if (event.type() == Event::UPDATE) {
      const mesos::v1::TaskStatus& status = event.update().status();
      if (status.has_uuid()) {
        Call acknowledge;
        acknowledge.set_type(Call::ACKNOWLEDGE);
        *acknowledge.mutable_framework_id() = framework_id_;
        *acknowledge.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
        *acknowledge.mutable_acknowledge()->mutable_task_id() = status.task_id();
        acknowledge.mutable_acknowledge()->set_uuid(status.uuid());
        EXPECT_TRUE(client_.Send(acknowledge).ok());
      }
      std::lock_guard<std::mutex> lock(mutex_);
      updates_.push_back(status);
      const auto state = status.state();
      if (state != mesos::v1::TASK_STARTING && state != mesos::v1::TASK_RUNNING &&
          state != mesos::v1::TASK_KILLING) {
        done_ = true;
        changed_.notify_all();
      }
    }
  }

  CurlHttpClient http_;
  MasterClient client_;
  // The client's thread only.
  mesos::v1::FrameworkID framework_id_;
  bool launched_ = false;
  std::string shell_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<mesos::v1::TaskStatus> updates_;
  bool done_ = false;
};

TEST(EmbeddedClusterCommandTask, RunsUnderTheExecutorOfTheLauncherDir) {
  auto cluster = EmbeddedCluster::Start(ML_BINARY_DIR "/bin");
  ASSERT_TRUE(cluster.ok()) << cluster.message();
  CommandFramework framework(cluster.value()->master_url());
  const auto updates = framework.Run("exit 0");
  std::vector<mesos::v1::TaskState> states;
  for (const auto& status : updates) {
    states.push_back(status.state());
    EXPECT_EQ(status.executor_id().value(), "c1");
  }
  EXPECT_EQ(states,
            (std::vector<mesos::v1::TaskState>{mesos::v1::TASK_STARTING, mesos::v1::TASK_RUNNING,
                                               mesos::v1::TASK_FINISHED}));
}

TEST(EmbeddedClusterCommandTask, WithoutALauncherDirFailsSayingWhatToDo) {
  auto cluster = EmbeddedCluster::Start("");
  ASSERT_TRUE(cluster.ok()) << cluster.message();
  CommandFramework framework(cluster.value()->master_url());
  const auto updates = framework.Run("exit 0");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(updates[0].reason(), mesos::v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(updates[0].message().find("installed beside mesos-launch"), std::string::npos)
      << updates[0].message();
}

}  // namespace
}  // namespace mlaunch
