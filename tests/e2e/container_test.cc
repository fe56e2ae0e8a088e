// Tasks in container images on the embedded cluster (issue #23), end to end:
// `mesos-launch` runs specs whose tasks name an image made here from
// Debian's busybox-static (`podman import` of a directory: no registry),
// through podman and runc. The static executor runs inside the image.
//
// Needs root, podman and /bin/busybox (Debian podman, runc,
// busybox-static); without them the tests skip, except in CI, where they
// fail. Built only with the static executor (a dynamically linked one
// cannot run in an image without its libraries).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/e2e/child_process.h"
#include "tests/executor/http_get.h"
#include "tests/fakes/ci.h"

namespace mlaunch::testing {
namespace {

using std::chrono::seconds;
namespace fs = std::filesystem;

const std::string kBin = std::string(ML_BINARY_DIR) + "/bin/";

// The output of a shell command, and whether it exited 0.
bool Shell(const std::string& command, std::string* output = nullptr) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  std::string text;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
  const int status = ::pclose(pipe);
  if (output != nullptr) *output = text;
  return status == 0;
}

class ContainerRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    missing_.clear();
    if (::geteuid() != 0)
      missing_ = "root (podman runs containers as root here)";
    else if (!Shell("command -v podman >/dev/null"))
      missing_ = "podman (apt-get install podman runc)";
    else if (!fs::exists("/bin/busybox"))
      missing_ = "/bin/busybox (apt-get install busybox-static)";
    if (!missing_.empty()) return;
    // A directory with busybox and a page, imported as an image.
    const fs::path root = fs::temp_directory_path() / ("ml-image-" + std::to_string(::getpid()));
    fs::create_directories(root / "rootfs/bin");
    fs::create_directories(root / "rootfs/www");
    fs::copy_file("/bin/busybox", root / "rootfs/bin/busybox");
    for (const char* applet : {"sh", "httpd", "sha256sum", "cat", "sleep", "touch"}) {
      fs::create_symlink("busybox", root / "rootfs/bin" / applet);
    }
    std::ofstream(root / "rootfs/www/index.html") << "hi from the image";
    image_ = "localhost/mesos-launch-test/busybox:" + std::to_string(::getpid());
    std::string output;
    const bool imported = Shell("tar -C '" + (root / "rootfs").string() + "' -cf '" +
                                    (root / "rootfs.tar").string() + "' . && podman import '" +
                                    (root / "rootfs.tar").string() + "' " + image_ + " 2>&1",
                                &output);
    fs::remove_all(root);
    if (!imported) missing_ = "an image made with podman import: " + output;
  }
  static void TearDownTestSuite() {
    if (!image_.empty()) Shell("podman rmi --force " + image_ + " >/dev/null 2>&1");
  }

  void SetUp() override {
    if (!missing_.empty()) {
      if (InCi()) FAIL() << "needs " << missing_ << " (CI=" << std::getenv("CI") << ")";
      GTEST_SKIP() << "needs " << missing_;
    }
    dir_ = fs::temp_directory_path() /
           ("ml-container-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Spec(const std::string& tasks) {
    const std::string path = (dir_ / "spec.yaml").string();
    std::ofstream(path) << "version: 1\ntasks:\n" << tasks;
    return path;
  }

  // The containers of `run`'s embedded cluster: those carrying the label of
  // its work dir (the "sandboxes under DIR" of its first lines), so that
  // other runs' containers on this machine do not count.
  static std::vector<std::string> OurContainers(const ChildProcess& run) {
    std::smatch dir;
    const std::string output = run.output();
    if (!std::regex_search(output, dir, std::regex(R"(sandboxes under (\S+))"))) return {"?"};
    std::string names;
    Shell("podman ps --all --filter 'label=io.mesos-launch.work-dir=" + dir[1].str() +
              "' --format '{{.Names}}'",
          &names);
    std::vector<std::string> ours;
    std::istringstream lines(names);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) ours.push_back(line);
    }
    return ours;
  }

  // The line saying that `instance` serves its URL.
  static std::optional<std::string> WaitForServing(ChildProcess& run, const std::string& instance) {
    return run.WaitForLine(
        [&](const std::string& line) {
          return line.rfind(instance + " ", 0) == 0 &&
                 line.find(" serving http://") != std::string::npos;
        },
        seconds(60));
  }

  // GET / of the URL in a line "... serving http://ADDRESS:PORT/".
  static GetResponse GetServed(const std::string& line) {
    static const std::regex url(R"(http://([0-9.]+):([0-9]+)/)");
    std::smatch m;
    if (!std::regex_search(line, m, url)) return {};
    return HttpGet(static_cast<std::uint16_t>(std::stoi(m[2])), "/", m[1]);
  }

  static inline std::string missing_;
  static inline std::string image_;
  fs::path dir_;
};

// A command from the image (busybox httpd serving the image's /www, with a
// host directory mounted read-only in it), and the built-in service run by
// the static executor inside the image; the limits are the resources'; Ctrl-C
// stops both and leaves no container.
TEST_F(ContainerRun, ACommandAndTheBuiltInServiceRunInTheImageAndLeaveNoContainer) {
  // A host directory mounted read-only under the image's /www.
  fs::create_directories(dir_ / "extra");
  std::ofstream(dir_ / "extra/note.txt") << "from a host volume";
  ChildProcess run({kBin + "mesos-launch", Spec(R"(  - name: httpd
    resources: { cpus: 0.1, mem: 32 }
    ports: [http]
    container:
      image: )" + image_ + R"(
      volumes: [{ container_path: /www/extra, host_path: )" +
                                                (dir_ / "extra").string() + R"(, mode: ro }]
    command: exec httpd -f -p ${ports.http} -h /www
    health_check: { type: http, port: http, path: /, interval: 1s, timeout: 1s }
  - name: web
    resources: { cpus: 0.1, mem: 32 }
    ports: [http]
    container: { image: )" + image_ + R"( }
    service: { payload: "Hello from Server" }
)")});
  // Both up: web serving its URL, httpd healthy (a command's URL is not
  // shown; its port is, on the LAUNCHED line).
  std::string web;
  bool httpd_healthy = false;
  ASSERT_TRUE(run.WaitForLine(
      [&](const std::string& line) {
        if (line.rfind("web.0 ", 0) == 0 && line.find(" serving http://") != std::string::npos) {
          web = line;
        }
        if (line.rfind("httpd.0 ", 0) == 0 && line.find(" healthy") != std::string::npos) {
          httpd_healthy = true;
        }
        return !web.empty() && httpd_healthy;
      },
      seconds(60)))
      << run.output();
  EXPECT_EQ(GetServed(web).body, "Hello from Server");
  std::smatch port;
  const std::string output = run.output();
  ASSERT_TRUE(std::regex_search(output, port,
                                std::regex(R"(httpd\.0 +LAUNCHED on ([0-9.]+) http=([0-9]+))")))
      << output;
  EXPECT_EQ(GetServed("http://" + port[1].str() + ":" + port[2].str() + "/").body,
            "hi from the image");
  EXPECT_EQ(HttpGet(static_cast<std::uint16_t>(std::stoi(port[2].str())), "/extra/note.txt",
                    port[1].str())
                .body,
            "from a host volume");
  // The task's and its executor's cpus (0.1 + 0.05) and mem (32 + 32 MB)
  // are the container's limits.
  const std::vector<std::string> containers = OurContainers(run);
  EXPECT_EQ(containers.size(), 2u);
  for (const std::string& name : containers) {
    std::string limits;
    ASSERT_TRUE(
        Shell("podman inspect --format '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}' " + name,
              &limits));
    EXPECT_EQ(limits, "150000000 67108864\n") << name;
  }

  run.Signal(SIGINT);
  EXPECT_EQ(run.WaitForExit(seconds(60)), 0) << run.output();
  EXPECT_TRUE(OurContainers(run).empty());
}

// specs/container.yaml as shipped, with the test's image under the name the
// spec gives (tagged for the test unless this machine has that image).
TEST_F(ContainerRun, TheShippedContainerSpecServesItsUrl) {
  const std::string demo = "localhost/mesos-launch-demo/busybox:1";
  const bool tagged =
      !Shell("podman image exists " + demo) && Shell("podman tag " + image_ + " " + demo);
  ChildProcess run({kBin + "mesos-launch", std::string(ML_SOURCE_DIR) + "/specs/container.yaml"});
  std::optional<std::string> hello = WaitForServing(run, "hello.0");
  EXPECT_TRUE(hello) << run.output();
  if (hello) {
    EXPECT_EQ(GetServed(*hello).body, "Hello from Server, inside an image");
  }
  run.Signal(SIGINT);
  EXPECT_EQ(run.WaitForExit(seconds(60)), 0) << run.output();
  EXPECT_TRUE(OurContainers(run).empty());
  // (untag with no name would take every name of the image, the test's too)
  if (tagged) Shell("podman untag " + demo + " " + demo + " >/dev/null 2>&1");
}

// SIGKILL gives mesos-launch no chance to stop its containers; they end
// with it all the same (the orphan guard holds their first process).
TEST_F(ContainerRun, KilledWithSigkillItLeavesNoContainer) {
  ChildProcess run({kBin + "mesos-launch", Spec(R"(  - name: web
    resources: { cpus: 0.1, mem: 32 }
    ports: [http]
    container: { image: )" + image_ + R"( }
    service: { payload: "Hello from Server" }
)")});
  ASSERT_TRUE(WaitForServing(run, "web.0")) << run.output();
  ASSERT_EQ(OurContainers(run).size(), 1u)
      << ::testing::PrintToString(OurContainers(run)) << run.output();
  run.Signal(SIGKILL);
  run.WaitForExit(seconds(10));
  for (int i = 0; i < 100 && !OurContainers(run).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // podman's own cleanup
  }
  EXPECT_TRUE(OurContainers(run).empty());
}

// An image that is not in podman's store may come as an artifact: an image
// archive (docker-archive here, from podman save), which the agent loads
// before it runs the task.
TEST_F(ContainerRun, AnImageArchiveGivenAsAnArtifactIsLoadedThenRun) {
  const std::string archived = "localhost/mesos-launch-test/archived:" + std::to_string(::getpid());
  const std::string archive = (dir_ / "image.tar").string();
  std::string output;
  ASSERT_TRUE(Shell("podman tag " + image_ + " " + archived +
                        " && podman save --quiet "
                        "--format docker-archive --output " +
                        archive + " " + archived + " && podman rmi " + archived + " 2>&1",
                    &output))
      << output;
  ChildProcess run({kBin + "mesos-launch", Spec(R"(  - name: web
    resources: { cpus: 0.1, mem: 32 }
    ports: [http]
    artifacts: [{ uri: "file://)" + archive + R"(", extract: false }]
    container: { image: )" + archived + R"( }
    service: { payload: "Hello from Server" }
)")});
  std::optional<std::string> web = WaitForServing(run, "web.0");
  ASSERT_TRUE(web) << run.output();
  EXPECT_EQ(GetServed(*web).body, "Hello from Server");
  run.Signal(SIGINT);
  EXPECT_EQ(run.WaitForExit(seconds(60)), 0) << run.output();
  Shell("podman rmi --force " + archived + " >/dev/null 2>&1");
}

// An image podman does not have: the task fails at once, saying so, and the
// run ends (restart: never) with exit 4 and that reason.
TEST_F(ContainerRun, AMissingImageFailsTheTaskSayingSo) {
  ChildProcess run({kBin + "mesos-launch", Spec(R"(  - name: web
    ports: [http]
    container: { image: localhost/mesos-launch-test/not-here:1 }
    service: { payload: "Hello from Server" }
    restart: { policy: never }
)")});
  EXPECT_EQ(run.WaitForExit(seconds(60)), 4) << run.output();
  EXPECT_NE(run.output().find("image localhost/mesos-launch-test/not-here:1 is not in podman's "
                              "local store, and this agent has no registry access"),
            std::string::npos)
      << run.output();
  EXPECT_TRUE(OurContainers(run).empty());
}

}  // namespace
}  // namespace mlaunch::testing
