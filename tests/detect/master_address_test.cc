#include "detect/master_address.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace mlaunch {
namespace {

// Reads from a map of path -> content; a missing path is an error.
FileReader FakeFiles(std::map<std::string, std::string> files) {
  return [files = std::move(files)](const std::string& path) -> Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return Status::Error(StatusCode::kUnavailable, "No such file");
    return it->second;
  };
}

struct GoodCase {
  std::string input;
  std::string described;  // Describe() of the result
};

TEST(ParseMasterAddress, AcceptsEveryDocumentedForm) {
  const GoodCase kCases[] = {
      {"m1:5050", "http://m1:5050"},
      {"10.0.0.11:5050", "http://10.0.0.11:5050"},
      {"  m1:5050\n", "http://m1:5050"},
      {"http://m1:5050", "http://m1:5050"},
      {"http://m1:5050/", "http://m1:5050"},
      {"HTTPS://m1.example.com:8443", "https://m1.example.com:8443"},
      {"[::1]:5050", "http://[::1]:5050"},
      {"https://[fe80::1]:5050", "https://[fe80::1]:5050"},
      {"m1:5050,m2:5050", "http://m1:5050,http://m2:5050"},
      {"https://m1:5050, http://m2:5051 ,m3:1", "https://m1:5050,http://m2:5051,http://m3:1"},
      {"zk://z1:2181/mesos", "zk://z1:2181/mesos"},
      {"zk://z1:2181,z2:2181,[::1]:2182/mesos", "zk://z1:2181,z2:2181,[::1]:2182/mesos"},
      {"ZK://z1:2181/mesos/", "zk://z1:2181/mesos"},
      {"zk://z1:2181/a/b/c", "zk://z1:2181/a/b/c"},
      {"zk://jane:s3cret@z1:2181/mesos", "zk://jane:***@z1:2181/mesos"},
  };
  for (const GoodCase& c : kCases) {
    Result<MasterAddress> address = ParseMasterAddress(c.input, FakeFiles({}));
    ASSERT_TRUE(address.ok()) << c.input << ": " << address.message();
    EXPECT_EQ(Describe(address.value()), c.described) << c.input;
  }
}

TEST(ParseMasterAddress, CommaListKeepsTheOrderGiven) {
  Result<MasterAddress> address = ParseMasterAddress("b:2,https://a:1", FakeFiles({}));
  ASSERT_TRUE(address.ok()) << address.message();
  const auto& endpoints = std::get<std::vector<MasterEndpoint>>(address->target);
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_EQ(endpoints[0], (MasterEndpoint{MasterEndpoint::Scheme::kHttp, {"b", 2}}));
  EXPECT_EQ(endpoints[1], (MasterEndpoint{MasterEndpoint::Scheme::kHttps, {"a", 1}}));
}

TEST(ParseMasterAddress, ZooKeeperTargetHoldsServersPathAndCredentials) {
  // The last '@' ends the credentials, so the password may contain '@', ':' and '/'.
  Result<MasterAddress> address =
      ParseMasterAddress("zk://jane:p@ss:w/rd@z1:2181,z2:2182/mesos", FakeFiles({}));
  ASSERT_TRUE(address.ok()) << address.message();
  ASSERT_TRUE(address->is_zookeeper());
  const auto& zk = std::get<ZooKeeperTarget>(address->target);
  EXPECT_EQ(zk.servers, (std::vector<HostPort>{{"z1", 2181}, {"z2", 2182}}));
  EXPECT_EQ(zk.ConnectString(), "z1:2181,z2:2182");
  EXPECT_EQ(zk.path, "/mesos");
  ASSERT_TRUE(zk.credentials.has_value());
  EXPECT_EQ(zk.credentials->user, "jane");
  EXPECT_EQ(zk.credentials->password, "p@ss:w/rd");
  EXPECT_EQ(Describe(address.value()), "zk://jane:***@z1:2181,z2:2182/mesos");
}

struct BadCase {
  std::string input;
  std::string error;  // expected as a substring of the message
};

TEST(ParseMasterAddress, RejectsBadInputWithActionableMessages) {
  const BadCase kCases[] = {
      {"", "the master address is empty"},
      {"   ", "the master address is empty"},
      {"m1", "master 'm1' has no port (the usual one is 5050: m1:5050)"},
      {"http://m1", "master 'm1' has no port (the usual one is 5050: m1:5050)"},
      {"m1:", "port '' is not a number from 1 to 65535"},
      {"m1:0", "port '0' is not a number from 1 to 65535"},
      {"m1:65536", "port '65536' is not a number from 1 to 65535"},
      {"m1:50x0", "port '50x0' is not a number"},
      {":5050", "master ':5050' has no host"},
      {"m 1:5050", "'m 1' is not a valid host name"},
      {"::1:5050", "write IPv6 addresses in brackets, e.g. [::1]:5050"},
      {"[::1:5050", "has no closing ']'"},
      {"[::1]", "has no port"},
      {"[::1]5050", "expected ':' and a port after ']'"},
      {"[m1]:5050", "brackets are only for IPv6 addresses"},
      {"ftp://m1:5050", "unsupported scheme 'ftp'"},
      {"http://m1:5050/master/api/v1/scheduler", "has a path; give only scheme, host and port"},
      {"m1:5050,,m2:5050", "empty entry in master list"},
      {"m1:5050,", "empty entry in master list"},
      {"m1:5050,zk://z:2181/mesos", "cannot be part of a comma list"},
      {"zk://z1:2181", "zk:// needs a path, e.g. zk://h:2181/mesos"},
      {"zk://z1:2181/", "zk:// needs a path, e.g. zk://h:2181/mesos"},
      {"zk:///mesos", "zk:// needs at least one server"},
      {"zk://z1/mesos", "ZooKeeper server 'z1' has no port (the usual one is 2181: z1:2181)"},
      {"zk://z1:2181,/mesos", "empty entry in the zk:// server list"},
      {"zk://z1:2181//mesos", "has an empty segment"},
      {"zk://z1:2181/a/../b", "may not contain '.' or '..' segments"},
      {"zk://jane@z1:2181/mesos", "zk:// credentials must be user:password"},
      {"zk://:pw@z1:2181/mesos", "zk:// credentials must be user:password"},
      {"file://etc/mesos", "file:// needs an absolute path"},
      {"file:///missing", "cannot read the master address from file:///missing: No such file"},
  };
  for (const BadCase& c : kCases) {
    Result<MasterAddress> address = ParseMasterAddress(c.input, FakeFiles({}));
    ASSERT_FALSE(address.ok()) << "accepted: '" << c.input << "'";
    EXPECT_EQ(address.status().code(), c.input.starts_with("file:///missing")
                                           ? StatusCode::kUnavailable
                                           : StatusCode::kInvalidData)
        << c.input;
    EXPECT_NE(address.message().find(c.error), std::string::npos)
        << "input '" << c.input << "'\n  message: " << address.message()
        << "\n  expected to contain: " << c.error;
  }
}

TEST(ParseMasterAddress, ErrorsNeverShowAPassword) {
  const std::string kInputs[] = {
      "zk://jane:hunter2@z1/mesos",        // server without port
      "zk://jane:hunter2@z1:2181",         // no path
      "zk://jane:hunter2@z1:2181//mesos",  // bad path
      "http://jane:hunter2@m1:5050",       // credentials in a URL
      "jane:hunter2@m1:5050",              // ... or in host:port
      "ftp://jane:hunter2@m1:5050",        // unknown scheme
  };
  for (const std::string& input : kInputs) {
    Result<MasterAddress> address = ParseMasterAddress(input, FakeFiles({}));
    ASSERT_FALSE(address.ok()) << input;
    EXPECT_EQ(address.message().find("hunter2"), std::string::npos) << address.message();
  }
}

TEST(ParseMasterAddress, FileHoldsAnotherForm) {
  FileReader files = FakeFiles({{"/etc/mesos/zk", "zk://z1:2181,z2:2181/mesos\n"},
                                {"/etc/mesos/list", "  m1:5050,m2:5050  "}});
  Result<MasterAddress> zk = ParseMasterAddress("file:///etc/mesos/zk", files);
  ASSERT_TRUE(zk.ok()) << zk.message();
  EXPECT_EQ(Describe(zk.value()), "zk://z1:2181,z2:2181/mesos");
  Result<MasterAddress> list = ParseMasterAddress("file:///etc/mesos/list", files);
  ASSERT_TRUE(list.ok()) << list.message();
  EXPECT_EQ(Describe(list.value()), "http://m1:5050,http://m2:5050");
}

TEST(ParseMasterAddress, FileErrorsNameTheFile) {
  FileReader files =
      FakeFiles({{"/empty", " \n"}, {"/loop", "file:///other"}, {"/bad", "zk://z1:2181"}});
  const BadCase kCases[] = {
      {"file:///empty", "file:///empty is empty; it should hold a master address"},
      {"file:///loop", "file:///loop names another file://"},
      {"file:///bad", "in file:///bad: zk:// needs a path, e.g. zk://h:2181/mesos"},
  };
  for (const BadCase& c : kCases) {
    Result<MasterAddress> address = ParseMasterAddress(c.input, files);
    ASSERT_FALSE(address.ok()) << c.input;
    EXPECT_NE(address.message().find(c.error), std::string::npos) << address.message();
  }
}

TEST(ParseMasterAddress, ReadsARealFileByDefault) {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("master_address_test_" + std::to_string(::getpid()));
  {
    std::ofstream out(path);
    out << "https://m1:5050\n";
  }
  Result<MasterAddress> address = ParseMasterAddress("file://" + path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(address.ok()) << address.message();
  EXPECT_EQ(Describe(address.value()), "https://m1:5050");
}

TEST(HostPort, BracketsIpv6Hosts) {
  EXPECT_EQ((HostPort{"m1", 5050}).ToString(), "m1:5050");
  EXPECT_EQ((HostPort{"::1", 5050}).ToString(), "[::1]:5050");
  EXPECT_EQ((MasterEndpoint{MasterEndpoint::Scheme::kHttps, {"fe80::1", 1}}).Url(),
            "https://[fe80::1]:1");
}

}  // namespace
}  // namespace mlaunch
