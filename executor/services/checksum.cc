#include "executor/services/checksum.h"

#include "common/archive.h"
#include "common/sha256.h"

namespace mlaunch::executor {

namespace {

std::string FileOf(const ServiceConfig::Checksum& checksum) {
  if (!checksum.file().empty()) return checksum.file();
  return checksum.uri().substr(checksum.uri().rfind('/') + 1);
}

}  // namespace

Status VerifyChecksums(const ServiceConfig& config, const std::string& sandbox) {
  for (const ServiceConfig::Checksum& checksum : config.checksums()) {
    Result<std::string> actual = Sha256OfFile(sandbox + "/" + FileOf(checksum));
    if (!actual.ok()) {
      return Status::InvalidData("cannot check the sha256 of " + checksum.uri() + ": " +
                                 actual.message());
    }
    if (actual.value() != checksum.sha256()) {
      return Status::InvalidData("sha256 mismatch for " + checksum.uri() + ": expected " +
                                 checksum.sha256() + ", got " + actual.value());
    }
  }
  // Every one holds: only now is any archive opened.
  for (const ServiceConfig::Checksum& checksum : config.checksums()) {
    if (!checksum.extract()) continue;
    const std::string file = FileOf(checksum);
    Status unpacked = Unpack(ArchiveKindOf(file), sandbox + "/" + file, file, sandbox);
    if (!unpacked.ok()) {
      return Status::InvalidData("cannot extract " + checksum.uri() + ": " + unpacked.message());
    }
  }
  return Status::Ok();
}

}  // namespace mlaunch::executor
