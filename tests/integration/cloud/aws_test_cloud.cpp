#include "tests/integration/cloud/aws_test_cloud.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <boost/json.hpp>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/read_file.h"
#include "tests/test_pki.h"

namespace edgegw {
namespace {

namespace json = boost::json;

constexpr std::string_view kCreateFromCsr = "$aws/certificates/create-from-csr/json";
constexpr std::string_view kCreate = "$aws/certificates/create/json";
constexpr std::string_view kTemplatesPrefix = "$aws/provisioning-templates/";
constexpr std::string_view kProvisionSuffix = "/provision/json";
constexpr std::string_view kThingsPrefix = "$aws/things/";
constexpr std::string_view kShadowPart = "/shadow/";
constexpr std::string_view kJobsPart = "/jobs/";

/// A device's request to a shadow or Jobs topic: its JSON object (none when the payload is not
/// one; an empty payload is an empty object) and the clientToken to echo in the answer.
struct DeviceRequest {
  explicit DeviceRequest(const std::string& payload) {
    boost::system::error_code error;
    parsed = payload.empty() ? json::value(json::object{}) : json::parse(payload, error);
    if (error) parsed = nullptr;
    if (const auto* object = body(); object && object->contains("clientToken")) {
      token = object->at("clientToken");
    }
  }
  const json::object* body() const { return parsed.is_object() ? &parsed.as_object() : nullptr; }
  json::value parsed;
  json::value token = nullptr;
};

bool is_terminal(std::string_view status) {
  return status != "QUEUED" && status != "IN_PROGRESS";
}

/// Merges `patch` into `target` as the shadow service does: objects member by member, null
/// deletes, anything else replaces.
void merge_state(json::object& target, const json::object& patch) {
  for (const auto& [key, value] : patch) {
    if (value.is_null()) {
      target.erase(key);
    } else if (auto* old = target.if_contains(key); old && old->is_object() && value.is_object()) {
      merge_state(old->as_object(), value.as_object());
    } else {
      target[key] = value;
    }
  }
}

/// The members of `desired` that `reported` does not match, recursively.
json::object delta_of(const json::object& desired, const json::object& reported) {
  json::object delta;
  for (const auto& [key, value] : desired) {
    const auto* have = reported.if_contains(key);
    if (have && have->is_object() && value.is_object()) {
      auto inner = delta_of(value.as_object(), have->as_object());
      if (!inner.empty()) delta[key] = std::move(inner);
    } else if (!have || *have != value) {
      delta[key] = value;
    }
  }
  return delta;
}

std::string hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
  return out;
}

/// AWS names a certificate by the SHA-256 of its DER encoding, in hex.
std::string certificate_id(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) throw std::runtime_error("test cloud: issued an unreadable certificate");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  X509_digest(cert.get(), EVP_sha256(), digest, &size);
  return hex(digest, size);
}

std::string random_token() {
  unsigned char bytes[32];
  RAND_bytes(bytes, sizeof bytes);
  return hex(bytes, sizeof bytes);
}

}  // namespace

MosquittoOptions aws_broker_options(const std::string& acl_file, const std::string& grants) {
  std::ofstream(acl_file) << "user cloud\ntopic readwrite $aws/#\n"
                          << "user test-subscriber\ntopic read edgegw/#\n"
                          << grants << "\npattern readwrite edgegw/%c/#\n";
  MosquittoOptions options;
  options.use_identity_as_username = true;
  options.extra_config = "acl_file " + acl_file;
  return options;
}

AwsTestCloud::AwsTestCloud(MosquittoBroker& broker, std::map<std::string, std::string> templates)
    : broker_(broker), templates_(std::move(templates)) {
  client_ = make_test_client(broker, "aws-test-cloud");
  client_->set_message_callback([this](mqtt::const_message_ptr message) {
    on_message(message->get_topic(), message->get_payload_str());
  });
  // The certificate's CN, "cloud", is the user the tests' ACLs name.
  client_->connect(test_client_options(broker, broker.make_device("cloud")))->wait();
  // "#" does not match topics that start with "$" (MQTT 4.7.2).
  client_->subscribe("$aws/#", 1)->wait();
}

AwsTestCloud::~AwsTestCloud() {
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
    // The broker may be gone already.
  }
}

void AwsTestCloud::answer_certificates(bool on) {
  std::lock_guard lock(mutex_);
  answer_certificates_ = on;
}

void AwsTestCloud::answer_registrations(bool on) {
  std::lock_guard lock(mutex_);
  answer_registrations_ = on;
}

void AwsTestCloud::sign_with(std::string pki_dir) {
  std::lock_guard lock(mutex_);
  signing_pki_dir_ = std::move(pki_dir);
}

void AwsTestCloud::expire_tokens() {
  std::lock_guard lock(mutex_);
  for (auto& [token, entry] : tokens_) entry.valid = false;
}

std::vector<ReceivedMessage> AwsTestCloud::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::size_t AwsTestCloud::requests_on(const std::string& topic) const {
  std::lock_guard lock(mutex_);
  const auto it = requests_.find(topic);
  return it == requests_.end() ? 0 : it->second;
}

bool AwsTestCloud::wait_for_requests(const std::string& topic, std::size_t count,
                                     std::chrono::milliseconds deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] {
    const auto it = requests_.find(topic);
    return it != requests_.end() && it->second >= count;
  });
}

std::map<std::string, std::string> AwsTestCloud::things() const {
  std::lock_guard lock(mutex_);
  return things_;
}

std::string AwsTestCloud::certificate(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto it = certificates_.find(id);
  return it == certificates_.end() ? std::string() : it->second;
}

// On Paho's callback thread: answers are published without waiting for their PUBACK.
void AwsTestCloud::on_message(const std::string& topic, const std::string& payload) {
  bool answer_certificates = false;
  bool answer_registrations = false;
  std::string thing;
  std::string operation;
  if (topic.starts_with(kThingsPrefix)) {
    if (const auto at = topic.find(kShadowPart); at != std::string::npos) {
      thing = topic.substr(kThingsPrefix.size(), at - kThingsPrefix.size());
      operation = topic.substr(at + kShadowPart.size());
    }
  }
  bool is_jobs_request = false;
  if (thing.empty() && topic.starts_with(kThingsPrefix)) {
    if (const auto at = topic.find(kJobsPart); at != std::string::npos) {
      thing = topic.substr(kThingsPrefix.size(), at - kThingsPrefix.size());
      operation = topic.substr(at + kJobsPart.size());
      is_jobs_request = operation.ends_with("/get") || operation.ends_with("/update");
    }
  }
  const bool is_shadow_request = !is_jobs_request && (operation == "get" || operation == "update");
  {
    std::lock_guard lock(mutex_);
    messages_.push_back({topic, payload, messages_.size()});
    const bool request = is_shadow_request || is_jobs_request || topic == kCreateFromCsr ||
                         topic == kCreate ||
                         (topic.starts_with(kTemplatesPrefix) && topic.ends_with(kProvisionSuffix));
    if (!request) return;
    ++requests_[topic];
    changed_.notify_all();
    answer_certificates = answer_certificates_;
    answer_registrations = answer_registrations_;
  }
  if (is_shadow_request) {
    shadow_request(thing, operation, payload);
  } else if (is_jobs_request) {
    jobs_request(thing, operation, payload);
  } else if (topic == kCreateFromCsr) {
    if (answer_certificates) create_from_csr(payload);
  } else if (topic == kCreate) {
    if (answer_certificates) create_keys_and_certificate();
  } else if (answer_registrations) {
    const auto name = topic.substr(
        kTemplatesPrefix.size(), topic.size() - kTemplatesPrefix.size() - kProvisionSuffix.size());
    register_thing(name, payload);
  }
}

void AwsTestCloud::shadow_request(const std::string& thing, const std::string& operation,
                                  const std::string& payload) {
  const std::string prefix = std::string(kThingsPrefix) + thing + "/shadow/" + operation;
  const DeviceRequest request(payload);
  const json::object* body = request.body();
  const json::value& token = request.token;
  auto answer = [&](json::object document) {
    if (!token.is_null()) document["clientToken"] = token;
    return json::serialize(document);
  };
  if (!body) {
    reply(prefix + "/rejected",
          answer({{"code", 400}, {"message", "Payload contains invalid json"}}));
    return;
  }
  std::unique_lock lock(mutex_);
  if (operation == "get") {
    const auto found = shadows_.find(thing);
    if (found == shadows_.end()) {
      lock.unlock();
      reply(prefix + "/rejected",
            answer({{"code", 404}, {"message", "No shadow exists with name: '" + thing + "'"}}));
      return;
    }
    json::object state{{"desired", found->second.desired}, {"reported", found->second.reported}};
    if (auto delta = delta_of(found->second.desired, found->second.reported); !delta.empty()) {
      state["delta"] = std::move(delta);
    }
    const std::int64_t version = found->second.version;
    lock.unlock();
    reply(prefix + "/accepted", answer({{"state", std::move(state)}, {"version", version}}));
    return;
  }
  const auto* state = body->if_contains("state");
  const auto* reported =
      state && state->is_object() ? state->as_object().if_contains("reported") : nullptr;
  if (!reported || !reported->is_object()) {
    lock.unlock();
    reply(prefix + "/rejected",
          answer({{"code", 400}, {"message", "State contains an invalid node"}}));
    return;
  }
  Shadow& shadow = shadows_[thing];
  merge_state(shadow.reported, reported->as_object());
  ++shadow.version;
  ++shadow.reported_updates;
  const Shadow copy = shadow;
  changed_.notify_all();
  lock.unlock();
  reply(prefix + "/accepted",
        answer({{"state", json::object{{"reported", *reported}}}, {"version", copy.version}}));
  publish_delta(thing, copy);
}

void AwsTestCloud::publish_delta(const std::string& thing, const Shadow& shadow) {
  auto delta = delta_of(shadow.desired, shadow.reported);
  if (delta.empty()) return;
  reply(std::string(kThingsPrefix) + thing + "/shadow/update/delta",
        json::serialize(json::object{{"state", std::move(delta)}, {"version", shadow.version}}));
}

std::optional<AwsTestCloud::Shadow> AwsTestCloud::shadow(const std::string& thing) const {
  std::lock_guard lock(mutex_);
  const auto found = shadows_.find(thing);
  if (found == shadows_.end()) return std::nullopt;
  return found->second;
}

void AwsTestCloud::set_desired(const std::string& thing, const json::object& desired) {
  Shadow copy;
  {
    std::lock_guard lock(mutex_);
    Shadow& shadow = shadows_[thing];
    merge_state(shadow.desired, desired);
    ++shadow.version;
    copy = shadow;
  }
  publish_delta(thing, copy);
}

bool AwsTestCloud::wait_for_shadow(const std::string& thing,
                                   const std::function<bool(const Shadow&)>& condition,
                                   std::chrono::milliseconds deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] {
    const auto found = shadows_.find(thing);
    return found != shadows_.end() && condition(found->second);
  });
}

json::object AwsTestCloud::execution_json(const std::string& thing, const JobExecution& job) {
  json::object execution{{"jobId", job.job_id},          {"thingName", thing},
                         {"jobDocument", job.document},  {"status", job.status},
                         {"versionNumber", job.version}, {"executionNumber", job.execution_number}};
  if (!job.status_details.empty()) execution["statusDetails"] = job.status_details;
  return execution;
}

const AwsTestCloud::JobExecution* AwsTestCloud::next_job(const std::string& thing) const {
  const auto found = jobs_.find(thing);
  if (found == jobs_.end()) return nullptr;
  for (const auto& job : found->second) {
    if (job.status == "IN_PROGRESS") return &job;
  }
  for (const auto& job : found->second) {
    if (job.status == "QUEUED") return &job;
  }
  return nullptr;
}

void AwsTestCloud::notify_next_if_changed(const std::string& thing,
                                          const std::string& next_before) {
  json::object notification{{"timestamp", std::time(nullptr)}};
  {
    std::lock_guard lock(mutex_);
    const JobExecution* next = next_job(thing);
    if ((next ? next->job_id : std::string()) == next_before) return;
    if (next) notification["execution"] = execution_json(thing, *next);
  }
  reply(std::string(kThingsPrefix) + thing + "/jobs/notify-next", json::serialize(notification));
}

void AwsTestCloud::create_job(const std::string& thing, const std::string& job_id,
                              const json::object& document) {
  std::string next_before;
  {
    std::lock_guard lock(mutex_);
    if (const JobExecution* next = next_job(thing)) next_before = next->job_id;
    auto& executions = jobs_[thing];
    executions.push_back({.job_id = job_id,
                          .document = document,
                          .status = "QUEUED",
                          .status_details = {},
                          .version = 1,
                          .execution_number = static_cast<std::int64_t>(executions.size()) + 1,
                          .history = {}});
  }
  notify_next_if_changed(thing, next_before);
}

std::optional<AwsTestCloud::JobExecution> AwsTestCloud::job(const std::string& thing,
                                                            const std::string& job_id) const {
  std::lock_guard lock(mutex_);
  const auto found = jobs_.find(thing);
  if (found == jobs_.end()) return std::nullopt;
  for (const auto& job : found->second) {
    if (job.job_id == job_id) return job;
  }
  return std::nullopt;
}

bool AwsTestCloud::wait_for_job(const std::string& thing, const std::string& job_id,
                                const std::string& status,
                                std::chrono::milliseconds deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] {
    const auto found = jobs_.find(thing);
    if (found == jobs_.end()) return false;
    for (const auto& job : found->second) {
      if (job.job_id == job_id) return job.status == status;
    }
    return false;
  });
}

void AwsTestCloud::jobs_request(const std::string& thing, const std::string& operation,
                                const std::string& payload) {
  const std::string prefix = std::string(kThingsPrefix) + thing + "/jobs/" + operation;
  const DeviceRequest request(payload);
  const json::object* body = request.body();
  const json::value& token = request.token;
  auto answer = [&](json::object document) {
    document["timestamp"] = std::time(nullptr);
    if (!token.is_null()) document["clientToken"] = token;
    return json::serialize(document);
  };
  auto refuse = [&](const std::string& code, const std::string& message) {
    reply(prefix + "/rejected", answer({{"code", code}, {"message", message}}));
  };
  if (!body) {
    refuse("InvalidJson", "the request is not a JSON object");
    return;
  }
  const std::string job_id = operation.substr(0, operation.find('/'));
  if (operation.ends_with("/get")) {
    json::object document;
    {
      std::lock_guard lock(mutex_);
      const JobExecution* execution = nullptr;
      if (job_id == "$next") {
        execution = next_job(thing);
      } else if (auto found = jobs_.find(thing); found != jobs_.end()) {
        for (const auto& job : found->second) {
          if (job.job_id == job_id) execution = &job;
        }
      }
      if (execution) document["execution"] = execution_json(thing, *execution);
    }
    reply(prefix + "/accepted", answer(std::move(document)));
    return;
  }
  // UpdateJobExecution.
  const auto* status = body->if_contains("status");
  if (!status || !status->is_string()) {
    refuse("InvalidRequest", "status must be specified on every update");
    return;
  }
  const std::string new_status(status->as_string());
  if (new_status != "IN_PROGRESS" && new_status != "SUCCEEDED" && new_status != "FAILED" &&
      new_status != "REJECTED") {
    refuse("InvalidRequest", "a device sets IN_PROGRESS, SUCCEEDED, FAILED or REJECTED");
    return;
  }
  std::string next_before;
  json::object state;
  {
    std::lock_guard lock(mutex_);
    if (const JobExecution* next = next_job(thing)) next_before = next->job_id;
    JobExecution* execution = nullptr;
    if (auto found = jobs_.find(thing); found != jobs_.end()) {
      for (auto& job : found->second) {
        if (job.job_id == job_id) execution = &job;
      }
    }
    if (!execution) {
      refuse("ResourceNotFound", "no execution of job " + job_id + " for " + thing);
      return;
    }
    if (is_terminal(execution->status)) {
      refuse("TerminalStateReached", "job " + job_id + " is " + execution->status);
      return;
    }
    execution->status = new_status;
    if (const auto* details = body->if_contains("statusDetails"); details && details->is_object()) {
      execution->status_details = details->as_object();
    }
    ++execution->version;
    execution->history.push_back(new_status);
    state = {{"status", execution->status},
             {"statusDetails", execution->status_details},
             {"versionNumber", execution->version}};
    changed_.notify_all();
  }
  reply(prefix + "/accepted", answer({{"executionState", std::move(state)}}));
  notify_next_if_changed(thing, next_before);
}

void AwsTestCloud::create_from_csr(const std::string& payload) {
  const std::string topic(kCreateFromCsr);
  boost::system::error_code error;
  const auto request = json::parse(payload, error);
  const auto* csr = !error && request.is_object()
                        ? request.as_object().if_contains("certificateSigningRequest")
                        : nullptr;
  if (!csr || !csr->is_string()) {
    reject(topic, 400, "InvalidPayload", "certificateSigningRequest is required");
    return;
  }
  std::string pki_dir;
  {
    std::lock_guard lock(mutex_);
    pki_dir = signing_pki_dir_.empty() ? broker_.pki_dir() : signing_pki_dir_;
  }
  std::string pem;
  try {
    pem = sign_csr(pki_dir, std::string(csr->as_string()), work_.file(next_name()));
  } catch (const std::exception&) {
    reject(topic, 400, "InvalidCsr", "the certificate signing request is not valid");
    return;
  }
  issue(topic + "/accepted", pem, "");
}

void AwsTestCloud::create_keys_and_certificate() {
  const std::string name = next_name();
  // The cloud makes the key: issue-cert.sh leaves <name>.key and <name>.pem in the CA's folder.
  run_cert_script("issue-cert.sh '" + broker_.pki_dir() + "' '" + name + "' 'AWS IoT Certificate'");
  const std::string base = broker_.pki_dir() + "/" + name;
  issue(std::string(kCreate) + "/accepted", read_file(base + ".pem"), read_file(base + ".key"));
}

void AwsTestCloud::issue(const std::string& answer_topic, const std::string& pem,
                         const std::string& private_key) {
  const std::string id = certificate_id(pem);
  const std::string token = random_token();
  {
    std::lock_guard lock(mutex_);
    certificates_[id] = pem;
    tokens_[token] = {.certificate_id = id, .valid = true};
  }
  json::object answer{
      {"certificateId", id}, {"certificatePem", pem}, {"certificateOwnershipToken", token}};
  if (!private_key.empty()) answer["privateKey"] = private_key;
  reply(answer_topic, json::serialize(answer));
}

void AwsTestCloud::register_thing(const std::string& template_name, const std::string& payload) {
  const std::string topic =
      std::string(kTemplatesPrefix) + template_name + std::string(kProvisionSuffix);
  const auto prefix = templates_.find(template_name);
  if (prefix == templates_.end()) {
    reject(topic, 404, "ResourceNotFound", "Template " + template_name + " does not exist");
    return;
  }
  boost::system::error_code error;
  const auto request = json::parse(payload, error);
  if (error || !request.is_object()) {
    reject(topic, 400, "InvalidPayload", "the request is not a JSON object");
    return;
  }
  const auto& object = request.as_object();
  const auto* token = object.if_contains("certificateOwnershipToken");
  const auto* parameters = object.if_contains("parameters");
  const json::value* serial = parameters && parameters->is_object()
                                  ? parameters->as_object().if_contains("SerialNumber")
                                  : nullptr;
  if (!serial || !serial->is_string()) {
    reject(topic, 400, "InvalidParameters", "the template needs the parameter SerialNumber");
    return;
  }
  const std::string thing = prefix->second + std::string(serial->as_string());
  bool valid = false;
  {
    std::lock_guard lock(mutex_);
    const auto entry =
        token && token->is_string() ? tokens_.find(std::string(token->as_string())) : tokens_.end();
    if (entry != tokens_.end() && entry->second.valid) {
      valid = true;
      // A token registers one thing, once.
      entry->second.valid = false;
      things_[thing] = entry->second.certificate_id;
    }
  }
  if (!valid) {
    // The answer AWS gives an empty, unknown or expired token.
    reject(topic, 400, "InvalidCertificateOwnershipToken",
           "Certificate ownership token is invalid or expired.");
    return;
  }
  reply(topic + "/accepted", json::serialize(json::object{{"deviceConfiguration", json::object{}},
                                                          {"thingName", thing}}));
}

void AwsTestCloud::reply(const std::string& topic, const std::string& payload) {
  client_->publish(topic, payload.data(), payload.size(), 1, false);
}

void AwsTestCloud::reject(const std::string& request_topic, int status, const std::string& code,
                          const std::string& message) {
  reply(request_topic + "/rejected",
        json::serialize(
            json::object{{"statusCode", status}, {"errorCode", code}, {"errorMessage", message}}));
}

std::string AwsTestCloud::next_name() {
  std::lock_guard lock(mutex_);
  return "issued-" + std::to_string(++serial_);
}

}  // namespace edgegw
