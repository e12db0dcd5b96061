#include "gateway/uplink/uplink_options.h"

namespace edgegw {

const OptionTable<UplinkOptions>& uplink_option_table() {
  static const OptionTable<UplinkOptions> table = {
      {.key = "provider",
       .member = &UplinkOptions::provider,
       .description = "Cloud profile: decides how messages are metered (aws counts payload and "
                      "topic in 5 KB units; azure counts body, property bag and what the hub "
                      "stamps in 4 KB blocks).",
       .choices = "aws azure generic"},
      {.key = "host",
       .member = &UplinkOptions::host,
       .description = "MQTT broker host name. For aws and azure it is derived from [uplink.aws] "
                      "or [uplink.azure] when left at the default."},
      {.key = "port",
       .member = &UplinkOptions::port,
       .description = "MQTT broker port (8883 is usual with TLS).",
       .min = 1,
       .max = 65535},
      {.key = "client_id",
       .member = &UplinkOptions::client_id,
       .description = "MQTT client id. Empty: the AWS thing name, the Azure device id, or "
                      "gateway_id."},
      {.key = "username",
       .member = &UplinkOptions::username,
       .description = "MQTT user name, if the broker wants one (Azure's is derived)."},
      {.key = "password_file",
       .member = &UplinkOptions::password_file,
       .description = "File holding the MQTT password; it must not be readable by group or "
                      "others (mode 0600)."},
      {.key = "telemetry_topic",
       .member = &UplinkOptions::telemetry_topic,
       .description = "Topic for bundles; {gateway_id} is replaced."},
      {.key = "alarm_topic",
       .member = &UplinkOptions::alarm_topic,
       .description = "Topic for alarms; {gateway_id} is replaced."},
      {.key = "command_topic",
       .member = &UplinkOptions::command_topic,
       .description = "Topic filter the gateway takes commands on (ping, status, arm, disarm, "
                      "flush), the command's name being the last level; {gateway_id} is "
                      "replaced. Empty: no commands. Provider azure takes IoT Hub direct "
                      "methods instead of this topic; empty turns those off too."},
      {.key = "response_topic",
       .member = &UplinkOptions::response_topic,
       .description = "Topic the answers to commands go to; {gateway_id} is replaced."},
      {.key = "directory",
       .member = &UplinkOptions::directory,
       .description = "If set, write each bundle as a file <bundle_seq>.bundle into this "
                      "directory instead of publishing it; a bundle counts as acknowledged once "
                      "its file is on disk. For demos and offline capture."},
      {.key = "inflight_window",
       .member = &UplinkOptions::inflight_window,
       .description = "Bundles published but not yet acknowledged (PUBACK), at most.",
       .min = 1,
       .max = 1024},
      {.key = "keepalive_s",
       .member = &UplinkOptions::keepalive_s,
       .description = "MQTT keep-alive interval.",
       .min = 5,
       .max = 1200},
      {.key = "mqtt_version",
       .member = &UplinkOptions::mqtt_version,
       .description = "MQTT protocol version. auto: the provider's best, 5 for aws and generic "
                      "(mosquitto 2, AWS IoT Core), 3.1.1 for azure (IoT Hub has no MQTT 5). "
                      "Under 5 a broker can refuse a publish (a PUBACK reason code of 0x80 or "
                      "above) and the gateway keeps the readings; under 3.1.1 a broker that will "
                      "not take a publish acks and drops it (mosquitto) or disconnects (AWS).",
       .choices = "auto 3.1.1 5"},
      {.key = "refused_retry_s",
       .member = &UplinkOptions::refused_retry_s,
       .description = "After the broker refuses a publish for good (MQTT 5: not authorised, "
                      "too large, ...), that lane (telemetry or alarms) waits this long before "
                      "sending it again; the message is kept, never deleted.",
       .min = 1,
       .max = 86400},
      {.key = "reconnect_min_ms",
       .member = &UplinkOptions::reconnect_min_ms,
       .description = "First reconnect delay; each failure doubles it up to reconnect_max_ms, "
                      "and the actual wait is drawn at random below it (full jitter).",
       .min = 10,
       .max = 3600000},
      {.key = "reconnect_max_ms",
       .member = &UplinkOptions::reconnect_max_ms,
       .description = "Cap of the reconnect delay.",
       .min = 10,
       .max = 3600000},
      {.key = "max_publishes_per_s",
       .member = &UplinkOptions::max_publishes_per_s,
       .description = "Shape publishing to this rate. -1: the provider's limit (aws 100/s per "
                      "connection, azure the tier's device-to-cloud throttle); 0: no limit.",
       .min = -1},
      {.key = "max_bytes_per_s",
       .member = &UplinkOptions::max_bytes_per_s,
       .description = "Shape publishing to this many payload bytes per second. -1: the "
                      "provider's limit (aws 512 KB/s per connection); 0: no limit.",
       .min = -1},
  };
  return table;
}

const OptionTable<TlsOptions>& tls_option_table() {
  static const OptionTable<TlsOptions> table = {
      {.key = "ca_file",
       .member = &TlsOptions::ca_file,
       .description = "CA bundle that signed the broker's certificate (PEM). It may hold "
                      "several roots, one after the other: keep the provider's current and next "
                      "root there (AWS: Amazon Root CA 1 and 3), so a root rotation at the "
                      "provider does not cut the gateway off.",
       .required = true},
      {.key = "cert_file",
       .member = &TlsOptions::cert_file,
       .description = "The device's X.509 certificate (PEM). Empty: no client certificate "
                      "(Azure SAS, or a broker with passwords)."},
      {.key = "key_file",
       .member = &TlsOptions::key_file,
       .description = "The device's private key (PEM); refused if group or others can read it."},
      {.key = "verify_hostname",
       .member = &TlsOptions::verify_hostname,
       .description = "Check that the broker's certificate names uplink.host. Leave on."},
  };
  return table;
}

const OptionTable<AwsOptions>& aws_option_table() {
  static const OptionTable<AwsOptions> table = {
      {.key = "endpoint_prefix",
       .member = &AwsOptions::endpoint_prefix,
       .description = "Your account's endpoint prefix: the host is "
                      "<endpoint_prefix>-ats.iot.<region>.amazonaws.com."},
      {.key = "region",
       .member = &AwsOptions::region,
       .description = "AWS region, e.g. eu-west-1."},
      {.key = "thing_name",
       .member = &AwsOptions::thing_name,
       .description = "The thing's name: the MQTT client id and the certificate's CN. Empty: "
                      "gateway_id."},
      {.key = "basic_ingest_rule",
       .member = &AwsOptions::basic_ingest_rule,
       .description = "If set, publish through Basic Ingest ($aws/rules/<rule>/<topic>), which "
                      "AWS does not bill as messaging."},
      {.key = "jit_registration",
       .member = &AwsOptions::jit_registration,
       .description = "The device certificate is signed by a CA registered with "
                      "auto-registration (JITP or JITR): AWS drops the first connection with a "
                      "new certificate while it registers it. That first drop is then expected: "
                      "logged as such and retried after 2 s, not reported as a failure. On by "
                      "itself for an identity installed with `edgegw install-certificate "
                      "--jitp`."},
  };
  return table;
}

const OptionTable<AzureOptions>& azure_option_table() {
  static const OptionTable<AzureOptions> table = {
      {.key = "hub",
       .member = &AzureOptions::hub,
       .description = "IoT hub name: the host is <hub>.azure-devices.net."},
      {.key = "device_id",
       .member = &AzureOptions::device_id,
       .description = "Device id: the MQTT client id. Empty: gateway_id."},
      {.key = "auth",
       .member = &AzureOptions::auth,
       .description = "x509: the [uplink.tls] client certificate; sas: a shared access "
                      "signature made from the device key, renewed before it expires.",
       .choices = "x509 sas"},
      {.key = "device_key_file",
       .member = &AzureOptions::device_key_file,
       .description = "For auth = \"sas\": file holding the device's base64 key (mode 0600)."},
      {.key = "sas_ttl_s",
       .member = &AzureOptions::sas_ttl_s,
       .description = "Lifetime of each SAS token; a new one is made before it runs out.",
       .min = 60,
       .max = 31536000},
      {.key = "tier",
       .member = &AzureOptions::tier,
       .description = "Hub tier, for the device-to-cloud throttle and the cost estimate.",
       .choices = "B1 B2 B3 S1 S2 S3"},
      {.key = "stamp_allowance_bytes",
       .member = &AzureOptions::stamp_allowance_bytes,
       .description = "IoT Hub meters a message's properties with its body, including the ones "
                      "it stamps on every device-to-cloud message (device id, auth generation "
                      "id, auth method, enqueued time). Besides the device id, which is counted "
                      "exactly, this many bytes are kept free for them in every bundle. "
                      "Microsoft does not publish their sizes; 160 covers the longest seen "
                      "(145) with a margin.",
       .min = 0,
       .max = 2048},
  };
  return table;
}

}  // namespace edgegw
