#include "gateway/cloud/device_key.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>

namespace edgegw::cloud {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Request = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;

[[noreturn]] void fail(const std::string& what) {
  std::string detail;
  if (unsigned long code = ERR_get_error(); code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    detail = std::string(": ") + text;
  }
  ERR_clear_error();
  throw std::runtime_error(what + detail);
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

std::optional<KeyType> parse_key_type(std::string_view name) {
  if (name == "ec-p256") return KeyType::ec_p256;
  if (name == "rsa-2048") return KeyType::rsa_2048;
  return std::nullopt;
}

std::string generate_private_key(KeyType type) {
  Key key(type == KeyType::ec_p256 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                   : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
  if (!key) fail("cannot generate the device key");
  Bio out(BIO_new(BIO_s_mem()));
  if (!out ||
      PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("cannot write the device key");
  }
  return drain(out.get());
}

std::string make_csr(const std::string& private_key_pem, const std::string& common_name) {
  Bio in(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  Key key(in ? PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) fail("cannot read the device key");
  Request request(X509_REQ_new());
  if (!request) fail("cannot make a CSR");
  X509_NAME* name = X509_REQ_get_subject_name(request.get());
  if (X509_REQ_set_version(request.get(), 0) != 1 ||  // version 1, the only one there is
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1 ||
      X509_REQ_set_pubkey(request.get(), key.get()) != 1 ||
      X509_REQ_sign(request.get(), key.get(), EVP_sha256()) <= 0) {
    fail("cannot make a CSR for " + common_name);
  }
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509_REQ(out.get(), request.get()) != 1) fail("cannot write the CSR");
  return drain(out.get());
}

}  // namespace edgegw::cloud
