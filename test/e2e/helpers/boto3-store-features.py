"""End-to-end client script (store-features-boto3.test.ts): boto3, through s3bridge, uses the embedded store's versioning,
Object Lock, SSE-C, ACLs with an unsigned client, and bucket configurations.

Takes one JSON object as its argument: endpoint, accessKeyId, secretAccessKey, prefix (for bucket names). Each step's
outcome goes into one JSON object printed at the end: values it read back, or {"error": code} where a call failed, so the
test asserts on what boto3 saw.
"""
import datetime
import hashlib
import base64
import json
import os
import sys

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

args = json.loads(sys.argv[1])
common = dict(endpoint_url=args["endpoint"], region_name="us-east-1")
config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
s3 = boto3.client("s3", aws_access_key_id=args["accessKeyId"], aws_secret_access_key=args["secretAccessKey"], config=config, **common)
anon = boto3.client("s3", config=config.merge(Config(signature_version=UNSIGNED)), **common)
p = args["prefix"]
out = {}


def code_of(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return "ok"


# Versioning: two versions, a delete marker, the old version read back by id, the marker removed.
b = p + "-versions"
s3.create_bucket(Bucket=b)
s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
v1 = s3.put_object(Bucket=b, Key="doc", Body=b"first")["VersionId"]
v2 = s3.put_object(Bucket=b, Key="doc", Body=b"second")["VersionId"]
marker = s3.delete_object(Bucket=b, Key="doc")
listed = s3.list_object_versions(Bucket=b)
out["versions"] = {
    "status": s3.get_bucket_versioning(Bucket=b)["Status"],
    "listed": [[v["VersionId"] == v2, v["IsLatest"]] for v in listed.get("Versions", [])],
    "markers": [m["IsLatest"] for m in listed.get("DeleteMarkers", [])],
    "currentAfterDelete": code_of(lambda: s3.get_object(Bucket=b, Key="doc")),
    "first": s3.get_object(Bucket=b, Key="doc", VersionId=v1)["Body"].read().decode(),
}
s3.delete_object(Bucket=b, Key="doc", VersionId=marker["VersionId"])
out["versions"]["restored"] = s3.get_object(Bucket=b, Key="doc")["Body"].read().decode()

# Object Lock: a GOVERNANCE retention keeps the version until bypassed.
b = p + "-lock"
s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
until = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
v = s3.put_object(Bucket=b, Key="k", Body=b"kept", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)["VersionId"]
head = s3.head_object(Bucket=b, Key="k")
out["lock"] = {
    "mode": head.get("ObjectLockMode"),
    "until": head["ObjectLockRetainUntilDate"].isoformat(),
    "deleteVersion": code_of(lambda: s3.delete_object(Bucket=b, Key="k", VersionId=v)),
    "deleteBypassed": code_of(lambda: s3.delete_object(Bucket=b, Key="k", VersionId=v, BypassGovernanceRetention=True)),
}

# SSE-C: readable with the key only; boto3 computes the key's MD5 itself.
b = p + "-ssec"
s3.create_bucket(Bucket=b)
key = os.urandom(32)
s3.put_object(Bucket=b, Key="secret", Body=b"for your eyes", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
got = s3.get_object(Bucket=b, Key="secret", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
out["ssec"] = {
    "body": got["Body"].read().decode(),
    "keyMd5": got["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(key).digest()).decode(),
    "withoutKey": code_of(lambda: s3.get_object(Bucket=b, Key="secret")),
    "otherKey": code_of(lambda: s3.get_object(Bucket=b, Key="secret", SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(32))),
}

# ACLs and an unsigned client (the route forwards unsigned requests): public-read objects only.
b = p + "-public"
s3.create_bucket(Bucket=b)
s3.put_object(Bucket=b, Key="open", Body=b"hello", ACL="public-read")
s3.put_object(Bucket=b, Key="closed", Body=b"no")
out["acl"] = {
    "grants": sorted(g["Permission"] + ":" + g["Grantee"]["Type"] for g in s3.get_object_acl(Bucket=b, Key="open")["Grants"]),
    "anonOpen": anon.get_object(Bucket=b, Key="open")["Body"].read().decode(),
    "anonClosed": code_of(lambda: anon.get_object(Bucket=b, Key="closed")),
    "anonPut": code_of(lambda: anon.put_object(Bucket=b, Key="x", Body=b"x")),
}

# Bucket configurations: kept and given back.
s3.put_bucket_lifecycle_configuration(
    Bucket=b, LifecycleConfiguration={"Rules": [{"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 3}}]}
)
s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})
out["configs"] = {
    "lifecycle": s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"][0]["Expiration"]["Days"],
    "tags": s3.get_bucket_tagging(Bucket=b)["TagSet"],
    "noPolicy": code_of(lambda: s3.get_bucket_policy(Bucket=b)),
}
print(json.dumps(out))
