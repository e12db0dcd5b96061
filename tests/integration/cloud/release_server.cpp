#include "tests/integration/cloud/release_server.h"

#include <signal.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/integration/child_process.h"
#include "tests/read_file.h"

namespace edgegw {

ReleaseServer::ReleaseServer(const TestPki& pki, ReleaseServerFaults faults)
    : log_file_(dir_.file("requests.jsonl")), port_(testing::free_loopback_port()) {
  std::filesystem::create_directories(dir_.file("files"));
  std::vector<std::string> args{"/usr/bin/python3",
                                EDGEGW_RELEASE_SERVER,
                                "--port",
                                std::to_string(port_),
                                "--cert",
                                pki.server().cert_file,
                                "--key",
                                pki.server().key_file,
                                "--dir",
                                dir_.file("files"),
                                "--log",
                                log_file_};
  if (faults.cut_after >= 0) {
    args.insert(args.end(), {"--cut-after", std::to_string(faults.cut_after)});
  }
  if (faults.ignore_range) args.emplace_back("--no-range");
  if (faults.stall) args.emplace_back("--stall");
  const std::string output = dir_.file("output");
  pid_ = testing::spawn_child(args, output);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (read_file(output).find("listening") == std::string::npos) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_ || std::chrono::steady_clock::now() > until) {
      pid_ = -1;
      throw std::runtime_error("release_server.py did not start:\n" + read_file(output));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

ReleaseServer::~ReleaseServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void ReleaseServer::put(const std::string& name, const std::string& content) const {
  std::ofstream(dir_.file("files/" + name), std::ios::binary) << content;
}

std::string ReleaseServer::url(const std::string& name) const {
  return "https://localhost:" + std::to_string(port_) + "/" + name;
}

std::vector<std::string> ReleaseServer::ranges() const {
  std::vector<std::string> out;
  std::istringstream lines(read_file(log_file_));
  for (std::string line; std::getline(lines, line);) {
    const auto request = boost::json::parse(line).as_object();
    const auto& range = request.at("range");
    out.push_back(range.is_string() ? std::string(range.as_string()) : std::string());
  }
  return out;
}

}  // namespace edgegw
