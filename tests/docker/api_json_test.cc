#include "docker/api_json.h"

#include <gtest/gtest.h>

namespace coral::docker {
namespace {

using nlohmann::json;

TEST(DockerApiJson, MinimalSpecLeavesDockerDefaultsAlone) {
  ContainerSpec spec;
  spec.image = "coral/worker:latest";
  json body = containerCreateBody(spec);
  EXPECT_EQ(body["Image"], "coral/worker:latest");
  EXPECT_FALSE(body.contains("Cmd"));
  EXPECT_FALSE(body.contains("Entrypoint"));
  EXPECT_FALSE(body.contains("Env"));
  EXPECT_FALSE(body.contains("Hostname"));
  EXPECT_FALSE(body.contains("MacAddress"));
  EXPECT_EQ(body["Tty"], false);
  EXPECT_EQ(body["HostConfig"]["NetworkMode"], "none");
  EXPECT_EQ(body["HostConfig"]["Init"], true);
  EXPECT_FALSE(body["HostConfig"].contains("NanoCpus"));
  EXPECT_FALSE(body["HostConfig"].contains("Memory"));
  EXPECT_FALSE(body["HostConfig"].contains("Binds"));
}

TEST(DockerApiJson, BindStringsCarryTheMode) {
  EXPECT_EQ(bindString({"/srv/data", "/data", true}), "/srv/data:/data:ro");
  EXPECT_EQ(bindString({"/srv/data", "/data", false}), "/srv/data:/data:rw");
}

TEST(DockerApiJson, CpusBecomeNanoCpusWithoutFloatingPointDrift) {
  ContainerSpec spec;
  spec.image = "x";
  spec.cpus = 0.3;  // 0.3 * 1e9 is 299999999.99999994 in binary floating point
  EXPECT_EQ(containerCreateBody(spec)["HostConfig"]["NanoCpus"], 300000000);
}

TEST(DockerApiJson, LabelFilterMatchesKeyOrKeyValue) {
  EXPECT_EQ(labelFilter({{"coral.cluster", "demo"}, {"coral.role", ""}}),
            json::parse(R"({"label": ["coral.cluster=demo", "coral.role"]})"));
}

TEST(DockerApiJson, ParsesContainerInspect) {
  auto parsed = parseContainerInspect(json::parse(R"({
    "Id": "abc123", "Name": "/coral-demo-worker-1", "Image": "sha256:ffff",
    "Config": {"Image": "coral/worker:latest", "Labels": {"coral.cluster": "demo"}},
    "State": {"Status": "exited", "Running": false, "Pid": 0, "ExitCode": 137,
              "Error": "", "StartedAt": "2024-01-01T00:00:00Z", "FinishedAt": "2024-01-01T00:01:00Z",
              "Health": null},
    "SomeFutureField": {"x": 1}
  })"));
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(parsed->id, "abc123");
  EXPECT_EQ(parsed->name, "coral-demo-worker-1");
  EXPECT_EQ(parsed->image, "coral/worker:latest");
  EXPECT_EQ(parsed->labels.at("coral.cluster"), "demo");
  EXPECT_EQ(parsed->state.status, "exited");
  EXPECT_FALSE(parsed->state.running);
  EXPECT_EQ(parsed->state.exit_code, 137);
  EXPECT_EQ(parsed->state.finished_at, "2024-01-01T00:01:00Z");
}

TEST(DockerApiJson, InspectWithoutIdIsAnError) {
  EXPECT_FALSE(parseContainerInspect(json::parse(R"({"message": "x"})")).ok());
  EXPECT_FALSE(parseContainerInspect(json::array()).ok());
}

TEST(DockerApiJson, ParsesContainerListWithNullLabels) {
  auto parsed = parseContainerList(json::parse(R"([
    {"Id": "a", "Names": ["/one"], "Image": "img", "Labels": {"k": "v"}, "State": "running"},
    {"Id": "b", "Names": null, "Image": "img", "Labels": null, "State": "exited"}
  ])"));
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].name, "one");
  EXPECT_TRUE((*parsed)[0].state.running);
  EXPECT_EQ((*parsed)[1].name, "");
  EXPECT_FALSE((*parsed)[1].state.running);
  EXPECT_TRUE((*parsed)[1].labels.empty());
}

TEST(DockerApiJson, ParsesImportedImageWhoseConfigHasNullLabels) {
  auto parsed = parseImageInspect(json::parse(R"({
    "Id": "sha256:c247", "RepoTags": ["coral-test/busybox:1"], "Size": 1982284,
    "Config": {"Labels": null}
  })"));
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(parsed->id, "sha256:c247");
  EXPECT_EQ(parsed->tags, std::vector<std::string>{"coral-test/busybox:1"});
  EXPECT_TRUE(parsed->labels.empty());
  EXPECT_EQ(parsed->size, 1982284);
}

}  // namespace
}  // namespace coral::docker
