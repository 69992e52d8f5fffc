// auth-token: right, wrong, missing and insecure credentials in every role, and config errors
// that never reveal the token.
#include <catch2/catch.hpp>

#include "sccache/plugin_registry.hpp"

#include "auth-token/token_auth.hpp"
#include "support/auth_plugin_fixture.hpp"
#include "support/test_support.hpp"

using namespace sccache;

namespace {

struct Fixture : test::AuthPluginFixture {
  explicit Fixture(std::string_view text, std::string key_path = "client_auth")
      : AuthPluginFixture(auth_token::descriptor(), text, std::move(key_path)) {}
};

using test::config_error;

}  // namespace

TEST_CASE("the descriptor declares both types") {
  const sccache_plugin_descriptor* d = auth_token::descriptor();
  CHECK_FALSE(validate_descriptor(d).has_value());
  CHECK(d->kind == SCCACHE_PLUGIN_KIND_AUTH);
  CHECK(std::string(d->types[0]) == "token");
  CHECK(std::string(d->types[1]) == "DANGEROUSLY_INSECURE");
  CHECK(d->types[2] == nullptr);
}

TEST_CASE("token: the right token passes; wrong, missing and malformed ones are refused") {
  Fixture f("type = \"token\"\ntoken = \"my client token\"\n");
  auto verifier = f.verifier("token", AuthRole::client_verifier);
  auto ok = verifier->verify({"Bearer my client token", "", "127.0.0.1:5"});
  CHECK(ok.accepted);
  CHECK(verifier->verify({"bearer my client token", "", ""}).accepted);

  auto wrong = verifier->verify({"Bearer my client tokeN", "", ""});
  CHECK_FALSE(wrong.accepted);
  CHECK(wrong.reason == "invalid bearer token");
  CHECK_FALSE(verifier->verify({"Bearer my client token ", "", ""}).accepted);
  CHECK_FALSE(verifier->verify({"Bearer ", "", ""}).accepted);

  auto missing = verifier->verify({"", "", ""});
  CHECK_FALSE(missing.accepted);
  CHECK(missing.reason.find("no bearer token") != std::string::npos);

  auto basic = verifier->verify({"Basic bXk6dG9rZW4=", "", ""});
  CHECK_FALSE(basic.accepted);
  CHECK(basic.reason.find("not a bearer token") != std::string::npos);

  for (const auto& decision : {wrong, missing, basic}) {
    CHECK(decision.reason.find("my client token") == std::string::npos);
  }
}

TEST_CASE("token: a provider presents what the verifier expects") {
  Fixture f("type = \"token\"\ntoken = \"my server token\"\n", "scheduler_auth");
  auto provider = f.provider("token", AuthRole::server_credential);
  CHECK(provider->authorization() == "Bearer my server token");
  auto verifier = f.verifier("token", AuthRole::server_verifier);
  auto decision = verifier->verify({provider->authorization(), "127.0.0.1:10501", ""});
  CHECK(decision.accepted);
  CHECK(decision.identity == "127.0.0.1:10501");
  // A server must say who it is.
  CHECK_FALSE(verifier->verify({provider->authorization(), "", ""}).accepted);
}

TEST_CASE("DANGEROUSLY_INSECURE uses the fixed upstream tokens per side") {
  Fixture f("type = \"DANGEROUSLY_INSECURE\"\n");
  auto client = f.provider("DANGEROUSLY_INSECURE", AuthRole::client_credential);
  CHECK(client->authorization() == "Bearer dangerously_insecure_client");
  auto client_check = f.verifier("DANGEROUSLY_INSECURE", AuthRole::client_verifier);
  CHECK(client_check->verify({client->authorization(), "", ""}).accepted);
  CHECK_FALSE(client_check->verify({"", "", ""}).accepted);

  auto server = f.provider("DANGEROUSLY_INSECURE", AuthRole::server_credential);
  auto server_check = f.verifier("DANGEROUSLY_INSECURE", AuthRole::server_verifier);
  CHECK(server_check->verify({server->authorization(), "10.0.0.1:10501", ""}).accepted);
  CHECK_FALSE(server_check->verify({client->authorization(), "10.0.0.1:10501", ""}).accepted);
}

TEST_CASE("config errors name the key and never the token") {
  Fixture missing("type = \"token\"\n");
  CHECK(config_error([&] {
          missing.verifier("token", AuthRole::client_verifier);
        }).find("key 'client_auth.token': missing required key") != std::string::npos);

  Fixture extra("type = \"token\"\ntoken = \"hunter2-secret\"\ntokn = \"x\"\n");
  auto message = config_error([&] { extra.verifier("token", AuthRole::client_verifier); });
  CHECK(message.find("scheduler.conf:3:1: key 'client_auth.tokn': unknown key") == 0);
  CHECK(message.find("hunter2") == std::string::npos);

  Fixture empty("type = \"token\"\ntoken = \"\"\n");
  CHECK(config_error([&] {
          empty.verifier("token", AuthRole::client_verifier);
        }).find("cannot be empty") != std::string::npos);

  Fixture insecure_extra("type = \"DANGEROUSLY_INSECURE\"\ntoken = \"x\"\n");
  CHECK(config_error([&] {
          insecure_extra.verifier("DANGEROUSLY_INSECURE", AuthRole::client_verifier);
        }).find("key 'client_auth.token': unknown key") != std::string::npos);
}

TEST_CASE("constant_time_equal and bearer_token") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
  CHECK(bearer_token("Bearer x y") == "x y");
  CHECK(bearer_token("BEARER t") == "t");
  CHECK(bearer_token("Bearer") == "");
  CHECK(bearer_token("Token t") == "");
}

TEST_CASE("the shared object loads through the registry") {
  PluginRegistry registry(PluginRegistry::default_search_dirs());
  const AuthFactory& factory = registry.auth("token");
  // Loaded from the .so, not the static copy linked into this test.
  CHECK(&factory != auth_token::descriptor()->factory);
  Fixture f("type = \"token\"\ntoken = \"t\"\n");
  auto verifier = factory.create_verifier("token", AuthRole::client_verifier, f.section, *f.host);
  CHECK(verifier->verify({"Bearer t", "", ""}).accepted);
}
