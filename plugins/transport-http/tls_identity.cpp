#include "transport-http/tls_identity.hpp"

#include <memory>
#include <optional>

#include <Poco/Exception.h>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "transport-http/ssl_init.hpp"

namespace sccache::transport_http {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

constexpr long k_one_hour = 60L * 60;
constexpr long k_one_year = 365L * 24 * 60 * 60;

[[noreturn]] void fail(std::string_view what) {
  unsigned long code = ERR_get_error();
  char reason[256] = "unknown error";
  if (code != 0) {
    ERR_error_string_n(code, reason, sizeof reason);
  }
  ERR_clear_error();
  throw TransportError(fmt::format("generating the TLS certificate: {} failed: {}", what, reason));
}

void check(int ok, std::string_view what) {
  if (ok != 1) {
    fail(what);
  }
}

void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    fail(fmt::format("adding extension {}", value));
  }
}

// subjectAltName: IP addresses as iPAddress entries, anything else as a dNSName.
void add_subject_alt_names(X509* cert, const std::vector<std::string>& names) {
  NamesPtr list(sk_GENERAL_NAME_new_null());
  if (!list) {
    fail("allocating subjectAltName");
  }
  for (const std::string& name : names) {
    GENERAL_NAME* entry = GENERAL_NAME_new();
    if (entry == nullptr) {
      fail("allocating subjectAltName");
    }
    if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str())) {
      GENERAL_NAME_set0_value(entry, GEN_IPADD, ip);
    } else {
      ERR_clear_error();
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      if (dns == nullptr || ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size())) != 1) {
        ASN1_IA5STRING_free(dns);
        GENERAL_NAME_free(entry);
        fail("encoding a DNS name");
      }
      GENERAL_NAME_set0_value(entry, GEN_DNS, dns);
    }
    if (sk_GENERAL_NAME_push(list.get(), entry) == 0) {
      GENERAL_NAME_free(entry);
      fail("building subjectAltName");
    }
  }
  check(X509_add1_ext_i2d(cert, NID_subject_alt_name, list.get(), 0, X509V3_ADD_DEFAULT),
        "adding subjectAltName");
}

X509Ptr make_certificate(EVP_PKEY* key, const std::vector<std::string>& names) {
  X509Ptr cert(X509_new());
  if (!cert) {
    fail("X509_new");
  }
  check(X509_set_version(cert.get(), X509_VERSION_3), "setting the version");

  BignumPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    fail("setting a random serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -k_one_hour) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), k_one_year) == nullptr) {
    fail("setting the validity period");
  }
  check(X509_set_pubkey(cert.get(), key), "setting the public key");

  std::string common_name = names.empty() ? "sccache-dist build server" : names.front();
  X509_NAME* subject = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0),
        "setting the common name");
  check(X509_set_issuer_name(cert.get(), subject), "setting the issuer");

  add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), NID_subject_key_identifier, "hash");
  if (!names.empty()) {
    add_subject_alt_names(cert.get(), names);
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) {
    fail("signing");
  }
  return cert;
}

std::string to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    fail("writing PEM");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace

std::string certificate_sha256(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &size) != 1) {
    return {};
  }
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(k_hex[digest[i] >> 4]);
    hex.push_back(k_hex[digest[i] & 0xf]);
  }
  return hex;
}

ServerTlsMaterial generate_tls_identity(const std::vector<std::string>& names) {
  ensure_ssl_initialized();
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) {
    fail("generating an ECDSA P-256 key");
  }
  X509Ptr cert = make_certificate(key.get(), names);
  TlsIdentity identity{to_pem(cert.get()), certificate_sha256(cert.get())};
  if (identity.certificate_sha256.empty()) {
    fail("hashing the certificate");
  }
  try {
    Poco::Crypto::EVPPKey poco_key(key.get());  // copies the key
    // Takes the certificate over.
    Poco::Crypto::X509Certificate poco_cert(cert.release());
    return ServerTlsMaterial{std::move(poco_cert), std::move(poco_key), std::move(identity)};
  } catch (const Poco::Exception& e) {
    throw TransportError(fmt::format("wrapping the TLS key: {}", e.displayText()));
  }
}

ServerTlsMaterial load_tls_identity(const std::filesystem::path& certificate_file,
                                    const std::filesystem::path& key_file) {
  ensure_ssl_initialized();
  std::vector<Poco::Crypto::X509Certificate> certificates;
  try {
    certificates = Poco::Crypto::X509Certificate::readPEM(certificate_file.string());
  } catch (const Poco::Exception& e) {
    throw TransportError(fmt::format("cannot read the TLS certificate {}: {}",
                                     certificate_file.string(), e.displayText()));
  }
  if (certificates.empty()) {
    throw TransportError(fmt::format("{} holds no PEM certificate", certificate_file.string()));
  }
  std::optional<Poco::Crypto::EVPPKey> key;
  try {
    key.emplace("", key_file.string(), "");
  } catch (const Poco::Exception& e) {
    throw TransportError(fmt::format("cannot read the TLS private key {} (PEM, unencrypted): {}",
                                     key_file.string(), e.displayText()));
  }
  X509* leaf = const_cast<X509*>(certificates.front().certificate());
  if (X509_check_private_key(leaf, static_cast<EVP_PKEY*>(*key)) != 1) {
    ERR_clear_error();
    throw TransportError(fmt::format("the private key {} does not belong to the certificate {}",
                                     key_file.string(), certificate_file.string()));
  }
  TlsIdentity identity{to_pem(leaf), certificate_sha256(leaf)};
  ServerTlsMaterial material{certificates.front(), std::move(*key), std::move(identity), true, {}};
  material.chain.assign(certificates.begin() + 1, certificates.end());
  return material;
}

Poco::Net::Context::Ptr make_server_context(const ServerTlsMaterial& material) {
  ensure_ssl_initialized();
  try {
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;
    params.loadDefaultCAs = false;
    params.cipherList = material.from_operator ? k_public_tls12_ciphers : k_tls12_ciphers;
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    context->useCertificate(material.certificate);  // must precede usePrivateKey()
    for (const auto& intermediate : material.chain) {
      context->addChainCertificate(intermediate);
    }
    context->usePrivateKey(material.key);
    return context;
  } catch (const Poco::Exception& e) {
    throw TransportError(fmt::format("cannot create the TLS server context: {}", e.displayText()));
  }
}

}  // namespace sccache::transport_http
