#include "executor/services/checksum.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

namespace mlaunch::executor {

Result<std::string> Sha256OfFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return Status::InvalidData("cannot read " + path + ": " + std::strerror(errno));
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    return Status::Error(StatusCode::kInternal, "SHA-256 is not available");
  }
  char buffer[64 * 1024];
  while (file.read(buffer, sizeof buffer) || file.gcount() > 0) {
    EVP_DigestUpdate(context.get(), buffer, static_cast<size_t>(file.gcount()));
  }
  if (file.bad()) return Status::InvalidData("cannot read " + path);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

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
