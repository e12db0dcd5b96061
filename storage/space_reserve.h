#pragma once

#include <cstdint>
#include <string>

namespace edgegw {

/// Room on the buffer's filesystem held back for the writes that make room. On a full
/// filesystem SQLite can commit nothing, not even the DELETE that sheds old rows or
/// acknowledges a bundle (its WAL frames need space too), so the buffer keeps a file of real,
/// allocated blocks beside the database and gives it up the moment a write finds the disk full.
/// Not thread-safe: the storage thread owns it.
class SpaceReserve {
 public:
  /// `path`: the reserve file; `bytes`: its size (0: no reserve).
  SpaceReserve(std::string path, std::int64_t bytes);

  /// Allocates the whole file, if the filesystem has room for it. A failed attempt leaves no
  /// file behind. Returns whether the reserve is held now.
  bool take();
  /// Frees the file's blocks for the database to use.
  void release();

  bool held() const { return held_; }
  std::int64_t bytes() const { return bytes_; }
  const std::string& path() const { return path_; }
  /// What an unprivileged writer may still allocate on the reserve's filesystem.
  std::int64_t filesystem_free_bytes() const;

 private:
  std::string path_;
  std::string directory_;  // where statvfs asks
  std::int64_t bytes_;
  bool held_ = false;
};

}  // namespace edgegw
