#pragma once

#include <mqtt/async_client.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/broker/mosquitto_broker.h"
#include "tests/integration/broker/mqtt_test_subscriber.h"
#include "tests/temp_dir.h"

namespace edgegw {

/// Options for a mosquitto that plays AWS IoT's policies: the certificate's CN is the user, and
/// the ACL written to `acl_file` lets the test cloud ("cloud") use $aws, the test subscriber read
/// edgegw/#, every client its own edgegw/<client id>/# (as ${iot:Connection.Thing.ThingName}
/// does on AWS), and whatever `grants` adds (acl_file lines, e.g. "user claim\ntopic ...").
MosquittoOptions aws_broker_options(const std::string& acl_file, const std::string& grants);

/// The AWS IoT side of the device topic contracts, for tests, on a real mosquitto: fleet
/// provisioning by claim ("Device provisioning MQTT API": CreateCertificateFromCsr,
/// CreateKeysAndCertificate, RegisterThing). It is an MQTT client of the broker, as the
/// "cloud" user, that answers each request on its /accepted or /rejected topic the way the
/// API documents. CSRs are signed with the broker's CA through OpenSSL (deploy/certs
/// sign-csr.sh), so an issued certificate really connects. Every message on $aws/# is kept,
/// so a test can check what the device sent. It also keeps each thing's classic shadow ("Device
/// Shadow MQTT topics": get, update, update/delta, with version and clientToken), where the test
/// plays the fleet operator with set_desired(), and each thing's job executions ("Jobs device
/// MQTT API": $next/get, <jobId>/update, notify-next), where the test creates jobs.
class AwsTestCloud {
 public:
  /// Templates it knows; RegisterThing names a thing "<template's prefix><SerialNumber>".
  explicit AwsTestCloud(MosquittoBroker& broker, std::map<std::string, std::string> templates = {
                                                     {"edgegw-fleet", "edgegw-"}});
  ~AwsTestCloud();
  AwsTestCloud(const AwsTestCloud&) = delete;
  AwsTestCloud& operator=(const AwsTestCloud&) = delete;

  /// Take requests without answering them (false), or answer (true, the default).
  void answer_certificates(bool on);
  void answer_registrations(bool on);
  /// Signs CSRs with the CA in `pki_dir` from now on (a CA the broker does not trust makes
  /// certificates that cannot connect); empty: the broker's CA.
  void sign_with(std::string pki_dir);
  /// Every ownership token issued so far stops being valid, as one past its hour.
  void expire_tokens();

  /// Every message seen on $aws/#, requests and answers, in order.
  std::vector<ReceivedMessage> messages() const;
  /// How many requests arrived on `topic`.
  std::size_t requests_on(const std::string& topic) const;
  /// Waits until `count` requests arrived on `topic`.
  bool wait_for_requests(const std::string& topic, std::size_t count,
                         std::chrono::milliseconds deadline = std::chrono::seconds(30)) const;
  /// The things registered, by name, with the certificate id they were registered with.
  std::map<std::string, std::string> things() const;
  /// The PEM of an issued certificate by its id.
  std::string certificate(const std::string& certificate_id) const;

  /// A thing's classic shadow as the cloud holds it.
  struct Shadow {
    boost::json::object desired;
    boost::json::object reported;
    std::int64_t version = 0;
    std::size_t reported_updates = 0;  ///< updates the device sent
  };
  std::optional<Shadow> shadow(const std::string& thing) const;
  /// What UpdateThingShadow with {"state": {"desired": desired}} does from the cloud side:
  /// merged into the shadow (null deletes), and the delta published to the device.
  void set_desired(const std::string& thing, const boost::json::object& desired);
  /// Waits until `thing`'s shadow satisfies `condition`.
  bool wait_for_shadow(const std::string& thing,
                       const std::function<bool(const Shadow&)>& condition,
                       std::chrono::milliseconds deadline = std::chrono::seconds(30)) const;

  /// One thing's execution of a job, as the Jobs service holds it.
  struct JobExecution {
    std::string job_id;
    boost::json::object document;
    std::string status = "QUEUED";
    boost::json::object status_details;
    std::int64_t version = 1;
    std::int64_t execution_number = 1;
    std::vector<std::string> history;  ///< every status the device set, in order
  };
  /// CreateJob targeting `thing`: queued behind its other jobs; notify-next goes out when it is
  /// the thing's next job.
  void create_job(const std::string& thing, const std::string& job_id,
                  const boost::json::object& document);
  std::optional<JobExecution> job(const std::string& thing, const std::string& job_id) const;
  /// Waits until the execution's status is `status`.
  bool wait_for_job(const std::string& thing, const std::string& job_id, const std::string& status,
                    std::chrono::milliseconds deadline = std::chrono::seconds(30)) const;

 private:
  struct Token {
    std::string certificate_id;
    bool valid = true;
  };

  void on_message(const std::string& topic, const std::string& payload);
  void create_from_csr(const std::string& payload);
  void create_keys_and_certificate();
  void register_thing(const std::string& template_name, const std::string& payload);
  /// Records the certificate, issues a token for it and answers with both (and `private_key`).
  void issue(const std::string& answer_topic, const std::string& pem,
             const std::string& private_key);
  void reply(const std::string& topic, const std::string& payload);
  void reject(const std::string& request_topic, int status, const std::string& code,
              const std::string& message);
  std::string next_name();
  /// A device's get or update on "$aws/things/<thing>/shadow/<operation>".
  void shadow_request(const std::string& thing, const std::string& operation,
                      const std::string& payload);
  /// Publishes the delta of `shadow` (desired members that reported does not match), if any.
  void publish_delta(const std::string& thing, const Shadow& shadow);
  /// A device's request on "$aws/things/<thing>/jobs/<operation>".
  void jobs_request(const std::string& thing, const std::string& operation,
                    const std::string& payload);
  /// The thing's next job (the first IN_PROGRESS, else the first QUEUED), under the lock.
  const JobExecution* next_job(const std::string& thing) const;
  /// Publishes notify-next when the thing's next job is not the one it was.
  void notify_next_if_changed(const std::string& thing, const std::string& next_before);
  static boost::json::object execution_json(const std::string& thing, const JobExecution& job);

  MosquittoBroker& broker_;
  std::map<std::string, std::string> templates_;
  TempDir work_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool answer_certificates_ = true;
  bool answer_registrations_ = true;
  std::string signing_pki_dir_;  ///< empty: the broker's
  std::vector<ReceivedMessage> messages_;
  std::map<std::string, std::size_t> requests_;
  std::map<std::string, std::string> certificates_;  ///< id -> PEM
  std::map<std::string, Token> tokens_;
  std::map<std::string, std::string> things_;  ///< thing -> certificate id
  std::size_t serial_ = 0;
  std::map<std::string, Shadow> shadows_;
  std::map<std::string, std::vector<JobExecution>> jobs_;  ///< by thing, in creation order
  // Last, so it is destroyed first: its callbacks use everything above.
  std::unique_ptr<mqtt::async_client> client_;
};

}  // namespace edgegw
