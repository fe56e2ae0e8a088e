// SilencingProxy: a TCP relay on a loopback port in front of a master, for
// the "silent master" fault. It relays every connection both ways until
// Silence() is called; from then on, the subscription streams open at that
// moment stop getting bytes from the master (what the master sends is read
// and dropped) while their connections stay open, as with a stuck master or
// middlebox. Connections made afterwards are relayed normally again.
//
// A subscription stream is a connection on which the master's bytes held
// "Mesos-Stream-Id" (the SUBSCRIBE response's header); the other calls of a
// scheduler go on their own connections and keep flowing.
//
// The proxy records when the client closes a silenced connection: that is
// the moment the scheduler gave up on its silent master.
//
// One relay thread, poll(2); the destructor stops it and closes everything.
#ifndef MLAUNCH_TESTS_E2E_SILENCING_PROXY_H_
#define MLAUNCH_TESTS_E2E_SILENCING_PROXY_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mlaunch::testing {

class SilencingProxy {
 public:
  using Clock = std::chrono::steady_clock;

  // Listens on 127.0.0.1 (port 0: any) and relays to 127.0.0.1:upstream_port.
  explicit SilencingProxy(std::uint16_t upstream_port) : upstream_port_(upstream_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = Loopback(0);
    socklen_t length = sizeof(address);
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
    if (::pipe2(wake_, O_CLOEXEC) != 0) return;
    thread_ = std::thread([this] { Relay(); });
  }
  ~SilencingProxy() {
    stopping_ = true;
    if (wake_[1] >= 0) (void)::write(wake_[1], "x", 1);
    if (thread_.joinable()) thread_.join();
    for (Pair& pair : pairs_) {
      ::close(pair.client);
      ::close(pair.upstream);
    }
    for (int fd : {listener_, wake_[0], wake_[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }
  SilencingProxy(const SilencingProxy&) = delete;
  SilencingProxy& operator=(const SilencingProxy&) = delete;

  std::uint16_t port() const { return port_; }  // 0 when it could not listen

  // Silences the subscription streams open now and waits for the relay
  // thread to have done it; returns how many it silenced.
  int Silence() {
    std::unique_lock<std::mutex> lock(mutex_);
    silence_requested_ = true;
    silenced_now_.reset();
    closed_at_.reset();
    (void)::write(wake_[1], "x", 1);
    changed_.wait_for(lock, std::chrono::seconds(5), [this] { return silenced_now_.has_value(); });
    return silenced_now_.value_or(-1);
  }

  // When the client closed a connection silenced by the last Silence call;
  // waits up to `timeout`.
  std::optional<Clock::time_point> ClientGaveUpAt(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [this] { return closed_at_.has_value(); });
    return closed_at_;
  }

  // Connections accepted so far.
  int accepted() const { return accepted_; }

 private:
  struct Pair {
    int client;
    int upstream;
    bool subscription = false;
    bool silenced = false;
    std::string seen;  // the master's first bytes, to spot a subscription
  };

  static sockaddr_in Loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    return address;
  }

  void Accept() {
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = Loopback(upstream_port_);
    if (upstream < 0 ||
        ::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(client);
      if (upstream >= 0) ::close(upstream);
      return;
    }
    ++accepted_;
    pairs_.push_back(Pair{client, upstream, false, false, {}});
  }

  // Moves what `from` has to `to` (or drops it); false when `from` ended.
  static bool Move(int from, int to, bool drop, std::string* seen) {
    char buffer[16384];
    const ssize_t n = ::recv(from, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    if (seen != nullptr && seen->size() < 4096) seen->append(buffer, static_cast<std::size_t>(n));
    if (drop) return true;
    for (ssize_t sent = 0; sent < n;) {
      const ssize_t m = ::send(to, buffer + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
      if (m <= 0) return false;
      sent += m;
    }
    return true;
  }

  void Relay() {
    while (!stopping_) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (silence_requested_) {
          silence_requested_ = false;
          int count = 0;
          for (Pair& pair : pairs_) {
            if (pair.subscription && !pair.silenced) {
              pair.silenced = true;
              ++count;
            }
          }
          silenced_now_ = count;
          changed_.notify_all();
        }
      }
      std::vector<pollfd> fds{{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      for (const Pair& pair : pairs_) {
        fds.push_back({pair.client, POLLIN, 0});
        fds.push_back({pair.upstream, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), 1000) <= 0) continue;
      if (fds[1].revents != 0) {
        char drain[64];
        (void)::read(wake_[0], drain, sizeof drain);
      }
      std::vector<std::size_t> ended;
      for (std::size_t i = 0; i < pairs_.size(); ++i) {
        Pair& pair = pairs_[i];
        const short from_client = fds[2 + 2 * i].revents;
        const short from_upstream = fds[3 + 2 * i].revents;
        bool open = true;
        if (from_client != 0 && !Move(pair.client, pair.upstream, false, nullptr)) {
          open = false;
          if (pair.silenced) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!closed_at_) closed_at_ = Clock::now();
            changed_.notify_all();
          }
        }
        if (open && from_upstream != 0 &&
            !Move(pair.upstream, pair.client, pair.silenced,
                  pair.subscription ? nullptr : &pair.seen)) {
          open = false;
        }
        if (!pair.subscription && pair.seen.find("Mesos-Stream-Id") != std::string::npos) {
          pair.subscription = true;
        }
        if (!open) ended.push_back(i);
      }
      for (auto it = ended.rbegin(); it != ended.rend(); ++it) {
        ::close(pairs_[*it].client);
        ::close(pairs_[*it].upstream);
        pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*it));
      }
      if (fds[0].revents != 0) Accept();
    }
  }

  const std::uint16_t upstream_port_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::vector<Pair> pairs_;  // relay thread only

  std::mutex mutex_;
  std::condition_variable changed_;
  bool silence_requested_ = false;              // guarded by mutex_
  std::optional<int> silenced_now_;             // guarded by mutex_
  std::optional<Clock::time_point> closed_at_;  // guarded by mutex_
};

}  // namespace mlaunch::testing

#endif  // MLAUNCH_TESTS_E2E_SILENCING_PROXY_H_
