#include "common/http_client.h"

namespace mlaunch {

std::string RedactedUrl(const std::string& url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const std::size_t host = scheme + 3;
  const std::size_t end = url.find_first_of("/?#", host);
  const std::size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < host) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

void StreamEnding::End(const HttpClient::StreamCallbacks& callbacks, Status status) {
  if (callbacks.on_end) callbacks.on_end(status);
  std::lock_guard<std::mutex> lock(mutex_);
  ended_ = true;
  status_ = std::move(status);
  changed_.notify_all();
}

Status StreamEnding::Wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return ended_; });
  return status_;
}

}  // namespace mlaunch
