#include "cluster/fetch.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>

#include "cluster/fetch_cache.h"
#include "common/archive.h"

namespace mlaunch::cluster {
namespace {

namespace fs = std::filesystem;

struct Source {
  bool http = false;
  std::string path;  // of a local source
};

Status Fail(const std::string& uri, const std::string& why) {
  return Status::InvalidData("fetching " + RedactedUrl(uri) + ": " + why);
}

Result<Source> ResolveSource(const std::string& value) {
  if (value.find_first_of(std::string("\\'\0", 3)) != std::string::npos) {
    return Fail(value, "the URI contains an illegal character (\\, ' or NUL)");
  }
  const std::size_t scheme_end = value.find("://");
  if (scheme_end == std::string::npos) {
    if (value.empty() || value.front() != '/') {
      return Fail(value,
                  "a relative path needs --frameworks_home, which this agent "
                  "does not have");
    }
    return Source{false, value};
  }
  const std::string scheme = value.substr(0, scheme_end);
  const std::string rest = value.substr(scheme_end + 3);
  const std::size_t path_start = rest.find('/');
  if (path_start == std::string::npos) {
    return Fail(value, "the URI has no path after its host");
  }
  if (scheme == "file") {
    const std::string host = rest.substr(0, path_start);
    if (!host.empty() && host != "localhost") {
      return Fail(value, "a file:// URI must name a local path, not host '" + host + "'");
    }
    return Source{false, rest.substr(path_start)};
  }
  if (scheme == "http" || scheme == "https") return Source{true, ""};
  return Fail(value, scheme +
                         ":// URIs are not supported (only file://, http://, "
                         "https:// and absolute paths)");
}

}  // namespace

Result<std::string> FetchedName(const mesos::v1::CommandInfo::URI& uri) {
  std::string name;
  if (uri.has_output_file()) {
    name = uri.output_file();
  } else {
    // As Mesos: the text after the last '/', a "?query" included.
    const std::string& value = uri.value();
    name = value.substr(value.rfind('/') + 1);
  }
  if (name.empty()) {
    return Fail(uri.value(),
                "no file name to fetch to (the URI ends in '/'; set "
                "output_file)");
  }
  if (name.front() == '/') {
    return Fail(uri.value(), "output_file '" + name + "' must be a relative path");
  }
  for (const fs::path& part : fs::path(name)) {
    if (part == "..") {
      return Fail(uri.value(), "output_file '" + name + "' leaves the sandbox");
    }
  }
  return name;
}

namespace {

// GETs `uri` into `file`. The error names the status or transport failure
// and how many bytes arrived; a failed download leaves no `file`.
Status DownloadTo(HttpClient& http, const std::string& uri, const std::string& file,
                  const FetchOptions& fetch) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) return Status::InvalidData("cannot create " + file);
  std::uint64_t bytes = 0;
  bool write_failed = false;
  HttpClient::Options options;
  options.timeout = std::chrono::milliseconds(0);  // artifacts may be large
  options.stall_timeout = fetch.stall_timeout;
  options.follow_redirects = true;    // e.g. release downloads
  options.max_response_bytes = 4096;  // of an error page, unused
  auto result = http.Download(uri, {}, options, [&](std::string_view piece) {
    out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    if (!out) {
      write_failed = true;
      return false;
    }
    bytes += piece.size();
    return true;
  });
  out.close();
  const std::string received = " after " + std::to_string(bytes) + " bytes";
  Status status;
  if (write_failed || (result.ok() && !out)) {
    status = Status::InvalidData("cannot write " + file + received);
  } else if (!result.ok()) {
    // The client's message starts "GET <url>: ", which ours already says.
    std::string cause = result.message();
    if (cause.rfind("GET ", 0) == 0 && cause.find(": ") != std::string::npos) {
      cause = cause.substr(cause.find(": ") + 2);
    }
    status = Status::Error(result.status().code(), cause + received);
  } else if (result->status != 200) {
    status = Status::InvalidData("HTTP " + std::to_string(result->status) + received);
  }
  if (!status.ok()) {
    std::error_code error;
    fs::remove(file, error);
  }
  return status;
}

// Puts the URI's content in `file`, from wherever it comes.
Status Obtain(const Source& source, const std::string& uri, const std::string& file,
              const FetchOptions& options) {
  if (source.http) return DownloadTo(*options.http_client, uri, file, options);
  std::error_code error;
  fs::copy_file(source.path, file, fs::copy_options::overwrite_existing, error);
  if (error) {
    return Status::InvalidData("cannot copy " + source.path + ": " + error.message());
  }
  return Status::Ok();
}

Status FetchOne(const mesos::v1::CommandInfo::URI& uri, const fs::path& sandbox,
                const FetchOptions& options) {
  const std::string& value = uri.value();
  Result<Source> source = ResolveSource(value);
  if (!source.ok()) return source.status();
  Result<std::string> name = FetchedName(uri);
  if (!name.ok()) return name.status();
  if (source->http && options.http_client == nullptr) {
    return Fail(value, "this agent has no HTTP client to download with");
  }
  const ArchiveKind kind =
      uri.executable() || !uri.extract() ? ArchiveKind::kNone : ArchiveKindOf(name.value());
  const fs::path destination = sandbox / name.value();
  std::error_code error;
  fs::create_directories(destination.parent_path(), error);
  if (error) {
    return Fail(value,
                "cannot create " + destination.parent_path().string() + ": " + error.message());
  }

  if (uri.cache() && !options.cache_dir.empty()) {
    const FetchCache cache(options.cache_dir);
    Result<std::string> entry = cache.Get(value, [&](const std::string& temporary) {
      return Obtain(source.value(), value, temporary, options);
    });
    if (!entry.ok()) return Fail(value, entry.message());
    if (kind != ArchiveKind::kNone) {
      Status unpacked = Unpack(kind, entry.value(), name.value(), sandbox.string());
      return unpacked.ok() ? unpacked : Fail(value, unpacked.message());
    }
    fs::copy_file(entry.value(), destination, fs::copy_options::overwrite_existing, error);
    if (error) {
      return Fail(value, "cannot copy from the fetch cache: " + error.message());
    }
  } else if (Status obtained = Obtain(source.value(), value, destination.string(), options);
             !obtained.ok()) {
    return Fail(value, obtained.message());
  }

  if (uri.executable()) {
    fs::permissions(destination,
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                        fs::perms::others_read | fs::perms::others_exec,
                    error);
    if (error) return Fail(value, "cannot chmod 0755: " + error.message());
  }
  Status unpacked = Unpack(kind, destination.string(), name.value(), sandbox.string());
  return unpacked.ok() ? unpacked : Fail(value, unpacked.message());
}

}  // namespace

Status FetchUris(const mesos::v1::CommandInfo& command, const std::string& sandbox,
                 const FetchOptions& options) {
  for (const auto& uri : command.uris()) {
    Status status = FetchOne(uri, sandbox, options);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace mlaunch::cluster
