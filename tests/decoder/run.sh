#!/usr/bin/env bash
# tests/decoder/run.sh DESCRIPTOR_SET: the cloud-side decoder's own tests (deploy/decoder, the
# AWS Lambda, the CloudFormation template), with Debian's Python and its packages. That it
# agrees with `edgegw decode` on a real run is tests/integration/cloud_decoder_test.cpp.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../missing_packages.sh
. "$root/tests/missing_packages.sh"
python=/usr/bin/python3
require_python_module python3-protobuf "$python" google.protobuf
require_python_module python3-zstandard "$python" zstandard
require_python_module python3-botocore "$python" botocore.stub
require_python_module python3-boto3 "$python" boto3
require_python_module python3-yaml "$python" yaml
exit_if_packages_missing decoder_python_tests
export EDGEGW_BUNDLE_DESCRIPTOR_SET=${1:?usage: run.sh DESCRIPTOR_SET}
export PYTHONPATH=$root/deploy/decoder:$root/deploy/aws/lambda
export PYTHONDONTWRITEBYTECODE=1
cd "$here"
exec "$python" -m unittest discover -s "$here" -p 'test_*.py' -v
