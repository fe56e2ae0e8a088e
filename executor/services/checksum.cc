#include "executor/services/checksum.h"

#include "common/sha256.h"

namespace mlaunch::executor {

Status VerifyChecksums(const ServiceConfig& config, const std::string& sandbox) {
  for (const ServiceConfig::Checksum& checksum : config.checksums()) {
    std::string file = checksum.file();
    if (file.empty()) file = checksum.uri().substr(checksum.uri().rfind('/') + 1);
    Result<std::string> actual = Sha256OfFile(sandbox + "/" + file);
    if (!actual.ok()) {
      return Status::InvalidData("cannot check the sha256 of " + checksum.uri() + ": " +
                                 actual.message());
    }
    if (actual.value() != checksum.sha256()) {
      return Status::InvalidData("sha256 mismatch for " + checksum.uri() + ": expected " +
                                 checksum.sha256() + ", got " + actual.value());
    }
  }
  return Status::Ok();
}

}  // namespace mlaunch::executor
