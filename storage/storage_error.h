#pragma once

#include <stdexcept>
#include <string>

namespace edgegw {

/// An SQLite or file-system error the buffer could not handle itself; `code()` is the SQLite
/// primary result code (SQLITE_ERROR, 1, for errors that did not come from SQLite).
class StorageError : public std::runtime_error {
 public:
  StorageError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

}  // namespace edgegw
