#include "storage/storage_options.h"

namespace edgegw {

const OptionTable<StorageOptions>& storage_option_table() {
  static const OptionTable<StorageOptions> table = {
      {.key = "path",
       .member = &StorageOptions::path,
       .description = "SQLite database file that holds every reading until the cloud has "
                      "acknowledged it. Its directory must be writable; a corrupt file is moved "
                      "aside to <path>.corrupt-<unix time> and a fresh one is started."},
      {.key = "synchronous",
       .member = &StorageOptions::synchronous,
       .description = "How durable an accepted reading is. \"full\": survives a power cut "
                      "(fsync on every commit). \"normal\": survives a crash of the gateway "
                      "process, but the last commits may be lost on a power cut; faster on SD "
                      "cards.",
       .choices = "full normal"},
      {.key = "max_bytes",
       .member = &StorageOptions::max_bytes,
       .description = "Largest size of the stored data in bytes. Above it the oldest telemetry "
                      "not yet in flight is dropped first, alarms last; each drop is counted. "
                      "0 = no limit (only the disk's size).",
       .min = 0},
      {.key = "max_age_s",
       .member = &StorageOptions::max_age_s,
       .description = "Telemetry older than this many seconds (by its timestamp) is dropped and "
                      "counted, unless it is in flight. Alarms are not aged out. 0 = keep forever.",
       .min = 0},
      {.key = "batch_max_readings",
       .member = &StorageOptions::batch_max_readings,
       .description = "Group commit: at most this many readings are written per transaction; "
                      "a transaction is committed as soon as this many are waiting.",
       .min = 1,
       .max = 1000000},
      {.key = "flush_interval_ms",
       .member = &StorageOptions::flush_interval_ms,
       .description = "Group commit: the longest a reading waits for others to share its "
                      "transaction. Larger values mean fewer disk syncs and later acceptance.",
       .min = 0,
       .max = 10000},
      {.key = "adapter_flush_interval_ms",
       .member = &StorageOptions::adapter_flush_interval_ms,
       .description = "Group commit for readings from adapters, which nobody waits on: the "
                      "longest one waits to share a transaction. Each commit writes and syncs at "
                      "least a page, so at low rates this sets the gateway's CPU use and its "
                      "writes to the SD card; a reading is accepted up to this much later, and a "
                      "power cut loses at most this much of what the adapters read. A batch "
                      "holding a reading at a threshold rule's level (above, below) is "
                      "committed at once, with everything queued before it, so the alarm it may "
                      "raise does not wait; alarms from other rules (a drop, a stale series) are "
                      "decided up to this much later.",
       .min = 0,
       .max = 10000},
      {.key = "queue_max_readings",
       .member = &StorageOptions::queue_max_readings,
       .description = "Readings waiting to be written, at most. When the queue is full new "
                      "batches are refused (back-pressure to the adapter) and nothing is queued.",
       .min = 1},
      {.key = "retention_interval_s",
       .member = &StorageOptions::retention_interval_s,
       .description = "How often max_age_s and max_bytes are enforced. max_bytes is also "
                      "checked after every commit.",
       .min = 1,
       .max = 86400},
      {.key = "reserve_bytes",
       .member = &StorageOptions::reserve_bytes,
       .description = "Space kept in <path>.reserve for a full filesystem: given up the moment "
                      "a write finds the disk full, so that bundles can still be recorded, sent "
                      "and acknowledged, old telemetry shed and alarms stored; taken back once "
                      "the filesystem has twice this free again. The WAL is checkpointed every "
                      "half of it. 0 = no reserve (a full disk then stops delivery until "
                      "someone frees space).",
       .min = 0,
       .max = 1LL << 30},
  };
  return table;
}

}  // namespace edgegw
