#include "cluster/checkpoint_writer.h"

namespace mlaunch::cluster {

CheckpointWriter::CheckpointWriter() : thread_([this] { Run(); }) {}

CheckpointWriter::~CheckpointWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void CheckpointWriter::Put(const std::string& meta_dir, ExecutorCheckpoint checkpoint,
                           std::function<void()> written) {
  Key key{checkpoint.framework.id().value(), checkpoint.executor.executor_id().value()};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, fresh] = pending_.try_emplace(key);
    if (fresh) order_.push_back(key);
    Pending& pending = it->second;
    // A pending removal stays owed: it is of an earlier run.
    if (!fresh && !pending.checkpoint) pending.remove_first = true;
    pending.meta_dir = meta_dir;
    pending.checkpoint = std::move(checkpoint);
    if (written) pending.written.push_back(std::move(written));
  }
  wake_.notify_one();
}

void CheckpointWriter::Remove(const std::string& meta_dir, const std::string& framework_id,
                              const std::string& executor_id) {
  Key key{framework_id, executor_id};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, fresh] = pending_.try_emplace(key);
    if (fresh) order_.push_back(key);
    it->second.meta_dir = meta_dir;
    it->second.remove_first = false;
    it->second.checkpoint.reset();
  }
  wake_.notify_one();
}

void CheckpointWriter::Flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return order_.empty() && !busy_; });
}

std::uint64_t CheckpointWriter::failures() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failures_;
}

void CheckpointWriter::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return !order_.empty() || stopping_; });
    if (order_.empty()) return;  // stopping, and nothing is left
    const Key key = std::move(order_.front());
    order_.pop_front();
    auto it = pending_.find(key);
    Pending pending = std::move(it->second);
    pending_.erase(it);
    busy_ = true;
    lock.unlock();

    if (pending.remove_first || !pending.checkpoint) {
      RemoveCheckpoint(pending.meta_dir, key.first, key.second);
    }
    bool failed = false;
    if (pending.checkpoint) failed = !WriteCheckpoint(pending.meta_dir, *pending.checkpoint).ok();
    for (const std::function<void()>& written : pending.written) written();

    lock.lock();
    if (failed) ++failures_;
    busy_ = false;
    if (order_.empty()) idle_.notify_all();
  }
}

}  // namespace mlaunch::cluster
