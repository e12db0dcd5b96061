#include "tests/integration/cloud/dps_test_service.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <optional>
#include <sstream>
#include <thread>

#include "tests/integration/broker/mqtt_test_subscriber.h"
#include "tests/read_file.h"
#include "tests/run_command.h"
#include "tests/test_pki.h"

namespace edgegw {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;

namespace {

std::string url_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

/// base64(HMAC-SHA256(base64-decoded key, message)) by the openssl command line.
std::string openssl_hmac(const std::string& base64_key, const std::string& printf_format,
                         const std::string& args) {
  const auto result =
      run_command("printf '" + printf_format + "' " + args +
                  " | openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf '%s' '" + base64_key +
                  "' | base64 -d | od -An -v -tx1 | tr -d ' \\n') -binary | base64");
  std::string out = result.output;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

/// A PEM block of `label` around `base64` (DER), in lines of 64 as OpenSSL reads them.
std::string pem_block(const std::string& label, const std::string& base64) {
  std::string out = "-----BEGIN " + label + "-----\n";
  for (std::size_t at = 0; at < base64.size(); at += 64) out += base64.substr(at, 64) + "\n";
  return out + "-----END " + label + "-----\n";
}

/// The base64 DER body of each PEM block in `pem`, in order.
std::vector<std::string> pem_bodies(const std::string& pem) {
  std::vector<std::string> bodies;
  std::istringstream lines(pem);
  std::string line;
  std::string body;
  while (std::getline(lines, line)) {
    if (line.starts_with("-----BEGIN")) {
      body.clear();
    } else if (line.starts_with("-----END")) {
      bodies.push_back(body);
    } else {
      body += line;
    }
  }
  return bodies;
}

/// The fields of an MQTT 3.1.1 CONNECT that DPS looks at.
struct Connect {
  std::string client_id;
  std::string username;
  std::string password;
};

/// The CONNECT at the start of `bytes`, once all of it is there.
std::optional<Connect> parse_connect(const std::vector<unsigned char>& bytes) {
  if (bytes.size() < 2 || bytes[0] != 0x10) return std::nullopt;
  std::size_t length = 0;
  std::size_t at = 1;
  for (int shift = 0; at < bytes.size() && shift < 28; shift += 7) {
    const auto byte = bytes[at++];
    length |= static_cast<std::size_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  if (bytes.size() < at + length) return std::nullopt;
  auto u16 = [&](std::size_t i) { return static_cast<std::size_t>(bytes[i] << 8 | bytes[i + 1]); };
  auto text = [&](std::size_t& i) {
    const std::size_t size = u16(i);
    std::string value(bytes.begin() + static_cast<long>(i + 2),
                      bytes.begin() + static_cast<long>(i + 2 + size));
    i += 2 + size;
    return value;
  };
  std::size_t i = at;
  text(i);  // protocol name
  ++i;      // protocol level
  const unsigned flags = bytes[i++];
  i += 2;  // keep-alive
  Connect connect;
  connect.client_id = text(i);
  if (flags & 0x04) {  // a will: topic and message
    text(i);
    text(i);
  }
  if (flags & 0x80) connect.username = text(i);
  if (flags & 0x40) connect.password = text(i);
  return connect;
}

}  // namespace

std::string dps_listener_config(int plain_port) {
  return "listener " + std::to_string(plain_port) + " 127.0.0.1\nuse_username_as_clientid true\n";
}

/// The TLS front door: one thread, one io_context, a session per device connection.
struct DpsTestService::FrontDoor {
  struct Session : std::enable_shared_from_this<Session> {
    Session(FrontDoor& door, tcp::socket socket)
        : door(door), device(std::move(socket), door.context), broker(door.io) {}

    void start() {
      device.async_handshake(asio::ssl::stream_base::server,
                             [self = shared_from_this()](boost::system::error_code error) {
                               if (error)
                                 return self->door.record("refused: TLS " + error.message());
                               self->read_connect();
                             });
    }

    void read_connect() {
      device.async_read_some(
          asio::buffer(chunk),
          [self = shared_from_this()](boost::system::error_code error, std::size_t n) {
            if (error) return;
            self->pending.insert(self->pending.end(), self->chunk.begin(), self->chunk.begin() + n);
            const auto connect = parse_connect(self->pending);
            if (!connect) return self->read_connect();
            const std::string refusal = self->door.check(*connect, self->device.native_handle());
            if (!refusal.empty()) return self->refuse(refusal);
            self->door.record("admitted " + connect->client_id);
            self->door.admit(*connect);
            self->forward();
          });
    }

    void refuse(const std::string& why) {
      door.record("refused: " + why);
      static const unsigned char kNotAuthorised[] = {0x20, 0x02, 0x00, 0x05};
      asio::async_write(device, asio::buffer(kNotAuthorised),
                        [self = shared_from_this()](boost::system::error_code, std::size_t) {
                          boost::system::error_code ignored;
                          self->device.lowest_layer().close(ignored);
                        });
    }

    void forward() {
      broker.async_connect(
          {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(door.plain_port)},
          [self = shared_from_this()](boost::system::error_code error) {
            if (error) return self->close();
            asio::async_write(self->broker, asio::buffer(self->pending),
                              [self](boost::system::error_code error, std::size_t) {
                                if (error) return self->close();
                                self->pump(self->device, self->broker, self->up);
                                self->pump(self->broker, self->device, self->down);
                              });
          });
    }

    template <class From, class To>
    void pump(From& from, To& to, std::array<char, 16384>& buffer) {
      from.async_read_some(
          asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer](
                                    boost::system::error_code error, std::size_t n) {
            if (error) return self->close();
            asio::async_write(
                to, asio::buffer(buffer.data(), n),
                [self, &from, &to, &buffer](boost::system::error_code error, std::size_t) {
                  if (error) return self->close();
                  self->pump(from, to, buffer);
                });
          });
    }

    void close() {
      boost::system::error_code ignored;
      device.lowest_layer().close(ignored);
      broker.close(ignored);
    }

    FrontDoor& door;
    asio::ssl::stream<tcp::socket> device;
    tcp::socket broker;
    std::array<char, 4096> chunk{};
    std::vector<unsigned char> pending;
    std::array<char, 16384> up{};
    std::array<char, 16384> down{};
  };

  FrontDoor(const MosquittoBroker& broker, int plain_port, const DpsEnrollment& enrollment)
      : plain_port(plain_port), enrollment(enrollment) {
    const std::string pki = broker.pki_dir();
    context.use_certificate_chain_file(pki + "/server.pem");
    context.use_private_key_file(pki + "/server.key", asio::ssl::context::pem);
    context.load_verify_file(broker.ca_file());
    // A certificate is asked for but not required: a SAS device has none.
    context.set_verify_mode(asio::ssl::verify_peer);
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
    accept();
    thread = std::thread([this] { io.run(); });
  }

  ~FrontDoor() {
    io.stop();
    thread.join();
  }

  void accept() {
    acceptor.async_accept([this](boost::system::error_code error, tcp::socket socket) {
      if (error) return;
      std::make_shared<Session>(*this, std::move(socket))->start();
      accept();
    });
  }

  /// Why DPS would refuse this CONNECT, or "" to admit it.
  std::string check(const Connect& connect, SSL* tls) const {
    const std::string id = connect.client_id;
    const std::string resource = enrollment.id_scope + "/registrations/" + id;
    if (!connect.username.starts_with(resource + "/api-version=")) {
      return "user name \"" + connect.username + "\"";
    }
    if (enrollment.group_key.empty()) {
      X509* certificate = SSL_get1_peer_certificate(tls);
      if (!certificate) return "no client certificate";
      char cn[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, cn, sizeof cn);
      X509_free(certificate);
      return id == cn ? "" : "registration id " + id + " is not the certificate's CN " + cn;
    }
    std::map<std::string, std::string> fields;
    const std::string prefix = "SharedAccessSignature ";
    if (!connect.password.starts_with(prefix)) return "no SAS token";
    std::string_view rest = std::string_view(connect.password).substr(prefix.size());
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const auto pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? "" : rest.substr(amp + 1);
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos) {
        fields[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
      }
    }
    if (fields["skn"] != "registration") return "skn \"" + fields["skn"] + "\"";
    if (lower(url_decode(fields["sr"])) != lower(resource)) return "sr \"" + fields["sr"] + "\"";
    if (fields["se"].empty() || std::stoll(fields["se"]) <= std::time(nullptr)) return "expired";
    const std::string device_key = openssl_hmac(enrollment.group_key, "%s", "'" + id + "'");
    const std::string signature =
        openssl_hmac(device_key, "%s\\n%s", "'" + fields["sr"] + "' '" + fields["se"] + "'");
    return url_decode(fields["sig"]) == signature ? "" : "signature does not match";
  }

  void record(const std::string& event) {
    std::lock_guard lock(mutex);
    events.push_back(event);
  }

  /// The user name of the registration's latest admitted connection: DPS reads the API version
  /// from it.
  void admit(const Connect& connect) {
    std::lock_guard lock(mutex);
    usernames[connect.client_id] = connect.username;
  }
  std::string username_of(const std::string& registration_id) const {
    std::lock_guard lock(mutex);
    const auto found = usernames.find(registration_id);
    return found == usernames.end() ? "" : found->second;
  }

  int plain_port;
  DpsEnrollment enrollment;
  asio::io_context io;
  asio::ssl::context context{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::thread thread;
  mutable std::mutex mutex;
  std::vector<std::string> events;
  std::map<std::string, std::string> usernames;  ///< registration id -> user name
};

DpsTestService::DpsTestService(MosquittoBroker& broker, int plain_port, DpsEnrollment enrollment)
    : broker_(broker), enrollment_(std::move(enrollment)) {
  door_ = std::make_unique<FrontDoor>(broker, plain_port, enrollment_);
  client_ = make_test_client(broker, "dps-test-service");
  client_->set_message_callback([this](mqtt::const_message_ptr message) {
    on_message(message->get_topic(), message->get_payload_str());
  });
  client_->connect(test_client_options(broker, broker.make_device("dps-service")))->wait();
  client_->subscribe("$dps/registrations/PUT/iotdps-register/#", 1)->wait();
  client_->subscribe("$dps/registrations/GET/iotdps-get-operationstatus/#", 1)->wait();
}

DpsTestService::~DpsTestService() {
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
    // The broker may be gone already.
  }
}

std::string DpsTestService::endpoint() const {
  return "127.0.0.1:" + std::to_string(door_->acceptor.local_endpoint().port());
}

std::vector<std::string> DpsTestService::connects() const {
  std::lock_guard lock(door_->mutex);
  return door_->events;
}

std::vector<std::string> DpsTestService::assigned() const {
  std::lock_guard lock(mutex_);
  return assigned_;
}

std::vector<std::string> DpsTestService::issued() const {
  std::lock_guard lock(mutex_);
  return issued_;
}

DpsTestService::Issuance DpsTestService::issue(const std::string& registration_id,
                                               const std::string& csr_base64) {
  if (!enrollment_.issues_certificates) {
    return {.chain = {}, .refusal = "the enrollment has no certificate policy"};
  }
  const std::string api_version = "/api-version=2025-07-01-preview";
  if (!door_->username_of(registration_id).ends_with(api_version)) {
    return {.chain = {}, .refusal = "a csr needs " + api_version.substr(1)};
  }
  const std::string pki_dir =
      enrollment_.signing_pki_dir.empty() ? broker_.pki_dir() : enrollment_.signing_pki_dir;
  std::string certificate;
  try {
    const std::string stem = broker_.directory() + "/dps-issued-" + registration_id + "-" +
                             std::to_string(issued().size() + 1);
    certificate = sign_csr(pki_dir, pem_block("CERTIFICATE REQUEST", csr_base64), stem);
  } catch (const std::exception&) {
    return {.chain = {}, .refusal = "the csr is not a valid certificate signing request"};
  }
  // Leaf first, then the CA that signed it, as DPS sends the chain.
  json::array chain;
  std::string pems = certificate;
  pems += read_file(pki_dir + "/ca.pem");
  for (const auto& body : pem_bodies(pems)) chain.emplace_back(body);
  std::lock_guard lock(mutex_);
  issued_.push_back(certificate);
  return {.chain = std::move(chain), .refusal = ""};
}

std::size_t DpsTestService::registrations() const {
  std::lock_guard lock(mutex_);
  return registrations_;
}

std::size_t DpsTestService::polls() const {
  std::lock_guard lock(mutex_);
  return polls_;
}

// On Paho's callback thread: answers are published without waiting for their PUBACK.
void DpsTestService::on_message(const std::string& topic, const std::string& payload) {
  auto query_value = [&](const std::string& key) {
    const auto at = topic.find(key + "=");
    if (at == std::string::npos) return std::string();
    const auto start = at + key.size() + 1;
    return topic.substr(start, topic.find('&', start) - start);
  };
  const std::string rid = query_value("$rid");
  std::string status;
  json::object answer;
  // Signing runs the openssl command line: before the lock, as the answer waits for it anyway.
  std::optional<Issuance> issuance;
  const bool registration = topic.starts_with("$dps/registrations/PUT/iotdps-register/");
  const auto request = registration ? json::parse(payload).as_object() : json::object();
  const std::string registration_id =
      registration ? std::string(request.at("registrationId").as_string()) : "";
  if (const auto* csr = request.if_contains("csr")) {
    issuance = issue(registration_id, std::string(csr->as_string()));
  }
  {
    std::lock_guard lock(mutex_);
    if (registration) {
      ++registrations_;
      const std::string operation = "op-" + std::to_string(operations_.size() + 1);
      if (issuance && !issuance->refusal.empty()) {
        status = "400/?$rid=" + rid;
        answer = {{"errorCode", 400004}, {"message", issuance->refusal}};
      } else {
        operations_[operation] = registration_id;
        if (issuance) chains_[operation] = std::move(issuance->chain);
        status = "202/?$rid=" + rid + "&retry-after=1";
        answer = {{"operationId", operation}, {"status", "assigning"}};
      }
    } else {
      ++polls_;
      const auto found = operations_.find(query_value("operationId"));
      if (found == operations_.end()) {
        status = "404/?$rid=" + rid;
        answer = {{"errorCode", 404201}, {"message", "Operation not found"}};
      } else {
        assigned_.push_back(found->second);
        status = "200/?$rid=" + rid;
        answer = {{"operationId", found->first},
                  {"status", "assigned"},
                  {"registrationState",
                   {{"registrationId", found->second},
                    {"assignedHub", enrollment_.assigned_hub},
                    {"deviceId", found->second},
                    {"status", "assigned"},
                    {"substatus", "initialAssignment"}}}};
        if (const auto chain = chains_.find(found->first); chain != chains_.end()) {
          answer["registrationState"].as_object()["issuedCertificateChain"] = chain->second;
        }
      }
    }
  }
  const std::string body = json::serialize(answer);
  client_->publish("$dps/registrations/res/" + status, body.data(), body.size(), 1, false);
}

}  // namespace edgegw
