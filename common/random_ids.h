// Identifiers and keys nobody can guess, and the programs' one source of
// randomness. Everything here comes from the
// operating system's cryptographic source (getrandom(2), through Boost.Uuid's
// random generator and OpenSSL's RAND_bytes), never from a seeded engine: a
// stream id, framework id or executor token that could be predicted would
// let a local process act for someone else. Every uuid the programs make
// comes from here. Thread-safe.
#ifndef MLAUNCH_COMMON_RANDOM_IDS_H_
#define MLAUNCH_COMMON_RANDOM_IDS_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace mlaunch {

// A new RFC 4122 version-4 uuid: its 16 bytes, as Mesos carries uuids in
// protobuf (TaskStatus.uuid), ...
std::string NewUuidBytes();
// ... and as text, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (stream ids, ids).
std::string NewUuid();
// The text form of 16 uuid bytes. REQUIRES: bytes.size() == 16.
std::string UuidText(std::string_view bytes);
// Whether `bytes` are 16 bytes with a known RFC 4122 version (1 to 5), as
// Mesos requires of the uuid an acknowledgement carries.
bool IsVersionedUuid(std::string_view bytes);

// `n` random bytes for a secret key. Aborts if the source fails, which it
// does not once the kernel's pool is initialised (getrandom blocks until
// then): a key that is not random must never be used.
std::string NewSecretKey(std::size_t n);

// A random number in [0, 1), for spreading retries (jitter): from the same
// source, so the programs have one source of randomness.
double RandomFraction();

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_RANDOM_IDS_H_
