// Splits Docker's newline-delimited JSON streams (/events, the progress
// stream of image import) into parsed documents, across arbitrary read
// boundaries.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"

namespace coral::docker {

class JsonLineSplitter {
 public:
  // Returns false to stop; the rest of the input is then ignored.
  using DocumentSink = std::function<bool(const nlohmann::json& document)>;

  // Calls `sink` for every complete line. The result is false when the sink
  // asked to stop; an error when a line is not JSON.
  Result<bool> feed(std::string_view bytes, const DocumentSink& sink);

  // Parses a last line that had no trailing newline (end of stream).
  Result<bool> finish(const DocumentSink& sink);

 private:
  Result<bool> emit(std::string_view line, const DocumentSink& sink);
  std::string pending_;
};

}  // namespace coral::docker
