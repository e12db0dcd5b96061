#include "tests/fakes/faulty_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace edgegw::testing {
namespace {

std::atomic<int> countdown{0};  // 0 = disarmed
std::atomic<int> fault{SQLITE_IOERR};
std::atomic<bool> fired{false};
sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs faulty_vfs;

struct FaultyFile {
  sqlite3_file base;
  sqlite3_file* real;  // points just behind this struct, sized by the real VFS
};

sqlite3_file* real_of(sqlite3_file* file) {
  return reinterpret_cast<FaultyFile*>(file)->real;
}

bool should_fail() {
  int left = countdown.load();
  while (left > 0) {
    if (left == 1) {
      fired = true;
      return true;  // stays at 1: every later operation fails too
    }
    if (countdown.compare_exchange_weak(left, left - 1)) return false;
  }
  return false;
}

int file_close(sqlite3_file* f) {
  return real_of(f)->pMethods->xClose(real_of(f));
}
int file_read(sqlite3_file* f, void* data, int size, sqlite3_int64 offset) {
  return real_of(f)->pMethods->xRead(real_of(f), data, size, offset);
}
int file_write(sqlite3_file* f, const void* data, int size, sqlite3_int64 offset) {
  if (should_fail()) return fault.load();
  return real_of(f)->pMethods->xWrite(real_of(f), data, size, offset);
}
int file_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (should_fail()) return fault.load() == SQLITE_FULL ? SQLITE_FULL : SQLITE_IOERR_TRUNCATE;
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int file_sync(sqlite3_file* f, int flags) {
  if (should_fail()) return fault.load() == SQLITE_FULL ? SQLITE_FULL : SQLITE_IOERR_FSYNC;
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int file_lock(sqlite3_file* f, int lock) {
  return real_of(f)->pMethods->xLock(real_of(f), lock);
}
int file_unlock(sqlite3_file* f, int lock) {
  return real_of(f)->pMethods->xUnlock(real_of(f), lock);
}
int file_check_lock(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int file_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int file_sector_size(sqlite3_file* f) {
  return real_of(f)->pMethods->xSectorSize(real_of(f));
}
int file_device(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int file_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}
int file_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void file_shm_barrier(sqlite3_file* f) {
  real_of(f)->pMethods->xShmBarrier(real_of(f));
}
int file_shm_unmap(sqlite3_file* f, int remove) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), remove);
}
int file_fetch(sqlite3_file* f, sqlite3_int64 offset, int size, void** out) {
  return real_of(f)->pMethods->xFetch(real_of(f), offset, size, out);
}
int file_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), offset, page);
}

const sqlite3_io_methods kMethods = {
    3,
    file_close,
    file_read,
    file_write,
    file_truncate,
    file_sync,
    file_size,
    file_lock,
    file_unlock,
    file_check_lock,
    file_control,
    file_sector_size,
    file_device,
    file_shm_map,
    file_shm_lock,
    file_shm_barrier,
    file_shm_unmap,
    file_fetch,
    file_unfetch,
};

int vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* wrapper = reinterpret_cast<FaultyFile*>(file);
  wrapper->real = reinterpret_cast<sqlite3_file*>(wrapper + 1);
  int rc = real_vfs->xOpen(real_vfs, name, wrapper->real, flags, out_flags);
  // SQLite calls xClose only when pMethods is set, so set it only for an opened file.
  wrapper->base.pMethods = (rc == SQLITE_OK && wrapper->real->pMethods) ? &kMethods : nullptr;
  return rc;
}

}  // namespace

void FaultyVfs::install() {
  static std::once_flag once;
  std::call_once(once, [] {
    real_vfs = sqlite3_vfs_find(nullptr);
    faulty_vfs = *real_vfs;
    faulty_vfs.zName = "edgegw-faulty";
    faulty_vfs.szOsFile = static_cast<int>(sizeof(FaultyFile)) + real_vfs->szOsFile;
    faulty_vfs.xOpen = vfs_open;
    faulty_vfs.pNext = nullptr;
    if (sqlite3_vfs_register(&faulty_vfs, 1) != SQLITE_OK) std::abort();
  });
}

void FaultyVfs::arm(int nth, int error) {
  fault = error;
  fired = false;
  countdown = nth;
}

bool FaultyVfs::disarm() {
  countdown = 0;
  return fired.load();
}

}  // namespace edgegw::testing
