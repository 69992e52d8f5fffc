#include "sccache/transport.hpp"

#include <sstream>
#include <strings.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

namespace sccache {

TransportError::~TransportError() = default;
BodyTooLarge::~BodyTooLarge() = default;
ServerRequest::~ServerRequest() = default;
ServerResponse::~ServerResponse() = default;
TransportServer::~TransportServer() = default;
TransportClient::~TransportClient() = default;
TransportFactory::~TransportFactory() = default;

std::optional<std::string_view> find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

std::string ServerRequest::read_body(uint64_t limit) {
  std::string data;
  if (content_length() > 0) {
    if (static_cast<uint64_t>(content_length()) > limit) {
      throw BodyTooLarge(fmt::format("request body of {} bytes exceeds the limit of {} bytes",
                                     content_length(), limit));
    }
    data.reserve(static_cast<size_t>(content_length()));
  }
  std::istream& in = body();
  char buffer[65536];
  while (in) {
    in.read(buffer, sizeof buffer);
    data.append(buffer, static_cast<size_t>(in.gcount()));
    if (data.size() > limit) {
      throw BodyTooLarge(fmt::format("request body exceeds the limit of {} bytes", limit));
    }
  }
  return data;
}

std::string Endpoint::to_string() const {
  return fmt::format("{}://{}:{}", tls ? "https" : "http",
                     host.find(':') != std::string::npos ? "[" + host + "]" : host, port);
}

std::string error_reply_json(const ErrorReply& error) {
  Poco::JSON::Object::Ptr inner = new Poco::JSON::Object;
  inner->set("code", error.code);
  inner->set("message", error.message);
  inner->set("retryable", error.retryable);
  Poco::JSON::Object outer;
  outer.set("error", inner);
  std::ostringstream out;
  outer.stringify(out);
  return out.str();
}

std::optional<ErrorReply> parse_error_reply(std::string_view body) {
  try {
    Poco::JSON::Parser parser;
    auto object = parser.parse(std::string(body)).extract<Poco::JSON::Object::Ptr>();
    auto error = object ? object->getObject("error") : nullptr;
    if (!error || !error->has("code")) {
      return std::nullopt;
    }
    ErrorReply reply;
    reply.code = error->getValue<std::string>("code");
    reply.message = error->has("message") ? error->getValue<std::string>("message") : "";
    reply.retryable = error->has("retryable") && error->getValue<bool>("retryable");
    return reply;
  } catch (const std::exception&) {  // Poco::Exception and bad_cast alike: not an error reply
    return std::nullopt;
  }
}

}  // namespace sccache
