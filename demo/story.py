"""Prints what the Lambda functions answered, as a short readable story."""

import json
import sys
import urllib.request

WORDS = {
    "done": "CHANGED", "already-done": "already so", "dry-run": "would change", "warned": "WARNED",
    "notified": "TOLD", "nothing": "left alone", "ignored": "ignored", "lost": "LOST",
    "not-found": "not found", "failed": "FAILED",
}


def expiry(path):
    r = json.load(open(path))
    print(f"   trigger {r['trigger']}: {r['scanned']} paused job(s) listed, {len(r['jobs'])} looked at")
    for j in r["jobs"]:
        print(f"   - [{WORDS.get(j['outcome'], j['outcome'])}] {j['message']}")
        if j.get("definition"):
            d = j["definition"]
            buckets = [b for bd in d.get("s3JobDefinition", {}).get("bucketDefinitions", []) for b in bd["buckets"]]
            print(f"       definition kept for recreating it: {d.get('jobType')} job over {', '.join(buckets)}")
    for i in r.get("ignored", []):
        print(f"   - [ignored] {i}")


def export(path):
    r = json.load(open(path))
    if r.get("ignored"):
        print(f"   ignored: {r['ignored']}")
    if r.get("changed_resource"):
        print(f"   changed: {r['changed_resource']} (only its findings are notified)")
    for region in r["regions"]:
        c = region["configuration"]
        if c.get("state") == "set":
            print(f"   {region['region']}: bucket {c['bucket_name']}, key {c['kms_key_arn']}")
        if not region["findings"]:
            print("   OK: Macie can store its discovery results")
        for f in region["findings"]:
            print(f"   - [{f['severity']}] {f['code']}: {f['message']}")
            print(f"       fix: {f['fix']}")
            if f.get("statement"):
                st = f["statement"]
                first = st[1] if isinstance(st, list) else st
                print(f"       statement to add: {json.dumps(first)[:150]}...")


def notes(moto_url, topic):
    data = json.load(urllib.request.urlopen(f"{moto_url}/moto-api/data.json"))
    for t in data["sns"]["Topic"]:
        if t["arn"] == topic:
            for n in t["sent_notifications"]:
                print(f"   - {n[2]}")


if __name__ == "__main__":
    {"expiry": expiry, "export": export, "notes": notes}[sys.argv[1]](*sys.argv[2:])
