#include "common/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

namespace mlaunch {
namespace {

namespace fs = std::filesystem;

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

struct ReadCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};
using Reader = std::unique_ptr<archive, ReadCloser>;
using Writer = std::unique_ptr<archive, WriteCloser>;

std::string ErrorOf(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown libarchive error";
}

// True when `path` is `root` or below it (both absolute, normalised).
bool IsWithin(const fs::path& path, const fs::path& root) {
  const fs::path relative = path.lexically_relative(root);
  return !relative.empty() && *relative.begin() != "..";
}

// An entry's own path (or a hardlink's target) as written in the archive.
Status CheckEntryPath(const std::string& name, const char* what) {
  if (name.empty()) return Status::InvalidData(std::string(what) + " is empty");
  if (name.front() == '/') {
    return Status::InvalidData(std::string(what) + " '" + name + "' is an absolute path");
  }
  for (const fs::path& part : fs::path(name)) {
    if (part == "..") {
      return Status::InvalidData(std::string(what) + " '" + name + "' has a '..' component");
    }
  }
  return Status::Ok();
}

// Where `path` really leads, following the symlinks that exist now.
fs::path Resolved(const fs::path& path) {
  std::error_code error;
  fs::path resolved = fs::weakly_canonical(path, error);
  return error ? path.lexically_normal() : resolved;
}

Status Refuse(const std::string& name, const std::string& why) {
  return Status::InvalidData("archive entry '" + name + "' " + why);
}

Reader OpenReader(const std::string& path, bool raw, Status* status) {
  Reader reader(archive_read_new());
  if (!reader) {
    *status = Status::Error(StatusCode::kInternal, "cannot set up libarchive");
    return nullptr;
  }
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_filter_bzip2(reader.get());
  archive_read_support_filter_xz(reader.get());
  if (raw) {
    archive_read_support_format_raw(reader.get());
  } else {
    archive_read_support_format_tar(reader.get());
    archive_read_support_format_zip(reader.get());
  }
  if (archive_read_open_filename(reader.get(), path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    *status = Status::InvalidData("cannot read the archive: " + ErrorOf(reader.get()));
    return nullptr;
  }
  return reader;
}

// Copies the current entry's data from `reader` to `writer`.
Status CopyData(archive* reader, archive* writer) {
  const void* block = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  for (;;) {
    const int read = archive_read_data_block(reader, &block, &size, &offset);
    if (read == ARCHIVE_EOF) return Status::Ok();
    if (read < ARCHIVE_WARN) {
      return Status::InvalidData("cannot read the archive: " + ErrorOf(reader));
    }
    if (archive_write_data_block(writer, block, size, offset) < ARCHIVE_WARN) {
      return Status::InvalidData("cannot write: " + ErrorOf(writer));
    }
  }
}

// Checks one entry and points it into `root`. REQUIRES: root canonical.
Status Place(archive_entry* entry, const fs::path& root) {
  const char* raw_name = archive_entry_pathname(entry);
  const std::string name = raw_name != nullptr ? raw_name : "";
  if (Status ok = CheckEntryPath(name, "archive entry"); !ok.ok()) return ok;
  const fs::path target = (root / name).lexically_normal();
  // Nothing on the way may lead elsewhere: a symlink made by an earlier
  // entry, or one that was there before.
  if (!IsWithin(Resolved(target.parent_path()), root)) {
    return Refuse(name,
                  "would be written through a symlink leading outside "
                  "the sandbox");
  }
  if (const char* hardlink = archive_entry_hardlink(entry)) {
    const std::string link = hardlink;
    if (Status ok = CheckEntryPath(link, "hardlink target"); !ok.ok()) {
      return Refuse(name, "is a hardlink whose target '" + link + "' leaves the sandbox");
    }
    const fs::path link_target = (root / link).lexically_normal();
    if (!IsWithin(Resolved(link_target), root)) {
      return Refuse(name, "is a hardlink to '" + link + "', which leads outside the sandbox");
    }
    // Not normalised: libarchive's own ".." guard sees what we saw.
    archive_entry_set_hardlink(entry, (root / link).c_str());
  } else {
    switch (archive_entry_filetype(entry)) {
      case AE_IFREG:
      case AE_IFDIR:
        break;
      case AE_IFLNK: {
        const char* raw_link = archive_entry_symlink(entry);
        const std::string link = raw_link != nullptr ? raw_link : "";
        if (link.empty() || link.front() == '/' ||
            !IsWithin((target.parent_path() / link).lexically_normal(), root)) {
          return Refuse(name, "is a symlink to '" + link + "', outside the sandbox");
        }
        break;
      }
      default:
        return Refuse(name, "is a device, FIFO or socket");
    }
  }
  archive_entry_set_pathname(entry, (root / name).c_str());
  // Owner-independent permissions: no set-id or sticky bits.
  archive_entry_set_perm(entry, archive_entry_perm(entry) & 0777);
  return Status::Ok();
}

}  // namespace

ArchiveKind ArchiveKindOf(std::string_view name) {
  for (std::string_view suffix :
       {".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip"}) {
    if (EndsWith(name, suffix)) return ArchiveKind::kArchive;
  }
  if (EndsWith(name, ".gz")) return ArchiveKind::kGzip;
  return ArchiveKind::kNone;
}

Status ExtractArchive(const std::string& archive_path, const std::string& destination) {
  std::error_code error;
  const fs::path root = fs::canonical(destination, error);
  if (error) {
    return Status::InvalidData("cannot extract into " + destination + ": " + error.message());
  }
  Status status;
  Reader reader = OpenReader(archive_path, /*raw=*/false, &status);
  if (!reader) return status;
  Writer writer(archive_write_disk_new());
  if (!writer) {
    return Status::Error(StatusCode::kInternal, "cannot set up libarchive");
  }
  // libarchive's own guards, besides ours in Place(). Absolute paths are
  // ours to refuse: every path handed to the writer is absolute.
  archive_write_disk_set_options(writer.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                   ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                   ARCHIVE_EXTRACT_SECURE_NODOTDOT);

  std::vector<std::pair<std::string, fs::path>> symlinks;
  for (;;) {
    archive_entry* entry = nullptr;
    const int read = archive_read_next_header(reader.get(), &entry);
    if (read == ARCHIVE_EOF) break;
    if (read < ARCHIVE_WARN) {
      return Status::InvalidData("cannot read the archive: " + ErrorOf(reader.get()));
    }
    const char* raw_name = archive_entry_pathname(entry);
    const std::string name = raw_name != nullptr ? raw_name : "";
    if (Status placed = Place(entry, root); !placed.ok()) return placed;
    if (archive_write_header(writer.get(), entry) < ARCHIVE_WARN) {
      return Refuse(name, "cannot be extracted: " + ErrorOf(writer.get()));
    }
    if (archive_entry_hardlink(entry) == nullptr && archive_entry_filetype(entry) == AE_IFLNK) {
      symlinks.emplace_back(name, archive_entry_pathname(entry));
    } else if (archive_entry_size(entry) > 0) {
      if (Status copied = CopyData(reader.get(), writer.get()); !copied.ok()) {
        return Refuse(name, copied.message());
      }
    }
    if (archive_write_finish_entry(writer.get()) < ARCHIVE_WARN) {
      return Refuse(name, "cannot be extracted: " + ErrorOf(writer.get()));
    }
  }
  if (archive_write_close(writer.get()) < ARCHIVE_WARN) {
    return Status::InvalidData("cannot finish extracting: " + ErrorOf(writer.get()));
  }
  // Chains of symlinks can lead out where each alone stays in: check where
  // each one really leads, now that all exist.
  for (const auto& [name, path] : symlinks) {
    if (!IsWithin(Resolved(path), root)) {
      fs::remove(path, error);
      return Refuse(name, "is a symlink leading outside the sandbox");
    }
  }
  return Status::Ok();
}

Status Gunzip(const std::string& gz, const std::string& destination) {
  Status status;
  Reader reader = OpenReader(gz, /*raw=*/true, &status);
  if (!reader) return status;
  archive_entry* entry = nullptr;
  if (archive_read_next_header(reader.get(), &entry) != ARCHIVE_OK) {
    return Status::InvalidData("cannot decompress: " + ErrorOf(reader.get()));
  }
  Writer writer(archive_write_disk_new());
  if (!writer) {
    return Status::Error(StatusCode::kInternal, "cannot set up libarchive");
  }
  archive_write_disk_set_options(writer.get(), ARCHIVE_EXTRACT_TIME);
  archive_entry_set_pathname(entry, destination.c_str());
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  std::error_code error;
  fs::remove(destination, error);
  if (archive_write_header(writer.get(), entry) < ARCHIVE_WARN) {
    return Status::InvalidData("cannot create " + destination + ": " + ErrorOf(writer.get()));
  }
  if (Status copied = CopyData(reader.get(), writer.get()); !copied.ok()) {
    return copied;
  }
  if (archive_write_finish_entry(writer.get()) < ARCHIVE_WARN ||
      archive_write_close(writer.get()) < ARCHIVE_WARN) {
    return Status::InvalidData("cannot write " + destination + ": " + ErrorOf(writer.get()));
  }
  return Status::Ok();
}

Status Unpack(ArchiveKind kind, const std::string& file, const std::string& name,
              const std::string& directory) {
  if (kind == ArchiveKind::kArchive) return ExtractArchive(file, directory);
  if (kind == ArchiveKind::kGzip) {
    const std::string base = fs::path(name).filename().string();
    return Gunzip(file, (fs::path(directory) / base.substr(0, base.size() - 3)).string());
  }
  return Status::Ok();
}

}  // namespace mlaunch
