#include "cluster/resources.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <utility>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace mlaunch::cluster {
namespace {

using mesos::v1::Resource;
using mesos::v1::Value;

// Mesos keeps scalars in fixed point with three decimals.
std::int64_t Milli(double value) { return std::llround(value * 1000.0); }

// Everything but the value, with the role's default made explicit.
std::string KindKey(const Resource& resource) {
  Resource key = resource;
  key.clear_scalar();
  key.clear_ranges();
  key.clear_set();
  key.set_role(resource.role());
  std::string bytes;
  google::protobuf::io::StringOutputStream raw(&bytes);
  google::protobuf::io::CodedOutputStream coded(&raw);
  coded.SetSerializationDeterministic(true);
  key.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

using Intervals = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

Intervals ToIntervals(const Value::Ranges& ranges) {
  Intervals out;
  for (const Value::Range& r : ranges.range()) out.emplace_back(r.begin(), r.end());
  std::sort(out.begin(), out.end());
  Intervals merged;
  for (const auto& [begin, end] : out) {
    if (!merged.empty() && begin <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, end);
    } else {
      merged.emplace_back(begin, end);
    }
  }
  return merged;
}

void FromIntervals(const Intervals& intervals, Value::Ranges* ranges) {
  ranges->clear_range();
  for (const auto& [begin, end] : intervals) {
    Value::Range* r = ranges->add_range();
    r->set_begin(begin);
    r->set_end(end);
  }
}

Intervals SubtractIntervals(const Intervals& from, const Intervals& take) {
  Intervals out;
  for (auto [begin, end] : from) {
    bool gone = false;
    for (const auto& [tb, te] : take) {
      if (te < begin || tb > end) continue;
      if (tb > begin) out.emplace_back(begin, tb - 1);
      if (te >= end) {
        gone = true;
        break;
      }
      begin = te + 1;
    }
    if (!gone) out.emplace_back(begin, end);
  }
  return out;
}

bool IntervalsContain(const Intervals& outer, const Intervals& inner) {
  for (const auto& interval : inner) {
    bool inside = std::any_of(outer.begin(), outer.end(), [&](const auto& o) {
      return o.first <= interval.first && interval.second <= o.second;
    });
    if (!inside) return false;
  }
  return true;
}

std::vector<std::string> SortedItems(const Value::Set& set) {
  std::vector<std::string> items(set.item().begin(), set.item().end());
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

void SetItems(const std::vector<std::string>& items, Value::Set* set) {
  set->clear_item();
  for (const std::string& item : items) set->add_item(item);
}

bool IsEmptyValue(const Resource& r) {
  switch (r.type()) {
    case Value::SCALAR:
      return Milli(r.scalar().value()) <= 0;
    case Value::RANGES:
      return r.ranges().range_size() == 0;
    case Value::SET:
      return r.set().item_size() == 0;
    default:
      return true;
  }
}

std::string ValueText(const Resource& r) {
  std::ostringstream out;
  switch (r.type()) {
    case Value::SCALAR:
      out << r.scalar().value();
      break;
    case Value::RANGES: {
      out << "[";
      for (int i = 0; i < r.ranges().range_size(); ++i) {
        if (i > 0) out << ", ";
        out << r.ranges().range(i).begin() << "-" << r.ranges().range(i).end();
      }
      out << "]";
      break;
    }
    case Value::SET: {
      out << "{";
      for (int i = 0; i < r.set().item_size(); ++i) {
        if (i > 0) out << ", ";
        out << r.set().item(i);
      }
      out << "}";
      break;
    }
    default:
      break;
  }
  return out.str();
}

}  // namespace

Resources::Resources(const google::protobuf::RepeatedPtrField<Resource>& resources) {
  for (const Resource& r : resources) Add(r);
}

void Resources::Add(const Resource& resource) {
  if (IsEmptyValue(resource)) return;
  const std::string key = KindKey(resource);
  for (Resource& mine : resources_) {
    if (KindKey(mine) != key) continue;
    switch (resource.type()) {
      case Value::SCALAR:
        mine.mutable_scalar()->set_value(
            static_cast<double>(Milli(mine.scalar().value()) + Milli(resource.scalar().value())) /
            1000.0);
        break;
      case Value::RANGES: {
        Value::Ranges both = mine.ranges();
        both.MergeFrom(resource.ranges());
        FromIntervals(ToIntervals(both), mine.mutable_ranges());
        break;
      }
      case Value::SET: {
        Value::Set both = mine.set();
        both.MergeFrom(resource.set());
        SetItems(SortedItems(both), mine.mutable_set());
        break;
      }
      default:
        break;
    }
    return;
  }
  Resource added = resource;
  added.set_role(resource.role());
  if (added.type() == Value::SCALAR) {
    added.mutable_scalar()->set_value(static_cast<double>(Milli(resource.scalar().value())) /
                                      1000.0);
  } else if (added.type() == Value::RANGES) {
    FromIntervals(ToIntervals(added.ranges()), added.mutable_ranges());
  } else if (added.type() == Value::SET) {
    SetItems(SortedItems(added.set()), added.mutable_set());
  }
  resources_.push_back(std::move(added));
}

void Resources::Add(const Resources& other) {
  for (const Resource& r : other.resources_) Add(r);
}

void Resources::Subtract(const Resources& other) {
  for (const Resource& take : other.resources_) {
    const std::string key = KindKey(take);
    for (auto it = resources_.begin(); it != resources_.end(); ++it) {
      if (KindKey(*it) != key) continue;
      if (take.type() == Value::SCALAR) {
        const std::int64_t left = Milli(it->scalar().value()) - Milli(take.scalar().value());
        it->mutable_scalar()->set_value(static_cast<double>(left) / 1000.0);
      } else if (take.type() == Value::RANGES) {
        FromIntervals(SubtractIntervals(ToIntervals(it->ranges()), ToIntervals(take.ranges())),
                      it->mutable_ranges());
      } else if (take.type() == Value::SET) {
        std::vector<std::string> left;
        const std::vector<std::string> gone = SortedItems(take.set());
        for (const std::string& item : SortedItems(it->set())) {
          if (!std::binary_search(gone.begin(), gone.end(), item)) {
            left.push_back(item);
          }
        }
        SetItems(left, it->mutable_set());
      }
      if (IsEmptyValue(*it)) resources_.erase(it);
      break;
    }
  }
}

bool Resources::Contains(const Resources& other) const {
  for (const Resource& want : other.resources_) {
    const std::string key = KindKey(want);
    const Resource* have = nullptr;
    for (const Resource& mine : resources_) {
      if (KindKey(mine) == key) have = &mine;
    }
    if (have == nullptr) return false;
    switch (want.type()) {
      case Value::SCALAR:
        if (Milli(have->scalar().value()) < Milli(want.scalar().value())) {
          return false;
        }
        break;
      case Value::RANGES:
        if (!IntervalsContain(ToIntervals(have->ranges()), ToIntervals(want.ranges()))) {
          return false;
        }
        break;
      case Value::SET: {
        const std::vector<std::string> items = SortedItems(have->set());
        for (const std::string& item : want.set().item()) {
          if (!std::binary_search(items.begin(), items.end(), item)) {
            return false;
          }
        }
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

std::optional<double> Resources::Scalar(const std::string& name) const {
  std::optional<double> total;
  for (const Resource& r : resources_) {
    if (r.name() == name && r.type() == Value::SCALAR) {
      total = total.value_or(0.0) + r.scalar().value();
    }
  }
  return total;
}

Resources Resources::AllocatedTo(const std::string& role) const {
  Resources out;
  for (Resource r : resources_) {
    r.mutable_allocation_info()->set_role(role);
    out.Add(r);
  }
  return out;
}

Resources Resources::Unallocated() const {
  Resources out;
  for (Resource r : resources_) {
    r.clear_allocation_info();
    out.Add(r);
  }
  return out;
}

std::string Resources::ToString() const {
  std::string text;
  for (const Resource& r : resources_) {
    if (!text.empty()) text += "; ";
    text += r.name();
    if (r.has_allocation_info()) {
      text += "(allocated: " + r.allocation_info().role() + ")";
    }
    if (r.role() != "*") text += "(reservations: [(STATIC," + r.role() + ")])";
    if (r.has_revocable()) text += "{REV}";
    if (r.has_shared()) text += "<SHARED>";
    text += ":" + ValueText(r);
  }
  return text;
}

void Resources::CopyTo(google::protobuf::RepeatedPtrField<Resource>* out) const {
  for (const Resource& r : resources_) *out->Add() = r;
}

bool operator==(const Resources& a, const Resources& b) { return a.Contains(b) && b.Contains(a); }

std::optional<std::string> ValidateResources(
    const google::protobuf::RepeatedPtrField<Resource>& resources) {
  for (const Resource& r : resources) {
    if (r.name().empty()) return std::string("resources include one without a name");
    const std::string name = "resource '" + r.name() + "'";
    const int kinds = int{r.has_scalar()} + int{r.has_ranges()} + int{r.has_set()};
    switch (r.type()) {
      case Value::SCALAR:
        if (kinds != 1 || !r.has_scalar()) return name + " is SCALAR: give a scalar value, only";
        if (!std::isfinite(r.scalar().value()) || r.scalar().value() < 0) {
          return name + " must be a finite amount, not negative";
        }
        break;
      case Value::RANGES:
        if (kinds != 1 || !r.has_ranges()) return name + " is RANGES: give ranges, only";
        for (const Value::Range& range : r.ranges().range()) {
          if (range.begin() > range.end()) {
            return name + " has a range that ends before it begins";
          }
        }
        break;
      case Value::SET:
        if (kinds != 1 || !r.has_set()) return name + " is SET: give a set, only";
        break;
      default:
        return name + " has a type this master does not know";
    }
  }
  return std::nullopt;
}

}  // namespace mlaunch::cluster
