#!/usr/bin/env bash
# tests/image/compose_test.sh: Debian's docker-compose parses docker/compose.yaml (`config`
# resolves and validates it without an engine), and what it resolves is what the README
# promises: the four services, every published port on the host's loopback only, the state
# on a volume, the dashboard and the certificates mounted from the repository's own files.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../missing_packages.sh
. "$root/tests/missing_packages.sh"
require_program docker-compose /usr/bin/docker-compose
require_python_module python3-yaml /usr/bin/python3 yaml
exit_if_packages_missing compose_test
resolved=$(mktemp)
trap 'rm -f "$resolved"' EXIT
docker-compose -f "$root/docker/compose.yaml" config > "$resolved"
/usr/bin/python3 - "$resolved" "$root" << 'PY'
import os, sys, yaml
compose = yaml.safe_load(open(sys.argv[1]))
root = sys.argv[2]
services = compose["services"]
problems = []
if sorted(services) != ["edgegw", "grafana", "mosquitto", "prometheus"]:
    problems.append(f"services: {sorted(services)}")
for name, service in services.items():
    for port in service.get("ports", []):
        host_ip = str(port).split(":")[0]
        if host_ip != "127.0.0.1":
            problems.append(f"{name} publishes {port} beyond loopback")
gateway = services["edgegw"]
if gateway["build"]["context"] != root:
    problems.append(f"the gateway builds from {gateway['build']['context']}, not the repository")
# docker-compose 1.29 prints each mount as "source:target:mode".
mounts = {}
for service in services.values():
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        mounts[target] = {"source": source, "named": "/" not in source}
if not mounts.get("/var/lib/edgegw", {}).get("named"):
    problems.append("the gateway's state is not on a named volume")
for target, source in {
    "/var/lib/grafana/dashboards/edgegw.json": "deploy/grafana/edgegw.json",
    "/etc/grafana/provisioning/datasources": "docker/grafana/datasources",
    "/etc/prometheus/prometheus.yml": "docker/prometheus/prometheus.yml",
    "/mosquitto/config/mosquitto.conf": "docker/mosquitto/mosquitto.conf",
}.items():
    mount = mounts.get(target)
    if not mount or mount["source"] != os.path.join(root, source):
        problems.append(f"{target} is not mounted from {source}")
    elif not os.path.exists(mount["source"]):
        problems.append(f"{source} does not exist")
for problem in problems:
    print("compose_test: FAIL:", problem, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
echo "compose_test: ok"
