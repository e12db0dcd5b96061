#pragma once

#include "storage/sqlite_handle.h"

namespace edgegw {

/// The schema version this build writes (PRAGMA user_version).
int storage_schema_version();

/// Brings the database up to storage_schema_version(), one transaction per migration step.
/// Throws StorageError if the file was written by a newer schema this build does not know.
void migrate_storage_schema(SqliteConnection& db);

}  // namespace edgegw
