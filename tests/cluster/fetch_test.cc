// The fetcher against a loopback HttpServer and a real CurlHttpClient, with
// archives written in the test by libarchive's write API.
#include "cluster/fetch.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/archive.h"
#include "common/curl_http_client.h"
#include "common/http_server.h"
#include "tests/fakes/temp_dir.h"

namespace mlaunch::cluster {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::perms PermsOf(const fs::path& path) { return fs::status(path).permissions() & fs::perms::mask; }

// One archive entry to write.
struct Entry {
  enum Type { kFile, kDir, kSymlink, kHardlink, kCharDevice } type = kFile;
  std::string name;
  std::string content;  // kFile
  int mode = 0644;
  std::string link;  // kSymlink, kHardlink
};

Entry File(std::string name, std::string content, int mode = 0644) {
  return {Entry::kFile, std::move(name), std::move(content), mode, ""};
}
Entry Dir(std::string name) { return {Entry::kDir, std::move(name), "", 0755, ""}; }
Entry Symlink(std::string name, std::string target) {
  return {Entry::kSymlink, std::move(name), "", 0777, std::move(target)};
}
Entry Hardlink(std::string name, std::string target) {
  return {Entry::kHardlink, std::move(name), "", 0644, std::move(target)};
}

enum class Format { kTar, kTarGz, kTarBz2, kTarXz, kZip };

// Writes `entries` as an archive of `format` to `path`.
void WriteArchive(const fs::path& path, Format format, const std::vector<Entry>& entries) {
  archive* out = archive_write_new();
  ASSERT_NE(out, nullptr);
  if (format == Format::kZip) {
    ASSERT_EQ(archive_write_set_format_zip(out), ARCHIVE_OK);
  } else {
    ASSERT_EQ(archive_write_set_format_pax_restricted(out), ARCHIVE_OK);
  }
  if (format == Format::kTarGz) archive_write_add_filter_gzip(out);
  if (format == Format::kTarBz2) archive_write_add_filter_bzip2(out);
  if (format == Format::kTarXz) archive_write_add_filter_xz(out);
  ASSERT_EQ(archive_write_open_filename(out, path.c_str()), ARCHIVE_OK)
      << archive_error_string(out);
  for (const Entry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_perm(entry, e.mode);
    switch (e.type) {
      case Entry::kFile:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
        break;
      case Entry::kDir:
        archive_entry_set_filetype(entry, AE_IFDIR);
        break;
      case Entry::kSymlink:
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, e.link.c_str());
        break;
      case Entry::kHardlink:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, e.link.c_str());
        break;
      case Entry::kCharDevice:
        archive_entry_set_filetype(entry, AE_IFCHR);
        archive_entry_set_rdev(entry, makedev(1, 3));
        break;
    }
    ASSERT_EQ(archive_write_header(out, entry), ARCHIVE_OK)
        << e.name << ": " << archive_error_string(out);
    if (e.type == Entry::kFile && !e.content.empty()) {
      ASSERT_EQ(archive_write_data(out, e.content.data(), e.content.size()),
                static_cast<la_ssize_t>(e.content.size()));
    }
    archive_entry_free(entry);
  }
  ASSERT_EQ(archive_write_close(out), ARCHIVE_OK);
  archive_write_free(out);
}

// A gzip-compressed single file.
void WriteGzip(const fs::path& path, const std::string& content) {
  archive* out = archive_write_new();
  archive_write_set_format_raw(out);
  archive_write_add_filter_gzip(out);
  ASSERT_EQ(archive_write_open_filename(out, path.c_str()), ARCHIVE_OK);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_pathname(entry, "data");
  archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
  ASSERT_EQ(archive_write_header(out, entry), ARCHIVE_OK);
  archive_write_data(out, content.data(), content.size());
  archive_entry_free(entry);
  archive_write_close(out);
  archive_write_free(out);
}

// Serves files by path from a map; counts requests per path.
class FetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::canonical(temp_.path());
    sandbox_ = root_ / "sandbox";
    outside_ = root_ / "outside";
    fs::create_directories(sandbox_);
    fs::create_directories(outside_);
    auto started = HttpServer::Start({}, [this](const HttpServer::Request& r) { return Serve(r); });
    ASSERT_TRUE(started.ok()) << started.message();
    server_ = std::move(started).value();
    options_.http_client = &client_;
    options_.stall_timeout = std::chrono::seconds(1);
  }

  void TearDown() override { server_.reset(); }

  HttpServer::Response Serve(const HttpServer::Request& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string path(request.path());
    ++requests_[path];
    if (path == "/redirect") {
      HttpServer::Response response;
      response.status = 302;
      response.headers.Add("Location", "/files/app.bin");
      return response;
    }
    if (path == "/stall") {
      HttpServer::Response response;
      response.stream = std::make_shared<ResponseStream>();
      response.stream->Write("abc");  // then nothing
      return response;
    }
    auto found = files_.find(path);
    if (found == files_.end()) return HttpServer::Response::Text(404, "no");
    return HttpServer::Response::Text(200, found->second);
  }

  void Serve(const std::string& path, std::string content) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[path] = std::move(content);
  }
  // Serves an archive written to a file.
  void ServeFile(const std::string& path, const fs::path& file) { Serve(path, ReadFile(file)); }
  int Requests(const std::string& path) {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_[path];
  }
  std::string Url(const std::string& path) { return server_->url() + path; }

  static mesos::v1::CommandInfo Command(const std::string& uri) {
    mesos::v1::CommandInfo command;
    command.add_uris()->set_value(uri);
    return command;
  }

  Status Fetch(const mesos::v1::CommandInfo& command) {
    return FetchUris(command, sandbox_.string(), options_);
  }

  // Names everything under `dir`, relative to it.
  static std::vector<std::string> Tree(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      names.push_back(entry.path().lexically_relative(dir).string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  const mlaunch::testing::TempDir temp_{"fetch-test"};
  fs::path root_, sandbox_, outside_;
  CurlHttpClient client_;
  FetchOptions options_;
  std::unique_ptr<HttpServer> server_;

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> files_;
  std::map<std::string, int> requests_;
};

TEST_F(FetchTest, HttpUriLandsUnderItsBasenameWithTheQuery) {
  Serve("/files/app.bin", "binary\x01\x02");
  ASSERT_TRUE(Fetch(Command(Url("/files/app.bin?token=1"))).ok());
  // As Mesos names it: the text after the last '/', the query kept.
  EXPECT_EQ(Tree(sandbox_), std::vector<std::string>{"app.bin?token=1"});
  EXPECT_EQ(ReadFile(sandbox_ / "app.bin?token=1"), "binary\x01\x02");
  EXPECT_EQ(PermsOf(sandbox_ / "app.bin?token=1") & fs::perms::owner_exec,
            fs::perms::none);  // not executable by default
}

TEST_F(FetchTest, ArchiveWithAQueryIsNotExtractedUnlessNamedByOutputFile) {
  WriteArchive(root_ / "site.tar", Format::kTar, {File("index.html", "hi")});
  ServeFile("/files/site.tar", root_ / "site.tar");
  ASSERT_TRUE(Fetch(Command(Url("/files/site.tar?v=2"))).ok());
  EXPECT_EQ(Tree(sandbox_), std::vector<std::string>{"site.tar?v=2"});

  fs::remove_all(sandbox_);
  fs::create_directories(sandbox_);
  auto named = Command(Url("/files/site.tar?v=2"));
  named.mutable_uris(0)->set_output_file("site.tar");
  ASSERT_TRUE(Fetch(named).ok());
  EXPECT_EQ(ReadFile(sandbox_ / "index.html"), "hi");
}

TEST_F(FetchTest, RedirectsAreFollowed) {
  Serve("/files/app.bin", "moved");
  auto command = Command(Url("/redirect"));
  command.mutable_uris(0)->set_output_file("app");
  Status status = Fetch(command);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(ReadFile(sandbox_ / "app"), "moved");
  EXPECT_EQ(Requests("/files/app.bin"), 1);
}

TEST_F(FetchTest, NotFoundNamesTheUriTheStatusAndTheBytes) {
  const std::string uri = Url("/missing/app.tgz");
  Status status = Fetch(Command(uri));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "fetching " + uri + ": HTTP 404 after 0 bytes");
  EXPECT_TRUE(Tree(sandbox_).empty());  // no partial file
}

TEST_F(FetchTest, StalledDownloadNamesTheBytesReceived) {
  const std::string uri = Url("/stall");
  auto command = Command(uri);
  command.mutable_uris(0)->set_output_file("slow");
  Status status = Fetch(command);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "fetching " + uri +
                                  ": no data received for 1000 ms after 3 "
                                  "bytes");
  EXPECT_FALSE(fs::exists(sandbox_ / "slow"));
}

TEST_F(FetchTest, ConnectionRefusedNamesTheTransportError) {
  const std::string uri = Url("/x.bin");
  server_.reset();  // nothing listens there now
  Status status = Fetch(Command(uri));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind("fetching " + uri + ": ", 0), 0u);
  EXPECT_NE(status.message().find("after 0 bytes"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("onnect"), std::string::npos) << status.message();
}

TEST_F(FetchTest, CredentialsInTheUriStayOutOfTheMessage) {
  const std::string uri = server_->url().replace(7, 0, "user:hunter2@") + "/x";
  Status status = Fetch(Command(uri));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().find("hunter2"), std::string::npos) << status.message();
  EXPECT_EQ(status.message(), "fetching " + Url("/x") + ": HTTP 404 after 0 bytes");
}

TEST_F(FetchTest, WithoutAnHttpClientDownloadsFail) {
  options_.http_client = nullptr;
  Status status = Fetch(Command(Url("/a")));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "fetching " + Url("/a") +
                                  ": this agent has no HTTP client to "
                                  "download with");
}

TEST_F(FetchTest, BadUrisAndDestinationsAreRefused) {
  const std::map<std::string, std::string> cases = {
      {"http://127.0.0.1", "the URI has no path after its host"},
      {"hdfs://nn/x", "hdfs:// URIs are not supported"},
      {"relative/x", "needs --frameworks_home"},
      {"file://otherhost/x", "must name a local path"},
      {"/tmp/it's", "illegal character"},
      {"/tmp/back\\slash", "illegal character"},
      {std::string("/tmp/nul\0x", 10), "illegal character"},
  };
  for (const auto& [uri, why] : cases) {
    Status status = Fetch(Command(uri));
    ASSERT_FALSE(status.ok()) << uri;
    EXPECT_EQ(status.message().rfind("fetching " + uri + ": ", 0), 0u) << status.message();
    EXPECT_NE(status.message().find(why), std::string::npos) << status.message();
  }
  for (const std::string output : {"../x", "/abs", "a/../../x"}) {
    auto command = Command(Url("/a"));
    command.mutable_uris(0)->set_output_file(output);
    Status status = Fetch(command);
    ASSERT_FALSE(status.ok()) << output;
    EXPECT_NE(status.message().find("output_file '" + output + "'"), std::string::npos)
        << status.message();
  }
  EXPECT_EQ(Requests("/a"), 0);
}

TEST_F(FetchTest, OutputFileAndExecutable) {
  WriteArchive(root_ / "a.tgz", Format::kTarGz, {File("inner", "i")});
  ServeFile("/a.tgz", root_ / "a.tgz");
  auto command = Command(Url("/a.tgz"));
  command.mutable_uris(0)->set_output_file("bin/tool.tgz");
  command.mutable_uris(0)->set_executable(true);  // so not extracted
  Status status = Fetch(command);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(ReadFile(sandbox_ / "bin/tool.tgz"), ReadFile(root_ / "a.tgz"));
  EXPECT_EQ(PermsOf(sandbox_ / "bin/tool.tgz"), static_cast<fs::perms>(0755));
  EXPECT_FALSE(fs::exists(sandbox_ / "inner"));
}

TEST_F(FetchTest, ExtractFalseKeepsTheArchiveAsItIs) {
  WriteArchive(root_ / "a.tar", Format::kTar, {File("inner", "i")});
  ServeFile("/a.tar", root_ / "a.tar");
  auto command = Command(Url("/a.tar"));
  command.mutable_uris(0)->set_extract(false);
  ASSERT_TRUE(Fetch(command).ok());
  EXPECT_EQ(Tree(sandbox_), std::vector<std::string>{"a.tar"});
}

TEST_F(FetchTest, PlainGzipIsDecompressedIntoTheSandboxRoot) {
  WriteGzip(root_ / "notes.txt.gz", "hello, gzip\n");
  ServeFile("/notes.txt.gz", root_ / "notes.txt.gz");
  auto command = Command(Url("/notes.txt.gz"));
  command.mutable_uris(0)->set_output_file("sub/notes.txt.gz");
  Status status = Fetch(command);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(ReadFile(sandbox_ / "notes.txt"), "hello, gzip\n");
  EXPECT_TRUE(fs::exists(sandbox_ / "sub/notes.txt.gz"));
}

// For test names in ctest: the archive's name.
void PrintTo(const std::pair<Format, std::string>& param, std::ostream* out) {
  *out << param.second;
}

class FetchArchiveTest : public FetchTest,
                         public ::testing::WithParamInterface<std::pair<Format, std::string>> {};

TEST_P(FetchArchiveTest, ExtractsNestedDirectoriesAndTheExecutableBit) {
  const auto& [format, name] = GetParam();
  WriteArchive(root_ / name, format,
               {Dir("app/"), Dir("app/bin/"), File("app/bin/run", "#!/bin/sh\n", 0755),
                File("app/conf/nested/a.txt", "conf"), Symlink("app/current", "bin/run")});
  ServeFile("/dl/" + name, root_ / name);
  auto command = Command(Url("/dl/" + name));
  command.mutable_uris(0)->set_output_file("archives/" + name);
  Status status = Fetch(command);
  ASSERT_TRUE(status.ok()) << status.message();
  // Into the sandbox root, not next to the output_file; the archive stays.
  EXPECT_EQ(ReadFile(sandbox_ / "app/bin/run"), "#!/bin/sh\n");
  EXPECT_EQ(PermsOf(sandbox_ / "app/bin/run") & fs::perms::owner_exec, fs::perms::owner_exec);
  EXPECT_EQ(ReadFile(sandbox_ / "app/conf/nested/a.txt"), "conf");
  EXPECT_EQ(PermsOf(sandbox_ / "app/conf/nested/a.txt") & fs::perms::owner_exec, fs::perms::none);
  EXPECT_EQ(fs::read_symlink(sandbox_ / "app/current"), "bin/run");
  EXPECT_TRUE(fs::exists(sandbox_ / "archives" / name));
}

INSTANTIATE_TEST_SUITE_P(Formats, FetchArchiveTest,
                         ::testing::Values(std::pair{Format::kTar, std::string("app.tar")},
                                           std::pair{Format::kTarGz, std::string("app.tar.gz")},
                                           std::pair{Format::kTarGz, std::string("app.tgz")},
                                           std::pair{Format::kTarBz2, std::string("app.tar.bz2")},
                                           std::pair{Format::kTarBz2, std::string("app.tbz2")},
                                           std::pair{Format::kTarXz, std::string("app.tar.xz")},
                                           std::pair{Format::kTarXz, std::string("app.txz")},
                                           std::pair{Format::kZip, std::string("app.zip")}),
                         [](const auto& param_info) {
                           std::string name = param_info.param.second;
                           for (char& c : name) {
                             if (c == '.') c = '_';
                           }
                           return name;
                         });

// A hostile archive: its entries, and the entry the message must name.
struct Hostile {
  std::string label;
  std::vector<Entry> entries;
  std::string bad_entry;
};

TEST_F(FetchTest, HostileArchivesFailAndWriteNothingOutsideTheSandbox) {
  const std::string outside = outside_.string();
  Entry device{Entry::kCharDevice, "dev/null", "", 0666, ""};
  const std::vector<Hostile> cases = {
      {"dotdot", {File("ok.txt", "ok"), File("../outside/escape", "x")}, "../outside/escape"},
      {"nested_dotdot", {File("a/../../outside/escape", "x")}, "a/../../outside/escape"},
      {"absolute", {File(outside + "/abs", "x")}, outside + "/abs"},
      {"symlink_to_etc", {Symlink("etc", "/etc"), File("etc/pwned", "x")}, "etc"},
      {"symlink_out", {Symlink("out", outside), File("out/pwned", "x")}, "out"},
      {"relative_symlink_out", {Symlink("up", "../outside"), File("up/pwned", "x")}, "up"},
      // Each link alone stays inside; together they lead out.
      {"symlink_chain",
       {Symlink("self", "."), Symlink("b", "self/../outside"), File("b/pwned", "x")},
       "b/pwned"},
      {"hardlink_absolute", {Hardlink("hl", "/etc/passwd")}, "hl"},
      {"hardlink_out", {Hardlink("hl", "../outside/target")}, "hl"},
      {"device", {device}, "dev/null"},
  };
  std::ofstream(outside_ / "target") << "target";
  for (const Hostile& hostile : cases) {
    SCOPED_TRACE(hostile.label);
    const std::string name = hostile.label + ".tar";
    WriteArchive(root_ / name, Format::kTar, hostile.entries);
    ServeFile("/" + name, root_ / name);
    const std::string uri = Url("/" + name);
    Status status = Fetch(Command(uri));
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message().rfind(
                  "fetching " + uri + ": archive entry '" + hostile.bad_entry + "'", 0),
              0u)
        << status.message();
    EXPECT_EQ(Tree(outside_), std::vector<std::string>{"target"});
    EXPECT_EQ(ReadFile(outside_ / "target"), "target");
    EXPECT_FALSE(fs::exists(root_ / "escape"));
    EXPECT_FALSE(fs::exists("/etc/pwned"));
  }
}

TEST_F(FetchTest, CachedUriIsDownloadedOnceAndCopiedToEachSandbox) {
  options_.cache_dir = (root_ / "cache").string();
  Serve("/tool", "cached tool");
  auto command = Command(Url("/tool"));
  command.mutable_uris(0)->set_cache(true);
  command.mutable_uris(0)->set_executable(true);
  ASSERT_TRUE(Fetch(command).ok());
  const fs::path first = sandbox_;
  sandbox_ = root_ / "sandbox2";
  fs::create_directories(sandbox_);
  Status status = Fetch(command);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(Requests("/tool"), 1);
  EXPECT_EQ(ReadFile(first / "tool"), "cached tool");
  EXPECT_EQ(ReadFile(sandbox_ / "tool"), "cached tool");
  EXPECT_EQ(PermsOf(sandbox_ / "tool"), static_cast<fs::perms>(0755));
  const auto entries = Tree(root_ / "cache");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].size(), 64u);  // SHA-256, in hex
  // The cached copy is not the sandbox's: chmod there did not reach it.
  EXPECT_EQ(PermsOf(root_ / "cache" / entries[0]), static_cast<fs::perms>(0644));
}

TEST_F(FetchTest, CachedArchiveIsExtractedFromTheCacheOnly) {
  options_.cache_dir = (root_ / "cache").string();
  WriteArchive(root_ / "site.tgz", Format::kTarGz, {File("www/index.html", "hi")});
  ServeFile("/site.tgz", root_ / "site.tgz");
  auto command = Command(Url("/site.tgz"));
  command.mutable_uris(0)->set_cache(true);
  ASSERT_TRUE(Fetch(command).ok());
  EXPECT_EQ(Tree(sandbox_), (std::vector<std::string>{"www", "www/index.html"}));
}

TEST_F(FetchTest, FailedCachedDownloadLeavesNoEntry) {
  options_.cache_dir = (root_ / "cache").string();
  auto command = Command(Url("/absent"));
  command.mutable_uris(0)->set_cache(true);
  Status status = Fetch(command);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "fetching " + Url("/absent") + ": HTTP 404 after 0 bytes");
  EXPECT_TRUE(Tree(root_ / "cache").empty());
  Serve("/absent", "now here");  // a later fetch tries again
  ASSERT_TRUE(Fetch(command).ok());
  EXPECT_EQ(ReadFile(sandbox_ / "absent"), "now here");
}

TEST_F(FetchTest, ConcurrentCachedFetchesOfOneUriAgree) {
  options_.cache_dir = (root_ / "cache").string();
  const std::string content(512 * 1024, 'c');
  Serve("/big", content);
  auto command = Command(Url("/big"));
  command.mutable_uris(0)->set_cache(true);
  std::vector<std::thread> threads;
  std::atomic<int> failures = 0;
  for (int i = 0; i < 4; ++i) {
    const fs::path sandbox = root_ / ("concurrent" + std::to_string(i));
    fs::create_directories(sandbox);
    threads.emplace_back([&, sandbox] {
      if (!FetchUris(command, sandbox.string(), options_).ok()) ++failures;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(ReadFile(root_ / ("concurrent" + std::to_string(i)) / "big") == content);
  }
  const auto entries = Tree(root_ / "cache");
  ASSERT_EQ(entries.size(), 1u);  // no temporary files left
  EXPECT_TRUE(ReadFile(root_ / "cache" / entries[0]) == content);
}

TEST_F(FetchTest, LocalFilesAreCachedToo) {
  options_.cache_dir = (root_ / "cache").string();
  std::ofstream(root_ / "local.txt") << "v1";
  auto command = Command("file://" + (root_ / "local.txt").string());
  command.mutable_uris(0)->set_cache(true);
  ASSERT_TRUE(Fetch(command).ok());
  std::ofstream(root_ / "local.txt") << "v2";  // never refreshed
  fs::remove(sandbox_ / "local.txt");
  ASSERT_TRUE(Fetch(command).ok());
  EXPECT_EQ(ReadFile(sandbox_ / "local.txt"), "v1");
}

TEST(ArchiveKindOf, FollowsTheDestinationName) {
  for (const char* name :
       {"a.tar", "a.tgz", "a.tar.gz", "a.tbz2", "a.tar.bz2", "a.txz", "a.tar.xz", "a.zip"}) {
    EXPECT_EQ(ArchiveKindOf(name), ArchiveKind::kArchive) << name;
  }
  EXPECT_EQ(ArchiveKindOf("a.gz"), ArchiveKind::kGzip);
  EXPECT_EQ(ArchiveKindOf("a.tgz?x=1"), ArchiveKind::kNone);
  EXPECT_EQ(ArchiveKindOf("a.bin"), ArchiveKind::kNone);
}

}  // namespace
}  // namespace mlaunch::cluster
