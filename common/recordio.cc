#include "common/recordio.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace mlaunch {
namespace {

constexpr std::size_t kInitialReserve = 64 * 1024;

// A byte as a person would want to see it in an error message.
std::string Describe(char c) {
  if (c == '\r') return "'\\r'";
  if (c >= 0x20 && c < 0x7f) return std::string("'") + c + "'";
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(c));
  return hex;
}

}  // namespace

Status RecordIODecoder::Fail(std::string message) {
  state_ = State::kFailed;
  partial_ = std::string();
  status_ = Status::InvalidData("RecordIO: " + std::move(message));
  return status_;
}

Status RecordIODecoder::Feed(std::string_view chunk, std::vector<std::string>* records) {
  if (state_ == State::kFailed) return status_;
  std::size_t i = 0;
  while (i < chunk.size()) {
    if (state_ == State::kLength) {
      const char c = chunk[i];
      if (c == '\n') {
        if (length_digits_ == 0) {
          return Fail("empty length prefix at stream offset " + std::to_string(offset_));
        }
        if (length_ > max_record_bytes_) {
          return Fail("record of " + std::to_string(length_) + " bytes at stream offset " +
                      std::to_string(prefix_offset_) + " exceeds the limit of " +
                      std::to_string(max_record_bytes_) + " bytes");
        }
        ++i;
        ++offset_;
        if (length_ == 0) {
          records->emplace_back();
        } else {
          state_ = State::kPayload;
          continue;
        }
      } else if (c < '0' || c > '9') {
        return Fail(
            "expected a decimal digit or '\\n' in the length prefix "
            "at stream offset " +
            std::to_string(offset_) + ", got " + Describe(c));
      } else if (length_digits_ == kMaxLengthDigits) {
        return Fail("length prefix at stream offset " + std::to_string(prefix_offset_) +
                    " has more than " + std::to_string(kMaxLengthDigits) + " digits");
      } else {
        const auto digit = static_cast<std::uint64_t>(c - '0');
        constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
        if (length_ > (kMax - digit) / 10) {
          return Fail("length prefix at stream offset " + std::to_string(prefix_offset_) +
                      " does not fit in 64 bits");
        }
        length_ = length_ * 10 + digit;
        ++length_digits_;
        ++i;
        ++offset_;
        continue;
      }
    } else {  // State::kPayload
      const std::size_t wanted = static_cast<std::size_t>(length_) - partial_.size();
      const std::size_t take = std::min(wanted, chunk.size() - i);
      if (partial_.empty() && take == wanted) {
        // The whole record is in this chunk: copy it once, straight out.
        records->emplace_back(chunk.substr(i, take));
      } else {
        // Grow with the bytes that actually arrive: a length prefix alone
        // must not make us allocate up to the limit.
        if (partial_.empty()) partial_.reserve(std::min(wanted, kInitialReserve));
        partial_.append(chunk.substr(i, take));
      }
      i += take;
      offset_ += take;
      if (take < wanted) break;  // need more bytes
      if (!partial_.empty()) {
        records->push_back(std::move(partial_));
        partial_ = std::string();
      }
    }
    // A record just ended: the next length prefix starts here.
    state_ = State::kLength;
    length_ = 0;
    length_digits_ = 0;
    prefix_offset_ = offset_;
  }
  return Status::Ok();
}

Status RecordIODecoder::Finish() {
  switch (state_) {
    case State::kFailed:
      return status_;
    case State::kLength:
      if (length_digits_ == 0) return Status::Ok();
      return Fail("stream ended inside the length prefix at stream offset " +
                  std::to_string(prefix_offset_));
    case State::kPayload:
      return Fail("stream ended inside the record at stream offset " +
                  std::to_string(prefix_offset_) + ": got " + std::to_string(partial_.size()) +
                  " of " + std::to_string(length_) + " bytes");
  }
  return status_;
}

std::string RecordIOEncode(std::string_view record) {
  std::string framed = std::to_string(record.size());
  framed.reserve(framed.size() + 1 + record.size());
  framed += '\n';
  framed.append(record);
  return framed;
}

}  // namespace mlaunch
