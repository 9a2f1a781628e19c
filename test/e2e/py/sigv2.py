"""boto3 with Signature Version 2 against s3bridge, for test/e2e/sigv2-clients.test.ts.

Usage: python3 sigv2.py INPUT.json, holding {"do": "header-auth" | "presign", "endpoint": ..., "accessKeyId": ..., "secretAccessKey": ..., ...}
Prints one JSON object: what each call returned, or {"error": {"status", "code", "message"}} for a refused call.
"""
import base64
import hashlib
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client(inp, signature_version=None):
    cfg = {'s3': {'addressing_style': 'path'}, 'retries': {'max_attempts': 1, 'mode': 'standard'}}
    if signature_version:
        cfg['signature_version'] = signature_version
    return boto3.client('s3', endpoint_url=inp['endpoint'], region_name='us-east-1', aws_access_key_id=inp['accessKeyId'],
                        aws_secret_access_key=inp['secretAccessKey'], config=Config(**cfg))


def call(fn, **kwargs):
    try:
        out = fn(**kwargs)
    except ClientError as e:
        err = e.response.get('Error', {})
        return {'error': {'status': e.response['ResponseMetadata']['HTTPStatusCode'], 'code': err.get('Code'), 'message': err.get('Message')}}
    out.pop('ResponseMetadata', None)
    if 'Body' in out:
        data = out.pop('Body').read()
        out['sha256'] = hashlib.sha256(data).hexdigest()
        out['length'] = len(data)
    for k in ('Contents', 'CommonPrefixes'):
        if k in out:
            out[k] = [c.get('Key') or c.get('Prefix') for c in out[k]]
    return {k: v for k, v in out.items() if isinstance(v, (str, int, bool, list, dict)) or v is None}


def header_auth(inp):
    """Every call signed with HmacV1 in the Authorization header; bucket-level calls are signed as /bucket/."""
    s3 = client(inp, 's3')
    bucket = inp['bucket']
    data = base64.b64decode(inp['data'])
    steps = {}
    steps['create_bucket'] = call(s3.create_bucket, Bucket=bucket)
    steps['head_bucket'] = call(s3.head_bucket, Bucket=bucket)
    steps['put'] = call(s3.put_object, Bucket=bucket, Key='dir/obj.bin', Body=data, ContentType='application/x-test',
                        Metadata={'owner': 'sig v2'})
    steps['put_other'] = call(s3.put_object, Bucket=bucket, Key='dir/sub/other.txt', Body=b'other')
    steps['get'] = call(s3.get_object, Bucket=bucket, Key='dir/obj.bin')
    steps['get_range'] = call(s3.get_object, Bucket=bucket, Key='dir/obj.bin', Range='bytes=10-19')
    steps['head'] = call(s3.head_object, Bucket=bucket, Key='dir/obj.bin')
    steps['list'] = call(s3.list_objects, Bucket=bucket)
    steps['list_delimited'] = call(s3.list_objects, Bucket=bucket, Prefix='dir/', Delimiter='/')
    steps['list_v2'] = call(s3.list_objects_v2, Bucket=bucket, Prefix='dir/')
    steps['get_acl'] = call(s3.get_object_acl, Bucket=bucket, Key='dir/obj.bin')
    steps['delete'] = call(s3.delete_object, Bucket=bucket, Key='dir/sub/other.txt')
    steps['get_deleted'] = call(s3.get_object, Bucket=bucket, Key='dir/sub/other.txt')
    steps['list_after_delete'] = call(s3.list_objects_v2, Bucket=bucket)
    # Sub-resources: each is part of the SigV2 string to sign (sigv2.md §4.2).
    steps['copy'] = call(s3.copy_object, Bucket=bucket, Key='copy/obj.bin', CopySource={'Bucket': bucket, 'Key': 'dir/obj.bin'})
    steps['put_tagging'] = call(s3.put_object_tagging, Bucket=bucket, Key='copy/obj.bin', Tagging={'TagSet': [{'Key': 'k', 'Value': 'v w'}]})
    steps['get_tagging'] = call(s3.get_object_tagging, Bucket=bucket, Key='copy/obj.bin')
    part = data + data  # moto runs with S3_UPLOAD_PART_MIN_SIZE=1024
    created = call(s3.create_multipart_upload, Bucket=bucket, Key='multi/obj.bin')
    if 'error' in created:
        steps['create_multipart'] = created
        return steps
    upload = created['UploadId']
    p1 = call(s3.upload_part, Bucket=bucket, Key='multi/obj.bin', UploadId=upload, PartNumber=1, Body=part)
    p2 = call(s3.upload_part, Bucket=bucket, Key='multi/obj.bin', UploadId=upload, PartNumber=2, Body=data)
    steps['list_parts'] = call(s3.list_parts, Bucket=bucket, Key='multi/obj.bin', UploadId=upload)
    steps['complete'] = call(s3.complete_multipart_upload, Bucket=bucket, Key='multi/obj.bin', UploadId=upload,
                             MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': p1.get('ETag')}, {'PartNumber': 2, 'ETag': p2.get('ETag')}]})
    steps['get_multi'] = call(s3.get_object, Bucket=bucket, Key='multi/obj.bin')
    steps['multi_sha256'] = {'sha256': hashlib.sha256(part + data).hexdigest(), 'length': len(part) + len(data)}
    steps['delete_objects'] = call(s3.delete_objects, Bucket=bucket, Delete={'Objects': [{'Key': 'copy/obj.bin'}, {'Key': 'multi/obj.bin'}]})
    steps['list_end'] = call(s3.list_objects_v2, Bucket=bucket)
    return steps


def presign(inp):
    """URLs from the default presigner (no signature_version: SigV2); nothing is sent."""
    s3 = client(inp)
    out = {}
    for name, method, params, expires in inp['urls']:
        out[name] = s3.generate_presigned_url(method, Params=params, ExpiresIn=expires)
    return out


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        inp = json.load(f)
    print(json.dumps({'header-auth': header_auth, 'presign': presign}[inp['do']](inp), default=str))


if __name__ == '__main__':
    main()
