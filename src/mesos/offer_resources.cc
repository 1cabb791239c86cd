#include "mesos/offer_resources.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace coral::mesos {

namespace {

// Mesos keeps scalars in fixed point with three decimals.
std::int64_t milli(double value) { return std::llround(value * 1000.0); }
double fromMilli(std::int64_t value) { return static_cast<double>(value) / 1000.0; }

// Only plain resources can back a Coral task: revocable ones may vanish,
// shared and disk-specific ones are not what cpus/mem/ports mean here.
bool usable(const v1::Resource& r) {
  return !r.has_revocable() && !r.has_shared() && !r.has_disk();
}

std::string formatScalar(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  std::string s(buf);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::string describePorts(const std::vector<v1::Resource>& resources) {
  std::string out = "[";
  for (const auto& r : resources) {
    if (r.name() != "ports" || r.type() != v1::Value::RANGES) continue;
    for (const auto& range : r.ranges().range()) {
      if (out.size() > 1) out += ',';
      out += std::to_string(range.begin()) + "-" + std::to_string(range.end());
    }
  }
  return out + "]";
}

OfferResources::OfferResources(const v1::Offer& offer) : offer_(offer) {
  for (const auto& resource : offer.resources()) {
    if (!usable(resource)) continue;
    v1::Resource copy = resource;
    // MULTI_ROLE: every resource used in ACCEPT must carry the offer's
    // allocation_info; masters fill it in, but be explicit.
    if (!copy.has_allocation_info() && offer.has_allocation_info()) {
      *copy.mutable_allocation_info() = offer.allocation_info();
    }
    remaining_.push_back(std::move(copy));
  }
}

double OfferResources::remainingScalar(const std::string& name) const {
  std::int64_t total = 0;
  for (const auto& r : remaining_) {
    if (r.name() == name && r.type() == v1::Value::SCALAR) total += milli(r.scalar().value());
  }
  return fromMilli(total);
}

bool OfferResources::hasPort(std::uint32_t port) const {
  for (const auto& r : remaining_) {
    if (r.name() != "ports" || r.type() != v1::Value::RANGES) continue;
    for (const auto& range : r.ranges().range()) {
      if (range.begin() <= port && port <= range.end()) return true;
    }
  }
  return false;
}

Result<TakenResources> OfferResources::take(const ResourceRequest& request) {
  std::vector<v1::Resource> remaining = remaining_;  // committed only on success
  TakenResources taken;
  const std::string where = "offer " + offer_.id().value() + " (agent " + offer_.hostname() + ")";

  auto takeScalar = [&](const std::string& name, double amount) -> Status {
    std::int64_t needed = milli(amount);
    if (needed <= 0) return okStatus();
    std::int64_t available = 0;
    for (const auto& r : remaining) {
      if (r.name() == name && r.type() == v1::Value::SCALAR) available += milli(r.scalar().value());
    }
    if (available < needed) {
      return makeError(where + " has " + formatScalar(fromMilli(available)) + " " + name +
                       " left, the task needs " + formatScalar(amount) +
                       "; wait for a larger offer or lower the request");
    }
    for (auto& r : remaining) {
      if (needed == 0) break;
      if (r.name() != name || r.type() != v1::Value::SCALAR) continue;
      const std::int64_t have = milli(r.scalar().value());
      const std::int64_t use = std::min(have, needed);
      if (use <= 0) continue;
      v1::Resource piece = r;
      piece.mutable_scalar()->set_value(fromMilli(use));
      taken.resources.push_back(std::move(piece));
      r.mutable_scalar()->set_value(fromMilli(have - use));
      needed -= use;
    }
    return okStatus();
  };
  if (auto s = takeScalar("cpus", request.cpus); !s) return s.error();
  if (auto s = takeScalar("mem", request.memMb); !s) return s.error();

  // Ports: one resource per source entry, with one [p,p] range per port.
  std::vector<std::pair<std::size_t, v1::Resource>> portPieces;
  for (const std::uint32_t wanted : request.hostPorts) {
    bool found = false;
    for (std::size_t i = 0; i < remaining.size() && !found; ++i) {
      auto& r = remaining[i];
      if (r.name() != "ports" || r.type() != v1::Value::RANGES) continue;
      auto* ranges = r.mutable_ranges()->mutable_range();
      for (int k = 0; k < ranges->size(); ++k) {
        const auto range = ranges->Get(k);
        if (range.begin() > range.end()) continue;
        const std::uint64_t port = wanted == 0 ? range.begin() : wanted;
        if (port < range.begin() || port > range.end()) continue;
        // Split the range around the port.
        ranges->DeleteSubrange(k, 1);
        if (range.begin() < port) {
          auto* low = r.mutable_ranges()->add_range();
          low->set_begin(range.begin());
          low->set_end(port - 1);
        }
        if (port < range.end()) {
          auto* high = r.mutable_ranges()->add_range();
          high->set_begin(port + 1);
          high->set_end(range.end());
        }
        auto piece = std::find_if(portPieces.begin(), portPieces.end(),
                                  [&](const auto& p) { return p.first == i; });
        if (piece == portPieces.end()) {
          v1::Resource fresh = r;
          fresh.mutable_ranges()->clear_range();
          portPieces.emplace_back(i, std::move(fresh));
          piece = std::prev(portPieces.end());
        }
        auto* single = piece->second.mutable_ranges()->add_range();
        single->set_begin(port);
        single->set_end(port);
        taken.hostPorts.push_back(static_cast<std::uint32_t>(port));
        found = true;
        break;
      }
    }
    if (!found) {
      const std::string ports = describePorts(remaining_);
      if (wanted == 0) {
        return makeError(where + " has no free host port left in " + ports +
                         "; wait for another offer");
      }
      return makeError("host port " + std::to_string(wanted) + " is not free in " + where +
                       ", which offers ports " + ports +
                       "; agents offer 31000-32000 by default, start the agent with "
                       "--resources='ports:[" +
                       std::to_string(wanted) + "-" + std::to_string(wanted) +
                       ",31000-32000]' or pick an offered port");
    }
  }
  for (auto& [index, piece] : portPieces) taken.resources.push_back(std::move(piece));
  remaining_ = std::move(remaining);
  return taken;
}

}  // namespace coral::mesos
