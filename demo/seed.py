"""Seeds the demo account: a results bucket whose policy forgets s3:PutObject, a KMS key whose
policy forgets Macie and that is scheduled for deletion, the export configuration that points
at them (in the local Macie), an SNS topic and the expiry guard's journal table. Prints KEY=VALUE lines for the demo script."""

import json
import sys

import boto3

moto_url, macie_url = sys.argv[1], sys.argv[2]
account, region = "123456789012", "us-east-1"
bucket = f"macie-discovery-results-{account}"
common = dict(region_name=region, aws_access_key_id="local", aws_secret_access_key="local")
s3 = boto3.client("s3", endpoint_url=moto_url, **common)
kms = boto3.client("kms", endpoint_url=moto_url, **common)
sns = boto3.client("sns", endpoint_url=moto_url, **common)
dynamodb = boto3.client("dynamodb", endpoint_url=moto_url, **common)
macie = boto3.client("macie2", endpoint_url=macie_url, **common)

s3.create_bucket(Bucket=bucket)
s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "AllowMacieToGetTheBucketLocation", "Effect": "Allow",
        "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:GetBucketLocation",
        "Resource": f"arn:aws:s3:::{bucket}",
    }],
}))
key = kms.create_key(Description="macie discovery results", KeySpec="SYMMETRIC_DEFAULT",
                     KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                   "Action": "kms:*", "Resource": "*"}],
}))
kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
macie.put_classification_export_configuration(configuration={"s3Destination": {
    "bucketName": bucket, "keyPrefix": "macie/", "kmsKeyArn": key["Arn"]}})
topic = sns.create_topic(Name="macie-guard-demo")["TopicArn"]
# The expiry guard's journal, shaped as template.yaml's JournalTable.
dynamodb.create_table(
    TableName="macie-guard-journal", BillingMode="PAY_PER_REQUEST",
    AttributeDefinitions=[{"AttributeName": "scope", "AttributeType": "S"},
                          {"AttributeName": "jobId", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "scope", "KeyType": "HASH"},
               {"AttributeName": "jobId", "KeyType": "RANGE"}])
print(f"KEY_ARN={key['Arn']}")
print(f"KEY_ID={key['KeyId']}")
print(f"TOPIC_ARN={topic}")
print("JOURNAL_TABLE=macie-guard-journal")
