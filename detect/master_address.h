// Master addresses: what `--master`, MESOS_MASTER and the spec's `master:`
// may say, turned into a value. Either a static list of masters to try in
// turn, or a ZooKeeper ensemble and path under which the masters elect a
// leader (see detect/zk_detector.h).
//
// Accepted forms (schemes are case-insensitive, spaces around list items are
// ignored):
//   host:port                        one master, plain HTTP
//   http://host:port  https://host:port
//   a,b,c                            a comma list of the above, tried in turn
//   zk://[user:password@]host:port[,host:port...]/path
//   file:///absolute/path            a file holding one of the above
// Hosts are names, IPv4 addresses or bracketed IPv6 addresses ([::1]:5050).
//
// A port is always required. Mesos itself refuses `host` without a port, and
// guessing one would be wrong in either direction (5050 is the master's
// default, but an https:// URL behind a proxy usually means 443); the error
// names the usual port so the fix is one edit. URLs may end in one `/` but
// carry no other path: mesos-launch adds the API path itself. Credentials are
// accepted only in zk:// (ZooKeeper digest auth); the password may hold any
// character, while the znode path may not contain `@`. Error messages and
// Describe() never show a password.
//
// Parsing is pure; the only I/O is reading a file:// address, done through
// the FileReader passed in (ReadWholeFile by default). Thread-compatible.
#ifndef MLAUNCH_DETECT_MASTER_ADDRESS_H_
#define MLAUNCH_DETECT_MASTER_ADDRESS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"

namespace mlaunch {

struct HostPort {
  std::string host;  // a name, IPv4, or IPv6 without brackets
  uint16_t port = 0;

  // "host:port", with IPv6 hosts in brackets.
  std::string ToString() const;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// One master to talk to over HTTP(S).
struct MasterEndpoint {
  enum class Scheme { kHttp, kHttps };
  Scheme scheme = Scheme::kHttp;
  HostPort address;

  // "http://host:port" (no trailing slash).
  std::string Url() const;
  friend bool operator==(const MasterEndpoint&, const MasterEndpoint&) = default;
};

struct ZooKeeperCredentials {
  std::string user;
  std::string password;  // never printed
  friend bool operator==(const ZooKeeperCredentials&, const ZooKeeperCredentials&) = default;
};

// Where the masters' leader election lives.
struct ZooKeeperTarget {
  std::vector<HostPort> servers;  // at least one
  std::string path;               // absolute, no trailing slash, e.g. "/mesos"
  std::optional<ZooKeeperCredentials> credentials;

  // The server list in the form the ZooKeeper client takes: "h1:2181,h2:2181".
  std::string ConnectString() const;
  friend bool operator==(const ZooKeeperTarget&, const ZooKeeperTarget&) = default;
};

struct MasterAddress {
  // Masters to try in the order given (at least one), or a ZooKeeper target.
  std::variant<std::vector<MasterEndpoint>, ZooKeeperTarget> target;

  bool is_zookeeper() const { return std::holds_alternative<ZooKeeperTarget>(target); }
  friend bool operator==(const MasterAddress&, const MasterAddress&) = default;
};

// The address as a person should see it in logs and errors: the canonical
// form, with a zk:// password shown as `***`.
std::string Describe(const MasterAddress& address);

// Reads a whole file: its bytes, or an error saying why not.
using FileReader = std::function<Result<std::string>(const std::string& path)>;
Result<std::string> ReadWholeFile(const std::string& path);

// Parses `text` (see the forms above). A file:// address is read through
// `read_file`; its content, without surrounding whitespace, must be one of
// the other forms.
Result<MasterAddress> ParseMasterAddress(std::string_view text,
                                         const FileReader& read_file = ReadWholeFile);

}  // namespace mlaunch

#endif  // MLAUNCH_DETECT_MASTER_ADDRESS_H_
