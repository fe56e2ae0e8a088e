#include "launcher/instantiate.h"

#include <gtest/gtest.h>

#include "launcher/compile.h"
#include "launcher/spec/load.h"
#include "testing/offer_builder.h"

namespace mlaunch {
namespace {

namespace v1 = mesos::v1;

v1::Offer OfferOn(const std::string& host) {
  return OfferBuilder("o1", "agent-1", host)
      .Scalar("cpus", 2)
      .Scalar("mem", 1024)
      .Ports(31000, 31100)
      .Build();
}

class InstantiateTest : public ::testing::Test {
 protected:
  v1::TaskInfo Make(const std::string& tasks, InstanceContext context, size_t task = 0) {
    spec::LoadResult r = spec::Load("version: 1\ntasks:\n" + tasks, "t.yaml");
    for (const Diagnostic& d : r.diagnostics.Sorted()) ADD_FAILURE() << Render(d);
    plan_ = Compile(r.spec, {}, {"u"});
    const TaskPlan& t = plan_.tasks[task];
    MatchOutcome out = MatchOffers({OfferOn("host-1")}, {{&t, 1}}, {});
    EXPECT_EQ(out.accepts.size(), 1u);
    if (out.accepts.empty()) return {};
    return Instantiate(t, out.accepts[0].launches[0], context);
  }
  Plan plan_;
};

std::string Env(const v1::TaskInfo& t, const std::string& name) {
  for (const auto& v : t.executor().command().environment().variables()) {
    if (v.name() == name)
      return v.type() == v1::Environment::Variable::SECRET ? v.secret().value().data() : v.value();
  }
  return "<unset>";
}

// A container with its own network: each mapping gets the offered host
// port, and the service and its health check the port inside; the
// environment and discovery keep the host's, which others reach.
TEST_F(InstantiateTest, MappedPortsGetTheHostPortOutsideAndTheContainerPortInside) {
  v1::TaskInfo t = Make(R"(  - name: web
    ports: [{name: http, container_port: 80}, {name: admin}]
    container: {image: "nginx:1.25", type: docker, network: bridge}
    service: {port: http, payload: hi}
    health_check: {type: http, port: http}
)",
                        {"web.0.abc", "fw-1", {}, {}});
  EXPECT_TRUE(t.IsInitialized()) << t.InitializationErrorString();
  const v1::ContainerInfo& container = t.executor().container();
  ASSERT_EQ(container.docker().port_mappings_size(), 2);
  EXPECT_EQ(container.docker().port_mappings(0).host_port(), 31000u);
  EXPECT_EQ(container.docker().port_mappings(0).container_port(), 80u);
  EXPECT_EQ(container.docker().port_mappings(1).host_port(), 31001u);
  EXPECT_EQ(container.docker().port_mappings(1).container_port(), 31001u);
  EXPECT_EQ(t.health_check().http().port(), 80u);
  EXPECT_EQ(Env(t, "PORT_HTTP"), "31000");
  EXPECT_EQ(t.discovery().ports().ports(0).number(), 31000u);
  ServiceConfig service;
  ASSERT_TRUE(service.ParseFromString(t.data()));
  EXPECT_EQ(service.ports(0).number(), 80u);
  EXPECT_EQ(service.ports(1).number(), 31001u);

  // The same on a CNI network under Mesos' containerizer.
  v1::TaskInfo cni = Make(R"(  - name: web
    ports: [{name: http, container_port: 8080}]
    container: {image: "nginx:1.25", network: cni, network_name: overlay}
    command: nginx
)",
                          {"web.0.def", "fw-1", {}, {}});
  ASSERT_EQ(cni.executor().container().network_infos_size(), 1);
  const v1::NetworkInfo& network = cni.executor().container().network_infos(0);
  EXPECT_EQ(network.name(), "overlay");
  ASSERT_EQ(network.port_mappings_size(), 1);
  EXPECT_EQ(network.port_mappings(0).host_port(), 31000u);
  EXPECT_EQ(network.port_mappings(0).container_port(), 8080u);
}

TEST_F(InstantiateTest, FillsIdsPortsAndPlaceholders) {
  v1::TaskInfo t = Make(R"(  - name: web
    instances: 2
    ports: [http, admin]
    service: {port: http, payload: "I am ${instance} on ${host}:${ports.http} of ${framework_id}"}
    env: {SELF: "${task_id}", SHELL_VAR: "${HOME}"}
    health_check: {type: http, port: admin}
    discovery: {name: web}
)",
                        {"web.1.abc", "fw-1", {}, {}});
  EXPECT_TRUE(t.IsInitialized()) << t.InitializationErrorString();
  EXPECT_EQ(t.task_id().value(), "web.1.abc");
  EXPECT_EQ(t.agent_id().value(), "agent-1");
  EXPECT_EQ(t.executor().executor_id().value(), "web.1.abc");
  EXPECT_EQ(Env(t, "PORT_HTTP"), "31000");
  EXPECT_EQ(Env(t, "PORTS"), "31000,31001");
  EXPECT_EQ(Env(t, "HOST"), "host-1");
  EXPECT_EQ(Env(t, "MESOS_LAUNCH_ADDR_ADMIN"), "host-1:31001");
  EXPECT_EQ(Env(t, "MESOS_LAUNCH_INSTANCE"), "1");
  EXPECT_EQ(Env(t, "SELF"), "web.1.abc");
  EXPECT_EQ(Env(t, "SHELL_VAR"), "${HOME}");  // left for the shell
  EXPECT_EQ(t.health_check().http().port(), 31001u);
  EXPECT_EQ(t.discovery().ports().ports(0).number(), 31000u);

  ServiceConfig service;
  ASSERT_TRUE(service.ParseFromString(t.data()));
  EXPECT_EQ(service.instance(), 1u);
  EXPECT_EQ(service.http().body(), "I am 1 on host-1:31000 of fw-1");
  EXPECT_EQ(service.ports(0).number(), 31000u);
  EXPECT_EQ(service.ports(1).number(), 31001u);

  // The resources are the offer's, cut to size.
  double cpus = 0;
  for (const v1::Resource& r : t.resources()) {
    if (r.name() == "cpus") cpus += r.scalar().value();
  }
  EXPECT_DOUBLE_EQ(cpus, 0.1);
}

TEST_F(InstantiateTest, OtherTasksAddressesAndSecrets) {
  InstanceContext context{
      "app.1.x", "fw-1", {{"db", {"db-host", {{"pg", 5432}}}}}, {{"DB_PASSWORD", "s3cret"}}};
  v1::TaskInfo t = Make(R"(  - name: db
    ports: [pg]
    command: serve
  - name: app
    depends_on: [db]
    args: [client, "--db=${tasks.db.addr.pg}", "--host=${tasks.db.host}"]
    env:
      DB_PASSWORD: {from_env: NOT_READ_AT_COMPILE, secret: true}
)",
                        context, 1);
  ServiceConfig service;
  ASSERT_TRUE(service.ParseFromString(t.data()));
  ASSERT_EQ(service.command().args_size(), 3);
  EXPECT_EQ(service.command().args(1), "--db=db-host:5432");
  EXPECT_EQ(service.command().args(2), "--host=db-host");
  EXPECT_EQ(Env(t, "DB_PASSWORD"), "s3cret");
}

}  // namespace
}  // namespace mlaunch
