"""boto3 SigV4 requests dated by a Date header (no x-amz-date), in each HTTP-date form, for test/e2e/http-edges.test.ts.

When a caller sets a Date header, botocore's SigV4 signer replaces it with email.utils.formatdate() output
(`Sat, 05 Dec 2026 11:20:00 -0000`) and drops x-amz-date (client-quirks.md). The RFC 850 and asctime forms are made
by swapping botocore's formatdate for one that writes them: the request is otherwise exactly botocore's.
Usage: python3 date_header.py INPUT.json, holding {"endpoint", "accessKeyId", "secretAccessKey", "bucket"}
Prints {form: {"sent": {"date", "x-amz-date"}, "put": {...} | {"error"}, "get": {...}}} for form in botocore, rfc850, asctime.
"""
import hashlib
import json
import sys
import time
from email.utils import formatdate

import boto3
import botocore.auth
from botocore.config import Config
from botocore.exceptions import ClientError

DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']


def rfc850(timeval=None, localtime=False, usegmt=False):
    t = time.gmtime(timeval)
    return f'{DAYS[t.tm_wday]}, {t.tm_mday:02d}-{MONTHS[t.tm_mon - 1]}-{t.tm_year % 100:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT'


def asctime(timeval=None, localtime=False, usegmt=False):
    return time.asctime(time.gmtime(timeval))  # 'Sun Dec  6 04:02:43 2026'


FORMS = {'botocore': formatdate, 'rfc850': rfc850, 'asctime': asctime}


def call(fn, **kwargs):
    try:
        out = fn(**kwargs)
    except ClientError as e:
        err = e.response.get('Error', {})
        return {'error': {'status': e.response['ResponseMetadata']['HTTPStatusCode'], 'code': err.get('Code'), 'message': err.get('Message')}}
    result = {'status': out['ResponseMetadata']['HTTPStatusCode']}
    if 'Body' in out:
        result['sha256'] = hashlib.sha256(out['Body'].read()).hexdigest()
    return result


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        inp = json.load(f)
    s3 = boto3.client('s3', endpoint_url=inp['endpoint'], region_name='us-east-1', aws_access_key_id=inp['accessKeyId'],
                      aws_secret_access_key=inp['secretAccessKey'],
                      config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}, retries={'max_attempts': 1, 'mode': 'standard'}))
    sent = []
    s3.meta.events.register('before-sign.s3', lambda request, **kw: request.headers.__setitem__('Date', ''))
    s3.meta.events.register('before-send.s3', lambda request, **kw: sent.append({k.lower(): v for k, v in request.headers.items()}))
    out = {}
    for name, fn in FORMS.items():
        botocore.auth.formatdate = fn
        del sent[:]
        key = f'dated/{name}.txt'
        body = f'dated by a {name} Date header'.encode()
        put = call(s3.put_object, Bucket=inp['bucket'], Key=key, Body=body)
        get = call(s3.get_object, Bucket=inp['bucket'], Key=key)
        headers = sent[0] if sent else {}
        out[name] = {'sent': {'date': str(headers.get('date', b''), 'latin-1') if isinstance(headers.get('date'), bytes) else headers.get('date'),
                              'x-amz-date': headers.get('x-amz-date')},
                     'put': put, 'get': get, 'sha256': hashlib.sha256(body).hexdigest()}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
