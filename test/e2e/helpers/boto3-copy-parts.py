"""End-to-end client script (copy-checksums-boto3.test.ts): boto3 copies parts into a checksum-typed multipart upload.

Takes one JSON object as its argument: endpoint, accessKeyId, secretAccessKey, bucket, key, algorithm, source ("bucket/key"),
ranges (["bytes=a-b", ...]). Does what s3transfer does for a multipart copy, with the algorithm set:
CreateMultipartUpload(ChecksumAlgorithm), UploadPartCopy per range, CompleteMultipartUpload with each part's ETag and
checksum as returned, then GetObject with ChecksumMode=ENABLED. Prints one JSON object; an S3 error is printed as
{"error": {"code", "message", "operation", "status"}} with exit status 0, so the test can assert on it.
"""
import base64
import hashlib
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

args = json.loads(sys.argv[1])
s3 = boto3.client(
    "s3",
    endpoint_url=args["endpoint"],
    region_name="us-east-1",
    aws_access_key_id=args["accessKeyId"],
    aws_secret_access_key=args["secretAccessKey"],
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)
alg = args["algorithm"]
field = "Checksum" + alg
bucket, key = args["bucket"], args["key"]
out = {"botocore": boto3.__version__, "parts": []}
try:
    created = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm=alg)
    out["createdAlgorithm"] = created.get("ChecksumAlgorithm")
    parts = []
    for number, byte_range in enumerate(args["ranges"], start=1):
        r = s3.upload_part_copy(
            Bucket=bucket, Key=key, UploadId=created["UploadId"], PartNumber=number,
            CopySource=args["source"], CopySourceRange=byte_range,
        )["CopyPartResult"]
        out["parts"].append({k: v for k, v in r.items() if k.startswith("Checksum") or k == "ETag"})
        parts.append({"PartNumber": number, "ETag": r["ETag"], field: r.get(field)})
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=created["UploadId"], MultipartUpload={"Parts": parts})
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    body = got["Body"].read()
    out["object"] = {
        "sha256": hashlib.sha256(body).hexdigest(),
        "length": len(body),
        "checksum": got.get(field),
        "checksumType": got.get("ChecksumType"),
    }
except ClientError as e:
    out["error"] = {
        "code": e.response["Error"]["Code"],
        "message": e.response["Error"].get("Message"),
        "operation": e.operation_name,
        "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
    }
json.dump(out, sys.stdout)
