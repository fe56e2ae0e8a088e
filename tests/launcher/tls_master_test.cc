// An HTTPS master, from the scheduler's side: MasterClient against the
// embedded Master started with a certificate, and the programs end to end
// (mesos-launch-cluster --tls-cert/--tls-key, mesos-launch --ca-file).
// The certificates come from tests/fakes/test_certificates.h. Every wait is
// bounded; a program that overruns its deadline is killed and the test fails.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cluster/master_http.h"
#include "common/curl_http_client.h"
#include "launcher/master_client.h"
#include "tests/fakes/temp_dir.h"
#include "tests/fakes/test_certificates.h"

namespace mlaunch {
namespace {

namespace sched = mesos::v1::scheduler;
using namespace std::chrono_literals;

const TestCertificates& Certs() {
  const TestCertificates& c = TestCertificates::Get();
  EXPECT_EQ(c.error, "");
  return c;
}

std::unique_ptr<cluster::Master> StartTlsMaster() {
  cluster::Master::Options options;
  options.tls_cert_file = Certs().server_cert;
  options.tls_key_file = Certs().server_key;
  auto started = cluster::Master::Start(options);
  EXPECT_TRUE(started.ok()) << started.message();
  return started.ok() ? std::move(started).value() : nullptr;
}

sched::Call SubscribeCall() {
  sched::Call c;
  c.set_type(sched::Call::SUBSCRIBE);
  c.mutable_subscribe()->mutable_framework_info()->set_user("u");
  c.mutable_subscribe()->mutable_framework_info()->set_name("tls");
  return c;
}

// What a MasterClient reported, awaitable.
struct Reports {
  std::mutex mutex;
  std::condition_variable changed;
  bool subscribed = false;
  std::vector<std::string> disconnects;
  std::optional<std::string> fatal;

  MasterClient::Callbacks Callbacks() {
    MasterClient::Callbacks c;
    c.on_event = [this](MasterClient::EventPtr event) {
      const sched::Event& e = *event;
      std::lock_guard<std::mutex> lock(mutex);
      if (e.type() == sched::Event::SUBSCRIBED) subscribed = true;
      changed.notify_all();
    };
    c.on_disconnected = [this](const std::string& why) {
      std::lock_guard<std::mutex> lock(mutex);
      disconnects.push_back(why);
      changed.notify_all();
    };
    c.on_fatal = [this](const std::string& why) {
      std::lock_guard<std::mutex> lock(mutex);
      fatal = why;
      changed.notify_all();
    };
    return c;
  }
  template <typename Done>
  bool Await(Done done) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, 10s, done);
  }
};

MasterClient::Options OptionsFor(const std::string& master) {
  MasterClient::Options o;
  o.masters = [master] { return std::vector<std::string>{master}; };
  o.backoff_min = 10ms;
  o.backoff_max = 50ms;
  return o;
}

TEST(TlsMaster, MasterClientSubscribesWithTheCaFile) {
  auto master = StartTlsMaster();
  ASSERT_NE(master, nullptr);
  ASSERT_EQ(master->url().rfind("https://127.0.0.1:", 0), 0u) << master->url();
  CurlHttpClient http;
  Reports reports;
  MasterClient::Options options = OptionsFor(master->url());
  options.http.ca_file = Certs().ca_file;
  MasterClient client(http, options, reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  EXPECT_TRUE(reports.Await([&] { return reports.subscribed; }));
  EXPECT_EQ(client.leader(), master->url());
  client.Stop();
  master->Stop();
}

TEST(TlsMaster, AnUntrustedCertificateEndsTheClientWithAHint) {
  auto master = StartTlsMaster();
  ASSERT_NE(master, nullptr);
  CurlHttpClient http;
  Reports reports;
  MasterClient::Options options = OptionsFor(master->url());
  options.http.ca_file = Certs().other_ca_file;
  MasterClient client(http, options, reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return reports.fatal.has_value(); }));
  const std::string why = *reports.fatal;
  EXPECT_NE(why.find("TLS certificate of " + master->url() + " is not trusted"), std::string::npos)
      << why;
  EXPECT_NE(why.find("--ca-file"), std::string::npos) << why;
  EXPECT_NE(why.find("--insecure"), std::string::npos) << why;
  EXPECT_TRUE(reports.disconnects.empty());  // not retried: it cannot help
  EXPECT_FALSE(reports.subscribed);
  client.Stop();
  master->Stop();
}

// ---------------------------------------------------------------------------
// The programs

struct Finished {
  int exit_code = -1;  // -1: killed at the deadline, or did not run
  std::string output;  // stdout and stderr
};

// Runs `argv` to its end (killed after `deadline`), collecting its output.
Finished RunProgram(const std::vector<std::string>& argv, std::chrono::milliseconds deadline) {
  Finished finished;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return finished;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  const auto end = std::chrono::steady_clock::now() + deadline;
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    pollfd ready{out[0], POLLIN, 0};
    if (left.count() <= 0 || poll(&ready, 1, static_cast<int>(left.count())) != 1) {
      timed_out = true;
      break;
    }
    char buffer[4096];
    const ssize_t n = read(out[0], buffer, sizeof buffer);
    if (n <= 0) break;
    finished.output.append(buffer, static_cast<std::size_t>(n));
  }
  close(out[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!timed_out && WIFEXITED(status)) finished.exit_code = WEXITSTATUS(status);
  return finished;
}

// mesos-launch-cluster with TLS and no agents, for as long as it lives.
class TlsCluster {
 public:
  explicit TlsCluster(const std::string& work_dir) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return;
    const std::string program = ML_BINARY_DIR "/bin/mesos-launch-cluster";
    // Before fork(): the child must not make certificates of its own.
    const std::string cert = Certs().server_cert;
    const std::string key = Certs().server_key;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, 2);  // its logs
      execl(program.c_str(), program.c_str(), "--port", "0", "--agents", "0", "--work-dir",
            work_dir.c_str(), "--tls-cert", cert.c_str(), "--tls-key", key.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    line_ = ReadLine(out[0]);
    close(out[0]);
  }
  ~TlsCluster() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  const std::string& line() const { return line_; }
  std::string url() const {
    const std::string prefix = "master listening on ";
    if (line_.rfind(prefix, 0) != 0 || line_.back() != '\n') return "";
    return line_.substr(prefix.size(), line_.size() - prefix.size() - 1);
  }

 private:
  static std::string ReadLine(int fd) {
    std::string line;
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (line.empty() || line.back() != '\n') {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      pollfd ready{fd, POLLIN, 0};
      if (left.count() <= 0 || poll(&ready, 1, static_cast<int>(left.count())) != 1) break;
      char c;
      if (read(fd, &c, 1) != 1) break;
      line += c;
    }
    return line;
  }

  pid_t pid_ = -1;
  std::string line_;
};

class TlsPrograms : public ::testing::Test {
 protected:
  // mesos-launch on a spec nothing can be placed from (no agents), for one
  // second, with `extra` flags.
  Finished Launch(const std::string& master, std::vector<std::string> extra) {
    // --executor-from-path: nothing is launched here (no agents), and
    // serving the executor would first read and hash it, which under TSan
    // (an unstripped, instrumented binary) takes seconds these tests time.
    std::vector<std::string> argv = {ML_BINARY_DIR "/bin/mesos-launch",
                                     "--master",
                                     master,
                                     "--duration",
                                     "1s",
                                     "--connect-timeout",
                                     "20s",
                                     "--state-dir",
                                     dir_ + "/state",
                                     "--executor-from-path"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(ML_SOURCE_DIR "/specs/command.yaml");
    return RunProgram(argv, 30s);
  }

  const mlaunch::testing::TempDir temp_{"tls_programs_test"};
  const std::string dir_ = temp_.path();
};

TEST_F(TlsPrograms, ClusterSaysHttpsAndTheLauncherSubscribesWithTheCaFile) {
  TlsCluster cluster(dir_ + "/cluster");
  const std::string url = cluster.url();
  ASSERT_EQ(url.rfind("https://127.0.0.1:", 0), 0u) << cluster.line();

  Finished run = Launch(url, {"--ca-file", Certs().ca_file});
  EXPECT_NE(run.output.find("subscribed framework="), std::string::npos) << run.output;
  // Stopped by --duration before anything could be launched (no agents).
  EXPECT_EQ(run.exit_code, 130) << run.output;
}

TEST_F(TlsPrograms, LauncherWithoutTheCaExplainsAndExits2) {
  TlsCluster cluster(dir_ + "/cluster");
  const std::string url = cluster.url();
  ASSERT_FALSE(url.empty()) << cluster.line();

  const auto start = std::chrono::steady_clock::now();
  Finished run = Launch(url, {});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_EQ(run.output.find("subscribed framework="), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("TLS certificate of " + url + " is not trusted"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("--ca-file"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("--insecure"), std::string::npos) << run.output;
  // At once, not after --connect-timeout (20s) of retries.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);

  Finished insecure = Launch(url, {"--insecure"});
  EXPECT_NE(insecure.output.find("subscribed framework="), std::string::npos) << insecure.output;
  EXPECT_EQ(insecure.exit_code, 130) << insecure.output;
}

TEST_F(TlsPrograms, TheSpecsTlsCaFileIsTrustedRelativeToTheSpec) {
  TlsCluster cluster(dir_ + "/cluster");
  const std::string url = cluster.url();
  ASSERT_FALSE(url.empty()) << cluster.line();
  std::filesystem::copy_file(Certs().ca_file, dir_ + "/our-ca.pem");
  std::ifstream base(ML_SOURCE_DIR "/specs/command.yaml");
  std::stringstream text;
  text << base.rdbuf() << "\ntls:\n  ca_file: our-ca.pem\n";
  std::ofstream(dir_ + "/spec.yaml") << text.str();

  Finished run = RunProgram({ML_BINARY_DIR "/bin/mesos-launch", "--master", url, "--duration", "1s",
                             "--state-dir", dir_ + "/state", dir_ + "/spec.yaml"},
                            30s);
  EXPECT_NE(run.output.find("subscribed framework="), std::string::npos) << run.output;
  EXPECT_EQ(run.exit_code, 130) << run.output;
}

TEST_F(TlsPrograms, ClusterNeedsBothTlsFlags) {
  Finished run = RunProgram({ML_BINARY_DIR "/bin/mesos-launch-cluster", "--port", "0", "--agents",
                             "0", "--tls-cert", Certs().server_cert},
                            10s);
  EXPECT_EQ(run.exit_code, 64) << run.output;
  EXPECT_NE(run.output.find("--tls-key"), std::string::npos) << run.output;
}

TEST_F(TlsPrograms, ClusterWithAnUnreadableKeySaysWhichFile) {
  const std::string missing = dir_ + "/missing.key";
  Finished run = RunProgram(
      {ML_BINARY_DIR "/bin/mesos-launch-cluster", "--port", "0", "--agents", "0", "--work-dir",
       dir_ + "/cluster", "--tls-cert", Certs().server_cert, "--tls-key", missing},
      10s);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find(missing), std::string::npos) << run.output;
}

}  // namespace
}  // namespace mlaunch
