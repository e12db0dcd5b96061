#include "gateway/jobs/signature.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "gateway/durable_file.h"

namespace edgegw {

struct SignatureKey::Key {
  explicit Key(EVP_PKEY* key) : pkey(key) {}
  ~Key() { EVP_PKEY_free(pkey); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  EVP_PKEY* pkey;
};

SignatureKey SignatureKey::load(const std::string& pem_file) {
  return parse(read_text_file(pem_file), pem_file);
}

SignatureKey SignatureKey::parse(std::string_view pem, const std::string& origin) {
  BIO* in = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = in ? PEM_read_bio_PUBKEY(in, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(in);
  ERR_clear_error();
  if (!pkey) throw std::runtime_error(origin + ": not a PEM public key");
  auto key = std::make_shared<const Key>(pkey);
  if (EVP_PKEY_id(pkey) != EVP_PKEY_ED25519) {
    throw std::runtime_error(origin + ": not an Ed25519 public key");
  }
  return SignatureKey(std::move(key));
}

bool SignatureKey::verifies(std::string_view message, std::string_view signature) const {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (!context) return false;
  // Ed25519 takes no digest: the whole message goes to DigestVerify at once.
  const bool good =
      EVP_DigestVerifyInit(context, nullptr, nullptr, nullptr, key_->pkey) == 1 &&
      EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  EVP_MD_CTX_free(context);
  ERR_clear_error();
  return good;
}

}  // namespace edgegw
