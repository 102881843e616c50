// AWS managed policies that Warden resolves by ARN: AWS's published policies, reduced to Warden's services.
//
// Name, path, policy id, default version, dates and description are AWS's, as published in the AWS Managed
// Policy Reference Guide and in `aws iam get-policy` / `get-policy-version` output mirrored by public
// repositories (each entry names its sources). The documents keep AWS's statements in order, with their
// Sids, effects, resources and conditions, but every `Action` list keeps only the actions whose service
// prefix Warden serves (kms, cloudtrail, sns, sqs, lambda, ssm, secretsmanager, events, logs, cloudwatch,
// s3, iam, sts); a statement left with no action is dropped. `NotAction` lists and the bare `*` action are
// kept as published. Versions are the newest we could source (read in 2026); AWS revises these policies,
// so refresh an entry's version, date and document together, from the same source.

import Foundation

/// AWS managed policies (`arn:<partition>:iam::aws:policy/...`) that accounts can attach without creating them.
public enum AWSManagedPolicies {
    /// One AWS managed policy, with the fields `GetPolicy` and `GetPolicyVersion` report for its default version.
    public struct Entry: Sendable {
        /// The policy name, e.g. `ReadOnlyAccess`.
        public let name: String
        /// The policy path: `/` or e.g. `/service-role/`.
        public let path: String
        /// AWS's policy id (`ANPA…`), the same in every account.
        public let policyId: String
        /// AWS's current default version, e.g. `v3`.
        public let versionId: String
        /// When AWS created the policy (ISO 8601, UTC).
        public let createDate: String
        /// When AWS created the default version (ISO 8601, UTC); `GetPolicy` reports it as `UpdateDate`.
        public let updateDate: String
        /// The default version's document, reduced to Warden's services (see the file header).
        public let document: String
        /// AWS's description, when a published source for it was found.
        public let description: String?
    }

    /// The policy's ARN in `partition`, e.g. `arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`.
    public static func arn(_ e: Entry, partition: String) -> String {
        "arn:\(partition):iam::aws:policy\(e.path)\(e.name)"
    }

    /// The entry an AWS managed policy ARN names, in any partition; `nil` for any other ARN.
    public static func entry(arn: String) -> Entry? {
        // arn:<partition>:iam::aws:policy<path><name>; names and paths hold no ':'.
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, parts[2] == "iam",
              parts[3].isEmpty, parts[4] == "aws", parts[5].hasPrefix("policy/") else { return nil }
        return byPathAndName[String(parts[5].dropFirst("policy".count))]
    }

    /// Entries keyed by path + name, e.g. `/service-role/AWSLambdaBasicExecutionRole`.
    private static let byPathAndName: [String: Entry] = Dictionary(
        all.map { ($0.path + $0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// Every AWS managed policy Warden knows.
    public static let all: [Entry] = [
        // Source: zoph-io/MAMIP policies/AdministratorAccess
        // Source: tenchi-security/camp policies/AdministratorAccess/metadata.json (PolicyId, CreateDate)
        // Source: description: `aws iam get-policy` output quoted in public repositories
        Entry(name: "AdministratorAccess", path: "/", policyId: "ANPAIWMBCKSKIEE64ZLYK", versionId: "v1",
              createDate: "2015-02-06T18:39:46Z", updateDate: "2015-02-06T18:39:46Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":"*","Resource":"*"}
              ]}
              """#,
              description: "Provides full access to AWS services and resources."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/PowerUserAccess.html
        // Source: zoph-io/MAMIP policies/PowerUserAccess
        // Source: tenchi-security/camp policies/PowerUserAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "PowerUserAccess", path: "/", policyId: "ANPAJYRXTHIB4FOVS3ZXS", versionId: "v12",
              createDate: "2015-02-06T18:39:47Z", updateDate: "2026-02-12T17:59:14Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},
              {"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles"],"Resource":"*"}
              ]}
              """#,
              description: "Provides full access to AWS services and resources, but does not allow management of Users and groups."),
        // Source: iann0036/iam-dataset aws/managedpolicies/ReadOnlyAccess.json (version, date, document)
        // Source: tenchi-security/camp policies/ReadOnlyAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "ReadOnlyAccess", path: "/", policyId: "ANPAILL3HVNFSB6DCOWYQ", versionId: "v133",
              createDate: "2015-02-06T18:39:48Z", updateDate: "2025-09-12T16:34:07Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Sid":"ReadOnlyActionsGroup1","Effect":"Allow","Action":["cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:List*","cloudtrail:LookupEvents","cloudwatch:Describe*","cloudwatch:GenerateQuery","cloudwatch:GenerateQueryResultsSummary","cloudwatch:Get*","cloudwatch:List*","events:Describe*","events:List*","events:Test*","iam:Generate*","iam:Get*","iam:List*","iam:Simulate*"],"Resource":"*"},
              {"Sid":"ReadOnlyActionsGroup2","Effect":"Allow","Action":["kms:Describe*","kms:Get*","kms:List*","lambda:Get*","lambda:List*","logs:Describe*","logs:FilterLogEvents","logs:Get*","logs:ListAnomalies","logs:ListEntitiesForLogGroup","logs:ListIntegrations","logs:ListLogAnomalyDetectors","logs:ListLogDeliveries","logs:ListLogGroupsForEntity","logs:ListLogGroupsForQuery","logs:ListTagsForResource","logs:ListTagsLogGroup","logs:StartLiveTail","logs:StartQuery","logs:StopLiveTail","logs:StopQuery","logs:TestMetricFilter","s3:DescribeJob","s3:Get*","s3:List*","secretsmanager:Describe*","secretsmanager:GetResourcePolicy","secretsmanager:List*","sns:Check*","sns:Get*","sns:List*","sqs:Get*","sqs:List*","sqs:Receive*","ssm:Describe*","ssm:Get*","ssm:List*","sts:GetAccessKeyInfo","sts:GetCallerIdentity","sts:GetSessionToken"],"Resource":"*"}
              ]}
              """#,
              description: "Provides read-only access to AWS services and resources."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSKeyManagementServicePowerUser.html
        // Source: zoph-io/MAMIP policies/AWSKeyManagementServicePowerUser
        // Source: tenchi-security/camp policies/AWSKeyManagementServicePowerUser/metadata.json (PolicyId, CreateDate)
        Entry(name: "AWSKeyManagementServicePowerUser", path: "/", policyId: "ANPAJNPP7PPPPMJRV2SA4", versionId: "v2",
              createDate: "2015-02-06T18:40:40Z", updateDate: "2017-03-07T00:55:11Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["kms:CreateAlias","kms:CreateKey","kms:DeleteAlias","kms:Describe*","kms:GenerateRandom","kms:Get*","kms:List*","kms:TagResource","kms:UntagResource","iam:ListGroups","iam:ListRoles","iam:ListUsers"],"Resource":"*"}
              ]}
              """#,
              description: "Provides access to AWS Key Management Service (KMS)."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCloudTrail_FullAccess.html
        // Source: zoph-io/MAMIP policies/AWSCloudTrail_FullAccess
        // Source: tenchi-security/camp policies/AWSCloudTrail_FullAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AWSCloudTrail_FullAccess", path: "/", policyId: "ANPAZKAPJZG4CA4SIJQAM", versionId: "v3",
              createDate: "2020-10-08T23:41:15Z", updateDate: "2021-02-22T19:01:00Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["sns:AddPermission","sns:CreateTopic","sns:SetTopicAttributes","sns:GetTopicAttributes"],"Resource":["arn:aws:sns:*:*:aws-cloudtrail-logs*"]},
              {"Effect":"Allow","Action":["sns:ListTopics"],"Resource":"*"},
              {"Effect":"Allow","Action":["s3:CreateBucket","s3:PutBucketPolicy","s3:PutBucketPublicAccessBlock"],"Resource":["arn:aws:s3:::aws-cloudtrail-logs*"]},
              {"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:GetBucketLocation","s3:GetBucketPolicy"],"Resource":"*"},
              {"Effect":"Allow","Action":"cloudtrail:*","Resource":"*"},
              {"Effect":"Allow","Action":["logs:CreateLogGroup"],"Resource":["arn:aws:logs:*:*:log-group:aws-cloudtrail-logs*"]},
              {"Effect":"Allow","Action":["iam:ListRoles","iam:GetRolePolicy","iam:GetUser"],"Resource":"*"},
              {"Effect":"Allow","Action":["iam:PassRole"],"Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"cloudtrail.amazonaws.com"}}},
              {"Effect":"Allow","Action":["kms:CreateKey","kms:CreateAlias","kms:ListKeys","kms:ListAliases"],"Resource":"*"},
              {"Effect":"Allow","Action":["lambda:ListFunctions"],"Resource":"*"}
              ]}
              """#,
              description: "Provides full access to AWS CloudTrail."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCloudTrail_ReadOnlyAccess.html
        // Source: zoph-io/MAMIP policies/AWSCloudTrail_ReadOnlyAccess
        // Source: tenchi-security/camp policies/AWSCloudTrail_ReadOnlyAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AWSCloudTrail_ReadOnlyAccess", path: "/", policyId: "ANPAZKAPJZG4OGLRVUGKM", versionId: "v1",
              createDate: "2022-06-14T17:19:05Z", updateDate: "2022-06-14T17:19:05Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["cloudtrail:Get*","cloudtrail:Describe*","cloudtrail:List*","cloudtrail:LookupEvents"],"Resource":"*"}
              ]}
              """#,
              description: "Provides read only access to AWS CloudTrail."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSNSFullAccess.html
        // Source: iann0036/iam-dataset aws/managedpolicies/AmazonSNSFullAccess.json
        // Source: tenchi-security/camp policies/AmazonSNSFullAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AmazonSNSFullAccess", path: "/", policyId: "ANPAJWEKLCXXUNT2SOLSG", versionId: "v2",
              createDate: "2015-02-06T18:41:05Z", updateDate: "2024-09-24T22:32:05Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Sid":"SNSFullAccess","Effect":"Allow","Action":"sns:*","Resource":"*"}
              ]}
              """#,
              description: "Provides full access to Amazon SNS via the AWS Management Console."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSNSReadOnlyAccess.html
        // Source: zoph-io/MAMIP policies/AmazonSNSReadOnlyAccess
        // Source: tenchi-security/camp policies/AmazonSNSReadOnlyAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AmazonSNSReadOnlyAccess", path: "/", policyId: "ANPAIZGQCQTFOFPMHSB6W", versionId: "v1",
              createDate: "2015-02-06T18:41:06Z", updateDate: "2015-02-06T18:41:06Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["sns:GetTopicAttributes","sns:List*"],"Resource":"*"}
              ]}
              """#,
              description: "Provides read only access to Amazon SNS via the AWS Management Console."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSQSFullAccess.html
        // Source: zoph-io/MAMIP policies/AmazonSQSFullAccess
        // Source: tenchi-security/camp policies/AmazonSQSFullAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AmazonSQSFullAccess", path: "/", policyId: "ANPAI65L554VRJ33ECQS6", versionId: "v1",
              createDate: "2015-02-06T18:41:07Z", updateDate: "2015-02-06T18:41:07Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["sqs:*"],"Resource":"*"}
              ]}
              """#,
              description: "Provides full access to Amazon SQS via the AWS Management Console."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSQSReadOnlyAccess.html
        // Source: iann0036/iam-dataset aws/managedpolicies/AmazonSQSReadOnlyAccess.json
        // Source: tenchi-security/camp policies/AmazonSQSReadOnlyAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AmazonSQSReadOnlyAccess", path: "/", policyId: "ANPAIUGSSQY362XGCM6KW", versionId: "v4",
              createDate: "2015-02-06T18:41:08Z", updateDate: "2024-05-24T18:16:44Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Sid":"AmazonSQSReadOnlyAccess","Effect":"Allow","Action":["sqs:GetQueueAttributes","sqs:GetQueueUrl","sqs:ListDeadLetterSourceQueues","sqs:ListQueues","sqs:ListMessageMoveTasks","sqs:ListQueueTags"],"Resource":"*"}
              ]}
              """#,
              description: "Provides read only access to Amazon SQS via the AWS Management Console."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambda_FullAccess.html
        // Source: zoph-io/MAMIP policies/AWSLambda_FullAccess (v5 document and date)
        // Source: tenchi-security/camp policies/AWSLambda_FullAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AWSLambda_FullAccess", path: "/", policyId: "ANPAZKAPJZG4OXQPYWZ5D", versionId: "v5",
              createDate: "2020-11-17T21:14:08Z", updateDate: "2026-02-11T22:18:56Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["cloudwatch:ListMetrics","cloudwatch:GetMetricData","kms:DescribeKey","kms:ListAliases","iam:GetPolicy","iam:GetPolicyVersion","iam:GetRole","iam:GetRolePolicy","iam:ListAttachedRolePolicies","iam:ListRolePolicies","iam:ListRoles","lambda:*","logs:DescribeLogGroups"],"Resource":"*"},
              {"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}},
              {"Effect":"Allow","Action":["logs:DescribeLogStreams","logs:GetLogEvents","logs:FilterLogEvents","logs:StartLiveTail","logs:StopLiveTail"],"Resource":"arn:aws:logs:*:*:log-group:/aws/lambda/*"},
              {"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/aws-service-role/lambda.amazonaws.com/AWSServiceRoleForLambda","Condition":{"StringEquals":{"iam:AWSServiceName":"lambda.amazonaws.com"}}}
              ]}
              """#,
              description: "Grants full access to AWS Lambda service, AWS Lambda console features, and other related AWS services."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambda_ReadOnlyAccess.html
        // Source: iann0036/iam-dataset aws/managedpolicies/AWSLambda_ReadOnlyAccess.json (v5 document and date)
        // Source: tenchi-security/camp policies/AWSLambda_ReadOnlyAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AWSLambda_ReadOnlyAccess", path: "/", policyId: "ANPAZKAPJZG4IERNVMNPE", versionId: "v5",
              createDate: "2020-11-17T21:10:32Z", updateDate: "2026-02-12T18:02:55Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["cloudwatch:GetMetricData","cloudwatch:ListMetrics","kms:ListAliases","iam:GetPolicy","iam:GetPolicyVersion","iam:GetRole","iam:GetRolePolicy","iam:ListAttachedRolePolicies","iam:ListRolePolicies","iam:ListRoles","logs:DescribeLogGroups","lambda:Get*","lambda:List*"],"Resource":"*"},
              {"Effect":"Allow","Action":["logs:DescribeLogStreams","logs:GetLogEvents","logs:FilterLogEvents","logs:StartQuery","logs:StopQuery","logs:DescribeQueries","logs:GetLogGroupFields","logs:GetLogRecord","logs:GetQueryResults","logs:StartLiveTail","logs:StopLiveTail"],"Resource":"arn:aws:logs:*:*:log-group:/aws/lambda/*"}
              ]}
              """#,
              description: "Grants read-only access to AWS Lambda service, AWS Lambda console features, and other related AWS services."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSSMFullAccess.html
        // Source: zoph-io/MAMIP policies/AmazonSSMFullAccess
        // Source: tenchi-security/camp policies/AmazonSSMFullAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AmazonSSMFullAccess", path: "/", policyId: "ANPAJA7V6HI4ISQFMDYAG", versionId: "v4",
              createDate: "2015-05-29T17:39:47Z", updateDate: "2019-11-20T20:08:56Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["cloudwatch:PutMetricData","logs:*","ssm:*"],"Resource":"*"},
              {"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM*","Condition":{"StringLike":{"iam:AWSServiceName":"ssm.amazonaws.com"}}},
              {"Effect":"Allow","Action":["iam:DeleteServiceLinkedRole","iam:GetServiceLinkedRoleDeletionStatus"],"Resource":"arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM*"}
              ]}
              """#,
              description: "Provides full access to Amazon SSM."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSSMReadOnlyAccess.html
        // Source: zoph-io/MAMIP policies/AmazonSSMReadOnlyAccess
        // Source: tenchi-security/camp policies/AmazonSSMReadOnlyAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AmazonSSMReadOnlyAccess", path: "/", policyId: "ANPAJODSKQGGJTHRYZ5FC", versionId: "v1",
              createDate: "2015-05-29T17:44:19Z", updateDate: "2015-05-29T17:44:19Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["ssm:Describe*","ssm:Get*","ssm:List*"],"Resource":"*"}
              ]}
              """#,
              description: "Provides read only access to Amazon SSM."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/SecretsManagerReadWrite.html (description)
        // Source: zoph-io/MAMIP policies/SecretsManagerReadWrite (v6 document and date)
        // Source: tenchi-security/camp policies/SecretsManagerReadWrite/metadata.json (PolicyId, CreateDate)
        Entry(name: "SecretsManagerReadWrite", path: "/", policyId: "ANPAI3VG7CI5BIQZQ6G2E", versionId: "v6",
              createDate: "2018-04-04T18:05:29Z", updateDate: "2026-08-25T23:37:10Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Sid":"BasePermissions","Effect":"Allow","Action":["secretsmanager:*","kms:DescribeKey","kms:ListAliases","kms:ListKeys","lambda:ListFunctions"],"Resource":"*"},
              {"Sid":"LambdaPermissions","Effect":"Allow","Action":["lambda:AddPermission","lambda:CreateFunction","lambda:GetFunction","lambda:InvokeFunction","lambda:UpdateFunctionConfiguration"],"Resource":"arn:aws:lambda:*:*:function:SecretsManager*"},
              {"Sid":"S3Permissions","Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::awsserverlessrepo-changesets*","arn:aws:s3:::secrets-manager-rotation-apps-*/*"]}
              ]}
              """#,
              description: "Provides read/write access to AWS Secrets Manager via the AWS Management Console. Note: this exludes IAM actions, so combine with IAMFullAccess if rotation configuration is required."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEventBridgeFullAccess.html
        // Source: iann0036/iam-dataset aws/managedpolicies/AmazonEventBridgeFullAccess.json (v7 document and date)
        // Source: zoph-io/MAMIP policies/AmazonEventBridgeFullAccess (statement form)
        // Source: tenchi-security/camp policies/AmazonEventBridgeFullAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AmazonEventBridgeFullAccess", path: "/", policyId: "ANPAZKAPJZG4BUM4GCASI", versionId: "v7",
              createDate: "2019-07-11T14:08:55Z", updateDate: "2026-02-12T17:58:25Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Sid":"EventBridgeActions","Effect":"Allow","Action":["events:*"],"Resource":"*"},
              {"Sid":"IAMCreateServiceLinkedRoleForApiDestinations","Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/aws-service-role/apidestinations.events.amazonaws.com/AWSServiceRoleForAmazonEventBridgeApiDestinations","Condition":{"StringEquals":{"iam:AWSServiceName":"apidestinations.events.amazonaws.com"}}},
              {"Sid":"IAMCreateServiceLinkedRoleForAmazonEventBridgeSchemas","Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/aws-service-role/schemas.amazonaws.com/AWSServiceRoleForSchemas","Condition":{"StringEquals":{"iam:AWSServiceName":"schemas.amazonaws.com"}}},
              {"Sid":"SecretsManagerAccessForApiDestinations","Effect":"Allow","Action":["secretsmanager:CreateSecret","secretsmanager:UpdateSecret","secretsmanager:DeleteSecret","secretsmanager:GetSecretValue","secretsmanager:PutSecretValue"],"Resource":"arn:aws:secretsmanager:*:*:secret:events!*"},
              {"Sid":"IAMPassRoleAccessForEventBridge","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/*","Condition":{"StringLike":{"iam:PassedToService":"events.amazonaws.com"}}},
              {"Sid":"IAMPassRoleAccessForScheduler","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/*","Condition":{"StringLike":{"iam:PassedToService":"scheduler.amazonaws.com"}}},
              {"Sid":"IAMPassRoleAccessForPipes","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/*","Condition":{"StringLike":{"iam:PassedToService":"pipes.amazonaws.com"}}}
              ]}
              """#,
              description: "Provides full access to Amazon EventBridge."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEventBridgeReadOnlyAccess.html
        // Source: zoph-io/MAMIP policies/AmazonEventBridgeReadOnlyAccess
        // Source: tenchi-security/camp policies/AmazonEventBridgeReadOnlyAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AmazonEventBridgeReadOnlyAccess", path: "/", policyId: "ANPAZKAPJZG4BDMP3LZME", versionId: "v6",
              createDate: "2019-07-11T13:59:07Z", updateDate: "2022-12-01T17:02:48Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["events:DescribeRule","events:DescribeEventBus","events:DescribeEventSource","events:ListEventBuses","events:ListEventSources","events:ListRuleNamesByTarget","events:ListRules","events:ListTargetsByRule","events:TestEventPattern","events:DescribeArchive","events:ListArchives","events:DescribeReplay","events:ListReplays","events:DescribeConnection","events:ListConnections","events:DescribeApiDestination","events:ListApiDestinations","events:DescribeEndpoint","events:ListEndpoints"],"Resource":"*"}
              ]}
              """#,
              description: "Provides read only access to Amazon EventBridge."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudWatchLogsFullAccess.html
        // Source: iann0036/iam-dataset aws/managedpolicies/CloudWatchLogsFullAccess.json
        // Source: tenchi-security/camp policies/CloudWatchLogsFullAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "CloudWatchLogsFullAccess", path: "/", policyId: "ANPAJ3ZGNWK2R5HW5BQFO", versionId: "v8",
              createDate: "2015-02-06T18:40:02Z", updateDate: "2026-02-12T18:00:33Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Sid":"CloudWatchLogsFullAccess","Effect":"Allow","Action":["logs:*","cloudwatch:GenerateQuery","cloudwatch:GenerateQueryResultsSummary"],"Resource":"*"}
              ]}
              """#,
              description: "Provides full access to CloudWatch Logs"),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudWatchLogsReadOnlyAccess.html
        // Source: iann0036/iam-dataset aws/managedpolicies/CloudWatchLogsReadOnlyAccess.json
        // Source: tenchi-security/camp policies/CloudWatchLogsReadOnlyAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "CloudWatchLogsReadOnlyAccess", path: "/", policyId: "ANPAJ2YIYDYSNNEHK3VKW", versionId: "v12",
              createDate: "2015-02-06T18:40:03Z", updateDate: "2026-02-12T17:59:13Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Sid":"CloudWatchLogsReadOnlyAccess","Effect":"Allow","Action":["logs:Describe*","logs:Get*","logs:List*","logs:StartQuery","logs:StopQuery","logs:TestMetricFilter","logs:FilterLogEvents","logs:StartLiveTail","logs:StopLiveTail","cloudwatch:GenerateQuery","cloudwatch:GenerateQueryResultsSummary"],"Resource":"*"}
              ]}
              """#,
              description: "Provides read only access to CloudWatch Logs"),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudWatchFullAccess.html
        // Source: zoph-io/MAMIP policies/CloudWatchFullAccess
        // Source: iann0036/iam-dataset aws/managedpolicies/CloudWatchFullAccess.json (still v4 in 2026)
        // Source: tenchi-security/camp policies/CloudWatchFullAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "CloudWatchFullAccess", path: "/", policyId: "ANPAIKEABORKUXN6DEAZU", versionId: "v4",
              createDate: "2015-02-06T18:40:00Z", updateDate: "2022-11-27T13:23:49Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["cloudwatch:*","logs:*","sns:*","iam:GetPolicy","iam:GetPolicyVersion","iam:GetRole"],"Resource":"*"},
              {"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/aws-service-role/events.amazonaws.com/AWSServiceRoleForCloudWatchEvents*","Condition":{"StringLike":{"iam:AWSServiceName":"events.amazonaws.com"}}}
              ]}
              """#,
              description: "Provides full access to CloudWatch."),
        // Source: zoph-io/MAMIP policies/CloudWatchFullAccessV2 (v4 document and date)
        // Source: tenchi-security/camp policies/CloudWatchFullAccessV2/metadata.json (PolicyId, CreateDate)
        Entry(name: "CloudWatchFullAccessV2", path: "/", policyId: "ANPAZKAPJZG4K5ELCXZSW", versionId: "v4",
              createDate: "2023-08-01T11:32:57Z", updateDate: "2025-10-08T17:34:07Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Sid":"CloudWatchFullAccessPermissions","Effect":"Allow","Action":["cloudwatch:*","logs:*","sns:CreateTopic","sns:ListSubscriptions","sns:ListSubscriptionsByTopic","sns:ListTopics","sns:Subscribe","iam:GetPolicy","iam:GetPolicyVersion","iam:GetRole"],"Resource":"*"},
              {"Sid":"CloudWatchApplicationSignalsServiceLinkedRolePermissions","Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/aws-service-role/application-signals.cloudwatch.amazonaws.com/AWSServiceRoleForCloudWatchApplicationSignals","Condition":{"StringLike":{"iam:AWSServiceName":"application-signals.cloudwatch.amazonaws.com"}}},
              {"Sid":"EventsServicePermissions","Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/aws-service-role/events.amazonaws.com/AWSServiceRoleForCloudWatchEvents*","Condition":{"StringLike":{"iam:AWSServiceName":"events.amazonaws.com"}}},
              {"Sid":"CloudWatchCloudTrailPermissions","Effect":"Allow","Action":["cloudtrail:CreateServiceLinkedChannel","cloudtrail:GetChannel"],"Resource":"arn:aws:cloudtrail:*:*:channel/aws-service-channel/application-signals/*"},
              {"Sid":"CloudWatchApplicationSignalsCloudTrailListPermissions","Effect":"Allow","Action":["cloudtrail:ListChannels"],"Resource":"*"}
              ]}
              """#,
              description: nil),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudWatchReadOnlyAccess.html
        // Source: iann0036/iam-dataset aws/managedpolicies/CloudWatchReadOnlyAccess.json (v24 document and date)
        // Source: zoph-io/MAMIP policies/CloudWatchReadOnlyAccess (statement form)
        // Source: tenchi-security/camp policies/CloudWatchReadOnlyAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "CloudWatchReadOnlyAccess", path: "/", policyId: "ANPAJN23PDQP7SZQAE3QE", versionId: "v24",
              createDate: "2015-02-06T18:40:01Z", updateDate: "2026-02-12T18:01:50Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Sid":"CloudWatchReadOnlyAccessPermissions","Effect":"Allow","Action":["cloudtrail:ListChannels","cloudwatch:BatchGet*","cloudwatch:Describe*","cloudwatch:GenerateQuery","cloudwatch:Get*","cloudwatch:List*","logs:Get*","logs:List*","logs:StartQuery","logs:StopQuery","logs:Describe*","logs:TestMetricFilter","logs:FilterLogEvents","logs:StartLiveTail","logs:StopLiveTail","sns:Get*","sns:List*"],"Resource":"*"},
              {"Sid":"CloudWatchReadOnlyGetRolePermissions","Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::*:role/aws-service-role/application-signals.cloudwatch.amazonaws.com/AWSServiceRoleForCloudWatchApplicationSignals"},
              {"Sid":"CloudWatchCloudTrailPermissions","Effect":"Allow","Action":["cloudtrail:GetChannel"],"Resource":"arn:aws:cloudtrail:*:*:channel/aws-service-channel/application-signals/*"}
              ]}
              """#,
              description: "Provides read only access to CloudWatch."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/IAMFullAccess.html
        // Source: zoph-io/MAMIP policies/IAMFullAccess
        // Source: tenchi-security/camp policies/IAMFullAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "IAMFullAccess", path: "/", policyId: "ANPAI7XKCFMBPM3QQRRVQ", versionId: "v2",
              createDate: "2015-02-06T18:40:38Z", updateDate: "2019-06-21T19:40:00Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["iam:*"],"Resource":"*"}
              ]}
              """#,
              description: "Provides full access to IAM via the AWS Management Console."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/IAMReadOnlyAccess.html
        // Source: zoph-io/MAMIP policies/IAMReadOnlyAccess
        // Source: PolicyId and CreateDate: `aws iam list-policies` output quoted in two public repositories (index ids 37912543590, 47274620984)
        Entry(name: "IAMReadOnlyAccess", path: "/", policyId: "ANPAJKSO7NDY4T57MWDSQ", versionId: "v4",
              createDate: "2015-02-06T18:40:39Z", updateDate: "2018-01-25T19:11:27Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}
              ]}
              """#,
              description: "Provides read only access to IAM via the AWS Management Console."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonS3FullAccess.html
        // Source: zoph-io/MAMIP policies/AmazonS3FullAccess
        // Source: tenchi-security/camp policies/AmazonS3FullAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AmazonS3FullAccess", path: "/", policyId: "ANPAIFIR6V6BVTRAHWINE", versionId: "v2",
              createDate: "2015-02-06T18:40:58Z", updateDate: "2021-09-27T20:16:37Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["s3:*"],"Resource":"*"}
              ]}
              """#,
              description: "Provides full access to all buckets via the AWS Management Console."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonS3ReadOnlyAccess.html
        // Source: zoph-io/MAMIP policies/AmazonS3ReadOnlyAccess
        // Source: tenchi-security/camp policies/AmazonS3ReadOnlyAccess/metadata.json (PolicyId, CreateDate)
        Entry(name: "AmazonS3ReadOnlyAccess", path: "/", policyId: "ANPAIZTJ4DXE7G6AGAE6M", versionId: "v3",
              createDate: "2015-02-06T18:40:59Z", updateDate: "2023-08-10T21:31:39Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*"],"Resource":"*"}
              ]}
              """#,
              description: "Provides read only access to all buckets via the AWS Management Console."),
        // Source: docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
        // Source: zoph-io/MAMIP policies/AWSLambdaBasicExecutionRole
        // Source: tenchi-security/camp policies/AWSLambdaBasicExecutionRole/metadata.json (PolicyId, CreateDate)
        Entry(name: "AWSLambdaBasicExecutionRole", path: "/service-role/", policyId: "ANPAJNCQGXC42545SKXIK", versionId: "v1",
              createDate: "2015-04-09T15:03:43Z", updateDate: "2015-04-09T15:03:43Z",
              document: #"""
              {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}
              ]}
              """#,
              description: "Provides write permissions to CloudWatch Logs.")
    ]
}
