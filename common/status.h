// Status and Result<T>: how fallible functions report failure, as values.
//
// A Status is either ok or an error with a code (what kind of failure, so a
// caller can decide to retry) and a message a person can act on. Result<T>
// holds either a T or an error Status. Both are [[nodiscard]]: ignoring a
// failure must be a visible decision (`(void)`), not an accident.
//
// Pure code: no I/O. Values; copy and move freely. Nothing here throws.
// Calling value() on an error Result is a programming error (an assert).
#ifndef MLAUNCH_COMMON_STATUS_H_
#define MLAUNCH_COMMON_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace mlaunch {

enum class StatusCode {
  kOk,
  kInvalidData,  // The peer or the input sent bytes we cannot accept.
  kUnavailable,  // The network or the peer failed (refused, reset, DNS).
  kBusy,         // The peer is up but did nothing for now (HTTP 503): try again.
  kTimeout,      // A deadline passed.
  kCancelled,    // The caller asked us to stop.
  kUntrusted,    // TLS: the peer's certificate could not be verified.
  kInternal,     // A library failed in a way that is not the input's fault.
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok

  static Status Ok() { return Status(); }
  static Status Error(StatusCode code, std::string message) {
    assert(code != StatusCode::kOk);
    return Status(code, std::move(message));
  }
  static Status InvalidData(std::string message) {
    return Error(StatusCode::kInvalidData, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // Empty when ok().
  const std::string& message() const { return message_; }

  friend bool operator==(const Status&, const Status&) = default;

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose, so `return value;` and `return status;` both read
  // naturally in a function returning Result<T>.
  Result(T value) : value_(std::move(value)) {}  // NOLINT
  // REQUIRES: !error.ok()
  Result(Status error) : status_(std::move(error)) {  // NOLINT
    assert(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  const std::string& message() const { return status_.message(); }

  // REQUIRES: ok()
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_STATUS_H_
