// The HTTP request shape shared by calls and the subscription: POST
// /api/v1/scheduler with the exact headers the master checks.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "mesos/http_call.h"

namespace coral::mesos {

inline boost::beast::http::request<boost::beast::http::string_body> makeSchedulerHttpRequest(
    const SchedulerRequest& request) {
  namespace http = boost::beast::http;
  http::request<http::string_body> out{http::verb::post, std::string(kSchedulerPath), 11};
  out.set(http::field::host, request.master.toString());
  // Exact media types: "application/json; charset=utf-8" gets 415.
  out.set(http::field::content_type, std::string(mediaType(request.contentType)));
  out.set(http::field::accept, std::string(mediaType(request.contentType)));
  if (request.streamId) out.set("Mesos-Stream-Id", *request.streamId);
  if (request.authorization) out.set(http::field::authorization, *request.authorization);
  out.body() = request.body;
  out.prepare_payload();
  return out;
}

}  // namespace coral::mesos
