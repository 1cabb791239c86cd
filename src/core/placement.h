// Puts pending launches on offered resources. Pure. Spreads nodes across
// machines by default: a node goes to the machine that has the fewest nodes
// of this cluster among those whose offer fits it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/decide.h"
#include "core/node.h"

namespace coral::core {

struct PlacementPlan {
  std::map<std::string, std::vector<LaunchRequest>> by_offer;  // offer id → launches
  std::vector<std::string> unused_offers;                       // to decline
  std::map<std::string, std::string> unplaced;                  // node → why no offer fits
};

// `nodes_per_host` counts this cluster's live nodes on each hostname.
PlacementPlan place(const std::vector<LaunchRequest>& pending, const std::vector<Offer>& offers,
                    std::map<std::string, int> nodes_per_host, bool spread);

}  // namespace coral::core
