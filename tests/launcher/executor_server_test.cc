// ExecutorServer: the one content-addressed file, its headers, what else is
// refused, the count of downloads, the log of every request; --advertise's
// forms; the local address toward a master.
#include "launcher/executor_server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "common/curl_http_client.h"
#include "common/sha256.h"

namespace mlaunch {
namespace {

class ExecutorServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ml-executor-server-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    file_ = (dir_ / "mesos-launch-executor").string();
    std::ofstream(file_) << bytes_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ExecutorServer> Start(ExecutorServer::Options options = {}) {
    options.file = file_;
    options.address = "127.0.0.1";
    options.on_fetch = [this](const ExecutorServer::Fetch& fetch) {
      std::lock_guard<std::mutex> lock(mutex_);
      fetches_.push_back(fetch);
    };
    Result<std::unique_ptr<ExecutorServer>> started = ExecutorServer::Start(options);
    EXPECT_TRUE(started.ok()) << started.message();
    return started.ok() ? std::move(started).value() : nullptr;
  }

  std::filesystem::path dir_;
  std::string file_;
  const std::string bytes_ = std::string(
                                 "\x7f"
                                 "ELF an executor",
                                 16) +
                             std::string(70000, 'x');
  std::mutex mutex_;
  std::vector<ExecutorServer::Fetch> fetches_;
  CurlHttpClient http_;
};

TEST_F(ExecutorServerTest, ServesTheFileAtItsDigestForGood) {
  auto server = Start();
  ASSERT_TRUE(server);
  EXPECT_EQ(server->sha256(), Sha256Hex(bytes_));
  EXPECT_EQ(server->bytes(), static_cast<std::int64_t>(bytes_.size()));
  const std::string path = "/executor/" + Sha256Hex(bytes_) + "/mesos-launch-executor";
  EXPECT_EQ(server->url().rfind("http://127.0.0.1:", 0), 0u) << server->url();
  EXPECT_EQ(server->url().substr(server->url().size() - path.size()), path);
  auto got = http_.Get(server->url(), {}, {});
  ASSERT_TRUE(got.ok()) << got.message();
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, bytes_);
  EXPECT_EQ(got->headers.Get("Content-Type").value_or(""), "application/octet-stream");
  EXPECT_EQ(got->headers.Get("ETag").value_or(""), "\"" + Sha256Hex(bytes_) + "\"");
  EXPECT_NE(got->headers.Get("Cache-Control").value_or("").find("immutable"), std::string::npos);
  EXPECT_EQ(server->downloads(), 1);
  std::lock_guard<std::mutex> lock(mutex_);
  ASSERT_EQ(fetches_.size(), 1u);
  EXPECT_EQ(fetches_[0].method, "GET");
  EXPECT_EQ(fetches_[0].status, 200);
  EXPECT_EQ(fetches_[0].peer.rfind("127.0.0.1:", 0), 0u) << fetches_[0].peer;
}

TEST_F(ExecutorServerTest, NothingElseIsServedAndEveryRequestIsLogged) {
  auto server = Start();
  ASSERT_TRUE(server);
  const std::string base = server->url().substr(0, server->url().find("/executor/"));
  auto other =
      http_.Get(base + "/executor/" + std::string(64, '0') + "/mesos-launch-executor", {}, {});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 404);
  auto root = http_.Get(base + "/", {}, {});
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->status, 404);
  auto post = http_.Post(server->url(), {}, "", {});
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->headers.Get("Allow").value_or(""), "GET, HEAD");
  EXPECT_EQ(server->downloads(), 0);
  std::lock_guard<std::mutex> lock(mutex_);
  ASSERT_EQ(fetches_.size(), 3u);
  EXPECT_EQ(fetches_[2].method, "POST");
  EXPECT_EQ(fetches_[2].status, 405);
}

TEST_F(ExecutorServerTest, TheTamperingHookServesOtherBytesUnderTheSameDigest) {
  const std::string tampered = (dir_ / "tampered").string();
  std::ofstream(tampered) << "#!/bin/sh\n";
  ExecutorServer::Options options;
  options.tampered_file = tampered;
  auto server = Start(options);
  ASSERT_TRUE(server);
  EXPECT_EQ(server->sha256(), Sha256Hex(bytes_));
  auto got = http_.Get(server->url(), {}, {});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->body, "#!/bin/sh\n");
}

TEST_F(ExecutorServerTest, AMissingFileOrABadAddressIsAnError) {
  ExecutorServer::Options options;
  options.file = (dir_ / "none").string();
  options.address = "127.0.0.1";
  Result<std::unique_ptr<ExecutorServer>> missing = ExecutorServer::Start(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("cannot read " + options.file), std::string::npos);
  options.file = file_;
  options.address = "example.org";
  Result<std::unique_ptr<ExecutorServer>> name = ExecutorServer::Start(options);
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.message().find("cannot serve the executor"), std::string::npos) << name.message();
}

TEST_F(ExecutorServerTest, TheAdvertisedHostIsTheUrlsHost) {
  ExecutorServer::Options options;
  options.advertise = "203.0.113.7";
  auto server = Start(options);
  ASSERT_TRUE(server);
  EXPECT_EQ(server->url().rfind("http://203.0.113.7:", 0), 0u) << server->url();
}

TEST(ParseAdvertise, AddressesWithAndWithoutPorts) {
  struct Case {
    std::string text;
    std::string host;
    std::uint16_t port;
  };
  for (const Case& c : std::vector<Case>{{"10.0.0.5", "10.0.0.5", 0},
                                         {"10.0.0.5:8080", "10.0.0.5", 8080},
                                         {"gateway.example", "gateway.example", 0},
                                         {"[fd00::5]:8080", "fd00::5", 8080},
                                         {"[fd00::5]", "fd00::5", 0},
                                         {"fd00::5", "fd00::5", 0}}) {
    Result<HostPort> parsed = ParseAdvertise(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.message();
    EXPECT_EQ(parsed->host, c.host) << c.text;
    EXPECT_EQ(parsed->port, c.port) << c.text;
  }
  for (const std::string bad : {"", ":80", "10.0.0.5:", "10.0.0.5:0", "10.0.0.5:65536",
                                "10.0.0.5:http", "[fd00::5", "[fd00::5]x"}) {
    Result<HostPort> parsed = ParseAdvertise(bad);
    ASSERT_FALSE(parsed.ok()) << "'" << bad << "'";
    EXPECT_NE(parsed.message().find("--advertise '" + bad + "'"), std::string::npos)
        << parsed.message();
  }
}

TEST(IsLocalAddress, OnlyThisMachinesAddresses) {
  EXPECT_TRUE(IsLocalAddress("127.0.0.1"));
  EXPECT_TRUE(IsLocalAddress("127.0.0.2"));     // all of 127/8 is loopback
  EXPECT_FALSE(IsLocalAddress("203.0.113.7"));  // TEST-NET-3: nobody's
  EXPECT_FALSE(IsLocalAddress("gateway.example"));
  EXPECT_FALSE(IsLocalAddress(""));
}

TEST(LocalAddressToward, TheLoopbackIsReachedFromTheLoopback) {
  Result<std::string> local = LocalAddressToward("127.0.0.1", 5050);
  ASSERT_TRUE(local.ok()) << local.message();
  EXPECT_EQ(local.value(), "127.0.0.1");
  Result<std::string> nowhere = LocalAddressToward("no-such-host.invalid", 5050);
  ASSERT_FALSE(nowhere.ok());
  EXPECT_NE(nowhere.message().find("cannot resolve no-such-host.invalid"), std::string::npos)
      << nowhere.message();
}

}  // namespace
}  // namespace mlaunch
