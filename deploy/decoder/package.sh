#!/usr/bin/env bash
# deploy/decoder/package.sh DESCRIPTOR_SET ZIP: the AWS Lambda's code as one zip (`make
# cloud-decoder`): handler.py at the top, the edgegw_decoder package with bundle.desc in it.
# The Lambda's Python runtime has boto3 but not protobuf or zstandard: add them to the zip
# (`pip install --target <dir> protobuf zstandard` on a machine that reaches PyPI, for the
# Lambda's architecture) or as a layer. The Azure Function takes them from requirements.txt.
set -euo pipefail
descriptor=${1:?usage: package.sh DESCRIPTOR_SET ZIP}
zip=${2:?usage: package.sh DESCRIPTOR_SET ZIP}
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r "$here/edgegw_decoder" "$stage/"
rm -rf "$stage/edgegw_decoder/__pycache__"
cp "$descriptor" "$stage/edgegw_decoder/bundle.desc"
cp "$here/../aws/lambda/handler.py" "$stage/"
rm -f "$zip"
zip_path=$(cd "$(dirname "$zip")" && pwd)/$(basename "$zip")
(cd "$stage" && /usr/bin/python3 -m zipfile -c "$zip_path" handler.py edgegw_decoder)
echo "cloud-decoder: $zip (upload it as CodeBucket/CodeKey of deploy/aws/cloudformation.yaml)"
