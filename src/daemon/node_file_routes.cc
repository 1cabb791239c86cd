#include <filesystem>

#include <fmt/format.h>

#include "api/server.h"
#include "daemon/daemon.h"
#include "daemon/routes.h"
#include "os/atomic_file.h"

namespace coral::daemon {
namespace {

// Only these names are served: the route never turns a request into an
// arbitrary path of the state dir.
api::Response serveFile(const std::string& dir, const std::string& name,
                        std::initializer_list<const char*> allowed) {
  bool known = false;
  for (const char* candidate : allowed) known = known || name == candidate;
  if (!known) {
    return api::jsonError(404, "not_found",
                          fmt::format("no node file named \"{}\"; nodes read the files listed in "
                                      "their CORAL_FILES",
                                      name));
  }
  const std::string path = dir + "/" + name;
  if (!std::filesystem::exists(path)) {
    // The hosts inventory appears with the first node that has an address.
    return api::jsonError(404, "not_found",
                          fmt::format("{} does not exist yet; ask again shortly", name));
  }
  auto text = os::readFile(path);
  if (!text) return api::jsonError(500, "internal", text.message());
  api::Response response;
  response.content_type = "text/plain; charset=utf-8";
  response.headers["Cache-Control"] = "no-store";
  response.body = std::move(*text);
  return response;
}

}  // namespace

class NodeFileRoutes {
 public:
  static void install(Daemon& d, api::Router& router);
};

void installNodeFileRoutes(Daemon& d, api::Router& router) { NodeFileRoutes::install(d, router); }

void NodeFileRoutes::install(Daemon& d, api::Router& router) {
  router.add("GET", kSharedNodeFilesRoute, [&d](const api::Request& req, api::Responder res) {
    res.send(serveFile(d.dir_.shareDir(), req.params.at("file"), {"authorized_keys", "hosts", "mac-rules"}));
  });
  router.add("GET", "/v1/node-files/notebook/{file}", [&d](const api::Request& req, api::Responder res) {
    res.send(serveFile(d.dir_.notebookDir(), req.params.at("file"),
                       {"id_ed25519", "id_ed25519.pub", "api-token"}));
  });
  router.add("GET", "/v1/node-files/notebook-token", [&d](const api::Request&, api::Responder res) {
    const std::filesystem::path token(d.dir_.notebookToken());
    res.send(serveFile(token.parent_path().string(), token.filename().string(), {"notebook-token"}));
  });
}

}  // namespace coral::daemon
