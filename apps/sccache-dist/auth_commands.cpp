#include "sccache-dist/auth_commands.hpp"

#include <iostream>
#include <map>

#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include "sccache/token_crypto.hpp"

#include "util/random.hpp"

#include "common/config_document.hpp"
#include "common/net_address.hpp"

namespace sccache {

namespace {

constexpr const char* k_auth_usage = R"(Usage:
  sccache-dist auth generate-jwt-hs256-key
  sccache-dist auth generate-jwt-hs256-server-token --server <ip:port> (--secret-key <key> | --config <scheduler.conf>)
  sccache-dist auth generate-shared-token [--bits <N>]     (N: 64 to 4096, a multiple of 8; default 256)
)";

constexpr size_t k_hs256_key_bytes = 32;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "--name value" / "--name=value" options; every option must be in `known`.
std::map<std::string, std::string> parse_options(const std::vector<std::string>& args,
                                                 std::initializer_list<std::string> known) {
  std::map<std::string, std::string> options;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      throw UsageError(name + " needs a value");
    }
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw UsageError("unexpected argument '" + name + "'");
    }
    options[name] = value;
  }
  return options;
}

// The key from [server_auth] of a scheduler.conf, which must be type = "jwt_hs256".
std::string secret_key_from_config(const std::string& file) {
  const ConfigDocument document = load_config_document(file);
  const ConfigSection server_auth = document.section().require_table("server_auth");
  if (server_auth.require_string("type") != "jwt_hs256") {
    server_auth.fail("type", "server tokens are for type = \"jwt_hs256\"");
  }
  return server_auth.require_string("secret_key");
}

std::string server_token(const std::map<std::string, std::string>& options) {
  auto server = options.find("--server");
  if (server == options.end()) {
    throw UsageError("--server <ip:port> is required (the build server's public_addr)");
  }
  std::string error;
  auto address = parse_host_port(server->second, &error);
  if (!address) {
    throw UsageError("--server: " + error);
  }
  const bool has_key = options.count("--secret-key") != 0;
  if (has_key == (options.count("--config") != 0)) {
    throw UsageError("give exactly one of --secret-key and --config");
  }
  const std::string encoded =
      has_key ? options.at("--secret-key") : secret_key_from_config(options.at("--config"));
  auto key = base64url_decode(encoded, Base64Padding::allowed);
  if (!key || key->size() < k_hs256_key_bytes) {
    throw UsageError(
        "the secret key must be base64url of at least 32 bytes (generate-jwt-hs256-key)");
  }
  Poco::JWT::Token token;
  token.setType("JWT");
  token.payload().set("server_id", address->to_string());
  token.payload().set("iat", Poco::Timestamp().epochTime());  // whole seconds
  Poco::JWT::Signer signer(*key);
  return signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
}

std::string shared_token(const std::map<std::string, std::string>& options) {
  long bits = 256;
  if (auto it = options.find("--bits"); it != options.end()) {
    char* end = nullptr;
    bits = std::strtol(it->second.c_str(), &end, 10);
    if (end == it->second.c_str() || *end != '\0' || bits < 64 || bits > 4096 || bits % 8 != 0) {
      throw UsageError("--bits must be a multiple of 8 from 64 to 4096");
    }
  }
  return base64url_encode(util::random_bytes(static_cast<size_t>(bits / 8)));
}

}  // namespace

int auth_command(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? std::cerr : std::cout) << k_auth_usage;
    return args.empty() ? 2 : 0;
  }
  const std::string& command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    std::string output;
    if (command == "generate-jwt-hs256-key") {
      parse_options(rest, {});
      output = base64url_encode(util::random_bytes(k_hs256_key_bytes));
    } else if (command == "generate-jwt-hs256-server-token") {
      output = server_token(parse_options(rest, {"--server", "--secret-key", "--config"}));
    } else if (command == "generate-shared-token") {
      output = shared_token(parse_options(rest, {"--bits"}));
    } else {
      throw UsageError("unknown auth command '" + command + "'");
    }
    std::cout << output << "\n";
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "sccache-dist auth: " << e.what() << "\n\n" << k_auth_usage;
    return 2;
  } catch (const ConfigError& e) {
    std::cerr << "sccache-dist auth: invalid configuration: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "sccache-dist auth: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace sccache
