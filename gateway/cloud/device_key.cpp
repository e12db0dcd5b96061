#include "gateway/cloud/device_key.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
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
using Certificate = std::unique_ptr<X509, Deleter<X509, X509_free>>;

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

Certificate parse_certificate(const std::string& pem) {
  Bio in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Certificate certificate(in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!certificate) fail("not a PEM certificate");
  return certificate;
}

Key parse_private_key(const std::string& pem) {
  Bio in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Key key(in ? PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) fail("cannot read the device key");
  return key;
}

std::int64_t unix_ms(const ASN1_TIME* time) {
  std::tm parts{};
  if (ASN1_TIME_to_tm(time, &parts) != 1) fail("a certificate time that cannot be read");
  return static_cast<std::int64_t>(timegm(&parts)) * 1000;
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
  const Key key = parse_private_key(private_key_pem);
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

std::string csr_der(const std::string& csr_pem) {
  Bio in(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  Request request(in ? PEM_read_bio_X509_REQ(in.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!request) fail("not a PEM CSR");
  unsigned char* der = nullptr;
  const int size = i2d_X509_REQ(request.get(), &der);
  if (size <= 0) fail("cannot encode the CSR");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

std::string certificate_pem_from_der(std::string_view der) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
  Certificate certificate(d2i_X509(nullptr, &bytes, static_cast<long>(der.size())));
  // Trailing bytes would mean it was something else that starts like a certificate.
  if (!certificate || bytes != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    fail("not a DER certificate");
  }
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509(out.get(), certificate.get()) != 1) {
    fail("cannot write the certificate");
  }
  return drain(out.get());
}

CertificateInfo read_certificate(const std::string& certificate_pem) {
  const Certificate certificate = parse_certificate(certificate_pem);
  CertificateInfo info;
  const X509_NAME* subject = X509_get_subject_name(certificate.get());
  if (const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); at >= 0) {
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
    info.common_name.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                            static_cast<std::size_t>(ASN1_STRING_length(value)));
  }
  info.not_before_ms = unix_ms(X509_get0_notBefore(certificate.get()));
  info.not_after_ms = unix_ms(X509_get0_notAfter(certificate.get()));
  return info;
}

bool certificate_matches_key(const std::string& certificate_pem,
                             const std::string& private_key_pem) {
  const Certificate certificate = parse_certificate(certificate_pem);
  const Key key = parse_private_key(private_key_pem);
  const bool matches = X509_check_private_key(certificate.get(), key.get()) == 1;
  ERR_clear_error();  // a mismatch leaves an error on the queue
  return matches;
}

}  // namespace edgegw::cloud
