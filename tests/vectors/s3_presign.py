#!/usr/bin/env python3
"""Reference vectors for mimql's S3 presigned upload URLs, produced by botocore's SigV4
query-string signer (an implementation independent of the rusty-s3 one mimql uses).

    pip install botocore && python3 tests/vectors/s3_presign.py > tests/vectors/s3_presign.json

Each case signs a PUT of `<bucket_url>/<token>/<escaped filename>` at a fixed clock with the
headers the reference signs (content-length, content-type if given, host, x-amz-acl if
add_acl) and an unsigned payload. The filename is escaped as AWS URI encoding does it
(RFC 3986 unreserved characters kept, every other UTF-8 byte as %XX).
"""

import datetime
import json
import urllib.parse

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CASES = [
    dict(bucket_url="https://s3.eu-west-1.amazonaws.com/mybucket", region="eu-west-1",
         add_acl=False, filename="photo.jpg", size=1024, content_type="image/jpeg",
         timeout=60, time=1700000000),
    dict(bucket_url="https://s3.eu-west-1.amazonaws.com/mybucket/", region="eu-west-1",
         add_acl=True, filename="a b/c\n~-_.ż.txt", size=10485760, content_type=None,
         timeout=3600, time=1700000123),
    dict(bucket_url="http://127.0.0.1:9000/uploads", region="us-east-1",
         add_acl=True, filename="report (final).pdf", size=1, content_type="application/pdf",
         timeout=1, time=1234567890),
    dict(bucket_url="https://bucket.s3.amazonaws.com", region="us-east-1",
         add_acl=False, filename="+&=?#%", size=42, content_type="text/plain; charset=utf-8",
         timeout=604800, time=1893456000),
]

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "0123456789abcdef" * 4


def presign(case):
    base = case["bucket_url"].rstrip("/")
    key = TOKEN + "/" + urllib.parse.quote(case["filename"], safe="-_.~")
    get_url = base + "/" + key
    headers = {"Content-Length": str(case["size"])}
    if case["content_type"] is not None:
        headers["Content-Type"] = case["content_type"]
    if case["add_acl"]:
        headers["x-amz-acl"] = "public-read"
    request = AWSRequest(method="PUT", url=get_url, headers=headers)
    now = datetime.datetime.fromtimestamp(case["time"], datetime.timezone.utc).replace(tzinfo=None)
    botocore.auth.get_current_datetime = lambda: now
    signer = botocore.auth.S3SigV4QueryAuth(
        Credentials(ACCESS_KEY, SECRET_KEY), "s3", case["region"], expires=case["timeout"])
    signer.add_auth(request)
    return get_url, request.url


def main():
    out = []
    for case in CASES:
        get_url, put_url = presign(case)
        out.append(dict(case, access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY,
                        token=TOKEN, get_url=get_url, put_url=put_url))
    print(json.dumps({"generator": "botocore " + botocore.__version__, "cases": out},
                     indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
