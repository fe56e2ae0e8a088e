#include "cluster/executor_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/json_text.h"
#include "common/random_ids.h"
#include "common/sha256.h"

namespace mlaunch::cluster {
namespace {

constexpr std::size_t kKeyBytes = 32;

Status Failed(const std::string& what, const std::string& path) {
  return Status::Error(StatusCode::kInternal, "cannot " + what + " the executor key " + path +
                                                  ": " + std::strerror(errno));
}

Result<std::string> ReadKey(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Failed("read", path);
  std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (key.size() != kKeyBytes) {
    return Status::InvalidData("the executor key " + path + " holds " + std::to_string(key.size()) +
                               " bytes, not " + std::to_string(kKeyBytes) +
                               "; remove it to make a new one");
  }
  return key;
}

// Writes a new key beside `path` and links it there: link() fails when
// another agent made one first, and that one is read instead.
Result<std::string> MakeKey(const std::string& path) {
  std::string temp = path + ".XXXXXX";
  const int fd = mkstemp(temp.data());  // mode 0600
  if (fd < 0) return Failed("create", path);
  const std::string key = NewSecretKey(kKeyBytes);
  const bool written =
      write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && fsync(fd) == 0;
  close(fd);
  const bool linked = written && link(temp.c_str(), path.c_str()) == 0;
  const int link_error = errno;
  unlink(temp.c_str());
  if (linked) return key;
  if (written && link_error == EEXIST) return ReadKey(path);
  errno = link_error;
  return Failed("write", path);
}

}  // namespace

Result<ExecutorTokens> ExecutorTokens::Open(const std::string& key_file) {
  struct stat info {};
  Result<std::string> key =
      stat(key_file.c_str(), &info) == 0 ? ReadKey(key_file) : MakeKey(key_file);
  if (!key.ok()) return key.status();
  return ExecutorTokens(std::move(key).value());
}

std::string ExecutorTokens::Issue(const ExecutorClaims& claims) const {
  const std::string body = Base64Encode(JsonText(
      {{"fid", claims.framework_id}, {"eid", claims.executor_id}, {"cid", claims.container_id}}));
  return body + "." + HmacSha256Hex(key_, body);
}

std::optional<ExecutorClaims> ExecutorTokens::Verify(std::string_view token) const {
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view body = token.substr(0, dot);
  if (!SameBytes(HmacSha256Hex(key_, body), token.substr(dot + 1))) return std::nullopt;
  const std::optional<std::string> json = Base64Decode(body);
  if (!json) return std::nullopt;
  const nlohmann::json claims = nlohmann::json::parse(*json, nullptr, /*allow_exceptions=*/false);
  if (!claims.is_object()) return std::nullopt;
  for (const char* key : {"fid", "eid", "cid"}) {
    if (!claims.contains(key) || !claims[key].is_string()) return std::nullopt;
  }
  return ExecutorClaims{claims["fid"], claims["eid"], claims["cid"]};
}

}  // namespace mlaunch::cluster
