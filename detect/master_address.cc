#include "detect/master_address.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/text.h"

namespace mlaunch {
namespace {

constexpr std::string_view kHttp = "http://";
constexpr std::string_view kHttps = "https://";
constexpr std::string_view kZk = "zk://";
constexpr std::string_view kFile = "file://";

constexpr uint16_t kUsualMasterPort = 5050;
constexpr uint16_t kUsualZooKeeperPort = 2181;

Status Invalid(std::string message) { return Status::InvalidData(std::move(message)); }

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t begin = 0;
  while (true) {
    size_t end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end == std::string_view::npos ? end : end - begin));
    if (end == std::string_view::npos) return parts;
    begin = end + 1;
  }
}

bool IsHostNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool IsIpv6Char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' ||
         c == '.';
}

std::string Quote(std::string_view text) { return "'" + std::string(text) + "'"; }

// `item` is "host:port" or "[v6]:port". `what` names the item in errors
// ("master", "ZooKeeper server"); `usual_port` is suggested when the port is
// missing.
Result<HostPort> ParseHostPort(std::string_view item, std::string_view what, uint16_t usual_port) {
  if (item.empty()) return Invalid("empty " + std::string(what) + " address");
  HostPort result;
  std::string_view port_text;
  bool has_port = false;
  if (item.front() == '[') {
    size_t close = item.find(']');
    if (close == std::string_view::npos) {
      return Invalid(std::string(what) + " " + Quote(item) + " has no closing ']'");
    }
    std::string_view host = item.substr(1, close - 1);
    if (host.empty() || host.find(':') == std::string_view::npos) {
      return Invalid(
          std::string(what) + " " + Quote(item) +
          ": brackets are only for IPv6 addresses, e.g. [::1]:" + std::to_string(usual_port));
    }
    for (char c : host) {
      if (!IsIpv6Char(c)) {
        return Invalid(std::string(what) + " " + Quote(item) + " is not a valid IPv6 address");
      }
    }
    result.host = std::string(host);
    std::string_view after = item.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return Invalid(std::string(what) + " " + Quote(item) +
                       ": expected ':' and a port after ']'");
      }
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    size_t colon = item.find(':');
    if (colon != std::string_view::npos && item.find(':', colon + 1) != std::string_view::npos) {
      return Invalid(
          std::string(what) + " " + Quote(item) +
          ": write IPv6 addresses in brackets, e.g. [::1]:" + std::to_string(usual_port));
    }
    std::string_view host = item.substr(0, colon);
    if (host.empty()) return Invalid(std::string(what) + " " + Quote(item) + " has no host");
    for (char c : host) {
      if (!IsHostNameChar(c)) {
        return Invalid(std::string(what) + " " + Quote(item) + ": " + Quote(host) +
                       " is not a valid host name");
      }
    }
    result.host = std::string(host);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = item.substr(colon + 1);
    }
  }
  if (!has_port) {
    return Invalid(std::string(what) + " " + Quote(item) + " has no port (the usual one is " +
                   std::to_string(usual_port) + ": " +
                   HostPort{result.host, usual_port}.ToString() + ")");
  }
  uint32_t port = 0;
  bool digits = !port_text.empty() && port_text.size() <= 5;
  for (char c : port_text) {
    if (c < '0' || c > '9') {
      digits = false;
      break;
    }
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (!digits || port == 0 || port > 65535) {
    return Invalid(std::string(what) + " " + Quote(item) + ": port " + Quote(port_text) +
                   " is not a number from 1 to 65535");
  }
  result.port = static_cast<uint16_t>(port);
  return result;
}

Result<MasterEndpoint> ParseEndpoint(std::string_view item) {
  MasterEndpoint endpoint;
  std::string_view rest = item;
  if (StartsWithNoCase(item, kHttps)) {
    endpoint.scheme = MasterEndpoint::Scheme::kHttps;
    rest = item.substr(kHttps.size());
  } else if (StartsWithNoCase(item, kHttp)) {
    rest = item.substr(kHttp.size());
  } else if (size_t scheme_end = item.find("://"); scheme_end != std::string_view::npos) {
    return Invalid("unsupported scheme " + Quote(item.substr(0, scheme_end)) +
                   " in master address; use host:port, http://, https://, zk:// or file://");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    // Not quoted: what precedes '@' may be a password.
    return Invalid(
        "credentials are not accepted in a master URL; give the principal in "
        "framework.principal and the secret with --secret-file or MESOS_LAUNCH_SECRET");
  }
  if (slash != std::string_view::npos && slash + 1 != rest.size()) {
    return Invalid("master URL " + Quote(item) +
                   " has a path; give only scheme, host and port (mesos-launch adds the API path)");
  }
  Result<HostPort> address = ParseHostPort(authority, "master", kUsualMasterPort);
  if (!address.ok()) return address.status();
  endpoint.address = std::move(address).value();
  return endpoint;
}

Result<MasterAddress> ParseEndpointList(std::string_view text) {
  std::vector<MasterEndpoint> endpoints;
  for (std::string_view raw : Split(text, ',')) {
    std::string_view item = TrimSpace(raw);
    if (item.empty()) {
      return Invalid("empty entry in master list " + Quote(text) +
                     "; separate masters with single commas");
    }
    if (StartsWithNoCase(item, kZk) || StartsWithNoCase(item, kFile)) {
      return Invalid(
          "zk:// and file:// addresses cannot be part of a comma list; a zk:// address lists "
          "its servers itself, e.g. zk://h1:2181,h2:2181/mesos");
    }
    Result<MasterEndpoint> endpoint = ParseEndpoint(item);
    if (!endpoint.ok()) return endpoint.status();
    endpoints.push_back(std::move(endpoint).value());
  }
  return MasterAddress{std::move(endpoints)};
}

Status CheckZooKeeperPath(std::string_view path) {
  for (std::string_view segment : Split(path.substr(1), '/')) {
    if (segment.empty()) {
      return Invalid("zk:// path " + Quote(path) + " has an empty segment ('//')");
    }
    if (segment == "." || segment == "..") {
      return Invalid("zk:// path " + Quote(path) + " may not contain '.' or '..' segments");
    }
    for (char c : segment) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return Invalid("zk:// path " + Quote(path) + " contains a control character");
      }
    }
  }
  return Status::Ok();
}

Result<MasterAddress> ParseZooKeeper(std::string_view text) {
  ZooKeeperTarget target;
  std::string_view rest = text.substr(kZk.size());
  // The last '@' ends the credentials, so a password may contain anything.
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    size_t colon = credentials.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == credentials.size()) {
      return Invalid("zk:// credentials must be user:password, e.g. zk://user:secret@h:2181/mesos");
    }
    target.credentials = ZooKeeperCredentials{std::string(credentials.substr(0, colon)),
                                              std::string(credentials.substr(colon + 1))};
    rest = rest.substr(at + 1);
  }
  size_t slash = rest.find('/');
  std::string_view servers = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return Invalid("zk:// needs a path, e.g. zk://h:2181/mesos");
  if (servers.empty()) return Invalid("zk:// needs at least one server, e.g. zk://h:2181/mesos");
  for (std::string_view raw : Split(servers, ',')) {
    std::string_view item = TrimSpace(raw);
    if (item.empty()) {
      return Invalid("empty entry in the zk:// server list; separate servers with single commas");
    }
    Result<HostPort> server = ParseHostPort(item, "ZooKeeper server", kUsualZooKeeperPort);
    if (!server.ok()) return server.status();
    target.servers.push_back(std::move(server).value());
  }
  if (Status status = CheckZooKeeperPath(path); !status.ok()) return status;
  target.path = std::string(path);
  return MasterAddress{std::move(target)};
}

// Everything but file://.
Result<MasterAddress> ParseDirect(std::string_view text) {
  if (text.empty()) {
    return Invalid("the master address is empty; give host:port, http(s)://host:port or zk://...");
  }
  if (StartsWithNoCase(text, kZk)) return ParseZooKeeper(text);
  return ParseEndpointList(text);
}

}  // namespace

std::string HostPort::ToString() const {
  std::string port_text = ":" + std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]" + port_text;
  return host + port_text;
}

std::string MasterEndpoint::Url() const {
  return std::string(scheme == Scheme::kHttps ? kHttps : kHttp) + address.ToString();
}

std::string ZooKeeperTarget::ConnectString() const {
  std::string out;
  for (const HostPort& server : servers) {
    if (!out.empty()) out += ',';
    out += server.ToString();
  }
  return out;
}

std::string Describe(const MasterAddress& address) {
  if (const auto* zk = std::get_if<ZooKeeperTarget>(&address.target)) {
    std::string out(kZk);
    if (zk->credentials) out += zk->credentials->user + ":***@";
    return out + zk->ConnectString() + zk->path;
  }
  std::string out;
  for (const MasterEndpoint& endpoint : std::get<std::vector<MasterEndpoint>>(address.target)) {
    if (!out.empty()) out += ',';
    out += endpoint.Url();
  }
  return out;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(StatusCode::kUnavailable, std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return Status::Error(StatusCode::kUnavailable, std::strerror(errno));
  return bytes.str();
}

Result<MasterAddress> ParseMasterAddress(std::string_view text, const FileReader& read_file) {
  text = TrimSpace(text);
  if (!StartsWithNoCase(text, kFile)) return ParseDirect(text);

  std::string path(text.substr(kFile.size()));
  if (path.empty() || path.front() != '/') {
    return Invalid("file:// needs an absolute path, e.g. file:///etc/mesos/master");
  }
  std::string name = "file://" + path;
  Result<std::string> content = read_file(path);
  if (!content.ok()) {
    return Status::Error(content.status().code(),
                         "cannot read the master address from " + name + ": " + content.message());
  }
  std::string_view inner = TrimSpace(content.value());
  if (inner.empty()) {
    return Invalid(name +
                   " is empty; it should hold a master address such as host:5050 or "
                   "zk://h:2181/mesos");
  }
  if (StartsWithNoCase(inner, kFile)) {
    return Invalid(name + " names another file://; put the address itself in the file");
  }
  Result<MasterAddress> address = ParseDirect(inner);
  if (!address.ok()) return Invalid("in " + name + ": " + address.message());
  return address;
}

}  // namespace mlaunch
