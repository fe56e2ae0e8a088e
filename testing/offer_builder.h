// OfferBuilder: offers as a Mesos master sends them, for tests and
// benchmarks (testing/ holds what both share; it uses proto/ only).
// Resources carry the offer's allocation role, as they do for MULTI_ROLE
// frameworks.
#ifndef MLAUNCH_TESTING_OFFER_BUILDER_H_
#define MLAUNCH_TESTING_OFFER_BUILDER_H_

#include <cstdint>
#include <string>
#include <utility>

#include "mesos/v1/mesos.pb.h"

namespace mlaunch {

class OfferBuilder {
 public:
  OfferBuilder(std::string id, std::string agent, std::string host, std::string role = "*") {
    offer_.mutable_id()->set_value(std::move(id));
    offer_.mutable_framework_id()->set_value("fw-1");
    offer_.mutable_agent_id()->set_value(std::move(agent));
    offer_.set_hostname(std::move(host));
    offer_.mutable_allocation_info()->set_role(role);
    role_ = std::move(role);
  }
  OfferBuilder& Scalar(const std::string& name, double value) {
    mesos::v1::Resource* r = Add(name, mesos::v1::Value::SCALAR);
    r->mutable_scalar()->set_value(value);
    return *this;
  }
  OfferBuilder& Ports(uint64_t begin, uint64_t end) {
    mesos::v1::Resource* r = Add("ports", mesos::v1::Value::RANGES);
    mesos::v1::Value::Range* range = r->mutable_ranges()->add_range();
    range->set_begin(begin);
    range->set_end(end);
    return *this;
  }
  OfferBuilder& Attribute(const std::string& name, const std::string& text) {
    mesos::v1::Attribute* a = offer_.add_attributes();
    a->set_name(name);
    a->set_type(mesos::v1::Value::TEXT);
    a->mutable_text()->set_value(text);
    return *this;
  }
  mesos::v1::Offer Build() const { return offer_; }

 private:
  mesos::v1::Resource* Add(const std::string& name, mesos::v1::Value::Type type) {
    mesos::v1::Resource* r = offer_.add_resources();
    r->set_name(name);
    r->set_type(type);
    r->mutable_allocation_info()->set_role(role_);
    return r;
  }

  mesos::v1::Offer offer_;
  std::string role_;
};

}  // namespace mlaunch

#endif  // MLAUNCH_TESTING_OFFER_BUILDER_H_
