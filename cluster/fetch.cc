#include "cluster/fetch.h"

#include <filesystem>
#include <string_view>
#include <system_error>

namespace mlaunch::cluster {
namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.substr(text.size() - suffix.size()) == suffix;
}

bool IsArchive(std::string_view name) {
  for (std::string_view suffix :
       {".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz",
        ".zip", ".gz"}) {
    if (EndsWith(name, suffix)) return true;
  }
  return false;
}

Status Fail(const std::string& uri, const std::string& why) {
  return Status::InvalidData("Failed to fetch '" + uri + "': " + why);
}

Status FetchOne(const mesos::v1::CommandInfo::URI& uri,
                const std::filesystem::path& sandbox) {
  const std::string& value = uri.value();
  if (value.find_first_of(std::string("\\'\0", 3)) != std::string::npos) {
    return Fail(value, "URI contains illegal characters");
  }
  std::string path;
  const auto scheme = value.find("://");
  if (scheme == std::string::npos) {
    path = value;
  } else if (value.compare(0, scheme, "file") == 0) {
    path = value.substr(scheme + 3);
    if (path.rfind("localhost/", 0) == 0) path = path.substr(9);
  } else {
    return Fail(value, "fetching " + value.substr(0, scheme) +
                           ":// URIs is not supported yet");
  }
  if (path.empty() || path[0] != '/') {
    return Fail(value,
                "only absolute paths can be fetched (no --frameworks_home)");
  }
  std::string name = uri.has_output_file() ? uri.output_file()
                                           : value.substr(value.rfind('/') + 1);
  if (name.empty() || name[0] == '/') {
    return Fail(value, "the destination '" + name + "' is not a relative path");
  }
  for (const auto& part : std::filesystem::path(name)) {
    if (part == "..") return Fail(value, "the destination leaves the sandbox");
  }
  if (!uri.executable() && (!uri.has_extract() || uri.extract()) &&
      IsArchive(name)) {
    return Fail(value, "extracting archives is not supported yet");
  }
  const std::filesystem::path destination = sandbox / name;
  std::error_code error;
  std::filesystem::create_directories(destination.parent_path(), error);
  if (!error) {
    std::filesystem::copy_file(
        path, destination, std::filesystem::copy_options::overwrite_existing,
        error);
  }
  if (error) return Fail(value, error.message());
  if (uri.executable()) {
    using std::filesystem::perms;
    std::filesystem::permissions(destination,
                                 perms::owner_all | perms::group_read |
                                     perms::group_exec | perms::others_read |
                                     perms::others_exec,
                                 error);
    if (error) return Fail(value, error.message());
  }
  return Status::Ok();
}

}  // namespace

Status FetchUris(const mesos::v1::CommandInfo& command,
                 const std::string& sandbox) {
  for (const auto& uri : command.uris()) {
    Status status = FetchOne(uri, sandbox);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace mlaunch::cluster
