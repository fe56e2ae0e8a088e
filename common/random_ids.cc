#include "common/random_ids.h"

#include <openssl/rand.h>

#include <algorithm>
#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_generators.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <cassert>
#include <cstdint>
#include <cstdlib>

namespace mlaunch {

std::string NewUuidBytes() {
  // The "pure" generator: it asks the operating system for every uuid and
  // holds no state, so forked processes never share a sequence.
  boost::uuids::random_generator generate;
  const boost::uuids::uuid id = generate();
  return std::string(reinterpret_cast<const char*>(id.data), id.size());
}

std::string NewUuid() { return UuidText(NewUuidBytes()); }

std::string UuidText(std::string_view bytes) {
  assert(bytes.size() == 16);
  boost::uuids::uuid id{};
  std::copy_n(bytes.begin(), std::min<std::size_t>(bytes.size(), id.size()), id.begin());
  return boost::uuids::to_string(id);
}

bool IsVersionedUuid(std::string_view bytes) {
  if (bytes.size() != 16) return false;
  boost::uuids::uuid id{};
  std::copy_n(bytes.begin(), id.size(), id.begin());
  return id.version() != boost::uuids::uuid::version_unknown;
}

std::string NewSecretKey(std::size_t n) {
  std::string key(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(n)) != 1) {
    std::abort();
  }
  return key;
}

double RandomFraction() {
  const std::string bytes = NewSecretKey(8);
  std::uint64_t bits = 0;
  for (const char b : bytes) bits = (bits << 8) | static_cast<unsigned char>(b);
  return static_cast<double>(bits >> 11) * 0x1.0p-53;  // 53 random bits: exactly [0, 1)
}

}  // namespace mlaunch
