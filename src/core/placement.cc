#include "core/placement.h"

#include <algorithm>
#include <sstream>

namespace coral::core {
namespace {

bool portOffered(const std::vector<PortRange>& ranges, int port) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [port](const PortRange& r) { return port >= r.begin && port <= r.end; });
}

void takePort(std::vector<PortRange>& ranges, int port) {
  std::vector<PortRange> rest;
  for (const auto& r : ranges) {
    if (port < r.begin || port > r.end) {
      rest.push_back(r);
      continue;
    }
    if (r.begin < port) rest.push_back({r.begin, port - 1});
    if (port < r.end) rest.push_back({port + 1, r.end});
  }
  ranges = std::move(rest);
}

// Why `offer` cannot take `node`, or "" when it can.
std::string misfit(const NodeSpec& node, const Offer& offer) {
  std::ostringstream why;
  if (offer.cpus + 1e-9 < node.cpus) {
    why << "needs " << node.cpus << " cpus, " << offer.hostname << " offers " << offer.cpus;
  } else if (offer.mem_mb < node.mem_mb) {
    why << "needs " << node.mem_mb << " MB, " << offer.hostname << " offers " << offer.mem_mb;
  } else {
    for (const auto& port : node.ports) {
      if (!portOffered(offer.ports, port.host)) {
        why << "needs host port " << port.host << ", which " << offer.hostname << " does not offer";
        break;
      }
    }
  }
  return why.str();
}

}  // namespace

PlacementPlan place(const std::vector<LaunchRequest>& pending, const std::vector<Offer>& offers,
                    std::map<std::string, int> nodes_per_host, bool spread) {
  PlacementPlan plan;
  std::vector<Offer> remaining = offers;

  // Nodes with host ports have the fewest choices: place them first.
  std::vector<const LaunchRequest*> order;
  for (const auto& request : pending) order.push_back(&request);
  std::stable_sort(order.begin(), order.end(), [](const LaunchRequest* a, const LaunchRequest* b) {
    return a->node.ports.size() > b->node.ports.size();
  });

  for (const LaunchRequest* request : order) {
    Offer* best = nullptr;
    std::string last_reason = "no offers";
    for (auto& offer : remaining) {
      std::string reason = misfit(request->node, offer);
      if (!reason.empty()) {
        last_reason = reason;
        continue;
      }
      if (!best) {
        best = &offer;
      } else if (spread && nodes_per_host[offer.hostname] < nodes_per_host[best->hostname]) {
        best = &offer;
      }
    }
    if (!best) {
      plan.unplaced[request->node.name] = last_reason;
      continue;
    }
    best->cpus -= request->node.cpus;
    best->mem_mb -= request->node.mem_mb;
    for (const auto& port : request->node.ports) takePort(best->ports, port.host);
    ++nodes_per_host[best->hostname];
    plan.by_offer[best->id].push_back(*request);
  }

  for (const auto& offer : offers) {
    if (!plan.by_offer.count(offer.id)) plan.unused_offers.push_back(offer.id);
  }
  return plan;
}

}  // namespace coral::core
