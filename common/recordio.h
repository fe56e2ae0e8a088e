// RecordIO: the framing of Mesos v1 event streams (docs/mesos-protocol.md, "Event streams").
//
// A stream is a sequence of records, each `<decimal length>\n<length bytes>`,
// with nothing between records: "5\nhello6\nworld!" holds "hello" and
// "world!". RecordIODecoder turns a byte stream, delivered in chunks of any
// size and split anywhere, into whole records; RecordIOEncode frames one.
//
// The decoder is strict: a length is ASCII digits only (no sign, space or
// '\r'), at most 20 digits, and must fit in 64 bits and in the configured
// maximum record size. A zero length is a valid, empty record. The first
// error is final: every later Feed() and Finish() returns the same Status.
// Finish() marks the end of the stream and fails when it cuts a length or a
// record short, so a truncated stream is never mistaken for a complete one.
//
// Pure code: no I/O. Memory: the records, plus the part of one record that
// has arrived so far (never the announced length up front).
// Not thread-safe; use one decoder per stream.
#ifndef MLAUNCH_COMMON_RECORDIO_H_
#define MLAUNCH_COMMON_RECORDIO_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mlaunch {

// Big enough for an OFFERS event listing thousands of agents.
inline constexpr std::size_t kDefaultMaxRecordBytes = 64 * 1024 * 1024;

class RecordIODecoder {
 public:
  explicit RecordIODecoder(std::size_t max_record_bytes = kDefaultMaxRecordBytes)
      : max_record_bytes_(max_record_bytes) {}

  // Decodes `chunk` and appends every record it completes to `*records`, in
  // stream order. Bytes of an incomplete record are kept for the next call.
  // On error, the records completed before the bad byte are still appended.
  // A record longer than the maximum fails as soon as its length is read,
  // before any of its bytes are buffered.
  // REQUIRES: records != nullptr
  Status Feed(std::string_view chunk, std::vector<std::string>* records);

  // Declares the end of the stream: an error when a length prefix or a record
  // is incomplete, or when the stream already failed.
  Status Finish();

  bool failed() const { return state_ == State::kFailed; }
  std::size_t max_record_bytes() const { return max_record_bytes_; }

 private:
  enum class State { kLength, kPayload, kFailed };
  static constexpr int kMaxLengthDigits = 20;  // digits of UINT64_MAX

  Status Fail(std::string message);

  const std::size_t max_record_bytes_;
  State state_ = State::kLength;
  Status status_;
  std::uint64_t length_ = 0;  // the length being read, or of the record
  int length_digits_ = 0;
  std::uint64_t prefix_offset_ = 0;  // where the current length prefix began
  std::uint64_t offset_ = 0;         // bytes consumed from the stream so far
  std::string partial_;              // bytes of the current record so far
};

// Frames one record: its decimal length, '\n', then the bytes unchanged.
std::string RecordIOEncode(std::string_view record);

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_RECORDIO_H_
