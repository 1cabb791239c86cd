#include "spec/spec_parser.h"

#include <gtest/gtest.h>

namespace coral::spec {
namespace {

TEST(SpecParser, EmptyFileGivesDefaults) {
  auto spec = parseSpec("", "c.yaml");
  ASSERT_TRUE(spec.ok()) << spec.message();
  EXPECT_EQ(spec->workers, 3);
  EXPECT_EQ(spec->notebook_host_port, 8888);
  EXPECT_EQ(spec->network.name, "calico");
}

TEST(SpecParser, ReadsEveryField) {
  auto spec = parseSpec(R"(cluster: lab
workers: 5
images: {worker: w:1, notebook: n:2}
resources:
  worker: {cpus: 0.25, mem: 128}
  notebook: {cpus: 2, mem: 2048}
network: {name: calico, subnet: 10.99.0.0/24}
notebook: {port: 9999}
env: {FOO: bar}
)",
                        "c.yaml");
  ASSERT_TRUE(spec.ok()) << spec.message();
  EXPECT_EQ(spec->name, "lab");
  EXPECT_EQ(spec->workers, 5);
  EXPECT_EQ(spec->worker_image, "w:1");
  EXPECT_EQ(spec->notebook_image, "n:2");
  EXPECT_DOUBLE_EQ(spec->worker_resources.cpus, 0.25);
  EXPECT_EQ(spec->notebook_resources.mem_mb, 2048);
  EXPECT_EQ(spec->network.subnet, "10.99.0.0/24");
  EXPECT_EQ(spec->notebook_host_port, 9999);
  EXPECT_EQ(spec->env.at("FOO"), "bar");
}

struct BadCase {
  const char* yaml;
  const char* expected;  // substring, including file:line:column
};

class SpecErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(SpecErrors, NameFilePositionAndField) {
  auto spec = parseSpec(GetParam().yaml, "cluster.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.message().find(GetParam().expected), std::string::npos) << spec.message();
}

INSTANTIATE_TEST_SUITE_P(
    All, SpecErrors,
    ::testing::Values(
        BadCase{"workers: 3\nwrokers: 4\n", "cluster.yaml:2:1: unknown key `wrokers`"},
        BadCase{"workers: three\n", "cluster.yaml:1:10: `workers` must be an integer"},
        BadCase{"workers: 0\n", "cluster.yaml:1:10: `workers` is 0; it must be between 1"},
        BadCase{"network:\n  subnet: 10.1.2.3/24\n", "cluster.yaml:2:11: `network.subnet` \"10.1.2.3/24\" is not a valid IPv4 CIDR: host bits are set; did you mean 10.1.2.0/24?"},
        BadCase{"network:\n  subnet: 10.1.2.0\n", "cluster.yaml:2:11: `network.subnet`"},
        BadCase{"network:\n  subnet: 300.1.2.0/24\n", "not a dotted-quad"},
        BadCase{"notebook:\n  port: 70000\n", "cluster.yaml:2:9: `notebook.port` is 70000; it must be between 1 and 65535"},
        BadCase{"network: {name: calico, mtu: 1}\n", "cluster.yaml:1:25: unknown key `network.mtu`"},
        BadCase{"resources:\n  worker: {cpus: -1}\n", "`resources.worker.cpus` is -1"},
        BadCase{"cluster: My_Cluster\n", "cluster.yaml:1:10: `cluster` \"My_Cluster\" is not a valid"},
        BadCase{"images: [a, b]\n", "cluster.yaml:1:9: `images` must be a mapping"},
        BadCase{"workers: [1\n", "cluster.yaml:2:1: not valid YAML"},
        BadCase{"env: {1BAD: x}\n", "`env.1BAD` is not a valid"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return "Case" + std::to_string(info.index); });

TEST(SpecParser, MissingFileIsClear) {
  auto spec = loadSpecFile("/nonexistent/cluster.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.message().find("/nonexistent/cluster.yaml"), std::string::npos);
}

}  // namespace
}  // namespace coral::spec

#include "spec/spec_writer.h"

namespace coral::spec {
namespace {

TEST(SpecWriter, RoundTripsThroughTheParser) {
  auto spec = parseSpec("cluster: lab\nworkers: 5\nenv: {A: b}\nnetwork: {subnet: 10.50.0.0/24}\n", "x");
  ASSERT_TRUE(spec.ok());
  auto again = parseSpec(toYaml(*spec), "y");
  ASSERT_TRUE(again.ok()) << again.message() << "\n" << toYaml(*spec);
  EXPECT_EQ(again->name, "lab");
  EXPECT_EQ(again->workers, 5);
  EXPECT_EQ(again->env.at("A"), "b");
  EXPECT_EQ(again->network.subnet, "10.50.0.0/24");
  EXPECT_DOUBLE_EQ(again->worker_resources.cpus, spec->worker_resources.cpus);
}

}  // namespace
}  // namespace coral::spec
