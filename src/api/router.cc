#include "api/router.h"

#include <set>

#include <fmt/format.h>

namespace coral::api {

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = path.empty() || path[0] != '/' ? 0 : 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  // "/v1/nodes/" matches "/v1/nodes"; "/" is the empty list.
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

bool isParam(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  if (pattern.empty() || pattern[0] != '/') {
    fmt::print(stderr, "coral api: BUG: route pattern '{}' must start with '/'; route ignored\n",
               pattern);
    return;
  }
  auto segments = splitPath(pattern);
  std::set<std::string> names;
  for (const auto& s : segments) {
    if (!isParam(s)) continue;
    std::string name = s.substr(1, s.size() - 2);
    if (name.empty() || !names.insert(name).second) {
      fmt::print(stderr,
                 "coral api: BUG: route pattern '{}' has an empty or repeated {{name}}; "
                 "route ignored\n",
                 pattern);
      return;
    }
  }
  for (auto& route : routes_) {
    if (route.method == method && route.pattern == pattern) {
      route.handler = std::move(handler);
      return;
    }
  }
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(segments),
                          std::move(handler)});
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  auto segments = splitPath(path);
  Match result;
  const Route* best = nullptr;
  std::vector<bool> best_key;  // per segment: true for a {param}
  const Route* any = nullptr;  // most specific matching route of any method
  std::vector<bool> any_key;
  std::set<std::string> allowed;

  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::vector<bool> key;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      bool param = isParam(route.segments[i]);
      key.push_back(param);
      ok = param ? !segments[i].empty() : route.segments[i] == segments[i];
    }
    if (!ok) continue;
    allowed.insert(route.method);
    if (!any || key < any_key) {
      any = &route;
      any_key = key;
    }
    if (route.method == method && (!best || key < best_key)) {
      best = &route;
      best_key = key;
    }
  }

  if (!best) {
    if (!any) return result;
    result.status = 405;
    result.pattern = any->pattern;
    for (const auto& m : allowed) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += m;
    }
    return result;
  }
  result.status = 200;
  result.handler = &best->handler;
  result.pattern = best->pattern;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (best_key[i]) {
      const auto& s = best->segments[i];
      result.params[s.substr(1, s.size() - 2)] = percentDecode(segments[i], false);
    }
  }
  return result;
}

}  // namespace coral::api
