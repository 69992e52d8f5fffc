#include "sandbox-docker/engine_api.hpp"

#include <cmath>
#include <sstream>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sandbox-docker/helper_protocol.hpp"
#include "sandbox-docker/job_reply.hpp"

namespace sccache::sandbox_docker {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr auto k_launch_timeout = std::chrono::seconds(60);
constexpr auto k_import_timeout = std::chrono::seconds(600);
constexpr auto k_removal_timeout = std::chrono::seconds(30);

std::string encode(const std::string& text) {
  std::string out;
  Poco::URI::encode(text, "!#$&'()*+,/:;=?@[]\" ", out);
  return out;
}

std::string to_json(const Object& object) {
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

Array::Ptr strings(std::initializer_list<std::string> items) {
  Array::Ptr array = new Array;
  for (const auto& item : items) {
    array->add(item);
  }
  return array;
}

Object ulimit(const std::string& name, uint64_t value) {
  Object limit;
  limit.set("Name", name);
  limit.set("Soft", static_cast<int64_t>(value));
  limit.set("Hard", static_cast<int64_t>(value));
  return limit;
}

}  // namespace

EngineApi::EngineApi(const DockerConfig& config, std::shared_ptr<spdlog::logger> logger)
    : m_config(config), m_client(config.socket), m_logger(std::move(logger)) {}

EngineVersion EngineApi::version() const {
  auto object = m_client.call_json("GET", "/version", {}, std::chrono::seconds(10));
  return {object->optValue<std::string>("Version", "?"),
          object->optValue<std::string>("ApiVersion", "0"),
          object->optValue<std::string>("Os", "?")};
}

std::string EngineApi::label_filter(const std::string& toolchain) const {
  Object filters;
  Array::Ptr labels = strings({fmt::format("{}={}", k_owner_label, m_config.owner)});
  if (!toolchain.empty()) {
    labels->add(fmt::format("{}={}", k_toolchain_label, toolchain));
  }
  filters.set("label", labels);
  return encode(to_json(filters));
}

std::string EngineApi::import_image(const std::string& tag, const std::string& toolchain,
                                    const std::function<void(std::ostream&)>& write_tar) const {
  std::string path =
      fmt::format("/images/create?fromSrc=-&repo={}&tag={}&changes={}&changes={}&changes={}",
                  encode("sccache-dist/" + m_config.owner), encode(tag),
                  encode(fmt::format("LABEL {}={}", k_owner_label, m_config.owner)),
                  encode(fmt::format("LABEL {}={}", k_toolchain_label, toolchain)),
                  encode(fmt::format("LABEL {}=\"{}\"", k_config_label, m_config.config_file)));
  // A tar that fails half way is still ended properly, so the engine answers (with an image made
  // of the part it got, which is then removed) instead of racing us with a half-made image.
  std::exception_ptr tar_failure;
  auto response = m_client.upload(
      "POST", path, "application/x-tar",
      [&](std::ostream& out) {
        try {
          write_tar(out);
        } catch (...) {
          tar_failure = std::current_exception();
        }
      },
      k_import_timeout);
  std::string image;
  std::string error;
  if (response.status != 200) {
    error = EngineClient::describe_failure("POST", path, response);
  }
  // A stream of JSON progress messages; an "error" anywhere fails the import, and the last
  // status is the new image's id.
  std::istringstream lines(response.status == 200 ? response.body : "");
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_not_of(" \r\t") == std::string::npos) {
      continue;
    }
    try {
      Poco::JSON::Parser parser;
      auto message = parser.parse(line).extract<Object::Ptr>();
      if (message->has("error")) {
        error =
            "Docker engine: importing the image failed: " + message->getValue<std::string>("error");
      }
      std::string status = message->optValue<std::string>("status", "");
      if (status.rfind("sha256:", 0) == 0) {
        image = status;
      }
    } catch (const Poco::Exception& e) {
      error = "Docker engine: unreadable answer to an image import: " + e.displayText();
    }
  }
  if (tar_failure || !error.empty()) {
    if (!image.empty()) {
      remove_image(image);
    }
    if (tar_failure) {
      std::rethrow_exception(tar_failure);
    }
    throw SandboxError(error);
  }
  if (image.empty()) {
    throw SandboxError("Docker engine: the image import did not say which image it made");
  }
  return image;
}

void EngineApi::remove_image(const std::string& image) const {
  auto response = m_client.call("DELETE", fmt::format("/images/{}?force=1", encode(image)));
  if (response.status != 200 && response.status != 404) {
    throw SandboxError(EngineClient::describe_failure("DELETE", "/images/" + image, response));
  }
}

std::string EngineApi::container_spec(const std::string& image,
                                      const std::string& toolchain) const {
  Object host;
  host.set("NetworkMode", "none");
  host.set("CapDrop", strings({"ALL"}));
  Array::Ptr capabilities = new Array;
  for (const char* capability : protocol::k_helper_capabilities) {
    capabilities->add(std::string(capability));
  }
  host.set("CapAdd", capabilities);
  host.set("SecurityOpt", strings({"no-new-privileges"}));
  host.set("IpcMode", "private");
  host.set("Privileged", false);
  host.set("Init", false);
  if (m_config.cpus > 0) {
    host.set("NanoCpus", static_cast<int64_t>(std::llround(m_config.cpus * 1e9)));
  }
  if (m_config.memory > 0) {
    host.set("Memory", static_cast<int64_t>(m_config.memory));
    host.set("MemorySwap", static_cast<int64_t>(m_config.memory));  // no swap beyond it
  }
  if (m_config.pids_limit > 0) {
    host.set("PidsLimit", m_config.pids_limit);
  }
  Array::Ptr ulimits = new Array;
  ulimits->add(ulimit("core", 0));  // no core files
  // No file in the container may grow larger than all of a job's outputs may be together (soft =
  // hard: the job cannot raise it). An output between the limit for one file and this one is
  // refused by name (a SandboxError); the ulimit bounds what a runaway job writes before that.
  ulimits->add(ulimit("fsize", protocol::k_max_outputs));
  host.set("Ulimits", ulimits);
  Object log;
  log.set("Type", "none");
  host.set("LogConfig", log);

  Object labels;
  labels.set(k_owner_label, m_config.owner);
  labels.set(k_toolchain_label, toolchain);
  labels.set(k_config_label, m_config.config_file);

  Object spec;
  spec.set("Image", image);
  spec.set("Cmd", strings({protocol::k_helper_path}));
  spec.set("User", "0:0");  // the helper; it runs the job as m_config.user()
  spec.set("WorkingDir", "/");
  spec.set("Env", Array::Ptr(new Array));
  spec.set("Labels", labels);
  spec.set("Hostname", "sccache-build");
  spec.set("NetworkDisabled", true);
  spec.set("Tty", false);
  spec.set("OpenStdin", true);
  spec.set("StdinOnce", true);
  spec.set("AttachStdin", true);
  spec.set("AttachStdout", true);
  spec.set("AttachStderr", true);
  spec.set("HostConfig", host);
  return to_json(spec);
}

WarmContainer EngineApi::launch_container(const std::string& image,
                                          const std::string& toolchain) const {
  const auto deadline = Clock::now() + k_launch_timeout;
  const std::string create = "/containers/create";
  auto response = m_client.call("POST", create, container_spec(image, toolchain), k_launch_timeout);
  if (response.status == 404) {  // the API's answer for "No such image"
    throw ImageGone(EngineClient::describe_failure("POST", create, response));
  }
  auto created = EngineClient::json_body("POST", create, response);
  WarmContainer container{created->optValue<std::string>("Id", ""), nullptr};
  if (container.id.empty()) {
    throw SandboxError("Docker engine: POST /containers/create: the answer names no container");
  }
  try {
    container.connection = m_client.attach(
        fmt::format("/containers/{}/attach?stream=1&stdin=1&stdout=1&stderr=1", container.id),
        k_launch_timeout);
    auto started = m_client.call("POST", fmt::format("/containers/{}/start", container.id), {},
                                 k_launch_timeout);
    if (started.status != 204 && started.status != 304) {
      throw SandboxError(EngineClient::describe_failure("POST", "/containers/start", started));
    }
    wait_until_ready(*container.connection, deadline);
  } catch (...) {
    remove_container(container.id);
    throw;
  }
  return container;
}

void EngineApi::remove_container(const std::string& id) const {
  try {
    auto response = m_client.call("DELETE", fmt::format("/containers/{}?force=1&v=1", id));
    if (response.status == 409) {
      // Another thread's removal of it is in progress (a used container is discarded by the
      // pool while an eviction sweeps the toolchain's containers): wait for that one to finish,
      // so that callers may rely on the container being gone when this returns.
      wait_until_removed(id);
      return;
    }
    if (response.status != 204 && response.status != 404) {
      m_logger->warn("cannot remove container {}: {}", id,
                     EngineClient::describe_failure("DELETE", "/containers", response));
    }
  } catch (const std::exception& e) {
    m_logger->warn("cannot remove container {}: {}", id, e.what());
  }
}

void EngineApi::wait_until_removed(const std::string& id) const {
  const auto deadline = std::chrono::steady_clock::now() + k_removal_timeout;
  const std::string path = fmt::format("/containers/{}/json", id);
  while (std::chrono::steady_clock::now() < deadline) {
    if (m_client.call("GET", path).status == 404) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  m_logger->warn("container {} is still being removed after {} s", id,
                 std::chrono::duration_cast<std::chrono::seconds>(k_removal_timeout).count());
}

std::vector<std::string> EngineApi::list_ids(const std::string& collection,
                                             const std::string& query) const {
  const std::string path = "/" + collection + "/json";
  auto response = m_client.call("GET", path + "?" + query);
  if (response.status != 200) {
    throw SandboxError(EngineClient::describe_failure("GET", path, response));
  }
  std::vector<std::string> ids;
  try {
    Poco::JSON::Parser parser;
    auto list = parser.parse(response.body).extract<Array::Ptr>();
    for (unsigned i = 0; i < list->size(); ++i) {
      auto item = list->getObject(i);
      if (!item || !item->has("Id")) {
        throw SandboxError("an entry without an \"Id\"");
      }
      ids.push_back(item->getValue<std::string>("Id"));
    }
  } catch (const std::exception& e) {
    throw SandboxError(fmt::format("Docker engine: GET {}: unreadable answer: {}", path, e.what()));
  }
  return ids;
}

std::vector<std::string> EngineApi::containers(const std::string& toolchain) const {
  return list_ids("containers", fmt::format("all=1&filters={}", label_filter(toolchain)));
}

std::vector<std::string> EngineApi::images(const std::string& toolchain) const {
  return list_ids("images", fmt::format("filters={}", label_filter(toolchain)));
}

}  // namespace sccache::sandbox_docker
