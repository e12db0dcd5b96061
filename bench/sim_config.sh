# Sourced by the bench scripts. write_sim_config FILE WORK_DIR GATEWAY_ID LISTEN writes a config
# for a gateway ingesting 10k readings/s from the crane simulator into WORK_DIR, with bundles
# going to a directory there. [api] comes last so a caller can append keys to it.
write_sim_config() {
  local file=$1 work=$2 id=$3 listen=$4
  cat > "$file" <<TOML
gateway_id = "$id"
log_level = "warn"
[storage]
path = "$work/buffer.db"
synchronous = "normal"
[bundle]
max_latency_s = 5
[uplink]
directory = "$work/outbox"
[[adapters]]
type = "simulator"
profile = "crane"
rate_scale = 208.34   # 48 readings/s x 208.34 = 10k readings/s
[api]
listen = "$listen"
TOML
}
