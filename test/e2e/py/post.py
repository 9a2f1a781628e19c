"""Browser-style POST uploads: forms from boto3's generate_presigned_post, sent with requests, for test/e2e/post-clients.test.ts.

Usage: python3 post.py INPUT.json, holding {"endpoint", "accessKeyId", "secretAccessKey", "forms": [{"name", "signatureVersion": "s3v4"|"s3",
        "bucket", "key", "fields", "conditions", "expiresIn", "filename", "data": base64}]}
Prints {"client": ..., "results": {name: {"status", "headers", "body", "fields"}}}. Without the requests package the
body is built by hand and sent with http.client (the same bytes a browser would send).
"""
import base64
import http.client
import json
import sys
import uuid
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

try:
    import requests
except ImportError:  # pragma: no cover - CI has requests; this keeps the test meaningful without it
    requests = None


def presigned_post(inp, form):
    s3 = boto3.client('s3', endpoint_url=inp['endpoint'], region_name='us-east-1', aws_access_key_id=inp['accessKeyId'],
                      aws_secret_access_key=inp['secretAccessKey'],
                      config=Config(signature_version=form.get('signatureVersion', 's3v4'), s3={'addressing_style': 'path'}))
    return s3.generate_presigned_post(form['bucket'], form['key'], Fields=form.get('fields'), Conditions=form.get('conditions'),
                                      ExpiresIn=form.get('expiresIn', 600))


def send_with_requests(url, fields, filename, data):
    r = requests.post(url, data=fields, files={'file': (filename, data)}, allow_redirects=False, timeout=60)
    return r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.text


def send_by_hand(url, fields, filename, data):
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b'\r\n')
    parts.append(f'--{boundary}--\r\n'.encode())
    body = b''.join(parts)
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    conn.request('POST', u.path or '/', body=body, headers={'Content-Type': f'multipart/form-data; boundary={boundary}'})
    r = conn.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode('utf-8', 'replace')


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        inp = json.load(f)
    results = {}
    for form in inp['forms']:
        post = presigned_post(inp, form)
        data = base64.b64decode(form['data'])
        send = send_with_requests if requests else send_by_hand
        status, headers, body = send(post['url'], post['fields'], form['filename'], data)
        results[form['name']] = {'url': post['url'], 'fields': post['fields'], 'status': status, 'headers': headers, 'body': body}
    client = f'requests {requests.__version__}' if requests else 'http.client'
    print(json.dumps({'client': client, 'results': results}))


if __name__ == '__main__':
    main()
