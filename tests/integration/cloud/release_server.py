#!/usr/bin/python3
"""An HTTPS file server for the update-software tests: the artifact host a fleet operator
would run (S3, a web server), with the misbehaviours a download must survive.

Serves the files of --dir over TLS (--cert/--key) on 127.0.0.1:--port, answering
"Range: bytes=N-" with 206 and Content-Range. Every request is logged to --log as one JSON
line: {"path", "range"}. Misbehaviours, each for every file:
  --cut-after N   the first answer for a file stops after N body bytes (the connection drops)
  --no-range      Range is ignored: always 200 and the whole file
  --stall         headers are sent, then nothing, until the client gives up
Prints "listening" once the socket is bound.
"""
import argparse
import http.server
import json
import os
import ssl
import sys
import threading
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--cut-after", type=int, default=-1)
    parser.add_argument("--no-range", action="store_true")
    parser.add_argument("--stall", action="store_true")
    options = parser.parse_args()

    cut_already = set()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # the JSON log is the record
            pass

        def do_GET(self):
            requested_range = self.headers.get("Range")
            with lock, open(options.log, "a") as log:
                log.write(json.dumps({"path": self.path, "range": requested_range}) + "\n")
            path = os.path.join(options.dir, os.path.basename(self.path))
            if not os.path.isfile(path):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with open(path, "rb") as f:
                data = f.read()
            start = 0
            if requested_range and not options.no_range:
                start = int(requested_range.split("=")[1].split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", "bytes */%d" % len(data))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range",
                                 "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            if options.stall:
                time.sleep(3600)
            with lock:
                cut = options.cut_after >= 0 and self.path not in cut_already
                if cut:
                    cut_already.add(self.path)
            if cut:
                self.wfile.write(body[:options.cut_after])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(options.cert, options.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
