#include "daemon/routes.h"

#include <charconv>
#include <optional>

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "api/server.h"
#include "core/desired_state.h"
#include "daemon/daemon.h"
#include "mesos/sandbox_logs.h"

namespace coral::daemon {
namespace {

api::Response unknownNode(const std::string& name) {
  return api::jsonError(404, "not_found",
                        fmt::format("no node named \"{}\" in this cluster; `coral status` lists them", name));
}

api::Response noCluster() {
  return api::jsonError(409, "no_cluster", "no cluster spec submitted yet; run `coral up` first");
}

// While `coral down` runs, a change of the desired nodes would bring them
// back and keep the shutdown from ever finishing.
api::Response shuttingDown() {
  return api::jsonError(409, "shutting_down",
                        "the cluster is being taken down (`coral down`); run `coral up` once it is gone");
}

// A whole decimal number, nothing else: "5abc" and "" are not numbers.
template <typename Int>
std::optional<Int> parseWhole(const std::string& text) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

void Routes::install(Daemon& d, api::Router& router) {
  router.add("GET", "/healthz", [](const api::Request&, api::Responder res) {
    res.send(api::jsonResponse({{"ok", true}}));
  });

  router.add("GET", "/v1/cluster", [&d](const api::Request&, api::Responder res) {
    res.send(api::jsonResponse(d.statusJson()));
  });

  router.add("PUT", "/v1/spec", [&d](const api::Request& req, api::Responder res) {
    auto body = api::jsonBodyOrReply(req, res);
    if (!body) return;
    if (d.shutting_down_) return res.send(shuttingDown());
    if (!body->contains("yaml") || !(*body)["yaml"].is_string()) {
      res.send(api::jsonError(400, "bad_request", "body must be {\"yaml\": <spec text>, \"file\": <name>}"));
      return;
    }
    auto applied = d.applySpec((*body)["yaml"].get<std::string>(), body->value("file", "<api>"));
    if (!applied) {
      res.send(api::jsonError(400, "rejected", applied.message()));
      return;
    }
    res.send(api::jsonResponse(d.statusJson(), 202));
  });

  router.add("GET", "/v1/nodes", [&d](const api::Request&, api::Responder res) {
    nlohmann::json nodes = nlohmann::json::array();
    if (d.scheduler_) {
      for (const auto& node : d.scheduler_->nodes()) nodes.push_back(d.nodeJson(node));
    }
    res.send(api::jsonResponse(nodes));
  });

  router.add("GET", "/v1/nodes/{name}", [&d](const api::Request& req, api::Responder res) {
    const auto& name = req.params.at("name");
    auto node = d.scheduler_ ? d.scheduler_->node(name) : std::nullopt;
    res.send(node ? api::jsonResponse(d.nodeJson(*node)) : unknownNode(name));
  });

  router.add("POST", "/v1/nodes", [&d](const api::Request& req, api::Responder res) {
    auto body = api::jsonBodyOrReply(req, res);
    if (!body) return;
    if (!d.scheduler_) return res.send(noCluster());
    if (d.shutting_down_) return res.send(shuttingDown());
    auto workers = body->find("workers");
    if (workers == body->end() || !workers->is_number_integer() || *workers < 1 || *workers > 200) {
      return res.send(api::jsonError(400, "bad_request",
                                     "body must be {\"workers\": N} with N an integer from 1 to 200"));
    }
    if (auto scaled = d.scaleWorkers(workers->get<int>()); !scaled) {
      return res.send(api::jsonError(409, "conflict", scaled.message()));
    }
    res.send(api::jsonResponse(d.statusJson(), 202));
  });

  router.add("DELETE", "/v1/nodes/{name}", [&d](const api::Request& req, api::Responder res) {
    const auto& name = req.params.at("name");
    if (!d.scheduler_ || !d.scheduler_->node(name)) return res.send(unknownNode(name));
    if (d.shutting_down_) return res.send(shuttingDown());
    int workers = d.scheduler_->spec().workers;
    // Workers are numbered 1..N, so only the last one can go without renaming others.
    if (name != core::workerName(workers)) {
      return res.send(api::jsonError(
          409, "conflict",
          fmt::format("only the newest worker ({}) can be removed; use `coral scale N` to shrink "
                      "the cluster, or `coral restart {}` to replace this node",
                      core::workerName(workers), name)));
    }
    if (workers <= 1) {
      return res.send(api::jsonError(409, "conflict", "a cluster keeps at least one worker"));
    }
    if (auto scaled = d.scaleWorkers(workers - 1); !scaled) {
      return res.send(api::jsonError(409, "conflict", scaled.message()));
    }
    res.send(api::jsonResponse({{"removed", name}}, 202));
  });

  router.add("POST", "/v1/nodes/{name}/restart", [&d](const api::Request& req, api::Responder res) {
    const auto& name = req.params.at("name");
    auto node = d.scheduler_ ? d.scheduler_->node(name) : std::nullopt;
    if (!node) return res.send(unknownNode(name));
    if (d.shutting_down_) return res.send(shuttingDown());
    if (node->state != "running") {
      return res.send(api::jsonError(
          409, "conflict",
          fmt::format("node {} is {}; restart it once it is running", name, node->state)));
    }
    d.scheduler_->restart(name);
    res.send(api::jsonResponse({{"restarting", name}}, 202));
  });

  router.add("GET", "/v1/nodes/{name}/logs", [&d](const api::Request& req, api::Responder res) {
    const auto& name = req.params.at("name");
    auto node = d.scheduler_ ? d.scheduler_->node(name) : std::nullopt;
    if (!node) return res.send(unknownNode(name));
    int tail = 100;
    if (auto it = req.query.find("tail"); it != req.query.end()) {
      auto parsed = parseWhole<int>(it->second);
      if (!parsed) {
        return res.send(api::jsonError(400, "bad_request",
                                       fmt::format("tail must be an integer (negative: all lines), got \"{}\"",
                                                   it->second)));
      }
      tail = *parsed;
    }
    if (node->instance_id.empty()) {
      return res.send(api::jsonError(
          409, "conflict", fmt::format("node {} is {} and has no container yet; retry once it runs", name, node->state)));
    }
    if (d.mesos_) {
      auto where = d.mesos_->sandboxOf(node->instance_id);
      if (!where) {
        return res.send(api::jsonError(
            409, "conflict",
            fmt::format("the agent of task {} is not known yet (no offer from it since the daemon "
                        "started, or not subscribed); retry shortly",
                        node->instance_id)));
      }
      boost::asio::post(d.blocking_, [res, name, where = *where, tail] {
        auto output = mesos::readSandboxTail(where, tail);
        if (!output) return res.send(api::jsonError(502, "mesos_agent", output.message()));
        // The sandbox keeps the two streams apart; `lines` has stdout, then stderr.
        std::vector<std::string> lines = output->stdoutLines;
        lines.insert(lines.end(), output->stderrLines.begin(), output->stderrLines.end());
        res.send(api::jsonResponse({{"node", name},
                                    {"lines", lines},
                                    {"stdout", output->stdoutLines},
                                    {"stderr", output->stderrLines}}));
      });
      return;
    }
    if (!d.local_) {
      return res.send(api::jsonError(501, "not_implemented",
                                     fmt::format("logs are not available on the {} backend",
                                                 d.backend_ ? d.backend_->kind() : d.options_.backend)));
    }
    boost::asio::post(d.blocking_, [&d, res, name, id = node->instance_id, tail] {
      auto logs = d.local_->docker().logs(id, tail);
      if (!logs) return res.send(api::jsonError(502, "docker", logs.message()));
      res.send(api::jsonResponse({{"node", name}, {"lines", splitLines(*logs)}}));
    });
  });

  router.add("GET", "/v1/events", [&d](const api::Request& req, api::Responder res) {
    uint64_t since = 0;
    if (auto it = req.query.find("since"); it != req.query.end()) {
      auto parsed = parseWhole<uint64_t>(it->second);
      if (!parsed) {
        return res.send(api::jsonError(
            400, "bad_request",
            fmt::format("since must be an event sequence number (0 replays the recent events), got \"{}\"",
                        it->second)));
      }
      since = *parsed;
    }
    auto stream = res.startEventStream();
    if (d.scheduler_ && req.query.count("since")) {
      for (const auto& event : d.scheduler_->eventsAfter(since)) {
        nlohmann::json data{{"sequence", event.sequence}, {"node", event.node},
                            {"state", event.state}, {"message", event.message}};
        stream->send("node", data.dump(), event.sequence);
      }
    }
    d.event_streams_.push_back(stream);
  });

  router.add("GET", "/metrics", [&d](const api::Request&, api::Responder res) {
    std::string text = d.server_->metricsText();
    std::map<std::string, int> by_state;
    if (d.scheduler_) {
      for (const auto& node : d.scheduler_->nodes()) ++by_state[node.state];
    }
    text += "# HELP coral_nodes Nodes of the cluster by state.\n# TYPE coral_nodes gauge\n";
    for (const auto& [state, count] : by_state) {
      text += fmt::format("coral_nodes{{state=\"{}\"}} {}\n", state, count);
    }
    if (d.scheduler_) {
      const auto& counters = d.scheduler_->counters();
      auto counter = [&text](const char* name, const char* help,
                             const std::map<std::string, uint64_t>& by_role) {
        text += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, help, name);
        // Both roles always appear, so that rate() sees a series from zero.
        for (const char* role : {"notebook", "worker"}) {
          auto found = by_role.find(role);
          text += fmt::format("{}{{role=\"{}\"}} {}\n", name, role,
                              found == by_role.end() ? 0 : found->second);
        }
      };
      counter("coral_launches_total", "Node launches handed to the backend, by role.",
              counters.launches);
      counter("coral_failures_total", "Failed launches and failed nodes, by role.",
              counters.failures);
    }
    api::Response response;
    response.content_type = "text/plain; version=0.0.4";
    response.body = text;
    res.send(response);
  });

  router.add("POST", "/v1/shutdown", [&d](const api::Request&, api::Responder res) {
    d.beginShutdown(res);
  });

  installPolicyRoutes(d, router);
  installNodeFileRoutes(d, router);
}

}  // namespace coral::daemon
