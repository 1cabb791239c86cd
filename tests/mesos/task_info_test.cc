#include "mesos/task_info.h"

#include <gtest/gtest.h>

#include "mesos/offer_resources.h"

namespace coral::mesos {
namespace {

// Shaped like the recorded 1.12 offer: role "*" plus allocation_info on the
// offer and on every resource.
v1::Offer recordedLikeOffer(const std::string& role = "coral") {
  v1::Offer offer;
  offer.mutable_id()->set_value("M-O0");
  offer.mutable_framework_id()->set_value("M-0000");
  offer.mutable_agent_id()->set_value("M-S0");
  offer.set_hostname("agent0");
  offer.mutable_allocation_info()->set_role(role);
  auto scalar = [&](const char* name, double v) {
    auto* r = offer.add_resources();
    r->set_name(name);
    r->set_type(v1::Value::SCALAR);
    r->mutable_scalar()->set_value(v);
    r->set_role("*");
    r->mutable_allocation_info()->set_role(role);
  };
  scalar("cpus", 8);
  scalar("mem", 16384);
  scalar("disk", 20480);
  auto* ports = offer.add_resources();
  ports->set_name("ports");
  ports->set_type(v1::Value::RANGES);
  for (auto [b, e] : {std::pair<int, int>{8888, 8888}, {31000, 32000}}) {
    auto* range = ports->mutable_ranges()->add_range();
    range->set_begin(b);
    range->set_end(e);
  }
  ports->set_role("*");
  ports->mutable_allocation_info()->set_role(role);
  return offer;
}

NodeLaunchSpec jupyterSpec(Containerizer containerizer) {
  NodeLaunchSpec spec;
  spec.cluster = "lab";
  spec.node = "node-0";
  spec.role = "jupyter";
  spec.generation = 3;
  spec.containerizer = containerizer;
  spec.image = "coral/notebook:6.4";
  spec.network = "calico";
  spec.argv = {"/usr/bin/jupyter", "notebook", "--ip=0.0.0.0", "--port=8888"};
  spec.cpus = 1;
  spec.memMb = 2048;
  spec.ports = {{8888, 8888, "tcp"}};
  return spec;
}

void expectLabels(const v1::Labels& labels) {
  std::map<std::string, std::string> kv;
  for (const auto& l : labels.labels()) kv[l.key()] = l.value();
  EXPECT_EQ(kv["cluster"], "lab");
  EXPECT_EQ(kv["node"], "node-0");
  EXPECT_EQ(kv["role"], "jupyter");
}

TEST(TaskInfo, DockerContainerizerOnCalico) {
  OfferResources offer(recordedLikeOffer());
  auto task = buildNodeTask(jupyterSpec(Containerizer::kDocker), offer);
  ASSERT_TRUE(task.ok()) << task.message();
  EXPECT_EQ(task->task_id().value(), "node-0.3");
  EXPECT_EQ(task->agent_id().value(), "M-S0");
  const auto& c = task->container();
  EXPECT_EQ(c.type(), v1::ContainerInfo::DOCKER);
  EXPECT_EQ(c.docker().image(), "coral/notebook:6.4");
  EXPECT_EQ(c.docker().network(), v1::ContainerInfo::DockerInfo::USER);
  EXPECT_TRUE(c.docker().has_force_pull_image());
  EXPECT_FALSE(c.docker().force_pull_image());
  EXPECT_EQ(c.docker().port_mappings_size(), 0);
  ASSERT_EQ(c.network_infos_size(), 1);
  EXPECT_EQ(c.network_infos(0).name(), "calico");
  expectLabels(c.network_infos(0).labels());
  expectLabels(task->labels());
  // Docker: `docker run <image> value args...` -> argv[0] is the value only.
  EXPECT_FALSE(task->command().shell());
  EXPECT_TRUE(task->command().has_shell());
  EXPECT_EQ(task->command().value(), "/usr/bin/jupyter");
  ASSERT_EQ(task->command().arguments_size(), 3);
  EXPECT_EQ(task->command().arguments(0), "notebook");
  // Resources carry the offer's allocation_info and role.
  std::map<std::string, v1::Resource> byName;
  for (const auto& r : task->resources()) byName[r.name()] = r;
  ASSERT_EQ(byName.size(), 3u);
  EXPECT_DOUBLE_EQ(byName["cpus"].scalar().value(), 1);
  EXPECT_DOUBLE_EQ(byName["mem"].scalar().value(), 2048);
  EXPECT_EQ(byName["ports"].ranges().range(0).begin(), 8888u);
  for (const auto& [name, r] : byName) {
    EXPECT_EQ(r.allocation_info().role(), "coral") << name;
    EXPECT_EQ(r.role(), "*") << name;
  }
}

TEST(TaskInfo, MesosContainerizerWithCniPortMapping) {
  OfferResources offer(recordedLikeOffer());
  auto task = buildNodeTask(jupyterSpec(Containerizer::kMesos), offer);
  ASSERT_TRUE(task.ok()) << task.message();
  const auto& c = task->container();
  EXPECT_EQ(c.type(), v1::ContainerInfo::MESOS);
  EXPECT_EQ(c.mesos().image().type(), v1::Image::DOCKER);
  EXPECT_EQ(c.mesos().image().docker().name(), "coral/notebook:6.4");
  ASSERT_EQ(c.network_infos_size(), 1);
  EXPECT_EQ(c.network_infos(0).name(), "calico");
  expectLabels(c.network_infos(0).labels());
  ASSERT_EQ(c.network_infos(0).port_mappings_size(), 1);
  EXPECT_EQ(c.network_infos(0).port_mappings(0).host_port(), 8888u);
  EXPECT_EQ(c.network_infos(0).port_mappings(0).container_port(), 8888u);
  // Mesos: execvp(value, arguments) -> arguments[0] is argv[0].
  EXPECT_EQ(task->command().value(), "/usr/bin/jupyter");
  ASSERT_EQ(task->command().arguments_size(), 4);
  EXPECT_EQ(task->command().arguments(0), "/usr/bin/jupyter");
}

TEST(TaskInfo, SeveralTasksFromOneOfferAndPortErrors) {
  OfferResources offer(recordedLikeOffer());
  auto first = buildNodeTask(jupyterSpec(Containerizer::kDocker), offer);
  ASSERT_TRUE(first.ok());
  auto second = jupyterSpec(Containerizer::kDocker);
  second.node = "node-1";
  auto again = buildNodeTask(second, offer);
  ASSERT_FALSE(again.ok()) << "8888 is taken by the first task";
  EXPECT_NE(again.message().find("8888"), std::string::npos) << again.message();
  second.ports = {{0, 22}};  // any offered port
  auto any = buildNodeTask(second, offer);
  ASSERT_TRUE(any.ok()) << any.message();
  EXPECT_DOUBLE_EQ(offer.remainingScalar("cpus"), 6);
  EXPECT_FALSE(offer.hasPort(31000));
  EXPECT_TRUE(offer.hasPort(31001));
  auto big = second;
  big.node = "node-2";
  big.ports.clear();
  big.cpus = 100;
  auto tooBig = buildNodeTask(big, offer);
  ASSERT_FALSE(tooBig.ok());
  EXPECT_NE(tooBig.message().find("cpus"), std::string::npos);
  EXPECT_DOUBLE_EQ(offer.remainingScalar("cpus"), 6) << "failed takes take nothing";
  auto unoffered = second;
  unoffered.ports = {{9999, 80}};
  auto notOffered = buildNodeTask(unoffered, offer);
  ASSERT_FALSE(notOffered.ok());
  EXPECT_NE(notOffered.message().find("--resources"), std::string::npos) << notOffered.message();
}

TEST(TaskInfo, TaskIds) {
  EXPECT_EQ(*makeTaskId("node-0", 7), "node-0.7");
  EXPECT_FALSE(makeTaskId("a/b", 1).ok());
  EXPECT_FALSE(makeTaskId("", 1).ok());
  auto parsed = parseTaskId("my.node.12");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->node, "my.node");
  EXPECT_EQ(parsed->generation, 12u);
  EXPECT_FALSE(parseTaskId("nodots").has_value());
  EXPECT_FALSE(parseTaskId("node.x1").has_value());
  EXPECT_EQ(*parseContainerizer("mesos"), Containerizer::kMesos);
  EXPECT_FALSE(parseContainerizer("rkt").ok());
}

TEST(TaskInfo, ContainerIpsPreferTheNamedNetworkAndIpv4) {
  v1::TaskStatus status;
  auto* agentOnly = status.mutable_container_status()->add_network_infos();
  agentOnly->add_ip_addresses()->set_ip_address("10.239.255.1");
  auto* calico = status.mutable_container_status()->add_network_infos();
  calico->set_name("calico");
  auto* v6 = calico->add_ip_addresses();
  v6->set_protocol(v1::NetworkInfo::IPv6);
  v6->set_ip_address("fd00::2");
  calico->add_ip_addresses()->set_ip_address("10.238.0.2");
  EXPECT_EQ(containerIps(status, "calico"), (std::vector<std::string>{"10.238.0.2", "fd00::2"}));
  EXPECT_EQ(containerIps(status).size(), 3u);
  EXPECT_TRUE(containerIps(v1::TaskStatus(), "calico").empty());
}

}  // namespace
}  // namespace coral::mesos
